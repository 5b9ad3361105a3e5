//! Every route, by resource. A route's handler lives in `api/<resource>.rs`; its permission is the
//! first line of that handler.

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};
use axum::{Extension, Router};

use crate::api::{
    audit, auth, connections, health, mongodb, organizations, pg_meta, projects, redis, tokens, users, ws,
};
use crate::app::AppState;
use crate::domain::Engine;
use crate::error::ApiError;

/// Routes for one engine's connections, nested under `/api/platform/{engine}/{ref}`.
fn connection_routes(engine: Engine) -> Router<AppState> {
    Router::new()
        .route("/connections", get(connections::list).post(connections::create))
        .route("/connections/test", post(connections::test_unsaved))
        .route("/connections/{id}", put(connections::update).delete(connections::delete))
        .route("/connections/{id}/test", post(connections::test))
        .layer(Extension(engine))
}

/// Redis data routes, nested under `/api/platform/redis/{ref}`.
fn redis_routes() -> Router<AppState> {
    Router::new()
        .route("/keys", get(redis::list_keys))
        .route(
            "/keys/{key}",
            get(redis::get_key).post(redis::create_key).put(redis::update_key).delete(redis::delete_key),
        )
        .route("/keys/{key}/expire", post(redis::expire_key))
        .route("/info", get(redis::server_info))
        .route("/stats", get(redis::stats))
        .route("/pubsub/channels", get(redis::pubsub_channels))
        .route("/pubsub/publish", post(redis::publish))
        .route("/pubsub/subscribe", get(ws::subscribe))
}

/// MongoDB data routes, nested under `/api/platform/mongodb/{ref}`.
fn mongodb_routes() -> Router<AppState> {
    const COLLECTION: &str = "/databases/{database}/collections/{collection}";
    Router::new()
        .route("/databases", get(mongodb::list_databases).post(mongodb::create_database))
        .route("/databases/{database}", delete(mongodb::drop_database))
        .route("/databases/{database}/stats", get(mongodb::database_stats))
        .route("/databases/{database}/collections", get(mongodb::list_collections).post(mongodb::create_collection))
        .route(COLLECTION, delete(mongodb::drop_collection))
        .route(&format!("{COLLECTION}/documents"), get(mongodb::find_documents).post(mongodb::insert_documents))
        .route(
            &format!("{COLLECTION}/documents/{{id}}"),
            get(mongodb::get_document).put(mongodb::update_document).delete(mongodb::delete_document),
        )
        .route(&format!("{COLLECTION}/aggregate"), post(mongodb::aggregate))
        .route(&format!("{COLLECTION}/indexes"), get(mongodb::list_indexes).post(mongodb::create_index))
        .route(&format!("{COLLECTION}/indexes/{{name}}"), delete(mongodb::drop_index))
}

/// Everything under `/api/platform/{engine}/{ref}`: connections, plus the engine's data routes.
fn engine_routes(engine: Engine) -> Router<AppState> {
    let routes = connection_routes(engine);
    match engine {
        Engine::Redis => routes.merge(redis_routes()),
        Engine::Mongodb => routes.merge(mongodb_routes()),
        Engine::Postgres => routes,
    }
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let body_limit = state.body_limit;
    let mut platform = Router::new()
        .route("/organizations", get(organizations::list).post(organizations::create))
        .route("/projects", get(projects::list).post(projects::create))
        .route("/projects/{ref}", get(projects::get).patch(projects::update).delete(projects::delete))
        .route("/projects/{ref}/members", get(projects::list_members).post(projects::add_member))
        .route("/projects/{ref}/members/{user_id}", delete(projects::remove_member))
        .route("/projects/{ref}/databases", get(projects::databases))
        .route("/projects/{ref}/audit", get(audit::list))
        .route("/projects/{ref}/tokens", get(tokens::list).post(tokens::create))
        .route("/projects/{ref}/tokens/{id}", delete(tokens::revoke))
        .route("/pg-meta/{ref}/query", post(pg_meta::query))
        .route("/pg-meta/{ref}/tables", get(pg_meta::tables))
        .route("/pg-meta/{ref}/views", get(pg_meta::views))
        .route("/pg-meta/{ref}/schemas", get(pg_meta::schemas))
        .route("/pg-meta/{ref}/columns", get(pg_meta::columns))
        .route("/users", post(users::create));
    for engine in Engine::ALL {
        platform = platform.nest(&format!("/{}/{{ref}}", engine.as_str()), engine_routes(engine));
    }

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/api/auth/token", post(auth::issue_token))
        .nest("/api/platform", platform)
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::middleware::audit::audit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::middleware::front_door))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}
