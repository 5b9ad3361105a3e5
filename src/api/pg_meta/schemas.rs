//! `POST/PATCH/DELETE …/schemas` (postgres-meta's shapes): schemas named by oid in the path.

use axum::extract::State;
use axum::response::Response;
use schemars::JsonSchema;
use serde::Deserialize;

use super::ddl::{oid, DdlTarget, DropTarget, SchemaChange};
use crate::api::{ApiJson, ApiPath, ApiQuery};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::engines::postgres::catalog::{self, Schema, SchemaFilter};
use crate::engines::postgres::ddl::{cascade, DdlPlan, Ident};
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;

/// Body of `POST …/schemas`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSchema {
    /// Schema name.
    name: String,
    /// The role to own it (default: the connection's login).
    owner: Option<String>,
    /// Answer the SQL without running it.
    #[serde(default)]
    dry_run: bool,
}

/// Body of `PATCH …/schemas/{id}`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSchema {
    /// New name.
    name: Option<String>,
    /// New owner (a role).
    owner: Option<String>,
    /// Answer the SQL without running it.
    #[serde(default)]
    dry_run: bool,
}

/// Reads a schema back as `GET …/schemas` lists it.
async fn read_schema(change: &SchemaChange, name: &str) -> ApiResult<Schema> {
    let filter = SchemaFilter { included: Some(vec![name.to_string()]), ..SchemaFilter::default() };
    let schemas = catalog::schemas(&change.client, &filter).await.map_err(|e| change.error(e))?;
    schemas.into_iter().find(|s| s.name == name).ok_or_else(|| ApiError::NotFound("schema not found".into()))
}

/// The schema with this oid, or 404.
async fn schema_of(change: &SchemaChange, id: &str) -> ApiResult<Ident> {
    let oid = oid(id, "the schema id")?;
    let name = catalog::schema_name(&change.client, oid)
        .await
        .map_err(|e| change.error(e))?
        .ok_or_else(|| ApiError::NotFound(format!("no schema with id {oid}")))?;
    Ident::new(&name, "schema").map_err(|e| change.error(e))
}

/// `POST /api/platform/pg-meta/{ref}/schemas`: creates a schema.
pub async fn create_schema(
    State(app): State<AppState>,
    user: AuthUser,
    note: AuditNote,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<DdlTarget>,
    ApiJson(body): ApiJson<CreateSchema>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let plan = (|| {
        let name = Ident::new(&body.name, "name")?;
        let owner = match &body.owner {
            Some(owner) => format!(" AUTHORIZATION {}", Ident::new(owner, "owner")?),
            None => String::new(),
        };
        Ok(DdlPlan::new(vec![format!("CREATE SCHEMA {name}{owner}")]))
    })();
    let applied = change.apply("create_schema", &body.name, body.dry_run || target.dry_run, plan).await?;
    applied.created(|| read_schema(&change, &body.name)).await
}

/// `PATCH /api/platform/pg-meta/{ref}/schemas/{id}`: renames a schema or changes its owner.
pub async fn update_schema(
    State(app): State<AppState>,
    user: AuthUser,
    note: AuditNote,
    ApiPath((project_ref, id)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<DdlTarget>,
    ApiJson(body): ApiJson<UpdateSchema>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let schema = schema_of(&change, &id).await?;
    let plan = (|| {
        let mut statements = Vec::new();
        if let Some(owner) = &body.owner {
            statements.push(format!("ALTER SCHEMA {schema} OWNER TO {}", Ident::new(owner, "owner")?));
        }
        if let Some(name) = &body.name {
            statements.push(format!("ALTER SCHEMA {schema} RENAME TO {}", Ident::new(name, "name")?));
        }
        Ok(DdlPlan::new(statements))
    })();
    let applied = change.apply("update_schema", schema.as_str(), body.dry_run || target.dry_run, plan).await?;
    let name = body.name.clone().unwrap_or_else(|| schema.as_str().to_string());
    applied.respond(|| read_schema(&change, &name)).await
}

/// `DELETE /api/platform/pg-meta/{ref}/schemas/{id}`: drops a schema; answers it as it was.
pub async fn delete_schema(
    State(app): State<AppState>,
    user: AuthUser,
    note: AuditNote,
    ApiPath((project_ref, id)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<DropTarget>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let schema = schema_of(&change, &id).await?;
    let before = read_schema(&change, schema.as_str()).await?;
    let plan = Ok(DdlPlan::new(vec![format!("DROP SCHEMA {schema}{}", cascade(target.cascade))]));
    let applied = change.apply("drop_schema", schema.as_str(), target.dry_run, plan).await?;
    applied.respond(|| async { Ok(before) }).await
}
