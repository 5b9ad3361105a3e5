//! Schema changes: statements built from quoted identifiers and quoted literals (never pasted user
//! text), shown unrun for a dry run, or applied in one transaction under a lock timeout.
//!
//! Why a lock timeout: `ALTER TABLE` waits for an exclusive lock, and while it waits every later
//! query on that table queues behind it. A change that cannot get its lock in time fails (409)
//! instead, and the session holding the lock is untouched.

use std::fmt;
use std::time::Duration;

use super::{map_error, PostgresClient, SqlCaller};
use crate::engines::EngineError;

/// Longest identifier PostgreSQL keeps (NAMEDATALEN - 1 bytes); a longer one would be cut silently.
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// A checked identifier (a schema, table, column, role… name), written double-quoted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident(String);

impl Ident {
    /// Checks a name: not empty, no NUL, at most 63 bytes. `what` names the field in the error.
    pub fn new(name: &str, what: &str) -> Result<Self, EngineError> {
        if name.is_empty() {
            return Err(EngineError::Config(format!("{what} must not be empty")));
        }
        if name.contains('\0') {
            return Err(EngineError::Config(format!("{what} must not contain a NUL character")));
        }
        if name.len() > MAX_IDENTIFIER_BYTES {
            return Err(EngineError::Config(format!(
                "{what} is {} bytes long; PostgreSQL keeps at most {MAX_IDENTIFIER_BYTES}",
                name.len()
            )));
        }
        Ok(Self(name.to_string()))
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&quote_ident(&self.0))
    }
}

/// `schema.name`, both quoted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QualifiedName {
    /// The schema.
    pub schema: Ident,
    /// The object in it.
    pub name: Ident,
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// An identifier in double quotes, inner quotes doubled (PostgreSQL's `quote_ident`, always quoted
/// so case, spaces and reserved words survive).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A string literal as PostgreSQL's `quote_literal` writes it: quotes doubled, and with an `E`
/// prefix and doubled backslashes when it holds a backslash, so it reads the same whatever
/// `standard_conforming_strings` says.
pub fn quote_literal(text: &str) -> Result<String, EngineError> {
    if text.contains('\0') {
        return Err(EngineError::Config("a text value must not contain a NUL character".into()));
    }
    let quoted = text.replace('\'', "''");
    Ok(if quoted.contains('\\') { format!("E'{}'", quoted.replace('\\', "\\\\")) } else { format!("'{quoted}'") })
}

impl QualifiedName {
    /// Checks both parts; `what` names the field in errors (`schema` / `name`).
    pub fn new(schema: &str, name: &str, what: &str) -> Result<Self, EngineError> {
        Ok(Self { schema: Ident::new(schema, &format!("{what} schema"))?, name: Ident::new(name, what)? })
    }
}

/// A column type as the server writes it (`format_type` of a resolved oid and typmod), never the
/// caller's text. Made only by [`super::checks::resolve_type`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlType(pub(super) String);

impl SqlType {
    /// A type as the catalog spells it (`format_type` of an existing column).
    pub fn from_catalog(text: String) -> Self {
        Self(text)
    }

    /// The server's spelling.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An admin's SQL expression that the server parsed as one expression (see
/// [`super::checks::check_expression`]), written in parentheses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlExpr(pub(super) String);

impl fmt::Display for SqlExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({})", self.0)
    }
}

/// What a foreign key does when the referenced row is deleted or updated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
pub enum FkAction {
    /// Refuse at the end of the statement (the default).
    #[default]
    #[serde(rename = "NO ACTION")]
    NoAction,
    /// Refuse at once.
    #[serde(rename = "RESTRICT")]
    Restrict,
    /// Delete or update the referencing rows too.
    #[serde(rename = "CASCADE")]
    Cascade,
    /// Set the referencing column to NULL.
    #[serde(rename = "SET NULL")]
    SetNull,
    /// Set the referencing column to its default.
    #[serde(rename = "SET DEFAULT")]
    SetDefault,
}

impl FkAction {
    /// The SQL keywords.
    pub fn sql(self) -> &'static str {
        match self {
            Self::NoAction => "NO ACTION",
            Self::Restrict => "RESTRICT",
            Self::Cascade => "CASCADE",
            Self::SetNull => "SET NULL",
            Self::SetDefault => "SET DEFAULT",
        }
    }
}

/// How an identity column takes its values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
pub enum IdentityGeneration {
    /// A value given on insert wins.
    #[default]
    #[serde(rename = "BY DEFAULT")]
    ByDefault,
    /// Always generated (an insert must say `OVERRIDING SYSTEM VALUE` to give one).
    #[serde(rename = "ALWAYS")]
    Always,
}

