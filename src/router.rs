//! Every route, by resource, in one table. A route's handler lives in `api/<resource>.rs`; its
//! permission is the first line of that handler. The table also tells tests (the attack suite)
//! and documentation which routes exist, so no route can be added without them seeing it. A route
//! also names the types its handler reads from the JSON body (`.body::<T>()`, for `ApiJson<T>`) and
//! the query string (`.query::<T>()`, for `ApiQuery<T>`): the OpenAPI description is generated from
//! them.

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{delete, get, patch, post, put, MethodRouter};
use axum::{Extension, Router};
use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::api::organizations::CreateOrganization;
use crate::api::{
    audit, auth, connections, health, jobs, mongodb, mongodb_ops, organizations, pg_meta, projects, redis,
    redis_command, redis_ops, snippets, tokens, users, ws,
};
use crate::app::AppState;
use crate::domain::Engine;

/// Gives the JSON Schema of a type read from a request (a `$ref` where the generator keeps
/// definitions).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// One route of the table.
pub struct Route {
    /// Path template, e.g. `/api/platform/redis/{ref}/keys/{key}`.
    pub path: String,
    /// Its method.
    pub method: Method,
    /// The schema of the JSON body the handler reads (`ApiJson<T>`), if it reads one.
    pub body: Option<SchemaFn>,
    /// The schema of the query string the handler reads (`ApiQuery<T>`), if it reads one.
    pub query: Option<SchemaFn>,
    handler: MethodRouter<AppState>,
}

fn route(method: Method, path: impl Into<String>, handler: MethodRouter<AppState>) -> Route {
    Route { path: path.into(), method, body: None, query: None, handler }
}

impl Route {
    /// The handler reads a `T` from the JSON body.
    fn body<T: JsonSchema>(self) -> Self {
        Self { body: Some(SchemaGenerator::subschema_for::<T>), ..self }
    }

    /// The handler reads a `T` from the query string.
    fn query<T: JsonSchema>(self) -> Self {
        Self { query: Some(SchemaGenerator::subschema_for::<T>), ..self }
    }
}

/// Connection routes of one engine, under `/api/platform/{engine}/{ref}`.
fn connection_routes(engine: Engine) -> Vec<Route> {
    let base = format!("/api/platform/{}/{{ref}}/connections", engine.as_str());
    let with_engine = |h: MethodRouter<AppState>| h.layer(Extension(engine));
    type Body = connections::ConnectionBody;
    vec![
        route(Method::GET, &base, with_engine(get(connections::list))),
        route(Method::POST, &base, with_engine(post(connections::create))).body::<Body>(),
        route(Method::POST, format!("{base}/test"), with_engine(post(connections::test_unsaved))).body::<Body>(),
        route(Method::PUT, format!("{base}/{{id}}"), with_engine(put(connections::update))).body::<Body>(),
        route(Method::DELETE, format!("{base}/{{id}}"), with_engine(delete(connections::delete))),
        route(Method::POST, format!("{base}/{{id}}/test"), with_engine(post(connections::test))),
    ]
}

