//! Bulk imports into a table through `COPY "schema"."table" (cols) FROM STDIN`, as the
//! connection's own login (the developer's pooled session, never a superuser path: `COPY FROM
//! STDIN` needs only INSERT on the table).
//!
//! Rows arrive from a stream (the API layer parses CSV records or JSON lines), are written as CSV
//! (every value quoted, NULL as an empty unquoted field) and streamed to the server in batches of
//! at most [`BATCH_ROWS`] rows or [`BATCH_BYTES`] bytes, one `COPY` per batch, all in one
//! transaction. Only the current batch is held, so memory stays flat and each `COPY` stays well
//! inside the statement timeout; the batch's line numbers map the server's `line N` (the Nth row
//! of that `COPY`) back to the file's line.
//!
//! Errors. By default the first bad row stops the import and the transaction is rolled back: the
//! answer names the file's line, the column and the server's reason. With `skip_bad`, each batch
//! runs inside a SAVEPOINT; when the server rejects row k of a batch (a data or constraint error
//! it can place), the savepoint is rolled back, row k is reported, and the rows before it and the
//! rows after it are sent again (the rows before it as one `COPY`, they are known to pass; the
//! rest in `COPY`s of at most 500 rows), so a bad row costs resending at most its batch's rows
//! before it and 500 after it.

use std::ops::Range;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use futures_util::{SinkExt, Stream, StreamExt};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;
use tokio_postgres::error::DbError;

use super::ddl::{quote_ident, QualifiedName};
use super::query::CancelOnDrop;
use super::{map_error, PostgresClient, Session, SqlCaller};
use crate::engines::EngineError;

/// Rows per `COPY`.
pub const BATCH_ROWS: usize = 10_000;
/// Bytes of encoded rows per `COPY` (a longer single row still goes as one batch).
pub const BATCH_BYTES: usize = 4 * 1024 * 1024;
/// Bytes gathered before they are sent to the server while a batch fills.
const SEND_CHUNK: usize = 256 * 1024;
/// How long an open `COPY` waits for the next row of a slow upload before its batch is ended
/// early (at most a quarter of the statement timeout, which runs while a `COPY` is open, so a
/// `COPY` must not wait on the client).
const OPEN_COPY_WAIT: Duration = Duration::from_secs(2);
/// Rows per `COPY` when a failed batch is sent again: a later bad row then costs resending at
/// most this many rows, not the rest of the batch.
const RETRY_ROWS: usize = 500;
/// Bad rows an import with `skip_bad` reports (it counts all of them).
pub const MAX_REPORTED: usize = 100;

/// One row to import.
#[derive(Debug)]
pub struct ImportRow {
    /// The 1-based line of the file it starts on.
    pub line: u64,
    /// Its values in the order of the import's columns; `None` is NULL.
    pub values: Vec<Option<String>>,
}

/// A row that was not imported: where it is and why.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct BadRow {
    /// The 1-based line of the file it starts on.
    pub line: u64,
    /// The column the problem is in, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Why (the server's message for a value it rejected).
    pub message: String,
}

/// What the source yields: a row, or one it could not read (wrong number of fields, bad JSON).
#[derive(Debug)]
pub enum SourceItem {
    /// A row to import.
    Row(ImportRow),
    /// A row the source could not turn into values.
    Bad(BadRow),
}

/// The answer of an import.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct ImportReport {
    /// Rows imported (committed).
    pub rows: u64,
    /// Rows skipped as bad (only with `on_error=skip`).
    pub skipped: u64,
    /// The first 100 bad rows, in file order.
    pub errors: Vec<BadRow>,
    /// The current batch's bad rows (the source's and the server's arrive in different orders).
    #[serde(skip)]
    #[schemars(skip)]
    batch: Vec<BadRow>,
}

impl ImportReport {
    fn skip(&mut self, bad: BadRow) {
        self.skipped += 1;
        if self.errors.len() < MAX_REPORTED {
            self.batch.push(bad);
            if self.batch.len() > 2 * MAX_REPORTED {
                self.keep_first();
            }
        }
    }

    /// Keeps the batch's bad rows that can still be reported, the first lines first.
    fn keep_first(&mut self) {
        self.batch.sort_by_key(|b| b.line);
        self.batch.truncate(MAX_REPORTED - self.errors.len());
    }

    /// The batch is done: its first bad rows join the report, in file order.
    fn end_batch(&mut self) {
        self.keep_first();
        self.errors.append(&mut self.batch);
    }
}

