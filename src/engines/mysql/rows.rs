//! The Table Editor's rows on MariaDB/MySQL: pages of one table (named by database and name) with
//! the typed filters and orders every SQL engine shares (`engines::table_rows`), and row writes
//! named by primary key, each call one transaction.
//!
//! Every statement is built from names the catalog gave (quoted with backticks) and bound
//! parameters: a filter or a cell value never becomes SQL text. A value travels as the page showed
//! it (see `types.rs`) and is bound by its column's kind: integers as integers (exact past 2^53),
//! `\x…` hex as bytes in a binary column, objects and arrays as JSON text, anything else as text
//! the server converts to the column's type (strict mode refuses a bad one, naming the column).
//!
//! Paging. A table with a primary key is paged by keyset: ordered by the requested columns plus
//! the key, the next page starts after the last row's values of those columns (carried in the
//! cursor as the page showed them), so page 5,000 costs what page 1 costs. A view, or a table
//! without a primary key, is paged by offset and says so. NULLs sort as larger than any value
//! unless asked otherwise, as on PostgreSQL, so a page reads the same on both.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Value as MyValue};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use super::query::{run_statement, QueryResult};
use super::{catalog, map_error, quote_name, MysqlClient};
use crate::engines::table_rows::{
    column_named, cursor_misfit, CursorData, Filter, FilterOp, OrderBy, PageRequest, Paging, RowColumns, RowKey,
    RowUpdate, UpdateError,
};
use crate::engines::EngineError;

/// Where a single-column foreign key points.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ForeignKeyTarget {
    /// Referenced database.
    pub schema: String,
    /// Referenced table.
    pub table: String,
    /// Referenced column.
    pub column: String,
}

/// A column as the Table Editor needs it (the fields PostgreSQL's editor columns have, where
/// MySQL has them).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RowColumn {
    /// Column name.
    pub name: String,
    /// The full type as declared (`varchar(20)`, `int(10) unsigned`, `enum('a','b')`).
    #[serde(rename = "type")]
    pub type_name: String,
    /// The bare type name (`varchar`, `int`, `enum`).
    pub format: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The default expression as the server prints it.
    pub default: Option<String>,
    /// Whether the column is part of the primary key.
    pub primary_key: bool,
    /// The row this column points at, for a single-column foreign key.
    pub foreign_key: Option<ForeignKeyTarget>,
    /// The labels of an `enum` column, in order.
    pub enum_values: Option<Vec<String>>,
    /// Whether the editor may change it (a base table's column that is not generated).
    pub updatable: bool,
    /// Whether it is `AUTO_INCREMENT`.
    pub identity: bool,
    /// Whether it is a generated (virtual or stored) column.
    pub generated: bool,
}

impl RowColumn {
    fn is_integer(&self) -> bool {
        matches!(self.format.as_str(), "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" | "year")
    }

    fn is_binary(&self) -> bool {
        matches!(self.format.as_str(), "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob")
    }

    /// The placeholder of a value compared with or written to this column: a DECIMAL compared
    /// with text would be compared as a double, so the text is made a decimal first.
    fn placeholder(&self) -> &'static str {
        match self.format.as_str() {
            "decimal" | "numeric" => "CAST(? AS DECIMAL(65,30))",
            _ => "?",
        }
    }

    /// The value `value` (as a page shows it) bound for this column.
    fn param(&self, value: &Value) -> Result<MyValue, EngineError> {
        let bad = |m: &str| EngineError::Config(format!("column {}: {m}", quote_name(&self.name)));
        Ok(match value {
            Value::Null => MyValue::NULL,
            Value::Bool(b) => MyValue::Int(i64::from(*b)),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => MyValue::Int(i),
                (None, Some(u)) => MyValue::UInt(u),
                _ => MyValue::Double(n.as_f64().ok_or_else(|| bad("not a number"))?),
            },
            Value::String(s) if self.is_binary() => match s.strip_prefix("\\x") {
                Some(hex_text) => MyValue::Bytes(hex::decode(hex_text).map_err(|_| bad("invalid \\x hex bytes"))?),
                None => MyValue::Bytes(s.clone().into_bytes()),
            },
            Value::String(s) if self.is_integer() => match (s.parse::<i64>(), s.parse::<u64>()) {
                (Ok(i), _) => MyValue::Int(i),
                (_, Ok(u)) => MyValue::UInt(u),
                _ => MyValue::Bytes(s.clone().into_bytes()),
            },
            Value::String(s) => MyValue::Bytes(s.clone().into_bytes()),
            Value::Array(_) | Value::Object(_) => MyValue::Bytes(value.to_string().into_bytes()),
        })
    }
}

