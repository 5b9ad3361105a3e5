//! The single authorization check: does this user hold `permission` on project `ref`?
//!
//! A project the user has no role in answers 404 (its existence does not leak); a role that is too
//! low answers 403.

use std::sync::Arc;

use crate::app::App;
use crate::auth::AuthUser;
use crate::domain::{Permission, Role};
use crate::error::ApiError;
use crate::store::{Project, ProjectAccess};

/// Proof that a user may do something on a project: only [`authorize`] builds it.
#[derive(Clone, Debug)]
pub struct ProjectContext {
    /// The project.
    pub project: Project,
    /// The caller's effective role.
    pub role: Role,
    /// The caller.
    pub user: AuthUser,
}

/// The caller's access to `project_ref` (the gate's answer, the cache's, or the store's); a
/// project they cannot see is a 404.
pub async fn project_access(app: &App, user: &AuthUser, project_ref: &str) -> Result<Arc<ProjectAccess>, ApiError> {
    let not_found = || ApiError::NotFound(format!("project `{project_ref}` not found"));
    // An API token opens its own project only; saying so reveals nothing about other projects.
    if let Some(scope) = user.scope.as_ref().filter(|s| s.project_ref != project_ref) {
        return Err(ApiError::Forbidden(format!(
            "an API token acts only inside its project (`{}`)",
            scope.project_ref
        )));
    }
    if let Some(access) = user.checked.as_ref().filter(|a| a.project.project_ref == project_ref) {
        return Ok(access.clone());
    }
    match app.auth_cache.access(user.id, project_ref) {
        Some(access) => Ok(Arc::new(access)),
        None => {
            let access = app.store.find_project(project_ref, user.id).await?.ok_or_else(not_found)?;
            app.auth_cache.put_access(user.id, project_ref, access.clone());
            Ok(Arc::new(access))
        }
    }
}

/// Checks `user`'s role on `project_ref` against `permission`.
pub async fn authorize(
    app: &App,
    user: &AuthUser,
    project_ref: &str,
    permission: Permission,
) -> Result<ProjectContext, ApiError> {
    let access = project_access(app, user, project_ref).await?;
    check(user, &access, permission)
}

/// The role check of [`authorize`] on an access already looked up.
pub fn check(user: &AuthUser, access: &ProjectAccess, permission: Permission) -> Result<ProjectContext, ApiError> {
    let project_ref = &access.project.project_ref;
    let role = if user.is_superuser { Some(Role::Owner) } else { access.role };
    // An API token never holds more than its own role nor more than its creator holds today.
    let role = match (&user.scope, role) {
        (Some(scope), Some(role)) => Some(role.min(scope.role)),
        (_, role) => role,
    };
    let role = role.ok_or_else(|| ApiError::NotFound(format!("project `{project_ref}` not found")))?;
    if !role.allows(permission) {
        return Err(ApiError::Forbidden(format!(
            "this action needs the {} role or higher on project `{project_ref}`; you are {role}",
            permission.minimum_role()
        )));
    }
    Ok(ProjectContext { project: access.project.clone(), role, user: user.clone() })
}
