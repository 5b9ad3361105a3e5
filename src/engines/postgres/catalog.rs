//! Schema browsing for `GET /pg-meta/{ref}/{tables,views,schemas,columns}`, read from `pg_catalog`
//! the way Supabase's postgres-meta does (same field names where it has them), limited to objects
//! the connection's user may use.

use std::collections::HashMap;

use futures_util::future::try_join;
use schemars::JsonSchema;
use serde::Serialize;
use tokio_postgres::Row;

use super::{map_error, PostgresClient, Session};
use crate::engines::EngineError;

/// Which schemas a listing covers.
#[derive(Debug, Clone, Default)]
pub struct SchemaFilter {
    /// Only these schemas (system schemas included if named); `None` means all.
    pub included: Option<Vec<String>>,
    /// Never these schemas.
    pub excluded: Vec<String>,
    /// Also list `pg_catalog`, `information_schema` and the `pg_toast`/`pg_temp` schemas.
    pub include_system: bool,
}

/// The filter as SQL on `nc.nspname`, reading `$1` (included), `$2` (excluded), `$3` (system).
pub(super) const SCHEMA_FILTER: &str = r"
    ($1::text[] IS NULL OR nc.nspname::text = ANY($1::text[]))
    AND NOT (nc.nspname::text = ANY($2::text[]))
    AND ($1::text[] IS NOT NULL OR $3::bool OR (
        nc.nspname NOT IN ('pg_catalog', 'information_schema')
        AND nc.nspname NOT LIKE 'pg\_toast%' AND nc.nspname NOT LIKE 'pg\_temp\_%'))";

/// A schema.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Schema {
    /// Its oid.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The role that owns it.
    pub owner: String,
}

/// A column of a table, view, materialized view or foreign table.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ColumnInfo {
    /// Oid of the relation.
    pub table_id: i64,
    /// Schema of the relation.
    pub schema: String,
    /// Name of the relation.
    pub table: String,
    /// `"{table_id}.{ordinal_position}"`, as postgres-meta names columns.
    pub id: String,
    /// Position, from 1.
    pub ordinal_position: i32,
    /// Column name.
    pub name: String,
    /// `information_schema.columns.data_type`: `integer`, `text`, `ARRAY`, `USER-DEFINED`, …
    pub data_type: String,
    /// The type's own name (`int4`, `_text`, an enum's name); for a domain, its base type.
    pub format: String,
    /// Whether NULL is allowed (neither the column nor its domain says NOT NULL).
    pub is_nullable: bool,
    /// Whether the column is `GENERATED … AS IDENTITY`.
    pub is_identity: bool,
    /// Whether the column is `GENERATED ALWAYS AS (…) STORED`.
    pub is_generated: bool,
    /// The default expression.
    pub default_value: Option<String>,
    /// The column's comment.
    pub comment: Option<String>,
}

/// One column of a primary key.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PrimaryKey {
    /// Schema of the table.
    pub schema: String,
    /// Name of the table.
    pub table_name: String,
    /// Column name.
    pub name: String,
    /// Oid of the table.
    pub table_id: i64,
}

/// One column pair of a foreign key touching a table.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Relationship {
    /// Oid of the constraint.
    pub id: i64,
    /// Name of the constraint.
    pub constraint_name: String,
    /// Referencing side.
    pub source_schema: String,
    /// Referencing table.
    pub source_table_name: String,
    /// Referencing column.
    pub source_column_name: String,
    /// Referenced side.
    pub target_table_schema: String,
    /// Referenced table.
    pub target_table_name: String,
    /// Referenced column.
    pub target_column_name: String,
}

/// A table (ordinary or partitioned).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Table {
    /// Its oid.
    pub id: i64,
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Whether row level security is enabled.
    pub rls_enabled: bool,
    /// Whether it is forced on the owner too.
    pub rls_forced: bool,
    /// Live rows according to the statistics collector (an estimate).
    pub live_rows_estimate: i64,
    /// Size on disk with indexes and TOAST, in bytes.
    pub size: i64,
    /// The table's comment.
    pub comment: Option<String>,
    /// Primary key columns, in key order.
    pub primary_keys: Vec<PrimaryKey>,
    /// Foreign keys from or to this table.
    pub relationships: Vec<Relationship>,
    /// Columns, in order.
    pub columns: Vec<ColumnInfo>,
}

