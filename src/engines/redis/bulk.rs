//! Bulk work on a Redis keyspace: the NDJSON export and import, and the mass delete and TTL
//! change by pattern. All of them walk the keyspace with SCAN (every master of a cluster) in
//! batches, so memory stays flat whatever the number of keys.
//!
//! The export format: one JSON object per line, `{"key", "type", "ttl_ms", "part", "value"}`.
//! Byte strings (keys, values, fields, members) are JSON strings when they are UTF-8, else
//! `{"base64": "…"}`, so any value survives. A collection or a long string is written in parts
//! of at most [`PAGE`] elements or [`PIECE`] bytes: `part` 0 carries the TTL and the first part, the
//! next lines of the same key add to it. Values: a string is a byte string; a list or a set an
//! array of them; a hash an array of `[field, value]`; a sorted set an array of `[member, score]`
//! (the score as Redis writes it, e.g. `"1.5"` or `"inf"`); a stream an array of `[id, [[field,
//! value], …]]`. Module types (RedisJSON, …) and stream consumer groups are not exported.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use redis::Value as RedisValue;
use serde::Serialize;
use serde_json::{json, Value};

use super::keys::{as_i64, as_string};
use super::RedisClient;
use crate::engines::export::RowSink;
use crate::engines::EngineError;
use crate::jobs::{JobContext, JobFailure};

/// Keys asked of SCAN per call.
const SCAN_COUNT: usize = 1000;
/// Elements of a collection per export line.
pub const PAGE: usize = 1000;
/// Bytes of a string per export line.
pub const PIECE: usize = 1024 * 1024;
/// Keys shown in a dry run.
pub const SAMPLE: usize = 20;
/// The columns of an export line, in order.
pub const COLUMNS: [&str; 5] = ["key", "type", "ttl_ms", "part", "value"];

type Node = Option<(String, u16)>;

/// Walks the keys matching a glob pattern, one SCAN batch at a time, over every master.
pub struct KeyWalk<'a> {
    client: &'a RedisClient,
    pattern: Vec<u8>,
    nodes: Vec<Node>,
    node: usize,
    cursor: u64,
    /// Keys SCAN has returned so far (matching or not).
    pub scanned: u64,
}

impl<'a> KeyWalk<'a> {
    /// A walk over `client`'s keyspace for `pattern` (Redis glob syntax).
    pub async fn new(client: &'a RedisClient, pattern: &str) -> Result<Self, EngineError> {
        let nodes = match client.masters().await? {
            Some(masters) => masters.into_iter().map(Some).collect(),
            None => vec![None],
        };
        Ok(Self { client, pattern: pattern.as_bytes().to_vec(), nodes, node: 0, cursor: 0, scanned: 0 })
    }

    /// The next batch: the node it came from and its matching keys (possibly none); `None` once
    /// every node has been walked.
    pub async fn next(&mut self) -> Result<Option<(Node, Vec<Vec<u8>>)>, EngineError> {
        let Some(node) = self.nodes.get(self.node).cloned() else { return Ok(None) };
        let scan = redis::cmd("SCAN").arg(self.cursor).arg("COUNT").arg(SCAN_COUNT).clone();
        let (next, keys): (u64, Vec<Vec<u8>>) = self.client.query_on(node.as_ref(), &scan).await?;
        self.scanned += keys.len() as u64;
        self.cursor = next;
        if next == 0 {
            self.node += 1;
        }
        let matching = keys.into_iter().filter(|k| super::glob::matches(&self.pattern, k)).collect();
        Ok(Some((node, matching)))
    }
}

/// What a dry run found.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DryRun {
    /// Keys matching the pattern (exact: the whole keyspace was scanned).
    pub count: u64,
    /// Keys examined.
    pub scanned: u64,
    /// Up to 20 of the matching keys, as text or `{"base64": …}`.
    pub sample: Vec<Value>,
}

