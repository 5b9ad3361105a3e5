//! The Table Editor's rows API against a real PostgreSQL: keyset pages that visit every row once
//! (also while rows are inserted elsewhere, on nullable orders and with filters), offset pages for
//! a relation without a primary key, counts, typed writes with their checks, 409 on a concurrent
//! change, roles, odd identifiers, and injection attempts through every name and value.

mod common;

use std::collections::HashSet;

use common::{Postgres, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const TABLES: &str = "/api/platform/pg-meta/default/tables";

async fn connect(app: &TestApp, admin: &str, pg: &Postgres, options: Value) {
    let body = json!({"identifier": "main", "host": "127.0.0.1", "port": pg.port, "database_name": "postgres",
                      "username": "postgres", "options": options});
    let (s, created) = app.post("/api/platform/postgres/default/connections", admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
}

/// The oid of `schema.name`.
fn oid(pg: &Postgres, schema: &str, name: &str) -> i64 {
    let sql = format!(
        "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '{}' AND \
         c.relname = '{}'",
        schema.replace('\'', "''"),
        name.replace('\'', "''")
    );
    pg.psql("postgres", &sql).parse().unwrap()
}

/// `…/tables/{id}/rows` with query pairs, percent-encoded.
fn rows_path(id: i64, pairs: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    format!("{TABLES}/{id}/rows?{}", query.finish())
}

async fn page(app: &TestApp, token: &str, id: i64, pairs: &[(&str, &str)]) -> Value {
    let (s, body) = app.get(&rows_path(id, pairs), token).await;
    assert_eq!(s, StatusCode::OK, "{pairs:?}: {body}");
    body["data"].clone()
}

/// Follows cursors to the end and returns the values of `column` in the order visited.
async fn walk(app: &TestApp, token: &str, id: i64, pairs: &[(&str, &str)], column: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut all: Vec<(&str, &str)> = pairs.to_vec();
        if let Some(c) = &cursor {
            all.push(("cursor", c));
        }
        let data = page(app, token, id, &all).await;
        for row in data["rows"].as_array().unwrap() {
            seen.push(row[column].clone());
        }
        match data["cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return seen,
        }
    }
}

async fn send(app: &TestApp, method: Method, token: &str, id: i64, body: Value) -> (StatusCode, Value) {
    app.call(method, &format!("{TABLES}/{id}/rows"), Some(token), Some(body)).await
}

#[tokio::test]
async fn keyset_walk_of_a_million_rows_visits_each_once_while_rows_are_inserted_elsewhere() {
    let pg = Postgres::start();
    pg.psql(
        "postgres",
        "CREATE TABLE big (id bigint PRIMARY KEY, note text); \
         INSERT INTO big SELECT g, 'row ' || g FROM generate_series(1, 1000000) g; ANALYZE big;",
    );
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg, json!({})).await;
    let id = oid(&pg, "public", "big");

    let first = page(&app, &admin, id, &[("limit", "5")]).await;
    assert_eq!(first["paging"], "keyset");
    assert_eq!(first["primary_key"], json!(["id"]));
    assert_eq!(first["count_is_estimate"], true);
    let estimate = first["count"].as_i64().unwrap();
    assert!((900_000..=1_100_000).contains(&estimate), "estimate {estimate}");
    assert_eq!(first["rows"][0], json!({"id": "1", "note": "row 1"}), "int8 stays a string");

    // Rows arrive behind and ahead of the cursor while it walks (negative ids, ids past the end).
    let url = pg.url("postgres");
    let inserter = tokio::spawn(async move {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        for i in 1..=200i64 {
            client
                .execute("INSERT INTO big VALUES ($1, 'behind'), ($2, 'ahead')", &[&-i, &(2_000_000 + i)])
                .await
                .unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    });
    let seen = walk(&app, &admin, id, &[("limit", "1000"), ("select", "id")], "id").await;
    inserter.await.unwrap();

    let ids: Vec<i64> = seen.iter().map(|v| v.as_str().unwrap().parse().unwrap()).collect();
    let unique: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "a row was visited twice");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "rows come in key order");
    for original in 1..=1_000_000 {
        assert!(unique.contains(&original), "row {original} was never visited");
    }

    let exact = page(&app, &admin, id, &[("limit", "1"), ("count", "exact")]).await;
    assert_eq!(exact["count_is_estimate"], false);
    assert_eq!(exact["count"], json!(1_000_400));
}

