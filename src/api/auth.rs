//! Signing in: `POST /api/auth/token` exchanges an e-mail and password for a bearer token (spec
//! 1.1, for the API); `POST/GET/DELETE /api/auth/session` sign the console in (an HttpOnly session
//! cookie with a CSRF token, see `auth::session`), tell who is signed in, and sign out;
//! `DELETE /api/auth/sessions` signs the caller out everywhere.

use axum::extract::State;
use axum::Extension;
use schemars::JsonSchema;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::{ApiJson, Created, Data};
use crate::app::{App, AppState};
use crate::auth::session::{self, SessionCaller};
use crate::auth::{extract, password, throttle, AuthUser};
use crate::domain::UserId;
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;
use crate::middleware::ClientAddr;
use crate::store::{ConsoleSession, User};

/// Sign-in body.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    email: String,
    #[schemars(with = "String", extend("writeOnly" = true))]
    password: SecretString,
}

/// Sign-in answer (OAuth2 style, not wrapped in `data`, as clients of token endpoints expect).
#[derive(Serialize, JsonSchema)]
pub struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
}

/// The user whose password verified; a disabled account is refused only once its password is
/// right, so the answer tells a guesser nothing.
fn signed_in(credentials: Option<crate::store::UserCredentials>, verified: bool) -> Result<User, ApiError> {
    match credentials {
        Some(c) if verified && c.user.disabled => Err(ApiError::Unauthenticated("this account is disabled".into())),
        Some(c) if verified => Ok(c.user),
        _ => Err(ApiError::Unauthenticated("invalid e-mail or password".into())),
    }
}

/// Checks an e-mail and password, throttled per account and address.
async fn check_credentials(app: &App, address: Option<std::net::IpAddr>, body: TokenRequest) -> ApiResult<User> {
    let email = body.email.trim().to_lowercase();
    // Password guessing is slowed per account and per address, before any hash is checked.
    let address = address.map(|a| a.to_string()).unwrap_or_default();
    throttle::check_signin(app, &email, &address).await?;
    let credentials = app.store.find_credentials(&email).await?;
    let stored_hash = credentials.as_ref().map(|c| c.password_hash.clone());
    let verified = password::verify(body.password, stored_hash).await;
    signed_in(credentials, verified)
}

/// Who is signed in to the console: the session's user, its CSRF token and its times.
#[derive(Serialize, JsonSchema)]
pub struct SessionView {
    user: User,
    /// Send as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE of this session.
    csrf_token: String,
    #[serde(flatten)]
    session: ConsoleSession,
}

/// How many sessions "sign out everywhere" ended.
#[derive(Serialize, JsonSchema)]
pub struct SignedOut {
    sessions_ended: u64,
}

/// `POST /api/auth/session`: signs in to the console; sets the session cookie.
pub async fn create_session(
    State(app): State<AppState>,
    Extension(ClientAddr(address)): Extension<ClientAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TokenRequest>,
) -> ApiResult<Response> {
    let user = check_credentials(&app, address, body).await?;
    let (id, session) = session::start(&app, user.id, &headers).await?;
    let max_age = (session.expires_at - session.created_at).whole_seconds();
    let cookie = session::cookie_header(&app, &id, max_age);
    let view = SessionView { user, csrf_token: session.csrf_token.clone(), session };
    Ok(([cookie], Created(view)).into_response())
}

/// The console session of a request (a bearer caller has none).
fn this_session(session: Option<Extension<SessionCaller>>) -> ApiResult<SessionCaller> {
    session.map(|Extension(s)| s).ok_or_else(|| ApiError::Unauthenticated("no console session: sign in".into()))
}

/// `GET /api/auth/session`: who is signed in, with the session's CSRF token (401 without one).
pub async fn get_session(
    State(app): State<AppState>,
    caller: AuthUser,
    session: Option<Extension<SessionCaller>>,
) -> ApiResult<Data<SessionView>> {
    let session = this_session(session)?;
    let user = extract::user(&app, caller.id).await?;
    Ok(Data(SessionView { user, csrf_token: session.session.csrf_token.clone(), session: session.session }))
}

/// `DELETE /api/auth/session`: signs this session out and clears its cookie.
pub async fn delete_session(
    State(app): State<AppState>,
    _caller: AuthUser,
    session: Option<Extension<SessionCaller>>,
) -> ApiResult<Response> {
    let session = this_session(session)?;
    app.store.delete_session(&session.id_hash).await?;
    Ok(([session::cookie_header(&app, "", 0)], StatusCode::NO_CONTENT).into_response())
}

/// `DELETE /api/auth/sessions`: signs the caller out everywhere: every console session of theirs
/// ends, and so does every JWT issued to them until now. Their API tokens are left alone (revoke
/// those one by one).
pub async fn delete_all_sessions(
    State(app): State<AppState>,
    caller: AuthUser,
    note: AuditNote,
) -> ApiResult<Response> {
    let ended = end_access(&app, caller.id).await?;
    note.details(serde_json::json!({"user_id": caller.id, "sessions_ended": ended}));
    Ok(([session::cookie_header(&app, "", 0)], Data(SignedOut { sessions_ended: ended })).into_response())
}

/// Ends every console session of a user and every JWT issued to them so far; returns how many
/// sessions there were.
pub async fn end_access(app: &App, user: UserId) -> ApiResult<u64> {
    let ended = app.store.delete_user_sessions(user).await?;
    // Tokens issued in this very second are refused too: JWT times have one-second precision.
    let after = OffsetDateTime::now_utc().unix_timestamp() + 1;
    app.store.revoke_user_tokens(user, after).await?;
    app.auth_cache.invalidate_user(user);
    Ok(ended)
}

/// Exchanges credentials for a bearer token.
pub async fn issue_token(
    State(app): State<AppState>,
    Extension(ClientAddr(address)): Extension<ClientAddr>,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<axum::Json<TokenResponse>, ApiError> {
    let user = check_credentials(&app, address, body).await?;
    let token = app.jwt.issue(user.id).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(axum::Json(TokenResponse { access_token: token, token_type: "bearer", expires_in: app.jwt.ttl().as_secs() }))
}
