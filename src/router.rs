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
use crate::api::pg_meta::ddl::Change;
use crate::api::{
    activity, audit, auth, connections, health, jobs, mongodb, mongodb_ops, organizations, pg_meta, projects, redis,
    redis_command, redis_ops, snippets, tokens, users, ws,
};
use crate::app::AppState;
use crate::domain::Engine;

// Descriptions several routes share.
const DDL: &str = "Admins only; audited. Runs in one transaction under the connection's lock timeout. With `dry_run` \
     nothing runs and the answer is the SQL (`{\"dry_run\": true, \"sql\"}`); otherwise the object read back.";
const DDL_DROP: &str = "Admins only; audited. Answers the object as it was before the drop; with `dry_run`, the SQL \
     that would run. `cascade` also drops what depends on it.";
const CANCEL_QUERY: &str = "Cancels the caller's running query sent with this query_id (an admin of the project may cancel \
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

fn route(method: Method, path: impl Into<String>, handler: MethodRouter<AppState>) -> Route {
    let path = path.into();
    Route {
        path,
        method,
        body: None,
        query: None,
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
    fn body<T: JsonSchema>(self) -> Self {
        Self { body: Some(SchemaGenerator::subschema_for::<T>), ..self }
    }

    /// The handler reads a `T` from the query string.
    fn query<T: JsonSchema>(self) -> Self {
        Self { query: Some(SchemaGenerator::subschema_for::<T>), ..self }
    }

    /// The one-line title of the operation.
    fn summary(self, summary: &'static str) -> Self {
        Self { summary: Some(summary), ..self }
    }

    /// A longer description (roles needed, what is audited, limits).
    fn describe(self, description: &'static str) -> Self {
        Self { description: Some(description), ..self }
    }

    /// Answers 200 `{"data": T}`.
    fn ok<T: JsonSchema>(self) -> Self {
        Self { success: Success::Data(200, Payload::Typed(SchemaGenerator::subschema_for::<T>)), ..self }
    }

    /// Answers 201 `{"data": T}`.
    fn created<T: JsonSchema>(self) -> Self {
        Self { success: Success::Data(201, Payload::Typed(SchemaGenerator::subschema_for::<T>)), ..self }
    }

    /// Answers 202 `{"data": T}` (a job started).
    fn accepted<T: JsonSchema>(self) -> Self {
        Self { success: Success::Data(202, Payload::Typed(SchemaGenerator::subschema_for::<T>)), ..self }
    }

    /// Answers `{"data": …}` of this schema with this status (a shape built by hand, its schema
    /// written beside the code that builds it).
    fn ok_schema(self, status: u16, schema: SchemaFn) -> Self {
        Self { success: Success::Data(status, Payload::Typed(schema)), ..self }
    }

    /// Answers `{"data": …}` with free-form JSON, described by `what`.
    fn ok_any(self, status: u16, what: &'static str) -> Self {
        Self { success: Success::Data(status, Payload::Any(what)), ..self }
    }

    /// Answers a `T` as it is, without the envelope.
    fn json<T: JsonSchema>(self) -> Self {
        Self { success: Success::Json(SchemaGenerator::subschema_for::<T>), ..self }
    }

    /// Answers a JSON body without the envelope, of this schema (several shapes, written by hand
    /// from the types the handler answers).
    fn json_with(self, schema: SchemaFn) -> Self {
        Self { success: Success::Json(schema), ..self }
    }

    /// Answers 204 without a body.
    fn no_content(self) -> Self {
        Self { success: Success::Empty(204), ..self }
    }

    /// Answers a body of another media type (a stream, a page, a text).
    fn media(self, media_type: &'static str, what: &'static str) -> Self {
        Self { success: Success::Media(media_type, what), ..self }
    }

    /// May answer this media type instead (an export, a stream), as `what` says.
    fn also(mut self, media_type: &'static str, what: &'static str) -> Self {
        self.alternatives.push((media_type, what));
        self
    }

    /// Answers `101 Switching Protocols`: a WebSocket.
    fn websocket(self) -> Self {
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

/// Redis data routes (spec 8.1).
fn redis_routes() -> Vec<Route> {
    use redis::Target;
    let base = "/api/platform/redis/{ref}";
    let key = format!("{base}/keys/{{key}}");
    let (expire, pubsub) = (format!("{key}/expire"), format!("{base}/pubsub"));
    vec![
        route(Method::GET, format!("{base}/keys"), get(redis::list_keys))
            .query::<redis::ListKeysQuery>()
            .summary("List keys by SCAN")
            .describe("Any role. One SCAN page per call (`cursor` from the previous page), over every master of a cluster.")
            .ok::<crate::engines::redis::keys::KeyPage>(),
        route(Method::GET, &key, get(redis::get_key))
            .query::<redis::ReadKeyQuery>()
            .summary("Read a key: its type, TTL and value")
            .ok_schema(200, crate::engines::redis::keys::key_view_schema),
        route(Method::POST, &key, post(redis::create_key))
            .query::<Target>()
            .body::<redis::WriteKey>()
            .summary("Create a key")
            .describe("Developers and above. `nx`/`xx` make it conditional (409 when the condition fails).")
            .ok_schema(201, crate::engines::redis::keys::key_view_schema),
        route(Method::PUT, &key, put(redis::update_key))
            .query::<Target>()
            .body::<redis::WriteKey>()
            .summary("Replace a key's value and/or TTL")
            .describe("Developers and above. A missing key is a 404; a stream gets the entry appended.")
            .ok_schema(200, crate::engines::redis::keys::key_view_schema),
        route(Method::PATCH, &key, patch(redis::edit_key))
            .query::<Target>()
            .body::<redis::EditKey>()
            .summary("Add, remove or set elements of a collection key")
            .describe("Developers and above. When the edit removes the last element Redis deletes the key: the answer is then `{\"deleted\": true}`.")
            .ok_schema(200, redis::edited_schema),
        route(Method::DELETE, &key, delete(redis::delete_key))
            .query::<Target>()
            .summary("Delete a key")
            .describe("Developers and above.")
            .no_content(),
        route(Method::POST, expire, post(redis::expire_key))
            .query::<Target>()
            .body::<redis::ExpireBody>()
            .summary("Set or clear a key's TTL")
            .describe("Developers and above.")
            .ok::<redis::Expiry>(),
        route(Method::POST, format!("{key}/rename"), post(redis::rename_key))
            .query::<Target>()
            .body::<redis::RenameBody>()
            .summary("Rename a key")
            .describe("Developers and above; audited. 409 when the new name exists and `overwrite` is not set.")
            .ok_schema(200, crate::engines::redis::keys::key_view_schema),
        route(Method::POST, format!("{base}/delete-keys"), post(redis::delete_keys))
            .query::<Target>()
            .body::<redis::DeleteKeysBody>()
            .summary("Delete every key matching a pattern")
            .describe("Developers and above; audited. SCAN + UNLINK in bounded batches; `dry_run` only counts.")
            .ok::<crate::engines::redis::keys::DeleteReport>(),
        route(Method::POST, format!("{base}/command"), post(redis_command::run_command))
            .query::<Target>()
            .body::<redis_command::CommandBody>()
            .summary("Run one Redis command")
            .describe("Any role for read-only commands; writes need a developer, admin commands an admin (classed by the server's COMMAND INFO). Writes are audited (the command and key, never values).")
            .ok_any(200, "`{\"reply\": …}`: the command's reply as JSON (strings, integers, arrays, maps, null, as the command answers)"),
        route(Method::GET, format!("{base}/info"), get(redis::server_info))
            .query::<Target>()
            .summary("Server INFO, by section")
            .ok_any(200, "INFO as an object of sections, each an object of the fields the server reports (names and values vary with the Redis version)"),
        route(Method::GET, format!("{base}/stats"), get(redis::stats))
            .query::<redis::StatsQuery>()
            .summary("Live server statistics")
            .describe("One sample; with `Accept: text/event-stream`, a `sample` event every `interval` seconds until the client leaves.")
            .ok::<crate::engines::redis::info::StatsSample>()
            .also("text/event-stream", "with Accept: text/event-stream, Server-Sent Events `sample` (the same object) and `error`"),
        route(Method::GET, format!("{base}/slowlog"), get(redis_ops::slowlog))
            .query::<redis_ops::SlowlogQuery>()
            .summary("Read the slow log of every master")
            .ok::<Vec<crate::engines::redis::ops::SlowEntry>>(),
        route(Method::DELETE, format!("{base}/slowlog"), delete(redis_ops::reset_slowlog))
            .query::<Target>()
            .summary("Reset the slow log")
            .describe("Admins only; audited.")
            .no_content(),
        route(Method::GET, format!("{base}/clients"), get(redis_ops::clients))
            .query::<Target>()
            .summary("List connected clients (CLIENT LIST)")
            .ok::<Vec<crate::engines::redis::ops::ClientEntry>>(),
        route(Method::DELETE, format!("{base}/clients/{{id}}"), delete(redis_ops::kill_client))
            .query::<Target>()
            .summary("Disconnect a client (CLIENT KILL)")
            .describe("Admins only; audited.")
            .no_content(),
        route(Method::GET, format!("{base}/memory"), get(redis_ops::memory))
            .query::<Target>()
            .summary("Memory statistics and advice of every master")
            .ok_any(200, "One object per master: its address, MEMORY STATS as the server reports it (fields vary with the version) and MEMORY DOCTOR's text"),
        route(Method::POST, format!("{base}/analysis"), post(redis_ops::analysis))
            .query::<Target>()
            .body::<redis_ops::AnalysisBody>()
            .summary("Start a keyspace analysis job")
            .describe("Any role. A rate-bounded SCAN of every master in the background; follow it at `…/jobs/{id}` or its events.")
            .accepted::<crate::api::jobs::Started>(),
        route(Method::GET, format!("{pubsub}/channels"), get(redis::pubsub_channels))
            .query::<redis::ChannelsQuery>()
            .summary("List active Pub/Sub channels")
            .describe("The number of pattern subscriptions is in the `x-pubsub-pattern-subscriptions` header.")
            .ok::<Vec<crate::engines::redis::pubsub::ChannelInfo>>(),
        route(Method::POST, format!("{pubsub}/publish"), post(redis::publish))
            .query::<Target>()
            .body::<redis::PublishBody>()
            .summary("Publish a message")
            .describe("Developers and above.")
            .ok::<redis::Published>(),
        route(Method::GET, format!("{pubsub}/subscribe"), get(ws::subscribe))
            .query::<ws::SubscribeQuery>()
            .summary("Subscribe to channels (WebSocket)")
            .describe("Any role. After the upgrade, send `{\"type\": \"subscribe\", \"channels\": [...]}` (or unsubscribe, psubscribe, punsubscribe); messages arrive as JSON text frames.")
            .websocket(),
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
        route(Method::GET, db, get(mongodb::list_databases))
            .query::<Target>()
            .summary("List databases")
            .ok::<Vec<crate::engines::mongodb::admin::DatabaseSummary>>(),
        route(Method::POST, db, post(mongodb::create_database))
            .query::<Target>()
            .body::<mongodb::CreateDatabase>()
            .summary("Create a database (with its first collection)")
            .describe("Developers and above; audited.")
            .created::<mongodb::CreatedDatabase>(),
        route(Method::DELETE, &database, delete(mongodb::drop_database))
            .query::<Target>()
            .summary("Drop a database")
            .describe("Admins only; audited.")
            .no_content(),
        route(Method::GET, format!("{database}/stats"), get(mongodb::database_stats))
            .query::<Target>()
            .summary("Database statistics (dbStats)")
            .ok_any(200, "dbStats as the server answers it, in relaxed Extended JSON"),
        route(Method::GET, &collections, get(mongodb::list_collections))
            .query::<Target>()
            .summary("List collections")
            .ok::<Vec<crate::engines::mongodb::admin::CollectionSummary>>(),
        route(Method::POST, &collections, post(mongodb::create_collection))
            .query::<Target>()
            .body::<mongodb::CreateCollection>()
            .summary("Create a collection")
            .describe("Developers and above; audited.")
            .created::<mongodb::CreatedCollection>(),
        route(Method::DELETE, &coll, delete(mongodb::drop_collection))
            .query::<Target>()
            .summary("Drop a collection")
            .describe("Admins only; audited.")
            .no_content(),
        route(Method::GET, &docs, get(mongodb::find_documents))
            .query::<mongodb::FindQuery>()
            .summary("Find documents")
            .describe("A page of documents in Extended JSON; with `Accept: application/x-ndjson`, every match streamed one per line.")
            .ok::<crate::engines::mongodb::documents::Page>()
            .also("application/x-ndjson", "with Accept: application/x-ndjson, every matching document, one Extended JSON object per line"),
        route(Method::POST, &docs, post(mongodb::insert_documents))
            .query::<Target>()
            .body::<mongodb::InsertBody>()
            .summary("Insert one or several documents")
            .describe("Developers and above; audited.")
            .created::<crate::engines::mongodb::documents::Inserted>(),
        route(Method::GET, &doc, get(mongodb::get_document))
            .query::<Target>()
            .summary("Read one document by _id")
            .ok_any(200, "The document, in relaxed Extended JSON (any fields)"),
        route(Method::PUT, &doc, put(mongodb::update_document))
            .query::<Target>()
            .body::<mongodb::UpdateBody>()
            .summary("Update or replace a document")
            .describe("Developers and above; audited.")
            .ok::<crate::engines::mongodb::documents::Updated>(),
        route(Method::DELETE, &doc, delete(mongodb::delete_document))
            .query::<Target>()
            .summary("Delete a document")
            .describe("Developers and above; audited.")
            .no_content(),
        route(Method::POST, aggregate, post(mongodb::aggregate))
            .query::<Target>()
            .body::<mongodb::AggregateBody>()
            .summary("Run an aggregation pipeline")
            .describe("Any role for read-only pipelines; `$out`/`$merge` need a developer and are audited.")
            .ok::<crate::engines::mongodb::documents::Aggregated>(),
        route(Method::GET, &indexes, get(mongodb::list_indexes))
            .query::<Target>()
            .summary("List a collection's indexes")
            .ok::<Vec<crate::engines::mongodb::admin::IndexSummary>>(),
        route(Method::POST, &indexes, post(mongodb::create_index))
            .query::<Target>()
            .body::<mongodb::CreateIndexBody>()
            .summary("Create an index")
            .describe("Developers and above; audited.")
            .created::<mongodb::CreatedIndex>(),
        route(Method::DELETE, format!("{indexes}/{{name}}"), delete(mongodb::drop_index))
            .query::<Target>()
            .summary("Drop an index")
            .describe("Developers and above; audited.")
            .no_content(),
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
        route(Method::GET, format!("{base}/operations"), get(ops::operations))
            .query::<ops::OperationsQuery>()
            .summary("Running operations (currentOp), longest first")
            .ok::<Vec<crate::engines::mongodb::ops::Operation>>(),
        route(Method::DELETE, format!("{base}/operations/{{opid}}"), delete(ops::kill_operation))
            .query::<Target>()
            .summary("Kill an operation (killOp)")
            .describe("Admins only; audited with the operation id.")
            .no_content(),
        route(Method::GET, &profiling, get(ops::profiling))
            .query::<Target>()
            .summary("The database profiler's level, slowms and sample rate")
            .ok::<crate::engines::mongodb::ops::Profiling>(),
        route(Method::PUT, &profiling, put(ops::set_profiling))
            .query::<Target>()
            .body::<ops::ProfilingBody>()
            .summary("Change the database profiler's level and threshold")
            .describe("Admins only; audited.")
            .ok::<crate::engines::mongodb::ops::Profiling>(),
        route(Method::GET, format!("{database}/profile"), get(ops::profile))
            .query::<ops::ProfileQuery>()
            .summary("Slow operations recorded in system.profile, newest first")
            .ok::<Vec<crate::engines::mongodb::ops::ProfileEntry>>(),
        route(Method::POST, format!("{coll}/explain"), post(ops::explain))
            .query::<Target>()
            .body::<ops::ExplainBody>()
            .summary("Explain a find or an aggregation")
            .describe(
                "Any member; a pipeline that writes needs the developer role and is only explained with queryPlanner.",
            )
            .ok::<crate::engines::mongodb::ops::Explanation>(),
        route(Method::POST, format!("{coll}/schema"), post(ops::analyse_schema))
            .query::<Target>()
            .body::<ops::SchemaBody>()
            .summary("Analyse the schema of sampled documents")
            .ok::<crate::engines::mongodb::schema::Schema>(),
        route(Method::GET, format!("{coll}/index-stats"), get(ops::index_stats))
            .query::<Target>()
            .summary("Index usage ($indexStats), least used first")
            .ok::<Vec<crate::engines::mongodb::ops::IndexStat>>(),
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
            .body::<pg_meta::QueryBody>()
            .summary("Run SQL")
            .describe("Viewers run read-only transactions; a developer's statement that writes is audited (its command and hash, never its text). `x-row-cap` and `x-truncated` headers say whether rows were cut. `explain`/`analyze` answer the plan. With `Accept: text/csv` or `application/x-ndjson`, every row is streamed.")
            .json_with(pg_meta::query_answer_schema)
            .also("application/x-ndjson", "with Accept: application/x-ndjson, every row as a JSON object per line")
            .also("text/csv", "with Accept: text/csv, every row as CSV with a header line"),
        route(Method::GET, format!("{base}/activity"), get(pg_meta::activity::list))
            .query::<pg_meta::Target>()
            .summary("Running backends (pg_stat_activity) with their blockers")
            .ok::<Vec<crate::engines::postgres::activity::Activity>>(),
        route(Method::GET, format!("{base}/advisors"), get(pg_meta::activity::advisors))
            .query::<pg_meta::Target>()
            .summary("Advisors: schema, index, session and wraparound findings with their fixes")
            .describe("Any member. Each finding has a severity and, where one exists, SQL that fixes it (names quoted by the server).")
            .ok::<crate::engines::postgres::advisors::Advice>(),
        route(Method::GET, format!("{base}/query-stats"), get(pg_meta::activity::query_stats))
            .query::<pg_meta::activity::QueryStatsQuery>()
            .summary("Statement statistics (pg_stat_statements)")
            .ok::<crate::engines::postgres::activity::QueryStats>(),
        route(Method::POST, format!("{base}/activity/{{pid}}/cancel"), post(pg_meta::activity::cancel))
            .query::<pg_meta::Target>()
            .summary("Cancel a backend's running query")
            .describe("Admins only; audited.")
            .no_content(),
        route(Method::POST, format!("{base}/activity/{{pid}}/terminate"), post(pg_meta::activity::terminate))
            .query::<pg_meta::Target>()
            .summary("Terminate a backend")
            .describe("Admins only; audited.")
            .no_content(),
        route(Method::POST, format!("{base}/query/{{query_id}}/cancel"), post(pg_meta::cancel_query))
            .summary("Cancel the caller's running query")
            .describe(CANCEL_QUERY)
            .ok::<pg_meta::CancelSent>(),
        route(Method::GET, format!("{base}/tables"), get(pg_meta::tables))
            .query::<ListParams>()
            .summary("List tables with columns, keys and relationships")
            .ok::<Vec<crate::engines::postgres::catalog::Table>>(),
        route(Method::GET, format!("{base}/views"), get(pg_meta::views))
            .query::<ListParams>()
            .summary("List views")
            .ok::<Vec<crate::engines::postgres::catalog::View>>(),
        route(Method::GET, format!("{base}/schemas"), get(pg_meta::schemas))
            .query::<ListParams>()
            .summary("List schemas")
            .ok::<Vec<crate::engines::postgres::catalog::Schema>>(),
        route(Method::GET, format!("{base}/columns"), get(pg_meta::columns))
            .query::<ListParams>()
            .summary("List columns")
            .ok::<Vec<crate::engines::postgres::catalog::ColumnInfo>>(),
        route(Method::GET, &rows, get(pg_meta::rows::list))
            .query::<pg_meta::rows::RowsQuery>()
            .summary("Read a page of a table's rows")
            .describe("Keyset pages by primary key (`cursor` from the previous page), typed filters and sort.")
            .ok::<pg_meta::rows::RowsPage<'static>>(),
        route(Method::POST, &rows, post(pg_meta::rows::insert))
            .query::<pg_meta::rows::RowsTarget>()
            .body::<pg_meta::rows::InsertBody>()
            .summary("Insert rows")
            .describe("Developers and above; audited.")
            .created::<crate::engines::postgres::query::RowObjects<'static>>(),
        route(Method::PATCH, &rows, patch(pg_meta::rows::update))
            .query::<pg_meta::rows::RowsTarget>()
            .body::<Vec<crate::engines::postgres::rows::RowUpdate>>()
            .summary("Update rows by primary key")
            .describe("Developers and above; audited. A row changed since it was read is a 409 with its current values.")
            .ok::<crate::engines::postgres::query::RowObjects<'static>>(),
        route(Method::DELETE, &rows, delete(pg_meta::rows::delete))
            .query::<pg_meta::rows::RowsTarget>()
            .body::<Vec<crate::engines::postgres::rows::RowKey>>()
            .summary("Delete rows by primary key")
            .describe("Developers and above; audited.")
            .ok::<pg_meta::rows::Deleted>(),
        route(Method::GET, format!("{base}/indexes"), get(indexes::indexes))
            .query::<ListParams>()
            .summary("List indexes")
            .ok::<Vec<crate::engines::postgres::catalog::Index>>(),
        route(Method::GET, format!("{base}/extensions"), get(indexes::extensions))
            .query::<pg_meta::Target>()
            .summary("List available and installed extensions")
            .ok::<Vec<crate::engines::postgres::catalog::Extension>>(),
        route(Method::POST, format!("{base}/tables"), post(tables::create_table))
            .query::<DdlTarget>()
            .body::<tables::CreateTable>()
            .summary("Create a table")
            .describe(DDL)
            .created::<Change<crate::engines::postgres::catalog::Table>>(),
        route(Method::PATCH, format!("{base}/tables/{{id}}"), patch(tables::update_table))
            .query::<DdlTarget>()
            .body::<tables::UpdateTable>()
            .summary("Change a table")
            .describe(DDL)
            .ok::<Change<crate::engines::postgres::catalog::Table>>(),
        route(Method::DELETE, format!("{base}/tables/{{id}}"), delete(tables::delete_table))
            .query::<DropTarget>()
            .summary("Drop a table")
            .describe(DDL_DROP)
            .ok::<Change<crate::engines::postgres::catalog::Table>>(),
        route(Method::POST, format!("{base}/columns"), post(tables::create_column))
            .query::<DdlTarget>()
            .body::<tables::ColumnBody>()
            .summary("Add a column")
            .describe(DDL)
            .created::<Change<crate::engines::postgres::catalog::ColumnInfo>>(),
        route(Method::PATCH, format!("{base}/columns/{{id}}"), patch(tables::update_column))
            .query::<DdlTarget>()
            .body::<tables::UpdateColumn>()
            .summary("Change a column")
            .describe(DDL)
            .ok::<Change<crate::engines::postgres::catalog::ColumnInfo>>(),
        route(Method::DELETE, format!("{base}/columns/{{id}}"), delete(tables::delete_column))
            .query::<DropTarget>()
            .summary("Drop a column")
            .describe(DDL_DROP)
            .ok::<Change<crate::engines::postgres::catalog::ColumnInfo>>(),
        route(Method::POST, format!("{base}/schemas"), post(schemas::create_schema))
            .query::<DdlTarget>()
            .body::<schemas::CreateSchema>()
            .summary("Create a schema")
            .describe(DDL)
            .created::<Change<crate::engines::postgres::catalog::Schema>>(),
        route(Method::PATCH, format!("{base}/schemas/{{id}}"), patch(schemas::update_schema))
            .query::<DdlTarget>()
            .body::<schemas::UpdateSchema>()
            .summary("Rename a schema or change its owner")
            .describe(DDL)
            .ok::<Change<crate::engines::postgres::catalog::Schema>>(),
        route(Method::DELETE, format!("{base}/schemas/{{id}}"), delete(schemas::delete_schema))
            .query::<DropTarget>()
            .summary("Drop a schema")
            .describe(DDL_DROP)
            .ok::<Change<crate::engines::postgres::catalog::Schema>>(),
        route(Method::POST, format!("{base}/indexes"), post(indexes::create_index))
            .query::<DdlTarget>()
            .body::<indexes::CreateIndex>()
            .summary("Create an index")
            .describe(DDL)
            .created::<Change<crate::engines::postgres::catalog::Index>>(),
        route(Method::DELETE, format!("{base}/indexes/{{id}}"), delete(indexes::delete_index))
            .query::<indexes::DropIndexTarget>()
            .summary("Drop an index")
            .describe(DDL_DROP)
            .ok::<Change<crate::engines::postgres::catalog::Index>>(),
        route(Method::POST, format!("{base}/extensions"), post(indexes::create_extension))
            .query::<DdlTarget>()
            .body::<indexes::CreateExtension>()
            .summary("Install an extension")
            .describe(DDL)
            .created::<Change<crate::engines::postgres::catalog::Extension>>(),
        route(Method::DELETE, format!("{base}/extensions/{{name}}"), delete(indexes::delete_extension))
            .query::<DropTarget>()
            .summary("Drop an extension")
            .describe(DDL_DROP)
            .ok::<Change<crate::engines::postgres::catalog::Extension>>(),
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
        route(Method::GET, format!("{base}/roles"), get(roles::list))
            .query::<Target>()
            .summary("List database roles")
            .ok::<Vec<crate::engines::postgres::roles::Role>>(),
        route(Method::POST, format!("{base}/roles"), post(roles::create))
            .query::<DdlTarget>()
            .body::<roles::RoleBody>()
            .summary("Create a database role")
            .describe(DDL)
            .ok::<Change<crate::engines::postgres::roles::Role>>(),
        route(Method::PATCH, &role, patch(roles::update))
            .query::<DdlTarget>()
            .body::<roles::RoleBody>()
            .summary("Change a database role")
            .describe(DDL)
            .ok::<Change<crate::engines::postgres::roles::Role>>(),
        route(Method::DELETE, &role, delete(roles::delete))
            .query::<DropTarget>()
            .summary("Drop a database role")
            .describe(DDL_DROP)
            .ok::<Change<crate::engines::postgres::roles::Role>>(),
        route(Method::GET, format!("{base}/policies"), get(policies::list))
            .query::<ListParams>()
            .summary("List row-level security policies")
            .ok::<Vec<crate::engines::postgres::policies::Policy>>(),
        route(Method::POST, format!("{base}/policies"), post(policies::create))
            .query::<DdlTarget>()
            .body::<policies::CreatePolicy>()
            .summary("Create a policy")
            .describe(DDL)
            .ok::<Change<crate::engines::postgres::policies::Policy>>(),
        route(Method::PATCH, &policy, patch(policies::update))
            .query::<DdlTarget>()
            .body::<policies::UpdatePolicy>()
            .summary("Change a policy")
            .describe(DDL)
            .ok::<Change<crate::engines::postgres::policies::Policy>>(),
        route(Method::DELETE, &policy, delete(policies::delete))
            .query::<DropTarget>()
            .summary("Drop a policy")
            .describe(DDL_DROP)
            .ok::<Change<crate::engines::postgres::policies::Policy>>(),
        route(Method::GET, format!("{base}/triggers"), get(triggers::list))
            .query::<ListParams>()
            .summary("List triggers")
            .ok::<Vec<crate::engines::postgres::triggers::Trigger>>(),
        route(Method::POST, format!("{base}/triggers"), post(triggers::create))
            .query::<DdlTarget>()
            .body::<triggers::CreateTrigger>()
            .summary("Create a trigger")
            .describe(DDL)
            .ok::<Change<crate::engines::postgres::triggers::Trigger>>(),
        route(Method::DELETE, &trigger, delete(triggers::delete))
            .query::<DropTarget>()
            .summary("Drop a trigger")
            .describe(DDL_DROP)
            .ok::<Change<crate::engines::postgres::triggers::Trigger>>(),
        route(Method::GET, format!("{base}/functions"), get(objects::functions))
            .query::<ListParams>()
            .summary("List functions")
            .ok::<Vec<crate::engines::postgres::objects::Function>>(),
        route(Method::GET, format!("{base}/types"), get(objects::types))
            .query::<ListParams>()
            .summary("List types")
            .ok::<Vec<crate::engines::postgres::objects::PgType>>(),
        route(Method::GET, format!("{base}/materialized-views"), get(objects::materialized_views))
            .query::<objects::MaterializedViewParams>()
            .summary("List materialized views")
            .ok::<Vec<crate::engines::postgres::objects::MaterializedView>>(),
        route(Method::POST, refresh, post(objects::refresh_materialized_view))
            .query::<DdlTarget>()
            .body::<objects::RefreshBody>()
            .summary("Refresh a materialized view")
            .describe("Developers and above; audited. `dry_run` answers the SQL instead.")
            .ok::<Change<crate::engines::postgres::objects::MaterializedView>>(),
        route(Method::GET, format!("{base}/foreign-keys"), get(objects::foreign_keys))
            .query::<ListParams>()
            .summary("List foreign keys")
            .ok::<Vec<crate::engines::postgres::objects::ForeignKey>>(),
        route(Method::GET, format!("{base}/config"), get(objects::config))
            .query::<Target>()
            .summary("List server settings (pg_settings)")
            .ok::<Vec<crate::engines::postgres::objects::Setting>>(),
        route(Method::GET, format!("{base}/version"), get(objects::version))
            .query::<Target>()
            .summary("Server version")
            .ok::<crate::engines::postgres::objects::Version>(),
        route(Method::GET, format!("{base}/generators/typescript"), get(typescript::generate))
            .query::<typescript::TypescriptParams>()
            .summary("Generate TypeScript types for the schemas")
            .ok::<typescript::Generated>(),
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
