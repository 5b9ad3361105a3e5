//! What a PostgreSQL server is running: the client sessions of `pg_stat_activity` with who blocks
//! them (`pg_blocking_pids`), and the two ways to stop one (`pg_cancel_backend`, which stops its
//! statement, and `pg_terminate_backend`, which ends the session).

use schemars::JsonSchema;
use serde::Serialize;

use super::catalog::{query, read_catalog};
use super::PostgresClient;
use crate::engines::EngineError;

/// One client session.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Activity {
    /// Its backend's process id.
    pub pid: i32,
    /// The login it runs as.
    pub user: Option<String>,
    /// Its database.
    pub database: Option<String>,
    /// `application_name`.
    pub application: Option<String>,
    /// Client address and port (null for a Unix socket).
    pub client: Option<String>,
    /// `active`, `idle`, `idle in transaction`…
    pub state: Option<String>,
    /// What it waits for (`Lock: transactionid`), if anything.
    pub wait_event: Option<String>,
    /// Its current or last statement (the server shows it only to roles allowed to see it).
    pub query: Option<String>,
    /// When its transaction began (RFC 3339).
    pub transaction_start: Option<String>,
    /// When its current or last statement began (RFC 3339).
    pub query_start: Option<String>,
    /// Milliseconds since its statement (active) or its state (otherwise) began.
    pub duration_ms: Option<i64>,
    /// Sessions holding the locks it waits for.
    pub blocked_by: Vec<i32>,
}

const UTC: &str = r#"'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'"#;

/// Every client session but the one asking, the longest running first.
pub async fn list(client: &PostgresClient) -> Result<Vec<Activity>, EngineError> {
    let sql = format!(
        "SELECT pid, usename::text, datname::text, application_name, \
                CASE WHEN client_addr IS NULL THEN NULL ELSE host(client_addr) || ':' || client_port END, \
                state, \
                CASE WHEN wait_event IS NULL THEN NULL ELSE wait_event_type || ': ' || wait_event END, \
                query, \
                to_char(xact_start AT TIME ZONE 'UTC', {UTC}), to_char(query_start AT TIME ZONE 'UTC', {UTC}), \
                (extract(epoch FROM clock_timestamp() - CASE WHEN state = 'active' THEN query_start ELSE state_change END) * 1000)::int8, \
                pg_blocking_pids(pid) \
         FROM pg_stat_activity \
         WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() \
         ORDER BY CASE WHEN state = 'active' THEN query_start ELSE state_change END NULLS LAST, pid"
    );
    let rows = read_catalog(client, async |s| query(s, &sql, &[]).await).await?;
    Ok(rows
        .iter()
        .map(|r| Activity {
            pid: r.get(0),
            user: r.get(1),
            database: r.get(2),
            application: r.get::<_, Option<String>>(3).filter(|a| !a.is_empty()),
            client: r.get(4),
            state: r.get(5),
            wait_event: r.get(6),
            query: r.get(7),
            transaction_start: r.get(8),
            query_start: r.get(9),
            duration_ms: r.get(10),
            blocked_by: r.get(11),
        })
        .collect())
}

/// How to stop a session.
#[derive(Clone, Copy, Debug)]
pub enum Stop {
    /// Cancel its running statement.
    Cancel,
    /// End the session.
    Terminate,
}

/// Stops session `pid`; false when no such session exists.
pub async fn stop(client: &PostgresClient, pid: i32, how: Stop) -> Result<bool, EngineError> {
    let sql = match how {
        Stop::Cancel => "SELECT pg_cancel_backend($1)",
        Stop::Terminate => "SELECT pg_terminate_backend($1)",
    };
    let rows = read_catalog(client, async |s| query(s, sql, &[&pid]).await).await?;
    Ok(rows.first().is_some_and(|r| r.get::<_, bool>(0)))
}

/// What the query statistics are ordered by.
#[derive(Clone, Copy, Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatsOrder {
    /// Time spent in all calls.
    TotalTime,
    /// Time per call.
    MeanTime,
    /// Number of calls.
    Calls,
    /// Rows returned or affected.
    Rows,
}

/// One normalized statement from `pg_stat_statements`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StatementStats {
    /// The server's id of the normalized statement.
    pub query_id: Option<String>,
    /// The statement with its constants replaced by `$n`.
    pub query: String,
    /// Calls.
    pub calls: i64,
    /// Milliseconds in all calls.
    pub total_time_ms: f64,
    /// Milliseconds per call.
    pub mean_time_ms: f64,
    /// Rows returned or affected.
    pub rows: i64,
    /// Share of blocks found in the buffer cache (0-1), when any were read.
    pub cache_hit_ratio: Option<f64>,
}

/// Whether `pg_stat_statements` can be read, and if not, what to do about it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct QueryStats {
    /// True when the extension is installed in this database.
    pub available: bool,
    /// How to enable it, when it is not.
    pub how_to_enable: Option<String>,
    /// The top statements.
    pub statements: Vec<StatementStats>,
}

/// The top `limit` statements by `order`, or how to enable the extension.
pub async fn query_stats(client: &PostgresClient, order: StatsOrder, limit: i64) -> Result<QueryStats, EngineError> {
    let probe = "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'), \
                 'pg_stat_statements' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))";
    let rows = read_catalog(client, async |s| query(s, probe, &[]).await).await?;
    let (installed, preloaded) = rows.first().map_or((false, false), |r| (r.get(0), r.get(1)));
    if !installed {
        let how = if preloaded {
            "pg_stat_statements is loaded by the server but not installed in this database: run \
             CREATE EXTENSION pg_stat_statements (an admin can do it from the Database page, Extensions)"
        } else {
            "pg_stat_statements is not loaded: add it to shared_preload_libraries in postgresql.conf, restart \
             the server, then run CREATE EXTENSION pg_stat_statements in this database"
        };
        return Ok(QueryStats { available: false, how_to_enable: Some(how.into()), statements: Vec::new() });
    }
    // The order is one of four fixed texts, never the caller's.
    let by = match order {
        StatsOrder::TotalTime => "total_exec_time",
        StatsOrder::MeanTime => "mean_exec_time",
        StatsOrder::Calls => "calls",
        StatsOrder::Rows => "rows",
    };
    let sql = format!(
        "SELECT queryid::text, query, calls, total_exec_time, mean_exec_time, rows, \
                CASE WHEN shared_blks_hit + shared_blks_read > 0 \
                     THEN shared_blks_hit::float8 / (shared_blks_hit + shared_blks_read) END \
         FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         ORDER BY {by} DESC LIMIT $1"
    );
    let rows = read_catalog(client, async |s| query(s, &sql, &[&limit]).await).await?;
    let statements = rows
        .iter()
        .map(|r| StatementStats {
            query_id: r.get(0),
            query: r.get(1),
            calls: r.get(2),
            total_time_ms: r.get(3),
            mean_time_ms: r.get(4),
            rows: r.get(5),
            cache_hit_ratio: r.get(6),
        })
        .collect();
    Ok(QueryStats { available: true, how_to_enable: None, statements })
}
