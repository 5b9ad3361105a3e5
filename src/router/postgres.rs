//! PostgreSQL routes: `/api/platform/pg-meta/{ref}/…` (postgres-meta's paths).

use axum::http::Method;
use axum::routing::{delete, get, patch, post};

use super::{route, Route};
use super::{CANCEL_QUERY, DDL, DDL_DROP};
use crate::api::pg_meta;
use crate::api::pg_meta::ddl::Change;

/// PostgreSQL routes (spec 8.3).
pub(super) fn routes() -> Vec<Route> {
    let mut all = meta();
    all.extend(objects());
    all
}

fn meta() -> Vec<Route> {
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
            .query::<crate::api::table_rows::RowsQuery>()
            .summary("Read a page of a table's rows")
            .describe("Keyset pages by primary key (`cursor` from the previous page), typed filters and sort. With `Accept: text/csv` or `application/x-ndjson`, every matching row (no page limit; `limit` and `cursor` do not apply) is streamed in the same order.")
            .ok::<crate::api::table_rows::RowsPage<'static, crate::engines::postgres::rows::RowColumn>>()
            .also("text/csv", "with Accept: text/csv, every matching row as CSV with a header line, each value as PostgreSQL prints it (NULL as an empty field, an empty text as \"\")")
            .also("application/x-ndjson", "with Accept: application/x-ndjson, every matching row as a JSON object per line"),
        route(Method::POST, format!("{base}/tables/{{id}}/import"), post(pg_meta::import::import_rows))
            .query::<pg_meta::import::ImportParams>()
            .upload(&["text/csv", "application/x-ndjson"], "CSV records (`header`, `delimiter`, `quote`, `null` in the query string) or one JSON object per line whose keys are column names")
            .summary("Import rows from a CSV or NDJSON body (streamed into COPY)")
            .describe("Developers and above; audited with the counts. The body is streamed (import limit, default 1 GiB) into `COPY … FROM STDIN` in batches, all in one transaction. `columns=a,b,c` names the table columns the file's columns go to (default: the CSV header, or every non-generated column without one; for NDJSON the first line's keys); an unknown column is a 400 before anything is written. In NDJSON, null is NULL, strings go as their text, numbers, booleans and documents (json/jsonb columns) as their JSON text, a JSON array for an array column as an array literal, and a key missing from a line is NULL. In CSV, as in PostgreSQL's own CSV, an unquoted empty field (or the unquoted `null` marker) is NULL and a quoted one is text. `on_error=stop` (default): the first bad row answers 400 naming its line and column (`details.line`, `details.column`) and nothing is committed; `on_error=skip`: the good rows are committed and the first 100 bad rows reported with their lines.")
            .ok::<crate::engines::postgres::import::ImportReport>(),
        route(Method::POST, format!("{base}/import/preview"), post(pg_meta::import::preview))
            .query::<pg_meta::import::PreviewParams>()
            .upload(&["text/csv", "application/x-ndjson"], "a CSV or NDJSON file; only its header and first 20 records are read")
            .summary("Preview a file: inferred columns and its first 20 rows")
            .describe("Developers and above; nothing is written. Types are the narrowest of bigint, numeric, boolean, date, timestamptz, jsonb that every sampled value reads as, else text.")
            .ok::<pg_meta::import::Preview>(),
        route(Method::POST, format!("{base}/import"), post(pg_meta::import::create_and_import))
            .query::<pg_meta::import::CreateParams>()
            .upload(&["text/csv", "application/x-ndjson"], "a CSV or NDJSON file whose columns become the new table's")
            .summary("Create a table from a CSV or NDJSON file and import it")
            .describe("Admins only (DDL); audited with the counts. Creates `schema.table` with the file's columns (CSV header, NDJSON keys of the first 20 lines, or `columns`) and the types the preview infers (or `types`, each resolved by the server), then imports the body as a table import does; the CREATE TABLE and the rows commit together or not at all.")
            .created::<pg_meta::import::CreatedImport>(),
        route(Method::POST, &rows, post(pg_meta::rows::insert))
            .query::<crate::api::table_rows::RowsTarget>()
            .body::<crate::api::table_rows::InsertBody>()
            .summary("Insert rows")
            .describe("Developers and above; audited.")
            .created::<crate::engines::postgres::query::RowObjects<'static>>(),
        route(Method::PATCH, &rows, patch(pg_meta::rows::update))
            .query::<crate::api::table_rows::RowsTarget>()
            .body::<Vec<crate::engines::table_rows::RowUpdate>>()
            .summary("Update rows by primary key")
            .describe("Developers and above; audited. A row changed since it was read is a 409 with its current values.")
            .ok::<crate::engines::postgres::query::RowObjects<'static>>(),
        route(Method::DELETE, &rows, delete(pg_meta::rows::delete))
            .query::<crate::api::table_rows::RowsTarget>()
            .body::<Vec<crate::engines::table_rows::RowKey>>()
            .summary("Delete rows by primary key")
            .describe("Developers and above; audited.")
            .ok::<crate::api::table_rows::Deleted>(),
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
fn objects() -> Vec<Route> {
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