/// A view.
#[derive(Debug, Serialize, JsonSchema)]
pub struct View {
    /// Its oid.
    pub id: i64,
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// `pg_get_viewdef`: the query behind it.
    pub definition: Option<String>,
    /// Whether INSERT, UPDATE and DELETE work on it.
    pub is_updatable: bool,
    /// The view's comment.
    pub comment: Option<String>,
    /// Columns, in order.
    pub columns: Vec<ColumnInfo>,
}

type Params<'a> = [&'a (dyn tokio_postgres::types::ToSql + Sync); 3];

/// Runs one catalog query on `session`. Statements are prepared once per session and reused:
/// parsing and planning these joins over the catalog cost PostgreSQL more than running them.
pub(super) async fn query(
    session: &Session,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<Row>, EngineError> {
    let statement = session.prepare_cached(sql).await.map_err(map_error)?;
    session.query(&statement, params).await.map_err(map_error)
}

pub(super) async fn select(session: &Session, sql: &str, filter: &SchemaFilter) -> Result<Vec<Row>, EngineError> {
    let params: Params<'_> = [&filter.included, &filter.excluded, &filter.include_system];
    query(session, sql, &params).await
}

/// Lends a session for catalog reads, which change nothing in it.
pub(super) async fn read_catalog<T, F>(client: &PostgresClient, read: F) -> Result<T, EngineError>
where
    F: AsyncFnOnce(&Session) -> Result<T, EngineError>,
{
    let mut session = client.session().await?;
    let Some(result) = client.in_time(read(&session)).await else {
        session.discard();
        return Err(client.timed_out("a catalog read"));
    };
    let result = result?;
    session.unchanged();
    Ok(result)
}

/// Lists schemas the connection's user owns or may use.
pub async fn schemas(client: &PostgresClient, filter: &SchemaFilter) -> Result<Vec<Schema>, EngineError> {
    let sql = format!(
        "SELECT nc.oid::int8, nc.nspname::text, pg_get_userbyid(nc.nspowner)::text
         FROM pg_namespace nc
         WHERE (pg_has_role(nc.nspowner, 'USAGE') OR has_schema_privilege(nc.oid, 'CREATE, USAGE'))
           AND {SCHEMA_FILTER}
         ORDER BY nc.nspname"
    );
    let rows = read_catalog(client, async |session| select(session, &sql, filter).await).await?;
    Ok(rows.iter().map(|r| Schema { id: r.get(0), name: r.get(1), owner: r.get(2) }).collect())
}

/// Lists the columns of every relation in the filtered schemas, or of one relation.
pub async fn columns(
    client: &PostgresClient,
    filter: &SchemaFilter,
    table_id: Option<i64>,
) -> Result<Vec<ColumnInfo>, EngineError> {
    let relations = "c.relkind IN ('r', 'p', 'v', 'm', 'f')";
    let mut all = read_catalog(client, async |session| columns_where(session, filter, relations).await).await?;
    if let Some(id) = table_id {
        all.retain(|c| c.table_id == id);
    }
    Ok(all)
}

async fn columns_where(
    session: &Session,
    filter: &SchemaFilter,
    relations: &str,
) -> Result<Vec<ColumnInfo>, EngineError> {
    // data_type follows information_schema.columns: domains report their base type, arrays `ARRAY`,
    // types outside pg_catalog `USER-DEFINED`.
    let sql = format!(
        "SELECT c.oid::int8, nc.nspname::text, c.relname::text, a.attnum::int4, a.attname::text,
           CASE WHEN t.typtype = 'd' THEN
                  CASE WHEN bt.typelem <> 0 AND bt.typlen = -1 THEN 'ARRAY'
                       WHEN nbt.nspname = 'pg_catalog' THEN format_type(t.typbasetype, NULL)
                       ELSE 'USER-DEFINED' END
                ELSE
                  CASE WHEN t.typelem <> 0 AND t.typlen = -1 THEN 'ARRAY'
                       WHEN nt.nspname = 'pg_catalog' THEN format_type(a.atttypid, NULL)
                       ELSE 'USER-DEFINED' END
           END,
           COALESCE(bt.typname, t.typname)::text,
           NOT (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)),
           a.attidentity IN ('a', 'd'),
           a.attgenerated = 's',
           pg_get_expr(ad.adbin, ad.adrelid),
           col_description(c.oid, a.attnum)
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace nc ON nc.oid = c.relnamespace
         JOIN pg_type t ON t.oid = a.atttypid
         JOIN pg_namespace nt ON nt.oid = t.typnamespace
         LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
         LEFT JOIN pg_namespace nbt ON nbt.oid = bt.typnamespace
         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
         WHERE a.attnum > 0 AND NOT a.attisdropped AND {relations}
           AND NOT pg_is_other_temp_schema(nc.oid)
           AND (pg_has_role(c.relowner, 'USAGE')
                OR has_column_privilege(c.oid, a.attnum, 'SELECT, INSERT, UPDATE, REFERENCES'))
           AND {SCHEMA_FILTER}
         ORDER BY nc.nspname, c.relname, a.attnum"
    );
    let rows = select(session, &sql, filter).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let table_id: i64 = r.get(0);
            let position: i32 = r.get(3);
            ColumnInfo {
                table_id,
                schema: r.get(1),
                table: r.get(2),
                id: format!("{table_id}.{position}"),
                ordinal_position: position,
                name: r.get(4),
                data_type: r.get(5),
                format: r.get(6),
                is_nullable: r.get(7),
                is_identity: r.get(8),
                is_generated: r.get(9),
                default_value: r.get(10),
                comment: r.get(11),
            }
        })
        .collect())
}

