//! Keyspace analysis, the equivalent of RedisInsight's Database Analysis: walks the whole keyspace
//! with SCAN (every master of a cluster) at a bounded rate, so production is not hurt, and reports
//! keys and memory by namespace, the type mix, TTL coverage and distribution, and the biggest keys.
//!
//! Memory comes from `MEMORY USAGE … SAMPLES 0` on a sample of the keys (every `1/rate`-th key);
//! totals scale the sample up and say the rate. Element counts (HLEN, LLEN, SCARD, ZCARD, XLEN,
//! STRLEN) are read for every key, so "biggest by element count" is exact.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::time::{Duration, Instant};

use redis::Value as RedisValue;
use serde::Serialize;
use serde_json::{json, Value};

use super::keys::{encode_all, Encoding};
use super::RedisClient;
use crate::engines::EngineError;
use crate::jobs::{JobContext, JobFailure};

/// Keys read per SCAN call.
const SCAN_COUNT: usize = 500;
/// Biggest keys kept per ranking.
const TOP: usize = 100;
/// Namespaces listed per level in the report, biggest first.
const NAMESPACES_SHOWN: usize = 1_000;
/// Distinct namespaces kept per level; the rest are counted under `(other)`.
const NAMESPACES_PER_LEVEL: usize = 10_000;

/// What the analysis was asked.
#[derive(Clone, Debug)]
pub struct AnalysisOptions {
    /// Separates namespace levels in key names (default `:`).
    pub separator: String,
    /// Namespace levels reported (1-5).
    pub depth: usize,
    /// Keys examined per second at most.
    pub keys_per_second: u32,
    /// Share of keys whose memory is measured (0 < rate <= 1).
    pub memory_sample_rate: f64,
}

/// Keys and memory of one namespace (or type).
#[derive(Clone, Debug, Default, Serialize)]
struct Tally {
    keys: u64,
    /// Bytes measured on the sampled keys, scaled up by the sample rate.
    memory: u64,
}

/// One key in a ranking, ordered by its amount (then name, so the order is total).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct Ranked {
    amount: u64,
    key: String,
    key_encoding: Encoding,
    #[serde(rename = "type")]
    kind: String,
}

/// The running totals.
#[derive(Default)]
struct Totals {
    keys: u64,
    sampled: u64,
    sampled_memory: u64,
    types: BTreeMap<String, Tally>,
    /// `levels[d]` maps a namespace of `d + 1` levels to its tally.
    levels: Vec<HashMap<String, Tally>>,
    with_ttl: u64,
    ttl_buckets: [u64; 6],
    by_memory: BinaryHeap<Reverse<Ranked>>,
    by_length: BinaryHeap<Reverse<Ranked>>,
}

const TTL_BUCKETS: [(&str, i64); 6] = [
    ("under 1 minute", 60_000),
    ("under 1 hour", 3_600_000),
    ("under 1 day", 86_400_000),
    ("under 1 week", 604_800_000),
    ("under 30 days", 2_592_000_000),
    ("30 days or more", i64::MAX),
];

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.amount.cmp(&other.amount).then_with(|| self.key.cmp(&other.key))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

fn keep_top(heap: &mut BinaryHeap<Reverse<Ranked>>, item: Ranked) {
    if heap.len() < TOP {
        heap.push(Reverse(item));
    } else if heap.peek().is_some_and(|Reverse(smallest)| item.amount > smallest.amount) {
        heap.pop();
        heap.push(Reverse(item));
    }
}

fn ranking(heap: BinaryHeap<Reverse<Ranked>>) -> Vec<Ranked> {
    let mut items: Vec<Ranked> = heap.into_iter().map(|Reverse(r)| r).collect();
    items.sort_by(|a, b| b.amount.cmp(&a.amount).then_with(|| a.key.cmp(&b.key)));
    items
}

/// The namespaces of `key`: its first 1..=depth separator-delimited prefixes (a key without the
/// separator has none).
fn namespaces(key: &str, separator: &str, depth: usize) -> Vec<String> {
    let parts: Vec<&str> = key.split(separator).collect();
    // The last part is the key's own name, not a namespace.
    (1..parts.len().min(depth + 1)).map(|n| parts[..n].join(separator)).collect()
}

