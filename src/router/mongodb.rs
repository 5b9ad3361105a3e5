//! MongoDB routes: `/api/platform/mongodb/{ref}/…`.

use axum::http::Method;
use axum::routing::{delete, get, post, put};

use super::{route, Route};
use crate::api::{mongodb, mongodb_bulk, mongodb_ops};

/// MongoDB data routes (spec 8.2).
pub(super) fn routes() -> Vec<Route> {
    let mut all = documents();
    all.extend(operations());
    all
}

fn documents() -> Vec<Route> {
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
            .also("application/x-ndjson", "with Accept: application/x-ndjson, every matching document, one Extended JSON object per line")
            .also(
                "text/csv",
                "with Accept: text/csv, every matching document as a CSV row: the columns are `fields` (dotted paths for \
                 nested fields) or every field path of the first 100 documents; values in relaxed Extended JSON text, \
                 strings as they are, missing and null empty",
            ),
        route(Method::POST, format!("{coll}/import"), post(mongodb_bulk::import))
            .query::<mongodb_bulk::ImportQuery>()
            .upload(
                &["application/x-ndjson", "application/json", "text/csv"],
                "Documents: NDJSON (one Extended JSON object per line), one JSON array of them, or CSV with a header \
                 line (dotted names are nested fields; integers, decimals and true/false are typed, Extended JSON \
                 values such as {\"$oid\": …} read as such, empty fields left out, the rest strings)",
            )
            .summary("Import documents (NDJSON, JSON array or CSV)")
            .describe(
                "Developers and above; audited with the counts. The body is streamed (up to the import limit, 413 past \
                 it) and inserted in unordered batches of 1,000 documents or 4 MiB; `ordered=true` stops at the first \
                 failure. Failures (duplicate keys, documents that are not valid Extended JSON, CSV records of the \
                 wrong width) are reported by position: the first 100, with the server's code and message.",
            )
            .ok::<crate::engines::mongodb::import::ImportReport>(),
        route(Method::POST, format!("{coll}/bulk"), post(mongodb_bulk::bulk))
            .query::<Target>()
            .body::<mongodb_bulk::BulkBody>()
            .summary("Delete or update every document matching a filter, after a dry run")
            .describe(
                "Developers and above; audited with the counts. `dry_run: true` changes nothing and answers the \
                 matched count (up to 1,000,000 within 5 s), up to 20 matching documents and a `confirm` token; the \
                 real run must carry that token (10 minutes, same user, connection, database, collection, op, filter \
                 and update), else 400 and nothing changes. Filter and update pass the operator guard.",
            )
            .ok::<mongodb_bulk::BulkAnswer>(),
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
fn operations() -> Vec<Route> {
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