fn group_columns(columns: Vec<ColumnInfo>) -> HashMap<i64, Vec<ColumnInfo>> {
    let mut by_table: HashMap<i64, Vec<ColumnInfo>> = HashMap::new();
    for column in columns {
        by_table.entry(column.table_id).or_default().push(column);
    }
    by_table
}

/// Lists tables with their columns, primary keys and foreign keys.
pub async fn tables(client: &PostgresClient, filter: &SchemaFilter) -> Result<Vec<Table>, EngineError> {
    let sql = format!(
        "SELECT c.oid::int8, nc.nspname::text, c.relname::text, c.relrowsecurity, c.relforcerowsecurity,
                pg_stat_get_live_tuples(c.oid), pg_total_relation_size(c.oid), obj_description(c.oid, 'pg_class')
         FROM pg_class c
         JOIN pg_namespace nc ON nc.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND NOT pg_is_other_temp_schema(nc.oid)
           AND (pg_has_role(c.relowner, 'USAGE')
                OR has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
                OR has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))
           AND {SCHEMA_FILTER}
         ORDER BY nc.nspname, c.relname"
    );
    // One session, two round trips: tables and their columns together, then keys and relationships
    // of those tables together (tokio-postgres pipelines concurrent queries on a connection).
    let (rows, columns, mut keys, relationships) = read_catalog(client, async |session| {
        let (rows, columns) =
            try_join(select(session, &sql, filter), columns_where(session, filter, "c.relkind IN ('r', 'p')")).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        let (keys, relationships) = try_join(primary_keys(session, &ids), relationships(session, &ids)).await?;
        Ok((rows, columns, keys, relationships))
    })
    .await?;
    let mut columns = group_columns(columns);
    Ok(rows
        .iter()
        .map(|r| {
            let id: i64 = r.get(0);
            let (schema, name): (String, String) = (r.get(1), r.get(2));
            Table {
                id,
                rls_enabled: r.get(3),
                rls_forced: r.get(4),
                live_rows_estimate: r.get(5),
                size: r.get(6),
                comment: r.get(7),
                primary_keys: keys.remove(&id).unwrap_or_default(),
                relationships: relationships
                    .iter()
                    .filter(|(source, target, _)| *source == id || *target == id)
                    .map(|(_, _, rel)| rel.clone())
                    .collect(),
                columns: columns.remove(&id).unwrap_or_default(),
                schema,
                name,
            }
        })
        .collect())
}

