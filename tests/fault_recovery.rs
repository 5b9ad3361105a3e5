//! Backend faults and shutdown, one story each: a frozen PostgreSQL or MongoDB answers 503 within
//! the connection's timeouts and serves again when it thaws; a stopping server finishes the
//! stream in flight, refuses new connections, and its drain timeout bounds the wait. The fault test
//! (benches/faults.rs) measures the same under load on every engine.

mod common;

use std::time::{Duration, Instant};

use common::{Backend, Mongo, Postgres, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const QUERY: &str = "/api/platform/pg-meta/default/query";

/// A server whose `default` project has `pg` as its PostgreSQL connection, with `options`;
/// answers it with a viewer's token (viewers' SQL runs as `reader`, a login without host powers).
async fn setup(pg: &Postgres, options: Value, env: &[(&str, &str)]) -> (TestApp, String) {
    let app = TestApp::start_with(common::AppOptions {
        env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..Default::default()
    })
    .await;
    let admin = app.admin_token().await;
    // Idempotent: a second server may use the same PostgreSQL.
    pg.psql(
        "postgres",
        "DO $$BEGIN CREATE ROLE reader LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END$$; \
         GRANT pg_read_all_data TO reader;",
    );
    let body = json!({"identifier": "db", "host": "127.0.0.1", "port": pg.port, "username": "postgres",
                      "database_name": "postgres", "viewer_username": "reader", "options": options});
    let (s, created) = app.post("/api/platform/postgres/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    (app, viewer)
}

/// Runs `sql` as `token`; answers the status and how long it took.
async fn timed_query(app: &TestApp, token: &str, sql: &str) -> (StatusCode, Duration) {
    let started = Instant::now();
    let (status, _) = app.post(QUERY, token, json!({ "query": sql })).await;
    (status, started.elapsed())
}

#[tokio::test]
async fn a_frozen_postgres_answers_503_within_its_timeouts_and_serves_again_when_it_thaws() {
    let pg = Postgres::start();
    let (app, viewer) = setup(&pg, json!({"connect_timeout_ms": 1000, "statement_timeout": 1000}), &[]).await;
    // Pooled sessions exist before the freeze: the ones a frozen server leaves hanging.
    for _ in 0..3 {
        assert_eq!(timed_query(&app, &viewer, "SELECT 1").await.0, StatusCode::OK);
    }
    let in_flight = {
        let (base, viewer) = (app.base.clone(), viewer.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let response = reqwest::Client::new()
                .post(format!("{base}{QUERY}"))
                .bearer_auth(viewer)
                .json(&json!({"query": "SELECT pg_sleep(0.5)"}))
                .send()
                .await
                .unwrap();
            (response.status(), started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    pg.pause();

    // Statement timeout 1 s plus the client-side grace (2 s), and a second of slack.
    let limit = Duration::from_secs(4);
    let (status, took) = in_flight.await.unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "a query in flight when the server froze");
    assert!(took < limit, "the query in flight waited {took:?}");
    // New requests: a pooled session fails its check and no new one opens (connect timeout 1 s).
    for sql in ["SELECT 1", "SELECT 2"] {
        let (status, took) = timed_query(&app, &viewer, sql).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{sql} on a frozen server");
        assert!(took < limit, "{sql} waited {took:?}");
    }
    let started = Instant::now();
    let (status, body) = app.get("/api/platform/pg-meta/default/schemas", &viewer).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "a catalog read on a frozen server: {body}");
    assert!(started.elapsed() < limit, "the catalog read waited {:?}", started.elapsed());

    pg.resume();
    let (status, took) = timed_query(&app, &viewer, "SELECT 3").await;
    assert_eq!(status, StatusCode::OK, "the first query after the thaw");
    assert!(took < limit, "the first query after the thaw took {took:?}");
}

#[tokio::test]
async fn a_frozen_mongodb_answers_503_within_its_timeouts_and_serves_again_when_it_thaws() {
    let mongo = Mongo::start();
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let body = json!({"identifier": "docs", "host": "127.0.0.1", "port": mongo.port,
                      "options": {"connect_timeout_ms": 1000, "server_selection_timeout": 1000}});
    let (s, created) = app.post("/api/platform/mongodb/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let docs = "/api/platform/mongodb/default/databases/app/collections/items/documents";
    let (s, body) = app.post(docs, &admin, json!({"documents": [{"n": 1}]})).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(app.get(docs, &admin).await.0, StatusCode::OK);

    mongo.pause();
    // The driver's monitor checks every 0.5 s (a quarter of the connect timeout, at least 0.5 s)
    // and gives up on a check after the connect timeout (1 s); a read is retried once, for the
    // server selection timeout (1 s). Without the short heartbeat this took 10 s more.
    let limit = Duration::from_millis(4_000);
    let started = Instant::now();
    let (status, body) = app.get(docs, &admin).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "a read on a frozen server: {body}");
    assert!(started.elapsed() < limit, "the read waited {:?}", started.elapsed());

    mongo.resume();
    let started = Instant::now();
    loop {
        let (status, body) = app.get(docs, &admin).await;
        if status == StatusCode::OK {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "no read succeeded after the thaw: {status} {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_stopping_server_finishes_its_stream_refuses_new_connections_and_bounds_the_drain() {
    let pg = Postgres::start();
    let (mut app, viewer) = setup(&pg, Value::Null, &[("SWITCHBOARD_DRAIN_TIMEOUT_SECS", "3")]).await;
    let stream = |sql: &'static str| {
        let (base, viewer) = (app.base.clone(), viewer.clone());
        tokio::spawn(async move {
            let mut response = reqwest::Client::new()
                .post(format!("{base}{QUERY}"))
                .bearer_auth(viewer)
                .header("accept", "application/x-ndjson")
                .json(&json!({ "query": sql }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let mut lines = 0;
            loop {
                match response.chunk().await {
                    Ok(Some(chunk)) => lines += chunk.iter().filter(|b| **b == b'\n').count(),
                    Ok(None) => return Ok(lines),
                    Err(_) => return Err(lines),
                }
            }
        })
    };
    // About 1.5 s of rows: it ends within the drain timeout.
    let short = stream("SELECT g, pg_sleep(0.001) IS NULL AS slept FROM generate_series(1, 1500) g");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled = Instant::now();
    app.signal("-TERM");
    let address = app.base.trim_start_matches("http://").to_string();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(std::net::TcpStream::connect(&address).is_err(), "a new connection after SIGTERM was accepted");
    assert_eq!(short.await.unwrap(), Ok(1500), "the stream in flight at SIGTERM ends with every row");
    let status = app.wait_exit(Duration::from_secs(10)).await.expect("the server exits after its drain");
    assert!(status.success(), "{status}");
    assert!(signalled.elapsed() < Duration::from_secs(3), "it exited once the stream ended: {:?}", signalled.elapsed());

    // A stream that would last for hours: the drain timeout (3 s) ends it.
    let (mut app, viewer) = setup(&pg, Value::Null, &[("SWITCHBOARD_DRAIN_TIMEOUT_SECS", "3")]).await;
    let endless = {
        let (base, viewer) = (app.base.clone(), viewer.clone());
        tokio::spawn(async move {
            let response = reqwest::Client::new()
                .post(format!("{base}{QUERY}"))
                .bearer_auth(viewer)
                .header("accept", "application/x-ndjson")
                .json(
                    &json!({"query": "SELECT g, pg_sleep(0.01) IS NULL AS slept FROM generate_series(1, 100000000) g"}),
                )
                .send()
                .await;
            // Cut off before or after its headers (they wait for the first batch of rows).
            match response {
                Ok(response) => response.bytes().await.is_ok(),
                Err(_) => false,
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let signalled = Instant::now();
    app.signal("-TERM");
    app.wait_exit(Duration::from_secs(15)).await.expect("the server exits at its drain timeout");
    let took = signalled.elapsed();
    assert!(took >= Duration::from_millis(2900) && took < Duration::from_secs(5), "exit after {took:?}");
    assert!(!endless.await.unwrap(), "the endless stream was cut off");
}
