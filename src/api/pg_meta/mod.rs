//! PostgreSQL management (spec 8.3), on the project's primary PostgreSQL connection or
//! `?connection_id=`: `POST /api/platform/pg-meta/{ref}/query` runs SQL, and `GET …/tables`,
//! `…/views`, `…/schemas`, `…/columns`, `…/indexes`, `…/extensions` browse the schema. Schema
//! changes (`tables`, `columns`, `schemas`, `indexes`, `extensions`) are admins' and go through
//! [`ddl::SchemaChange`]. Everything needs viewer; a caller
//! without write permission runs SQL in a read-only transaction as a login without host powers
//! (the connection's viewer credentials, or its own login if that has none), else is refused.
//! A writer's statement runs once; it is audited before its commit when PostgreSQL says it wrote.
//!
//! `query` answers `{"data": [row, …], "command": "UPDATE", "rows_affected": 1}`: `data` stays
//! postgres-meta's array of rows, next to what the last statement did (its command tag). The row
//! cap is reported in headers: `x-switchboard-row-cap: N` always, `x-switchboard-truncated: true`
//! when rows were dropped. A query sent with a `query_id` can be cancelled by
//! `POST …/query/{query_id}/cancel` (see [`crate::engines::postgres::cancel`]).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub mod activity;
pub mod ddl;
pub mod import;
pub mod indexes;
pub mod objects;
pub mod policies;
pub mod roles;
pub mod rows;
pub mod schemas;
pub mod tables;
pub mod triggers;
pub mod typescript;

use super::{ApiJson, ApiPath, ApiQuery, Data};
use crate::api::open::Opened;
use crate::app::App;
use crate::app::AppState;
use crate::auth::{authorize, AuthUser, ProjectContext};
use crate::domain::{ConnectionId, Permission};
use crate::engines::postgres::cancel::{send_cancel, CancelOutcome};
use crate::engines::postgres::catalog::{self, ColumnInfo, Schema, SchemaFilter, Table, View};
use crate::engines::postgres::command;
use crate::engines::postgres::export;
use crate::engines::postgres::query::{self, QueryRequest, DEFAULT_ROW_CAP};
use crate::engines::postgres::{PostgresClient, SqlCaller};
use crate::engines::EngineError;
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::{AuditNote, DeferredAudit};
use crate::store::ConnectionRecord;
use serde_json::json;
use sha2::{Digest, Sha256};

/// Header saying whether the row cap dropped rows.
pub const TRUNCATED_HEADER: HeaderName = HeaderName::from_static("x-switchboard-truncated");
/// Header giving the row cap that applied.
pub const ROW_CAP_HEADER: HeaderName = HeaderName::from_static("x-switchboard-row-cap");

/// Body of `POST …/query`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryBody {
    /// The SQL text.
    query: String,
    /// Values for `$1..$n`: strings are sent verbatim, arrays become PostgreSQL arrays (or JSON
    /// for a json/jsonb parameter), objects JSON.
    #[serde(default)]
    parameters: Option<Vec<Value>>,
    /// Return the plan of `EXPLAIN (FORMAT JSON)` instead of running the query.
    #[serde(default)]
    explain: bool,
    /// With `explain`: `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`, which executes the statement
    /// (developers and above; a write is committed and audited like any other).
    #[serde(default)]
    analyze: bool,
    /// An id the client chooses (a UUID) under which the running statement can be cancelled with
    /// `POST …/query/{query_id}/cancel`, sent to the same server replica.
    #[serde(default)]
    query_id: Option<uuid::Uuid>,
}

/// `?connection_id=` of `POST …/query`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    connection_id: Option<ConnectionId>,
}

/// Query string of the listings.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    connection_id: Option<ConnectionId>,
    /// Comma-separated schemas to list (system schemas too, if named).
    included_schemas: Option<String>,
    /// Comma-separated schemas to leave out.
    excluded_schemas: Option<String>,
    /// Also list `pg_catalog`, `information_schema` and the `pg_toast`/`pg_temp` schemas.
    #[serde(default)]
    include_system_schemas: bool,
    /// `columns` and `indexes` only: those of this relation (its oid).
    table_id: Option<i64>,
}

impl ListParams {
    fn filter(&self) -> SchemaFilter {
        let split = |s: &str| s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
        SchemaFilter {
            included: self.included_schemas.as_deref().map(split),
            excluded: self.excluded_schemas.as_deref().map(split).unwrap_or_default(),
            include_system: self.include_system_schemas,
        }
    }
}

/// The answer of `POST …/query`: the rows, and what the statement did as PostgreSQL's command tag
/// says it (`UPDATE` and 1 for `UPDATE 1`).
#[derive(Serialize, JsonSchema)]
pub struct QueryAnswer<'a> {
    /// The rows of the last statement that returned rows (at most the row cap; see `x-truncated`).
    data: query::RowObjects<'a>,
    /// The last statement's command, e.g. `UPDATE`, `CREATE TABLE`, `SELECT`.
    command: Option<String>,
    /// Rows it inserted, updated, deleted or returned (the tag's count); null when not known (a
    /// result cut at the row cap).
    rows_affected: Option<u64>,
}

