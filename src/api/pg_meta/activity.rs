//! `GET /api/platform/pg-meta/{ref}/activity` (any member): the server's client sessions with who
//! blocks them; `POST …/activity/{pid}/cancel` and `…/terminate` (admins, audited with the pid);
//! `GET …/query-stats` and `GET …/advisors` (any member).

use axum::extract::State;
use axum::http::StatusCode;

use super::{engine_error, postgres, Target};
use crate::api::{ApiPath, ApiQuery, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::Permission;
use crate::engines::postgres::activity::{self, Activity, Stop};
use crate::engines::postgres::advisors;
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;

/// `GET …/activity`.
pub async fn list(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Vec<Activity>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, target.connection_id).await?;
    Ok(Data(activity::list(&client).await.map_err(|e| engine_error(&app, &record, e))?))
}

async fn stop(
    app: AppState,
    user: AuthUser,
    project_ref: String,
    pid: i32,
    target: Target,
    note: AuditNote,
    how: Stop,
) -> ApiResult<StatusCode> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Admin).await?;
    let (record, client) = postgres(&app, &ctx, target.connection_id).await?;
    note.connection(record.id);
    note.target(format!("pid {pid}"));
    if activity::stop(&client, pid, how).await.map_err(|e| engine_error(&app, &record, e))? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no session with pid {pid}")))
    }
}

/// `POST …/activity/{pid}/cancel`: cancels the session's running statement.
pub async fn cancel(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, pid)): ApiPath<(String, i32)>,
    ApiQuery(target): ApiQuery<Target>,
    note: AuditNote,
) -> ApiResult<StatusCode> {
    stop(app, user, project_ref, pid, target, note, Stop::Cancel).await
}

/// `POST …/activity/{pid}/terminate`: ends the session.
pub async fn terminate(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, pid)): ApiPath<(String, i32)>,
    ApiQuery(target): ApiQuery<Target>,
    note: AuditNote,
) -> ApiResult<StatusCode> {
    stop(app, user, project_ref, pid, target, note, Stop::Terminate).await
}

/// Query of `GET …/query-stats`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryStatsQuery {
    connection_id: Option<crate::domain::ConnectionId>,
    /// `total_time` (default), `mean_time`, `calls` or `rows`.
    order: Option<activity::StatsOrder>,
    /// Statements listed (1-500, default 20).
    limit: Option<i64>,
}

/// `GET …/query-stats`: the top statements from `pg_stat_statements`; when the extension is not
/// installed, `available: false` and how to enable it.
pub async fn query_stats(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(q): ApiQuery<QueryStatsQuery>,
) -> ApiResult<Data<activity::QueryStats>> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::validation("limit must be between 1 and 500"));
    }
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, q.connection_id).await?;
    let order = q.order.unwrap_or(activity::StatsOrder::TotalTime);
    Ok(Data(activity::query_stats(&client, order, limit).await.map_err(|e| engine_error(&app, &record, e))?))
}

/// `GET …/advisors`: findings about the schema, indexes, sessions and transaction id age, each
/// with a severity and the SQL that fixes it where there is one, plus sizes and cache hit ratios.
pub async fn advisors(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<advisors::Advice>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, target.connection_id).await?;
    Ok(Data(advisors::advise(&client).await.map_err(|e| engine_error(&app, &record, e))?))
}