async fn primary_keys(session: &Session, ids: &[i64]) -> Result<HashMap<i64, Vec<PrimaryKey>>, EngineError> {
    let rows = query(
        session,
        "SELECT i.indrelid::int8, n.nspname::text, c.relname::text, a.attname::text
             FROM pg_index i
             JOIN pg_class c ON c.oid = i.indrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
             WHERE i.indisprimary AND i.indrelid::int8 = ANY($1::int8[])
             ORDER BY i.indrelid, array_position(i.indkey::int2[], a.attnum)",
        &[&ids],
    )
    .await?;
    let mut keys: HashMap<i64, Vec<PrimaryKey>> = HashMap::new();
    for r in rows {
        let table_id: i64 = r.get(0);
        keys.entry(table_id).or_default().push(PrimaryKey {
            schema: r.get(1),
            table_name: r.get(2),
            name: r.get(3),
            table_id,
        });
    }
    Ok(keys)
}

/// Foreign key column pairs with the source and target table oids.
async fn relationships(session: &Session, ids: &[i64]) -> Result<Vec<(i64, i64, Relationship)>, EngineError> {
    let rows = query(
        session,
        "SELECT con.conrelid::int8, con.confrelid::int8, con.oid::int8, con.conname::text,
                    ns.nspname::text, cs.relname::text, sa.attname::text,
                    nt.nspname::text, ct.relname::text, ta.attname::text
             FROM pg_constraint con
             CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(source, target, n)
             JOIN pg_class cs ON cs.oid = con.conrelid
             JOIN pg_namespace ns ON ns.oid = cs.relnamespace
             JOIN pg_attribute sa ON sa.attrelid = con.conrelid AND sa.attnum = k.source
             JOIN pg_class ct ON ct.oid = con.confrelid
             JOIN pg_namespace nt ON nt.oid = ct.relnamespace
             JOIN pg_attribute ta ON ta.attrelid = con.confrelid AND ta.attnum = k.target
             WHERE con.contype = 'f'
               AND (con.conrelid::int8 = ANY($1::int8[]) OR con.confrelid::int8 = ANY($1::int8[]))
             ORDER BY con.conname, k.n",
        &[&ids],
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let relationship = Relationship {
                id: r.get(2),
                constraint_name: r.get(3),
                source_schema: r.get(4),
                source_table_name: r.get(5),
                source_column_name: r.get(6),
                target_table_schema: r.get(7),
                target_table_name: r.get(8),
                target_column_name: r.get(9),
            };
            (r.get(0), r.get(1), relationship)
        })
        .collect())
}

/// Lists views with their definitions and columns.
pub async fn views(client: &PostgresClient, filter: &SchemaFilter) -> Result<Vec<View>, EngineError> {
    let sql = format!(
        "SELECT c.oid::int8, nc.nspname::text, c.relname::text, pg_get_viewdef(c.oid, true),
                (pg_relation_is_updatable(c.oid, false) & 28) = 28, obj_description(c.oid, 'pg_class')
         FROM pg_class c
         JOIN pg_namespace nc ON nc.oid = c.relnamespace
         WHERE c.relkind = 'v' AND NOT pg_is_other_temp_schema(nc.oid)
           AND (pg_has_role(c.relowner, 'USAGE')
                OR has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
                OR has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))
           AND {SCHEMA_FILTER}
         ORDER BY nc.nspname, c.relname"
    );
    let (rows, columns) = read_catalog(client, async |session| {
        try_join(select(session, &sql, filter), columns_where(session, filter, "c.relkind = 'v'")).await
    })
    .await?;
    let mut columns = group_columns(columns);
    Ok(rows
        .iter()
        .map(|r| {
            let id: i64 = r.get(0);
            View {
                id,
                schema: r.get(1),
                name: r.get(2),
                definition: r.get(3),
                is_updatable: r.get(4),
                comment: r.get(5),
                columns: columns.remove(&id).unwrap_or_default(),
            }
        })
        .collect())
}

