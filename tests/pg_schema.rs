//! PostgreSQL schema changes against a real server: tables, columns, schemas, indexes and
//! extensions created, changed and dropped by oid; dry runs that answer SQL and change nothing;
//! admins only; hostile names and values that create exactly what was asked (or a 400) and never
//! anything else; and a change that cannot get its lock in time failing with 409.

mod common;

use common::{Postgres, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const BASE: &str = "/api/platform/pg-meta/default";

/// Saves the project's primary connection to `pg`'s database `postgres`.
async fn connect(app: &TestApp, admin: &str, pg: &Postgres, options: Value) {
    let body = json!({"identifier": "main", "host": "127.0.0.1", "port": pg.port, "database_name": "postgres",
                      "username": "postgres", "options": options});
    let (s, created) = app.post("/api/platform/postgres/default/connections", admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
}

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::PATCH, path, Some(token), Some(body)).await
}

/// `psql`'s one-line answer to `sql`.
fn ask(pg: &Postgres, sql: &str) -> String {
    pg.psql("postgres", sql)
}

/// Every user table and column, schema by schema: compared before and after to show nothing changed.
fn catalog_snapshot(pg: &Postgres) -> String {
    ask(
        pg,
        "SELECT string_agg(format('%s.%s.%s:%s', n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod)), ' ' \
           ORDER BY n.nspname, c.relname, a.attnum) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'",
    ) + &ask(pg, "SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace")
        + &ask(pg, "SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension")
}

fn victim_exists(pg: &Postgres) -> bool {
    ask(pg, "SELECT to_regclass('public.victim') IS NOT NULL") == "t"
}

async fn table_by_name(app: &TestApp, token: &str, schema: &str, name: &str) -> Option<Value> {
    let (s, body) = app.get(&format!("{BASE}/tables"), token).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["data"].as_array().unwrap().iter().find(|t| t["schema"] == schema && t["name"] == name).cloned()
}

