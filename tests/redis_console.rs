//! The Redis console routes against a real redis-server: the command line (typed replies, roles
//! decided by COMMAND INFO, audit with name and key only), member search in big collections, sorted
//! sets in both orders and by score, rename, and deleting keys by pattern.

mod common;

use common::{Redis, RedisCluster, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const CMD: &str = "/api/platform/redis/default/command";
const KEYS: &str = "/api/platform/redis/default/keys";

async fn audit(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, body) = app.get("/api/platform/projects/default/audit?limit=500", token).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["data"]["entries"].as_array().unwrap().clone()
}

async fn run(app: &TestApp, token: &str, args: &[&str]) -> (StatusCode, Value) {
    app.post(CMD, token, json!({ "args": args })).await
}

#[tokio::test]
async fn command_line_answers_typed_replies() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    assert_eq!(run(&app, &admin, &["SET", "greeting", "hello"]).await.1["data"]["reply"], "OK");
    assert_eq!(run(&app, &admin, &["GET", "greeting"]).await.1["data"]["reply"], "hello");
    assert_eq!(run(&app, &admin, &["GET", "missing"]).await.1["data"]["reply"], Value::Null);
    assert_eq!(run(&app, &admin, &["RPUSH", "l", "a", "b"]).await.1["data"]["reply"], 2);
    assert_eq!(run(&app, &admin, &["LRANGE", "l", "0", "-1"]).await.1["data"]["reply"], json!(["a", "b"]));
    assert_eq!(run(&app, &admin, &["hset", "h", "f", "v"]).await.1["data"]["reply"], 1, "names are case-insensitive");
    // Binary bytes come back as base64; binary arguments go in as base64.
    let (s, _) = app.post(CMD, &admin, json!({"args": ["U0VU", "Ymlu", "/w=="], "encoding": "base64"})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(run(&app, &admin, &["GET", "bin"]).await.1["data"]["reply"], json!({"base64": "/w=="}));

    // A server error is a 400 with the server's message.
    let (s, body) = run(&app, &admin, &["INCR", "greeting"]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("not an integer"), "{body}");
    // Unknown commands, empty args and bad base64 are 400s, never 500s.
    for bad in
        [json!({"args": ["NOSUCHCOMMAND"]}), json!({"args": []}), json!({"args": ["GET", "!!"], "encoding": "base64"})]
    {
        let (s, body) = app.post(CMD, &admin, bad.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (s, body) = run(&app, &admin, &["CONFIG"]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a container command needs its subcommand: {body}");
}

#[tokio::test]
async fn command_line_roles_follow_command_info() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let viewer = app.user_with_role(&admin, "cli-viewer@example.com", "default", "viewer").await;
    let developer = app.user_with_role(&admin, "cli-dev@example.com", "default", "developer").await;
    let project_admin = app.user_with_role(&admin, "cli-admin@example.com", "default", "admin").await;
    redis.cli(&["SET", "k", "1"]);

    // Viewers read.
    assert_eq!(run(&app, &viewer, &["GET", "k"]).await.0, StatusCode::OK);
    assert_eq!(run(&app, &viewer, &["PING"]).await.0, StatusCode::OK);
    let (s, body) = run(&app, &viewer, &["SET", "k", "2"]).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("developer"), "the role needed is named: {body}");
    assert_eq!(run(&app, &viewer, &["EVAL", "return 1", "0"]).await.0, StatusCode::FORBIDDEN, "scripts are writes");
    assert_eq!(redis.cli(&["GET", "k"]), "1");

    // Developers write data but not @dangerous / @admin commands.
    assert_eq!(run(&app, &developer, &["SET", "k", "2"]).await.0, StatusCode::OK);
    for refused in
        [&["FLUSHDB"][..], &["FLUSHALL"], &["KEYS", "*"], &["CONFIG", "GET", "maxmemory"], &["DEBUG", "SLEEP", "0"]]
    {
        let (s, body) = run(&app, &developer, refused).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{refused:?}: {body}");
    }
    assert_eq!(redis.cli(&["GET", "k"]), "2", "FLUSHDB and FLUSHALL did not run");

    // Admins run admin commands, but not those that stop or reconfigure the server.
    assert_eq!(run(&app, &project_admin, &["CONFIG", "GET", "maxmemory"]).await.0, StatusCode::OK);
    for refused in [&["FLUSHALL"][..], &["CONFIG", "SET", "maxmemory", "1"], &["SHUTDOWN"], &["DEBUG", "SLEEP", "0"]] {
        let (s, body) = run(&app, &project_admin, refused).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{refused:?}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("allow_server_commands"), "{body}");
    }
    assert_eq!(redis.cli(&["GET", "k"]), "2");

    // Commands that would change or block the shared connection are refused to everyone.
    for refused in [&["SELECT", "1"][..], &["MULTI"], &["SUBSCRIBE", "c"], &["BLPOP", "q", "0"], &["MONITOR"]] {
        let (s, body) = run(&app, &admin, refused).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{refused:?}: {body}");
    }
    assert_eq!(run(&app, &admin, &["XREAD", "STREAMS", "s", "0"]).await.0, StatusCode::OK, "XREAD without BLOCK");

    // A connection whose options allow server commands lets an admin run them.
    let (s, list) = app.get("/api/platform/redis/default/connections", &admin).await;
    assert_eq!(s, StatusCode::OK);
    let id = list["data"][0]["id"].as_str().unwrap().to_string();
    let body = json!({"identifier": "cache", "host": "127.0.0.1", "port": redis.port, "options": {"allow_server_commands": true}});
    let (s, updated) = app.put(&format!("/api/platform/redis/default/connections/{id}"), &admin, body).await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    assert_eq!(run(&app, &project_admin, &["CONFIG", "SET", "maxmemory-policy", "noeviction"]).await.0, StatusCode::OK);
    assert_eq!(
        run(&app, &developer, &["CONFIG", "SET", "maxmemory-policy", "noeviction"]).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn command_line_audits_writes_with_name_and_key_only() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let before = audit(&app, &admin).await.len();
    assert_eq!(run(&app, &admin, &["GET", "x"]).await.0, StatusCode::OK);
    assert_eq!(audit(&app, &admin).await.len(), before, "reads leave no record");

    let secret_value = "sb-secret-command-value";
    assert_eq!(run(&app, &admin, &["HSET", "audited:hash", "field", secret_value]).await.0, StatusCode::OK);
    assert_eq!(
        run(&app, &admin, &["EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", "1", "scripted", secret_value])
            .await
            .0,
        StatusCode::OK
    );
    let entries = audit(&app, &admin).await;
    let text = serde_json::to_string(&entries).unwrap();
    assert!(!text.contains(secret_value), "values never reach the audit trail");
    let hset = entries.iter().find(|e| e["target"] == "audited:hash").expect("HSET is audited");
    assert_eq!(hset["action"], "POST /api/platform/redis/{ref}/command");
    assert_eq!(hset["details"]["command"], "HSET");
    assert_eq!(hset["outcome"], "ok");
    let eval = entries.iter().find(|e| e["target"] == "scripted").expect("EVAL is audited with its first key");
    assert_eq!(eval["details"]["command"], "EVAL");

    // A refusal is recorded as denied.
    let viewer = app.user_with_role(&admin, "cli-audit-viewer@example.com", "default", "viewer").await;
    assert_eq!(run(&app, &viewer, &["DEL", "audited:hash"]).await.0, StatusCode::FORBIDDEN);
    let entries = audit(&app, &admin).await;
    assert!(entries
        .iter()
        .any(|e| e["action"] == "POST /api/platform/redis/{ref}/command" && e["outcome"] == "denied"));
}

#[tokio::test]
async fn members_are_found_by_search_in_a_big_hash() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let mut conn = redis::Client::open(format!("redis://127.0.0.1:{}/", redis.port))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let mut pipe = redis::pipe();
    for chunk in (0..100_000).collect::<Vec<_>>().chunks(5_000) {
        let mut cmd = redis::cmd("HSET");
        cmd.arg("big");
        for i in chunk {
            cmd.arg(format!("field:{i}")).arg(format!("value {i}"));
        }
        pipe.add_command(cmd).ignore();
    }
    pipe.cmd("SADD").arg("tags").arg("alpha").arg("beta").arg("a*b").ignore();
    let _: () = pipe.query_async(&mut conn).await.unwrap();

    // One call finds the one field, though the hash has 100,000.
    let (s, body) = app.get(&format!("{KEYS}/big?contains=field:73519&count=10"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["fields"], json!({"field:73519": "value 73519"}), "{body}");
    assert_eq!(body["data"]["length"], 100_000);
    // A glob search, paged with the cursor.
    let (s, body) = app.get(&format!("{KEYS}/big?match=field:9999*&count=5"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(!body["data"]["fields"].as_object().unwrap().is_empty());
    // `contains` takes glob characters literally.
    let (s, body) = app.get(&format!("{KEYS}/tags?contains=*"), &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["data"]["members"], json!(["a*b"]), "{body}");
    let (s, _) = app.get(&format!("{KEYS}/tags?contains=a&match=b"), &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn sorted_sets_read_in_both_orders_and_by_score() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    redis.cli(&["ZADD", "board", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"]);
    let members = |v: &Value| -> Vec<String> {
        v["data"]["members"].as_array().unwrap().iter().map(|m| m["member"].as_str().unwrap().to_string()).collect()
    };
    let (_, asc) = app.get(&format!("{KEYS}/board?count=2"), &admin).await;
    assert_eq!(members(&asc), ["a", "b"]);
    let (_, desc) = app.get(&format!("{KEYS}/board?count=2&rev=true"), &admin).await;
    assert_eq!(members(&desc), ["e", "d"]);
    assert_eq!(desc["data"]["order"], "desc");
    let (_, range) = app.get(&format!("{KEYS}/board?min=(1&max=4"), &admin).await;
    assert_eq!(members(&range), ["b", "c", "d"]);
    assert_eq!(range["data"]["in_range"], 3);
    let (_, page) = app.get(&format!("{KEYS}/board?min=-inf&max=%2Binf&rev=true&start=1&count=2"), &admin).await;
    assert_eq!(members(&page), ["d", "c"]);
    let (_, found) = app.get(&format!("{KEYS}/board?match=c"), &admin).await;
    assert_eq!(found["data"]["members"], json!([{"member": "c", "score": 3.0}]));
    let (s, body) = app.get(&format!("{KEYS}/board?min=abc"), &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn keys_are_renamed() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let viewer = app.user_with_role(&admin, "rename-viewer@example.com", "default", "viewer").await;
    redis.cli(&["SET", "old", "v"]);
    redis.cli(&["SET", "taken", "t"]);
    let (s, _) = app.post(&format!("{KEYS}/old/rename"), &viewer, json!({"new_key": "new"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, body) = app.post(&format!("{KEYS}/old/rename"), &admin, json!({"new_key": "taken"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(redis.cli(&["GET", "taken"]), "t");
    let (s, body) = app.post(&format!("{KEYS}/old/rename"), &admin, json!({"new_key": "new"})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["key"], "new");
    assert_eq!(redis.cli(&["GET", "new"]), "v");
    let (s, _) = app.post(&format!("{KEYS}/new/rename"), &admin, json!({"new_key": "taken", "overwrite": true})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(redis.cli(&["GET", "taken"]), "v");
    let (s, _) = app.post(&format!("{KEYS}/gone/rename"), &admin, json!({"new_key": "x"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let entry = audit(&app, &admin)
        .await
        .into_iter()
        .find(|e| e["action"] == "POST /api/platform/redis/{ref}/keys/{key}/rename" && e["outcome"] == "ok")
        .expect("a rename is audited");
    assert_eq!(entry["details"]["from"], "new");
    assert_eq!(entry["details"]["to"], "taken");
}

#[tokio::test]
async fn the_key_list_filters_by_type() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    redis.cli(&["SET", "s", "1"]);
    redis.cli(&["HSET", "h", "f", "v"]);
    let (s, body) = app.get(&format!("{KEYS}?type=hash"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let keys: Vec<&str> = body["data"]["keys"].as_array().unwrap().iter().map(|k| k["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["h"]);
}

#[tokio::test]
async fn a_cluster_routes_commands_by_slot_and_deletes_on_every_master() {
    let cluster = RedisCluster::start();
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let body =
        json!({"identifier": "cluster", "host": "127.0.0.1", "port": cluster.ports[0], "options": {"cluster": true}});
    let (s, created) = app.post("/api/platform/redis/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    // Keys on every master, written and read through the command line (routed by key slot).
    for i in 0..50 {
        let key = format!("job:{i}");
        assert_eq!(run(&app, &admin, &["SET", &key, "queued"]).await.1["data"]["reply"], "OK");
        assert_eq!(run(&app, &admin, &["GET", &key]).await.1["data"]["reply"], "queued");
    }
    // The cluster client splits a multi-key command it can split; one it cannot is the server's
    // refusal (CROSSSLOT), a 400.
    let (s, body) = run(&app, &admin, &["MSET", "job:1", "a", "job:2", "b"]).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = run(&app, &admin, &["RENAME", "job:1", "elsewhere:1"]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let bulk = "/api/platform/redis/default/bulk-delete";
    let (s, dry) = app.post(bulk, &admin, json!({"pattern": "job:*", "dry_run": true})).await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(dry["data"]["count"], 50, "every master is scanned: {dry}");
    let (s, started) = app.post(bulk, &admin, json!({"pattern": "job:*", "confirm": dry["data"]["confirm"]})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let job = common::wait_until_ended(&app, &admin, started["data"]["job_id"].as_str().unwrap()).await;
    assert_eq!(job["result"]["changed"], 50, "{job}");
    let (_, listing) = app.get(&format!("{KEYS}?pattern=job:*&count=100"), &admin).await;
    assert_eq!(listing["data"]["keys"], json!([]), "{listing}");
}
