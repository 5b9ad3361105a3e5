//! `GET /api/platform/projects/{ref}/audit` (admin): the project's audit trail, newest first, with
//! filters by user, action and time, paged with `before`.

use axum::extract::State;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{ApiPath, ApiQuery, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::{Permission, UserId};
use crate::error::{ApiError, ApiResult};
use crate::store::{AuditFilter, AuditRecord};

/// Query of the audit listing.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    user_id: Option<UserId>,
    action: Option<String>,
    /// RFC 3339.
    #[schemars(extend("format" = "date-time"))]
    since: Option<String>,
    /// RFC 3339.
    #[schemars(extend("format" = "date-time"))]
    until: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
}

/// A page of the trail.
#[derive(Serialize)]
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

/// Lists audit records.
pub async fn list(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Data<AuditPage>> {
    authorize(&app, &user, &project_ref, Permission::Admin).await?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let filter = AuditFilter {
        user_id: q.user_id,
        action: q.action.filter(|a| !a.is_empty()),
        since: time_param("since", q.since.as_deref())?,
        until: time_param("until", q.until.as_deref())?,
        before_id: q.before,
        limit,
    };
    let entries = app.store.list_audit(&project_ref, &filter).await?;
    let next_before = if entries.len() as i64 == limit { entries.last().map(|r| r.id) } else { None };
    Ok(Data(AuditPage { entries, next_before }))
}
