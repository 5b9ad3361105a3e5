//! Saved snippets of a project: `GET/POST /api/platform/projects/{ref}/snippets` and
//! `GET/PATCH/DELETE …/snippets/{id}`. A snippet is SQL (or a Redis command, a MongoDB query) with
//! a name, shared with the project (`visibility: project`) or kept for its owner (`private`).
//!
//! Everyone with read access sees the project's snippets and their own private ones, never another
//! member's private ones (those answer 404, as if absent). Developers and above create; the owner
//! (still a developer or above) edits and deletes; an admin may also delete any shared snippet. The audit trail names the
//! snippet (id and name), never its content.

use axum::extract::State;
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::{ApiJson, ApiPath, ApiQuery, Created, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser, ProjectContext};
use crate::domain::{Engine, Permission, SnippetId};
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;
use crate::store::{Snippet, SnippetOwner, Visibility};

/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Largest content, in bytes.
pub const MAX_CONTENT_BYTES: usize = 100_000;

/// Body of `POST …/snippets`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSnippet {
    /// A label (1-200 characters).
    name: String,
    /// The engine it is written for.
    engine: Engine,
    /// The text (at most 100,000 bytes).
    content: String,
    /// `project` (every member sees it) or `private` (the default: only you).
    #[serde(default)]
    visibility: Option<Visibility>,
}

/// Body of `PATCH …/snippets/{id}`: the fields to change.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSnippet {
    name: Option<String>,
    content: Option<String>,
    visibility: Option<Visibility>,
}

/// `?engine=` of the listing.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnippetQuery {
    /// Only this engine's snippets.
    engine: Option<Engine>,
}

fn checked_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::validation(format!("name must be 1-{MAX_NAME_CHARS} characters")));
    }
    Ok(name.to_string())
}

fn checked_content(content: String) -> ApiResult<String> {
    if content.len() > MAX_CONTENT_BYTES {
        return Err(ApiError::validation(format!("content must be at most {MAX_CONTENT_BYTES} bytes")));
    }
    Ok(content)
}

fn noted(note: &AuditNote, snippet: &Snippet) {
    note.target(snippet.name.clone());
    note.details(json!({
        "snippet_id": snippet.id,
        "name": snippet.name,
        "engine": snippet.engine,
        "visibility": snippet.visibility,
    }));
}

/// A snippet the caller may see, or 404 (another member's private snippet is never revealed).
async fn visible(app: &AppState, ctx: &ProjectContext, user: &AuthUser, id: SnippetId) -> ApiResult<Snippet> {
    match app.store.find_snippet(ctx.project.id, id).await? {
        Some(s) if s.visibility == Visibility::Project || s.owner.id == user.id => Ok(s),
        _ => Err(ApiError::NotFound("snippet not found".into())),
    }
}

/// Lists the snippets the caller sees: the project's and their own private ones.
pub async fn list(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(query): ApiQuery<SnippetQuery>,
) -> ApiResult<Data<Vec<Snippet>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let snippets = app.store.list_snippets(ctx.project.id, user.id).await?;
    Ok(Data(snippets.into_iter().filter(|s| query.engine.is_none_or(|e| s.engine == e)).collect()))
}

/// Saves a snippet (developers and above).
pub async fn create(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    note: AuditNote,
    ApiJson(body): ApiJson<CreateSnippet>,
) -> ApiResult<Created<Snippet>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Write).await?;
    let now = OffsetDateTime::now_utc();
    let mut snippet = Snippet {
        id: SnippetId::new(),
        project_id: ctx.project.id,
        name: checked_name(&body.name)?,
        engine: body.engine,
        content: checked_content(body.content)?,
        visibility: body.visibility.unwrap_or(Visibility::Private),
        owner: SnippetOwner { id: user.id, email: String::new() },
        created_at: now,
        updated_at: now,
    };
    app.store.insert_snippet(&snippet).await?;
    if let Some(owner) = app.store.find_user(user.id).await? {
        snippet.owner.email = owner.email;
    }
    noted(&note, &snippet);
    Ok(Created(snippet))
}

/// One snippet the caller sees.
pub async fn get(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, SnippetId)>,
) -> ApiResult<Data<Snippet>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    Ok(Data(visible(&app, &ctx, &user, id).await?))
}

/// Changes a snippet's name, content or visibility (its owner, with the developer role or above).
pub async fn update(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, SnippetId)>,
    note: AuditNote,
    ApiJson(body): ApiJson<UpdateSnippet>,
) -> ApiResult<Data<Snippet>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Write).await?;
    let mut snippet = visible(&app, &ctx, &user, id).await?;
    if snippet.owner.id != user.id {
        return Err(ApiError::Forbidden("only its owner can change a snippet".into()));
    }
    if let Some(name) = &body.name {
        snippet.name = checked_name(name)?;
    }
    if let Some(content) = body.content {
        snippet.content = checked_content(content)?;
    }
    if let Some(visibility) = body.visibility {
        snippet.visibility = visibility;
    }
    snippet.updated_at = OffsetDateTime::now_utc();
    app.store.update_snippet(&snippet).await?;
    noted(&note, &snippet);
    Ok(Data(snippet))
}

/// Deletes a snippet (its owner, with the developer role or above; an admin may delete any shared one).
pub async fn delete(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, SnippetId)>,
    note: AuditNote,
) -> ApiResult<StatusCode> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Write).await?;
    let snippet = visible(&app, &ctx, &user, id).await?;
    let admin = ctx.role.allows(Permission::Admin);
    if snippet.owner.id != user.id && !admin {
        return Err(ApiError::Forbidden("only its owner or an admin can delete a snippet".into()));
    }
    noted(&note, &snippet);
    app.store.delete_snippet(ctx.project.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
