//! PostgreSQL through `tokio-postgres`, pooled by `deadpool-postgres`.

pub mod catalog;
pub mod export;
pub mod query;
pub mod types;

use std::str::FromStr;
use std::time::{Duration, Instant};

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use secrecy::ExposeSecret;
use serde_json::{json, Map, Value};
use tokio_postgres::config::Host;
use tokio_postgres::{Client, NoTls};

use super::{EngineError, ProbeFacts};
use crate::domain::connection::{ParsedConnectionString, PostgresOptions};
use crate::domain::{ConnectionSettings, EngineOptions};

const DEFAULT_POOL_SIZE: usize = 10;
/// Statement timeout applied to every session unless the connection sets another.
pub const DEFAULT_STATEMENT_TIMEOUT_MS: i64 = 30_000;

/// A pool of PostgreSQL sessions for one connection.
#[derive(Clone)]
pub struct PostgresClient {
    pool: Pool,
}

/// Maps a driver error to the engine layer, keeping the server's SQLSTATE, position, detail and hint.
pub fn map_error(err: tokio_postgres::Error) -> EngineError {
    if let Some(db) = err.as_db_error() {
        let code = db.code().code();
        if code.starts_with("28") {
            return EngineError::Auth(format!("authentication failed: {}", db.message()));
        }
        if code == "57P01" || code == "57P03" {
            return EngineError::Connect(format!("PostgreSQL is not available: {}", db.message()));
        }
        let position = match db.position() {
            Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p),
            _ => None,
        };
        let details = json!({ "code": code, "position": position, "detail": db.detail(), "hint": db.hint() });
        return EngineError::Query { message: db.message().to_string(), details: Some(details) };
    }
    EngineError::Connect(format!("cannot reach PostgreSQL: {err}"))
}

fn map_pool_error(err: PoolError) -> EngineError {
    match err {
        PoolError::Backend(e) => map_error(e),
        PoolError::Timeout(_) => EngineError::Timeout("timed out waiting for a PostgreSQL connection".into()),
        other => EngineError::Connect(format!("cannot reach PostgreSQL: {other}")),
    }
}

/// Reads a `postgres://` URL or `key=value` string with the driver's parser.
pub fn parse_connection_string(text: &str) -> Result<ParsedConnectionString, String> {
    let config = tokio_postgres::Config::from_str(text)
        .map_err(|_| "invalid PostgreSQL connection string: check the scheme, host and parameters".to_string())?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(_) => return Err("only TCP PostgreSQL hosts are supported".into()),
        None => return Err("the PostgreSQL connection string names no host".into()),
    };
    Ok(ParsedConnectionString {
        host: Some(host),
        port: config.get_ports().first().copied(),
        database_name: config.get_dbname().map(str::to_string),
        username: config.get_user().map(str::to_string),
        password: config.get_password().map(|p| String::from_utf8_lossy(p).into_owned().into()),
        redis_db: None,
        tls: matches!(config.get_ssl_mode(), tokio_postgres::config::SslMode::Require),
    })
}

fn options(settings: &ConnectionSettings) -> Result<&PostgresOptions, EngineError> {
    match &settings.options {
        EngineOptions::Postgres(o) => Ok(o),
        _ => Err(EngineError::Config("not a PostgreSQL connection".into())),
    }
}

/// Builds the pool; sessions open lazily, on first use.
pub fn connect(settings: &ConnectionSettings) -> Result<PostgresClient, EngineError> {
    let opts = options(settings)?;
    let mut config = match &settings.connection_string {
        Some(text) => tokio_postgres::Config::from_str(text.expose_secret())
            .map_err(|_| EngineError::Config("invalid PostgreSQL connection string".into()))?,
        None => {
            let mut c = tokio_postgres::Config::new();
            c.host(&settings.host).port(settings.port);
            c
        }
    };
    // Dial the address the network guard checked (the name stays for TLS and messages).
    if let (Some(ip), None) = (settings.pinned_addr, &settings.connection_string) {
        config.hostaddr(ip);
    }
    if let Some(user) = &settings.username {
        config.user(user);
    }
    if let Some(password) = &settings.password {
        config.password(password.expose_secret());
    }
    if let Some(db) = &settings.database_name {
        config.dbname(db);
    }
    let connect_timeout = settings.options.connect_timeout();
    let statement_timeout = opts.statement_timeout.unwrap_or(DEFAULT_STATEMENT_TIMEOUT_MS);
    config
        .connect_timeout(connect_timeout)
        .application_name("switchboard")
        .options(format!("-c statement_timeout={statement_timeout}"));
    // Sessions are lent without a reset round trip; a use that may leave state behind resets the
    // session before it returns to the pool (see [`Session`]).
    let manager_config = ManagerConfig { recycling_method: RecyclingMethod::Fast };
    let manager = if opts.ssl == Some(true) {
        config.ssl_mode(tokio_postgres::config::SslMode::Require);
        Manager::from_config(config, tls_connector(opts.ssl_root_cert.as_deref())?, manager_config)
    } else {
        Manager::from_config(config, NoTls, manager_config)
    };
    let size = opts.pool_size.and_then(|n| usize::try_from(n).ok()).unwrap_or(DEFAULT_POOL_SIZE);
    let pool = Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(connect_timeout))
        .create_timeout(Some(connect_timeout))
        .recycle_timeout(Some(connect_timeout))
        .build()
        .map_err(|e| EngineError::Config(format!("cannot build the PostgreSQL pool: {e}")))?;
    Ok(PostgresClient { pool })
}

