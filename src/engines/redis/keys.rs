//! Keys of every type: listing with SCAN (never KEYS) and per-key metadata in one pipelined round
//! trip, paged reads of big collections, atomic writes, TTLs.
//!
//! Values travel as bytes. A response carries text when every element is valid UTF-8 and base64
//! otherwise, with `value_encoding` saying which, so binary data round-trips byte for byte.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use redis::Value as RedisValue;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

use super::RedisClient;
use crate::engines::EngineError;

/// The largest string value returned whole unless `full=true` is asked.
pub const DEFAULT_VALUE_LIMIT: usize = 1024 * 1024;
/// The largest page a caller may ask for.
pub const MAX_PAGE: u32 = 1000;

/// How text fields of a response are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Plain UTF-8 text.
    Utf8,
    /// Base64 of the raw bytes (some element was not valid UTF-8).
    Base64,
}

/// Encodes a group of byte strings together: all as text, or all as base64 if any is binary.
pub fn encode_all(items: &[&[u8]]) -> (Encoding, Vec<String>) {
    if items.iter().all(|b| std::str::from_utf8(b).is_ok()) {
        (Encoding::Utf8, items.iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect())
    } else {
        (Encoding::Base64, items.iter().map(|b| B64.encode(b)).collect())
    }
}

/// Decodes a value sent by a client in the given encoding.
pub fn decode(text: &str, encoding: Encoding) -> Result<Vec<u8>, EngineError> {
    match encoding {
        Encoding::Utf8 => Ok(text.as_bytes().to_vec()),
        Encoding::Base64 => B64.decode(text).map_err(|_| EngineError::Config("value is not valid base64".into())),
    }
}

/// One key in a listing.
#[derive(Debug, Serialize, JsonSchema)]
pub struct KeySummary {
    /// The key, as text or base64 (see `key_encoding`).
    pub key: String,
    /// How `key` is encoded.
    pub key_encoding: Encoding,
    /// Redis type name (`string`, `hash`, `list`, `set`, `zset`, `stream`); `none` if it vanished.
    #[serde(rename = "type")]
    pub key_type: String,
    /// Seconds to live: -1 without expiry, -2 if gone.
    pub ttl: i64,
    /// Bytes of memory (MEMORY USAGE), when the server reports it.
    pub size: Option<i64>,
}

/// A page of keys.
#[derive(Debug, Serialize, JsonSchema)]
pub struct KeyPage {
    /// The keys of this page.
    pub keys: Vec<KeySummary>,
    /// Cursor to pass for the next page; `"0"` when the walk is complete.
    pub cursor: String,
    /// Keys SCAN examined for this page (matching or not).
    pub total_scanned: usize,
    /// Keys in the database (DBSIZE), to show progress.
    pub db_size: i64,
}

fn ttl_seconds(pttl: i64) -> i64 {
    if pttl < 0 {
        pttl
    } else {
        (pttl + 999) / 1000
    }
}

/// Where a listing stands: which master (always 0 on a single node) and its SCAN cursor.
/// On a cluster the cursor travels as `"<master index>-<cursor>"`; `"0"` means start (or done).
fn parse_cursor(cursor: &str, cluster: bool) -> Result<(usize, u64), EngineError> {
    let bad = || EngineError::Config("cursor must be the value returned by the previous page".into());
    match cursor.split_once('-') {
        Some((node, c)) if cluster => Ok((node.parse().map_err(|_| bad())?, c.parse().map_err(|_| bad())?)),
        None => Ok((0, cursor.parse().map_err(|_| bad())?)),
        Some(_) => Err(bad()),
    }
}

/// How much one listing request may examine before it answers with what it found.
#[derive(Clone, Copy, Debug)]
pub struct ScanBudget {
    /// Keys examined at most.
    pub keys: usize,
    /// Time spent at most (checked between SCAN steps).
    pub time: std::time::Duration,
}

/// Keys one SCAN step asks for: enough to find what is still missing at the density seen so far.
fn step_size(needed: usize, examined: usize, kept: usize, budget_left: usize) -> usize {
    let wanted = match (examined, kept) {
        // Nothing seen yet: as many as the page needs (all of them match for `*`).
        (0, _) => needed,
        (_, 0) => 1000,
        _ => needed * examined / kept + 1,
    };
    wanted.clamp(10, 1000).min(budget_left.max(1))
}

