//! The Table Editor's rows: pages of one relation (named by oid) with typed filters and orders, and
//! row writes named by primary key, each call one transaction.
//!
//! Every statement is built from the relation's and columns' names as the catalog gives them
//! (always quoted) and bound parameters: a filter or a cell value never becomes SQL text.
//!
//! Paging. A relation with a primary key is paged by keyset: the page is ordered by the requested
//! columns plus the primary key, and the next page starts after the last row's values of those
//! columns, so page 5,000 costs what page 1 costs. Those values travel in the cursor as the server
//! printed them (`col::text`) and come back as parameters the server parses with the column's own
//! input function, so every type compares exactly. A relation without a primary key (a view) is
//! paged by offset and says so.
//!
//! Writes. Values are checked before anything runs: locally (unknown, generated or NOT NULL
//! columns, text too long for `varchar(n)`), then by the server's input function of each column's
//! type (`SELECT $1` with the parameter declared as that type), so a bad value answers 400 naming
//! its column and no default, sequence or trigger has run.

use futures_util::future::join_all;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};
use tokio_postgres::types::Type;
use tokio_postgres::Statement;

use super::ddl::{quote_ident, Ident, QualifiedName};
use super::query::{collect, print_as_text, CancelOnDrop, SESSION_STATE_SQL};
use super::types::{text_param, RawValue, TextParam};
use super::{map_error, PostgresClient, Session, SqlCaller};
use crate::engines::table_rows::{column_named, cursor_misfit, CursorData, FilterOp, RowColumns};
use crate::engines::EngineError;

pub use crate::engines::table_rows::{
    Filter, OrderBy, PageRequest, Paging, RowKey, RowUpdate, UpdateError, DEFAULT_LIMIT, MAX_LIMIT,
};

/// A column as the Table Editor needs it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RowColumn {
    /// Column name.
    pub name: String,
    /// The type as PostgreSQL writes it (`character varying(20)`, `integer[]`, `mood`).
    #[serde(rename = "type")]
    pub type_name: String,
    /// The type's own name (`int4`, `_text`, an enum's name).
    pub format: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The default expression.
    pub default: Option<String>,
    /// Whether the column is part of the primary key.
    pub primary_key: bool,
    /// The row this column points at, for a single-column foreign key.
    pub foreign_key: Option<ForeignKeyTarget>,
    /// The labels of an enum column (or of an enum a domain is built on), in order.
    pub enum_values: Option<Vec<String>>,
    /// Whether the editor may change it (a table's column, not generated, not `GENERATED ALWAYS AS
    /// IDENTITY`, and the connection's login may update it).
    pub updatable: bool,
    /// Whether it is an identity column.
    pub identity: bool,
    /// Whether it is a generated column.
    pub generated: bool,
    #[serde(skip)]
    identity_always: bool,
    /// Longest text a `varchar(n)`/`char(n)` column takes, in characters.
    #[serde(skip)]
    max_chars: Option<usize>,
}

/// Where a foreign key column points.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ForeignKeyTarget {
    /// Referenced schema.
    pub schema: String,
    /// Referenced table.
    pub table: String,
    /// Its oid.
    pub table_id: i64,
    /// Referenced column.
    pub column: String,
}

/// A relation the editor can browse.
#[derive(Debug, Clone)]
pub struct Relation {
    /// Its oid.
    pub id: i64,
    /// `schema.name`.
    pub name: QualifiedName,
    /// Whether rows can be written (an ordinary or partitioned table).
    pub is_table: bool,
    /// Its columns, in order.
    pub columns: Vec<RowColumn>,
    /// Indexes into `columns` of the primary key, in key order.
    pub primary_key: Vec<usize>,
}

impl Relation {
    /// A table `public.t` of nullable text columns with these names, keyed by the first (for
    /// exercising the parsers without a server: unit tests and fuzzing).
    pub fn with_text_columns(names: &[&str]) -> Result<Self, EngineError> {
        let name = QualifiedName { schema: Ident::new("public", "schema")?, name: Ident::new("t", "table")? };
        let columns = names
            .iter()
            .enumerate()
            .map(|(i, n)| RowColumn {
                name: (*n).to_string(),
                type_name: "text".into(),
                format: "text".into(),
                nullable: i > 0,
                default: None,
                primary_key: i == 0,
                foreign_key: None,
                enum_values: None,
                updatable: true,
                identity: false,
                generated: false,
                identity_always: false,
                max_chars: None,
            })
            .collect();
        let primary_key = if names.is_empty() { Vec::new() } else { vec![0] };
        Ok(Self { id: 1, name, is_table: true, columns, primary_key })
    }

    fn column_named(&self, name: &str, what: &str) -> Result<usize, EngineError> {
        column_named(self, name, what)
    }

