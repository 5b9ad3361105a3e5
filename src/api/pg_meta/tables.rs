//! `POST/PATCH/DELETE …/tables` and `…/columns` (postgres-meta's shapes). Objects are named by oid
//! (columns by `"{table_id}.{ordinal_position}"`); their current names are read from the catalog,
//! and every statement is built from quoted names, quoted literals, the server's spelling of a type
//! and expressions the server parsed (`engines::postgres::checks`).

use axum::extract::State;
use axum::response::Response;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::ddl::{column_id, oid, present, DdlTarget, DropTarget, SchemaChange};
use crate::api::{ApiJson, ApiPath, ApiQuery};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::engines::postgres::catalog::{self, ColumnInfo, SchemaFilter, Table};
use crate::engines::postgres::checks::Checker;
use crate::engines::postgres::ddl::{
    cascade, literal_or_null, quote_literal, DdlPlan, FkAction, Ident, IdentityGeneration, QualifiedName, SqlExpr,
    SqlType,
};
use crate::engines::EngineError;
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;

/// How `default_value` is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DefaultFormat {
    /// A value, written as a quoted literal cast to the column's type (the default).
    #[default]
    Literal,
    /// An SQL expression (admins only; it must parse as one expression).
    Expression,
}

/// A foreign key from a new column.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct References {
    /// Schema of the referenced table (default `public`).
    #[serde(default = "public")]
    schema: String,
    /// The referenced table.
    table: String,
    /// The referenced column.
    column: String,
    /// What deleting the referenced row does (default `NO ACTION`).
    #[serde(default)]
    on_delete: FkAction,
    /// What updating the referenced key does (default `NO ACTION`).
    #[serde(default)]
    on_update: FkAction,
}

/// A new column (postgres-meta's `POST /columns` body, plus `references`).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnBody {
    /// `POST …/columns` only: the table's oid.
    table_id: Option<i64>,
    /// Column name.
    name: String,
    /// A type name (optionally schema-qualified), with an optional `(n)`/`(p,s)` and `[]`s.
    #[serde(rename = "type")]
    type_name: String,
    /// The default: a value (`literal`) or an SQL expression (`expression`).
    default_value: Option<Value>,
    /// How `default_value` is read (default `literal`).
    #[serde(default)]
    default_value_format: DefaultFormat,
    /// `GENERATED … AS IDENTITY`.
    #[serde(default)]
    is_identity: bool,
    /// With `is_identity`: `BY DEFAULT` (the default) or `ALWAYS`.
    #[serde(default)]
    identity_generation: IdentityGeneration,
    /// Whether NULL is allowed (default true).
    #[serde(default = "yes")]
    is_nullable: bool,
    /// Part of the primary key.
    #[serde(default)]
    is_primary_key: bool,
    /// Unique on its own.
    #[serde(default)]
    is_unique: bool,
    /// A check constraint: an SQL expression over the table's columns.
    check: Option<String>,
    /// The column's comment.
    comment: Option<String>,
    /// A foreign key to another table's column.
    references: Option<References>,
    /// `POST …/columns` only: answer the SQL without running it.
    #[serde(default)]
    dry_run: bool,
}

fn public() -> String {
    "public".into()
}

fn yes() -> bool {
    true
}

/// Body of `POST …/tables`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTable {
    /// Schema (default `public`).
    #[serde(default = "public")]
    schema: String,
    /// Table name.
    name: String,
    /// The table's comment.
    comment: Option<String>,
    /// Its columns.
    #[serde(default)]
    columns: Vec<ColumnBody>,
    /// Answer the SQL without running it.
    #[serde(default)]
    dry_run: bool,
}

/// Body of `PATCH …/tables/{id}`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTable {
    /// New name.
    name: Option<String>,
    /// Move to this schema.
    schema: Option<String>,
    /// New comment; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    comment: Option<Option<String>>,
    /// Enable or disable row level security.
    rls_enabled: Option<bool>,
    /// Force row level security on the owner too, or not.
    rls_forced: Option<bool>,
    /// Answer the SQL without running it.
    #[serde(default)]
    dry_run: bool,
}

/// Body of `PATCH …/columns/{id}`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateColumn {
    /// New name.
    name: Option<String>,
    /// New type (same rule as a new column's).
    #[serde(rename = "type")]
    type_name: Option<String>,
    /// With `type`: how old values become new ones (an SQL expression over the table's columns).
    using: Option<String>,
    /// New default (see `default_value_format`).
    default_value: Option<Value>,
    /// How `default_value` is read (default `literal`).
    #[serde(default)]
    default_value_format: DefaultFormat,
    /// Remove the default.
    #[serde(default)]
    drop_default: bool,
    /// Allow NULL, or not.
    is_nullable: Option<bool>,
    /// Add a unique constraint on this column alone, or drop such constraints.
    is_unique: Option<bool>,
    /// New comment; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    comment: Option<Option<String>>,
    /// Answer the SQL without running it.
    #[serde(default)]
    dry_run: bool,
}

