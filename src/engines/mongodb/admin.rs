//! Databases, collections and indexes (spec 4.2, 4.3, 4.5).
//!
//! Listings run the server commands (`listDatabases`, `listCollections`, `listIndexes`, `dbStats`,
//! `collStats`) and read the fields they need rather than the driver's typed helpers, whose strict
//! models refuse answers that vary between server versions (a `listCollections` `uuid` that is not
//! binary, for one).

use futures_util::future::join_all;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::{Collection, Database};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use super::documents::op_error;
use super::{extjson, map_error, MongoClient};
use crate::engines::EngineError;

/// Databases MongoDB itself needs; they can be read but not dropped through the API.
const SYSTEM_DATABASES: [&str; 3] = ["admin", "config", "local"];

/// Refuses a database name MongoDB would refuse (or that would address something else).
pub fn check_database_name(name: &str) -> Result<(), EngineError> {
    let bad = name.chars().find(|c| "/\\. \"$*<>:|?\0".contains(*c));
    if name.is_empty() || name.len() > 63 || bad.is_some() {
        return Err(EngineError::Config(format!(
            "`{name}` is not a valid database name: 1-63 bytes without / \\ . space \" $ * < > : | ?"
        )));
    }
    Ok(())
}

/// Refuses a collection name MongoDB would refuse.
pub fn check_collection_name(name: &str) -> Result<(), EngineError> {
    if name.is_empty() || name.contains('$') || name.contains('\0') || name.len() > 255 {
        return Err(EngineError::Config(format!(
            "`{name}` is not a valid collection name: 1-255 bytes without $ or NUL"
        )));
    }
    Ok(())
}

fn database(client: &MongoClient, name: &str) -> Database {
    client.client().database(name)
}

/// Runs a command that answers with a cursor and reads every batch.
async fn cursor_command(db: &Database, command: Document) -> Result<Vec<Document>, EngineError> {
    let cursor = db.run_cursor_command(command).await.map_err(map_error)?;
    cursor.try_collect().await.map_err(map_error)
}