/// A page of keys matching `pattern` (and `type_filter`), with type, TTL and size each. SCAN runs
/// step after step (every master of a cluster in turn) until `count` keys matched or `budget` is
/// spent, so a rare pattern fills its page instead of answering empty pages. SCAN's batches are
/// filtered here, not with `MATCH`, so `total_scanned` is exactly the number of keys examined; a
/// page may hold a few more than `count`, since SCAN resumes only between whole batches.
pub async fn scan(
    client: &RedisClient,
    pattern: &str,
    cursor: &str,
    count: u32,
    type_filter: Option<&str>,
    budget: ScanBudget,
) -> Result<KeyPage, EngineError> {
    let masters = client.masters().await?;
    let (mut node_index, mut node_cursor) = parse_cursor(cursor, masters.is_some())?;
    let count = count as usize;
    let started = std::time::Instant::now();
    let mut examined = 0usize;
    let mut summaries = Vec::new();
    let done = loop {
        let node = match &masters {
            Some(m) => Some(
                m.get(node_index)
                    .ok_or_else(|| EngineError::Config("the cursor names a node that is gone; start again".into()))?,
            ),
            None => None,
        };
        let step = step_size(
            count.saturating_sub(summaries.len()),
            examined,
            summaries.len(),
            budget.keys.saturating_sub(examined),
        );
        let mut cmd = redis::cmd("SCAN");
        cmd.arg(node_cursor).arg("COUNT").arg(step);
        let (next, keys): (u64, Vec<Vec<u8>>) = client.query_on(node, &cmd).await?;
        examined += keys.len();
        let found: Vec<Vec<u8>> = keys.into_iter().filter(|k| super::glob::matches(pattern.as_bytes(), k)).collect();
        summaries.extend(describe(client, node, &found).await?.into_iter().filter(|s| match type_filter {
            Some(t) => s.key_type == t,
            None => true,
        }));
        // Where the walk goes next: this master's next batch, the next master, or the end.
        let finished = match &masters {
            _ if next != 0 => {
                node_cursor = next;
                false
            }
            Some(m) if node_index + 1 < m.len() => {
                node_index += 1;
                node_cursor = 0;
                false
            }
            _ => true,
        };
        if finished || summaries.len() >= count || examined >= budget.keys || started.elapsed() >= budget.time {
            break finished;
        }
    };
    let cursor = match (&masters, done) {
        (_, true) => "0".to_string(),
        (None, false) => node_cursor.to_string(),
        (Some(_), false) => format!("{node_index}-{node_cursor}"),
    };
    let db_size = client.db_size().await?;
    Ok(KeyPage { keys: summaries, cursor, total_scanned: examined, db_size })
}

/// Type, TTL and size of each key, in one pipeline on its node.
async fn describe(
    client: &RedisClient,
    node: Option<&(String, u16)>,
    keys: &[Vec<u8>],
) -> Result<Vec<KeySummary>, EngineError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for key in keys {
        pipe.cmd("TYPE").arg(key).cmd("PTTL").arg(key).cmd("MEMORY").arg("USAGE").arg(key).arg("SAMPLES").arg(0);
    }
    let replies: Vec<RedisValue> = client.pipeline_on(node, &pipe, keys.len() * 3).await?;
    Ok(keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let at = i * 3;
            let (key_encoding, mut text) = encode_all(&[key]);
            KeySummary {
                key: text.pop().unwrap_or_default(),
                key_encoding,
                key_type: replies.get(at).and_then(as_string).unwrap_or_else(|| "none".into()),
                ttl: ttl_seconds(replies.get(at + 1).and_then(as_i64).unwrap_or(-2)),
                size: replies.get(at + 2).and_then(as_i64),
            }
        })
        .collect())
}

pub(super) fn as_i64(v: &RedisValue) -> Option<i64> {
    match v {
        RedisValue::Int(n) => Some(*n),
        RedisValue::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        _ => None,
    }
}

