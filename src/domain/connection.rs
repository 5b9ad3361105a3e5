//! What a stored database connection is made of, and the validation every engine shares.
//!
//! A connection has address fields (host, port, database, username), secrets (password and an optional
//! connection string, both encrypted at rest by `crypto`) and typed per-engine options. The connection
//! string, when given, is parsed by the engine driver's own parser so the fields show what it says.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kinds of database Switchboard manages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// PostgreSQL.
    Postgres,
    /// Redis (standalone, cluster or sentinel).
    Redis,
    /// MongoDB.
    Mongodb,
}

impl Engine {
    /// Every engine, in display order.
    pub const ALL: [Engine; 3] = [Engine::Postgres, Engine::Redis, Engine::Mongodb];

    /// The name stored in the platform database and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Redis => "redis",
            Engine::Mongodb => "mongodb",
        }
    }

    /// Its routes' segment under `/api/platform/` (PostgreSQL's keep postgres-meta's name).
    pub fn api_path(self) -> &'static str {
        match self {
            Engine::Postgres => "pg-meta",
            Engine::Redis => "redis",
            Engine::Mongodb => "mongodb",
        }
    }

    /// The port used when none is given.
    pub fn default_port(self) -> u16 {
        match self {
            Engine::Postgres => 5432,
            Engine::Redis => 6379,
            Engine::Mongodb => 27017,
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "postgres" | "postgresql" => Ok(Engine::Postgres),
            "redis" => Ok(Engine::Redis),
            "mongodb" | "mongo" => Ok(Engine::Mongodb),
            other => Err(format!("unknown engine `{other}`: expected postgres, redis or mongodb")),
        }
    }
}

/// A connection's health as last observed (spec 2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ConnectionStatus {
    /// Usable; the last test succeeded or none failed yet.
    Active,
    /// Switched off by an admin.
    Inactive,
    /// The last test failed.
    Error,
    /// A test is under way.
    Connecting,
}

impl ConnectionStatus {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Inactive => "INACTIVE",
            Self::Error => "ERROR",
            Self::Connecting => "CONNECTING",
        }
    }
}

impl FromStr for ConnectionStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ACTIVE" => Ok(Self::Active),
            "INACTIVE" => Ok(Self::Inactive),
            "ERROR" => Ok(Self::Error),
            "CONNECTING" => Ok(Self::Connecting),
            other => Err(format!("unknown status `{other}`: expected ACTIVE, INACTIVE, ERROR or CONNECTING")),
        }
    }
}

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

/// Typed options, one variant per engine.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineOptions {
    /// Redis options.
    Redis(RedisOptions),
    /// MongoDB options.
    Mongodb(MongoOptions),
    /// PostgreSQL options.
    Postgres(PostgresOptions),
}

/// The connect timeout used when a connection sets none.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_TIMEOUT_MS: i64 = 10 * 60 * 1000;

fn check_timeout(name: &str, value: Option<i64>) -> Result<(), String> {
    match value {
        Some(ms) if !(1..=MAX_TIMEOUT_MS).contains(&ms) => {
            Err(format!("options.{name} must be between 1 and {MAX_TIMEOUT_MS} milliseconds"))
        }
        _ => Ok(()),
    }
}

fn check_pool_size(value: Option<i64>) -> Result<(), String> {
    match value {
        Some(n) if !(1..=100).contains(&n) => Err("options.pool_size must be between 1 and 100".into()),
        _ => Ok(()),
    }
}

/// Checks a port number and narrows it.
pub fn check_port(name: &str, port: i64) -> Result<u16, String> {
    u16::try_from(port)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("{name} must be between 1 and 65535, got {port}"))
}

impl EngineOptions {
    /// Parses and validates options for `engine`; unknown options are an error naming them.
    pub fn parse(engine: Engine, value: Value) -> Result<Self, String> {
        let value = if value.is_null() { Value::Object(Default::default()) } else { value };
        let wrap = |e: serde_json::Error| format!("invalid options for {engine}: {e}");
        let options = match engine {
            Engine::Redis => EngineOptions::Redis(serde_json::from_value(value).map_err(wrap)?),
            Engine::Mongodb => EngineOptions::Mongodb(serde_json::from_value(value).map_err(wrap)?),
            Engine::Postgres => EngineOptions::Postgres(serde_json::from_value(value).map_err(wrap)?),
        };
        options.validate()?;
        Ok(options)
    }

