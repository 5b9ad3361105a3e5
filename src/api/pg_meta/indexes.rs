//! `…/indexes` (listing with size and usage, create, drop) and `…/extensions` (listing, install,
//! remove). Indexes are named by oid in the path, extensions by name; an extension's name must be
//! one the server offers (`pg_available_extensions`, asked with a bound parameter).

use axum::extract::State;
use axum::response::Response;
use schemars::JsonSchema;
use serde::Deserialize;

use super::ddl::{oid, DdlTarget, DropTarget, SchemaChange};
use super::{engine_error, postgres, ListParams, Target};
use crate::api::{ApiJson, ApiPath, ApiQuery, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::{ConnectionId, Permission};
use crate::engines::postgres::catalog::{self, Extension, Index, SchemaFilter};
use crate::engines::postgres::checks::Checker;
use crate::engines::postgres::ddl::{cascade, quote_literal, DdlPlan, Ident, IndexMethod, QualifiedName};
use crate::engines::EngineError;
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;

/// One key column of a new index.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexColumn {
    /// Column name.
    name: String,
    /// Descending order.
    #[serde(default)]
    desc: bool,
    /// NULLs first (`true`) or last (`false`); default: PostgreSQL's for the order.
    nulls_first: Option<bool>,
}

/// Body of `POST …/indexes`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIndex {
    /// The table's oid.
    table_id: i64,
    /// Index name (default: the server picks one).
    name: Option<String>,
    /// Key columns (or give `expressions`).
    #[serde(default)]
    columns: Vec<IndexColumn>,
    /// Key expressions over the table's columns (or give `columns`).
    #[serde(default)]
    expressions: Vec<String>,
    /// A unique index.
    #[serde(default)]
    unique: bool,
    /// Access method (default `btree`).
    #[serde(default)]
    method: IndexMethod,
    /// A partial index: only rows where this expression holds.
    #[serde(rename = "where")]
    predicate: Option<String>,
    /// Build without blocking writes (`CONCURRENTLY`; not in a transaction).
    #[serde(default)]
    concurrently: bool,
    /// Answer the SQL without running it.
    #[serde(default)]
    dry_run: bool,
}

/// `?connection_id=&dry_run=&cascade=&concurrently=` of `DELETE …/indexes/{id}`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DropIndexTarget {
    /// The PostgreSQL connection (default: the project's primary one).
    connection_id: Option<ConnectionId>,
    /// Answer the SQL without running it.
    #[serde(default)]
    dry_run: bool,
    /// Also drop what depends on the index.
    #[serde(default)]
    cascade: bool,
    /// Drop without blocking the table (`CONCURRENTLY`; not with `cascade`).
    #[serde(default)]
    concurrently: bool,
}

/// Body of `POST …/extensions`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateExtension {
    /// An extension `GET …/extensions` lists.
    name: String,
    /// The schema to install it in (default: the extension's choice or the current schema).
    schema: Option<String>,
    /// The version to install (default: its default version).
    version: Option<String>,
    /// Also install the extensions it needs.
    #[serde(default)]
    cascade: bool,
    /// Answer the SQL without running it.
    #[serde(default)]
    dry_run: bool,
}

/// `GET /api/platform/pg-meta/{ref}/indexes`: indexes with definition, size and usage.
pub async fn indexes(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Data<Vec<Index>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, params.connection_id).await?;
    let indexes = catalog::indexes(&client, &params.filter(), params.table_id)
        .await
        .map_err(|e| engine_error(&app, &record, e))?;
    Ok(Data(indexes))
}

/// Reads an index back as `GET …/indexes` lists it.
async fn read_index(change: &SchemaChange, schema: &str, id: i64) -> ApiResult<Index> {
    let filter = SchemaFilter { included: Some(vec![schema.to_string()]), ..SchemaFilter::default() };
    let indexes = catalog::indexes(&change.client, &filter, None).await.map_err(|e| change.error(e))?;
    indexes.into_iter().find(|i| i.id == id).ok_or_else(|| ApiError::NotFound("index not found".into()))
}

