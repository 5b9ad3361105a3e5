//! Running user SQL on MariaDB/MySQL: the rows of the last statement as faithful JSON (see
//! `types.rs`), a row cap, the statement timeout, and a kill on the server when the caller goes away.
//!
//! How a query runs:
//! - One statement is prepared and run with the binary protocol, so values arrive typed. A text
//!   of several statements (or a statement the server cannot prepare) runs with the text protocol,
//!   and its last statement's rows and counts are answered.
//! - A viewer's statement ([`read`]) runs inside `START TRANSACTION READ ONLY` … `ROLLBACK`.
//!   A read-only transaction does not stop everything that matters, and MySQL cannot take a
//!   privilege away from one session of a login (the connection's login may well hold `FILE` or
//!   `SUPER`), so the viewer's text is also read here ([`viewer_check`]): one statement, of a kind
//!   that only reads, without `INTO OUTFILE`/`DUMPFILE`, `LOAD_FILE()` or `GET_LOCK()`.
//! - A writer's text ([`write`]) runs as it is.
//! - Either way the connection then goes back to the pool, which resets it (see `mod.rs`).
//! - Past `row_cap` rows the statement is killed on the server rather than read to its end, and
//!   the result says `truncated`. (In a text of several statements the earlier results are read
//!   to their end: killing one would stop the ones after it.)
//! - The statement timeout is the server's (see [`MysqlClient::session`]); a statement that
//!   overruns it by [`TIMEOUT_GRACE`] anyway (MySQL's limit only covers `SELECT`) is killed.
//! - If the returned future is dropped while a statement runs, `KILL QUERY` is sent for its
//!   connection from another connection. It names the connection, not the statement: if the
//!   statement ended in the moment between, and the pool already lent the reset connection to
//!   someone else, their statement would be the one stopped. The pool drains and resets the
//!   connection before lending it again, which keeps that window to the few milliseconds of a reset.

use std::time::Duration;

use mysql_async::consts::ColumnType;
use mysql_async::prelude::Queryable;
use mysql_async::{BinaryProtocol, Column, Conn, Params, TextProtocol, Value as MyValue};
use serde_json::Value;

use super::types::to_json;
use super::{map_error, typed_rows, MysqlClient, ServerKind};
use crate::engines::EngineError;

/// Rows returned by one query unless the request asks for fewer.
pub const DEFAULT_ROW_CAP: usize = 10_000;

/// How long past the statement timeout a statement may run before it is killed from here.
pub const TIMEOUT_GRACE: Duration = Duration::from_secs(2);

/// `ER_PARSE_ERROR`: a syntax error, whose message quotes the text where parsing stopped.
const PARSE_ERROR: u16 = 1064;

/// `ER_UNSUPPORTED_PS`: this statement cannot be prepared.
const UNSUPPORTED_PS: u16 = 1295;

/// What to run.
pub struct QueryRequest<'a> {
    /// The SQL text.
    pub sql: &'a str,
    /// Most rows returned; more are dropped and [`QueryResult::truncated`] says so.
    pub row_cap: usize,
}

/// The rows and counts of the last statement.
#[derive(Debug, Default)]
pub struct QueryResult {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// One value per column for each row.
    pub rows: Vec<Vec<Value>>,
    /// Whether rows past the cap were dropped.
    pub truncated: bool,
    /// Rows the statement inserted, updated, deleted or returned (not when cut at the cap).
    pub rows_affected: Option<u64>,
    /// The statement's first keyword (`SELECT`, `INSERT`…), upper-cased.
    pub command: Option<String>,
    /// The id the statement generated for an `AUTO_INCREMENT` column, if any.
    pub last_insert_id: Option<u64>,
    /// How many warnings the server noted (`SHOW WARNINGS` lists them).
    pub warnings: u16,
    /// The server's own summary (`Rows matched: 1  Changed: 1  Warnings: 0`), when it sent one.
    pub info: Option<String>,
}

/// What a statement gave before its values are converted.
#[derive(Default)]
struct Collected {
    columns: Vec<Column>,
    rows: Vec<Vec<MyValue>>,
    truncated: bool,
    /// Whether the statement was killed at the cap (its connection is still draining).
    truncated_by_kill: bool,
    /// Which columns are MariaDB JSON, when known before the rows were read.
    json: Option<Vec<bool>>,
    affected: u64,
    last_insert_id: Option<u64>,
    warnings: u16,
    info: String,
}

