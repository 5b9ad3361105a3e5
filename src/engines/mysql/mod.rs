//! MariaDB and MySQL through `mysql_async`, pooled by the driver.
//!
//! Every connection lent for user SQL is given back through the driver's pool, which rolls back
//! an open transaction, drains an unread result and sends `COM_RESET_CONNECTION` before the next
//! borrower gets it: session and user variables, temporary tables, `LOCK TABLES`, `GET_LOCK`
//! locks and prepared statements never outlive one use. A connection whose reset fails is closed.
//!
//! Each borrow starts with one `SET SESSION` of our own (the statement timeout and the time zone,
//! see [`MysqlClient::session`]); a connection that died meanwhile (the server restarted) fails
//! there, before any user SQL was sent, and is replaced by a fresh one.

pub mod activity;
pub mod catalog;
pub mod driver;
pub mod export;
pub mod options;
pub mod query;
pub mod rows;
pub mod types;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts, SslOpts};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Map, Value};
use tokio::sync::OnceCell;

use super::{within, EngineError, ProbeFacts};

/// Statement timeout used when a target does not set one.
pub const DEFAULT_STATEMENT_TIMEOUT_MS: u64 = 30_000;

/// How long an idle pooled connection is kept.
const IDLE_LIFETIME: Duration = Duration::from_secs(300);

/// How a connection uses TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MysqlTls {
    /// Plain TCP.
    Disable,
    /// TLS, without checking the server's certificate (it only hides the traffic from onlookers).
    Require,
    /// TLS with the certificate checked against `ca_pem` (or the public web roots) and the host name.
    VerifyFull {
        /// PEM of the authorities to trust instead of the public web roots.
        ca_pem: Option<String>,
    },
}

/// Where and how to connect: settings already validated, the address already approved by the
/// network guard (this module never resolves a host name).
#[derive(Debug, Clone)]
pub struct MysqlTarget {
    /// The approved address to dial.
    pub addr: SocketAddr,
    /// The host name the user gave, for TLS verification only.
    pub host: String,
    /// Login.
    pub user: String,
    /// Its password.
    pub password: SecretString,
    /// Default database, if any.
    pub database: Option<String>,
    /// TLS mode.
    pub tls: MysqlTls,
    /// Most connections open at once.
    pub pool_max: usize,
    /// How long connecting (and waiting for a pooled connection) may take.
    pub connect_timeout: Duration,
    /// Longest a user statement may run, in milliseconds (0: no limit).
    pub statement_timeout_ms: u64,
}

/// Which server answers: they differ in how a statement timeout is set and in how JSON columns look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// MariaDB.
    MariaDb,
    /// Oracle MySQL (and servers that say they are it).
    Mysql,
}

impl ServerKind {
    /// Reads the kind from `SELECT VERSION()`.
    fn from_version(version: &str) -> Self {
        if version.to_ascii_lowercase().contains("mariadb") {
            Self::MariaDb
        } else {
            Self::Mysql
        }
    }

    /// Its name in probe facts.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MariaDb => "mariadb",
            Self::Mysql => "mysql",
        }
    }
}

/// A pool of connections for one target; cloning shares it.
#[derive(Clone)]
pub struct MysqlClient {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    /// The same options, for the side connection that sends `KILL QUERY`.
    opts: Opts,
    kind: OnceCell<ServerKind>,
    connect_timeout: Duration,
    statement_timeout_ms: u64,
}

/// What [`MysqlClient::probe`] found.
#[derive(Debug, Clone)]
pub struct MysqlProbe {
    /// `VERSION()`.
    pub version: String,
    /// MariaDB or MySQL.
    pub kind: ServerKind,
    /// `CURRENT_USER()`.
    pub user: String,
    /// `DATABASE()` (none when the target names none).
    pub database: Option<String>,
}

impl MysqlProbe {
    /// The facts a connection test shows.
    pub fn facts(&self) -> ProbeFacts {
        let mut details = Map::new();
        details.insert("server".into(), Value::from(self.kind.as_str()));
        details.insert("user".into(), Value::from(self.user.clone()));
        details.insert("database".into(), self.database.clone().map_or(Value::Null, Value::from));
        ProbeFacts { version: self.version.clone(), details }
    }
}

