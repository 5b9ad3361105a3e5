//! PostgreSQL through `tokio-postgres`, pooled by `deadpool-postgres`.

pub mod activity;
pub mod advisors;
pub mod cancel;
pub mod catalog;
pub mod checks;
pub mod command;
pub mod ddl;
pub mod driver;
pub mod export;
pub mod import;
pub mod objects;
pub mod options;
pub mod policies;
pub mod query;
pub mod roles;
pub mod rows;
pub mod triggers;
pub mod types;
pub mod typescript;

use std::str::FromStr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::{Hook, HookError, Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use secrecy::ExposeSecret;
use serde_json::{json, Map, Value};
use tokio_postgres::config::Host;
use tokio_postgres::{Client, NoTls};

use super::{within, EngineError, ProbeFacts};
use crate::domain::connection::ParsedConnectionString;
use crate::domain::ConnectionSettings;
use crate::network::{DialRole, DialTarget};
use options::PostgresOptions;

const DEFAULT_POOL_SIZE: usize = 10;
/// Statement timeout applied to every session unless the connection sets another.
pub const DEFAULT_STATEMENT_TIMEOUT_MS: i64 = 30_000;
/// Lock timeout of schema changes unless the connection sets another.
pub const DEFAULT_LOCK_TIMEOUT_MS: i64 = 5_000;
/// How long past the statement timeout a call waits for the server's answer before it gives up on
/// its own: the server's timeout needs the server, and a frozen one (SIGSTOP, a hung host) keeps
/// the connection open without ever answering.
pub const TIMEOUT_GRACE: Duration = Duration::from_secs(2);

/// A pool of PostgreSQL sessions for one connection: its own login's, and the viewer login's when
/// the connection has one.
#[derive(Clone)]
pub struct PostgresClient {
    pool: Pool,
    powers: Arc<PowersSeen>,
    viewer: Option<(Pool, Arc<PowersSeen>)>,
    /// When viewers' SQL shares the connection's own pool: the sessions viewers may hold at once,
    /// so some are always left for writers (and our catalog reads).
    viewer_slots: Option<Arc<tokio::sync::Semaphore>>,
    /// How long a caller waits for a session.
    wait: Duration,
    /// How long a schema change waits for a lock (`options.lock_timeout`).
    lock_timeout: Duration,
    /// Every session's statement timeout (`options.statement_timeout`).
    statement_timeout: Duration,
}

impl crate::engines::EngineKind for PostgresClient {
    const ENGINE: crate::domain::Engine = crate::domain::Engine::Postgres;
}

/// Powers of a login that reach past the database onto its host: running programs and reading or
/// writing the server's files. A read-only transaction does not take them away (`COPY … TO
/// PROGRAM`, `pg_read_file`, `lo_import` all run in one), so viewers' SQL never runs as a login
/// that has any of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostPowers(u8);

impl HostPowers {
    const NAMES: [&'static str; 4] =
        ["superuser", "pg_execute_server_program", "pg_read_server_files", "pg_write_server_files"];
    const KNOWN: u8 = 0x80;

    /// Whether the login has none of them.
    pub fn is_empty(self) -> bool {
        self.0 & !Self::KNOWN == 0
    }

    /// Their names (`superuser` and the predefined roles the login can use).
    pub fn names(self) -> Vec<&'static str> {
        Self::NAMES.iter().enumerate().filter(|(i, _)| self.0 & (1 << i) != 0).map(|(_, n)| *n).collect()
    }
}

/// The powers found by the newest session's check (every new session is checked as it opens).
#[derive(Default)]
struct PowersSeen(AtomicU8);

impl PowersSeen {
    fn get(&self) -> Option<HostPowers> {
        let bits = self.0.load(Ordering::Acquire);
        (bits & HostPowers::KNOWN != 0).then_some(HostPowers(bits))
    }
}

/// Asks the server what the session's login can reach on the host. Membership (not inheritance)
/// counts: a member can `SET ROLE` to the powerful role inside any transaction, read-only or not.
const HOST_POWERS_SQL: &str = "SELECT \
     EXISTS (SELECT 1 FROM pg_roles WHERE rolsuper AND pg_has_role(current_user, oid, 'MEMBER')), \
     COALESCE(pg_has_role(current_user, to_regrole('pg_execute_server_program'), 'MEMBER'), false), \
     COALESCE(pg_has_role(current_user, to_regrole('pg_read_server_files'), 'MEMBER'), false), \
     COALESCE(pg_has_role(current_user, to_regrole('pg_write_server_files'), 'MEMBER'), false)";

async fn check_host_powers(client: &Client) -> Result<HostPowers, tokio_postgres::Error> {
    let row = client.query_one(HOST_POWERS_SQL, &[]).await?;
    let mut bits = HostPowers::KNOWN;
    for i in 0..HostPowers::NAMES.len() {
        if row.try_get::<_, bool>(i)? {
            bits |= 1 << i;
        }
    }
    Ok(HostPowers(bits))
}

/// A hook that checks each new session's login and records what it found.
fn powers_hook(seen: Arc<PowersSeen>) -> Hook {
    Hook::async_fn(move |client, _| {
        let seen = seen.clone();
        Box::pin(async move {
            let powers = check_host_powers(client).await.map_err(HookError::Backend)?;
            seen.0.store(powers.0, Ordering::Release);
            Ok(())
        })
    })
}

/// A session lent again within this long of its last loan is not checked first: the request
/// before it just proved the server answers, and a check would cost every request a round trip.
const VERIFY_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Before an idle session is lent again, an empty round trip (bounded by `limit`) proves the server
/// still answers: a session to a frozen or vanished server is replaced instead of hanging the
/// request that borrowed it. A session busy a moment ago skips it (pgbouncer's `server_check_delay`).
fn verify_idle_hook(limit: Duration) -> Hook {
    Hook::async_fn(move |client, metrics| {
        let idle = metrics.recycled.unwrap_or(metrics.created).elapsed();
        Box::pin(async move {
            if idle < VERIFY_AFTER_IDLE {
                return Ok(());
            }
            match tokio::time::timeout(limit, client.simple_query("")).await {
                Ok(answered) => answered.map(drop).map_err(HookError::Backend),
                Err(_) => Err(HookError::message("the server did not answer a check in time")),
            }
        })
    })
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
        // `postgres://://` parses with an empty host name (found by the connection_strings fuzz target).
        Some(Host::Tcp(h)) if h.trim().is_empty() => {
            return Err("the PostgreSQL connection string names no host".into())
        }
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

/// Every host and `hostaddr` the driver will dial (a connection string may list several).
pub fn dial_targets(settings: &ConnectionSettings) -> Result<Vec<DialTarget>, EngineError> {
    let Some(text) = &settings.connection_string else {
        return Ok(vec![DialTarget { host: settings.host.clone(), port: settings.port, role: DialRole::Host }]);
    };
    let config = tokio_postgres::Config::from_str(text.expose_secret())
        .map_err(|_| EngineError::Config("invalid PostgreSQL connection string".into()))?;
    let ports = config.get_ports();
    // libpq's rule: one port for every host, or one port per host.
    let port = |i: usize| match ports {
        [] => 5432,
        [only] => *only,
        many => many.get(i).copied().unwrap_or(5432),
    };
    let mut targets = Vec::new();
    for (i, host) in config.get_hosts().iter().enumerate() {
        match host {
            Host::Tcp(name) => targets.push(DialTarget { host: name.clone(), port: port(i), role: DialRole::Host }),
            _ => return Err(EngineError::Config("only TCP PostgreSQL hosts are supported".into())),
        }
    }
    for (i, addr) in config.get_hostaddrs().iter().enumerate() {
        targets.push(DialTarget { host: addr.to_string(), port: port(i), role: DialRole::HostAddr });
    }
    Ok(targets)
}

fn options(settings: &ConnectionSettings) -> Result<&PostgresOptions, EngineError> {
    settings.options.get::<PostgresOptions>().ok_or_else(|| EngineError::Config("not a PostgreSQL connection".into()))
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
    if opts.ssl == Some(true) {
        config.ssl_mode(tokio_postgres::config::SslMode::Require);
    }
    let size = opts.pool_size.and_then(|n| usize::try_from(n).ok()).unwrap_or(DEFAULT_POOL_SIZE);
    let viewer = match &settings.viewer_username {
        Some(user) => {
            let mut viewer_config = config.clone();
            viewer_config.user(user);
            viewer_config.password(settings.viewer_password.as_ref().map_or("", |p| p.expose_secret()));
            let seen = Arc::new(PowersSeen::default());
            Some((build_pool(viewer_config, opts, size, seen.clone())?, seen))
        }
        None => None,
    };
    let powers = Arc::new(PowersSeen::default());
    let pool = build_pool(config, opts, size, powers.clone())?;
    let viewer_slots = viewer.is_none().then(|| Arc::new(tokio::sync::Semaphore::new(viewer_share(size))));
    let lock_timeout = Duration::from_millis(opts.lock_timeout.unwrap_or(DEFAULT_LOCK_TIMEOUT_MS).unsigned_abs());
    let statement_timeout = Duration::from_millis(statement_timeout.unsigned_abs());
    Ok(PostgresClient { pool, powers, viewer, viewer_slots, wait: connect_timeout, lock_timeout, statement_timeout })
}

/// Sessions of a shared pool that viewers may hold at once: a quarter (at least one) is kept for
/// writers, so slow reads by many viewers cannot lock writers out.
fn viewer_share(pool_size: usize) -> usize {
    pool_size.saturating_sub((pool_size / 4).max(1)).max(1)
}

/// A pool of sessions for one login, each checked for host powers as it opens.
fn build_pool(
    config: tokio_postgres::Config,
    opts: &PostgresOptions,
    size: usize,
    seen: Arc<PowersSeen>,
) -> Result<Pool, EngineError> {
    let timeout = config.get_connect_timeout().copied();
    // Sessions are lent without a reset round trip (a use that may leave state behind resets the
    // session before it returns to the pool, see [`Session`]); one that sat idle is checked first
    // ([`verify_idle_hook`]).
    let manager_config = ManagerConfig { recycling_method: RecyclingMethod::Fast };
    let manager = if opts.ssl == Some(true) {
        Manager::from_config(config, tls_connector(opts.ssl_root_cert.as_deref())?, manager_config)
    } else {
        Manager::from_config(config, NoTls, manager_config)
    };
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(timeout)
        .create_timeout(timeout)
        .recycle_timeout(timeout)
        .post_create(powers_hook(seen))
        .pre_recycle(verify_idle_hook(timeout.unwrap_or(Duration::from_secs(10))))
        .build()
        .map_err(|e| EngineError::Config(format!("cannot build the PostgreSQL pool: {e}")))
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

/// What resets a session's state (an open transaction, SET, SET ROLE, cursors, LISTEN, advisory
/// locks, temporary tables, sequences): deadpool's `RecyclingMethod::Clean` text after a ROLLBACK,
/// plus prepared statements. Statements our own cache prepared are dropped with it.
const RESET_SESSION: &str = "ROLLBACK; CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; \
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
    /// How long the reset before the next loan may take; past it the session is closed.
    reset_limit: Duration,
    /// A viewer's share of a shared pool, given back with the session.
    _slot: Option<tokio::sync::OwnedSemaphorePermit>,
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

    /// A prepared statement for `sql` with declared parameter types, from the same bounded cache.
    pub async fn prepare_typed_cached(
        &self,
        sql: &str,
        types: &[tokio_postgres::types::Type],
    ) -> Result<tokio_postgres::Statement, tokio_postgres::Error> {
        let client = self.client();
        if client.statement_cache.size() >= STATEMENT_CACHE_LIMIT {
            client.statement_cache.clear();
        }
        client.prepare_typed_cached(sql, types).await
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
        let limit = self.reset_limit;
        runtime.spawn(async move {
            object.statement_cache.clear();
            // Bounded: a session whose server froze must not hold its pool slot until it thaws.
            let reset = async {
                // The reset and the check in one round trip (the simple protocol runs them in order).
                let answers = object.simple_query(&format!("{RESET_SESSION} {}", query::SESSION_STATE_SQL)).await?;
                let clean = answers.iter().rev().find_map(|answer| match answer {
                    tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(|v| v == "t"),
                    _ => None,
                });
                Ok::<_, tokio_postgres::Error>(clean == Some(true))
            };
            match tokio::time::timeout(limit, reset).await {
                Ok(Ok(true)) => {}
                // What a reset cannot undo (a dblink connection) closes the session instead.
                Ok(Ok(false)) => {
                    tracing::debug!("a PostgreSQL session kept state a reset cannot undo; closing it");
                    drop(deadpool_postgres::Object::take(object));
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "could not reset a PostgreSQL session; closing it");
                    drop(deadpool_postgres::Object::take(object));
                }
                Err(_) => {
                    tracing::warn!("a PostgreSQL session did not answer its reset in time; closing it");
                    drop(deadpool_postgres::Object::take(object));
                }
            }
        });
    }
}

/// Whose SQL a session runs: it decides which login the session belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqlCaller {
    /// A viewer: read-only, and never as a login with host powers.
    Viewer,
    /// A developer or higher: the connection's own login.
    Writer,
}

