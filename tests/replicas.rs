//! Two replicas on one PostgreSQL platform store behave as one: what one changes, the other sees
//! at once (LISTEN/NOTIFY, not the caches' expiry), sign-in throttling is shared, and Pub/Sub
//! subscribers on one replica receive what is published through the other.

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use common::{AppOptions, Postgres, Redis, TestApp};
use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// Longest wait for a change to reach the other replica: well under the 30 s of the auth cache
/// and the 5 min of the connection cache, so only an announcement can explain a pass.
const PROPAGATION_LIMIT: Duration = Duration::from_secs(10);

/// Polls `check` until it holds; returns how long that took.
async fn eventually<F, Fut>(what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            let took = started.elapsed();
            println!("{what}: seen by the other replica after {} ms", took.as_millis());
            return took;
        }
        assert!(started.elapsed() < PROPAGATION_LIMIT, "{what}: not seen by the other replica in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn replicas(pg: &Postgres, env: &[(&str, &str)]) -> (TestApp, TestApp) {
    pg.psql("postgres", "CREATE DATABASE platform_shared");
    let mut env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    // Replicas share the platform store, the JWT secret (TestApp's) and the encryption key.
    env.push(("SWITCHBOARD_ENCRYPTION_KEY".into(), "5a".repeat(32)));
    let options = AppOptions { platform_db: Some(pg.url("platform_shared")), env };
    let a = TestApp::start_with(options.clone()).await;
    let b = TestApp::start_with(options).await;
    (a, b)
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next JSON text message, skipping pings.
async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("a message in time");
        if let Message::Text(text) = msg.expect("socket open").expect("a frame") {
            return serde_json::from_str(text.as_str()).expect("JSON");
        }
    }
}

async fn get_key(app: &TestApp, token: &str, key: &str) -> (StatusCode, Value) {
    app.get(&format!("/api/platform/redis/default/keys/{key}"), token).await
}

