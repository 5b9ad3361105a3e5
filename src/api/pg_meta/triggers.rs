//! `…/pg-meta/{ref}/triggers`: listed for viewers, created and dropped by admins. The `WHEN`
//! condition is an SQL expression over `NEW`/`OLD`, which cannot be prepared on its own: text with
//! `;` is refused, anything else that is not one expression makes `CREATE TRIGGER` fail, and the
//! plan runs in one transaction, so nothing is left behind.

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
use crate::engines::postgres::policies::expression_text;
use crate::engines::postgres::triggers::{self, Activation, Event, NewTrigger, Orientation, Trigger};
use crate::engines::postgres::PostgresClient;
use crate::engines::EngineError;
use crate::error::ApiResult;
use crate::middleware::audit::AuditNote;

/// Relation kinds a trigger can be on: tables, partitioned tables, views, foreign tables.
const TRIGGER_RELATIONS: &str = "rpvf";

/// Body of `POST …/triggers`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTrigger {
    /// Answer the SQL that would run, without running it (also accepted in the query string).
    #[serde(default)]
    pub dry_run: bool,
    /// The table or view (its oid).
    pub table_id: u32,
    /// The trigger's name.
    pub name: String,
    /// Schema of the function to run (default `public`).
    pub function_schema: Option<String>,
    /// The function to run (it returns `trigger`).
    pub function_name: String,
    /// Text arguments given to the function.
    #[serde(default)]
    pub function_args: Vec<String>,
    /// `BEFORE`, `AFTER` or `INSTEAD OF`.
    pub activation: Activation,
    /// Any of `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`.
    pub events: Vec<Event>,
    /// `ROW` or `STATEMENT` (default).
    pub orientation: Option<Orientation>,
    /// The `WHEN` condition, an expression over `NEW`/`OLD`.
    pub condition: Option<String>,
}

async fn trigger_named(client: &PostgresClient, table_id: u32, name: &str) -> Result<Trigger, EngineError> {
    let all = triggers::list(client, &SchemaFilter { include_system: true, ..SchemaFilter::default() }).await?;
    all.into_iter()
        .find(|t| t.table_id == i64::from(table_id) && t.name == name)
        .ok_or_else(|| EngineError::NotFound(format!("no trigger {name}")))
}

/// `GET /api/platform/pg-meta/{ref}/triggers`.
pub async fn list(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Data<Vec<Trigger>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, params.connection_id).await?;
    let mut all = triggers::list(&client, &params.filter()).await.map_err(|e| engine_error(&app, &record, e))?;
    if let Some(id) = params.table_id {
        all.retain(|t| t.table_id == id);
    }
    Ok(Data(all))
}

/// `POST /api/platform/pg-meta/{ref}/triggers`.
pub async fn create(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<DdlTarget>,
    note: AuditNote,
    ApiJson(body): ApiJson<CreateTrigger>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let client = &change.client;
    let plan = async {
        let table = relation_name(client, body.table_id, TRIGGER_RELATIONS, "table").await?;
        let function = QualifiedName {
            schema: Ident::new(body.function_schema.as_deref().unwrap_or("public"), "function_schema")?,
            name: Ident::new(&body.function_name, "function_name")?,
        };
        let condition = body.condition.as_deref().map(|c| expression_text(c, "condition")).transpose()?;
        triggers::create_plan(&NewTrigger {
            table: &table,
            name: Ident::new(&body.name, "name")?,
            function,
            function_args: &body.function_args,
            activation: body.activation,
            events: &body.events,
            orientation: body.orientation.unwrap_or(Orientation::Statement),
            condition,
        })
    }
    .await;
    let applied = change.apply("create_trigger", &body.name, body.dry_run || target.dry_run, plan).await?;
    applied
        .respond(|| async { trigger_named(client, body.table_id, &body.name).await.map_err(|e| change.error(e)) })
        .await
}

/// `DELETE /api/platform/pg-meta/{ref}/triggers/{id}` (`?cascade=true` drops what depends on it).
pub async fn delete(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<DropTarget>,
    note: AuditNote,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let id = oid(&id, "the trigger id")?;
    let current = triggers::get(&change.client, id).await.map_err(|e| change.error(e))?;
    let plan = triggers::drop_plan(&current, target.cascade);
    let applied = change.apply("drop_trigger", &current.name, target.dry_run, plan).await?;
    applied.respond(|| async { Ok(current) }).await
}
