//! The options of a PostgreSQL connection and their checks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::connection::{
    check_pool_size, check_timeout, EngineOptionsKind, ParsedConnectionString, MAX_TIMEOUT_MS,
};
use crate::domain::{Engine, EngineOptions};

/// Options of a PostgreSQL connection (spec 2.2).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostgresOptions {
    /// Require TLS, verifying the server certificate against the public roots (and `ssl_root_cert`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssl: Option<bool>,
    /// A PEM certificate authority to trust as well (a private CA or a self-signed server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssl_root_cert: Option<String>,
    /// Maximum connections in the pool (default 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_size: Option<i64>,
    /// Statement timeout, in milliseconds (default 30,000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_timeout: Option<i64>,
    /// How long a schema change waits for a lock before it gives up, in milliseconds (default 5,000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_timeout: Option<i64>,
    /// How long to wait for a connection, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_timeout_ms: Option<i64>,
}

/// Reads and checks a PostgreSQL connection's options.
pub fn parse(value: Value) -> Result<EngineOptions, String> {
    EngineOptions::parse_as(Engine::Postgres, value, check)
}

fn check(o: &PostgresOptions) -> Result<(), String> {
    if let Some(ms) = o.statement_timeout {
        if !(0..=MAX_TIMEOUT_MS * 6).contains(&ms) {
            return Err("options.statement_timeout must be between 0 and 3600000 milliseconds".into());
        }
    }
    check_timeout("lock_timeout", o.lock_timeout)?;
    check_timeout("connect_timeout_ms", o.connect_timeout_ms)?;
    check_pool_size(o.pool_size)
}

impl EngineOptionsKind for PostgresOptions {
    fn connect_timeout_ms(&self) -> Option<i64> {
        self.connect_timeout_ms
    }

    fn merge_connection_string(&mut self, parsed: &ParsedConnectionString) -> Result<(), String> {
        if parsed.tls {
            self.ssl.get_or_insert(true);
        }
        Ok(())
    }
}