#[tokio::test]
async fn connection_changes_reach_the_other_replica() {
    let pg = Postgres::start();
    let first = Redis::start(None);
    let second = Redis::start(None);
    first.cli(&["SET", "where", "first"]);
    second.cli(&["SET", "where", "second"]);
    let (a, b) = replicas(&pg, &[]).await;
    let admin = a.admin_token().await;

    // Created through A, used through B (B has cached nothing yet: no announcement needed).
    let body = json!({"identifier": "cache", "host": "127.0.0.1", "port": first.port});
    let (s, created) = a.post("/api/platform/redis/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_string();
    let (s, value) = get_key(&b, &admin, "where").await;
    assert_eq!(s, StatusCode::OK, "{value}");
    assert_eq!(value["data"]["value"], "first");

    // Updated through A: B drops its cached record and pooled client and follows.
    let path = format!("/api/platform/redis/default/connections/{id}");
    let (s, updated) = a.put(&path, &admin, json!({"port": second.port})).await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    eventually("connection update", || async { get_key(&b, &admin, "where").await.1["data"]["value"] == "second" })
        .await;

    // Deleted through A: B stops using it.
    assert_eq!(a.delete(&path, &admin).await.0, StatusCode::NO_CONTENT);
    eventually("connection delete", || async { get_key(&b, &admin, "where").await.0 == StatusCode::NOT_FOUND }).await;

    // Both replicas log no secret, and B says it followed the store's announcements.
    assert!(b.log().contains("platform change"), "B logs the changes it applied");
}

#[tokio::test]
async fn membership_and_token_changes_reach_the_other_replica() {
    let pg = Postgres::start();
    let redis = Redis::start(None);
    let (a, b) = replicas(&pg, &[]).await;
    let admin = a.admin_token().await;
    let body = json!({"identifier": "cache", "host": "127.0.0.1", "port": redis.port});
    assert_eq!(a.post("/api/platform/redis/default/connections", &admin, body).await.0, StatusCode::CREATED);

    // A viewer, cached by B as a viewer, promoted through A: B lets them write at once.
    let user = a.user_with_role(&admin, "member@example.com", "default", "viewer").await;
    let write = json!({"type": "string", "value": "v"});
    assert_eq!(b.post("/api/platform/redis/default/keys/k", &user, write.clone()).await.0, StatusCode::FORBIDDEN);
    let (_, members) = a.get("/api/platform/projects/default/members", &admin).await;
    let user_id = members["data"].as_array().unwrap().iter().find(|m| m["email"] == "member@example.com").unwrap()
        ["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, body) = a
        .post(
            "/api/platform/projects/default/members",
            &admin,
            json!({"email": "member@example.com", "role": "developer"}),
        )
        .await;
    assert!(s.is_success(), "{s} {body}");
    eventually("role change", || async {
        b.post("/api/platform/redis/default/keys/k", &user, write.clone()).await.0 == StatusCode::CREATED
    })
    .await;

    // Removed through A: B shuts them out.
    let (s, _) = a.delete(&format!("/api/platform/projects/default/members/{user_id}"), &admin).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    eventually("membership removal", || async {
        b.get("/api/platform/projects/default", &user).await.0 == StatusCode::NOT_FOUND
    })
    .await;

    // An API token used on B, revoked through A: refused on B.
    let (s, created) =
        a.post("/api/platform/projects/default/tokens", &admin, json!({"name": "ci", "role": "viewer"})).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let secret = created["data"]["secret"].as_str().unwrap().to_string();
    common::secret(&secret);
    let token_path = format!("/api/platform/projects/default/tokens/{}", created["data"]["id"].as_str().unwrap());
    assert_eq!(b.get("/api/platform/projects/default", &secret).await.0, StatusCode::OK);
    assert_eq!(a.delete(&token_path, &admin).await.0, StatusCode::NO_CONTENT);
    eventually("token revocation", || async {
        b.get("/api/platform/projects/default", &secret).await.0 == StatusCode::UNAUTHORIZED
    })
    .await;
}

#[tokio::test]
async fn sign_in_throttling_is_shared() {
    let pg = Postgres::start();
    let (a, b) = replicas(&pg, &[("SWITCHBOARD_SIGNIN_PER_MINUTE", "4")]).await;
    // Two wrong guesses on each replica use the allowance of four (per account and per address),
    // so the fifth is refused whichever replica it reaches.
    let guess = json!({"email": "victim@example.com", "password": "wrong-guess"});
    for app in [&a, &b, &a, &b] {
        let (s, body) = app.call(Method::POST, "/api/auth/token", None, Some(guess.clone())).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    }
    for app in [&a, &b] {
        let (s, body) = app.call(Method::POST, "/api/auth/token", None, Some(guess.clone())).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["error"]["code"], "RATE_LIMITED");
    }
}

#[tokio::test]
async fn subscribers_on_one_replica_receive_what_another_publishes() {
    let pg = Postgres::start();
    let redis = Redis::start(None);
    let (a, b) = replicas(&pg, &[]).await;
    let admin = a.admin_token().await;
    let body = json!({"identifier": "cache", "host": "127.0.0.1", "port": redis.port});
    assert_eq!(a.post("/api/platform/redis/default/connections", &admin, body).await.0, StatusCode::CREATED);

    let url = format!(
        "{}/api/platform/redis/default/pubsub/subscribe?channels=deploys&access_token={admin}",
        b.base.replace("http://", "ws://")
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket on B");
    assert_eq!(next_json(&mut socket).await["type"], "subscribed");
    let (s, published) = a
        .post("/api/platform/redis/default/pubsub/publish", &admin, json!({"channel": "deploys", "message": "v2"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{published}");
    assert_eq!(published["data"]["subscribers_reached"], 1);
    assert_eq!(next_json(&mut socket).await, json!({"type": "message", "channel": "deploys", "data": "v2"}));
}

#[tokio::test]
async fn request_rate_limits_are_shared_through_redis() {
    let pg = Postgres::start();
    let mut limits = Redis::start(None);
    let url = format!("redis://127.0.0.1:{}", limits.port);
    let env = [
        ("SWITCHBOARD_RATE_LIMIT_REDIS", url.as_str()),
        ("SWITCHBOARD_RATE_LIMIT_PER_SECOND", "1"),
        ("SWITCHBOARD_RATE_LIMIT_BURST", "4"),
    ];
    let (a, b) = replicas(&pg, &env).await;
    let admin = a.admin_token().await;

    // A burst of four, shared: alternating replicas does not double it. (Alone, each replica would
    // let four through.) One more may pass per second the loop takes, as the bucket refills.
    let started = Instant::now();
    let mut passed = 0;
    let mut refused_by_b = false;
    for app in [&a, &b, &a, &b, &a, &b, &a, &b] {
        match app.get("/api/platform/projects", &admin).await.0 {
            StatusCode::OK => passed += 1,
            StatusCode::TOO_MANY_REQUESTS => refused_by_b |= std::ptr::eq(app, &b),
            other => panic!("unexpected {other}"),
        }
    }
    let refills = started.elapsed().as_secs() + 1;
    assert!(passed <= 4 + refills, "{passed} requests passed: the burst was not shared");
    assert!(refused_by_b, "B refused requests A had used the allowance for");
    let buckets = limits.cli(&["--scan", "--pattern", "switchboard:ratelimit:user:*"]);
    assert_eq!(buckets.lines().count(), 1, "one bucket for the user, whichever replica: {buckets}");

    // Without the shared Redis, each replica limits on its own rather than refusing everyone.
    limits.kill();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(b.get("/healthz", &admin).await.0, StatusCode::OK);
    let (s, body) = b.get("/api/platform/projects", &admin).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(b.log().contains("shared rate limit unavailable"));
}

#[tokio::test]
async fn a_job_started_on_one_replica_is_followed_and_cancelled_on_the_other() {
    let pg = Postgres::start();
    let redis = Redis::start(None);
    for i in 0..3_000 {
        redis.cli(&["SET", &format!("k:{i}"), "v"]);
    }
    let (a, b) = replicas(&pg, &[]).await;
    let admin = a.admin_token().await;
    let body = json!({"identifier": "cache", "host": "127.0.0.1", "port": redis.port});
    let (s, created) = a.post("/api/platform/redis/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");

    // Started on A at 100 keys a second; B reads its progress from the shared store.
    let (s, started) = a.post("/api/platform/redis/default/analysis", &admin, json!({"keys_per_second": 100})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let path = format!("/api/platform/projects/default/jobs/{}", started["data"]["job_id"].as_str().unwrap());
    eventually("job progress", || async {
        b.get(&path, &admin).await.1["data"]["progress"]["done"].as_u64() > Some(0)
    })
    .await;

    // Cancelled through B: A sees the request at its next heartbeat and stops.
    let (s, body) = b.delete(&path, &admin).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    eventually("job cancel", || async { a.get(&path, &admin).await.1["data"]["state"] == "cancelled" }).await;
}
