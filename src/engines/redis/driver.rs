//! Redis's part of the engine seam: how it is dialled and opened, and its clients for the
//! project's activity view.

use std::time::Duration;

use super::{ops, RedisClient};
use crate::domain::ConnectionSettings;
use crate::engines::{BoxFuture, Driver, EngineClient, EngineError, EngineSpec, Pooled, ProbeFacts, Session, Stop};
use crate::network::{DialTarget, Guarded};

/// Redis's [`Driver`].
pub struct RedisDriver;

/// What the engine declares about its connections.
pub static SPEC: EngineSpec = EngineSpec {
    url_schemes: &["redis://", "rediss://"],
    parse_connection_string: super::parse_connection_string,
    viewer_credentials: false,
    parse_options: super::options::parse,
    options_schema: schemars::SchemaGenerator::subschema_for::<super::options::RedisOptions>,
    driver: &RedisDriver,
};

impl Driver for RedisDriver {
    fn dial_targets<'a>(
        &'a self,
        settings: &'a ConnectionSettings,
    ) -> BoxFuture<'a, Result<Vec<DialTarget>, EngineError>> {
        Box::pin(async move { Ok(super::dial_targets(settings)) })
    }

    fn connect<'a>(&'a self, settings: &'a Guarded) -> BoxFuture<'a, Result<EngineClient, EngineError>> {
        Box::pin(async move { super::connect(settings).await.map(EngineClient::new) })
    }
}

impl Pooled for RedisClient {
    fn ping(&self) -> BoxFuture<'_, Result<Duration, EngineError>> {
        Box::pin(RedisClient::ping(self))
    }

    fn facts<'a>(&'a self, settings: &'a ConnectionSettings) -> BoxFuture<'a, Result<ProbeFacts, EngineError>> {
        Box::pin(RedisClient::facts(self, settings))
    }

    // Redis connections close when the last handle is dropped.
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    fn sessions(&self) -> BoxFuture<'_, Result<Vec<Session>, EngineError>> {
        Box::pin(async move {
            let list = ops::clients(self).await?;
            Ok(list.into_iter().map(session).collect())
        })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A CLIENT LIST entry as a session; its duration is its idle time, which for a blocked client is
/// how long it has waited.
fn session(c: ops::ClientEntry) -> Session {
    let (state, active) = state(&c.flags);
    Session {
        id: c.id.to_string(),
        user: c.user.filter(|u| !u.is_empty()),
        client: Some(c.address),
        what: Some(c.last_command).filter(|w| !w.is_empty() && w != "NULL"),
        state: Some(state.to_string()),
        active,
        duration_ms: Some(c.idle.saturating_mul(1000)),
        blocked_by: Vec::new(),
        stop: Some(Stop { method: "DELETE", route: format!("clients/{}", c.id), label: "Kill client" }),
    }
}

/// A client's state from its CLIENT LIST flags, and whether it counts as active.
fn state(flags: &str) -> (&'static str, bool) {
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

#[cfg(test)]
mod tests {
    #[test]
    fn flags_name_the_state() {
        assert_eq!(super::state("b"), ("blocked", true));
        assert_eq!(super::state("N"), ("idle", false));
        assert_eq!(super::state("P"), ("subscribed", false));
    }
}
