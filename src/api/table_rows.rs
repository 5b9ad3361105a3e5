//! What the Table Editor's rows routes share on every SQL engine (`…/rows` of a table): the
//! query string of a page, the bodies of row writes, the page's answer, and how a stale update is
//! answered. The engine-side meaning lives in `engines::table_rows`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::domain::ConnectionId;
use crate::engines::postgres::query::RowObjects;
use crate::engines::table_rows::{
    Filter, OrderBy, PageRequest, Paging, RowColumns, UpdateError, DEFAULT_LIMIT, MAX_LIMIT,
};
use crate::engines::EngineError;
use crate::error::ApiError;

/// Query string of `GET …/rows`. `order`, `filter` and `select` may be repeated, so it is read
/// with a parser that keeps every value (the schema documents it for OpenAPI).
#[derive(Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RowsQuery {
    /// The connection (default: the project's primary one of the engine).
    pub connection_id: Option<ConnectionId>,
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
    pub cursor: Option<String>,
    /// `exact` counts the matching rows (bounded by the statement timeout); `estimated` (default)
    /// asks the planner.
    count: Option<String>,
    /// Streams every matching row as this format, as `Accept` would (for a download link, which
    /// cannot set headers): `csv` or `ndjson`. Where the engine's route streams.
    pub format: Option<crate::engines::export::Format>,
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
                "format" => {
                    query.format = Some(match value.as_str() {
                        "csv" => crate::engines::export::Format::Csv,
                        "ndjson" => crate::engines::export::Format::Ndjson,
                        _ => return Err(ApiError::validation("invalid query string: format is csv or ndjson")),
                    })
                }
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
    /// The connection (default: the project's primary one of the engine).
    pub connection_id: Option<ConnectionId>,
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

/// A page of a table's rows (`GET …/rows`); `C` is the engine's column description.
#[derive(Serialize, JsonSchema)]
pub struct RowsPage<'a, C: Serialize + JsonSchema> {
    /// The rows, objects of the relation's columns.
    pub rows: RowObjects<'a>,
    /// The relation's columns, in order, with their types.
    pub columns: Vec<&'a C>,
    /// The primary key's columns (empty without one: pages go by offset and rows cannot be written).
    pub primary_key: Vec<String>,
    /// Where the next page starts (`cursor` of the next request); null on the last page.
    pub cursor: Option<String>,
    /// How pages continue.
    pub paging: Paging,
    /// The number of matching rows, when counted.
    pub count: Option<i64>,
    /// The count is the planner's estimate, not an exact count.
    pub count_is_estimate: bool,
    /// Why the count is missing or estimated.
    pub count_note: Option<String>,
}

/// The answer of `DELETE …/tables/{id}/rows`.
#[derive(Serialize, JsonSchema)]
pub struct Deleted {
    /// How many rows were deleted.
    pub deleted: u64,
}

/// Reads a page request against `table`'s columns.
pub fn page_request(table: &impl RowColumns, params: RowsQuery) -> Result<PageRequest, EngineError> {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(EngineError::Config(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let exact_count = match params.count.as_deref() {
        None | Some("estimated") => false,
        Some("exact") => true,
        Some(_) => return Err(EngineError::Config("count must be exact or estimated".into())),
    };
    let order = params.order.iter().map(|o| OrderBy::parse(table, o)).collect::<Result<Vec<_>, _>>()?;
    let filters = params.filter.iter().map(|f| Filter::parse(table, f)).collect::<Result<Vec<_>, _>>()?;
    let select = if params.select.is_empty() { None } else { Some(PageRequest::parse_select(table, &params.select)?) };
    Ok(PageRequest { limit, order, filters, select, cursor: params.cursor, exact_count })
}

/// The answer of a row update that found its row changed or gone (409, nothing written), or
/// `None` for any other error, which the caller maps with its connection's scrubbing.
pub fn stale(error: UpdateError) -> Result<ApiError, EngineError> {
    match error {
        UpdateError::Stale { pk, current } => Ok(ApiError::Stale {
            message: match current {
                Some(_) => "the row changed since it was read; nothing was written".into(),
                None => "the row was deleted since it was read; nothing was written".into(),
            },
            details: json!({ "pk": pk, "current": current }),
        }),
        UpdateError::Engine(e) => Err(e),
    }
}

/// Checks the number of rows a write names: at least one, at most [`MAX_LIMIT`].
pub fn check_write_count(rows: usize) -> Result<(), ApiError> {
    if rows == 0 {
        return Err(ApiError::validation("name at least one row"));
    }
    if rows > MAX_LIMIT {
        return Err(ApiError::validation(format!("at most {MAX_LIMIT} rows per call")));
    }
    Ok(())
}