/// Why an import stopped (nothing was committed).
#[derive(Debug)]
pub enum ImportError<E> {
    /// The source failed (the body was cut off, too large, not UTF-8).
    Source(E),
    /// A row the source could not read, in an import that stops at the first bad row.
    BadRow(BadRow),
    /// The server refused (a bad value names its line and column in `details`), or could not be reached.
    Engine(EngineError),
}

impl<E> From<EngineError> for ImportError<E> {
    fn from(e: EngineError) -> Self {
        Self::Engine(e)
    }
}

/// What to import into.
pub struct ImportPlan {
    /// The table.
    pub table: QualifiedName,
    /// The columns each row's values go to, in order (checked against the table by the caller).
    pub columns: Vec<String>,
    /// Skip rows the server rejects (`on_error=skip`) instead of stopping.
    pub skip_bad: bool,
    /// Statements run first in the import's transaction (a `CREATE TABLE` built from quoted
    /// names and server-resolved types), under the connection's lock timeout.
    pub before: Vec<String>,
}

/// The rows of the current `COPY`, encoded, with the line each starts on.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    /// Per row: its file line, its end offset in `data`, and the line breaks in `data` up to its
    /// end (the server counts a CSV's physical lines, line breaks inside quoted values included).
    rows: Vec<(u64, usize, usize)>,
    breaks: usize,
}

impl Batch {
    fn push(&mut self, row: &ImportRow) {
        for (i, value) in row.values.iter().enumerate() {
            if i > 0 {
                self.data.push(b',');
            }
            if let Some(text) = value {
                self.data.push(b'"');
                for &b in text.as_bytes() {
                    match b {
                        b'"' => self.data.push(b'"'),
                        b'\n' => self.breaks += 1,
                        _ => {}
                    }
                    self.data.push(b);
                }
                self.data.push(b'"');
            }
        }
        self.data.push(b'\n');
        self.breaks += 1;
        self.rows.push((row.line, self.data.len(), self.breaks));
    }

    /// The row of a `COPY` of the rows from `first` that the server calls `line n`.
    fn row_at(&self, first: usize, n: usize) -> Option<usize> {
        let base = if first == 0 { 0 } else { self.rows.get(first - 1)?.2 };
        let index = first + self.rows[first..].partition_point(|r| r.2 < base + n);
        (n >= 1 && index < self.rows.len()).then_some(index)
    }

    fn start(&self, row: usize) -> usize {
        if row == 0 {
            0
        } else {
            self.rows[row - 1].1
        }
    }

    fn bytes(&self, rows: Range<usize>) -> &[u8] {
        if rows.is_empty() {
            return &[];
        }
        &self.data[self.start(rows.start)..self.rows[rows.end - 1].1]
    }

    fn full(&self) -> bool {
        self.rows.len() >= BATCH_ROWS || self.data.len() >= BATCH_BYTES
    }

    fn clear(&mut self) {
        self.data.clear();
        self.rows.clear();
        self.breaks = 0;
    }
}

/// Where the server placed a `COPY` error: the line (1-based within the `COPY`) and the column.
fn failure_at(db: &DbError, table: &str, columns: &[String]) -> Option<(usize, Option<String>)> {
    let prefix = format!("COPY {table}, line ");
    let context = db.where_()?;
    let rest = context.lines().rev().find_map(|l| l.strip_prefix(&prefix))?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let line: usize = rest[..digits].parse().ok()?;
    let after = &rest[digits..];
    let column = after.strip_prefix(", column ").and_then(|named| {
        columns
            .iter()
            .filter(|c| named.strip_prefix(c.as_str()).is_some_and(|tail| tail.is_empty() || tail.starts_with(':')))
            .max_by_key(|c| c.len())
            .cloned()
    });
    Some((line, column))
}

/// Whether the error is about one row's data (a value, a constraint), so that row can be skipped.
fn row_error(err: &tokio_postgres::Error) -> bool {
    err.code().is_some_and(|c| c.code().starts_with("22") || c.code().starts_with("23"))
}