pub(super) fn as_string(v: &RedisValue) -> Option<String> {
    match v {
        RedisValue::SimpleString(s) => Some(s.clone()),
        RedisValue::Okay => Some("OK".into()),
        RedisValue::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

/// The index range of a list or sorted set read: never more than [`MAX_PAGE`] elements, whatever
/// `start` and `stop` the caller asked for (`stop=-1` would otherwise return the whole collection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IndexRange {
    /// First index, from the head (negative indexes resolved against the length).
    start: i64,
    /// Last index, inclusive, from the head.
    stop: i64,
    /// Whether `stop` was moved in to respect the cap.
    clamped: bool,
}

impl IndexRange {
    /// The range for `start..=stop` (default: `count` elements from `start`) of a collection of
    /// `length` elements. Indexes are resolved to absolute ones first, so the cap holds even if the
    /// collection grows before the range is read.
    fn page(start: i64, stop: Option<i64>, count: u32, length: i64) -> Self {
        let from_head = |index: i64| if index < 0 { length.saturating_add(index) } else { index };
        let start = from_head(start).max(0);
        let stop = match stop {
            Some(stop) => from_head(stop),
            None => start.saturating_add(i64::from(count) - 1),
        };
        let last_allowed = start.saturating_add(i64::from(MAX_PAGE) - 1);
        Self { start, stop: stop.min(last_allowed), clamped: stop > last_allowed }
    }

    /// Writes `start`, `stop` (the range actually read, so the next page starts at `stop + 1`) and
    /// `clamped` into a key view.
    fn report(&self, out: &mut Map<String, Value>) {
        out.insert("start".into(), json!(self.start));
        out.insert("stop".into(), json!(self.stop));
        out.insert("clamped".into(), json!(self.clamped));
    }
}

/// What the caller wants of a collection.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// HSCAN/SSCAN cursor.
    pub cursor: u64,
    /// Page size for scans and streams.
    pub count: u32,
    /// First index (lists, sorted sets).
    pub start: i64,
    /// Last index, inclusive (lists, sorted sets); at most [`MAX_PAGE`] elements are read.
    pub stop: Option<i64>,
    /// First stream id (inclusive), default `-`.
    pub stream_start: Option<String>,
    /// Return a big string whole.
    pub full: bool,
    /// Preview size for strings.
    pub value_limit: usize,
    /// Hashes, sets and sorted sets: only elements matching this glob (HSCAN/SSCAN/ZSCAN MATCH).
    pub match_pattern: Option<String>,
    /// Sorted sets: highest score first.
    pub rev: bool,
    /// Sorted sets: a score range (`min`/`max` as ZRANGEBYSCORE takes them); `start` is the offset.
    pub score_range: Option<(String, String)>,
}

/// How long one member search may keep scanning before it answers with what it found.
const MATCH_TIME: std::time::Duration = std::time::Duration::from_secs(2);
/// Elements one HSCAN/SSCAN/ZSCAN step examines while searching.
const MATCH_STEP: u32 = 1000;

/// Elements of a hash, set or sorted set matching a glob, by HSCAN/SSCAN/ZSCAN MATCH from
/// `cursor`: steps until `count` matched, the walk ends, or [`MATCH_TIME`] is spent, so a field of a
/// big hash is found without reading the whole hash. Answers the flat reply and the next cursor.
async fn scan_matching(
    client: &RedisClient,
    command: &str,
    key: &[u8],
    pattern: &str,
    cursor: u64,
    count: u32,
) -> Result<(Vec<Vec<u8>>, u64), EngineError> {
    let started = std::time::Instant::now();
    let (mut cursor, mut found) = (cursor, Vec::new());
    let per_element = if command == "SSCAN" { 1 } else { 2 };
    loop {
        let (next, flat): (u64, Vec<Vec<u8>>) = client
            .query(redis::cmd(command).arg(key).arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(MATCH_STEP))
            .await?;
        found.extend(flat);
        cursor = next;
        if cursor == 0 || found.len() / per_element >= count as usize || started.elapsed() >= MATCH_TIME {
            return Ok((found, cursor));
        }
    }
}

/// Checks a ZRANGEBYSCORE bound: `-inf`, `+inf`, or a number, `(` in front for exclusive.
pub fn check_score_bound(bound: &str) -> Result<(), EngineError> {
    let number = bound.strip_prefix('(').unwrap_or(bound);
    let ok = matches!(number, "-inf" | "+inf" | "inf") || number.parse::<f64>().is_ok_and(|n| n.is_finite());
    if ok {
        Ok(())
    } else {
        Err(EngineError::Config(format!(
            "`{bound}` is not a score bound: use a number, `(` before it for exclusive, -inf or +inf"
        )))
    }
}

fn scored(flat: &[Vec<u8>]) -> (Encoding, Vec<Value>) {
    let members: Vec<&[u8]> = flat.iter().step_by(2).map(Vec::as_slice).collect();
    let (encoding, text) = encode_all(&members);
    let scores = flat.iter().skip(1).step_by(2).map(|s| String::from_utf8_lossy(s).parse::<f64>().ok());
    (encoding, text.into_iter().zip(scores).map(|(m, s)| json!({ "member": m, "score": s })).collect())
}

