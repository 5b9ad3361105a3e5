//! Redis data in bulk: the NDJSON export of the keys matching a pattern (any member), the import of
//! such a file (developers and above), and mass changes by pattern — delete, set or clear TTLs —
//! which run only after a dry run: the dry run counts the keys and answers a confirmation the real
//! run must carry (bound to the caller, the connection, the change and the pattern, valid 10
//! minutes), and the real run is a background job with progress and cancel.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::redis::redis_connection;
use super::upload::{Upload, UploadFormat};
use super::{ApiJson, ApiPath, ApiQuery, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::{ConnectionId, Permission};
use crate::engines::export::{Format, RowSink, IN_FLIGHT};
use crate::engines::redis::bulk::{self, DryRun, ImportReport, ImportStop, Importer, MassChange, OnConflict, Record};
use crate::error::{ApiError, ApiResult};
use crate::jobs::NewJob;
use crate::middleware::audit::AuditNote;

/// Query of `GET …/redis/{ref}/export`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    connection_id: Option<ConnectionId>,
    /// Glob of the keys to export (default `*`, every key).
    pattern: Option<String>,
}

/// `GET …/redis/{ref}/export?pattern=`: every matching key, one NDJSON line per key (or per part
/// of a big one) with its type, TTL and value, streamed as it is read.
pub async fn export(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let pattern = query.pattern.unwrap_or_else(|| "*".into());
    check_pattern(&pattern)?;
    let (_, client) = redis_connection(&app, &ctx, query.connection_id).await?;
    let (chunks_tx, mut chunks_rx) = tokio::sync::mpsc::channel(IN_FLIGHT);
    tokio::spawn(async move {
        let columns = bulk::COLUMNS.iter().map(|c| c.to_string()).collect();
        let mut sink = RowSink::new(Format::Ndjson, columns, chunks_tx);
        match bulk::export(&client, &pattern, &mut sink).await {
            Ok(_) => {
                sink.finish().await;
            }
            Err(e) => sink.fail(&e.to_string()).await,
        }
    });
    let chunks = futures_util::stream::poll_fn(move |cx| chunks_rx.poll_recv(cx));
    Ok(super::export::response(Format::Ndjson, chunks, ()))
}

/// Query of `POST …/redis/{ref}/import`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    connection_id: Option<ConnectionId>,
    /// What to do with a key that exists: `skip` it (default), `replace` it, or `fail` (stop).
    #[serde(default)]
    on_conflict: OnConflict,
}

/// `POST …/redis/{ref}/import`: writes back an export (NDJSON), streamed, in pipelines; keeps
/// types, TTLs and binary values. A line that cannot be read or that the server refuses is
/// reported (the first 100) and the import goes on; `on_conflict=fail` stops at the first
/// existing key (409; keys of earlier batches stay written). Audited with the counts.
pub async fn import(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    note: AuditNote,
    upload: Upload,
) -> ApiResult<Data<ImportReport>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Write).await?;
    if upload.format != UploadFormat::Ndjson {
        return Err(ApiError::UnsupportedMediaType(
            "a Redis import is NDJSON (Content-Type: application/x-ndjson), as the export writes it".into(),
        ));
    }
    let (connection, client) = redis_connection(&app, &ctx, query.connection_id).await?;
    note.connection(connection);
    note.target("import");
    let mut importer = Importer::new(&client, query.on_conflict);
    let mut lines = upload.lines();
    let outcome = async {
        while let Some(line) = lines.next().await? {
            match Record::parse(line.number, &line.text) {
                Ok(record) => importer.add(record).await.map_err(stop_error)?,
                Err(message) => importer.bad_line(line.number, message),
            }
        }
        Ok::<_, ApiError>(())
    }
    .await;
    // The audit record carries what was done even when the import stopped part-way.
    let counted = |report: &ImportReport| {
        json!({
            "on_conflict": query.on_conflict,
            "lines": report.lines,
            "keys": report.keys,
            "skipped": report.skipped,
            "failed": report.failed,
        })
    };
    note.details(counted(&importer.report));
    outcome?;
    let report = importer.finish().await.map_err(stop_error)?;
    note.details(counted(&report));
    Ok(Data(report))
}

fn stop_error(stop: ImportStop) -> ApiError {
    match stop {
        ImportStop::Exists { .. } => ApiError::Conflict(stop.to_string()),
        ImportStop::Engine(e) => e.into(),
    }
}

fn check_pattern(pattern: &str) -> ApiResult<()> {
    if pattern.is_empty() {
        return Err(ApiError::validation("pattern must not be empty"));
    }
    Ok(())
}

/// Body of `POST …/redis/{ref}/bulk-delete`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDeleteBody {
    /// Glob of the keys to delete, e.g. `session:*`.
    pattern: String,
    /// Count the matching keys and answer a confirmation; delete nothing.
    #[serde(default)]
    dry_run: bool,
    /// The confirmation of this pattern's dry run (required unless `dry_run`).
    confirm: Option<String>,
}

