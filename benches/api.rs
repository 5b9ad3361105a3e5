//! Switchboard against the direct drivers and the tools users pick today, side by side in one run
//! on one machine.
//!
//! Run with `bench/run.sh` (it installs wrk and the peers, and builds in release mode). Each case is
//! measured at 1 and 32 concurrent clients for `BENCH_SECS` seconds (default 10): Switchboard and
//! the peers (postgres-meta, redis-commander, mongo-express, installed by `bench/peers.sh`) with
//! `wrk`, Redis with `redis-benchmark` or the redis crate, PostgreSQL with `pgbench` (prepared
//! statements), MongoDB with the official Rust driver, MariaDB with `mysql_async` (prepared
//! statements, binary protocol). Then memory: Switchboard's RSS idle, after the load, with 1,000
//! connections in 100 projects of which 200 have open pools, and its peak while streaming 1,000,000
//! PostgreSQL rows, 1,000,000 MongoDB documents and walking 1,000,000 Redis keys. Results print as
//! tables and go to `bench/results.json`. Backends are started by the test harness on free ports in
//! temporary directories. `BENCH_SKIP_PEERS=1` leaves the peers out; `BENCH_ONLY` (a comma-separated
//! list of `redis`, `postgres`, `mongodb`, `mysql`, `memory` and `import`) runs only those parts.
//! The import part loads a generated file of `BENCH_IMPORT_MB` MiB (default 1024) per engine with
//! the engine's own loader and through Switchboard (benches/support/imports.rs);
//! `BENCH_IMPORT_ENGINES` (a comma-separated list of `redis`, `postgres`, `mongodb`) picks engines.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/cpu.rs"]
mod cpu;
#[path = "support/imports.rs"]
mod imports;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{AppOptions, Backend, MariaDb, Mongo, Postgres, Redis, TestApp};
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
    /// Answers that were not 2xx/3xx (only tolerated from peers; counted in their throughput).
    errors: u64,
    /// CPU time per request of the server under test, the backend and the load generator.
    cpu: Option<cpu::CpuPerRequest>,
}

fn secs() -> u64 {
    std::env::var("BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(10)
}

/// The parts `BENCH_ONLY` may name.
const PARTS: [&str; 6] = ["redis", "postgres", "mongodb", "mysql", "memory", "import"];

/// Whether this run measures `part`: every part unless `BENCH_ONLY` lists some.
fn wants(part: &str) -> bool {
    match std::env::var("BENCH_ONLY") {
        Ok(only) if !only.trim().is_empty() => only.split(',').any(|p| p.trim() == part),
        _ => true,
    }
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

/// Runs wrk against Switchboard's `url`.
fn wrk(case: &str, url: &str, token: &str, clients: u32, script: Option<&Path>) -> Measure {
    wrk_as("switchboard", case, url, token, clients, script)
}

/// Runs wrk against `url` and reads throughput and latency percentiles from its report.
fn wrk_as(path: &str, case: &str, url: &str, token: &str, clients: u32, script: Option<&Path>) -> Measure {
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
    let field = |prefix: &str| text.lines().find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_string()));
    let errors = field("Non-2xx or 3xx responses:").and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!(path == "peer" || errors == 0, "{case}: errors during the run:\n{text}");
    if errors > 0 {
        println!("{path} {case} at {clients} clients: {errors} answers were errors");
    }
    Measure {
        case: case.into(),
        path: path.into(),
        clients,
        requests_per_sec: field("Requests/sec:").and_then(|v| v.parse().ok()).unwrap_or(f64::NAN),
        p50_ms: field("50%").map(|v| to_ms(&v)).unwrap_or(f64::NAN),
        p99_ms: field("99%").map(|v| to_ms(&v)).unwrap_or(f64::NAN),
        errors,
        cpu: None,
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
        errors: 0,
        cpu: None,
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
    Measure {
        case: case.into(),
        path: "direct".into(),
        clients,
        requests_per_sec: tps,
        p50_ms: p50,
        p99_ms: p99,
        errors: 0,
        cpu: None,
    }
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
        errors: 0,
        cpu: None,
    }
}

