//! Triggers for `…/pg-meta/{ref}/triggers`: listed like postgres-meta (from `pg_trigger`, internal
//! ones left out), created and dropped with quoted names and literals.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::catalog::{query, read_catalog, select, SchemaFilter, SCHEMA_FILTER};
use super::ddl::{quote_literal, DdlPlan, Ident, QualifiedName};
use super::policies::Expression;
use super::PostgresClient;
use crate::engines::EngineError;

/// A trigger.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Trigger {
    /// Its oid.
    pub id: i64,
    /// Schema of its table.
    pub schema: String,
    /// Its table (or view).
    pub table: String,
    /// Oid of its table.
    pub table_id: i64,
    /// Its name.
    pub name: String,
    /// `ORIGIN`, `REPLICA`, `ALWAYS` or `DISABLED`.
    pub enabled_mode: String,
    /// Schema of the function it runs.
    pub function_schema: String,
    /// The function it runs.
    pub function_name: String,
    /// The arguments given to the function.
    pub function_args: Vec<String>,
    /// `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`.
    pub events: Vec<String>,
    /// `BEFORE`, `AFTER` or `INSTEAD OF`.
    pub activation: String,
    /// `ROW` or `STATEMENT`.
    pub orientation: String,
    /// The `WHEN` condition.
    pub condition: Option<String>,
}

/// `BEFORE | AFTER | INSTEAD OF`.
#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
pub enum Activation {
    /// `BEFORE`.
    #[serde(rename = "BEFORE")]
    Before,
    /// `AFTER`.
    #[serde(rename = "AFTER")]
    After,
    /// `INSTEAD OF` (views, row triggers).
    #[serde(rename = "INSTEAD OF")]
    InsteadOf,
}

/// An event that fires a trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Event {
    /// `INSERT`.
    Insert,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
    /// `TRUNCATE` (statement triggers).
    Truncate,
}

/// `FOR EACH ROW | STATEMENT`.
#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Orientation {
    /// Once per row.
    Row,
    /// Once per statement.
    Statement,
}

// tgtype bits (pg_trigger.h): 1 ROW, 2 BEFORE, 4 INSERT, 8 DELETE, 16 UPDATE, 32 TRUNCATE, 64 INSTEAD.
const TRIGGERS_SQL: &str = r"SELECT t.oid::int8, nc.nspname::text, c.relname::text, c.oid::int8, t.tgname::text,
       CASE t.tgenabled WHEN 'D' THEN 'DISABLED' WHEN 'R' THEN 'REPLICA' WHEN 'A' THEN 'ALWAYS' ELSE 'ORIGIN' END,
       pn.nspname::text, p.proname::text,
       t.tgargs, t.tgnargs::int4,
       array_remove(ARRAY[CASE WHEN t.tgtype & 4 <> 0 THEN 'INSERT' END, CASE WHEN t.tgtype & 16 <> 0 THEN 'UPDATE' END,
                          CASE WHEN t.tgtype & 8 <> 0 THEN 'DELETE' END, CASE WHEN t.tgtype & 32 <> 0 THEN 'TRUNCATE' END],
                    NULL),
       CASE WHEN t.tgtype & 2 <> 0 THEN 'BEFORE' WHEN t.tgtype & 64 <> 0 THEN 'INSTEAD OF' ELSE 'AFTER' END,
       CASE WHEN t.tgtype & 1 <> 0 THEN 'ROW' ELSE 'STATEMENT' END,
       CASE WHEN t.tgqual IS NOT NULL THEN
         substring(pg_get_triggerdef(t.oid) FROM '\sWHEN \((.*)\) EXECUTE (?:FUNCTION|PROCEDURE) ') END
     FROM pg_trigger t
     JOIN pg_class c ON c.oid = t.tgrelid
     JOIN pg_namespace nc ON nc.oid = c.relnamespace
     JOIN pg_proc p ON p.oid = t.tgfoid
     JOIN pg_namespace pn ON pn.oid = p.pronamespace
     WHERE NOT t.tgisinternal";

