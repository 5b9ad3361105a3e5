//! MongoDB data in bulk: `POST …/collections/{collection}/import` (a streamed NDJSON, JSON array or
//! CSV body inserted in batches) and `POST …/collections/{collection}/bulk` (`deleteMany` or
//! `updateMany`, run only with the confirmation of its dry run). Developers and above; both are
//! audited with their counts.

use axum::extract::State;
use mongodb::bson::{Bson, Document};
use mongodb::options::UpdateModifications;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::mongodb::{document, pipeline, Mongo, Target};
use super::upload::{CsvOptions, Upload, UploadFormat};
use super::{ApiJson, ApiPath, ApiQuery, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::{ConnectionId, Permission};
use crate::engines::mongodb::bulk::{self, BulkChange};
use crate::engines::mongodb::import::{CsvHeader, ImportReport, Importer};
use crate::engines::mongodb::{admin, extjson};
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;

/// Query of `POST …/import`.
#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    connection_id: Option<ConnectionId>,
    /// `true` stops at the first document that fails (what came before it stays inserted);
    /// default `false`: every good document is inserted and each failure reported.
    ordered: Option<bool>,
}

/// `POST /api/platform/mongodb/{ref}/databases/{database}/collections/{collection}/import`: the
/// body (NDJSON, one JSON array, or CSV with a header line) is read as it arrives and inserted in
/// batches; answers how many went in and the first failures by position.
pub async fn import(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database, collection)): ApiPath<(String, String, String)>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    note: AuditNote,
    upload: Upload,
) -> ApiResult<Data<ImportReport>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Write).await?;
    admin::check_database_name(&database)?;
    admin::check_collection_name(&collection)?;
    let mongo = Mongo::within(&app, &ctx, q.connection_id).await?;
    let format = match upload.format {
        UploadFormat::Csv => "csv",
        UploadFormat::Ndjson => "ndjson",
        UploadFormat::JsonArray => "json",
    };
    let mut importer = Importer::new(&mongo.client, &database, &collection, q.ordered.unwrap_or(false));
    let read = read_into(&app, &mongo, upload, &mut importer).await;
    let counts = |r: &ImportReport| json!({ "format": format, "inserted": r.inserted, "failed": r.failed });
    // What went in before a failure that ends the import is recorded too.
    note.details(counts(importer.report()));
    read?;
    let report = mongo.scrubbed(&app, importer.finish().await)?;
    note.details(counts(&report));
    Ok(Data(report))
}

