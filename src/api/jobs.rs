//! Background jobs of a project: `GET/POST /api/platform/projects/{ref}/jobs`, `GET …/jobs/{id}`,
//! `GET …/jobs/{id}/events` (Server-Sent Events of progress) and `DELETE …/jobs/{id}` (cancel).
//! Jobs are read from the platform store, so any replica answers; starting and cancelling are
//! audited like every mutating request. The engine routes that start a job (e.g.
//! `POST …/redis/{ref}/analysis`) answer `{"data": {"job_id": …}}` through [`start`].

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{ApiJson, ApiPath, Data};
use crate::app::{App, AppState};
use crate::auth::{authorize, AuthUser, ProjectContext};
use crate::domain::{ConnectionId, JobId, Permission};
use crate::error::{ApiError, ApiResult};
use crate::jobs::{JobWork, NewJob};
use crate::middleware::audit::AuditNote;
use crate::store::{JobProgress, JobRecord, JobState};

/// How often an event stream re-reads its job.
const EVENT_POLL: Duration = Duration::from_millis(500);
/// Jobs listed at most.
const LIST_LIMIT: i64 = 200;

/// A job as the API shows it.
#[derive(Serialize, JsonSchema)]
pub struct JobView {
    id: JobId,
    kind: String,
    connection_id: Option<ConnectionId>,
    /// Who started it.
    created_by: Option<crate::domain::UserId>,
    state: JobState,
    progress: JobProgress,
    params: Value,
    result: Option<Value>,
    error: Option<String>,
    cancel_requested: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(schema_with = "crate::openapi::timestamp")]
    created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(schema_with = "crate::openapi::optional_timestamp")]
    started_at: Option<time::OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(schema_with = "crate::openapi::optional_timestamp")]
    finished_at: Option<time::OffsetDateTime>,
}

impl From<JobRecord> for JobView {
    fn from(j: JobRecord) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            connection_id: j.connection_id,
            created_by: j.created_by,
            state: j.state,
            progress: j.progress,
            params: j.params,
            result: j.result,
            error: j.error,
            cancel_requested: j.cancel_requested,
            created_at: j.created_at,
            started_at: j.started_at,
            finished_at: j.finished_at,
        }
    }
}

/// Stores and starts a job for a handler that has authorized its caller; answers 202 with the
/// job's id, and notes the job in the audit record.
pub async fn start(
    app: &AppState,
    ctx: &ProjectContext,
    note: &AuditNote,
    new: NewJob,
    work: JobWork,
) -> ApiResult<Response> {
    debug_assert_eq!(new.project_id, ctx.project.id);
    let kind = new.kind;
    if let Some(connection) = new.connection_id {
        note.connection(connection);
    }
    let params = new.params.clone();
    let job = app.jobs.start(app.store.clone(), new, work).await?;
    note.target(format!("job {}", job.id));
    note.details(json!({"job_id": job.id, "kind": kind, "params": params}));
    Ok((StatusCode::ACCEPTED, Data(Started { job_id: job.id, state: job.state })).into_response())
}

/// The answer of a route that starts a job.
#[derive(Serialize, JsonSchema)]
pub struct Started {
    /// The job's id, for `…/jobs/{id}` and its events.
    pub job_id: JobId,
    /// Its state as it started.
    pub state: JobState,
}

async fn find(app: &App, ctx: &ProjectContext, id: JobId) -> ApiResult<JobRecord> {
    app.store.find_job(ctx.project.id, id).await?.ok_or_else(|| ApiError::NotFound(format!("job {id} not found")))
}

/// `GET …/jobs`: the project's jobs, newest first.
pub async fn list(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
) -> ApiResult<Data<Vec<JobView>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let jobs = app.store.list_jobs(ctx.project.id, LIST_LIMIT).await?;
    Ok(Data(jobs.into_iter().map(JobView::from).collect()))
}

/// `GET …/jobs/{id}`.
pub async fn get(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, JobId)>,
) -> ApiResult<Data<JobView>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    Ok(Data(find(&app, &ctx, id).await?.into()))
}

