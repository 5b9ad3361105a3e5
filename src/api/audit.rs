//! The audit trail: `GET /api/platform/projects/{ref}/audit` (project admins) and
//! `GET /api/platform/audit` (superusers; every record, platform-level ones — users,
//! organizations, projects — included). Newest first, filtered by user, action, engine,
//! connection, outcome, target and time, paged with the `before` cursor; with `format=ndjson` (or
//! `Accept: application/x-ndjson`) or `format=csv`, every matching record streams as a download.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{ApiPath, ApiQuery, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::{ConnectionId, Permission, UserId};
use crate::error::{ApiError, ApiResult};
use crate::store::{AuditFilter, AuditRecord};

/// Records read from the store at a time while exporting.
const EXPORT_BATCH: i64 = 500;

/// Query of the audit listings.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    user_id: Option<UserId>,
    /// Records whose action contains this text (e.g. `keys`, `DELETE`).
    action: Option<String>,
    /// `redis`, `mongodb` or `postgres`.
    engine: Option<String>,
    connection_id: Option<ConnectionId>,
    /// How the action ended: `ok`, `denied` (refused by a permission check), `error`, `unknown`
    /// (a write that timed out) or `pending` (recorded, not yet finished).
    #[schemars(extend("enum" = ["ok", "denied", "error", "unknown", "pending"]))]
    outcome: Option<String>,
    /// RFC 3339.
    #[schemars(extend("format" = "date-time"))]
    since: Option<String>,
    /// RFC 3339.
    #[schemars(extend("format" = "date-time"))]
    until: Option<String>,
    /// The cursor: only records older than this id (`next_before` of the previous page).
    before: Option<i64>,
    /// Records per page, 1-500 (default 100).
    limit: Option<i64>,
    /// Records whose target (a key, a member's e-mail, a token's name…) contains this text.
    target: Option<String>,
    /// `csv` or `ndjson`: every matching record, streamed as a download (instead of a page).
    #[schemars(extend("enum" = ["json", "csv", "ndjson"]))]
    format: Option<String>,
}

/// How the trail is answered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Page,
    Ndjson,
    Csv,
}

/// A page of the trail.
#[derive(Serialize, JsonSchema)]
pub struct AuditPage {
    entries: Vec<AuditRecord>,
    /// Pass as `before` for the next (older) page; `null` at the end.
    next_before: Option<i64>,
}

fn time_param(name: &str, value: Option<&str>) -> ApiResult<Option<OffsetDateTime>> {
    value
        .map(|v| {
            OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
                .map_err(|_| ApiError::validation(format!("{name} must be an RFC 3339 time like 2026-01-01T00:00:00Z")))
        })
        .transpose()
}

impl AuditQuery {
    fn format(&self, headers: &HeaderMap) -> ApiResult<Format> {
        match self.format.as_deref() {
            Some("csv") => Ok(Format::Csv),
            Some("ndjson") => Ok(Format::Ndjson),
            Some("json") => Ok(Format::Page),
            Some(other) => Err(ApiError::validation(format!("format must be json, csv or ndjson, not `{other}`"))),
            None if wants_ndjson(headers) => Ok(Format::Ndjson),
            None => Ok(Format::Page),
        }
    }

    fn filter(self, project_ref: Option<String>) -> ApiResult<AuditFilter> {
        if let Some(engine) = &self.engine {
            engine.parse::<crate::domain::Engine>().map_err(ApiError::validation)?;
        }
        Ok(AuditFilter {
            project_ref,
            user_id: self.user_id,
            action: self.action.filter(|a| !a.is_empty()),
            engine: self.engine.filter(|e| !e.is_empty()),
            connection_id: self.connection_id,
            outcome: self.outcome.filter(|o| !o.is_empty()),
            target: self.target.filter(|t| !t.is_empty()),
            since: time_param("since", self.since.as_deref())?,
            until: time_param("until", self.until.as_deref())?,
            before_id: self.before,
            limit: self.limit.unwrap_or(100).clamp(1, 500),
        })
    }
}

fn wants_ndjson(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/x-ndjson"))
}

/// One CSV field, quoted when it holds a separator, a quote or a line break (RFC 4180); a
/// leading `=`, `+`, `-` or `@` is prefixed with `'` so spreadsheets do not run it as a formula.
fn csv_field(out: &mut Vec<u8>, value: &str) {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_string() };
    if value.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        out.extend_from_slice(value.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(value.as_bytes());
    }
}

const CSV_HEADER: &str = "id,at,user_id,project_ref,engine,connection_id,action,target,outcome,status,request_id,\
                          client_addr,token_id,details\r\n";

fn csv_line(out: &mut Vec<u8>, record: &AuditRecord) -> std::io::Result<()> {
    let value = serde_json::to_value(record).map_err(std::io::Error::other)?;
    let fields = CSV_HEADER.trim_end().split(',');
    for (i, name) in fields.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match &value[name] {
            serde_json::Value::Null => {}
            serde_json::Value::String(s) => csv_field(out, s),
            other => csv_field(out, &other.to_string()),
        }
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// A page, or (`format=csv|ndjson`, or `Accept: application/x-ndjson`) every matching record,
/// streamed in batches.
async fn answer(app: AppState, filter: AuditFilter, format: Format) -> ApiResult<Response> {
    if format == Format::Page {
        let entries = app.store.list_audit(&filter).await?;
        let next_before = if entries.len() as i64 == filter.limit { entries.last().map(|r| r.id) } else { None };
        return Ok(Data(AuditPage { entries, next_before }).into_response());
    }
    let stream = futures_util::stream::try_unfold(Some((filter, true)), move |next| {
        let app = app.clone();
        async move {
            let Some((mut filter, first)) = next else { return Ok::<_, std::io::Error>(None) };
            filter.limit = EXPORT_BATCH;
            let records = app.store.list_audit(&filter).await.map_err(std::io::Error::other)?;
            let mut lines = Vec::new();
            if first && format == Format::Csv {
                lines.extend_from_slice(CSV_HEADER.as_bytes());
            }
            for record in &records {
                if format == Format::Csv {
                    csv_line(&mut lines, record)?;
                } else {
                    serde_json::to_writer(&mut lines, record).map_err(std::io::Error::other)?;
                    lines.push(b'\n');
                }
            }
            let more = records.len() as i64 == EXPORT_BATCH;
            filter.before_id = records.last().map(|r| r.id);
            Ok(Some((lines, more.then_some((filter, false)))))
        }
    });
    let (content_type, file) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "attachment; filename=\"audit.csv\""),
        _ => ("application/x-ndjson", "attachment; filename=\"audit.ndjson\""),
    };
    Ok(([(header::CONTENT_TYPE, content_type), (header::CONTENT_DISPOSITION, file)], Body::from_stream(stream))
        .into_response())
}

/// `GET /api/platform/projects/{ref}/audit` (admin): the project's records.
pub async fn list(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(q): ApiQuery<AuditQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Admin).await?;
    let format = q.format(&headers)?;
    let filter = q.filter(Some(ctx.project.project_ref))?;
    answer(app, filter, format).await
}

/// `GET /api/platform/audit` (superusers): every record, platform-level ones included.
pub async fn list_all(
    State(app): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if !user.is_superuser {
        return Err(ApiError::Forbidden("the platform audit trail is for superusers".into()));
    }
    let format = q.format(&headers)?;
    let filter = q.filter(None)?;
    answer(app, filter, format).await
}
