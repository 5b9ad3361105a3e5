//! Import throughput against the native loaders on the same data and machine: a generated file of
//! `BENCH_IMPORT_MB` MiB (default 1024) per engine, loaded once with the engine's own tool and once
//! through Switchboard's streamed import, with Switchboard's peak RSS while it imports.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::{json, Value};

use super::common::{Redis, TestApp};
use super::peak_rss_during;

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

/// Streams `file` as the body of an import request.
async fn upload(app: &TestApp, token: &str, path: &str, content_type: &str, file: &Path) -> Value {
    let file = tokio::fs::File::open(file).await.unwrap();
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024));
    let response = reqwest::Client::new()
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or_default();
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
    let ratio = native["seconds"].as_f64().unwrap_or(f64::NAN) / ours["seconds"].as_f64().unwrap_or(f64::NAN);
    println!("  switchboard at {ratio:.2}x the speed of redis-cli --pipe");
    json!({ "bytes": written, "native": native, "switchboard": ours, "speed_vs_native": ratio })
}