impl IdentityGeneration {
    /// The SQL keywords.
    pub fn sql(self) -> &'static str {
        match self {
            Self::ByDefault => "BY DEFAULT",
            Self::Always => "ALWAYS",
        }
    }
}

/// An index access method.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IndexMethod {
    /// B-tree (the default).
    #[default]
    Btree,
    /// Hash.
    Hash,
    /// GiST.
    Gist,
    /// GIN.
    Gin,
    /// SP-GiST.
    Spgist,
    /// BRIN.
    Brin,
}

impl IndexMethod {
    /// The method's name in SQL.
    pub fn sql(self) -> &'static str {
        match self {
            Self::Btree => "btree",
            Self::Hash => "hash",
            Self::Gist => "gist",
            Self::Gin => "gin",
            Self::Spgist => "spgist",
            Self::Brin => "brin",
        }
    }
}

/// `CASCADE` when asked for, else nothing (PostgreSQL's default is `RESTRICT`).
pub fn cascade(yes: bool) -> &'static str {
    if yes {
        " CASCADE"
    } else {
        ""
    }
}

/// `'text'`, or `NULL` for none (a `COMMENT ON … IS NULL` removes the comment).
pub fn literal_or_null(text: Option<&str>) -> Result<String, EngineError> {
    text.map_or(Ok("NULL".to_string()), quote_literal)
}

/// The statements of one schema change.
#[derive(Clone, Debug, Default)]
pub struct DdlPlan {
    /// Each statement, without its terminating semicolon.
    pub statements: Vec<String>,
    /// Whether they run in one transaction (`CREATE INDEX CONCURRENTLY` cannot).
    pub transactional: bool,
}

impl DdlPlan {
    /// A plan run in one transaction.
    pub fn new(statements: Vec<String>) -> Self {
        Self { statements, transactional: true }
    }

    /// A plan whose statements cannot run inside a transaction (`… CONCURRENTLY`).
    pub fn outside_transaction(statements: Vec<String>) -> Self {
        Self { statements, transactional: false }
    }

    /// The SQL as it would run, one statement per line.
    pub fn sql(&self) -> String {
        let mut text = String::new();
        for statement in &self.statements {
            text.push_str(statement);
            text.push_str(";\n");
        }
        text
    }
}

/// "lock not available": `lock_timeout` expired.
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// Runs a schema change as the connection's own login: in one transaction (when the plan allows)
/// with `lock_timeout` set, so a busy object fails fast and nothing is left half done.
pub async fn apply(client: &PostgresClient, plan: &DdlPlan) -> Result<(), EngineError> {
    if plan.statements.is_empty() {
        return Ok(());
    }
    let lock_timeout = client.lock_timeout();
    let session = client.session_for(SqlCaller::Writer).await?;
    let timeout_ms = lock_timeout.as_millis();
    let result = async {
        if plan.transactional {
            session.batch_execute(&format!("BEGIN; SET LOCAL lock_timeout = {timeout_ms}")).await?;
        } else {
            session.batch_execute(&format!("SET lock_timeout = {timeout_ms}")).await?;
        }
        for statement in &plan.statements {
            session.batch_execute(statement).await?;
        }
        if plan.transactional {
            session.batch_execute("COMMIT").await?;
        }
        Ok::<(), tokio_postgres::Error>(())
    }
    .await;
    // The session is reset before it is lent again (it is marked changed), which also ends a
    // transaction a failure left open and the session-level lock_timeout.
    result.map_err(|e| lock_error(e, lock_timeout))
}

fn lock_error(err: tokio_postgres::Error, lock_timeout: Duration) -> EngineError {
    if err.code().is_some_and(|c| c.code() == LOCK_NOT_AVAILABLE) {
        return EngineError::Conflict(format!(
            "the change waited {} ms for a lock another session holds on the object and gave up; nothing \
             was changed. Try again when that session is done, or raise the connection's \
             options.lock_timeout",
            lock_timeout.as_millis()
        ));
    }
    map_error(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_always_quoted_with_quotes_doubled() {
        assert_eq!(quote_ident("users"), "\"users\"");
        assert_eq!(quote_ident("Mixed Case"), "\"Mixed Case\"");
        assert_eq!(quote_ident("a\"; DROP TABLE x; --"), "\"a\"\"; DROP TABLE x; --\"");
        assert!(Ident::new("", "name").is_err());
        assert!(Ident::new("a\0b", "name").is_err());
        assert!(Ident::new(&"é".repeat(32), "name").is_err());
        assert!(Ident::new(&"é".repeat(31), "name").is_ok());
    }

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(quote_literal("it's").unwrap(), "'it''s'");
        assert_eq!(quote_literal("a\\'b").unwrap(), "E'a\\\\''b'");
        assert!(quote_literal("a\0").is_err());
    }
}