/// TLS that verifies the server against the public roots plus an optional PEM authority.
fn tls_connector(extra_ca: Option<&str>) -> Result<tokio_postgres_rustls::MakeRustlsConnect, EngineError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;

    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = extra_ca {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert =
                cert.map_err(|_| EngineError::Config("options.ssl_root_cert is not a PEM certificate".into()))?;
            roots.add(cert).map_err(|e| EngineError::Config(format!("options.ssl_root_cert: {e}")))?;
            added += 1;
        }
        if added == 0 {
            return Err(EngineError::Config("options.ssl_root_cert holds no PEM certificate".into()));
        }
    }
    // An explicit provider: several crates here enable rustls, possibly with different backends.
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| EngineError::Config(format!("TLS set-up failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// What resets a session's state (SET, SET ROLE, cursors, LISTEN, advisory locks, temporary
/// tables, sequences): deadpool's `RecyclingMethod::Clean` text, plus prepared statements and dblink
/// connections. Statements our own cache prepared are dropped with it.
const RESET_SESSION: &str = "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; \
     SELECT pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES; DEALLOCATE ALL;";

/// Prepared statements kept per session before the cache starts over.
const STATEMENT_CACHE_LIMIT: usize = 256;

/// A pooled session lent to one request.
///
/// The next request may be another user's, so nothing one request leaves in the session (a SET, a
/// SET ROLE, a temporary table, an advisory lock) may reach it. Resetting on every loan would cost
/// a round trip per request, so a session counts as possibly changed until the code that used it
/// proves otherwise with [`Session::unchanged`] (a statement rolled back in a read-only transaction,
/// our own catalog queries); a changed one is reset in the background before the pool lends it
/// again, and dropped if the reset fails.
pub struct Session {
    object: Option<deadpool_postgres::Object>,
    changed: bool,
    discard: bool,
}

impl Session {
    /// The use left nothing behind: the session goes back to the pool as it is.
    pub fn unchanged(&mut self) {
        self.changed = false;
    }

    /// The session is busy with something nobody will read (the rest of a capped result): close
    /// it instead of returning it, which also stops the server's work.
    pub fn discard(&mut self) {
        self.discard = true;
    }

    /// A prepared statement for `sql` from this session's cache (bounded, so many distinct texts
    /// cannot grow it without end).
    pub async fn prepare_cached(&self, sql: &str) -> Result<tokio_postgres::Statement, tokio_postgres::Error> {
        let client = self.client();
        if client.statement_cache.size() >= STATEMENT_CACHE_LIMIT {
            client.statement_cache.clear();
        }
        client.prepare_cached(sql).await
    }

    /// Forgets this session's prepared statements (a table they read changed).
    pub fn statement_cache_clear(&self) {
        self.client().statement_cache.clear();
    }

    fn client(&self) -> &deadpool_postgres::ClientWrapper {
        self.object.as_deref().unwrap_or_else(|| unreachable!("a session is only emptied when dropped"))
    }
}

impl std::ops::Deref for Session {
    type Target = Client;

    fn deref(&self) -> &Client {
        self.client()
    }
}

impl std::ops::DerefMut for Session {
    fn deref_mut(&mut self) -> &mut Client {
        self.object.as_deref_mut().unwrap_or_else(|| unreachable!("a session is only emptied when dropped"))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let Some(object) = self.object.take() else { return };
        if self.discard {
            drop(deadpool_postgres::Object::take(object));
            return;
        }
        if !self.changed {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime to reset it on: do not let it back into the pool.
            drop(deadpool_postgres::Object::take(object));
            return;
        };
        runtime.spawn(async move {
            object.statement_cache.clear();
            if let Err(e) = object.batch_execute(RESET_SESSION).await {
                tracing::warn!(error = %e, "could not reset a PostgreSQL session; closing it");
                drop(deadpool_postgres::Object::take(object));
            }
        });
    }
}

impl PostgresClient {
    /// Borrows a session from the pool.
    pub async fn session(&self) -> Result<Session, EngineError> {
        let object = self.pool.get().await.map_err(map_pool_error)?;
        Ok(Session { object: Some(object), changed: true, discard: false })
    }

    /// Measures one round trip.
    pub async fn ping(&self) -> Result<Duration, EngineError> {
        let mut session = self.session().await?;
        let started = Instant::now();
        session.simple_query("SELECT 1").await.map_err(map_error)?;
        session.unchanged();
        Ok(started.elapsed())
    }

    /// Version, database and user.
    pub async fn facts(&self) -> Result<ProbeFacts, EngineError> {
        let mut session = self.session().await?;
        let row = session
            .query_one("SELECT current_setting('server_version'), current_database(), current_user::text", &[])
            .await
            .map_err(map_error)?;
        session.unchanged();
        let mut details = Map::new();
        details.insert("database".into(), Value::String(row.get(1)));
        details.insert("user".into(), Value::String(row.get(2)));
        Ok(ProbeFacts { version: row.get(0), details })
    }

    /// Closes every session.
    pub fn close(&self) {
        self.pool.close();
    }
}