impl Totals {
    fn add(&mut self, key: &[u8], kind: &str, pttl: i64, length: u64, memory: Option<u64>, opts: &AnalysisOptions) {
        self.keys += 1;
        let scaled = memory.map(|m| (m as f64 / opts.memory_sample_rate).round() as u64).unwrap_or(0);
        if let Some(m) = memory {
            self.sampled += 1;
            self.sampled_memory += m;
        }
        let tally = self.types.entry(kind.to_string()).or_default();
        tally.keys += 1;
        tally.memory += scaled;
        if pttl >= 0 {
            self.with_ttl += 1;
            let bucket = TTL_BUCKETS.iter().position(|(_, limit)| pttl < *limit).unwrap_or(TTL_BUCKETS.len() - 1);
            self.ttl_buckets[bucket] += 1;
        }
        let name = String::from_utf8_lossy(key);
        for (level, namespace) in namespaces(&name, &opts.separator, opts.depth).into_iter().enumerate() {
            if self.levels.len() <= level {
                self.levels.push(HashMap::new());
            }
            let map = &mut self.levels[level];
            let slot = if map.contains_key(&namespace) || map.len() < NAMESPACES_PER_LEVEL {
                namespace
            } else {
                "(other)".to_string()
            };
            let t = map.entry(slot).or_default();
            t.keys += 1;
            t.memory += scaled;
        }
        let (key_encoding, mut names) = encode_all(&[key]);
        let shown = names.pop().unwrap_or_default();
        if let Some(m) = memory {
            let item = Ranked { amount: m, key: shown.clone(), key_encoding, kind: kind.to_string() };
            keep_top(&mut self.by_memory, item);
        }
        keep_top(&mut self.by_length, Ranked { amount: length, key: shown, key_encoding, kind: kind.to_string() });
    }

