//! Read-only listings of `…/pg-meta/{ref}/{functions,types,materialized-views,foreign-keys,config,
//! version}`, read from `pg_catalog` the way Supabase's postgres-meta does (same field names), and
//! the one change among them: refreshing a materialized view.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::catalog::{query, read_catalog, select, SchemaFilter, SCHEMA_FILTER};
use super::ddl::{DdlPlan, Ident, QualifiedName};
use super::PostgresClient;
use crate::engines::EngineError;

/// The schema-qualified name of the relation with oid `id` whose kind is one of `kinds`
/// (`pg_class.relkind` letters), or `NotFound` naming `what`.
pub async fn relation_name(
    client: &PostgresClient,
    id: u32,
    kinds: &str,
    what: &str,
) -> Result<QualifiedName, EngineError> {
    let rows = read_catalog(client, async |s| {
        query(
            s,
            "SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.oid = $1::int8::oid AND strpos($2::text, c.relkind::text) > 0",
            &[&i64::from(id), &kinds],
        )
        .await
    })
    .await?;
    let row = rows.first().ok_or_else(|| EngineError::NotFound(format!("no {what} with id {id}")))?;
    Ok(QualifiedName { schema: Ident::new(row.get(0), "schema")?, name: Ident::new(row.get(1), "name")? })
}

/// One argument of a function.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FunctionArg {
    /// `in`, `out`, `inout`, `variadic` or `table`.
    pub mode: String,
    /// Its name (`""` when unnamed).
    pub name: String,
    /// Oid of its type.
    pub type_id: i64,
    /// Its type, as `format_type` writes it.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Whether it has a default (input arguments only).
    pub has_default: bool,
}

/// A function or aggregate.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Function {
    /// Its oid.
    pub id: i64,
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Its language (`sql`, `plpgsql`, `internal`, …).
    pub language: String,
    /// Its body (`prosrc`); empty for `internal` functions.
    pub definition: String,
    /// `pg_get_functiondef`: the `CREATE FUNCTION` statement (null for aggregates).
    pub complete_statement: Option<String>,
    /// Every argument, in order, `out` and `table` ones included.
    pub args: Vec<FunctionArg>,
    /// `pg_get_function_arguments`.
    pub argument_types: String,
    /// `pg_get_function_identity_arguments`.
    pub identity_argument_types: String,
    /// Oid of the return type.
    pub return_type_id: i64,
    /// `pg_get_function_result`.
    pub return_type: String,
    /// The relation whose row type it returns, if any.
    pub return_type_relation_id: Option<i64>,
    /// `RETURNS SETOF` / `RETURNS TABLE`.
    pub is_set_returning_function: bool,
    /// The planner's row estimate of a set-returning function.
    pub prorows: Option<f32>,
    /// `IMMUTABLE`, `STABLE` or `VOLATILE`.
    pub behavior: String,
    /// `SECURITY DEFINER`.
    pub security_definer: bool,
    /// Settings applied while it runs (`SET name = value`).
    pub config_params: Option<BTreeMap<String, String>>,
    /// `f` function, `a` aggregate.
    #[serde(skip)]
    pub kind: String,
}

