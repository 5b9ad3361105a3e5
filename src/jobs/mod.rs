//! Background jobs: long work (a keyspace analysis, an import, a mass delete) that must not hang on
//! one HTTP request. A job is a row in the platform store, so any replica answers its status; the
//! replica that started it runs it on a tokio task that outlives the request, bounded by a slot of
//! its project and one of the server. While it runs, it writes its progress and a heartbeat every
//! [`HEARTBEAT`] and reads back whether someone (on any replica) asked to cancel it. A job whose
//! heartbeat stops (its server was killed) is marked `interrupted` by the next sweep of any
//! replica; a server that stops gracefully marks its own jobs `interrupted` at once.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::domain::{ConnectionId, JobId, ProjectId, UserId};
use crate::error::ApiError;
use crate::store::{AuditEntry, JobProgress, JobRecord, JobState, PlatformStore};

/// How often a running job writes its progress and heartbeat, and reads a cancel request.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// A queued or running job whose heartbeat is older than this is taken as cut off.
pub const STALE_AFTER: Duration = Duration::from_secs(30);
/// How long a cancelled job's work may take to stop at its next step (so its progress says
/// exactly what it did) before it is dropped where it stands.
pub const CANCEL_GRACE: Duration = Duration::from_secs(5);

/// How many jobs run at once, and how long ended jobs are kept.
#[derive(Clone, Copy, Debug)]
pub struct JobLimits {
    /// Jobs running at once on this server.
    pub per_server: usize,
    /// Jobs of one project running at once on this server.
    pub per_project: usize,
    /// How long an ended job (and its result) stays readable.
    pub retention: Duration,
}

/// Why a job's work ended without a result.
#[derive(Debug)]
pub enum JobFailure {
    /// The job saw its cancel token and stopped.
    Cancelled,
    /// The work failed; the message is shown to people (no secrets or values).
    Failed(String),
}

impl From<ApiError> for JobFailure {
    fn from(e: ApiError) -> Self {
        Self::Failed(e.to_string())
    }
}

impl From<crate::engines::EngineError> for JobFailure {
    fn from(e: crate::engines::EngineError) -> Self {
        Self::Failed(e.to_string())
    }
}

/// What a job's work gets: where to report progress and how to learn it should stop.
#[derive(Clone)]
pub struct JobContext {
    progress: Arc<Mutex<JobProgress>>,
    cancel: CancellationToken,
}

impl JobContext {
    /// Records how far the work has come (written to the store with the next heartbeat).
    pub fn progress(&self, done: u64, total: Option<u64>) {
        if let Ok(mut p) = self.progress.lock() {
            p.done = done;
            p.total = total;
        }
    }

