//! MongoDB data routes (spec 4.2-4.5): databases, collections, documents, aggregation and indexes,
//! on the project's primary MongoDB connection or `?connection_id=`.
//!
//! Reads need viewer; inserts, updates, deletes and creating collections, databases or indexes need
//! developer (so does an aggregation with `$out` or `$merge`); dropping a collection or a database
//! needs admin. Everything a caller sends is Extended JSON: it is parsed as JSON (400 naming the
//! parameter), searched for `$where`, `$function` and `$accumulator` (400 QUERY_ERROR, nothing
//! sent), and only then converted to BSON.

use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use mongodb::bson::Document;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::open::Opened;
use super::{ApiJson, ApiPath, ApiQuery, Created, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::{ConnectionId, Permission};
use crate::engines::export::Format;
use crate::engines::mongodb::admin::{self, NewCollection, NewIndex};
use crate::engines::mongodb::documents::{self, AggregateOptions, Change, Query};
use crate::engines::mongodb::extjson::DocumentId;
use crate::engines::mongodb::{export, extjson, sanitize, MongoClient};
use crate::engines::EngineError;
use crate::error::{ApiError, ApiResult};

/// Picks the connection: `?connection_id=` or the primary.
#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub(super) connection_id: Option<ConnectionId>,
}

/// The project's MongoDB client and the connection it belongs to.
pub(super) type Mongo = Opened<MongoClient>;

/// Checks a caller's JSON for forbidden operators, then converts it to a document.
pub(super) fn document(what: &str, value: Value) -> ApiResult<Document> {
    sanitize::check(what, &value).map_err(EngineError::from)?;
    Ok(extjson::parse_document(what, value)?)
}

/// The same for a JSON text parameter of the query string; absent or empty is `None`.
fn document_param(what: &str, text: Option<&str>) -> ApiResult<Option<Document>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => Ok(Some(document(what, extjson::parse_text(what, text)?)?)),
    }
}

/// A pipeline: each stage is checked and converted, and errors name the stage (`pipeline[2]`).
pub(super) fn pipeline(what: &str, stages: Vec<Value>) -> ApiResult<Vec<Document>> {
    stages.into_iter().enumerate().map(|(i, stage)| document(&format!("{what}[{i}]"), stage)).collect()
}

/// `GET /api/platform/mongodb/{ref}/databases`.
pub async fn list_databases(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Vec<admin::DatabaseSummary>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    Ok(Data(mongo.scrubbed(&app, admin::list_databases(&mongo.client).await)?))
}

/// Body of `POST /databases`: MongoDB creates a database with its first collection.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDatabase {
    name: String,
    collection: String,
}

/// `POST /api/platform/mongodb/{ref}/databases`.
pub async fn create_database(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
    ApiJson(body): ApiJson<CreateDatabase>,
) -> ApiResult<Created<CreatedDatabase>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Write).await?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    mongo.scrubbed(&app, admin::create_database(&mongo.client, &body.name, &body.collection).await)?;
    Ok(Created(CreatedDatabase { name: body.name, collection: body.collection }))
}

/// The answer of `POST …/databases`.
#[derive(Serialize, JsonSchema)]
pub struct CreatedDatabase {
    /// The database's name.
    pub name: String,
    /// Its first collection (MongoDB keeps a database only while it holds one).
    pub collection: String,
}

/// The answer of `POST …/collections`.
#[derive(Serialize, JsonSchema)]
pub struct CreatedCollection {
    /// The collection's name.
    pub name: String,
    /// `collection`, or `view` when `view_on` was given.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The creation options as the server recorded them, in relaxed Extended JSON.
    pub options: Value,
}

/// The answer of `POST …/indexes`.
#[derive(Serialize, JsonSchema)]
pub struct CreatedIndex {
    /// The index's name (given, or the one MongoDB made from its keys).
    pub name: String,
}

