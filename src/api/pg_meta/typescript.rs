//! `GET …/pg-meta/{ref}/generators/typescript`: the schemas as TypeScript in the `Database` shape
//! of Supabase's generator. postgres-meta answers `{"types": "…"}`; we answer it inside our `data`
//! envelope: `{"data": {"types": "…"}}`.

use axum::extract::State;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{engine_error, postgres};
use crate::api::{ApiPath, ApiQuery, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::{ConnectionId, Permission};
use crate::engines::postgres::catalog::SchemaFilter;
use crate::engines::postgres::typescript;
use crate::error::ApiResult;

/// Query string of `GET …/generators/typescript`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TypescriptParams {
    connection_id: Option<ConnectionId>,
    /// Comma-separated schemas to generate (default: every schema but the system ones).
    included_schemas: Option<String>,
    /// Comma-separated schemas to leave out.
    excluded_schemas: Option<String>,
}

/// The generated text.
#[derive(Serialize, JsonSchema)]
pub struct Generated {
    /// The TypeScript source.
    pub types: String,
}

/// `GET /api/platform/pg-meta/{ref}/generators/typescript`.
pub async fn generate(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(params): ApiQuery<TypescriptParams>,
) -> ApiResult<Data<Generated>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let (record, client) = postgres(&app, &ctx, params.connection_id).await?;
    let split = |s: &str| s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
    let filter = SchemaFilter {
        included: params.included_schemas.as_deref().map(split),
        excluded: params.excluded_schemas.as_deref().map(split).unwrap_or_default(),
        include_system: false,
    };
    let types = typescript::generate(&client, &filter).await.map_err(|e| engine_error(&app, &record, e))?;
    Ok(Data(Generated { types }))
}