    fn report(self, opts: &AnalysisOptions, scanned_nodes: usize) -> Value {
        let levels: Vec<Value> = self
            .levels
            .into_iter()
            .enumerate()
            .map(|(depth, map)| {
                let mut items: Vec<(String, Tally)> = map.into_iter().collect();
                let total = items.len();
                items.sort_by(|a, b| b.1.memory.cmp(&a.1.memory).then(b.1.keys.cmp(&a.1.keys)).then(a.0.cmp(&b.0)));
                items.truncate(NAMESPACES_SHOWN);
                json!({
                    "depth": depth + 1,
                    // How many namespaces this level has; the biggest `NAMESPACES_SHOWN` are listed.
                    "total": total,
                    "namespaces": items.into_iter().map(|(name, t)| json!({"name": name, "keys": t.keys, "memory": t.memory})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let estimated_memory = (self.sampled_memory as f64 / opts.memory_sample_rate).round() as u64;
        json!({
            "keys": self.keys,
            "memory": {
                "estimated_total": estimated_memory,
                "sampled_keys": self.sampled,
                "sample_rate": opts.memory_sample_rate,
                "note": format!(
                    "memory measured with MEMORY USAGE on {} of {} keys (rate {}), scaled up",
                    self.sampled, self.keys, opts.memory_sample_rate
                ),
            },
            "separator": opts.separator,
            "namespaces": levels,
            "types": self.types,
            "ttl": {
                "with_ttl": self.with_ttl,
                "without_ttl": self.keys - self.with_ttl,
                "buckets": TTL_BUCKETS.iter().zip(self.ttl_buckets).map(|((label, _), count)| json!({"label": label, "keys": count})).collect::<Vec<_>>(),
            },
            "biggest_by_memory": ranking(self.by_memory),
            "biggest_by_length": ranking(self.by_length),
            "nodes": scanned_nodes,
        })
    }
}

fn as_text(value: &RedisValue) -> String {
    match value {
        RedisValue::SimpleString(s) => s.clone(),
        RedisValue::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        RedisValue::Okay => "OK".into(),
        _ => String::new(),
    }
}

fn as_int(value: &RedisValue) -> Option<i64> {
    match value {
        RedisValue::Int(n) => Some(*n),
        _ => None,
    }
}

/// The command that counts a type's elements.
fn length_command(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "string" => "STRLEN",
        "hash" => "HLEN",
        "list" => "LLEN",
        "set" => "SCARD",
        "zset" => "ZCARD",
        "stream" => "XLEN",
        _ => return None,
    })
}

/// Walks the keyspace and answers the report; progress counts keys against DBSIZE.
pub async fn analyse(client: &RedisClient, opts: &AnalysisOptions, ctx: &JobContext) -> Result<Value, JobFailure> {
    let total = u64::try_from(client.db_size().await?).ok();
    ctx.progress(0, total);
    let masters = client.masters().await?;
    let nodes: Vec<Option<&(String, u16)>> = match &masters {
        Some(list) => list.iter().map(Some).collect(),
        None => vec![None],
    };
    let step = (1.0 / opts.memory_sample_rate).round().max(1.0) as u64;
    let started = Instant::now();
    let mut totals = Totals::default();
    for node in &nodes {
        let mut cursor = 0u64;
        loop {
            if ctx.is_cancelled() {
                return Err(JobFailure::Cancelled);
            }
            let (next, keys): (u64, Vec<Vec<u8>>) =
                client.query_on(*node, redis::cmd("SCAN").arg(cursor).arg("COUNT").arg(SCAN_COUNT)).await?;
            examine(client, *node, &keys, step, opts, &mut totals).await?;
            ctx.progress(totals.keys, total.map(|t| t.max(totals.keys)));
            // Stay under the rate: the keys examined so far may not have taken less than their due time.
            let due = Duration::from_secs_f64(totals.keys as f64 / f64::from(opts.keys_per_second.max(1)));
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = ctx.cancelled() => return Err(JobFailure::Cancelled),
                }
            }
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
    }
    Ok(totals.report(opts, nodes.len()))
}

/// Reads type, TTL, sampled memory and element count of one batch of keys, in two pipelines.
async fn examine(
    client: &RedisClient,
    node: Option<&(String, u16)>,
    keys: &[Vec<u8>],
    step: u64,
    opts: &AnalysisOptions,
    totals: &mut Totals,
) -> Result<(), EngineError> {
    if keys.is_empty() {
        return Ok(());
    }
    let mut first = redis::pipe();
    let mut sampled = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        first.cmd("TYPE").arg(key).cmd("PTTL").arg(key);
        let sample = (totals.keys + i as u64) % step == 0;
        if sample {
            first.cmd("MEMORY").arg("USAGE").arg(key).arg("SAMPLES").arg(0);
        }
        sampled.push(sample);
    }
    let commands = keys.len() * 2 + sampled.iter().filter(|s| **s).count();
    let replies = client.pipeline_on(node, &first, commands).await?;
    let mut replies = replies.into_iter();
    let mut facts = Vec::with_capacity(keys.len());
    for sample in &sampled {
        let kind = replies.next().map(|v| as_text(&v)).unwrap_or_default();
        let pttl = replies.next().and_then(|v| as_int(&v)).unwrap_or(-1);
        let memory =
            if *sample { replies.next().and_then(|v| as_int(&v)).and_then(|m| u64::try_from(m).ok()) } else { None };
        facts.push((kind, pttl, memory));
    }
    let mut second = redis::pipe();
    let mut counted = 0;
    for (key, (kind, _, _)) in keys.iter().zip(&facts) {
        if let Some(cmd) = length_command(kind) {
            second.cmd(cmd).arg(key);
            counted += 1;
        }
    }
    let lengths = if counted > 0 { client.pipeline_on(node, &second, counted).await? } else { Vec::new() };
    let mut lengths = lengths.into_iter();
    for (key, (kind, pttl, memory)) in keys.iter().zip(facts) {
        // A key deleted between SCAN and TYPE reads as `none`: it no longer counts.
        if kind == "none" || kind.is_empty() {
            continue;
        }
        let length = if length_command(&kind).is_some() {
            lengths.next().and_then(|v| as_int(&v)).and_then(|n| u64::try_from(n).ok()).unwrap_or(0)
        } else {
            0
        };
        totals.add(key, &kind, pttl, length, memory, opts);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_the_prefixes_up_to_the_depth() {
        assert_eq!(namespaces("user:1:profile", ":", 2), vec!["user", "user:1"]);
        assert_eq!(namespaces("user:1:profile", ":", 5), vec!["user", "user:1"]);
        assert_eq!(namespaces("plain", ":", 3), Vec::<String>::new());
        assert_eq!(namespaces("a/b/c/d", "/", 1), vec!["a"]);
    }

    #[test]
    fn rankings_keep_the_biggest() {
        let mut heap = BinaryHeap::new();
        for n in 0..250u64 {
            keep_top(
                &mut heap,
                Ranked { amount: n, key: format!("k{n}"), key_encoding: Encoding::Utf8, kind: "string".into() },
            );
        }
        let top = ranking(heap);
        assert_eq!(top.len(), TOP);
        assert_eq!(top[0].amount, 249);
        assert_eq!(top[TOP - 1].amount, 150);
    }
}