#[tokio::test]
async fn tables_and_columns_are_created_changed_and_dropped() {
    let pg = Postgres::start();
    ask(&pg, "CREATE TABLE public.owners (id int PRIMARY KEY)");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg, json!({})).await;

    let body = json!({
        "schema": "public", "name": "Order Table", "comment": "it's orders",
        "columns": [
            {"name": "id", "type": "int8", "is_identity": true, "identity_generation": "ALWAYS", "is_primary_key": true},
            {"name": "Title", "type": "character varying(40)", "is_nullable": false, "default_value": "untitled",
             "comment": "the title"},
            {"name": "price", "type": "numeric(10, 2)", "check": "price >= 0", "default_value": 0},
            {"name": "tags", "type": "text[]", "default_value": "'{}'::text[]", "default_value_format": "expression"},
            {"name": "owner", "type": "int4", "is_unique": true,
             "references": {"schema": "public", "table": "owners", "column": "id", "on_delete": "SET NULL"}},
            {"name": "select", "type": "timestamp with time zone", "default_value": "now()",
             "default_value_format": "expression"}
        ]
    });
    // A dry run answers the SQL and creates nothing.
    let before = catalog_snapshot(&pg);
    let mut dry = body.clone();
    dry["dry_run"] = json!(true);
    let (s, answer) = app.post(&format!("{BASE}/tables"), &admin, dry).await;
    assert_eq!(s, StatusCode::OK, "{answer}");
    assert_eq!(answer["data"]["dry_run"], true);
    let sql = answer["data"]["sql"].as_str().unwrap();
    assert!(sql.starts_with("CREATE TABLE \"public\".\"Order Table\" ("), "{sql}");
    assert!(
        sql.contains("\"Title\" character varying(40) DEFAULT 'untitled'::character varying(40) NOT NULL"),
        "{sql}"
    );
    assert!(sql.contains("COMMENT ON TABLE \"public\".\"Order Table\" IS 'it''s orders';"), "{sql}");
    assert_eq!(catalog_snapshot(&pg), before);

    let (s, table) = app.post(&format!("{BASE}/tables"), &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{table}");
    let table = table["data"].clone();
    assert_eq!(table["name"], "Order Table");
    assert_eq!(table["comment"], "it's orders");
    assert_eq!(table, table_by_name(&app, &admin, "public", "Order Table").await.unwrap(), "as GET lists it");
    let id = table["id"].as_i64().unwrap();
    assert_eq!(table["primary_keys"][0]["name"], "id");
    assert_eq!(table["relationships"][0]["target_table_name"], "owners");
    let columns: Vec<&str> = table["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(columns, ["id", "Title", "price", "tags", "owner", "select"]);
    assert_eq!(table["columns"][0]["is_identity"], true);
    assert_eq!(table["columns"][1]["is_nullable"], false);
    assert_eq!(table["columns"][1]["comment"], "the title");
    assert_eq!(
        ask(&pg, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '\"Order Table\"'::regclass AND attname = 'price'"),
        "numeric(10,2)"
    );
    // The check and the defaults hold.
    ask(&pg, "INSERT INTO \"Order Table\" (\"Title\") VALUES ('a')");
    assert_eq!(ask(&pg, "SELECT price || ' ' || tags::text FROM \"Order Table\""), "0.00 {}");
    let negative = std::process::Command::new("psql")
        .args(["-X", "-h", "127.0.0.1", "-p", &pg.port.to_string(), "-U", "postgres", "-d", "postgres", "-c"])
        .arg("INSERT INTO \"Order Table\" (\"Title\", price) VALUES ('b', -1)")
        .output()
        .unwrap();
    assert!(!negative.status.success(), "the check constraint was not created");

    // A bad type is a 400 naming the column; an unknown one too; nothing is created.
    let before = catalog_snapshot(&pg);
    for bad in ["int); DROP TABLE owners; --", "no_such_type", "varchar(x)"] {
        let (s, err) = app
            .post(
                &format!("{BASE}/tables"),
                &admin,
                json!({"name": "t2", "columns": [{"name": "ok", "type": "int"}, {"name": "bad col", "type": bad}]}),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {err}");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(message.contains("columns[1]") && message.contains("bad col"), "{message}");
    }
    assert_eq!(catalog_snapshot(&pg), before);

    // PATCH: comment, RLS, rename and move, by oid.
    ask(&pg, "CREATE SCHEMA archive");
    let path = format!("{BASE}/tables/{id}");
    let (s, dry) = patch(&app, &path, &admin, json!({"name": "orders 2", "dry_run": true})).await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(dry["data"]["sql"], "ALTER TABLE \"public\".\"Order Table\" RENAME TO \"orders 2\";\n");
    assert!(table_by_name(&app, &admin, "public", "Order Table").await.is_some());
    let (s, updated) = patch(
        &app,
        &path,
        &admin,
        json!({"name": "orders 2", "schema": "archive", "comment": null, "rls_enabled": true, "rls_forced": true}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    let updated = &updated["data"];
    assert_eq!(
        (updated["id"].as_i64(), &updated["schema"], &updated["name"]),
        (Some(id), &json!("archive"), &json!("orders 2"))
    );
    assert_eq!(
        (&updated["rls_enabled"], &updated["rls_forced"], &updated["comment"]),
        (&json!(true), &json!(true), &Value::Null)
    );

    // Columns: add, change, drop.
    let (s, column) = app
        .post(
            &format!("{BASE}/columns"),
            &admin,
            json!({"table_id": id, "name": "naïve \"quoted\"", "type": "text",
                                                          "default_value": "x", "comment": "c"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{column}");
    assert_eq!(column["data"]["name"], "naïve \"quoted\"");
    assert_eq!(column["data"]["default_value"], "'x'::text");
    let column_id = column["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(column_id, format!("{id}.7"));
    let (s, listed) = app.get(&format!("{BASE}/columns?table_id={id}"), &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(listed["data"][6], column["data"], "as GET lists it");

    let path = format!("{BASE}/columns/{column_id}");
    let (s, dry) = patch(
        &app,
        &path,
        &admin,
        json!({"type": "int4", "using": "length(\"naïve \"\"quoted\"\"\")", "dry_run": true}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(
        dry["data"]["sql"],
        "ALTER TABLE \"archive\".\"orders 2\" ALTER COLUMN \"naïve \"\"quoted\"\"\" SET DATA TYPE integer USING (length(\"naïve \"\"quoted\"\"\"));\n"
    );
    let (s, changed) = patch(
        &app,
        &path,
        &admin,
        json!({"name": "length", "type": "int4", "using": "length(\"naïve \"\"quoted\"\"\")", "default_value": "1 + 1",
               "default_value_format": "expression", "is_nullable": false, "is_unique": true, "comment": null}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{changed}");
    let changed = &changed["data"];
    assert_eq!(
        (&changed["name"], &changed["format"], &changed["is_nullable"]),
        (&json!("length"), &json!("int4"), &json!(false))
    );
    assert_eq!((&changed["default_value"], &changed["comment"]), (&json!("(1 + 1)"), &Value::Null));
    assert_eq!(ask(&pg, "SELECT \"length\" FROM archive.\"orders 2\""), "1");
    assert_eq!(
        ask(
            &pg,
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'archive.\"orders 2\"'::regclass AND contype = 'u'"
        ),
        "2"
    );
    let (s, changed) =
        patch(&app, &path, &admin, json!({"is_unique": false, "drop_default": true, "is_nullable": true})).await;
    assert_eq!(s, StatusCode::OK, "{changed}");
    assert_eq!((&changed["data"]["default_value"], &changed["data"]["is_nullable"]), (&Value::Null, &json!(true)));
    assert_eq!(
        ask(
            &pg,
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'archive.\"orders 2\"'::regclass AND contype = 'u'"
        ),
        "1"
    );

    let (s, dry) = app.call(Method::DELETE, &format!("{path}?dry_run=true"), Some(&admin), None).await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(dry["data"]["sql"], "ALTER TABLE \"archive\".\"orders 2\" DROP COLUMN \"length\";\n");
    let (s, dropped) = app.delete(&path, &admin).await;
    assert_eq!(s, StatusCode::OK, "{dropped}");
    assert_eq!(dropped["data"]["name"], "length");
    let (s, _) = app.delete(&path, &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Dropping the owners table needs cascade (the foreign key); the table answers as it was.
    let owners = table_by_name(&app, &admin, "public", "owners").await.unwrap();
    let owners_path = format!("{BASE}/tables/{}", owners["id"]);
    let (s, err) = app.delete(&owners_path, &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    let (s, dropped) = app.delete(&format!("{owners_path}?cascade=true"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{dropped}");
    assert_eq!(dropped["data"]["name"], "owners");
    let (s, dropped) = app.delete(&format!("{BASE}/tables/{id}"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{dropped}");
    assert_eq!(dropped["data"]["name"], "orders 2");
    assert_eq!(ask(&pg, "SELECT to_regclass('archive.\"orders 2\"') IS NULL"), "t");
    for missing in [format!("{BASE}/tables/{id}"), format!("{BASE}/tables/1")] {
        let (s, err) = patch(&app, &missing, &admin, json!({"name": "x"})).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{err}");
    }
    let (s, _) = patch(&app, &format!("{BASE}/tables/abc"), &admin, json!({"name": "x"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn schemas_indexes_and_extensions() {
    let pg = Postgres::start();
    ask(&pg, "CREATE TABLE public.items (id int PRIMARY KEY, name text, \"Mixed Case\" int, body text)");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg, json!({})).await;

    // Schemas.
    let (s, schema) =
        app.post(&format!("{BASE}/schemas"), &admin, json!({"name": "Ventes \"EU\" é", "owner": "postgres"})).await;
    assert_eq!(s, StatusCode::CREATED, "{schema}");
    assert_eq!((&schema["data"]["name"], &schema["data"]["owner"]), (&json!("Ventes \"EU\" é"), &json!("postgres")));
    let path = format!("{BASE}/schemas/{}", schema["data"]["id"]);
    let (s, renamed) = patch(&app, &path, &admin, json!({"name": "select"})).await;
    assert_eq!(s, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["data"]["name"], "select");
    ask(&pg, "CREATE TABLE \"select\".t (a int)");
    let (s, err) = app.delete(&path, &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "without cascade: {err}");
    let (s, dropped) = app.delete(&format!("{path}?cascade=true"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{dropped}");
    assert_eq!(ask(&pg, "SELECT count(*) FROM pg_namespace WHERE nspname = 'select'"), "0");
    let (s, _) = app.delete(&path, &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Indexes: a listing with the primary key, then named, unnamed, expression, partial and
    // concurrent ones.
    let (s, listed) = app.get(&format!("{BASE}/indexes"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{listed}");
    let pkey = &listed["data"][0];
    assert_eq!(
        (&pkey["name"], &pkey["is_primary"], &pkey["unused"], &pkey["method"]),
        (&json!("items_pkey"), &json!(true), &json!(false), &json!("btree"))
    );
    assert_eq!(pkey["columns"], json!(["id"]));
    let table_id = pkey["table_id"].as_i64().unwrap();
    let indexes_path = format!("{BASE}/indexes");
    let create = |body: Value| {
        let mut body = body;
        body["table_id"] = json!(table_id);
        app.post(&indexes_path, &admin, body)
    };
    let before = catalog_snapshot(&pg);
    let (s, dry) =
        create(json!({"name": "Order Index", "columns": [{"name": "Mixed Case", "desc": true, "nulls_first": false}],
                                 "unique": true, "where": "id > 0", "dry_run": true}))
        .await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(
        dry["data"]["sql"],
        "CREATE UNIQUE INDEX \"Order Index\" ON \"public\".\"items\" USING btree (\"Mixed Case\" DESC NULLS LAST) WHERE (id > 0);\n"
    );
    assert_eq!(catalog_snapshot(&pg), before);
    assert_eq!(ask(&pg, "SELECT count(*) FROM pg_indexes WHERE tablename = 'items'"), "1");
    let (s, index) = create(json!({"name": "Order Index", "columns": [{"name": "Mixed Case", "desc": true}], "unique": true, "where": "id > 0"})).await;
    assert_eq!(s, StatusCode::CREATED, "{index}");
    assert_eq!(
        (&index["data"]["name"], &index["data"]["is_unique"], &index["data"]["valid"]),
        (&json!("Order Index"), &json!(true), &json!(true))
    );
    let (s, unnamed) = create(json!({"expressions": ["lower(name)"], "method": "hash"})).await;
    assert_eq!(s, StatusCode::CREATED, "{unnamed}");
    assert_eq!((&unnamed["data"]["method"], &unnamed["data"]["columns"]), (&json!("hash"), &json!(["lower(name)"])));
    assert_eq!(unnamed["data"]["unused"], true);
    let (s, concurrent) = create(json!({"name": "by body", "columns": [{"name": "body"}], "concurrently": true})).await;
    assert_eq!(s, StatusCode::CREATED, "{concurrent}");
    let (s, listed) = app.get(&format!("{BASE}/indexes?table_id={table_id}"), &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(listed["data"].as_array().unwrap().len(), 4, "{listed}");
    let (s, listed) = app.get(&format!("{BASE}/indexes?excluded_schemas=public"), &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(listed["data"], json!([]));
    let (s, err) = create(json!({"columns": [{"name": "id"}], "expressions": ["id"]})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    let (s, err) = create(json!({"expressions": ["no_such_column + 1"]})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("expressions[0]"), "{err}");

    let index_path = format!("{BASE}/indexes/{}", concurrent["data"]["id"]);
    let (s, dry) =
        app.call(Method::DELETE, &format!("{index_path}?concurrently=true&dry_run=true"), Some(&admin), None).await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(dry["data"]["sql"], "DROP INDEX CONCURRENTLY \"public\".\"by body\";\n");
    let (s, dropped) = app.delete(&format!("{index_path}?concurrently=true"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{dropped}");
    assert_eq!(dropped["data"]["name"], "by body");
    for id in [&index["data"]["id"], &unnamed["data"]["id"]] {
        let (s, dropped) = app.delete(&format!("{BASE}/indexes/{id}"), &admin).await;
        assert_eq!(s, StatusCode::OK, "{dropped}");
    }
    assert_eq!(ask(&pg, "SELECT count(*) FROM pg_indexes WHERE tablename = 'items'"), "1");
    let (s, _) = app.delete(&index_path, &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Extensions.
    let (s, listed) = app.get(&format!("{BASE}/extensions"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{listed}");
    let citext = listed["data"].as_array().unwrap().iter().find(|e| e["name"] == "citext").unwrap().clone();
    assert_eq!((&citext["installed_version"], &citext["schema"]), (&Value::Null, &Value::Null));
    assert!(citext["default_version"].is_string() && citext["comment"].is_string(), "{citext}");
    let (s, dry) = app
        .post(
            &format!("{BASE}/extensions"),
            &admin,
            json!({"name": "citext", "schema": "public", "cascade": true, "dry_run": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(dry["data"]["sql"], "CREATE EXTENSION \"citext\" SCHEMA \"public\" CASCADE;\n");
    let (s, installed) =
        app.post(&format!("{BASE}/extensions"), &admin, json!({"name": "citext", "schema": "public"})).await;
    assert_eq!(s, StatusCode::CREATED, "{installed}");
    assert_eq!(
        (&installed["data"]["schema"], &installed["data"]["installed_version"]),
        (&json!("public"), &citext["default_version"])
    );
    let (s, err) = app.post(&format!("{BASE}/extensions"), &admin, json!({"name": "no_such_extension"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    let (s, err) = app.delete(&format!("{BASE}/extensions/no_such_extension"), &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    let (s, removed) = app.delete(&format!("{BASE}/extensions/citext"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{removed}");
    assert_eq!(removed["data"]["schema"], "public");
    assert_eq!(ask(&pg, "SELECT count(*) FROM pg_extension WHERE extname = 'citext'"), "0");
    let (s, _) = app.delete(&format!("{BASE}/extensions/citext"), &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_admins_change_the_schema_and_viewers_can_list() {
    let pg = Postgres::start();
    ask(&pg, "CREATE TABLE public.items (id int PRIMARY KEY, name text); CREATE SCHEMA s2");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg, json!({})).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let developer = app.user_with_role(&admin, "developer@example.com", "default", "developer").await;

    for token in [&viewer, &developer] {
        let (s, body) = app.get(&format!("{BASE}/indexes"), token).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["data"][0]["name"], "items_pkey");
        let (s, body) = app.get(&format!("{BASE}/extensions"), token).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body["data"].as_array().unwrap().iter().any(|e| e["name"] == "plpgsql"));
    }
    let table = table_by_name(&app, &admin, "public", "items").await.unwrap();
    let id = table["id"].as_i64().unwrap();
    let (s, index) = app.get(&format!("{BASE}/indexes"), &admin).await;
    assert_eq!(s, StatusCode::OK);
    let index_id = &index["data"][0]["id"];
    let (s, schemas) = app.get(&format!("{BASE}/schemas"), &admin).await;
    assert_eq!(s, StatusCode::OK);
    let schema_id = schemas["data"].as_array().unwrap().iter().find(|s| s["name"] == "s2").unwrap()["id"].clone();

    let before = catalog_snapshot(&pg);
    let changes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::POST, format!("{BASE}/tables"), Some(json!({"name": "t", "columns": [{"name": "a", "type": "int"}]}))),
        (Method::PATCH, format!("{BASE}/tables/{id}"), Some(json!({"name": "renamed"}))),
        (Method::DELETE, format!("{BASE}/tables/{id}"), None),
        (Method::POST, format!("{BASE}/columns"), Some(json!({"table_id": id, "name": "b", "type": "int"}))),
        (Method::PATCH, format!("{BASE}/columns/{id}.2"), Some(json!({"name": "renamed"}))),
        (Method::DELETE, format!("{BASE}/columns/{id}.2"), None),
        (Method::POST, format!("{BASE}/schemas"), Some(json!({"name": "s3"}))),
        (Method::PATCH, format!("{BASE}/schemas/{schema_id}"), Some(json!({"name": "s4"}))),
        (Method::DELETE, format!("{BASE}/schemas/{schema_id}"), None),
        (Method::POST, format!("{BASE}/indexes"), Some(json!({"table_id": id, "columns": [{"name": "name"}]}))),
        (Method::DELETE, format!("{BASE}/indexes/{index_id}?cascade=true"), None),
        (Method::POST, format!("{BASE}/extensions"), Some(json!({"name": "citext"}))),
        (Method::DELETE, format!("{BASE}/extensions/plpgsql"), None),
    ];
    for token in [&viewer, &developer] {
        for (method, path, body) in &changes {
            let (s, resp) = app.call(method.clone(), path, Some(token), body.clone()).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {resp}");
            // A dry run is a change request too.
            let (s, resp) = match body {
                Some(body) => {
                    let mut body = body.clone();
                    body["dry_run"] = json!(true);
                    app.call(method.clone(), path, Some(token), Some(body)).await
                }
                None => {
                    let sep = if path.contains('?') { '&' } else { '?' };
                    app.call(method.clone(), &format!("{path}{sep}dry_run=true"), Some(token), None).await
                }
            };
            assert_eq!(s, StatusCode::FORBIDDEN, "dry run {method} {path}: {resp}");
        }
    }
    assert_eq!(catalog_snapshot(&pg), before);
}

#[tokio::test]
async fn hostile_names_and_values_create_only_what_was_asked() {
    let pg = Postgres::start();
    ask(&pg, "CREATE TABLE public.victim (id int); CREATE TABLE public.target (id int PRIMARY KEY)");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg, json!({})).await;
    let hostile = "x\"; DROP TABLE victim; --";
    let hostile_index = "i\"; DROP TABLE victim; --";

    // Hostile names are names: each creates one object with exactly that name.
    let (s, schema) = app.post(&format!("{BASE}/schemas"), &admin, json!({"name": hostile})).await;
    assert_eq!(s, StatusCode::CREATED, "{schema}");
    assert_eq!(schema["data"]["name"], hostile);
    let (s, table) = app
        .post(
            &format!("{BASE}/tables"),
            &admin,
            json!({"schema": hostile, "name": hostile, "comment": "'); DROP TABLE victim; --",
                   "columns": [{"name": hostile, "type": "text", "default_value": "'); DROP TABLE victim; --",
                                "comment": "'); DROP TABLE victim; --"},
                               {"name": "Order Table", "type": "int"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{table}");
    let table = &table["data"];
    assert_eq!(
        (&table["schema"], &table["name"], &table["comment"]),
        (&json!(hostile), &json!(hostile), &json!("'); DROP TABLE victim; --"))
    );
    assert_eq!(table["columns"][0]["name"], hostile);
    assert_eq!(table["columns"][0]["comment"], "'); DROP TABLE victim; --");
    let table_id = table["id"].as_i64().unwrap();
    let (s, index) = app
        .post(
            &format!("{BASE}/indexes"),
            &admin,
            json!({"table_id": table_id, "name": hostile_index, "columns": [{"name": hostile}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{index}");
    assert_eq!(index["data"]["name"], hostile_index);
    let (s, renamed) = patch(
        &app,
        &format!("{BASE}/tables/{table_id}"),
        &admin,
        json!({"name": "naïve \"quoted\"", "comment": "a\\'b"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{renamed}");
    assert_eq!((&renamed["data"]["name"], &renamed["data"]["comment"]), (&json!("naïve \"quoted\""), &json!("a\\'b")));
    assert!(victim_exists(&pg));
    ask(&pg, "INSERT INTO victim VALUES (1)");
    assert_eq!(ask(&pg, "SELECT count(*) FROM victim"), "1");
    // Exactly one table, one schema and one index beyond the fixture.
    assert_eq!(
        ask(&pg, "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"),
        "3"
    );
    assert_eq!(
        ask(&pg, "SELECT count(*) FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"),
        "2"
    );

    // Hostile values where text cannot be quoted are refused with a 400, and nothing is created.
    let before = catalog_snapshot(&pg);
    let column = |extra: Value| {
        let mut c = json!({"name": "c", "type": "int"});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let attempts = [
        column(json!({"type": "int); DROP TABLE victim; --"})),
        column(json!({"type": "int[]; DROP TABLE victim"})),
        column(json!({"default_value": "1; DROP TABLE victim", "default_value_format": "expression"})),
        column(json!({"default_value": "1) ; DROP TABLE victim; --", "default_value_format": "expression"})),
        column(
            json!({"default_value": "(SELECT 1 FROM victim)) , b int REFERENCES victim(id", "default_value_format": "expression"}),
        ),
        column(json!({"default_value": "1 -- comment", "default_value_format": "expression"})),
        column(json!({"default_value": "$1", "default_value_format": "expression"})),
        column(json!({"check": "c > 0); DROP TABLE victim; --"})),
        column(json!({"check": "true) OR (true"})),
        column(json!({"check": "c > '\\'); DROP TABLE victim; --'"})),
        column(json!({"references": {"table": "target", "column": "id", "on_delete": "CASCADE; DROP TABLE victim"}})),
        column(json!({"references": {"schema": hostile, "table": hostile, "column": hostile}})),
        column(json!({"name": hostile, "references": {"table": "target", "column": "id); DROP TABLE victim; --"}})),
    ];
    for attempt in attempts {
        let (s, err) =
            app.post(&format!("{BASE}/tables"), &admin, json!({"name": "new", "columns": [attempt.clone()]})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{attempt}: {err}");
        let (s, err) = app
            .post(&format!("{BASE}/columns"), &admin, {
                let mut a = attempt.clone();
                a["table_id"] = json!(table_id);
                a
            })
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{attempt}: {err}");
    }
    let target = table_by_name(&app, &admin, "public", "target").await.unwrap();
    for (path, body) in [
        (format!("{BASE}/indexes"), json!({"table_id": target["id"], "expressions": ["id); DROP TABLE victim; --"]})),
        (
            format!("{BASE}/indexes"),
            json!({"table_id": target["id"], "columns": [{"name": "id"}], "where": "true); DROP TABLE victim; --"}),
        ),
        (
            format!("{BASE}/indexes"),
            json!({"table_id": target["id"], "columns": [{"name": "id"}], "method": "btree; DROP TABLE victim"}),
        ),
        (format!("{BASE}/extensions"), json!({"name": "citext; DROP TABLE victim"})),
        (format!("{BASE}/schemas"), json!({"name": "s9", "owner": hostile})),
        (format!("{BASE}/columns"), json!({"table_id": "1; DROP TABLE victim", "name": "c", "type": "int"})),
    ] {
        let (s, err) = app.post(&path, &admin, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {err}");
    }
    let (s, err) = patch(
        &app,
        &format!("{BASE}/columns/{}.1", target["id"]),
        &admin,
        json!({"type": "text", "using": "id::text); DROP TABLE victim; --"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    let (s, err) = app.delete(&format!("{BASE}/tables/1;%20DROP%20TABLE%20victim"), &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(catalog_snapshot(&pg), before);
    assert!(victim_exists(&pg));
    // Quoted values with a version too: a literal, not SQL.
    let (s, err) = app
        .post(&format!("{BASE}/extensions"), &admin, json!({"name": "citext", "version": "1'; DROP TABLE victim; --"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["error"]["code"], "QUERY_ERROR", "{err}");
    assert!(victim_exists(&pg));
    // An extension goes into the schema of that hostile name, and only there.
    let (s, installed) =
        app.post(&format!("{BASE}/extensions"), &admin, json!({"name": "citext", "schema": hostile})).await;
    assert_eq!(s, StatusCode::CREATED, "{installed}");
    assert_eq!(installed["data"]["schema"], hostile);
    assert!(victim_exists(&pg));
}

#[tokio::test]
async fn a_change_that_cannot_get_its_lock_fails_with_409_and_changes_nothing() {
    let pg = Postgres::start();
    ask(&pg, "CREATE TABLE public.busy (id int)");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg, json!({"lock_timeout": 300})).await;
    let table = table_by_name(&app, &admin, "public", "busy").await.unwrap();
    let id = table["id"].as_i64().unwrap();

    // Another session holds the table's strongest lock in an open transaction.
    let (locker, connection) = tokio_postgres::connect(
        &format!("host=127.0.0.1 port={} user=postgres dbname=postgres", pg.port),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    locker.batch_execute("BEGIN; LOCK TABLE public.busy IN ACCESS EXCLUSIVE MODE").await.unwrap();

    let (s, err) = patch(&app, &format!("{BASE}/tables/{id}"), &admin, json!({"name": "renamed"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{err}");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("300 ms") && message.contains("lock") && message.contains("nothing was changed"),
        "{message}"
    );
    let (s, err) =
        app.post(&format!("{BASE}/columns"), &admin, json!({"table_id": id, "name": "added", "type": "int"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{err}");

    // The locking session's transaction still works, and nothing else changed.
    locker.batch_execute("INSERT INTO public.busy VALUES (1); COMMIT").await.unwrap();
    assert_eq!(ask(&pg, "SELECT count(*) FROM public.busy"), "1");
    assert_eq!(
        ask(
            &pg,
            "SELECT string_agg(attname, ',') FROM pg_attribute WHERE attrelid = 'public.busy'::regclass AND attnum > 0"
        ),
        "id"
    );
    let after = table_by_name(&app, &admin, "public", "busy").await.unwrap();
    assert_eq!(after["columns"].as_array().unwrap().len(), 1);
    // Free again, the same change goes through.
    let (s, renamed) = patch(&app, &format!("{BASE}/tables/{id}"), &admin, json!({"name": "renamed"})).await;
    assert_eq!(s, StatusCode::OK, "{renamed}");
}
