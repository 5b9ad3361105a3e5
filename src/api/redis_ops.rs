//! Redis operations that run as background jobs: `POST /api/platform/redis/{ref}/analysis`, the
//! keyspace analysis (see `engines::redis::analysis`). Any member may start one: it reads only
//! what the key browser already shows, at a rate the caller bounds.

use axum::extract::State;
use axum::response::Response;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::redis::Target;
use super::{ApiJson, ApiPath, ApiQuery};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::connections::client_for;
use crate::domain::{ConnectionId, Engine, Permission};
use crate::engines::redis::analysis::{analyse, AnalysisOptions};
use crate::engines::EngineClient;
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
    let ctx = authorize(app, user, project_ref, Permission::Read).await?;
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
    let (record, client) = match client_for(app, &ctx.project, Engine::Redis, connection_id).await? {
        (record, EngineClient::Redis(client)) => (record, client),
        _ => return Err(ApiError::Internal(anyhow::anyhow!("a redis connection opened a non-redis client"))),
    };
    let memory_sample_rate = match body.memory_sample_rate {
        Some(rate) => rate,
        None if client.db_size().await? <= MEASURE_ALL_UP_TO => 1.0,
        None => 0.1,
    };
    let options = AnalysisOptions { separator, depth, keys_per_second, memory_sample_rate };
    let new = NewJob {
        project_id: ctx.project.id,
        connection_id: Some(record.id),
        kind: "redis.analysis",
        created_by: user.id,
        params: json!({
            "separator": options.separator,
            "depth": options.depth,
            "keys_per_second": options.keys_per_second,
            "memory_sample_rate": options.memory_sample_rate,
        }),
        unit: "keys",
    };
    let work: crate::jobs::JobWork =
        Box::new(move |job_ctx| Box::pin(async move { analyse(&client, &options, &job_ctx).await }));
    super::jobs::start(app, &ctx, note, new, work).await
}
