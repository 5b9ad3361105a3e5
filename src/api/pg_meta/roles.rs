//! `…/pg-meta/{ref}/roles`: roles listed for viewers (never a password or its hash), created,
//! changed and dropped by admins. A password is sent to PostgreSQL only as a SCRAM-SHA-256
//! verifier computed here; it is write-only and appears in no response, log line or audit record
//! (a dry run shows `PASSWORD '********'`).

use axum::extract::State;
use axum::response::Response;
use schemars::JsonSchema;
use serde::Deserialize;

use super::ddl::{oid, DdlTarget, DropTarget, SchemaChange};
use super::{engine_error, postgres, Target};
use crate::api::{ApiJson, ApiPath, ApiQuery, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::Permission;
use crate::engines::postgres::ddl::Ident;
use crate::engines::postgres::roles::{self, PasswordText, Role, RoleSpec};
use crate::engines::postgres::PostgresClient;
use crate::engines::EngineError;
use crate::error::ApiResult;
use crate::middleware::audit::AuditNote;

/// Body of `POST …/roles` and `PATCH …/roles/{id}` (a PATCH changes only the fields given; `name`
/// renames).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// Answer the SQL that would run, without running it (also accepted in the query string).
    #[serde(default)]
    pub dry_run: bool,
    /// The role's name (required to create; a new name to rename).
    pub name: Option<String>,
    /// Its password (write-only: never returned, logged or shown).
    pub password: Option<String>,
    /// `SUPERUSER`.
    pub is_superuser: Option<bool>,
    /// `CREATEDB`.
    pub can_create_db: Option<bool>,
    /// `CREATEROLE`.
    pub can_create_role: Option<bool>,
    /// `INHERIT`.
    pub inherit_role: Option<bool>,
    /// `LOGIN`.
    pub can_login: Option<bool>,
    /// `REPLICATION`.
    pub is_replication_role: Option<bool>,
    /// `BYPASSRLS`.
    pub can_bypass_rls: Option<bool>,
    /// `CONNECTION LIMIT` (`-1`: none).
    pub connection_limit: Option<i32>,
    /// `VALID UNTIL`: a timestamp, or `infinity`.
    pub valid_until: Option<String>,
    /// Every role it is a member of (on change, others are revoked).
    pub member_of: Option<Vec<String>>,
}

impl RoleBody {
    fn spec(self) -> Result<RoleSpec, EngineError> {
        let member_of = match self.member_of {
            Some(names) => Some(names.iter().map(|n| Ident::new(n, "member_of")).collect::<Result<Vec<_>, _>>()?),
            None => None,
        };
        Ok(RoleSpec {
            name: self.name.as_deref().map(|n| Ident::new(n, "name")).transpose()?,
            password: self.password,
            is_superuser: self.is_superuser,
            can_create_db: self.can_create_db,
            can_create_role: self.can_create_role,
            inherit_role: self.inherit_role,
            can_login: self.can_login,
            is_replication_role: self.is_replication_role,
            can_bypass_rls: self.can_bypass_rls,
            connection_limit: self.connection_limit,
            valid_until: self.valid_until,
            member_of,
        })
    }
}

fn password_text(dry_run: bool) -> PasswordText {
    if dry_run {
        PasswordText::Masked
    } else {
        PasswordText::Verifier
    }
}

async fn role_named(change: &SchemaChange, name: &str) -> ApiResult<Role> {
    let all = roles::list(&change.client).await.map_err(|e| change.error(e))?;
    all.into_iter()
        .find(|r| r.name == name)
        .ok_or_else(|| change.error(EngineError::NotFound(format!("no role {name}"))))
}

async fn role_by_id(client: &PostgresClient, id: u32) -> Result<Role, EngineError> {
    roles::get(client, id).await?.ok_or_else(|| EngineError::NotFound(format!("no role with id {id}")))
}

/// `GET /api/platform/pg-meta/{ref}/roles`.
pub async fn list(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Vec<Role>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, target.connection_id).await?;
    Ok(Data(roles::list(&client).await.map_err(|e| engine_error(&app, &record, e))?))
}

/// `POST /api/platform/pg-meta/{ref}/roles`.
pub async fn create(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<DdlTarget>,
    note: AuditNote,
    ApiJson(body): ApiJson<RoleBody>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let dry_run = body.dry_run || target.dry_run;
    let name = body.name.clone().unwrap_or_default();
    let plan = body.spec().and_then(|spec| roles::create_plan(&spec, password_text(dry_run)));
    let applied = change.apply("create_role", &name, dry_run, plan).await?;
    applied.respond(|| role_named(&change, &name)).await
}

/// `PATCH /api/platform/pg-meta/{ref}/roles/{id}`.
pub async fn update(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<DdlTarget>,
    note: AuditNote,
    ApiJson(body): ApiJson<RoleBody>,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let id = oid(&id, "the role id")?;
    let current = role_by_id(&change.client, id).await.map_err(|e| change.error(e))?;
    let dry_run = body.dry_run || target.dry_run;
    let plan = body.spec().and_then(|spec| roles::alter_plan(&current, &spec, password_text(dry_run)));
    let applied = change.apply("alter_role", &current.name, dry_run, plan).await?;
    applied.respond(|| async { role_by_id(&change.client, id).await.map_err(|e| change.error(e)) }).await
}

/// `DELETE /api/platform/pg-meta/{ref}/roles/{id}`.
pub async fn delete(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<DropTarget>,
    note: AuditNote,
) -> ApiResult<Response> {
    let change = SchemaChange::begin(&app, &user, &project_ref, target.connection_id, note).await?;
    let id = oid(&id, "the role id")?;
    let current = role_by_id(&change.client, id).await.map_err(|e| change.error(e))?;
    if target.cascade {
        return Err(change.error(EngineError::Config(
            "cascade does not apply to roles: reassign or drop what a role owns first".into(),
        )));
    }
    let applied = change.apply("drop_role", &current.name, target.dry_run, roles::drop_plan(&current)).await?;
    applied.respond(|| async { Ok(current) }).await
}