/// `DELETE /api/platform/mongodb/{ref}/databases/{database}` (admin).
pub async fn drop_database(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<StatusCode> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Admin).await?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    mongo.scrubbed(&app, admin::drop_database(&mongo.client, &database).await)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/platform/mongodb/{ref}/databases/{database}/stats`.
pub async fn database_stats(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Value>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    Ok(Data(mongo.scrubbed(&app, admin::database_stats(&mongo.client, &database).await)?))
}

/// `GET /api/platform/mongodb/{ref}/databases/{database}/collections`.
pub async fn list_collections(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Vec<admin::CollectionSummary>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    Ok(Data(mongo.scrubbed(&app, admin::list_collections(&mongo.client, &database).await)?))
}

/// Options of a new collection or view (spec 4.3, plus `viewOn` and `pipeline`).
#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CollectionOptions {
    capped: Option<bool>,
    size: Option<i64>,
    max: Option<i64>,
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    validator: Option<Value>,
    validation_level: Option<String>,
    validation_action: Option<String>,
    view_on: Option<String>,
    #[schemars(with = "Option<Vec<serde_json::Map<String, Value>>>")]
    pipeline: Option<Vec<Value>>,
}

/// Body of `POST /collections`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCollection {
    name: String,
    #[serde(default)]
    options: CollectionOptions,
}

/// `POST /api/platform/mongodb/{ref}/databases/{database}/collections`: a collection or a view.
pub async fn create_collection(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<Target>,
    ApiJson(body): ApiJson<CreateCollection>,
) -> ApiResult<Created<CreatedCollection>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Write).await?;
    let o = body.options;
    let new = NewCollection {
        capped: o.capped,
        size: o.size,
        max: o.max,
        validator: o.validator.map(|v| document("options.validator", v)).transpose()?,
        validation_level: o.validation_level,
        validation_action: o.validation_action,
        view_on: o.view_on,
        pipeline: o.pipeline.map(|p| pipeline("options.pipeline", p)).transpose()?,
    };
    let kind = if new.view_on.is_some() { "view" } else { "collection" };
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    let options = mongo.scrubbed(&app, admin::create_collection(&mongo.client, &database, &body.name, &new).await)?;
    Ok(Created(CreatedCollection { name: body.name, kind, options }))
}

/// `DELETE /api/platform/mongodb/{ref}/databases/{database}/collections/{collection}` (admin).
pub async fn drop_collection(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database, collection)): ApiPath<(String, String, String)>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<StatusCode> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Admin).await?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    mongo.scrubbed(&app, admin::drop_collection(&mongo.client, &database, &collection).await)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of `GET /documents`: `filter`, `projection` and `sort` are JSON text.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindQuery {
    connection_id: Option<ConnectionId>,
    /// Query filter, an Extended JSON object, e.g. `{"age": {"$gt": 30}}` (operators are checked).
    filter: Option<String>,
    /// Fields to include or exclude, an Extended JSON object, e.g. `{"name": 1}`.
    projection: Option<String>,
    /// Sort order, an Extended JSON object, e.g. `{"created": -1}`.
    sort: Option<String>,
    /// Page size (1-1000, default 20).
    limit: Option<i64>,
    /// Documents to skip before the page.
    skip: Option<u64>,
    /// `false` skips counting the matches (`total` is then `null`).
    count: Option<bool>,
    /// For `Accept: text/csv`: the columns, comma-separated field paths (`name,address.city`);
    /// without them, the fields of the first 100 documents.
    fields: Option<String>,
    /// Streams every match as this format, as `Accept` would (for a download link, which cannot
    /// set headers): `ndjson` or `csv`.
    format: Option<Format>,
}

/// The columns of a CSV export: comma-separated field paths, each non-empty, none twice.
fn csv_fields(text: &str) -> ApiResult<Vec<String>> {
    let fields: Vec<String> = text.split(',').map(|f| f.trim().to_string()).collect();
    if fields.len() > export::MAX_COLUMNS {
        return Err(ApiError::validation(format!("fields names at most {} columns", export::MAX_COLUMNS)));
    }
    let mut seen = std::collections::HashSet::new();
    for field in &fields {
        if field.split('.').any(str::is_empty) {
            return Err(ApiError::validation(format!("fields: `{field}` is not a field path (a.b.c)")));
        }
        if !seen.insert(field.as_str()) {
            return Err(ApiError::validation(format!("fields: `{field}` is named twice")));
        }
    }
    Ok(fields)
}

/// `GET /api/platform/mongodb/{ref}/databases/{database}/collections/{collection}/documents`:
/// one page, or with `Accept: application/x-ndjson` every match (after `skip`) streamed as NDJSON,
/// or with `Accept: text/csv` as CSV (the columns `fields` names, or those of the first documents).
pub async fn find_documents(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database, collection)): ApiPath<(String, String, String)>,
    ApiQuery(q): ApiQuery<FindQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let query = Query {
        filter: document_param("filter", q.filter.as_deref())?.unwrap_or_default(),
        projection: document_param("projection", q.projection.as_deref())?,
        sort: document_param("sort", q.sort.as_deref())?,
        limit: q.limit.unwrap_or(documents::DEFAULT_LIMIT).clamp(1, documents::MAX_LIMIT),
        skip: q.skip.unwrap_or(0),
        count: q.count.unwrap_or(true),
    };
    admin::check_database_name(&database)?;
    admin::check_collection_name(&collection)?;
    let streamed = q.format.or_else(|| super::export::format(&headers));
    let fields = match (q.fields.as_deref(), streamed) {
        (None, _) => None,
        (Some(text), Some(Format::Csv)) => Some(csv_fields(text)?),
        (Some(_), _) => {
            return Err(ApiError::validation(
                "fields chooses the columns of a CSV export (Accept: text/csv); use projection otherwise",
            ))
        }
    };
    let mongo = Mongo::within(&app, &ctx, q.connection_id).await?;
    match streamed {
        Some(Format::Ndjson) => {
            let stream = mongo.scrubbed(&app, export::ndjson(&mongo.client, &database, &collection, query).await)?;
            return Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], Body::from_stream(stream)).into_response());
        }
        Some(Format::Csv) => {
            let stream =
                mongo.scrubbed(&app, export::csv(&mongo.client, &database, &collection, query, fields).await)?;
            return Ok(super::export::response(Format::Csv, stream, ()));
        }
        None => {}
    }
    let page = mongo.scrubbed(&app, documents::find(&mongo.client, &database, &collection, query).await)?;
    Ok(Data(page).into_response())
}

/// Body of `POST /documents`: one `document` or a batch of `documents`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InsertBody {
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    document: Option<Value>,
    #[schemars(with = "Option<Vec<serde_json::Map<String, Value>>>")]
    documents: Option<Vec<Value>>,
}

/// `POST /api/platform/mongodb/{ref}/databases/{database}/collections/{collection}/documents`.
///
/// Inserted documents are data, not queries: the server never evaluates their fields, so they are
/// not searched for `$where` and the like.
pub async fn insert_documents(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database, collection)): ApiPath<(String, String, String)>,
    ApiQuery(target): ApiQuery<Target>,
    ApiJson(body): ApiJson<InsertBody>,
) -> ApiResult<Created<documents::Inserted>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Write).await?;
    let docs = match (body.document, body.documents) {
        (Some(d), None) => vec![extjson::parse_document("document", d)?],
        (None, Some(list)) => {
            if list.is_empty() {
                return Err(ApiError::validation("documents must not be empty"));
            }
            if list.len() > documents::MAX_INSERT_BATCH {
                return Err(ApiError::validation(format!(
                    "at most {} documents per insert; this batch has {}, so split it into several requests",
                    documents::MAX_INSERT_BATCH,
                    list.len()
                )));
            }
            list.into_iter()
                .enumerate()
                .map(|(i, d)| Ok(extjson::parse_document(&format!("documents[{i}]"), d)?))
                .collect::<ApiResult<Vec<_>>>()?
        }
        _ => return Err(ApiError::validation("give either document (one) or documents (an array), not both")),
    };
    admin::check_database_name(&database)?;
    admin::check_collection_name(&collection)?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    Ok(Created(mongo.scrubbed(&app, documents::insert(&mongo.client, &database, &collection, docs).await)?))
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no document with _id {id}"))
}

/// `GET …/collections/{collection}/documents/{id}`: `{id}` is a 24-hex ObjectId or an Extended JSON
/// literal ([`DocumentId`]).
pub async fn get_document(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database, collection, id)): ApiPath<(String, String, String, String)>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Value>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let key = DocumentId::parse(&id)?;
    admin::check_database_name(&database)?;
    admin::check_collection_name(&collection)?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    let found = mongo.scrubbed(&app, documents::get(&mongo.client, &database, &collection, &key).await)?;
    Ok(Data(found.ok_or_else(|| not_found(&id))?))
}

/// Body of `PUT …/documents/{id}`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    #[schemars(with = "serde_json::Map<String, Value>")]
    update: Value,
    #[serde(default)]
    upsert: bool,
    #[serde(default)]
    replace: bool,
}

/// Reads an update: all operators (`$set`, …), or with `replace` a whole document without any.
fn change(update: Value, replace: bool) -> ApiResult<Change> {
    let update = document("update", update)?;
    if update.is_empty() {
        return Err(ApiError::validation("update must not be empty"));
    }
    let operators = update.keys().filter(|k| k.starts_with('$')).count();
    match (replace, operators) {
        (false, n) if n == update.len() => Ok(Change::Operators(update)),
        (false, 0) => Err(ApiError::validation(
            "update has no update operators ($set, $inc, $unset, …); to replace the whole document send replace: true",
        )),
        (false, _) => Err(ApiError::validation("update mixes update operators and plain fields")),
        (true, 0) => Ok(Change::Replacement(update)),
        (true, _) => Err(ApiError::validation("a replacement (replace: true) must not contain update operators")),
    }
}

/// `PUT …/collections/{collection}/documents/{id}`: update operators, or `replace: true` with a
/// whole document; `upsert` creates it when absent, otherwise absent is a 404.
pub async fn update_document(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database, collection, id)): ApiPath<(String, String, String, String)>,
    ApiQuery(target): ApiQuery<Target>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> ApiResult<Data<documents::Updated>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Write).await?;
    let key = DocumentId::parse(&id)?;
    let change = change(body.update, body.replace)?;
    admin::check_database_name(&database)?;
    admin::check_collection_name(&collection)?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    let updated = mongo
        .scrubbed(&app, documents::update(&mongo.client, &database, &collection, &key, change, body.upsert).await)?;
    if updated.matched_count == 0 && updated.upserted_id.is_none() {
        return Err(not_found(&id));
    }
    Ok(Data(updated))
}

/// `DELETE …/collections/{collection}/documents/{id}`.
pub async fn delete_document(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database, collection, id)): ApiPath<(String, String, String, String)>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<StatusCode> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Write).await?;
    let key = DocumentId::parse(&id)?;
    admin::check_database_name(&database)?;
    admin::check_collection_name(&collection)?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    if !mongo.scrubbed(&app, documents::delete(&mongo.client, &database, &collection, &key).await)? {
        return Err(not_found(&id));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Options of an aggregation, with MongoDB's names.
#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AggregateBodyOptions {
    allow_disk_use: Option<bool>,
    #[serde(rename = "maxTimeMS")]
    max_time_ms: Option<u64>,
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    collation: Option<Value>,
    hint: Option<Value>,
    batch_size: Option<u32>,
}

/// Body of `POST /aggregate`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AggregateBody {
    #[schemars(with = "Vec<serde_json::Map<String, Value>>")]
    pipeline: Vec<Value>,
    #[serde(default)]
    options: AggregateBodyOptions,
}

/// Reading needs viewer; a pipeline that writes (`$out`, `$merge`) needs developer.
fn aggregate_permission(body: &AggregateBody) -> Permission {
    if sanitize::writes(&body.pipeline) {
        Permission::Write
    } else {
        Permission::Read
    }
}

/// `POST …/collections/{collection}/aggregate`: at most [`documents::MAX_AGGREGATE_RESULTS`]
/// results (`truncated` says when more were dropped), within `maxTimeMS` of at most
/// [`documents::MAX_TIME`] (the default).
pub async fn aggregate(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database, collection)): ApiPath<(String, String, String)>,
    ApiQuery(target): ApiQuery<Target>,
    ApiJson(body): ApiJson<AggregateBody>,
) -> ApiResult<Data<documents::Aggregated>> {
    let ctx = authorize(&app, &user, &project_ref, aggregate_permission(&body)).await?;
    let o = body.options;
    let cap = documents::MAX_TIME;
    let max_time = match o.max_time_ms {
        None => cap,
        Some(0) => return Err(ApiError::validation("options.maxTimeMS must be at least 1")),
        Some(ms) => Duration::from_millis(ms).min(cap),
    };
    let hint = match o.hint {
        Some(h) => {
            sanitize::check("options.hint", &h).map_err(EngineError::from)?;
            Some(extjson::parse_value("options.hint", h)?)
        }
        None => None,
    };
    let options = AggregateOptions {
        allow_disk_use: o.allow_disk_use,
        max_time,
        collation: o.collation.map(|c| document("options.collation", c)).transpose()?,
        hint,
        batch_size: o.batch_size,
    };
    let stages = pipeline("pipeline", body.pipeline)?;
    admin::check_database_name(&database)?;
    admin::check_collection_name(&collection)?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    Ok(Data(mongo.scrubbed(&app, documents::aggregate(&mongo.client, &database, &collection, stages, options).await)?))
}

/// `GET …/collections/{collection}/indexes`.
pub async fn list_indexes(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database, collection)): ApiPath<(String, String, String)>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Vec<admin::IndexSummary>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    Ok(Data(mongo.scrubbed(&app, admin::list_indexes(&mongo.client, &database, &collection).await)?))
}

/// Options of a new index, with MongoDB's names.
#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IndexBodyOptions {
    name: Option<String>,
    unique: Option<bool>,
    sparse: Option<bool>,
    expire_after_seconds: Option<i64>,
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    partial_filter_expression: Option<Value>,
    background: Option<bool>,
}

/// Body of `POST /indexes`: `key` (the spec's name; `keys` is accepted too) and `options`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIndexBody {
    #[serde(alias = "keys")]
    #[schemars(with = "serde_json::Map<String, Value>")]
    key: Value,
    #[serde(default)]
    options: IndexBodyOptions,
}

/// `POST …/collections/{collection}/indexes`.
pub async fn create_index(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database, collection)): ApiPath<(String, String, String)>,
    ApiQuery(target): ApiQuery<Target>,
    ApiJson(body): ApiJson<CreateIndexBody>,
) -> ApiResult<Created<CreatedIndex>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Write).await?;
    let o = body.options;
    let new = NewIndex {
        keys: document("key", body.key)?,
        name: o.name,
        unique: o.unique,
        sparse: o.sparse,
        expire_after_seconds: o.expire_after_seconds,
        partial_filter: o
            .partial_filter_expression
            .map(|p| document("options.partialFilterExpression", p))
            .transpose()?,
        background: o.background,
    };
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    let name = mongo.scrubbed(&app, admin::create_index(&mongo.client, &database, &collection, new).await)?;
    Ok(Created(CreatedIndex { name }))
}

/// `DELETE …/collections/{collection}/indexes/{name}` (`_id_` is refused).
pub async fn drop_index(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database, collection, name)): ApiPath<(String, String, String, String)>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<StatusCode> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Write).await?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    mongo.scrubbed(&app, admin::drop_index(&mongo.client, &database, &collection, &name).await)?;
    Ok(StatusCode::NO_CONTENT)
}