/// Lists functions and aggregates (not procedures or window functions).
pub async fn functions(client: &PostgresClient, filter: &SchemaFilter) -> Result<Vec<Function>, EngineError> {
    let sql = format!(
        "WITH f AS (
           SELECT p.*, COALESCE(p.proallargtypes, p.proargtypes::oid[]) AS arg_types FROM pg_proc p)
         SELECT p.oid::int8, nc.nspname::text, p.proname::text, l.lanname::text,
           CASE WHEN l.lanname = 'internal' THEN '' ELSE p.prosrc END,
           CASE WHEN p.prokind = 'a' THEN NULL WHEN l.lanname = 'internal' THEN p.prosrc
                ELSE pg_get_functiondef(p.oid) END,
           COALESCE(p.proargmodes::text[], array_fill('i'::text, ARRAY[cardinality(p.arg_types)])),
           COALESCE(p.proargnames::text[], array_fill(''::text, ARRAY[cardinality(p.arg_types)])),
           ARRAY(SELECT u.t::int8 FROM unnest(p.arg_types) WITH ORDINALITY u(t, o) ORDER BY u.o),
           ARRAY(SELECT format_type(u.t, NULL) FROM unnest(p.arg_types) WITH ORDINALITY u(t, o) ORDER BY u.o),
           p.pronargdefaults::int4,
           pg_get_function_arguments(p.oid), pg_get_function_identity_arguments(p.oid),
           p.prorettype::int8, pg_get_function_result(p.oid), NULLIF(rt.typrelid, 0)::int8, p.proretset,
           CASE WHEN p.proretset THEN NULLIF(p.prorows, 0) END,
           CASE p.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END,
           p.prosecdef, p.proconfig, p.prokind::text
         FROM f p
         JOIN pg_namespace nc ON nc.oid = p.pronamespace
         JOIN pg_language l ON l.oid = p.prolang
         LEFT JOIN pg_type rt ON rt.oid = p.prorettype
         WHERE p.prokind IN ('f', 'a') AND {SCHEMA_FILTER}
         ORDER BY nc.nspname, p.proname, p.oid"
    );
    let rows = read_catalog(client, async |s| select(s, &sql, filter).await).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let modes: Vec<String> = r.get(6);
            let names: Vec<String> = r.get(7);
            let type_ids: Vec<i64> = r.get(8);
            let type_names: Vec<String> = r.get(9);
            let defaults: i32 = r.get(10);
            let config: Option<Vec<String>> = r.get(20);
            Function {
                id: r.get(0),
                schema: r.get(1),
                name: r.get(2),
                language: r.get(3),
                definition: r.get(4),
                complete_statement: r.get(5),
                args: function_args(&modes, &names, &type_ids, &type_names, defaults),
                argument_types: r.get(11),
                identity_argument_types: r.get(12),
                return_type_id: r.get(13),
                return_type: r.get(14),
                return_type_relation_id: r.get(15),
                is_set_returning_function: r.get(16),
                prorows: r.get(17),
                behavior: r.get(18),
                security_definer: r.get(19),
                config_params: config.map(|settings| {
                    settings
                        .iter()
                        .map(|s| match s.split_once('=') {
                            Some((k, v)) => (k.to_string(), v.to_string()),
                            None => (s.clone(), String::new()),
                        })
                        .collect()
                }),
                kind: r.get(21),
            }
        })
        .collect())
}

/// Arguments from `pg_proc`'s parallel arrays; the last `defaults` input arguments have defaults.
fn function_args(
    modes: &[String],
    names: &[String],
    type_ids: &[i64],
    type_names: &[String],
    defaults: i32,
) -> Vec<FunctionArg> {
    let is_input = |mode: &str| matches!(mode, "i" | "b" | "v");
    let inputs = modes.iter().filter(|m| is_input(m)).count();
    let first_default = inputs.saturating_sub(usize::try_from(defaults).unwrap_or(0));
    let mut input_index = 0;
    let mut args = Vec::new();
    for (i, mode) in modes.iter().enumerate() {
        let has_default = if is_input(mode) {
            input_index += 1;
            input_index > first_default
        } else {
            false
        };
        args.push(FunctionArg {
            mode: match mode.as_str() {
                "i" => "in",
                "o" => "out",
                "b" => "inout",
                "v" => "variadic",
                _ => "table",
            }
            .to_string(),
            name: names.get(i).cloned().unwrap_or_default(),
            type_id: type_ids.get(i).copied().unwrap_or(0),
            type_name: type_names.get(i).cloned().unwrap_or_default(),
            has_default,
        });
    }
    args
}

/// One attribute of a composite type.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TypeAttribute {
    /// Its name.
    pub name: String,
    /// Oid of its type.
    pub type_id: i64,
    /// Its type, as `format_type` writes it.
    #[serde(rename = "type")]
    pub type_name: String,
}

/// A type: enums list their labels, composite types their attributes.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PgType {
    /// Its oid.
    pub id: i64,
    /// Its name (`typname`).
    pub name: String,
    /// Its schema.
    pub schema: String,
    /// `format_type`.
    pub format: String,
    /// An enum's labels, in order (empty for other types).
    pub enums: Vec<String>,
    /// A composite type's attributes, in order (empty for other types).
    pub attributes: Vec<TypeAttribute>,
    /// Its comment.
    pub comment: Option<String>,
    /// The relation whose row type it is, if any.
    pub type_relation_id: Option<i64>,
}

