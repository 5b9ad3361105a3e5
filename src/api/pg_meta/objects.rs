//! Read-only listings for viewers: `…/pg-meta/{ref}/functions`, `…/types`,
//! `…/materialized-views`, `…/foreign-keys`, `…/config`, `…/version`; and
//! `POST …/materialized-views/{id}/refresh`, which developers may call too: it recomputes data,
//! it does not change the schema (audited like every POST).

use axum::extract::State;
use axum::response::Response;
use schemars::JsonSchema;
use serde::Deserialize;

use super::ddl::{oid, SchemaChange};
use super::{engine_error, postgres, ListParams, Target};
use crate::api::{ApiJson, ApiPath, ApiQuery, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::{ConnectionId, Permission};
use crate::engines::postgres::catalog::SchemaFilter;
use crate::engines::postgres::objects::{
    self, relation_name, ForeignKey, Function, MaterializedView, PgType, Setting, Version,
};
use crate::error::ApiResult;
use crate::middleware::audit::AuditNote;

/// Query string of `GET …/materialized-views`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MaterializedViewParams {
    connection_id: Option<ConnectionId>,
    /// Comma-separated schemas to list (system schemas too, if named).
    included_schemas: Option<String>,
    /// Comma-separated schemas to leave out.
    excluded_schemas: Option<String>,
    /// Also list the system schemas.
    #[serde(default)]
    include_system_schemas: bool,
    /// Also answer each view's columns.
    #[serde(default)]
    include_columns: bool,
}

/// `?connection_id=&dry_run=` and body of `POST …/materialized-views/{id}/refresh`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    /// Answer the SQL that would run, without running it.
    #[serde(default)]
    pub dry_run: bool,
    /// `REFRESH … CONCURRENTLY` (readers are not blocked; needs a unique index; not in a transaction).
    #[serde(default)]
    pub concurrently: bool,
}

/// `GET /api/platform/pg-meta/{ref}/functions`.
pub async fn functions(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Data<Vec<Function>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, params.connection_id).await?;
    let all = objects::functions(&client, &params.filter()).await.map_err(|e| engine_error(&app, &record, e))?;
    Ok(Data(all))
}

/// `GET /api/platform/pg-meta/{ref}/types`: enums with their labels, composite, domain, range and
/// base types of the schemas (not arrays or the row types of tables).
pub async fn types(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Data<Vec<PgType>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, params.connection_id).await?;
    let all = objects::types(&client, &params.filter(), false).await.map_err(|e| engine_error(&app, &record, e))?;
    Ok(Data(all))
}

/// `GET /api/platform/pg-meta/{ref}/materialized-views` (`?include_columns=true` for columns).
pub async fn materialized_views(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(params): ApiQuery<MaterializedViewParams>,
) -> ApiResult<Data<Vec<MaterializedView>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, params.connection_id).await?;
    let split = |s: &str| s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
    let filter = SchemaFilter {
        included: params.included_schemas.as_deref().map(split),
        excluded: params.excluded_schemas.as_deref().map(split).unwrap_or_default(),
        include_system: params.include_system_schemas,
    };
    let all = objects::materialized_views(&client, &filter, params.include_columns)
        .await
        .map_err(|e| engine_error(&app, &record, e))?;
    Ok(Data(all))
}

/// `POST /api/platform/pg-meta/{ref}/materialized-views/{id}/refresh`: developers and admins.
pub async fn refresh_materialized_view(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<super::ddl::DdlTarget>,
    note: AuditNote,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<Response> {
    let change =
        SchemaChange::begin_as(&app, &user, &project_ref, target.connection_id, note, Permission::Write).await?;
    let id = oid(&id, "the materialized view id")?;
    let view = relation_name(&change.client, id, "m", "materialized view").await.map_err(|e| change.error(e))?;
    let plan = Ok(objects::refresh_plan(&view, body.concurrently));
    let object = format!("{}.{}", view.schema.as_str(), view.name.as_str());
    let applied = change.apply("refresh_materialized_view", &object, body.dry_run || target.dry_run, plan).await?;
    applied
        .respond(|| async {
            let filter = SchemaFilter { included: Some(vec![view.schema.as_str().to_string()]), ..Default::default() };
            let all = objects::materialized_views(&change.client, &filter, false).await.map_err(|e| change.error(e))?;
            Ok(all.into_iter().find(|v| v.id == i64::from(id)))
        })
        .await
}

/// `GET /api/platform/pg-meta/{ref}/foreign-keys`.
pub async fn foreign_keys(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Data<Vec<ForeignKey>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, params.connection_id).await?;
    let all = objects::foreign_keys(&client, &params.filter()).await.map_err(|e| engine_error(&app, &record, e))?;
    Ok(Data(all))
}

/// `GET /api/platform/pg-meta/{ref}/config`: the settings the connection's login can read.
pub async fn config(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Vec<Setting>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, target.connection_id).await?;
    Ok(Data(objects::settings(&client).await.map_err(|e| engine_error(&app, &record, e))?))
}

/// `GET /api/platform/pg-meta/{ref}/version`.
pub async fn version(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Version>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, target.connection_id).await?;
    Ok(Data(objects::version(&client).await.map_err(|e| engine_error(&app, &record, e))?))
}