/// Every row of `t` in the order PostgreSQL gives for `order_by`, filtered by `where_sql`.
fn expected_ids(pg: &Postgres, where_sql: &str, order_by: &str) -> Vec<Value> {
    let out = pg.psql("postgres", &format!("SELECT id FROM scores {where_sql} ORDER BY {order_by}"));
    out.lines().filter(|l| !l.is_empty()).map(|l| json!(l.parse::<i64>().unwrap())).collect()
}

#[tokio::test]
async fn orders_and_filters_on_nullable_columns_page_like_postgresql_sorts() {
    let pg = Postgres::start();
    pg.psql(
        "postgres",
        "CREATE TABLE scores (id int PRIMARY KEY, score int, name text); \
         INSERT INTO scores SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE g % 7 END, \
             CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' || (g % 4) END FROM generate_series(1, 300) g;",
    );
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg, json!({})).await;
    let id = oid(&pg, "public", "scores");

    let cases: &[(&[&str], &[&str], &str, &str)] = &[
        (&[], &[], "", "id"),
        (&["score.asc"], &[], "", "score ASC NULLS LAST, id"),
        (&["score.desc"], &[], "", "score DESC NULLS FIRST, id"),
        (&["score.asc.nullsfirst"], &[], "", "score ASC NULLS FIRST, id"),
        (&["score.desc.nullslast", "name.asc.nullsfirst"], &[], "", "score DESC NULLS LAST, name ASC NULLS FIRST, id"),
        (&["name.desc", "score.asc"], &["score.gte.3"], "WHERE score >= 3", "name DESC NULLS FIRST, score, id"),
        (&["id.desc"], &["name.notnull", "score.in.(1,2,6)"], "WHERE name IS NOT NULL AND score IN (1,2,6)", "id DESC"),
        (&["score.asc"], &["name.null"], "WHERE name IS NULL", "score ASC NULLS LAST, id"),
        (&[], &["name.like.n1%"], "WHERE name LIKE 'n1%'", "id"),
        (&[], &["score.is.null"], "WHERE score IS NULL", "id"),
        (&[], &["score.neq.3", "id.lt.100"], "WHERE score <> 3 AND id < 100", "id"),
    ];
    for (orders, filters, where_sql, order_by) in cases {
        let mut pairs = vec![("limit", "7"), ("select", "id")];
        pairs.extend(orders.iter().map(|o| ("order", *o)));
        pairs.extend(filters.iter().map(|f| ("filter", *f)));
        let seen = walk(&app, &admin, id, &pairs, "id").await;
        assert_eq!(seen, expected_ids(&pg, where_sql, order_by), "orders {orders:?}, filters {filters:?}");
    }

    // A cursor belongs to its order and filters.
    let data = page(&app, &admin, id, &[("limit", "2"), ("order", "score.asc")]).await;
    let cursor = data["cursor"].as_str().unwrap();
    let (s, body) = app.get(&rows_path(id, &[("cursor", cursor), ("order", "score.desc")]), &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let (s, body) = app.get(&rows_path(id, &[("cursor", "not-a-cursor")]), &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");

    // Bad requests name what is wrong.
    for (pairs, needle) in [
        (vec![("order", "nope.asc")], "order"),
        (vec![("order", "score.sideways")], "order"),
        (vec![("filter", "score.between.1")], "filter"),
        (vec![("filter", "score.eq.abc")], "score"),
        (vec![("filter", "score.in.1,2")], "in"),
        (vec![("select", "id,nope")], "nope"),
        (vec![("limit", "0")], "limit"),
        (vec![("limit", "1001")], "limit"),
        (vec![("count", "maybe")], "count"),
        (vec![("colour", "red")], "colour"),
    ] {
        let (s, body) = app.get(&rows_path(id, &pairs), &admin).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{pairs:?}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{pairs:?}: {message}");
    }
    let (s, _) = app.get(&format!("{TABLES}/999999999/rows"), &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&format!("{TABLES}/-5/rows"), &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_relation_without_a_primary_key_pages_by_offset_and_refuses_row_edits() {
    let pg = Postgres::start();
    pg.psql(
        "postgres",
        "CREATE TABLE loose (n int, label text); INSERT INTO loose SELECT g, 'l' || g FROM generate_series(1, 25) g; \
         CREATE VIEW loose_view AS SELECT n, label FROM loose WHERE n % 2 = 0;",
    );
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg, json!({})).await;

    let id = oid(&pg, "public", "loose");
    let data = page(&app, &admin, id, &[("limit", "10")]).await;
    assert_eq!(data["paging"], "offset");
    assert_eq!(data["primary_key"], json!([]));
    let seen = walk(&app, &admin, id, &[("limit", "10"), ("order", "n.asc")], "n").await;
    assert_eq!(seen, (1..=25).map(|n| json!(n)).collect::<Vec<_>>());

    for (method, body) in [
        (Method::POST, json!({"n": 99})),
        (Method::PATCH, json!([{"pk": {"n": 1}, "set": {"label": "x"}}])),
        (Method::DELETE, json!([{"pk": {"n": 1}}])),
    ] {
        let (s, body) = send(&app, method.clone(), &admin, id, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{method}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("no primary key"), "{body}");
    }
    assert_eq!(pg.psql("postgres", "SELECT count(*) FROM loose"), "25");

    let view = oid(&pg, "public", "loose_view");
    let seen = walk(&app, &admin, view, &[("limit", "4"), ("order", "n.desc")], "n").await;
    assert_eq!(seen, (1..=12).rev().map(|n| json!(n * 2)).collect::<Vec<_>>());
    let (s, body) = send(&app, Method::POST, &admin, view, json!({"n": 4})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("not a table"), "{body}");
}

#[tokio::test]
async fn an_exact_count_that_takes_too_long_says_so_and_the_page_still_comes() {
    let pg = Postgres::start();
    // Each row of the view sleeps a millisecond: a page of two rows is quick, counting 2,000 is not.
    pg.psql(
        "postgres",
        "CREATE VIEW slow AS SELECT g AS n FROM generate_series(1, 2000) g WHERE pg_sleep(0.001) IS NOT NULL;",
    );
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg, json!({"statement_timeout": 400})).await;
    let id = oid(&pg, "public", "slow");
    let data = page(&app, &admin, id, &[("limit", "2"), ("count", "exact")]).await;
    assert_eq!(data["rows"], json!([{"n": 1}, {"n": 2}]));
    assert_eq!(data["count_is_estimate"], true);
    assert!(data["count_note"].as_str().unwrap().contains("statement timeout"), "{data}");
}

#[tokio::test]
async fn writes_check_values_apply_defaults_and_refuse_a_concurrent_change() {
    let pg = Postgres::start();
    pg.psql(
        "postgres",
        "CREATE TYPE mood AS ENUM ('sad', 'happy'); \
         CREATE TABLE parent (id int PRIMARY KEY); INSERT INTO parent VALUES (1), (2); \
         CREATE TABLE items (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
             code varchar(3) NOT NULL, price numeric(10,2) DEFAULT 1.50, mood mood, doc jsonb, tags text[], \
             parent_id int REFERENCES parent(id), made timestamptz DEFAULT '2026-01-01T00:00:00Z', \
             total numeric GENERATED ALWAYS AS (price * 2) STORED);",
    );
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg, json!({})).await;
    let id = oid(&pg, "public", "items");

    let data = page(&app, &admin, id, &[]).await;
    let columns = data["columns"].as_array().unwrap();
    let column = |name: &str| columns.iter().find(|c| c["name"] == name).unwrap().clone();
    assert_eq!(column("id")["primary_key"], true);
    assert_eq!(column("id")["identity"], true);
    assert_eq!(column("code")["type"], "character varying(3)");
    assert_eq!(column("code")["nullable"], false);
    assert_eq!(column("price")["default"], "1.50");
    assert_eq!(column("mood")["enum_values"], json!(["sad", "happy"]));
    assert_eq!(column("parent_id")["foreign_key"]["table"], "parent");
    assert_eq!(column("parent_id")["foreign_key"]["column"], "id");
    assert_eq!(column("parent_id")["foreign_key"]["table_id"], json!(oid(&pg, "public", "parent")));
    assert_eq!(column("total")["updatable"], false);
    assert_eq!(column("total")["generated"], true);
    assert_eq!(column("code")["updatable"], true);

    // Insert one row and an array; defaults come back as stored.
    let (s, body) = send(&app, Method::POST, &admin, id, json!({"code": "abc"})).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"][0]["price"], "1.50");
    assert_eq!(body["data"][0]["total"], "3.00");
    assert_eq!(body["data"][0]["made"], "2026-01-01T00:00:00Z");
    let rows = json!([{"code": "b", "mood": "happy", "doc": {"a": [1, 2]}, "tags": ["x", "y z"], "parent_id": 2},
                      {"code": "c", "price": "12345678.99"}]);
    let (s, body) = send(&app, Method::POST, &admin, id, rows).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"][0]["doc"], json!({"a": [1, 2]}));
    assert_eq!(body["data"][0]["tags"], json!(["x", "y z"]));
    assert_eq!(body["data"][1]["price"], "12345678.99");
    let second = body["data"][0]["id"].clone();

    // Bad values answer 400 naming the column; nothing runs (the identity sequence does not move).
    let before = pg.psql("postgres", "SELECT last_value FROM items_id_seq");
    for (row, column) in [
        (json!({"code": "abcd"}), "code"),
        (json!({"code": "a", "mood": "angry"}), "mood"),
        (json!({"code": "a", "price": "lots"}), "price"),
        (json!({"code": "a", "doc": "{not json"}), "doc"),
        (json!({"code": null}), "code"),
        (json!({"code": "a", "total": "1"}), "total"),
        (json!({"code": "a", "nope": 1}), "nope"),
        (json!({"code": "a", "made": "yesterday-ish"}), "made"),
        (json!({"code": "a", "parent_id": {"x": 1}}), "parent_id"),
    ] {
        let (s, body) = send(&app, Method::POST, &admin, id, row.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{row}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(&format!("\"{column}\"")), "{row}: {message}");
    }
    // One bad row of several: none is written.
    let (s, _) = send(&app, Method::POST, &admin, id, json!([{"code": "ok"}, {"code": "toolong"}])).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(pg.psql("postgres", "SELECT last_value FROM items_id_seq"), before);
    assert_eq!(pg.psql("postgres", "SELECT count(*) FROM items"), "3");
    // A constraint the server checks (the foreign key) is still reported, and nothing is written.
    let (s, body) = send(&app, Method::POST, &admin, id, json!({"code": "fk", "parent_id": 99})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["details"]["code"], "23503", "{body}");

    // Update with what the editor saw.
    let seen = json!({"code": "b", "mood": "happy"});
    let (s, body) =
        send(&app, Method::PATCH, &admin, id, json!([{"pk": {"id": second}, "set": {"code": "bb"}, "expect": seen}]))
            .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"][0]["code"], "bb");
    // Someone else changes the row; the editor's next save with the old `expect` is refused.
    pg.psql("postgres", &format!("UPDATE items SET mood = 'sad' WHERE id = {}", second.as_str().unwrap()));
    let (s, body) = send(
        &app,
        Method::PATCH,
        &admin,
        id,
        json!([{"pk": {"id": second}, "set": {"code": "zz"}, "expect": {"code": "bb", "mood": "happy"}}]),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "CONFLICT");
    assert_eq!(body["error"]["details"]["current"]["mood"], "sad");
    assert_eq!(body["error"]["details"]["current"]["code"], "bb");
    assert_eq!(pg.psql("postgres", &format!("SELECT code FROM items WHERE id = {}", second.as_str().unwrap())), "bb");
    // Several rows in one call: a conflict on the second leaves the first unwritten too.
    let (s, _) = send(
        &app,
        Method::PATCH,
        &admin,
        id,
        json!([{"pk": {"id": 1}, "set": {"code": "one"}},
               {"pk": {"id": second}, "set": {"code": "zz"}, "expect": {"mood": "happy"}}]),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(pg.psql("postgres", "SELECT code FROM items WHERE id = 1"), "abc");
    // A row deleted meanwhile: 409 with `current: null`; without `expect`, 404.
    let (s, body) = send(
        &app,
        Method::PATCH,
        &admin,
        id,
        json!([{"pk": {"id": 424242}, "set": {"code": "x"}, "expect": {"code": "abc"}}]),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["details"]["current"], Value::Null);
    let (s, _) = send(&app, Method::PATCH, &admin, id, json!([{"pk": {"id": 424242}, "set": {"code": "x"}}])).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Bad primary keys and sets.
    for body in [
        json!([{"pk": {}, "set": {"code": "x"}}]),
        json!([{"pk": {"code": "abc"}, "set": {"code": "x"}}]),
        json!([{"pk": {"id": "one"}, "set": {"code": "x"}}]),
        json!([{"pk": {"id": 1}, "set": {}}]),
        json!([{"pk": {"id": 1}, "set": {"total": 5}}]),
        json!([{"pk": {"id": 1}, "set": {"code": "x"}, "extra": 1}]),
        json!([]),
    ] {
        let (s, answer) = send(&app, Method::PATCH, &admin, id, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {answer}");
    }

    // Delete by primary key.
    let (s, body) = send(&app, Method::DELETE, &admin, id, json!([{"pk": {"id": second}}, {"pk": {"id": 1}}])).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["deleted"], 2);
    assert_eq!(pg.psql("postgres", "SELECT count(*) FROM items"), "1");
}

