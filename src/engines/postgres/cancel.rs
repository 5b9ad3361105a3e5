//! Cancelling a running statement on request (`POST …/query/{query_id}/cancel`): while a query
//! runs, its session's cancel token is registered under the query id the client chose; a cancel
//! sends PostgreSQL's cancel request for that backend (what `pg_cancel_backend` does), and the
//! query then answers "canceled by the user". The registry lives in this process only: with
//! several replicas the cancel must reach the replica that runs the query (no store round trip
//! on the hot path).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;
use tokio_postgres::CancelToken;
use uuid::Uuid;

use crate::domain::{ProjectId, UserId};
use crate::engines::EngineError;

/// The cancel handle of one running query.
#[derive(Default)]
pub struct CancelSlot {
    token: Mutex<Option<CancelToken>>,
    cancelled: AtomicBool,
}

impl CancelSlot {
    /// Notes the session the statement runs on; refuses to start when a cancel came first.
    pub fn arm(&self, token: CancelToken) -> Result<(), EngineError> {
        if self.cancelled() {
            return Err(canceled_by_user());
        }
        if let Ok(mut slot) = self.token.lock() {
            *slot = Some(token);
        }
        Ok(())
    }

    /// Whether a cancel was asked for.
    pub fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Marks the query cancelled and returns the session's token, if it started.
    fn cancel(&self) -> Option<CancelToken> {
        self.cancelled.store(true, Ordering::SeqCst);
        self.token.lock().ok().and_then(|t| t.clone())
    }

    /// `err`, or "canceled by the user" when the failure is this slot's cancel.
    pub fn explain_error(&self, err: EngineError) -> EngineError {
        let canceled = matches!(&err, EngineError::Query { details: Some(d), .. } if d["code"] == "57014");
        if canceled && self.cancelled() {
            canceled_by_user()
        } else {
            err
        }
    }
}

/// The error a cancelled query answers (SQLSTATE 57014, query_canceled).
pub fn canceled_by_user() -> EngineError {
    EngineError::Query {
        message: "the query was canceled by the user".into(),
        details: Some(json!({ "code": "57014", "position": null, "detail": null, "hint": null })),
    }
}

struct Running {
    user: UserId,
    project: ProjectId,
    slot: Arc<CancelSlot>,
}

/// Queries running in this process, by the id their client gave them.
#[derive(Default)]
pub struct RunningQueries {
    running: Mutex<HashMap<Uuid, Running>>,
}

/// A registered query; unregisters it when dropped (the query ended).
pub struct Registration<'a> {
    registry: &'a RunningQueries,
    id: Uuid,
    /// The query's cancel handle, to arm with its session.
    pub slot: Arc<CancelSlot>,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        if let Ok(mut running) = self.registry.running.lock() {
            running.remove(&self.id);
        }
    }
}

/// Who may cancel a query, as the cancel route found it.
pub enum CancelOutcome {
    /// The cancel request was sent (or the query had not reached the server yet).
    Sent(Option<CancelToken>),
    /// No query by that id runs in this project here.
    NotRunning,
    /// It runs, but is another user's and the caller is not an admin.
    NotYours,
}

impl RunningQueries {
    /// Registers `id` for `user` in `project`; `None` when that id is already running.
    pub fn register(&self, id: Uuid, user: UserId, project: ProjectId) -> Option<Registration<'_>> {
        let mut running = self.running.lock().ok()?;
        if running.contains_key(&id) {
            return None;
        }
        let slot = Arc::new(CancelSlot::default());
        running.insert(id, Running { user, project, slot: slot.clone() });
        Some(Registration { registry: self, id, slot })
    }

    /// Marks query `id` cancelled if `user` may (its starter, or `admin` of its project).
    pub fn cancel(&self, id: Uuid, user: UserId, project: ProjectId, admin: bool) -> CancelOutcome {
        let Ok(running) = self.running.lock() else { return CancelOutcome::NotRunning };
        match running.get(&id) {
            Some(r) if r.project != project => CancelOutcome::NotRunning,
            Some(r) if r.user != user && !admin => CancelOutcome::NotYours,
            Some(r) => CancelOutcome::Sent(r.slot.cancel()),
            None => CancelOutcome::NotRunning,
        }
    }
}

/// Sends PostgreSQL's cancel request for a session. Like [`super::query::CancelOnDrop`], it goes
/// without TLS (the request carries only the backend's key; a server that demands TLS refuses it).
pub async fn send_cancel(token: CancelToken) -> Result<(), EngineError> {
    token
        .cancel_query(tokio_postgres::NoTls)
        .await
        .map_err(|e| EngineError::Connect(format!("could not send the cancel request: {e}")))
}
