//! The options of a Redis connection and their checks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::connection::{check_port, check_timeout, EngineOptionsKind, ParsedConnectionString};
use crate::domain::{Engine, EngineOptions};

/// A host and port, as used by sentinel lists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostPort {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: i64,
}

/// Redis sentinel settings: the master's name and where the sentinels listen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SentinelOptions {
    /// The monitored master's name.
    pub master: String,
    /// The sentinels to ask.
    pub sentinels: Vec<HostPort>,
}

/// Options of a Redis connection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedisOptions {
    /// Logical database, 0-15.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db: Option<i64>,
    /// Use TLS (`rediss://`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<bool>,
    /// Connect as a cluster client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<bool>,
    /// Resolve the master through sentinels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentinel: Option<SentinelOptions>,
    /// How long to wait for a connection, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_timeout_ms: Option<i64>,
    /// How long to wait for one command's answer, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_timeout_ms: Option<i64>,
    /// Lets admins run commands that stop or reconfigure the server (SHUTDOWN, CONFIG SET,
    /// FLUSHALL…) on the command line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_server_commands: Option<bool>,
}

/// Reads and checks a Redis connection's options.
pub fn parse(value: Value) -> Result<EngineOptions, String> {
    EngineOptions::parse_as(Engine::Redis, value, check)
}

fn check(o: &RedisOptions) -> Result<(), String> {
    if let Some(db) = o.db {
        if !(0..=15).contains(&db) {
            return Err(format!("options.db must be between 0 and 15, got {db}"));
        }
    }
    if let Some(sentinel) = &o.sentinel {
        if sentinel.master.trim().is_empty() {
            return Err("options.sentinel.master must not be empty".into());
        }
        if sentinel.sentinels.is_empty() {
            return Err("options.sentinel.sentinels must list at least one sentinel".into());
        }
        for s in &sentinel.sentinels {
            if s.host.trim().is_empty() {
                return Err("options.sentinel.sentinels[].host must not be empty".into());
            }
            check_port("options.sentinel.sentinels[].port", s.port)?;
        }
    }
    if o.cluster == Some(true) && o.sentinel.is_some() {
        return Err("options.cluster and options.sentinel cannot be combined".into());
    }
    check_timeout("connect_timeout_ms", o.connect_timeout_ms)?;
    check_timeout("command_timeout_ms", o.command_timeout_ms)
}

impl EngineOptionsKind for RedisOptions {
    fn connect_timeout_ms(&self) -> Option<i64> {
        self.connect_timeout_ms
    }

    fn merge_connection_string(&mut self, parsed: &ParsedConnectionString) -> Result<(), String> {
        if parsed.tls {
            self.tls.get_or_insert(true);
        }
        if let Some(db) = parsed.redis_db.filter(|db| *db != 0) {
            self.db.get_or_insert(db);
        }
        if self.db.is_some_and(|db| !(0..=15).contains(&db)) {
            return Err("the connection string's database must be between 0 and 15".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_option_is_named() {
        let err = parse(json!({"dbb": 1})).unwrap_err();
        assert!(err.contains("dbb"), "{err}");
    }

    #[test]
    fn redis_db_range() {
        assert!(parse(json!({"db": 16})).is_err());
        assert!(parse(json!({"db": 15})).is_ok());
    }
}
