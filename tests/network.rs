//! The network guard, against real name resolution and real backends.

mod common;

use common::{AppOptions, Redis, TestApp};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn metadata_addresses_are_denied_by_default() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    for (engine, host) in [("redis", "169.254.169.254"), ("postgres", "169.254.169.254"), ("mongodb", "[fe80::1]")] {
        let body = json!({"host": host, "port": 80});
        let (s, resp) = app.post(&format!("/api/platform/{engine}/default/connections/test"), &admin, body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{engine}: {resp}");
        let message = resp["error"]["message"].as_str().unwrap();
        assert!(message.contains("network policy") && message.contains("denied range"), "{message}");
    }
}

#[tokio::test]
async fn a_hostname_resolving_to_a_denied_address_is_refused() {
    let redis = Redis::start(None);
    let app = TestApp::start_with(AppOptions {
        env: vec![("SWITCHBOARD_NETWORK_DENY".into(), "127.0.0.0/8,::1/128".into())],
        ..Default::default()
    })
    .await;
    let admin = app.admin_token().await;
    // Saving is allowed (the policy is checked whenever a connection is opened), using it is not.
    let body = json!({"identifier": "local", "host": "localhost", "port": redis.port});
    let (s, created) = app.post("/api/platform/redis/default/connections", &admin, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].as_str().unwrap();
    let (s, resp) = app.post(&format!("/api/platform/redis/default/connections/{id}/test"), &admin, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{resp}");
    assert!(
        resp["error"]["message"].as_str().unwrap().contains("127.0.0.0/8")
            || resp["error"]["message"].as_str().unwrap().contains("::1"),
        "{resp}"
    );
    assert_eq!(app.get("/api/platform/redis/default/keys", &admin).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.post("/api/platform/redis/default/connections/test", &admin, body).await.0, StatusCode::FORBIDDEN);
    assert_eq!(redis.cli(&["CLIENT", "LIST"]).lines().count(), 1, "nothing but redis-cli itself ever connected");
}

#[tokio::test]
async fn an_allow_list_admits_only_its_ranges() {
    let redis = Redis::start(None);
    let app = TestApp::start_with(AppOptions {
        env: vec![("SWITCHBOARD_NETWORK_ALLOW".into(), "127.0.0.1/32".into())],
        ..Default::default()
    })
    .await;
    let admin = app.admin_token().await;
    let ok = json!({"host": "127.0.0.1", "port": redis.port});
    let (_, report) = app.post("/api/platform/redis/default/connections/test", &admin, ok).await;
    assert_eq!(report["data"]["success"], true, "{report}");
    let (s, resp) = app
        .post("/api/platform/redis/default/connections/test", &admin, json!({"host": "10.0.0.1", "port": 6379}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{resp}");
    assert!(resp["error"]["message"].as_str().unwrap().contains("outside the allowed ranges"));
}

#[tokio::test]
async fn a_host_that_does_not_resolve_fails_the_test_without_a_server_error() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let body = json!({"identifier": "nowhere", "host": "no-such-host.invalid", "port": 6379});
    let (s, created) = app.post("/api/platform/redis/default/connections", &admin, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].as_str().unwrap();
    for path in [
        format!("/api/platform/redis/default/connections/{id}/test"),
        "/api/platform/redis/default/connections/test".into(),
    ] {
        let (s, report) = app.post(&path, &admin, body.clone()).await;
        assert_eq!(s, StatusCode::OK, "{path}: {report}");
        assert_eq!(report["data"]["success"], false, "{report}");
        assert!(report["data"]["error"].as_str().unwrap_or_default().contains("cannot resolve"), "{report}");
    }
}

#[tokio::test]
async fn every_address_a_driver_would_dial_is_checked() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let refused = |engine: &'static str, body: serde_json::Value| {
        let app = &app;
        let admin = &admin;
        async move {
            let (s, resp) =
                app.post(&format!("/api/platform/{engine}/default/connections/test"), admin, body.clone()).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{engine} {body}: {resp}");
            assert!(resp["error"]["message"].as_str().unwrap().contains("169.254.169.254"), "{resp}");
        }
    };
    // A hostaddr, or a second host, in a PostgreSQL string; a second host in a MongoDB seed list.
    refused("postgres", json!({"connection_string": "postgresql://u@127.0.0.1:5/db?hostaddr=169.254.169.254"})).await;
    refused("postgres", json!({"connection_string": "postgresql://u@127.0.0.1:5,169.254.169.254:5432/db"})).await;
    refused("mongodb", json!({"connection_string": "mongodb://127.0.0.1:1,169.254.169.254:27017/?replicaSet=rs"}))
        .await;
    // A harmless host beside a connection string is refused outright: two truths about where to go.
    for (engine, string) in [
        ("postgres", "postgresql://u@169.254.169.254:5432/db"),
        ("mongodb", "mongodb://169.254.169.254:27017/"),
        ("redis", "redis://169.254.169.254:6379"),
    ] {
        let body = json!({"identifier": "x", "host": "127.0.0.1", "connection_string": string});
        let (s, resp) = app.post(&format!("/api/platform/{engine}/default/connections"), &admin, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{engine}: {resp}");
        let (s, _) = app.post(&format!("/api/platform/{engine}/default/connections/test"), &admin, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{engine}");
    }
}

#[tokio::test]
async fn a_sentinel_announcing_a_denied_master_is_refused_at_dial_time() {
    // 127.0.0.2 stands for a denied internal address (loopback, so no packet leaves the machine).
    let master = common::free_port();
    let sentinel = common::Sentinel::start_for("127.0.0.2", master);
    let app = TestApp::start_with(AppOptions {
        env: vec![("SWITCHBOARD_NETWORK_DENY".into(), "127.0.0.2/32".into())],
        ..Default::default()
    })
    .await;
    let admin = app.admin_token().await;
    let body = json!({"identifier": "via-sentinel", "host": "127.0.0.1",
                      "options": {"sentinel": {"master": "mymaster", "sentinels": [{"host": "127.0.0.1", "port": sentinel.port}]}}});
    let (s, resp) = app.post("/api/platform/redis/default/connections/test", &admin, body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{resp}");
    assert!(resp["error"]["message"].as_str().unwrap().contains("announced by the sentinels"), "{resp}");
    let (s, created) = app.post("/api/platform/redis/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let (s, resp) = app.get("/api/platform/redis/default/keys", &admin).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{resp}");
    let id = created["data"]["id"].as_str().unwrap();
    let (s, _) = app.post(&format!("/api/platform/redis/default/connections/{id}/test"), &admin, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// A MongoDB-wire stand-in that answers every command as the primary of replica set `rs0` whose
/// members are itself and `members` (enough for a driver's handshake, monitoring and `hello`).
async fn fake_primary(members: Vec<String>) -> u16 {
    use mongodb::bson::{doc, DateTime};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let me = format!("127.0.0.1:{port}");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (me, members) = (me.clone(), members.clone());
            tokio::spawn(async move {
                loop {
                    let mut header = [0u8; 16];
                    if socket.read_exact(&mut header).await.is_err() {
                        return;
                    }
                    let int = |at: usize| i32::from_le_bytes(header[at..at + 4].try_into().unwrap());
                    let (length, request_id, op_code) = (int(0) as usize, int(4), int(12));
                    let mut body = vec![0u8; length - 16];
                    if socket.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    let mut hosts = vec![me.clone()];
                    hosts.extend(members.iter().cloned());
                    let reply = doc! {
                        "ismaster": true, "isWritablePrimary": true, "helloOk": true, "setName": "rs0",
                        "hosts": hosts, "primary": &me, "me": &me, "minWireVersion": 0, "maxWireVersion": 17,
                        "maxBsonObjectSize": 16_777_216, "maxMessageSizeBytes": 48_000_000,
                        "maxWriteBatchSize": 100_000, "logicalSessionTimeoutMinutes": 30,
                        "localTime": DateTime::now(), "databases": [], "totalSize": 0, "ok": 1.0,
                    };
                    let document = mongodb::bson::to_vec(&reply).unwrap();
                    let (reply_op, mut payload): (i32, Vec<u8>) = match op_code {
                        // OP_QUERY (the legacy handshake) is answered with OP_REPLY.
                        2004 => (
                            1,
                            [
                                0i32.to_le_bytes().as_slice(),
                                &0i64.to_le_bytes(),
                                &0i32.to_le_bytes(),
                                &1i32.to_le_bytes(),
                            ]
                            .concat(),
                        ),
                        // OP_MSG: no flags, one body section.
                        2013 => (2013, vec![0, 0, 0, 0, 0]),
                        _ => return,
                    };
                    payload.extend(document);
                    let mut message = Vec::with_capacity(16 + payload.len());
                    message.extend(((16 + payload.len()) as i32).to_le_bytes());
                    message.extend(1i32.to_le_bytes());
                    message.extend(request_id.to_le_bytes());
                    message.extend(reply_op.to_le_bytes());
                    message.extend(payload);
                    if socket.write_all(&message).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn a_replica_set_announcing_a_denied_member_is_refused_before_the_driver_dials_it() {
    // 127.0.0.2 stands for a denied internal address (loopback, so nothing leaves the machine); a
    // listener there tells whether anything dialed it.
    let watch = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let denied = format!("127.0.0.2:{}", watch.local_addr().unwrap().port());
    let seed = fake_primary(vec![denied]).await;
    let app = TestApp::start_with(AppOptions {
        env: vec![("SWITCHBOARD_NETWORK_DENY".into(), "127.0.0.2/32".into())],
        ..Default::default()
    })
    .await;
    let admin = app.admin_token().await;
    let body = json!({"identifier": "rs", "host": "127.0.0.1", "port": seed, "options": {"replica_set": "rs0"}});
    let (s, resp) = app.post("/api/platform/mongodb/default/connections/test", &admin, body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{resp}");
    let message = resp["error"]["message"].as_str().unwrap();
    assert!(message.contains("replica-set member") && message.contains("127.0.0.2"), "{message}");
    let (s, created) = app.post("/api/platform/mongodb/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let (s, resp) = app.get("/api/platform/mongodb/default/databases", &admin).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{resp}");
    let dialed = tokio::time::timeout(std::time::Duration::from_millis(500), watch.accept()).await;
    assert!(dialed.is_err(), "the denied member was dialed");
}
