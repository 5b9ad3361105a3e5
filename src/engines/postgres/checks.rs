//! The server's word on text a schema change cannot quote: a column type and an admin's SQL
//! expression (a default, a check, an index expression…).
//!
//! A type is checked for shape here (a name, an optional `(n)`/`(p,s)` of digits, `[]`s), found
//! with `to_regtype($1)` and written as the server's `format_type` of what it resolved, so the
//! caller's text never reaches the DDL. An expression is the admin's own SQL by design (as in
//! Supabase); it must be one balanced expression without `;` or comments (checked here, so it
//! cannot close the parentheses it is written in) that the server parses as `SELECT (<expr>)`,
//! prepared (never run) in a read-only transaction that is rolled back.

use super::ddl::{SqlExpr, SqlType};
use super::{map_error, PostgresClient, Session};
use crate::engines::EngineError;

/// One session for a request's checks; what they leave behind is rolled back.
pub struct Checker {
    session: Session,
}

impl Checker {
    /// Borrows a session of the connection's own login.
    pub async fn new(client: &PostgresClient) -> Result<Self, EngineError> {
        Ok(Self { session: client.session().await? })
    }

    /// The session, for catalog reads alongside the checks.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Gives the session back as it was lent (every check ended with its own rollback).
    pub fn finish(mut self) {
        self.session.unchanged();
    }

    /// Resolves a column type: `what` names the field (`columns[1] "price" type`) in errors.
    pub async fn resolve_type(&self, text: &str, what: &str) -> Result<SqlType, EngineError> {
        let shape = type_shape(text).ok_or_else(|| {
            EngineError::Config(format!(
                "{what} must be a type name (optionally schema-qualified), with an optional (n) or (p,s) \
                 modifier of digits and [] suffixes"
            ))
        })?;
        let session = &self.session;
        let statement = session.prepare_cached("SELECT to_regtype($1)::oid").await.map_err(map_error)?;
        let row = session.query_one(&statement, &[&shape.trim()]).await.map_err(map_error)?;
        let oid: Option<u32> = row.get(0);
        let oid = oid.ok_or_else(|| EngineError::Config(format!("{what}: no such type")))?;
        let typmod = if shape.has_modifier {
            // The modifier's meaning depends on the type (varchar(n) is n + 4, numeric packs
            // precision and scale): the server's parser computes it from the checked text, in a
            // statement that is prepared, never run, and rolled back.
            let probe = format!("SELECT NULL::{}", shape.trim());
            let statement = self.prepared(&probe).await.map_err(|e| invalid(what, e))?;
            let column = statement.columns().first();
            if column.map(|c| c.type_().oid()) != Some(oid) {
                return Err(EngineError::Config(format!("{what}: the modifier does not apply to this type")));
            }
            column.map_or(-1, |c| c.type_modifier())
        } else {
            -1
        };
        let statement = session.prepare_cached("SELECT format_type($1::oid, $2::int4)").await.map_err(map_error)?;
        let row = session.query_one(&statement, &[&oid, &typmod]).await.map_err(map_error)?;
        Ok(SqlType(row.get(0)))
    }

    /// Checks an admin's expression: `what` names the field; `from` is the `FROM …` the expression
    /// is read in (the table whose columns it may use), built from quoted names.
    pub async fn check_expression(&self, expr: &str, what: &str, from: Option<&str>) -> Result<SqlExpr, EngineError> {
        scan_expression(expr).map_err(|why| EngineError::Config(format!("{what} {why}")))?;
        let sql = match from {
            Some(from) => format!("SELECT ({expr}) {from}"),
            None => format!("SELECT ({expr})"),
        };
        let statement = self.prepared(&sql).await.map_err(|e| invalid(what, e))?;
        if !statement.params().is_empty() {
            return Err(EngineError::Config(format!("{what} must not use parameters ($1…)")));
        }
        if statement.columns().len() != 1 {
            return Err(EngineError::Config(format!("{what} must be one SQL expression")));
        }
        Ok(SqlExpr(expr.trim().to_string()))
    }