/// Kills the connection's running statement from another connection if dropped while armed.
pub(crate) struct CancelOnDrop {
    client: Option<MysqlClient>,
    id: u32,
}

impl CancelOnDrop {
    pub(crate) fn new(client: &MysqlClient, conn: &Conn) -> Self {
        Self { client: Some(client.clone()), id: conn.id() }
    }

    pub(crate) fn disarm(mut self) {
        self.client = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let (Some(client), Ok(runtime)) = (self.client.take(), tokio::runtime::Handle::try_current()) {
            let id = self.id;
            tracing::info!("MySQL query abandoned: killing it");
            runtime.spawn(async move {
                if let Err(e) = client.kill_on_side(u64::from(id), true).await {
                    tracing::warn!(error = %e, "could not kill a MySQL query");
                }
            });
        }
    }
}

/// Runs a viewer's statement: one statement that only reads, inside a read-only transaction
/// that is rolled back.
#[tracing::instrument(skip_all)]
pub async fn read(client: &MysqlClient, request: QueryRequest<'_>) -> Result<QueryResult, EngineError> {
    let statements = split(request.sql);
    viewer_check(&statements)?;
    let mut conn = client.session().await?;
    let guard = CancelOnDrop::new(client, &conn);
    let run = async {
        conn.query_drop("START TRANSACTION READ ONLY").await.map_err(map_error)?;
        let collected = run_prepared(client, &mut conn, request.sql, Params::Empty, request.row_cap).await?;
        if !collected.truncated {
            conn.query_drop("ROLLBACK").await.map_err(map_error)?;
        }
        Ok(collected)
    };
    let collected = limited(client, run).await;
    if !matches!(collected, Err(EngineError::Timeout(_))) {
        guard.disarm();
    }
    // A truncated statement was killed; the pool drains, rolls back and resets the connection.
    let collected = collected.map_err(|e| with_position(e, request.sql))?;
    finish(client, &mut conn, collected, &statements).await
}

/// Runs a writer's text as it is: one statement prepared, several with the text protocol.
#[tracing::instrument(skip_all)]
pub async fn write(client: &MysqlClient, request: QueryRequest<'_>) -> Result<QueryResult, EngineError> {
    let statements = split(request.sql);
    let mut conn = client.session().await?;
    let guard = CancelOnDrop::new(client, &conn);
    let run = async {
        if statements.len() > 1 {
            return run_text(&mut conn, request.sql, request.row_cap).await;
        }
        match run_prepared(client, &mut conn, request.sql, Params::Empty, request.row_cap).await {
            Err(EngineError::Query { details: Some(d), .. }) if d["code"] == UNSUPPORTED_PS => {
                run_text(&mut conn, request.sql, request.row_cap).await
            }
            other => other,
        }
    };
    let collected = limited(client, run).await;
    if !matches!(collected, Err(EngineError::Timeout(_))) {
        guard.disarm();
    }
    let collected = collected.map_err(|e| with_position(e, request.sql))?;
    finish(client, &mut conn, collected, &statements).await
}

/// The plan of one statement, as the server's `EXPLAIN FORMAT=JSON` writes it. The statement is
/// not run; a viewer's must be one they could run, and their plan is asked inside a read-only
/// transaction all the same (an `EXPLAIN` may evaluate a subquery). A writer's is not: the
/// server refuses to plan a write there.
#[tracing::instrument(skip_all)]
pub async fn explain(client: &MysqlClient, sql: &str, viewer: bool) -> Result<Value, EngineError> {
    let statements = split(sql);
    if viewer {
        viewer_check(&statements)?;
    } else if statements.len() != 1 {
        return Err(EngineError::Config("explain takes a single statement".into()));
    }
    let mut conn = client.session().await?;
    let guard = CancelOnDrop::new(client, &conn);
    let run = async {
        if viewer {
            conn.query_drop("START TRANSACTION READ ONLY").await.map_err(map_error)?;
        }
        let row: Option<mysql_async::Row> =
            conn.query_first(format!("EXPLAIN FORMAT=JSON {sql}")).await.map_err(map_error)?;
        if viewer {
            conn.query_drop("ROLLBACK").await.map_err(map_error)?;
        }
        let plan: Vec<(String,)> = typed_rows(row.into_iter().collect())?;
        plan.into_iter()
            .next()
            .map(|(text,)| text)
            .ok_or_else(|| EngineError::Query { message: "the server sent no plan".into(), details: None })
    };
    let plan = limited(client, run).await;
    if !matches!(plan, Err(EngineError::Timeout(_))) {
        guard.disarm();
    }
    let plan = plan.map_err(|e| with_position(e, sql))?;
    serde_json::from_str(&plan)
        .map_err(|e| EngineError::Query { message: format!("the server's plan is not JSON: {e}"), details: None })
}

