//! Pub/Sub over WebSocket against a real redis-server.

mod common;

use std::time::Duration;

use common::{Redis, TestApp};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(app: &TestApp, query: &str) -> Socket {
    let url = format!("{}/api/platform/redis/default/pubsub/subscribe?{query}", app.base.replace("http://", "ws://"));
    let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket connects");
    socket
}

/// The next JSON text message, skipping pings.
async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message in time")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

fn pubsub_clients(redis: &Redis) -> usize {
    redis.cli(&["CLIENT", "LIST", "TYPE", "pubsub"]).lines().filter(|l| !l.trim().is_empty()).count()
}

#[tokio::test]
async fn subscribers_receive_publishes_and_release_their_connection() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;

    // One socket by channel (token in the query), one by pattern (token as a subprotocol).
    let mut by_channel = open(&app, &format!("channels=news&access_token={viewer}")).await;
    assert_eq!(next_json(&mut by_channel).await["type"], "subscribed");
    let url =
        format!("{}/api/platform/redis/default/pubsub/subscribe?patterns=ne*", app.base.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", format!("switchboard, bearer.{viewer}").parse().unwrap());
    let (mut by_pattern, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "switchboard");
    assert_eq!(next_json(&mut by_pattern).await["patterns"], json!(["ne*"]));
    assert_eq!(pubsub_clients(&redis), 2, "one dedicated Redis connection per socket");

    // The channel list shows the subscription; the pattern count rides in a header.
    let r = app
        .http
        .get(format!("{}/api/platform/redis/default/pubsub/channels", app.base))
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-pubsub-pattern-subscriptions"], "1");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["data"], json!([{"channel": "news", "subscribers": 1, "pattern": false}]));

    // Viewers cannot publish; developers can.
    assert_eq!(
        app.post("/api/platform/redis/default/pubsub/publish", &viewer, json!({"channel": "news", "message": "x"}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (s, published) = app
        .post(
            "/api/platform/redis/default/pubsub/publish",
            &admin,
            json!({"channel": "news", "message": {"hello": "world"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{published}");
    assert_eq!(published["data"]["subscribers_reached"], 2);
    let got = next_json(&mut by_channel).await;
    assert_eq!(got, json!({"type": "message", "channel": "news", "data": "{\"hello\":\"world\"}"}));
    let got = next_json(&mut by_pattern).await;
    assert_eq!(got, json!({"type": "message", "channel": "news", "pattern": "ne*", "data": "{\"hello\":\"world\"}"}));

    // Invalid client messages get an error, not a dropped socket; unsubscribe stops delivery.
    by_channel.send(Message::Text("not json".into())).await.unwrap();
    assert_eq!(next_json(&mut by_channel).await["type"], "error");
    by_channel.send(Message::Text(json!({"type": "fly", "channels": ["x"]}).to_string().into())).await.unwrap();
    assert_eq!(next_json(&mut by_channel).await["type"], "error");
    by_channel
        .send(Message::Text(json!({"type": "unsubscribe", "channels": ["news"]}).to_string().into()))
        .await
        .unwrap();
    assert_eq!(next_json(&mut by_channel).await["type"], "unsubscribed");
    by_channel
        .send(Message::Text(json!({"type": "subscribe", "channels": ["other"]}).to_string().into()))
        .await
        .unwrap();
    assert_eq!(next_json(&mut by_channel).await["type"], "subscribed");
    let (_, published) = app
        .post("/api/platform/redis/default/pubsub/publish", &admin, json!({"channel": "news", "message": "second"}))
        .await;
    assert_eq!(published["data"]["subscribers_reached"], 1, "only the pattern socket still listens to news");
    app.post("/api/platform/redis/default/pubsub/publish", &admin, json!({"channel": "other", "message": "third"}))
        .await;
    assert_eq!(next_json(&mut by_channel).await["data"], "third", "the channel socket got `other`, not `news`");

    // Closing a socket releases its Redis connection.
    by_channel.close(None).await.unwrap();
    by_pattern.close(None).await.unwrap();
    let mut remaining = usize::MAX;
    for _ in 0..100 {
        remaining = pubsub_clients(&redis);
        if remaining == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(remaining, 0, "subscriber connections left open");
}

#[tokio::test]
async fn sockets_need_a_valid_token() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let url =
        format!("{}/api/platform/redis/default/pubsub/subscribe?channels=a", app.base.replace("http://", "ws://"));
    let err = tokio_tungstenite::connect_async(url.clone()).await.unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    let err = tokio_tungstenite::connect_async(format!("{url}&access_token=forged")).await.unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    let outsider = app.user_with_role(&admin, "out@example.com", "", "").await;
    let err = tokio_tungstenite::connect_async(format!("{url}&access_token={outsider}")).await.unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
}

#[tokio::test]
async fn the_handshake_never_echoes_the_token() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let url =
        format!("{}/api/platform/redis/default/pubsub/subscribe?channels=a", app.base.replace("http://", "ws://"));
    let offering = |protocols: String| {
        let mut request = url.clone().into_client_request().unwrap();
        request.headers_mut().insert("sec-websocket-protocol", protocols.parse().unwrap());
        request
    };

    // The token first, ours second: the answer is ours.
    let (socket, response) = tokio_tungstenite::connect_async(offering(format!("bearer.{admin}, switchboard")))
        .await
        .expect("websocket connects");
    assert_eq!(response.headers()["sec-websocket-protocol"], "switchboard");
    drop(socket);

    // Only the token: refused with a reason, and the token is not in the answer.
    let err = tokio_tungstenite::connect_async(offering(format!("bearer.{admin}"))).await.unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(response) = err else { panic!("expected an HTTP answer: {err}") };
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    for (name, value) in response.headers() {
        assert!(!value.as_bytes().windows(admin.len()).any(|w| w == admin.as_bytes()), "the token is echoed in {name}");
    }
    let body: Value = serde_json::from_slice(response.body().as_deref().unwrap_or_default()).unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("switchboard"), "{body}");
}

#[tokio::test]
async fn a_slow_client_is_told_what_it_missed() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let mut socket = open(&app, &format!("channels=flood&access_token={admin}")).await;
    assert_eq!(next_json(&mut socket).await["type"], "subscribed");

    // Publish far more than the queue and the socket buffers hold while the client reads nothing.
    let mut conn = redis::Client::open(format!("redis://127.0.0.1:{}/", redis.port))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let payload = "x".repeat(2048);
    for _ in 0..20 {
        let mut pipe = redis::pipe();
        for _ in 0..1000 {
            pipe.cmd("PUBLISH").arg("flood").arg(&payload).ignore();
        }
        let _: () = pipe.query_async(&mut conn).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut received = 0u64;
    let mut missed = 0u64;
    while received + missed < 20_000 {
        let msg = next_json(&mut socket).await;
        match msg["type"].as_str() {
            Some("message") => received += 1,
            Some("missed") => missed += msg["count"].as_u64().unwrap(),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(missed > 0, "a slow client must lose messages rather than grow memory");
    assert_eq!(received + missed, 20_000, "every message is either delivered or counted as missed");
}

/// Waits for the server to close the socket and returns its close frame's code and reason.
async fn closed_by_server(socket: &mut Socket) -> (u16, String) {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("the server closes the socket in time");
        match msg {
            Some(Ok(Message::Close(Some(frame)))) => return (frame.code.into(), frame.reason.to_string()),
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => return (0, String::new()),
            Some(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn revoking_a_token_or_removing_a_member_closes_their_sockets_at_once() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let member = app.user_with_role(&admin, "member@example.com", "default", "developer").await;
    let (s, created) =
        app.post("/api/platform/projects/default/tokens", &member, json!({"name": "ws", "role": "viewer"})).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let token = created["data"]["secret"].as_str().unwrap().to_string();
    let token_id = created["data"]["id"].as_str().unwrap().to_string();

    let mut by_token = open(&app, &format!("channels=news&access_token={token}")).await;
    assert_eq!(next_json(&mut by_token).await["type"], "subscribed");
    let mut by_member = open(&app, &format!("channels=news&access_token={member}")).await;
    assert_eq!(next_json(&mut by_member).await["type"], "subscribed");

    // Revoking the token closes its socket (well within the 20 s heartbeat), not the member's.
    let (s, _) = app.delete(&format!("/api/platform/projects/default/tokens/{token_id}"), &admin).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(closed_by_server(&mut by_token).await, (1008, "access revoked".to_string()));
    let publish = json!({"channel": "news", "message": "still here"});
    let (s, _) = app.post("/api/platform/redis/default/pubsub/publish", &admin, publish).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(next_json(&mut by_member).await["data"], "still here");

    // Removing the member closes theirs.
    let (_, members) = app.get("/api/platform/projects/default/members", &admin).await;
    let member_id = members["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "member@example.com")
        .unwrap_or_else(|| panic!("member listed: {members}"))["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = app.delete(&format!("/api/platform/projects/default/members/{member_id}"), &admin).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(closed_by_server(&mut by_member).await, (1008, "access revoked".to_string()));
}