/// Runs an import: one transaction, committed only if it ends well. `source` must keep the row
/// it was producing when a `next()` is dropped (as `futures_util::stream::unfold` does): a slow
/// upload's wait is cut short to end a batch.
pub async fn run<S, E>(client: &PostgresClient, plan: &ImportPlan, source: S) -> Result<ImportReport, ImportError<E>>
where
    S: Stream<Item = Result<SourceItem, E>> + Unpin + Send,
{
    let session = client.session_for(SqlCaller::Writer).await?;
    // A handler dropped because its client left cancels the running COPY; the session's reset
    // rolls the transaction back.
    let guard = CancelOnDrop::new(&session);
    let lock_timeout = client.lock_timeout().as_millis();
    let result = async {
        session.batch_execute("BEGIN").await.map_err(map_error)?;
        if !plan.before.is_empty() {
            session.batch_execute(&format!("SET LOCAL lock_timeout = {lock_timeout}")).await.map_err(map_error)?;
            for statement in &plan.before {
                session.batch_execute(statement).await.map_err(map_error)?;
            }
        }
        let timeout = client.statement_timeout();
        let wait = if timeout.is_zero() { OPEN_COPY_WAIT } else { OPEN_COPY_WAIT.min(timeout / 4) };
        let report = import(&session, plan, source, wait).await?;
        session.batch_execute("COMMIT").await.map_err(map_error)?;
        Ok(report)
    }
    .await;
    guard.disarm();
    if result.is_err() {
        let _ = session.batch_execute("ROLLBACK").await;
    }
    // The session stays marked as changed: it is reset before it is lent again.
    result
}

async fn import<S, E>(
    session: &Session,
    plan: &ImportPlan,
    mut source: S,
    wait: Duration,
) -> Result<ImportReport, ImportError<E>>
where
    S: Stream<Item = Result<SourceItem, E>> + Unpin + Send,
{
    let columns: Vec<String> = plan.columns.iter().map(|c| quote_ident(c)).collect();
    let sql = format!("COPY {} ({}) FROM STDIN WITH (FORMAT csv)", plan.table, columns.join(", "));
    let statement = session.prepare(&sql).await.map_err(map_error)?;
    let mut report = ImportReport::default();
    let mut batch = Batch::default();
    let mut ended = false;
    while !ended {
        report.end_batch();
        batch.clear();
        if plan.skip_bad {
            session.batch_execute("SAVEPOINT import_batch").await.map_err(map_error)?;
        }
        // The first attempt streams the batch as it is read, so reading the body and the
        // server's work overlap.
        let mut sink: Option<std::pin::Pin<Box<tokio_postgres::CopyInSink<Bytes>>>> = None;
        let mut sent = 0;
        let mut opened_at: Option<Instant> = None;
        while !batch.full() {
            let next = match opened_at {
                // The stream keeps a row it was reading when the wait ends; the next batch gets it.
                Some(at) => match tokio::time::timeout(wait.saturating_sub(at.elapsed()), source.next()).await {
                    Ok(next) => next,
                    Err(_) => break,
                },
                None => source.next().await,
            };
            let row = match next {
                None => {
                    ended = true;
                    break;
                }
                Some(Err(e)) => return Err(ImportError::Source(e)),
                Some(Ok(SourceItem::Bad(bad))) if plan.skip_bad => {
                    report.skip(bad);
                    continue;
                }
                Some(Ok(SourceItem::Bad(bad))) => return Err(ImportError::BadRow(bad)),
                Some(Ok(SourceItem::Row(row))) => row,
            };
            batch.push(&row);
            if batch.data.len() - sent >= SEND_CHUNK {
                if sink.is_none() {
                    sink = Some(Box::pin(session.copy_in(&statement).await.map_err(map_error)?));
                    opened_at = Some(Instant::now());
                }
                if let Some(sink) = sink.as_mut() {
                    // A send fails only when the connection is gone; `finish` then says why.
                    let _ = sink.send(Bytes::copy_from_slice(&batch.data[sent..])).await;
                }
                sent = batch.data.len();
            }
        }
        if batch.rows.is_empty() {
            if plan.skip_bad {
                session.batch_execute("RELEASE SAVEPOINT import_batch").await.map_err(map_error)?;
            }
            continue;
        }
        let mut sink = match sink {
            Some(sink) => sink,
            None => Box::pin(session.copy_in(&statement).await.map_err(map_error)?),
        };
        let _ = sink.send(Bytes::copy_from_slice(&batch.data[sent..])).await;
        let outcome = sink.as_mut().finish().await;
        let all = 0..batch.rows.len();
        match outcome {
            Ok(n) => {
                report.rows += n;
                if plan.skip_bad {
                    session.batch_execute("RELEASE SAVEPOINT import_batch").await.map_err(map_error)?;
                }
            }
            Err(e) if plan.skip_bad => {
                retry_without_bad_rows(session, plan, &statement, &batch, all, e, &mut report).await?;
            }
            Err(e) => return Err(ImportError::Engine(placed(e, &batch, all.start, plan))),
        }
    }
    report.end_batch();
    Ok(report)
}

