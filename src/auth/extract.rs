//! The [`AuthUser`] extractor: a verified bearer token — a signed-in user's JWT or a project API
//! token — whose user still exists.

use std::sync::Arc;

use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::app::App;
use crate::app::AppState;
use crate::auth::session::SessionCaller;
use crate::domain::{Role, TokenId, UserId};
use crate::error::ApiError;
use crate::store::{ProjectAccess, User};

/// Every API token starts with this, so it is never mistaken for a JWT.
pub const API_TOKEN_PREFIX: &str = "sbt_";

/// What an API token limits its bearer to.
#[derive(Clone, Debug)]
pub struct TokenScope {
    /// The token.
    pub token_id: TokenId,
    /// The only project it opens.
    pub project_ref: String,
    /// The most it may do there.
    pub role: Role,
}

/// The caller of a `/api/platform` route.
#[derive(Clone, Debug)]
pub struct AuthUser {
    /// Their id (for an API token, its creator's).
    pub id: UserId,
    /// Superusers hold the owner role on every project and manage users.
    pub is_superuser: bool,
    /// Set when the caller is an API token rather than a signed-in user.
    pub scope: Option<TokenScope>,
    /// The caller's access to the request's project, as the project gate found it when the
    /// request arrived: the handler's check reuses it instead of looking it up again. A handler
    /// that changes the project answers from what it changed, not from a second check.
    pub(crate) checked: Option<Arc<ProjectAccess>>,
}

impl AuthUser {
    /// Refuses an API token for `what`: tokens act only inside their own project, and only
    /// signed-in users act outside projects or manage tokens.
    pub fn refuse_token(&self, what: &str) -> Result<(), ApiError> {
        match &self.scope {
            Some(scope) => Err(ApiError::Forbidden(format!(
                "an API token acts only inside its project (`{}`): {what} needs a signed-in user",
                scope.project_ref
            ))),
            None => Ok(()),
        }
    }
}

/// The bearer token of a request, if it carries one.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// A JWT verified by the front-door middleware (its user and issue time), so handlers do not
/// verify it twice.
#[derive(Clone, Debug)]
pub struct VerifiedToken(pub UserId, pub u64);

/// The stored form of an API token: SHA-256 of the whole token, hex. A fast hash is right here:
/// the token is 256 random bits, not a password.
pub fn hash_api_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The user behind a credential, refused when they no longer exist or are disabled.
pub async fn user(app: &App, id: UserId) -> Result<User, ApiError> {
    let user = match app.auth_cache.user(id) {
        Some(user) => user,
        None => {
            let user = app
                .store
                .find_user(id)
                .await?
                .ok_or_else(|| ApiError::Unauthenticated("the token's user no longer exists".into()))?;
            app.auth_cache.put_user(user.clone());
            user
        }
    };
    if user.disabled {
        return Err(ApiError::Unauthenticated("this account is disabled".into()));
    }
    Ok(user)
}

/// The caller of a request authenticated by a console session.
pub async fn session_user(app: &App, session: &SessionCaller) -> Result<AuthUser, ApiError> {
    let user = user(app, session.user_id).await?;
    Ok(AuthUser { id: user.id, is_superuser: user.is_superuser, scope: None, checked: None })
}

/// Resolves a bearer token (JWT or API token) to its caller.
pub async fn authenticate(app: &App, token: &str, verified: Option<(UserId, u64)>) -> Result<AuthUser, ApiError> {
    if token.starts_with(API_TOKEN_PREFIX) {
        let hash = hash_api_token(token);
        let api_token = match app.auth_cache.api_token(&hash) {
            Some(t) => t,
            None => {
                let t = app
                    .store
                    .find_token(&hash)
                    .await?
                    .ok_or_else(|| ApiError::Unauthenticated("invalid token".into()))?;
                app.auth_cache.put_api_token(&hash, t.clone());
                t
            }
        };
        if api_token.expires_at.is_some_and(|at| at <= OffsetDateTime::now_utc()) {
            return Err(ApiError::Unauthenticated("token expired".into()));
        }
        let creator = user(app, api_token.created_by).await?;
        let scope = TokenScope { token_id: api_token.id, project_ref: api_token.project_ref, role: api_token.role };
        return Ok(AuthUser { id: creator.id, is_superuser: creator.is_superuser, scope: Some(scope), checked: None });
    }
    let (user_id, issued) = match verified {
        Some(verified) => verified,
        None => app.jwt.verify_issued(token).map_err(|e| ApiError::Unauthenticated(e.to_string()))?,
    };
    let user = user(app, user_id).await?;
    // "Sign out everywhere" and a password reset end the tokens issued before them.
    if user.tokens_valid_after.is_some_and(|after| i64::try_from(issued).unwrap_or(i64::MAX) < after) {
        return Err(ApiError::Unauthenticated("token revoked: sign in again".into()));
    }
    Ok(AuthUser { id: user.id, is_superuser: user.is_superuser, scope: None, checked: None })
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(user.clone());
        }
        let verified = parts.extensions.get::<VerifiedToken>().map(|v| (v.0, v.1));
        let user = match (bearer_token(&parts.headers), parts.extensions.get::<SessionCaller>()) {
            (Some(token), _) => authenticate(state, token, verified).await?,
            (None, Some(session)) => session_user(state, session).await?,
            (None, None) => {
                return Err(ApiError::Unauthenticated(
                    "missing bearer token in the Authorization header (or console session)".into(),
                ))
            }
        };
        // Every route outside a project (organizations, the project list, users) is closed to
        // API tokens here, once, rather than in each of those handlers.
        let project_route = parts.extensions.get::<MatchedPath>().is_some_and(|m| m.as_str().contains("{ref}"));
        if !project_route {
            user.refuse_token("this route")?;
        }
        Ok(user)
    }
}
