//! Running user SQL for `POST /pg-meta/{ref}/query`: role-enforced read-only transactions, a row
//! cap, `$n` parameters and faithful JSON values (see `types.rs`).
//!
//! How a query runs:
//! - It is prepared first (statements are cached per session).
//! - A viewer's statement ([`read`]) runs in a `READ ONLY` transaction that is rolled back, as a
//!   login without host powers (superuser, server programs, server files): a read-only transaction
//!   does not stop `COPY … TO PROGRAM` or `pg_read_file`, the login does. After the rollback the
//!   server is asked whether anything outlived it (advisory locks, prepared statements, LISTEN…);
//!   only a clean session goes back to the pool as it is.
//! - A writer's statement ([`write`]) runs once in a read-write transaction; before the commit
//!   PostgreSQL says whether it wrote (a transaction id was assigned), and only then is it
//!   recorded in the audit trail. Rows come from a portal fetched `row_cap + 1` at a time, so a
//!   huge result is never produced past the cap. A statement that cannot run in a transaction
//!   block (`VACUUM`, SQLSTATE 25001) failed without effect: it is recorded, then run on its own.
//! - Several statements in one text cannot be prepared. A writer's text without parameters is
//!   recorded, then runs with the simple protocol and answers the rows of the last statement, as
//!   text (that protocol does not say the columns' types). Viewers must send one statement: with
//!   the simple protocol their text could `COMMIT` our read-only transaction and write after it.
//!
//! The statement timeout is a session setting of the pool (`options.statement_timeout`).

use std::collections::HashMap;
use std::future::Future;

use futures_util::{pin_mut, TryStreamExt};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;
use tokio_postgres::{Client, Column, RowStream, SimpleQueryMessage, Statement};

use super::cancel::CancelSlot;
use super::types::{decode, text_param, Decoded, RawValue, ResendValue, TextParam};
use super::{map_error, PostgresClient, Session, SqlCaller};
use crate::engines::EngineError;

/// How long a cancel request may take before it is given up.
const CANCEL_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

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
    /// Most rows returned; more are dropped and [`QueryResult::truncated`] says so.
    pub row_cap: usize,
    /// Where the running statement's cancel token is noted, for a cancel on request.
    pub cancel: Option<&'a CancelSlot>,
}

impl QueryRequest<'_> {
    /// Notes the session the statement runs on, for a cancel on request.
    fn arm(&self, session: &Client) -> Result<(), EngineError> {
        match self.cancel {
            Some(slot) => slot.arm(session.cancel_token()),
            None => Ok(()),
        }
    }

    /// The error, named as a cancel when it is the user's.
    fn explain(&self, err: EngineError) -> EngineError {
        match self.cancel {
            Some(slot) => slot.explain_error(err),
            None => err,
        }
    }
}

/// Asks the server, after a rolled-back transaction (a viewer's read, a table page) or a writer's
/// reset, whether anything outlived it: session advisory locks, SQL-level prepared statements, held
/// cursors, LISTEN channels, or an extension that keeps connections open to other servers (dblink,
/// postgres_fdw). The answer comes from PostgreSQL, not from reading the statement, so no spelling
/// of a call can hide it. What a rollback undoes is not asked: a `SET` (or `set_config`, `SET
/// ROLE`) and a temporary table made in the transaction end with it, and a writer's session is
/// reset (`RESET ALL`, `DISCARD TEMP`) before the check; asking `pg_settings` cost the server about
/// 0.7 ms per request, more than the rest of a small read. Only holdable cursors can outlive a
/// transaction; the others (this query's own portal among them, which `pg_cursors` lists under the
/// extended protocol) end with it and must not count.
pub(super) const SESSION_STATE_SQL: &str = "SELECT \
     (SELECT count(*) FROM pg_catalog.pg_locks WHERE pid = pg_catalog.pg_backend_pid() AND locktype = 'advisory') \
     + (SELECT count(*) FROM pg_catalog.pg_prepared_statements WHERE from_sql) \
     + (SELECT count(*) FROM pg_catalog.pg_cursors WHERE is_holdable) \
     + (SELECT count(*) FROM pg_catalog.pg_listening_channels()) \
     + (SELECT count(*) FROM pg_catalog.pg_extension WHERE extname IN ('dblink', 'postgres_fdw')) = 0";

/// Whether a transaction id was assigned: the statement changed table data (it will be audited).
const WROTE_SQL: &str = "SELECT pg_catalog.txid_current_if_assigned() IS NOT NULL";