// Metadata and, for a string, its first `ARGV[1]` bytes, in one round trip.
const META_SCRIPT: &str = r#"
local t = redis.call('TYPE', KEYS[1]).ok
if t == 'none' then return {t} end
local pttl = redis.call('PTTL', KEYS[1])
local mem = redis.call('MEMORY', 'USAGE', KEYS[1], 'SAMPLES', '0')
local enc = redis.call('OBJECT', 'ENCODING', KEYS[1])
if t == 'string' then
  local len = redis.call('STRLEN', KEYS[1])
  return {t, pttl, mem, enc, len, redis.call('GETRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)}
end
return {t, pttl, mem, enc}
"#;

/// A script with its SHA-1 computed once, not on every request.
fn script(cell: &'static OnceLock<redis::Script>, source: &str) -> &'static redis::Script {
    cell.get_or_init(|| redis::Script::new(source))
}

static META: OnceLock<redis::Script> = OnceLock::new();
static REPLACE: OnceLock<redis::Script> = OnceLock::new();

/// The schema of what [`read`] answers, written beside it: the metadata every key has, typed, and
/// the value's fields, which depend on the key's type, described.
pub fn key_view_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "description": "A key and a page of its value. By type: string `value`, `length`, `truncated`; hash `fields` \
                        (an object), `length`, `cursor`; set `members`, `length`, `cursor`; list `values`, `length`; \
                        sorted set `members` ({member, score}), `length`, `order`, and `cursor` or the range read \
                        (`in_range`, `start`, `stop`, `clamped`); stream `entries` ({id, fields}), `length`, \
                        `next_start`; each with `value_encoding` (`base64` when an element is not UTF-8).",
        "required": ["key", "key_encoding", "type", "ttl", "size", "encoding"],
        "properties": {
            "key": { "type": "string", "description": "The key, as text or base64 (see `key_encoding`)" },
            "key_encoding": generator.subschema_for::<Encoding>(),
            "type": { "type": "string", "description": "Redis type name (`string`, `hash`, `list`, `set`, `zset`, `stream`)" },
            "ttl": { "type": "integer", "description": "Seconds to live; -1 without expiry" },
            "size": { "type": ["integer", "null"], "description": "Bytes of memory (MEMORY USAGE), when the server reports it" },
            "encoding": { "type": ["string", "null"], "description": "The internal encoding (OBJECT ENCODING)" },
            "value_encoding": generator.subschema_for::<Encoding>(),
            "length": { "type": "integer", "description": "Elements (bytes, for a string) in the whole value" }
        }
    })
}