/// Runs `fut` under the statement timeout plus [`TIMEOUT_GRACE`]; past it, the statement is
/// abandoned (and killed by the caller's armed guard).
pub(crate) async fn limited<T>(
    client: &MysqlClient,
    fut: impl std::future::Future<Output = Result<T, EngineError>>,
) -> Result<T, EngineError> {
    match client.statement_timeout() {
        Some(limit) => tokio::time::timeout(limit + TIMEOUT_GRACE, fut).await.unwrap_or_else(|_| {
            Err(EngineError::Timeout(format!("the statement ran past its {} ms limit", limit.as_millis())))
        }),
        None => fut.await,
    }
}

/// Runs one statement of ours with bound values on `conn` (the caller's transaction) and answers
/// its rows as JSON, at most `cap` of them (past it the statement is killed).
pub(crate) async fn run_statement(
    client: &MysqlClient,
    conn: &mut Conn,
    sql: &str,
    values: Vec<MyValue>,
    cap: usize,
) -> Result<QueryResult, EngineError> {
    let params = if values.is_empty() { Params::Empty } else { Params::Positional(values) };
    let collected = run_prepared(client, conn, sql, params, cap).await?;
    finish(client, conn, collected, &[]).await
}

/// Prepares and runs one statement (binary protocol), reading at most `cap + 1` rows; past the
/// cap the statement is killed.
async fn run_prepared(
    client: &MysqlClient,
    conn: &mut Conn,
    sql: &str,
    params: Params,
    cap: usize,
) -> Result<Collected, EngineError> {
    let id = conn.id();
    let statement = conn.prep(sql).await.map_err(map_error)?;
    // Asked now, from the prepared statement's columns: once rows flow the connection is busy,
    // and after a cut at the cap it is being drained.
    let json = match client.kind() {
        Some(ServerKind::MariaDb) => Some(json_columns(conn, &statement.columns()).await?),
        _ => None,
    };
    let mut result = conn.exec_iter(&statement, params).await.map_err(map_error)?;
    let mut out =
        Collected { columns: result.columns().map(|c| c.to_vec()).unwrap_or_default(), json, ..Default::default() };
    while let Some(row) = next_row_binary(&mut result).await? {
        if out.rows.len() == cap {
            out.truncated = true;
            break;
        }
        out.rows.push(row);
    }
    if out.truncated {
        out.truncated_by_kill = true;
        drop(result);
        // Stop producing rows nobody reads; the pool drains what is already on the way.
        client.kill_on_side(u64::from(id), true).await?;
        return Ok(out);
    }
    out.affected = result.affected_rows();
    out.last_insert_id = result.last_insert_id();
    out.warnings = result.warnings();
    out.info = result.info().into_owned();
    // Further result sets (a procedure's) are read and dropped.
    result.drop_result().await.map_err(map_error)?;
    Ok(out)
}

async fn next_row_binary(
    result: &mut mysql_async::QueryResult<'_, '_, BinaryProtocol>,
) -> Result<Option<Vec<MyValue>>, EngineError> {
    Ok(result.next().await.map_err(map_error)?.map(mysql_async::Row::unwrap))
}

/// Runs a text of one or more statements (text protocol) and keeps the last one's result.
async fn run_text(conn: &mut Conn, sql: &str, cap: usize) -> Result<Collected, EngineError> {
    let mut result = conn.query_iter(sql).await.map_err(map_error)?;
    loop {
        let mut out =
            Collected { columns: result.columns().map(|c| c.to_vec()).unwrap_or_default(), ..Default::default() };
        while let Some(row) = next_row_text(&mut result).await? {
            if out.rows.len() < cap {
                out.rows.push(row);
            } else {
                out.truncated = true;
            }
        }
        // Only once no result follows do the counts belong to this statement.
        if result.is_empty() {
            out.affected = result.affected_rows();
            out.last_insert_id = result.last_insert_id();
            out.warnings = result.warnings();
            out.info = result.info().into_owned();
            return Ok(out);
        }
    }
}