/// The same statement through `mysql_async` from `clients` tasks sharing a pool of that many
/// connections: prepared once per connection and run with the binary protocol, like the server
/// does; connections go back to the pool without a reset (an application's usual setting), so
/// each query is one round trip.
async fn mysql_direct(case: &str, maria: &MariaDb, sql: &'static str, rows: usize, clients: u32) -> Measure {
    use mysql_async::prelude::Queryable;
    let fields = maria.fields();
    let text = |name: &str| fields[name].as_str().map(str::to_string);
    let constraints = mysql_async::PoolConstraints::new(0, clients as usize).expect("pool size");
    // Without an idle lifetime the driver closes every connection given back beyond `min` (0):
    // each query would open a new one.
    let pool_opts = mysql_async::PoolOpts::default()
        .with_constraints(constraints)
        .with_inactive_connection_ttl(Duration::from_secs(60))
        .with_reset_connection(false);
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname("127.0.0.1")
        .tcp_port(maria.port)
        .user(text("username"))
        .pass(text("password"))
        .db_name(text("database_name"))
        .prefer_socket(false)
        .pool_opts(pool_opts);
    let pool = mysql_async::Pool::new(opts);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let pool = pool.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let mut conn = pool.get_conn().await.unwrap();
                let got: Vec<mysql_async::Row> = conn.exec(sql, ()).await.unwrap();
                drop(conn);
                assert_eq!(got.len(), rows);
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
    let rps = all.len() as f64 / started.elapsed().as_secs_f64();
    let _ = pool.disconnect().await;
    let (p50, p99) = percentiles(&mut all);
    Measure {
        case: case.into(),
        path: "direct".into(),
        clients,
        requests_per_sec: rps,
        p50_ms: p50,
        p99_ms: p99,
        errors: 0,
        cpu: None,
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
    let find = |path: &str, sb: &Measure| {
        results.iter().find(|m| m.path == path && m.case == sb.case && m.clients == sb.clients).cloned()
    };
    let figures = |m: &Option<Measure>| match m {
        Some(m) => format!("{:.0} | {:.2} / {:.2}", m.requests_per_sec, m.p50_ms, m.p99_ms),
        None => "– | –".into(),
    };
    let ratio = |sb: &Measure, other: &Option<Measure>| match other {
        Some(o) => format!("{:.0} %", 100.0 * sb.requests_per_sec / o.requests_per_sec),
        None => "–".into(),
    };
    let times = |sb: &Measure, other: &Option<Measure>| match other {
        Some(o) => format!("{:.1}×", sb.requests_per_sec / o.requests_per_sec),
        None => "–".into(),
    };
    println!("\n| case | clients | switchboard req/s | p50 / p99 ms | direct req/s | p50 / p99 ms | switchboard / direct | peer req/s | p50 / p99 ms | switchboard / peer |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for sb in results.iter().filter(|m| m.path == "switchboard") {
        let direct = find("direct", sb);
        let peer = find("peer", sb);
        println!(
            "| {} | {} | {:.0} | {:.2} / {:.2} | {} | {} | {} | {} |",
            sb.case,
            sb.clients,
            sb.requests_per_sec,
            sb.p50_ms,
            sb.p99_ms,
            figures(&direct),
            ratio(sb, &direct),
            figures(&peer),
            times(sb, &peer),
        );
    }
}

/// CPU microseconds per request of every run: the server under test (Switchboard or a peer), the
/// backend and the load generator.
fn print_cpu_table(results: &[Measure]) {
    let us = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.1}"));
    println!("\nCPU µs per request (user + system, from /proc over the run):");
    println!("\n| case | clients | path | req/s | server | backend | load generator |");
    println!("|---|---|---|---|---|---|---|");
    for m in results {
        let Some(cpu) = m.cpu else { continue };
        println!(
            "| {} | {} | {} | {:.0} | {} | {} | {:.1} |",
            m.case,
            m.clients,
            m.path,
            m.requests_per_sec,
            us(cpu.server_us),
            us(cpu.backend_us),
            cpu.load_us
        );
    }
}

