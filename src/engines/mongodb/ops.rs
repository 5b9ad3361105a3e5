//! MongoDB operations: what the server is doing (`currentOp`) and stopping it (`killOp`), the
//! database profiler (level, `slowms`, and the slow operations it wrote to `system.profile`),
//! query plans (`explain` of a find or an aggregation) and index usage (`$indexStats`).
//!
//! Replies are read field by field with mongod's documented names; a field a server leaves out
//! comes back as `null` instead of failing the whole answer. Everything the caller sent has been
//! checked by [`super::sanitize`] in the API layer.

use std::time::Duration;

use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::documents::{op_error, MAX_TIME};
use super::{extjson, map_error, MongoClient};
use crate::engines::{within, EngineError};

/// Extra wait beyond `maxTimeMS` before we stop waiting for a server that ignores it.
const GRACE: Duration = Duration::from_secs(5);
/// Most entries `system.profile` is read for at once.
pub const MAX_PROFILE_ENTRIES: i64 = 1000;

/// A number field of any BSON numeric type, as an `i64`.
fn int(d: &Document, key: &str) -> Option<i64> {
    match d.get(key)? {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        Bson::Double(n) if n.is_finite() => Some(*n as i64),
        _ => None,
    }
}

/// A number field as an `f64`.
fn float(d: &Document, key: &str) -> Option<f64> {
    match d.get(key)? {
        Bson::Int32(n) => Some(f64::from(*n)),
        Bson::Int64(n) => Some(*n as f64),
        Bson::Double(n) => Some(*n),
        _ => None,
    }
}

fn string(d: &Document, key: &str) -> Option<String> {
    d.get_str(key).ok().map(str::to_string)
}

fn json_field(d: &Document, key: &str) -> Option<Value> {
    d.get(key).cloned().map(extjson::to_json)
}

/// One operation of `currentOp` (mongod's `inprog` entries, with its names in snake case).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Operation {
    /// The id `killOp` takes: a number, or `"shard:number"` through mongos.
    pub opid: Value,
    /// Whether it is running (idle connections are listed only with `all`).
    pub active: Option<bool>,
    /// `op`: `query`, `insert`, `update`, `remove`, `getmore`, `command`, `none`.
    pub op: Option<String>,
    /// Namespace, `db.collection`.
    pub ns: Option<String>,
    /// `type`: `op`, `idleSession`, `idleCursor`.
    pub kind: Option<String>,
    /// Seconds it has been running.
    pub secs_running: Option<i64>,
    /// Microseconds it has been running.
    pub microsecs_running: Option<i64>,
    /// The client's address.
    pub client: Option<String>,
    /// The client's application name.
    pub app_name: Option<String>,
    /// The thread's description, e.g. `conn12`.
    pub desc: Option<String>,
    /// The command, as relaxed Extended JSON (mongod redacts secrets in it).
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    pub command: Option<Value>,
    /// The plan summary, e.g. `IXSCAN { age: 1 }` or `COLLSCAN`.
    pub plan_summary: Option<String>,
    /// Waiting for a lock.
    pub waiting_for_lock: Option<bool>,
    /// Asked to stop (`killOp` sent, not yet noticed).
    pub kill_pending: Option<bool>,
    /// The users it runs as.
    #[schemars(with = "Option<Vec<serde_json::Map<String, Value>>>")]
    pub effective_users: Option<Value>,
}

fn operation(d: Document) -> Operation {
    Operation {
        opid: d.get("opid").cloned().map(extjson::to_json).unwrap_or(Value::Null),
        active: d.get_bool("active").ok(),
        op: string(&d, "op"),
        ns: string(&d, "ns").filter(|ns| !ns.is_empty()),
        kind: string(&d, "type"),
        secs_running: int(&d, "secs_running"),
        microsecs_running: int(&d, "microsecs_running"),
        client: string(&d, "client").or_else(|| string(&d, "client_s")),
        app_name: string(&d, "appName"),
        desc: string(&d, "desc"),
        command: json_field(&d, "command"),
        plan_summary: string(&d, "planSummary"),
        waiting_for_lock: d.get_bool("waitingForLock").ok(),
        kill_pending: d.get_bool("killPending").ok(),
        effective_users: json_field(&d, "effectiveUsers"),
    }
}