    fn validate(&self) -> Result<(), String> {
        match self {
            EngineOptions::Redis(o) => {
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
            EngineOptions::Mongodb(o) => {
                check_timeout("server_selection_timeout", o.server_selection_timeout)?;
                check_timeout("connect_timeout_ms", o.connect_timeout_ms)?;
                check_pool_size(o.pool_size)
            }
            EngineOptions::Postgres(o) => {
                if let Some(ms) = o.statement_timeout {
                    if !(0..=MAX_TIMEOUT_MS * 6).contains(&ms) {
                        return Err("options.statement_timeout must be between 0 and 3600000 milliseconds".into());
                    }
                }
                check_timeout("lock_timeout", o.lock_timeout)?;
                check_timeout("connect_timeout_ms", o.connect_timeout_ms)?;
                check_pool_size(o.pool_size)
            }
        }
    }

    /// The options as stored and returned (unset options omitted).
    pub fn to_value(&self) -> Value {
        let value = match self {
            EngineOptions::Redis(o) => serde_json::to_value(o),
            EngineOptions::Mongodb(o) => serde_json::to_value(o),
            EngineOptions::Postgres(o) => serde_json::to_value(o),
        };
        value.unwrap_or(Value::Null)
    }

    /// How long to wait for a connection.
    pub fn connect_timeout(&self) -> Duration {
        let ms = match self {
            EngineOptions::Redis(o) => o.connect_timeout_ms,
            EngineOptions::Mongodb(o) => o.connect_timeout_ms,
            EngineOptions::Postgres(o) => o.connect_timeout_ms,
        };
        ms.and_then(|ms| u64::try_from(ms).ok()).map(Duration::from_millis).unwrap_or(DEFAULT_CONNECT_TIMEOUT)
    }
}

/// Everything needed to open a connection: validated fields, secrets and options.
#[derive(Clone)]
pub struct ConnectionSettings {
    /// Which engine.
    pub engine: Engine,
    /// First (or only) host.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// Database name (PostgreSQL database, MongoDB default database); Redis uses `options.db`.
    pub database_name: Option<String>,
    /// User name.
    pub username: Option<String>,
    /// Password, if any.
    pub password: Option<SecretString>,
    /// The connection string as given, if any; the fields above override its credentials and database.
    pub connection_string: Option<SecretString>,
    /// The login viewers' SQL runs as (PostgreSQL), instead of the connection's own.
    pub viewer_username: Option<String>,
    /// Its password.
    pub viewer_password: Option<SecretString>,
    /// Typed options.
    pub options: EngineOptions,
    /// The address the network guard checked; drivers connect to it instead of resolving `host`
    /// again where they can.
    pub pinned_addr: Option<std::net::IpAddr>,
}

impl fmt::Debug for ConnectionSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionSettings")
            .field("engine", &self.engine)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database_name", &self.database_name)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("connection_string", &self.connection_string.as_ref().map(|_| "[redacted]"))
            .field("viewer_username", &self.viewer_username)
            .field("viewer_password", &self.viewer_password.as_ref().map(|_| "[redacted]"))
            .field("options", &self.options)
            .field("pinned_addr", &self.pinned_addr)
            .finish()
    }
}

/// What a connection string says, read by the engine driver's own parser.
#[derive(Default)]
pub struct ParsedConnectionString {
    /// First host.
    pub host: Option<String>,
    /// Its port.
    pub port: Option<u16>,
    /// Database named in the string.
    pub database_name: Option<String>,
    /// User named in the string.
    pub username: Option<String>,
    /// Password in the string.
    pub password: Option<SecretString>,
    /// Redis database index.
    pub redis_db: Option<i64>,
    /// Whether the scheme asks for TLS.
    pub tls: bool,
}

impl ConnectionSettings {
    /// Secrets to scrub from any driver message before it leaves the engine layer.
    pub fn secrets(&self) -> Vec<&str> {
        let mut out = Vec::new();
        if let Some(p) = &self.password {
            out.push(p.expose_secret());
        }
        if let Some(c) = &self.connection_string {
            out.push(c.expose_secret());
        }
        if let Some(p) = &self.viewer_password {
            out.push(p.expose_secret());
        }
        out.retain(|s| !s.is_empty());
        out
    }
}

/// Replaces every occurrence of a secret in `text` with `***`, so driver messages can be shown.
/// Matching ignores ASCII case: a message that upper-cases what it quotes (a command name and its
/// arguments, say) must not reveal the secret either.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        // Very short secrets would blank out ordinary words; they are also not worth hiding from
        // a message that the driver produced without them in mind.
        if secret.len() < 3 {
            continue;
        }
        // ASCII lower-casing keeps every byte offset, so a match in the folded text is a range of
        // the original.
        let needle = secret.to_ascii_lowercase();
        let mut masked = String::with_capacity(out.len());
        let folded = out.to_ascii_lowercase();
        let mut rest = 0;
        while let Some(found) = folded[rest..].find(&needle) {
            let start = rest + found;
            masked.push_str(&out[rest..start]);
            masked.push_str("***");
            rest = start + needle.len();
        }
        masked.push_str(&out[rest..]);
        out = masked;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_option_is_named() {
        let err = EngineOptions::parse(Engine::Redis, json!({"dbb": 1})).unwrap_err();
        assert!(err.contains("dbb"), "{err}");
    }

    #[test]
    fn redis_db_range() {
        assert!(EngineOptions::parse(Engine::Redis, json!({"db": 16})).is_err());
        assert!(EngineOptions::parse(Engine::Redis, json!({"db": 15})).is_ok());
    }

    #[test]
    fn ports() {
        assert!(check_port("port", 0).is_err());
        assert!(check_port("port", 70000).is_err());
        assert_eq!(check_port("port", 6379), Ok(6379));
    }

    #[test]
    fn scrub_hides_secrets() {
        assert_eq!(scrub("auth failed for hunter2!", &["hunter2"]), "auth failed for ***!");
    }

    #[test]
    fn scrub_ignores_ascii_case_and_keeps_other_text() {
        assert_eq!(scrub("unknown command `OBJECT HUNTER2` – é", &["hunter2"]), "unknown command `OBJECT ***` – é");
        assert_eq!(scrub("pässwörd and PÄSSWÖRD", &["pässwörd"]), "*** and PÄSSWÖRD");
        assert_eq!(scrub("hunter2hunter2", &["hunter2"]), "******");
    }
}
