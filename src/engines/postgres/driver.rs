//! PostgreSQL's part of the engine seam: how it is dialled and opened, and its sessions for the
//! project's activity view.

use std::time::Duration;

use super::{activity, PostgresClient};
use crate::domain::ConnectionSettings;
use crate::engines::{BoxFuture, Driver, EngineClient, EngineError, EngineSpec, Pooled, ProbeFacts, Session, Stop};
use crate::network::{DialTarget, Guarded};

/// PostgreSQL's [`Driver`].
pub struct PostgresDriver;

/// What the engine declares about its connections.
pub static SPEC: EngineSpec = EngineSpec {
    url_schemes: &["postgres://", "postgresql://"],
    parse_connection_string: super::parse_connection_string,
    viewer_credentials: true,
    parse_options: super::options::parse,
    options_schema: schemars::SchemaGenerator::subschema_for::<super::options::PostgresOptions>,
    driver: &PostgresDriver,
};

impl Driver for PostgresDriver {
    fn dial_targets<'a>(
        &'a self,
        settings: &'a ConnectionSettings,
    ) -> BoxFuture<'a, Result<Vec<DialTarget>, EngineError>> {
        Box::pin(async move { super::dial_targets(settings) })
    }

    fn connect<'a>(&'a self, settings: &'a Guarded) -> BoxFuture<'a, Result<EngineClient, EngineError>> {
        Box::pin(async move { super::connect(settings).map(EngineClient::new) })
    }
}

impl Pooled for PostgresClient {
    fn ping(&self) -> BoxFuture<'_, Result<Duration, EngineError>> {
        Box::pin(PostgresClient::ping(self))
    }

    fn facts<'a>(&'a self, _: &'a ConnectionSettings) -> BoxFuture<'a, Result<ProbeFacts, EngineError>> {
        Box::pin(PostgresClient::facts(self))
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move { PostgresClient::close(self) })
    }

    fn sessions(&self) -> BoxFuture<'_, Result<Vec<Session>, EngineError>> {
        Box::pin(async move {
            let list = activity::list(self).await?;
            Ok(list.into_iter().map(session).collect())
        })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A pg_stat_activity row as a session: an idle one holds nothing, one idle in a transaction holds
/// its locks; an active statement is cancelled, anything else terminated.
fn session(s: activity::Activity) -> Session {
    let state = s.state.clone().unwrap_or_default();
    let (action, label) =
        if state == "active" { ("cancel", "Cancel query") } else { ("terminate", "Terminate session") };
    Session {
        id: s.pid.to_string(),
        user: s.user,
        client: s.client.or(s.application),
        what: s.query.filter(|q| !q.is_empty()),
        active: !state.is_empty() && state != "idle",
        state: s.state,
        duration_ms: s.duration_ms,
        blocked_by: s.blocked_by.iter().map(i32::to_string).collect(),
        stop: Some(Stop { method: "POST", route: format!("activity/{}/{action}", s.pid), label }),
    }
}