/// The schema of `POST …/query`'s JSON answer: the statement's rows and tag, or with `explain` or
/// `analyze` the plan in the usual envelope.
pub fn query_answer_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "anyOf": [
            generator.subschema_for::<QueryAnswer<'static>>(),
            {
                "type": "object",
                "required": ["data"],
                "properties": { "data": { "description": "The plan, as PostgreSQL answers EXPLAIN (FORMAT JSON)" } }
            }
        ]
    })
}

/// The project's PostgreSQL client (primary or `connection_id`).
pub(crate) async fn postgres(
    app: &App,
    ctx: &ProjectContext,
    connection_id: Option<ConnectionId>,
) -> ApiResult<(Arc<ConnectionRecord>, PostgresClient)> {
    let opened = Opened::<PostgresClient>::within(app, ctx, connection_id).await?;
    Ok((opened.record, opened.client))
}

/// An engine error with the connection's secrets scrubbed from its message.
pub(crate) fn engine_error(app: &App, record: &ConnectionRecord, err: EngineError) -> ApiError {
    crate::api::open::scrubbed_error(app, record, err)
}

/// The statement's first keyword (after comments and parentheses), upper-cased, to name a write in
/// the audit trail (`INSERT`, `UPDATE`, `WITH`…). A label only: nothing is decided by it.
fn leading_keyword(sql: &str) -> String {
    let mut rest = sql;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
        if let Some(comment) = rest.strip_prefix("--") {
            rest = comment.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(comment) = rest.strip_prefix("/*") {
            rest = comment.split_once("*/").map_or("", |(_, after)| after);
        } else {
            break;
        }
    }
    rest.chars().take_while(char::is_ascii_alphabetic).take(32).collect::<String>().to_ascii_uppercase()
}

/// Why a writer's SQL did not run: the database said no, or its audit record could not be written.
enum WriteError {
    Engine(EngineError),
    Unrecorded(ApiError),
}

impl From<EngineError> for WriteError {
    fn from(e: EngineError) -> Self {
        Self::Engine(e)
    }
}

/// `POST /api/platform/pg-meta/{ref}/query`: the rows of the last statement, or with `explain`
/// the plan. With `Accept: application/x-ndjson` or `text/csv` the whole result streams instead,
/// without the row cap.
// Each argument is one axum extractor; grouping them would only hide what the handler reads.
#[allow(clippy::too_many_arguments)]
pub async fn query(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
    audit: Option<Extension<DeferredAudit>>,
    note: AuditNote,
    headers: HeaderMap,
    ApiJson(body): ApiJson<QueryBody>,
) -> ApiResult<Response> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    if body.query.trim().is_empty() {
        return Err(ApiError::validation("query must not be empty"));
    }
    let read_only = !ctx.role.allows(Permission::Write);
    // Writes are recorded before they run; without a record to write, they do not run.
    let begin_write = || async {
        match &audit {
            Some(Extension(audit)) => audit.begin().await,
            None => Err(ApiError::Unavailable("the audit trail is not available, so the change was not made".into())),
        }
    };
    if body.analyze && !body.explain {
        return Err(ApiError::validation("analyze goes with explain: true"));
    }
    if body.analyze && read_only {
        return Err(ApiError::Forbidden(
            "EXPLAIN ANALYZE executes the statement: it needs the developer role or above".into(),
        ));
    }
    let (record, client) = postgres(&app, &ctx, target.connection_id).await?;
    // Held while the statement runs (for a stream, until it ends).
    let slot = app.sql_slots.take(user.id, record.id)?;
    // Registered while the statement runs, so `…/query/{query_id}/cancel` can reach it.
    let registration = match body.query_id {
        Some(id) => Some(
            app.running_queries
                .register(id, user.id, ctx.project.id)
                .ok_or_else(|| ApiError::Conflict("a query with this query_id is already running".into()))?,
        ),
        None => None,
    };
    let cancel = registration.as_ref().map(|r| &*r.slot);
    let parameters = body.parameters.unwrap_or_default();
    if body.explain && !body.analyze {
        let caller = if read_only { SqlCaller::Viewer } else { SqlCaller::Writer };
        let plan = query::explain(&client, caller, &body.query, &parameters)
            .await
            .map_err(|e| engine_error(&app, &record, e))?;
        return Ok(Data(plan).into_response());
    }
    if let Some(format) = crate::api::export::format(&headers).filter(|_| !body.explain) {
        if !read_only {
            begin_write().await?;
        }
        let stream = export::start(&client, body.query, parameters, read_only, format)
            .await
            .map_err(|e| engine_error(&app, &record, e))?;
        return Ok(crate::api::export::response(format, stream, slot));
    }
    // EXPLAIN ANALYZE runs the statement: it goes the writer's way, audited if it wrote.
    let analyzed;
    let sql = if body.analyze {
        analyzed = format!("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {}", body.query);
        analyzed.as_str()
    } else {
        body.query.as_str()
    };
    let request = QueryRequest { sql, parameters: &parameters, row_cap: DEFAULT_ROW_CAP, cancel };
    let result = if read_only {
        query::read(&client, request).await.map_err(|e| engine_error(&app, &record, e))?
    } else {
        // Runs once; recorded (before its commit) only if PostgreSQL says it wrote. The record
        // names the statement, never its text or values; rows are added once they are known.
        let mut details = json!({
            "command": leading_keyword(&body.query),
            "statement_sha256": hex::encode(Sha256::digest(body.query.as_bytes())),
        });
        if body.analyze {
            details["explain_analyze"] = json!(true);
        }
        note.details(details.clone());
        let record_write = || async { begin_write().await.map_err(WriteError::Unrecorded) };
        let result = query::write(&client, request, record_write).await.map_err(|e| match e {
            WriteError::Engine(e) => engine_error(&app, &record, e),
            WriteError::Unrecorded(e) => e,
        })?;
        details["rows"] = json!(result.rows_affected);
        note.details(details);
        result
    };
    if body.analyze {
        let plan = result.rows.into_iter().next().and_then(|row| row.into_iter().next()).unwrap_or(Value::Null);
        return Ok(Data(plan).into_response());
    }
    let answer = QueryAnswer {
        data: result.objects(),
        command: command::command_of(&body.query),
        rows_affected: result.rows_affected,
    };
    let mut response = axum::Json(answer).into_response();
    let headers = response.headers_mut();
    headers.insert(ROW_CAP_HEADER, HeaderValue::from(DEFAULT_ROW_CAP));
    headers.insert(TRUNCATED_HEADER, HeaderValue::from_static(if result.truncated { "true" } else { "false" }));
    Ok(response)
}