impl PostgresClient {
    /// Borrows a session of the connection's own login (our catalog queries, writers' SQL).
    pub async fn session(&self) -> Result<Session, EngineError> {
        let object = self.checkout(&self.pool).await?;
        Ok(Session { object: Some(object), changed: true, discard: false, reset_limit: self.wait, _slot: None })
    }

    /// Borrows a session of `pool` within the connect timeout, whatever it takes: waiting for a
    /// free one, verifying an idle one, opening one and checking its login.
    async fn checkout(&self, pool: &Pool) -> Result<deadpool_postgres::Object, EngineError> {
        let limit = self.wait;
        match tokio::time::timeout(limit, pool.get()).await {
            Ok(got) => got.map_err(map_pool_error),
            Err(_) => Err(EngineError::Timeout(format!(
                "PostgreSQL did not lend a working session within {} ms",
                limit.as_millis()
            ))),
        }
    }

    /// The client-side deadline of one call: the statement timeout plus [`TIMEOUT_GRACE`] (none
    /// when the connection has no statement timeout).
    pub fn deadline(&self) -> Option<Duration> {
        (!self.statement_timeout.is_zero()).then(|| self.statement_timeout + TIMEOUT_GRACE)
    }

    /// Runs `fut` (work on a borrowed session) under [`PostgresClient::deadline`]: `None` once it
    /// passed. The caller then discards the session, which may still be busy.
    pub async fn in_time<T>(&self, fut: impl std::future::Future<Output = T>) -> Option<T> {
        match self.deadline() {
            Some(limit) => tokio::time::timeout(limit, fut).await.ok(),
            None => Some(fut.await),
        }
    }