/// The operations of a `currentOp` reply; a reply without `inprog` lists none.
fn operations(reply: &Document) -> Vec<Operation> {
    let list = reply.get_array("inprog").map(|a| a.as_slice()).unwrap_or_default();
    list.iter().filter_map(|b| b.as_document().cloned()).map(operation).collect()
}

/// `currentOp` on `admin`: active operations of every user, with `all` idle connections and
/// cursors too; the longest running first.
pub async fn current_ops(client: &MongoClient, all: bool) -> Result<Vec<Operation>, EngineError> {
    let command = if all {
        doc! { "currentOp": 1, "$all": true }
    } else {
        doc! { "currentOp": 1, "active": true }
    };
    let reply = client.admin_command(command).await?;
    let mut ops = operations(&reply);
    ops.sort_by_key(|o| std::cmp::Reverse(o.microsecs_running.or(o.secs_running.map(|s| s * 1_000_000))));
    Ok(ops)
}

/// An operation id as given in a path: a number, or `shard:number` through mongos.
#[derive(Debug, Clone, PartialEq)]
pub enum OpId {
    /// mongod's numeric id.
    Number(i64),
    /// mongos's `shard:number`.
    Sharded(String),
}

impl OpId {
    /// Reads an id; anything else is a 400 naming the forms.
    pub fn parse(text: &str) -> Result<Self, EngineError> {
        let bad = || EngineError::Config(format!("`{text}` is not an operation id: a number, or shard:number"));
        if let Ok(n) = text.parse::<i64>() {
            return Ok(Self::Number(n));
        }
        match text.split_once(':') {
            Some((shard, n)) if !shard.is_empty() && shard.len() <= 255 && n.parse::<i64>().is_ok() => {
                Ok(Self::Sharded(text.to_string()))
            }
            _ => Err(bad()),
        }
    }

    fn bson(&self) -> Bson {
        match self {
            // mongod's ids are 32-bit; it compares numbers across types, but send its own type.
            Self::Number(n) => i32::try_from(*n).map(Bson::Int32).unwrap_or(Bson::Int64(*n)),
            Self::Sharded(s) => Bson::String(s.clone()),
        }
    }
}

/// Whether `killOp` found something to stop.
#[derive(Debug, PartialEq, Eq)]
pub enum Killed {
    /// The operation was listed and asked to stop.
    Asked,
    /// `currentOp` lists no such operation: nothing was sent.
    NotFound,
    /// The server's `currentOp` lists nothing at all (no `inprog`), so `killOp` was sent unchecked.
    Unchecked,
}

/// `killOp`: first looks the id up with `currentOp` (mongod's `killOp` answers ok for any id), then
/// asks the operation to stop. It stops at its next interrupt point.
pub async fn kill_op(client: &MongoClient, opid: &OpId) -> Result<Killed, EngineError> {
    let reply = client.admin_command(doc! { "currentOp": 1, "$all": true, "opid": opid.bson() }).await?;
    let checked = reply.get_array("inprog").is_ok();
    if checked && operations(&reply).is_empty() {
        return Ok(Killed::NotFound);
    }
    client.admin_command(doc! { "killOp": 1, "op": opid.bson() }).await?;
    Ok(if checked { Killed::Asked } else { Killed::Unchecked })
}

/// The profiler's settings of one database.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Profiling {
    /// 0 off, 1 slow operations, 2 everything (`was`).
    pub level: Option<i64>,
    /// Operations slower than this many milliseconds are slow.
    pub slowms: Option<i64>,
    /// Share of slow operations recorded.
    pub sample_rate: Option<f64>,
    /// The profiler's filter, when one is set (it replaces `slowms` and `sampleRate`).
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    pub filter: Option<Value>,
}

fn profiling(reply: &Document) -> Profiling {
    Profiling {
        level: int(reply, "was"),
        slowms: int(reply, "slowms"),
        sample_rate: float(reply, "sampleRate"),
        filter: json_field(reply, "filter"),
    }
}

/// `{profile: -1}`: reads the level without changing it.
pub async fn get_profiling(client: &MongoClient, database: &str) -> Result<Profiling, EngineError> {
    let reply = client.client().database(database).run_command(doc! { "profile": -1 }).await.map_err(map_error)?;
    Ok(profiling(&reply))
}