/// Redis data routes (spec 8.1).
fn redis_routes() -> Vec<Route> {
    use redis::Target;
    let base = "/api/platform/redis/{ref}";
    let key = format!("{base}/keys/{{key}}");
    let (expire, pubsub) = (format!("{key}/expire"), format!("{base}/pubsub"));
    vec![
        route(Method::GET, format!("{base}/keys"), get(redis::list_keys)).query::<redis::ListKeysQuery>(),
        route(Method::GET, &key, get(redis::get_key)).query::<redis::ReadKeyQuery>(),
        route(Method::POST, &key, post(redis::create_key)).query::<Target>().body::<redis::WriteKey>(),
        route(Method::PUT, &key, put(redis::update_key)).query::<Target>().body::<redis::WriteKey>(),
        route(Method::PATCH, &key, patch(redis::edit_key)).query::<Target>().body::<redis::EditKey>(),
        route(Method::DELETE, &key, delete(redis::delete_key)).query::<Target>(),
        route(Method::POST, expire, post(redis::expire_key)).query::<Target>().body::<redis::ExpireBody>(),
        route(Method::POST, format!("{key}/rename"), post(redis::rename_key))
            .query::<Target>()
            .body::<redis::RenameBody>(),
        route(Method::POST, format!("{base}/delete-keys"), post(redis::delete_keys))
            .query::<Target>()
            .body::<redis::DeleteKeysBody>(),
        route(Method::POST, format!("{base}/command"), post(redis_command::run_command))
            .query::<Target>()
            .body::<redis_command::CommandBody>(),
        route(Method::GET, format!("{base}/info"), get(redis::server_info)).query::<Target>(),
        route(Method::GET, format!("{base}/stats"), get(redis::stats)).query::<redis::StatsQuery>(),
        route(Method::GET, format!("{base}/slowlog"), get(redis_ops::slowlog)).query::<redis_ops::SlowlogQuery>(),
        route(Method::DELETE, format!("{base}/slowlog"), delete(redis_ops::reset_slowlog)).query::<Target>(),
        route(Method::GET, format!("{base}/clients"), get(redis_ops::clients)).query::<Target>(),
        route(Method::DELETE, format!("{base}/clients/{{id}}"), delete(redis_ops::kill_client)).query::<Target>(),
        route(Method::GET, format!("{base}/memory"), get(redis_ops::memory)).query::<Target>(),
        route(Method::POST, format!("{base}/analysis"), post(redis_ops::analysis))
            .query::<Target>()
            .body::<redis_ops::AnalysisBody>(),
        route(Method::GET, format!("{pubsub}/channels"), get(redis::pubsub_channels)).query::<redis::ChannelsQuery>(),
        route(Method::POST, format!("{pubsub}/publish"), post(redis::publish))
            .query::<Target>()
            .body::<redis::PublishBody>(),
        route(Method::GET, format!("{pubsub}/subscribe"), get(ws::subscribe)).query::<ws::SubscribeQuery>(),
    ]
}

/// MongoDB data routes (spec 8.2).
fn mongodb_routes() -> Vec<Route> {
    use mongodb::Target;
    let db = "/api/platform/mongodb/{ref}/databases";
    let database = format!("{db}/{{database}}");
    let (collections, coll) = (format!("{database}/collections"), format!("{database}/collections/{{collection}}"));
    let (docs, doc) = (format!("{coll}/documents"), format!("{coll}/documents/{{id}}"));
    let (aggregate, indexes) = (format!("{coll}/aggregate"), format!("{coll}/indexes"));
    vec![
        route(Method::GET, db, get(mongodb::list_databases)).query::<Target>(),
        route(Method::POST, db, post(mongodb::create_database)).query::<Target>().body::<mongodb::CreateDatabase>(),
        route(Method::DELETE, &database, delete(mongodb::drop_database)).query::<Target>(),
        route(Method::GET, format!("{database}/stats"), get(mongodb::database_stats)).query::<Target>(),
        route(Method::GET, &collections, get(mongodb::list_collections)).query::<Target>(),
        route(Method::POST, &collections, post(mongodb::create_collection))
            .query::<Target>()
            .body::<mongodb::CreateCollection>(),
        route(Method::DELETE, &coll, delete(mongodb::drop_collection)).query::<Target>(),
        route(Method::GET, &docs, get(mongodb::find_documents)).query::<mongodb::FindQuery>(),
        route(Method::POST, &docs, post(mongodb::insert_documents)).query::<Target>().body::<mongodb::InsertBody>(),
        route(Method::GET, &doc, get(mongodb::get_document)).query::<Target>(),
        route(Method::PUT, &doc, put(mongodb::update_document)).query::<Target>().body::<mongodb::UpdateBody>(),
        route(Method::DELETE, &doc, delete(mongodb::delete_document)).query::<Target>(),
        route(Method::POST, aggregate, post(mongodb::aggregate)).query::<Target>().body::<mongodb::AggregateBody>(),
        route(Method::GET, &indexes, get(mongodb::list_indexes)).query::<Target>(),
        route(Method::POST, &indexes, post(mongodb::create_index)).query::<Target>().body::<mongodb::CreateIndexBody>(),
        route(Method::DELETE, format!("{indexes}/{{name}}"), delete(mongodb::drop_index)).query::<Target>(),
    ]
}

