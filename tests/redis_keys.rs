//! The Redis data API against a real redis-server: every type, paging, binary values, TTLs, roles,
//! server info and stats, and an outage.

mod common;

use std::collections::HashSet;

use base64::Engine as _;
use common::{Redis, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn setup(redis: &Redis) -> (TestApp, String) {
    TestApp::with_redis(redis.port).await
}

async fn direct(redis: &Redis) -> redis::aio::MultiplexedConnection {
    redis::Client::open(format!("redis://127.0.0.1:{}/", redis.port))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

const KEYS: &str = "/api/platform/redis/default/keys";

#[tokio::test]
async fn every_type_round_trips() {
    let redis = Redis::start(None);
    let (app, admin) = setup(&redis).await;
    let cases = [
        ("string", json!("hello"), "value", json!("hello")),
        ("hash", json!({"a": "1", "b": "2"}), "fields", json!({"a": "1", "b": "2"})),
        ("list", json!(["x", "y", "z"]), "values", json!(["x", "y", "z"])),
        ("set", json!(["only"]), "members", json!(["only"])),
        (
            "zset",
            json!([{"member": "m1", "score": 1.5}, {"member": "m2", "score": 3}]),
            "members",
            json!([{"member": "m1", "score": 1.5}, {"member": "m2", "score": 3.0}]),
        ),
    ];
    for (kind, value, field, expected) in cases {
        let path = format!("{KEYS}/t:{kind}");
        let (s, created) = app.post(&path, &admin, json!({"type": kind, "value": value, "ttl": 100})).await;
        assert_eq!(s, StatusCode::CREATED, "{kind}: {created}");
        let (s, got) = app.get(&path, &admin).await;
        assert_eq!(s, StatusCode::OK, "{got}");
        let data = &got["data"];
        assert_eq!(data["type"], kind);
        assert_eq!(data[field], expected, "{kind}: {data}");
        assert!(data["ttl"].as_i64().unwrap() > 90 && data["ttl"].as_i64().unwrap() <= 100, "{data}");
        assert!(data["size"].as_i64().unwrap() > 0);
        assert!(data["encoding"].is_string());
        assert_eq!(data["value_encoding"], "utf8");

        // Persist, then expire again.
        let (s, _) = app.post(&format!("{path}/expire"), &admin, json!({"ttl": -1})).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(app.get(&path, &admin).await.1["data"]["ttl"], -1);
        assert_eq!(app.post(&format!("{path}/expire"), &admin, json!({"ttl": 0})).await.0, StatusCode::BAD_REQUEST);
        assert_eq!(app.post(&format!("{path}/expire"), &admin, json!({"ttl": 50})).await.0, StatusCode::OK);
    }
    // PUT replaces each type's value, keeping its TTL.
    let replacements = [
        ("string", json!("bye"), "value", json!("bye")),
        ("hash", json!({"z": "26"}), "fields", json!({"z": "26"})),
        ("list", json!(["q"]), "values", json!(["q"])),
        ("set", json!(["s1", "s2"]), "members", json!(["s1", "s2"])),
        ("zset", json!([{"member": "top", "score": 9}]), "members", json!([{"member": "top", "score": 9.0}])),
    ];
    for (kind, value, field, expected) in replacements {
        let path = format!("{KEYS}/t:{kind}");
        let (s, updated) = app.put(&path, &admin, json!({"value": value})).await;
        assert_eq!(s, StatusCode::OK, "{kind}: {updated}");
        let mut got = updated["data"][field].clone();
        if let Some(members) = got.as_array_mut() {
            members.sort_by_key(|m| m.to_string());
        }
        assert_eq!(got, expected, "{kind}: {updated}");
        assert!(updated["data"]["ttl"].as_i64().unwrap() > 0, "{kind} kept its TTL: {updated}");
    }
    // Streams: create with one entry, PUT appends.
    let path = format!("{KEYS}/t:stream");
    let (s, created) =
        app.post(&path, &admin, json!({"type": "stream", "value": {"event": "signup", "user": "42"}})).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let (s, updated) = app.put(&path, &admin, json!({"value": {"event": "login"}})).await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    let entries = updated["data"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["fields"], json!({"event": "signup", "user": "42"}));
    assert!(entries[0]["id"].as_str().unwrap().contains('-'));
    assert_eq!(app.post(&format!("{path}/expire"), &admin, json!({"ttl": 30})).await.0, StatusCode::OK);
    assert!(app.get(&path, &admin).await.1["data"]["ttl"].as_i64().unwrap() > 0);
    assert_eq!(app.post(&format!("{path}/expire"), &admin, json!({"ttl": -1})).await.0, StatusCode::OK);
    assert_eq!(app.get(&path, &admin).await.1["data"]["ttl"], -1);

    // PUT replaces a value atomically and keeps the TTL when none is given.
    let path = format!("{KEYS}/t:hash");
    let (s, updated) = app.put(&path, &admin, json!({"value": {"c": "3"}})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(updated["data"]["fields"], json!({"c": "3"}));
    assert!(updated["data"]["ttl"].as_i64().unwrap() > 0, "TTL kept: {updated}");
    let (_, updated) = app.put(&path, &admin, json!({"ttl": 500})).await;
    assert!(updated["data"]["ttl"].as_i64().unwrap() > 400);
    assert_eq!(app.put(&format!("{KEYS}/t:missing"), &admin, json!({"value": "x"})).await.0, StatusCode::NOT_FOUND);

    // nx on an existing key and xx on a missing one are conflicts.
    let (s, body) = app.post(&format!("{KEYS}/t:string"), &admin, json!({"value": "again", "nx": true})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    let (s, _) = app.post(&format!("{KEYS}/t:nothing"), &admin, json!({"value": "x", "xx": true})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(app.get(&format!("{KEYS}/t:nothing"), &admin).await.0, StatusCode::NOT_FOUND);

    // Bad shapes are 400s.
    for body in [
        json!({"type": "hash", "value": ["a"]}),
        json!({"type": "list", "value": []}),
        json!({"type": "blob", "value": "x"}),
        json!({"value": "x", "ttl": -5}),
    ] {
        let (s, resp) = app.post(&format!("{KEYS}/t:bad"), &admin, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {resp}");
    }

    // The listing shows all six with their types; a type filter narrows it.
    let (_, page) = app.get(&format!("{KEYS}?pattern=t:*&count=1000"), &admin).await;
    let mut types: Vec<String> =
        page["data"]["keys"].as_array().unwrap().iter().map(|k| k["type"].as_str().unwrap().to_string()).collect();
    types.sort();
    assert_eq!(types, ["hash", "list", "set", "stream", "string", "zset"]);
    let (_, page) = app.get(&format!("{KEYS}?pattern=t:*&count=1000&type=zset"), &admin).await;
    assert_eq!(page["data"]["keys"].as_array().unwrap().len(), 1);
    assert_eq!(app.get(&format!("{KEYS}?type=blob"), &admin).await.0, StatusCode::BAD_REQUEST);

    for kind in ["string", "hash", "list", "set", "zset", "stream"] {
        assert_eq!(app.delete(&format!("{KEYS}/t:{kind}"), &admin).await.0, StatusCode::NO_CONTENT);
        assert_eq!(app.get(&format!("{KEYS}/t:{kind}"), &admin).await.0, StatusCode::NOT_FOUND);
    }
    assert_eq!(app.delete(&format!("{KEYS}/t:string"), &admin).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn binary_keys_and_values_round_trip() {
    let redis = Redis::start(None);
    let (app, admin) = setup(&redis).await;
    let bytes: Vec<u8> = (0u8..=255).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    // A key with a slash, a space and a non-UTF-8 byte, percent-encoded in the path.
    let path = format!("{KEYS}/bin%2Fkey%20%FF");
    let (s, body) = app.post(&path, &admin, json!({"value": b64, "value_encoding": "base64"})).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let mut conn = direct(&redis).await;
    let stored: Vec<u8> = redis::cmd("GET").arg(b"bin/key \xff".as_slice()).query_async(&mut conn).await.unwrap();
    assert_eq!(stored, bytes, "stored byte for byte");
    let (_, got) = app.get(&path, &admin).await;
    assert_eq!(got["data"]["value_encoding"], "base64");
    assert_eq!(got["data"]["value"], b64);
    assert_eq!(got["data"]["key_encoding"], "base64");
    let (_, page) = app.get(&format!("{KEYS}?pattern=bin*"), &admin).await;
    assert_eq!(page["data"]["keys"][0]["key"], base64::engine::general_purpose::STANDARD.encode(b"bin/key \xff"));

    // A big string comes back as a preview unless asked for whole.
    let big = "x".repeat(1024 * 1024 + 10);
    let _: () = redis::cmd("SET").arg("big").arg(&big).query_async(&mut conn).await.unwrap();
    let (_, got) = app.get(&format!("{KEYS}/big"), &admin).await;
    assert_eq!(got["data"]["truncated"], true);
    assert_eq!(got["data"]["length"], big.len());
    assert_eq!(got["data"]["value"].as_str().unwrap().len(), 1024 * 1024);
    let (_, got) = app.get(&format!("{KEYS}/big?full=true"), &admin).await;
    assert_eq!(got["data"]["truncated"], false);
    assert_eq!(got["data"]["value"].as_str().unwrap().len(), big.len());
}

#[tokio::test]
async fn big_collections_page_and_scan_visits_every_key_once() {
    let redis = Redis::start(None);
    let (app, admin) = setup(&redis).await;
    let mut conn = direct(&redis).await;
    for chunk in 0..100 {
        let mut hset = redis::cmd("HSET");
        hset.arg("bighash");
        let mut rpush = redis::cmd("RPUSH");
        rpush.arg("biglist");
        let mut mset = redis::cmd("MSET");
        for i in chunk * 1000..(chunk + 1) * 1000 {
            hset.arg(format!("f{i}")).arg(i);
            rpush.arg(format!("v{i}"));
            if i < 50_000 {
                mset.arg(format!("k:{i}")).arg(i);
            }
        }
        let _: () = hset.query_async(&mut conn).await.unwrap();
        let _: () = rpush.query_async(&mut conn).await.unwrap();
        if chunk < 50 {
            let _: () = mset.query_async(&mut conn).await.unwrap();
        }
    }

    // HSCAN pages over 100,000 fields.
    let mut fields = HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let (s, page) = app.get(&format!("{KEYS}/bighash?cursor={cursor}&count=1000"), &admin).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(page["data"]["length"], 100_000);
        fields.extend(page["data"]["fields"].as_object().unwrap().keys().cloned());
        cursor = page["data"]["cursor"].as_str().unwrap().to_string();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(fields.len(), 100_000);

    // LRANGE pages over 100,000 elements.
    let mut seen = 0;
    let mut start = 0;
    while start < 100_000 {
        let (_, page) = app.get(&format!("{KEYS}/biglist?start={start}&stop={}", start + 999), &admin).await;
        let values = page["data"]["values"].as_array().unwrap();
        assert_eq!(values[0], format!("v{start}"));
        seen += values.len();
        start += 1000;
    }
    assert_eq!(seen, 100_000);

    // SCAN pages over 50,000 keys: each exactly once.
    let mut keys = HashSet::new();
    let mut total = 0;
    let mut cursor = "0".to_string();
    loop {
        let (s, page) = app.get(&format!("{KEYS}?pattern=k:*&count=1000&cursor={cursor}"), &admin).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        for k in page["data"]["keys"].as_array().unwrap() {
            assert_eq!(k["type"], "string");
            assert_eq!(k["ttl"], -1);
            keys.insert(k["key"].as_str().unwrap().to_string());
            total += 1;
        }
        cursor = page["data"]["cursor"].as_str().unwrap().to_string();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(keys.len(), 50_000);
    assert_eq!(total, 50_000, "no key was returned twice");
}

#[tokio::test]
async fn ranges_never_return_more_than_a_page() {
    let redis = Redis::start(None);
    let (app, admin) = setup(&redis).await;
    let mut conn = direct(&redis).await;
    let (mut rpush, mut zadd, mut xadd) = (redis::cmd("RPUSH"), redis::cmd("ZADD"), redis::pipe());
    rpush.arg("longlist");
    zadd.arg("longzset");
    for i in 0..5000 {
        rpush.arg(format!("v{i}"));
        zadd.arg(i).arg(format!("m{i}"));
        xadd.cmd("XADD").arg("longstream").arg("*").arg("n").arg(i).ignore();
    }
    let _: () = rpush.query_async(&mut conn).await.unwrap();
    let _: () = zadd.query_async(&mut conn).await.unwrap();
    let _: () = xadd.query_async(&mut conn).await.unwrap();

    // The whole list or sorted set (stop=-1), or a stop far past the cap, is cut to one page and
    // says so; `stop` is the last index read, so the next page starts right after it.
    for (key, field) in [("longlist", "values"), ("longzset", "members")] {
        for query in ["start=0&stop=-1", "start=0&stop=4999", "start=0&stop=9223372036854775807"] {
            let (s, page) = app.get(&format!("{KEYS}/{key}?{query}"), &admin).await;
            assert_eq!(s, StatusCode::OK, "{page}");
            let data = &page["data"];
            assert_eq!(data[field].as_array().unwrap().len(), 1000, "{key}?{query}");
            assert_eq!((data["start"].as_i64(), data["stop"].as_i64()), (Some(0), Some(999)), "{key}?{query}");
            assert_eq!(data["clamped"], true, "{key}?{query}");
            assert_eq!(data["length"], 5000);
        }
        // Negative indexes count from the tail and are reported from the head.
        let (_, page) = app.get(&format!("{KEYS}/{key}?start=-3000&stop=-1"), &admin).await;
        let data = &page["data"];
        assert_eq!(data[field].as_array().unwrap().len(), 1000);
        assert_eq!(
            (data["start"].as_i64(), data["stop"].as_i64(), data["clamped"].as_bool()),
            (Some(2000), Some(2999), Some(true))
        );
        let (_, page) = app.get(&format!("{KEYS}/{key}?start=-10&stop=-1"), &admin).await;
        let data = &page["data"];
        assert_eq!(data[field].as_array().unwrap().len(), 10);
        assert_eq!(
            (data["start"].as_i64(), data["stop"].as_i64(), data["clamped"].as_bool()),
            (Some(4990), Some(4999), Some(false))
        );
    }
    let (_, page) = app.get(&format!("{KEYS}/longlist?start=4500&stop=-1"), &admin).await;
    assert_eq!(page["data"]["values"].as_array().unwrap().len(), 500);
    assert_eq!(page["data"]["values"][0], "v4500");

    // Streams and scans take a count, which is capped the same way.
    let (_, page) = app.get(&format!("{KEYS}/longstream?count=100000"), &admin).await;
    assert_eq!(page["data"]["entries"].as_array().unwrap().len(), 1000, "{}", page["data"]["length"]);
}

#[tokio::test]
async fn viewers_cannot_write_and_info_and_stats_answer() {
    let redis = Redis::start(None);
    let (app, admin) = setup(&redis).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    app.post(&format!("{KEYS}/k"), &admin, json!({"value": "v"})).await;
    assert_eq!(app.get(&format!("{KEYS}/k"), &viewer).await.0, StatusCode::OK);
    assert_eq!(app.get(KEYS, &viewer).await.0, StatusCode::OK);
    let writes = [
        app.post(&format!("{KEYS}/k2"), &viewer, json!({"value": "v"})).await.0,
        app.put(&format!("{KEYS}/k"), &viewer, json!({"value": "v"})).await.0,
        app.delete(&format!("{KEYS}/k"), &viewer).await.0,
        app.post(&format!("{KEYS}/k/expire"), &viewer, json!({"ttl": 5})).await.0,
    ];
    assert!(writes.iter().all(|s| *s == StatusCode::FORBIDDEN), "{writes:?}");

    let (s, info) = app.get("/api/platform/redis/default/info", &viewer).await;
    assert_eq!(s, StatusCode::OK, "{info}");
    let data = &info["data"];
    assert!(data["server"]["version"].as_str().unwrap().starts_with('7'));
    assert_eq!(data["server"]["mode"], "standalone");
    assert!(data["memory"]["used_memory"].is_number());
    assert!(data["stats"]["hit_rate"].is_number());
    assert_eq!(data["replication"]["role"], "master");
    assert!(data["sections"]["server"].is_object());

    let (s, sample) = app.get("/api/platform/redis/default/stats", &viewer).await;
    assert_eq!(s, StatusCode::OK);
    assert!(sample["data"]["used_memory"].as_f64().unwrap() > 0.0);
    assert_eq!(sample["data"]["keys"]["db0"], 1);
    let mut r = app
        .http
        .get(format!("{}/api/platform/redis/default/stats?interval=1", app.base))
        .bearer_auth(&viewer)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = r.chunk().await.unwrap().expect("stream ended early");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("event: sample"), "{text}");
    let json_line = text.lines().find(|l| l.starts_with("data: ")).unwrap();
    let sample: Value = serde_json::from_str(&json_line[6..]).unwrap();
    assert!(sample["connected_clients"].as_f64().unwrap() >= 1.0);
    assert_eq!(app.get("/api/platform/redis/default/stats?interval=0", &viewer).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_outage_gives_503_and_recovery_gives_200() {
    let mut redis = Redis::start(None);
    let (app, admin) = setup(&redis).await;
    assert_eq!(app.post(&format!("{KEYS}/a"), &admin, json!({"value": "1"})).await.0, StatusCode::CREATED);
    redis.kill();
    let started = std::time::Instant::now();
    let (s, body) = app.get(&format!("{KEYS}/a"), &admin).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "CONNECTION_ERROR");
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    redis.restart();
    let mut recovered = false;
    for _ in 0..50 {
        let (s, _) = app.get(&format!("{KEYS}?count=10"), &admin).await;
        if s == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(recovered, "no 200 after Redis came back");
}

#[tokio::test]
async fn a_write_that_times_out_has_an_unknown_outcome() {
    let redis = Redis::start(None);
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let body = json!({"identifier": "slow", "host": "127.0.0.1", "port": redis.port,
        "options": {"command_timeout_ms": 300}});
    let (s, created) = app.post("/api/platform/redis/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    // A first write opens the pool and loads the write script, so the write below is one EVALSHA.
    assert_eq!(app.post(&format!("{KEYS}/early"), &admin, json!({"value": "0"})).await.0, StatusCode::CREATED);

    // Redis holds every write for 2 s: ours is sent, gets no answer within 300 ms, and then runs.
    assert_eq!(redis.cli(&["CLIENT", "PAUSE", "2000", "WRITE"]), "OK");
    let (s, body) = app.post(&format!("{KEYS}/late"), &admin, json!({"value": "1"})).await;
    assert_eq!(s, StatusCode::GATEWAY_TIMEOUT, "{body}");
    assert_eq!(body["error"]["code"], "OUTCOME_UNKNOWN");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("may or may not have been applied"), "{message}");
    let mut applied = String::new();
    for _ in 0..50 {
        applied = redis.cli(&["GET", "late"]);
        if applied == "1" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(applied, "1", "the write said to have an unknown outcome did happen");

    // The audit trail says so too, rather than calling it a failure.
    let (s, log) = app.get("/api/platform/projects/default/audit?limit=50", &admin).await;
    assert_eq!(s, StatusCode::OK, "{log}");
    let entry = log["data"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["target"] == "late")
        .cloned()
        .expect("an audit record of the write");
    assert_eq!((entry["outcome"].as_str(), entry["status"].as_u64()), (Some("unknown"), Some(504)), "{entry}");

    // A read that times out changed nothing: it stays a plain connection error.
    assert_eq!(redis.cli(&["CLIENT", "PAUSE", "1000", "ALL"]), "OK");
    let (s, body) = app.get(&format!("{KEYS}/late"), &admin).await;
    assert_eq!((s, body["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("CONNECTION_ERROR")));
}

#[tokio::test]
async fn elements_of_collections_are_edited_in_place() {
    let redis = Redis::start(None);
    let (app, admin) = setup(&redis).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let create = |kind: &str, value: Value| {
        let app = &app;
        let admin = admin.clone();
        let path = format!("{KEYS}/e:{kind}");
        let kind = kind.to_string();
        async move {
            let (s, body) = app.post(&path, &admin, json!({"type": kind, "value": value, "ttl": 300})).await;
            assert_eq!(s, StatusCode::CREATED, "{body}");
        }
    };
    create("hash", json!({"a": "1", "b": "2"})).await;
    create("list", json!(["x", "y", "x"])).await;
    create("set", json!(["s1", "s2"])).await;
    create("zset", json!([{"member": "m1", "score": 1}])).await;
    create("stream", json!({"f": "v"})).await;

    let (s, hash) = app
        .call(
            Method::PATCH,
            &format!("{KEYS}/e:hash"),
            Some(&admin),
            Some(json!({"set": {"b": "20", "c": "3"}, "remove": ["a"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{hash}");
    assert_eq!(hash["data"]["fields"], json!({"b": "20", "c": "3"}));
    assert!(hash["data"]["ttl"].as_i64().unwrap() > 0, "the TTL stays");
    let (_, list) = app
        .call(
            Method::PATCH,
            &format!("{KEYS}/e:list"),
            Some(&admin),
            Some(json!({"set_index": {"index": 1, "value": "Y"}, "add": ["z"], "remove": ["x"]})),
        )
        .await;
    assert_eq!(list["data"]["values"], json!(["Y", "z"]));
    let (_, set) = app
        .call(Method::PATCH, &format!("{KEYS}/e:set"), Some(&admin), Some(json!({"add": ["s3"], "remove": ["s1"]})))
        .await;
    let mut members: Vec<String> =
        set["data"]["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_string()).collect();
    members.sort();
    assert_eq!(members, ["s2", "s3"]);
    let (_, zset) = app
        .call(
            Method::PATCH,
            &format!("{KEYS}/e:zset"),
            Some(&admin),
            Some(json!({"add": [{"member": "m2", "score": 0.5}, {"member": "m1", "score": 9}]})),
        )
        .await;
    assert_eq!(zset["data"]["members"], json!([{"member": "m2", "score": 0.5}, {"member": "m1", "score": 9.0}]));
    let (_, stream) = app.get(&format!("{KEYS}/e:stream"), &admin).await;
    let id = stream["data"]["entries"][0]["id"].as_str().unwrap().to_string();
    let (_, stream) =
        app.call(Method::PATCH, &format!("{KEYS}/e:stream"), Some(&admin), Some(json!({"remove": [id]}))).await;
    assert_eq!(stream["data"]["length"], 0);

    // Edits that do not fit the type, missing keys, strings and viewers are refused.
    let (s, body) =
        app.call(Method::PATCH, &format!("{KEYS}/e:set"), Some(&admin), Some(json!({"set": {"a": "1"}}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    app.post(&format!("{KEYS}/e:string"), &admin, json!({"value": "v"})).await;
    assert_eq!(
        app.call(Method::PATCH, &format!("{KEYS}/e:string"), Some(&admin), Some(json!({"add": ["x"]}))).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.call(Method::PATCH, &format!("{KEYS}/e:missing"), Some(&admin), Some(json!({"add": ["x"]}))).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call(Method::PATCH, &format!("{KEYS}/e:hash"), Some(&viewer), Some(json!({"remove": ["b"]}))).await.0,
        StatusCode::FORBIDDEN
    );
    // Removing the last member removes the key, as Redis does.
    let (s, body) =
        app.call(Method::PATCH, &format!("{KEYS}/e:set"), Some(&admin), Some(json!({"remove": ["s2", "s3"]}))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["data"]["deleted"], true);
}

/// Sets `<prefix>:0` … `<prefix>:<n-1>` (DEBUG POPULATE is disabled on a default server).
async fn populate(redis: &Redis, prefix: &str, n: usize) {
    let mut conn = direct(redis).await;
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut cmd = redis::cmd("MSET");
        for i in chunk {
            cmd.arg(format!("{prefix}:{i}")).arg("v");
        }
        let _: () = cmd.query_async(&mut conn).await.unwrap();
    }
}

/// Every key a listing walk returns for `pattern`, following the cursor to the end, and the keys
/// examined on the way.
async fn walk(app: &TestApp, token: &str, pattern: &str, count: u32) -> (Vec<String>, u64, usize) {
    let encoded = percent_encoding::utf8_percent_encode(pattern, percent_encoding::NON_ALPHANUMERIC).to_string();
    let (mut keys, mut examined, mut requests) = (Vec::new(), 0, 0);
    let mut cursor = "0".to_string();
    loop {
        let (s, page) = app.get(&format!("{KEYS}?pattern={encoded}&count={count}&cursor={cursor}"), token).await;
        assert_eq!(s, StatusCode::OK, "{pattern}: {page}");
        requests += 1;
        examined += page["data"]["total_scanned"].as_u64().unwrap();
        keys.extend(page["data"]["keys"].as_array().unwrap().iter().map(|k| k["key"].as_str().unwrap().to_string()));
        cursor = page["data"]["cursor"].as_str().unwrap().to_string();
        if cursor == "0" {
            return (keys, examined, requests);
        }
    }
}

#[tokio::test]
async fn a_rare_pattern_fills_its_page_in_one_request() {
    let redis = Redis::start(None);
    populate(&redis, "hay", 100_000).await;
    for i in 0..10 {
        redis.cli(&["SET", &format!("needle:{i}"), "x"]);
    }
    // The time budget is lifted here so only the keys budget (200,000) applies: a loaded machine
    // running a debug build must not turn this into a test of speed.
    let app = TestApp::start_with(common::AppOptions {
        env: vec![("SWITCHBOARD_REDIS_SCAN_MS".into(), "600000".into())],
        ..Default::default()
    })
    .await;
    let admin = app.admin_token().await;
    let body = json!({"identifier": "cache", "host": "127.0.0.1", "port": redis.port});
    assert_eq!(app.post("/api/platform/redis/default/connections", &admin, body).await.0, StatusCode::CREATED);
    // 10 matches among 100,010 keys: one request finds them all and says how many it examined.
    let (s, page) = app.get(&format!("{KEYS}?pattern=needle:*&count=100"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let mut found: Vec<&str> =
        page["data"]["keys"].as_array().unwrap().iter().map(|k| k["key"].as_str().unwrap()).collect();
    found.sort();
    assert_eq!(
        found,
        (0..10).map(|i| format!("needle:{i}")).collect::<Vec<_>>().iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(page["data"]["cursor"], "0", "the walk is complete");
    assert_eq!(page["data"]["total_scanned"], 100_010, "every key was examined once");

    // A small page of a common pattern stops near its count and resumes exactly.
    let (keys, examined, requests) = walk(&app, &admin, "hay:1*", 500).await;
    let expected = (0..100_000).filter(|i| i.to_string().starts_with('1')).count();
    assert_eq!(keys.len(), expected);
    assert_eq!(keys.iter().collect::<HashSet<_>>().len(), expected, "no key twice");
    assert_eq!(examined, 100_010);
    assert!(requests > 1, "pages of about 500");
}

#[tokio::test]
async fn a_spent_budget_answers_with_a_cursor_that_resumes_exactly() {
    let redis = Redis::start(None);
    populate(&redis, "hay", 20_000).await;
    for i in 0..10 {
        redis.cli(&["SET", &format!("needle:{i}"), "x"]);
    }
    let app = TestApp::start_with(common::AppOptions {
        env: vec![("SWITCHBOARD_REDIS_SCAN_KEYS".into(), "2000".into())],
        ..Default::default()
    })
    .await;
    let admin = app.admin_token().await;
    let body = json!({"identifier": "cache", "host": "127.0.0.1", "port": redis.port});
    assert_eq!(app.post("/api/platform/redis/default/connections", &admin, body).await.0, StatusCode::CREATED);
    let (s, page) = app.get(&format!("{KEYS}?pattern=needle:*&count=100"), &admin).await;
    assert_eq!(s, StatusCode::OK);
    let examined = page["data"]["total_scanned"].as_u64().unwrap();
    assert!(examined <= 3000 && page["data"]["cursor"] != "0", "the budget stopped the walk: {examined}");
    let (keys, examined, requests) = walk(&app, &admin, "needle:*", 100).await;
    assert_eq!(keys.iter().collect::<HashSet<_>>().len(), 10, "{keys:?}");
    assert_eq!(keys.len(), 10, "no key twice");
    assert_eq!(examined, 20_010);
    assert!(requests >= 7, "the budget of 2,000 keys a request held: {requests} requests");
}

#[tokio::test]
async fn patterns_match_exactly_what_redis_matches() {
    let redis = Redis::start(None);
    let names = [
        "user:1", "user:12", "users:1", "hello", "hallo", "hxllo", "hllo", "a*b", "a\\b", "a?b", "[x]", "x-y", "UPPER",
        "a]b", "-", "^x", "abc", "ab", "a",
    ];
    for name in names {
        redis.cli(&["SET", name, "v"]);
    }
    let (app, admin) = setup(&redis).await;
    let patterns = [
        "*",
        "user:*",
        "user:?",
        "h?llo",
        "h[ae]llo",
        "h[^e]llo",
        "h[a-x]llo",
        "h[x-a]llo",
        "a\\*b",
        "a\\?b",
        "a\\\\b",
        "\\[x\\]",
        "[[]x]",
        "x[-]y",
        "*[",
        "[^a-z]*",
        "a[",
        "a]*",
        "*b",
        "?",
        "??",
        "*\\",
        "[a-]b",
        "UPP?R",
        "upper",
        "^*",
    ];
    for pattern in patterns {
        let server = redis.cli(&["--scan", "--pattern", pattern]);
        let mut expected: Vec<&str> = server.lines().filter(|l| !l.is_empty()).collect();
        expected.sort();
        let (mut ours, _, _) = walk(&app, &admin, pattern, 1000).await;
        ours.sort();
        assert_eq!(ours, expected, "pattern {pattern:?}");
    }
}