/// `DELETE …/jobs/{id}`: asks the job to stop (its starter or an admin). The replica running it
/// stops it at once if it is this one, otherwise at its next heartbeat; the answer is the job as
/// stored now (`cancel_requested: true`). 409 when it has already ended.
pub async fn cancel(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, JobId)>,
    note: AuditNote,
) -> ApiResult<Data<JobView>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let job = find(&app, &ctx, id).await?;
    // An API token acts with its creator's id but not as them: only its own role counts.
    let starter = job.created_by == Some(user.id) && user.scope.is_none();
    if !starter && !ctx.role.allows(Permission::Admin) {
        return Err(ApiError::Forbidden("only the member who started a job, or an admin, can cancel it".into()));
    }
    note.target(format!("job {id}"));
    if let Some(connection) = job.connection_id {
        note.connection(connection);
    }
    if !app.store.request_job_cancel(ctx.project.id, id).await? {
        return Err(ApiError::Conflict(format!("job {id} has already ended ({})", job.state.as_str())));
    }
    app.jobs.cancel_here(id);
    Ok(Data(find(&app, &ctx, id).await?.into()))
}

/// `GET …/jobs/{id}/events`: Server-Sent Events — `progress` with the job whenever its state or
/// progress changes, then `done` with the ended job, and the stream ends. Read from the store, so
/// it works on any replica.
pub async fn events(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, JobId)>,
) -> ApiResult<Response> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let first = find(&app, &ctx, id).await?;
    let project = ctx.project.id;
    // The stream's state: the app, the last (state, progress) sent, a job already read, and
    // whether `done` has been sent.
    let stream = futures_util::stream::unfold(
        (app, None::<(JobState, JobProgress)>, Some(first), false),
        move |(app, mut sent, mut next, ended)| async move {
            if ended {
                return None;
            }
            loop {
                let job = match next.take() {
                    Some(job) => job,
                    None => {
                        tokio::time::sleep(EVENT_POLL).await;
                        match app.store.find_job(project, id).await {
                            Ok(Some(job)) => job,
                            // Forgotten (retention) or deleted with its project: the stream ends.
                            Ok(None) => return None,
                            Err(e) => {
                                tracing::warn!(job_id = %id, error = %e, "could not read a job for its events");
                                continue;
                            }
                        }
                    }
                };
                let seen = (job.state, job.progress.clone());
                if sent.as_ref() == Some(&seen) {
                    continue;
                }
                sent = Some(seen);
                let ended = job.state.is_final();
                let name = if ended { "done" } else { "progress" };
                let event = Event::default().event(name).json_data(JobView::from(job)).unwrap_or_default();
                return Some((Ok::<_, Infallible>(event), (app, sent, None, ended)));
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

/// Body of `POST …/jobs`: a job by kind, with its kind's parameters.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartJob {
    /// What to run: `redis.analysis`.
    #[schemars(extend("enum" = ["redis.analysis"]))]
    kind: String,
    /// The connection (default: the engine's primary).
    connection_id: Option<ConnectionId>,
    /// The kind's parameters (for `redis.analysis`, the body of `POST …/redis/{ref}/analysis`).
    #[serde(default)]
    params: Value,
}

/// `POST …/jobs`: starts a job of a known kind; the same as the kind's own route.
pub async fn create(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    note: AuditNote,
    ApiJson(body): ApiJson<StartJob>,
) -> ApiResult<Response> {
    match body.kind.as_str() {
        "redis.analysis" => {
            let params = if body.params.is_null() { json!({}) } else { body.params };
            let options = serde_json::from_value(params)
                .map_err(|e| ApiError::validation(format!("params of redis.analysis: {e}")))?;
            super::redis_ops::start_analysis(&app, &user, &project_ref, body.connection_id, &note, options).await
        }
        other => Err(ApiError::validation(format!("unknown job kind `{other}`: expected redis.analysis"))),
    }
}