/// MongoDB operations: currentOp/killOp, the profiler, explain, schema analysis, index usage.
fn mongodb_ops_routes() -> Vec<Route> {
    use mongodb::Target;
    use mongodb_ops as ops;
    let base = "/api/platform/mongodb/{ref}";
    let database = format!("{base}/databases/{{database}}");
    let coll = format!("{database}/collections/{{collection}}");
    let profiling = format!("{database}/profiling");
    vec![
        route(Method::GET, format!("{base}/operations"), get(ops::operations)).query::<ops::OperationsQuery>(),
        route(Method::DELETE, format!("{base}/operations/{{opid}}"), delete(ops::kill_operation)).query::<Target>(),
        route(Method::GET, &profiling, get(ops::profiling)).query::<Target>(),
        route(Method::PUT, &profiling, put(ops::set_profiling)).query::<Target>().body::<ops::ProfilingBody>(),
        route(Method::GET, format!("{database}/profile"), get(ops::profile)).query::<ops::ProfileQuery>(),
        route(Method::POST, format!("{coll}/explain"), post(ops::explain)).query::<Target>().body::<ops::ExplainBody>(),
        route(Method::POST, format!("{coll}/schema"), post(ops::analyse_schema))
            .query::<Target>()
            .body::<ops::SchemaBody>(),
        route(Method::GET, format!("{coll}/index-stats"), get(ops::index_stats)).query::<Target>(),
    ]
}

/// PostgreSQL routes (spec 8.3).
fn pg_meta_routes() -> Vec<Route> {
    use pg_meta::ddl::{DdlTarget, DropTarget};
    use pg_meta::{indexes, schemas, tables, ListParams};
    let base = "/api/platform/pg-meta/{ref}";
    let rows = format!("{base}/tables/{{id}}/rows");
    vec![
        route(Method::POST, format!("{base}/query"), post(pg_meta::query))
            .query::<pg_meta::Target>()
            .body::<pg_meta::QueryBody>(),
        route(Method::GET, format!("{base}/activity"), get(pg_meta::activity::list)).query::<pg_meta::Target>(),
        route(Method::GET, format!("{base}/query-stats"), get(pg_meta::activity::query_stats))
            .query::<pg_meta::activity::QueryStatsQuery>(),
        route(Method::POST, format!("{base}/activity/{{pid}}/cancel"), post(pg_meta::activity::cancel))
            .query::<pg_meta::Target>(),
        route(Method::POST, format!("{base}/activity/{{pid}}/terminate"), post(pg_meta::activity::terminate))
            .query::<pg_meta::Target>(),
        route(Method::POST, format!("{base}/query/{{query_id}}/cancel"), post(pg_meta::cancel_query)),
        route(Method::GET, format!("{base}/tables"), get(pg_meta::tables)).query::<ListParams>(),
        route(Method::GET, format!("{base}/views"), get(pg_meta::views)).query::<ListParams>(),
        route(Method::GET, format!("{base}/schemas"), get(pg_meta::schemas)).query::<ListParams>(),
        route(Method::GET, format!("{base}/columns"), get(pg_meta::columns)).query::<ListParams>(),
        route(Method::GET, &rows, get(pg_meta::rows::list)).query::<pg_meta::rows::RowsQuery>(),
        route(Method::POST, &rows, post(pg_meta::rows::insert))
            .query::<pg_meta::rows::RowsTarget>()
            .body::<pg_meta::rows::InsertBody>(),
        route(Method::PATCH, &rows, patch(pg_meta::rows::update))
            .query::<pg_meta::rows::RowsTarget>()
            .body::<Vec<crate::engines::postgres::rows::RowUpdate>>(),
        route(Method::DELETE, &rows, delete(pg_meta::rows::delete))
            .query::<pg_meta::rows::RowsTarget>()
            .body::<Vec<crate::engines::postgres::rows::RowKey>>(),
        route(Method::GET, format!("{base}/indexes"), get(indexes::indexes)).query::<ListParams>(),
        route(Method::GET, format!("{base}/extensions"), get(indexes::extensions)).query::<pg_meta::Target>(),
        route(Method::POST, format!("{base}/tables"), post(tables::create_table))
            .query::<DdlTarget>()
            .body::<tables::CreateTable>(),
        route(Method::PATCH, format!("{base}/tables/{{id}}"), patch(tables::update_table))
            .query::<DdlTarget>()
            .body::<tables::UpdateTable>(),
        route(Method::DELETE, format!("{base}/tables/{{id}}"), delete(tables::delete_table)).query::<DropTarget>(),
        route(Method::POST, format!("{base}/columns"), post(tables::create_column))
            .query::<DdlTarget>()
            .body::<tables::ColumnBody>(),
        route(Method::PATCH, format!("{base}/columns/{{id}}"), patch(tables::update_column))
            .query::<DdlTarget>()
            .body::<tables::UpdateColumn>(),
        route(Method::DELETE, format!("{base}/columns/{{id}}"), delete(tables::delete_column)).query::<DropTarget>(),
        route(Method::POST, format!("{base}/schemas"), post(schemas::create_schema))
            .query::<DdlTarget>()
            .body::<schemas::CreateSchema>(),
        route(Method::PATCH, format!("{base}/schemas/{{id}}"), patch(schemas::update_schema))
            .query::<DdlTarget>()
            .body::<schemas::UpdateSchema>(),
        route(Method::DELETE, format!("{base}/schemas/{{id}}"), delete(schemas::delete_schema)).query::<DropTarget>(),
        route(Method::POST, format!("{base}/indexes"), post(indexes::create_index))
            .query::<DdlTarget>()
            .body::<indexes::CreateIndex>(),
        route(Method::DELETE, format!("{base}/indexes/{{id}}"), delete(indexes::delete_index))
            .query::<indexes::DropIndexTarget>(),
        route(Method::POST, format!("{base}/extensions"), post(indexes::create_extension))
            .query::<DdlTarget>()
            .body::<indexes::CreateExtension>(),
        route(Method::DELETE, format!("{base}/extensions/{{name}}"), delete(indexes::delete_extension))
            .query::<DropTarget>(),
    ]
}