    /// The error of a call past its deadline.
    pub fn timed_out(&self, what: &str) -> EngineError {
        EngineError::Timeout(format!(
            "PostgreSQL did not answer {what} within its statement timeout ({} ms) and {} s of grace",
            self.statement_timeout.as_millis(),
            TIMEOUT_GRACE.as_secs()
        ))
    }

    /// Borrows a session to run `caller`'s SQL in. A viewer's runs as the viewer login when the
    /// connection has one, else as the connection's login; either way only if that login has no
    /// host powers (checked as each session opened), else it is refused.
    pub async fn session_for(&self, caller: SqlCaller) -> Result<Session, EngineError> {
        let (pool, seen, which) = match (&self.viewer, caller) {
            (Some((pool, seen)), SqlCaller::Viewer) => (pool, seen, "viewer login"),
            _ => (&self.pool, &self.powers, "connection's login"),
        };
        let slot = match (&self.viewer_slots, caller) {
            (Some(slots), SqlCaller::Viewer) => {
                let taken = tokio::time::timeout(self.wait, slots.clone().acquire_owned()).await;
                match taken {
                    Ok(Ok(permit)) => Some(permit),
                    _ => {
                        return Err(EngineError::Timeout(format!(
                            "all {} sessions viewers may use on this connection are busy (the others are kept \
                             for writers); try again when a query has finished",
                            viewer_share(self.pool.status().max_size)
                        )))
                    }
                }
            }
            _ => None,
        };
        let object = self.checkout(pool).await?;
        let mut session =
            Session { object: Some(object), changed: true, discard: false, reset_limit: self.wait, _slot: slot };
        if caller == SqlCaller::Viewer {
            let powers = match seen.get() {
                Some(powers) => powers,
                None => {
                    within(self.wait, "checking the login", async {
                        check_host_powers(&session).await.map_err(map_error)
                    })
                    .await?
                }
            };
            if !powers.is_empty() {
                // Nothing of the caller's ran on it: it goes back without a reset.
                session.unchanged();
                return Err(EngineError::Refused(format!(
                    "viewers cannot run SQL on this connection: its {which} has host powers ({}), which a \
                     read-only transaction does not take away; an admin can give the connection viewer \
                     credentials (viewer_username, viewer_password) for a login without them. Tables, \
                     views and columns can still be browsed.",
                    powers.names().join(", ")
                )));
            }
        }
        Ok(session)
    }

