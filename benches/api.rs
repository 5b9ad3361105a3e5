//! Switchboard against the direct drivers, side by side in one run on one machine.
//!
//! Run with `bench/run.sh` (it installs wrk and builds in release mode). Each case is measured at 1
//! and 32 concurrent clients for `BENCH_SECS` seconds (default 10): Switchboard with `wrk`, Redis
//! with `redis-benchmark`, PostgreSQL with `pgbench` (prepared statements), MongoDB with the official
//! Rust driver from 32 tasks. Results print as a table and go to `bench/results.json`.
//! Backends are started by the test harness on free ports in temporary directories.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{AppOptions, Mongo, Postgres, Redis, TestApp};
use serde_json::{json, Value};

/// One measured case.
#[derive(Debug, Clone, serde::Serialize)]
struct Measure {
    case: String,
    path: String,
    clients: u32,
    requests_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn secs() -> u64 {
    std::env::var("BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(10)
}

fn to_ms(value: &str) -> f64 {
    let value = value.trim();
    let (number, unit) = value.split_at(value.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(value.len()));
    let n: f64 = number.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        _ => n,
    }
}

/// Runs wrk against `url` and reads throughput and latency percentiles from its report.
fn wrk(case: &str, url: &str, token: &str, clients: u32, script: Option<&Path>) -> Measure {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t", &clients.min(2).to_string(), "-c", &clients.to_string(), "-d", &format!("{}s", secs())]).args([
        "--latency",
        "--timeout",
        "30s",
        "-H",
        &format!("Authorization: Bearer {token}"),
    ]);
    if let Some(script) = script {
        cmd.arg("-s").arg(script);
    }
    let out = cmd.arg(url).output().expect("wrk (bench/run.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("Non-2xx"), "{case}: errors during the run:\n{text}");
    let field = |prefix: &str| text.lines().find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_string()));
    Measure {
        case: case.into(),
        path: "switchboard".into(),
        clients,
        requests_per_sec: field("Requests/sec:").and_then(|v| v.parse().ok()).unwrap_or(f64::NAN),
        p50_ms: field("50%").map(|v| to_ms(&v)).unwrap_or(f64::NAN),
        p99_ms: field("99%").map(|v| to_ms(&v)).unwrap_or(f64::NAN),
    }
}

fn post_script(dir: &Path, name: &str, body: &Value) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.lua"));
    let lua = format!(
        "wrk.method = \"POST\"\nwrk.body = [[{}]]\nwrk.headers[\"Content-Type\"] = \"application/json\"\n",
        body
    );
    std::fs::write(&path, lua).unwrap();
    path
}

/// redis-benchmark's CSV: "test","rps","avg","min","p50","p95","p99","max".
fn redis_benchmark(port: u16, clients: u32) -> Measure {
    let requests = (secs() * 20_000).to_string();
    let out = Command::new("redis-benchmark")
        .args(["-p", &port.to_string(), "-c", &clients.to_string(), "-n", &requests, "-t", "get", "--csv"])
        .output()
        .expect("redis-benchmark");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("\"GET\"")).unwrap_or_default().replace('"', "");
    let cols: Vec<f64> = line.split(',').skip(1).map(|v| v.parse().unwrap_or(f64::NAN)).collect();
    Measure {
        case: "redis GET small string".into(),
        path: "direct".into(),
        clients,
        requests_per_sec: cols.first().copied().unwrap_or(f64::NAN),
        p50_ms: cols.get(3).copied().unwrap_or(f64::NAN),
        p99_ms: cols.get(5).copied().unwrap_or(f64::NAN),
    }
}

