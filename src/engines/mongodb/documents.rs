//! Documents of one collection: paged queries with a bounded count, inserts, reads, updates and
//! deletes by `_id`, and aggregation with a time cap and a result cap.
//!
//! Every function takes BSON that the API layer has already parsed from Extended JSON and checked
//! with [`super::sanitize`], and returns relaxed Extended JSON.

use std::time::Duration;

use futures_util::TryStreamExt;
use mongodb::bson::{Bson, Document};
use mongodb::error::{Error as MongoError, ErrorKind, WriteFailure};
use mongodb::options::{Collation, Hint};
use mongodb::Collection;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value};

use super::extjson::{self, DocumentId};
use super::{map_error, MongoClient};
use crate::engines::{within, EngineError};

/// Default page size of a query.
pub const DEFAULT_LIMIT: i64 = 20;
/// Largest page size of a query.
pub const MAX_LIMIT: i64 = 1000;
/// Most documents accepted by one insert.
pub const MAX_INSERT_BATCH: usize = 1000;
/// Most documents an aggregation returns; the rest are dropped and `truncated` is set.
pub const MAX_AGGREGATE_RESULTS: usize = 1000;
/// Time limit (`maxTimeMS`) of a query or aggregation; callers may ask for less, never more.
pub const MAX_TIME: Duration = Duration::from_secs(30);
/// Time limit of the count that goes with a page: past it the page comes back without a total.
pub const COUNT_TIME: Duration = Duration::from_secs(5);
/// Extra wait beyond `maxTimeMS` before we stop waiting for a server that ignores it.
const GRACE: Duration = Duration::from_secs(5);

/// MongoDB's error codes we act on.
mod code {
    pub const MAX_TIME_EXPIRED: i32 = 50;
    pub const DUPLICATE_KEY: i32 = 11000;
    pub const NAMESPACE_NOT_FOUND: i32 = 26;
    pub const INDEX_NOT_FOUND: i32 = 27;
    pub const NAMESPACE_EXISTS: i32 = 48;
}

/// A server-side error: code, message and `errInfo`, whatever operation it came from.
pub(super) fn server_error(err: &MongoError) -> Option<(i32, String, Option<Document>)> {
    match err.kind.as_ref() {
        ErrorKind::Command(c) => Some((c.code, c.message.clone(), None)),
        ErrorKind::Write(WriteFailure::WriteError(w)) => Some((w.code, w.message.clone(), w.details.clone())),
        ErrorKind::Write(WriteFailure::WriteConcernError(w)) => Some((w.code, w.message.clone(), w.details.clone())),
        ErrorKind::InsertMany(e) => {
            e.write_errors.as_ref().and_then(|w| w.first()).map(|w| (w.code, w.message.clone(), w.details.clone()))
        }
        _ => None,
    }
}

/// Maps a driver error on `coll`: a duplicate key becomes a conflict naming the index and its key
/// pattern, a missing namespace or index a 404, any other server error a query error with its code.
pub(super) async fn op_error(coll: &Collection<Document>, err: MongoError) -> EngineError {
    let Some((code, message, info)) = server_error(&err) else { return map_error(err) };
    match code {
        code::DUPLICATE_KEY => duplicate_key(coll, &message).await,
        code::NAMESPACE_NOT_FOUND | code::INDEX_NOT_FOUND => EngineError::NotFound(message),
        code::NAMESPACE_EXISTS => EngineError::Conflict(message),
        _ => EngineError::Query {
            message,
            details: Some(json!({ "code": code, "info": info.map(extjson::document_to_json) })),
        },
    }
}

