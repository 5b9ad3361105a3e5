//! `GET/POST /api/platform/organizations`.

use axum::extract::State;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{ApiJson, Created, Data};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::store::Organization;

/// Body of `POST /organizations`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganization {
    name: String,
    slug: Option<String>,
}

/// Lowercase letters, digits and single dashes, from any display name.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(48).collect()
}

/// Checks a display name: 1-100 characters after trimming.
pub fn check_name(what: &str, name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(crate::error::ApiError::validation(format!("{what} name must be 1-100 characters")));
    }
    Ok(name.to_string())
}

/// Organizations the caller owns or has a project in (all for superusers).
pub async fn list(State(app): State<AppState>, user: AuthUser) -> ApiResult<Data<Vec<Organization>>> {
    Ok(Data(app.store.list_organizations(user.id, user.is_superuser).await?))
}

/// Creates an organization owned by the caller.
pub async fn create(
    State(app): State<AppState>,
    user: AuthUser,
    note: crate::middleware::audit::AuditNote,
    ApiJson(body): ApiJson<CreateOrganization>,
) -> ApiResult<Created<Organization>> {
    let name = check_name("organization", &body.name)?;
    let slug = match body.slug {
        Some(s) if !s.is_empty() && s == slugify(&s) => s,
        Some(_) => return Err(crate::error::ApiError::validation("slug must be lowercase letters, digits and dashes")),
        None => slugify(&name),
    };
    if slug.is_empty() {
        return Err(crate::error::ApiError::validation("the name must contain at least one letter or digit"));
    }
    let organization = app.store.create_organization(&name, &slug, user.id).await?;
    note.target(organization.slug.clone());
    note.details(
        serde_json::json!({"organization_id": organization.id, "slug": organization.slug, "name": organization.name}),
    );
    Ok(Created(organization))
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs() {
        assert_eq!(super::slugify("  My Team! 2 "), "my-team-2");
    }
}