/// Counts the keys matching `pattern` and keeps a sample.
pub async fn dry_run(client: &RedisClient, pattern: &str) -> Result<DryRun, EngineError> {
    let mut walk = KeyWalk::new(client, pattern).await?;
    let (mut count, mut sample) = (0u64, Vec::new());
    while let Some((_, keys)) = walk.next().await? {
        count += keys.len() as u64;
        sample.extend(keys.iter().take(SAMPLE.saturating_sub(sample.len())).map(|k| bytes_json(k)));
    }
    Ok(DryRun { count, scanned: walk.scanned, sample })
}

/// The change a mass job makes to each matching key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MassChange {
    /// UNLINK it.
    Delete,
    /// Give it this TTL in seconds.
    Expire(i64),
    /// Remove its TTL.
    Persist,
}

/// Applies `change` to every key matching `pattern`, a batch at a time; progress counts the keys
/// changed, and a cancel stops it between batches with that count.
pub async fn mass_change(
    client: &RedisClient,
    pattern: &str,
    change: MassChange,
    job: &JobContext,
) -> Result<Value, JobFailure> {
    let mut walk = KeyWalk::new(client, pattern).await?;
    let (mut matched, mut changed) = (0u64, 0u64);
    while let Some((node, keys)) = walk.next().await? {
        if job.is_cancelled() {
            return Err(JobFailure::Cancelled);
        }
        matched += keys.len() as u64;
        if keys.is_empty() {
            continue;
        }
        let mut pipe = redis::pipe();
        for key in &keys {
            match change {
                MassChange::Delete => pipe.cmd("UNLINK").arg(key),
                MassChange::Expire(seconds) => pipe.cmd("EXPIRE").arg(key).arg(seconds),
                MassChange::Persist => pipe.cmd("PERSIST").arg(key),
            };
        }
        let replies = client.pipeline_on(node.as_ref(), &pipe, keys.len()).await.map_err(EngineError::of_write)?;
        changed += replies.iter().filter_map(as_i64).filter(|n| *n > 0).count() as u64;
        job.progress(changed, None);
    }
    Ok(json!({ "scanned": walk.scanned, "matched": matched, "changed": changed }))
}

/// A byte string as JSON: text when it is UTF-8, else `{"base64": …}`.
pub fn bytes_json(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(text) => Value::String(text.to_string()),
        Err(_) => json!({ "base64": B64.encode(bytes) }),
    }
}

/// The bytes a JSON value written by [`bytes_json`] stands for.
pub fn json_bytes(value: &Value) -> Result<Vec<u8>, String> {
    match value {
        Value::String(text) => Ok(text.as_bytes().to_vec()),
        Value::Object(o) if o.len() == 1 => match o.get("base64") {
            Some(Value::String(b)) => B64.decode(b).map_err(|_| "invalid base64".to_string()),
            _ => Err("a byte string is a JSON string or {\"base64\": \"…\"}".into()),
        },
        _ => Err("a byte string is a JSON string or {\"base64\": \"…\"}".into()),
    }
}

fn bulk(value: &RedisValue) -> Vec<u8> {
    match value {
        RedisValue::BulkString(b) => b.clone(),
        RedisValue::SimpleString(s) => s.as_bytes().to_vec(),
        RedisValue::Int(n) => n.to_string().into_bytes(),
        RedisValue::Double(d) => d.to_string().into_bytes(),
        _ => Vec::new(),
    }
}

fn items(value: &RedisValue) -> &[RedisValue] {
    match value {
        RedisValue::Array(items) | RedisValue::Set(items) => items,
        _ => &[],
    }
}

/// Where the export of one key has come to.
enum Next {
    /// Done.
    Done,
    /// A string: the next byte offset.
    Offset(usize),
    /// A hash, set or sorted set: the next SCAN cursor.
    Cursor(u64),
    /// A list: the next index.
    Index(i64),
    /// A stream: the last id written.
    After(Vec<u8>),
}

/// The command reading the first part of a key of this type.
fn first_read(kind: &str, key: &[u8]) -> Option<redis::Cmd> {
    next_read(kind, key, &first_position(kind)?)
}

fn first_position(kind: &str) -> Option<Next> {
    Some(match kind {
        "string" => Next::Offset(0),
        "hash" | "set" | "zset" => Next::Cursor(0),
        "list" => Next::Index(0),
        "stream" => Next::After(Vec::new()),
        _ => return None,
    })
}

