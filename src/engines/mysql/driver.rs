//! MariaDB/MySQL's part of the engine seam: its connection strings, how it is dialled and opened
//! from stored settings, and its processlist for the project's activity view.

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::SecretString;

use super::options::{MysqlOptions, TlsMode};
use super::{activity, MysqlClient, MysqlTarget, MysqlTls, DEFAULT_STATEMENT_TIMEOUT_MS};
use crate::domain::connection::ParsedConnectionString;
use crate::domain::ConnectionSettings;
use crate::engines::{
    BoxFuture, Driver, EngineClient, EngineError, EngineKind, EngineSpec, Pooled, ProbeFacts, Session, Stop,
};
use crate::network::{DialRole, DialTarget, Guarded};

/// Pool size when the options set none.
const DEFAULT_POOL_SIZE: usize = 10;

/// MariaDB/MySQL's [`Driver`].
pub struct MysqlDriver;

/// What the engine declares about its connections.
pub static SPEC: EngineSpec = EngineSpec {
    url_schemes: &["mysql://", "mariadb://"],
    parse_connection_string,
    viewer_credentials: false,
    parse_options: super::options::parse,
    options_schema: schemars::SchemaGenerator::subschema_for::<MysqlOptions>,
    driver: &MysqlDriver,
};

/// Reads a `mysql://` or `mariadb://` URL: user, password, host, port, database, and whether
/// `ssl-mode` (or `ssl=true`) asks for TLS.
pub fn parse_connection_string(text: &str) -> Result<ParsedConnectionString, String> {
    // The URL parser's own message could quote the URL, password included: say only what is wrong.
    let url = url::Url::parse(text).map_err(|e| format!("invalid MySQL connection string: {e}"))?;
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or("a MySQL connection string must name a host")?;
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    let database = url.path().trim_start_matches('/');
    let tls = url.query_pairs().any(|(k, v)| {
        let v = v.to_ascii_lowercase();
        (k.eq_ignore_ascii_case("ssl-mode") || k.eq_ignore_ascii_case("sslmode"))
            && matches!(v.as_str(), "required" | "verify_ca" | "verify_identity" | "require" | "verify-full")
            || k.eq_ignore_ascii_case("ssl") && v == "true"
    });
    Ok(ParsedConnectionString {
        host: Some(host.trim_matches(|c| c == '[' || c == ']').to_string()),
        port: url.port(),
        database_name: (!database.is_empty()).then(|| decode(database)),
        username: (!url.username().is_empty()).then(|| decode(url.username())),
        password: url.password().map(|p| SecretString::from(decode(p))),
        redis_db: None,
        tls,
    })
}

/// The driver's target for approved settings: the pinned address, never the host name.
fn target(settings: &Guarded) -> Result<MysqlTarget, EngineError> {
    let options =
        settings.options.get::<MysqlOptions>().ok_or_else(|| EngineError::Config("not a MySQL connection".into()))?;
    let ip = settings
        .pinned_addr
        .ok_or_else(|| EngineError::Config("the MySQL host's address was not approved by the network policy".into()))?;
    let user = settings
        .username
        .clone()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| EngineError::Config("a MySQL connection needs a username".into()))?;
    let tls = match options.ssl_mode.unwrap_or(TlsMode::Disable) {
        TlsMode::Disable => MysqlTls::Disable,
        TlsMode::Require => MysqlTls::Require,
        TlsMode::VerifyFull => MysqlTls::VerifyFull { ca_pem: options.ssl_root_cert.clone() },
    };
    Ok(MysqlTarget {
        addr: SocketAddr::new(ip, settings.port),
        host: settings.host.clone(),
        user,
        password: settings.password.clone().unwrap_or_else(|| SecretString::from(String::new())),
        database: settings.database_name.clone().filter(|d| !d.is_empty()),
        tls,
        pool_max: options.pool_size.and_then(|n| usize::try_from(n).ok()).unwrap_or(DEFAULT_POOL_SIZE),
        connect_timeout: settings.options.connect_timeout(),
        statement_timeout_ms: options
            .statement_timeout
            .and_then(|ms| u64::try_from(ms).ok())
            .unwrap_or(DEFAULT_STATEMENT_TIMEOUT_MS),
    })
}

impl Driver for MysqlDriver {
    fn dial_targets<'a>(
        &'a self,
        settings: &'a ConnectionSettings,
    ) -> BoxFuture<'a, Result<Vec<DialTarget>, EngineError>> {
        Box::pin(async move {
            Ok(vec![DialTarget { host: settings.host.clone(), port: settings.port, role: DialRole::Host }])
        })
    }

    fn connect<'a>(&'a self, settings: &'a Guarded) -> BoxFuture<'a, Result<EngineClient, EngineError>> {
        Box::pin(async move { super::connect(&target(settings)?).await.map(EngineClient::new) })
    }
}

impl EngineKind for MysqlClient {
    const ENGINE: crate::domain::Engine = crate::domain::Engine::Mysql;
}

impl Pooled for MysqlClient {
    fn ping(&self) -> BoxFuture<'_, Result<Duration, EngineError>> {
        Box::pin(MysqlClient::ping(self))
    }

    fn facts<'a>(&'a self, _: &'a ConnectionSettings) -> BoxFuture<'a, Result<ProbeFacts, EngineError>> {
        Box::pin(async move { Ok(self.probe().await?.facts()) })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(MysqlClient::close(self))
    }

    fn sessions(&self) -> BoxFuture<'_, Result<Vec<Session>, EngineError>> {
        Box::pin(async move {
            let list = activity::list(self).await?;
            Ok(list.into_iter().map(session).collect())
        })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A processlist row as a session: a sleeping connection is idle; a running statement is stopped
/// with `KILL QUERY`, an idle connection closed.
fn session(p: activity::Process) -> Session {
    let active = p.command.as_deref().is_some_and(|c| c != "Sleep" && c != "Daemon");
    let (query_only, label) = if active { (true, "Kill query") } else { (false, "Kill connection") };
    Session {
        id: p.id.to_string(),
        user: p.user,
        client: p.host,
        what: p.info.filter(|i| !i.is_empty()),
        state: p.state.filter(|s| !s.is_empty()).or(p.command),
        active,
        duration_ms: p.time.and_then(|s| i64::try_from(s).ok()).map(|s| s.saturating_mul(1000)),
        blocked_by: Vec::new(),
        stop: Some(Stop { method: "POST", route: format!("activity/{}/kill?query_only={query_only}", p.id), label }),
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn connection_strings_are_read() {
        let p = parse_connection_string("mariadb://app:p%40ss@db.example.com:3307/shop?ssl-mode=REQUIRED").unwrap();
        assert_eq!(p.host.as_deref(), Some("db.example.com"));
        assert_eq!(p.port, Some(3307));
        assert_eq!(p.username.as_deref(), Some("app"));
        assert_eq!(p.password.as_ref().map(|s| s.expose_secret().to_string()).as_deref(), Some("p@ss"));
        assert_eq!(p.database_name.as_deref(), Some("shop"));
        assert!(p.tls);
        let plain = parse_connection_string("mysql://root@127.0.0.1").unwrap();
        assert_eq!(plain.port, None);
        assert!(!plain.tls);
        assert!(parse_connection_string("mysql://").is_err());
    }
}
