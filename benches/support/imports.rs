//! Import throughput against the native loaders on the same data and machine: a generated file of
//! `BENCH_IMPORT_MB` MiB (default 1024) per engine, loaded once with the engine's own tool and once
//! through Switchboard's streamed import, with Switchboard's peak RSS while it imports.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::{json, Value};

use super::common::{Mongo, Postgres, Redis, TestApp};
use super::peak_rss_during;

/// Whether this run imports into `engine`: every engine unless `BENCH_IMPORT_ENGINES` lists some.
pub fn wants(engine: &str) -> bool {
    std::env::var("BENCH_IMPORT_ENGINES").map_or(true, |list| list.split(',').any(|e| e.trim() == engine))
}

fn size_bytes() -> u64 {
    std::env::var("BENCH_IMPORT_MB").ok().and_then(|s| s.parse().ok()).unwrap_or(1024u64) << 20
}

/// One loader's run.
fn measured(tool: &str, bytes: u64, items: u64, secs: f64, peak_rss_mib: Option<f64>) -> Value {
    let mib_per_sec = bytes as f64 / (1 << 20) as f64 / secs;
    let rss = peak_rss_mib.map(|p| format!(", peak RSS {p:.1} MiB")).unwrap_or_default();
    println!("  {tool:<28} {items:>10} items in {secs:>6.1} s = {mib_per_sec:>6.1} MiB/s{rss}");
    json!({ "tool": tool, "items": items, "seconds": secs, "mib_per_sec": mib_per_sec, "peak_rss_mib": peak_rss_mib })
}

/// Streams `file` as the body of an import request; answers the import's report.
async fn upload(app: &TestApp, token: &str, path: &str, content_type: &str, file: &Path) -> Value {
    let file = tokio::fs::File::open(file).await.unwrap();
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024));
    let (status, answer) = app.upload(token, path, content_type, body).await;
    assert!(status.is_success(), "{path}: {status} {answer}");
    answer
}

/// Redis: string keys with 100-byte values, `redis-cli --pipe` (RESP) against `POST …/import`
/// (NDJSON in the export format).
pub async fn redis(app: &TestApp, token: &str, pid: u32, redis: &Redis, dir: &Path) -> Value {
    let (ndjson_path, resp_path) = (dir.join("redis.ndjson"), dir.join("redis.resp"));
    let (mut ndjson, mut resp) = (
        std::io::BufWriter::new(std::fs::File::create(&ndjson_path).unwrap()),
        std::io::BufWriter::new(std::fs::File::create(&resp_path).unwrap()),
    );
    let (target, mut written, mut keys) = (size_bytes(), 0u64, 0u64);
    // Stay under the default import limit of 1 GiB.
    while written + 256 < target {
        let key = format!("import:{keys:010}");
        let value = format!("{keys:0>100}");
        let line =
            format!("{{\"key\":\"{key}\",\"type\":\"string\",\"ttl_ms\":null,\"part\":0,\"value\":\"{value}\"}}\n");
        ndjson.write_all(line.as_bytes()).unwrap();
        write!(resp, "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n", key.len(), value.len()).unwrap();
        written += line.len() as u64;
        keys += 1;
    }
    ndjson.flush().unwrap();
    resp.flush().unwrap();
    drop((ndjson, resp));
    println!("\nimporting {keys} Redis keys ({:.0} MiB of NDJSON):", written as f64 / (1 << 20) as f64);
    redis.cli(&["FLUSHALL"]);

    let started = Instant::now();
    let ok = Command::new("redis-cli")
        .args(["-p", &redis.port.to_string(), "--pipe"])
        .stdin(std::fs::File::open(&resp_path).unwrap())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success(), "redis-cli --pipe failed");
    let native = measured("redis-cli --pipe", written, keys, started.elapsed().as_secs_f64(), None);
    assert_eq!(redis.cli(&["DBSIZE"]), keys.to_string());
    redis.cli(&["FLUSHALL"]);

    let started = Instant::now();
    let path = "/api/platform/redis/default/import";
    let (answer, _, peak) = peak_rss_during(pid, upload(app, token, path, "application/x-ndjson", &ndjson_path)).await;
    let ours = measured("switchboard import", written, keys, started.elapsed().as_secs_f64(), Some(peak));
    assert_eq!(answer["data"]["keys"], keys, "{answer}");
    assert_eq!(redis.cli(&["DBSIZE"]), keys.to_string());
    redis.cli(&["FLUSHALL"]);
    let _ = std::fs::remove_file(&ndjson_path);
    let _ = std::fs::remove_file(&resp_path);
    compared("redis-cli --pipe", written, native, ours)
}

