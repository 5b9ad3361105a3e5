//! Running user SQL for `POST /pg-meta/{ref}/query`: role-enforced read-only transactions, a row
//! cap, `$n` parameters and faithful JSON values (see `types.rs`).
//!
//! How a query runs:
//! - It is prepared first (statements are cached per session). One statement runs with the
//!   extended protocol inside a transaction —
//!   `READ ONLY` (then rolled back) for callers who may not write, so PostgreSQL itself refuses any
//!   write; read-write (then committed) otherwise. Rows come from a portal fetched `row_cap + 1` at
//!   a time, so a huge result is never produced past the cap.
//! - A writer's statement that cannot run in a transaction block (`VACUUM`, `CREATE DATABASE`,
//!   SQLSTATE 25001) failed without effect, so it is retried on its own.
//! - Several statements in one text cannot be prepared. A writer's text without parameters then
//!   runs with the simple protocol and answers the rows of the last statement, as text (that
//!   protocol does not say the columns' types). Read-only callers must send one statement: with
//!   the simple protocol their text could `COMMIT` our read-only transaction and write after it.
//!
//! The statement timeout is a session setting of the pool (`options.statement_timeout`).

use std::collections::HashMap;

use futures_util::{pin_mut, TryStreamExt};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;
use tokio_postgres::{Client, Column, RowStream, SimpleQueryMessage, Statement};

use super::types::{decode, text_param, Decoded, RawValue, ResendValue, TextParam};
use super::{map_error, PostgresClient, Session};
use crate::engines::EngineError;

/// Rows returned by one query unless the request asks for fewer.
pub const DEFAULT_ROW_CAP: usize = 10_000;

/// How many unknown-type values are sent to the server at once to be printed as text.
const TEXT_BATCH: usize = 500;

/// What to run and under which rules.
pub struct QueryRequest<'a> {
    /// The SQL text.
    pub sql: &'a str,
    /// Values for `$1..$n`.
    pub parameters: &'a [Value],
    /// Run inside a `READ ONLY` transaction, one statement only.
    pub read_only: bool,
    /// Most rows returned; more are dropped and [`QueryResult::truncated`] says so.
    pub row_cap: usize,
}

/// How a read-only attempt ended.
pub enum ReadAttempt {
    /// The statement only read: its rows.
    Read(QueryResult),
    /// The statement needs to write (SQLSTATE 25006), cannot run in a transaction (25001) or is
    /// several statements: nothing happened; run it as a writer.
    NeedsWrite,
}

/// Whether SQL text may leave session state that a rollback does not undo: prepared statements,
/// session advisory locks, dblink connections. Matching words anywhere errs on the side of a reset.
fn may_outlive_rollback(sql: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    ["prepare", "deallocate", "advisory", "dblink"].iter().any(|word| lower.contains(word))
}

/// SQLSTATEs saying a statement could not run read-only or in a transaction block.
fn needs_write(err: &tokio_postgres::Error) -> bool {
    err.code().is_some_and(|c| c.code() == "25006" || c.code() == "25001")
}

/// "cached plan must not change result type": a table changed under a cached statement.
fn is_stale_statement(err: &tokio_postgres::Error) -> bool {
    err.code().is_some_and(|c| c.code() == "0A000")
}

/// The rows of the last statement.
#[derive(Debug, Default)]
pub struct QueryResult {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// One value per column for each row.
    pub rows: Vec<Vec<Value>>,
    /// Whether rows past the cap were dropped.
    pub truncated: bool,
}

impl QueryResult {
    /// The rows as JSON objects keyed by column name, in column order.
    pub fn objects(&self) -> RowObjects<'_> {
        RowObjects(self)
    }
}

/// Serializes a [`QueryResult`] as `[{column: value, …}, …]` keeping the column order (a JSON map
/// would sort keys unless serde_json's `preserve_order` happens to be on).
pub struct RowObjects<'a>(&'a QueryResult);

impl Serialize for RowObjects<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.rows.len()))?;
        for row in &self.0.rows {
            seq.serialize_element(&RowObject { columns: &self.0.columns, values: row })?;
        }
        seq.end()
    }
}

struct RowObject<'a> {
    columns: &'a [String],
    values: &'a [Value],
}

impl Serialize for RowObject<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.columns.len()))?;
        for (name, value) in self.columns.iter().zip(self.values) {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// Cancels the running statement on the server if dropped while armed: a handler future dropped
/// because its HTTP client went away must not leave the query running.
pub struct CancelOnDrop(Option<tokio_postgres::CancelToken>);

impl CancelOnDrop {
    /// Arms a guard for the session's current statement.
    pub fn new(client: &Client) -> Self {
        Self(Some(client.cancel_token()))
    }

    /// The work finished: nothing to cancel.
    pub fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let (Some(token), Ok(runtime)) = (self.0.take(), tokio::runtime::Handle::try_current()) {
            tracing::info!("client went away: cancelling its PostgreSQL query");
            runtime.spawn(async move {
                if let Err(e) = token.cancel_query(tokio_postgres::NoTls).await {
                    tracing::warn!(error = %e, "could not cancel a PostgreSQL query");
                }
            });
        }
    }
}

