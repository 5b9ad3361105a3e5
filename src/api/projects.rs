//! Projects and their members: `GET/POST /api/platform/projects`, `GET/PATCH/DELETE
//! /api/platform/projects/{ref}`, `GET/POST /api/platform/projects/{ref}/members`,
//! `DELETE /api/platform/projects/{ref}/members/{user_id}`, and the unified databases list.

use axum::extract::State;
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::organizations::check_name;
use super::{ApiJson, ApiPath, Created, Data};
use crate::app::{App, AppState};
use crate::auth::{authorize, AuthUser};
use crate::connections::ConnectionView;
use crate::domain::{Permission, Role, UserId};
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;
use crate::store::{Project, ProjectMember};
use serde_json::json;

/// A project with the caller's role on it.
#[derive(Serialize, JsonSchema)]
pub struct ProjectView {
    #[serde(flatten)]
    project: Project,
    role: Role,
}

/// Body of `POST /projects`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    name: String,
    organization_slug: Option<String>,
}

/// Body of `PATCH /projects/{ref}`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    name: Option<String>,
}

/// Body of `POST /projects/{ref}/members`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    email: String,
    #[schemars(extend("enum" = ["admin", "developer", "viewer"]))]
    role: String,
}

/// A fresh project ref: 20 random lowercase letters, as Supabase's refs look.
pub fn generate_ref() -> String {
    let bytes = [uuid::Uuid::new_v4().into_bytes(), uuid::Uuid::new_v4().into_bytes()].concat();
    bytes.iter().take(20).map(|b| char::from(b'a' + b % 26)).collect()
}

/// Projects the caller can see.
pub async fn list(State(app): State<AppState>, user: AuthUser) -> ApiResult<Data<Vec<ProjectView>>> {
    let projects = app.store.list_projects(user.id, user.is_superuser).await?;
    let views = projects
        .into_iter()
        .filter_map(|a| {
            let role = if user.is_superuser { Some(Role::Owner) } else { a.role };
            role.map(|role| ProjectView { project: a.project, role })
        })
        .collect();
    Ok(Data(views))
}

/// Creates a project in an organization the caller owns.
pub async fn create(
    State(app): State<AppState>,
    user: AuthUser,
    note: AuditNote,
    ApiJson(body): ApiJson<CreateProject>,
) -> ApiResult<Created<ProjectView>> {
    let name = check_name("project", &body.name)?;
    let organization = match body.organization_slug {
        Some(slug) => {
            let org = app
                .store
                .find_organization(&slug)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("organization `{slug}` not found")))?;
            let owns =
                user.is_superuser || app.store.owned_organizations(user.id).await?.iter().any(|o| o.id == org.id);
            if !owns {
                return Err(ApiError::NotFound(format!("organization `{slug}` not found")));
            }
            org
        }
        None => app.store.owned_organizations(user.id).await?.into_iter().next().ok_or_else(|| {
            ApiError::Forbidden(
                "you own no organization: create one with POST /api/platform/organizations first".into(),
            )
        })?,
    };
    let project = app.store.create_project(organization.id, &name, &generate_ref()).await?;
    note.target(project.project_ref.clone());
    note.details(json!({"project_id": project.id, "ref": project.project_ref, "name": project.name,
                        "organization": organization.slug}));
    Ok(Created(ProjectView { project, role: Role::Owner }))
}

/// One project.
pub async fn get(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
) -> ApiResult<Data<ProjectView>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    Ok(Data(ProjectView { project: ctx.project, role: ctx.role }))
}

/// Renames a project (admin).
pub async fn update(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    note: AuditNote,
    ApiJson(body): ApiJson<UpdateProject>,
) -> ApiResult<Data<ProjectView>> {
    let mut ctx = authorize(&app, &user, &project_ref, Permission::Admin).await?;
    note.target(project_ref.clone());
    if let Some(name) = body.name {
        let name = check_name("project", &name)?;
        note.details(
            json!({"project_id": ctx.project.id, "ref": project_ref, "name": name, "old_name": ctx.project.name}),
        );
        app.store.rename_project(ctx.project.id, &name).await?;
        app.auth_cache.invalidate_project(&project_ref);
        ctx.project.name = name;
    }
    Ok(Data(ProjectView { project: ctx.project, role: ctx.role }))
}

/// Deletes a project and its connections (organization owner).
pub async fn delete(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    note: AuditNote,
) -> ApiResult<StatusCode> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Owner).await?;
    note.target(project_ref.clone());
    note.details(json!({"project_id": ctx.project.id, "ref": project_ref, "name": ctx.project.name}));
    for record in app.store.list_connections(ctx.project.id, None).await? {
        app.pools.evict(record.id);
    }
    app.store.delete_project(ctx.project.id).await?;
    app.connections.invalidate_project(ctx.project.id);
    app.auth_cache.invalidate_project(&project_ref);
    Ok(StatusCode::NO_CONTENT)
}

/// Members of a project, the organization's owners first (role `owner`).
pub async fn list_members(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
) -> ApiResult<Data<Vec<ProjectMember>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    Ok(Data(app.store.list_members(ctx.project.id).await?))
}

async fn member_view(app: &App, ctx_project: &Project, user_id: UserId) -> ApiResult<ProjectMember> {
    app.store
        .list_members(ctx_project.id)
        .await?
        .into_iter()
        .find(|m| m.user_id == user_id)
        .ok_or(ApiError::NotFound("member not found".into()))
}

/// Adds a member or changes their role (admin).
pub async fn add_member(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    note: AuditNote,
    ApiJson(body): ApiJson<AddMember>,
) -> ApiResult<Created<ProjectMember>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Admin).await?;
    let role: Role = body.role.parse().map_err(ApiError::validation)?;
    if role == Role::Owner {
        return Err(ApiError::validation("role must be admin, developer or viewer (owners own the organization)"));
    }
    let email = body.email.trim().to_lowercase();
    let member = app
        .store
        .find_user_by_email(&email)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user with e-mail `{email}`")))?;
    note.target(email.clone());
    let current = member_view(&app, &ctx.project, member.id).await.ok();
    if current.is_some_and(|m| m.role == Role::Owner) {
        return Err(ApiError::Conflict("an owner owns the organization: their role cannot be changed here".into()));
    }
    app.store.put_member(ctx.project.id, member.id, role).await?;
    note.details(json!({"user_id": member.id, "email": email, "role": role}));
    app.auth_cache.invalidate_project(&project_ref);
    Ok(Created(member_view(&app, &ctx.project, member.id).await?))
}

/// Removes a member (admin).
pub async fn remove_member(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, user_id)): ApiPath<(String, UserId)>,
    note: AuditNote,
) -> ApiResult<StatusCode> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Admin).await?;
    if let Ok(member) = member_view(&app, &ctx.project, user_id).await {
        if member.role == Role::Owner {
            return Err(ApiError::Conflict(
                "an owner owns the organization and cannot be removed from its project".into(),
            ));
        }
        note.target(member.email.clone());
        note.details(json!({"user_id": user_id, "email": member.email, "role": member.role}));
    }
    if !app.store.remove_member(ctx.project.id, user_id).await? {
        return Err(ApiError::NotFound("member not found".into()));
    }
    app.auth_cache.invalidate_project(&project_ref);
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/platform/projects/{ref}/databases`: every connection across engines (spec 2.1's
/// `project_databases`), never a secret.
pub async fn databases(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
) -> ApiResult<Data<Vec<ConnectionView>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let records = app.store.list_connections(ctx.project.id, None).await?;
    Ok(Data(records.iter().map(ConnectionView::from).collect()))
}
