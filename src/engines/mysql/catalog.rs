//! Listings of a MariaDB/MySQL server's databases and their objects, from `information_schema`.
//! Names the caller gives are always bound as parameters, never written into the SQL.

use std::collections::BTreeMap;

use mysql_async::prelude::{FromRow, Queryable};
use mysql_async::{Params, Row};
use schemars::JsonSchema;
use serde::Serialize;

use super::{map_error, typed_rows, MysqlClient};
use crate::engines::EngineError;

/// One database (schema).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Database {
    /// Its name.
    pub name: String,
    /// Default character set of new tables.
    pub charset: Option<String>,
    /// Default collation of new tables.
    pub collation: Option<String>,
}

/// One base table.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Table {
    /// Its name.
    pub name: String,
    /// Storage engine (`InnoDB`, `Aria`…).
    pub engine: Option<String>,
    /// The server's row estimate (exact for some engines, a guess for InnoDB).
    pub rows_estimate: Option<u64>,
    /// Bytes of data.
    pub data_bytes: Option<u64>,
    /// Bytes of indexes.
    pub index_bytes: Option<u64>,
    /// Default collation.
    pub collation: Option<String>,
    /// Its comment.
    pub comment: Option<String>,
}

/// One column of a table or view.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Column {
    /// Its table or view.
    pub table: String,
    /// Its name.
    pub name: String,
    /// Position, from 1.
    pub position: u64,
    /// The full type as declared (`int(10) unsigned`, `enum('a','b')`).
    pub column_type: String,
    /// The bare type name (`int`, `enum`).
    pub data_type: String,
    /// Whether it accepts NULL.
    pub nullable: bool,
    /// Its default as the server prints it (MariaDB quotes literals and prints `NULL`).
    pub default: Option<String>,
    /// `PRI`, `UNI`, `MUL` or empty.
    pub key: String,
    /// `auto_increment`, `on update current_timestamp()`…
    pub extra: String,
    /// Collation of a text column.
    pub collation: Option<String>,
    /// Its comment.
    pub comment: Option<String>,
}

/// One view.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct View {
    /// Its name.
    pub name: String,
    /// Its `SELECT`, as the server stored it.
    pub definition: Option<String>,
    /// Whether rows can be written through it.
    pub updatable: bool,
    /// `user@host` it runs as (with `SQL SECURITY DEFINER`).
    pub definer: Option<String>,
    /// `DEFINER` or `INVOKER`.
    pub security: Option<String>,
}

/// One index.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Index {
    /// Its table.
    pub table: String,
    /// Its name (`PRIMARY` for the primary key).
    pub name: String,
    /// Whether its values are unique.
    pub unique: bool,
    /// `BTREE`, `HASH`, `FULLTEXT`, `SPATIAL`.
    pub kind: Option<String>,
    /// Its columns in order (an expression part shows as an empty name).
    pub columns: Vec<String>,
}

/// One foreign key.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ForeignKey {
    /// Its table.
    pub table: String,
    /// Its name.
    pub name: String,
    /// Its columns in order.
    pub columns: Vec<String>,
    /// The database of the table it references.
    pub referenced_database: String,
    /// The table it references.
    pub referenced_table: String,
    /// The referenced columns, in the same order.
    pub referenced_columns: Vec<String>,
    /// `ON UPDATE` rule.
    pub on_update: String,
    /// `ON DELETE` rule.
    pub on_delete: String,
}

/// Runs one catalog query with bound parameters.
async fn rows<T: FromRow + Send + 'static>(
    client: &MysqlClient,
    sql: &str,
    params: impl Into<Params> + Send,
) -> Result<Vec<T>, EngineError> {
    let mut conn = client.own_session().await?;
    let rows: Vec<Row> = conn.exec(sql, params).await.map_err(map_error)?;
    typed_rows(rows)
}

/// Every database the login can see, by name.
pub async fn databases(client: &MysqlClient) -> Result<Vec<Database>, EngineError> {
    let rows: Vec<(String, Option<String>, Option<String>)> = rows(
        client,
        "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME \
         FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME",
        (),
    )
    .await?;
    Ok(rows.into_iter().map(|(name, charset, collation)| Database { name, charset, collation }).collect())
}