/// "cannot run inside a transaction block" (VACUUM, CREATE DATABASE, …).
fn outside_transaction_only(err: &tokio_postgres::Error) -> bool {
    err.code().is_some_and(|c| c.code() == "25001")
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
    /// Rows the statement inserted, updated, deleted or returned, when the server said (not when
    /// the result was cut at the cap).
    pub rows_affected: Option<u64>,
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

impl schemars::JsonSchema for RowObjects<'_> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Rows".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // The columns are the user's: any names, values converted from PostgreSQL's types.
        schemars::json_schema!({
            "type": "array",
            "description": "Rows as objects of their columns (any shape: JSON values converted from PostgreSQL's types)",
            "items": { "type": "object" }
        })
    }
}

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
                // Bounded: a frozen server takes the cancel request but never closes the connection.
                match tokio::time::timeout(CANCEL_LIMIT, token.cancel_query(tokio_postgres::NoTls)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "could not cancel a PostgreSQL query"),
                    Err(_) => tracing::warn!("a PostgreSQL cancel request got no answer in time"),
                }
            });
        }
    }
}

/// Runs a viewer's query: one statement, in a `READ ONLY` transaction that is rolled back, in a
/// session of a login without host powers ([`PostgresClient::session_for`]). The session goes back
/// to the pool as it is only when the server says nothing outlived the rollback.
#[tracing::instrument(skip_all)]
pub async fn read(client: &PostgresClient, request: QueryRequest<'_>) -> Result<QueryResult, EngineError> {
    let mut session = client.session_for(SqlCaller::Viewer).await?;
    request.arm(&session)?;
    let guard = CancelOnDrop::new(&session);
    let Some(result) = client.in_time(read_on(&mut session, &request)).await else {
        // The guard cancels the statement; the session may still be busy with it.
        session.discard();
        return Err(client.timed_out("the query"));
    };
    let result = result.map_err(|e| request.explain(e));
    guard.disarm();
    match result {
        // The server may still be sending rows past the cap (or did, before a ROLLBACK).
        Ok((result, _)) if result.truncated => {
            session.discard();
            Ok(result)
        }
        Ok((result, clean)) => {
            if clean {
                session.unchanged();
            }
            Ok(result)
        }
        Err(e) => Err(e),
    }
}

async fn read_on(session: &mut Session, request: &QueryRequest<'_>) -> Result<(QueryResult, bool), EngineError> {
    let statement = match session.prepare_cached(request.sql).await {
        Ok(statement) => statement,
        Err(e) if is_multi_statement(&e) => {
            return Err(single_statement("your role runs SQL read-only, one statement per request"))
        }
        Err(e) => return Err(map_error(e)),
    };
    let params = bind_params(&statement, request.parameters)?;
    let outcome = match run_read_only(session, &statement, &params, request.row_cap).await {
        Err(e) if is_stale_statement(&e) => {
            // The cached statement predates a change to a table it reads: prepare it afresh.
            session.statement_cache_clear();
            let statement = session.prepare_cached(request.sql).await.map_err(map_error)?;
            run_read_only(session, &statement, &params, request.row_cap).await
        }
        other => other,
    };
    let (mut result, pending, clean) = outcome.map_err(map_error)?;
    print_as_text(session, &mut result.rows, pending).await;
    Ok((result, clean))
}

/// Runs a writer's statement once, in a read-write transaction, and asks PostgreSQL whether it
/// wrote (a transaction id was assigned) before committing: only then is `record` called (the audit
/// record), and if it fails nothing is committed. A read therefore needs no record and is never run
/// twice. Texts of several statements, and statements that cannot run in a transaction (VACUUM),
/// are recorded before they run, since their effect cannot be held back until it is seen.
#[tracing::instrument(skip_all)]
pub async fn write<E, F, Fut>(client: &PostgresClient, request: QueryRequest<'_>, record: F) -> Result<QueryResult, E>
where
    E: From<EngineError>,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let mut session = client.session_for(SqlCaller::Writer).await?;
    request.arm(&session)?;
    match client.in_time(write_on(&mut session, &request, record)).await {
        Some(result) => result,
        None => {
            // Its guard cancels the statement; the session may still be busy with it. The
            // statement was sent, so whether it ran is unknown.
            session.discard();
            Err(client.timed_out("the statement").of_write().into())
        }
    }
}

