//! PostgreSQL exports, cancellation and restarts against a real server.

mod common;

use std::time::{Duration, Instant};

use common::{Postgres, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn setup(pg: &Postgres) -> (TestApp, String) {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    // Viewers' SQL runs as `reader`, a login without the superuser's host powers.
    pg.psql("postgres", "CREATE ROLE reader LOGIN; GRANT pg_read_all_data TO reader;");
    let body = json!({"identifier": "db", "host": "127.0.0.1", "port": pg.port, "username": "postgres",
                      "database_name": "postgres", "viewer_username": "reader"});
    let (s, created) = app.post("/api/platform/postgres/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    (app, admin)
}

const QUERY: &str = "/api/platform/pg-meta/default/query";

#[tokio::test]
async fn a_million_row_ndjson_export_keeps_memory_flat() {
    let pg = Postgres::start();
    let (app, admin) = setup(&pg).await;
    let before = common::peak_rss_kib(app.pid().unwrap());
    let started = Instant::now();
    // No overall deadline: an unoptimized build on a busy machine can take longer than the
    // harness client's 60 s; memory, not speed, is what this test checks.
    let response = reqwest::Client::new()
        .post(format!("{}{QUERY}", app.base))
        .bearer_auth(&admin)
        .header("accept", "application/x-ndjson")
        .json(&json!({"query": "SELECT g AS id, md5(g::text) AS hash, now() AS at FROM generate_series(1, 1000000) g"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let mut response = response;
    let mut lines = 0u64;
    let mut last = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        last = chunk.to_vec();
    }
    assert_eq!(lines, 1_000_000, "every row, no cap");
    let last_line = String::from_utf8_lossy(&last).lines().last().unwrap().to_string();
    let row: Value = serde_json::from_str(&last_line).unwrap();
    assert_eq!(row["id"], 1_000_000);
    let peak = common::peak_rss_kib(app.pid().unwrap());
    eprintln!(
        "ndjson export of 1,000,000 rows: {:.1} s, switchboard peak RSS {} MiB (before: {} MiB)",
        started.elapsed().as_secs_f64(),
        peak / 1024,
        before / 1024
    );
    assert!(peak < 100 * 1024, "peak RSS {peak} KiB exceeds 100 MiB");
}

#[tokio::test]
async fn csv_exports_and_errors_before_the_first_row() {
    let pg = Postgres::start();
    let (app, admin) = setup(&pg).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let response = app
        .http
        .post(format!("{}{QUERY}", app.base))
        .bearer_auth(&viewer)
        .header("accept", "text/csv")
        .json(&json!({"query": "SELECT 1 AS n, 'a,b' AS t, NULL::text AS z, '{\"k\": 1}'::jsonb AS j UNION ALL SELECT 2, 'say \"hi\"', 'x', NULL ORDER BY 1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-disposition"].to_str().unwrap().contains("query.csv"));
    let text = response.text().await.unwrap();
    assert_eq!(text, "n,t,z,j\r\n1,\"a,b\",,\"{\"\"k\"\":1}\"\r\n2,\"say \"\"hi\"\"\",x,\r\n");

    // A syntax error is a normal 400 before anything streams; a viewer's write fails read-only.
    for (sql, code) in [("SELEC 1", "42601"), ("DELETE FROM pg_class RETURNING 1", "25006")] {
        let response = app
            .http
            .post(format!("{}{QUERY}", app.base))
            .bearer_auth(&viewer)
            .header("accept", "application/x-ndjson")
            .json(&json!({ "query": sql }))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status == StatusCode::OK {
            panic!("{sql}: expected an error, got 200");
        }
        assert_eq!(status, StatusCode::BAD_REQUEST, "{sql}: {body}");
        assert_eq!(body["error"]["details"]["code"], code, "{sql}: {body}");
    }
}

fn running_sleeps(pg: &Postgres) -> i64 {
    pg.psql(
        "postgres",
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()",
    )
    .parse()
    .unwrap()
}

#[tokio::test]
async fn a_client_that_leaves_cancels_its_query() {
    let pg = Postgres::start();
    let (app, admin) = setup(&pg).await;
    for accept in ["application/json", "application/x-ndjson"] {
        let client = reqwest::Client::builder().timeout(Duration::from_millis(1500)).build().unwrap();
        let sent = client
            .post(format!("{}{QUERY}", app.base))
            .bearer_auth(&admin)
            .header("accept", accept)
            .json(&json!({"query": "SELECT pg_sleep(60)"}))
            .send();
        let waiter = async {
            // While the request is in flight, the query runs on the server.
            tokio::time::sleep(Duration::from_millis(800)).await;
            running_sleeps(&pg)
        };
        let (result, during) = tokio::join!(sent, waiter);
        assert_eq!(during, 1, "{accept}: the query was running while the client waited");
        // The buffered path times out; the export has answered its headers and is waiting for its
        // first row, so the client leaves by dropping the response.
        match result {
            Err(e) => assert!(e.is_timeout(), "{accept}: {e}"),
            Ok(response) => drop(response),
        }
        drop(client);
        let deadline = Instant::now() + Duration::from_secs(10);
        while running_sleeps(&pg) > 0 {
            assert!(Instant::now() < deadline, "{accept}: the query kept running after the client left");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // The pool still serves requests afterwards.
    let (s, rows) = app.post(QUERY, &admin, json!({"query": "SELECT 1 AS one"})).await;
    assert_eq!(s, StatusCode::OK, "{rows}");
}

#[tokio::test]
async fn a_postgres_restart_is_survived() {
    let mut pg = Postgres::start();
    let (app, admin) = setup(&pg).await;
    let (s, _) = app.post(QUERY, &admin, json!({"query": "SELECT 1 AS one"})).await;
    assert_eq!(s, StatusCode::OK);
    pg.restart();
    let (s, body) = app.post(QUERY, &admin, json!({"query": "SELECT 2 AS two"})).await;
    assert_eq!(s, StatusCode::OK, "the first request after the restart works: {body}");
    assert_eq!(body["data"], json!([{"two": 2}]));
}

#[tokio::test]
async fn tls_to_postgres_verifies_the_server() {
    let (pg, ca) = Postgres::start_tls();
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let base = json!({"host": "127.0.0.1", "port": pg.port, "username": "postgres", "database_name": "postgres"});
    let with = |options: Value| {
        let mut body = base.clone();
        body["options"] = options;
        body
    };
    // Trusting the test authority: connected, and the session is encrypted.
    let mut body = with(json!({"ssl": true, "ssl_root_cert": ca}));
    body["identifier"] = json!("secure");
    let (s, created) = app.post("/api/platform/postgres/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let (_, rows) =
        app.post(QUERY, &admin, json!({"query": "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"})).await;
    assert_eq!(rows["data"], json!([{"ssl": true}]), "{rows}");
    // Without it the certificate is refused; a bad PEM is a 400.
    let (_, report) =
        app.post("/api/platform/postgres/default/connections/test", &admin, with(json!({"ssl": true}))).await;
    assert_eq!(report["data"]["success"], false, "{report}");
    let (_, report) = app
        .post(
            "/api/platform/postgres/default/connections/test",
            &admin,
            with(json!({"ssl": true, "ssl_root_cert": "nope"})),
        )
        .await;
    assert_eq!(report["data"]["success"], false, "{report}");
    assert!(report["data"]["error"].as_str().unwrap().contains("PEM"), "{report}");
}