fn next_read(kind: &str, key: &[u8], at: &Next) -> Option<redis::Cmd> {
    let mut cmd;
    match (kind, at) {
        ("string", Next::Offset(o)) => {
            cmd = redis::cmd("GETRANGE");
            cmd.arg(key).arg(*o).arg(o + PIECE - 1);
        }
        ("hash", Next::Cursor(c)) | ("set", Next::Cursor(c)) | ("zset", Next::Cursor(c)) => {
            let verb = match kind {
                "hash" => "HSCAN",
                "set" => "SSCAN",
                _ => "ZSCAN",
            };
            cmd = redis::cmd(verb);
            cmd.arg(key).arg(*c).arg("COUNT").arg(PAGE);
        }
        ("list", Next::Index(i)) => {
            cmd = redis::cmd("LRANGE");
            cmd.arg(key).arg(*i).arg(i + PAGE as i64 - 1);
        }
        ("stream", Next::After(id)) => {
            cmd = redis::cmd("XRANGE");
            if id.is_empty() {
                cmd.arg(key).arg("-");
            } else {
                let mut exclusive = b"(".to_vec();
                exclusive.extend_from_slice(id);
                cmd.arg(key).arg(exclusive);
            }
            cmd.arg("+").arg("COUNT").arg(PAGE);
        }
        _ => return None,
    }
    Some(cmd)
}

/// One part of a key's value as JSON, and where the next part starts.
fn read_part(kind: &str, reply: &RedisValue, at: &Next) -> (Value, Next) {
    match (kind, at) {
        ("string", Next::Offset(o)) => {
            let piece = bulk(reply);
            let next = if piece.len() == PIECE { Next::Offset(o + PIECE) } else { Next::Done };
            (bytes_json(&piece), next)
        }
        ("hash", _) | ("set", _) | ("zset", _) => {
            let parts = items(reply);
            let cursor = parts.first().map(bulk).and_then(|c| String::from_utf8(c).ok()?.parse().ok()).unwrap_or(0);
            let elements = parts.get(1).map(items).unwrap_or(&[]);
            let value = if kind == "set" {
                Value::Array(elements.iter().map(|e| bytes_json(&bulk(e))).collect())
            } else {
                // Pairs: field and value, or member and score (kept as the server's text).
                let pair = |c: &[RedisValue]| {
                    let second = if kind == "zset" {
                        Value::String(String::from_utf8_lossy(&bulk(&c[1])).into_owned())
                    } else {
                        bytes_json(&bulk(&c[1]))
                    };
                    json!([bytes_json(&bulk(&c[0])), second])
                };
                Value::Array(elements.chunks_exact(2).map(pair).collect())
            };
            (value, if cursor == 0 { Next::Done } else { Next::Cursor(cursor) })
        }
        ("list", Next::Index(i)) => {
            let elements = items(reply);
            let next = if elements.len() == PAGE { Next::Index(i + PAGE as i64) } else { Next::Done };
            (Value::Array(elements.iter().map(|e| bytes_json(&bulk(e))).collect()), next)
        }
        ("stream", _) => {
            let entries = items(reply);
            let mut last = Vec::new();
            let value = entries
                .iter()
                .map(|entry| {
                    let parts = items(entry);
                    let id = parts.first().map(bulk).unwrap_or_default();
                    let fields = parts.get(1).map(items).unwrap_or(&[]);
                    let pairs: Vec<Value> = fields
                        .chunks_exact(2)
                        .map(|p| json!([bytes_json(&bulk(&p[0])), bytes_json(&bulk(&p[1]))]))
                        .collect();
                    last = id.clone();
                    json!([String::from_utf8_lossy(&id), pairs])
                })
                .collect();
            let next = if entries.len() == PAGE { Next::After(last) } else { Next::Done };
            (Value::Array(value), next)
        }
        _ => (Value::Null, Next::Done),
    }
}

