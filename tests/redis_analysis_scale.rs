//! The keyspace analysis at scale: a million keys across namespaces, types and TTLs, on one
//! redis-server and on the three-master test cluster. Totals equal what was written, progress
//! arrives over Server-Sent Events, the walk keeps to its rate, and a second walk stops when
//! cancelled.

mod common;

use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use common::{Redis, RedisCluster, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const JOBS: &str = "/api/platform/projects/default/jobs";
const ANALYSIS: &str = "/api/platform/redis/default/analysis";
const KEYS: usize = 1_000_000;
/// Keys per pipeline while seeding.
const BATCH: usize = 10_000;

/// CRC16-XMODEM, the hash of Redis Cluster's key slots.
fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for byte in data {
        crc ^= u16::from(*byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

/// The slot of a key without a hash tag.
fn slot(key: &str) -> u16 {
    crc16(key.as_bytes()) % 16384
}

/// Writes the million keys, each to the node whose slots hold it:
/// - `i % 4 == 0`: `user:<i>:profile`, a string;
/// - `i % 4 == 1`: `session:<i>`, a hash of two fields;
/// - `i % 4 == 2`: `cache:<(i / 4) % 100>:<i>`, a string expiring in an hour;
/// - `i % 4 == 3`: `queue:<i>`, a list of three items.
async fn seed(nodes: &[(u16, RangeInclusive<u16>)]) {
    let mut conns = Vec::new();
    for (port, _) in nodes {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
        conns.push(client.get_multiplexed_async_connection().await.unwrap());
    }
    for start in (0..KEYS).step_by(BATCH) {
        let mut pipes: Vec<redis::Pipeline> = nodes.iter().map(|_| redis::pipe()).collect();
        for i in start..start + BATCH {
            let key = match i % 4 {
                0 => format!("user:{i}:profile"),
                1 => format!("session:{i}"),
                2 => format!("cache:{}:{i}", (i / 4) % 100),
                _ => format!("queue:{i}"),
            };
            let node = nodes.iter().position(|(_, slots)| slots.contains(&slot(&key))).expect("every slot is served");
            let pipe = &mut pipes[node];
            match i % 4 {
                0 => pipe.cmd("SET").arg(&key).arg("p").ignore(),
                1 => pipe.cmd("HSET").arg(&key).arg("user").arg(i).arg("at").arg("now").ignore(),
                2 => pipe.cmd("SET").arg(&key).arg("c").arg("EX").arg(3600).ignore(),
                _ => pipe.cmd("RPUSH").arg(&key).arg("a").arg("b").arg("c").ignore(),
            };
        }
        for (pipe, conn) in pipes.iter().zip(conns.iter_mut()) {
            let _: () = pipe.query_async(conn).await.unwrap();
        }
    }
    // A direct count agrees before the walk is asked.
    let mut total = 0;
    for conn in &mut conns {
        let size: usize = redis::cmd("DBSIZE").query_async(conn).await.unwrap();
        total += size;
    }
    assert_eq!(total, KEYS, "seeded");
}

fn namespace(report: &Value, depth: u64, name: &str) -> u64 {
    report["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|level| level["depth"] == depth)
        .and_then(|level| level["namespaces"].as_array().unwrap().iter().find(|n| n["name"] == name))
        .unwrap_or_else(|| panic!("no namespace {name} at depth {depth}"))["keys"]
        .as_u64()
        .unwrap()
}

/// Analyses the seeded keyspace, checks the report against what was written and the walk's
/// rate, then starts a slow walk and cancels it part-way.
async fn analyse_and_cancel(app: &TestApp, admin: &str, masters: u64) {
    let rate = 400_000;
    let (s, started) = app.post(ANALYSIS, admin, json!({"keys_per_second": rate, "depth": 2})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let id = started["data"]["job_id"].as_str().unwrap().to_string();

    let seen = common::job_events(app, admin, &id).await;
    let (last, job) = seen.last().cloned().unwrap();
    assert_eq!(last, "done", "{:?}", seen.iter().map(|(n, _)| n).collect::<Vec<_>>());
    assert_eq!(job["state"], "succeeded", "{job}");
    let dones: Vec<u64> =
        seen.iter().filter(|(n, _)| n == "progress").map(|(_, j)| j["progress"]["done"].as_u64().unwrap()).collect();
    assert!(dones.iter().filter(|d| **d > 0 && **d < KEYS as u64).count() >= 2, "progress on the way: {dones:?}");
    assert!(dones.windows(2).all(|w| w[0] <= w[1]), "progress only grows");

    // Totals equal the direct count and what was written.
    let report = &job["result"];
    assert_eq!(report["keys"], KEYS as u64);
    assert_eq!(report["nodes"], masters, "every master walked: {}", report["nodes"]);
    let quarter = (KEYS / 4) as u64;
    for name in ["user", "session", "cache", "queue"] {
        assert_eq!(namespace(report, 1, name), quarter, "namespace {name}");
    }
    assert_eq!(namespace(report, 2, "cache:7"), quarter / 100);
    assert_eq!(report["types"]["string"]["keys"], 2 * quarter);
    assert_eq!(report["types"]["hash"]["keys"], quarter);
    assert_eq!(report["types"]["list"]["keys"], quarter);
    assert_eq!(report["ttl"]["with_ttl"], quarter);
    assert_eq!(report["ttl"]["without_ttl"], 3 * quarter);
    assert_eq!(report["memory"]["sample_rate"], 0.1, "a big keyspace is sampled, and says so");
    assert!(report["memory"]["estimated_total"].as_u64().unwrap() > 0);
    assert_eq!(report["biggest_by_length"].as_array().unwrap().len(), 100);

    // The rate held: no faster than `rate` keys a second (a floor, not a speed check).
    let at = |field: &str| {
        time::OffsetDateTime::parse(job[field].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let took = (at("finished_at") - at("started_at")).as_seconds_f64();
    assert!(took >= KEYS as f64 / rate as f64 * 0.9, "took {took} s for {KEYS} keys at {rate}/s");
    eprintln!("analysed {KEYS} keys on {masters} master(s) in {took:.1} s");

    // A slow walk is cancelled part-way.
    let (s, started) = app.post(ANALYSIS, admin, json!({"keys_per_second": 20_000})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let id = started["data"]["job_id"].as_str().unwrap().to_string();
    let begun = Instant::now();
    loop {
        let (_, job) = app.get(&format!("{JOBS}/{id}"), admin).await;
        if job["data"]["progress"]["done"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        assert!(begun.elapsed() < Duration::from_secs(60), "never made progress: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (s, body) = app.delete(&format!("{JOBS}/{id}"), admin).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let job = loop {
        let (_, job) = app.get(&format!("{JOBS}/{id}"), admin).await;
        if !["queued", "running"].contains(&job["data"]["state"].as_str().unwrap()) {
            break job["data"].clone();
        }
        assert!(begun.elapsed() < Duration::from_secs(60), "never stopped: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(job["state"], "cancelled", "{job}");
    let done = job["progress"]["done"].as_u64().unwrap();
    assert!(done > 0 && done < KEYS as u64, "stopped part-way: {done}");
}

#[tokio::test]
async fn a_million_keys_are_analysed_exactly_at_a_bounded_rate_and_the_walk_cancels() {
    let redis = Redis::start(None);
    seed(&[(redis.port, 0..=16383)]).await;
    let (app, admin) = TestApp::with_redis(redis.port).await;
    analyse_and_cancel(&app, &admin, 1).await;
}

#[tokio::test]
async fn a_million_keys_across_a_cluster_are_analysed_on_every_master() {
    let cluster = RedisCluster::start();
    let ranges = [0..=5460, 5461..=10922, 10923..=16383];
    let nodes: Vec<(u16, RangeInclusive<u16>)> = cluster.ports.iter().copied().zip(ranges).collect();
    seed(&nodes).await;
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let body =
        json!({"identifier": "cluster", "host": "127.0.0.1", "port": cluster.ports[0], "options": {"cluster": true}});
    let (s, created) = app.post("/api/platform/redis/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    analyse_and_cancel(&app, &admin, 3).await;
}