    /// How long a schema change waits for a lock.
    pub fn lock_timeout(&self) -> Duration {
        self.lock_timeout
    }

    /// Every session's statement timeout (zero: none).
    pub fn statement_timeout(&self) -> Duration {
        self.statement_timeout
    }

    /// Measures one round trip.
    pub async fn ping(&self) -> Result<Duration, EngineError> {
        let mut session = self.session().await?;
        let started = Instant::now();
        session.simple_query("SELECT 1").await.map_err(map_error)?;
        session.unchanged();
        Ok(started.elapsed())
    }

    /// Version, database, user, and the host powers of each login (`privileges`).
    pub async fn facts(&self) -> Result<ProbeFacts, EngineError> {
        // One session answers both: what the server is, and what its login can reach on the host
        // (checked now, not as last seen, since a test is asked for the present).
        let mut session = self.session().await?;
        let row = session
            .query_one("SELECT current_setting('server_version'), current_database(), current_user::text", &[])
            .await
            .map_err(map_error)?;
        let own = check_host_powers(&session).await.map_err(map_error)?;
        session.unchanged();
        drop(session);
        let viewer = match &self.viewer {
            Some((pool, _)) => {
                let object = self.checkout(pool).await?;
                Some(check_host_powers(&object).await.map_err(map_error)?)
            }
            None => None,
        };
        let viewer_sql = match viewer {
            Some(powers) if powers.is_empty() => "viewer_credentials",
            None if own.is_empty() => "connection_login",
            _ => "refused",
        };
        let mut details = Map::new();
        details.insert("database".into(), Value::String(row.get(1)));
        details.insert("user".into(), Value::String(row.get(2)));
        details.insert(
            "privileges".into(),
            json!({
                "host_powers": own.names(),
                "viewer_host_powers": viewer.map(HostPowers::names),
                "viewer_sql": viewer_sql,
            }),
        );
        Ok(ProbeFacts { version: row.get(0), details })
    }

    /// Closes every session.
    pub fn close(&self) {
        self.pool.close();
        if let Some((pool, _)) = &self.viewer {
            pool.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_connection_string;

    #[test]
    fn a_connection_string_must_name_a_host() {
        assert!(parse_connection_string("postgres://://").is_err());
        assert!(parse_connection_string("postgres://user@/db").is_err());
        assert_eq!(
            parse_connection_string("postgres://db.example:5433/app").unwrap().host.as_deref(),
            Some("db.example")
        );
    }
}