/// `POST /api/platform/pg-meta/{ref}/indexes`: creates an index.
pub async fn create_index(
    State(app): State<AppState>,
    user: AuthUser,
    note: AuditNote,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<DdlTarget>,
    ApiJson(body): ApiJson<CreateIndex>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let table_oid = u32::try_from(body.table_id).map_err(|_| ApiError::validation("table_id must be a table's oid"))?;
    let (schema, table_name) = catalog::table_name(&change.client, table_oid)
        .await
        .map_err(|e| change.error(e))?
        .ok_or_else(|| ApiError::NotFound(format!("no table with id {table_oid}")))?;
    if body.columns.is_empty() == body.expressions.is_empty() {
        return Err(ApiError::validation("give columns or expressions (one of them, not both)"));
    }
    let name = body.name.as_deref().map(|n| Ident::new(n, "name")).transpose().map_err(|e| change.error(e))?;
    // Which indexes the table had, to find the new one when the server names it.
    let filter = SchemaFilter { included: Some(vec![schema.clone()]), ..SchemaFilter::default() };
    let before: Vec<i64> = catalog::indexes(&change.client, &filter, Some(body.table_id))
        .await
        .map_err(|e| change.error(e))?
        .iter()
        .map(|i| i.id)
        .collect();
    let plan = async {
        let table = QualifiedName::new(&schema, &table_name, "table")?;
        let from = format!("FROM {table}");
        let checker = Checker::new(&change.client).await?;
        let mut keys = Vec::new();
        for (i, column) in body.columns.iter().enumerate() {
            let mut key = Ident::new(&column.name, &format!("columns[{i}].name"))?.to_string();
            if column.desc {
                key.push_str(" DESC");
            }
            match column.nulls_first {
                Some(true) => key.push_str(" NULLS FIRST"),
                Some(false) => key.push_str(" NULLS LAST"),
                None => {}
            }
            keys.push(key);
        }
        for (i, expr) in body.expressions.iter().enumerate() {
            keys.push(checker.check_expression(expr, &format!("expressions[{i}]"), Some(&from)).await?.to_string());
        }
        let predicate = match &body.predicate {
            Some(expr) => format!(" WHERE {}", checker.check_expression(expr, "where", Some(&from)).await?),
            None => String::new(),
        };
        checker.finish();
        let sql = format!(
            "CREATE {}INDEX {}{}ON {table} USING {} ({}){predicate}",
            if body.unique { "UNIQUE " } else { "" },
            if body.concurrently { "CONCURRENTLY " } else { "" },
            name.as_ref().map(|n| format!("{n} ")).unwrap_or_default(),
            body.method.sql(),
            keys.join(", "),
        );
        Ok::<_, EngineError>(if body.concurrently {
            DdlPlan::outside_transaction(vec![sql])
        } else {
            DdlPlan::new(vec![sql])
        })
    }
    .await;
    let object = format!("{}.{}", table_name, body.name.as_deref().unwrap_or(""));
    let applied = change.apply("create_index", &object, body.dry_run || target.dry_run, plan).await?;
    applied
        .created(|| async {
            let indexes =
                catalog::indexes(&change.client, &filter, Some(body.table_id)).await.map_err(|e| change.error(e))?;
            let new = indexes.into_iter().find(|i| match &name {
                Some(name) => i.name == name.as_str(),
                None => !before.contains(&i.id),
            });
            new.ok_or_else(|| ApiError::NotFound("index not found".into()))
        })
        .await
}

/// `DELETE /api/platform/pg-meta/{ref}/indexes/{id}`: drops an index; answers it as it was.
pub async fn delete_index(
    State(app): State<AppState>,
    user: AuthUser,
    note: AuditNote,
    ApiPath((project_ref, id)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<DropIndexTarget>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let oid = oid(&id, "the index id")?;
    if target.concurrently && target.cascade {
        return Err(ApiError::validation("PostgreSQL cannot drop an index concurrently with cascade"));
    }
    let (schema, name) = catalog::index_name(&change.client, oid)
        .await
        .map_err(|e| change.error(e))?
        .ok_or_else(|| ApiError::NotFound(format!("no index with id {oid}")))?;
    let before = read_index(&change, &schema, i64::from(oid)).await?;
    let plan = QualifiedName::new(&schema, &name, "index").map(|index| {
        let concurrently = if target.concurrently { "CONCURRENTLY " } else { "" };
        let sql = format!("DROP INDEX {concurrently}{index}{}", cascade(target.cascade));
        if target.concurrently {
            DdlPlan::outside_transaction(vec![sql])
        } else {
            DdlPlan::new(vec![sql])
        }
    });
    let applied = change.apply("drop_index", &format!("{schema}.{name}"), target.dry_run, plan).await?;
    applied.respond(|| async { Ok(before) }).await
}

/// `GET /api/platform/pg-meta/{ref}/extensions`: every extension the server offers.
pub async fn extensions(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Vec<Extension>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, target.connection_id).await?;
    let extensions = catalog::extensions(&client).await.map_err(|e| engine_error(&app, &record, e))?;
    Ok(Data(extensions))
}

/// The extension named so, if the server offers it; else a 400.
async fn available(change: &SchemaChange, name: &str) -> ApiResult<Extension> {
    catalog::extension(&change.client, name)
        .await
        .map_err(|e| change.error(e))?
        .ok_or_else(|| ApiError::validation(format!("name: the server offers no extension {name:?}")))
}

/// `POST /api/platform/pg-meta/{ref}/extensions`: installs an extension.
pub async fn create_extension(
    State(app): State<AppState>,
    user: AuthUser,
    note: AuditNote,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<DdlTarget>,
    ApiJson(body): ApiJson<CreateExtension>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    available(&change, &body.name).await?;
    let plan = (|| {
        let mut sql = format!("CREATE EXTENSION {}", Ident::new(&body.name, "name")?);
        if let Some(schema) = &body.schema {
            sql.push_str(&format!(" SCHEMA {}", Ident::new(schema, "schema")?));
        }
        if let Some(version) = &body.version {
            sql.push_str(&format!(" VERSION {}", quote_literal(version)?));
        }
        sql.push_str(cascade(body.cascade));
        Ok(DdlPlan::new(vec![sql]))
    })();
    let applied = change.apply("create_extension", &body.name, body.dry_run || target.dry_run, plan).await?;
    applied.created(|| available(&change, &body.name)).await
}

/// `DELETE /api/platform/pg-meta/{ref}/extensions/{name}`: removes an extension; answers it as it was.
pub async fn delete_extension(
    State(app): State<AppState>,
    user: AuthUser,
    note: AuditNote,
    ApiPath((project_ref, name)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<DropTarget>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let before = available(&change, &name).await?;
    if before.installed_version.is_none() {
        return Err(ApiError::NotFound(format!("extension {name:?} is not installed")));
    }
    let plan = Ident::new(&name, "name")
        .map(|ext| DdlPlan::new(vec![format!("DROP EXTENSION {ext}{}", cascade(target.cascade))]));
    let applied = change.apply("drop_extension", &name, target.dry_run, plan).await?;
    applied.respond(|| async { Ok(before) }).await
}
