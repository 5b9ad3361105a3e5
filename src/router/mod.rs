//! Every route, by resource, in one table (each engine's own routes in its file of this folder). A route's handler lives in `api/<resource>.rs`; its
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
use crate::api::{activity, audit, auth, connections, health, jobs, organizations, projects, snippets, tokens, users};
use crate::app::AppState;

mod mongodb;
mod mysql;
mod postgres;
mod redis;
use crate::domain::Engine;

// Descriptions several routes share.
pub(crate) const DDL: &str =
    "Admins only; audited. Runs in one transaction under the connection's lock timeout. With `dry_run` \
     nothing runs and the answer is the SQL (`{\"dry_run\": true, \"sql\"}`); otherwise the object read back.";
pub(crate) const DDL_DROP: &str =
    "Admins only; audited. Answers the object as it was before the drop; with `dry_run`, the SQL \
     that would run. `cascade` also drops what depends on it.";
pub(crate) const CANCEL_QUERY: &str = "Cancels the caller's running query sent with this query_id (an admin of the project may cancel \
     anyone's): PostgreSQL is sent its cancel request, and the query answers QUERY_ERROR 57014 'canceled by the user'. \
     Running queries are known only to the server replica that runs them (no store round trip on the query path): \
     with several replicas, send the cancel to the same replica as the query (sticky sessions); elsewhere it answers 404.";

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
    /// The handler streams the body instead (`Upload`, an import): the media types it reads and
    /// what the body holds. Such a route is exempt from the JSON body limit.
    pub upload: Option<(&'static [&'static str], &'static str)>,
    /// One line: the operation's title in the reference (`.summary("…")`).
    pub summary: Option<&'static str>,
    /// What else a caller needs to know: roles, audit, limits (`.describe("…")`).
    pub description: Option<&'static str>,
    /// What a success answers (`.ok::<T>()`, `.created::<T>()`, `.no_content()`, …).
    pub success: Success,
    /// Other media types the same success may answer instead: (media type, when and what).
    pub alternatives: Vec<(&'static str, &'static str)>,
    handler: MethodRouter<AppState>,
}

/// What a route answers on success; the OpenAPI generator turns it into the 2xx response.
#[derive(Clone, Copy)]
pub enum Success {
    /// Not declared (the OpenAPI test fails on it).
    Undeclared,
    /// `{"data": T}` with this status.
    Data(u16, Payload),
    /// A JSON body without the envelope (health checks, `/api/auth/token`, the description itself).
    Json(SchemaFn),
    /// No body, with this status.
    Empty(u16),
    /// A body of another media type: (media type, what it holds).
    Media(&'static str, &'static str),
}

/// What `data` holds in a success.
#[derive(Clone, Copy)]
pub enum Payload {
    /// A typed value: the schema of the type the handler serializes.
    Typed(SchemaFn),
    /// Truly free-form JSON (a user's rows, a Redis value, a MongoDB document): said so, not typed.
    Any(&'static str),
}

pub(crate) fn route(method: Method, path: impl Into<String>, handler: MethodRouter<AppState>) -> Route {
    let path = path.into();
    Route {
        path,
        method,
        body: None,
        query: None,
        upload: None,
        summary: None,
        description: None,
        success: Success::Undeclared,
        alternatives: Vec::new(),
        handler,
    }
}

// The builder: one call per fact, so a new route is described in its table line, e.g.
// `route(..).query::<Target>().summary("List keys by SCAN").ok::<KeyPage>()`.
impl Route {
    /// The handler reads a `T` from the JSON body.
    pub(crate) fn body<T: JsonSchema>(self) -> Self {
        Self { body: Some(SchemaGenerator::subschema_for::<T>), ..self }
    }

    /// The handler reads a `T` from the query string.
    pub(crate) fn query<T: JsonSchema>(self) -> Self {
        Self { query: Some(SchemaGenerator::subschema_for::<T>), ..self }
    }

    /// The handler streams a body of one of `media_types` (`Upload`), holding `what`; the JSON body
    /// limit does not apply (the import limit does, as the body is read).
    pub(crate) fn upload(self, media_types: &'static [&'static str], what: &'static str) -> Self {
        let handler = self.handler.layer(DefaultBodyLimit::disable());
        Self { upload: Some((media_types, what)), handler, ..self }
    }

    /// The one-line title of the operation.
    pub(crate) fn summary(self, summary: &'static str) -> Self {
        Self { summary: Some(summary), ..self }
    }

    /// A longer description (roles needed, what is audited, limits).
    pub(crate) fn describe(self, description: &'static str) -> Self {
        Self { description: Some(description), ..self }
    }