/// A new profiler setting, already validated.
#[derive(Debug, Clone)]
pub struct NewProfiling {
    /// 0, 1 or 2.
    pub level: i32,
    /// Slow threshold in milliseconds.
    pub slowms: Option<i64>,
    /// Share of slow operations recorded, (0, 1].
    pub sample_rate: Option<f64>,
}

/// Sets the level (and `slowms`, `sampleRate`), then reads the settings back: mongod's reply to a
/// change holds the previous ones.
pub async fn set_profiling(client: &MongoClient, database: &str, new: &NewProfiling) -> Result<Profiling, EngineError> {
    let mut command = doc! { "profile": new.level };
    if let Some(ms) = new.slowms {
        command.insert("slowms", ms);
    }
    if let Some(rate) = new.sample_rate {
        command.insert("sampleRate", rate);
    }
    let db = client.client().database(database);
    db.run_command(command).await.map_err(map_error)?;
    get_profiling(client, database).await
}

/// One entry of `system.profile`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProfileEntry {
    /// When it ended, as Extended JSON.
    pub ts: Option<Value>,
    /// `query`, `insert`, `update`, `remove`, `getmore`, `command`.
    pub op: Option<String>,
    /// Namespace, `db.collection`.
    pub ns: Option<String>,
    /// How long it took, in milliseconds.
    pub millis: Option<i64>,
    /// The command, as relaxed Extended JSON.
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    pub command: Option<Value>,
    /// Documents examined.
    pub docs_examined: Option<i64>,
    /// Index keys examined.
    pub keys_examined: Option<i64>,
    /// Documents returned.
    pub n_returned: Option<i64>,
    /// Plan summary, e.g. `COLLSCAN`.
    pub plan_summary: Option<String>,
    /// The client's address.
    pub client: Option<String>,
    /// The user it ran as.
    pub user: Option<String>,
    /// The client's application name.
    pub app_name: Option<String>,
}

fn profile_entry(d: Document) -> ProfileEntry {
    ProfileEntry {
        ts: json_field(&d, "ts"),
        op: string(&d, "op"),
        ns: string(&d, "ns"),
        millis: int(&d, "millis"),
        command: json_field(&d, "command"),
        docs_examined: int(&d, "docsExamined"),
        keys_examined: int(&d, "keysExamined"),
        n_returned: int(&d, "nreturned"),
        plan_summary: string(&d, "planSummary"),
        client: string(&d, "client"),
        user: string(&d, "user"),
        app_name: string(&d, "appName"),
    }
}

/// The newest `limit` entries of `system.profile` taking at least `min_millis`, newest first.
pub async fn profile(
    client: &MongoClient,
    database: &str,
    limit: i64,
    min_millis: Option<i64>,
) -> Result<Vec<ProfileEntry>, EngineError> {
    let coll = client.client().database(database).collection::<Document>("system.profile");
    let filter = match min_millis {
        Some(ms) => doc! { "millis": { "$gte": ms } },
        None => doc! {},
    };
    let read = async {
        let found = coll.find(filter).sort(doc! { "ts": -1 }).limit(limit).max_time(MAX_TIME).await;
        let docs: Result<Vec<Document>, _> = match found {
            Ok(cursor) => cursor.try_collect().await,
            Err(e) => Err(e),
        };
        match docs {
            Ok(docs) => Ok(docs),
            Err(e) => Err(op_error(&coll, e).await),
        }
    };
    let docs = within(MAX_TIME + GRACE, "reading system.profile", read).await?;
    Ok(docs.into_iter().map(profile_entry).collect())
}

/// Usage of one index since the server started (or the index was built).
#[derive(Debug, Serialize, JsonSchema)]
pub struct IndexStat {
    /// Index name.
    pub name: Option<String>,
    /// Key pattern, as Extended JSON.
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    pub key: Option<Value>,
    /// Operations that used it (`accesses.ops`).
    pub ops: Option<i64>,
    /// Since when it is counted, as Extended JSON (`accesses.since`).
    pub since: Option<Value>,
    /// The `host:port` of the member that answered (each member counts its own).
    pub host: Option<String>,
    /// The shard, through mongos.
    pub shard: Option<String>,
    /// Whether the index is still being built.
    pub building: Option<bool>,
}

