//! `GET /api/platform/projects/{ref}/activity` (any member): the sessions and operations of every
//! connection of the project in one list — PostgreSQL's `pg_stat_activity`, Redis's CLIENT LIST,
//! MongoDB's `currentOp` — running work first, longest first. Each entry names the engine route
//! that stops it (admins only); a connection that cannot be asked in time is listed as unreachable
//! with its reason and never hides the others.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use futures_util::{stream, StreamExt};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use schemars::JsonSchema;
use serde::Serialize;

use super::{ApiPath, Data};
use crate::app::{App, AppState};
use crate::auth::{authorize, AuthUser};
use crate::connections::{client, open_settings};
use crate::domain::{ConnectionId, ConnectionStatus, Engine, Permission};
use crate::engines::{mongodb, postgres, redis, within, EngineClient, EngineError};
use crate::error::{ApiError, ApiResult};
use crate::store::ConnectionRecord;

/// How long one connection may take to connect and answer before it is listed as unreachable.
const PER_CONNECTION: Duration = Duration::from_secs(5);
/// Connections asked at once.
const PARALLEL: usize = 8;
/// Longest `what` text kept (a MongoDB command can be large).
const MAX_WHAT: usize = 2048;

/// How an admin stops an entry: the engine route to call, with the connection in its query.
#[derive(Serialize, JsonSchema, Debug, Clone)]
pub struct KillAction {
    /// `POST` or `DELETE`.
    pub method: &'static str,
    /// The API path, ready to call.
    pub path: String,
    /// What it does, for a button: `Cancel query`, `Terminate session`, `Kill client`, `Kill operation`.
    pub label: &'static str,
}

/// One session or operation of one connection.
#[derive(Serialize, JsonSchema, Debug)]
pub struct ActivityEntry {
    /// Its engine.
    pub engine: Engine,
    /// Its connection.
    pub connection_id: ConnectionId,
    /// The connection's name.
    pub connection_name: String,
    /// The engine's id for it: a PostgreSQL pid, a Redis client id, a MongoDB opid.
    pub id: String,
    /// Who runs it, as the database knows them.
    pub user: Option<String>,
    /// The client's address.
    pub client: Option<String>,
    /// The statement, last command or operation.
    pub what: Option<String>,
    /// The engine's state (`active`, `idle in transaction`, `blocked`, `idle`…).
    pub state: Option<String>,
    /// Whether it is doing or holding something now (running, blocked, waiting, in a transaction),
    /// rather than idle.
    pub active: bool,
    /// Milliseconds it has been in that state (for an idle Redis client, since its last command).
    pub duration_ms: Option<i64>,
    /// Ids of entries of the same connection it waits for (PostgreSQL's `pg_blocking_pids`).
    pub blocked_by: Vec<String>,
    /// How to stop it; null for callers below admin.
    pub kill: Option<KillAction>,
}

/// A connection that could not be asked.
#[derive(Serialize, JsonSchema, Debug)]
pub struct Unreachable {
    /// The connection.
    pub connection_id: ConnectionId,
    /// Its name.
    pub connection_name: String,
    /// Its engine.
    pub engine: Engine,
    /// Why (the secrets of the connection removed).
    pub error: String,
}

/// The project's activity.
#[derive(Serialize, JsonSchema, Debug)]
pub struct ProjectActivity {
    /// Every session and operation, running work first, each group longest first.
    pub entries: Vec<ActivityEntry>,
    /// The connections that could not be asked; the others are listed all the same.
    pub unreachable: Vec<Unreachable>,
}