/// Runs a query and returns the rows of its last statement.
#[tracing::instrument(skip_all, fields(read_only = request.read_only))]
pub async fn run(client: &PostgresClient, request: QueryRequest<'_>) -> Result<QueryResult, EngineError> {
    match attempt(client, &request, false).await? {
        ReadAttempt::Read(result) => Ok(result),
        ReadAttempt::NeedsWrite => {
            Err(EngineError::Query { message: "the statement could not run".into(), details: None })
        }
    }
}

/// Runs a writer's query read-only first, so a read needs no audit record: PostgreSQL itself
/// refuses any write in the `READ ONLY` transaction, which then changed nothing.
#[tracing::instrument(skip_all)]
pub async fn try_read(client: &PostgresClient, request: QueryRequest<'_>) -> Result<ReadAttempt, EngineError> {
    attempt(client, &request, true).await
}

async fn attempt(client: &PostgresClient, request: &QueryRequest<'_>, probe: bool) -> Result<ReadAttempt, EngineError> {
    let mut session = client.session().await?;
    let guard = CancelOnDrop::new(&session);
    let result = run_on(&mut session, request, probe).await;
    guard.disarm();
    if request.read_only {
        match &result {
            // The server may still be sending rows past the cap (or did, before a ROLLBACK).
            Ok(ReadAttempt::Read(r)) if r.truncated => session.discard(),
            // A read-only transaction was rolled back: only what outlives a rollback could remain.
            Ok(_) if !may_outlive_rollback(request.sql) => session.unchanged(),
            _ => {}
        }
    }
    result
}

async fn run_on(session: &mut Session, request: &QueryRequest<'_>, probe: bool) -> Result<ReadAttempt, EngineError> {
    let statement = match session.prepare_cached(request.sql).await {
        Ok(statement) => statement,
        Err(e) if is_multi_statement(&e) => {
            if probe {
                return Ok(ReadAttempt::NeedsWrite);
            }
            if request.read_only {
                return Err(single_statement("your role runs SQL read-only, one statement per request"));
            }
            if !request.parameters.is_empty() {
                return Err(single_statement("a query with parameters must be a single statement"));
            }
            return Ok(ReadAttempt::Read(run_simple(session, request.sql, request.row_cap).await?));
        }
        Err(e) => return Err(map_error(e)),
    };
    let params = bind_params(&statement, request.parameters)?;
    let client: &mut Client = session;
    let outcome = match run_prepared(client, &statement, &params, request.read_only, request.row_cap).await {
        Err(e) if is_stale_statement(&e) => {
            // The cached statement predates a change to a table it reads: prepare it afresh.
            session.statement_cache_clear();
            let statement = session.prepare_cached(request.sql).await.map_err(map_error)?;
            let client: &mut Client = session;
            run_prepared(client, &statement, &params, request.read_only, request.row_cap).await
        }
        other => other,
    };
    let (mut result, pending) = match outcome {
        Ok(done) => done,
        Err(e) if probe && needs_write(&e) => return Ok(ReadAttempt::NeedsWrite),
        Err(e) => return Err(map_error(e)),
    };
    let client: &mut Client = session;
    print_as_text(client, &mut result.rows, pending).await;
    Ok(ReadAttempt::Read(result))
}

/// Runs `EXPLAIN (FORMAT JSON)` of a query and returns the plan. Always in a read-only
/// transaction: EXPLAIN without ANALYZE only plans (a write is planned, not refused).
pub async fn explain(client: &PostgresClient, sql: &str, parameters: &[Value]) -> Result<Value, EngineError> {
    let sql = format!("EXPLAIN (FORMAT JSON) {sql}");
    let mut session = client.session().await?;
    let guard = CancelOnDrop::new(&session);
    let result = explain_on(&mut session, &sql, parameters).await;
    guard.disarm();
    if result.is_ok() && !may_outlive_rollback(&sql) {
        session.unchanged();
    }
    result
}

async fn explain_on(session: &mut Session, sql: &str, parameters: &[Value]) -> Result<Value, EngineError> {
    let client: &mut Client = session;
    let statement = client.prepare(sql).await.map_err(|e| {
        if is_multi_statement(&e) {
            single_statement("EXPLAIN takes a single statement")
        } else {
            map_error(e)
        }
    })?;
    let params = bind_params(&statement, parameters)?;
    let (result, _) = run_prepared(client, &statement, &params, true, 1).await.map_err(map_error)?;
    Ok(result.rows.into_iter().next().and_then(|row| row.into_iter().next()).unwrap_or(Value::Null))
}