/// A table or view the editor can browse.
#[derive(Debug, Clone)]
pub struct Table {
    /// Its database.
    pub database: String,
    /// Its name.
    pub name: String,
    /// Whether rows can be written (a base table).
    pub is_table: bool,
    /// Its columns, in order.
    pub columns: Vec<RowColumn>,
    /// Indexes into `columns` of the primary key, in key order.
    pub primary_key: Vec<usize>,
}

impl RowColumns for Table {
    fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    fn label(&self) -> String {
        self.sql_name()
    }
}

impl Table {
    /// `` `database`.`name` ``.
    fn sql_name(&self) -> String {
        format!("{}.{}", quote_name(&self.database), quote_name(&self.name))
    }

    fn column_sql(&self, index: usize) -> String {
        quote_name(&self.columns[index].name)
    }

    /// Names of the primary key columns.
    pub fn primary_key_names(&self) -> Vec<String> {
        self.primary_key.iter().map(|&i| self.columns[i].name.clone()).collect()
    }
}

/// Reads the labels of `enum('a','b''c')`.
fn enum_labels(column_type: &str) -> Option<Vec<String>> {
    let inner = column_type.strip_prefix("enum(")?.strip_suffix(')')?;
    let mut labels = Vec::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut label = String::new();
        loop {
            match chars.next()? {
                '\'' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    label.push('\'');
                }
                '\'' => break,
                '\\' => label.push(chars.next()?),
                c => label.push(c),
            }
        }
        labels.push(label);
    }
    Some(labels)
}

/// Reads the table `database`.`name` from the catalog.
pub async fn describe(client: &MysqlClient, database: &str, name: &str) -> Result<Table, EngineError> {
    let columns = catalog::columns(client, database, Some(name)).await?;
    if columns.is_empty() {
        return Err(EngineError::NotFound(format!("no table or view {}.{}", quote_name(database), quote_name(name))));
    }
    let is_table = catalog::tables(client, database).await?.iter().any(|t| t.name == name);
    let key_names: Vec<String> = catalog::indexes(client, database, Some(name))
        .await?
        .into_iter()
        .find(|i| i.name == "PRIMARY")
        .map(|i| i.columns)
        .unwrap_or_default();
    let foreign_keys = catalog::foreign_keys(client, database).await?;
    let columns: Vec<RowColumn> = columns
        .into_iter()
        .map(|c| {
            let extra = c.extra.to_ascii_lowercase();
            let generated = extra.contains("generated") || extra.contains("virtual") || extra.contains("persistent");
            let foreign_key = foreign_keys
                .iter()
                .find(|k| k.table == name && k.columns.len() == 1 && k.columns[0] == c.name)
                .map(|k| ForeignKeyTarget {
                    schema: k.referenced_database.clone(),
                    table: k.referenced_table.clone(),
                    column: k.referenced_columns[0].clone(),
                });
            RowColumn {
                enum_values: if c.data_type == "enum" { enum_labels(&c.column_type) } else { None },
                primary_key: key_names.contains(&c.name),
                // MariaDB prints a NULL default as the word NULL (and quotes literals).
                default: c.default.filter(|d| d != "NULL"),
                updatable: is_table && !generated,
                identity: extra.contains("auto_increment"),
                generated,
                foreign_key,
                nullable: c.nullable,
                name: c.name,
                type_name: c.column_type,
                format: c.data_type,
            }
        })
        .collect();
    let primary_key = if is_table {
        key_names.iter().filter_map(|k| columns.iter().position(|c| &c.name == k)).collect()
    } else {
        Vec::new()
    };
    Ok(Table { database: database.to_string(), name: name.to_string(), is_table, columns, primary_key })
}