fn index_stat(d: Document) -> IndexStat {
    let accesses = d.get_document("accesses").ok();
    IndexStat {
        name: string(&d, "name"),
        key: json_field(&d, "key"),
        ops: accesses.and_then(|a| int(a, "ops")),
        since: accesses.and_then(|a| json_field(a, "since")),
        host: string(&d, "host"),
        shard: string(&d, "shard"),
        building: d.get_bool("building").ok(),
    }
}

/// `$indexStats` of one collection, the least used first (unused indexes are the finding).
pub async fn index_stats(
    client: &MongoClient,
    database: &str,
    collection: &str,
) -> Result<Vec<IndexStat>, EngineError> {
    let coll = client.client().database(database).collection::<Document>(collection);
    let read = async {
        let cursor = match coll.aggregate(vec![doc! { "$indexStats": {} }]).max_time(MAX_TIME).await {
            Ok(c) => c,
            Err(e) => return Err(op_error(&coll, e).await),
        };
        match cursor.try_collect::<Vec<Document>>().await {
            Ok(d) => Ok(d),
            Err(e) => Err(op_error(&coll, e).await),
        }
    };
    let docs = within(MAX_TIME + GRACE, "$indexStats", read).await?;
    let mut stats: Vec<IndexStat> = docs.into_iter().map(index_stat).collect();
    stats.sort_by(|a, b| a.ops.cmp(&b.ops).then_with(|| a.name.cmp(&b.name)));
    Ok(stats)
}

/// How much explain runs: planning only, or the winning plan too (reads, never writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// Plans the query; runs nothing.
    QueryPlanner,
    /// Runs the winning plan and reports what it examined.
    ExecutionStats,
}

impl Verbosity {
    fn as_str(self) -> &'static str {
        match self {
            Self::QueryPlanner => "queryPlanner",
            Self::ExecutionStats => "executionStats",
        }
    }
}

/// A find to explain.
#[derive(Debug, Clone, Default)]
pub struct FindSpec {
    /// Filter.
    pub filter: Document,
    /// Sort.
    pub sort: Option<Document>,
    /// Projection.
    pub projection: Option<Document>,
    /// Limit.
    pub limit: Option<i64>,
    /// Skip.
    pub skip: Option<i64>,
}

/// What to explain, already sanitized and converted to BSON.
#[derive(Debug, Clone)]
pub enum Explained {
    /// A find.
    Find(Box<FindSpec>),
    /// An aggregation.
    Aggregate(Vec<Document>),
}

/// One stage of a plan tree.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PlanStage {
    /// The stage, e.g. `IXSCAN`, `FETCH`, `COLLSCAN`, `SORT`, or an aggregation stage `$group`.
    pub stage: Option<String>,
    /// The index it scans.
    pub index_name: Option<String>,
    /// That index's key pattern.
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    pub key_pattern: Option<Value>,
    /// `forward` or `backward`.
    pub direction: Option<String>,
    /// The filter applied at this stage.
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    pub filter: Option<Value>,
    /// Documents it passed on (executionStats).
    pub n_returned: Option<i64>,
    /// Documents it examined (executionStats).
    pub docs_examined: Option<i64>,
    /// Index keys it examined (executionStats).
    pub keys_examined: Option<i64>,
    /// Its estimated time in milliseconds (executionStats).
    pub time_ms_estimate: Option<i64>,
    /// Other facts a server gives for a stage (scalars only), as `name: value` text.
    pub details: Vec<String>,
    /// Its input stages.
    pub inputs: Vec<PlanStage>,
}

/// Fields [`PlanStage`] reads itself; other scalars go to its `details`.
const KNOWN: [&str; 13] = [
    "stage",
    "indexName",
    "keyPattern",
    "direction",
    "filter",
    "nReturned",
    "docsExamined",
    "keysExamined",
    "executionTimeMillisEstimate",
    "inputStage",
    "inputStages",
    "queryPlan",
    "thenStage",
];