async fn next_row_text(
    result: &mut mysql_async::QueryResult<'_, '_, TextProtocol>,
) -> Result<Option<Vec<MyValue>>, EngineError> {
    Ok(result.next().await.map_err(map_error)?.map(mysql_async::Row::unwrap))
}

/// Converts the collected values, after asking the catalog which columns are MariaDB JSON.
async fn finish(
    client: &MysqlClient,
    conn: &mut Conn,
    collected: Collected,
    statements: &[Statement],
) -> Result<QueryResult, EngineError> {
    let json = match collected.json {
        // The prepared statement's columns can differ from the result's (a table changed between).
        Some(json) if json.len() == collected.columns.len() => json,
        // A text-protocol result: the connection is free again, so it is asked now.
        _ if client.kind() == Some(ServerKind::MariaDb)
            && !collected.truncated_by_kill
            && !collected.rows.is_empty() =>
        {
            json_columns(conn, &collected.columns).await?
        }
        _ => vec![false; collected.columns.len()],
    };
    let rows: Vec<Vec<Value>> = collected
        .rows
        .into_iter()
        .map(|row| {
            row.into_iter()
                .zip(collected.columns.iter().zip(&json))
                .map(|(value, (column, json))| to_json(column, value, *json))
                .collect()
        })
        .collect();
    let rows_affected = match (collected.columns.is_empty(), collected.truncated) {
        (_, true) => None,
        (true, false) => Some(collected.affected),
        (false, false) => Some(rows.len() as u64),
    };
    Ok(QueryResult {
        columns: collected.columns.iter().map(|c| c.name_str().into_owned()).collect(),
        rows,
        truncated: collected.truncated,
        rows_affected,
        command: statements.last().and_then(|s| s.words.first().cloned()),
        last_insert_id: collected.last_insert_id.filter(|id| *id > 0),
        warnings: collected.warnings,
        info: Some(collected.info).filter(|i| !i.is_empty()),
    })
}

/// Which columns MariaDB knows as `JSON`: a text `BLOB` column with the `json_valid()` check
/// MariaDB adds for that alias (or that the user wrote), found in `CHECK_CONSTRAINTS`.
pub(crate) async fn json_columns(conn: &mut Conn, columns: &[Column]) -> Result<Vec<bool>, EngineError> {
    use ColumnType::*;
    let mut json = vec![false; columns.len()];
    // Per table (schema, name): its check constraints (name, clause).
    type Checks = (String, String, Vec<(String, String)>);
    let mut seen: Vec<Checks> = Vec::new();
    for (i, column) in columns.iter().enumerate() {
        let text_blob = matches!(
            column.column_type(),
            MYSQL_TYPE_BLOB | MYSQL_TYPE_TINY_BLOB | MYSQL_TYPE_MEDIUM_BLOB | MYSQL_TYPE_LONG_BLOB
        ) && column.character_set() != 63;
        let (schema, table, name) =
            (column.schema_str().into_owned(), column.org_table_str().into_owned(), column.org_name_str().into_owned());
        if !text_blob || schema.is_empty() || table.is_empty() || name.is_empty() {
            continue;
        }
        let position = seen.iter().position(|(s, t, _)| *s == schema && *t == table);
        let position = match position {
            Some(p) => p,
            None => {
                let checks: Vec<mysql_async::Row> = conn
                    .exec(
                        "SELECT CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS \
                         WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?",
                        (schema.clone(), table.clone()),
                    )
                    .await
                    .map_err(map_error)?;
                seen.push((schema, table, typed_rows(checks)?));
                seen.len() - 1
            }
        };
        let wanted = format!("json_valid({})", super::quote_name(&name)).to_ascii_lowercase();
        json[i] = seen[position].2.iter().any(|(_, clause)| clause.to_ascii_lowercase() == wanted);
    }
    Ok(json)
}