/// One page.
#[derive(Debug)]
pub struct Page {
    /// The returned columns' names and one value per column for each row.
    pub rows: QueryResult,
    /// Where the next page starts; `None` at the end.
    pub cursor: Option<String>,
    /// How pages continue.
    pub paging: Paging,
    /// Matching rows, exactly or estimated.
    pub count: Option<i64>,
    /// Whether `count` is an estimate.
    pub count_is_estimate: bool,
    /// Why an exact count asked for is not there, or why there is no estimate.
    pub count_note: Option<String>,
}

/// Conditions of a statement being built, with their bound values.
#[derive(Default)]
struct Params(Vec<MyValue>);

impl Params {
    /// Binds `value` to compare with `column` and answers its placeholder.
    fn push(&mut self, column: &RowColumn, value: &Value) -> Result<&'static str, EngineError> {
        self.0.push(column.param(value)?);
        Ok(column.placeholder())
    }

    /// Binds `value` to store in `column`: the server converts it, and names the column if it
    /// cannot (a `CAST` here would fail first, without the column's name).
    fn push_stored(&mut self, column: &RowColumn, value: &Value) -> Result<&'static str, EngineError> {
        self.0.push(column.param(value)?);
        Ok("?")
    }
}

fn filter_sql(table: &Table, filters: &[Filter], params: &mut Params) -> Result<Vec<String>, EngineError> {
    filters
        .iter()
        .map(|f| {
            let column = &table.columns[f.column];
            let name = table.column_sql(f.column);
            Ok(match &f.op {
                FilterOp::Compare(op, v) => {
                    format!("{name} {op} {}", params.push(column, &Value::String(v.clone()))?)
                }
                // Any type matched as its text; ILIKE by lower-casing both sides.
                FilterOp::Like(op, v) => {
                    params.0.push(MyValue::Bytes(v.clone().into_bytes()));
                    if *op == "ILIKE" {
                        format!("LOWER(CAST({name} AS CHAR)) LIKE LOWER(?)")
                    } else {
                        format!("CAST({name} AS CHAR) LIKE ?")
                    }
                }
                FilterOp::In(items) if items.is_empty() => "FALSE".to_string(),
                FilterOp::In(items) => {
                    let placeholders = items
                        .iter()
                        .map(|v| params.push(column, &Value::String(v.clone())))
                        .collect::<Result<Vec<_>, _>>()?;
                    format!("{name} IN ({})", placeholders.join(", "))
                }
                FilterOp::Is(what) => format!("{name} IS {what}"),
            })
        })
        .collect()
}

/// The ORDER BY terms of `order`: MySQL sorts NULLs first ascending, so the placement asked for
/// is said with an `IS NULL` term first on a nullable column.
fn order_sql(table: &Table, order: &OrderBy) -> Vec<String> {
    let name = table.column_sql(order.column);
    let direction = if order.descending { "DESC" } else { "ASC" };
    let mut terms = Vec::new();
    if table.columns[order.column].nullable {
        terms.push(format!("({name} IS NULL) {}", if order.nulls_first { "DESC" } else { "ASC" }));
    }
    terms.push(format!("{name} {direction}"));
    terms
}

