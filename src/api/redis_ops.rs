//! Redis operations: what the server is doing (`GET …/slowlog`, `…/clients`, `…/memory`; any
//! member), stopping what hurts (`DELETE …/slowlog`, `DELETE …/clients/{id}`; admins), and the
//! keyspace analysis as a background job (`POST …/analysis`; any member: it reads only what the key
//! browser already shows, at a rate the caller bounds).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::redis::Target;
use super::{ApiJson, ApiPath, ApiQuery, Data};
use crate::app::AppState;
use crate::auth::ProjectContext;
use crate::auth::{authorize, AuthUser};
use crate::domain::{ConnectionId, Permission};
use crate::engines::redis::analysis::{analyse, AnalysisOptions};
use crate::engines::redis::ops::{self, ClientEntry, SlowEntry};
use crate::engines::redis::RedisClient;
use crate::error::{ApiError, ApiResult};
use crate::jobs::NewJob;
use crate::middleware::audit::AuditNote;

/// Keys examined per second unless the caller says otherwise.
const DEFAULT_KEYS_PER_SECOND: u32 = 10_000;
/// The most a caller may ask for.
const MAX_KEYS_PER_SECOND: u32 = 1_000_000;
/// Up to this many keys, every key's memory is measured by default; above, one in ten.
const MEASURE_ALL_UP_TO: i64 = 100_000;

/// Body of `POST …/redis/{ref}/analysis` (every field optional).
#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AnalysisBody {
    /// Separates namespace levels in key names (1-8 characters, default `:`).
    separator: Option<String>,
    /// Namespace levels reported (1-5, default 3).
    depth: Option<usize>,
    /// Keys examined per second at most (1-1,000,000, default 10,000), so production is not hurt.
    keys_per_second: Option<u32>,
    /// Share of keys whose memory is measured with MEMORY USAGE (0-1]; default 1 up to 100,000
    /// keys, 0.1 above. The result states the rate used.
    memory_sample_rate: Option<f64>,
}

/// `POST …/redis/{ref}/analysis?connection_id=`: starts the keyspace analysis as a job; answers
/// 202 `{"data": {"job_id", "state"}}`. Follow it with `GET …/projects/{ref}/jobs/{id}` or its
/// `events`.
pub async fn analysis(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
    note: AuditNote,
    ApiJson(body): ApiJson<AnalysisBody>,
) -> ApiResult<Response> {
    start_analysis(&app, &user, &project_ref, target.connection_id, &note, body).await
}

/// Checks the options, opens the connection and starts the job (also used by `POST …/jobs`).
pub async fn start_analysis(
    app: &AppState,
    user: &AuthUser,
    project_ref: &str,
    connection_id: Option<ConnectionId>,
    note: &AuditNote,
    body: AnalysisBody,
) -> ApiResult<Response> {
    let separator = body.separator.unwrap_or_else(|| ":".into());
    if separator.is_empty() || separator.chars().count() > 8 {
        return Err(ApiError::validation("separator must be 1 to 8 characters"));
    }
    let depth = body.depth.unwrap_or(3);
    if !(1..=5).contains(&depth) {
        return Err(ApiError::validation("depth must be between 1 and 5"));
    }
    let keys_per_second = body.keys_per_second.unwrap_or(DEFAULT_KEYS_PER_SECOND);
    if !(1..=MAX_KEYS_PER_SECOND).contains(&keys_per_second) {
        return Err(ApiError::validation(format!("keys_per_second must be between 1 and {MAX_KEYS_PER_SECOND}")));
    }
    if body.memory_sample_rate.is_some_and(|r| !(r > 0.0 && r <= 1.0)) {
        return Err(ApiError::validation("memory_sample_rate must be more than 0 and at most 1"));
    }
    let (ctx, connection, client) = open(app, user, project_ref, connection_id, Permission::Read).await?;
    let memory_sample_rate = match body.memory_sample_rate {
        Some(rate) => rate,
        None if client.db_size().await? <= MEASURE_ALL_UP_TO => 1.0,
        None => 0.1,
    };
    let options = AnalysisOptions { separator, depth, keys_per_second, memory_sample_rate };
    let new = NewJob {
        project_id: ctx.project.id,
        connection_id: Some(connection),
        kind: "redis.analysis",
        created_by: user.id,
        params: json!({
            "separator": options.separator,
            "depth": options.depth,
            "keys_per_second": options.keys_per_second,
            "memory_sample_rate": options.memory_sample_rate,
        }),
        unit: "keys",
        project_ref: ctx.project.project_ref.clone(),
    };
    let work: crate::jobs::JobWork =
        Box::new(move |job_ctx| Box::pin(async move { analyse(&client, &options, &job_ctx).await }));
    super::jobs::start(app, &ctx, note, new, work).await
}

/// The project's Redis client for `connection_id`, for a caller allowed `need`.
async fn open(
    app: &AppState,
    user: &AuthUser,
    project_ref: &str,
    connection_id: Option<ConnectionId>,
    need: Permission,
) -> ApiResult<(ProjectContext, ConnectionId, RedisClient)> {
    let ctx = authorize(app, user, project_ref, need).await?;
    let (connection, client) = super::redis::redis_connection(app, &ctx, connection_id).await?;
    Ok((ctx, connection, client))
}

/// Query of `GET …/slowlog`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlowlogQuery {
    connection_id: Option<ConnectionId>,
    /// Entries per node (1-1024, default 128).
    count: Option<u32>,
}

/// `GET …/redis/{ref}/slowlog`: the slowest recent commands of every node, newest first.
pub async fn slowlog(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(q): ApiQuery<SlowlogQuery>,
) -> ApiResult<Data<Vec<SlowEntry>>> {
    let count = q.count.unwrap_or(128);
    if !(1..=1024).contains(&count) {
        return Err(ApiError::validation("count must be between 1 and 1024"));
    }
    let (_, _, client) = open(&app, &user, &project_ref, q.connection_id, Permission::Read).await?;
    Ok(Data(ops::slowlog(&client, count).await?))
}

/// `DELETE …/redis/{ref}/slowlog` (admins): empties the slowlog of every node.
pub async fn reset_slowlog(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
    note: AuditNote,
) -> ApiResult<StatusCode> {
    let (_, connection, client) = open(&app, &user, &project_ref, target.connection_id, Permission::Admin).await?;
    note.connection(connection);
    note.target("slowlog");
    ops::reset_slowlog(&client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET …/redis/{ref}/clients`: CLIENT LIST of every node, parsed, the longest connected first.
pub async fn clients(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Vec<ClientEntry>>> {
    let (_, _, client) = open(&app, &user, &project_ref, target.connection_id, Permission::Read).await?;
    Ok(Data(ops::clients(&client).await?))
}

/// `DELETE …/redis/{ref}/clients/{id}` (admins): CLIENT KILL ID; 404 when no node has that client.
pub async fn kill_client(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, i64)>,
    ApiQuery(target): ApiQuery<Target>,
    note: AuditNote,
) -> ApiResult<StatusCode> {
    let (_, connection, client) = open(&app, &user, &project_ref, target.connection_id, Permission::Admin).await?;
    note.connection(connection);
    note.target(format!("client {id}"));
    if ops::kill_client(&client, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no client with id {id} is connected")))
    }
}

/// `GET …/redis/{ref}/memory`: MEMORY STATS and MEMORY DOCTOR of every node.
pub async fn memory(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Vec<serde_json::Value>>> {
    let (_, _, client) = open(&app, &user, &project_ref, target.connection_id, Permission::Read).await?;
    Ok(Data(ops::memory(&client).await?))
}
