//! The Table Editor's API: `GET/POST/PATCH/DELETE /api/platform/pg-meta/{ref}/tables/{id}/rows`.
//! Viewers read; developers write. A relation is named by its oid as `tables`/`views` list it.
//! Paging, filters and value checks live in `engines::postgres::rows`.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{engine_error, postgres};
use crate::api::{ApiJson, ApiPath, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::{ConnectionId, Permission};
use crate::engines::postgres::query::RowObjects;
use crate::engines::postgres::rows::{
    self, Filter, OrderBy, PageRequest, Paging, Relation, RowColumn, RowKey, RowUpdate, UpdateError, DEFAULT_LIMIT,
    MAX_LIMIT,
};
use crate::engines::postgres::PostgresClient;
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;
use crate::store::ConnectionRecord;

/// Query string of `GET …/rows`. `order`, `filter` and `select` may be repeated, so it is read
/// with a parser that keeps every value (the schema documents it for OpenAPI).
#[derive(Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RowsQuery {
    /// The PostgreSQL connection (default: the project's primary one).
    connection_id: Option<ConnectionId>,
    /// Rows per page, 1 to 1,000 (default 100).
    limit: Option<usize>,
    /// `column.asc|desc[.nullsfirst|.nullslast]`, repeatable; the primary key is always appended.
    #[serde(default)]
    order: Vec<String>,
    /// `column.op.value` (ops `eq neq lt lte gt gte like ilike in is`; `in` takes `(a,b,"c,d")`), or
    /// `column.null` / `column.notnull`; repeatable, all must hold.
    #[serde(default)]
    filter: Vec<String>,
    /// Columns to return (repeatable, or comma-separated); all by default.
    #[serde(default)]
    select: Vec<String>,
    /// Where the previous page ended (opaque; only valid with the same order and filters).
    cursor: Option<String>,
    /// `exact` counts the matching rows (bounded by the statement timeout); `estimated` (default)
    /// asks the planner.
    count: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for RowsQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut query = RowsQuery::default();
        let raw = parts.uri.query().unwrap_or_default();
        for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
            let value = value.into_owned();
            let number = |what: &str| {
                value
                    .parse()
                    .map_err(|_| ApiError::validation(format!("invalid query string: {what} must be a number")))
            };
            match key.as_ref() {
                "connection_id" => {
                    query.connection_id = Some(value.parse().map_err(|_| {
                        ApiError::validation("invalid query string: connection_id is not a connection id")
                    })?)
                }
                "limit" => query.limit = Some(number("limit")?),
                "order" => query.order.push(value),
                "filter" => query.filter.push(value),
                "select" => query.select.push(value),
                "cursor" => query.cursor = Some(value),
                "count" => query.count = Some(value),
                other => return Err(ApiError::validation(format!("invalid query string: unknown field `{other}`"))),
            }
        }
        Ok(query)
    }
}

/// `?connection_id=` of the row writes.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RowsTarget {
    connection_id: Option<ConnectionId>,
}

/// Body of `POST …/rows`: one row or an array of rows (column → value; omitted columns take their
/// defaults).
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum InsertBody {
    /// One row.
    One(Map<String, Value>),
    /// Several rows, inserted in one transaction.
    Many(Vec<Map<String, Value>>),
}

/// A page of a table's rows (`GET …/tables/{id}/rows`).
#[derive(Serialize, JsonSchema)]
pub struct RowsPage<'a> {
    /// The rows, objects of the relation's columns.
    rows: RowObjects<'a>,
    /// The relation's columns, in order, with their types.
    columns: Vec<&'a RowColumn>,
    /// The primary key's columns (empty without one: pages go by offset and rows cannot be written).
    primary_key: Vec<String>,
    /// Where the next page starts (`cursor` of the next request); null on the last page.
    cursor: Option<String>,
    /// How pages continue.
    paging: Paging,
    /// The number of matching rows, when counted.
    count: Option<i64>,
    /// The count is the planner's estimate, not an exact count.
    count_is_estimate: bool,
    /// Why the count is missing or estimated.
    count_note: Option<String>,
}

/// The answer of `DELETE …/tables/{id}/rows`.
#[derive(Serialize, JsonSchema)]
pub struct Deleted {
    /// How many rows were deleted.
    pub deleted: u64,
}

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
    if rows == 0 {
        return Err(ApiError::validation("name at least one row"));
    }
    if rows > MAX_LIMIT {
        return Err(ApiError::validation(format!("at most {MAX_LIMIT} rows per call")));
    }
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
    params: RowsQuery,
) -> ApiResult<Response> {
    let Opened { record, client, relation, .. } =
        open(&app, &user, &project_ref, params.connection_id, Permission::Read, id).await?;
    let request = page_request(&relation, params).map_err(|e| engine_error(&app, &record, e))?;
    let page = rows::page(&client, &relation, &request).await.map_err(|e| engine_error(&app, &record, e))?;
    let body = RowsPage {
        rows: page.rows.objects(),
        columns: request.picked(&relation).into_iter().map(|i| &relation.columns[i]).collect(),
        primary_key: relation.primary_key_names(),
        cursor: page.cursor,
        paging: page.paging,
        count: page.count,
        count_is_estimate: page.count_is_estimate,
        count_note: page.count_note,
    };
    Ok(Data(body).into_response())
}

fn page_request(relation: &Relation, params: RowsQuery) -> Result<PageRequest, crate::engines::EngineError> {
    use crate::engines::EngineError;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(EngineError::Config(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let exact_count = match params.count.as_deref() {
        None | Some("estimated") => false,
        Some("exact") => true,
        Some(_) => return Err(EngineError::Config("count must be exact or estimated".into())),
    };
    let order = params.order.iter().map(|o| OrderBy::parse(relation, o)).collect::<Result<Vec<_>, _>>()?;
    let filters = params.filter.iter().map(|f| Filter::parse(relation, f)).collect::<Result<Vec<_>, _>>()?;
    let select =
        if params.select.is_empty() { None } else { Some(PageRequest::parse_select(relation, &params.select)?) };
    Ok(PageRequest { limit, order, filters, select, cursor: params.cursor, exact_count })
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
        Err(UpdateError::Stale { pk, current }) => Err(ApiError::Stale {
            message: match current {
                Some(_) => "the row changed since it was read; nothing was written".into(),
                None => "the row was deleted since it was read; nothing was written".into(),
            },
            details: json!({ "pk": pk, "current": current }),
        }),
        Err(UpdateError::Engine(e)) => Err(engine_error(&app, &record, e)),
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