fn plan_stage(d: &Document) -> PlanStage {
    let mut inputs = Vec::new();
    for key in ["inputStage", "thenStage", "elseStage", "outerStage", "innerStage"] {
        if let Ok(child) = d.get_document(key) {
            inputs.push(plan_stage(child));
        }
    }
    for child in d.get_array("inputStages").map(|a| a.as_slice()).unwrap_or_default() {
        if let Some(child) = child.as_document() {
            inputs.push(plan_stage(child));
        }
    }
    let details = d
        .iter()
        .filter(|(k, _)| !KNOWN.contains(&k.as_str()) && !k.ends_with("Stage"))
        .filter_map(|(k, v)| match v {
            Bson::String(s) => Some(format!("{k}: {s}")),
            Bson::Int32(n) => Some(format!("{k}: {n}")),
            Bson::Int64(n) => Some(format!("{k}: {n}")),
            Bson::Double(n) => Some(format!("{k}: {n}")),
            Bson::Boolean(b) => Some(format!("{k}: {b}")),
            _ => None,
        })
        .collect();
    PlanStage {
        stage: string(d, "stage"),
        index_name: string(d, "indexName"),
        key_pattern: json_field(d, "keyPattern"),
        direction: string(d, "direction"),
        filter: json_field(d, "filter"),
        n_returned: int(d, "nReturned"),
        docs_examined: int(d, "docsExamined"),
        keys_examined: int(d, "keysExamined"),
        time_ms_estimate: int(d, "executionTimeMillisEstimate"),
        details,
        inputs,
    }
}

/// A plan from `winningPlan`: a stage tree, SBE's `{queryPlan, slotBasedPlan}`, or a list of
/// stages some servers give (read as a chain, the first at the root).
fn plan_of(value: &Bson) -> Option<PlanStage> {
    match value {
        Bson::Document(d) => match d.get_document("queryPlan") {
            Ok(plan) => Some(plan_stage(plan)),
            Err(_) => Some(plan_stage(d)),
        },
        Bson::Array(items) => {
            // Listed top down: each stage is read as the input of the one before it.
            let mut stages: Vec<PlanStage> = items.iter().filter_map(|i| i.as_document()).map(plan_stage).collect();
            let mut root = stages.pop()?;
            while let Some(mut parent) = stages.pop() {
                parent.inputs.push(root);
                root = parent;
            }
            Some(root)
        }
        _ => None,
    }
}

/// Totals of a plan that ran (executionStats).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Execution {
    /// Documents returned.
    pub n_returned: Option<i64>,
    /// Documents examined.
    pub docs_examined: Option<i64>,
    /// Index keys examined.
    pub keys_examined: Option<i64>,
    /// Time the plan took, in milliseconds.
    pub time_ms: Option<i64>,
    /// Whether it ran to the end.
    pub success: Option<bool>,
}

/// A query plan, read from explain.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Explanation {
    /// `queryPlanner` or `executionStats`.
    pub verbosity: String,
    /// `find` or `aggregate`.
    pub kind: String,
    /// Namespace, `db.collection`.
    pub namespace: Option<String>,
    /// The winning plan as a tree (from the execution stages when it ran, so each stage has its
    /// counts).
    pub winning_plan: Option<PlanStage>,
    /// The stages of the winning plan from the root down (depth first), e.g. `["FETCH", "IXSCAN"]`.
    pub stages: Vec<String>,
    /// Indexes the winning plan scans; empty with a collection scan.
    pub indexes_used: Vec<String>,
    /// Whether the winning plan scans the whole collection (`COLLSCAN`).
    pub collection_scan: bool,
    /// Plans the planner considered and rejected.
    pub rejected_plans: usize,
    /// Aggregation stages after the query part (`$group`, `$project`, …), in order.
    pub pipeline_stages: Vec<String>,
    /// Totals when the plan ran (executionStats).
    pub execution: Option<Execution>,
    /// The server's whole explain output, as relaxed Extended JSON.
    #[schemars(with = "serde_json::Map<String, Value>")]
    pub raw: Value,
}

fn walk<'a>(stage: &'a PlanStage, out: &mut Vec<&'a PlanStage>) {
    out.push(stage);
    for input in &stage.inputs {
        walk(input, out);
    }
}

