//! The options of a MariaDB/MySQL connection and their checks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::connection::{
    check_pool_size, check_timeout, EngineOptionsKind, ParsedConnectionString, MAX_TIMEOUT_MS,
};
use crate::domain::{Engine, EngineOptions};

/// How a MariaDB/MySQL connection uses TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// Plain TCP (the default).
    Disable,
    /// TLS without checking the server's certificate: it hides the traffic, it does not prove the server.
    Require,
    /// TLS with the certificate checked against `ssl_root_cert` (or the public roots) and the host name.
    VerifyFull,
}

/// Options of a MariaDB/MySQL connection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MysqlOptions {
    /// TLS: `disable` (default), `require` or `verify-full`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssl_mode: Option<TlsMode>,
    /// A PEM certificate authority to trust instead of the public roots (`verify-full`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssl_root_cert: Option<String>,
    /// Maximum connections in the pool (default 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_size: Option<i64>,
    /// Statement timeout, in milliseconds (default 30,000; 0 for none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_timeout: Option<i64>,
    /// How long to wait for a connection, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_timeout_ms: Option<i64>,
}

/// Reads and checks a MariaDB/MySQL connection's options.
pub fn parse(value: Value) -> Result<EngineOptions, String> {
    EngineOptions::parse_as(Engine::Mysql, value, check)
}

fn check(o: &MysqlOptions) -> Result<(), String> {
    if let Some(ms) = o.statement_timeout {
        if !(0..=MAX_TIMEOUT_MS * 6).contains(&ms) {
            return Err("options.statement_timeout must be between 0 and 3600000 milliseconds".into());
        }
    }
    if o.ssl_root_cert.is_some() && o.ssl_mode != Some(TlsMode::VerifyFull) {
        return Err("options.ssl_root_cert needs options.ssl_mode verify-full".into());
    }
    check_timeout("connect_timeout_ms", o.connect_timeout_ms)?;
    check_pool_size(o.pool_size)
}

impl EngineOptionsKind for MysqlOptions {
    fn connect_timeout_ms(&self) -> Option<i64> {
        self.connect_timeout_ms
    }

    fn merge_connection_string(&mut self, parsed: &ParsedConnectionString) -> Result<(), String> {
        if parsed.tls {
            self.ssl_mode.get_or_insert(TlsMode::VerifyFull);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn options_are_checked() {
        assert!(parse(json!({"ssl_mode": "verify-full", "pool_size": 5})).is_ok());
        assert!(parse(json!({"ssl_mode": "sometimes"})).is_err());
        assert!(parse(json!({"ssl_root_cert": "PEM"})).is_err(), "a CA is only for verify-full");
        assert!(parse(json!({"pool_size": 0})).is_err());
        assert!(parse(json!({"unknown": 1})).unwrap_err().contains("unknown"));
    }
}
