//! MariaDB/MySQL (`/api/platform/mysql/{ref}/…`, on the project's primary MySQL connection or
//! `?connection_id=`): `POST …/query` runs SQL — viewers' in a read-only transaction, one reading
//! statement at a time; writers' as written, audited with the statement's command and hash, never
//! its text — and `GET …/databases`, `…/databases/{database}/tables|views|columns|indexes|foreign-keys`
//! browse the schema; `GET …/activity` lists the processlist and `POST …/activity/{id}/kill`
//! (admins, audited) stops a statement or a connection. `…/databases/{database}/tables/{table}/rows`
//! is the Table Editor's rows API, with PostgreSQL's query string, bodies and answers.
//!
//! The query's answer has PostgreSQL's shape (`{"data": [row…], "command", "rows_affected"}`,
//! the row cap in the same headers), written by the same serializer.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::open::Opened;
use super::pg_meta::{ROW_CAP_HEADER, TRUNCATED_HEADER};
use super::{ApiJson, ApiPath, ApiQuery, Data};
use crate::api::table_rows::{
    check_write_count, page_request, stale, Deleted, InsertBody, RowsPage, RowsQuery, RowsTarget,
};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::{ConnectionId, Permission};
use crate::engines::mysql::query::{self, QueryRequest};
use crate::engines::mysql::{activity, catalog, export, rows, MysqlClient};
use crate::engines::postgres::query::{QueryResult as Rows, RowObjects, DEFAULT_ROW_CAP};
use crate::engines::table_rows::{RowKey, RowUpdate};
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;

/// Picks the connection: `?connection_id=` or the primary.
#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    connection_id: Option<ConnectionId>,
}

/// Body of `POST …/query`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryBody {
    /// The SQL text (viewers: one reading statement).
    query: String,
    /// Answer the statement's plan (`EXPLAIN FORMAT=JSON`) instead of running it.
    #[serde(default)]
    explain: bool,
}

/// The answer of `POST …/query`.
#[derive(Serialize, JsonSchema)]
pub struct QueryAnswer<'a> {
    /// The rows of the last statement (at most the row cap; see `x-switchboard-truncated`).
    data: RowObjects<'a>,
    /// The last statement's first keyword, e.g. `UPDATE`, `SELECT`.
    command: Option<String>,
    /// Rows it changed or returned; null when not known (a result cut at the row cap).
    rows_affected: Option<u64>,
    /// The id it generated for an `AUTO_INCREMENT` column, if any.
    last_insert_id: Option<u64>,
    /// How many warnings the server noted.
    warnings: u16,
}

/// `POST /api/platform/mysql/{ref}/query`: the rows of the last statement; with `explain` its
/// plan; with `Accept: application/x-ndjson` or `text/csv` every row of one statement, streamed.
// Each argument is one axum extractor; grouping them would only hide what the handler reads.
#[allow(clippy::too_many_arguments)]
pub async fn run_query(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
    note: AuditNote,
    headers: HeaderMap,
    ApiJson(body): ApiJson<QueryBody>,
) -> ApiResult<Response> {
    if body.query.trim().is_empty() {
        return Err(ApiError::validation("query must not be empty"));
    }
    let (ctx, mysql) =
        Opened::<MysqlClient>::open(&app, &user, &project_ref, target.connection_id, Permission::Read).await?;
    // Held while the statement runs (for a stream, until it ends): each user's SQL on a
    // connection is bounded like PostgreSQL's.
    let slot = app.sql_slots.take(user.id, mysql.id())?;
    let writer = ctx.role.allows(Permission::Write);
    if body.explain {
        let plan = mysql.scrubbed(&app, query::explain(&mysql.client, &body.query, !writer).await)?;
        return Ok(Data(plan).into_response());
    }
    if writer {
        note.details(json!({
            "command": query::split(&body.query).last().and_then(|s| s.words.first().cloned()),
            "statement_sha256": hex::encode(Sha256::digest(body.query.as_bytes())),
        }));
    }
    if let Some(format) = crate::api::export::format(&headers) {
        let stream = mysql.scrubbed(&app, export::start(&mysql.client, body.query, !writer, format).await)?;
        return Ok(crate::api::export::response(format, stream, slot));
    }
    let request = QueryRequest { sql: &body.query, row_cap: DEFAULT_ROW_CAP };
    let result = if writer {
        mysql.scrubbed(&app, query::write(&mysql.client, request).await)?
    } else {
        mysql.scrubbed(&app, query::read(&mysql.client, request).await)?
    };
    let rows = Rows {
        columns: result.columns,
        rows: result.rows,
        truncated: result.truncated,
        rows_affected: result.rows_affected,
    };
    let answer = QueryAnswer {
        data: rows.objects(),
        command: result.command,
        rows_affected: rows.rows_affected,
        last_insert_id: result.last_insert_id,
        warnings: result.warnings,
    };
    let mut response = axum::Json(answer).into_response();
    let headers = response.headers_mut();
    headers.insert(ROW_CAP_HEADER, HeaderValue::from(DEFAULT_ROW_CAP));
    headers.insert(TRUNCATED_HEADER, HeaderValue::from_static(if rows.truncated { "true" } else { "false" }));
    Ok(response)
}