/// Reads a key: metadata plus a page of its value. `None` when it does not exist.
pub async fn read(client: &RedisClient, key: &[u8], opts: &ReadOptions) -> Result<Option<Value>, EngineError> {
    let limit = opts.value_limit.max(1);
    let mut invocation = script(&META, META_SCRIPT).key(key);
    invocation.arg(limit);
    let meta: Vec<RedisValue> = client.invoke(&invocation).await?;
    let key_type = meta.first().and_then(as_string).unwrap_or_else(|| "none".into());
    if key_type == "none" {
        return Ok(None);
    }
    let (key_encoding, mut key_text) = encode_all(&[key]);
    // Sized for the largest view up front: growing it reallocates several times per request.
    let mut out = Map::with_capacity(12);
    out.insert("key".into(), json!(key_text.pop()));
    out.insert("key_encoding".into(), json!(key_encoding));
    out.insert("type".into(), json!(key_type));
    out.insert("ttl".into(), json!(ttl_seconds(meta.get(1).and_then(as_i64).unwrap_or(-2))));
    out.insert("size".into(), json!(meta.get(2).and_then(as_i64)));
    out.insert("encoding".into(), json!(meta.get(3).and_then(as_string)));
    let count = opts.count.clamp(1, MAX_PAGE);
    match key_type.as_str() {
        "string" => {
            let length = meta.get(4).and_then(as_i64).unwrap_or(0);
            let longer = usize::try_from(length).unwrap_or(usize::MAX) > limit;
            let bytes: Vec<u8> = if longer && opts.full {
                client.query::<Option<Vec<u8>>>(redis::cmd("GET").arg(key)).await?.unwrap_or_default()
            } else {
                match meta.get(5) {
                    Some(RedisValue::BulkString(b)) => b.clone(),
                    _ => Vec::new(),
                }
            };
            let (encoding, mut text) = encode_all(&[&bytes]);
            out.insert("value".into(), json!(text.pop()));
            out.insert("value_encoding".into(), json!(encoding));
            out.insert("length".into(), json!(length));
            out.insert("truncated".into(), json!(longer && !opts.full));
        }
        "hash" => {
            let length: i64 = client.query(redis::cmd("HLEN").arg(key)).await?;
            let (flat, next) = match &opts.match_pattern {
                Some(p) => scan_matching(client, "HSCAN", key, p, opts.cursor, count).await?,
                None => {
                    let (next, flat): (u64, Vec<Vec<u8>>) =
                        client.query(redis::cmd("HSCAN").arg(key).arg(opts.cursor).arg("COUNT").arg(count)).await?;
                    (flat, next)
                }
            };
            let refs: Vec<&[u8]> = flat.iter().map(Vec::as_slice).collect();
            let (encoding, text) = encode_all(&refs);
            let fields: Map<String, Value> = text.chunks(2).map(|p| (p[0].clone(), json!(p.get(1)))).collect();
            out.insert("fields".into(), Value::Object(fields));
            out.insert("value_encoding".into(), json!(encoding));
            out.insert("length".into(), json!(length));
            out.insert("cursor".into(), json!(next.to_string()));
        }
        "set" => {
            let length: i64 = client.query(redis::cmd("SCARD").arg(key)).await?;
            let (members, next) = match &opts.match_pattern {
                Some(p) => scan_matching(client, "SSCAN", key, p, opts.cursor, count).await?,
                None => {
                    let (next, members): (u64, Vec<Vec<u8>>) =
                        client.query(redis::cmd("SSCAN").arg(key).arg(opts.cursor).arg("COUNT").arg(count)).await?;
                    (members, next)
                }
            };
            let refs: Vec<&[u8]> = members.iter().map(Vec::as_slice).collect();
            let (encoding, text) = encode_all(&refs);
            out.insert("members".into(), json!(text));
            out.insert("value_encoding".into(), json!(encoding));
            out.insert("length".into(), json!(length));
            out.insert("cursor".into(), json!(next.to_string()));
        }
        "list" => {
            let length: i64 = client.query(redis::cmd("LLEN").arg(key)).await?;
            let range = IndexRange::page(opts.start, opts.stop, count, length);
            let values: Vec<Vec<u8>> =
                client.query(redis::cmd("LRANGE").arg(key).arg(range.start).arg(range.stop)).await?;
            let refs: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
            let (encoding, text) = encode_all(&refs);
            out.insert("values".into(), json!(text));
            out.insert("value_encoding".into(), json!(encoding));
            out.insert("length".into(), json!(length));
            range.report(&mut out);
        }
        "zset" => {
            let length: i64 = client.query(redis::cmd("ZCARD").arg(key)).await?;
            out.insert("length".into(), json!(length));
            out.insert("order".into(), json!(if opts.rev { "desc" } else { "asc" }));
            if let Some(p) = &opts.match_pattern {
                let (flat, next) = scan_matching(client, "ZSCAN", key, p, opts.cursor, count).await?;
                let (encoding, entries) = scored(&flat);
                out.insert("members".into(), Value::Array(entries));
                out.insert("value_encoding".into(), json!(encoding));
                out.insert("cursor".into(), json!(next.to_string()));
            } else if let Some((min, max)) = &opts.score_range {
                check_score_bound(min)?;
                check_score_bound(max)?;
                let offset = opts.start.max(0);
                // ZREVRANGEBYSCORE takes the bounds the other way round.
                let mut cmd = redis::cmd(if opts.rev { "ZREVRANGEBYSCORE" } else { "ZRANGEBYSCORE" });
                let (first, second) = if opts.rev { (max, min) } else { (min, max) };
                cmd.arg(key).arg(first).arg(second).arg("WITHSCORES").arg("LIMIT").arg(offset).arg(count);
                let flat: Vec<Vec<u8>> = client.query(&cmd).await?;
                let in_range: i64 = client.query(redis::cmd("ZCOUNT").arg(key).arg(min).arg(max)).await?;
                let (encoding, entries) = scored(&flat);
                let read = i64::try_from(entries.len()).unwrap_or(0);
                out.insert("members".into(), Value::Array(entries));
                out.insert("value_encoding".into(), json!(encoding));
                out.insert("in_range".into(), json!(in_range));
                out.insert("start".into(), json!(offset));
                out.insert("stop".into(), json!(offset + read - 1));
                out.insert("clamped".into(), json!(false));
            } else {
                let range = IndexRange::page(opts.start, opts.stop, count, length);
                let command = if opts.rev { "ZREVRANGE" } else { "ZRANGE" };
                let flat: Vec<Vec<u8>> = client
                    .query(redis::cmd(command).arg(key).arg(range.start).arg(range.stop).arg("WITHSCORES"))
                    .await?;
                let (encoding, entries) = scored(&flat);
                out.insert("members".into(), Value::Array(entries));
                out.insert("value_encoding".into(), json!(encoding));
                range.report(&mut out);
            }
        }
        "stream" => {
            let length: i64 = client.query(redis::cmd("XLEN").arg(key)).await?;
            let start = opts.stream_start.clone().unwrap_or_else(|| "-".into());
            let entries: Vec<(String, Vec<Vec<u8>>)> =
                client.query(redis::cmd("XRANGE").arg(key).arg(&start).arg("+").arg("COUNT").arg(count)).await?;
            let all: Vec<&[u8]> = entries.iter().flat_map(|(_, f)| f.iter().map(Vec::as_slice)).collect();
            let (encoding, _) = encode_all(&all);
            let entries: Vec<Value> = entries
                .iter()
                .map(|(id, flat)| {
                    let refs: Vec<&[u8]> = flat.iter().map(Vec::as_slice).collect();
                    let text = match encoding {
                        Encoding::Utf8 => {
                            refs.iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect::<Vec<_>>()
                        }
                        Encoding::Base64 => refs.iter().map(|b| B64.encode(b)).collect(),
                    };
                    let fields: Map<String, Value> = text.chunks(2).map(|p| (p[0].clone(), json!(p.get(1)))).collect();
                    json!({ "id": id, "fields": fields })
                })
                .collect();
            let next = if entries.len() == count as usize {
                entries.last().and_then(|e| e["id"].as_str()).map(|id| format!("({id}"))
            } else {
                None
            };
            out.insert("entries".into(), Value::Array(entries));
            out.insert("value_encoding".into(), json!(encoding));
            out.insert("length".into(), json!(length));
            out.insert("next_start".into(), json!(next));
        }
        other => {
            out.insert("unsupported".into(), json!(format!("values of type {other} are not shown")));
        }
    }
    Ok(Some(Value::Object(out)))
}

