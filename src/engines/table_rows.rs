//! What the Table Editor's rows API means on every SQL engine, written once: the `order`,
//! `filter` and `select` texts of a page request read against a table's column names, the opaque
//! cursor (bound to the table, orders and filters it was given for), and the shapes of a row
//! write (`RowUpdate`, `RowKey`) and of its refusal (`UpdateError`). Each engine turns these
//! into its own SQL (names quoted by its own rules, values bound) in `engines/<engine>/rows.rs`.

use base64::Engine as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::EngineError;

/// Rows per page unless asked otherwise.
pub const DEFAULT_LIMIT: usize = 100;
/// Most rows per page, and most rows one write call may name.
pub const MAX_LIMIT: usize = 1_000;

/// A table as the request parsers see it: its column names, in order, and how messages name it.
pub trait RowColumns {
    /// The columns' names, in order.
    fn column_names(&self) -> Vec<&str>;
    /// The table's name as messages show it.
    fn label(&self) -> String;
}

/// The index of the column `name`.
pub fn column_index(table: &impl RowColumns, name: &str) -> Option<usize> {
    table.column_names().iter().position(|c| *c == name)
}

/// The index of the column `name`, or an error naming `what` asked for it.
pub fn column_named(table: &impl RowColumns, name: &str, what: &str) -> Result<usize, EngineError> {
    column_index(table, name)
        .ok_or_else(|| EngineError::Config(format!("{what}: {} has no column {name:?}", table.label())))
}

/// The columns whose name starts `text` followed by `.`, the longest name first (a column may
/// itself contain dots), each with the rest of the text.
fn split_column<'t>(table: &impl RowColumns, text: &'t str) -> Vec<(usize, &'t str)> {
    let names = table.column_names();
    let mut found: Vec<(usize, &str)> = names
        .iter()
        .enumerate()
        .filter_map(|(i, n)| text.strip_prefix(n).and_then(|r| r.strip_prefix('.')).map(|r| (i, r)))
        .collect();
    found.sort_by_key(|(i, _)| std::cmp::Reverse(names[*i].len()));
    found
}

/// One `order` of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    /// The column's index.
    pub column: usize,
    /// Largest first.
    pub descending: bool,
    /// NULLs before values.
    pub nulls_first: bool,
}

impl OrderBy {
    /// Reads `column.asc|desc[.nullsfirst|.nullslast]`. Without a NULLs placement, NULLs sort as
    /// larger than any value (PostgreSQL's rule, kept on every engine so pages read the same).
    pub fn parse(table: &impl RowColumns, text: &str) -> Result<Self, EngineError> {
        for (column, rest) in split_column(table, text) {
            let mut parts = rest.split('.');
            let descending = match parts.next() {
                Some("asc") => false,
                Some("desc") => true,
                _ => continue,
            };
            let nulls_first = match parts.next() {
                None => descending,
                Some("nullsfirst") => true,
                Some("nullslast") => false,
                Some(_) => continue,
            };
            if parts.next().is_some() {
                continue;
            }
            return Ok(Self { column, descending, nulls_first });
        }
        Err(EngineError::Config(format!(
            "order {text:?}: expected column.asc or column.desc (optionally .nullsfirst or .nullslast) naming a \
             column of {}",
            table.label()
        )))
    }
}

/// A filter's comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterOp {
    /// `=`, `<>`, `<`, `<=`, `>`, `>=` and the value.
    Compare(&'static str, String),
    /// `LIKE` or `ILIKE` (case-insensitive) and the pattern, matched against the value as text.
    Like(&'static str, String),
    /// One of these values.
    In(Vec<String>),
    /// `IS` and `NULL`, `NOT NULL`, `TRUE`, `FALSE` or `UNKNOWN`.
    Is(&'static str),
}

/// One `filter` of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The column's index.
    pub column: usize,
    /// What it is compared with.
    pub op: FilterOp,
}

impl Filter {
    /// Reads `column.op.value` (`eq neq lt lte gt gte like ilike in is`) or `column.null` /
    /// `column.notnull`.
    pub fn parse(table: &impl RowColumns, text: &str) -> Result<Self, EngineError> {
        for (column, rest) in split_column(table, text) {
            let (op, value) = match rest.split_once('.') {
                Some((op, value)) => (op, Some(value)),
                None => (rest, None),
            };
            let op = match (op, value) {
                ("null", None) => FilterOp::Is("NULL"),
                ("notnull", None) => FilterOp::Is("NOT NULL"),
                ("is", Some(v)) => match v.to_ascii_lowercase().as_str() {
                    "null" => FilterOp::Is("NULL"),
                    "notnull" => FilterOp::Is("NOT NULL"),
                    "true" => FilterOp::Is("TRUE"),
                    "false" => FilterOp::Is("FALSE"),
                    "unknown" => FilterOp::Is("UNKNOWN"),
                    _ => {
                        return Err(EngineError::Config(format!(
                            "filter {text:?}: `is` takes null, notnull, true, false or unknown"
                        )))
                    }
                },
                ("in", Some(v)) => FilterOp::In(parse_list(v).ok_or_else(|| {
                    EngineError::Config(format!(
                        "filter {text:?}: `in` takes a list in parentheses, e.g. (1,2,\"a,b\")"
                    ))
                })?),
                ("like", Some(v)) => FilterOp::Like("LIKE", v.to_string()),
                ("ilike", Some(v)) => FilterOp::Like("ILIKE", v.to_string()),
                (op, Some(v)) => {
                    let sql = match op {
                        "eq" => "=",
                        "neq" => "<>",
                        "lt" => "<",
                        "lte" => "<=",
                        "gt" => ">",
                        "gte" => ">=",
                        _ => continue,
                    };
                    FilterOp::Compare(sql, v.to_string())
                }
                _ => continue,
            };
            return Ok(Self { column, op });
        }
        Err(EngineError::Config(format!(
            "filter {text:?}: expected column.op.value with op one of eq, neq, lt, lte, gt, gte, like, ilike, in, \
             is, or column.null / column.notnull, naming a column of {}",
            table.label()
        )))
    }
}

/// Reads `(a,b,"c,d")` (items may be double-quoted, with `\"` and `\\` inside quotes).
fn parse_list(text: &str) -> Option<Vec<String>> {
    let inner = text.strip_prefix('(')?.strip_suffix(')')?;
    let mut items = Vec::new();
    let mut chars = inner.chars().peekable();
    if inner.is_empty() {
        return Some(items);
    }
    loop {
        let mut item = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => item.push(chars.next()?),
                    c => item.push(c),
                }
            }
            match chars.next() {
                None => {
                    items.push(item);
                    return Some(items);
                }
                Some(',') => {}
                Some(_) => return None,
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        items.push(item);
                        return Some(items);
                    }
                    Some(',') => break,
                    Some(c) => item.push(c),
                }
            }
        }
        items.push(item);
    }
}