/// PostgreSQL: rows of (bigint, numeric, text, timestamptz) as CSV, `psql \copy` against
/// `POST …/tables/{id}/import`.
pub async fn postgres(app: &TestApp, token: &str, pid: u32, pg: &Postgres, dir: &Path) -> Value {
    let csv_path = dir.join("rows.csv");
    let mut csv = std::io::BufWriter::new(std::fs::File::create(&csv_path).unwrap());
    let (target, mut written, mut rows) = (size_bytes(), 0u64, 0u64);
    writeln!(csv, "id,amount,name,at").unwrap();
    while written + 256 < target {
        let line = format!(
            "{rows},{}.{:02},\"customer {rows:010}, \"\"quoted\"\" name\",2026-01-{:02}T12:00:00Z\n",
            rows * 7 % 100_000,
            rows % 100,
            rows % 28 + 1
        );
        csv.write_all(line.as_bytes()).unwrap();
        written += line.len() as u64;
        rows += 1;
    }
    csv.flush().unwrap();
    drop(csv);
    println!("\nimporting {rows} PostgreSQL rows ({:.0} MiB of CSV):", written as f64 / (1 << 20) as f64);
    let create = "CREATE TABLE imported (id bigint, amount numeric, name text, at timestamptz)";
    pg.psql("postgres", create);

    let started = Instant::now();
    pg.psql("postgres", &format!("\\copy imported FROM '{}' WITH (FORMAT csv, HEADER)", csv_path.display()));
    let native = measured("psql \\copy", written, rows, started.elapsed().as_secs_f64(), None);
    assert_eq!(pg.psql("postgres", "SELECT count(*) FROM imported"), rows.to_string());
    pg.psql("postgres", "TRUNCATE imported");

    let id = pg.psql("postgres", "SELECT 'imported'::regclass::oid");
    let path = format!("/api/platform/pg-meta/default/tables/{id}/import");
    let started = Instant::now();
    let (answer, _, peak) = peak_rss_during(pid, upload(app, token, &path, "text/csv", &csv_path)).await;
    let ours = measured("switchboard import", written, rows, started.elapsed().as_secs_f64(), Some(peak));
    assert_eq!(answer["data"]["rows"], rows, "{answer}");
    assert_eq!(pg.psql("postgres", "SELECT count(*) FROM imported"), rows.to_string());
    pg.psql("postgres", "DROP TABLE imported");
    let _ = std::fs::remove_file(&csv_path);
    compared("psql \\copy", written, native, ours)
}

/// MongoDB: documents (an integer, a double, a string, a date) as NDJSON, pymongo's `insert_many`
/// (batches of 1,000, unordered) against `POST …/collections/{c}/import`.
pub async fn mongodb(app: &TestApp, token: &str, pid: u32, mongo: &Mongo, dir: &Path) -> Value {
    let path = dir.join("docs.ndjson");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let (target, mut written, mut docs) = (size_bytes(), 0u64, 0u64);
    while written + 256 < target {
        let line = format!(
            "{{\"n\":{docs},\"amount\":{}.5,\"name\":\"customer {docs:010} with a name long enough\",\"at\":{{\"$date\":\"2026-01-{:02}T12:00:00Z\"}}}}\n",
            docs % 100_000,
            docs % 28 + 1
        );
        out.write_all(line.as_bytes()).unwrap();
        written += line.len() as u64;
        docs += 1;
    }
    out.flush().unwrap();
    drop(out);
    println!("\nimporting {docs} MongoDB documents ({:.0} MiB of NDJSON):", written as f64 / (1 << 20) as f64);

    // pymongo from the test venv (scripts/install-deps.sh installs it with the wire server).
    let python = std::env::var("SWITCHBOARD_TEST_VENV").map(|v| format!("{v}/bin/python")).unwrap_or_else(|_| {
        format!("{}/.cache/switchboard/venv/bin/python", std::env::var("HOME").unwrap_or_default())
    });
    let script = "import sys\nfrom bson import json_util\nfrom pymongo import MongoClient\n\
        c = MongoClient(sys.argv[1])['bench']['native']\nbatch = []\n\
        for line in open(sys.argv[2]):\n    batch.append(json_util.loads(line))\n    \
        if len(batch) == 1000:\n        c.insert_many(batch, ordered=False); batch = []\n\
        if batch: c.insert_many(batch, ordered=False)\nprint(c.estimated_document_count())\n";
    let uri = format!("mongodb://127.0.0.1:{}/?directConnection=true", mongo.port);
    let started = Instant::now();
    let output = Command::new(&python).args(["-c", script, &uri]).arg(&path).output().expect("the test venv's python");
    assert!(output.status.success(), "pymongo: {}", String::from_utf8_lossy(&output.stderr));
    let native = measured("pymongo insert_many", written, docs, started.elapsed().as_secs_f64(), None);
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), docs.to_string());

    let route = "/api/platform/mongodb/default/databases/bench/collections/imported/import";
    let started = Instant::now();
    let (answer, _, peak) = peak_rss_during(pid, upload(app, token, route, "application/x-ndjson", &path)).await;
    let ours = measured("switchboard import", written, docs, started.elapsed().as_secs_f64(), Some(peak));
    assert_eq!(answer["data"]["inserted"], docs, "{answer}");
    let _ = std::fs::remove_file(&path);
    compared("pymongo insert_many", written, native, ours)
}

/// The two runs side by side, and our speed as a share of the native tool's.
fn compared(tool: &str, bytes: u64, native: Value, ours: Value) -> Value {
    let ratio = native["seconds"].as_f64().unwrap_or(f64::NAN) / ours["seconds"].as_f64().unwrap_or(f64::NAN);
    println!("  switchboard at {ratio:.2}x the speed of {tool}");
    json!({ "bytes": bytes, "native": native, "switchboard": ours, "speed_vs_native": ratio })
}