/// Body of `POST …/redis/{ref}/bulk-expire`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkExpireBody {
    /// Glob of the keys to change.
    pattern: String,
    /// The TTL in seconds to give every matching key (> 0), or -1 to remove their TTLs.
    ttl: i64,
    /// Count the matching keys and answer a confirmation; change nothing.
    #[serde(default)]
    dry_run: bool,
    /// The confirmation of the same change's dry run (required unless `dry_run`).
    confirm: Option<String>,
}

/// The answer of a dry run.
#[derive(Serialize, JsonSchema)]
pub struct Confirmable {
    /// What the dry run found.
    #[serde(flatten)]
    pub found: DryRun,
    /// Send this back as `confirm` to run the change (valid 10 minutes, for you, this connection
    /// and this change only).
    pub confirm: String,
}

/// `POST …/redis/{ref}/bulk-delete`: with `dry_run`, counts the matching keys (exactly, by SCAN)
/// and answers `{count, scanned, sample, confirm}`; with `confirm`, starts the deletion as a job
/// (SCAN + UNLINK in batches) and answers 202 `{job_id}`.
pub async fn bulk_delete(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<super::redis::Target>,
    note: AuditNote,
    ApiJson(body): ApiJson<BulkDeleteBody>,
) -> ApiResult<Response> {
    let change = Change { kind: "redis.bulk-delete", pattern: body.pattern, mass: MassChange::Delete };
    run_change(&app, &user, &project_ref, target.connection_id, &note, change, body.dry_run, body.confirm).await
}

/// `POST …/redis/{ref}/bulk-expire`: the same for setting (`ttl` > 0) or clearing (`ttl` = -1)
/// the TTL of every matching key.
pub async fn bulk_expire(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<super::redis::Target>,
    note: AuditNote,
    ApiJson(body): ApiJson<BulkExpireBody>,
) -> ApiResult<Response> {
    let mass = match body.ttl {
        -1 => MassChange::Persist,
        t if t > 0 => MassChange::Expire(t),
        _ => return Err(ApiError::validation("ttl must be more than 0 seconds, or -1 to remove the TTLs")),
    };
    let change = Change { kind: "redis.bulk-expire", pattern: body.pattern, mass };
    run_change(&app, &user, &project_ref, target.connection_id, &note, change, body.dry_run, body.confirm).await
}

/// A mass change by pattern.
struct Change {
    kind: &'static str,
    pattern: String,
    mass: MassChange,
}

impl Change {
    /// What a confirmation is bound to: the kind of change, its parameters and the pattern.
    fn described(&self) -> String {
        format!("{}\n{:?}\n{}", self.kind, self.mass, self.pattern)
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_change(
    app: &AppState,
    user: &AuthUser,
    project_ref: &str,
    connection_id: Option<ConnectionId>,
    note: &AuditNote,
    change: Change,
    dry_run: bool,
    confirm: Option<String>,
) -> ApiResult<Response> {
    let ctx = authorize(app, user, project_ref, Permission::Write).await?;
    check_pattern(&change.pattern)?;
    let (connection, client) = redis_connection(app, &ctx, connection_id).await?;
    note.connection(connection);
    note.target(change.pattern.clone());
    let described = change.described();
    if dry_run {
        let found = bulk::dry_run(&client, &change.pattern).await?;
        note.details(json!({ "kind": change.kind, "dry_run": true, "count": found.count }));
        let confirm = app
            .jwt
            .issue_confirmation(user.id, &connection.to_string(), &described)
            .map_err(|e| ApiError::Internal(e.into()))?;
        return Ok(Data(Confirmable { found, confirm }).into_response());
    }
    let confirmed =
        confirm.is_some_and(|token| app.jwt.check_confirmation(&token, user.id, &connection.to_string(), &described));
    if !confirmed {
        return Err(ApiError::validation(
            "confirm is missing, expired, or was given for another change, pattern, connection or user: run the dry run again",
        ));
    }
    let params = match change.mass {
        MassChange::Delete => json!({ "pattern": change.pattern }),
        MassChange::Expire(ttl) => json!({ "pattern": change.pattern, "ttl": ttl }),
        MassChange::Persist => json!({ "pattern": change.pattern, "ttl": -1 }),
    };
    let new = NewJob {
        project_id: ctx.project.id,
        connection_id: Some(connection),
        kind: change.kind,
        created_by: user.id,
        params,
        unit: "keys changed",
        project_ref: ctx.project.project_ref.clone(),
    };
    let Change { pattern, mass, .. } = change;
    let work: crate::jobs::JobWork =
        Box::new(move |job| Box::pin(async move { bulk::mass_change(&client, &pattern, mass, &job).await }));
    let answer = super::jobs::start(app, &ctx, note, new, work).await?;
    Ok(answer)
}

/// The answer of a mass change: a dry run's `{count, scanned, sample, confirm}` or a job's
/// `{job_id, state}` (202).
pub fn mass_change_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let dry = generator.subschema_for::<Confirmable>();
    let job = generator.subschema_for::<super::jobs::Started>();
    schemars::json_schema!({ "oneOf": [dry, job] })
}
