//! The Table Editor's API: `GET/POST/PATCH/DELETE /api/platform/pg-meta/{ref}/tables/{id}/rows`.
//! Viewers read; developers write. A relation is named by its oid as `tables`/`views` list it.
//! Paging, filters and value checks live in `engines::postgres::rows`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{engine_error, postgres};
use crate::api::table_rows::{
    check_write_count, page_request, stale, Deleted, InsertBody, RowsPage, RowsQuery, RowsTarget,
};
use crate::api::{ApiJson, ApiPath, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::{ConnectionId, Permission};
use crate::engines::export::Format;
use crate::engines::postgres::rows::{self, Relation, RowKey, RowUpdate};
use crate::engines::postgres::{export, PostgresClient, SqlCaller};
use crate::error::ApiResult;
use crate::middleware::audit::AuditNote;
use crate::store::ConnectionRecord;

/// The connection and the relation a rows request works on, with the caller's SQL slot held
/// while the request runs (a page, an exact count above all, holds a session like SQL does).
struct Opened {
    record: std::sync::Arc<ConnectionRecord>,
    client: PostgresClient,
    relation: Relation,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

/// Authorizes `permission`, takes the caller's SQL slot and reads the relation `id`.
async fn open(
    app: &AppState,
    user: &AuthUser,
    project_ref: &str,
    connection_id: Option<ConnectionId>,
    permission: Permission,
    id: i64,
) -> ApiResult<Opened> {
    let ctx = authorize(app, user, project_ref, permission).await?;
    let (record, client) = postgres(app, &ctx, connection_id).await?;
    let slot = app.sql_slots.take(user.id, record.id)?;
    let relation = async {
        let mut session = client.session().await?;
        let relation = rows::describe(&session, id).await?;
        session.unchanged();
        Ok(relation)
    }
    .await
    .map_err(|e| engine_error(app, &record, e))?;
    Ok(Opened { record, client, relation, _slot: slot })
}

/// A write naming `rows` rows: opened for a developer, the count checked and noted for the audit.
async fn open_write(
    app: &AppState,
    user: &AuthUser,
    project_ref: &str,
    target: RowsTarget,
    id: i64,
    note: &AuditNote,
    rows: usize,
) -> ApiResult<Opened> {
    check_write_count(rows)?;
    let opened = open(app, user, project_ref, target.connection_id, Permission::Write, id).await?;
    note.target(opened.relation.name.to_string());
    note.details(json!({ "rows": rows }));
    Ok(opened)
}

/// `GET /api/platform/pg-meta/{ref}/tables/{id}/rows`: one page of rows with their columns, a
/// cursor for the next page, and the (estimated or exact) count.
pub async fn list(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, i64)>,
    headers: HeaderMap,
    params: RowsQuery,
) -> ApiResult<Response> {
    let Opened { record, client, relation, _slot } =
        open(&app, &user, &project_ref, params.connection_id, Permission::Read, id).await?;
    let streamed = params.format.or_else(|| crate::api::export::format(&headers));
    let request = page_request(&relation, params).map_err(|e| engine_error(&app, &record, e))?;
    if let Some(format) = streamed {
        // Every matching row, streamed: our own statement (catalog names, bound filter values),
        // read-only as the connection's login like a page; the SQL slot is held until the end.
        let (sql, parameters) = rows::export_query(&relation, &request, format == Format::Csv);
        let stream = export::start_as(&client, SqlCaller::Writer, sql, parameters, true, format)
            .await
            .map_err(|e| engine_error(&app, &record, e))?;
        return Ok(crate::api::export::response(format, stream, _slot));
    }
    let page = rows::page(&client, &relation, &request).await.map_err(|e| engine_error(&app, &record, e))?;
    let body = RowsPage {
        rows: page.rows.objects(),
        columns: request.picked(relation.columns.len()).into_iter().map(|i| &relation.columns[i]).collect(),
        primary_key: relation.primary_key_names(),
        cursor: page.cursor,
        paging: page.paging,
        count: page.count,
        count_is_estimate: page.count_is_estimate,
        count_note: page.count_note,
    };
    Ok(Data(body).into_response())
}

/// `POST /api/platform/pg-meta/{ref}/tables/{id}/rows`: inserts one row or an array in one
/// transaction and answers them as stored (defaults applied).
pub async fn insert(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, i64)>,
    crate::api::ApiQuery(target): crate::api::ApiQuery<RowsTarget>,
    note: AuditNote,
    ApiJson(body): ApiJson<InsertBody>,
) -> ApiResult<Response> {
    let rows = match body {
        InsertBody::One(row) => vec![row],
        InsertBody::Many(rows) => rows,
    };
    let Opened { record, client, relation, .. } =
        open_write(&app, &user, &project_ref, target, id, &note, rows.len()).await?;
    let written = rows::insert(&client, &relation, &rows).await.map_err(|e| engine_error(&app, &record, e))?;
    Ok((StatusCode::CREATED, Data(written.objects())).into_response())
}

/// `PATCH /api/platform/pg-meta/{ref}/tables/{id}/rows`: updates rows named by primary key in one
/// transaction; a row that no longer matches its `expect` answers 409 with its current values and
/// nothing is written.
pub async fn update(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, i64)>,
    crate::api::ApiQuery(target): crate::api::ApiQuery<RowsTarget>,
    note: AuditNote,
    ApiJson(items): ApiJson<Vec<RowUpdate>>,
) -> ApiResult<Response> {
    let Opened { record, client, relation, .. } =
        open_write(&app, &user, &project_ref, target, id, &note, items.len()).await?;
    match rows::update(&client, &relation, &items).await {
        Ok(written) => Ok(Data(written.objects()).into_response()),
        Err(e) => Err(stale(e).unwrap_or_else(|e| engine_error(&app, &record, e))),
    }
}

/// `DELETE /api/platform/pg-meta/{ref}/tables/{id}/rows`: deletes rows named by primary key in one
/// transaction.
pub async fn delete(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, i64)>,
    crate::api::ApiQuery(target): crate::api::ApiQuery<RowsTarget>,
    note: AuditNote,
    ApiJson(items): ApiJson<Vec<RowKey>>,
) -> ApiResult<Response> {
    let Opened { record, client, relation, .. } =
        open_write(&app, &user, &project_ref, target, id, &note, items.len()).await?;
    let deleted = rows::delete(&client, &relation, &items).await.map_err(|e| engine_error(&app, &record, e))?;
    Ok(Data(Deleted { deleted }).into_response())
}