/// The base tables of `database`, by name.
pub async fn tables(client: &MysqlClient, database: &str) -> Result<Vec<Table>, EngineError> {
    type Cols = (String, Option<String>, Option<u64>, Option<u64>, Option<u64>, Option<String>, Option<String>);
    let rows: Vec<Cols> = rows(
        client,
        "SELECT TABLE_NAME, ENGINE, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH, TABLE_COLLATION, TABLE_COMMENT \
         FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') ORDER BY TABLE_NAME",
        (database,),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, engine, rows_estimate, data_bytes, index_bytes, collation, comment)| Table {
            name,
            engine,
            rows_estimate,
            data_bytes,
            index_bytes,
            collation,
            comment: comment.filter(|c| !c.is_empty()),
        })
        .collect())
}

/// The columns of `table` in `database` (of every table and view when `table` is `None`), in order.
pub async fn columns(client: &MysqlClient, database: &str, table: Option<&str>) -> Result<Vec<Column>, EngineError> {
    type Cols =
        (String, String, u64, String, String, String, Option<String>, String, String, Option<String>, Option<String>);
    let rows: Vec<Cols> = rows(
        client,
        "SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE, COLUMN_DEFAULT, \
                COLUMN_KEY, EXTRA, COLLATION_NAME, COLUMN_COMMENT \
         FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = ? AND (? IS NULL OR TABLE_NAME = ?) \
         ORDER BY TABLE_NAME, ORDINAL_POSITION",
        (database, table, table),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|(table, name, position, column_type, data_type, nullable, default, key, extra, collation, comment)| {
            Column {
                table,
                name,
                position,
                column_type,
                data_type,
                nullable: nullable == "YES",
                default,
                key,
                extra,
                collation,
                comment: comment.filter(|c| !c.is_empty()),
            }
        })
        .collect())
}

/// The views of `database`, by name.
pub async fn views(client: &MysqlClient, database: &str) -> Result<Vec<View>, EngineError> {
    type Cols = (String, Option<String>, String, Option<String>, Option<String>);
    let rows: Vec<Cols> = rows(
        client,
        "SELECT TABLE_NAME, VIEW_DEFINITION, IS_UPDATABLE, DEFINER, SECURITY_TYPE \
         FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
        (database,),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, definition, updatable, definer, security)| View {
            name,
            definition,
            updatable: updatable == "YES",
            definer,
            security,
        })
        .collect())
}

/// The indexes of `database` (of one table when `table` is given), by table and name.
pub async fn indexes(client: &MysqlClient, database: &str, table: Option<&str>) -> Result<Vec<Index>, EngineError> {
    type Cols = (String, String, u64, Option<String>, Option<String>);
    let rows: Vec<Cols> = rows(
        client,
        "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, INDEX_TYPE, COLUMN_NAME \
         FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = ? AND (? IS NULL OR TABLE_NAME = ?) \
         ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        (database, table, table),
    )
    .await?;
    let mut out: BTreeMap<(String, String), Index> = BTreeMap::new();
    for (table, name, non_unique, kind, column) in rows {
        out.entry((table.clone(), name.clone()))
            .or_insert_with(|| Index { table, name, unique: non_unique == 0, kind, columns: Vec::new() })
            .columns
            .push(column.unwrap_or_default());
    }
    Ok(out.into_values().collect())
}

/// The foreign keys of `database`, by table and name.
pub async fn foreign_keys(client: &MysqlClient, database: &str) -> Result<Vec<ForeignKey>, EngineError> {
    type Cols = (String, String, String, String, String, String, String, String);
    let rows: Vec<Cols> = rows(
        client,
        "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, \
                k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE \
         FROM information_schema.KEY_COLUMN_USAGE k \
         JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
           ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
          AND r.TABLE_NAME = k.TABLE_NAME \
         WHERE k.TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL \
         ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
        (database,),
    )
    .await?;
    let mut out: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
    for (table, name, column, ref_db, ref_table, ref_column, on_update, on_delete) in rows {
        let key = out.entry((table.clone(), name.clone())).or_insert_with(|| ForeignKey {
            table,
            name,
            columns: Vec::new(),
            referenced_database: ref_db,
            referenced_table: ref_table,
            referenced_columns: Vec::new(),
            on_update,
            on_delete,
        });
        key.columns.push(column);
        key.referenced_columns.push(ref_column);
    }
    Ok(out.into_values().collect())
}
