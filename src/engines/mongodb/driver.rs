//! MongoDB's part of the engine seam: how it is dialled and opened, and its running operations
//! for the project's activity view.

use std::time::Duration;

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::Value;

use super::{ops, MongoClient};
use crate::domain::ConnectionSettings;
use crate::engines::{BoxFuture, Driver, EngineClient, EngineError, EngineSpec, Pooled, ProbeFacts, Session, Stop};
use crate::network::{DialTarget, Guarded};

/// Longest command text kept for a session (a command can be large).
const MAX_WHAT: usize = 2048;

/// MongoDB's [`Driver`].
pub struct MongoDriver;

/// What the engine declares about its connections.
pub static SPEC: EngineSpec = EngineSpec {
    url_schemes: &["mongodb://", "mongodb+srv://"],
    parse_connection_string: super::parse_connection_string,
    viewer_credentials: false,
    parse_options: super::options::parse,
    options_schema: schemars::SchemaGenerator::subschema_for::<super::options::MongoOptions>,
    driver: &MongoDriver,
};

impl Driver for MongoDriver {
    fn dial_targets<'a>(
        &'a self,
        settings: &'a ConnectionSettings,
    ) -> BoxFuture<'a, Result<Vec<DialTarget>, EngineError>> {
        Box::pin(super::dial_targets(settings))
    }

    fn connect<'a>(&'a self, settings: &'a Guarded) -> BoxFuture<'a, Result<EngineClient, EngineError>> {
        Box::pin(async move { super::connect(settings).await.map(EngineClient::new) })
    }
}

impl Pooled for MongoClient {
    fn ping(&self) -> BoxFuture<'_, Result<Duration, EngineError>> {
        Box::pin(MongoClient::ping(self))
    }

    fn facts<'a>(&'a self, _: &'a ConnectionSettings) -> BoxFuture<'a, Result<ProbeFacts, EngineError>> {
        Box::pin(MongoClient::facts(self))
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(MongoClient::close(self))
    }

    fn sessions(&self) -> BoxFuture<'_, Result<Vec<Session>, EngineError>> {
        Box::pin(async move {
            let list = ops::current_ops(self, false).await?;
            // The currentOp that lists them is ours.
            let others = list.into_iter().filter(|op| op.command.as_ref().is_none_or(|c| c.get("currentOp").is_none()));
            Ok(others.map(session).collect())
        })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A running operation as a session.
fn session(op: ops::Operation) -> Session {
    let id = match &op.opid {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let what = op.command.as_ref().map(|c| truncate(c.to_string()));
    let state = if op.waiting_for_lock == Some(true) { "waiting for lock" } else { "active" };
    Session {
        user: user(op.effective_users.as_ref()),
        client: op.client,
        what: what.or(op.ns),
        state: Some(state.to_string()),
        active: true,
        duration_ms: op.microsecs_running.map(|us| us / 1000).or(op.secs_running.map(|s| s * 1000)),
        blocked_by: Vec::new(),
        stop: Some(Stop {
            method: "DELETE",
            route: format!("operations/{}", utf8_percent_encode(&id, NON_ALPHANUMERIC)),
            label: "Kill operation",
        }),
        id,
    }
}

/// `user@db` of the first of an operation's effective users.
fn user(users: Option<&Value>) -> Option<String> {
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
    fn long_text_is_cut_on_a_character() {
        let cut = truncate("é".repeat(MAX_WHAT));
        assert!(cut.ends_with('…'));
        assert!(cut.len() <= MAX_WHAT + '…'.len_utf8());
        assert_eq!(truncate("short".into()), "short");
    }

    #[test]
    fn user_reads_user_and_db() {
        let users = serde_json::json!([{"user": "app", "db": "admin"}]);
        assert_eq!(user(Some(&users)).as_deref(), Some("app@admin"));
        assert_eq!(user(None), None);
    }
}