/// A value to write, already decoded into bytes and shaped for its type.
#[derive(Debug, Clone)]
pub enum NewValue {
    /// SET.
    String(Vec<u8>),
    /// HSET field value ….
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    /// RPUSH ….
    List(Vec<Vec<u8>>),
    /// SADD ….
    Set(Vec<Vec<u8>>),
    /// ZADD score member ….
    ZSet(Vec<(f64, Vec<u8>)>),
    /// XADD key * field value ….
    Stream(Vec<(Vec<u8>, Vec<u8>)>),
}

impl NewValue {
    /// The Redis type name this value creates.
    pub fn type_name(&self) -> &'static str {
        match self {
            NewValue::String(_) => "string",
            NewValue::Hash(_) => "hash",
            NewValue::List(_) => "list",
            NewValue::Set(_) => "set",
            NewValue::ZSet(_) => "zset",
            NewValue::Stream(_) => "stream",
        }
    }

    fn args(&self) -> Vec<Vec<u8>> {
        match self {
            NewValue::String(v) => vec![v.clone()],
            NewValue::Hash(pairs) | NewValue::Stream(pairs) => {
                pairs.iter().flat_map(|(f, v)| [f.clone(), v.clone()]).collect()
            }
            NewValue::List(items) | NewValue::Set(items) => items.clone(),
            NewValue::ZSet(pairs) => pairs.iter().flat_map(|(s, m)| [s.to_string().into_bytes(), m.clone()]).collect(),
        }
    }
}

/// When to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Always.
    Always,
    /// Only if the key does not exist (NX).
    IfMissing,
    /// Only if the key exists (XX).
    IfExists,
}

/// What to do with the TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtlChange {
    /// No expiry.
    Clear,
    /// Keep the current one (updates).
    Keep,
    /// Expire after this many seconds.
    Seconds(i64),
}

// Replaces a key atomically: the condition check, the delete, the writes and the TTL run as one
// script, so no reader ever sees a missing or half-written key. Arguments are pushed in chunks to
// stay under Lua's stack limit for collections with many elements.
const REPLACE_SCRIPT: &str = r#"
local exists = redis.call('EXISTS', KEYS[1])
if ARGV[1] == 'nx' and exists == 1 then return 0 end
if ARGV[1] == 'xx' and exists == 0 then return 0 end
local keep = redis.call('PTTL', KEYS[1])
local t = ARGV[2]
if t ~= 'stream_append' then redis.call('DEL', KEYS[1]) end
local n = #ARGV
local function each(step, fn)
  local i = 4
  while i <= n do
    local j = math.min(i + step - 1, n)
    fn(i, j)
    i = j + 1
  end
end
if t == 'string' then
  redis.call('SET', KEYS[1], ARGV[4])
elseif t == 'hash' then
  each(1000, function(i, j) redis.call('HSET', KEYS[1], unpack(ARGV, i, j)) end)
elseif t == 'list' then
  each(1000, function(i, j) redis.call('RPUSH', KEYS[1], unpack(ARGV, i, j)) end)
elseif t == 'set' then
  each(1000, function(i, j) redis.call('SADD', KEYS[1], unpack(ARGV, i, j)) end)
elseif t == 'zset' then
  each(1000, function(i, j) redis.call('ZADD', KEYS[1], unpack(ARGV, i, j)) end)
elseif t == 'stream' or t == 'stream_append' then
  redis.call('XADD', KEYS[1], '*', unpack(ARGV, 4, n))