/// `GET …/databases`.
pub async fn databases(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Vec<catalog::Database>>> {
    let (_, mysql) =
        Opened::<MysqlClient>::open(&app, &user, &project_ref, target.connection_id, Permission::Read).await?;
    Ok(Data(mysql.scrubbed(&app, catalog::databases(&mysql.client).await)?))
}

/// `?table=` of the listings that can narrow to one table.
#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableQuery {
    connection_id: Option<ConnectionId>,
    /// Only this table's.
    table: Option<String>,
}

/// Opens the connection for a read of `database`'s catalog.
async fn catalog_of(
    app: &AppState,
    user: &AuthUser,
    project_ref: &str,
    connection_id: Option<ConnectionId>,
) -> ApiResult<Opened<MysqlClient>> {
    Ok(Opened::<MysqlClient>::open(app, user, project_ref, connection_id, Permission::Read).await?.1)
}

/// `GET …/databases/{database}/tables`.
pub async fn tables(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Vec<catalog::Table>>> {
    let mysql = catalog_of(&app, &user, &project_ref, target.connection_id).await?;
    Ok(Data(mysql.scrubbed(&app, catalog::tables(&mysql.client, &database).await)?))
}

/// `GET …/databases/{database}/views`.
pub async fn views(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Vec<catalog::View>>> {
    let mysql = catalog_of(&app, &user, &project_ref, target.connection_id).await?;
    Ok(Data(mysql.scrubbed(&app, catalog::views(&mysql.client, &database).await)?))
}

/// `GET …/databases/{database}/columns?table=`.
pub async fn columns(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<TableQuery>,
) -> ApiResult<Data<Vec<catalog::Column>>> {
    let mysql = catalog_of(&app, &user, &project_ref, q.connection_id).await?;
    Ok(Data(mysql.scrubbed(&app, catalog::columns(&mysql.client, &database, q.table.as_deref()).await)?))
}

/// `GET …/databases/{database}/indexes?table=`.
pub async fn indexes(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<TableQuery>,
) -> ApiResult<Data<Vec<catalog::Index>>> {
    let mysql = catalog_of(&app, &user, &project_ref, q.connection_id).await?;
    Ok(Data(mysql.scrubbed(&app, catalog::indexes(&mysql.client, &database, q.table.as_deref()).await)?))
}

/// `GET …/databases/{database}/foreign-keys`.
pub async fn foreign_keys(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Vec<catalog::ForeignKey>>> {
    let mysql = catalog_of(&app, &user, &project_ref, target.connection_id).await?;
    Ok(Data(mysql.scrubbed(&app, catalog::foreign_keys(&mysql.client, &database).await)?))
}

/// `GET …/activity`: the server's connections (the processlist), the longest running first.
pub async fn processlist(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Vec<activity::Process>>> {
    let mysql = catalog_of(&app, &user, &project_ref, target.connection_id).await?;
    Ok(Data(mysql.scrubbed(&app, activity::list(&mysql.client).await)?))
}

/// Query of `POST …/activity/{id}/kill`.
#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KillQuery {
    connection_id: Option<ConnectionId>,
    /// `true` stops the running statement only (`KILL QUERY`); otherwise the connection ends.
    query_only: Option<bool>,
}

/// `POST …/activity/{id}/kill` (admins; audited with the id).
pub async fn kill(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, u64)>,
    ApiQuery(q): ApiQuery<KillQuery>,
    note: AuditNote,
) -> ApiResult<StatusCode> {
    let (_, mysql) = Opened::<MysqlClient>::open(&app, &user, &project_ref, q.connection_id, Permission::Admin).await?;
    note.connection(mysql.id());
    note.target(format!("connection {id}"));
    mysql.scrubbed(&app, activity::kill(&mysql.client, id, q.query_only.unwrap_or(false)).await)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The connection and table a rows request works on, with the caller's SQL slot held while the
/// request runs (an exact count holds a session like SQL does).
struct RowsOpened {
    mysql: Opened<MysqlClient>,
    table: rows::Table,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

/// Authorizes `permission`, takes the caller's SQL slot and reads the table.
async fn open_rows(
    app: &AppState,
    user: &AuthUser,
    (project_ref, database, table): &(String, String, String),
    connection_id: Option<ConnectionId>,
    permission: Permission,
) -> ApiResult<RowsOpened> {
    let (_, mysql) = Opened::<MysqlClient>::open(app, user, project_ref, connection_id, permission).await?;
    let slot = app.sql_slots.take(user.id, mysql.id())?;
    let table = mysql.scrubbed(app, rows::describe(&mysql.client, database, table).await)?;
    Ok(RowsOpened { mysql, table, _slot: slot })
}

/// A write naming `count` rows: opened for a developer, the count checked and noted for the audit.
async fn open_rows_write(
    app: &AppState,
    user: &AuthUser,
    path: &(String, String, String),
    target: RowsTarget,
    note: &AuditNote,
    count: usize,
) -> ApiResult<RowsOpened> {
    check_write_count(count)?;
    let opened = open_rows(app, user, path, target.connection_id, Permission::Write).await?;
    note.target(format!("{}/{}", path.1, path.2));
    note.details(json!({ "rows": count }));
    Ok(opened)
}

/// `GET …/databases/{database}/tables/{table}/rows`: one page with its columns, the next page's
/// cursor and the (estimated or exact) count — PostgreSQL's shape.
pub async fn list_rows(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(path): ApiPath<(String, String, String)>,
    params: RowsQuery,
) -> ApiResult<Response> {
    if params.format.is_some() {
        return Err(ApiError::validation(
            "a MariaDB/MySQL table is exported with POST …/query and Accept: text/csv or application/x-ndjson; this route answers pages",
        ));
    }
    let RowsOpened { mysql, table, .. } = open_rows(&app, &user, &path, params.connection_id, Permission::Read).await?;
    let request = mysql.scrubbed(&app, page_request(&table, params))?;
    let page = mysql.scrubbed(&app, rows::page(&mysql.client, &table, &request).await)?;
    let rows = Rows { columns: page.rows.columns, rows: page.rows.rows, truncated: false, rows_affected: None };
    let body = RowsPage {
        rows: rows.objects(),
        columns: request.picked(table.columns.len()).into_iter().map(|i| &table.columns[i]).collect(),
        primary_key: table.primary_key_names(),
        cursor: page.cursor,
        paging: page.paging,
        count: page.count,
        count_is_estimate: page.count_is_estimate,
        count_note: page.count_note,
    };
    Ok(Data(body).into_response())
}

/// Rows as answered by a write: objects of every column.
fn written(result: query::QueryResult) -> Rows {
    Rows { columns: result.columns, rows: result.rows, truncated: false, rows_affected: None }
}

/// `POST …/rows`: inserts one row or an array in one transaction; answers them as stored.
pub async fn insert_rows(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(path): ApiPath<(String, String, String)>,
    ApiQuery(target): ApiQuery<RowsTarget>,
    note: AuditNote,
    ApiJson(body): ApiJson<InsertBody>,
) -> ApiResult<Response> {
    let items = match body {
        InsertBody::One(row) => vec![row],
        InsertBody::Many(rows) => rows,
    };
    let RowsOpened { mysql, table, .. } = open_rows_write(&app, &user, &path, target, &note, items.len()).await?;
    let stored = written(mysql.scrubbed(&app, rows::insert(&mysql.client, &table, &items).await)?);
    Ok((StatusCode::CREATED, Data(stored.objects())).into_response())
}

/// `PATCH …/rows`: updates rows named by primary key in one transaction; a row that no longer
/// matches its `expect` answers 409 with its current values and nothing is written.
pub async fn update_rows(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(path): ApiPath<(String, String, String)>,
    ApiQuery(target): ApiQuery<RowsTarget>,
    note: AuditNote,
    ApiJson(items): ApiJson<Vec<RowUpdate>>,
) -> ApiResult<Response> {
    let RowsOpened { mysql, table, .. } = open_rows_write(&app, &user, &path, target, &note, items.len()).await?;
    match rows::update(&mysql.client, &table, &items).await {
        Ok(result) => Ok(Data(written(result).objects()).into_response()),
        Err(e) => Err(stale(e).unwrap_or_else(|e| mysql.error(&app, e))),
    }
}

/// `DELETE …/rows`: deletes rows named by primary key in one transaction.
pub async fn delete_rows(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(path): ApiPath<(String, String, String)>,
    ApiQuery(target): ApiQuery<RowsTarget>,
    note: AuditNote,
    ApiJson(items): ApiJson<Vec<RowKey>>,
) -> ApiResult<Response> {
    let RowsOpened { mysql, table, .. } = open_rows_write(&app, &user, &path, target, &note, items.len()).await?;
    let deleted = mysql.scrubbed(&app, rows::delete(&mysql.client, &table, &items).await)?;
    Ok(Data(Deleted { deleted }).into_response())
}
