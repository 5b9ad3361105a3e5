//! `POST /api/platform/users` (superusers only).

use axum::extract::State;
use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{ApiJson, Created};
use crate::app::AppState;
use crate::auth::{password, AuthUser};
use crate::error::{ApiError, ApiResult};
use crate::store::User;

/// Body of `POST /users`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    email: String,
    #[schemars(with = "String", extend("writeOnly" = true))]
    password: SecretString,
    #[serde(default)]
    is_superuser: bool,
}

/// Normalises and checks an e-mail address.
pub fn check_email(email: &str) -> ApiResult<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.starts_with('.'))
        && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err(ApiError::validation("email must be an e-mail address"))
    }
}

/// Checks a new password's length.
pub fn check_password(password: &SecretString) -> ApiResult<()> {
    let len = password.expose_secret().chars().count();
    if !(8..=1024).contains(&len) {
        return Err(ApiError::validation("password must be 8 to 1024 characters"));
    }
    Ok(())
}

/// Creates a user.
pub async fn create(
    State(app): State<AppState>,
    user: AuthUser,
    note: crate::middleware::audit::AuditNote,
    ApiJson(body): ApiJson<CreateUser>,
) -> ApiResult<Created<User>> {
    if !user.is_superuser || user.scope.is_some() {
        return Err(ApiError::Forbidden("only superusers can create users".into()));
    }
    let email = check_email(&body.email)?;
    check_password(&body.password)?;
    let hash = password::hash(body.password).await.map_err(ApiError::Internal)?;
    let created = app.store.create_user(&email, &hash, body.is_superuser).await?;
    note.target(created.email.clone());
    note.details(
        serde_json::json!({"user_id": created.id, "email": created.email, "is_superuser": created.is_superuser}),
    );
    Ok(Created(created))
}
