//! Everything that talks to a managed database. Only this module (and its per-engine folders) opens
//! connections to user databases; the HTTP layer calls it with validated [`ConnectionSettings`].
//!
//! Adding an engine means one folder here, one variant in [`EngineClient`], and its handlers in `api/`.

pub mod export;
pub mod mongodb;
pub mod mysql;
pub mod pools;
pub mod postgres;
pub mod redis;
pub mod table_rows;

use std::future::Future;
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::connection::scrub;
use crate::domain::{ConnectionSettings, Engine};
use crate::network::{DialTarget, Guarded};

/// Errors of the engine layer. Messages are already scrubbed of the connection's secrets.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EngineError {
    /// The server could not be reached.
    #[error("{0}")]
    Connect(String),
    /// The server refused the credentials.
    #[error("{0}")]
    Auth(String),
    /// No answer within the allowed time.
    #[error("{0}")]
    Timeout(String),
    /// The server rejected the operation.
    #[error("{message}")]
    Query {
        /// The server's message.
        message: String,
        /// Structured details (error codes, positions).
        details: Option<Value>,
    },
    /// The connection's settings cannot be used as given.
    #[error("{0}")]
    Config(String),
    /// The named object does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The operation clashes with existing data.
    #[error("{0}")]
    Conflict(String),
    /// The caller may not do this on this connection (a viewer's SQL on a login with host powers).
    #[error("{0}")]
    Refused(String),
    /// A write was sent but its answer never came: it may or may not have been applied.
    #[error("{0}")]
    OutcomeUnknown(String),
}

impl EngineError {
    /// The same error with every secret of `settings` replaced by `***`.
    pub fn scrubbed(self, settings: &ConnectionSettings) -> Self {
        let secrets = settings.secrets();
        let s = |m: String| scrub(&m, &secrets);
        match self {
            Self::Connect(m) => Self::Connect(s(m)),
            Self::Auth(m) => Self::Auth(s(m)),
            Self::Timeout(m) => Self::Timeout(s(m)),
            Self::Query { message, details } => Self::Query { message: s(message), details },
            Self::Config(m) => Self::Config(s(m)),
            Self::NotFound(m) => Self::NotFound(s(m)),
            Self::Conflict(m) => Self::Conflict(s(m)),
            Self::Refused(m) => Self::Refused(s(m)),
            Self::OutcomeUnknown(m) => Self::OutcomeUnknown(s(m)),
        }
    }

    /// The same error, for a command that writes: a timeout means the command was sent and the
    /// server may have run it, so its outcome is unknown rather than failed.
    pub fn of_write(self) -> Self {
        match self {
            Self::Timeout(m) => Self::OutcomeUnknown(m),
            other => other,
        }
    }
}

/// What an engine declares about its connections, written in its folder (`<engine>::SPEC`).
pub struct EngineSpec {
    /// Connection string schemes it accepts (`postgres://`).
    pub url_schemes: &'static [&'static str],
    /// Reads a connection string into fields (the scheme already checked).
    pub parse_connection_string: fn(&str) -> Result<crate::domain::connection::ParsedConnectionString, String>,
    /// Whether a connection may carry separate viewer credentials (a login for viewers' reads).
    pub viewer_credentials: bool,
    /// Reads and checks its connections' options (null is no options).
    pub parse_options: fn(Value) -> Result<crate::domain::EngineOptions, String>,
    /// The JSON Schema of its options, for the API description.
    pub options_schema: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
    /// How it is dialled and opened.
    pub driver: &'static dyn Driver,
}

/// The spec of `engine`: the one place that names every engine's folder.
pub fn spec(engine: Engine) -> &'static EngineSpec {
    match engine {
        Engine::Postgres => &postgres::driver::SPEC,
        Engine::Redis => &redis::driver::SPEC,
        Engine::Mongodb => &mongodb::driver::SPEC,
        Engine::Mysql => &mysql::driver::SPEC,
    }
}

/// Reads and checks the options of an `engine` connection.
pub fn parse_options(engine: Engine, value: Value) -> Result<crate::domain::EngineOptions, String> {
    (spec(engine).parse_options)(value)
}

/// The driver of `engine`.
pub fn driver(engine: Engine) -> &'static dyn Driver {
    spec(engine).driver
}

/// A boxed future, for the object-safe engine traits.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What every engine supplies, written in its own folder: the addresses it dials and how it opens a
/// pooled client. [`driver`] is the one place naming them.
pub trait Driver: Send + Sync + 'static {
    /// Every address a client would dial for `settings` before it discovers more by itself.
    fn dial_targets<'a>(
        &'a self,
        settings: &'a ConnectionSettings,
    ) -> BoxFuture<'a, Result<Vec<DialTarget>, EngineError>>;
    /// Opens a pooled client for settings the network guard approved.
    fn connect<'a>(&'a self, settings: &'a Guarded) -> BoxFuture<'a, Result<EngineClient, EngineError>>;
}

/// A pooled client of any engine, as the pool, the connection tests, the health check and the
/// project's activity view use it.
pub trait Pooled: Send + Sync + 'static {
    /// Measures one round trip to the server.
    fn ping(&self) -> BoxFuture<'_, Result<Duration, EngineError>>;
    /// The server's version and engine-specific facts, for a connection test.
    fn facts<'a>(&'a self, settings: &'a ConnectionSettings) -> BoxFuture<'a, Result<ProbeFacts, EngineError>>;
    /// Closes the client's connections now rather than when the last clone is dropped.
    fn close(&self) -> BoxFuture<'_, ()>;
    /// What the server runs now: its sessions or operations, for the project's activity view.
    fn sessions(&self) -> BoxFuture<'_, Result<Vec<Session>, EngineError>>;
    /// The client itself, for [`EngineKind::from_pooled`].
    fn as_any(&self) -> &dyn std::any::Any;
}

