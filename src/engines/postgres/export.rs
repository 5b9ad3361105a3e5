//! Streaming a query's whole result as NDJSON or CSV, without the row cap and without holding it in
//! memory: rows are fetched from a portal 1,000 at a time and handed to the HTTP body through a
//! small bounded channel, so a slow reader slows PostgreSQL down instead of growing our memory.
//! When the client goes away the channel closes and the statement is cancelled on the server.

use std::io;

use axum::body::Bytes;
use futures_util::{Stream, TryStreamExt};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::types::Type;

use super::query::{bind_params, is_multi_statement, single_statement, CancelOnDrop};
use super::types::{decode, Decoded, RawValue};
use super::SqlCaller;
use super::{map_error, PostgresClient};
use crate::engines::export::{Format, RowSink, IN_FLIGHT};
use crate::engines::EngineError;

/// Rows fetched per portal round trip.
const BATCH: i32 = 1000;
/// Starts an export. Errors found before the first row (syntax, parameters, permissions at bind
/// time) come back here so the caller can answer them with a status; later errors end the stream.
pub async fn start(
    client: &PostgresClient,
    sql: String,
    parameters: Vec<Value>,
    read_only: bool,
    format: Format,
) -> Result<impl Stream<Item = Result<Bytes, io::Error>>, EngineError> {
    let caller = if read_only { SqlCaller::Viewer } else { SqlCaller::Writer };
    start_as(client, caller, sql, parameters, read_only, format).await
}

/// Like [`start`], in a session of `caller`'s login: our own statements (a table export built
/// from catalog names and bound filter values) read as the connection's login, read-only.
pub async fn start_as(
    client: &PostgresClient,
    caller: SqlCaller,
    sql: String,
    parameters: Vec<Value>,
    read_only: bool,
    format: Format,
) -> Result<impl Stream<Item = Result<Bytes, io::Error>>, EngineError> {
    let mut session = client.session_for(caller).await?;
    let statement = session.prepare(&sql).await.map_err(|e| {
        if is_multi_statement(&e) {
            single_statement("an export takes a single statement")
        } else {
            map_error(e)
        }
    })?;
    let params = bind_params(&statement, &parameters)?;
    let columns: Vec<String> = statement.columns().iter().map(|c| c.name().to_string()).collect();
    let types: Vec<Type> = statement.columns().iter().map(|c| c.type_().clone()).collect();
    let (started_tx, started_rx) = oneshot::channel::<Result<(), EngineError>>();
    let (chunks_tx, mut chunks_rx) = mpsc::channel::<Result<Bytes, io::Error>>(IN_FLIGHT);

    tokio::spawn(async move {
        let mut started_tx = started_tx;
        let guard = CancelOnDrop::new(&session);
        let transaction = match session.build_transaction().read_only(read_only).start().await {
            Ok(t) => t,
            Err(e) => {
                let _ = started_tx.send(Err(map_error(e)));
                guard.disarm();
                return;
            }
        };
        let portal = match transaction.bind_raw(&statement, params.iter()).await {
            Ok(p) => p,
            Err(e) => {
                let _ = started_tx.send(Err(map_error(e)));
                guard.disarm();
                return;
            }
        };
        // Fetch the first row before answering, so errors raised when execution starts (a read-only
        // violation, a division by zero in the first row) still get a proper status.
        let first = async {
            let mut rows = Box::pin(transaction.query_portal_raw(&portal, BATCH).await?);
            let first = rows.try_next().await?;
            Ok::<_, tokio_postgres::Error>((rows, first))
        };
        let first = tokio::select! {
            first = first => first,
            // The client left while the statement ran: the guard cancels it as this task ends.
            _ = started_tx.closed() => return,
        };
        let (mut rows, mut next_row) = match first {
            Ok(started) => started,
            Err(e) => {
                let _ = started_tx.send(Err(map_error(e)));
                let _ = transaction.rollback().await;
                guard.disarm();
                return;
            }
        };
        if started_tx.send(Ok(())).is_err() {
            return;
        }
        let mut sink = RowSink::new(format, columns, chunks_tx);
        let mut failure = None;
        let mut fetched: i32 = 0;
        loop {
            let row = match next_row.take() {
                Some(row) => row,
                None => {
                    // Wait for the next row, or notice at once that the client left (the guard then
                    // cancels the statement as this task ends).
                    let next = tokio::select! {
                        next = rows.try_next() => next,
                        _ = sink.closed() => return,
                    };
                    match next {
                        Ok(Some(row)) => row,
                        Ok(None) if fetched < BATCH => break,
                        Ok(None) => {
                            // The portal gave a full batch: ask for the next one.
                            fetched = 0;
                            let more = tokio::select! {
                                more = transaction.query_portal_raw(&portal, BATCH) => more,
                                _ = sink.closed() => return,
                            };
                            match more {
                                Ok(more) => {
                                    rows = Box::pin(more);
                                    continue;
                                }
                                Err(e) => {
                                    failure = Some(map_error(e));
                                    break;
                                }
                            }
                        }
                        Err(e) => {
                            failure = Some(map_error(e));
                            break;
                        }
                    }
                }
            };
            fetched += 1;
            let values: Vec<Value> = types
                .iter()
                .enumerate()
                .map(|(i, ty)| match row.try_get::<_, RawValue<'_>>(i) {
                    // Types decoded nowhere here go out as `\x` hex in exports (the buffered
                    // query path asks the server to print them instead).
                    Ok(raw) => match decode(ty, raw.0) {
                        Decoded::Json(v) => v,
                        Decoded::NeedsText => Value::String(format!("\\x{}", hex::encode(raw.0.unwrap_or_default()))),
                    },
                    Err(_) => Value::Null,
                })
                .collect();
            if !sink.row(&values).await {
                return;
            }
        }
        if let Some(e) = failure {
            let _ = transaction.rollback().await;
            guard.disarm();
            sink.fail(&e.to_string()).await;
            return;
        }
        let end = if read_only { transaction.rollback().await } else { transaction.commit().await };
        guard.disarm();
        match end {
            Ok(()) => {
                sink.finish().await;
            }
            Err(e) => sink.fail(&map_error(e).to_string()).await,
        }
    });

    match started_rx.await {
        Ok(Ok(())) => Ok(futures_util::stream::poll_fn(move |cx| chunks_rx.poll_recv(cx))),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(EngineError::Connect("the export stopped before its first row".into())),
    }
}