    /// Prepares `sql` (parsed and analysed, never run) in a read-only transaction rolled back after.
    async fn prepared(&self, sql: &str) -> Result<tokio_postgres::Statement, tokio_postgres::Error> {
        let session = &self.session;
        session.batch_execute("BEGIN READ ONLY").await?;
        let prepared = session.prepare(sql).await;
        session.batch_execute("ROLLBACK").await?;
        prepared
    }
}

fn invalid(what: &str, err: tokio_postgres::Error) -> EngineError {
    match err.as_db_error() {
        Some(db) => EngineError::Config(format!("{what} is not accepted by PostgreSQL: {}", db.message())),
        None => map_error(err),
    }
}

/// A type's text that passed [`type_shape`].
struct TypeShape<'a> {
    text: &'a str,
    has_modifier: bool,
}

impl TypeShape<'_> {
    fn trim(&self) -> &str {
        self.text.trim()
    }
}

/// Checks a type's shape: `name` or `schema.name` (each part a quoted identifier or unquoted words
/// such as `double precision`), then optionally `(digits)` or `(digits, digits)`, then `[]` or
/// `[digits]` any number of times. Anything else (a `;`, a quote left open, an operator) is refused.
fn type_shape(text: &str) -> Option<TypeShape<'_>> {
    let bytes = text.trim().as_bytes();
    let mut i = 0;
    let skip_spaces = |i: &mut usize| {
        while *i < bytes.len() && bytes[*i] == b' ' {
            *i += 1;
        }
    };
    let name_part = |i: &mut usize| -> Option<()> {
        if bytes.get(*i) == Some(&b'"') {
            *i += 1;
            let start = *i;
            loop {
                match bytes.get(*i)? {
                    b'"' if bytes.get(*i + 1) == Some(&b'"') => *i += 2,
                    b'"' => break,
                    0 => return None,
                    _ => *i += 1,
                }
            }
            if *i == start {
                return None;
            }
            *i += 1;
            return Some(());
        }
        let word = |i: &mut usize| -> bool {
            let start = *i;
            while *i < bytes.len()
                && (bytes[*i].is_ascii_alphabetic()
                    || bytes[*i] == b'_'
                    || (*i > start && (bytes[*i].is_ascii_digit() || bytes[*i] == b'$')))
            {
                *i += 1;
            }
            *i > start
        };
        if !word(i) {
            return None;
        }
        // More words (`double precision`, `timestamp with time zone`).
        loop {
            let before = *i;
            skip_spaces(i);
            if *i == before || !word(i) {
                *i = before;
                return Some(());
            }
        }
    };
    name_part(&mut i)?;
    skip_spaces(&mut i);
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        skip_spaces(&mut i);
        name_part(&mut i)?;
        skip_spaces(&mut i);
    }
    let digits = |i: &mut usize| -> bool {
        let start = *i;
        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start && *i - start <= 9
    };
    let mut has_modifier = false;
    if bytes.get(i) == Some(&b'(') {
        i += 1;
        skip_spaces(&mut i);
        if !digits(&mut i) {
            return None;
        }
        skip_spaces(&mut i);
        if bytes.get(i) == Some(&b',') {
            i += 1;
            skip_spaces(&mut i);
            if !digits(&mut i) {
                return None;
            }
            skip_spaces(&mut i);
        }
        if bytes.get(i) != Some(&b')') {
            return None;
        }
        i += 1;
        has_modifier = true;
        skip_spaces(&mut i);
    }
    while bytes.get(i) == Some(&b'[') {
        i += 1;
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i - start > 9 || bytes.get(i) != Some(&b']') {
            return None;
        }
        i += 1;
        skip_spaces(&mut i);
    }
    (i == bytes.len()).then_some(TypeShape { text, has_modifier })
}

