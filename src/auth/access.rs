//! The single authorization check: does this user hold `permission` on project `ref`?
//!
//! A project the user has no role in answers 404 (its existence does not leak); a role that is too
//! low answers 403.

use crate::app::App;
use crate::auth::AuthUser;
use crate::domain::{Permission, Role};
use crate::error::ApiError;
use crate::store::Project;

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

/// Checks `user`'s role on `project_ref` against `permission`.
pub async fn authorize(
    app: &App,
    user: &AuthUser,
    project_ref: &str,
    permission: Permission,
) -> Result<ProjectContext, ApiError> {
    let not_found = || ApiError::NotFound(format!("project `{project_ref}` not found"));
    // An API token opens its own project only.
    if user.scope.as_ref().is_some_and(|s| s.project_ref != project_ref) {
        return Err(not_found());
    }
    let access = match app.auth_cache.access(user.id, project_ref) {
        Some(access) => access,
        None => {
            let access = app.store.find_project(project_ref, user.id).await?.ok_or_else(not_found)?;
            app.auth_cache.put_access(user.id, project_ref, access.clone());
            access
        }
    };
    let role = if user.is_superuser { Some(Role::Owner) } else { access.role };
    // An API token never holds more than its own role nor more than its creator holds today.
    let role = match (&user.scope, role) {
        (Some(scope), Some(role)) => Some(role.min(scope.role)),
        (_, role) => role,
    };
    let role = role.ok_or_else(not_found)?;
    if !role.allows(permission) {
        return Err(ApiError::Forbidden(format!(
            "this action needs the {} role or higher on project `{project_ref}`; you are {role}",
            permission.minimum_role()
        )));
    }
    Ok(ProjectContext { project: access.project, role, user: user.clone() })
}