    /// Names of the primary key columns.
    pub fn primary_key_names(&self) -> Vec<String> {
        self.primary_key.iter().map(|&i| self.columns[i].name.clone()).collect()
    }
}

impl RowColumns for Relation {
    fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    fn label(&self) -> String {
        self.name.to_string()
    }
}

/// The relation's columns, keys and foreign keys, one row per column.
const DESCRIBE_SQL: &str = r"
SELECT n.nspname::text, c.relname::text, c.relkind IN ('r', 'p') AS is_table,
       a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), t.typname::text,
       NOT (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)) AS nullable,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default_value,
       pk.ord IS NOT NULL AS primary_key, pk.ord::int4,
       fk.schema, fk.table, fk.table_id, fk.column,
       (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e
         WHERE e.enumtypid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END) AS enum_values,
       c.relkind IN ('r', 'p') AND a.attgenerated = '' AND a.attidentity <> 'a'
         AND pg_catalog.has_column_privilege(c.oid, a.attnum, 'UPDATE') AS updatable,
       a.attidentity <> '' AS identity, a.attidentity = 'a' AS identity_always, a.attgenerated <> '' AS generated,
       CASE WHEN a.atttypid IN ('varchar'::regtype, 'bpchar'::regtype) AND a.atttypmod > 4
            THEN a.atttypmod - 4 END AS max_chars
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
LEFT JOIN LATERAL (
    SELECT k.ord FROM pg_catalog.pg_constraint con, unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
    WHERE con.conrelid = c.oid AND con.contype = 'p' AND k.attnum = a.attnum) pk ON true
LEFT JOIN LATERAL (
    SELECT tn.nspname::text AS schema, tc.relname::text AS table, tc.oid::int8 AS table_id, ta.attname::text AS column
    FROM pg_catalog.pg_constraint con
    JOIN pg_catalog.pg_class tc ON tc.oid = con.confrelid
    JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
    JOIN pg_catalog.pg_attribute ta ON ta.attrelid = con.confrelid AND ta.attnum = con.confkey[1]
    WHERE con.conrelid = c.oid AND con.contype = 'f' AND con.conkey = ARRAY[a.attnum]::int2[]
    ORDER BY con.oid LIMIT 1) fk ON true
WHERE c.oid = ($1::int8)::oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY a.attnum";

/// Reads the relation `id` (an oid as `tables`/`views` list it).
pub async fn describe(session: &Session, id: i64) -> Result<Relation, EngineError> {
    let not_found = || EngineError::NotFound(format!("no table or view with id {id}"));
    if u32::try_from(id).is_err() {
        return Err(not_found());
    }
    let statement = session.prepare_cached(DESCRIBE_SQL).await.map_err(map_error)?;
    let rows = session.query(&statement, &[&id]).await.map_err(map_error)?;
    let first = rows.first().ok_or_else(not_found)?;
    let name = QualifiedName {
        schema: Ident::new(&first.try_get::<_, String>(0).map_err(map_error)?, "schema")?,
        name: Ident::new(&first.try_get::<_, String>(1).map_err(map_error)?, "table")?,
    };
    let is_table: bool = first.try_get(2).map_err(map_error)?;
    let mut columns = Vec::with_capacity(rows.len());
    let mut keyed = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let table_id: Option<i64> = row.try_get(12).map_err(map_error)?;
        let foreign_key = match table_id {
            Some(table_id) => Some(ForeignKeyTarget {
                schema: row.try_get(10).map_err(map_error)?,
                table: row.try_get(11).map_err(map_error)?,
                table_id,
                column: row.try_get(13).map_err(map_error)?,
            }),
            None => None,
        };
        if let Some(position) = row.try_get::<_, Option<i32>>(9).map_err(map_error)? {
            keyed.push((position, i));
        }
        columns.push(RowColumn {
            name: row.try_get(3).map_err(map_error)?,
            type_name: row.try_get(4).map_err(map_error)?,
            format: row.try_get(5).map_err(map_error)?,
            nullable: row.try_get(6).map_err(map_error)?,
            default: row.try_get(7).map_err(map_error)?,
            primary_key: row.try_get(8).map_err(map_error)?,
            foreign_key,
            enum_values: row.try_get(14).map_err(map_error)?,
            updatable: row.try_get(15).map_err(map_error)?,
            identity: row.try_get(16).map_err(map_error)?,
            identity_always: row.try_get(17).map_err(map_error)?,
            generated: row.try_get(18).map_err(map_error)?,
            max_chars: row.try_get::<_, Option<i32>>(19).map_err(map_error)?.and_then(|n| usize::try_from(n).ok()),
        });
    }
    keyed.sort();
    let primary_key = if is_table { keyed.into_iter().map(|(_, i)| i).collect() } else { Vec::new() };
    Ok(Relation { id, name, is_table, columns, primary_key })
}