/// Builds the driver's options: dial the approved address, verify TLS against the host name.
fn options(target: &MysqlTarget) -> Result<Opts, EngineError> {
    let max = target.pool_max.max(1);
    let constraints =
        PoolConstraints::new(0, max).ok_or_else(|| EngineError::Config(format!("invalid MySQL pool size {max}")))?;
    // The pool resets every connection given back (the default, said again because we rely on
    // it). Without an idle lifetime the driver keeps only `min` (0) idle connections: it would
    // close every connection after each use.
    let pool_opts = PoolOpts::default()
        .with_constraints(constraints)
        .with_reset_connection(true)
        .with_inactive_connection_ttl(IDLE_LIFETIME);
    let ssl = match &target.tls {
        MysqlTls::Disable => None,
        MysqlTls::Require => {
            Some(SslOpts::default().with_danger_accept_invalid_certs(true).with_danger_skip_domain_validation(true))
        }
        MysqlTls::VerifyFull { ca_pem } => {
            let mut ssl = SslOpts::default();
            if let Some(pem) = ca_pem {
                ssl = ssl.with_root_certs(vec![pem.clone().into_bytes().into()]).with_disable_built_in_roots(true);
            }
            Some(ssl)
        }
    };
    let builder = OptsBuilder::default()
        // The host name is only used to verify the certificate: `resolved_ips` is what is dialed.
        .ip_or_hostname(target.host.clone())
        .resolved_ips(Some(vec![target.addr.ip()]))
        .tcp_port(target.addr.port())
        .user(Some(target.user.clone()))
        .pass(Some(target.password.expose_secret().to_string()))
        .db_name(target.database.clone())
        .ssl_opts(ssl)
        .prefer_socket(false)
        .pool_opts(pool_opts);
    Ok(builder.into())
}