end
if ARGV[3] == 'keep' then
  if keep > 0 then redis.call('PEXPIRE', KEYS[1], keep) end
elseif tonumber(ARGV[3]) > 0 then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
end
return 1
"#;

/// Writes `value` under `key`; returns false when the condition did not hold.
pub async fn write(
    client: &RedisClient,
    key: &[u8],
    value: &NewValue,
    condition: Condition,
    ttl: TtlChange,
    append_to_stream: bool,
) -> Result<bool, EngineError> {
    let mode = match condition {
        Condition::Always => "any",
        Condition::IfMissing => "nx",
        Condition::IfExists => "xx",
    };
    let ttl_arg = match ttl {
        TtlChange::Clear => "0".to_string(),
        TtlChange::Keep => "keep".to_string(),
        TtlChange::Seconds(s) => s.to_string(),
    };
    let type_arg = if append_to_stream { "stream_append" } else { value.type_name() };
    let mut invocation = script(&REPLACE, REPLACE_SCRIPT).key(key);
    invocation.arg(mode).arg(type_arg).arg(ttl_arg);
    for arg in value.args() {
        invocation.arg(arg);
    }
    let written: i64 = client.invoke(&invocation).await.map_err(EngineError::of_write)?;
    Ok(written == 1)
}

/// The type of a key (`none` when missing).
pub async fn key_type(client: &RedisClient, key: &[u8]) -> Result<String, EngineError> {
    client.query(redis::cmd("TYPE").arg(key)).await
}

/// A change to some elements of a collection, leaving the rest as it is.
#[derive(Debug, Clone, Default)]
pub struct ElementEdit {
    /// Hash: fields to set.
    pub set_fields: Vec<(Vec<u8>, Vec<u8>)>,
    /// List: values to append; set: members to add.
    pub add: Vec<Vec<u8>>,
    /// Sorted set: members to add or re-score.
    pub add_scored: Vec<(f64, Vec<u8>)>,
    /// Hash fields, set or sorted-set members, stream ids, or list values (every occurrence) to remove.
    pub remove: Vec<Vec<u8>>,
    /// List: replace the element at an index.
    pub set_index: Option<(i64, Vec<u8>)>,
}

/// Applies an element edit to a key of type `key_type` in one MULTI/EXEC.
pub async fn edit_elements(
    client: &RedisClient,
    key: &[u8],
    key_type: &str,
    edit: &ElementEdit,
) -> Result<(), EngineError> {
    let mut pipe = redis::pipe();
    pipe.atomic();
    let unsupported = |what: &str| EngineError::Config(format!("{what} does not apply to a {key_type}"));
    match key_type {
        "hash" => {
            if !edit.add.is_empty() || !edit.add_scored.is_empty() || edit.set_index.is_some() {
                return Err(unsupported("add, scored members or index"));
            }
            if !edit.set_fields.is_empty() {
                let mut cmd = redis::cmd("HSET");
                cmd.arg(key);
                for (f, v) in &edit.set_fields {
                    cmd.arg(f).arg(v);
                }
                pipe.add_command(cmd).ignore();
            }
            if !edit.remove.is_empty() {
                pipe.cmd("HDEL").arg(key).arg(&edit.remove).ignore();
            }
        }
        "list" => {
            if !edit.set_fields.is_empty() || !edit.add_scored.is_empty() {
                return Err(unsupported("fields or scored members"));
            }
            if let Some((index, value)) = &edit.set_index {
                pipe.cmd("LSET").arg(key).arg(*index).arg(value).ignore();
            }
            if !edit.add.is_empty() {
                pipe.cmd("RPUSH").arg(key).arg(&edit.add).ignore();
            }
            for value in &edit.remove {
                pipe.cmd("LREM").arg(key).arg(0).arg(value).ignore();
            }
        }
        "set" => {
            if !edit.set_fields.is_empty() || !edit.add_scored.is_empty() || edit.set_index.is_some() {
                return Err(unsupported("fields, scored members or index"));
            }
            if !edit.add.is_empty() {
                pipe.cmd("SADD").arg(key).arg(&edit.add).ignore();
            }
            if !edit.remove.is_empty() {
                pipe.cmd("SREM").arg(key).arg(&edit.remove).ignore();
            }
        }
        "zset" => {
            if !edit.set_fields.is_empty() || !edit.add.is_empty() || edit.set_index.is_some() {
                return Err(unsupported("fields, plain members or index"));
            }
            if !edit.add_scored.is_empty() {
                let mut cmd = redis::cmd("ZADD");
                cmd.arg(key);
                for (score, member) in &edit.add_scored {
                    cmd.arg(*score).arg(member);
                }
                pipe.add_command(cmd).ignore();
            }
            if !edit.remove.is_empty() {
                pipe.cmd("ZREM").arg(key).arg(&edit.remove).ignore();
            }
        }
        "stream" => {
            if !edit.set_fields.is_empty()
                || !edit.add.is_empty()
                || !edit.add_scored.is_empty()
                || edit.set_index.is_some()
            {
                return Err(unsupported("anything but removing entries"));
            }
            if !edit.remove.is_empty() {
                pipe.cmd("XDEL").arg(key).arg(&edit.remove).ignore();
            }
        }
        other => {
            return Err(EngineError::Config(format!("elements of a {other} cannot be edited; replace it with PUT")))
        }
    }
    let _: () = client.pipeline(&pipe).await.map_err(EngineError::of_write)?;
    Ok(())
}