/// An index.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Index {
    /// Its oid.
    pub id: i64,
    /// Schema of its table.
    pub schema: String,
    /// Its table.
    pub table: String,
    /// Oid of its table.
    pub table_id: i64,
    /// Its name.
    pub name: String,
    /// `pg_get_indexdef`: the `CREATE INDEX` statement.
    pub definition: String,
    /// Whether it enforces uniqueness.
    pub is_unique: bool,
    /// Whether it is the table's primary key.
    pub is_primary: bool,
    /// Access method: `btree`, `gin`, …
    pub method: String,
    /// Key columns (or expressions), in order.
    pub columns: Vec<String>,
    /// Size on disk, in bytes.
    pub size_bytes: i64,
    /// Index scans since the statistics were reset (`idx_scan` of `pg_stat_all_indexes`, which is
    /// `pg_stat_user_indexes` for user tables).
    pub scans: i64,
    /// Neither primary nor unique, and never scanned: a candidate for dropping.
    pub unused: bool,
    /// Whether queries can use it (a failed `CREATE INDEX CONCURRENTLY` leaves an invalid one).
    pub valid: bool,
}

/// An extension the server can install.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Extension {
    /// Its name.
    pub name: String,
    /// The version `CREATE EXTENSION` installs by default.
    pub default_version: Option<String>,
    /// The installed version, if installed.
    pub installed_version: Option<String>,
    /// The schema it is installed in, if installed.
    pub schema: Option<String>,
    /// What it does.
    pub comment: Option<String>,
}

/// Lists the indexes of the tables (and materialized views) in the filtered schemas, or of one table.
pub async fn indexes(
    client: &PostgresClient,
    filter: &SchemaFilter,
    table_id: Option<i64>,
) -> Result<Vec<Index>, EngineError> {
    let sql = format!(
        "SELECT i.indexrelid::int8, nc.nspname::text, t.relname::text, t.oid::int8, c.relname::text,
                pg_get_indexdef(i.indexrelid), i.indisunique, i.indisprimary, am.amname::text,
                ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k),
                pg_relation_size(i.indexrelid), COALESCE(s.idx_scan, 0)::int8, i.indisvalid
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace nc ON nc.oid = t.relnamespace
         JOIN pg_am am ON am.oid = c.relam
         LEFT JOIN pg_stat_all_indexes s ON s.indexrelid = i.indexrelid
         WHERE NOT pg_is_other_temp_schema(nc.oid)
           AND (pg_has_role(t.relowner, 'USAGE')
                OR has_table_privilege(t.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
                OR has_any_column_privilege(t.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))
           AND {SCHEMA_FILTER}
         ORDER BY nc.nspname, t.relname, c.relname"
    );
    let rows = read_catalog(client, async |session| select(session, &sql, filter).await).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let (is_unique, is_primary, scans): (bool, bool, i64) = (r.get(6), r.get(7), r.get(11));
            Index {
                id: r.get(0),
                schema: r.get(1),
                table: r.get(2),
                table_id: r.get(3),
                name: r.get(4),
                definition: r.get(5),
                is_unique,
                is_primary,
                method: r.get(8),
                columns: r.get(9),
                size_bytes: r.get(10),
                scans,
                unused: !is_unique && !is_primary && scans == 0,
                valid: r.get(12),
            }
        })
        .filter(|i| table_id.is_none_or(|id| i.table_id == id))
        .collect())
}

const EXTENSIONS_SQL: &str = "SELECT a.name::text, a.default_version, e.extversion, n.nspname::text, a.comment
     FROM pg_available_extensions a
     LEFT JOIN pg_extension e ON e.extname = a.name
     LEFT JOIN pg_namespace n ON n.oid = e.extnamespace";