/// What a page asks for.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Rows per page (1..=1000).
    pub limit: usize,
    /// Orders, before the primary key.
    pub order: Vec<OrderBy>,
    /// Filters, all of which must hold.
    pub filters: Vec<Filter>,
    /// The columns to return (all when `None`).
    pub select: Option<Vec<usize>>,
    /// Where the previous page ended.
    pub cursor: Option<String>,
    /// Count exactly instead of estimating.
    pub exact_count: bool,
}

impl PageRequest {
    /// Indexes of the columns a page of a table of `column_count` columns returns: those
    /// selected, else all.
    pub fn picked(&self, column_count: usize) -> Vec<usize> {
        match &self.select {
            Some(picked) if !picked.is_empty() => picked.clone(),
            _ => (0..column_count).collect(),
        }
    }

    /// Reads `select` values: each a column name, or several separated by commas.
    pub fn parse_select(table: &impl RowColumns, values: &[String]) -> Result<Vec<usize>, EngineError> {
        let mut picked = Vec::new();
        for value in values {
            let names: Vec<&str> =
                if column_index(table, value).is_some() { vec![value.as_str()] } else { value.split(',').collect() };
            for name in names {
                let index = column_named(table, name.trim(), "select")?;
                if !picked.contains(&index) {
                    picked.push(index);
                }
            }
        }
        Ok(picked)
    }
}

/// How a page continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Paging {
    /// After the last row's key values.
    Keyset,
    /// By position (no primary key).
    Offset,
}

/// What a cursor carries: the page spec it belongs to and where the previous page ended.
#[derive(Debug, Serialize, Deserialize)]
pub struct CursorData {
    /// A fingerprint of the table, orders and filters.
    pub s: String,
    /// Key values of the last row (keyset), as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<Vec<Option<String>>>,
    /// Rows already returned (offset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub o: Option<u64>,
}

impl CursorData {
    /// The fingerprint a cursor of `table` (its id as text) and `request` carries.
    pub fn fingerprint(table: &str, request: &PageRequest) -> String {
        let spec = format!("{table}|{:?}|{:?}", request.order, request.filters);
        hex::encode(&Sha256::digest(spec.as_bytes())[..12])
    }

    /// The opaque text a page answers.
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads a cursor, refusing one given for another table, order or filter.
    pub fn decode(text: &str, expected: &str) -> Result<Self, EngineError> {
        let bad = || EngineError::Config("cursor is not one this route gave out; start again without it".into());
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let data: Self = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if data.s != expected {
            return Err(EngineError::Config(
                "cursor belongs to another order or filter; start again without it".into(),
            ));
        }
        Ok(data)
    }
}

/// The cursor did not fit the table's paging.
pub fn cursor_misfit() -> EngineError {
    EngineError::Config("cursor does not fit this table's paging; start again without it".into())
}

/// Why a row update did not happen.
#[derive(Debug)]
pub enum UpdateError {
    /// The row changed (or went) since the editor read it: its current values, nothing written.
    Stale {
        /// The primary key asked for.
        pk: Map<String, Value>,
        /// The row as it is now, or `None` if it is gone.
        current: Option<Map<String, Value>>,
    },
    /// Anything else.
    Engine(EngineError),
}

impl From<EngineError> for UpdateError {
    fn from(e: EngineError) -> Self {
        Self::Engine(e)
    }
}

/// One row to change.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RowUpdate {
    /// The primary key of the row.
    pub pk: Map<String, Value>,
    /// The new values.
    pub set: Map<String, Value>,
    /// The values the editor saw; a row that differs now is not written (409).
    #[serde(default)]
    pub expect: Option<Map<String, Value>>,
}

/// One row to delete.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RowKey {
    /// The primary key of the row.
    pub pk: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_quoted_items() {
        assert_eq!(parse_list("(1,2,3)").unwrap(), vec!["1", "2", "3"]);
        assert_eq!(parse_list("(\"a,b\",c)").unwrap(), vec!["a,b", "c"]);
        assert_eq!(parse_list("(\"say \\\"hi\\\"\")").unwrap(), vec!["say \"hi\""]);
        assert_eq!(parse_list("()").unwrap(), Vec::<String>::new());
        assert!(parse_list("1,2").is_none());
        assert!(parse_list("(\"a\"b)").is_none());
    }
}
