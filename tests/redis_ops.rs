//! Redis operations against a real redis-server: the slowlog (and its reset), the client list (and
//! CLIENT KILL), memory stats; viewers read, only admins reset or kill, and each kill is audited.

mod common;

use common::{Redis, TestApp};
use reqwest::StatusCode;

const BASE: &str = "/api/platform/redis/default";

#[tokio::test]
async fn slowlog_clients_and_memory_with_roles_and_audit() {
    let redis = Redis::start(None);
    // Log every command, so a known slow one is there.
    redis.cli(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    redis.cli(&["SLOWLOG", "RESET"]);
    // A slow script (DEBUG SLEEP is disabled on a default server).
    redis.cli(&["EVAL", "local i = 0 while i < 2000000 do i = i + 1 end return i", "0"]);
    redis.cli(&["CONFIG", "SET", "slowlog-log-slower-than", "10000"]);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;

    let (s, log) = app.get(&format!("{BASE}/slowlog"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{log}");
    let entries = log["data"].as_array().unwrap();
    let slow = entries.iter().find(|e| e["command"][0].as_str().is_some_and(|c| c.eq_ignore_ascii_case("eval")));
    let slow = slow.unwrap_or_else(|| panic!("the slow script is in the slowlog: {log}"));
    assert!(slow["duration_us"].as_i64().unwrap() > 0, "{slow}");
    assert!(slow["timestamp"].as_i64().unwrap() > 0, "{slow}");
    assert_eq!(app.get(&format!("{BASE}/slowlog?count=0"), &viewer).await.0, StatusCode::BAD_REQUEST);

    // Reset: admins only.
    assert_eq!(app.delete(&format!("{BASE}/slowlog"), &developer).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&format!("{BASE}/slowlog"), &admin).await.0, StatusCode::NO_CONTENT);
    let (_, log) = app.get(&format!("{BASE}/slowlog"), &viewer).await;
    assert!(!log["data"].as_array().unwrap().iter().any(|e| e["command"][0] == "DEBUG"), "the reset emptied it: {log}");

    // A named client is listed with its address, age and last command; an admin kills it.
    let other = redis::Client::open(format!("redis://127.0.0.1:{}/", redis.port)).unwrap();
    let mut conn = other.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("CLIENT").arg("SETNAME").arg("report-worker").query_async(&mut conn).await.unwrap();
    let (s, list) = app.get(&format!("{BASE}/clients"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let worker = list["data"].as_array().unwrap().iter().find(|c| c["name"] == "report-worker").cloned();
    let worker = worker.unwrap_or_else(|| panic!("the named client is listed: {list}"));
    assert!(worker["address"].as_str().unwrap().starts_with("127.0.0.1:"), "{worker}");
    assert_eq!(worker["last_command"], "client setname");
    let id = worker["id"].as_i64().unwrap();
    assert_eq!(app.delete(&format!("{BASE}/clients/{id}"), &viewer).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&format!("{BASE}/clients/{id}"), &developer).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&format!("{BASE}/clients/{id}"), &admin).await.0, StatusCode::NO_CONTENT);
    let (_, list) = app.get(&format!("{BASE}/clients"), &viewer).await;
    assert!(!list["data"].as_array().unwrap().iter().any(|c| c["name"] == "report-worker"), "killed: {list}");
    assert_eq!(app.delete(&format!("{BASE}/clients/{id}"), &admin).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("{BASE}/clients/not-a-number"), &admin).await.0, StatusCode::BAD_REQUEST);

    // The kill is in the audit trail naming its target.
    let (_, audit) = app.get("/api/platform/projects/default/audit", &admin).await;
    let entries = audit["data"]["entries"].as_array().unwrap();
    assert!(entries.iter().any(|r| r["target"] == format!("client {id}") && r["outcome"] == "ok"), "{audit}");

    // Memory: MEMORY STATS as a map and the doctor's words.
    let (s, memory) = app.get(&format!("{BASE}/memory"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{memory}");
    assert!(memory["data"][0]["stats"]["peak.allocated"].as_i64().unwrap() > 0, "{memory}");
    assert!(!memory["data"][0]["doctor"].as_str().unwrap().is_empty());
}