/// A column of a request, checked: names, the server's type, default and check.
struct CheckedColumn {
    name: Ident,
    sql_type: SqlType,
    default: Option<String>,
    check: Option<SqlExpr>,
    references: Option<(QualifiedName, Ident, FkAction, FkAction)>,
}

fn label(index: Option<usize>, name: &str) -> String {
    match index {
        Some(i) => format!("columns[{i}] ({name:?})"),
        None => format!("column {name:?}"),
    }
}

/// A JSON default value as text for `quote_literal`.
fn literal_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The default clause's expression: a literal cast to the column's type, or a checked expression.
async fn default_sql(
    checker: &Checker,
    value: Option<&Value>,
    format: DefaultFormat,
    sql_type: &SqlType,
    what: &str,
) -> Result<Option<String>, EngineError> {
    let Some(value) = value.filter(|v| !v.is_null()) else { return Ok(None) };
    match format {
        DefaultFormat::Literal => match literal_text(value) {
            Some(text) => Ok(Some(format!("{}::{sql_type}", quote_literal(&text)?))),
            None => Ok(None),
        },
        DefaultFormat::Expression => {
            let Value::String(expr) = value else {
                return Err(EngineError::Config(format!("{what} default_value must be a string expression")));
            };
            Ok(Some(checker.check_expression(expr, &format!("{what} default_value"), None).await?.to_string()))
        }
    }
}

/// Checks the columns of a request. `table` is the existing table (new columns are added to it),
/// or `None` for a new table; checks read the other columns of the request (or of the table).
async fn check_columns(
    checker: &Checker,
    columns: &[ColumnBody],
    table: Option<&QualifiedName>,
    indexed: bool,
) -> Result<Vec<CheckedColumn>, EngineError> {
    let mut names = Vec::new();
    let mut types = Vec::new();
    for (i, column) in columns.iter().enumerate() {
        let what = label(indexed.then_some(i), &column.name);
        names.push(Ident::new(&column.name, &format!("{what} name"))?);
        types.push(checker.resolve_type(&column.type_name, &format!("{what} type")).await?);
    }
    // What a check reads: the new columns as typed NULLs, beside the table's own columns.
    let new_columns: Vec<String> = names.iter().zip(&types).map(|(n, t)| format!("NULL::{t} AS {n}")).collect();
    let from = match table {
        Some(table) => format!("FROM {table}, (SELECT {}) AS \"new\"", new_columns.join(", ")),
        None => format!("FROM (SELECT {}) AS \"new\"", new_columns.join(", ")),
    };
    let mut checked = Vec::new();
    for (i, ((column, name), sql_type)) in columns.iter().zip(names).zip(types).enumerate() {
        let what = label(indexed.then_some(i), &column.name);
        let default =
            default_sql(checker, column.default_value.as_ref(), column.default_value_format, &sql_type, &what).await?;
        let check = match &column.check {
            Some(expr) => Some(checker.check_expression(expr, &format!("{what} check"), Some(&from)).await?),
            None => None,
        };
        let references = match &column.references {
            Some(r) => Some((
                QualifiedName::new(&r.schema, &r.table, &format!("{what} references.table"))?,
                Ident::new(&r.column, &format!("{what} references.column"))?,
                r.on_delete,
                r.on_update,
            )),
            None => None,
        };
        checked.push(CheckedColumn { name, sql_type, default, check, references });
    }
    Ok(checked)
}