/// Lists types. Without `all`, array types and the row types of tables and views are left out
/// (as postgres-meta's listing does); with it (for the TypeScript generator) every type is listed.
pub async fn types(client: &PostgresClient, filter: &SchemaFilter, all: bool) -> Result<Vec<PgType>, EngineError> {
    let kinds = if all { "('c', 'r', 'v', 'm', 'p', 'f')" } else { "('c')" };
    let arrays = if all {
        ""
    } else {
        "AND NOT EXISTS (SELECT 1 FROM pg_type el WHERE el.oid = t.typelem AND el.typarray = t.oid)"
    };
    let sql = format!(
        "SELECT t.oid::int8, t.typname::text, nc.nspname::text, format_type(t.oid, NULL),
           ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
           ARRAY(SELECT a.attname::text FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                 WHERE c.oid = t.typrelid AND c.relkind = 'c' AND a.attnum > 0 AND NOT a.attisdropped
                 ORDER BY a.attnum),
           ARRAY(SELECT a.atttypid::int8 FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                 WHERE c.oid = t.typrelid AND c.relkind = 'c' AND a.attnum > 0 AND NOT a.attisdropped
                 ORDER BY a.attnum),
           ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                 WHERE c.oid = t.typrelid AND c.relkind = 'c' AND a.attnum > 0 AND NOT a.attisdropped
                 ORDER BY a.attnum),
           obj_description(t.oid, 'pg_type'), NULLIF(t.typrelid, 0)::int8
         FROM pg_type t
         JOIN pg_namespace nc ON nc.oid = t.typnamespace
         WHERE (t.typrelid = 0 OR (SELECT c.relkind IN {kinds} FROM pg_class c WHERE c.oid = t.typrelid))
           {arrays}
           AND {SCHEMA_FILTER}
         ORDER BY nc.nspname, t.typname"
    );
    let rows = read_catalog(client, async |s| select(s, &sql, filter).await).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let names: Vec<String> = r.get(5);
            let ids: Vec<i64> = r.get(6);
            let formats: Vec<String> = r.get(7);
            PgType {
                id: r.get(0),
                name: r.get(1),
                schema: r.get(2),
                format: r.get(3),
                enums: r.get(4),
                attributes: names
                    .into_iter()
                    .zip(ids)
                    .zip(formats)
                    .map(|((name, type_id), type_name)| TypeAttribute { name, type_id, type_name })
                    .collect(),
                comment: r.get(8),
                type_relation_id: r.get(9),
            }
        })
        .collect())
}

/// A materialized view.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MaterializedView {
    /// Its oid.
    pub id: i64,
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Whether it holds data (it was refreshed, or created `WITH DATA`).
    pub is_populated: bool,
    /// `pg_get_viewdef`: the query behind it.
    pub definition: Option<String>,
    /// Its comment.
    pub comment: Option<String>,
    /// Columns, in order (only with `include_columns=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<super::catalog::ColumnInfo>>,
}

/// Lists materialized views, with their columns if asked.
pub async fn materialized_views(
    client: &PostgresClient,
    filter: &SchemaFilter,
    include_columns: bool,
) -> Result<Vec<MaterializedView>, EngineError> {
    let sql = format!(
        "SELECT c.oid::int8, nc.nspname::text, c.relname::text, c.relispopulated, pg_get_viewdef(c.oid, true),
                obj_description(c.oid, 'pg_class')
         FROM pg_class c
         JOIN pg_namespace nc ON nc.oid = c.relnamespace
         WHERE c.relkind = 'm'
           AND (pg_has_role(c.relowner, 'USAGE') OR has_table_privilege(c.oid, 'SELECT')
                OR has_any_column_privilege(c.oid, 'SELECT'))
           AND {SCHEMA_FILTER}
         ORDER BY nc.nspname, c.relname"
    );
    let rows = read_catalog(client, async |s| select(s, &sql, filter).await).await?;
    let mut columns = if include_columns {
        let mut by_table: BTreeMap<i64, Vec<super::catalog::ColumnInfo>> = BTreeMap::new();
        for column in super::catalog::columns(client, filter, None).await? {
            by_table.entry(column.table_id).or_default().push(column);
        }
        Some(by_table)
    } else {
        None
    };
    Ok(rows
        .iter()
        .map(|r| {
            let id: i64 = r.get(0);
            MaterializedView {
                id,
                schema: r.get(1),
                name: r.get(2),
                is_populated: r.get(3),
                definition: r.get(4),
                comment: r.get(5),
                columns: columns.as_mut().map(|c| c.remove(&id).unwrap_or_default()),
            }
        })
        .collect())
}

/// `REFRESH MATERIALIZED VIEW [CONCURRENTLY]`; a concurrent refresh cannot run in a transaction.
pub fn refresh_plan(view: &QualifiedName, concurrently: bool) -> DdlPlan {
    let how = if concurrently { " CONCURRENTLY" } else { "" };
    DdlPlan { statements: vec![format!("REFRESH MATERIALIZED VIEW{how} {view}")], transactional: !concurrently }
}

/// A foreign key, with its columns in key order.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ForeignKey {
    /// Oid of the constraint.
    pub id: i64,
    /// Its name.
    pub constraint_name: String,
    /// Schema of the referencing table.
    pub source_schema: String,
    /// The referencing table.
    pub source_table_name: String,
    /// Its oid.
    pub source_table_id: i64,
    /// The referencing columns.
    pub source_columns: Vec<String>,
    /// Schema of the referenced table.
    pub target_table_schema: String,
    /// The referenced table.
    pub target_table_name: String,
    /// Its oid.
    pub target_table_id: i64,
    /// The referenced columns.
    pub target_columns: Vec<String>,
    /// `NO ACTION`, `RESTRICT`, `CASCADE`, `SET NULL` or `SET DEFAULT`.
    pub on_update: String,
    /// Same, on delete.
    pub on_delete: String,
}