/// Feeds every unit of the body to the importer, until its end or an ordered import's stop.
async fn read_into(app: &AppState, mongo: &Mongo, upload: Upload, importer: &mut Importer) -> ApiResult<()> {
    let engine = |e| mongo.error(app, e);
    match upload.format {
        UploadFormat::Ndjson => {
            let mut lines = upload.lines();
            let mut index = 0;
            while let Some(line) = lines.next().await? {
                match json_document(&line.text) {
                    Ok(doc) => importer.push(doc, index, line.number, line.text.len()).await,
                    Err(message) => importer.reject(index, line.number, message).await,
                }
                .map_err(engine)?;
                index += 1;
                if importer.stopped() {
                    break;
                }
            }
        }
        UploadFormat::JsonArray => {
            let mut elements = upload.json_array();
            while let Some(element) = elements.next().await? {
                match json_document(&element.text) {
                    Ok(doc) => importer.push(doc, element.index, element.line, element.text.len()).await,
                    Err(message) => importer.reject(element.index, element.line, message).await,
                }
                .map_err(engine)?;
                if importer.stopped() {
                    break;
                }
            }
        }
        UploadFormat::Csv => {
            let mut records = upload.csv(CsvOptions::default());
            let Some(header) = records.next().await? else { return Ok(()) };
            let header = CsvHeader::parse(&header.fields).map_err(ApiError::validation)?;
            let mut index = 0;
            while let Some(record) = records.next().await? {
                let size = record.fields.iter().map(String::len).sum();
                match header.document(&record.fields) {
                    Ok(doc) => importer.push(doc, index, record.line, size).await,
                    Err(message) => importer.reject(index, record.line, message).await,
                }
                .map_err(engine)?;
                index += 1;
                if importer.stopped() {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// One document of an NDJSON or JSON array body: a JSON object in Extended JSON. Documents are
/// data, not queries (the server never evaluates their fields), so like `POST …/documents` they
/// are not searched for `$where` and the like.
fn json_document(text: &[u8]) -> Result<Document, String> {
    // A byte order mark (which some editors write first) is never JSON.
    let text = text.strip_prefix("\u{feff}".as_bytes()).unwrap_or(text);
    let value: Value = serde_json::from_slice(text).map_err(|e| format!("not valid JSON: {e}"))?;
    extjson::parse_document("the document", value).map_err(|e| e.to_string())
}

/// The mass changes of `POST …/bulk`.
#[derive(Deserialize, JsonSchema, Clone, Copy, PartialEq, Eq)]
pub enum BulkOp {
    /// Delete every matching document.
    #[serde(rename = "deleteMany")]
    DeleteMany,
    /// Update every matching document.
    #[serde(rename = "updateMany")]
    UpdateMany,
}

impl BulkOp {
    fn as_str(self) -> &'static str {
        match self {
            Self::DeleteMany => "deleteMany",
            Self::UpdateMany => "updateMany",
        }
    }
}

/// Body of `POST …/bulk`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkBody {
    /// `deleteMany` or `updateMany`.
    op: BulkOp,
    /// Which documents, an Extended JSON filter (`{}` is every document); operators are checked.
    #[schemars(with = "serde_json::Map<String, Value>")]
    filter: Value,
    /// For `updateMany`: update operators (`{"$set": …}`) or an update pipeline (an array of stages).
    #[schemars(with = "Option<Value>")]
    update: Option<Value>,
    /// `true`: change nothing; answer the count, a sample and the `confirm` token.
    #[serde(default)]
    dry_run: bool,
    /// The `confirm` of a dry run of exactly this change by the same user on the same connection,
    /// within 10 minutes; a real run needs it.
    confirm: Option<String>,
}

/// The answer of `POST …/bulk`: a dry run's preview, or what the change did.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
pub enum BulkAnswer {
    /// `dry_run: true`.
    Preview(BulkPreview),
    /// The change ran.
    Done(BulkDone),
}

/// What a dry run found.
#[derive(Serialize, JsonSchema)]
pub struct BulkPreview {
    /// Documents the filter matches, counted up to 1,000,000 within 5 s; `null` when counting took
    /// longer.
    pub matched: Option<u64>,
    /// The count stopped at its cap: at least `matched` documents match.
    pub matched_capped: bool,
    /// Up to 20 matching documents, in relaxed Extended JSON.
    pub sample: Vec<Value>,
    /// Send this as `confirm` (with the same op, filter and update) to run the change; valid for
    /// 10 minutes, for this user and connection only.
    pub confirm: String,
}

/// What a mass change did.
#[derive(Serialize, JsonSchema)]
pub struct BulkDone {
    /// Documents matched.
    pub matched: u64,
    /// Documents updated (`updateMany`).
    pub modified: u64,
    /// Documents deleted (`deleteMany`).
    pub deleted: u64,
}

/// The update of an `updateMany`: operators only, or a pipeline.
fn update_of(value: Value) -> ApiResult<UpdateModifications> {
    match value {
        Value::Array(stages) => {
            if stages.is_empty() {
                return Err(ApiError::validation("update must not be an empty pipeline"));
            }
            Ok(UpdateModifications::Pipeline(pipeline("update", stages)?))
        }
        other => {
            let update = document("update", other)?;
            if update.is_empty() || !update.keys().all(|k| k.starts_with('$')) {
                return Err(ApiError::validation(
                    "update must hold update operators only ($set, $inc, $unset, …) or be an update pipeline",
                ));
            }
            Ok(UpdateModifications::Document(update))
        }
    }
}

/// Canonical Extended JSON text of a value: what a confirmation is bound to.
fn canonical(value: Bson) -> String {
    value.into_canonical_extjson().to_string()
}

/// `POST /api/platform/mongodb/{ref}/databases/{database}/collections/{collection}/bulk`.
pub async fn bulk(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database, collection)): ApiPath<(String, String, String)>,
    ApiQuery(target): ApiQuery<Target>,
    note: AuditNote,
    ApiJson(body): ApiJson<BulkBody>,
) -> ApiResult<Data<BulkAnswer>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Write).await?;
    let filter = document("filter", body.filter)?;
    let change = match (body.op, body.update) {
        (BulkOp::DeleteMany, None) => BulkChange::DeleteMany,
        (BulkOp::DeleteMany, Some(_)) => return Err(ApiError::validation("deleteMany takes no update")),
        (BulkOp::UpdateMany, Some(update)) => BulkChange::UpdateMany(update_of(update)?),
        (BulkOp::UpdateMany, None) => return Err(ApiError::validation("updateMany needs an update")),
    };
    admin::check_database_name(&database)?;
    admin::check_collection_name(&collection)?;
    let update_text = match &change {
        BulkChange::DeleteMany => String::new(),
        BulkChange::UpdateMany(UpdateModifications::Document(d)) => canonical(Bson::Document(d.clone())),
        BulkChange::UpdateMany(UpdateModifications::Pipeline(p)) => {
            canonical(Bson::Array(p.iter().cloned().map(Bson::Document).collect()))
        }
        BulkChange::UpdateMany(_) => String::new(),
    };
    let op = body.op.as_str();
    let what = format!(
        "mongodb.bulk\n{database}\n{collection}\n{op}\n{}\n{update_text}",
        canonical(Bson::Document(filter.clone()))
    );
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    let connection = mongo.id().to_string();
    if body.dry_run {
        let preview = mongo.scrubbed(&app, bulk::preview(&mongo.client, &database, &collection, &filter).await)?;
        let confirm = app
            .jwt
            .issue_confirmation(user.id, &connection, &what)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("cannot sign a confirmation: {e}")))?;
        note.details(json!({ "op": op, "dry_run": true, "matched": preview.matched, "capped": preview.capped }));
        return Ok(Data(BulkAnswer::Preview(BulkPreview {
            matched: preview.matched,
            matched_capped: preview.capped,
            sample: preview.sample,
            confirm,
        })));
    }
    let confirmed = body.confirm.as_deref().is_some_and(|t| app.jwt.check_confirmation(t, user.id, &connection, &what));
    if !confirmed {
        note.details(json!({ "op": op, "dry_run": false, "confirmed": false }));
        let message = if body.confirm.is_some() {
            "confirm does not match this change: it is expired, or was issued for another filter, update, \
             operation, collection, connection or user; run a dry run of this change again"
        } else {
            "a bulk change needs confirm: send it first with dry_run: true and then with the confirm it answers"
        };
        return Err(ApiError::validation(message));
    }
    let done = mongo.scrubbed(&app, bulk::run(&mongo.client, &database, &collection, filter, change).await)?;
    note.details(json!({
        "op": op,
        "dry_run": false,
        "matched": done.matched,
        "modified": done.modified,
        "deleted": done.deleted,
    }));
    Ok(Data(BulkAnswer::Done(BulkDone { matched: done.matched, modified: done.modified, deleted: done.deleted })))
}