/// mongod names the index in a duplicate-key message (`… index: email_1 dup key: { … }`); its key
/// pattern comes from `listIndexes`. The driver does not pass on the server's `keyPattern` field.
async fn duplicate_key(coll: &Collection<Document>, message: &str) -> EngineError {
    let name = message.split_once(" index: ").and_then(|(_, rest)| rest.split_whitespace().next());
    let mut pattern = None;
    if let Some(name) = name {
        if let Ok(indexes) = coll.list_indexes().await {
            let found: Vec<_> = indexes.try_collect().await.unwrap_or_default();
            pattern = found.into_iter().find(|i| i.options.as_ref().and_then(|o| o.name.as_deref()) == Some(name));
        }
    }
    match (name, pattern) {
        (Some(name), Some(index)) => EngineError::Conflict(format!(
            "duplicate key: index {name} with key pattern {} already has this value ({message})",
            extjson::document_to_json(index.keys)
        )),
        _ => EngineError::Conflict(format!("duplicate key: {message}")),
    }
}

fn collection(client: &MongoClient, database: &str, name: &str) -> Collection<Document> {
    client.client().database(database).collection(name)
}

/// What a page query asks for.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// The filter (`{}` for everything).
    pub filter: Document,
    /// Fields to return.
    pub projection: Option<Document>,
    /// Sort order; without one, pages follow the server's natural order, which is not stable.
    pub sort: Option<Document>,
    /// Page size, already within 1..=[`MAX_LIMIT`].
    pub limit: i64,
    /// Documents to skip.
    pub skip: u64,
    /// Count the matches too (a UI paging through results can ask once, not on every page).
    pub count: bool,
}

/// One page of documents (spec 4.4).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Page {
    /// The documents, as relaxed Extended JSON.
    pub documents: Vec<Value>,
    /// Documents matching the filter; `null` when counting took longer than [`COUNT_TIME`] or was
    /// not asked for (`count=false`).
    pub total: Option<u64>,
    /// `total` is the collection's metadata count (no filter), which can drift after an unclean
    /// shutdown or on a sharded cluster with orphans.
    pub total_is_estimate: bool,
    /// Counting was stopped at [`COUNT_TIME`]; `total` is `null`.
    pub count_timed_out: bool,
    /// 1-based page number, `skip / limit + 1`.
    pub page: u64,
    /// The page size used.
    pub page_size: i64,
    /// Whether more documents follow (one more than the page was fetched to know).
    pub has_more: bool,
}

struct Count {
    total: Option<u64>,
    estimate: bool,
    timed_out: bool,
}

/// Counts for a page: the metadata count when there is no filter (a full count of a big
/// collection is a scan), else `countDocuments` bounded by [`COUNT_TIME`]; running out of time
/// is not an error, the page just has no total.
async fn count(coll: &Collection<Document>, filter: &Document) -> Result<Count, EngineError> {
    if filter.is_empty() {
        return match coll.estimated_document_count().max_time(COUNT_TIME).await {
            Ok(n) => Ok(Count { total: Some(n), estimate: true, timed_out: false }),
            Err(e) => Err(op_error(coll, e).await),
        };
    }
    let timed_out = Count { total: None, estimate: false, timed_out: true };
    // The server enforces maxTimeMS; the local timeout covers a server that does not.
    let counted = tokio::time::timeout(COUNT_TIME + GRACE, coll.count_documents(filter.clone()).max_time(COUNT_TIME));
    match counted.await {
        Err(_) => Ok(timed_out),
        Ok(Ok(n)) => Ok(Count { total: Some(n), estimate: false, timed_out: false }),
        Ok(Err(e)) if server_error(&e).is_some_and(|(c, _, _)| c == code::MAX_TIME_EXPIRED) => Ok(timed_out),
        Ok(Err(e)) => Err(op_error(coll, e).await),
    }
}

