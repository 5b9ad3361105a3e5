//! What a MariaDB/MySQL server is running: its process list, and the two ways to stop a
//! connection's work (`KILL QUERY`, which stops its statement, and `KILL CONNECTION`, which ends it).

use mysql_async::prelude::Queryable;
use schemars::JsonSchema;
use serde::Serialize;

use super::{map_error, typed_rows, MysqlClient};
use crate::engines::EngineError;

/// `ER_NO_SUCH_THREAD`.
const NO_SUCH_THREAD: u16 = 1094;

/// One connection of the server.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Process {
    /// Its connection id (what `KILL` takes).
    pub id: u64,
    /// Its login.
    pub user: Option<String>,
    /// Client host and port.
    pub host: Option<String>,
    /// Its current database.
    pub db: Option<String>,
    /// `Query`, `Sleep`, `Binlog Dump`…
    pub command: Option<String>,
    /// Seconds in its current state.
    pub time: Option<u64>,
    /// What it is doing (`Sending data`, `User sleep`…).
    pub state: Option<String>,
    /// Its running statement (the server shows others' only to logins with `PROCESS`).
    pub info: Option<String>,
}

/// Every connection but the one asking, the longest running first.
pub async fn list(client: &MysqlClient) -> Result<Vec<Process>, EngineError> {
    type Row = (
        u64,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<u64>,
        Option<String>,
        Option<String>,
    );
    let mut conn = client.own_session().await?;
    let rows: Vec<mysql_async::Row> = conn
        .exec(
            "SELECT ID, USER, HOST, DB, COMMAND, TIME, STATE, INFO FROM information_schema.PROCESSLIST \
             WHERE ID <> CONNECTION_ID() ORDER BY TIME DESC, ID",
            (),
        )
        .await
        .map_err(map_error)?;
    let rows: Vec<Row> = typed_rows(rows)?;
    Ok(rows
        .into_iter()
        .map(|(id, user, host, db, command, time, state, info)| Process {
            id,
            user,
            host,
            db,
            command,
            time,
            state: state.filter(|s| !s.is_empty()),
            info,
        })
        .collect())
}

/// Stops connection `id`'s statement (`query_only`) or ends the connection. A connection that
/// does not exist (any more) is [`EngineError::NotFound`].
pub async fn kill(client: &MysqlClient, id: u64, query_only: bool) -> Result<(), EngineError> {
    let mut conn = client.own_session().await?;
    let what = if query_only { "QUERY" } else { "CONNECTION" };
    // `id` is a number, never user text; KILL takes no placeholder on every server version.
    match conn.query_drop(format!("KILL {what} {id}")).await {
        Ok(()) => Ok(()),
        Err(mysql_async::Error::Server(e)) if e.code == NO_SUCH_THREAD => {
            Err(EngineError::NotFound(format!("no connection {id} on the server")))
        }
        Err(e) => Err(map_error(e)),
    }
}