/// PostgreSQL objects beyond tables (roles, policies, triggers, functions, types, materialized
/// views, foreign keys, settings, version) and the TypeScript generator.
fn pg_objects_routes() -> Vec<Route> {
    use pg_meta::ddl::{DdlTarget, DropTarget};
    use pg_meta::{objects, policies, roles, triggers, typescript, ListParams, Target};
    let base = "/api/platform/pg-meta/{ref}";
    let (role, policy, trigger) =
        (format!("{base}/roles/{{id}}"), format!("{base}/policies/{{id}}"), format!("{base}/triggers/{{id}}"));
    let refresh = format!("{base}/materialized-views/{{id}}/refresh");
    vec![
        route(Method::GET, format!("{base}/roles"), get(roles::list)).query::<Target>(),
        route(Method::POST, format!("{base}/roles"), post(roles::create))
            .query::<DdlTarget>()
            .body::<roles::RoleBody>(),
        route(Method::PATCH, &role, patch(roles::update)).query::<DdlTarget>().body::<roles::RoleBody>(),
        route(Method::DELETE, &role, delete(roles::delete)).query::<DropTarget>(),
        route(Method::GET, format!("{base}/policies"), get(policies::list)).query::<ListParams>(),
        route(Method::POST, format!("{base}/policies"), post(policies::create))
            .query::<DdlTarget>()
            .body::<policies::CreatePolicy>(),
        route(Method::PATCH, &policy, patch(policies::update)).query::<DdlTarget>().body::<policies::UpdatePolicy>(),
        route(Method::DELETE, &policy, delete(policies::delete)).query::<DropTarget>(),
        route(Method::GET, format!("{base}/triggers"), get(triggers::list)).query::<ListParams>(),
        route(Method::POST, format!("{base}/triggers"), post(triggers::create))
            .query::<DdlTarget>()
            .body::<triggers::CreateTrigger>(),
        route(Method::DELETE, &trigger, delete(triggers::delete)).query::<DropTarget>(),
        route(Method::GET, format!("{base}/functions"), get(objects::functions)).query::<ListParams>(),
        route(Method::GET, format!("{base}/types"), get(objects::types)).query::<ListParams>(),
        route(Method::GET, format!("{base}/materialized-views"), get(objects::materialized_views))
            .query::<objects::MaterializedViewParams>(),
        route(Method::POST, refresh, post(objects::refresh_materialized_view))
            .query::<DdlTarget>()
            .body::<objects::RefreshBody>(),
        route(Method::GET, format!("{base}/foreign-keys"), get(objects::foreign_keys)).query::<ListParams>(),
        route(Method::GET, format!("{base}/config"), get(objects::config)).query::<Target>(),
        route(Method::GET, format!("{base}/version"), get(objects::version)).query::<Target>(),
        route(Method::GET, format!("{base}/generators/typescript"), get(typescript::generate))
            .query::<typescript::TypescriptParams>(),
    ]
}