async fn write_on<E, F, Fut>(session: &mut Session, request: &QueryRequest<'_>, record: F) -> Result<QueryResult, E>
where
    E: From<EngineError>,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let statement = match session.prepare_cached(request.sql).await {
        Ok(statement) => statement,
        Err(e) if is_multi_statement(&e) => {
            if !request.parameters.is_empty() {
                return Err(single_statement("a query with parameters must be a single statement").into());
            }
            record().await?;
            let guard = CancelOnDrop::new(session);
            let result = run_simple(session, request.sql, request.row_cap).await;
            guard.disarm();
            return Ok(result.map_err(|e| request.explain(e))?);
        }
        Err(e) => return Err(map_error(e).into()),
    };
    let params = bind_params(&statement, request.parameters)?;
    let wrote_statement = session.prepare_cached(WROTE_SQL).await.map_err(map_error)?;
    let guard = CancelOnDrop::new(session);
    let mut statement = statement;
    let mut retried = false;
    let outcome = loop {
        let client: &mut Client = session;
        let transaction = match client.build_transaction().read_only(false).start().await {
            Ok(t) => t,
            Err(e) => break Err(Failure::Engine(map_error(e))),
        };
        match run_in_transaction(&transaction, &statement, &params, request.row_cap, &wrote_statement).await {
            Ok((result, pending, wrote)) => {
                if wrote {
                    if let Err(e) = record().await {
                        // Dropping the transaction rolls it back: nothing was changed.
                        break Err(Failure::Record(e));
                    }
                }
                break match transaction.commit().await {
                    Ok(()) => Ok((result, pending)),
                    Err(e) => Err(Failure::Engine(map_error(e))),
                };
            }
            Err(e) if is_stale_statement(&e) && !retried => {
                // The cached statement predates a change to a table it reads: prepare it afresh.
                let _ = transaction.rollback().await;
                retried = true;
                session.statement_cache_clear();
                match session.prepare_cached(request.sql).await {
                    Ok(fresh) => statement = fresh,
                    Err(e) => break Err(Failure::Engine(map_error(e))),
                }
            }
            Err(e) if outside_transaction_only(&e) => {
                // Nothing happened yet: it must run on its own, so it is recorded first.
                let _ = transaction.rollback().await;
                if let Err(e) = record().await {
                    break Err(Failure::Record(e));
                }
                let ran = async {
                    let stream = session.query_raw(&statement, params.iter()).await?;
                    collect(stream, statement.columns(), request.row_cap).await
                };
                break ran.await.map_err(|e| Failure::Engine(map_error(e)));
            }
            Err(e) => {
                // The error is what the caller needs; a failing rollback only means the session is gone.
                let _ = transaction.rollback().await;
                break Err(Failure::Engine(map_error(e)));
            }
        }
    };
    guard.disarm();
    let (mut result, pending) = match outcome {
        Ok(done) => done,
        Err(Failure::Engine(e)) => return Err(request.explain(e).into()),
        Err(Failure::Record(e)) => return Err(e),
    };
    print_as_text(session, &mut result.rows, pending).await;
    Ok(result)
}

/// Why a writer's statement did not finish: the database said no, or the change could not be
/// recorded (and so was not made).
enum Failure<E> {
    Engine(EngineError),
    Record(E),
}

/// Runs `EXPLAIN (FORMAT JSON)` of a query and returns the plan, in a read-only transaction in a
/// session of `caller`'s login: EXPLAIN without ANALYZE only plans (a write is planned, not run).
pub async fn explain(
    client: &PostgresClient,
    caller: SqlCaller,
    sql: &str,
    parameters: &[Value],
) -> Result<Value, EngineError> {
    let sql = format!("EXPLAIN (FORMAT JSON) {sql}");
    let mut session = client.session_for(caller).await?;
    let guard = CancelOnDrop::new(&session);
    let Some(result) = client.in_time(explain_on(&mut session, &sql, parameters)).await else {
        session.discard();
        return Err(client.timed_out("the plan"));
    };
    guard.disarm();
    let (plan, clean) = result?;
    if clean {
        session.unchanged();
    }
    Ok(plan)
}

