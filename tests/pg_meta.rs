//! PostgreSQL management against a real server: SQL with faithful JSON types, parameters, errors
//! with SQLSTATE and position, read-only viewers, the statement timeout, the row cap, and schema
//! browsing of a fixture with a view, a foreign key and an RLS-enabled table.

// The expected row of the type test is one big `json!` literal.
#![recursion_limit = "256"]

mod common;

use std::time::{Duration, Instant};

use common::{Postgres, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const QUERY: &str = "/api/platform/pg-meta/default/query";

/// Saves a connection to `pg`'s database `postgres` and returns its id.
async fn connect(app: &TestApp, admin: &str, pg: &Postgres, identifier: &str, options: Value) -> String {
    let body = json!({"identifier": identifier, "host": "127.0.0.1", "port": pg.port, "database_name": "postgres",
                      "username": "postgres", "options": options});
    let (s, created) = app.post("/api/platform/postgres/default/connections", admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    created["data"]["id"].as_str().unwrap().to_string()
}

/// Creates `reader`, a login that can read every table and nothing more.
fn create_reader(pg: &Postgres) {
    pg.psql(
        "postgres",
        "DO $$ BEGIN CREATE ROLE reader LOGIN PASSWORD 'reader-password'; \
         EXCEPTION WHEN duplicate_object THEN NULL; END $$; GRANT pg_read_all_data TO reader;",
    );
}

/// Saves a connection whose own login is the superuser `postgres` and whose viewers run their SQL
/// as `reader`; returns its id.
async fn connect_with_reader(app: &TestApp, admin: &str, pg: &Postgres, identifier: &str, options: Value) -> String {
    create_reader(pg);
    let body = json!({"identifier": identifier, "host": "127.0.0.1", "port": pg.port, "database_name": "postgres",
                      "username": "postgres", "viewer_username": "reader", "viewer_password": "reader-password",
                      "options": options});
    let (s, created) = app.post("/api/platform/postgres/default/connections", admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!(created["data"]["privileges"]["viewer_sql"], "viewer_credentials", "{created}");
    created["data"]["id"].as_str().unwrap().to_string()
}

async fn sql(app: &TestApp, token: &str, query: &str) -> (StatusCode, Value) {
    app.post(QUERY, token, json!({ "query": query })).await
}

/// Runs a query that must succeed and returns its rows.
async fn rows(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let (s, body) = sql(app, token, query).await;
    assert_eq!(s, StatusCode::OK, "{query}: {body}");
    body["data"].as_array().unwrap_or_else(|| panic!("{query}: data is not an array: {body}")).clone()
}

fn assert_sqlstate(status: StatusCode, body: &Value, code: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "QUERY_ERROR", "{body}");
    assert_eq!(body["error"]["details"]["code"], code, "{body}");
}

#[tokio::test]
async fn every_type_round_trips_faithfully() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE TYPE pair AS (a int, b text);");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg, "main", json!({})).await;

    let row = rows(
        &app,
        &admin,
        r#"SELECT 1::int2 AS i2, 2147483647 AS i4, 9007199254740993::int8 AS i8,
             123456789012345678901234567890.123456789::numeric AS num, '-1.5e-10'::numeric AS small,
             'NaN'::numeric AS num_nan, 1.1::float4 AS f4, 2.5::float8 AS f8, 'NaN'::float8 AS nan,
             '-Infinity'::float8 AS neg_inf, true AS b, 'héllo'::text AS t, 'x'::varchar(3) AS vc,
             '{"a": [1, "x", null], "b": {"c": true}, "big": 12345678901}'::jsonb AS jb, '{"z": 1}'::json AS j,
             ARRAY[1, 2, 3] AS ints, ARRAY['a', NULL, 'c b'] AS texts, ARRAY[[1, 2], [3, 4]] AS matrix,
             ARRAY[true, false] AS bools, ARRAY[1.5, 2.25]::float8[] AS floats,
             ARRAY[1.50, 123456789012345678901234567890]::numeric[] AS nums, ARRAY['{"k": 1}'::jsonb] AS jbs,
             '{}'::int[] AS empty, '\xdeadbeef'::bytea AS bin,
             '2024-02-29 13:14:15.123456+02'::timestamptz AS tstz, '2024-02-29 13:14:15'::timestamp AS ts,
             'infinity'::timestamptz AS tinf, '2024-02-29'::date AS d, '13:14:15.5'::time AS tm,
             'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, NULL::int AS null_int, NULL::text AS null_text,
             '192.168.0.1/24'::inet AS ip, '1 day 02:03:04'::interval AS iv, 'happy'::mood AS m,
             ARRAY['happy', 'sad']::mood[] AS moods, ROW(1, 'x y')::pair AS p, 42::oid AS o,
             ROW(1, 'x', NULL::int8) AS anon, ARRAY['10.0.0.1'::inet] AS ips"#,
    )
    .await;
    let row = &row[0];
    let expected = json!({
        "i2": 1, "i4": 2147483647, "i8": "9007199254740993",
        "num": "123456789012345678901234567890.123456789", "small": "-0.00000000015", "num_nan": "NaN",
        "f4": 1.1, "f8": 2.5, "nan": "NaN", "neg_inf": "-Infinity", "b": true, "t": "héllo", "vc": "x",
        "jb": {"a": [1, "x", null], "b": {"c": true}, "big": 12345678901_i64}, "j": {"z": 1},
        "ints": [1, 2, 3], "texts": ["a", null, "c b"], "matrix": [[1, 2], [3, 4]], "bools": [true, false],
        "floats": [1.5, 2.25], "nums": ["1.50", "123456789012345678901234567890"], "jbs": [{"k": 1}],
        "empty": [], "bin": "\\xdeadbeef",
        "tstz": "2024-02-29T11:14:15.123456Z", "ts": "2024-02-29T13:14:15", "tinf": "infinity",
        "d": "2024-02-29", "tm": "13:14:15.5", "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "null_int": null, "null_text": null,
        // Types without a local decoder come back as the server prints them.
        "ip": "192.168.0.1/24", "iv": "1 day 02:03:04", "m": "happy", "moods": ["happy", "sad"], "p": "(1,\"x y\")",
        "o": 42, "ips": "{10.0.0.1}",
        // An anonymous record cannot be printed back by the server: its fields as an array.
        "anon": [1, "x", null],
    });
    for (column, value) in expected.as_object().unwrap() {
        assert_eq!(&row[column], value, "column {column} in {row}");
    }
    assert_eq!(row.as_object().unwrap().len(), expected.as_object().unwrap().len(), "{row}");

    // Columns keep the query's order in the body.
    let text = app
        .http
        .post(format!("{}{QUERY}", app.base))
        .bearer_auth(&admin)
        .json(&json!({"query": "SELECT 1 AS zeta, 2 AS alpha, 3 AS mid"}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // (`data` first; what the statement did follows it.)
    assert_eq!(text, r#"{"data":[{"zeta":1,"alpha":2,"mid":3}],"command":"SELECT","rows_affected":1}"#);

    // Parameters bind to the declared types, from strings, numbers, booleans, arrays and objects.
    let (s, body) = app
        .post(
            QUERY,
            &admin,
            json!({"query": "SELECT $1::int8 + 1 AS n, $2::text AS s, $3::jsonb AS j, $4::int[] AS arr, \
                            $5::bool AS b, $6::numeric * 2 AS num, $7::text IS NULL AS is_null, $8::int4 AS i",
                   "parameters": ["9007199254740993", "it's", {"a": [1, 2]}, [1, 2, 3], true, "1.10", null, 7]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"][0],
        json!({"n": "9007199254740994", "s": "it's", "j": {"a": [1, 2]}, "arr": [1, 2, 3], "b": true,
               "num": "2.20", "is_null": true, "i": 7})
    );
    pg.psql(
        "postgres",
        "CREATE TABLE people (id int PRIMARY KEY, name text); INSERT INTO people VALUES (1, 'ada'), (2, 'bob');",
    );
    let (s, body) =
        app.post(QUERY, &admin, json!({"query": "SELECT name FROM people WHERE id = $1", "parameters": [2]})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"], json!([{"name": "bob"}]));
    let (s, body) = app.post(QUERY, &admin, json!({"query": "SELECT $1::int AS x", "parameters": []})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
    assert!(body["error"]["message"].as_str().unwrap().contains("1 parameter"), "{body}");
    let (s, body) = app.post(QUERY, &admin, json!({"query": "SELECT $1::int AS x", "parameters": ["nope"]})).await;
    assert_sqlstate(s, &body, "22P02");

    // Several statements: the rows of the last one (as text: the simple protocol has no types).
    let data = rows(
        &app,
        &admin,
        "CREATE TABLE multi (x int); INSERT INTO multi VALUES (1), (2); SELECT x FROM multi ORDER BY x",
    )
    .await;
    assert_eq!(data, vec![json!({"x": "1"}), json!({"x": "2"})]);
    assert_eq!(rows(&app, &admin, "SELECT 1 AS a; INSERT INTO multi VALUES (3)").await, Vec::<Value>::new());

    // EXPLAIN returns the plan as JSON.
    let (s, body) = app.post(QUERY, &admin, json!({"query": "SELECT * FROM people", "explain": true})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"][0]["Plan"]["Node Type"], "Seq Scan", "{body}");
}

#[tokio::test]
async fn errors_carry_sqlstate_position_and_request_problems() {
    let pg = Postgres::start();
    let app = TestApp::start().await;
    let admin = app.admin_token().await;

    // No PostgreSQL connection yet.
    let (s, body) = sql(&app, &admin, "SELECT 1").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    connect(&app, &admin, &pg, "main", json!({})).await;

    let (s, body) = sql(&app, &admin, "SELECT 1 FROM WHERE").await;
    assert_sqlstate(s, &body, "42601");
    assert_eq!(body["error"]["details"]["position"], 15, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("syntax error"), "{body}");

    let (s, body) = sql(&app, &admin, "SELECT no_such_column FROM pg_class").await;
    assert_sqlstate(s, &body, "42703");
    assert!(body["error"]["details"]["position"].is_number(), "{body}");

    let (s, body) = sql(&app, &admin, "SELECT 1/0").await;
    assert_sqlstate(s, &body, "22012");

    let (s, body) = app.post(QUERY, &admin, json!({"query": "SELECT 1", "colour": "red"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("unknown field `colour`"), "{body}");
    let (s, body) = sql(&app, &admin, "  ").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let (s, body) = app.post(QUERY, &admin, json!({"query": "SELECT $1::int", "parameters": [{"a": 1}]})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR", "{body}");

    // After all these errors the pooled sessions still work.
    for _ in 0..12 {
        assert_eq!(rows(&app, &admin, "SELECT 1 AS one").await, vec![json!({"one": 1})]);
    }
}

#[tokio::test]
async fn viewers_run_read_only_while_developers_write() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'a');");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect_with_reader(&app, &admin, &pg, "main", json!({})).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;

    let writes = [
        "INSERT INTO items VALUES (2, 'b')",
        "UPDATE items SET name = 'z' WHERE id = 1",
        "DELETE FROM items WHERE id = 1",
        "CREATE TABLE viewer_made (x int)",
        "SELECT * FROM items FOR UPDATE",
    ];
    for statement in writes {
        let (s, body) = sql(&app, &viewer, statement).await;
        assert_sqlstate(s, &body, "25006");
        assert!(body["error"]["message"].as_str().unwrap().contains("read-only transaction"), "{body}");
    }
    // Several statements could end the read-only transaction and write after it: refused.
    let (s, body) = sql(&app, &viewer, "COMMIT; INSERT INTO items VALUES (3, 'c')").await;
    assert_sqlstate(s, &body, "42601");
    // Reads work, and nothing was written.
    assert_eq!(rows(&app, &viewer, "SELECT id, name FROM items").await, vec![json!({"id": 1, "name": "a"})]);
    assert_eq!(pg.psql("postgres", "SELECT count(*) FROM pg_class WHERE relname = 'viewer_made'"), "0");

    // A viewer sees plans of what their login may run; EXPLAIN without ANALYZE runs nothing.
    let (s, body) = app.post(QUERY, &viewer, json!({"query": "SELECT * FROM items", "explain": true})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"][0]["Plan"]["Node Type"], "Seq Scan", "{body}");
    let (s, body) = app.post(QUERY, &viewer, json!({"query": "DELETE FROM items", "explain": true})).await;
    assert_sqlstate(s, &body, "42501");

    for statement in writes {
        let (s, body) = sql(&app, &developer, statement).await;
        assert_eq!(s, StatusCode::OK, "{statement}: {body}");
    }
    assert_eq!(pg.psql("postgres", "SELECT string_agg(id::text || name, ',' ORDER BY id) FROM items"), "2b");
    assert_eq!(pg.psql("postgres", "SELECT count(*) FROM pg_class WHERE relname = 'viewer_made'"), "1");
    // Writes with RETURNING answer their rows; statements refused in a transaction block still run.
    let data = rows(&app, &developer, "INSERT INTO items VALUES (5, 'e') RETURNING id, name").await;
    assert_eq!(data, vec![json!({"id": 5, "name": "e"})]);
    assert_eq!(rows(&app, &developer, "VACUUM items").await, Vec::<Value>::new());
    // A viewer's SET does not outlive its request on the pooled session.
    for _ in 0..12 {
        let (s, _) = sql(&app, &viewer, "SET statement_timeout = 5").await;
        assert_eq!(s, StatusCode::OK);
    }
    for _ in 0..12 {
        let data = rows(&app, &viewer, "SELECT current_setting('statement_timeout') AS t").await;
        assert_eq!(data, vec![json!({"t": "30s"})]);
    }
}

#[tokio::test]
async fn statement_timeout_and_row_cap() {
    let pg = Postgres::start();
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg, "main", json!({})).await;
    let slow = connect(&app, &admin, &pg, "quick-timeout", json!({"statement_timeout": 1000})).await;

    let started = Instant::now();
    let (s, body) =
        app.post(&format!("{QUERY}?connection_id={slow}"), &admin, json!({"query": "SELECT pg_sleep(60)"})).await;
    assert_sqlstate(s, &body, "57014");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());

    let send = |query: &str| {
        app.http.post(format!("{}{QUERY}", app.base)).bearer_auth(&admin).json(&json!({ "query": query })).send()
    };
    let r = send("SELECT n FROM generate_series(1, 10005) AS n").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-switchboard-truncated"], "true");
    assert_eq!(r.headers()["x-switchboard-row-cap"], "10000");
    let body: Value = r.json().await.unwrap();
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 10_000);
    assert_eq!(data[9_999], json!({"n": 10000}));

    let r = send("SELECT n FROM generate_series(1, 10000) AS n").await.unwrap();
    assert_eq!(r.headers()["x-switchboard-truncated"], "false");
    assert_eq!(r.json::<Value>().await.unwrap()["data"].as_array().unwrap().len(), 10_000);

    // A huge result stops at the cap instead of being produced in full (in the select list,
    // generate_series streams; in FROM it would be materialized first).
    let started = Instant::now();
    let r = send("SELECT generate_series(1, 100000000) AS n").await.unwrap();
    assert_eq!(r.headers()["x-switchboard-truncated"], "true");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn schema_browsing_lists_tables_views_schemas_and_columns() {
    let pg = Postgres::start();
    pg.psql(
        "postgres",
        "CREATE SCHEMA shop;
         CREATE TABLE shop.authors (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
         COMMENT ON TABLE shop.authors IS 'people who write';
         CREATE TABLE shop.books (
             id serial PRIMARY KEY, author_id bigint NOT NULL REFERENCES shop.authors (id),
             title varchar(200), tags text[] DEFAULT '{}', price numeric(10, 2));
         ALTER TABLE shop.books ENABLE ROW LEVEL SECURITY;
         INSERT INTO shop.authors (name) VALUES ('ada');
         CREATE VIEW shop.titles AS SELECT b.title, a.name FROM shop.books b JOIN shop.authors a ON a.id = b.author_id;
         CREATE TABLE public.other (x int);",
    );
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg, "main", json!({})).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let base = "/api/platform/pg-meta/default";

    let (s, body) = app.get(&format!("{base}/tables?included_schemas=shop"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let tables = body["data"].as_array().unwrap();
    let names: Vec<&str> = tables.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["authors", "books"]);
    let (authors, books) = (&tables[0], &tables[1]);
    assert_eq!(authors["schema"], "shop");
    assert_eq!(authors["comment"], "people who write");
    assert_eq!(authors["rls_enabled"], false);
    assert_eq!(books["rls_enabled"], true);
    assert_eq!(books["rls_forced"], false);
    assert!(authors["size"].as_i64().unwrap() > 0, "{authors}");
    assert!(authors["live_rows_estimate"].is_number(), "{authors}");
    assert_eq!(
        authors["primary_keys"],
        json!([{"schema": "shop", "table_name": "authors", "name": "id",
                                                 "table_id": authors["id"].clone()}])
    );
    let fk = json!({"constraint_name": "books_author_id_fkey", "source_schema": "shop", "source_table_name": "books",
                    "source_column_name": "author_id", "target_table_schema": "shop",
                    "target_table_name": "authors", "target_column_name": "id"});
    for table in [authors, books] {
        let rels = table["relationships"].as_array().unwrap();
        assert_eq!(rels.len(), 1, "{table}");
        for (k, v) in fk.as_object().unwrap() {
            assert_eq!(&rels[0][k], v, "{table}");
        }
    }
    let columns = books["columns"].as_array().unwrap();
    let summary: Vec<Value> = columns
        .iter()
        .map(|c| json!([c["ordinal_position"], c["name"], c["data_type"], c["format"], c["is_nullable"]]))
        .collect();
    assert_eq!(
        summary,
        vec![
            json!([1, "id", "integer", "int4", false]),
            json!([2, "author_id", "bigint", "int8", false]),
            json!([3, "title", "character varying", "varchar", true]),
            json!([4, "tags", "ARRAY", "_text", true]),
            json!([5, "price", "numeric", "numeric", true]),
        ]
    );
    assert!(columns[0]["default_value"].as_str().unwrap().starts_with("nextval("), "{}", columns[0]);
    assert_eq!(columns[3]["default_value"], "'{}'::text[]");
    assert_eq!(columns[0]["id"], format!("{}.1", books["id"]));
    assert_eq!(authors["columns"][0]["is_identity"], true);

    // Without a filter: user schemas only, system schemas on request, exclusions honoured.
    let (_, body) = app.get(&format!("{base}/tables"), &viewer).await;
    let all: Vec<String> =
        body["data"].as_array().unwrap().iter().map(|t| format!("{}.{}", t["schema"], t["name"])).collect();
    assert_eq!(all, [r#""public"."other""#, r#""shop"."authors""#, r#""shop"."books""#]);
    let (_, body) = app.get(&format!("{base}/tables?excluded_schemas=public"), &viewer).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    let (_, body) = app.get(&format!("{base}/tables?include_system_schemas=true"), &viewer).await;
    assert!(body["data"].as_array().unwrap().iter().any(|t| t["schema"] == "pg_catalog"), "system tables missing");

    let (s, body) = app.get(&format!("{base}/views"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let views = body["data"].as_array().unwrap();
    assert_eq!(views.len(), 1, "{body}");
    assert_eq!(views[0]["schema"], "shop");
    assert_eq!(views[0]["name"], "titles");
    let definition = views[0]["definition"].as_str().unwrap();
    assert!(definition.contains("JOIN shop.authors a ON a.id = b.author_id"), "{definition}");
    let view_columns: Vec<&str> =
        views[0]["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(view_columns, ["title", "name"]);

    let (s, body) = app.get(&format!("{base}/schemas"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let schemas: Vec<&str> = body["data"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(schemas, ["public", "shop"]);
    let (_, body) = app.get(&format!("{base}/schemas?include_system_schemas=true"), &viewer).await;
    let schemas: Vec<&str> = body["data"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(schemas.contains(&"pg_catalog") && schemas.contains(&"information_schema"), "{schemas:?}");

    let (s, body) = app.get(&format!("{base}/columns?included_schemas=shop"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let columns: Vec<String> =
        body["data"].as_array().unwrap().iter().map(|c| format!("{}.{}", c["table"], c["name"])).collect();
    assert_eq!(columns.len(), 2 + 5 + 2, "{columns:?}");
    let (_, body) = app.get(&format!("{base}/columns?table_id={}", authors["id"]), &viewer).await;
    let names: Vec<&str> = body["data"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["id", "name"]);

    // The listings agree with what information_schema says.
    let expected = pg.psql(
        "postgres",
        "SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY table_name, ordinal_position)
         FROM information_schema.columns WHERE table_schema = 'shop'",
    );
    let (_, body) = app.get(&format!("{base}/columns?included_schemas=shop"), &viewer).await;
    let ours: Vec<String> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}.{}:{}",
                c["table"].as_str().unwrap(),
                c["name"].as_str().unwrap(),
                c["data_type"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(ours.join(","), expected);

    // Unknown query parameters are refused, and outsiders see nothing.
    let (s, _) = app.get(&format!("{base}/tables?schema_name=x"), &viewer).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let outsider = app.user_with_role(&admin, "out@example.com", "", "").await;
    assert_eq!(app.get(&format!("{base}/tables"), &outsider).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pooled_sessions_carry_nothing_from_one_request_to_the_next() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE TABLE shapes (id int); INSERT INTO shapes VALUES (1); CREATE SEQUENCE counter;");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect_with_reader(&app, &admin, &pg, "main", json!({"pool_size": 2})).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;

    // A writer's session settings, prepared statements and advisory locks end with its request
    // (reads reuse sessions without a reset, so this checks the reset runs when it must).
    for _ in 0..4 {
        for statement in ["SET search_path = nowhere", "SET statement_timeout = 1", "PREPARE leftover AS SELECT 1"] {
            let (s, body) = sql(&app, &developer, statement).await;
            assert_eq!(s, StatusCode::OK, "{statement}: {body}");
        }
        let (s, body) = sql(&app, &viewer, "SELECT pg_advisory_lock(42) AS locked").await;
        assert_eq!(s, StatusCode::OK, "{body}");
        // A viewer's settings and temporary tables end with the rollback of its read.
        for statement in [
            "SET statement_timeout = 1",
            "SELECT set_config('search_path', 'nowhere', false)",
            "CREATE TEMP TABLE viewer_scratch (id int)",
        ] {
            let (s, body) = sql(&app, &viewer, statement).await;
            assert!(s == StatusCode::OK || s == StatusCode::BAD_REQUEST, "{statement}: {s} {body}");
        }
        // Whether a session is clean is asked of the server, not read from the text.
        let (s, body) = sql(&app, &viewer, r#"SELECT U&"pg_\0061dvisory_lock"(4242) AS locked"#).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    // The writer's own pool (two sessions) carries none of it either: a writer's session is reset
    // before it is lent again.
    for _ in 0..4 {
        for statement in [
            "SET ROLE reader",
            "SELECT set_config('search_path', 'nowhere', false)",
            "CREATE TEMP TABLE scratch (id int)",
            "SELECT nextval('counter')",
            "SELECT 1",
        ] {
            let (s, body) = sql(&app, &developer, statement).await;
            assert_eq!(s, StatusCode::OK, "{statement}: {body}");
        }
        let data = rows(
            &app,
            &developer,
            "SELECT current_user AS u, current_setting('search_path') AS p, \
             (SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()) AS temp",
        )
        .await;
        assert_eq!(data, vec![json!({"u": "postgres", "p": "\"$user\", public", "temp": "0"})]);
        let (s, body) = sql(&app, &developer, "SELECT lastval()").await;
        assert_sqlstate(s, &body, "55000");
    }
    for _ in 0..6 {
        let data = rows(
            &app,
            &viewer,
            "SELECT current_setting('search_path') AS p, current_setting('statement_timeout') AS t",
        )
        .await;
        assert_eq!(data, vec![json!({"p": "\"$user\", public", "t": "30s"})]);
        let temp = rows(&app, &viewer, "SELECT count(*) AS n FROM pg_class WHERE relname = 'viewer_scratch'").await;
        assert_eq!(temp, vec![json!({"n": "0"})]);
        let (s, body) = sql(&app, &developer, "EXECUTE leftover").await;
        assert_sqlstate(s, &body, "26000");
    }
    assert_eq!(pg.psql("postgres", "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "0");

    // A cached statement survives a change to its table: it is prepared again.
    assert_eq!(rows(&app, &viewer, "SELECT * FROM shapes").await, vec![json!({"id": 1})]);
    pg.psql("postgres", "ALTER TABLE shapes ADD COLUMN name text DEFAULT 'circle'");
    for _ in 0..3 {
        assert_eq!(rows(&app, &viewer, "SELECT * FROM shapes").await, vec![json!({"id": 1, "name": "circle"})]);
    }
}

#[tokio::test]
async fn a_capped_read_stops_the_server_sending_the_rest() {
    let pg = Postgres::start();
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect_with_reader(&app, &admin, &pg, "main", json!({"pool_size": 2})).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    // Fifty million rows would take the server minutes to send; the answer stops at the cap.
    // The set-returning function sits in the select list so the server streams it row by row
    // (in FROM it would first materialise all fifty million, which can outlast the 30 s
    // statement timeout on a busy machine).
    let (s, body) = sql(&app, &viewer, "SELECT generate_series(1, 50000000) AS g").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 10_000);
    // The session that was still receiving rows is closed, so the server stops producing them.
    let started = std::time::Instant::now();
    loop {
        let active = pg.psql(
            "postgres",
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%generate_series(1, 50000000)%' AND pid <> pg_backend_pid()",
        );
        if active == "0" {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the server is still sending rows");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // And the pool serves the next reads.
    for _ in 0..3 {
        assert_eq!(rows(&app, &viewer, "SELECT 1 AS one").await, vec![json!({"one": 1})]);
    }
}

#[tokio::test]
async fn viewers_never_run_sql_as_a_login_with_host_powers() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'hi');");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;

    // A superuser connection: saving it reports the powers, and viewers' SQL is refused.
    let id = connect(&app, &admin, &pg, "main", json!({})).await;
    let (_, listed) = app.get("/api/platform/postgres/default/connections", &admin).await;
    let privileges = &listed["data"][0]["privileges"];
    assert_eq!(privileges["viewer_sql"], "refused", "{listed}");
    assert!(privileges["host_powers"].as_array().unwrap().contains(&json!("superuser")), "{listed}");
    let (_, tested) =
        app.post(&format!("/api/platform/postgres/default/connections/{id}/test"), &admin, json!({})).await;
    assert_eq!(tested["data"]["privileges"]["viewer_sql"], "refused", "{tested}");

    let marker = pg.dir().join(format!("viewer-was-here-{}", std::process::id()));
    let attacks = [
        format!("COPY (SELECT 1) TO PROGRAM 'touch {}'", marker.display()),
        format!("COPY (SELECT 1) TO '{}'", marker.display()),
        "SELECT pg_read_file('/etc/passwd')".to_string(),
        "SELECT pg_ls_dir('.')".to_string(),
        "SELECT lo_import('/etc/passwd')".to_string(),
        "SELECT pg_reload_conf()".to_string(),
        "SELECT 1".to_string(),
    ];
    for attack in &attacks {
        let (s, body) = sql(&app, &viewer, attack).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{attack}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("viewer credentials"), "{body}");
        let (s, _) = app.post(QUERY, &viewer, json!({"query": attack, "explain": true})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "EXPLAIN {attack}");
    }
    assert!(!marker.exists(), "a viewer's COPY reached the server's disk");
    // The structured read routes still work for the viewer; admins still run SQL.
    let (s, tables) = app.get("/api/platform/pg-meta/default/tables", &viewer).await;
    assert_eq!(s, StatusCode::OK, "{tables}");
    assert_eq!(rows(&app, &admin, "SELECT body FROM notes").await, vec![json!({"body": "hi"})]);
    // Each refusal is in the audit trail.
    let (_, trail) = app.get("/api/platform/projects/default/audit", &admin).await;
    let denied = trail["data"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "POST /api/platform/pg-meta/{ref}/query" && e["outcome"] == "denied")
        .count();
    assert!(denied >= attacks.len(), "refused SQL is audited: {trail}");

    // Viewer credentials that are themselves a superuser are no boundary either.
    let path = format!("/api/platform/postgres/default/connections/{id}");
    let (s, updated) = app.put(&path, &admin, json!({"viewer_username": "postgres"})).await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    assert_eq!(updated["data"]["privileges"]["viewer_sql"], "refused", "{updated}");
    assert_eq!(sql(&app, &viewer, "SELECT 1").await.0, StatusCode::FORBIDDEN);

    // With a powerless viewer login, viewers read; the host stays out of reach.
    create_reader(&pg);
    let body = json!({"viewer_username": "reader", "viewer_password": "reader-password"});
    let (s, updated) = app.put(&path, &admin, body).await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    assert_eq!(updated["data"]["privileges"]["viewer_sql"], "viewer_credentials", "{updated}");
    assert_eq!(updated["data"]["has_viewer_password"], true);
    assert!(updated["data"]["viewer_password"].is_null() && !updated.to_string().contains("reader-password"));
    assert_eq!(
        rows(&app, &viewer, "SELECT body, current_user AS who FROM notes").await,
        vec![json!({"body": "hi", "who": "reader"})]
    );
    for attack in &attacks[..5] {
        let (s, body) = sql(&app, &viewer, attack).await;
        assert_sqlstate(s, &body, "42501");
    }
    assert!(!marker.exists(), "a viewer's COPY reached the server's disk");

    // A connection whose own login has no powers serves viewers' SQL as itself.
    pg.psql("postgres", "CREATE ROLE app LOGIN; GRANT SELECT ON notes TO app;");
    let body = json!({"identifier": "plain", "host": "127.0.0.1", "port": pg.port, "database_name": "postgres",
                      "username": "app"});
    let (s, plain) = app.post("/api/platform/postgres/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{plain}");
    assert_eq!(plain["data"]["privileges"]["viewer_sql"], "connection_login", "{plain}");
    assert_eq!(plain["data"]["privileges"]["host_powers"], json!([]), "{plain}");
    let plain_id = plain["data"]["id"].as_str().unwrap();
    let (s, body) =
        app.post(&format!("{QUERY}?connection_id={plain_id}"), &viewer, json!({"query": "SELECT id FROM notes"})).await;
    assert_eq!(s, StatusCode::OK, "{body}");

    // Powers granted after the connection was saved are found when its sessions open again.
    pg.psql("postgres", "GRANT pg_execute_server_program TO app;");
    let (s, _) = app.put(&format!("/api/platform/postgres/default/connections/{plain_id}"), &admin, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = app.post(&format!("{QUERY}?connection_id={plain_id}"), &viewer, json!({"query": "SELECT 1"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("pg_execute_server_program"), "{body}");

    // Viewer credentials are for PostgreSQL only, and a password needs a user.
    let (s, _) = app.put(&path, &admin, json!({"viewer_username": "", "viewer_password": "x"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let redis = json!({"identifier": "cache", "host": "127.0.0.1", "viewer_username": "reader"});
    let (s, body) = app.post("/api/platform/redis/default/connections", &admin, redis).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("PostgreSQL only"), "{body}");
    // A viewer cannot set viewer credentials, nor see the password back.
    let (s, _) = app.put(&path, &viewer, json!({"viewer_username": "postgres"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_writers_statement_runs_once_and_is_audited_only_when_it_writes() {
    let pg = Postgres::start();
    pg.psql(
        "postgres",
        "CREATE SEQUENCE s; CREATE TABLE t (id int); \
         CREATE FUNCTION ran(tag text) RETURNS int VOLATILE LANGUAGE plpgsql AS \
         $$ BEGIN RAISE WARNING 'statement-ran %', tag; RETURN 1; END $$;",
    );
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg, "main", json!({})).await;
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;
    let log = || std::fs::read_to_string(pg.dir().join("postgres.log")).unwrap_or_default();
    let count = |tag: &str| log().matches(&format!("statement-ran {tag}")).count();

    // A SELECT that turns out to write (nextval) runs once: its side effects happen once.
    let data = rows(&app, &developer, "SELECT ran('seq'), nextval('s') AS n").await;
    assert_eq!(data, vec![json!({"ran": 1, "n": "1"})]);
    assert_eq!(count("seq"), 1, "the statement ran more than once:\n{}", log());
    // A write that fails runs once too.
    let (s, _) = sql(&app, &developer, "SELECT ran('fail') / 0").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(count("fail"), 1);
    // A read leaves no audit record; a write leaves one, finished before the answer.
    rows(&app, &developer, "SELECT ran('read')").await;
    rows(&app, &developer, "INSERT INTO t SELECT ran('write')").await;
    assert_eq!(count("write"), 1);
    let (_, trail) = app.get("/api/platform/projects/default/audit", &admin).await;
    let sql_records: Vec<&Value> = trail["data"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "POST /api/platform/pg-meta/{ref}/query")
        .collect();
    let outcomes: Vec<&str> = sql_records.iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    // Newest first: the INSERT, the failed statement, and the nextval (a fresh sequence's first
    // value is WAL-logged under a transaction id); the plain read left none.
    assert_eq!(outcomes, vec!["ok", "error", "ok"], "{trail}");
    assert_eq!(pg.psql("postgres", "SELECT count(*) FROM t"), "1");
}

#[tokio::test]
async fn slow_viewers_leave_room_for_writers_and_one_user_cannot_take_the_pool() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE ROLE app LOGIN;");
    let app = TestApp::start_with(common::AppOptions {
        env: vec![("SWITCHBOARD_SQL_PER_USER".into(), "2".into())],
        ..Default::default()
    })
    .await;
    let admin = app.admin_token().await;
    let body = json!({"identifier": "main", "host": "127.0.0.1", "port": pg.port, "database_name": "postgres",
                      "username": "app", "options": {"pool_size": 4}});
    let (s, created) = app.post("/api/platform/postgres/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;
    let mut viewers = Vec::new();
    for i in 0..4 {
        viewers.push(app.user_with_role(&admin, &format!("viewer{i}@example.com"), "default", "viewer").await);
    }

    // One user runs at most two statements at once on a connection: a third answers 429 at once.
    let sleeper = &viewers[0];
    let (a, b, c) =
        tokio::join!(sql(&app, sleeper, "SELECT pg_sleep(2)"), sql(&app, sleeper, "SELECT pg_sleep(2)"), async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            sql(&app, sleeper, "SELECT 1").await
        });
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK), "{a:?} {b:?}");
    assert_eq!(c.0, StatusCode::TOO_MANY_REQUESTS, "{c:?}");
    assert_eq!(c.1["error"]["code"], "RATE_LIMITED");

    // Four viewers asleep hold at most three of the four sessions: a developer still gets one.
    let sleeps = futures_util::future::join_all(viewers.iter().map(|v| sql(&app, v, "SELECT pg_sleep(8)")));
    let writer = async {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        sql(&app, &developer, "SELECT 42 AS answer").await
    };
    let (slept, wrote) = tokio::join!(sleeps, writer);
    assert_eq!(wrote.0, StatusCode::OK, "the writer found a session: {:?}", wrote.1);
    assert_eq!(wrote.1["data"], json!([{"answer": 42}]));
    let statuses: Vec<StatusCode> = slept.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 3, "{slept:?}");
    let waited = slept.iter().find(|(s, _)| *s != StatusCode::OK).unwrap();
    assert_eq!(waited.0, StatusCode::SERVICE_UNAVAILABLE, "{waited:?}");
    assert!(waited.1["error"]["message"].as_str().unwrap().contains("kept for writers"), "{waited:?}");
}

#[tokio::test]
async fn a_dblink_connection_never_reaches_the_next_borrower() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE EXTENSION dblink;");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    // One session, shared by the developer (the superuser login) and, after it, anyone else.
    connect(&app, &admin, &pg, "main", json!({"pool_size": 1})).await;
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;
    let (s, body) = sql(&app, &developer, "SELECT dblink_connect('kept', 'dbname=postgres user=postgres')").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    for _ in 0..3 {
        let data = rows(&app, &developer, "SELECT dblink_get_connections() AS open").await;
        assert_eq!(data, vec![json!({"open": null})], "a dblink connection outlived its request");
    }
}

/// Sessions opened so far on `pg`'s database `postgres` (`pg_stat_database.sessions`).
fn sessions_opened(pg: &Postgres) -> i64 {
    pg.psql("postgres", "SELECT sessions FROM pg_stat_database WHERE datname = 'postgres'").parse().unwrap()
}

/// A pooled session goes back to the pool after a viewer's read and after a writer's statement
/// (reset if needed) instead of being closed: the pool does not open a session per request.
#[tokio::test]
async fn pooled_sessions_are_reused_after_reads_and_writes() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE TABLE counted (id int PRIMARY KEY); INSERT INTO counted VALUES (1), (2);");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect_with_reader(&app, &admin, &pg, "main", json!({})).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let table: i64 = pg.psql("postgres", "SELECT 'counted'::regclass::oid").parse().unwrap();
    // Warm both pools first.
    rows(&app, &admin, "SELECT 1").await;
    rows(&app, &viewer, "SELECT 1").await;
    let before = sessions_opened(&pg);
    for i in 0..20 {
        rows(&app, &admin, "SELECT 1").await;
        rows(&app, &admin, &format!("UPDATE counted SET id = id WHERE id = {}", 1 + i % 2)).await;
        rows(&app, &viewer, "SELECT count(*) FROM counted").await;
        let (s, body) = app.get(&format!("/api/platform/pg-meta/default/tables/{table}/rows"), &viewer).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    // 80 requests; a handful of sessions may open while resets run, not one per request.
    let opened = sessions_opened(&pg) - before;
    assert!(opened <= 10, "{opened} sessions opened for 80 requests");
}
