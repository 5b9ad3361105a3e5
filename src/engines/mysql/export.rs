//! Streaming one statement's whole result as NDJSON or CSV, without the row cap and without
//! holding it in memory: rows are read from the socket one at a time as the HTTP body takes
//! them (see `engines::export` for the chunking), so a slow reader slows the server down instead
//! of growing our memory. When the client goes away the statement is killed on the server.
//!
//! A viewer's statement passes the same check as in `query::read` and runs in a read-only
//! transaction. The connection's statement timeout bounds the wait for the first row, not the
//! whole export (as on PostgreSQL, where it bounds each fetch): a large export read at a
//! browser's pace may take minutes.

use std::io;

use axum::body::Bytes;
use futures_util::Stream;
use mysql_async::prelude::Queryable;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::query::{json_columns, limited, split, viewer_check, CancelOnDrop};
use super::types::to_json;
use super::{map_error, MysqlClient, ServerKind};
use crate::engines::export::{encode_row, Format, CHUNK, IN_FLIGHT};
use crate::engines::EngineError;

/// Starts an export of `sql` (one statement). Errors found before the first row come back here
/// so the caller can answer them with a status; later errors end the stream (NDJSON says why on
/// its last line).
pub async fn start(
    client: &MysqlClient,
    sql: String,
    read_only: bool,
    format: Format,
) -> Result<impl Stream<Item = Result<Bytes, io::Error>>, EngineError> {
    let statements = split(&sql);
    if read_only {
        viewer_check(&statements)?;
    } else if statements.len() != 1 {
        return Err(EngineError::Config("an export takes a single statement".into()));
    }
    let client = client.clone();
    let mut conn = client.session().await?;
    let (started_tx, started_rx) = oneshot::channel::<Result<(), EngineError>>();
    let (chunks_tx, mut chunks_rx) = mpsc::channel::<Result<Bytes, io::Error>>(IN_FLIGHT);

    tokio::spawn(async move {
        let mut started_tx = started_tx;
        let guard = CancelOnDrop::new(&client, &conn);
        let prepared = async {
            if read_only {
                conn.query_drop("START TRANSACTION READ ONLY").await.map_err(map_error)?;
            }
            let statement = conn.prep(&sql).await.map_err(map_error)?;
            let json = match client.kind() {
                Some(ServerKind::MariaDb) => json_columns(&mut conn, &statement.columns()).await?,
                _ => vec![false; statement.columns().len()],
            };
            client.lift_statement_timeout(&mut conn).await?;
            Ok::<_, EngineError>((statement, json))
        };
        let (statement, json) = match prepared.await {
            Ok(p) => p,
            Err(e) => {
                guard.disarm();
                let _ = started_tx.send(Err(e));
                return;
            }
        };
        // The first row is read before answering, so an error raised when execution starts still
        // gets a proper status.
        let first = async {
            let mut result = conn.exec_iter(&statement, ()).await.map_err(map_error)?;
            let first = result.next().await.map_err(map_error)?;
            Ok::<_, EngineError>((result, first))
        };
        let first = limited(&client, first);
        let first = tokio::select! {
            first = first => first,
            // The client left while the statement ran: the guard kills it as this task ends.
            _ = started_tx.closed() => return,
        };
        let (mut result, mut next_row) = match first {
            Ok(started) => started,
            Err(e) => {
                // A statement past its time is still running: the guard kills it.
                if !matches!(e, EngineError::Timeout(_)) {
                    guard.disarm();
                }
                let _ = started_tx.send(Err(e));
                return;
            }
        };
        if started_tx.send(Ok(())).is_err() {
            return;
        }
        let columns_meta = result.columns().map(|c| c.to_vec()).unwrap_or_default();
        let columns: Vec<String> = columns_meta.iter().map(|c| c.name_str().into_owned()).collect();
        let mut buffer = String::with_capacity(CHUNK + 4096);
        if format == Format::Csv {
            let header: Vec<Value> = columns.iter().map(|c| Value::String(c.clone())).collect();
            encode_row(Format::Csv, &columns, &header, &mut buffer);
        }
        let mut failure = None;
        loop {
            let row = match next_row.take() {
                Some(row) => row,
                None => {
                    let next = tokio::select! {
                        next = result.next() => next,
                        _ = chunks_tx.closed() => return,
                    };
                    match next {
                        Ok(Some(row)) => row,
                        Ok(None) => break,
                        Err(e) => {
                            failure = Some(map_error(e));
                            break;
                        }
                    }
                }
            };
            let values: Vec<Value> = mysql_async::Row::unwrap(row)
                .into_iter()
                .zip(columns_meta.iter().zip(&json))
                .map(|(value, (column, json))| to_json(column, value, *json))
                .collect();
            encode_row(format, &columns, &values, &mut buffer);
            if buffer.len() >= CHUNK {
                let chunk = Bytes::from(std::mem::replace(&mut buffer, String::with_capacity(CHUNK + 4096)));
                if chunks_tx.send(Ok(chunk)).await.is_err() {
                    return;
                }
            }
        }
        drop(result);
        guard.disarm();
        if let Some(e) = failure {
            tracing::warn!(error = %e, "a MySQL export ended early");
            if format == Format::Ndjson {
                buffer.push_str(
                    &serde_json::json!({ "error": { "message": e.to_string(), "code": "QUERY_ERROR" } }).to_string(),
                );
                buffer.push('\n');
                let _ = chunks_tx.send(Ok(Bytes::from(buffer))).await;
            }
            let _ = chunks_tx.send(Err(io::Error::other(e.to_string()))).await;
            return;
        }
        // A viewer's transaction ends when the pool resets the connection; a writer's statement
        // committed itself (autocommit).
        if !buffer.is_empty() {
            let _ = chunks_tx.send(Ok(Bytes::from(buffer))).await;
        }
    });

    match started_rx.await {
        Ok(Ok(())) => Ok(futures_util::stream::poll_fn(move |cx| chunks_rx.poll_recv(cx))),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(EngineError::Connect("the export stopped before its first row".into())),
    }
}