/// Reads an explain reply: the query part is at the top (find, or an aggregation pushed down
/// whole) or in the first stage's `$cursor` (an aggregation with later stages).
pub fn read_explain(reply: Document, verbosity: Verbosity, kind: &str) -> Explanation {
    let mut query_part = reply.clone();
    let mut pipeline_stages = Vec::new();
    if let Ok(stages) = reply.get_array("stages") {
        for (i, stage) in stages.iter().filter_map(|s| s.as_document()).enumerate() {
            match stage.get_document("$cursor") {
                Ok(cursor) if i == 0 => query_part = cursor.clone(),
                _ => pipeline_stages.extend(stage.keys().next().cloned()),
            }
        }
    }
    let planner = query_part.get_document("queryPlanner").ok();
    let stats = query_part.get_document("executionStats").ok().filter(|_| verbosity == Verbosity::ExecutionStats);
    let planned = planner.and_then(|p| p.get("winningPlan")).and_then(plan_of);
    let executed = stats.and_then(|s| s.get("executionStages")).and_then(plan_of);
    // Index names come from the planner's tree: SBE's execution stages do not name them.
    let mut indexes_used = Vec::new();
    let mut collection_scan = false;
    for tree in [&planned, &executed].into_iter().flatten() {
        let mut nodes = Vec::new();
        walk(tree, &mut nodes);
        for node in nodes {
            if let Some(name) = &node.index_name {
                if !indexes_used.contains(name) {
                    indexes_used.push(name.clone());
                }
            }
            collection_scan |= node.stage.as_deref() == Some("COLLSCAN");
        }
    }
    let winning_plan = executed.or(planned);
    let mut nodes = Vec::new();
    if let Some(plan) = &winning_plan {
        walk(plan, &mut nodes);
    }
    let stages = nodes.iter().filter_map(|n| n.stage.clone()).collect();
    Explanation {
        verbosity: verbosity.as_str().into(),
        kind: kind.into(),
        namespace: planner.and_then(|p| string(p, "namespace")),
        winning_plan,
        stages,
        indexes_used,
        collection_scan,
        rejected_plans: planner.and_then(|p| p.get_array("rejectedPlans").ok()).map_or(0, Vec::len),
        pipeline_stages,
        execution: stats.map(|s| Execution {
            n_returned: int(s, "nReturned"),
            docs_examined: int(s, "totalDocsExamined"),
            keys_examined: int(s, "totalKeysExamined"),
            time_ms: int(s, "executionTimeMillis"),
            success: s.get_bool("executionSuccess").ok(),
        }),
        raw: extjson::document_to_json(reply),
    }
}