/// A live, shareable client for one connection: cloning is cheap and shares the underlying pool.
#[derive(Clone)]
pub struct EngineClient(std::sync::Arc<dyn Pooled>);

impl EngineClient {
    /// Wraps an engine's client.
    pub fn new(client: impl Pooled) -> Self {
        Self(std::sync::Arc::new(client))
    }

    /// Measures one round trip to the server.
    pub async fn ping(&self) -> Result<Duration, EngineError> {
        self.0.ping().await
    }

    /// Closes the client's connections now rather than when the last clone is dropped.
    pub async fn close(&self) {
        self.0.close().await
    }

    /// What the server runs now.
    pub async fn sessions(&self) -> Result<Vec<Session>, EngineError> {
        self.0.sessions().await
    }
}

/// One session or operation a server runs, for the project's activity view.
#[derive(Debug, Clone, Default)]
pub struct Session {
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
    /// Doing or holding something now, rather than idle.
    pub active: bool,
    /// Milliseconds in that state.
    pub duration_ms: Option<i64>,
    /// Ids of sessions of the same server it waits for.
    pub blocked_by: Vec<String>,
    /// How it is stopped, if it can be.
    pub stop: Option<Stop>,
}

/// How a session is stopped: an engine route under `/api/platform/{api}/{ref}/`.
#[derive(Debug, Clone)]
pub struct Stop {
    /// `POST` or `DELETE`.
    pub method: &'static str,
    /// The route after the project ref, e.g. `activity/42/cancel`.
    pub route: String,
    /// What it does, for a button.
    pub label: &'static str,
}

/// An engine's own client type, as taken out of the pooled [`EngineClient`]: what a handler
/// names to open a connection of that engine (see `api::open::Opened`).
pub trait EngineKind: Clone + Send + Sync + 'static {
    /// The engine whose connections give this client.
    const ENGINE: Engine;
    /// This engine's client, when `client` is one.
    fn from_pooled(client: EngineClient) -> Option<Self> {
        client.0.as_any().downcast_ref::<Self>().cloned()
    }
}

/// Result of testing a connection (spec 3.1, 4.1): always a 200, with `success` saying how it went.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TestReport {
    /// Whether the server answered and accepted the credentials.
    pub success: bool,
    /// Round trip of one ping, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// The server's version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Engine-specific facts: Redis `mode` and `memory_used`, MongoDB `topology` and `databases`,
    /// PostgreSQL `database` and `user`.
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

impl TestReport {
    /// A failed test.
    pub fn failed(error: &EngineError) -> Self {
        Self { success: false, latency_ms: None, version: None, error: Some(error.to_string()), details: Map::new() }
    }
}

/// What a probe found.
pub struct ProbeFacts {
    /// Server version.
    pub version: String,
    /// Engine-specific facts.
    pub details: Map<String, Value>,
}

/// Runs `fut`, turning a timeout into [`EngineError::Timeout`] naming `what`.
pub async fn within<T>(
    limit: Duration,
    what: &str,
    fut: impl Future<Output = Result<T, EngineError>>,
) -> Result<T, EngineError> {
    tokio::time::timeout(limit, fut)
        .await
        .unwrap_or_else(|_| Err(EngineError::Timeout(format!("{what} timed out after {} ms", limit.as_millis()))))
}

/// Every address a driver will dial for `settings` before it discovers more by itself: the host,
/// every host and `hostaddr` of a connection string, the sentinels. The network guard checks all.
pub async fn dial_targets(settings: &ConnectionSettings) -> Result<Vec<DialTarget>, EngineError> {
    driver(settings.engine).dial_targets(settings).await
}

/// Opens a client for `settings` (the pool manager caches it). Only settings the network guard
/// approved can be opened.
pub async fn connect(settings: &Guarded) -> Result<EngineClient, EngineError> {
    let limit = settings.options.connect_timeout();
    let result = within(limit, "connecting", async { driver(settings.engine).connect(settings).await }).await;
    result.map_err(|e| e.scrubbed(settings))
}

/// Measures a round trip and reads the server's facts through `client`.
pub async fn probe(client: &EngineClient, settings: &ConnectionSettings) -> TestReport {
    let limit = settings.options.connect_timeout();
    let started = Instant::now();
    let result = within(limit, "testing the connection", async {
        let latency = client.ping().await?;
        let facts = client.0.facts(settings).await?;
        Ok((latency, facts))
    })
    .await;
    match result {
        Ok((latency, facts)) => TestReport {
            success: true,
            latency_ms: Some((latency.as_secs_f64() * 1000.0 * 100.0).round() / 100.0),
            version: Some(facts.version),
            error: None,
            details: facts.details,
        },
        Err(e) => {
            tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "connection test failed");
            TestReport::failed(&e.scrubbed(settings))
        }
    }
}

/// Opens a throw-away client and probes it: for settings that are not saved yet. An address the
/// network policy refuses (one a sentinel announced) is an error, not a failed test.
pub async fn test_unsaved(settings: &Guarded) -> Result<TestReport, EngineError> {
    match connect(settings).await {
        Ok(client) => {
            let report = probe(&client, settings).await;
            client.close().await;
            Ok(report)
        }
        Err(e @ EngineError::Refused(_)) => Err(e),
        Err(e) => Ok(TestReport::failed(&e)),
    }
}