/// The ORDER BY term of `order`; the column is qualified by its relation so it cannot be mistaken
/// for an output column of the same name (the page also returns the keys as text).
fn order_sql(order: &OrderBy, relation: &Relation) -> String {
    format!(
        "{}.{} {} NULLS {}",
        relation.name,
        quote_ident(&relation.columns[order.column].name),
        if order.descending { "DESC" } else { "ASC" },
        if order.nulls_first { "FIRST" } else { "LAST" }
    )
}

/// One page.
#[derive(Debug)]
pub struct Page {
    /// The returned columns' names and one value per column for each row.
    pub rows: super::query::QueryResult,
    /// Where the next page starts; `None` at the end.
    pub cursor: Option<String>,
    /// How pages continue.
    pub paging: Paging,
    /// Matching rows, exactly or estimated.
    pub count: Option<i64>,
    /// Whether `count` is an estimate.
    pub count_is_estimate: bool,
    /// Why an exact count asked for is not there.
    pub count_note: Option<String>,
}

/// Numbered parameters of a statement being built, with the column each one belongs to.
#[derive(Default)]
struct Params {
    values: Vec<Value>,
    columns: Vec<usize>,
}

impl Params {
    fn push(&mut self, column: usize, value: Value) -> String {
        self.values.push(value);
        self.columns.push(column);
        format!("${}", self.values.len())
    }
}

/// The WHERE text of the filters, adding their values to `params`.
fn filter_sql(relation: &Relation, filters: &[Filter], params: &mut Params) -> Vec<String> {
    filters
        .iter()
        .map(|f| {
            let column = quote_ident(&relation.columns[f.column].name);
            match &f.op {
                FilterOp::Compare(op, v) => {
                    format!("{column} {op} {}", params.push(f.column, Value::String(v.clone())))
                }
                // Any type can be matched as text (a number by its digits, a date by its ISO form).
                FilterOp::Like(op, v) => {
                    format!("{column}::text {op} {}", params.push(f.column, Value::String(v.clone())))
                }
                FilterOp::In(items) => {
                    let list = items.iter().cloned().map(Value::String).collect();
                    format!("{column} = ANY({})", params.push(f.column, Value::Array(list)))
                }
                FilterOp::Is(what) => format!("{column} IS {what}"),
            }
        })
        .collect()
}

/// The condition "comes after the row with these key values" for the page's keys.
fn keyset_sql(relation: &Relation, keys: &[OrderBy], values: &[Option<String>], params: &mut Params) -> String {
    let name = |k: &OrderBy| quote_ident(&relation.columns[k.column].name);
    let same_direction = keys.iter().all(|k| k.descending == keys[0].descending);
    let never_null = keys.iter().all(|k| !relation.columns[k.column].nullable) && values.iter().all(Option::is_some);
    if same_direction && never_null {
        // A row comparison, which a matching index answers directly.
        let columns: Vec<String> = keys.iter().map(name).collect();
        let placeholders: Vec<String> = keys
            .iter()
            .zip(values)
            .map(|(k, v)| params.push(k.column, v.clone().map_or(Value::Null, Value::String)))
            .collect();
        let op = if keys[0].descending { "<" } else { ">" };
        return format!("({}) {op} ({})", columns.join(", "), placeholders.join(", "));
    }
    let placeholders: Vec<Option<String>> = keys
        .iter()
        .zip(values)
        .map(|(k, v)| v.as_ref().map(|v| params.push(k.column, Value::String(v.clone()))))
        .collect();
    let mut terms = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let column = name(key);
        let op = if key.descending { "<" } else { ">" };
        // Rows after this key's value, in its direction and NULL placement.
        let after = match (&placeholders[i], key.nulls_first) {
            (None, true) => Some(format!("{column} IS NOT NULL")),
            (None, false) => None,
            (Some(p), true) => Some(format!("{column} {op} {p}")),
            (Some(p), false) => Some(format!("({column} {op} {p} OR {column} IS NULL)")),
        };
        let Some(after) = after else { continue };
        let mut parts: Vec<String> = keys[..i]
            .iter()
            .zip(&placeholders)
            .map(|(k, p)| match p {
                Some(p) => format!("{} = {p}", name(k)),
                None => format!("{} IS NULL", name(k)),
            })
            .collect();
        parts.push(after);
        terms.push(parts.join(" AND "));
    }
    if terms.is_empty() {
        "false".into()
    } else {
        format!("(({}))", terms.join(") OR ("))
    }
}

fn where_sql(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    }
}

/// Binds `params` to `statement`, naming the column of a value that cannot be sent as its type.
fn bind(relation: &Relation, statement: &Statement, params: &Params) -> Result<Vec<TextParam>, EngineError> {
    statement
        .params()
        .iter()
        .zip(params.values.iter().zip(&params.columns))
        .map(|(ty, (value, &column))| text_param(value, ty).map_err(|m| column_error(relation, column, &m)))
        .collect()
}