/// Deletes a key without blocking the server (UNLINK); false when it did not exist.
pub async fn unlink(client: &RedisClient, key: &[u8]) -> Result<bool, EngineError> {
    let n: i64 = client.query(redis::cmd("UNLINK").arg(key)).await.map_err(EngineError::of_write)?;
    Ok(n > 0)
}

/// Renames a key (RENAME, or RENAMENX unless `overwrite`): false when the target exists and
/// `overwrite` is false; NotFound when the key does not exist.
pub async fn rename(client: &RedisClient, key: &[u8], new_key: &[u8], overwrite: bool) -> Result<bool, EngineError> {
    let exists: i64 = client.query(redis::cmd("EXISTS").arg(key)).await?;
    if exists == 0 {
        return Err(EngineError::NotFound("key not found".into()));
    }
    if overwrite {
        let _: () = client.query(redis::cmd("RENAME").arg(key).arg(new_key)).await.map_err(EngineError::of_write)?;
        return Ok(true);
    }
    let n: i64 = client.query(redis::cmd("RENAMENX").arg(key).arg(new_key)).await.map_err(EngineError::of_write)?;
    Ok(n == 1)
}

/// Sets (seconds > 0) or removes (None) a key's expiry; false when the key does not exist.
pub async fn expire(client: &RedisClient, key: &[u8], seconds: Option<i64>) -> Result<bool, EngineError> {
    match seconds {
        Some(s) => {
            let n: i64 = client.query(redis::cmd("EXPIRE").arg(key).arg(s)).await.map_err(EngineError::of_write)?;
            Ok(n == 1)
        }
        None => {
            let exists: i64 = client.query(redis::cmd("EXISTS").arg(key)).await?;
            if exists == 0 {
                return Ok(false);
            }
            let _: i64 = client.query(redis::cmd("PERSIST").arg(key)).await.map_err(EngineError::of_write)?;
            Ok(true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_groups_become_base64() {
        assert_eq!(encode_all(&[b"a", b"b"]).0, Encoding::Utf8);
        let (enc, text) = encode_all(&[b"a", &[0xff, 0x00]]);
        assert_eq!(enc, Encoding::Base64);
        assert_eq!(text[1], "/wA=");
    }

    #[test]
    fn index_ranges_stay_within_the_page_cap() {
        let page = |start, stop, count, length| {
            let r = IndexRange::page(start, stop, count, length);
            (r.start, r.stop, r.clamped)
        };
        let cap = i64::from(MAX_PAGE);
        // Default: `count` elements from `start`.
        assert_eq!(page(0, None, 100, 300_000), (0, 99, false));
        assert_eq!(page(10, Some(19), 100, 300_000), (10, 19, false));
        // The whole list, or a range past the cap, is cut to the cap.
        assert_eq!(page(0, Some(-1), 100, 300_000), (0, cap - 1, true));
        assert_eq!(page(5, Some(i64::MAX), 100, 300_000), (5, 5 + cap - 1, true));
        assert_eq!(page(-2000, Some(-1), 100, 300_000), (298_000, 298_000 + cap - 1, true));
        // Negative indexes of a short list resolve against its length.
        assert_eq!(page(-3, Some(-1), 100, 10), (7, 9, false));
        assert_eq!(page(-50, Some(-1), 100, 10), (0, 9, false));
        assert_eq!(page(0, Some(-1), 100, 0), (0, -1, false));
        // No overflow at the extremes.
        assert_eq!(page(i64::MAX, None, MAX_PAGE, 5), (i64::MAX, i64::MAX, false));
        assert_eq!(page(i64::MIN, Some(i64::MIN), 100, 5), (0, i64::MIN + 5, false));
    }

    #[test]
    fn ttl_rounds_up() {
        assert_eq!(ttl_seconds(-1), -1);
        assert_eq!(ttl_seconds(1), 1);
        assert_eq!(ttl_seconds(1000), 1);
        assert_eq!(ttl_seconds(1001), 2);
    }
}
