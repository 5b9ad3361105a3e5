//! Redis data in bulk against real servers: the NDJSON export and import round trip (every type,
//! binary keys and values, big collections in parts, TTLs), conflicts and bad lines on import, and
//! mass changes by pattern that run only with the confirmation of their dry run, as jobs with
//! progress and cancel.

mod common;

use std::collections::BTreeMap;

use common::{job_events, wait_until_ended, Redis, TestApp};
use redis::aio::MultiplexedConnection;
use reqwest::StatusCode;
use serde_json::{json, Value};

const BASE: &str = "/api/platform/redis/default";

async fn direct(redis: &Redis) -> MultiplexedConnection {
    redis::Client::open(format!("redis://127.0.0.1:{}/", redis.port))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Adds a second Redis to the project; answers its connection id.
async fn add_connection(app: &TestApp, admin: &str, redis: &Redis, name: &str) -> String {
    let body = json!({"identifier": name, "host": "127.0.0.1", "port": redis.port});
    let (s, created) = app.post(&format!("{BASE}/connections"), admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    created["data"]["id"].as_str().unwrap().to_string()
}

async fn export(app: &TestApp, token: &str, query: &str) -> (StatusCode, String) {
    let response = app.http.get(format!("{}{BASE}/export?{query}", app.base)).bearer_auth(token).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn import(app: &TestApp, token: &str, query: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
    app.upload(token, &format!("{BASE}/import?{query}"), "application/x-ndjson", body).await
}

/// Every key of a server with its type and value, read directly, comparable across servers.
async fn contents(conn: &mut MultiplexedConnection) -> BTreeMap<Vec<u8>, (String, Value)> {
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query_async(conn).await.unwrap();
    let mut out = BTreeMap::new();
    for key in keys {
        let kind: String = redis::cmd("TYPE").arg(&key).query_async(conn).await.unwrap();
        let value = match kind.as_str() {
            "string" => {
                let v: Vec<u8> = redis::cmd("GET").arg(&key).query_async(conn).await.unwrap();
                json!(v)
            }
            "list" => {
                let v: Vec<Vec<u8>> = redis::cmd("LRANGE").arg(&key).arg(0).arg(-1).query_async(conn).await.unwrap();
                json!(v)
            }
            "set" => {
                let mut v: Vec<Vec<u8>> = redis::cmd("SMEMBERS").arg(&key).query_async(conn).await.unwrap();
                v.sort();
                json!(v)
            }
            "hash" => {
                let v: BTreeMap<Vec<u8>, Vec<u8>> = redis::cmd("HGETALL").arg(&key).query_async(conn).await.unwrap();
                json!(v.into_iter().collect::<Vec<_>>())
            }
            "zset" => {
                let v: Vec<(Vec<u8>, String)> =
                    redis::cmd("ZRANGE").arg(&key).arg(0).arg(-1).arg("WITHSCORES").query_async(conn).await.unwrap();
                json!(v)
            }
            "stream" => {
                let v: redis::Value = redis::cmd("XRANGE").arg(&key).arg("-").arg("+").query_async(conn).await.unwrap();
                json!(format!("{v:?}"))
            }
            other => panic!("unexpected type {other}"),
        };
        out.insert(key, (kind, value));
    }
    out
}

async fn pttl(conn: &mut MultiplexedConnection, key: &[u8]) -> i64 {
    redis::cmd("PTTL").arg(key).query_async(conn).await.unwrap()
}

/// Seeds every type, binary keys and values, collections and a string bigger than one export part.
async fn seed_every_type(conn: &mut MultiplexedConnection) {
    let binary: Vec<u8> = (0..=255u8).collect();
    let big_string: Vec<u8> = (0..(2 * 1024 * 1024 + 77)).map(|i| (i % 251) as u8).collect();
    let mut pipe = redis::pipe();
    pipe.cmd("SET").arg("text").arg("héllo, \"world\"\n").ignore();
    pipe.cmd("SET").arg(&binary[..]).arg(&binary[..]).ignore();
    pipe.cmd("SET").arg("big:string").arg(&big_string).ignore();
    pipe.cmd("SET").arg("empty").arg("").ignore();
    pipe.cmd("SET").arg("ttl:string").arg("soon").arg("PX").arg(600_000).ignore();
    pipe.cmd("HSET").arg("small:hash").arg("a").arg("1").arg(&binary[..3]).arg(&binary[250..]).ignore();
    pipe.cmd("EXPIRE").arg("small:hash").arg(3600).ignore();
    pipe.cmd("RPUSH").arg("small:list").arg("x").arg("x").arg(&binary[..10]).ignore();
    pipe.cmd("SADD").arg("small:set").arg("m1").arg(&binary[200..]).ignore();
    pipe.cmd("ZADD").arg("small:zset").arg("1.5").arg("a").arg("-inf").arg("b").arg("inf").arg("c").ignore();
    pipe.cmd("XADD").arg("events").arg("1-1").arg("f").arg("v").arg("g").arg(&binary[..4]).ignore();
    pipe.cmd("XADD").arg("events").arg("2-0").arg("f").arg("w").ignore();
    for i in 0..2_500 {
        pipe.cmd("HSET").arg("big:hash").arg(format!("field:{i}")).arg(format!("value:{i}")).ignore();
        pipe.cmd("RPUSH").arg("big:list").arg(format!("item:{i}")).ignore();
        pipe.cmd("SADD").arg("big:set").arg(format!("member:{i}")).ignore();
        pipe.cmd("ZADD").arg("big:zset").arg(i as f64 / 7.0).arg(format!("member:{i}")).ignore();
        pipe.cmd("XADD").arg("big:stream").arg(format!("{}-0", i + 1)).arg("n").arg(i).ignore();
    }
    pipe.cmd("PEXPIRE").arg("big:hash").arg(900_000).ignore();
    let _: () = pipe.query_async(conn).await.unwrap();
}

#[tokio::test]
async fn an_export_imported_into_an_empty_server_gives_the_same_keys_types_values_and_ttls() {
    let (source, target) = (Redis::start(None), Redis::start(None));
    let (app, admin) = TestApp::with_redis(source.port).await;
    let target_id = add_connection(&app, &admin, &target, "target").await;
    let mut src = direct(&source).await;
    seed_every_type(&mut src).await;

    let (s, ndjson) = export(&app, &admin, "pattern=*").await;
    assert_eq!(s, StatusCode::OK, "{ndjson}");
    let lines: Vec<Value> = ndjson.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // Big keys come in parts; small ones in one line.
    let parts = |key: &str| lines.iter().filter(|l| l["key"] == key).count();
    assert_eq!(parts("big:hash"), 3, "2,500 fields in pages of 1,000");
    assert_eq!(parts("big:list"), 3);
    assert_eq!(parts("big:string"), 3, "2 MiB + 77 bytes in 1 MiB pieces");
    assert_eq!(parts("small:zset"), 1);
    let binary_line = lines.iter().find(|l| l["key"].is_object()).expect("the binary key is base64");
    assert!(binary_line["value"]["base64"].is_string(), "{binary_line}");
    let zset = lines.iter().find(|l| l["key"] == "small:zset").unwrap();
    assert_eq!(zset["value"], json!([["b", "-inf"], ["a", "1.5"], ["c", "inf"]]));
    let hash_head = lines.iter().find(|l| l["key"] == "big:hash" && l["part"] == 0).unwrap();
    assert!(hash_head["ttl_ms"].as_i64().unwrap() > 890_000, "{}", hash_head["ttl_ms"]);

    let importing = std::time::Instant::now();
    let (s, report) = import(&app, &admin, &format!("connection_id={target_id}"), ndjson.clone()).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(report["data"]["keys"], 15, "{report}");
    assert_eq!(report["data"]["failed"], 0, "{report}");
    let mut dst = direct(&target).await;
    // A TTL travels as the time left at export: after the import, a key has that much left, less
    // the time the import took (on a loaded machine the export-to-import gap can pass a second).
    for key in ["ttl:string", "small:hash", "big:hash", "text"] {
        let exported = lines.iter().find(|l| l["key"] == key && l["part"] == 0).unwrap()["ttl_ms"].as_i64();
        let (left, took) = (pttl(&mut dst, key.as_bytes()).await, importing.elapsed().as_millis() as i64);
        match exported {
            Some(exported) => assert!(
                left <= exported && exported - left < 1000 + took,
                "{key}: exported with {exported} ms left, {left} ms left after an import of {took} ms"
            ),
            None => assert_eq!(left, -1, "{key} has no TTL"),
        }
        assert_eq!(pttl(&mut src, key.as_bytes()).await < 0, left < 0);
    }
    assert_eq!(contents(&mut src).await, contents(&mut dst).await, "byte for byte the same");

    // Importing again: existing keys are skipped by default, replaced or refused on request.
    let (s, report) = import(&app, &admin, &format!("connection_id={target_id}"), ndjson.clone()).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!((report["data"]["keys"].as_u64(), report["data"]["skipped"].as_u64()), (Some(0), Some(15)));
    assert_eq!(contents(&mut src).await, contents(&mut dst).await, "a skipped key gets no parts appended");
    let _: () = redis::cmd("SET").arg("small:list").arg("changed").query_async(&mut dst).await.unwrap();
    let query = format!("connection_id={target_id}&on_conflict=replace");
    let (s, report) = import(&app, &admin, &query, ndjson.clone()).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(report["data"]["keys"], 15);
    assert_eq!(contents(&mut src).await, contents(&mut dst).await, "replaced, not appended to");
    let (s, body) = import(&app, &admin, &format!("connection_id={target_id}&on_conflict=fail"), ndjson).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().starts_with("line 1:"), "{body}");
}

#[tokio::test]
async fn an_import_reports_bad_lines_refuses_other_media_and_viewers_and_is_audited() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let viewer = app.user_with_role(&admin, "bulk-viewer@example.com", "default", "viewer").await;
    let body = concat!(
        "{\"key\":\"a\",\"type\":\"string\",\"ttl_ms\":null,\"part\":0,\"value\":\"1\"}\n",
        "not json\n",
        "\n",
        "{\"key\":\"b\",\"type\":\"blob\",\"value\":\"1\"}\n",
        "{\"key\":\"z\",\"type\":\"zset\",\"value\":[[\"m\",\"not a number\"]]}\n",
        "{\"key\":\"c\",\"type\":\"list\",\"ttl_ms\":5000,\"value\":[\"x\",\"y\"]}\n",
    );
    let (s, report) = import(&app, &admin, "", body).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    let report = &report["data"];
    assert_eq!((report["keys"].as_u64(), report["failed"].as_u64()), (Some(2), Some(3)), "{report}");
    let lines: Vec<u64> = report["errors"].as_array().unwrap().iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [2, 4, 5], "{report}");
    assert!(report["errors"][2]["message"].as_str().unwrap().contains("ERR"), "the server's error: {report}");
    assert_eq!(redis.cli(&["LRANGE", "c", "0", "-1"]), "x\ny");
    assert!(redis.cli(&["PTTL", "c"]).parse::<i64>().unwrap() > 0);

    let (s, _) = import(&app, &viewer, "", "{}\n").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let response = app
        .http
        .post(format!("{}{BASE}/import", app.base))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body("a,b\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (s, audit) = app.get("/api/platform/projects/default/audit?action=import", &admin).await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let entries = audit["data"]["entries"].as_array().unwrap();
    let entry = entries.iter().find(|e| e["status"] == 200).expect("the import is audited");
    assert_eq!(entry["details"]["keys"], 2, "{audit}");
    assert_eq!(entry["details"]["failed"], 3, "{audit}");
}

/// Writes `count` keys named `{prefix}{i}` in pipelines of MSET.
async fn fill(conn: &mut MultiplexedConnection, prefix: &str, count: usize) {
    for start in (0..count).step_by(10_000) {
        let mut pipe = redis::pipe();
        for chunk_start in (start..(start + 10_000).min(count)).step_by(1000) {
            let mut mset = redis::cmd("MSET");
            for i in chunk_start..(chunk_start + 1000).min(count) {
                mset.arg(format!("{prefix}{i}")).arg("v");
            }
            pipe.add_command(mset).ignore();
        }
        let _: () = pipe.query_async(conn).await.unwrap();
    }
}

#[tokio::test]
async fn a_mass_delete_runs_only_with_its_dry_runs_confirmation_and_deletes_exactly_the_matches() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let developer = app.user_with_role(&admin, "bulk-dev@example.com", "default", "developer").await;
    let viewer = app.user_with_role(&admin, "bulk-viewer@example.com", "default", "viewer").await;
    let mut conn = direct(&redis).await;
    fill(&mut conn, "stale:", 1_000_000).await;
    fill(&mut conn, "live:", 1_000_000).await;
    let path = format!("{BASE}/bulk-delete");

    assert_eq!(app.post(&path, &viewer, json!({"pattern": "stale:*", "dry_run": true})).await.0, StatusCode::FORBIDDEN);
    let (s, dry) = app.post(&path, &admin, json!({"pattern": "stale:*", "dry_run": true})).await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(dry["data"]["count"], 1_000_000, "exact by SCAN");
    assert_eq!(dry["data"]["scanned"], 2_000_000);
    let sample = dry["data"]["sample"].as_array().unwrap();
    assert_eq!(sample.len(), 20);
    assert!(sample.iter().all(|k| k.as_str().unwrap().starts_with("stale:")));
    let confirm = dry["data"]["confirm"].as_str().unwrap().to_string();
    let (_, other_dry) = app.post(&path, &admin, json!({"pattern": "live:*", "dry_run": true})).await;
    let other_pattern = other_dry["data"]["confirm"].as_str().unwrap().to_string();

    // Without the token, with another pattern's, or with another user's: 400 and nothing deleted.
    for (token, body) in [
        (&admin, json!({"pattern": "stale:*"})),
        (&admin, json!({"pattern": "stale:*", "confirm": "forged"})),
        (&admin, json!({"pattern": "stale:*", "confirm": other_pattern})),
        (&developer, json!({"pattern": "stale:*", "confirm": confirm})),
        (&admin, json!({"pattern": "stale:1*", "confirm": confirm})),
    ] {
        let (s, body) = app.post(&path, token, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    }
    let expire = format!("{BASE}/bulk-expire");
    let (s, _) = app.post(&expire, &admin, json!({"pattern": "stale:*", "ttl": 60, "confirm": confirm})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a delete's token does not confirm a TTL change");
    assert_eq!(redis.cli(&["DBSIZE"]), "2000000");

    let (s, started) = app.post(&path, &admin, json!({"pattern": "stale:*", "confirm": confirm})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let id = started["data"]["job_id"].as_str().unwrap().to_string();
    let seen = job_events(&app, &admin, &id).await;
    assert!(seen.iter().any(|(name, _)| name == "progress"), "progress events arrive: {seen:?}");
    let job = wait_until_ended(&app, &admin, &id).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["result"]["changed"], 1_000_000, "{job}");
    assert_eq!(job["progress"]["done"], 1_000_000, "{job}");
    assert_eq!(redis.cli(&["DBSIZE"]), "1000000");
    assert_eq!(redis.cli(&["EXISTS", "live:999999"]), "1");

    // The dry run, the start and the job's end are in the audit trail, the end with its counts.
    let (_, audit) = app.get("/api/platform/projects/default/audit?action=bulk-delete", &admin).await;
    let entries = audit["data"]["entries"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["details"]["dry_run"] == true && e["details"]["count"] == 1_000_000), "{audit}");
    let (_, audit) = app.get("/api/platform/projects/default/audit?action=JOB", &admin).await;
    let ended = &audit["data"]["entries"][0];
    assert_eq!(ended["action"], "JOB redis.bulk-delete", "{audit}");
    assert_eq!(ended["details"]["result"]["changed"], 1_000_000, "{audit}");
    assert_eq!(ended["details"]["params"]["pattern"], "stale:*", "{audit}");
}

#[tokio::test]
async fn a_cancelled_mass_delete_stops_part_way_and_says_how_many_it_deleted() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let mut conn = direct(&redis).await;
    fill(&mut conn, "stale:", 1_000_000).await;
    let path = format!("{BASE}/bulk-delete");
    let (_, dry) = app.post(&path, &admin, json!({"pattern": "stale:*", "dry_run": true})).await;
    let confirm = dry["data"]["confirm"].as_str().unwrap();
    let (s, started) = app.post(&path, &admin, json!({"pattern": "stale:*", "confirm": confirm})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let id = started["data"]["job_id"].as_str().unwrap().to_string();
    // Cancel once it has deleted something.
    loop {
        let (_, job) = app.get(&format!("/api/platform/projects/default/jobs/{id}"), &admin).await;
        if job["data"]["progress"]["done"].as_u64().unwrap_or(0) > 0 || job["data"]["state"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (s, body) = app.delete(&format!("/api/platform/projects/default/jobs/{id}"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let job = wait_until_ended(&app, &admin, &id).await;
    assert_eq!(
        job["state"], "cancelled",
        "cancelled part-way (the machine deleted a million keys before the cancel arrived?): {job}"
    );
    let left: u64 = redis.cli(&["DBSIZE"]).parse().unwrap();
    assert!(left > 0, "it stopped before the end");
    assert_eq!(job["progress"]["done"], 1_000_000 - left, "the count so far is exact: {job}");
}

#[tokio::test]
async fn a_mass_ttl_change_sets_and_clears_ttls_of_exactly_the_matches() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let mut conn = direct(&redis).await;
    fill(&mut conn, "cache:", 3_000).await;
    fill(&mut conn, "keep:", 10).await;
    let path = format!("{BASE}/bulk-expire");
    assert_eq!(
        app.post(&path, &admin, json!({"pattern": "cache:*", "ttl": 0, "dry_run": true})).await.0,
        StatusCode::BAD_REQUEST
    );
    for ttl in [120, -1] {
        let (s, dry) = app.post(&path, &admin, json!({"pattern": "cache:*", "ttl": ttl, "dry_run": true})).await;
        assert_eq!(s, StatusCode::OK, "{dry}");
        assert_eq!(dry["data"]["count"], 3_000);
        let confirm = dry["data"]["confirm"].as_str().unwrap();
        let other_ttl = app.post(&path, &admin, json!({"pattern": "cache:*", "ttl": 7, "confirm": confirm})).await;
        assert_eq!(other_ttl.0, StatusCode::BAD_REQUEST, "the token is for this ttl only");
        let (s, started) = app.post(&path, &admin, json!({"pattern": "cache:*", "ttl": ttl, "confirm": confirm})).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{started}");
        let job = wait_until_ended(&app, &admin, started["data"]["job_id"].as_str().unwrap()).await;
        assert_eq!(job["result"]["changed"], 3_000, "{job}");
        let ttl_of = |key: &str| redis.cli(&["TTL", key]).parse::<i64>().unwrap();
        if ttl > 0 {
            assert!((115..=120).contains(&ttl_of("cache:2999")));
        } else {
            assert_eq!(ttl_of("cache:2999"), -1);
        }
        assert_eq!(ttl_of("keep:1"), -1);
    }
}

#[tokio::test]
async fn tens_of_megabytes_of_keys_arrive_exactly_with_flat_memory() {
    let redis = Redis::start(None);
    let (app, admin) = TestApp::with_redis(redis.port).await;
    // About 80 MB (held whole, the body alone would take the server past the 100 MiB checked
    // below): strings and small hashes with 100-byte values, one in ten with a TTL.
    const KEYS: usize = 450_000;
    let mut body = String::with_capacity(90 << 20);
    for i in 0..KEYS {
        let value = format!("{i:0>100}");
        let ttl = if i % 10 == 0 { "3600000".to_string() } else { "null".to_string() };
        if i % 2 == 0 {
            body.push_str(&format!(
                "{{\"key\":\"k:{i}\",\"type\":\"string\",\"ttl_ms\":{ttl},\"part\":0,\"value\":\"{value}\"}}\n"
            ));
        } else {
            body.push_str(&format!(
                "{{\"key\":\"k:{i}\",\"type\":\"hash\",\"ttl_ms\":{ttl},\"part\":0,\"value\":[[\"v\",\"{value}\"],[\"n\",\"{i}\"]]}}\n"
            ));
        }
    }
    let size = body.len();
    let (s, report) = import(&app, &admin, "", body).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(report["data"]["keys"], KEYS, "{report}");
    assert_eq!(redis.cli(&["DBSIZE"]), KEYS.to_string());
    assert_eq!(redis.cli(&["HGET", "k:449999", "n"]), "449999");
    assert_eq!(redis.cli(&["GET", "k:4"]), format!("{:0>100}", 4));
    assert!(redis.cli(&["PTTL", "k:10"]).parse::<i64>().unwrap() > 3_500_000);
    assert_eq!(redis.cli(&["PTTL", "k:11"]), "-1");
    let peak = common::peak_rss_kib(app.pid().unwrap()) / 1024;
    eprintln!("imported {} MB of NDJSON; switchboard's peak RSS {peak} MiB", size >> 20);
    assert!(peak < 100, "an import streams: peak RSS {peak} MiB for a {} MB body", size >> 20);
}

#[tokio::test]
async fn a_confirmation_works_only_on_the_connection_of_its_dry_run() {
    let (first, second) = (Redis::start(None), Redis::start(None));
    let (app, admin) = TestApp::with_redis(first.port).await;
    let second_id = add_connection(&app, &admin, &second, "second").await;
    for redis in [&first, &second] {
        redis.cli(&["SET", "victim:1", "x"]);
    }
    let path = format!("{BASE}/bulk-delete");
    let (_, dry) = app.post(&path, &admin, json!({"pattern": "victim:*", "dry_run": true})).await;
    let confirm = dry["data"]["confirm"].as_str().unwrap();
    // The token of the primary connection's dry run, sent for another connection of the project.
    let (s, body) = app
        .post(&format!("{path}?connection_id={second_id}"), &admin, json!({"pattern": "victim:*", "confirm": confirm}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(second.cli(&["EXISTS", "victim:1"]), "1", "nothing deleted on the other connection");
    // A pattern full of glob and quoting characters is only ever a SCAN filter.
    let odd = r#"victim:*"]' OR 1=1 --\"#;
    let (s, dry) = app.post(&path, &admin, json!({"pattern": odd, "dry_run": true})).await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(dry["data"]["count"], 0);
    assert_eq!(first.cli(&["EXISTS", "victim:1"]), "1");
}