fn trigger(r: &tokio_postgres::Row) -> Trigger {
    Trigger {
        id: r.get(0),
        schema: r.get(1),
        table: r.get(2),
        table_id: r.get(3),
        name: r.get(4),
        enabled_mode: r.get(5),
        function_schema: r.get(6),
        function_name: r.get(7),
        function_args: trigger_args(r.get(8), r.get(9)),
        events: r.get(10),
        activation: r.get(11),
        orientation: r.get(12),
        condition: r.get(13),
    }
}

/// `tgargs`: each argument followed by a NUL byte.
fn trigger_args(bytes: Vec<u8>, count: i32) -> Vec<String> {
    let count = usize::try_from(count).unwrap_or(0);
    bytes.split(|b| *b == 0).take(count).map(|arg| String::from_utf8_lossy(arg).into_owned()).collect()
}

/// Lists the triggers of tables and views in the filtered schemas.
pub async fn list(client: &PostgresClient, filter: &SchemaFilter) -> Result<Vec<Trigger>, EngineError> {
    let sql = format!("{TRIGGERS_SQL} AND {SCHEMA_FILTER} ORDER BY nc.nspname, c.relname, t.tgname");
    let rows = read_catalog(client, async |s| select(s, &sql, filter).await).await?;
    Ok(rows.iter().map(trigger).collect())
}

/// The trigger with oid `id`, or `NotFound`.
pub async fn get(client: &PostgresClient, id: u32) -> Result<Trigger, EngineError> {
    let sql = format!("{TRIGGERS_SQL} AND t.oid = $1::int8::oid");
    let rows = read_catalog(client, async |s| query(s, &sql, &[&i64::from(id)]).await).await?;
    rows.first().map(trigger).ok_or_else(|| EngineError::NotFound(format!("no trigger with id {id}")))
}

/// What a new trigger says.
pub struct NewTrigger<'a> {
    /// Its table or view.
    pub table: &'a QualifiedName,
    /// Its name.
    pub name: Ident,
    /// The function it runs.
    pub function: QualifiedName,
    /// Text arguments given to the function.
    pub function_args: &'a [String],
    /// When it fires.
    pub activation: Activation,
    /// What fires it.
    pub events: &'a [Event],
    /// Per row or per statement.
    pub orientation: Orientation,
    /// The `WHEN` condition.
    pub condition: Option<Expression>,
}

/// `CREATE TRIGGER`.
pub fn create_plan(t: &NewTrigger<'_>) -> Result<DdlPlan, EngineError> {
    if t.events.is_empty() {
        return Err(EngineError::Config("events must name at least one of INSERT, UPDATE, DELETE, TRUNCATE".into()));
    }
    let mut events: Vec<&str> = Vec::new();
    for event in t.events {
        let word = match event {
            Event::Insert => "INSERT",
            Event::Update => "UPDATE",
            Event::Delete => "DELETE",
            Event::Truncate => "TRUNCATE",
        };
        if !events.contains(&word) {
            events.push(word);
        }
    }
    let activation = match t.activation {
        Activation::Before => "BEFORE",
        Activation::After => "AFTER",
        Activation::InsteadOf => "INSTEAD OF",
    };
    let orientation = match t.orientation {
        Orientation::Row => "ROW",
        Orientation::Statement => "STATEMENT",
    };
    let args = t.function_args.iter().map(|a| quote_literal(a)).collect::<Result<Vec<_>, _>>()?.join(", ");
    let when = t.condition.as_ref().map(|c| format!(" WHEN {c}")).unwrap_or_default();
    Ok(DdlPlan::new(vec![format!(
        "CREATE TRIGGER {} {activation} {} ON {} FOR EACH {orientation}{when} EXECUTE FUNCTION {}({args})",
        t.name,
        events.join(" OR "),
        t.table,
        t.function
    )]))
}

/// `DROP TRIGGER [CASCADE]`.
pub fn drop_plan(current: &Trigger, cascade: bool) -> Result<DdlPlan, EngineError> {
    let table =
        QualifiedName { schema: Ident::new(&current.schema, "schema")?, name: Ident::new(&current.table, "table")? };
    let name = Ident::new(&current.name, "trigger name")?;
    let cascade = if cascade { " CASCADE" } else { "" };
    Ok(DdlPlan::new(vec![format!("DROP TRIGGER {name} ON {table}{cascade}")]))
}