    /// Answers 200 `{"data": T}`.
    pub(crate) fn ok<T: JsonSchema>(self) -> Self {
        Self { success: Success::Data(200, Payload::Typed(SchemaGenerator::subschema_for::<T>)), ..self }
    }

    /// Answers 201 `{"data": T}`.
    pub(crate) fn created<T: JsonSchema>(self) -> Self {
        Self { success: Success::Data(201, Payload::Typed(SchemaGenerator::subschema_for::<T>)), ..self }
    }

    /// Answers 202 `{"data": T}` (a job started).
    pub(crate) fn accepted<T: JsonSchema>(self) -> Self {
        Self { success: Success::Data(202, Payload::Typed(SchemaGenerator::subschema_for::<T>)), ..self }
    }

    /// Answers `{"data": …}` of this schema with this status (a shape built by hand, its schema
    /// written beside the code that builds it).
    pub(crate) fn ok_schema(self, status: u16, schema: SchemaFn) -> Self {
        Self { success: Success::Data(status, Payload::Typed(schema)), ..self }
    }

    /// Answers `{"data": …}` with free-form JSON, described by `what`.
    pub(crate) fn ok_any(self, status: u16, what: &'static str) -> Self {
        Self { success: Success::Data(status, Payload::Any(what)), ..self }
    }

    /// Answers a `T` as it is, without the envelope.
    pub(crate) fn json<T: JsonSchema>(self) -> Self {
        Self { success: Success::Json(SchemaGenerator::subschema_for::<T>), ..self }
    }

    /// Answers a JSON body without the envelope, of this schema (several shapes, written by hand
    /// from the types the handler answers).
    pub(crate) fn json_with(self, schema: SchemaFn) -> Self {
        Self { success: Success::Json(schema), ..self }
    }

    /// Answers 204 without a body.
    pub(crate) fn no_content(self) -> Self {
        Self { success: Success::Empty(204), ..self }
    }

    /// Answers a body of another media type (a stream, a page, a text).
    pub(crate) fn media(self, media_type: &'static str, what: &'static str) -> Self {
        Self { success: Success::Media(media_type, what), ..self }
    }

    /// May answer this media type instead (an export, a stream), as `what` says.
    pub(crate) fn also(mut self, media_type: &'static str, what: &'static str) -> Self {
        self.alternatives.push((media_type, what));
        self
    }

    /// Answers `101 Switching Protocols`: a WebSocket.
    pub(crate) fn websocket(self) -> Self {
        Self { success: Success::Empty(101), ..self }
    }
}

/// Connection routes of one engine, under `/api/platform/{engine}/{ref}`.
fn connection_routes(engine: Engine) -> Vec<Route> {
    let base = format!("/api/platform/{}/{{ref}}/connections", engine.as_str());
    let with_engine = |h: MethodRouter<AppState>| h.layer(Extension(engine));
    type Body = connections::ConnectionBody;
    vec![
        route(Method::GET, &base, with_engine(get(connections::list)))
            .summary("List the connections of this engine")
            .describe("Any role. Secrets are never answered: `has_password` and `has_connection_string` say whether one is stored.")
            .ok::<Vec<crate::connections::ConnectionView>>(),
        route(Method::POST, &base, with_engine(post(connections::create)))
            .body::<Body>()
            .summary("Add a connection")
            .describe("Admins only; audited. The password or connection string is sealed before it is stored.")
            .created::<crate::connections::ConnectionView>(),
        route(Method::POST, format!("{base}/test"), with_engine(post(connections::test_unsaved)))
            .body::<Body>()
            .summary("Test connection settings without saving them")
            .describe("Admins only. A failed test is a 200 whose report says why.")
            .ok::<crate::engines::TestReport>(),
        route(Method::PUT, format!("{base}/{{id}}"), with_engine(put(connections::update)))
            .body::<Body>()
            .summary("Change a connection")
            .describe("Admins only; audited. Omitted secrets are kept, null removes them.")
            .ok::<crate::connections::ConnectionView>(),
        route(Method::DELETE, format!("{base}/{{id}}"), with_engine(delete(connections::delete)))
            .summary("Delete a connection")
            .describe("Admins only; audited.")
            .no_content(),
        route(Method::POST, format!("{base}/{{id}}/test"), with_engine(post(connections::test)))
            .summary("Test a saved connection")
            .describe("Any role; stores the status it finds.")
            .ok::<crate::engines::TestReport>(),
    ]
}