/// pgbench with one custom statement, prepared; percentiles from its per-transaction log.
fn pgbench(case: &str, pg: &Postgres, sql: &str, clients: u32, dir: &Path) -> Measure {
    let script = dir.join("pgbench.sql");
    std::fs::write(&script, format!("{sql};\n")).unwrap();
    let logs = dir.join(format!("pgbench-{clients}"));
    let _ = std::fs::remove_dir_all(&logs);
    std::fs::create_dir_all(&logs).unwrap();
    let out = Command::new("pgbench")
        .current_dir(&logs)
        .args(["-h", "127.0.0.1", "-p", &pg.port.to_string(), "-U", "postgres", "-n", "-M", "prepared"])
        .args(["-c", &clients.to_string(), "-j", &clients.min(2).to_string(), "-T", &secs().to_string(), "-l", "-f"])
        .arg(&script)
        .arg("postgres")
        .output()
        .expect("pgbench");
    let text = String::from_utf8_lossy(&out.stdout);
    let tps = text
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    let mut latencies: Vec<f64> = Vec::new();
    for entry in std::fs::read_dir(&logs).unwrap().flatten() {
        for line in std::fs::read_to_string(entry.path()).unwrap_or_default().lines() {
            if let Some(us) = line.split_whitespace().nth(2).and_then(|v| v.parse::<f64>().ok()) {
                latencies.push(us / 1000.0);
            }
        }
    }
    let (p50, p99) = percentiles(&mut latencies);
    Measure { case: case.into(), path: "direct".into(), clients, requests_per_sec: tps, p50_ms: p50, p99_ms: p99 }
}

fn percentiles(values: &mut [f64]) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| values[((values.len() as f64 - 1.0) * q).round() as usize];
    (at(0.50), at(0.99))
}

/// The same filtered find through the official driver, from `clients` tasks.
async fn mongo_direct(port: u16, clients: u32) -> Measure {
    use futures_util::TryStreamExt;
    use mongodb::bson::{doc, Document};
    let options = mongodb::options::ClientOptions::parse(format!("mongodb://127.0.0.1:{port}/?directConnection=true"))
        .await
        .unwrap();
    let client = mongodb::Client::with_options(options).unwrap();
    let coll = client.database("bench").collection::<Document>("items");
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let coll = coll.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let cursor = coll.find(doc! { "group": 7 }).limit(21).batch_size(21).await.unwrap();
                let docs: Vec<Document> = cursor.try_collect().await.unwrap();
                assert_eq!(docs.len(), 20);
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            latencies
        }));
    }
    tokio::time::sleep(Duration::from_secs(secs())).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rps = all.len() as f64 / elapsed;
    let (p50, p99) = percentiles(&mut all);
    Measure {
        case: "mongodb find 20 (filtered)".into(),
        path: "direct".into(),
        clients,
        requests_per_sec: rps,
        p50_ms: p50,
        p99_ms: p99,
    }
}

/// Resident memory of a process, from /proc (VmRSS, or VmHWM for the peak), in MiB.
fn rss_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(f64::NAN);
    kib / 1024.0
}

fn print_table(results: &[Measure]) {
    println!("\n| case | clients | switchboard req/s | direct req/s | ratio | switchboard p50 / p99 ms | direct p50 / p99 ms |");
    println!("|---|---|---|---|---|---|---|");
    for sb in results.iter().filter(|m| m.path == "switchboard") {
        if let Some(d) = results.iter().find(|m| m.path == "direct" && m.case == sb.case && m.clients == sb.clients) {
            println!(
                "| {} | {} | {:.0} | {:.0} | {:.0} % | {:.2} / {:.2} | {:.2} / {:.2} |",
                sb.case,
                sb.clients,
                sb.requests_per_sec,
                d.requests_per_sec,
                100.0 * sb.requests_per_sec / d.requests_per_sec,
                sb.p50_ms,
                sb.p99_ms,
                d.p50_ms,
                d.p99_ms
            );
        }
    }
}