    /// True once someone asked to cancel the job; long work checks it between steps.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Completes when the job is cancelled (for `select!` around a wait).
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await
    }

    fn snapshot(&self) -> JobProgress {
        self.progress.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

/// A job's work: given its context, a future answering the job's result.
pub type JobWork =
    Box<dyn FnOnce(JobContext) -> Pin<Box<dyn Future<Output = Result<Value, JobFailure>> + Send>> + Send>;

/// What starting a job needs besides its work.
pub struct NewJob {
    /// Its project.
    pub project_id: ProjectId,
    /// The connection it works on.
    pub connection_id: Option<ConnectionId>,
    /// What it does, e.g. `redis.analysis`.
    pub kind: &'static str,
    /// Who starts it.
    pub created_by: UserId,
    /// What it was asked (names and numbers, never values or secrets).
    pub params: Value,
    /// What its progress counts.
    pub unit: &'static str,
    /// Its project's ref, for the audit record written when it ends.
    pub project_ref: String,
}

/// The jobs this server runs.
pub struct Jobs {
    limits: JobLimits,
    server_slots: Arc<Semaphore>,
    project_slots: Mutex<HashMap<ProjectId, Arc<Semaphore>>>,
    /// The jobs running here: a cancel asked on this replica acts at once, and a graceful stop
    /// records how far each had come.
    running: Mutex<HashMap<JobId, JobContext>>,
}

impl Jobs {
    /// No jobs yet.
    pub fn new(limits: JobLimits) -> Self {
        Self {
            limits,
            server_slots: Arc::new(Semaphore::new(limits.per_server.max(1))),
            project_slots: Mutex::new(HashMap::new()),
            running: Mutex::new(HashMap::new()),
        }
    }

    /// How long ended jobs are kept.
    pub fn retention(&self) -> Duration {
        self.limits.retention
    }

    fn project_slots(&self, project: ProjectId) -> Arc<Semaphore> {
        let mut slots = self.project_slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.entry(project).or_insert_with(|| Arc::new(Semaphore::new(self.limits.per_project.max(1)))).clone()
    }

    /// Stores the job as queued and starts it on its own task; answers the stored record at once.
    pub async fn start(
        self: &Arc<Self>,
        store: Arc<dyn PlatformStore>,
        new: NewJob,
        work: JobWork,
    ) -> Result<JobRecord, ApiError> {
        let now = OffsetDateTime::now_utc();
        let record = JobRecord {
            id: JobId::new(),
            project_id: new.project_id,
            connection_id: new.connection_id,
            kind: new.kind.to_string(),
            created_by: Some(new.created_by),
            state: JobState::Queued,
            params: new.params,
            progress: JobProgress { done: 0, total: None, unit: new.unit.to_string() },
            result: None,
            error: None,
            cancel_requested: false,
            created_at: now,
            started_at: None,
            finished_at: None,
            heartbeat_at: now,
        };
        store.insert_job(&record).await?;
        let ctx =
            JobContext { progress: Arc::new(Mutex::new(record.progress.clone())), cancel: CancellationToken::new() };
        self.running.lock().unwrap_or_else(|e| e.into_inner()).insert(record.id, ctx.clone());
        let jobs = self.clone();
        let job = record.clone();
        let project_ref = new.project_ref;
        tokio::spawn(async move {
            let id = job.id;
            jobs.run(store, job, ctx, work, project_ref).await;
            jobs.running.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        });
        Ok(record)
    }

    /// Cancels a job running on this server at once (a job elsewhere sees the stored request).
    pub fn cancel_here(&self, id: JobId) {
        if let Some(ctx) = self.running.lock().unwrap_or_else(|e| e.into_inner()).get(&id) {
            ctx.cancel.cancel();
        }
    }

    /// Waits for slots, runs the work beside a heartbeat, and stores how it ended.
    async fn run(
        &self,
        store: Arc<dyn PlatformStore>,
        mut job: JobRecord,
        ctx: JobContext,
        work: JobWork,
        project_ref: String,
    ) {
        let project_slots = self.project_slots(job.project_id);
        let heartbeat = Heartbeat { store: store.clone(), id: job.id, ctx: ctx.clone() };
        // Queued: wait for a slot while still answering cancel requests.
        let permits = tokio::select! {
            permits = async {
                let project = project_slots.acquire_owned().await;
                let server = self.server_slots.clone().acquire_owned().await;
                (project, server)
            } => Some(permits),
            _ = heartbeat.beat_while(JobState::Queued) => None,
        };
        let outcome = match permits {
            Some((Ok(_project), Ok(_server))) if !ctx.is_cancelled() => {
                job.started_at = Some(OffsetDateTime::now_utc());
                heartbeat.beat(JobState::Running).await;
                let mut work = work(ctx.clone());
                tokio::select! {
                    outcome = &mut work => outcome,
                    // Cancelled: the work stops at its next step, or is dropped after the grace.
                    _ = heartbeat.beat_while(JobState::Running) => {
                        tokio::time::timeout(CANCEL_GRACE, work).await.unwrap_or(Err(JobFailure::Cancelled))
                    }
                }
            }
            Some(_) if !ctx.is_cancelled() => Err(JobFailure::Failed("the server is shutting down".into())),
            _ => Err(JobFailure::Cancelled),
        };
        job.progress = ctx.snapshot();
        job.finished_at = Some(OffsetDateTime::now_utc());
        match outcome {
            Ok(result) => {
                job.state = JobState::Succeeded;
                job.result = Some(result);
            }
            Err(JobFailure::Cancelled) => {
                job.state = JobState::Cancelled;
                job.error = Some("cancelled on request".into());
            }
            Err(JobFailure::Failed(message)) => {
                job.state = JobState::Failed;
                job.error = Some(message);
            }
        }
        if let Err(e) = store.finish_job(&job).await {
            tracing::warn!(job_id = %job.id, error = %e, "could not store how a job ended");
        }
        if let Err(e) = store.insert_audit(&ended_audit(&job, project_ref)).await {
            tracing::warn!(job_id = %job.id, error = %e, "could not audit how a job ended");
        }
    }

    /// Marks the jobs running here `interrupted` (a graceful stop), so nobody waits for them.
    pub async fn interrupt_all(&self, store: &dyn PlatformStore) {
        let running: Vec<(JobId, JobProgress)> = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(id, ctx)| (*id, ctx.snapshot()))
            .collect();
        let now = OffsetDateTime::now_utc();
        for (id, progress) in running {
            let job = JobRecord {
                id,
                progress,
                state: JobState::Interrupted,
                error: Some("the server running this job stopped before it ended".into()),
                finished_at: Some(now),
                ..placeholder(now)
            };
            if let Err(e) = store.finish_job(&job).await {
                tracing::warn!(job_id = %id, error = %e, "could not mark a job interrupted");
            }
        }
    }
}