/// The engine error of a failed `COPY` of `batch` rows from `first`, naming the file's line and
/// the column when the server placed it.
fn placed(err: tokio_postgres::Error, batch: &Batch, first: usize, plan: &ImportPlan) -> EngineError {
    let Some(db) = err.as_db_error() else { return map_error(err) };
    let Some((n, column)) = failure_at(db, plan.table.name.as_str(), &plan.columns) else { return map_error(err) };
    let Some(&(line, _, _)) = batch.row_at(first, n).and_then(|i| batch.rows.get(i)) else { return map_error(err) };
    let message = match &column {
        Some(c) => format!("line {line}, column {}: {}", quote_ident(c), db.message()),
        None => format!("line {line}: {}", db.message()),
    };
    EngineError::Query {
        message,
        details: Some(json!({ "code": db.code().code(), "line": line, "column": column, "detail": db.detail() })),
    }
}

/// After a failed `COPY` of `range` in skip mode: rolls back to the savepoint, reports the row the
/// server placed the error on, and sends the rows before and after it again (each a `COPY` in its
/// own savepoint), until every row of the range is imported or reported.
async fn retry_without_bad_rows<E>(
    session: &Session,
    plan: &ImportPlan,
    statement: &tokio_postgres::Statement,
    batch: &Batch,
    range: Range<usize>,
    first_error: tokio_postgres::Error,
    report: &mut ImportReport,
) -> Result<(), ImportError<E>> {
    let mut pending = vec![(range, Some(first_error))];
    while let Some((range, failed)) = pending.pop() {
        let error = match failed {
            Some(e) => e,
            None => {
                if range.is_empty() {
                    continue;
                }
                session.batch_execute("SAVEPOINT import_batch").await.map_err(map_error)?;
                let outcome = async {
                    let mut sink = Box::pin(session.copy_in(statement).await?);
                    let _ = sink.send(Bytes::copy_from_slice(batch.bytes(range.clone()))).await;
                    sink.as_mut().finish().await
                }
                .await;
                match outcome {
                    Ok(n) => {
                        report.rows += n;
                        session.batch_execute("RELEASE SAVEPOINT import_batch").await.map_err(map_error)?;
                        continue;
                    }
                    Err(e) => e,
                }
            }
        };
        session
            .batch_execute("ROLLBACK TO SAVEPOINT import_batch; RELEASE SAVEPOINT import_batch")
            .await
            .map_err(map_error)?;
        let place = error.as_db_error().and_then(|db| failure_at(db, plan.table.name.as_str(), &plan.columns));
        let bad = match place {
            Some((n, column)) if row_error(&error) && batch.row_at(range.start, n).is_some_and(|i| i < range.end) => {
                let index = batch.row_at(range.start, n).unwrap_or(range.start);
                let message = error.as_db_error().map_or_else(|| error.to_string(), |db| db.message().to_string());
                report.skip(BadRow { line: batch.rows[index].0, column, message });
                index
            }
            // Not a row's fault (permissions, a timeout, a lost connection): stop.
            _ => return Err(ImportError::Engine(placed(error, batch, range.start, plan))),
        };
        // The rows before the bad one first (known to pass), then the rest in smaller pieces.
        let mut rest: Vec<Range<usize>> =
            (bad + 1..range.end).step_by(RETRY_ROWS).map(|s| s..(s + RETRY_ROWS).min(range.end)).collect();
        rest.reverse();
        pending.extend(rest.into_iter().map(|r| (r, None)));
        pending.push((range.start..bad, None));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_written_as_quoted_csv_with_null_unquoted() {
        let mut batch = Batch::default();
        batch.push(&ImportRow { line: 2, values: vec![Some("a,\"b\"\nc".into()), None, Some(String::new())] });
        batch.push(&ImportRow { line: 4, values: vec![Some("x".into()), Some("1".into()), None] });
        assert_eq!(batch.bytes(0..2), b"\"a,\"\"b\"\"\nc\",,\"\"\n\"x\",\"1\",\n");
        assert_eq!(batch.bytes(1..2), b"\"x\",\"1\",\n");
        assert_eq!(batch.rows[1].0, 4);
        // The first row spans the server's lines 1 and 2 (a line break in a value), the second is line 3.
        assert_eq!(batch.row_at(0, 2), Some(0));
        assert_eq!(batch.row_at(0, 3), Some(1));
        assert_eq!(batch.row_at(1, 1), Some(1));
        assert_eq!(batch.row_at(1, 2), None);
    }
}