#[tokio::main]
async fn main() {
    // `cargo test --all-targets` runs bench targets too, without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("benches/api.rs: run it with bench/run.sh (cargo bench --bench api)");
        return;
    }
    let redis = Redis::start(None);
    let pg = Postgres::start();
    let mongo = Mongo::start();
    let app = TestApp::start_with(AppOptions {
        env: vec![
            ("SWITCHBOARD_RATE_LIMIT_PER_SECOND".into(), "1000000000".into()),
            ("SWITCHBOARD_RATE_LIMIT_BURST".into(), "1000000000".into()),
            ("RUST_LOG".into(), "warn".into()),
        ],
        ..Default::default()
    })
    .await;
    let token = app.admin_token().await;
    let pid = app.pid().expect("server pid");
    let idle_rss = rss_mib(pid, "VmRSS:");
    let dir = tempfile::tempdir().unwrap();
    for (engine, body) in [
        ("redis", json!({"identifier": "cache", "host": "127.0.0.1", "port": redis.port})),
        (
            "postgres",
            json!({"identifier": "db", "host": "127.0.0.1", "port": pg.port, "username": "postgres", "database_name": "postgres", "options": {"pool_size": 32}}),
        ),
        ("mongodb", json!({"identifier": "docs", "host": "127.0.0.1", "port": mongo.port})),
    ] {
        let (status, created) = app.post(&format!("/api/platform/{engine}/default/connections"), &token, body).await;
        assert!(status.is_success(), "{created}");
    }

    // Data: the key redis-benchmark reads (`key:__rand_int__` defaults to `key:000000000000`), 100
    // rows, and 10,000 documents in 500 groups of 20.
    redis.cli(&["SET", "key:000000000000", "xxx"]);
    pg.psql(
        "postgres",
        "CREATE TABLE bench_rows AS SELECT g AS id, md5(g::text) AS name, now() AS at FROM generate_series(1, 100) g",
    );
    let docs: Vec<Value> = (0..1000).map(|i| json!({"i": i, "group": i % 50, "name": format!("item {i}")})).collect();
    for batch in 0..10 {
        let docs: Vec<Value> = docs
            .iter()
            .map(|d| {
                let mut d = d.clone();
                d["group"] = json!((d["i"].as_i64().unwrap() + batch * 1000) % 500);
                d
            })
            .collect();
        let (status, body) = app
            .post(
                "/api/platform/mongodb/default/databases/bench/collections/items/documents",
                &token,
                json!({"documents": docs}),
            )
            .await;
        assert!(status.is_success(), "{body}");
    }

    let select_one = post_script(dir.path(), "select1", &json!({"query": "SELECT 1 AS one"}));
    let select_rows = post_script(dir.path(), "rows", &json!({"query": "SELECT * FROM bench_rows"}));
    let base = &app.base;
    let mut results = Vec::new();
    for clients in [1u32, 32] {
        results.push(wrk(
            "redis GET small string",
            &format!("{base}/api/platform/redis/default/keys/key:000000000000"),
            &token,
            clients,
            None,
        ));
        results.push(redis_benchmark(redis.port, clients));
        results.push(wrk(
            "postgres SELECT 1",
            &format!("{base}/api/platform/pg-meta/default/query"),
            &token,
            clients,
            Some(&select_one),
        ));
        results.push(pgbench("postgres SELECT 1", &pg, "SELECT 1", clients, dir.path()));
        results.push(wrk(
            "postgres 100-row select",
            &format!("{base}/api/platform/pg-meta/default/query"),
            &token,
            clients,
            Some(&select_rows),
        ));
        results.push(pgbench("postgres 100-row select", &pg, "SELECT * FROM bench_rows", clients, dir.path()));
        let find = format!("{base}/api/platform/mongodb/default/databases/bench/collections/items/documents?filter=%7B%22group%22%3A7%7D&limit=20&count=false");
        results.push(wrk("mongodb find 20 (filtered)", &find, &token, clients, None));
        results.push(mongo_direct(mongo.port, clients).await);
    }
    print_table(&results);
    let loaded_rss = rss_mib(pid, "VmRSS:");
    let peak_rss = rss_mib(pid, "VmHWM:");
    println!("\nswitchboard RSS: idle {idle_rss:.1} MiB, after the load {loaded_rss:.1} MiB, peak {peak_rss:.1} MiB");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/results.json");
    let report =
        json!({ "cases": results, "rss_mib": { "idle": idle_rss, "after_load": loaded_rss, "peak": peak_rss } });
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("\nwritten to {}", out.display());
}
