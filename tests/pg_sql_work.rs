//! SQL work on the query route: the command tag and rows affected of a statement, EXPLAIN ANALYZE
//! for writers, and cancelling a running query by the id its client gave it.

mod common;

use std::time::{Duration, Instant};

use common::{Postgres, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const QUERY: &str = "/api/platform/pg-meta/default/query";

/// Saves the connection `main`: its own login is the superuser, its viewers run SQL as `reader`.
async fn connect(app: &TestApp, admin: &str, pg: &Postgres) {
    pg.psql(
        "postgres",
        "DO $$ BEGIN CREATE ROLE reader LOGIN PASSWORD 'reader-password'; \
         EXCEPTION WHEN duplicate_object THEN NULL; END $$; GRANT pg_read_all_data TO reader;",
    );
    let body = json!({"identifier": "main", "host": "127.0.0.1", "port": pg.port, "database_name": "postgres",
                      "username": "postgres", "viewer_username": "reader", "viewer_password": "reader-password"});
    let (s, created) = app.post("/api/platform/postgres/default/connections", admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
}

async fn audit(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, body) = app.get("/api/platform/projects/default/audit?limit=500", token).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["data"]["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_statement_says_its_command_and_rows_affected() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE TABLE people (id int PRIMARY KEY, name text); INSERT INTO people SELECT g, 'p' || g FROM generate_series(1, 10) g;");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg).await;

    let cases = [
        ("UPDATE people SET name = 'eight' WHERE id = 8", "UPDATE", json!(1)),
        ("update people set name = name where id > 5", "UPDATE", json!(5)),
        ("DELETE FROM people WHERE id = 10", "DELETE", json!(1)),
        ("INSERT INTO people VALUES (11, 'x'), (12, 'y')", "INSERT", json!(2)),
        ("WITH gone AS (DELETE FROM people WHERE id = 12 RETURNING id) SELECT * FROM gone", "SELECT", json!(1)),
        ("SELECT * FROM people ORDER BY id", "SELECT", json!(10)),
        ("CREATE TABLE pets (id int)", "CREATE TABLE", json!(0)),
        ("CREATE UNIQUE INDEX pets_id ON pets (id)", "CREATE INDEX", json!(0)),
        // Several statements (simple protocol): the last one's.
        ("INSERT INTO pets VALUES (1); UPDATE pets SET id = 2", "UPDATE", json!(1)),
        ("DROP TABLE pets", "DROP TABLE", json!(0)),
    ];
    for (sql, command, rows) in cases {
        let (s, body) = app.post(QUERY, &admin, json!({ "query": sql })).await;
        assert_eq!(s, StatusCode::OK, "{sql}: {body}");
        assert!(body["data"].is_array(), "{sql}: {body}");
        assert_eq!(body["command"], command, "{sql}: {body}");
        assert_eq!(body["rows_affected"], rows, "{sql}: {body}");
    }
    assert_eq!(pg.psql("postgres", "SELECT name FROM people WHERE id = 8"), "eight");

    // A viewer's read says its command too.
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let (s, body) = app.post(QUERY, &viewer, json!({"query": "SELECT id FROM people WHERE id < 4"})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!((body["command"].clone(), body["rows_affected"].clone()), (json!("SELECT"), json!(3)), "{body}");
}

#[tokio::test]
async fn explain_analyze_runs_the_statement_for_writers_only() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE TABLE items (id int PRIMARY KEY, n int); INSERT INTO items VALUES (1, 0), (2, 0);");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;

    let body = json!({"query": "UPDATE items SET n = n + 1", "explain": true, "analyze": true});
    let (s, answer) = app.post(QUERY, &viewer, body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{answer}");
    assert_eq!(pg.psql("postgres", "SELECT sum(n) FROM items"), "0");

    let (s, answer) = app.post(QUERY, &admin, json!({"query": "SELECT 1", "analyze": true})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{answer}");

    let (s, plan) = app.post(QUERY, &developer, body).await;
    assert_eq!(s, StatusCode::OK, "{plan}");
    let top = &plan["data"][0];
    assert_eq!(top["Plan"]["Node Type"], "ModifyTable", "{plan}");
    assert!(top["Execution Time"].is_number(), "ANALYZE reports an execution time: {plan}");
    // It executed, and the write is in the audit trail like any other.
    assert_eq!(pg.psql("postgres", "SELECT sum(n) FROM items"), "2");
    let recorded = audit(&app, &admin).await.into_iter().any(|e| {
        e["action"] == "POST /api/platform/pg-meta/{ref}/query"
            && e["outcome"] == "ok"
            && e["details"]["explain_analyze"] == true
            && e["details"]["command"] == "UPDATE"
    });
    assert!(recorded, "EXPLAIN ANALYZE's write is audited");
}

/// Whether a `pg_sleep` other than our probe runs on the server.
fn sleeping(pg: &Postgres) -> bool {
    pg.psql(
        "postgres",
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%' AND state = 'active' AND pid <> pg_backend_pid()",
    ) != "0"
}

async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < Duration::from_secs(20), "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn cancel_stops_the_query_on_the_server() {
    let pg = Postgres::start();
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    connect(&app, &admin, &pg).await;
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;
    let other = app.user_with_role(&admin, "other@example.com", "default", "developer").await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;

    for (starter, canceller) in [(&developer, &developer), (&viewer, &viewer), (&developer, &admin)] {
        let id = uuid::Uuid::new_v4();
        let cancel = format!("{QUERY}/{id}/cancel");
        let running = {
            let (http, url, token) = (app.http.clone(), format!("{}{QUERY}", app.base), starter.to_string());
            tokio::spawn(async move {
                let r = http
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"query": "SELECT pg_sleep(60)", "query_id": id}))
                    .send()
                    .await
                    .unwrap();
                (r.status(), r.json::<Value>().await.unwrap())
            })
        };
        let started = Instant::now();
        while !sleeping(&pg) {
            if running.is_finished() {
                panic!("the query ended before it was cancelled: {:?}", running.await.unwrap());
            }
            assert!(started.elapsed() < Duration::from_secs(20), "the query did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The same id cannot run twice at once, and nobody else's cancel reaches it.
        let (s, body) = app.post(QUERY, starter, json!({"query": "SELECT 1", "query_id": id})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        let (s, body) = app.post(&cancel, &other, json!({})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "another developer: {body}");
        assert!(sleeping(&pg));

        let started = Instant::now();
        let (s, body) = app.post(&cancel, canceller, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let (status, answer) = running.await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(20));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["code"], "QUERY_ERROR", "{answer}");
        assert_eq!(answer["error"]["details"]["code"], "57014", "{answer}");
        assert!(answer["error"]["message"].as_str().unwrap().contains("canceled by the user"), "{answer}");
        wait_until("the query is gone from pg_stat_activity", || !sleeping(&pg)).await;

        // Over: nothing by that id runs any more.
        let (s, body) = app.post(&cancel, canceller, json!({})).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    }

    // Another project's user cannot even see it.
    let (s, _) = app.post(&format!("{QUERY}/not-a-uuid/cancel"), &admin, json!({})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let cancels: Vec<Value> = audit(&app, &admin)
        .await
        .into_iter()
        .filter(|e| e["action"] == "POST /api/platform/pg-meta/{ref}/query/{query_id}/cancel")
        .collect();
    assert!(cancels.iter().filter(|e| e["outcome"] == "ok").count() >= 3, "{cancels:?}");
    assert!(cancels.iter().any(|e| e["outcome"] == "denied"), "{cancels:?}");
}