/// A name quoted for MySQL SQL: in backticks, a backtick doubled.
pub fn quote_name(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Maps a driver error: the server's code and SQLSTATE are kept.
pub fn map_error(err: mysql_async::Error) -> EngineError {
    match err {
        mysql_async::Error::Server(e) => {
            // 1044/1045: access denied to the database / for the login; 1698: no password allowed.
            if matches!(e.code, 1044 | 1045 | 1698) {
                return EngineError::Auth(format!("authentication failed: {}", e.message));
            }
            EngineError::Query { message: e.message, details: Some(json!({ "code": e.code, "sqlstate": e.state })) }
        }
        mysql_async::Error::Url(e) => EngineError::Config(e.to_string()),
        other => EngineError::Connect(format!("cannot reach the MySQL server: {other}")),
    }
}

/// Converts catalog rows to `T`; a column of an unexpected type is an error, not a panic.
pub(crate) fn typed_rows<T: mysql_async::prelude::FromRow>(rows: Vec<mysql_async::Row>) -> Result<Vec<T>, EngineError> {
    rows.into_iter()
        .map(|row| {
            mysql_async::from_row_opt(row).map_err(|e| EngineError::Query {
                message: format!("the server answered a catalog query in an unexpected shape: {e}"),
                details: None,
            })
        })
        .collect()
}

/// Opens a client: the pool and one connection, which proves the address and credentials.
pub async fn connect(target: &MysqlTarget) -> Result<MysqlClient, EngineError> {
    let opts = options(target)?;
    let client = MysqlClient {
        inner: Arc::new(Inner {
            pool: Pool::new(opts.clone()),
            opts,
            kind: OnceCell::new(),
            connect_timeout: target.connect_timeout,
            statement_timeout_ms: target.statement_timeout_ms,
        }),
    };
    match client.session().await {
        Ok(conn) => {
            drop(conn);
            Ok(client)
        }
        Err(e) => {
            client.close().await;
            Err(e)
        }
    }
}

impl MysqlClient {
    /// Borrows a connection, ready for user SQL: the statement timeout and UTC time zone set.
    /// A pooled connection that died (the server restarted) fails this first statement and is
    /// replaced; no user SQL was sent on it.
    pub async fn session(&self) -> Result<Conn, EngineError> {
        let limit = self.inner.connect_timeout;
        within(limit, "connecting to MySQL", async {
            // Each dead connection fails once; the pool then opens new ones.
            let mut last = None;
            for _ in 0..self.inner.pool_max() + 1 {
                let mut conn = self.inner.pool.get_conn().await.map_err(map_error)?;
                let kind = self.kind_on(&mut conn).await;
                let setup = kind.map(|kind| self.session_setup(kind));
                match setup {
                    Ok(sql) => match conn.query_drop(sql).await {
                        Ok(()) => return Ok(conn),
                        Err(e) if e.is_fatal() => last = Some(map_error(e)),
                        Err(e) => return Err(map_error(e)),
                    },
                    Err(e @ EngineError::Connect(_)) => last = Some(e),
                    Err(e) => return Err(e),
                }
            }
            Err(last.unwrap_or_else(|| EngineError::Connect("no MySQL connection could be opened".into())))
        })
        .await
    }

    /// The server's kind, asked once on the first connection.
    async fn kind_on(&self, conn: &mut Conn) -> Result<ServerKind, EngineError> {
        self.inner
            .kind
            .get_or_try_init(|| async {
                let row: Option<mysql_async::Row> = conn.query_first("SELECT VERSION()").await.map_err(map_error)?;
                let version: Vec<(String,)> = typed_rows(row.into_iter().collect())?;
                Ok(ServerKind::from_version(version.first().map_or("", |(v,)| v.as_str())))
            })
            .await
            .copied()
    }

    /// The server's kind, if a connection was made.
    pub fn kind(&self) -> Option<ServerKind> {
        self.inner.kind.get().copied()
    }

    /// The statement that prepares a borrowed connection. `TIMESTAMP` values are shown in the
    /// session time zone, set to UTC here so they mean the same instant whatever the server's
    /// default. MariaDB's `max_statement_time` (seconds) stops any statement; MySQL's
    /// `max_execution_time` (ms) stops only `SELECT`, so [`query`] also stops a statement that
    /// overruns by killing it from another connection.
    fn session_setup(&self, kind: ServerKind) -> String {
        let ms = self.inner.statement_timeout_ms;
        match kind {
            ServerKind::MariaDb => {
                format!("SET SESSION time_zone = '+00:00', SESSION max_statement_time = {}.{:03}", ms / 1000, ms % 1000)
            }
            ServerKind::Mysql => format!("SET SESSION time_zone = '+00:00', SESSION max_execution_time = {ms}"),
        }
    }

    /// Lifts the server's statement timeout on `conn` for what runs next (a streamed export, timed
    /// by its caller until its first row instead); the pool's reset restores it for the next borrower.
    pub async fn lift_statement_timeout(&self, conn: &mut Conn) -> Result<(), EngineError> {
        let sql = match self.kind() {
            Some(ServerKind::MariaDb) => "SET SESSION max_statement_time = 0",
            _ => "SET SESSION max_execution_time = 0",
        };
        conn.query_drop(sql).await.map_err(map_error)
    }

    /// The statement timeout, if any.
    pub fn statement_timeout(&self) -> Option<Duration> {
        (self.inner.statement_timeout_ms > 0).then(|| Duration::from_millis(self.inner.statement_timeout_ms))
    }

    /// Sends `KILL QUERY id` (or `KILL CONNECTION id`) on a fresh connection of its own, so it
    /// works even when every pooled connection is busy.
    pub async fn kill_on_side(&self, id: u64, query_only: bool) -> Result<(), EngineError> {
        let opts = self.inner.opts.clone();
        within(self.inner.connect_timeout, "sending KILL", async move {
            let mut conn = Conn::new(opts).await.map_err(map_error)?;
            let what = if query_only { "QUERY" } else { "CONNECTION" };
            // `id` is a number we hold, never user text.
            let result = conn.query_drop(format!("KILL {what} {id}")).await.map_err(map_error);
            let _ = conn.disconnect().await;
            result
        })
        .await
    }

    /// Borrows a connection for our own reads (catalog, processlist): they leave nothing behind,
    /// so it goes back to the pool without a reset.
    pub async fn own_session(&self) -> Result<Conn, EngineError> {
        let mut conn = self.session().await?;
        conn.reset_connection(false);
        Ok(conn)
    }

    /// Measures one round trip.
    pub async fn ping(&self) -> Result<Duration, EngineError> {
        let mut conn = self.own_session().await?;
        let started = Instant::now();
        conn.ping().await.map_err(map_error)?;
        Ok(started.elapsed())
    }

    /// Server version and kind, current login and database.
    pub async fn probe(&self) -> Result<MysqlProbe, EngineError> {
        let mut conn = self.own_session().await?;
        let row: Option<mysql_async::Row> =
            conn.query_first("SELECT VERSION(), CURRENT_USER(), DATABASE()").await.map_err(map_error)?;
        let rows: Vec<(String, String, Option<String>)> = typed_rows(row.into_iter().collect())?;
        let (version, user, database) = rows
            .into_iter()
            .next()
            .ok_or_else(|| EngineError::Connect("the MySQL server sent no probe answer".into()))?;
        Ok(MysqlProbe { kind: ServerKind::from_version(&version), version, user, database })
    }

    /// Closes the pool's connections now rather than when the last clone is dropped.
    pub async fn close(&self) {
        // `Pool::disconnect` takes the pool by value; a clone shares the same connections.
        if let Err(e) = self.inner.pool.clone().disconnect().await {
            tracing::debug!(error = %e, "closing a MySQL pool");
        }
    }
}

impl Inner {
    fn pool_max(&self) -> usize {
        self.opts.pool_opts().constraints().max()
    }
}
