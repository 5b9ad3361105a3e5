//! The options of a MongoDB connection and their checks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::connection::{check_pool_size, check_timeout, EngineOptionsKind, ParsedConnectionString};
use crate::domain::{Engine, EngineOptions};

/// Options of a MongoDB connection (spec 4.1).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MongoOptions {
    /// Replica set name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_set: Option<String>,
    /// Database holding the user's credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_source: Option<String>,
    /// Use TLS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<bool>,
    /// Server selection timeout, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_selection_timeout: Option<i64>,
    /// Talk to the one given host only, without topology discovery. Defaults to true for a single host
    /// without a replica set (as mongosh and Compass do).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct_connection: Option<bool>,
    /// How long to wait for a connection, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_timeout_ms: Option<i64>,
    /// Maximum connections in the driver's pool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_size: Option<i64>,
}

/// Reads and checks a MongoDB connection's options.
pub fn parse(value: Value) -> Result<EngineOptions, String> {
    EngineOptions::parse_as(Engine::Mongodb, value, check)
}

fn check(o: &MongoOptions) -> Result<(), String> {
    check_timeout("server_selection_timeout", o.server_selection_timeout)?;
    check_timeout("connect_timeout_ms", o.connect_timeout_ms)?;
    check_pool_size(o.pool_size)
}

impl EngineOptionsKind for MongoOptions {
    fn connect_timeout_ms(&self) -> Option<i64> {
        self.connect_timeout_ms
    }

    fn merge_connection_string(&mut self, parsed: &ParsedConnectionString) -> Result<(), String> {
        if parsed.tls {
            self.tls.get_or_insert(true);
        }
        Ok(())
    }
}