/// One page of a query, with its count; both run at once.
pub async fn find(client: &MongoClient, database: &str, collection_name: &str, q: Query) -> Result<Page, EngineError> {
    let coll = collection(client, database, collection_name);
    let fetch = async {
        // One batch for the whole page: no getMore round trips.
        let batch = u32::try_from(q.limit + 1).unwrap_or(u32::MAX);
        let mut find = coll.find(q.filter.clone()).skip(q.skip).limit(q.limit + 1).batch_size(batch).max_time(MAX_TIME);
        if let Some(p) = q.projection.clone() {
            find = find.projection(p);
        }
        if let Some(s) = q.sort.clone() {
            find = find.sort(s);
        }
        let docs: Result<Vec<Document>, MongoError> = match find.await {
            Ok(cursor) => cursor.try_collect().await,
            Err(e) => Err(e),
        };
        match docs {
            Ok(docs) => Ok(docs),
            Err(e) => Err(op_error(&coll, e).await),
        }
    };
    let counting = async {
        if q.count {
            count(&coll, &q.filter).await
        } else {
            Ok(Count { total: None, estimate: false, timed_out: false })
        }
    };
    let (docs, count) = tokio::join!(within(MAX_TIME + GRACE, "the query", fetch), counting);
    let mut docs = docs?;
    let count = count?;
    let limit = usize::try_from(q.limit).unwrap_or(usize::MAX);
    let has_more = docs.len() > limit;
    docs.truncate(limit);
    Ok(Page {
        documents: docs.into_iter().map(extjson::document_to_json).collect(),
        total: count.total,
        total_is_estimate: count.estimate,
        count_timed_out: count.timed_out,
        page: q.skip / q.limit.max(1) as u64 + 1,
        page_size: q.limit,
        has_more,
    })
}

/// Result of an insert.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Inserted {
    /// The `_id` of each document, in the order sent, as Extended JSON.
    pub inserted_ids: Vec<Value>,
    /// How many were inserted.
    pub inserted_count: usize,
}

/// Inserts documents in order (one `insert` command for one document, `insertMany` for several);
/// the first failure stops the batch.
pub async fn insert(
    client: &MongoClient,
    database: &str,
    collection_name: &str,
    mut documents: Vec<Document>,
) -> Result<Inserted, EngineError> {
    let coll = collection(client, database, collection_name);
    let ids = if documents.len() == 1 {
        let document = documents.remove(0);
        match coll.insert_one(document).await {
            Ok(r) => vec![r.inserted_id],
            Err(e) => return Err(op_error(&coll, e).await),
        }
    } else {
        match coll.insert_many(documents).await {
            Ok(r) => {
                let mut ids: Vec<(usize, Bson)> = r.inserted_ids.into_iter().collect();
                ids.sort_by_key(|(i, _)| *i);
                ids.into_iter().map(|(_, id)| id).collect()
            }
            Err(e) => return Err(op_error(&coll, e).await),
        }
    };
    Ok(Inserted { inserted_count: ids.len(), inserted_ids: ids.into_iter().map(extjson::to_json).collect() })
}

/// The document with this `_id`, if any.
pub async fn get(
    client: &MongoClient,
    database: &str,
    collection_name: &str,
    id: &DocumentId,
) -> Result<Option<Value>, EngineError> {
    let coll = collection(client, database, collection_name);
    match coll.find_one(id.filter()).max_time(MAX_TIME).await {
        Ok(found) => Ok(found.map(extjson::document_to_json)),
        Err(e) => Err(op_error(&coll, e).await),
    }
}

/// How to change a document.
#[derive(Debug, Clone)]
pub enum Change {
    /// Update operators (`$set`, `$inc`, …).
    Operators(Document),
    /// A whole new document (keeping the `_id`).
    Replacement(Document),
}

/// Result of an update (the driver's, with the upserted id as Extended JSON).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Updated {
    /// Documents matched by `_id` (0 or 1).
    pub matched_count: u64,
    /// Documents changed (0 when the update set what was already there).
    pub modified_count: u64,
    /// The `_id` of a document created by `upsert`.
    pub upserted_id: Option<Value>,
}

/// Updates or replaces the document with this `_id`, creating it when `upsert` is set.
pub async fn update(
    client: &MongoClient,
    database: &str,
    collection_name: &str,
    id: &DocumentId,
    change: Change,
    upsert: bool,
) -> Result<Updated, EngineError> {
    let coll = collection(client, database, collection_name);
    let filter = id.filter();
    let result = match change {
        Change::Operators(update) => coll.update_one(filter, update).upsert(upsert).await,
        Change::Replacement(replacement) => coll.replace_one(filter, replacement).upsert(upsert).await,
    };
    match result {
        Ok(r) => Ok(Updated {
            matched_count: r.matched_count,
            modified_count: r.modified_count,
            upserted_id: r.upserted_id.map(extjson::to_json),
        }),
        Err(e) => Err(op_error(&coll, e).await),
    }
}