fn extension_row(r: &Row) -> Extension {
    Extension {
        name: r.get(0),
        default_version: r.get(1),
        installed_version: r.get(2),
        schema: r.get(3),
        comment: r.get(4),
    }
}

/// Lists every extension the server can install, with what is installed.
pub async fn extensions(client: &PostgresClient) -> Result<Vec<Extension>, EngineError> {
    let sql = format!("{EXTENSIONS_SQL} ORDER BY a.name");
    let rows = read_catalog(client, async |session| query(session, &sql, &[]).await).await?;
    Ok(rows.iter().map(extension_row).collect())
}

/// One available extension by name (bound), or `None` when the server does not offer it.
pub async fn extension(client: &PostgresClient, name: &str) -> Result<Option<Extension>, EngineError> {
    let sql = format!("{EXTENSIONS_SQL} WHERE a.name = $1");
    let rows = read_catalog(client, async |session| query(session, &sql, &[&name]).await).await?;
    Ok(rows.first().map(extension_row))
}

/// Runs a lookup by bound parameters and returns the first row, if any.
async fn lookup(
    client: &PostgresClient,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Option<Row>, EngineError> {
    let rows = read_catalog(client, async |session| query(session, sql, params).await).await?;
    Ok(rows.into_iter().next())
}

/// The schema and name of a table (ordinary or partitioned) by oid.
pub async fn table_name(client: &PostgresClient, oid: u32) -> Result<Option<(String, String)>, EngineError> {
    let row = lookup(
        client,
        "SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.oid = $1 AND c.relkind IN ('r', 'p')",
        &[&oid],
    )
    .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// The oid of a relation by schema and name.
pub async fn relation_id(client: &PostgresClient, schema: &str, name: &str) -> Result<Option<i64>, EngineError> {
    let row = lookup(
        client,
        "SELECT c.oid::int8 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname = $2",
        &[&schema, &name],
    )
    .await?;
    Ok(row.map(|r| r.get(0)))
}

/// A table's column, found by the table's oid and the column's position.
#[derive(Debug)]
pub struct ColumnName {
    /// Schema of the table.
    pub schema: String,
    /// The table.
    pub table: String,
    /// The column.
    pub name: String,
    /// Its type as the server writes it (`format_type`).
    pub type_sql: String,
    /// Names of the unique constraints on this column alone.
    pub unique_constraints: Vec<String>,
}

/// The column at `attnum` of table `oid`, if both exist.
pub async fn column_name(client: &PostgresClient, oid: u32, attnum: i16) -> Result<Option<ColumnName>, EngineError> {
    let row = lookup(
        client,
        "SELECT n.nspname::text, c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod),
                ARRAY(SELECT con.conname::text FROM pg_constraint con
                      WHERE con.conrelid = c.oid AND con.contype = 'u' AND con.conkey = ARRAY[a.attnum]
                      ORDER BY con.conname)
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.oid = $1 AND c.relkind IN ('r', 'p') AND a.attnum = $2 AND NOT a.attisdropped",
        &[&oid, &attnum],
    )
    .await?;
    Ok(row.map(|r| ColumnName {
        schema: r.get(0),
        table: r.get(1),
        name: r.get(2),
        type_sql: r.get(3),
        unique_constraints: r.get(4),
    }))
}

/// A schema's name by oid.
pub async fn schema_name(client: &PostgresClient, oid: u32) -> Result<Option<String>, EngineError> {
    let row = lookup(client, "SELECT nspname::text FROM pg_namespace WHERE oid = $1", &[&oid]).await?;
    Ok(row.map(|r| r.get(0)))
}

/// The schema and name of an index by oid.
pub async fn index_name(client: &PostgresClient, oid: u32) -> Result<Option<(String, String)>, EngineError> {
    let row = lookup(
        client,
        "SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.oid = $1 AND c.relkind IN ('i', 'I')",
        &[&oid],
    )
    .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}