/// The condition "comes after the row with these key values" for the page's keys.
fn keyset_sql(table: &Table, keys: &[OrderBy], values: &[Value], params: &mut Params) -> Result<String, EngineError> {
    let same_direction = keys.iter().all(|k| k.descending == keys[0].descending);
    let never_null = keys.iter().all(|k| !table.columns[k.column].nullable) && values.iter().all(|v| !v.is_null());
    if same_direction && never_null {
        // A row comparison, which a matching index answers directly.
        let names: Vec<String> = keys.iter().map(|k| table.column_sql(k.column)).collect();
        let placeholders = keys
            .iter()
            .zip(values)
            .map(|(k, v)| params.push(&table.columns[k.column], v))
            .collect::<Result<Vec<_>, _>>()?;
        let op = if keys[0].descending { "<" } else { ">" };
        return Ok(format!("({}) {op} ({})", names.join(", "), placeholders.join(", ")));
    }
    let mut terms = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let column = &table.columns[key.column];
        let name = table.column_sql(key.column);
        let op = if key.descending { "<" } else { ">" };
        let mut term_params = Params::default();
        let mut parts = Vec::new();
        for (k, v) in keys[..i].iter().zip(values) {
            let earlier = table.column_sql(k.column);
            if v.is_null() {
                parts.push(format!("{earlier} IS NULL"));
            } else {
                parts.push(format!("{earlier} = {}", term_params.push(&table.columns[k.column], v)?));
            }
        }
        // Rows after this key's value, in its direction and NULL placement.
        let after = match (values[i].is_null(), key.nulls_first) {
            (true, true) => format!("{name} IS NOT NULL"),
            (true, false) => continue,
            (false, true) => format!("{name} {op} {}", term_params.push(column, &values[i])?),
            (false, false) => format!("({name} {op} {} OR {name} IS NULL)", term_params.push(column, &values[i])?),
        };
        parts.push(after);
        params.0.extend(term_params.0);
        terms.push(parts.join(" AND "));
    }
    Ok(if terms.is_empty() { "FALSE".into() } else { format!("(({}))", terms.join(") OR (")) })
}

fn where_sql(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    }
}

/// `ER_STATEMENT_TIMEOUT` (MariaDB) and `ER_QUERY_TIMEOUT` (MySQL).
fn is_timeout(e: &EngineError) -> bool {
    matches!(e, EngineError::Query { details: Some(d), .. } if d["code"] == 1969 || d["code"] == 3024)
}