/// Runs `explain` of a find or an aggregation within `max_time`. The API layer refuses writing
/// stages with executionStats (which would run them) before this is called.
pub async fn explain(
    client: &MongoClient,
    database: &str,
    collection: &str,
    what: Explained,
    verbosity: Verbosity,
    max_time: Duration,
) -> Result<Explanation, EngineError> {
    let ms = i64::try_from(max_time.as_millis()).unwrap_or(i64::MAX);
    let (kind, inner) = match what {
        Explained::Find(spec) => {
            let FindSpec { filter, sort, projection, limit, skip } = *spec;
            let mut find = doc! { "find": collection, "filter": filter, "maxTimeMS": ms };
            if let Some(s) = sort {
                find.insert("sort", s);
            }
            if let Some(p) = projection {
                find.insert("projection", p);
            }
            if let Some(l) = limit {
                find.insert("limit", l);
            }
            if let Some(s) = skip {
                find.insert("skip", s);
            }
            ("find", find)
        }
        Explained::Aggregate(pipeline) => {
            ("aggregate", doc! { "aggregate": collection, "pipeline": pipeline, "cursor": {}, "maxTimeMS": ms })
        }
    };
    let command = doc! { "explain": inner, "verbosity": verbosity.as_str() };
    let db = client.client().database(database);
    let coll = db.collection::<Document>(collection);
    let run = async {
        match db.run_command(command).await {
            Ok(reply) => Ok(reply),
            Err(e) => Err(op_error(&coll, e).await),
        }
    };
    let reply = within(max_time + GRACE, "explain", run).await?;
    Ok(read_explain(reply, verbosity, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// mongod 7.0's documented `currentOp` entry (abridged from the manual's example).
    #[test]
    fn reads_mongods_current_op_entries() {
        let reply = doc! { "inprog": [
            { "type": "op", "host": "h:27017", "desc": "conn12", "active": true, "opid": 3_i32,
              "secs_running": 0_i64, "microsecs_running": 1_200_i64, "op": "query", "ns": "test.people",
              "command": { "find": "people", "filter": { "age": { "$gt": 1 } } }, "planSummary": "COLLSCAN",
              "client": "127.0.0.1:53300", "appName": "mongosh", "waitingForLock": false },
            { "type": "op", "desc": "conn13", "active": true, "opid": 7_i32, "secs_running": 5_i64,
              "microsecs_running": 5_000_000_i64, "op": "command", "ns": "admin.$cmd", "command": { "sleep": 1 } },
        ], "ok": 1.0 };
        let ops = operations(&reply);
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[0].opid, serde_json::json!(3));
        assert_eq!(ops[0].plan_summary.as_deref(), Some("COLLSCAN"));
        assert_eq!(ops[0].command.as_ref().unwrap()["filter"]["age"]["$gt"], 1);
        assert_eq!(ops[1].microsecs_running, Some(5_000_000));
        assert!(operations(&doc! { "ok": 1.0, "result": [] }).is_empty());
    }

    #[test]
    fn operation_ids_are_numbers_or_shard_numbers() {
        assert_eq!(OpId::parse("12345").unwrap(), OpId::Number(12345));
        assert_eq!(OpId::parse("shard01:777").unwrap().bson(), Bson::String("shard01:777".into()));
        assert_eq!(OpId::Number(5).bson(), Bson::Int32(5));
        for bad in ["", "abc", "shard:", ":5", "1.5"] {
            assert!(OpId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_mongods_profile_and_index_stats_shapes() {
        let p = profiling(&doc! { "was": 1_i32, "slowms": 50_i32, "sampleRate": 1.0, "ok": 1.0 });
        assert_eq!((p.level, p.slowms, p.sample_rate), (Some(1), Some(50), Some(1.0)));
        let s = index_stat(doc! { "name": "age_1", "key": { "age": 1 }, "host": "h:27017",
        "accesses": { "ops": 12_i64, "since": mongodb::bson::DateTime::from_millis(0) } });
        assert_eq!((s.name.as_deref(), s.ops), (Some("age_1"), Some(12)));
        assert!(s.since.is_some());
    }

    /// The manual's executionStats example for an index scan with a fetch.
    #[test]
    fn reads_a_classic_explain_with_execution_stats() {
        let reply = doc! {
        "queryPlanner": { "namespace": "test.people", "winningPlan": {
            "stage": "FETCH", "inputStage": { "stage": "IXSCAN", "keyPattern": { "age": 1 }, "indexName": "age_1",
            "direction": "forward" } }, "rejectedPlans": [ { "stage": "COLLSCAN" } ] },
        "executionStats": { "executionSuccess": true, "nReturned": 39_i32, "executionTimeMillis": 2_i32,
            "totalKeysExamined": 39_i32, "totalDocsExamined": 39_i32, "executionStages": {
                "stage": "FETCH", "nReturned": 39_i32, "docsExamined": 39_i32,
                "executionTimeMillisEstimate": 0_i32, "inputStage": { "stage": "IXSCAN", "nReturned": 39_i32,
                "keysExamined": 39_i32, "indexName": "age_1", "keyPattern": { "age": 1 } } } },
        "ok": 1.0 };
        let e = read_explain(reply, Verbosity::ExecutionStats, "find");
        assert_eq!(e.stages, ["FETCH", "IXSCAN"]);
        assert_eq!(e.indexes_used, ["age_1"]);
        assert!(!e.collection_scan);
        assert_eq!(e.rejected_plans, 1);
        let x = e.execution.unwrap();
        assert_eq!(
            (x.n_returned, x.docs_examined, x.keys_examined, x.time_ms),
            (Some(39), Some(39), Some(39), Some(2))
        );
        let plan = e.winning_plan.unwrap();
        assert_eq!(plan.inputs[0].keys_examined, Some(39));
    }

    /// An aggregation whose query part is in `$cursor`, with SBE's `queryPlan` form.
    #[test]
    fn reads_an_aggregation_explain() {
        let reply = doc! { "stages": [
            { "$cursor": { "queryPlanner": { "namespace": "test.people",
                "winningPlan": { "queryPlan": { "stage": "COLLSCAN", "direction": "forward" }, "slotBasedPlan": {} } } } },
            { "$group": { "_id": "$team" } },
            { "$sort": { "sortKey": { "_id": 1 } } },
        ], "ok": 1.0 };
        let e = read_explain(reply, Verbosity::QueryPlanner, "aggregate");
        assert_eq!(e.stages, ["COLLSCAN"]);
        assert!(e.collection_scan && e.indexes_used.is_empty());
        assert_eq!(e.pipeline_stages, ["$group", "$sort"]);
        assert!(e.execution.is_none());
    }
}
