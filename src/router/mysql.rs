//! MariaDB/MySQL routes: `/api/platform/mysql/{ref}/…`.

use axum::http::Method;
use axum::routing::{delete, get, patch, post};

use super::{route, Route};
use crate::api::mysql;

/// The MySQL routes.
pub(super) fn routes() -> Vec<Route> {
    let base = "/api/platform/mysql/{ref}";
    let database = format!("{base}/databases/{{database}}");
    let rows = format!("{database}/tables/{{table}}/rows");
    vec![
        route(Method::POST, format!("{base}/query"), post(mysql::run_query))
            .query::<mysql::Target>()
            .body::<mysql::QueryBody>()
            .summary("Run SQL on MariaDB/MySQL")
            .describe(
                "Viewers: one reading statement, in a read-only transaction. Developers and above: as written, \
                 audited with the command and the statement's SHA-256. At most 10,000 rows (see the \
                 x-switchboard-truncated header).",
            )
            .json::<mysql::QueryAnswer<'static>>(),
        route(Method::GET, format!("{base}/databases"), get(mysql::databases))
            .query::<mysql::Target>()
            .summary("List the server's databases")
            .ok::<Vec<crate::engines::mysql::catalog::Database>>(),
        route(Method::GET, format!("{database}/tables"), get(mysql::tables))
            .query::<mysql::Target>()
            .summary("List a database's tables (engine, rows estimate, sizes, collation)")
            .ok::<Vec<crate::engines::mysql::catalog::Table>>(),
        route(Method::GET, format!("{database}/views"), get(mysql::views))
            .query::<mysql::Target>()
            .summary("List a database's views")
            .ok::<Vec<crate::engines::mysql::catalog::View>>(),
        route(Method::GET, format!("{database}/columns"), get(mysql::columns))
            .query::<mysql::TableQuery>()
            .summary("List a database's columns (type, nullable, default, key, extra)")
            .ok::<Vec<crate::engines::mysql::catalog::Column>>(),
        route(Method::GET, format!("{database}/indexes"), get(mysql::indexes))
            .query::<mysql::TableQuery>()
            .summary("List a database's indexes")
            .ok::<Vec<crate::engines::mysql::catalog::Index>>(),
        route(Method::GET, format!("{database}/foreign-keys"), get(mysql::foreign_keys))
            .query::<mysql::Target>()
            .summary("List a database's foreign keys")
            .ok::<Vec<crate::engines::mysql::catalog::ForeignKey>>(),
        route(Method::GET, &rows, get(mysql::list_rows))
            .query::<crate::api::table_rows::RowsQuery>()
            .summary("Read a page of a table's rows")
            .describe("Keyset pages by primary key (`cursor` from the previous page), typed filters and sort; PostgreSQL's query string and answer.")
            .ok::<crate::api::table_rows::RowsPage<'static, crate::engines::mysql::rows::RowColumn>>(),
        route(Method::POST, &rows, post(mysql::insert_rows))
            .query::<crate::api::table_rows::RowsTarget>()
            .body::<crate::api::table_rows::InsertBody>()
            .summary("Insert rows")
            .describe("Developers and above; audited.")
            .created::<crate::engines::postgres::query::RowObjects<'static>>(),
        route(Method::PATCH, &rows, patch(mysql::update_rows))
            .query::<crate::api::table_rows::RowsTarget>()
            .body::<Vec<crate::engines::table_rows::RowUpdate>>()
            .summary("Update rows by primary key")
            .describe("Developers and above; audited. A row changed since it was read is a 409 with its current values.")
            .ok::<crate::engines::postgres::query::RowObjects<'static>>(),
        route(Method::DELETE, &rows, delete(mysql::delete_rows))
            .query::<crate::api::table_rows::RowsTarget>()
            .body::<Vec<crate::engines::table_rows::RowKey>>()
            .summary("Delete rows by primary key")
            .describe("Developers and above; audited.")
            .ok::<crate::api::table_rows::Deleted>(),
        route(Method::GET, format!("{base}/activity"), get(mysql::processlist))
            .query::<mysql::Target>()
            .summary("The server's connections (processlist), the longest running first")
            .ok::<Vec<crate::engines::mysql::activity::Process>>(),
        route(Method::POST, format!("{base}/activity/{{pid}}/kill"), post(mysql::kill))
            .query::<mysql::KillQuery>()
            .summary("Stop a statement (query_only) or a connection")
            .describe("Admins only; audited with the connection id.")
            .no_content(),
    ]
}