/// Organizations, projects, members, users, tokens, audit.
fn platform_routes() -> Vec<Route> {
    let p = "/api/platform/projects/{ref}";
    vec![
        route(Method::GET, "/api/platform/organizations", get(organizations::list))
            .summary("List the caller's organizations")
            .ok::<Vec<crate::store::Organization>>(),
        route(Method::POST, "/api/platform/organizations", post(organizations::create))
            .body::<CreateOrganization>()
            .summary("Create an organization")
            .describe("Audited.")
            .created::<crate::store::Organization>(),
        route(Method::GET, "/api/platform/projects", get(projects::list))
            .summary("List the caller's projects")
            .ok::<Vec<projects::ProjectView>>(),
        route(Method::POST, "/api/platform/projects", post(projects::create))
            .body::<projects::CreateProject>()
            .summary("Create a project")
            .describe("Audited; the creator becomes its owner.")
            .created::<projects::ProjectView>(),
        route(Method::GET, p, get(projects::get)).summary("Read a project").ok::<projects::ProjectView>(),
        route(Method::PATCH, p, patch(projects::update))
            .body::<projects::UpdateProject>()
            .summary("Rename a project")
            .describe("Admins only; audited.")
            .ok::<projects::ProjectView>(),
        route(Method::DELETE, p, delete(projects::delete))
            .summary("Delete a project")
            .describe("Its owner only; audited.")
            .no_content(),
        route(Method::GET, format!("{p}/members"), get(projects::list_members))
            .summary("List the project's members")
            .ok::<Vec<crate::store::ProjectMember>>(),
        route(Method::POST, format!("{p}/members"), post(projects::add_member))
            .body::<projects::AddMember>()
            .summary("Add a member")
            .describe("Admins only; audited.")
            .created::<crate::store::ProjectMember>(),
        route(Method::DELETE, format!("{p}/members/{{user_id}}"), delete(projects::remove_member))
            .summary("Remove a member")
            .describe("Admins only; audited.")
            .no_content(),
        route(Method::GET, format!("{p}/databases"), get(projects::databases))
            .summary("List the project's connections of every engine")
            .ok::<Vec<crate::connections::ConnectionView>>(),
        route(Method::GET, format!("{p}/audit"), get(audit::list))
            .query::<audit::AuditQuery>()
            .summary("Read the project's audit log")
            .describe("Admins only. Pages go back from `before`; `format=csv|ndjson` (or the Accept header) downloads every match.")
            .ok::<audit::AuditPage>()
            .also("text/csv", "with format=csv, every matching record as CSV")
            .also("application/x-ndjson", "with format=ndjson, every matching record as a JSON object per line"),
        route(Method::GET, format!("{p}/tokens"), get(tokens::list))
            .summary("List the project's API tokens")
            .ok::<Vec<crate::store::ApiToken>>(),
        route(Method::POST, format!("{p}/tokens"), post(tokens::create))
            .body::<tokens::CreateToken>()
            .summary("Create an API token")
            .describe("Audited. Its secret is answered once, here. A token cannot create tokens.")
            .created::<tokens::NewToken>(),
        route(Method::DELETE, format!("{p}/tokens/{{id}}"), delete(tokens::revoke))
            .summary("Revoke an API token")
            .describe("Audited.")
            .no_content(),
        route(Method::GET, format!("{p}/snippets"), get(snippets::list))
            .query::<snippets::SnippetQuery>()
            .summary("List saved SQL snippets")
            .ok::<Vec<crate::store::Snippet>>(),
        route(Method::POST, format!("{p}/snippets"), post(snippets::create))
            .body::<snippets::CreateSnippet>()
            .summary("Save a SQL snippet")
            .describe("Developers and above; audited.")
            .created::<crate::store::Snippet>(),
        route(Method::GET, format!("{p}/snippets/{{id}}"), get(snippets::get))
            .summary("Read a snippet")
            .ok::<crate::store::Snippet>(),
        route(Method::PATCH, format!("{p}/snippets/{{id}}"), patch(snippets::update))
            .body::<snippets::UpdateSnippet>()
            .summary("Change a snippet")
            .describe("Developers and above; audited.")
            .ok::<crate::store::Snippet>(),
        route(Method::DELETE, format!("{p}/snippets/{{id}}"), delete(snippets::delete))
            .summary("Delete a snippet")
            .describe("Developers and above; audited.")
            .no_content(),
        route(Method::GET, format!("{p}/activity"), get(activity::project_activity))
            .summary("What runs on every database of the project")
            .describe(
                "Any role. Sessions and operations of every connection (pg_stat_activity, CLIENT LIST, currentOp), \
                 running work first, longest first; `kill` names the engine route that stops an entry (admins only). \
                 A connection that does not answer within 5 s is listed under `unreachable`.",
            )
            .ok::<activity::ProjectActivity>(),
        route(Method::GET, format!("{p}/jobs"), get(jobs::list))
            .summary("List the project's background jobs")
            .ok::<Vec<jobs::JobView>>(),
        route(Method::POST, format!("{p}/jobs"), post(jobs::create))
            .body::<jobs::StartJob>()
            .summary("Start a background job")
            .describe("The same as the kind's own route (`redis.analysis`: `POST …/redis/{ref}/analysis`).")
            .accepted::<jobs::Started>(),
        route(Method::GET, format!("{p}/jobs/{{id}}"), get(jobs::get)).summary("Read a job").ok::<jobs::JobView>(),
        route(Method::DELETE, format!("{p}/jobs/{{id}}"), delete(jobs::cancel))
            .summary("Cancel a job")
            .describe("Its starter, or an admin; audited.")
            .ok::<jobs::JobView>(),
        route(Method::GET, format!("{p}/jobs/{{id}}/events"), get(jobs::events))
            .summary("Follow a job (Server-Sent Events)")
            .media("text/event-stream", "Server-Sent Events: `progress` with the job whenever it changes, then `end`"),
        route(Method::GET, "/api/platform/users", get(users::list))
            .summary("List users")
            .describe("Superusers only.")
            .ok::<Vec<crate::store::User>>(),
        route(Method::POST, "/api/platform/users", post(users::create))
            .body::<users::CreateUser>()
            .summary("Create a user")
            .describe("Superusers only; audited.")
            .created::<crate::store::User>(),
        route(Method::PATCH, "/api/platform/users/{user_id}", patch(users::update))
            .body::<users::UpdateUser>()
            .summary("Enable or disable a user")
            .describe("Superusers only; audited.")
            .ok::<crate::store::User>(),
        route(Method::POST, "/api/platform/users/{user_id}/password", post(users::reset_password))
            .body::<users::ResetPassword>()
            .summary("Set a user's password")
            .describe("Superusers only; audited. Ends the user's sessions.")
            .no_content(),
        route(Method::GET, "/api/platform/audit", get(audit::list_all))
            .query::<audit::AuditQuery>()
            .summary("Read the audit log of every project")
            .describe("Superusers only. As the project's audit log.")
            .ok::<audit::AuditPage>()
            .also("text/csv", "with format=csv, every matching record as CSV")
            .also("application/x-ndjson", "with format=ndjson, every matching record as a JSON object per line"),
    ]
}

