//! Redis cluster and sentinel, against real processes.

mod common;

use std::collections::HashSet;

use common::{Redis, RedisCluster, Sentinel, TestApp};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_cluster_routes_keys_and_listing_walks_every_master() {
    let cluster = RedisCluster::start();
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let (s, created) = app
        .post(
            "/api/platform/redis/default/connections",
            &admin,
            json!({"identifier": "cluster", "host": "127.0.0.1", "port": cluster.ports[0], "options": {"cluster": true}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].as_str().unwrap();
    let (_, report) = app.post(&format!("/api/platform/redis/default/connections/{id}/test"), &admin, json!({})).await;
    assert_eq!(report["data"]["success"], true, "{report}");
    assert_eq!(report["data"]["mode"], "cluster");

    // Keys land on all three masters (their slots differ); every type works through the router.
    for i in 0..300 {
        let (s, body) = app
            .post(&format!("/api/platform/redis/default/keys/user:{i}"), &admin, json!({"value": i.to_string()}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let (s, hash) = app
        .post("/api/platform/redis/default/keys/h", &admin, json!({"type": "hash", "value": {"a": "1"}, "ttl": 60}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hash}");
    assert_eq!(hash["data"]["fields"], json!({"a": "1"}));
    let (_, got) = app.get("/api/platform/redis/default/keys/user:42", &admin).await;
    assert_eq!(got["data"]["value"], "42");
    assert_eq!(app.delete("/api/platform/redis/default/keys/h", &admin).await.0, StatusCode::NO_CONTENT);

    // Each master holds some of them.
    for port in &cluster.ports {
        let out = std::process::Command::new("redis-cli").args(["-p", &port.to_string(), "DBSIZE"]).output().unwrap();
        let n: i64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        assert!(n > 0, "master {port} holds no key");
    }

    let mut seen = HashSet::new();
    let mut total = 0;
    let mut cursor = "0".to_string();
    let mut pages = 0;
    loop {
        let (s, page) =
            app.get(&format!("/api/platform/redis/default/keys?pattern=user:*&count=50&cursor={cursor}"), &admin).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert_eq!(page["data"]["db_size"], 300);
        for k in page["data"]["keys"].as_array().unwrap() {
            assert_eq!(k["type"], "string");
            seen.insert(k["key"].as_str().unwrap().to_string());
            total += 1;
        }
        cursor = page["data"]["cursor"].as_str().unwrap().to_string();
        pages += 1;
        assert!(pages < 1000, "the walk does not end");
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 300, "every key of every master");
    assert_eq!(total, 300, "each exactly once");
    assert_eq!(app.get("/api/platform/redis/default/keys?cursor=9-0", &admin).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_sentinel_resolves_the_master() {
    let master = Redis::start(None);
    let sentinel = Sentinel::start(master.port);
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let body = json!({
        "identifier": "ha",
        "host": "127.0.0.1",
        "port": sentinel.port,
        "options": {"sentinel": {"master": "mymaster", "sentinels": [{"host": "127.0.0.1", "port": sentinel.port}]}}
    });
    let (s, created) = app.post("/api/platform/redis/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].as_str().unwrap();
    let (_, report) = app.post(&format!("/api/platform/redis/default/connections/{id}/test"), &admin, json!({})).await;
    assert_eq!(report["data"]["success"], true, "{report}");
    assert_eq!(report["data"]["mode"], "sentinel");
    assert_eq!(report["data"]["role"], "master");

    let (s, _) = app.post("/api/platform/redis/default/keys/through-sentinel", &admin, json!({"value": "yes"})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(master.cli(&["GET", "through-sentinel"]), "yes", "the write reached the master the sentinel named");

    // An unknown master name is a failed test, not a hang.
    let bad = json!({"host": "127.0.0.1", "port": sentinel.port,
                     "options": {"sentinel": {"master": "nobody", "sentinels": [{"host": "127.0.0.1", "port": sentinel.port}]}}});
    let (_, report) = app.post("/api/platform/redis/default/connections/test", &admin, bad).await;
    assert_eq!(report["data"]["success"], false, "{report}");
}

#[tokio::test]
async fn redis_error_replies_are_query_errors() {
    let redis = Redis::start(None);
    // A user that may do everything but UNLINK: Redis answers NOPERM, which must come back as a 400.
    redis.cli(&["ACL", "SETUSER", "limited", "on", ">sb-secret-limited", "~*", "&*", "+@all", "-unlink"]);
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let password = common::secret("sb-secret-limited");
    let body = json!({"identifier": "c", "host": "127.0.0.1", "port": redis.port, "username": "limited", "password": password});
    let (s, created) = app.post("/api/platform/redis/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let (s, _) = app.post("/api/platform/redis/default/keys/k", &admin, json!({"value": "x"})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(app.get("/api/platform/redis/default/keys/k", &admin).await.0, StatusCode::OK);
    let (s, body) = app.delete("/api/platform/redis/default/keys/k", &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "QUERY_ERROR");
    assert!(body["error"]["message"].as_str().unwrap().to_lowercase().contains("permission"), "{body}");
}

#[tokio::test]
async fn a_cluster_node_at_a_denied_address_is_refused_when_dialed() {
    let cluster = RedisCluster::start();
    // The third master announces 127.0.0.2, which stands for a denied internal address (loopback,
    // so nothing leaves the machine); the seed is allowed.
    let third = cluster.ports[2];
    let cli = |port: u16, args: &[&str]| {
        let out = std::process::Command::new("redis-cli").arg("-p").arg(port.to_string()).args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    cli(third, &["CONFIG", "SET", "cluster-announce-ip", "127.0.0.2"]);
    let started = std::time::Instant::now();
    while !cli(cluster.ports[0], &["CLUSTER", "SLOTS"]).contains("127.0.0.2") {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the announcement did not spread");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let app = TestApp::start_with(common::AppOptions {
        env: vec![("SWITCHBOARD_NETWORK_DENY".into(), "127.0.0.2/32".into())],
        ..Default::default()
    })
    .await;
    let admin = app.admin_token().await;
    // The driver retries a refused dial until the command times out: keep that short here.
    let body = json!({"identifier": "cluster", "host": "127.0.0.1", "port": cluster.ports[0],
                      "options": {"cluster": true, "command_timeout_ms": 500}});
    let (s, created) = app.post("/api/platform/redis/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    // Keys in the third master's slots are refused, not dialed; the others are served.
    let (mut refused, mut served) = (0, 0);
    for i in 0..60 {
        if refused > 0 && served > 0 {
            break;
        }
        let (s, resp) = app.get(&format!("/api/platform/redis/default/keys/k{i}"), &admin).await;
        match s {
            StatusCode::FORBIDDEN => {
                assert!(resp["error"]["message"].as_str().unwrap().contains("127.0.0.2"), "{resp}");
                refused += 1;
            }
            StatusCode::NOT_FOUND => served += 1,
            other => panic!("k{i}: {other} {resp}"),
        }
    }
    assert!(refused > 0 && served > 0, "refused {refused}, served {served}");
    let clients = cli(third, &["CLIENT", "LIST"]);
    assert_eq!(clients.lines().count(), 1, "only redis-cli reached the denied node: {clients}");
}
