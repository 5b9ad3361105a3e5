//! What a PostgreSQL server is running: the client sessions of `pg_stat_activity` with who blocks
//! them (`pg_blocking_pids`), and the two ways to stop one (`pg_cancel_backend`, which stops its
//! statement, and `pg_terminate_backend`, which ends the session).

use serde::Serialize;

use super::catalog::{query, read_catalog};
use super::PostgresClient;
use crate::engines::EngineError;

/// One client session.
#[derive(Debug, Serialize)]
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
