//! The [`AuthUser`] extractor: a verified bearer token whose user still exists.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::app::AppState;
use crate::domain::UserId;
use crate::error::ApiError;

/// The caller of a `/api/platform` route.
#[derive(Clone, Debug)]
pub struct AuthUser {
    /// Their id.
    pub id: UserId,
    /// Superusers hold the owner role on every project and manage users.
    pub is_superuser: bool,
}

/// The bearer token of a request, if it carries one.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// A token verified by the front-door middleware, so handlers do not verify it twice.
#[derive(Clone, Debug)]
pub struct VerifiedToken(pub UserId);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user_id = match parts.extensions.get::<VerifiedToken>() {
            Some(VerifiedToken(id)) => *id,
            None => {
                let token = bearer_token(parts).ok_or_else(|| {
                    ApiError::Unauthenticated("missing bearer token in the Authorization header".into())
                })?;
                state.jwt.verify(token).map_err(|e| ApiError::Unauthenticated(e.to_string()))?
            }
        };
        let user = match state.auth_cache.user(user_id) {
            Some(user) => user,
            None => {
                let user = state
                    .store
                    .find_user(user_id)
                    .await?
                    .ok_or_else(|| ApiError::Unauthenticated("the token's user no longer exists".into()))?;
                state.auth_cache.put_user(user.clone());
                user
            }
        };
        Ok(AuthUser { id: user.id, is_superuser: user.is_superuser })
    }
}