fn column_error(relation: &Relation, column: usize, message: &str) -> EngineError {
    EngineError::Config(format!("column {}: {message}", quote_ident(&relation.columns[column].name)))
}

/// Asks the server to parse each value with its column type's input function (one pipelined round
/// trip): the first that fails answers 400 naming its column.
async fn check_values(
    session: &Session,
    relation: &Relation,
    types: &[Type],
    params: &Params,
    bound: &[TextParam],
) -> Result<(), EngineError> {
    let checks = types.iter().zip(bound).zip(&params.columns).filter(|((_, p), _)| p.0.is_some()).map(
        |((ty, value), &column)| async move {
            let statement = session.prepare_typed_cached("SELECT $1", std::slice::from_ref(ty)).await;
            let outcome = match statement {
                Ok(statement) => session.query_one(&statement, &[value]).await.map(|_| ()),
                Err(e) => Err(e),
            };
            (column, outcome)
        },
    );
    for (column, outcome) in join_all(checks).await {
        if let Err(e) = outcome {
            let message = e.as_db_error().map_or_else(|| e.to_string(), |db| db.message().to_string());
            if e.code().is_some_and(|c| c.code().starts_with("22") || c.code().starts_with("23")) {
                return Err(column_error(relation, column, &message));
            }
            return Err(map_error(e));
        }
    }
    Ok(())
}

/// The SELECT list of the returned columns.
fn select_list(relation: &Relation, picked: &[usize]) -> String {
    picked.iter().map(|&i| quote_ident(&relation.columns[i].name)).collect::<Vec<_>>().join(", ")
}

