//! Connections of every engine against real servers: CRUD, tests reporting real versions,
//! validation, failures within the timeout, and pooled clients that never go stale.

mod common;

use std::time::{Duration, Instant};

use common::{secret, Mongo, Postgres, Redis, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn assert_no_password_fields(body: &Value) {
    let text = body.to_string();
    assert!(!text.contains("\"password\""), "a response carries a password field: {text}");
    assert!(!text.contains("\"connection_string\""), "a response carries a connection string: {text}");
}

#[tokio::test]
async fn create_list_test_update_delete_for_every_engine() {
    let redis = Redis::start(None);
    let pg = Postgres::start();
    let mongo = Mongo::start();
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let pg_password = secret("sb-secret-pg-password-1");

    let cases = [
        ("redis", json!({"identifier": "cache", "host": "127.0.0.1", "port": redis.port}), "7."),
        (
            "postgres",
            json!({"identifier": "main-db", "host": "127.0.0.1", "port": pg.port, "database_name": "postgres",
                   "username": "postgres", "password": pg_password}),
            "15",
        ),
        (
            "mongodb",
            json!({"identifier": "docs", "host": "127.0.0.1", "port": mongo.port, "database_name": "app"}),
            "7.0",
        ),
    ];
    for (engine, body, version_prefix) in cases {
        let base = format!("/api/platform/{engine}/default/connections");
        let (s, created) = app.post(&base, &admin, body.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{engine}: {created}");
        assert_no_password_fields(&created);
        let id = created["data"]["id"].as_str().unwrap().to_string();
        assert_eq!(created["data"]["database_type"], engine);
        assert_eq!(created["data"]["is_primary"], true, "the first connection of an engine becomes primary");
        assert_eq!(created["data"]["status"], "ACTIVE");

        let (s, list) = app.get(&base, &admin).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(list["data"].as_array().unwrap().len(), 1, "{engine}: {list}");
        assert_no_password_fields(&list);

        // Test before saving, then the saved one: both report the real server version.
        let (s, report) = app.post(&format!("{base}/test"), &admin, body.clone()).await;
        assert_eq!(s, StatusCode::OK, "{engine}: {report}");
        assert_eq!(report["data"]["success"], true, "{engine}: {report}");
        let (s, report) = app.post(&format!("{base}/{id}/test"), &admin, json!({})).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(report["data"]["success"], true, "{engine}: {report}");
        let version = report["data"]["version"].as_str().unwrap();
        assert!(version.starts_with(version_prefix), "{engine} version {version}");
        assert!(report["data"]["latency_ms"].as_f64().unwrap() >= 0.0);
        match engine {
            "redis" => assert_eq!(report["data"]["mode"], "standalone"),
            "mongodb" => {
                assert_eq!(report["data"]["topology"], "standalone");
                assert!(report["data"]["databases"].is_array());
            }
            _ => assert_eq!(report["data"]["database"], "postgres"),
        }

        let (s, updated) =
            app.put(&format!("{base}/{id}"), &admin, json!({"identifier": format!("{engine}-renamed")})).await;
        assert_eq!(s, StatusCode::OK, "{updated}");
        assert_eq!(updated["data"]["identifier"], format!("{engine}-renamed"));
        assert_eq!(updated["data"]["has_password"], engine == "postgres");
        let (_, report) = app.post(&format!("{base}/{id}/test"), &admin, json!({})).await;
        assert_eq!(report["data"]["success"], true, "{engine} after update: {report}");
    }

    // The unified list shows all three engines.
    let (s, all) = app.get("/api/platform/projects/default/databases", &admin).await;
    assert_eq!(s, StatusCode::OK);
    let engines: Vec<&str> =
        all["data"].as_array().unwrap().iter().map(|c| c["database_type"].as_str().unwrap()).collect();
    assert_eq!(engines.len(), 3, "{all}");
    for e in ["redis", "postgres", "mongodb"] {
        assert!(engines.contains(&e), "{all}");
    }
    for c in all["data"].as_array().unwrap() {
        assert_eq!(c["status"], "ACTIVE", "tested connections are active: {c}");
        assert_eq!(c["is_primary"], true);
        for field in ["identifier", "host", "port", "database_type"] {
            assert!(!c[field].is_null(), "{field} missing: {c}");
        }
    }
    assert_no_password_fields(&all);

    for engine in ["redis", "postgres", "mongodb"] {
        let base = format!("/api/platform/{engine}/default/connections");
        let (_, list) = app.get(&base, &admin).await;
        let id = list["data"][0]["id"].as_str().unwrap().to_string();
        let (s, _) = app.delete(&format!("{base}/{id}"), &admin).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(app.delete(&format!("{base}/{id}"), &admin).await.0, StatusCode::NOT_FOUND);
        let (_, list) = app.get(&base, &admin).await;
        assert_eq!(list["data"], json!([]));
    }
}

#[tokio::test]
async fn validation_errors_are_400_with_useful_messages() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let base = "/api/platform/redis/default/connections";
    let cases = [
        (json!({"identifier": "a", "host": "127.0.0.1", "port": 0}), "port must be between 1 and 65535"),
        (json!({"identifier": "a", "host": "127.0.0.1", "port": 70000}), "port must be between 1 and 65535"),
        (json!({"identifier": "a", "host": "", "port": 6379}), "host must not be empty"),
        (json!({"identifier": "a", "port": 6379}), "host is required"),
        (json!({"identifier": "a", "host": "h", "options": {"dbb": 1}}), "unknown field `dbb`"),
        (json!({"identifier": "a", "host": "h", "options": {"db": 16}}), "options.db must be between 0 and 15"),
        (json!({"identifier": "a b", "host": "h"}), "identifier must be"),
        (json!({"host": "h"}), "identifier is required"),
        (json!({"identifier": "a", "connection_string": "http://x"}), "must start with redis:// or rediss://"),
        (json!({"identifier": "a", "host": "h", "colour": "red"}), "unknown field `colour`"),
        (json!({"identifier": "a", "host": "h", "port": "6379"}), "invalid type"),
    ];
    for (body, expected) in cases {
        let (s, resp) = app.post(base, &admin, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} -> {resp}");
        assert_eq!(resp["error"]["code"], "VALIDATION_ERROR");
        let message = resp["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{body}: expected `{expected}` in `{message}`");
    }
    let pg_cases = [
        (json!({"identifier": "p", "host": "h", "options": {"pool_size": 0}}), "pool_size"),
        (json!({"identifier": "p", "host": "h", "options": {"db": 1}}), "unknown field `db`"),
    ];
    for (body, expected) in pg_cases {
        let (s, resp) = app.post("/api/platform/postgres/default/connections", &admin, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(resp["error"]["message"].as_str().unwrap().contains(expected), "{resp}");
    }
    // Unknown engines are not routes.
    assert_eq!(app.get("/api/platform/oracle/default/connections", &admin).await.0, StatusCode::NOT_FOUND);

    // Duplicate identifiers conflict, across engines too (identifiers are unique per project).
    let ok = json!({"identifier": "dup", "host": "127.0.0.1", "port": 6379});
    assert_eq!(app.post(base, &admin, ok.clone()).await.0, StatusCode::CREATED);
    let (s, resp) = app.post(base, &admin, ok).await;
    assert_eq!(s, StatusCode::CONFLICT, "{resp}");
    assert_eq!(resp["error"]["code"], "CONFLICT");
    let (s, _) =
        app.post("/api/platform/mongodb/default/connections", &admin, json!({"identifier": "dup", "host": "h"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn wrong_password_and_closed_port_fail_within_the_timeout() {
    let password = secret("sb-secret-redis-right");
    let redis = Redis::start(Some(&password));
    let closed = common::free_port();
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let base = "/api/platform/redis/default/connections";
    let wrong = secret("sb-secret-redis-wrong");

    let (_, created) = app
        .post(
            base,
            &admin,
            json!({"identifier": "locked", "host": "127.0.0.1", "port": redis.port, "password": wrong,
                                   "options": {"connect_timeout_ms": 2000}}),
        )
        .await;
    let id = created["data"]["id"].as_str().unwrap();
    let started = Instant::now();
    let (s, report) = app.post(&format!("{base}/{id}/test"), &admin, json!({})).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(s, StatusCode::OK);
    assert_eq!(report["data"]["success"], false, "{report}");
    let error = report["data"]["error"].as_str().unwrap();
    assert!(error.to_lowercase().contains("auth") || error.contains("WRONGPASS"), "{error}");
    let (_, list) = app.get(base, &admin).await;
    assert_eq!(list["data"][0]["status"], "ERROR");

    for (engine, port) in [("redis", closed), ("postgres", closed), ("mongodb", closed)] {
        let started = Instant::now();
        let (s, report) = app
            .post(
                &format!("/api/platform/{engine}/default/connections/test"),
                &admin,
                json!({"host": "127.0.0.1", "port": port, "options": {"connect_timeout_ms": 1500}}),
            )
            .await;
        assert!(started.elapsed() < Duration::from_secs(10), "{engine} took {:?}", started.elapsed());
        assert_eq!(s, StatusCode::OK, "{engine}: {report}");
        assert_eq!(report["data"]["success"], false, "{engine}: {report}");
        assert!(report["data"]["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
}

#[tokio::test]
async fn an_updated_password_is_used_at_once() {
    let password = secret("sb-secret-redis-pass-a");
    let wrong = secret("sb-secret-redis-pass-b");
    let redis = Redis::start(Some(&password));
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let base = "/api/platform/redis/default/connections";
    let (_, created) = app
        .post(base, &admin, json!({"identifier": "c", "host": "127.0.0.1", "port": redis.port, "password": password}))
        .await;
    let id = created["data"]["id"].as_str().unwrap();
    let test = format!("{base}/{id}/test");
    // A working client is now pooled.
    assert_eq!(app.post(&test, &admin, json!({})).await.1["data"]["success"], true);
    // A wrong password must fail at once: a stale pooled client would still succeed.
    let (s, _) = app.put(&format!("{base}/{id}"), &admin, json!({"password": wrong})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.post(&test, &admin, json!({})).await.1["data"]["success"], false);
    // And the right one works again at once.
    app.put(&format!("{base}/{id}"), &admin, json!({"password": password})).await;
    assert_eq!(app.post(&test, &admin, json!({})).await.1["data"]["success"], true);
    // Clearing the password (null) fails against a server that requires one.
    let (_, updated) = app.put(&format!("{base}/{id}"), &admin, json!({"password": null})).await;
    assert_eq!(updated["data"]["has_password"], false);
    assert_eq!(app.post(&test, &admin, json!({})).await.1["data"]["success"], false);
}

#[tokio::test]
async fn connection_strings_primaries_and_status() {
    let password = secret("sb-secret-redis-cs");
    let redis = Redis::start(Some(&password));
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let base = "/api/platform/redis/default/connections";
    let url = secret(&format!("redis://:{password}@127.0.0.1:{}/2", redis.port));
    let (s, first) = app.post(base, &admin, json!({"identifier": "from-url", "connection_string": url})).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(first["data"]["host"], "127.0.0.1");
    assert_eq!(first["data"]["port"], redis.port);
    assert_eq!(first["data"]["options"]["db"], 2);
    assert_eq!(first["data"]["has_password"], true);
    assert_eq!(first["data"]["has_connection_string"], true);
    let first_id = first["data"]["id"].as_str().unwrap().to_string();
    let (_, report) = app.post(&format!("{base}/{first_id}/test"), &admin, json!({})).await;
    assert_eq!(report["data"]["success"], true, "{report}");

    // A second connection made primary demotes the first.
    let (_, second) = app
        .post(base, &admin, json!({"identifier": "second", "host": "127.0.0.1", "port": redis.port, "password": password, "is_primary": true}))
        .await;
    assert_eq!(second["data"]["is_primary"], true);
    let (_, list) = app.get(base, &admin).await;
    let primaries: Vec<&Value> = list["data"].as_array().unwrap().iter().filter(|c| c["is_primary"] == true).collect();
    assert_eq!(primaries.len(), 1);
    assert_eq!(primaries[0]["identifier"], "second");

    // An admin can switch a connection off; tests then leave its status alone.
    let (s, updated) = app.put(&format!("{base}/{first_id}"), &admin, json!({"status": "INACTIVE"})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(updated["data"]["status"], "INACTIVE");
    let (s, bad) = app.put(&format!("{base}/{first_id}"), &admin, json!({"status": "SLEEPING"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    // An id of another engine is not found on this engine's routes.
    assert_eq!(
        app.put(&format!("/api/platform/mongodb/default/connections/{first_id}"), &admin, json!({})).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.put(&format!("{base}/not-a-uuid"), &admin, json!({})).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn status_follows_real_use() {
    let mut redis = Redis::start(None);
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let base = "/api/platform/redis/default/connections";
    let status = |identifier: &'static str| {
        let app = &app;
        let admin = &admin;
        async move {
            let (_, list) = app.get(base, admin).await;
            let found = list["data"].as_array().unwrap().iter().find(|c| c["identifier"] == identifier).cloned();
            found.map(|c| c["status"].as_str().unwrap().to_string()).unwrap_or_default()
        }
    };

    // The backend is down when the connection is tested: ERROR.
    redis.kill();
    let (s, created) =
        app.post(base, &admin, json!({"identifier": "cache", "host": "127.0.0.1", "port": redis.port})).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_string();
    let (_, report) = app.post(&format!("{base}/{id}/test"), &admin, json!({})).await;
    assert_eq!(report["data"]["success"], false, "{report}");
    assert_eq!(status("cache").await, "ERROR");

    // It comes back; one data request succeeds, and the connection is ACTIVE without a new test.
    redis.restart();
    let (s, body) = app.get("/api/platform/redis/default/keys?count=10", &admin).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(status("cache").await, "ACTIVE");

    // A connection to a closed port is never shown ACTIVE: saving it checks it, and says why.
    let port = common::free_port();
    let (_, other) = app.post(base, &admin, json!({"identifier": "nowhere", "host": "127.0.0.1", "port": port})).await;
    assert_eq!(other["data"]["status"], "ERROR", "{other}");
    assert!(other["data"]["status_error"].as_str().is_some_and(|e| !e.is_empty()), "{other}");
    assert!(other["data"]["status_checked_at"].is_string(), "{other}");
    assert_eq!(status("nowhere").await, "ERROR");
    let other_id = other["data"]["id"].as_str().unwrap();
    let (s, _) = app.get(&format!("/api/platform/redis/default/keys?count=10&connection_id={other_id}"), &admin).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(status("nowhere").await, "ERROR");
    assert_eq!(status("cache").await, "ACTIVE", "only the failing connection changed");
}

/// Polls the connection list until `identifier` has `want` as its status; panics after a minute.
async fn wait_for_status(app: &TestApp, token: &str, identifier: &str, want: &str) -> Value {
    let base = "/api/platform/redis/default/connections";
    for _ in 0..600 {
        let (_, list) = app.get(base, token).await;
        let found = list["data"].as_array().unwrap().iter().find(|c| c["identifier"] == identifier).cloned();
        if let Some(c) = found.filter(|c| c["status"] == want) {
            return c;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{identifier} never became {want}");
}

#[tokio::test]
async fn the_health_check_finds_a_dead_server_without_anyone_asking() {
    let mut redis = Redis::start(None);
    let app = TestApp::start_with(common::AppOptions {
        env: vec![("SWITCHBOARD_HEALTH_CHECK_SECS".into(), "1".into())],
        ..Default::default()
    })
    .await;
    let admin = app.admin_token().await;
    let base = "/api/platform/redis/default/connections";
    let (s, created) =
        app.post(base, &admin, json!({"identifier": "cache", "host": "127.0.0.1", "port": redis.port})).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!(created["data"]["status"], "ACTIVE", "checked when saved: {created}");
    // One real request, so the connection has a pooled client the check must go through.
    let (s, _) = app.get("/api/platform/redis/default/keys?count=10", &admin).await;
    assert_eq!(s, StatusCode::OK);

    // The server dies; nobody presses Test or sends a request, and the status turns ERROR with why.
    redis.kill();
    let dead = wait_for_status(&app, &admin, "cache", "ERROR").await;
    assert!(dead["status_error"].as_str().is_some_and(|e| !e.is_empty()), "{dead}");
    assert!(!dead["status_error"].as_str().unwrap_or_default().contains("password"), "{dead}");

    // It comes back; the check (backing off, but at most a few seconds here) finds it again.
    redis.restart();
    let alive = wait_for_status(&app, &admin, "cache", "ACTIVE").await;
    assert!(alive["status_error"].is_null(), "{alive}");
}