/// What an export wrote.
#[derive(Debug, Default, Serialize)]
pub struct ExportReport {
    /// Keys written.
    pub keys: u64,
    /// Keys of a type the export does not write (module types), left out.
    pub skipped: u64,
}

/// Writes every key matching `pattern` to `sink` (NDJSON in [`COLUMNS`]); stops early when the
/// client leaves (`Ok` with what was written).
pub async fn export(client: &RedisClient, pattern: &str, sink: &mut RowSink) -> Result<ExportReport, EngineError> {
    let mut walk = KeyWalk::new(client, pattern).await?;
    let mut report = ExportReport::default();
    while let Some((node, keys)) = walk.next().await? {
        if keys.is_empty() {
            continue;
        }
        // One round trip for the types and TTLs of the batch, one for every key's first part.
        let mut pipe = redis::pipe();
        for key in &keys {
            pipe.cmd("TYPE").arg(key).cmd("PTTL").arg(key);
        }
        let facts = client.pipeline_on(node.as_ref(), &pipe, keys.len() * 2).await?;
        let mut reads = Vec::with_capacity(keys.len());
        let mut pipe = redis::pipe();
        for (i, key) in keys.iter().enumerate() {
            let kind = facts.get(i * 2).and_then(as_string).unwrap_or_default();
            let ttl = facts.get(i * 2 + 1).and_then(as_i64).unwrap_or(-2);
            match first_read(&kind, key) {
                Some(cmd) if ttl != -2 => {
                    pipe.add_command(cmd);
                    reads.push((key, kind, ttl));
                }
                _ if kind == "none" || ttl == -2 => {}
                _ => report.skipped += 1,
            }
        }
        if reads.is_empty() {
            continue;
        }
        let firsts = client.pipeline_on(node.as_ref(), &pipe, reads.len()).await?;
        for ((key, kind, ttl), reply) in reads.into_iter().zip(firsts) {
            if !write_key(client, sink, key, &kind, ttl, &reply).await? {
                return Ok(report);
            }
            report.keys += 1;
        }
    }
    Ok(report)
}

/// Writes one key: its first part from `first`, then reads and writes the rest part by part.
/// `false` when the client has gone.
async fn write_key(
    client: &RedisClient,
    sink: &mut RowSink,
    key: &[u8],
    kind: &str,
    ttl: i64,
    first: &RedisValue,
) -> Result<bool, EngineError> {
    let Some(start) = first_position(kind) else { return Ok(true) };
    let (mut value, mut next) = read_part(kind, first, &start);
    let key_json = bytes_json(key);
    let ttl_json = if ttl >= 0 { json!(ttl) } else { Value::Null };
    let mut part = 0u64;
    loop {
        // Part 0 carries the TTL and is always written; a later empty page (a SCAN cursor may end
        // on one, a string may end exactly at a piece boundary) is not.
        let empty = value.as_array().is_some_and(Vec::is_empty) || value.as_str() == Some("");
        if part == 0 || !empty {
            let line = [key_json.clone(), json!(kind), ttl_json.clone(), json!(part), value];
            if !sink.row(&line).await {
                return Ok(false);
            }
            part += 1;
        }
        let Some(cmd) = next_read(kind, key, &next) else { return Ok(true) };
        let reply: RedisValue = client.query(&cmd).await?;
        (value, next) = read_part(kind, &reply, &next);
    }
}

/// What an import does with a key that already exists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnConflict {
    /// Keep the existing key and leave the imported one out (the default).
    #[default]
    Skip,
    /// Delete the existing key first.
    Replace,
    /// Stop the import at the first existing key.
    Fail,
}

/// One line of an export, read back.
#[derive(Debug)]
pub struct Record {
    /// The line it came from (1-based).
    pub line: u64,
    key: Vec<u8>,
    kind: String,
    ttl_ms: Option<i64>,
    part: u64,
    value: Value,
    /// The line's length, for batching.
    size: usize,
}