/// Adds `position` (1-based, in characters of `sql`, as PostgreSQL's errors have it) to a syntax
/// error's details. MySQL does not send a position: its message quotes the text where parsing
/// stopped (`… near 'FORM t' at line 2`), which is found again in `sql` from that line on. The
/// quote may be cut short by the server, so it is matched as a prefix; at the end of the text
/// it is empty. Where it cannot be found, `position` is null and the message still says where.
pub fn with_position(err: EngineError, sql: &str) -> EngineError {
    let EngineError::Query { message, details: Some(mut details) } = err else { return err };
    if details["code"] == PARSE_ERROR {
        details["position"] = serde_json::json!(parse_error_position(&message, sql));
    }
    EngineError::Query { message, details: Some(details) }
}

fn parse_error_position(message: &str, sql: &str) -> Option<usize> {
    let start = message.find("near '")? + "near '".len();
    let end = message.rfind("' at line ")?;
    let near = message.get(start..end)?;
    let line: usize = message.get(end + "' at line ".len()..)?.trim().parse().ok()?;
    let line_start: usize = sql.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    let byte = if near.is_empty() {
        sql.trim_end().len()
    } else {
        match sql.get(line_start..).and_then(|rest| rest.find(near)) {
            Some(b) => line_start + b,
            None => sql.find(near)?,
        }
    };
    Some(sql.get(..byte)?.chars().count() + 1)
}

/// One statement of a text, as its words outside literals, quoted names and comments.
#[derive(Debug, Default, PartialEq)]
pub struct Statement {
    /// Its words, upper-cased, in order.
    pub words: Vec<String>,
    /// Whether it starts with `(` (a parenthesised query).
    pub starts_with_paren: bool,
    /// Whether it has an executable comment, which the server may or may not run (by version).
    pub executable_comment: bool,
}

/// Splits `sql` at `;` outside string literals, quoted names and comments, keeping the words of
/// each non-empty statement. Executable comments (`/*! … */`, `/*M! … */`) are read as code, since
/// the server runs them. A compound statement (a procedure body) splits into several here; that
/// only sends it through the text protocol, where the server itself splits it correctly.
pub fn split(sql: &str) -> Vec<Statement> {
    let chars: Vec<char> = sql.chars().collect();
    let mut statements = Vec::new();
    let mut current = Statement::default();
    let mut started = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' | '`' => {
                started = true;
                i += 1;
                while i < chars.len() {
                    if chars[i] == '\\' && c != '`' {
                        i += 2;
                        continue;
                    }
                    if chars[i] == c {
                        // A doubled quote stands for itself.
                        if chars.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            '#' => i = skip_line(&chars, i),
            '-' if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_none_or(|c| c.is_whitespace()) => {
                i = skip_line(&chars, i)
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                let executable = chars.get(i + 2) == Some(&'!')
                    || (chars.get(i + 2) == Some(&'M') && chars.get(i + 3) == Some(&'!'));
                if executable {
                    current.executable_comment = true;
                    started = true;
                    // Drop the opening (and its version number); the closing `*/` is skipped below.
                    i += if chars[i + 2] == 'M' { 4 } else { 3 };
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                } else {
                    i += 2;
                    while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                        i += 1;
                    }
                    i += 2;
                }
            }
            '*' if chars.get(i + 1) == Some(&'/') => i += 2,
            ';' => {
                if started {
                    statements.push(std::mem::take(&mut current));
                }
                started = false;
                i += 1;
            }
            c if c.is_alphanumeric() || c == '_' || c == '$' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
                    i += 1;
                }
                current.words.push(chars[start..i].iter().collect::<String>().to_uppercase());
                started = true;
            }
            c if c.is_whitespace() => i += 1,
            c => {
                if !started && c == '(' {
                    current.starts_with_paren = true;
                }
                started = true;
                i += 1;
            }
        }
    }
    if started {
        statements.push(current);
    }
    statements
}

fn skip_line(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i] != '\n' {
        i += 1;
    }
    i
}