/// Reads one page of `table` in a read-only transaction.
pub async fn page(client: &MysqlClient, table: &Table, request: &PageRequest) -> Result<Page, EngineError> {
    let paging = if table.primary_key.is_empty() { Paging::Offset } else { Paging::Keyset };
    let spec = CursorData::fingerprint(&table.sql_name(), request);
    let cursor = request.cursor.as_deref().map(|c| CursorData::decode(c, &spec)).transpose()?;
    let mut picked = request.picked(table.columns.len());
    let shown = picked.len();
    let mut keys = request.order.clone();
    for &column in &table.primary_key {
        if !keys.iter().any(|k| k.column == column) {
            keys.push(OrderBy { column, descending: false, nulls_first: false });
        }
    }
    // The keys' values come back with the page, after the columns asked for.
    let key_at: Vec<usize> = if paging == Paging::Keyset {
        keys.iter()
            .map(|k| {
                picked.iter().position(|&p| p == k.column).unwrap_or_else(|| {
                    picked.push(k.column);
                    picked.len() - 1
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut params = Params::default();
    let mut conditions = filter_sql(table, &request.filters, &mut params)?;
    let count_params = params.0.clone();
    let count_where = where_sql(&conditions);
    let mut offset = 0;
    match (&cursor, paging) {
        (Some(CursorData { k: Some(values), .. }), Paging::Keyset) if values.len() == keys.len() => {
            let values = values
                .iter()
                .map(|v| v.as_deref().map_or(Ok(Value::Null), serde_json::from_str))
                .collect::<Result<Vec<Value>, _>>()
                .map_err(|_| cursor_misfit())?;
            conditions.push(keyset_sql(table, &keys, &values, &mut params)?);
        }
        (Some(CursorData { o: Some(o), .. }), Paging::Offset) => offset = *o,
        (Some(_), _) => return Err(cursor_misfit()),
        (None, _) => {}
    }
    let order_by: Vec<String> = match paging {
        Paging::Keyset => keys.iter().flat_map(|k| order_sql(table, k)).collect(),
        Paging::Offset => request.order.iter().flat_map(|k| order_sql(table, k)).collect(),
    };
    let select: Vec<String> = picked.iter().map(|&i| table.column_sql(i)).collect();
    let mut sql = format!("SELECT {} FROM {}{}", select.join(", "), table.sql_name(), where_sql(&conditions));
    if !order_by.is_empty() {
        sql.push_str(&format!(" ORDER BY {}", order_by.join(", ")));
    }
    sql.push_str(&format!(" LIMIT {}", request.limit + 1));
    if offset > 0 {
        sql.push_str(&format!(" OFFSET {offset}"));
    }

    let mut conn = client.session().await?;
    conn.query_drop("START TRANSACTION READ ONLY").await.map_err(map_error)?;
    let mut result = run_statement(client, &mut conn, &sql, params.0, request.limit + 1).await?;
    let counted = match request.exact_count {
        true => Some(exact_count(client, &mut conn, table, &count_where, count_params).await),
        false => None,
    };
    conn.query_drop("ROLLBACK").await.map_err(map_error)?;
    drop(conn);

    let (count, count_is_estimate, count_note) = match counted {
        Some(Ok(n)) => (Some(n), false, None),
        Some(Err(e)) if is_timeout(&e) => (
            estimate(client, table, request).await,
            true,
            Some("the exact count took longer than the connection's statement timeout".into()),
        ),
        Some(Err(e)) => return Err(e),
        None if request.filters.is_empty() => (estimate(client, table, request).await, true, None),
        None => (None, true, Some("no estimate for filtered rows; ask count=exact".into())),
    };

    let more = result.rows.len() > request.limit;
    result.rows.truncate(request.limit);
    let next = match (more, paging) {
        (false, _) => None,
        (true, Paging::Offset) => {
            Some(CursorData { s: spec, k: None, o: Some(offset + request.limit as u64) }.encode())
        }
        (true, Paging::Keyset) => result.rows.last().map(|row| {
            let k = key_at.iter().map(|&at| Some(&row[at]).filter(|v| !v.is_null()).map(Value::to_string)).collect();
            CursorData { s: spec, k: Some(k), o: None }.encode()
        }),
    };
    result.columns.truncate(shown);
    for row in &mut result.rows {
        row.truncate(shown);
    }
    result.truncated = false;
    result.rows_affected = None;
    Ok(Page { rows: result, cursor: next, paging, count, count_is_estimate, count_note })
}

async fn exact_count(
    client: &MysqlClient,
    conn: &mut Conn,
    table: &Table,
    where_text: &str,
    params: Vec<MyValue>,
) -> Result<i64, EngineError> {
    let sql = format!("SELECT COUNT(*) FROM {}{where_text}", table.sql_name());
    let counted = run_statement(client, conn, &sql, params, 1).await?;
    counted
        .rows
        .first()
        .and_then(|r| r.first())
        .and_then(Value::as_i64)
        .ok_or_else(|| EngineError::Query { message: "the server sent no count".into(), details: None })
}

/// The server's row estimate of an unfiltered table (`information_schema.TABLES`).
async fn estimate(client: &MysqlClient, table: &Table, request: &PageRequest) -> Option<i64> {
    if !request.filters.is_empty() {
        return None;
    }
    let tables = catalog::tables(client, &table.database).await.ok()?;
    tables.into_iter().find(|t| t.name == table.name)?.rows_estimate.and_then(|n| i64::try_from(n).ok())
}

fn refuse_without_key(table: &Table) -> Result<(), EngineError> {
    if !table.is_table {
        return Err(EngineError::Config(format!(
            "{} is a view: its rows can be browsed, not edited here (use SQL)",
            table.sql_name()
        )));
    }
    if table.primary_key.is_empty() {
        return Err(EngineError::Config(format!(
            "{} has no primary key, so a row cannot be named safely: its rows can be browsed, not edited by row \
             (use SQL, or add a primary key)",
            table.sql_name()
        )));
    }
    Ok(())
}

/// `WHERE` text naming one row by its whole primary key.
fn key_sql(table: &Table, pk: &Map<String, Value>, params: &mut Params) -> Result<String, EngineError> {
    let mut parts = Vec::new();
    for name in pk.keys() {
        let index = column_named(table, name, "pk")?;
        if !table.primary_key.contains(&index) {
            return Err(EngineError::Config(format!("pk: {name:?} is not a primary key column")));
        }
    }
    for &index in &table.primary_key {
        let column = &table.columns[index];
        let value = pk
            .get(&column.name)
            .ok_or_else(|| EngineError::Config(format!("pk: the primary key column {:?} is missing", column.name)))?;
        parts.push(format!("{} = {}", table.column_sql(index), params.push(column, value)?));
    }
    Ok(parts.join(" AND "))
}

/// Checks the columns a write sets: known, and not generated.
fn check_assignments(table: &Table, values: &Map<String, Value>) -> Result<Vec<usize>, EngineError> {
    values
        .keys()
        .map(|name| {
            let index = column_named(table, name, "row")?;
            if !table.columns[index].updatable {
                return Err(EngineError::Config(format!(
                    "column {}: it is generated and cannot be set",
                    quote_name(name)
                )));
            }
            Ok(index)
        })
        .collect()
}

/// Reads the row named by `pk` (locked for the transaction when `lock`), all columns.
async fn read_row(
    client: &MysqlClient,
    conn: &mut Conn,
    table: &Table,
    pk: &Map<String, Value>,
    lock: bool,
) -> Result<QueryResult, EngineError> {
    let mut params = Params::default();
    let condition = key_sql(table, pk, &mut params)?;
    let all: Vec<String> = (0..table.columns.len()).map(|i| table.column_sql(i)).collect();
    let sql = format!(
        "SELECT {} FROM {} WHERE {condition}{}",
        all.join(", "),
        table.sql_name(),
        if lock { " FOR UPDATE" } else { "" }
    );
    run_statement(client, conn, &sql, params.0, 2).await
}

/// Runs `work` in a transaction: committed if it succeeds, rolled back otherwise.
async fn in_transaction<T, E: From<EngineError>>(
    client: &MysqlClient,
    work: impl AsyncFnOnce(&mut Conn) -> Result<T, E>,
) -> Result<T, E> {
    let mut conn = client.session().await?;
    conn.query_drop("START TRANSACTION").await.map_err(map_error)?;
    match work(&mut conn).await {
        Ok(done) => {
            conn.query_drop("COMMIT").await.map_err(map_error)?;
            Ok(done)
        }
        Err(e) => {
            // The write's own error is the answer; the pool's reset rolls back if this fails.
            let _ = conn.query_drop("ROLLBACK").await;
            Err(e)
        }
    }
}

/// Inserts `rows` in one transaction and answers them as stored (defaults applied).
pub async fn insert(
    client: &MysqlClient,
    table: &Table,
    rows: &[Map<String, Value>],
) -> Result<QueryResult, EngineError> {
    refuse_without_key(table)?;
    for row in rows {
        check_assignments(table, row)?;
    }
    in_transaction(client, async |conn: &mut Conn| {
        let mut written = QueryResult::default();
        for row in rows {
            let mut params = Params::default();
            let mut names = Vec::new();
            let mut placeholders = Vec::new();
            for (name, value) in row {
                let index = column_named(table, name, "row")?;
                names.push(table.column_sql(index));
                placeholders.push(params.push_stored(&table.columns[index], value)?);
            }
            let sql =
                format!("INSERT INTO {} ({}) VALUES ({})", table.sql_name(), names.join(", "), placeholders.join(", "));
            let inserted = run_statement(client, conn, &sql, params.0, 0).await?;
            // The key as written, or the AUTO_INCREMENT value the server chose.
            let mut pk = Map::new();
            for &index in &table.primary_key {
                let column = &table.columns[index];
                let value = match (row.get(&column.name), inserted.last_insert_id) {
                    (Some(v), _) => v.clone(),
                    (None, Some(id)) if column.identity => Value::from(id),
                    _ => {
                        return Err(EngineError::Config(format!(
                            "the primary key column {:?} has no value and no AUTO_INCREMENT",
                            column.name
                        )))
                    }
                };
                pk.insert(column.name.clone(), value);
            }
            let stored = read_row(client, conn, table, &pk, false).await?;
            written.columns = stored.columns;
            written.rows.extend(stored.rows);
        }
        Ok(written)
    })
    .await
}

/// Updates rows named by primary key in one transaction. A row whose current values differ from
/// its `expect` (or that is gone) stops the call: nothing is written, and its values are answered.
pub async fn update(client: &MysqlClient, table: &Table, items: &[RowUpdate]) -> Result<QueryResult, UpdateError> {
    refuse_without_key(table)?;
    for item in items {
        if item.set.is_empty() {
            return Err(EngineError::Config("set: name at least one column".into()).into());
        }
        check_assignments(table, &item.set)?;
        if let Some(expect) = &item.expect {
            for name in expect.keys() {
                column_named(table, name, "expect")?;
            }
        }
    }
    in_transaction(client, async |conn: &mut Conn| {
        let mut written = QueryResult::default();
        for item in items {
            let current = read_row(client, conn, table, &item.pk, true).await?;
            let row = current.rows.first().map(|values| {
                current.columns.iter().cloned().zip(values.iter().cloned()).collect::<Map<String, Value>>()
            });
            let stale = match (&row, &item.expect) {
                (None, _) => true,
                (Some(row), Some(expect)) => expect.iter().any(|(k, v)| row.get(k) != Some(v)),
                (Some(_), None) => false,
            };
            if stale {
                return Err(UpdateError::Stale { pk: item.pk.clone(), current: row });
            }
            let mut params = Params::default();
            let mut sets = Vec::new();
            for (name, value) in &item.set {
                let index = column_named(table, name, "set")?;
                sets.push(format!(
                    "{} = {}",
                    table.column_sql(index),
                    params.push_stored(&table.columns[index], value)?
                ));
            }
            let condition = key_sql(table, &item.pk, &mut params)?;
            let sql = format!("UPDATE {} SET {} WHERE {condition}", table.sql_name(), sets.join(", "));
            run_statement(client, conn, &sql, params.0, 0).await?;
            // The key may itself have been changed.
            let mut pk = item.pk.clone();
            for (name, value) in &item.set {
                if pk.contains_key(name) {
                    pk.insert(name.clone(), value.clone());
                }
            }
            let stored = read_row(client, conn, table, &pk, false).await?;
            written.columns = stored.columns;
            written.rows.extend(stored.rows);
        }
        Ok(written)
    })
    .await
}

/// Deletes rows named by primary key in one transaction; answers how many went.
pub async fn delete(client: &MysqlClient, table: &Table, items: &[RowKey]) -> Result<u64, EngineError> {
    refuse_without_key(table)?;
    in_transaction(client, async |conn: &mut Conn| {
        let mut deleted = 0;
        for item in items {
            let mut params = Params::default();
            let condition = key_sql(table, &item.pk, &mut params)?;
            let sql = format!("DELETE FROM {} WHERE {condition}", table.sql_name());
            deleted += run_statement(client, conn, &sql, params.0, 0).await?.rows_affected.unwrap_or(0);
        }
        Ok(deleted)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_labels_are_read() {
        assert_eq!(enum_labels("enum('a','b''c','d\\\\e')"), Some(vec!["a".into(), "b'c".into(), "d\\e".into()]));
        assert_eq!(enum_labels("enum()"), Some(vec![]));
        assert_eq!(enum_labels("int(11)"), None);
        assert_eq!(enum_labels("enum('unfinished"), None);
    }
}