pub(super) fn is_multi_statement(err: &tokio_postgres::Error) -> bool {
    // PostgreSQL's wording in postgres.c (exec_parse_message). The SQLSTATE (42601) is shared with
    // every syntax error, but those carry a position; the message may be translated, so a 42601
    // without a position counts too (at worst the simple protocol reports the same error again).
    err.as_db_error().is_some_and(|db| {
        db.message().contains("cannot insert multiple commands into a prepared statement")
            || (db.code().code() == "42601" && db.position().is_none())
    })
}

pub(super) fn single_statement(why: &str) -> EngineError {
    EngineError::Query {
        message: format!("{why}: send the statements one at a time"),
        details: Some(serde_json::json!({ "code": "42601", "position": null, "detail": null, "hint": null })),
    }
}

/// Converts the JSON parameters to the statement's declared types.
pub(super) fn bind_params(statement: &Statement, values: &[Value]) -> Result<Vec<TextParam>, EngineError> {
    let expected = statement.params().len();
    if expected != values.len() {
        return Err(EngineError::Config(format!(
            "the query has {expected} parameter(s) ($1..${expected}) but {} value(s) were given",
            values.len()
        )));
    }
    statement
        .params()
        .iter()
        .zip(values)
        .enumerate()
        .map(|(i, (ty, value))| {
            text_param(value, ty).map_err(|m| EngineError::Config(format!("parameter ${}: {m}", i + 1)))
        })
        .collect()
}

/// A value whose type is not decoded locally, to be printed by the server.
struct Pending {
    row: usize,
    column: usize,
    ty: tokio_postgres::types::Type,
    bytes: Vec<u8>,
}

async fn run_prepared(
    client: &mut Client,
    statement: &Statement,
    params: &[TextParam],
    read_only: bool,
    row_cap: usize,
) -> Result<(QueryResult, Vec<Pending>), tokio_postgres::Error> {
    if read_only {
        return run_read_only(client, statement, params, row_cap).await;
    }
    let transaction = client.build_transaction().read_only(false).start().await?;
    let fetched = async {
        let portal = transaction.bind_raw(statement, params.iter()).await?;
        let max_rows = i32::try_from(row_cap.saturating_add(1)).unwrap_or(i32::MAX);
        collect(transaction.query_portal_raw(&portal, max_rows).await?, statement.columns(), row_cap).await
    }
    .await;
    match fetched {
        Ok(outcome) => {
            transaction.commit().await?;
            Ok(outcome)
        }
        Err(e) if e.code().is_some_and(|c| c.code() == "25001") => {
            // "cannot run inside a transaction block": nothing happened yet, run it on its own.
            transaction.rollback().await?;
            let stream = client.query_raw(statement, params.iter()).await?;
            collect(stream, statement.columns(), row_cap).await
        }
        Err(e) => {
            // The error is what the caller needs; a failing rollback only means the session is gone.
            let _ = transaction.rollback().await;
            Err(e)
        }
    }
}

/// A read in one round trip: `BEGIN READ ONLY`, the statement and `ROLLBACK` go out together
/// (tokio-postgres sends each request when its future is first polled, and the server answers in
/// order). Rows past the cap are not read: the result then says `truncated` and the caller closes
/// the session rather than wait for the server to send what nobody will read.
async fn run_read_only(
    client: &Client,
    statement: &Statement,
    params: &[TextParam],
    row_cap: usize,
) -> Result<(QueryResult, Vec<Pending>), tokio_postgres::Error> {
    use futures_util::future::maybe_done;
    use std::future::Future;
    use std::pin::pin;
    use std::task::Poll;

    let mut begin = pin!(maybe_done(client.batch_execute("BEGIN READ ONLY")));
    let mut rows = pin!(maybe_done(async {
        let stream = client.query_raw(statement, params.iter()).await?;
        collect(stream, statement.columns(), row_cap).await
    }));
    let mut rollback = pin!(maybe_done(client.batch_execute("ROLLBACK")));
    // One poll of each, in order, puts the three requests on the wire together.
    std::future::poll_fn(|cx| {
        let _ = begin.as_mut().poll(cx);
        let _ = rows.as_mut().poll(cx);
        let _ = rollback.as_mut().poll(cx);
        Poll::Ready(())
    })
    .await;
    begin.as_mut().await;
    rows.as_mut().await;
    let began = begin.as_mut().take_output().unwrap_or(Ok(()));
    let fetched = rows.as_mut().take_output().unwrap_or_else(|| Ok((QueryResult::default(), Vec::new())));
    if matches!(&fetched, Ok((result, pending)) if result.truncated && pending.is_empty()) {
        // The ROLLBACK's answer comes after every remaining row: do not wait for it. (Values that
        // still need printing as text need the session, so then the rest is waited for.)
        return fetched;
    }
    rollback.as_mut().await;
    let ended = rollback.as_mut().take_output().unwrap_or(Ok(()));
    began?;
    let outcome = fetched?;
    ended?;
    Ok(outcome)
}