impl Record {
    /// Reads one export line; the message says what is wrong with it.
    pub fn parse(line: u64, text: &[u8]) -> Result<Self, String> {
        let mut object: serde_json::Map<String, Value> =
            serde_json::from_slice(text).map_err(|e| format!("not a JSON object: {e}"))?;
        let key = json_bytes(object.get("key").unwrap_or(&Value::Null)).map_err(|e| format!("key: {e}"))?;
        let kind = object.get("type").and_then(Value::as_str).unwrap_or_default().to_string();
        if !["string", "hash", "list", "set", "zset", "stream"].contains(&kind.as_str()) {
            return Err("type must be string, hash, list, set, zset or stream".into());
        }
        let ttl_ms = match object.get("ttl_ms") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_i64().filter(|t| *t >= 0).ok_or("ttl_ms must be null or milliseconds >= 0")?),
        };
        let part = match object.get("part") {
            None => 0,
            Some(v) => v.as_u64().ok_or("part must be a whole number >= 0")?,
        };
        let value = object.remove("value").unwrap_or(Value::Null);
        Ok(Self { line, key, kind, ttl_ms, part, value, size: text.len() })
    }
}

/// One bad line of an import.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LineError {
    /// Its line number.
    pub line: u64,
    /// Why it was not imported (our check or the server's error).
    pub message: String,
}

/// What an import did.
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
pub struct ImportReport {
    /// Lines read.
    pub lines: u64,
    /// Keys written.
    pub keys: u64,
    /// Keys left out because they existed (`on_conflict=skip`).
    pub skipped: u64,
    /// Lines that failed.
    pub failed: u64,
    /// The first 100 failures.
    pub errors: Vec<LineError>,
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportStop {
    /// `on_conflict=fail` met an existing key; nothing of its batch was written.
    #[error("line {line}: the key exists (on_conflict=fail); {keys} keys were imported before it")]
    Exists {
        /// The line.
        line: u64,
        /// Keys imported before it.
        keys: u64,
    },
    /// The server failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Records sent per pipeline.
const BATCH: usize = 2000;
/// Bytes of values sent per pipeline.
const BATCH_BYTES: usize = 4 * 1024 * 1024;
/// Failures listed in a report.
const ERRORS_KEPT: usize = 100;

/// Writes records back, in pipelines of [`BATCH`] records.
pub struct Importer<'a> {
    client: &'a RedisClient,
    on_conflict: OnConflict,
    batch: Vec<Record>,
    batch_bytes: usize,
    /// The key the last record belonged to: whether it is being left out, and a TTL still to set
    /// (its first part had no elements to create it with).
    current: Option<(Vec<u8>, bool, Option<i64>)>,
    /// What has been done.
    pub report: ImportReport,
}

impl<'a> Importer<'a> {
    /// An importer writing to `client`.
    pub fn new(client: &'a RedisClient, on_conflict: OnConflict) -> Self {
        Self { client, on_conflict, batch: Vec::new(), batch_bytes: 0, current: None, report: ImportReport::default() }
    }

    /// Notes a line that could not be read.
    pub fn bad_line(&mut self, line: u64, message: String) {
        self.report.lines += 1;
        self.fail(line, message);
    }

    fn fail(&mut self, line: u64, message: String) {
        self.report.failed += 1;
        if self.report.errors.len() < ERRORS_KEPT {
            self.report.errors.push(LineError { line, message });
        }
    }