/// `GET /api/platform/projects/{ref}/activity`. INACTIVE connections (switched off by an admin) are
/// not asked.
pub async fn project_activity(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
) -> ApiResult<Data<ProjectActivity>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let admin = ctx.role.allows(Permission::Admin);
    let records = app.store.list_connections(ctx.project.id, None).await?;
    let asked = records.into_iter().filter(|r| r.status != ConnectionStatus::Inactive).map(Arc::new);
    let answers: Vec<_> = stream::iter(asked)
        .map(|record| {
            let app = &app;
            let project_ref = &ctx.project.project_ref;
            async move {
                let outcome = tokio::time::timeout(PER_CONNECTION, sessions(app, &record, project_ref, admin)).await;
                (record, outcome)
            }
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let mut activity = ProjectActivity { entries: Vec::new(), unreachable: Vec::new() };
    for (record, outcome) in answers {
        let error = match outcome {
            Ok(Ok(entries)) => {
                activity.entries.extend(entries);
                continue;
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("did not answer within {} s", PER_CONNECTION.as_secs()),
        };
        activity.unreachable.push(Unreachable {
            connection_id: record.id,
            connection_name: record.identifier.clone(),
            engine: record.engine,
            error,
        });
    }
    activity.entries.sort_by(|a, b| {
        (b.active, b.duration_ms)
            .cmp(&(a.active, a.duration_ms))
            .then_with(|| a.connection_name.cmp(&b.connection_name))
            .then_with(|| a.id.cmp(&b.id))
    });
    activity.unreachable.sort_by(|a, b| a.connection_name.cmp(&b.connection_name));
    Ok(Data(activity))
}

/// The entries of one connection.
async fn sessions(
    app: &App,
    record: &ConnectionRecord,
    project_ref: &str,
    admin: bool,
) -> ApiResult<Vec<ActivityEntry>> {
    let engine_client = client(app, record).await?;
    let scrub = |e: EngineError| match open_settings(app, record) {
        Ok(settings) => ApiError::from(e.scrubbed(&settings)),
        Err(e) => e,
    };
    let entry = |id: String| ActivityEntry {
        engine: record.engine,
        connection_id: record.id,
        connection_name: record.identifier.clone(),
        id,
        user: None,
        client: None,
        what: None,
        state: None,
        active: false,
        duration_ms: None,
        blocked_by: Vec::new(),
        kill: None,
    };
    let kill = |method: &'static str, route: String, label: &'static str| {
        admin.then(|| KillAction {
            method,
            path: format!(
                "/api/platform/{route}?connection_id={}",
                utf8_percent_encode(&record.id.to_string(), NON_ALPHANUMERIC)
            ),
            label,
        })
    };
    let project = utf8_percent_encode(project_ref, NON_ALPHANUMERIC).to_string();
    let entries = match engine_client {
        EngineClient::Postgres(pg) => {
            let list =
                within(PER_CONNECTION, "pg_stat_activity", postgres::activity::list(&pg)).await.map_err(scrub)?;
            list.into_iter()
                .map(|s| {
                    let state = s.state.clone().unwrap_or_default();
                    // An idle session holds nothing; one idle in a transaction holds its locks.
                    let active = !state.is_empty() && state != "idle";
                    let (action, label) =
                        if state == "active" { ("cancel", "Cancel query") } else { ("terminate", "Terminate session") };
                    ActivityEntry {
                        user: s.user,
                        client: s.client.or(s.application),
                        what: s.query.filter(|q| !q.is_empty()),
                        state: s.state,
                        active,
                        duration_ms: s.duration_ms,
                        blocked_by: s.blocked_by.iter().map(i32::to_string).collect(),
                        kill: kill("POST", format!("pg-meta/{project}/activity/{}/{action}", s.pid), label),
                        ..entry(s.pid.to_string())
                    }
                })
                .collect()
        }
        EngineClient::Redis(r) => {
            let list = within(PER_CONNECTION, "CLIENT LIST", redis::ops::clients(&r)).await.map_err(scrub)?;
            list.into_iter()
                .map(|c| {
                    let (state, active) = redis_state(&c.flags);
                    ActivityEntry {
                        user: c.user.filter(|u| !u.is_empty()),
                        client: Some(c.address),
                        what: Some(c.last_command).filter(|w| !w.is_empty() && w != "NULL"),
                        state: Some(state.to_string()),
                        active,
                        duration_ms: Some(c.idle.saturating_mul(1000)),
                        kill: kill("DELETE", format!("redis/{project}/clients/{}", c.id), "Kill client"),
                        ..entry(c.id.to_string())
                    }
                })
                .collect()
        }
        EngineClient::Mongodb(m) => {
            let list =
                within(PER_CONNECTION, "currentOp", mongodb::ops::current_ops(&m, false)).await.map_err(scrub)?;
            list.into_iter()
                // The currentOp that lists them is ours.
                .filter(|op| op.command.as_ref().is_none_or(|c| c.get("currentOp").is_none()))
                .map(|op| {
                    let id = match &op.opid {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let what = op.command.as_ref().map(|c| truncate(c.to_string()));
                    let state = if op.waiting_for_lock == Some(true) { "waiting for lock" } else { "active" };
                    ActivityEntry {
                        user: mongo_user(op.effective_users.as_ref()),
                        client: op.client,
                        what: what.or(op.ns),
                        state: Some(state.to_string()),
                        active: true,
                        duration_ms: op.microsecs_running.map(|us| us / 1000).or(op.secs_running.map(|s| s * 1000)),
                        kill: kill(
                            "DELETE",
                            format!("mongodb/{project}/operations/{}", utf8_percent_encode(&id, NON_ALPHANUMERIC)),
                            "Kill operation",
                        ),
                        ..entry(id)
                    }
                })
                .collect()
        }
    };
    Ok(entries)
}

/// A Redis client's state from its CLIENT LIST flags, and whether it counts as active.
fn redis_state(flags: &str) -> (&'static str, bool) {
    if flags.contains('b') {
        ("blocked", true)
    } else if flags.contains('x') {
        ("in MULTI", true)
    } else if flags.contains('P') {
        ("subscribed", false)
    } else if flags.contains('S') {
        ("replica", false)
    } else if flags.contains('M') {
        ("master", false)
    } else {
        ("idle", false)
    }
}

/// `user@db` of the first of a MongoDB operation's effective users.
fn mongo_user(users: Option<&serde_json::Value>) -> Option<String> {
    let first = users?.as_array()?.first()?;
    let user = first.get("user")?.as_str()?;
    Some(match first.get("db").and_then(|d| d.as_str()) {
        Some(db) => format!("{user}@{db}"),
        None => user.to_string(),
    })
}

/// `text` cut to [`MAX_WHAT`] bytes at a character boundary, marked with `…` when cut.
fn truncate(mut text: String) -> String {
    if text.len() > MAX_WHAT {
        let mut end = MAX_WHAT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_flags_name_the_state() {
        assert_eq!(redis_state("b"), ("blocked", true));
        assert_eq!(redis_state("N"), ("idle", false));
        assert_eq!(redis_state("P"), ("subscribed", false));
    }

    #[test]
    fn long_text_is_cut_on_a_character() {
        let cut = truncate("é".repeat(MAX_WHAT));
        assert!(cut.ends_with('…'));
        assert!(cut.len() <= MAX_WHAT + '…'.len_utf8());
        assert_eq!(truncate("short".into()), "short");
    }

    #[test]
    fn mongo_user_reads_user_and_db() {
        let users = serde_json::json!([{"user": "app", "db": "admin"}]);
        assert_eq!(mongo_user(Some(&users)).as_deref(), Some("app@admin"));
        assert_eq!(mongo_user(None), None);
    }
}