/// Every route, unauthenticated ones first.
pub fn routes() -> Vec<Route> {
    let mut all = vec![
        route(Method::GET, "/healthz", get(health::healthz)).summary("Liveness").json::<health::Status>(),
        route(Method::GET, "/readyz", get(health::readyz))
            .summary("Readiness: the platform store answers")
            .json::<health::Status>(),
        route(Method::GET, "/metrics", get(health::metrics))
            .summary("Prometheus metrics")
            .media("text/plain", "Prometheus text exposition"),
        route(Method::POST, "/api/auth/token", post(auth::issue_token))
            .body::<auth::TokenRequest>()
            .summary("Sign in for a bearer token")
            .describe("Rate limited per address; a JWT for `Authorization: Bearer`.")
            .json::<auth::TokenResponse>(),
        route(Method::POST, "/api/auth/session", post(auth::create_session))
            .body::<auth::TokenRequest>()
            .summary("Sign in to the console (session cookie)")
            .describe("Sets the HttpOnly session cookie; unsafe requests then need the X-CSRF-Token header it answers.")
            .ok::<auth::SessionView>(),
        route(Method::GET, "/api/auth/session", get(auth::get_session))
            .summary("The console session's user and CSRF token")
            .ok::<auth::SessionView>(),
        route(Method::DELETE, "/api/auth/session", delete(auth::delete_session))
            .summary("Sign out of the console")
            .ok::<auth::SignedOut>(),
        route(Method::DELETE, "/api/auth/sessions", delete(auth::delete_all_sessions))
            .summary("Sign out everywhere")
            .describe("Ends every console session and bearer token of the caller; audited.")
            .ok::<auth::SignedOut>(),
        route(Method::GET, "/api/openapi.json", get(crate::openapi::spec))
            .summary("This API description (OpenAPI 3.1)")
            .json::<serde_json::Map<String, serde_json::Value>>(),
        route(Method::GET, "/api/docs", get(crate::openapi::reference))
            .summary("The interactive API reference page")
            .media("text/html", "the reference page"),
    ];
    all.extend(platform_routes());
    for engine in Engine::ALL {
        all.extend(connection_routes(engine));
    }
    // Each engine's routes, from its file in this folder.
    all.extend(redis::routes());
    all.extend(mongodb::routes());
    all.extend(postgres::routes());
    all.extend(mysql::routes());
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