    /// Adds a record; sends the batch when it is full.
    pub async fn add(&mut self, record: Record) -> Result<(), ImportStop> {
        self.report.lines += 1;
        self.batch_bytes += record.size;
        self.batch.push(record);
        if self.batch.len() >= BATCH || self.batch_bytes >= BATCH_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    /// Sends what is left and answers the report.
    pub async fn finish(mut self) -> Result<ImportReport, ImportStop> {
        self.flush().await?;
        Ok(self.report)
    }

    async fn flush(&mut self) -> Result<(), ImportStop> {
        let batch = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        if batch.is_empty() {
            return Ok(());
        }
        let plans = self.plan(&batch);
        let existing = self.existing(&batch, &plans).await?;
        if self.on_conflict == OnConflict::Fail {
            if let Some(record) = batch.iter().zip(&existing).find(|(_, e)| **e).map(|(r, _)| r) {
                return Err(ImportStop::Exists { line: record.line, keys: self.report.keys });
            }
        }
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        // The line each command came from, to name it when the server refuses it, and how its
        // reply counts (a key counts as imported once its first part is written).
        let mut origin: Vec<(u64, Counts)> = Vec::new();
        for ((record, exists), plan) in batch.iter().zip(existing).zip(plans) {
            let head = record.part == 0;
            if head {
                let skip = exists && self.on_conflict == OnConflict::Skip;
                self.current = Some((record.key.clone(), skip, record.ttl_ms));
                if skip {
                    self.report.skipped += 1;
                    continue;
                }
                if exists || plan == Plan::Unlink {
                    pipe.cmd("UNLINK").arg(&record.key);
                    origin.push((record.line, Counts::Nothing));
                }
                if let Plan::Set { only_new } = plan {
                    // One command writes the value and its TTL and, when existing keys are kept,
                    // checks the key is new: no EXISTS round trip, and no race with other writers.
                    let value = match json_bytes(&record.value) {
                        Ok(value) => value,
                        Err(message) => {
                            self.fail(record.line, message);
                            continue;
                        }
                    };
                    let set = pipe.cmd("SET").arg(&record.key).arg(value);
                    if let Some(ttl) = record.ttl_ms {
                        set.arg("PX").arg(ttl.max(1));
                    }
                    if only_new {
                        set.arg("NX");
                    }
                    self.current = None;
                    origin.push((record.line, if only_new { Counts::KeyIfSet } else { Counts::Key }));
                    continue;
                }
            }
            let (skip, pending_ttl) = match &mut self.current {
                Some((key, skip, ttl)) if *key == record.key => (*skip, ttl),
                // A part whose first line was not in the file: add it to the key as it is.
                _ => (false, &mut None),
            };
            if skip {
                continue;
            }
            let commands = match write_commands(record) {
                Ok(commands) => commands,
                Err(message) => {
                    self.fail(record.line, message);
                    continue;
                }
            };
            if commands.is_empty() {
                continue;
            }
            for cmd in commands {
                pipe.add_command(cmd);
                origin.push((record.line, if head { Counts::Key } else { Counts::Nothing }));
            }
            if let Some(ttl) = pending_ttl.take() {
                pipe.cmd("PEXPIRE").arg(&record.key).arg(ttl.max(1));
                origin.push((record.line, Counts::Nothing));
            }
        }
        if origin.is_empty() {
            return Ok(());
        }
        let replies: Vec<RedisValue> = self.client.pipeline(&pipe).await.map_err(EngineError::of_write)?;
        let (mut failed_line, mut counted_line) = (None, None);
        for (reply, (line, counts)) in replies.iter().zip(origin) {
            if let RedisValue::ServerError(e) = reply {
                // One report per line, however many of its commands failed.
                if failed_line != Some(line) {
                    failed_line = Some(line);
                    self.fail(line, e.details().map_or_else(|| e.code().to_string(), |d| format!("{} {d}", e.code())));
                }
            } else if counts == Counts::KeyIfSet && *reply == RedisValue::Nil {
                self.report.skipped += 1;
            } else if counts != Counts::Nothing && failed_line != Some(line) && counted_line != Some(line) {
                counted_line = Some(line);
                self.report.keys += 1;
            }
        }
        Ok(())
    }

    /// How each record of a batch is written. Existence is asked of the server only where the
    /// answer changes the commands: when replacing, a key is overwritten (a string) or unlinked
    /// first; when keeping existing keys, a whole string is a `SET … NX`, and only a key written
    /// in several commands (a collection, or a string whose next part follows) is looked up.
    fn plan(&self, batch: &[Record]) -> Vec<Plan> {
        batch
            .iter()
            .enumerate()
            .map(|(i, record)| {
                if record.part != 0 {
                    return Plan::Parts;
                }
                // A string is whole when the next line is another key; the batch's last line
                // cannot tell, so it is looked up.
                let whole_string = record.kind == "string"
                    && batch.get(i + 1).is_some_and(|next| next.part == 0 || next.key != record.key);
                match (self.on_conflict, whole_string) {
                    (OnConflict::Replace, true) => Plan::Set { only_new: false },
                    (OnConflict::Replace, false) => Plan::Unlink,
                    (OnConflict::Skip, true) => Plan::Set { only_new: true },
                    (OnConflict::Skip | OnConflict::Fail, _) => Plan::LookUp,
                }
            })
            .collect()
    }

    /// Which records of the batch are heads planned for a look-up that name an existing key.
    async fn existing(&self, batch: &[Record], plans: &[Plan]) -> Result<Vec<bool>, EngineError> {
        let mut pipe = redis::pipe();
        let mut asked = 0;
        for (record, plan) in batch.iter().zip(plans) {
            if *plan == Plan::LookUp {
                pipe.cmd("EXISTS").arg(&record.key);
                asked += 1;
            }
        }
        if asked == 0 {
            return Ok(vec![false; batch.len()]);
        }
        let replies: Vec<i64> = self.client.pipeline(&pipe).await?;
        let mut replies = replies.into_iter();
        Ok(plans.iter().map(|plan| *plan == Plan::LookUp && replies.next().unwrap_or(0) > 0).collect())
    }
}

/// How a record of an import is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    /// A whole string in one `SET` (with `NX` when existing keys are kept).
    Set { only_new: bool },
    /// The first part of a key to replace: unlinked, then written.
    Unlink,
    /// The first part of a key the server is asked about first.
    LookUp,
    /// A later part of a key.
    Parts,
}

/// How the reply to an import command counts in the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Counts {
    /// A key written.
    Key,
    /// A key written unless the reply is nil (`SET … NX` met an existing key: skipped).
    KeyIfSet,
    /// Nothing of its own (a later part, an `UNLINK`, a TTL).
    Nothing,
}

