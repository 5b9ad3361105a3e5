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
    /// MariaDB or MySQL.
    Mysql,
}

impl Engine {
    /// Every engine, in display order.
    pub const ALL: [Engine; 4] = [Engine::Postgres, Engine::Redis, Engine::Mongodb, Engine::Mysql];

    /// The name stored in the platform database and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Redis => "redis",
            Engine::Mongodb => "mongodb",
            Engine::Mysql => "mysql",
        }
    }

    /// Its routes' segment under `/api/platform/` (PostgreSQL's keep postgres-meta's name).
    pub fn api_path(self) -> &'static str {
        match self {
            Engine::Postgres => "pg-meta",
            Engine::Redis => "redis",
            Engine::Mongodb => "mongodb",
            Engine::Mysql => "mysql",
        }
    }

    /// The port used when none is given.
    pub fn default_port(self) -> u16 {
        match self {
            Engine::Postgres => 5432,
            Engine::Redis => 6379,
            Engine::Mongodb => 27017,
            Engine::Mysql => 3306,
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
            "mysql" | "mariadb" => Ok(Engine::Mysql),
            other => Err(format!("unknown engine `{other}`: expected postgres, redis, mongodb or mysql")),
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

/// One engine's connection options, typed in the engine's folder (`engines/<engine>/options.rs`):
/// what differs between engines. Storing, copying and reading them back come with [`Stored`].
pub trait EngineOptionsKind: Serialize + Clone + Send + Sync + fmt::Debug + 'static {
    /// How long to wait for a connection, in milliseconds, when set.
    fn connect_timeout_ms(&self) -> Option<i64>;
    /// Fills options left unset from what a connection string said (TLS, a database number…).
    fn merge_connection_string(&mut self, parsed: &ParsedConnectionString) -> Result<(), String>;
}

/// Any engine's options behind one type: written once for every [`EngineOptionsKind`].
trait Stored: Send + Sync + fmt::Debug {
    fn to_value(&self) -> Value;
    fn connect_timeout_ms(&self) -> Option<i64>;
    fn merge_connection_string(&mut self, parsed: &ParsedConnectionString) -> Result<(), String>;
    fn clone_box(&self) -> Box<dyn Stored>;
    fn as_any(&self) -> &dyn std::any::Any;
}

impl<T: EngineOptionsKind> Stored for T {
    fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    fn connect_timeout_ms(&self) -> Option<i64> {
        EngineOptionsKind::connect_timeout_ms(self)
    }

    fn merge_connection_string(&mut self, parsed: &ParsedConnectionString) -> Result<(), String> {
        EngineOptionsKind::merge_connection_string(self, parsed)
    }

    fn clone_box(&self) -> Box<dyn Stored> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A connection's validated options, of its engine's type.
#[derive(Clone, Debug)]
pub struct EngineOptions(std::sync::Arc<dyn Stored>);

impl PartialEq for EngineOptions {
    fn eq(&self, other: &Self) -> bool {
        self.to_value() == other.to_value()
    }
}

/// The connect timeout used when a connection sets none.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest timeout an option may set, in milliseconds.
pub const MAX_TIMEOUT_MS: i64 = 10 * 60 * 1000;

/// Checks an optional timeout in milliseconds (1 ms to 10 minutes).
pub fn check_timeout(name: &str, value: Option<i64>) -> Result<(), String> {
    match value {
        Some(ms) if !(1..=MAX_TIMEOUT_MS).contains(&ms) => {
            Err(format!("options.{name} must be between 1 and {MAX_TIMEOUT_MS} milliseconds"))
        }
        _ => Ok(()),
    }
}

/// Checks an optional pool size (1-100).
pub fn check_pool_size(value: Option<i64>) -> Result<(), String> {
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
    /// Wraps an engine's validated options.
    pub fn new(options: impl EngineOptionsKind) -> Self {
        Self(std::sync::Arc::new(options))
    }

    /// Reads `text` as `T` (an engine's options type) and validates it with `check`; unknown
    /// options are an error naming them.
    pub fn parse_as<T>(engine: Engine, value: Value, check: fn(&T) -> Result<(), String>) -> Result<Self, String>
    where
        T: EngineOptionsKind + serde::de::DeserializeOwned,
    {
        let value = if value.is_null() { Value::Object(Default::default()) } else { value };
        let options: T = serde_json::from_value(value).map_err(|e| format!("invalid options for {engine}: {e}"))?;
        check(&options)?;
        Ok(Self::new(options))
    }

    /// The options as `T`, when they are of that engine's type.
    pub fn get<T: 'static>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref::<T>()
    }

    /// These options with what a connection string said filled in where they were unset.
    pub fn with_connection_string(&self, parsed: &ParsedConnectionString) -> Result<Self, String> {
        let mut copy = self.0.clone_box();
        copy.merge_connection_string(parsed)?;
        Ok(Self(std::sync::Arc::from(copy)))
    }

    /// The options as stored and returned (unset options omitted).
    pub fn to_value(&self) -> Value {
        self.0.to_value()
    }

    /// How long to wait for a connection.
    pub fn connect_timeout(&self) -> Duration {
        let ms = self.0.connect_timeout_ms();
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
