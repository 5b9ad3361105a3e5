//! Everything that talks to a managed database. Only this module (and its per-engine folders) opens
//! connections to user databases; the HTTP layer calls it with validated [`ConnectionSettings`].
//!
//! Adding an engine means one folder here, one variant in [`EngineClient`], and its handlers in `api/`.

pub mod mongodb;
pub mod mysql;
pub mod pools;
pub mod postgres;
pub mod redis;

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

/// A live, shareable client for one connection: cloning is cheap and shares the underlying pool.
#[derive(Clone)]
pub enum EngineClient {
    /// Redis.
    Redis(redis::RedisClient),
    /// MongoDB.
    Mongodb(mongodb::MongoClient),
    /// PostgreSQL.
    Postgres(postgres::PostgresClient),
}

/// An engine's own client type, as taken out of the pooled [`EngineClient`]: what a handler
/// names to open a connection of that engine (see `api::open::Opened`).
pub trait EngineKind: Clone + Send + Sync + 'static {
    /// The engine whose connections give this client.
    const ENGINE: Engine;
    /// This engine's client, when `client` is one.
    fn from_pooled(client: EngineClient) -> Option<Self>;
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
    let targets = match settings.engine {
        Engine::Postgres => postgres::dial_targets(settings)?,
        Engine::Mongodb => mongodb::dial_targets(settings).await?,
        Engine::Redis => redis::dial_targets(settings),
    };
    Ok(targets)
}

/// Opens a client for `settings` (the pool manager caches it). Only settings the network guard
/// approved can be opened.
pub async fn connect(settings: &Guarded) -> Result<EngineClient, EngineError> {
    let limit = settings.options.connect_timeout();
    let result = within(limit, "connecting", async {
        Ok(match settings.engine {
            Engine::Redis => EngineClient::Redis(redis::connect(settings).await?),
            Engine::Mongodb => EngineClient::Mongodb(mongodb::connect(settings).await?),
            Engine::Postgres => EngineClient::Postgres(postgres::connect(settings)?),
        })
    })
    .await;
    result.map_err(|e| e.scrubbed(settings))
}

/// Measures a round trip and reads the server's facts through `client`.
pub async fn probe(client: &EngineClient, settings: &ConnectionSettings) -> TestReport {
    let limit = settings.options.connect_timeout();
    let started = Instant::now();
    let result = within(limit, "testing the connection", async {
        let latency = client.ping().await?;
        let facts = match client {
            EngineClient::Redis(c) => c.facts(settings).await?,
            EngineClient::Mongodb(c) => c.facts().await?,
            EngineClient::Postgres(c) => c.facts().await?,
        };
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

impl EngineClient {
    /// Measures one round trip to the server.
    pub async fn ping(&self) -> Result<Duration, EngineError> {
        match self {
            EngineClient::Redis(c) => c.ping().await,
            EngineClient::Mongodb(c) => c.ping().await,
            EngineClient::Postgres(c) => c.ping().await,
        }
    }

    /// Closes the client's connections now rather than when the last clone is dropped.
    pub async fn close(&self) {
        match self {
            EngineClient::Mongodb(c) => c.close().await,
            EngineClient::Postgres(c) => c.close(),
            // Redis connections close when the last handle is dropped.
            EngineClient::Redis(_) => {}
        }
    }
}