/// Checks that an expression stays inside the parentheses it will be written in: parentheses
/// balanced outside quotes, no `;`, no comments, every quote closed. The reason is returned.
fn scan_expression(expr: &str) -> Result<(), &'static str> {
    let bytes = expr.as_bytes();
    if expr.trim().is_empty() {
        return Err("must not be empty");
    }
    if expr.contains('\0') {
        return Err("must not contain a NUL character");
    }
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
    let mut depth: usize = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let prev = if i == 0 { None } else { Some(bytes[i - 1]) };
        match b {
            b'(' => depth += 1,
            b')' => depth = depth.checked_sub(1).ok_or("closes a parenthesis it did not open")?,
            b';' => return Err("must be one expression (no `;`)"),
            b'-' if bytes.get(i + 1) == Some(&b'-') => return Err("must not contain comments"),
            b'/' if bytes.get(i + 1) == Some(&b'*') => return Err("must not contain comments"),
            b'\'' => {
                // An E'…' string reads backslash escapes; a plain one does not (with
                // standard_conforming_strings on). A backslash before a quote would read
                // differently with it off, so it is refused in a plain string.
                let escapes = matches!(prev, Some(b'E' | b'e')) && (i < 2 || !is_word(bytes[i - 2]));
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return Err("leaves a quote open"),
                        Some(b'\\') if escapes => i += 2,
                        Some(b'\\') if bytes.get(i + 1) == Some(&b'\'') => {
                            return Err("must not put a backslash before a quote in a string (use E'…' or '')")
                        }
                        Some(b'\'') if bytes.get(i + 1) == Some(&b'\'') => i += 2,
                        Some(b'\'') => break,
                        Some(_) => i += 1,
                    }
                }
            }
            b'"' => {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return Err("leaves a quote open"),
                        Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
            }
            b'$' if !prev.is_some_and(is_word) => {
                // `$tag$…$tag$` (or `$$…$$`); `$1` is a parameter, refused by the server check.
                // A tag reads like an identifier without `$`: a letter or `_`, then digits too.
                let tag_len = bytes[i + 1..]
                    .iter()
                    .enumerate()
                    .position(|(n, &c)| {
                        !(c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 || (n > 0 && c.is_ascii_digit()))
                    })
                    .unwrap_or(bytes.len() - i - 1);
                if bytes.get(i + 1 + tag_len) == Some(&b'$') {
                    let tag = &expr[i..i + tag_len + 2];
                    let body_start = i + tag_len + 2;
                    let close = expr[body_start..].find(tag).ok_or("leaves a dollar quote open")?;
                    i = body_start + close + tag.len() - 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if depth != 0 {
        return Err("leaves a parenthesis open");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_shapes() {
        for ok in [
            "int",
            "int4",
            "text[]",
            "varchar(10)",
            "numeric(10, 2)",
            "double precision",
            "timestamp with time zone",
            "public.my_type",
            "\"Odd \"\"Type\"\"\"",
            "\"My Schema\".\"naïve\"[][]",
            "int[3]",
        ] {
            assert!(type_shape(ok).is_some(), "{ok}");
        }
        for bad in [
            "int); DROP TABLE victim; --",
            "int;",
            "varchar(x)",
            "numeric(1,2,3)",
            "int[",
            "\"open",
            "a.b.c",
            "int -- x",
            "text COLLATE \"C\"",
            "",
            "int[] x",
            "int(1)(2)",
        ] {
            assert!(type_shape(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn expressions_stay_inside_their_parentheses() {
        for ok in [
            "now()",
            "'a;b'",
            "'it''s'",
            "E'a\\'b'",
            "(1 + 2) * 3",
            "\"Odd)\" > 0",
            "$$ ) ; $$",
            "$x$ -- $x$",
            "price > 0 AND name <> ''",
            "a$b",
            "$a1$ ) $a1$",
        ] {
            assert_eq!(scan_expression(ok), Ok(()), "{ok}");
        }
        for bad in [
            "1; DROP TABLE victim",
            "1) FROM victim WHERE (1",
            "1 -- comment",
            "1 /* c */",
            "'open",
            "\"open",
            "(1",
            "$$ open",
            "$a1$($a1$) FROM victim WHERE (true",
            "'a\\'); DROP TABLE victim; --'",
            "",
        ] {
            assert!(scan_expression(bad).is_err(), "{bad}");
        }
    }
}
