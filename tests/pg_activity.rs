//! PostgreSQL activity against a real server: a running pg_sleep is listed with its duration and
//! cancelled, a lock wait shows who blocks it, terminate ends a session; viewers read, only admins
//! stop sessions, and each stop is audited with its pid.

mod common;

use std::time::{Duration, Instant};

use common::{Postgres, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const ACTIVITY: &str = "/api/platform/pg-meta/default/activity";

async fn session(pg: &Postgres, application: &str) -> tokio_postgres::Client {
    let url = format!("{}?application_name={application}", pg.url("postgres"));
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// Polls the activity list until `find` picks an entry; panics after a minute.
async fn wait_for(app: &TestApp, token: &str, find: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let (s, list) = app.get(ACTIVITY, token).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        if let Some(found) = list["data"].as_array().unwrap().iter().find(|a| find(a)) {
            return found.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(60), "never listed: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn sessions_are_listed_with_blockers_and_stopped_by_admins_only() {
    let pg = Postgres::start();
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let body = json!({"identifier": "main", "host": "127.0.0.1", "port": pg.port, "database_name": "postgres",
                      "username": "postgres"});
    let (s, created) = app.post("/api/platform/postgres/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;

    // A long statement in another session is listed with its duration.
    let sleeper = session(&pg, "sleeper").await;
    let sleeping = tokio::spawn(async move { sleeper.simple_query("SELECT pg_sleep(60)").await });
    let found = wait_for(&app, &viewer, |a| a["application"] == "sleeper" && a["state"] == "active").await;
    assert!(found["query"].as_str().unwrap().contains("pg_sleep(60)"), "{found}");
    assert!(found["duration_ms"].as_i64().unwrap() >= 0, "{found}");
    assert!(found["query_start"].as_str().unwrap().ends_with('Z'), "{found}");
    let pid = found["pid"].as_i64().unwrap();

    // Only admins stop it.
    let cancel = format!("{ACTIVITY}/{pid}/cancel");
    assert_eq!(app.post(&cancel, &viewer, json!({})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.post(&cancel, &developer, json!({})).await.0, StatusCode::FORBIDDEN);
    let (s, body) = app.post(&cancel, &admin, json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let outcome = tokio::time::timeout(Duration::from_secs(30), sleeping).await.unwrap().unwrap();
    let error = outcome.expect_err("the sleep was cancelled");
    let message = error.as_db_error().map(|e| e.message().to_string()).unwrap_or_default();
    assert!(message.contains("canceling statement due to user request"), "{error:?}");

    // A lock wait names its blocker.
    pg.psql("postgres", "CREATE TABLE locked (id int); INSERT INTO locked VALUES (1)");
    let holder = session(&pg, "holder").await;
    holder.batch_execute("BEGIN; UPDATE locked SET id = 2").await.unwrap();
    let waiter = session(&pg, "waiter").await;
    let waiting = tokio::spawn(async move { waiter.simple_query("UPDATE locked SET id = 3").await });
    let holder_pid = wait_for(&app, &viewer, |a| a["application"] == "holder").await["pid"].as_i64().unwrap();
    let blocked =
        wait_for(&app, &viewer, |a| a["application"] == "waiter" && !a["blocked_by"].as_array().unwrap().is_empty())
            .await;
    assert_eq!(blocked["blocked_by"], json!([holder_pid]), "{blocked}");
    assert!(blocked["wait_event"].as_str().unwrap().starts_with("Lock"), "{blocked}");

    // Terminating the holder ends its session and frees the waiter.
    let (s, body) = app.post(&format!("{ACTIVITY}/{holder_pid}/terminate"), &admin, json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let freed = tokio::time::timeout(Duration::from_secs(30), waiting).await.unwrap().unwrap();
    assert!(freed.is_ok(), "the waiter went on once the holder was gone: {freed:?}");
    assert!(holder.simple_query("SELECT 1").await.is_err(), "the holder's session is over");

    // An unknown pid is 404; each stop is in the audit trail.
    assert_eq!(app.post(&format!("{ACTIVITY}/999999/cancel"), &admin, json!({})).await.0, StatusCode::NOT_FOUND);
    let (_, audit) = app.get("/api/platform/projects/default/audit", &admin).await;
    let entries = audit["data"]["entries"].as_array().unwrap();
    for target in [format!("pid {pid}"), format!("pid {holder_pid}")] {
        assert!(entries.iter().any(|r| r["target"] == target.as_str() && r["outcome"] == "ok"), "{target}: {audit}");
    }
}

#[tokio::test]
async fn query_stats_list_the_heaviest_statement_or_say_how_to_enable_them() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE DATABASE without_stats");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    for (identifier, database) in [("main", "postgres"), ("bare", "without_stats")] {
        let body = json!({"identifier": identifier, "host": "127.0.0.1", "port": pg.port, "database_name": database,
                          "username": "postgres"});
        let (s, created) = app.post("/api/platform/postgres/default/connections", &admin, body).await;
        assert_eq!(s, StatusCode::CREATED, "{created}");
    }
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    pg.psql("postgres", "CREATE EXTENSION pg_stat_statements");
    for _ in 0..20 {
        pg.psql("postgres", "SELECT count(*) FROM generate_series(1, 300000)");
    }

    let (s, stats) = app.get("/api/platform/pg-meta/default/query-stats?limit=5", &viewer).await;
    assert_eq!(s, StatusCode::OK, "{stats}");
    assert_eq!(stats["data"]["available"], true);
    let top = &stats["data"]["statements"][0];
    assert!(
        top["query"].as_str().unwrap().contains("generate_series"),
        "the heaviest statement tops the list: {stats}"
    );
    assert!(top["calls"].as_i64().unwrap() >= 20, "{top}");
    let (s, by_calls) = app.get("/api/platform/pg-meta/default/query-stats?order=calls", &viewer).await;
    assert_eq!(s, StatusCode::OK, "{by_calls}");
    let calls: Vec<i64> =
        by_calls["data"]["statements"].as_array().unwrap().iter().map(|s| s["calls"].as_i64().unwrap()).collect();
    assert!(calls.windows(2).all(|w| w[0] >= w[1]), "{calls:?}");
    assert_eq!(
        app.get("/api/platform/pg-meta/default/query-stats?order=drop", &viewer).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.get("/api/platform/pg-meta/default/query-stats?limit=0", &viewer).await.0, StatusCode::BAD_REQUEST);

    // A database without the extension: a clear answer, not an error.
    let (_, list) = app.get("/api/platform/postgres/default/connections", &admin).await;
    let bare = list["data"].as_array().unwrap().iter().find(|c| c["identifier"] == "bare").unwrap()["id"].clone();
    let (s, stats) = app
        .get(&format!("/api/platform/pg-meta/default/query-stats?connection_id={}", bare.as_str().unwrap()), &viewer)
        .await;
    assert_eq!(s, StatusCode::OK, "{stats}");
    assert_eq!(stats["data"]["available"], false);
    assert!(
        stats["data"]["how_to_enable"].as_str().unwrap().contains("CREATE EXTENSION pg_stat_statements"),
        "{stats}"
    );
}