/// A column definition; `primary_key` writes `PRIMARY KEY` on the column itself.
fn column_definition(body: &ColumnBody, column: &CheckedColumn, primary_key: bool) -> String {
    let mut sql = format!("{} {}", column.name, column.sql_type);
    if body.is_identity {
        sql.push_str(&format!(" GENERATED {} AS IDENTITY", body.identity_generation.sql()));
    }
    if let Some(default) = &column.default {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    if !body.is_nullable {
        sql.push_str(" NOT NULL");
    }
    if primary_key {
        sql.push_str(" PRIMARY KEY");
    }
    if body.is_unique {
        sql.push_str(" UNIQUE");
    }
    if let Some(check) = &column.check {
        sql.push_str(&format!(" CHECK {check}"));
    }
    if let Some((table, target, on_delete, on_update)) = &column.references {
        sql.push_str(&format!(
            " REFERENCES {table} ({target}) ON DELETE {} ON UPDATE {}",
            on_delete.sql(),
            on_update.sql()
        ));
    }
    sql
}

fn comment_on_column(table: &QualifiedName, column: &Ident, text: Option<&str>) -> Result<String, EngineError> {
    Ok(format!("COMMENT ON COLUMN {table}.{column} IS {}", literal_or_null(text)?))
}

/// Reads a table back as `GET …/tables` lists it.
async fn read_table(change: &SchemaChange, id: i64) -> ApiResult<Table> {
    let client = &change.client;
    let oid = u32::try_from(id).map_err(|_| ApiError::NotFound("table not found".into()))?;
    let (schema, _) = catalog::table_name(client, oid)
        .await
        .map_err(|e| change.error(e))?
        .ok_or_else(|| ApiError::NotFound("table not found".into()))?;
    let filter = SchemaFilter { included: Some(vec![schema]), ..SchemaFilter::default() };
    let tables = catalog::tables(client, &filter).await.map_err(|e| change.error(e))?;
    tables.into_iter().find(|t| t.id == id).ok_or_else(|| ApiError::NotFound("table not found".into()))
}

/// Reads a column back as `GET …/columns` lists it, by name.
async fn read_column(change: &SchemaChange, table_id: i64, schema: &str, name: &str) -> ApiResult<ColumnInfo> {
    let filter = SchemaFilter { included: Some(vec![schema.to_string()]), ..SchemaFilter::default() };
    let columns = catalog::columns(&change.client, &filter, Some(table_id)).await.map_err(|e| change.error(e))?;
    columns.into_iter().find(|c| c.name == name).ok_or_else(|| ApiError::NotFound("column not found".into()))
}

/// The table with this oid, or 404.
async fn table_of(change: &SchemaChange, oid: u32) -> ApiResult<QualifiedName> {
    let (schema, name) = catalog::table_name(&change.client, oid)
        .await
        .map_err(|e| change.error(e))?
        .ok_or_else(|| ApiError::NotFound(format!("no table with id {oid}")))?;
    QualifiedName::new(&schema, &name, "table").map_err(|e| change.error(e))
}

/// `POST /api/platform/pg-meta/{ref}/tables`: creates a table with its columns.
pub async fn create_table(
    State(app): State<AppState>,
    user: AuthUser,
    note: AuditNote,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<DdlTarget>,
    ApiJson(body): ApiJson<CreateTable>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let plan = async {
        let table =
            QualifiedName { schema: Ident::new(&body.schema, "schema")?, name: Ident::new(&body.name, "name")? };
        if let Some(i) = body.columns.iter().position(|c| c.table_id.is_some() || c.dry_run) {
            return Err(EngineError::Config(format!("columns[{i}]: table_id and dry_run belong to POST …/columns")));
        }
        let checker = Checker::new(&change.client).await?;
        let columns = check_columns(&checker, &body.columns, None, true).await?;
        checker.finish();
        let keys: Vec<&Ident> =
            body.columns.iter().zip(&columns).filter(|(b, _)| b.is_primary_key).map(|(_, c)| &c.name).collect();
        let mut parts: Vec<String> =
            body.columns.iter().zip(&columns).map(|(b, c)| column_definition(b, c, false)).collect();
        if !keys.is_empty() {
            let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
            parts.push(format!("PRIMARY KEY ({})", keys.join(", ")));
        }
        let mut statements = vec![format!("CREATE TABLE {table} ({})", parts.join(", "))];
        if let Some(comment) = &body.comment {
            statements.push(format!("COMMENT ON TABLE {table} IS {}", quote_literal(comment)?));
        }
        for (b, c) in body.columns.iter().zip(&columns) {
            if let Some(comment) = &b.comment {
                statements.push(comment_on_column(&table, &c.name, Some(comment))?);
            }
        }
        Ok((table, DdlPlan::new(statements)))
    }
    .await;
    let (table, plan) = match plan {
        Ok((table, plan)) => (Some(table), Ok(plan)),
        Err(e) => (None, Err(e)),
    };
    let object = table.as_ref().map(ToString::to_string).unwrap_or_default();
    let applied = change.apply("create_table", &object, body.dry_run || target.dry_run, plan).await?;
    applied
        .created(|| async {
            let table = table.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a created table without a name")))?;
            let id = catalog::relation_id(&change.client, table.schema.as_str(), table.name.as_str())
                .await
                .map_err(|e| change.error(e))?
                .ok_or_else(|| ApiError::NotFound("table not found".into()))?;
            read_table(&change, id).await
        })
        .await
}

/// `PATCH /api/platform/pg-meta/{ref}/tables/{id}`: renames, moves, comments, sets RLS.
pub async fn update_table(
    State(app): State<AppState>,
    user: AuthUser,
    note: AuditNote,
    ApiPath((project_ref, id)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<DdlTarget>,
    ApiJson(body): ApiJson<UpdateTable>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let oid = oid(&id, "the table id")?;
    let table = table_of(&change, oid).await?;
    let plan = (|| {
        let mut statements = Vec::new();
        if let Some(comment) = &body.comment {
            statements.push(format!("COMMENT ON TABLE {table} IS {}", literal_or_null(comment.as_deref())?));
        }
        if let Some(enabled) = body.rls_enabled {
            let verb = if enabled { "ENABLE" } else { "DISABLE" };
            statements.push(format!("ALTER TABLE {table} {verb} ROW LEVEL SECURITY"));
        }
        if let Some(forced) = body.rls_forced {
            let verb = if forced { "FORCE" } else { "NO FORCE" };
            statements.push(format!("ALTER TABLE {table} {verb} ROW LEVEL SECURITY"));
        }
        let mut current = table.clone();
        if let Some(name) = &body.name {
            let name = Ident::new(name, "name")?;
            statements.push(format!("ALTER TABLE {current} RENAME TO {name}"));
            current.name = name;
        }
        if let Some(schema) = &body.schema {
            let schema = Ident::new(schema, "schema")?;
            statements.push(format!("ALTER TABLE {current} SET SCHEMA {schema}"));
        }
        Ok(DdlPlan::new(statements))
    })();
    let applied = change.apply("update_table", &table.to_string(), body.dry_run || target.dry_run, plan).await?;
    applied.respond(|| read_table(&change, i64::from(oid))).await
}

/// `DELETE /api/platform/pg-meta/{ref}/tables/{id}`: drops a table; answers it as it was.
pub async fn delete_table(
    State(app): State<AppState>,
    user: AuthUser,
    note: AuditNote,
    ApiPath((project_ref, id)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<DropTarget>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let oid = oid(&id, "the table id")?;
    let table = table_of(&change, oid).await?;
    let before = read_table(&change, i64::from(oid)).await?;
    let plan = Ok(DdlPlan::new(vec![format!("DROP TABLE {table}{}", cascade(target.cascade))]));
    let applied = change.apply("drop_table", &table.to_string(), target.dry_run, plan).await?;
    applied.respond(|| async { Ok(before) }).await
}

/// `POST /api/platform/pg-meta/{ref}/columns`: adds a column to a table.
pub async fn create_column(
    State(app): State<AppState>,
    user: AuthUser,
    note: AuditNote,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<DdlTarget>,
    ApiJson(body): ApiJson<ColumnBody>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let table_id = body.table_id.ok_or_else(|| ApiError::validation("table_id is required"))?;
    let oid = u32::try_from(table_id).map_err(|_| ApiError::validation("table_id must be a table's oid"))?;
    let table = table_of(&change, oid).await?;
    let plan = async {
        let checker = Checker::new(&change.client).await?;
        let columns = check_columns(&checker, std::slice::from_ref(&body), Some(&table), false).await?;
        checker.finish();
        let column = columns.first().ok_or_else(|| EngineError::Config("no column".into()))?;
        let mut statements =
            vec![format!("ALTER TABLE {table} ADD COLUMN {}", column_definition(&body, column, body.is_primary_key))];
        if let Some(comment) = &body.comment {
            statements.push(comment_on_column(&table, &column.name, Some(comment))?);
        }
        Ok(DdlPlan::new(statements))
    }
    .await;
    let object = format!("{table}.{}", crate::engines::postgres::ddl::quote_ident(&body.name));
    let applied = change.apply("add_column", &object, body.dry_run || target.dry_run, plan).await?;
    applied.created(|| read_column(&change, table_id, table.schema.as_str(), &body.name)).await
}

/// `PATCH /api/platform/pg-meta/{ref}/columns/{id}`: renames, retypes, changes default, nullability,
/// uniqueness or comment.
pub async fn update_column(
    State(app): State<AppState>,
    user: AuthUser,
    note: AuditNote,
    ApiPath((project_ref, id)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<DdlTarget>,
    ApiJson(body): ApiJson<UpdateColumn>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let (table_oid, position) = column_id(&id)?;
    let current = catalog::column_name(&change.client, table_oid, position)
        .await
        .map_err(|e| change.error(e))?
        .ok_or_else(|| ApiError::NotFound(format!("no column {id}")))?;
    let table = QualifiedName::new(&current.schema, &current.table, "table").map_err(|e| change.error(e))?;
    let column = Ident::new(&current.name, "column").map_err(|e| change.error(e))?;
    if body.using.is_some() && body.type_name.is_none() {
        return Err(ApiError::validation("using needs type"));
    }
    if body.drop_default && body.default_value.is_some() {
        return Err(ApiError::validation("give default_value or drop_default, not both"));
    }
    let plan = async {
        let checker = Checker::new(&change.client).await?;
        let what = label(None, &current.name);
        let new_type = match &body.type_name {
            Some(text) => Some(checker.resolve_type(text, &format!("{what} type")).await?),
            None => None,
        };
        let using = match &body.using {
            Some(expr) => Some(checker.check_expression(expr, "using", Some(&format!("FROM {table}"))).await?),
            None => None,
        };
        let column_type = new_type.clone().unwrap_or_else(|| SqlType::from_catalog(current.type_sql.clone()));
        let default =
            default_sql(&checker, body.default_value.as_ref(), body.default_value_format, &column_type, &what).await?;
        checker.finish();
        let alter = |action: String| format!("ALTER TABLE {table} ALTER COLUMN {column} {action}");
        let mut statements = Vec::new();
        let drop_default = body.drop_default || body.default_value.as_ref().is_some_and(Value::is_null);
        if let Some(sql_type) = &new_type {
            // The old default may not cast to the new type: a default being replaced goes first.
            if drop_default || default.is_some() {
                statements.push(alter("DROP DEFAULT".into()));
            }
            let using = using.map(|u| format!(" USING {u}")).unwrap_or_default();
            statements.push(alter(format!("SET DATA TYPE {sql_type}{using}")));
        } else if drop_default {
            statements.push(alter("DROP DEFAULT".into()));
        }
        if let Some(default) = default {
            statements.push(alter(format!("SET DEFAULT {default}")));
        }
        match body.is_nullable {
            Some(true) => statements.push(alter("DROP NOT NULL".into())),
            Some(false) => statements.push(alter("SET NOT NULL".into())),
            None => {}
        }
        match body.is_unique {
            Some(true) if current.unique_constraints.is_empty() => {
                statements.push(format!("ALTER TABLE {table} ADD UNIQUE ({column})"));
            }
            Some(false) => {
                for name in &current.unique_constraints {
                    let name = Ident::new(name, "constraint")?;
                    statements.push(format!("ALTER TABLE {table} DROP CONSTRAINT {name}"));
                }
            }
            _ => {}
        }
        if let Some(comment) = &body.comment {
            statements.push(comment_on_column(&table, &column, comment.as_deref())?);
        }
        if let Some(name) = &body.name {
            let name = Ident::new(name, "name")?;
            statements.push(format!("ALTER TABLE {table} RENAME COLUMN {column} TO {name}"));
        }
        Ok(DdlPlan::new(statements))
    }
    .await;
    let object = format!("{table}.{column}");
    let applied = change.apply("update_column", &object, body.dry_run || target.dry_run, plan).await?;
    let name = body.name.clone().unwrap_or_else(|| current.name.clone());
    applied.respond(|| read_column(&change, i64::from(table_oid), &current.schema, &name)).await
}

/// `DELETE /api/platform/pg-meta/{ref}/columns/{id}`: drops a column; answers it as it was.
pub async fn delete_column(
    State(app): State<AppState>,
    user: AuthUser,
    note: AuditNote,
    ApiPath((project_ref, id)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<DropTarget>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let (table_oid, position) = column_id(&id)?;
    let current = catalog::column_name(&change.client, table_oid, position)
        .await
        .map_err(|e| change.error(e))?
        .ok_or_else(|| ApiError::NotFound(format!("no column {id}")))?;
    let before = read_column(&change, i64::from(table_oid), &current.schema, &current.name).await?;
    let plan = (|| {
        let table = QualifiedName::new(&current.schema, &current.table, "table")?;
        let column = Ident::new(&current.name, "column")?;
        Ok(DdlPlan::new(vec![format!("ALTER TABLE {table} DROP COLUMN {column}{}", cascade(target.cascade))]))
    })();
    let object = format!("{}.{}", current.table, current.name);
    let applied = change.apply("drop_column", &object, target.dry_run, plan).await?;
    applied.respond(|| async { Ok(before) }).await
}