/// `GET /api/platform/pg-meta/{ref}/tables`: tables with columns, primary keys, foreign keys,
/// row estimate, size and RLS flags.
pub async fn tables(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Data<Vec<Table>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, params.connection_id).await?;
    let tables = catalog::tables(&client, &params.filter()).await.map_err(|e| engine_error(&app, &record, e))?;
    Ok(Data(tables))
}

/// `GET /api/platform/pg-meta/{ref}/views`: views with their definitions and columns.
pub async fn views(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Data<Vec<View>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, params.connection_id).await?;
    let views = catalog::views(&client, &params.filter()).await.map_err(|e| engine_error(&app, &record, e))?;
    Ok(Data(views))
}

/// `GET /api/platform/pg-meta/{ref}/schemas`.
pub async fn schemas(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Data<Vec<Schema>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, params.connection_id).await?;
    let schemas = catalog::schemas(&client, &params.filter()).await.map_err(|e| engine_error(&app, &record, e))?;
    Ok(Data(schemas))
}

/// `GET /api/platform/pg-meta/{ref}/columns` (optionally `?table_id=` for one relation).
pub async fn columns(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Data<Vec<ColumnInfo>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, params.connection_id).await?;
    let columns = catalog::columns(&client, &params.filter(), params.table_id)
        .await
        .map_err(|e| engine_error(&app, &record, e))?;
    Ok(Data(columns))
}

/// `POST /api/platform/pg-meta/{ref}/query/{query_id}/cancel`: cancels the caller's running query
/// sent with that `query_id` (an admin of the project may cancel anyone's). PostgreSQL is sent
/// its cancel request for the query's session, and the query answers "canceled by the user".
/// Running queries are known to the server replica that runs them only: the cancel must be sent
/// to that replica (404 elsewhere).
pub async fn cancel_query(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, query_id)): ApiPath<(String, uuid::Uuid)>,
    note: AuditNote,
) -> ApiResult<Data<CancelSent>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    note.target(query_id.to_string());
    let admin = ctx.role.allows(Permission::Admin);
    match app.running_queries.cancel(query_id, user.id, ctx.project.id, admin) {
        CancelOutcome::Sent(Some(token)) => send_cancel(token).await?,
        // Not on the server yet: it will not start.
        CancelOutcome::Sent(None) => {}
        CancelOutcome::NotRunning => {
            return Err(ApiError::NotFound("no query with this id is running on this server".into()))
        }
        CancelOutcome::NotYours => {
            return Err(ApiError::Forbidden(
                "only the user who started a query, or an admin of the project, can cancel it".into(),
            ))
        }
    }
    Ok(Data(CancelSent { query_id, cancel_sent: true }))
}

/// The answer of `POST …/query/{query_id}/cancel`.
#[derive(Serialize, JsonSchema)]
pub struct CancelSent {
    /// The query's id, as sent.
    pub query_id: uuid::Uuid,
    /// Always `true`: PostgreSQL was sent the cancel request (or the query will not start).
    pub cancel_sent: bool,
}