/// A peer tool started by `bench/peers.sh start`, stopped when dropped.
struct Peer {
    name: &'static str,
    child: std::process::Child,
    base: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port whose successor is free too (postgres-meta also listens on port + 1).
fn free_port_pair() -> u16 {
    loop {
        let port = common::free_port();
        if std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

/// Starts a peer against a backend and waits until `probe` answers.
async fn start_peer(name: &'static str, backend_port: u16, probe: &str) -> Peer {
    let port = if name == "postgres-meta" { free_port_pair() } else { common::free_port() };
    let child = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/peers.sh"))
        .args(["start", name, "127.0.0.1", &backend_port.to_string(), &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("bench/peers.sh");
    let peer = Peer { name, child, base: format!("http://127.0.0.1:{port}") };
    let http = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(r) = http.get(format!("{}{probe}", peer.base)).send().await {
            if r.status().is_success() {
                return peer;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{name} did not answer {probe} within 60 s");
}

/// The first page of 100 keys with type, TTL and size, straight through the redis crate: SCAN,
/// then TYPE, PTTL and MEMORY USAGE of each key in one pipeline, from `clients` tasks.
async fn redis_list_direct(port: u16, clients: u32) -> Measure {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
    let conn = client.get_multiplexed_async_connection().await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let mut conn = conn.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let (_, keys): (String, Vec<String>) =
                    redis::cmd("SCAN").arg(0).arg("COUNT").arg(100).query_async(&mut conn).await.unwrap();
                let mut pipe = redis::pipe();
                for key in &keys {
                    pipe.cmd("TYPE").arg(key).cmd("PTTL").arg(key).cmd("MEMORY").arg("USAGE").arg(key);
                }
                let _: Vec<redis::Value> = pipe.query_async(&mut conn).await.unwrap();
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
    let rps = all.len() as f64 / started.elapsed().as_secs_f64();
    let (p50, p99) = percentiles(&mut all);
    Measure {
        case: "redis list 100 keys (type, TTL, size)".into(),
        path: "direct".into(),
        clients,
        requests_per_sec: rps,
        p50_ms: p50,
        p99_ms: p99,
        errors: 0,
        cpu: None,
    }
}

/// Runs `work` while sampling the process's RSS every 20 ms; returns the work's output, the RSS
/// before and the highest RSS seen, in MiB.
async fn peak_rss_during<F: std::future::Future>(pid: u32, work: F) -> (F::Output, f64, f64) {
    let before = rss_mib(pid, "VmRSS:");
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak = 0.0f64;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(rss_mib(pid, "VmRSS:"));
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        })
    };
    let output = work.await;
    done.store(true, Ordering::Relaxed);
    let peak = sampler.join().unwrap_or(f64::NAN).max(before);
    (output, before, peak)
}

/// Reads a streamed response to the end, counting its lines, without keeping it.
async fn count_streamed_lines(mut response: reqwest::Response) -> usize {
    assert!(response.status().is_success(), "{}", response.status());
    let mut lines = 0;
    while let Some(chunk) = response.chunk().await.unwrap() {
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    lines
}

#[tokio::main]
async fn main() {
    // `cargo test --all-targets` runs bench targets too, without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("benches/api.rs: run it with bench/run.sh (cargo bench --bench api)");
        return;
    }
    if let Ok(only) = std::env::var("BENCH_ONLY") {
        let unknown: Vec<&str> =
            only.split(',').map(str::trim).filter(|p| !p.is_empty() && !PARTS.contains(p)).collect();
        assert!(unknown.is_empty(), "BENCH_ONLY: unknown part(s) {unknown:?}; known: {PARTS:?}");
    }
    let redis = Redis::start(None);
    let pg = Postgres::start();
    let mongo = Mongo::start();
    let maria = MariaDb::start();
    let app = TestApp::start_with(AppOptions {
        env: vec![
            ("SWITCHBOARD_RATE_LIMIT_PER_SECOND".into(), "1000000000".into()),
            ("SWITCHBOARD_RATE_LIMIT_BURST".into(), "1000000000".into()),
            ("RUST_LOG".into(), "warn".into()),
            // One user drives every client: lift the per-user limit of concurrent SQL.
            ("SWITCHBOARD_SQL_PER_USER".into(), "1000".into()),
        ],
        ..Default::default()
    })
    .await;
    let token = app.admin_token().await;
    let pid = app.pid().expect("server pid");
    let idle_rss = rss_mib(pid, "VmRSS:");
    let dir = tempfile::tempdir().unwrap();
    let mut maria_fields = maria.fields();
    maria_fields["identifier"] = json!("sql");
    maria_fields["options"] = json!({"pool_size": 32});
    for (engine, body) in [
        ("redis", json!({"identifier": "cache", "host": "127.0.0.1", "port": redis.port})),
        (
            "postgres",
            json!({"identifier": "db", "host": "127.0.0.1", "port": pg.port, "username": "postgres", "database_name": "postgres", "options": {"pool_size": 32}}),
        ),
        ("mongodb", json!({"identifier": "docs", "host": "127.0.0.1", "port": mongo.port})),
        ("mysql", maria_fields),
    ] {
        let (status, created) = app.post(&format!("/api/platform/{engine}/default/connections"), &token, body).await;
        assert!(status.is_success(), "{created}");
    }

    // Data: the key redis-benchmark reads (`key:__rand_int__` defaults to `key:000000000000`), 100
    // rows, and 10,000 documents in 500 groups of 20.
    redis.cli(&["SET", "key:000000000000", "xxx"]);
    if wants("postgres") {
        pg.psql(
            "postgres",
            "CREATE TABLE bench_rows AS SELECT g AS id, md5(g::text) AS name, now() AS at FROM generate_series(1, 100) g",
        );
        // The Table Editor's page: 1,000,000 rows, paged by the primary key.
        pg.psql(
            "postgres",
            "CREATE TABLE editor_rows (id bigint PRIMARY KEY, name text, at timestamptz); \
             INSERT INTO editor_rows SELECT g, md5(g::text), now() FROM generate_series(1, 1000000) g; ANALYZE editor_rows;",
        );
    }
    if wants("mongodb") {
        let docs: Vec<Value> =
            (0..1000).map(|i| json!({"i": i, "group": i % 50, "name": format!("item {i}")})).collect();
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
    }
    // MariaDB: 1,000 rows like PostgreSQL's bench_rows, of which the query reads the first 100.
    if wants("mysql") {
        maria.sql(
            common::backends::MARIADB_DATABASE,
            "CREATE TABLE bench_rows (id INT PRIMARY KEY, name VARCHAR(32), at TIMESTAMP(6)); \
             INSERT INTO bench_rows WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000) \
             SELECT n, md5(n), now(6) FROM g;",
        );
    }

    // 10,000 more keys for the listing, and one document with a known id.
    if wants("redis") {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}", redis.port)).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let mut pipe = redis::pipe();
        for i in 0..10_000 {
            pipe.cmd("SET").arg(format!("list:{i:05}")).arg(i).ignore();
        }
        let () = pipe.query_async(&mut conn).await.unwrap();
    }
    let doc_id = "650000000000000000000001";
    if wants("mongodb") {
        let (status, body) = app
            .post(
                "/api/platform/mongodb/default/databases/bench/collections/items/documents",
                &token,
                json!({"document": {"_id": {"$oid": doc_id}, "group": -1, "name": "known"}}),
            )
            .await;
        assert!(status.is_success(), "{body}");
    }

    let peers = std::env::var("BENCH_SKIP_PEERS").map_or(true, |v| v != "1");
    let mut peer_rss = Vec::new();
    if peers {
        let installed = Command::new("bash")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/peers.sh"))
            .arg("install")
            .status()
            .expect("bench/peers.sh");
        assert!(installed.success(), "bench/peers.sh install failed");
    }
    let pg_meta =
        if peers && wants("postgres") { Some(start_peer("postgres-meta", pg.port, "/tables").await) } else { None };
    let commander = if peers && wants("redis") {
        Some(start_peer("redis-commander", redis.port, "/connections").await)
    } else {
        None
    };
    let express = if peers && wants("mongodb") {
        Some(start_peer("mongo-express", mongo.port, "/db/bench/items").await)
    } else {
        None
    };

    let select_one = post_script(dir.path(), "select1", &json!({"query": "SELECT 1 AS one"}));
    let select_rows = post_script(dir.path(), "rows", &json!({"query": "SELECT * FROM bench_rows"}));
    const MYSQL_ONE: &str = "SELECT 1";
    const MYSQL_ROWS: &str = "SELECT * FROM bench_rows LIMIT 100";
    let mysql_one = post_script(dir.path(), "mysql-select1", &json!({ "query": MYSQL_ONE }));
    let mysql_rows = post_script(dir.path(), "mysql-rows", &json!({ "query": MYSQL_ROWS }));
    let base = &app.base;
    let editor_page = if wants("postgres") { Some(editor_page_urls(&app, &token, &pg).await) } else { None };
    let mut results = Vec::new();
    let (redis_pid, pg_pid, mongo_pid, maria_pid) = (redis.pid(), pg.pid(), mongo.pid(), maria.pid());
    // Each run with the CPU time it cost the server under test, the backend and the load generator.
    macro_rules! measured {
        ($server:expr, $backend:expr, $run:expr) => {{
            let watch = cpu::CpuWatch::start($server, $backend);
            let mut measure: Measure = $run;
            measure.cpu = Some(watch.per_request(measure.requests_per_sec));
            measure
        }};
    }
    for clients in [1u32, 32] {
        if wants("redis") {
            results.push(measured!(
                Some(pid),
                redis_pid,
                wrk(
                    "redis GET small string",
                    &format!("{base}/api/platform/redis/default/keys/key:000000000000"),
                    &token,
                    clients,
                    None,
                )
            ));
            results.push(measured!(None, redis_pid, redis_benchmark(redis.port, clients)));
            if let Some(peer) = &commander {
                let url = format!("{}/apiv2/key/R%3A127.0.0.1%3A{}%3A0/key%3A000000000000", peer.base, redis.port);
                results.push(measured!(
                    Some(peer.child.id()),
                    redis_pid,
                    wrk_as("peer", "redis GET small string", &url, "none", clients, None)
                ));
            }
            let list = "redis list 100 keys (type, TTL, size)";
            results.push(measured!(
                Some(pid),
                redis_pid,
                wrk(list, &format!("{base}/api/platform/redis/default/keys?count=100"), &token, clients, None,)
            ));
            results.push(measured!(None, redis_pid, redis_list_direct(redis.port, clients).await));
        }
        if let Some((first, deep)) = &editor_page {
            let query = format!("{base}/api/platform/pg-meta/default/query");
            results.push(measured!(
                Some(pid),
                pg_pid,
                wrk("postgres SELECT 1", &query, &token, clients, Some(&select_one))
            ));
            results.push(measured!(None, pg_pid, pgbench("postgres SELECT 1", &pg, "SELECT 1", clients, dir.path())));
            if let Some(peer) = &pg_meta {
                let url = format!("{}/query", peer.base);
                results.push(measured!(
                    Some(peer.child.id()),
                    pg_pid,
                    wrk_as("peer", "postgres SELECT 1", &url, "none", clients, Some(&select_one))
                ));
            }
            results.push(measured!(
                Some(pid),
                pg_pid,
                wrk("postgres 100-row select", &query, &token, clients, Some(&select_rows))
            ));
            results.push(measured!(
                None,
                pg_pid,
                pgbench("postgres 100-row select", &pg, "SELECT * FROM bench_rows", clients, dir.path())
            ));
            if let Some(peer) = &pg_meta {
                let url = format!("{}/query", peer.base);
                results.push(measured!(
                    Some(peer.child.id()),
                    pg_pid,
                    wrk_as("peer", "postgres 100-row select", &url, "none", clients, Some(&select_rows))
                ));
            }
            results.push(measured!(
                Some(pid),
                pg_pid,
                wrk("postgres table page 1 (100 of 1M rows)", first, &token, clients, None)
            ));
            let direct_first = "SELECT * FROM editor_rows ORDER BY id LIMIT 100";
            results.push(measured!(
                None,
                pg_pid,
                pgbench("postgres table page 1 (100 of 1M rows)", &pg, direct_first, clients, dir.path())
            ));
            results.push(measured!(
                Some(pid),
                pg_pid,
                wrk("postgres table page 5,000 (100 of 1M rows)", deep, &token, clients, None)
            ));
            let direct_deep = "SELECT * FROM editor_rows WHERE id > 499900 ORDER BY id LIMIT 100";
            results.push(measured!(
                None,
                pg_pid,
                pgbench("postgres table page 5,000 (100 of 1M rows)", &pg, direct_deep, clients, dir.path())
            ));
            results.push(measured!(
                Some(pid),
                pg_pid,
                wrk("postgres tables", &format!("{base}/api/platform/pg-meta/default/tables"), &token, clients, None,)
            ));
            if let Some(peer) = &pg_meta {
                results.push(measured!(
                    Some(peer.child.id()),
                    pg_pid,
                    wrk_as("peer", "postgres tables", &format!("{}/tables", peer.base), "none", clients, None,)
                ));
            }
        }
        if wants("mongodb") {
            let find = format!("{base}/api/platform/mongodb/default/databases/bench/collections/items/documents?filter=%7B%22group%22%3A7%7D&limit=20&count=false");
            results.push(measured!(
                Some(pid),
                mongo_pid,
                wrk("mongodb find 20 (filtered)", &find, &token, clients, None)
            ));
            results.push(measured!(None, mongo_pid, mongo_direct(mongo.port, clients).await));
            let by_id =
                format!("{base}/api/platform/mongodb/default/databases/bench/collections/items/documents/{doc_id}");
            results.push(measured!(Some(pid), mongo_pid, wrk("mongodb document by id", &by_id, &token, clients, None)));
            if let Some(peer) = &express {
                let url = format!("{}/db/bench/items/%22{doc_id}%22", peer.base);
                results.push(measured!(
                    Some(peer.child.id()),
                    mongo_pid,
                    wrk_as("peer", "mongodb document by id", &url, "none", clients, None)
                ));
            }
        }
        if wants("mysql") {
            let query = format!("{base}/api/platform/mysql/default/query");
            results.push(measured!(
                Some(pid),
                maria_pid,
                wrk("mariadb SELECT 1", &query, &token, clients, Some(&mysql_one))
            ));
            results.push(measured!(
                None,
                maria_pid,
                mysql_direct("mariadb SELECT 1", &maria, MYSQL_ONE, 1, clients).await
            ));
            results.push(measured!(
                Some(pid),
                maria_pid,
                wrk("mariadb 100-row select", &query, &token, clients, Some(&mysql_rows))
            ));
            results.push(measured!(
                None,
                maria_pid,
                mysql_direct("mariadb 100-row select", &maria, MYSQL_ROWS, 100, clients).await
            ));
        }
    }
    print_table(&results);
    print_cpu_table(&results);
    let loaded_rss = rss_mib(pid, "VmRSS:");
    let peak_rss = rss_mib(pid, "VmHWM:");
    println!("\nswitchboard RSS: idle {idle_rss:.1} MiB, after the load {loaded_rss:.1} MiB, peak {peak_rss:.1} MiB");
    for peer in [&pg_meta, &commander, &express].into_iter().flatten() {
        let rss = rss_mib(peer.child.id(), "VmRSS:");
        println!("{} RSS after the load: {rss:.1} MiB", peer.name);
        peer_rss.push(json!({ "peer": peer.name, "rss_mib_after_load": rss }));
    }
    drop((pg_meta, commander, express));

    let (many, streaming) = if wants("memory") {
        let many = many_connections(&app, &token, pid, redis.port, pg.port, mongo.port).await;
        (many, streaming(&app, &token, pid, &redis, mongo.port).await)
    } else {
        (Value::Null, Value::Null)
    };

    let imports = if wants("import") {
        let dir = tempfile::tempdir().unwrap();
        let mut by_engine = serde_json::Map::new();
        if imports::wants("redis") {
            by_engine.insert("redis".into(), imports::redis(&app, &token, pid, &redis, dir.path()).await);
        }
        if imports::wants("postgres") {
            by_engine.insert("postgres".into(), imports::postgres(&app, &token, pid, &pg, dir.path()).await);
        }
        if imports::wants("mongodb") {
            by_engine.insert("mongodb".into(), imports::mongodb(&app, &token, pid, &mongo, dir.path()).await);
        }
        Value::Object(by_engine)
    } else {
        Value::Null
    };

    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/results.json");
    let report = json!({
        "imports": imports,
        "cases": results,
        "rss_mib": { "idle": idle_rss, "after_load": loaded_rss, "peak": peak_rss },
        "peers_rss": peer_rss,
        "many_connections": many,
        "streaming": streaming,
    });
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("\nwritten to {}", out.display());
}

/// The Table Editor URLs of page 1 and page 5,000 (100 rows each) of `editor_rows`. The cursor of
/// page 5,000 is reached by walking 1,000 rows at a time (a cursor does not depend on the limit).
async fn editor_page_urls(app: &TestApp, token: &str, pg: &Postgres) -> (String, String) {
    let id = pg.psql("postgres", "SELECT 'editor_rows'::regclass::oid");
    let rows = format!("{}/api/platform/pg-meta/default/tables/{id}/rows", app.base);
    let mut cursor: Option<String> = None;
    let mut walked = 0;
    while walked < 499_900 {
        let limit = (499_900 - walked).min(1000);
        let mut url = format!("{rows}?limit={limit}&select=id");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = app.http.get(&url).bearer_auth(token).send().await.unwrap().json().await.unwrap();
        walked += page["data"]["rows"].as_array().map_or(0, Vec::len);
        cursor = Some(page["data"]["cursor"].as_str().expect("a next page").to_string());
    }
    let cursor = cursor.unwrap_or_default();
    (format!("{rows}?limit=100"), format!("{rows}?limit=100&cursor={cursor}"))
}

/// RSS with 1,000 registered connections across 100 projects, then with 200 of them holding an
/// open pool (70 Redis, 70 PostgreSQL, 60 MongoDB, all on the benchmark's servers).
async fn many_connections(app: &TestApp, token: &str, pid: u32, redis: u16, pg: u16, mongo: u16) -> Value {
    let mut opened = Vec::new();
    for p in 0..100 {
        let (status, project) = app.post("/api/platform/projects", token, json!({"name": format!("bench {p}")})).await;
        assert!(status.is_success(), "{project}");
        let project_ref = project["data"]["ref"].as_str().unwrap().to_string();
        for c in 0..10 {
            let (engine, body) = match c % 3 {
                0 => ("redis", json!({"identifier": format!("r{c}"), "host": "127.0.0.1", "port": redis})),
                1 => (
                    "postgres",
                    json!({"identifier": format!("p{c}"), "host": "127.0.0.1", "port": pg, "username": "postgres", "database_name": "postgres"}),
                ),
                _ => ("mongodb", json!({"identifier": format!("m{c}"), "host": "127.0.0.1", "port": mongo})),
            };
            let (status, created) =
                app.post(&format!("/api/platform/{engine}/{project_ref}/connections"), token, body).await;
            assert!(status.is_success(), "{created}");
            if (c < 2 && p < 70) || (c == 2 && p < 60) {
                opened.push((engine, project_ref.clone(), created["data"]["id"].as_str().unwrap().to_string()));
            }
        }
    }
    opened.truncate(200);
    let registered = rss_mib(pid, "VmRSS:");
    for (engine, project_ref, id) in &opened {
        let path = match *engine {
            "redis" => format!("/api/platform/redis/{project_ref}/keys?count=10&connection_id={id}"),
            "postgres" => format!("/api/platform/pg-meta/{project_ref}/schemas?connection_id={id}"),
            _ => format!("/api/platform/mongodb/{project_ref}/databases?connection_id={id}"),
        };
        let (status, body) = app.get(&path, token).await;
        assert!(status.is_success(), "{path}: {body}");
    }
    let with_pools = rss_mib(pid, "VmRSS:");
    let per_pool_kib = (with_pools - registered) * 1024.0 / opened.len() as f64;
    println!(
        "\n1,000 connections in 100 projects: RSS {registered:.1} MiB; with {} open pools {with_pools:.1} MiB ({per_pool_kib:.0} KiB per pool)",
        opened.len()
    );
    json!({ "connections": 1000, "projects": 100, "open_pools": opened.len(), "rss_mib_registered": registered,
            "rss_mib_with_pools": with_pools, "kib_per_pool": per_pool_kib })
}

/// Peak RSS while streaming 1,000,000 PostgreSQL rows and 1,000,000 MongoDB documents as NDJSON and
/// while walking 1,000,000 Redis keys page by page.
async fn streaming(app: &TestApp, token: &str, pid: u32, redis: &Redis, mongo: u16) -> Value {
    const N: usize = 1_000_000;
    let http = reqwest::Client::new();

    let body = json!({"query": "SELECT g AS id, md5(g::text) AS name FROM generate_series(1, 1000000) g"});
    let request = http
        .post(format!("{}/api/platform/pg-meta/default/query", app.base))
        .bearer_auth(token)
        .header("accept", "application/x-ndjson")
        .json(&body);
    let (rows, pg_before, pg_peak) =
        peak_rss_during(pid, async { count_streamed_lines(request.send().await.unwrap()).await }).await;
    assert_eq!(rows, N);
    println!("\nstreaming 1,000,000 PostgreSQL rows: RSS {pg_before:.1} MiB before, peak {pg_peak:.1} MiB");

    // 1,000,000 documents, inserted through the driver in batches.
    {
        use mongodb::bson::doc;
        let client =
            mongodb::Client::with_uri_str(format!("mongodb://127.0.0.1:{mongo}/?directConnection=true")).await.unwrap();
        let coll = client.database("bench").collection::<mongodb::bson::Document>("million");
        let seeding = Instant::now();
        for batch in 0..(N / 10_000) {
            let docs: Vec<_> =
                (0..10_000).map(|i| doc! { "n": (batch * 10_000 + i) as i64, "name": format!("doc {i}") }).collect();
            coll.insert_many(docs).await.unwrap();
        }
        println!("(seeded 1,000,000 documents in {:.0} s)", seeding.elapsed().as_secs_f64());
    }
    let request = http
        .get(format!("{}/api/platform/mongodb/default/databases/bench/collections/million/documents", app.base))
        .bearer_auth(token)
        .header("accept", "application/x-ndjson");
    let (docs, mongo_before, mongo_peak) =
        peak_rss_during(pid, async { count_streamed_lines(request.send().await.unwrap()).await }).await;
    assert_eq!(docs, N);
    println!("streaming 1,000,000 MongoDB documents: RSS {mongo_before:.1} MiB before, peak {mongo_peak:.1} MiB");

    // 1,000,000 keys (the 10,001 already there included), walked 1,000 at a time.
    {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}", redis.port)).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        for batch in 0..(N / 10_000) {
            let mut pipe = redis::pipe();
            for i in 0..10_000 {
                pipe.cmd("SET").arg(format!("walk:{:07}", batch * 10_000 + i)).arg(1).ignore();
            }
            let () = pipe.query_async(&mut conn).await.unwrap();
        }
    }
    let walk = async {
        let mut seen = 0usize;
        let mut cursor = "0".to_string();
        loop {
            let url = format!("/api/platform/redis/default/keys?count=1000&cursor={cursor}");
            let (status, page) = app.get(&url, token).await;
            assert!(status.is_success(), "{page}");
            seen += page["data"]["keys"].as_array().map_or(0, Vec::len);
            cursor = page["data"]["cursor"].as_str().unwrap_or("0").to_string();
            if cursor == "0" {
                break seen;
            }
        }
    };
    let (keys, redis_before, redis_peak) = peak_rss_during(pid, walk).await;
    assert!(keys >= N, "walked {keys} keys");
    println!("walking {keys} Redis keys: RSS {redis_before:.1} MiB before, peak {redis_peak:.1} MiB");
    json!({
        "postgres_rows": { "count": rows, "rss_mib_before": pg_before, "rss_mib_peak": pg_peak },
        "mongodb_documents": { "count": docs, "rss_mib_before": mongo_before, "rss_mib_peak": mongo_peak },
        "redis_keys_walked": { "count": keys, "rss_mib_before": redis_before, "rss_mib_peak": redis_peak },
    })
}
