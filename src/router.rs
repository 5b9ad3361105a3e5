//! Every route, by resource, in one table. A route's handler lives in `api/<resource>.rs`; its
//! permission is the first line of that handler. The table also tells tests (the attack suite)
//! and documentation which routes exist, so no route can be added without them seeing it.

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{delete, get, patch, post, put, MethodRouter};
use axum::{Extension, Router};

use crate::api::{
    audit, auth, connections, health, mongodb, organizations, pg_meta, projects, redis, tokens, users, ws,
};
use crate::app::AppState;
use crate::domain::Engine;

/// One route of the table.
pub struct Route {
    /// Path template, e.g. `/api/platform/redis/{ref}/keys/{key}`.
    pub path: String,
    /// Its method.
    pub method: Method,
    handler: MethodRouter<AppState>,
}

fn route(method: Method, path: impl Into<String>, handler: MethodRouter<AppState>) -> Route {
    Route { path: path.into(), method, handler }
}

/// Connection routes of one engine, under `/api/platform/{engine}/{ref}`.
fn connection_routes(engine: Engine) -> Vec<Route> {
    let base = format!("/api/platform/{}/{{ref}}/connections", engine.as_str());
    let with_engine = |h: MethodRouter<AppState>| h.layer(Extension(engine));
    vec![
        route(Method::GET, &base, with_engine(get(connections::list))),
        route(Method::POST, &base, with_engine(post(connections::create))),
        route(Method::POST, format!("{base}/test"), with_engine(post(connections::test_unsaved))),
        route(Method::PUT, format!("{base}/{{id}}"), with_engine(put(connections::update))),
        route(Method::DELETE, format!("{base}/{{id}}"), with_engine(delete(connections::delete))),
        route(Method::POST, format!("{base}/{{id}}/test"), with_engine(post(connections::test))),
    ]
}

/// Redis data routes (spec 8.1).
fn redis_routes() -> Vec<Route> {
    let base = "/api/platform/redis/{ref}";
    let key = format!("{base}/keys/{{key}}");
    vec![
        route(Method::GET, format!("{base}/keys"), get(redis::list_keys)),
        route(Method::GET, &key, get(redis::get_key)),
        route(Method::POST, &key, post(redis::create_key)),
        route(Method::PUT, &key, put(redis::update_key)),
        route(Method::PATCH, &key, patch(redis::edit_key)),
        route(Method::DELETE, &key, delete(redis::delete_key)),
        route(Method::POST, format!("{key}/expire"), post(redis::expire_key)),
        route(Method::GET, format!("{base}/info"), get(redis::server_info)),
        route(Method::GET, format!("{base}/stats"), get(redis::stats)),
        route(Method::GET, format!("{base}/pubsub/channels"), get(redis::pubsub_channels)),
        route(Method::POST, format!("{base}/pubsub/publish"), post(redis::publish)),
        route(Method::GET, format!("{base}/pubsub/subscribe"), get(ws::subscribe)),
    ]
}

/// MongoDB data routes (spec 8.2).
fn mongodb_routes() -> Vec<Route> {
    let db = "/api/platform/mongodb/{ref}/databases";
    let coll = format!("{db}/{{database}}/collections/{{collection}}");
    vec![
        route(Method::GET, db, get(mongodb::list_databases)),
        route(Method::POST, db, post(mongodb::create_database)),
        route(Method::DELETE, format!("{db}/{{database}}"), delete(mongodb::drop_database)),
        route(Method::GET, format!("{db}/{{database}}/stats"), get(mongodb::database_stats)),
        route(Method::GET, format!("{db}/{{database}}/collections"), get(mongodb::list_collections)),
        route(Method::POST, format!("{db}/{{database}}/collections"), post(mongodb::create_collection)),
        route(Method::DELETE, &coll, delete(mongodb::drop_collection)),
        route(Method::GET, format!("{coll}/documents"), get(mongodb::find_documents)),
        route(Method::POST, format!("{coll}/documents"), post(mongodb::insert_documents)),
        route(Method::GET, format!("{coll}/documents/{{id}}"), get(mongodb::get_document)),
        route(Method::PUT, format!("{coll}/documents/{{id}}"), put(mongodb::update_document)),
        route(Method::DELETE, format!("{coll}/documents/{{id}}"), delete(mongodb::delete_document)),
        route(Method::POST, format!("{coll}/aggregate"), post(mongodb::aggregate)),
        route(Method::GET, format!("{coll}/indexes"), get(mongodb::list_indexes)),
        route(Method::POST, format!("{coll}/indexes"), post(mongodb::create_index)),
        route(Method::DELETE, format!("{coll}/indexes/{{name}}"), delete(mongodb::drop_index)),
    ]
}