/// Deletes the document with this `_id`; `false` when there was none.
pub async fn delete(
    client: &MongoClient,
    database: &str,
    collection_name: &str,
    id: &DocumentId,
) -> Result<bool, EngineError> {
    let coll = collection(client, database, collection_name);
    match coll.delete_one(id.filter()).await {
        Ok(r) => Ok(r.deleted_count > 0),
        Err(e) => Err(op_error(&coll, e).await),
    }
}

/// Options of an aggregation (spec 4.4), already validated.
#[derive(Debug, Clone, Default)]
pub struct AggregateOptions {
    /// Let stages spill to disk.
    pub allow_disk_use: Option<bool>,
    /// Time limit, at most [`MAX_TIME`].
    pub max_time: Duration,
    /// Collation.
    pub collation: Option<Document>,
    /// Index to use, by name or key pattern.
    pub hint: Option<Bson>,
    /// Cursor batch size.
    pub batch_size: Option<u32>,
}

/// Result of an aggregation.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Aggregated {
    /// Up to [`MAX_AGGREGATE_RESULTS`] documents, as relaxed Extended JSON.
    pub documents: Vec<Value>,
    /// Whether results were dropped at the cap.
    pub truncated: bool,
    /// The cap.
    pub limit: usize,
    /// The `maxTimeMS` the server was given.
    pub max_time_ms: u64,
}

/// Runs a pipeline, reading at most one document past the cap to know whether it truncated.
pub async fn aggregate(
    client: &MongoClient,
    database: &str,
    collection_name: &str,
    pipeline: Vec<Document>,
    options: AggregateOptions,
) -> Result<Aggregated, EngineError> {
    let coll = collection(client, database, collection_name);
    let collation: Option<Collation> = match options.collation {
        Some(c) => Some(
            mongodb::bson::from_document(c)
                .map_err(|e| EngineError::Config(format!("options.collation is not a valid collation: {e}")))?,
        ),
        None => None,
    };
    let hint = match options.hint {
        None => None,
        Some(Bson::String(name)) => Some(Hint::Name(name)),
        Some(Bson::Document(keys)) => Some(Hint::Keys(keys)),
        Some(_) => return Err(EngineError::Config("options.hint must be an index name or a key pattern".into())),
    };
    let run = async {
        let mut action = coll.aggregate(pipeline).max_time(options.max_time);
        if let Some(v) = options.allow_disk_use {
            action = action.allow_disk_use(v);
        }
        if let Some(c) = collation {
            action = action.collation(c);
        }
        if let Some(h) = hint {
            action = action.hint(h);
        }
        if let Some(b) = options.batch_size {
            action = action.batch_size(b);
        }
        let mut cursor = match action.await {
            Ok(c) => c,
            Err(e) => return Err(op_error(&coll, e).await),
        };
        let mut documents = Vec::new();
        loop {
            match cursor.try_next().await {
                Ok(Some(d)) if documents.len() < MAX_AGGREGATE_RESULTS => documents.push(d),
                // One past the cap: stop reading; dropping the cursor kills it on the server.
                Ok(Some(_)) => return Ok((documents, true)),
                Ok(None) => return Ok((documents, false)),
                Err(e) => return Err(op_error(&coll, e).await),
            }
        }
    };
    let (documents, truncated) = within(options.max_time + GRACE, "the aggregation", run).await?;
    Ok(Aggregated {
        documents: documents.into_iter().map(extjson::document_to_json).collect(),
        truncated,
        limit: MAX_AGGREGATE_RESULTS,
        max_time_ms: u64::try_from(options.max_time.as_millis()).unwrap_or(u64::MAX),
    })
}