/// Reads one page of `relation` in a read-only transaction of the connection's login (every
/// statement is ours: names from the catalog, values bound).
pub async fn page(client: &PostgresClient, relation: &Relation, request: &PageRequest) -> Result<Page, EngineError> {
    let paging = if relation.primary_key.is_empty() { Paging::Offset } else { Paging::Keyset };
    let spec = CursorData::fingerprint(&relation.id.to_string(), request);
    let cursor = request.cursor.as_deref().map(|c| CursorData::decode(c, &spec)).transpose()?;
    let picked = request.picked(relation.columns.len());
    // The page's keys: the orders asked for, then the primary key columns not among them.
    let mut keys = request.order.clone();
    for &column in &relation.primary_key {
        if !keys.iter().any(|k| k.column == column) {
            keys.push(OrderBy { column, descending: false, nulls_first: false });
        }
    }
    let mut params = Params::default();
    let mut conditions = filter_sql(relation, &request.filters, &mut params);
    let filter_count = params.values.len();
    let count_where = where_sql(&conditions);
    let mut offset = 0;
    match (&cursor, paging) {
        (Some(CursorData { k: Some(values), .. }), Paging::Keyset) if values.len() == keys.len() => {
            conditions.push(keyset_sql(relation, &keys, values, &mut params));
        }
        (Some(CursorData { o: Some(o), .. }), Paging::Offset) => offset = *o,
        (Some(_), _) => return Err(cursor_misfit()),
        (None, _) => {}
    }
    let key_columns: Vec<String> =
        keys.iter().map(|k| format!("{}::text", quote_ident(&relation.columns[k.column].name))).collect();
    let order_by = match paging {
        Paging::Keyset => keys.iter().map(|k| order_sql(k, relation)).collect::<Vec<_>>(),
        Paging::Offset => request.order.iter().map(|k| order_sql(k, relation)).collect(),
    };
    let mut sql = format!("SELECT {}", select_list(relation, &picked));
    if paging == Paging::Keyset {
        sql.push_str(", ");
        sql.push_str(&key_columns.join(", "));
    }
    sql.push_str(&format!(" FROM {}{}", relation.name, where_sql(&conditions)));
    if !order_by.is_empty() {
        sql.push_str(&format!(" ORDER BY {}", order_by.join(", ")));
    }
    sql.push_str(&format!(" LIMIT {}", request.limit + 1));
    if offset > 0 {
        sql.push_str(&format!(" OFFSET {offset}"));
    }
    let estimate_sql = format!("EXPLAIN (FORMAT JSON) SELECT 1 FROM {}{count_where}", relation.name);
    let count_sql = format!("SELECT count(*) FROM {}{count_where}", relation.name);

    let mut session = client.session_for(SqlCaller::Writer).await?;
    let page_statement = session.prepare_cached(&sql).await.map_err(map_error)?;
    let bound = bind(relation, &page_statement, &params)?;
    let estimate_statement = session.prepare_cached(&estimate_sql).await.map_err(map_error)?;
    let count_params = &bound[..filter_count];
    let state_statement = session.prepare_cached(SESSION_STATE_SQL).await.map_err(map_error)?;
    let count_statement = match request.exact_count {
        true => Some(session.prepare_cached(&count_sql).await.map_err(map_error)?),
        false => None,
    };
    let guard = CancelOnDrop::new(&session);
    // One round trip: BEGIN, the page, the estimate, the exact count, ROLLBACK and the state check
    // go out together and are answered in order.
    let begin = session.batch_execute("BEGIN READ ONLY");
    let rows = async {
        let stream = session.query_raw(&page_statement, bound.iter()).await?;
        collect(stream, page_statement.columns(), request.limit + 1).await
    };
    let estimate = async {
        let stream = session.query_raw(&estimate_statement, count_params.iter()).await?;
        futures_util::pin_mut!(stream);
        let row = futures_util::TryStreamExt::try_next(&mut stream).await?;
        // The plan is `json`, whose binary form is its text.
        let plan = row.and_then(|r| r.try_get::<_, RawValue<'_>>(0).ok().and_then(|v| v.0.map(<[u8]>::to_vec)));
        Ok::<_, tokio_postgres::Error>(plan.and_then(|bytes| String::from_utf8(bytes).ok()))
    };
    let exact = async {
        match &count_statement {
            Some(statement) => {
                let stream = session.query_raw(statement, count_params.iter()).await?;
                futures_util::pin_mut!(stream);
                let row = futures_util::TryStreamExt::try_next(&mut stream).await?;
                Ok(row.and_then(|r| r.try_get::<_, i64>(0).ok()))
            }
            None => Ok::<_, tokio_postgres::Error>(None),
        }
    };
    let rollback = session.batch_execute("ROLLBACK");
    let state = session.query_one(&state_statement, &[]);
    let (began, fetched, estimated, counted, ended, state) =
        futures_util::join!(begin, rows, estimate, exact, rollback, state);
    guard.disarm();
    began.map_err(map_error)?;
    let (mut result, pending) = match fetched {
        Ok(done) => done,
        Err(e) => return Err(page_error(&session, relation, &page_statement, &params, &bound, e).await),
    };
    ended.map_err(map_error)?;
    let clean = state.ok().and_then(|row| row.try_get::<_, bool>(0).ok()).unwrap_or(false);
    print_as_text(&session, &mut result.rows, pending).await;
    if clean {
        session.unchanged();
    }
    drop(session);

    let estimate = estimated.ok().flatten().and_then(|plan| plan_rows(&plan));
    let (count, count_is_estimate, count_note) = match (request.exact_count, counted) {
        (true, Ok(Some(n))) => (Some(n), false, None),
        (true, Err(e)) if e.code().is_some_and(|c| c.code() == "57014") => (
            estimate,
            true,
            Some("the exact count took longer than the connection's statement timeout; this is an estimate".into()),
        ),
        (true, Err(e)) => (estimate, true, Some(format!("the exact count failed: {}", map_error(e)))),
        _ => (estimate, true, None),
    };

    // Rows past the limit only say there is a next page.
    let more = result.rows.len() > request.limit;
    result.rows.truncate(request.limit);
    let next = match (more, paging) {
        (false, _) => None,
        (true, Paging::Offset) => {
            Some(CursorData { s: spec, k: None, o: Some(offset + request.limit as u64) }.encode())
        }
        (true, Paging::Keyset) => {
            let last = result.rows.last().map(|row| {
                row[picked.len()..]
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            });
            last.map(|values| CursorData { s: spec, k: Some(values), o: None }.encode())
        }
    };
    if paging == Paging::Keyset {
        result.columns.truncate(picked.len());
        for row in &mut result.rows {
            row.truncate(picked.len());
        }
    }
    result.truncated = false;
    Ok(Page { rows: result, cursor: next, paging, count, count_is_estimate, count_note })
}

/// The statement reading every row of `relation` that `request`'s filters match, in its order then
/// the primary key's (no page, no cursor), with its parameters: for a streamed export. With
/// `as_text` each column is read as the server prints it (`col::text`), so a CSV holds every
/// value exactly as PostgreSQL parses it back.
pub fn export_query(relation: &Relation, request: &PageRequest, as_text: bool) -> (String, Vec<Value>) {
    let picked = request.picked(relation.columns.len());
    let list: Vec<String> = picked
        .iter()
        .map(|&i| {
            let name = quote_ident(&relation.columns[i].name);
            if as_text {
                format!("{name}::text AS {name}")
            } else {
                name
            }
        })
        .collect();
    let mut params = Params::default();
    let conditions = filter_sql(relation, &request.filters, &mut params);
    let mut keys = request.order.clone();
    for &column in &relation.primary_key {
        if !keys.iter().any(|k| k.column == column) {
            keys.push(OrderBy { column, descending: false, nulls_first: false });
        }
    }
    let mut sql = format!("SELECT {} FROM {}{}", list.join(", "), relation.name, where_sql(&conditions));
    if !keys.is_empty() {
        let order: Vec<String> = keys.iter().map(|k| order_sql(k, relation)).collect();
        sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
    }
    (sql, params.values)
}

/// The planner's row estimate from `EXPLAIN (FORMAT JSON)`.
fn plan_rows(plan: &str) -> Option<i64> {
    let plan: Value = serde_json::from_str(plan).ok()?;
    let rows = plan.get(0)?.get("Plan")?.get("Plan Rows")?;
    rows.as_i64().or_else(|| rows.as_f64().map(|f| f as i64))
}

/// A page that failed: a filter value its column's type cannot take is named; else the server's error.
async fn page_error(
    session: &Session,
    relation: &Relation,
    statement: &Statement,
    params: &Params,
    bound: &[TextParam],
    err: tokio_postgres::Error,
) -> EngineError {
    if err.code().is_some_and(|c| c.code().starts_with("22")) {
        if let Err(named) = check_values(session, relation, statement.params(), params, bound).await {
            return match named {
                EngineError::Config(m) => EngineError::Config(format!("filter on {m}")),
                other => other,
            };
        }
    }
    map_error(err)
}

/// Rows written, as stored.
pub type Written = super::query::QueryResult;

fn refuse_without_key(relation: &Relation) -> Result<(), EngineError> {
    if !relation.is_table {
        return Err(EngineError::Config(format!(
            "{} is not a table: its rows can be browsed, not edited here (use SQL)",
            relation.name
        )));
    }
    if relation.primary_key.is_empty() {
        return Err(EngineError::Config(format!(
            "{} has no primary key, so a row cannot be named safely: its rows can be browsed, not edited by row \
             (use SQL, or add a primary key)",
            relation.name
        )));
    }
    Ok(())
}

/// The WHERE text naming one row by its primary key.
fn key_sql(relation: &Relation, pk: &Map<String, Value>, params: &mut Params) -> Result<String, EngineError> {
    for name in pk.keys() {
        let index = relation.column_named(name, "pk")?;
        if !relation.primary_key.contains(&index) {
            return Err(EngineError::Config(format!("pk: {} is not a primary key column", quote_ident(name))));
        }
    }
    let mut parts = Vec::new();
    for &index in &relation.primary_key {
        let column = &relation.columns[index];
        match pk.get(&column.name) {
            Some(Value::Null) | None => {
                return Err(EngineError::Config(format!(
                    "pk: a value for primary key column {} is required",
                    quote_ident(&column.name)
                )))
            }
            Some(value) => parts.push(format!("{} = {}", quote_ident(&column.name), params.push(index, value.clone()))),
        }
    }
    Ok(parts.join(" AND "))
}

/// Checks values locally against what the columns allow.
fn check_assignments(relation: &Relation, values: &Map<String, Value>, inserting: bool) -> Result<(), EngineError> {
    for (name, value) in values {
        let index = relation.column_named(name, "row")?;
        let column = &relation.columns[index];
        let refuse = |why: &str| Err(column_error(relation, index, why));
        if column.generated {
            return refuse("it is a generated column; its value is computed");
        }
        if column.identity_always {
            return refuse("it is GENERATED ALWAYS AS IDENTITY; PostgreSQL assigns its value");
        }
        if !inserting && !column.updatable {
            return refuse("the connection's login may not update it");
        }
        if value.is_null() && !column.nullable {
            return refuse("it does not allow NULL");
        }
        if let (Some(max), Value::String(text)) = (column.max_chars, value) {
            let chars = text.chars().count();
            if chars > max {
                return refuse(&format!("the value has {chars} characters; the column takes at most {max}"));
            }
        }
    }
    Ok(())
}

/// Prepares `sql`, binds `params` and checks every value with its column type's input function.
async fn prepare_checked(
    session: &Session,
    relation: &Relation,
    sql: &str,
    params: &Params,
) -> Result<(Statement, Vec<TextParam>), EngineError> {
    let statement = session.prepare_cached(sql).await.map_err(map_error)?;
    let bound = bind(relation, &statement, params)?;
    check_values(session, relation, statement.params(), params, &bound).await?;
    Ok((statement, bound))
}

/// Runs `statement` in the open transaction and appends its returned rows to `written`.
async fn run_returning(
    session: &Session,
    statement: &Statement,
    bound: &[TextParam],
    written: &mut Written,
    pending: &mut Vec<super::query::Pending>,
) -> Result<(), tokio_postgres::Error> {
    let stream = session.query_raw(statement, bound.iter()).await?;
    let (result, mut more) = collect(stream, statement.columns(), usize::MAX).await?;
    if written.columns.is_empty() {
        written.columns = result.columns;
    }
    let shift = written.rows.len();
    for p in &mut more {
        p.row += shift;
    }
    written.rows.extend(result.rows);
    pending.extend(more);
    Ok(())
}

/// A transaction of the connection's login, ended by [`finish`].
async fn begin(client: &PostgresClient) -> Result<Session, EngineError> {
    let session = client.session_for(SqlCaller::Writer).await?;
    session.batch_execute("BEGIN").await.map_err(map_error)?;
    Ok(session)
}

/// Commits on success; otherwise the session's reset rolls the transaction back.
async fn finish<T, E: From<EngineError>>(session: &Session, result: Result<T, E>) -> Result<T, E> {
    let value = match result {
        Ok(value) => value,
        Err(e) => {
            let _ = session.batch_execute("ROLLBACK").await;
            return Err(e);
        }
    };
    // The session stays marked as changed, so it is reset before it is lent again: a trigger may
    // have left state behind that no check can see (`EXECUTE 'DEALLOCATE ALL'` under our cached
    // statements).
    session.batch_execute("COMMIT").await.map_err(|e| E::from(map_error(e)))?;
    Ok(value)
}

/// Inserts rows (each may name different columns; omitted ones take their defaults) and returns
/// them as stored.
pub async fn insert(
    client: &PostgresClient,
    relation: &Relation,
    rows: &[Map<String, Value>],
) -> Result<Written, EngineError> {
    refuse_without_key(relation)?;
    for row in rows {
        check_assignments(relation, row, true)?;
    }
    let session = begin(client).await?;
    let guard = CancelOnDrop::new(&session);
    let result = async {
        let mut written = Written::default();
        let mut pending = Vec::new();
        for row in rows {
            let mut params = Params::default();
            let sql = if row.is_empty() {
                format!("INSERT INTO {} DEFAULT VALUES RETURNING *", relation.name)
            } else {
                let mut names = Vec::new();
                let mut values = Vec::new();
                for (name, value) in row {
                    let index = relation.column_named(name, "row")?;
                    names.push(quote_ident(name));
                    values.push(params.push(index, value.clone()));
                }
                format!(
                    "INSERT INTO {} ({}) VALUES ({}) RETURNING *",
                    relation.name,
                    names.join(", "),
                    values.join(", ")
                )
            };
            let (statement, bound) = prepare_checked(&session, relation, &sql, &params).await?;
            run_returning(&session, &statement, &bound, &mut written, &mut pending).await.map_err(map_error)?;
        }
        print_as_text(&session, &mut written.rows, pending).await;
        Ok::<_, EngineError>(written)
    }
    .await;
    guard.disarm();
    finish(&session, result).await
}

/// Whether a value the editor saw equals the stored one (a number sent for an `int8` shown as a
/// string counts as equal).
fn same_value(seen: &Value, stored: &Value) -> bool {
    match (seen, stored) {
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => n.to_string() == *s,
        _ => seen == stored,
    }
}

/// The row as an object, in column order.
fn row_object(columns: &[String], values: &[Value]) -> Map<String, Value> {
    columns.iter().cloned().zip(values.iter().cloned()).collect()
}

/// Updates rows named by primary key; with `expect`, a row that differs from what the editor saw
/// (or is gone) stops the whole call with its current values, and nothing is written.
pub async fn update(client: &PostgresClient, relation: &Relation, items: &[RowUpdate]) -> Result<Written, UpdateError> {
    refuse_without_key(relation)?;
    for item in items {
        if item.set.is_empty() {
            return Err(EngineError::Config("set: name at least one column to change".into()).into());
        }
        check_assignments(relation, &item.set, false)?;
        if let Some(expect) = &item.expect {
            for name in expect.keys() {
                relation.column_named(name, "expect")?;
            }
        }
    }
    let session = begin(client).await.map_err(UpdateError::Engine)?;
    let guard = CancelOnDrop::new(&session);
    let result = async {
        let mut written = Written::default();
        let mut pending = Vec::new();
        for item in items {
            let mut key_params = Params::default();
            let key = key_sql(relation, &item.pk, &mut key_params)?;
            // The current row, locked until the commit, compared with what the editor saw.
            let select = format!("SELECT * FROM {} WHERE {key} FOR UPDATE", relation.name);
            let (statement, bound) = prepare_checked(&session, relation, &select, &key_params).await?;
            let mut current = Written::default();
            let mut current_pending = Vec::new();
            run_returning(&session, &statement, &bound, &mut current, &mut current_pending).await.map_err(map_error)?;
            print_as_text(&session, &mut current.rows, current_pending).await;
            let current_row = current.rows.first().map(|values| row_object(&current.columns, values));
            match (&item.expect, &current_row) {
                (Some(_), None) => return Err(UpdateError::Stale { pk: item.pk.clone(), current: None }),
                (None, None) => {
                    return Err(
                        EngineError::NotFound(format!("{} has no row with that primary key", relation.name)).into()
                    )
                }
                (Some(expect), Some(row)) => {
                    let changed = expect.iter().any(|(name, seen)| !row.get(name).is_some_and(|v| same_value(seen, v)));
                    if changed {
                        return Err(UpdateError::Stale { pk: item.pk.clone(), current: current_row.clone() });
                    }
                }
                (None, Some(_)) => {}
            }
            let mut params = Params::default();
            let mut assignments = Vec::new();
            for (name, value) in &item.set {
                let index = relation.column_named(name, "set")?;
                assignments.push(format!("{} = {}", quote_ident(name), params.push(index, value.clone())));
            }
            let key = key_sql(relation, &item.pk, &mut params)?;
            let sql = format!("UPDATE {} SET {} WHERE {key} RETURNING *", relation.name, assignments.join(", "));
            let (statement, bound) = prepare_checked(&session, relation, &sql, &params).await?;
            run_returning(&session, &statement, &bound, &mut written, &mut pending).await.map_err(map_error)?;
        }
        print_as_text(&session, &mut written.rows, pending).await;
        Ok(written)
    }
    .await;
    guard.disarm();
    finish(&session, result).await
}

/// Deletes rows named by primary key; returns how many were deleted.
pub async fn delete(client: &PostgresClient, relation: &Relation, items: &[RowKey]) -> Result<u64, EngineError> {
    refuse_without_key(relation)?;
    let session = begin(client).await?;
    let guard = CancelOnDrop::new(&session);
    let result = async {
        let mut deleted = 0;
        for item in items {
            let mut params = Params::default();
            let key = key_sql(relation, &item.pk, &mut params)?;
            let sql = format!("DELETE FROM {} WHERE {key}", relation.name);
            let (statement, bound) = prepare_checked(&session, relation, &sql, &params).await?;
            deleted += session.execute_raw(&statement, bound.iter()).await.map_err(map_error)?;
        }
        Ok::<_, EngineError>(deleted)
    }
    .await;
    guard.disarm();
    finish(&session, result).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_and_filters_find_columns_with_dots_in_their_names() {
        let relation = Relation::with_text_columns(&["id", "a", "a.b"]).unwrap();
        assert_eq!(OrderBy::parse(&relation, "a.b.desc").unwrap().column, 2);
        assert_eq!(OrderBy::parse(&relation, "a.asc").unwrap().column, 1);
        let desc = OrderBy::parse(&relation, "a.desc").unwrap();
        assert!(desc.nulls_first, "PostgreSQL's default for DESC");
        assert!(!OrderBy::parse(&relation, "a.asc.nullslast").unwrap().nulls_first);
        assert!(OrderBy::parse(&relation, "a.up").is_err());
        assert_eq!(Filter::parse(&relation, "a.b.eq.x.y").unwrap().op, FilterOp::Compare("=", "x.y".into()));
        assert_eq!(Filter::parse(&relation, "a.eq.b").unwrap().column, 1);
        assert_eq!(Filter::parse(&relation, "a.b.null").unwrap().op, FilterOp::Is("NULL"));
        assert!(Filter::parse(&relation, "a.between.1").is_err());
        assert!(Filter::parse(&relation, "zz.eq.1").is_err());
    }

    #[test]
    fn keyset_conditions_follow_direction_and_nulls() {
        let mut relation = Relation::with_text_columns(&["id", "score"]).unwrap();
        relation.columns[0].nullable = false;
        let keys = [
            OrderBy { column: 1, descending: false, nulls_first: false },
            OrderBy { column: 0, descending: false, nulls_first: false },
        ];
        let mut params = Params::default();
        let sql = keyset_sql(&relation, &keys, &[Some("5".into()), Some("9".into())], &mut params);
        assert_eq!(sql, r#"((("score" > $1 OR "score" IS NULL)) OR ("score" = $1 AND ("id" > $2 OR "id" IS NULL)))"#);
        let mut params = Params::default();
        let sql = keyset_sql(&relation, &keys, &[None, Some("9".into())], &mut params);
        assert_eq!(sql, r#"(("score" IS NULL AND ("id" > $1 OR "id" IS NULL)))"#);
        // All keys NOT NULL and one direction: a row comparison an index can answer.
        let mut params = Params::default();
        let sql = keyset_sql(&relation, &keys[1..], &[Some("9".into())], &mut params);
        assert_eq!(sql, r#"("id") > ($1)"#);
    }

    #[test]
    fn plan_rows_reads_the_estimate() {
        assert_eq!(plan_rows(r#"[{"Plan": {"Node Type": "Seq Scan", "Plan Rows": 1234}}]"#), Some(1234));
        assert_eq!(plan_rows("[]"), None);
    }
}