/// Statement kinds a viewer may run: they only read (a read-only transaction stops the writes
/// a `WITH … UPDATE` or `EXPLAIN ANALYZE` would make).
const VIEWER_STATEMENTS: [&str; 8] = ["SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "VALUES", "TABLE"];

/// Words a read-only transaction lets through that reach past the database or hold others up:
/// writing server files, reading them, and named locks.
const VIEWER_FORBIDDEN: [&str; 4] = ["OUTFILE", "DUMPFILE", "LOAD_FILE", "GET_LOCK"];

/// Refuses a viewer's text unless it is one statement that only reads. This reads the SQL
/// because the server cannot be made to refuse it: see the module's documentation.
pub fn viewer_check(statements: &[Statement]) -> Result<(), EngineError> {
    let [statement] = statements else {
        return Err(EngineError::Refused("your role runs SQL read-only, one statement per request".into()));
    };
    let allowed =
        statement.starts_with_paren || statement.words.first().is_some_and(|w| VIEWER_STATEMENTS.contains(&w.as_str()));
    if !allowed {
        let what = statement.words.first().map_or("this statement".to_string(), |w| w.clone());
        return Err(EngineError::Refused(format!("your role runs SQL read-only: {what} is not allowed")));
    }
    if statement.executable_comment {
        // Whether the server runs it depends on its version: what the viewer runs cannot be read.
        return Err(EngineError::Refused("your role runs SQL read-only: executable comments are not allowed".into()));
    }
    if let Some(word) = statement.words.iter().find(|w| VIEWER_FORBIDDEN.contains(&w.as_str())) {
        return Err(EngineError::Refused(format!("your role runs SQL read-only: {word} is not allowed")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(sql: &str) -> Vec<Vec<String>> {
        split(sql).into_iter().map(|s| s.words).collect()
    }

    #[test]
    fn splits_outside_literals_and_comments() {
        assert_eq!(words("SELECT 'a;b'; -- c;\nselect `x;y` # z;\n"), vec![vec!["SELECT"], vec!["SELECT"]]);
        assert_eq!(words("/* x; */ SELECT \"it\\\"s;\" ;;"), vec![vec!["SELECT"]]);
        assert_eq!(words("/*!40101 SET x=1 */; SELECT 1"), vec![vec!["SET", "X", "1"], vec!["SELECT", "1"]]);
        assert_eq!(words("SELECT 'it''s'"), vec![vec!["SELECT"]]);
    }

    #[test]
    fn unfinished_texts_do_not_panic() {
        for sql in ["'", "\"", "`", "'\\", "/*", "/*!", "/*M!", "/*!123", "--", "#", "*/", ";", "é'", "(", "/"] {
            let _ = split(sql);
        }
        assert!(viewer_check(&split("")).is_err());
        assert!(viewer_check(&split(";")).is_err());
    }

    #[test]
    fn syntax_errors_point_into_the_text() {
        let message = |near: &str, line: usize| {
            format!("You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '{near}' at line {line}")
        };
        assert_eq!(parse_error_position(&message("FORM t", 1), "SELECT * FORM t"), Some(10));
        assert_eq!(parse_error_position(&message("FORM t", 2), "SELECT 'é',\n* FORM t"), Some(15));
        assert_eq!(parse_error_position(&message("", 1), "SELECT * FROM "), Some(14));
        assert_eq!(parse_error_position(&message("it's", 1), "SELECT it's"), Some(8));
        assert_eq!(parse_error_position(&message("nowhere", 1), "SELECT 1"), None);
        assert_eq!(parse_error_position("Table 'x' doesn't exist", "SELECT 1"), None);
    }

    #[test]
    fn viewers_read_only() {
        let check = |sql: &str| viewer_check(&split(sql)).is_ok();
        assert!(check("select * from t where a = 'INTO OUTFILE'"));
        assert!(check("(SELECT 1) UNION (SELECT 2);"));
        assert!(check("/* hi */ SHOW TABLES"));
        assert!(!check("SELECT 1; SELECT 2"));
        assert!(!check("SELECT * FROM t INTO OUTFILE '/tmp/x'"));
        assert!(!check("SELECT GET_LOCK('a', 1)"));
        assert!(!check("SELECT load_file('/etc/passwd')"));
        assert!(!check("SET GLOBAL max_connections = 1"));
        assert!(!check("LOCK TABLES t READ"));
        assert!(!check("KILL 5"));
        assert!(!check("LOAD DATA INFILE 'x' INTO TABLE t"));
        assert!(!check("/*!99999 SELECT */ DELETE FROM t"));
        assert!(!check("SELECT 1 /*! INTO OUTFILE '/tmp/x' */"));
    }
}
