//! Users (superusers only): `GET/POST /api/platform/users`, `PATCH /api/platform/users/{user_id}`
//! (disable or enable), `POST /api/platform/users/{user_id}/password` (reset). Disabling a user or
//! resetting their password ends their console sessions and JWTs at once.

use axum::extract::State;
use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{ApiJson, ApiPath, Created, Data};
use crate::app::AppState;
use crate::auth::{password, AuthUser};
use crate::domain::UserId;
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;
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
    superuser_only(&user, "create users")?;
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

fn superuser_only(user: &AuthUser, what: &str) -> ApiResult<()> {
    if !user.is_superuser || user.scope.is_some() {
        return Err(ApiError::Forbidden(format!("only superusers can {what}")));
    }
    Ok(())
}

/// Body of `PATCH /users/{user_id}`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// `true` disables the user (their sessions and tokens stop working), `false` enables them.
    disabled: Option<bool>,
}

/// Body of `POST /users/{user_id}/password`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    #[schemars(with = "String", extend("writeOnly" = true))]
    password: SecretString,
}

/// Every user.
pub async fn list(State(app): State<AppState>, user: AuthUser) -> ApiResult<Data<Vec<User>>> {
    superuser_only(&user, "list users")?;
    Ok(Data(app.store.list_users().await?))
}

async fn existing(app: &AppState, id: UserId) -> ApiResult<User> {
    app.store.find_user(id).await?.ok_or_else(|| ApiError::NotFound("user not found".into()))
}

/// Disables or enables a user.
pub async fn update(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<UserId>,
    note: AuditNote,
    ApiJson(body): ApiJson<UpdateUser>,
) -> ApiResult<Data<User>> {
    superuser_only(&user, "change users")?;
    let target = existing(&app, id).await?;
    note.target(target.email.clone());
    if let Some(disabled) = body.disabled {
        if disabled && id == user.id {
            return Err(ApiError::Conflict("you cannot disable yourself".into()));
        }
        note.details(serde_json::json!({"user_id": id, "email": target.email, "disabled": disabled}));
        app.store.set_user_disabled(id, disabled).await?;
        if disabled {
            super::auth::end_access(&app, id).await?;
        }
        app.auth_cache.invalidate_user(id);
    }
    Ok(Data(existing(&app, id).await?))
}

/// Sets a user's password (a reset by a superuser); their sessions and JWTs end.
pub async fn reset_password(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<UserId>,
    note: AuditNote,
    ApiJson(body): ApiJson<ResetPassword>,
) -> ApiResult<axum::http::StatusCode> {
    superuser_only(&user, "reset passwords")?;
    let target = existing(&app, id).await?;
    note.target(target.email.clone());
    check_password(&body.password)?;
    let hash = password::hash(body.password).await.map_err(ApiError::Internal)?;
    app.store.set_user_password(id, &hash).await?;
    let ended = super::auth::end_access(&app, id).await?;
    note.details(serde_json::json!({"user_id": id, "email": target.email, "sessions_ended": ended}));
    Ok(axum::http::StatusCode::NO_CONTENT)
}