#[tokio::test]
async fn viewers_read_developers_write_and_names_and_values_never_become_sql() {
    let pg = Postgres::start();
    pg.psql(
        "postgres",
        r#"CREATE SCHEMA "Mixed Schema";
           CREATE TABLE "Mixed Schema"."Order Table" ("select" int PRIMARY KEY, "naïve ""quoted""" text,
               "a.b" text, "Ünïcode Col" int);
           INSERT INTO "Mixed Schema"."Order Table" VALUES (1, 'one', 'x', 10), (2, 'two', 'y', 20), (3, 'three', NULL, 30);
           CREATE TABLE victim (id int PRIMARY KEY); INSERT INTO victim VALUES (1);"#,
    );
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg, json!({})).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;
    let id = oid(&pg, "Mixed Schema", "Order Table");

    // Odd names work everywhere: order, filter (a column name with a dot), select.
    let data = page(
        &app,
        &viewer,
        id,
        &[
            ("order", "Ünïcode Col.desc"),
            ("filter", "a.b.notnull"),
            ("select", "select"),
            ("select", "naïve \"quoted\""),
        ],
    )
    .await;
    assert_eq!(
        data["rows"],
        json!([{"select": 2, "naïve \"quoted\"": "two"}, {"select": 1, "naïve \"quoted\"": "one"}])
    );
    let data = page(&app, &viewer, id, &[("filter", "a.b.eq.y")]).await;
    assert_eq!(data["rows"][0]["select"], 2);

    // Viewers read, not write; developers write.
    let (s, _) = send(&app, Method::POST, &viewer, id, json!({"select": 9})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = send(&app, Method::PATCH, &viewer, id, json!([{"pk": {"select": 1}, "set": {"a.b": "z"}}])).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = send(&app, Method::DELETE, &viewer, id, json!([{"pk": {"select": 1}}])).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, body) = send(&app, Method::POST, &developer, id, json!({"select": 9, "naïve \"quoted\"": "nine"})).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) =
        send(&app, Method::PATCH, &developer, id, json!([{"pk": {"select": 9}, "set": {"a.b": "dotted"}}])).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"][0]["a.b"], "dotted");

    // Injection attempts through every name and value: nothing but the intended statement runs.
    let evil = "x'); DROP TABLE victim; --";
    let evil_name = "a\"; DROP TABLE victim; --";
    for pairs in [
        vec![("filter", format!("a.b.eq.{evil}"))],
        vec![("filter", format!("a.b.like.{evil}"))],
        vec![("filter", format!("a.b.in.({evil},\"{evil}\")"))],
        vec![("filter", "select.eq.1; DROP TABLE victim".to_string())],
        vec![("filter", format!("{evil_name}.eq.1"))],
        vec![("order", format!("{evil_name}.asc"))],
        vec![("order", "select.asc; DROP TABLE victim".to_string())],
        vec![("select", evil_name.to_string())],
    ] {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (s, body) = app.get(&rows_path(id, &pairs), &developer).await;
        assert!(s == StatusCode::OK || s == StatusCode::BAD_REQUEST, "{pairs:?}: {s} {body}");
        if s == StatusCode::OK {
            assert_eq!(body["data"]["rows"], json!([]), "{pairs:?}");
        }
    }
    let writes = [
        (Method::POST, json!({"select": 10, "a.b": evil})),
        (Method::POST, json!({"select": 11, evil_name: "x"})),
        (Method::PATCH, json!([{"pk": {"select": 10}, "set": {"a.b": evil}}])),
        (Method::PATCH, json!([{"pk": {"select": "1) OR (1=1"}, "set": {"a.b": "x"}}])),
        (Method::PATCH, json!([{"pk": {evil_name: 1}, "set": {"a.b": "x"}}])),
        (Method::DELETE, json!([{"pk": {"select": "1 OR 1=1"}}])),
    ];
    for (method, body) in writes {
        let (s, answer) = send(&app, method.clone(), &developer, id, body.clone()).await;
        assert!(s.is_success() || s == StatusCode::BAD_REQUEST, "{method} {body}: {s} {answer}");
    }
    assert_eq!(pg.psql("postgres", "SELECT count(*) FROM victim"), "1");
    assert_eq!(pg.psql("postgres", r#"SELECT "a.b" FROM "Mixed Schema"."Order Table" WHERE "select" = 10"#), evil);
    assert_eq!(pg.psql("postgres", r#"SELECT count(*) FROM "Mixed Schema"."Order Table""#), "5");
}

#[tokio::test]
async fn rows_stay_inside_their_project_and_an_api_token_keeps_its_role() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'mine');");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg, json!({})).await;
    let id = oid(&pg, "public", "notes");

    // Another project with its own PostgreSQL connection, to the same server.
    let (s, other) = app.post("/api/platform/projects", &admin, json!({"name": "Other"})).await;
    assert_eq!(s, StatusCode::CREATED, "{other}");
    let other_ref = other["data"]["ref"].as_str().unwrap().to_string();
    let body = json!({"identifier": "theirs", "host": "127.0.0.1", "port": pg.port, "database_name": "postgres",
                      "username": "postgres"});
    let (s, theirs) = app.post(&format!("/api/platform/postgres/{other_ref}/connections"), &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{theirs}");
    let their_connection = theirs["data"]["id"].as_str().unwrap().to_string();

    // A developer of `default` names the other project's connection: not found, nothing written.
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;
    let path = format!("{TABLES}/{id}/rows?connection_id={their_connection}");
    let (s, body) = app.get(&path, &developer).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    let (s, _) = app.call(Method::POST, &path, Some(&developer), Some(json!({"id": 2}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Nor can they reach the other project's rows through its ref (a project they are not in is
    // not found, so its existence is not told).
    let (s, _) = app.get(&format!("/api/platform/pg-meta/{other_ref}/tables/{id}/rows"), &developer).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A Redis connection's id is not a PostgreSQL connection.
    let redis_conn = json!({"identifier": "cache", "host": "127.0.0.1", "port": 1});
    let (s, created) = app.post("/api/platform/redis/default/connections", &admin, redis_conn).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let redis_id = created["data"]["id"].as_str().unwrap();
    let (s, _) = app.get(&format!("{TABLES}/{id}/rows?connection_id={redis_id}"), &developer).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A viewer API token reads rows and cannot write them; it opens its own project only.
    let (s, token) =
        app.post("/api/platform/projects/default/tokens", &admin, json!({"name": "ro", "role": "viewer"})).await;
    assert_eq!(s, StatusCode::CREATED, "{token}");
    let token = token["data"]["secret"].as_str().unwrap().to_string();
    assert_eq!(page(&app, &token, id, &[]).await["rows"], json!([{"id": 1, "body": "mine"}]));
    for (method, body) in [
        (Method::POST, json!({"id": 3})),
        (Method::PATCH, json!([{"pk": {"id": 1}, "set": {"body": "theirs"}}])),
        (Method::DELETE, json!([{"pk": {"id": 1}}])),
    ] {
        let (s, answer) = send(&app, method.clone(), &token, id, body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method}: {answer}");
    }
    let (s, _) = app.get(&format!("/api/platform/pg-meta/{other_ref}/tables/{id}/rows"), &token).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(pg.psql("postgres", "SELECT string_agg(id || ':' || body, ',') FROM notes"), "1:mine");
}