async fn explain_on(session: &mut Session, sql: &str, parameters: &[Value]) -> Result<(Value, bool), EngineError> {
    let statement = session.prepare(sql).await.map_err(|e| {
        if is_multi_statement(&e) {
            single_statement("EXPLAIN takes a single statement")
        } else {
            map_error(e)
        }
    })?;
    let params = bind_params(&statement, parameters)?;
    let (result, _, clean) = run_read_only(session, &statement, &params, 1).await.map_err(map_error)?;
    let plan = result.rows.into_iter().next().and_then(|row| row.into_iter().next()).unwrap_or(Value::Null);
    Ok((plan, clean))
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
pub(super) struct Pending {
    pub(super) row: usize,
    column: usize,
    ty: tokio_postgres::types::Type,
    bytes: Vec<u8>,
}

/// The statement through a portal (fetched `row_cap + 1` rows at a time, so a huge result is
/// never produced past the cap), then whether it wrote; the transaction stays open.
async fn run_in_transaction(
    transaction: &tokio_postgres::Transaction<'_>,
    statement: &Statement,
    params: &[TextParam],
    row_cap: usize,
    wrote_statement: &Statement,
) -> Result<(QueryResult, Vec<Pending>, bool), tokio_postgres::Error> {
    let portal = transaction.bind_raw(statement, params.iter()).await?;
    let max_rows = i32::try_from(row_cap.saturating_add(1)).unwrap_or(i32::MAX);
    let (result, pending) =
        collect(transaction.query_portal_raw(&portal, max_rows).await?, statement.columns(), row_cap).await?;
    let wrote: bool = transaction.query_one(wrote_statement, &[]).await?.try_get(0)?;
    Ok((result, pending, wrote))
}

/// A read in one round trip: `BEGIN READ ONLY`, the statement and `ROLLBACK` go out together
/// (tokio-postgres sends each request when its future is first polled, and the server answers in
/// order). Rows past the cap are not read: the result then says `truncated` and the caller closes
/// the session rather than wait for the server to send what nobody will read.
async fn run_read_only(
    client: &Session,
    statement: &Statement,
    params: &[TextParam],
    row_cap: usize,
) -> Result<(QueryResult, Vec<Pending>, bool), tokio_postgres::Error> {
    use futures_util::future::maybe_done;
    use std::pin::pin;
    use std::task::Poll;

    let mut begin = pin!(maybe_done(client.batch_execute("BEGIN READ ONLY")));
    let mut rows = pin!(maybe_done(async {
        let stream = client.query_raw(statement, params.iter()).await?;
        collect(stream, statement.columns(), row_cap).await
    }));
    let mut rollback = pin!(maybe_done(client.batch_execute("ROLLBACK")));
    let state_statement = client.prepare_cached(SESSION_STATE_SQL).await?;
    let mut state = pin!(maybe_done(client.query_one(&state_statement, &[])));
    // One poll of each, in order, puts the four requests on the wire together.
    std::future::poll_fn(|cx| {
        let _ = begin.as_mut().poll(cx);
        let _ = rows.as_mut().poll(cx);
        let _ = rollback.as_mut().poll(cx);
        let _ = state.as_mut().poll(cx);
        Poll::Ready(())
    })
    .await;
    begin.as_mut().await;
    rows.as_mut().await;
    let began = begin.as_mut().take_output().unwrap_or(Ok(()));
    let fetched = rows.as_mut().take_output().unwrap_or_else(|| Ok((QueryResult::default(), Vec::new())));
    if matches!(&fetched, Ok((result, pending)) if result.truncated && pending.is_empty()) {
        // The ROLLBACK's answer comes after every remaining row: do not wait for it (the caller
        // closes the session). Values that still need printing as text need the session, so then
        // the rest is waited for.
        return fetched.map(|(result, pending)| (result, pending, false));
    }
    rollback.as_mut().await;
    state.as_mut().await;
    let ended = rollback.as_mut().take_output().unwrap_or(Ok(()));
    // A check that failed (a catalog missing on an unusual server) counts as unclean.
    let clean = match state.as_mut().take_output() {
        Some(Ok(row)) => row.try_get::<_, bool>(0).unwrap_or(false),
        _ => false,
    };
    began?;
    let (result, pending) = fetched?;
    ended?;
    Ok((result, pending, clean))
}

pub(super) async fn collect(
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
    if !result.truncated {
        result.rows_affected = stream.rows_affected();
    }
    Ok((result, pending))
}

/// Asks the server to print values of types decoded nowhere here (`SELECT $1::text` with the
/// value resent as it came), pipelined in batches. Runs after the user's transaction ended, so a
/// type that cannot be read back (an anonymous record) cannot spoil it: such values become `\x` hex.
pub(super) async fn print_as_text(client: &Client, rows: &mut [Vec<Value>], pending: Vec<Pending>) {
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
            SimpleQueryMessage::CommandComplete(rows) => {
                // A statement that returns no rows (an INSERT) is the last one so far: no rows.
                if !described {
                    result = QueryResult::default();
                }
                result.rows_affected = Some(rows);
                described = false;
            }
            _ => {}
        }
    }
    Ok(result)
}
