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
use crate::connections::client;
use crate::domain::{ConnectionId, ConnectionStatus, Engine, Permission};
use crate::engines::within;
use crate::error::ApiResult;
use crate::store::ConnectionRecord;

/// How long one connection may take to connect and answer before it is listed as unreachable.
const PER_CONNECTION: Duration = Duration::from_secs(5);
/// Connections asked at once.
const PARALLEL: usize = 8;

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
    let client = client(app, record).await?;
    let listed = within(PER_CONNECTION, "listing sessions", client.sessions()).await;
    let sessions = listed.map_err(|e| crate::api::open::scrubbed_error(app, record, e))?;
    let base =
        format!("/api/platform/{}/{}", record.engine.api_path(), utf8_percent_encode(project_ref, NON_ALPHANUMERIC));
    let connection = utf8_percent_encode(&record.id.to_string(), NON_ALPHANUMERIC).to_string();
    Ok(sessions
        .into_iter()
        .map(|s| ActivityEntry {
            engine: record.engine,
            connection_id: record.id,
            connection_name: record.identifier.clone(),
            kill: s.stop.filter(|_| admin).map(|stop| KillAction {
                method: stop.method,
                // A route may carry a query of its own (`…/kill?query_only=true`).
                path: format!(
                    "{base}/{}{}connection_id={connection}",
                    stop.route,
                    if stop.route.contains('?') { '&' } else { '?' }
                ),
                label: stop.label,
            }),
            id: s.id,
            user: s.user,
            client: s.client,
            what: s.what,
            state: s.state,
            active: s.active,
            duration_ms: s.duration_ms,
            blocked_by: s.blocked_by,
        })
        .collect())
}