/// A number field as a JSON number (integers stay integers), or `null` when absent.
fn number(doc: &Document, key: &str) -> Value {
    match doc.get(key) {
        Some(Bson::Int32(n)) => Value::from(*n),
        Some(Bson::Int64(n)) => Value::from(*n),
        Some(Bson::Double(n)) => serde_json::Number::from_f64(*n).map(Value::Number).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// One database in a listing (spec 4.2).
#[derive(Debug, Serialize, JsonSchema)]
pub struct DatabaseSummary {
    /// Name.
    pub name: String,
    /// Bytes on disk.
    pub size_on_disk: Value,
    /// Whether it holds no data.
    pub empty: bool,
    /// Collections and views in it; `null` when the user may not list them.
    pub collections: Option<usize>,
}

/// Every database the user may see, with its collection count (counted concurrently).
pub async fn list_databases(client: &MongoClient) -> Result<Vec<DatabaseSummary>, EngineError> {
    let reply = database(client, "admin")
        .run_command(doc! { "listDatabases": 1, "authorizedDatabases": true })
        .await
        .map_err(map_error)?;
    let entries: Vec<Document> = match reply.get_array("databases") {
        Ok(list) => list.iter().filter_map(|b| b.as_document().cloned()).collect(),
        Err(_) => Vec::new(),
    };
    let counts = join_all(entries.iter().map(|entry| async move {
        let name = entry.get_str("name").ok()?;
        let command = doc! { "listCollections": 1, "nameOnly": true, "authorizedCollections": true };
        cursor_command(&database(client, name), command).await.ok().map(|c| c.len())
    }))
    .await;
    Ok(entries
        .iter()
        .zip(counts)
        .filter_map(|(entry, collections)| {
            Some(DatabaseSummary {
                name: entry.get_str("name").ok()?.to_string(),
                size_on_disk: number(entry, "sizeOnDisk"),
                empty: entry.get_bool("empty").unwrap_or(false),
                collections,
            })
        })
        .collect())
}

async fn database_exists(client: &MongoClient, name: &str) -> Result<bool, EngineError> {
    let names = client.client().list_database_names().await.map_err(map_error)?;
    Ok(names.iter().any(|n| n == name))
}

/// Creates a database by creating its first collection (MongoDB has no empty databases).
pub async fn create_database(client: &MongoClient, name: &str, collection: &str) -> Result<(), EngineError> {
    check_database_name(name)?;
    check_collection_name(collection)?;
    if database_exists(client, name).await? {
        return Err(EngineError::Conflict(format!("database `{name}` already exists")));
    }
    let db = database(client, name);
    match db.run_command(doc! { "create": collection }).await {
        Ok(_) => Ok(()),
        Err(e) => Err(op_error(&db.collection(collection), e).await),
    }
}

/// Drops a database; a system database is refused, a missing one is a 404.
pub async fn drop_database(client: &MongoClient, name: &str) -> Result<(), EngineError> {
    check_database_name(name)?;
    if SYSTEM_DATABASES.contains(&name) {
        return Err(EngineError::Config(format!("`{name}` is a system database and cannot be dropped here")));
    }
    if !database_exists(client, name).await? {
        return Err(EngineError::NotFound(format!("database `{name}` not found")));
    }
    database(client, name).run_command(doc! { "dropDatabase": 1 }).await.map_err(map_error)?;
    Ok(())
}

/// `dbStats` in the spec's snake_case (spec 4.2). `db` is the name asked for.
pub async fn database_stats(client: &MongoClient, name: &str) -> Result<Value, EngineError> {
    check_database_name(name)?;
    let stats = database(client, name).run_command(doc! { "dbStats": 1, "scale": 1 }).await.map_err(map_error)?;
    let fields = [
        ("collections", "collections"),
        ("views", "views"),
        ("objects", "objects"),
        ("avg_obj_size", "avgObjSize"),
        ("data_size", "dataSize"),
        ("storage_size", "storageSize"),
        ("indexes", "indexes"),
        ("index_size", "indexSize"),
        ("total_size", "totalSize"),
        ("fs_used_size", "fsUsedSize"),
        ("fs_total_size", "fsTotalSize"),
    ];
    let mut out = Map::new();
    out.insert("db".into(), Value::from(name));
    for (ours, theirs) in fields {
        out.insert(ours.into(), number(&stats, theirs));
    }
    Ok(Value::Object(out))
}

/// One collection or view in a listing (spec 4.3).
#[derive(Debug, Serialize, JsonSchema)]
pub struct CollectionSummary {
    /// Name.
    pub name: String,
    /// `collection`, `view` or `timeseries`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Creation options (capped, validator, viewOn, …) as relaxed Extended JSON.
    pub options: Value,
    /// Sizes from `collStats`; `null` for a view or when the server does not say.
    pub info: Option<CollectionInfo>,
}

/// Sizes of a collection.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CollectionInfo {
    /// Documents.
    pub count: Value,
    /// Bytes of uncompressed data.
    pub size: Value,
    /// Average document size in bytes.
    pub avg_obj_size: Value,
    /// Bytes allocated on disk.
    pub storage_size: Value,
    /// Number of indexes.
    pub indexes: Value,
    /// Bytes of all indexes.
    pub total_index_size: Value,
}

async fn collection_stats(db: &Database, name: &str) -> Result<Document, EngineError> {
    db.run_command(doc! { "collStats": name, "scale": 1 }).await.map_err(map_error)
}

/// The collections and views of a database, with sizes fetched concurrently.
pub async fn list_collections(
    client: &MongoClient,
    database_name: &str,
) -> Result<Vec<CollectionSummary>, EngineError> {
    check_database_name(database_name)?;
    let db = database(client, database_name);
    let mut entries = cursor_command(&db, doc! { "listCollections": 1, "authorizedCollections": true }).await?;
    entries.sort_by(|a, b| a.get_str("name").unwrap_or_default().cmp(b.get_str("name").unwrap_or_default()));
    let infos = join_all(entries.iter().map(|entry| {
        let db = &db;
        async move {
            let name = entry.get_str("name").ok()?;
            if entry.get_str("type") == Ok("view") {
                return None;
            }
            let stats = collection_stats(db, name).await.ok()?;
            Some(CollectionInfo {
                count: number(&stats, "count"),
                size: number(&stats, "size"),
                avg_obj_size: number(&stats, "avgObjSize"),
                storage_size: number(&stats, "storageSize"),
                indexes: number(&stats, "nindexes"),
                total_index_size: number(&stats, "totalIndexSize"),
            })
        }
    }))
    .await;
    Ok(entries
        .into_iter()
        .zip(infos)
        .filter_map(|(entry, info)| {
            Some(CollectionSummary {
                name: entry.get_str("name").ok()?.to_string(),
                kind: entry.get_str("type").unwrap_or("collection").to_string(),
                options: extjson::document_to_json(entry.get_document("options").cloned().unwrap_or_default()),
                info,
            })
        })
        .collect())
}

/// A collection or view to create (spec 4.3), already parsed and checked for forbidden operators.
#[derive(Debug, Clone, Default)]
pub struct NewCollection {
    /// Fixed-size collection.
    pub capped: Option<bool>,
    /// Bytes of a capped collection.
    pub size: Option<i64>,
    /// Most documents in a capped collection.
    pub max: Option<i64>,
    /// Document validator.
    pub validator: Option<Document>,
    /// `off`, `strict` or `moderate`.
    pub validation_level: Option<String>,
    /// `error` or `warn`.
    pub validation_action: Option<String>,
    /// Source collection of a view.
    pub view_on: Option<String>,
    /// Pipeline of a view.
    pub pipeline: Option<Vec<Document>>,
}

impl NewCollection {
    /// The options of the `create` command, refusing combinations MongoDB would refuse later.
    fn command_options(&self) -> Result<Document, EngineError> {
        let bad = |m: &str| Err(EngineError::Config(m.to_string()));
        let capped = self.capped == Some(true);
        if capped && self.size.is_none_or(|s| s <= 0) {
            return bad("a capped collection needs a positive size (bytes)");
        }
        if !capped && (self.size.is_some() || self.max.is_some()) {
            return bad("size and max apply to capped collections only (set capped: true)");
        }
        if self.max.is_some_and(|m| m <= 0) {
            return bad("max must be a positive number of documents");
        }
        if let Some(level) = &self.validation_level {
            if !["off", "strict", "moderate"].contains(&level.as_str()) {
                return bad("validationLevel must be off, strict or moderate");
            }
        }
        if let Some(action) = &self.validation_action {
            if !["error", "warn"].contains(&action.as_str()) {
                return bad("validationAction must be error or warn");
            }
        }
        if self.pipeline.is_some() && self.view_on.is_none() {
            return bad("pipeline applies to views only (set viewOn)");
        }
        if let Some(source) = &self.view_on {
            check_collection_name(source)?;
            if capped || self.validator.is_some() || self.validation_level.is_some() || self.validation_action.is_some()
            {
                return bad("a view cannot be capped or have a validator");
            }
        }
        let mut options = Document::new();
        if let Some(c) = self.capped {
            options.insert("capped", c);
        }
        if let Some(s) = self.size {
            options.insert("size", s);
        }
        if let Some(m) = self.max {
            options.insert("max", m);
        }
        if let Some(v) = &self.validator {
            options.insert("validator", v.clone());
        }
        if let Some(l) = &self.validation_level {
            options.insert("validationLevel", l.clone());
        }
        if let Some(a) = &self.validation_action {
            options.insert("validationAction", a.clone());
        }
        if let Some(v) = &self.view_on {
            options.insert("viewOn", v.clone());
            options.insert("pipeline", self.pipeline.clone().unwrap_or_default());
        }
        Ok(options)
    }
}

/// Creates a collection or view and returns the options sent, as relaxed Extended JSON.
pub async fn create_collection(
    client: &MongoClient,
    database_name: &str,
    name: &str,
    new: &NewCollection,
) -> Result<Value, EngineError> {
    check_database_name(database_name)?;
    check_collection_name(name)?;
    let options = new.command_options()?;
    let mut command = doc! { "create": name };
    command.extend(options.clone());
    let db = database(client, database_name);
    match db.run_command(command).await {
        Ok(_) => Ok(extjson::document_to_json(options)),
        Err(e) => Err(op_error(&db.collection(name), e).await),
    }
}

async fn collection_exists(db: &Database, name: &str) -> Result<bool, EngineError> {
    let command = doc! { "listCollections": 1, "filter": { "name": name }, "nameOnly": true };
    // The names are compared again rather than trusting the server to have applied the filter.
    Ok(cursor_command(db, command).await?.iter().any(|c| c.get_str("name") == Ok(name)))
}

/// Drops a collection or view; a missing one is a 404 (mongod 7 would silently succeed).
pub async fn drop_collection(client: &MongoClient, database_name: &str, name: &str) -> Result<(), EngineError> {
    check_database_name(database_name)?;
    check_collection_name(name)?;
    let db = database(client, database_name);
    if !collection_exists(&db, name).await? {
        return Err(EngineError::NotFound(format!("collection `{database_name}.{name}` not found")));
    }
    match db.run_command(doc! { "drop": name }).await {
        Ok(_) => Ok(()),
        Err(e) => Err(op_error(&db.collection(name), e).await),
    }
}

/// One index (spec 4.5).
#[derive(Debug, Serialize, JsonSchema)]
pub struct IndexSummary {
    /// Name.
    pub name: String,
    /// Key pattern, in order.
    pub key: Value,
    /// Unique index.
    pub unique: bool,
    /// Sparse index.
    pub sparse: bool,
    /// `expireAfterSeconds` of a TTL index.
    pub ttl: Option<Value>,
    /// `partialFilterExpression` of a partial index.
    pub partial_filter: Option<Value>,
    /// Bytes, from `collStats` `indexSizes`; `null` when the server does not report it.
    pub size: Option<Value>,
}

/// The indexes of a collection with their sizes.
pub async fn list_indexes(
    client: &MongoClient,
    database_name: &str,
    collection_name: &str,
) -> Result<Vec<IndexSummary>, EngineError> {
    check_database_name(database_name)?;
    check_collection_name(collection_name)?;
    let db = database(client, database_name);
    let coll: Collection<Document> = db.collection(collection_name);
    let indexes = match db.run_cursor_command(doc! { "listIndexes": collection_name }).await {
        Ok(cursor) => cursor.try_collect::<Vec<Document>>().await.map_err(map_error)?,
        Err(e) => return Err(op_error(&coll, e).await),
    };
    // Sizes are a nicety: an index listing still answers when collStats is not allowed.
    let sizes = collection_stats(&db, collection_name)
        .await
        .ok()
        .and_then(|s| s.get_document("indexSizes").ok().cloned())
        .unwrap_or_default();
    Ok(indexes
        .into_iter()
        .filter_map(|index| {
            let name = index.get_str("name").ok()?.to_string();
            let size = Some(number(&sizes, &name)).filter(|v| !v.is_null());
            Some(IndexSummary {
                key: extjson::document_to_json(index.get_document("key").cloned().unwrap_or_default()),
                unique: index.get_bool("unique").unwrap_or(false),
                sparse: index.get_bool("sparse").unwrap_or(false),
                ttl: Some(number(&index, "expireAfterSeconds")).filter(|v| !v.is_null()),
                partial_filter: index
                    .get_document("partialFilterExpression")
                    .ok()
                    .cloned()
                    .map(extjson::document_to_json),
                size,
                name,
            })
        })
        .collect())
}

/// An index to create (spec 4.5), already parsed and checked for forbidden operators.
#[derive(Debug, Clone, Default)]
pub struct NewIndex {
    /// Key pattern: fields with 1, -1 or an index type (`"text"`, `"2dsphere"`, `"hashed"`).
    pub keys: Document,
    /// Name; MongoDB's default (`field_1_other_-1`) when absent.
    pub name: Option<String>,
    /// Unique.
    pub unique: Option<bool>,
    /// Sparse.
    pub sparse: Option<bool>,
    /// Seconds after the date in the (single) key field when a document expires.
    pub expire_after_seconds: Option<i64>,
    /// Only documents matching this are indexed.
    pub partial_filter: Option<Document>,
    /// Accepted for compatibility; ignored by MongoDB since 4.2.
    pub background: Option<bool>,
}

/// MongoDB's default index name: each field and its value joined by `_`.
fn default_index_name(keys: &Document) -> String {
    keys.iter()
        .map(|(field, value)| {
            let v = match value {
                Bson::String(s) => s.clone(),
                Bson::Int32(n) => n.to_string(),
                Bson::Int64(n) => n.to_string(),
                Bson::Double(n) => n.to_string(),
                other => other.to_string(),
            };
            format!("{field}_{v}")
        })
        .collect::<Vec<_>>()
        .join("_")
}

/// Creates an index and returns its name.
pub async fn create_index(
    client: &MongoClient,
    database_name: &str,
    collection_name: &str,
    new: NewIndex,
) -> Result<String, EngineError> {
    check_database_name(database_name)?;
    check_collection_name(collection_name)?;
    if new.keys.is_empty() {
        return Err(EngineError::Config("key must name at least one field".into()));
    }
    for (field, value) in &new.keys {
        let ok = match value {
            Bson::Int32(n) => *n == 1 || *n == -1,
            Bson::Int64(n) => *n == 1 || *n == -1,
            Bson::Double(n) => *n == 1.0 || *n == -1.0,
            Bson::String(s) => ["text", "2d", "2dsphere", "hashed", "wildcard"].contains(&s.as_str()) || s == "$**",
            _ => false,
        };
        if !ok {
            return Err(EngineError::Config(format!(
                "key `{field}` must be 1, -1 or an index type (text, 2d, 2dsphere, hashed)"
            )));
        }
    }
    if new.expire_after_seconds.is_some_and(|s| s < 0) {
        return Err(EngineError::Config("expireAfterSeconds must not be negative".into()));
    }
    let name = new.name.clone().unwrap_or_else(|| default_index_name(&new.keys));
    let mut index = doc! { "key": new.keys, "name": &name };
    if let Some(u) = new.unique {
        index.insert("unique", u);
    }
    if let Some(s) = new.sparse {
        index.insert("sparse", s);
    }
    if let Some(t) = new.expire_after_seconds {
        index.insert("expireAfterSeconds", t);
    }
    if let Some(p) = new.partial_filter {
        index.insert("partialFilterExpression", p);
    }
    if let Some(b) = new.background {
        index.insert("background", b);
    }
    let db = database(client, database_name);
    match db.run_command(doc! { "createIndexes": collection_name, "indexes": [index] }).await {
        Ok(_) => Ok(name),
        Err(e) => Err(op_error(&db.collection(collection_name), e).await),
    }
}

/// Drops an index by name; `_id_` is refused (MongoDB would refuse it too, less clearly).
pub async fn drop_index(
    client: &MongoClient,
    database_name: &str,
    collection_name: &str,
    name: &str,
) -> Result<(), EngineError> {
    check_database_name(database_name)?;
    check_collection_name(collection_name)?;
    if name == "_id_" {
        return Err(EngineError::Config("the _id_ index cannot be dropped".into()));
    }
    if name == "*" {
        return Err(EngineError::Config("drop indexes one at a time, by name".into()));
    }
    let db = database(client, database_name);
    match db.run_command(doc! { "dropIndexes": collection_name, "index": name }).await {
        Ok(_) => Ok(()),
        Err(e) => Err(op_error(&db.collection(collection_name), e).await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_database_name("app_1").is_ok());
        for bad in ["", "a.b", "a b", "a/b", "a$", &"x".repeat(64)] {
            assert!(check_database_name(bad).is_err(), "{bad}");
        }
        assert!(check_collection_name("users.archive").is_ok());
        assert!(check_collection_name("a$b").is_err());
        assert!(check_collection_name("").is_err());
    }

    #[test]
    fn default_index_names_follow_mongodb() {
        assert_eq!(default_index_name(&doc! { "email": 1, "age": -1 }), "email_1_age_-1");
        assert_eq!(default_index_name(&doc! { "body": "text" }), "body_text");
    }

    #[test]
    fn collection_options_are_checked_and_sent_as_given() {
        let capped = NewCollection { capped: Some(true), size: Some(4096), max: Some(10), ..Default::default() };
        assert_eq!(capped.command_options().unwrap(), doc! { "capped": true, "size": 4096_i64, "max": 10_i64 });
        let no_size = NewCollection { capped: Some(true), ..Default::default() };
        assert!(no_size.command_options().is_err());
        let stray = NewCollection { size: Some(1), ..Default::default() };
        assert!(stray.command_options().is_err());
        let level = NewCollection { validation_level: Some("sometimes".into()), ..Default::default() };
        assert!(level.command_options().is_err());
        let view = NewCollection { view_on: Some("users".into()), ..Default::default() };
        assert_eq!(view.command_options().unwrap(), doc! { "viewOn": "users", "pipeline": [] });
        let bad_view =
            NewCollection { view_on: Some("u".into()), capped: Some(true), size: Some(1), ..Default::default() };
        assert!(bad_view.command_options().is_err());
    }
}