/// Organizations, projects, members, users, tokens, audit.
fn platform_routes() -> Vec<Route> {
    let p = "/api/platform/projects/{ref}";
    vec![
        route(Method::GET, "/api/platform/organizations", get(organizations::list)),
        route(Method::POST, "/api/platform/organizations", post(organizations::create)).body::<CreateOrganization>(),
        route(Method::GET, "/api/platform/projects", get(projects::list)),
        route(Method::POST, "/api/platform/projects", post(projects::create)).body::<projects::CreateProject>(),
        route(Method::GET, p, get(projects::get)),
        route(Method::PATCH, p, patch(projects::update)).body::<projects::UpdateProject>(),
        route(Method::DELETE, p, delete(projects::delete)),
        route(Method::GET, format!("{p}/members"), get(projects::list_members)),
        route(Method::POST, format!("{p}/members"), post(projects::add_member)).body::<projects::AddMember>(),
        route(Method::DELETE, format!("{p}/members/{{user_id}}"), delete(projects::remove_member)),
        route(Method::GET, format!("{p}/databases"), get(projects::databases)),
        route(Method::GET, format!("{p}/audit"), get(audit::list)).query::<audit::AuditQuery>(),
        route(Method::GET, format!("{p}/tokens"), get(tokens::list)),
        route(Method::POST, format!("{p}/tokens"), post(tokens::create)).body::<tokens::CreateToken>(),
        route(Method::DELETE, format!("{p}/tokens/{{id}}"), delete(tokens::revoke)),
        route(Method::GET, format!("{p}/snippets"), get(snippets::list)).query::<snippets::SnippetQuery>(),
        route(Method::POST, format!("{p}/snippets"), post(snippets::create)).body::<snippets::CreateSnippet>(),
        route(Method::GET, format!("{p}/snippets/{{id}}"), get(snippets::get)),
        route(Method::PATCH, format!("{p}/snippets/{{id}}"), patch(snippets::update)).body::<snippets::UpdateSnippet>(),
        route(Method::DELETE, format!("{p}/snippets/{{id}}"), delete(snippets::delete)),
        route(Method::GET, format!("{p}/jobs"), get(jobs::list)),
        route(Method::POST, format!("{p}/jobs"), post(jobs::create)).body::<jobs::StartJob>(),
        route(Method::GET, format!("{p}/jobs/{{id}}"), get(jobs::get)),
        route(Method::DELETE, format!("{p}/jobs/{{id}}"), delete(jobs::cancel)),
        route(Method::GET, format!("{p}/jobs/{{id}}/events"), get(jobs::events)),
        route(Method::GET, "/api/platform/users", get(users::list)),
        route(Method::POST, "/api/platform/users", post(users::create)).body::<users::CreateUser>(),
        route(Method::PATCH, "/api/platform/users/{user_id}", patch(users::update)).body::<users::UpdateUser>(),
        route(Method::POST, "/api/platform/users/{user_id}/password", post(users::reset_password))
            .body::<users::ResetPassword>(),
        route(Method::GET, "/api/platform/audit", get(audit::list_all)).query::<audit::AuditQuery>(),
    ]
}

/// Every route, unauthenticated ones first.
pub fn routes() -> Vec<Route> {
    let mut all = vec![
        route(Method::GET, "/healthz", get(health::healthz)),
        route(Method::GET, "/readyz", get(health::readyz)),
        route(Method::GET, "/metrics", get(health::metrics)),
        route(Method::POST, "/api/auth/token", post(auth::issue_token)).body::<auth::TokenRequest>(),
        route(Method::POST, "/api/auth/session", post(auth::create_session)).body::<auth::TokenRequest>(),
        route(Method::GET, "/api/auth/session", get(auth::get_session)),
        route(Method::DELETE, "/api/auth/session", delete(auth::delete_session)),
        route(Method::DELETE, "/api/auth/sessions", delete(auth::delete_all_sessions)),
        route(Method::GET, "/api/openapi.json", get(crate::openapi::spec)),
        route(Method::GET, "/api/docs", get(crate::openapi::reference)),
    ];
    all.extend(platform_routes());
    for engine in Engine::ALL {
        all.extend(connection_routes(engine));
    }
    all.extend(redis_routes());
    all.extend(mongodb_routes());
    all.extend(mongodb_ops_routes());
    all.extend(pg_meta_routes());
    all.extend(pg_objects_routes());
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
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::middleware::front_door))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}