/// The commands writing one record's part of its key.
fn write_commands(record: &Record) -> Result<Vec<redis::Cmd>, String> {
    let key = &record.key;
    let elements = || record.value.as_array().ok_or_else(|| format!("a {} value is an array", record.kind));
    let pair = |v: &Value| -> Result<(Vec<u8>, Value), String> {
        match v.as_array().map(Vec::as_slice) {
            Some([a, b]) => Ok((json_bytes(a)?, b.clone())),
            _ => Err("expected a pair [a, b]".into()),
        }
    };
    let mut cmd;
    match record.kind.as_str() {
        "string" => {
            cmd = redis::cmd(if record.part == 0 { "SET" } else { "APPEND" });
            cmd.arg(key).arg(json_bytes(&record.value)?);
        }
        "list" | "set" => {
            let values = elements()?;
            if values.is_empty() {
                return Ok(Vec::new());
            }
            cmd = redis::cmd(if record.kind == "list" { "RPUSH" } else { "SADD" });
            cmd.arg(key);
            for v in values {
                cmd.arg(json_bytes(v)?);
            }
        }
        "hash" | "zset" => {
            let pairs = elements()?;
            if pairs.is_empty() {
                return Ok(Vec::new());
            }
            cmd = redis::cmd(if record.kind == "hash" { "HSET" } else { "ZADD" });
            cmd.arg(key);
            for p in pairs {
                let (first, second) = pair(p)?;
                if record.kind == "hash" {
                    cmd.arg(first).arg(json_bytes(&second)?);
                } else {
                    let score = second.as_str().map(str::to_string).or_else(|| second.as_f64().map(|f| f.to_string()));
                    cmd.arg(score.ok_or("a score is a number or its text")?).arg(first);
                }
            }
        }
        "stream" => {
            let mut commands = Vec::new();
            for entry in elements()? {
                let (id, fields) = pair(entry)?;
                let fields = fields.as_array().ok_or("stream fields are an array of pairs")?;
                let mut xadd = redis::cmd("XADD");
                xadd.arg(key).arg(id);
                for f in fields {
                    let (name, value) = pair(f)?;
                    xadd.arg(name).arg(json_bytes(&value)?);
                }
                commands.push(xadd);
            }
            return Ok(commands);
        }
        other => return Err(format!("type {other} cannot be imported")),
    }
    Ok(vec![cmd])
}
