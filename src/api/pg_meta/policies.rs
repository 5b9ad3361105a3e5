//! `…/pg-meta/{ref}/policies`: row level security policies, listed for viewers and created,
//! changed and dropped by admins. `definition` (USING) and `check` (WITH CHECK) are SQL
//! expressions by design, as in Supabase; each must be free of `;` and is accepted only if the
//! server prepares `SELECT (<expr>) FROM <table> LIMIT 0` as one statement (in a read-only
//! transaction, rolled back) before the change is built.

use axum::extract::State;
use axum::response::Response;
use schemars::JsonSchema;
use serde::Deserialize;

use super::ddl::{oid, DdlTarget, DropTarget, SchemaChange};
use super::{engine_error, postgres, ListParams};
use crate::api::{ApiJson, ApiPath, ApiQuery, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::Permission;
use crate::engines::postgres::catalog::SchemaFilter;
use crate::engines::postgres::ddl::{Ident, QualifiedName};
use crate::engines::postgres::objects::relation_name;
use crate::engines::postgres::policies::{
    self, Expression, NewPolicy, Policy, PolicyAction, PolicyChange, PolicyCommand,
};
use crate::engines::postgres::PostgresClient;
use crate::engines::EngineError;
use crate::error::ApiResult;
use crate::middleware::audit::AuditNote;

/// Relation kinds a policy can be on: tables, partitioned tables.
const POLICY_TABLES: &str = "rp";

/// Body of `POST …/policies`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePolicy {
    /// Answer the SQL that would run, without running it (also accepted in the query string).
    #[serde(default)]
    pub dry_run: bool,
    /// The table (its oid).
    pub table_id: u32,
    /// The policy's name.
    pub name: String,
    /// `PERMISSIVE` (default) or `RESTRICTIVE`.
    pub action: Option<PolicyAction>,
    /// `ALL` (default), `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
    pub command: Option<PolicyCommand>,
    /// Roles it applies to (default: `public`, every role).
    pub roles: Option<Vec<String>>,
    /// The `USING` expression.
    pub definition: Option<String>,
    /// The `WITH CHECK` expression.
    pub check: Option<String>,
}

/// Body of `PATCH …/policies/{id}`: only the fields given change.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePolicy {
    /// Answer the SQL that would run, without running it (also accepted in the query string).
    #[serde(default)]
    pub dry_run: bool,
    /// A new name.
    pub name: Option<String>,
    /// New roles.
    pub roles: Option<Vec<String>>,
    /// A new `USING` expression.
    pub definition: Option<String>,
    /// A new `WITH CHECK` expression.
    pub check: Option<String>,
}

/// Checks an optional expression against the table (a 400 naming `field` if it is not one).
async fn expression(
    client: &PostgresClient,
    table: &QualifiedName,
    text: Option<&str>,
    field: &str,
) -> Result<Option<Expression>, EngineError> {
    match text {
        Some(text) => Ok(Some(policies::check_expression(client, table, text, field).await?)),
        None => Ok(None),
    }
}

fn table_of(policy: &Policy) -> Result<QualifiedName, EngineError> {
    Ok(QualifiedName { schema: Ident::new(&policy.schema, "schema")?, name: Ident::new(&policy.table, "table")? })
}

async fn policy_named(client: &PostgresClient, table_id: u32, name: &str) -> Result<Policy, EngineError> {
    let all = policies::list(client, &SchemaFilter { include_system: true, ..SchemaFilter::default() }).await?;
    all.into_iter()
        .find(|p| p.table_id == i64::from(table_id) && p.name == name)
        .ok_or_else(|| EngineError::NotFound(format!("no policy {name}")))
}

/// `GET /api/platform/pg-meta/{ref}/policies`.
pub async fn list(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Data<Vec<Policy>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, params.connection_id).await?;
    let mut all = policies::list(&client, &params.filter()).await.map_err(|e| engine_error(&app, &record, e))?;
    if let Some(id) = params.table_id {
        all.retain(|p| p.table_id == id);
    }
    Ok(Data(all))
}

/// `POST /api/platform/pg-meta/{ref}/policies`.
pub async fn create(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<DdlTarget>,
    note: AuditNote,
    ApiJson(body): ApiJson<CreatePolicy>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let client = &change.client;
    let plan = async {
        let table = relation_name(client, body.table_id, POLICY_TABLES, "table").await?;
        let name = Ident::new(&body.name, "name")?;
        let definition = expression(client, &table, body.definition.as_deref(), "definition").await?;
        let check = expression(client, &table, body.check.as_deref(), "check").await?;
        policies::create_plan(&NewPolicy {
            table: &table,
            name,
            action: body.action.unwrap_or(PolicyAction::Permissive),
            command: body.command.unwrap_or(PolicyCommand::All),
            roles: body.roles.as_deref(),
            definition,
            check,
        })
    }
    .await;
    let applied = change.apply("create_policy", &body.name, body.dry_run || target.dry_run, plan).await?;
    applied
        .respond(|| async { policy_named(client, body.table_id, &body.name).await.map_err(|e| change.error(e)) })
        .await
}

/// `PATCH /api/platform/pg-meta/{ref}/policies/{id}`.
pub async fn update(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<DdlTarget>,
    note: AuditNote,
    ApiJson(body): ApiJson<UpdatePolicy>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let id = oid(&id, "the policy id")?;
    let client = &change.client;
    let current = policies::get(client, id).await.map_err(|e| change.error(e))?;
    let plan = async {
        let table = table_of(&current)?;
        let name = body.name.as_deref().map(|n| Ident::new(n, "name")).transpose()?;
        let definition = expression(client, &table, body.definition.as_deref(), "definition").await?;
        let check = expression(client, &table, body.check.as_deref(), "check").await?;
        let roles = body.roles.as_deref();
        policies::alter_plan(&current, &table, &PolicyChange { name, roles, definition, check })
    }
    .await;
    let applied = change.apply("alter_policy", &current.name, body.dry_run || target.dry_run, plan).await?;
    applied.respond(|| async { policies::get(client, id).await.map_err(|e| change.error(e)) }).await
}

/// `DELETE /api/platform/pg-meta/{ref}/policies/{id}`.
pub async fn delete(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<DropTarget>,
    note: AuditNote,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let id = oid(&id, "the policy id")?;
    let current = policies::get(&change.client, id).await.map_err(|e| change.error(e))?;
    let plan = table_of(&current).and_then(|table| policies::drop_plan(&current, &table));
    let applied = change.apply("drop_policy", &current.name, target.dry_run, plan).await?;
    applied.respond(|| async { Ok(current) }).await
}
