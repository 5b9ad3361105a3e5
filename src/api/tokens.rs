//! Project-scoped API tokens for automation: `POST/GET /api/platform/projects/{ref}/tokens` and
//! `DELETE …/tokens/{id}`. A token holds a role no higher than its creator's, may expire, is shown
//! once at creation and stored only as a hash, and is usable as a Bearer token on every route of
//! its project. Revoking one takes effect at once, and closes the WebSockets it opened.
//!
//! Tokens are managed by signed-in users only: a token cannot create, list or revoke tokens, so
//! nothing minted with a token can outlive that token's expiry or revocation.

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::OsRng;
use axum::extract::State;
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::{ApiJson, ApiPath, Created, Data};
use crate::app::AppState;
use crate::auth::extract::{hash_api_token, API_TOKEN_PREFIX};
use crate::auth::{authorize, AuthUser};
use crate::domain::{Permission, Role, TokenId};
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;
use crate::store::ApiToken;
use serde_json::json;

/// Body of `POST …/tokens`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    name: String,
    #[schemars(extend("enum" = ["admin", "developer", "viewer"]))]
    role: String,
    /// Days until it expires (1-3650); absent for no expiry.
    expires_in_days: Option<i64>,
}

/// A new token with its secret, shown this once.
#[derive(Serialize, JsonSchema)]
pub struct NewToken {
    #[serde(flatten)]
    token: ApiToken,
    /// The bearer token. It is not stored and cannot be shown again.
    secret: String,
}

/// Creates a token.
pub async fn create(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    note: AuditNote,
    ApiJson(body): ApiJson<CreateToken>,
) -> ApiResult<Created<NewToken>> {
    // A token that could mint tokens could outlive its own revocation or expiry through them.
    user.refuse_token("creating a token")?;
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let role: Role = body.role.parse().map_err(ApiError::validation)?;
    if role == Role::Owner {
        return Err(ApiError::validation("role must be admin, developer or viewer"));
    }
    if role > ctx.role {
        return Err(ApiError::Forbidden(format!("a token cannot hold more than your role ({})", ctx.role)));
    }
    let name = body.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::validation("name must be 1-100 characters"));
    }
    let expires_at = match body.expires_in_days {
        Some(days) if !(1..=3650).contains(&days) => {
            return Err(ApiError::validation("expires_in_days must be between 1 and 3650"))
        }
        Some(days) => Some(OffsetDateTime::now_utc() + Duration::days(days)),
        None => None,
    };
    let mut random = [0u8; 32];
    OsRng.fill_bytes(&mut random);
    let secret = format!("{API_TOKEN_PREFIX}{}", hex::encode(random));
    let token = ApiToken {
        id: TokenId::new(),
        project_id: ctx.project.id,
        project_ref: ctx.project.project_ref.clone(),
        created_by: user.id,
        name,
        role,
        prefix: secret.chars().take(API_TOKEN_PREFIX.len() + 6).collect(),
        created_at: OffsetDateTime::now_utc(),
        expires_at,
    };
    app.store.insert_token(&token, &hash_api_token(&secret)).await?;
    note.target(token.name.clone());
    note.details(json!({"token_id": token.id, "name": token.name, "role": token.role, "expires_at": token.expires_at}));
    Ok(Created(NewToken { token, secret }))
}

/// Lists tokens: all of the project's for admins, one's own for others. Never a secret.
pub async fn list(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
) -> ApiResult<Data<Vec<ApiToken>>> {
    user.refuse_token("listing tokens")?;
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let all = ctx.role.allows(Permission::Admin);
    let tokens = app.store.list_tokens(ctx.project.id).await?;
    Ok(Data(tokens.into_iter().filter(|t| all || t.created_by == user.id).collect()))
}

/// Revokes a token (its creator or an admin).
pub async fn revoke(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, TokenId)>,
    note: AuditNote,
) -> ApiResult<StatusCode> {
    user.refuse_token("revoking a token")?;
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let token = app
        .store
        .list_tokens(ctx.project.id)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| ApiError::NotFound("token not found".into()))?;
    if token.created_by != user.id && !ctx.role.allows(Permission::Admin) {
        return Err(ApiError::Forbidden("only its creator or an admin can revoke a token".into()));
    }
    note.target(token.name.clone());
    note.details(json!({"token_id": token.id, "name": token.name, "role": token.role}));
    app.store.delete_token(ctx.project.id, id).await?;
    app.auth_cache.invalidate_api_tokens();
    Ok(StatusCode::NO_CONTENT)
}
