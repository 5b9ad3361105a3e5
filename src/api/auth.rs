//! `POST /api/auth/token`: e-mail and password for an access token (spec 1.1).

use axum::extract::State;
use axum::Extension;
use schemars::JsonSchema;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::app::AppState;
use crate::auth::{password, throttle};
use crate::error::ApiError;
use crate::middleware::ClientAddr;

/// Sign-in body.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    email: String,
    #[schemars(with = "String", extend("writeOnly" = true))]
    password: SecretString,
}

/// Sign-in answer (OAuth2 style, not wrapped in `data`, as clients of token endpoints expect).
#[derive(Serialize)]
pub struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
}

/// Exchanges credentials for a bearer token.
pub async fn issue_token(
    State(app): State<AppState>,
    Extension(ClientAddr(address)): Extension<ClientAddr>,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<axum::Json<TokenResponse>, ApiError> {
    let email = body.email.trim().to_lowercase();
    // Password guessing is slowed per account and per address, before any hash is checked.
    let address = address.map(|a| a.to_string()).unwrap_or_default();
    throttle::check_signin(&app, &email, &address).await?;
    let credentials = app.store.find_credentials(&email).await?;
    let stored_hash = credentials.as_ref().map(|c| c.password_hash.clone());
    let verified = password::verify(body.password, stored_hash).await;
    let user = match credentials {
        Some(c) if verified => c.user,
        _ => return Err(ApiError::Unauthenticated("invalid e-mail or password".into())),
    };
    let token = app.jwt.issue(user.id).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(axum::Json(TokenResponse { access_token: token, token_type: "bearer", expires_in: app.jwt.ttl().as_secs() }))
}