async fn collect(
    stream: RowStream,
    columns: &[Column],
    row_cap: usize,
) -> Result<(QueryResult, Vec<Pending>), tokio_postgres::Error> {
    let mut result =
        QueryResult { columns: columns.iter().map(|c| c.name().to_string()).collect(), ..QueryResult::default() };
    let mut pending = Vec::new();
    pin_mut!(stream);
    while let Some(row) = stream.try_next().await? {
        if result.rows.len() >= row_cap {
            result.truncated = true;
            break;
        }
        let mut values = Vec::with_capacity(columns.len());
        for (index, column) in columns.iter().enumerate() {
            let raw: RawValue<'_> = row.try_get(index)?;
            match decode(column.type_(), raw.0) {
                Decoded::Json(value) => values.push(value),
                Decoded::NeedsText => {
                    pending.push(Pending {
                        row: result.rows.len(),
                        column: index,
                        ty: column.type_().clone(),
                        bytes: raw.0.unwrap_or_default().to_vec(),
                    });
                    values.push(Value::Null);
                }
            }
        }
        result.rows.push(values);
    }
    Ok((result, pending))
}

/// Asks the server to print values of types decoded nowhere here (`SELECT $1::text` with the
/// value resent as it came), pipelined in batches. Runs after the user's transaction ended, so a
/// type that cannot be read back (an anonymous record) cannot spoil it: such values become `\x` hex.
async fn print_as_text(client: &Client, rows: &mut [Vec<Value>], pending: Vec<Pending>) {
    let mut by_type: HashMap<u32, Vec<Pending>> = HashMap::new();
    for p in pending {
        by_type.entry(p.ty.oid()).or_default().push(p);
    }
    for group in by_type.into_values() {
        let Some(ty) = group.first().map(|p| p.ty.clone()) else { continue };
        let statement = client.prepare_typed("SELECT $1::text", &[ty]).await.ok();
        for batch in group.chunks(TEXT_BATCH) {
            let printed = match &statement {
                Some(statement) => {
                    futures_util::future::join_all(batch.iter().map(|p| async move {
                        let row = client.query_one(statement, &[&ResendValue(&p.bytes)]).await.ok()?;
                        row.try_get::<_, Option<String>>(0).ok().flatten()
                    }))
                    .await
                }
                None => vec![None; batch.len()],
            };
            for (p, text) in batch.iter().zip(printed) {
                let value = text.unwrap_or_else(|| format!("\\x{}", hex::encode(&p.bytes)));
                if let Some(cell) = rows.get_mut(p.row).and_then(|r| r.get_mut(p.column)) {
                    *cell = Value::String(value);
                }
            }
        }
    }
}

async fn run_simple(client: &Client, sql: &str, row_cap: usize) -> Result<QueryResult, EngineError> {
    let result = simple_rows(client, sql, row_cap).await;
    // Leave no transaction open on a pooled session, whatever the text did (a BEGIN without COMMIT,
    // an error inside one). Outside a transaction this is a harmless warning.
    let _ = client.batch_execute("ROLLBACK").await;
    result.map_err(map_error)
}

async fn simple_rows(client: &Client, sql: &str, row_cap: usize) -> Result<QueryResult, tokio_postgres::Error> {
    let stream = client.simple_query_raw(sql).await?;
    pin_mut!(stream);
    let mut result = QueryResult::default();
    let mut described = false;
    while let Some(message) = stream.try_next().await? {
        match message {
            SimpleQueryMessage::RowDescription(columns) => {
                result = QueryResult {
                    columns: columns.iter().map(|c| c.name().to_string()).collect(),
                    ..QueryResult::default()
                };
                described = true;
            }
            SimpleQueryMessage::Row(row) if result.rows.len() < row_cap => {
                let values = (0..row.len()).map(|i| row.get(i).map_or(Value::Null, |s| Value::String(s.into())));
                result.rows.push(values.collect());
            }
            SimpleQueryMessage::Row(_) => result.truncated = true,
            SimpleQueryMessage::CommandComplete(_) => {
                // A statement that returns no rows (an INSERT) is the last one so far: no rows.
                if !described {
                    result = QueryResult::default();
                }
                described = false;
            }
            _ => {}
        }
    }
    Ok(result)
}