/// The audit record of a job's end: the request that started it is audited when it answers, before
/// the work is done, so what the work did (its counts) is recorded here.
fn ended_audit(job: &JobRecord, project_ref: String) -> AuditEntry {
    let outcome = match job.state {
        JobState::Succeeded | JobState::Cancelled => "ok",
        _ => "error",
    };
    AuditEntry {
        at: OffsetDateTime::now_utc(),
        user_id: job.created_by,
        project_ref: Some(project_ref),
        engine: job.kind.split('.').next().map(str::to_string),
        connection_id: job.connection_id,
        action: format!("JOB {}", job.kind),
        target: Some(format!("job {}", job.id)),
        outcome: outcome.into(),
        status: None,
        request_id: None,
        client_addr: None,
        token_id: None,
        details: Some(serde_json::json!({
            "state": job.state,
            "params": job.params,
            "progress": job.progress,
            "result": summary(job.result.as_ref()),
            "error": job.error,
        })),
    }
}

/// A job's result for the audit trail: its numbers only (an analysis report names keys).
fn summary(result: Option<&Value>) -> Value {
    match result {
        Some(Value::Object(fields)) => {
            Value::Object(fields.iter().filter(|(_, v)| v.is_number()).map(|(k, v)| (k.clone(), v.clone())).collect())
        }
        _ => Value::Null,
    }
}

/// A record whose only meaningful fields are the ones a caller sets (for `finish_job`, which
/// writes state, progress, result, error and times).
fn placeholder(now: OffsetDateTime) -> JobRecord {
    JobRecord {
        id: JobId::new(),
        project_id: ProjectId::new(),
        connection_id: None,
        kind: String::new(),
        created_by: None,
        state: JobState::Interrupted,
        params: Value::Null,
        progress: JobProgress::default(),
        result: None,
        error: None,
        cancel_requested: false,
        created_at: now,
        started_at: None,
        finished_at: None,
        heartbeat_at: now,
    }
}

/// Writes a job's progress and heartbeat, and turns a stored cancel request into its token.
struct Heartbeat {
    store: Arc<dyn PlatformStore>,
    id: JobId,
    ctx: JobContext,
}

impl Heartbeat {
    async fn beat(&self, state: JobState) {
        match self.store.touch_job(self.id, state, &self.ctx.snapshot(), OffsetDateTime::now_utc()).await {
            Ok(true) => self.ctx.cancel.cancel(),
            Ok(false) => {}
            // A store outage does not stop the work; the next beat tries again.
            Err(e) => tracing::warn!(job_id = %self.id, error = %e, "could not record a job's progress"),
        }
    }

    /// Beats every [`HEARTBEAT`] and completes once the job is cancelled.
    async fn beat_while(&self, state: JobState) {
        loop {
            tokio::select! {
                _ = self.ctx.cancel.cancelled() => return,
                _ = tokio::time::sleep(HEARTBEAT) => self.beat(state).await,
            }
        }
    }
}

/// Marks cut-off jobs `interrupted` and forgets ended ones past their retention; run by every
/// replica every few seconds.
pub async fn sweep(store: &dyn PlatformStore, retention: Duration) {
    let now = OffsetDateTime::now_utc();
    let stale = now - STALE_AFTER;
    match store.interrupt_stale_jobs(Some(stale), now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(jobs = n, "marked jobs whose server stopped as interrupted"),
        Err(e) => tracing::warn!(error = %e, "could not sweep stale jobs"),
    }
    if let Err(e) = store.delete_jobs_ended_before(now - retention).await {
        tracing::warn!(error = %e, "could not forget old jobs");
    }
}