/// Lists foreign keys whose referencing table is in the filtered schemas.
pub async fn foreign_keys(client: &PostgresClient, filter: &SchemaFilter) -> Result<Vec<ForeignKey>, EngineError> {
    let action = |col: &str| {
        format!(
            "CASE con.{col} WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL'
                  WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END"
        )
    };
    let (on_update, on_delete) = (action("confupdtype"), action("confdeltype"));
    let sql = format!(
        "SELECT con.oid::int8, con.conname::text, nc.nspname::text, cs.relname::text, cs.oid::int8,
           ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o),
           nt.nspname::text, ct.relname::text, ct.oid::int8,
           ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o),
           {on_update}, {on_delete}
         FROM pg_constraint con
         JOIN pg_class cs ON cs.oid = con.conrelid
         JOIN pg_namespace nc ON nc.oid = cs.relnamespace
         JOIN pg_class ct ON ct.oid = con.confrelid
         JOIN pg_namespace nt ON nt.oid = ct.relnamespace
         WHERE con.contype = 'f' AND con.conparentid = 0 AND {SCHEMA_FILTER}
         ORDER BY nc.nspname, cs.relname, con.conname"
    );
    let rows = read_catalog(client, async |s| select(s, &sql, filter).await).await?;
    Ok(rows
        .iter()
        .map(|r| ForeignKey {
            id: r.get(0),
            constraint_name: r.get(1),
            source_schema: r.get(2),
            source_table_name: r.get(3),
            source_table_id: r.get(4),
            source_columns: r.get(5),
            target_table_schema: r.get(6),
            target_table_name: r.get(7),
            target_table_id: r.get(8),
            target_columns: r.get(9),
            on_update: r.get(10),
            on_delete: r.get(11),
        })
        .collect())
}

/// One server setting, as `pg_settings` shows it to the connection's login.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Setting {
    /// Its name.
    pub name: String,
    /// Its value (in `unit`).
    pub setting: Option<String>,
    /// The unit of `setting`, if any.
    pub unit: Option<String>,
    /// Its group.
    pub category: Option<String>,
    /// What it does.
    pub short_desc: Option<String>,
    /// When it can be changed (`postmaster`, `sighup`, `user`, …).
    pub context: Option<String>,
    /// `bool`, `enum`, `integer`, `real` or `string`.
    pub vartype: Option<String>,
    /// Where the value came from.
    pub source: Option<String>,
    /// Least value allowed.
    pub min_val: Option<String>,
    /// Greatest value allowed.
    pub max_val: Option<String>,
    /// An enum setting's choices.
    pub enumvals: Option<Vec<String>>,
    /// Whether a changed value waits for a restart.
    pub pending_restart: Option<bool>,
}

/// Lists the settings the connection's login can read.
pub async fn settings(client: &PostgresClient) -> Result<Vec<Setting>, EngineError> {
    let sql = "SELECT name, setting, unit, category, short_desc, context, vartype, source, min_val, max_val, enumvals,
                      pending_restart
               FROM pg_settings ORDER BY category, name";
    let rows = read_catalog(client, async |s| query(s, sql, &[]).await).await?;
    Ok(rows
        .iter()
        .map(|r| Setting {
            name: r.get(0),
            setting: r.get(1),
            unit: r.get(2),
            category: r.get(3),
            short_desc: r.get(4),
            context: r.get(5),
            vartype: r.get(6),
            source: r.get(7),
            min_val: r.get(8),
            max_val: r.get(9),
            enumvals: r.get(10),
            pending_restart: r.get(11),
        })
        .collect())
}

/// The server's version and connection counts.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Version {
    /// `version()`.
    pub version: String,
    /// `server_version_num`, e.g. `160004`.
    pub version_number: i64,
    /// Sessions open now (those the login may see).
    pub active_connections: i64,
    /// `max_connections`.
    pub max_connections: i64,
}

/// Reads the server's version and connection counts.
pub async fn version(client: &PostgresClient) -> Result<Version, EngineError> {
    let sql = "SELECT version(), current_setting('server_version_num')::int8,
                      (SELECT count(*) FROM pg_stat_activity), current_setting('max_connections')::int8";
    let rows = read_catalog(client, async |s| query(s, sql, &[]).await).await?;
    let r = rows.first().ok_or_else(|| EngineError::NotFound("the server reported no version".into()))?;
    Ok(Version { version: r.get(0), version_number: r.get(1), active_connections: r.get(2), max_connections: r.get(3) })
}