/// PostgreSQL routes (spec 8.3).
fn pg_meta_routes() -> Vec<Route> {
    let base = "/api/platform/pg-meta/{ref}";
    vec![
        route(Method::POST, format!("{base}/query"), post(pg_meta::query)),
        route(Method::GET, format!("{base}/tables"), get(pg_meta::tables)),
        route(Method::GET, format!("{base}/views"), get(pg_meta::views)),
        route(Method::GET, format!("{base}/schemas"), get(pg_meta::schemas)),
        route(Method::GET, format!("{base}/columns"), get(pg_meta::columns)),
    ]
}

/// Organizations, projects, members, users, tokens, audit.
fn platform_routes() -> Vec<Route> {
    let p = "/api/platform/projects/{ref}";
    vec![
        route(Method::GET, "/api/platform/organizations", get(organizations::list)),
        route(Method::POST, "/api/platform/organizations", post(organizations::create)),
        route(Method::GET, "/api/platform/projects", get(projects::list)),
        route(Method::POST, "/api/platform/projects", post(projects::create)),
        route(Method::GET, p, get(projects::get)),
        route(Method::PATCH, p, patch(projects::update)),
        route(Method::DELETE, p, delete(projects::delete)),
        route(Method::GET, format!("{p}/members"), get(projects::list_members)),
        route(Method::POST, format!("{p}/members"), post(projects::add_member)),
        route(Method::DELETE, format!("{p}/members/{{user_id}}"), delete(projects::remove_member)),
        route(Method::GET, format!("{p}/databases"), get(projects::databases)),
        route(Method::GET, format!("{p}/audit"), get(audit::list)),
        route(Method::GET, format!("{p}/tokens"), get(tokens::list)),
        route(Method::POST, format!("{p}/tokens"), post(tokens::create)),
        route(Method::DELETE, format!("{p}/tokens/{{id}}"), delete(tokens::revoke)),
        route(Method::POST, "/api/platform/users", post(users::create)),
    ]
}

/// Every route, unauthenticated ones first.
pub fn routes() -> Vec<Route> {
    let mut all = vec![
        route(Method::GET, "/healthz", get(health::healthz)),
        route(Method::GET, "/readyz", get(health::readyz)),
        route(Method::GET, "/metrics", get(health::metrics)),
        route(Method::POST, "/api/auth/token", post(auth::issue_token)),
        route(Method::GET, "/api/openapi.json", get(crate::openapi::spec)),
        route(Method::GET, "/api/docs", get(crate::openapi::reference)),
    ];
    all.extend(platform_routes());
    for engine in Engine::ALL {
        all.extend(connection_routes(engine));
    }
    all.extend(redis_routes());
    all.extend(mongodb_routes());
    all.extend(pg_meta_routes());
    all
}

/// The method and path of every route (for tests and documentation).
pub fn route_list() -> Vec<(Method, String)> {
    routes().into_iter().map(|r| (r.method, r.path)).collect()
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let body_limit = state.body_limit;
    // Routes sharing a path are merged into one method router, so axum answers 405 with `Allow`.
    let mut by_path: Vec<(String, MethodRouter<AppState>)> = Vec::new();
    for r in routes() {
        match by_path.iter_mut().find(|(p, _)| *p == r.path) {
            Some((_, existing)) => *existing = std::mem::take(existing).merge(r.handler),
            None => by_path.push((r.path, r.handler)),
        }
    }
    let mut app = Router::new();
    for (path, handler) in by_path {
        app = app.route(&path, handler);
    }
    app.fallback(crate::web::fallback)
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::middleware::project_gate))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::middleware::audit::audit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::middleware::front_door))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}
