//! The command line: what a Redis command is (from the server's own `COMMAND INFO`), which role may
//! run it on a pooled connection, and its reply as typed JSON.
//!
//! The decision uses the server's flags and ACL categories, not a hand list of names, with two
//! exceptions kept by hand because they are about how this server uses Redis, not about the
//! command: commands that change or hold the state of the *shared* pooled connection (SELECT,
//! MULTI, SUBSCRIBE, MONITOR, blocking pops…) are refused for everyone, and commands that stop or
//! reconfigure the server are refused even to admins unless the connection allows them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use redis::Value as RedisValue;
use serde_json::{json, Map, Value};

use super::RedisClient;
use crate::engines::EngineError;

/// What `COMMAND INFO` says about one command or subcommand.
#[derive(Clone, Debug, Default)]
pub struct CommandFacts {
    /// `get`, or `config|set` for a subcommand.
    pub name: String,
    /// Command flags (`readonly`, `write`, `admin`, `blocking`, `movablekeys`…).
    pub flags: Vec<String>,
    /// ACL categories (`@read`, `@write`, `@dangerous`…), Redis 6 and later.
    pub categories: Vec<String>,
    /// Position of the first key argument (0: none, or found only by `COMMAND GETKEYS`).
    pub first_key: i64,
    /// Whether the command is a container whose subcommand decides (CONFIG, CLIENT, SCRIPT…).
    pub has_subcommands: bool,
}

impl CommandFacts {
    fn flag(&self, f: &str) -> bool {
        self.flags.iter().any(|x| x == f)
    }

    fn category(&self, c: &str) -> bool {
        self.categories.iter().any(|x| x == c)
    }
}

/// A per-client cache of `COMMAND INFO` answers; it lives as long as the pooled client, so a
/// reconnected (re-opened) connection asks its server again.
#[derive(Clone, Default)]
pub struct CommandCache(Arc<Mutex<HashMap<String, CommandFacts>>>);

/// How many commands a cache keeps (Redis has about 400 with subcommands).
const CACHE_LIMIT: usize = 1024;

/// What running a command means, and so who may run it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Class {
    /// Reads data or server state only: viewers.
    Read,
    /// Changes data (or has effects outside reads: scripts, publishing): developers.
    Write,
    /// Flagged `admin` or in `@admin`/`@dangerous`: admins.
    Admin,
    /// Stops or reconfigures the server: admins, and only when the connection allows it.
    Server,
    /// Would change or hold the shared pooled connection: nobody, with the reason.
    Refused(String),
}

/// Commands that stop or reconfigure the server (full names, lower case; a bare name covers all
/// of its subcommands).
const SERVER_COMMANDS: &[&str] = &[
    "shutdown",
    "debug",
    "config|set",
    "config|resetstat",
    "config|rewrite",
    "flushall",
    "swapdb",
    "script|kill",
    "function|kill",
    "function|flush",
    "function|restore",
    "monitor",
    "replicaof",
    "slaveof",
    "failover",
    "cluster|addslots",
    "cluster|addslotsrange",
    "cluster|delslots",
    "cluster|delslotsrange",
    "cluster|failover",
    "cluster|forget",
    "cluster|meet",
    "cluster|replicate",
    "cluster|reset",
    "cluster|setslot",
    "cluster|flushslots",
    "cluster|set-config-epoch",
    "acl|setuser",
    "acl|deluser",
    "acl|load",
    "acl|save",
    "module",
    "save",
    "bgsave",
    "bgrewriteaof",
    "sync",
    "psync",
    "client|kill",
    "client|pause",
    "client|unpause",
];

/// Commands that change or hold the pooled connection every request shares.
const CONNECTION_COMMANDS: &[&str] = &[
    "select",
    "multi",
    "exec",
    "discard",
    "watch",
    "unwatch",
    "subscribe",
    "psubscribe",
    "ssubscribe",
    "unsubscribe",
    "punsubscribe",
    "sunsubscribe",
    "quit",
    "reset",
    "hello",
    "auth",
    "readonly",
    "readwrite",
    "wait",
    "waitaof",
    "client|reply",
    "client|setname",
    "client|setinfo",
    "client|tracking",
    "client|caching",
    "client|no-evict",
    "client|no-touch",
];

fn is_listed(list: &[&str], name: &str) -> bool {
    let parent = name.split('|').next().unwrap_or(name);
    list.iter().any(|c| *c == name || *c == parent)
}

/// Decides what a command is from its facts and its arguments (`args[0]` is the command).
pub fn classify(facts: &CommandFacts, args: &[Vec<u8>]) -> Class {
    let name = facts.name.as_str();
    if is_listed(CONNECTION_COMMANDS, name) {
        return Class::Refused(format!(
            "{} changes or holds the connection, which the console shares between requests",
            name.to_uppercase()
        ));
    }
    if facts.flag("blocking") {
        // XREAD and XREADGROUP are flagged blocking but block only with a BLOCK argument.
        let blocks =
            !matches!(name, "xread" | "xreadgroup") || args.iter().skip(1).any(|a| a.eq_ignore_ascii_case(b"block"));
        if blocks {
            return Class::Refused(format!(
                "{} blocks the connection, which the console shares between requests",
                name.to_uppercase()
            ));
        }
    }
    if is_listed(SERVER_COMMANDS, name) {
        return Class::Server;
    }
    if facts.flag("admin") || facts.category("@admin") || facts.category("@dangerous") {
        return Class::Admin;
    }
    let writes = facts.flag("write")
        || facts.flag("may_replicate")
        || facts.category("@write")
        || facts.category("@scripting")
        || facts.category("@pubsub");
    if writes {
        Class::Write
    } else {
        Class::Read
    }
}

fn text(v: &RedisValue) -> Option<String> {
    match v {
        RedisValue::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        RedisValue::SimpleString(s) => Some(s.clone()),
        RedisValue::VerbatimString { text, .. } => Some(text.clone()),
        RedisValue::Okay => Some("OK".into()),
        _ => None,
    }
}

fn texts(v: Option<&RedisValue>) -> Vec<String> {
    match v {
        Some(RedisValue::Array(items)) | Some(RedisValue::Set(items)) => items.iter().filter_map(text).collect(),
        _ => Vec::new(),
    }
}

/// Reads one entry of a `COMMAND INFO` reply; `None` for an unknown command.
fn parse_info(entry: &RedisValue) -> Option<CommandFacts> {
    let RedisValue::Array(fields) = entry else { return None };
    let name = text(fields.first()?)?.to_lowercase();
    let first_key = match fields.get(3) {
        Some(RedisValue::Int(n)) => *n,
        _ => 0,
    };
    let has_subcommands = matches!(fields.get(9), Some(RedisValue::Array(s)) if !s.is_empty());
    Some(CommandFacts {
        name,
        flags: texts(fields.get(2)).into_iter().map(|f| f.to_lowercase()).collect(),
        categories: texts(fields.get(6)).into_iter().map(|c| c.to_lowercase()).collect(),
        first_key,
        has_subcommands,
    })
}

async fn info(client: &RedisClient, name: &str) -> Result<Option<CommandFacts>, EngineError> {
    if let Some(found) = client.commands.0.lock().ok().and_then(|c| c.get(name).cloned()) {
        return Ok(Some(found));
    }
    let reply: RedisValue = client.query(redis::cmd("COMMAND").arg("INFO").arg(name)).await?;
    let facts = match &reply {
        RedisValue::Array(entries) => entries.first().and_then(parse_info),
        _ => None,
    };
    if let (Some(f), Ok(mut cache)) = (&facts, client.commands.0.lock()) {
        // Only names the server knows are kept, so made-up names cannot grow the cache.
        if cache.len() < CACHE_LIMIT {
            cache.insert(name.to_string(), f.clone());
        }
    }
    Ok(facts)
}

/// The facts of the command `args` starts with, its subcommand's where it has subcommands (and the
/// server describes them, Redis 7); `Config` for an unknown command.
pub async fn lookup(client: &RedisClient, args: &[Vec<u8>]) -> Result<CommandFacts, EngineError> {
    let first = args.first().ok_or_else(|| EngineError::Config("args must name a command".into()))?;
    let name = String::from_utf8_lossy(first).to_lowercase();
    let unknown = |n: &str| EngineError::Config(format!("unknown command `{}`", n.to_uppercase()));
    if name.is_empty() || name.contains('|') || name.chars().any(char::is_whitespace) {
        return Err(unknown(&name));
    }
    let facts = info(client, &name).await?.ok_or_else(|| unknown(&name))?;
    if !facts.has_subcommands {
        return Ok(facts);
    }
    let sub = args.get(1).map(|s| String::from_utf8_lossy(s).to_lowercase()).ok_or_else(|| {
        EngineError::Config(format!("{} needs a subcommand (try `{} HELP`)", name.to_uppercase(), name.to_uppercase()))
    })?;
    let full = format!("{name}|{sub}");
    if sub.is_empty() || sub.contains('|') || sub.chars().any(char::is_whitespace) {
        return Err(unknown(&full));
    }
    info(client, &full).await?.ok_or_else(|| unknown(&full.replace('|', " ")))
}

/// The first key the command acts on, for the audit record: from the key position `COMMAND INFO`
/// gives, or for commands with movable keys (EVAL, ZUNIONSTORE…) from `COMMAND GETKEYS`.
pub async fn first_key(client: &RedisClient, facts: &CommandFacts, args: &[Vec<u8>]) -> Option<Vec<u8>> {
    if facts.first_key > 0 {
        return usize::try_from(facts.first_key).ok().and_then(|i| args.get(i)).cloned();
    }
    if facts.flag("movablekeys") {
        let mut cmd = redis::cmd("COMMAND");
        cmd.arg("GETKEYS");
        for a in args {
            cmd.arg(a.as_slice());
        }
        let keys: Vec<Vec<u8>> = client.query(&cmd).await.ok()?;
        return keys.into_iter().next();
    }
    None
}

/// Runs the command on the pooled client (a cluster client routes it by its key's slot).
pub async fn run(client: &RedisClient, args: &[Vec<u8>]) -> Result<RedisValue, EngineError> {
    let mut cmd = redis::Cmd::new();
    for a in args {
        cmd.arg(a.as_slice());
    }
    client.query(&cmd).await
}

/// Bytes as a JSON string, or `{"base64": …}` when they are not UTF-8.
fn bytes_json(b: &[u8]) -> Value {
    match std::str::from_utf8(b) {
        Ok(s) => Value::String(s.to_string()),
        Err(_) => json!({ "base64": B64.encode(b) }),
    }
}

/// A reply as typed JSON: strings, numbers, arrays, `null` for nil, objects for RESP3 maps with
/// text keys, and `{"error": …}` for an error nested in an array (a whole-reply error is a 400).
pub fn reply_json(v: &RedisValue) -> Value {
    match v {
        RedisValue::Nil => Value::Null,
        RedisValue::Int(n) => json!(n),
        RedisValue::BulkString(b) => bytes_json(b),
        RedisValue::SimpleString(s) => Value::String(s.clone()),
        RedisValue::Okay => Value::String("OK".into()),
        RedisValue::Array(items) | RedisValue::Set(items) => Value::Array(items.iter().map(reply_json).collect()),
        RedisValue::Map(pairs) => {
            let keys: Option<Vec<String>> = pairs.iter().map(|(k, _)| text(k)).collect();
            match keys {
                Some(keys) => {
                    Value::Object(keys.into_iter().zip(pairs.iter().map(|(_, v)| reply_json(v))).collect::<Map<_, _>>())
                }
                None => Value::Array(pairs.iter().map(|(k, v)| json!([reply_json(k), reply_json(v)])).collect()),
            }
        }
        RedisValue::Attribute { data, .. } => reply_json(data),
        RedisValue::Double(d) => json!(d),
        RedisValue::Boolean(b) => json!(b),
        RedisValue::VerbatimString { text, .. } => Value::String(text.clone()),
        RedisValue::BigNumber(n) => Value::String(String::from_utf8_lossy(n).into_owned()),
        RedisValue::Push { data, .. } => Value::Array(data.iter().map(reply_json).collect()),
        RedisValue::ServerError(e) => {
            json!({ "error": format!("{} {}", e.code(), e.details().unwrap_or_default()).trim() })
        }
        #[allow(unreachable_patterns)]
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(name: &str, flags: &[&str], categories: &[&str]) -> CommandFacts {
        CommandFacts {
            name: name.into(),
            flags: flags.iter().map(|s| s.to_string()).collect(),
            categories: categories.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn classes_come_from_flags_and_categories() {
        let args = |s: &[&str]| s.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(classify(&facts("get", &["readonly", "fast"], &["@read"]), &args(&["GET", "k"])), Class::Read);
        assert_eq!(classify(&facts("ping", &["fast"], &["@connection"]), &args(&["PING"])), Class::Read);
        assert_eq!(classify(&facts("set", &["write"], &["@write"]), &args(&["SET", "k", "v"])), Class::Write);
        assert_eq!(classify(&facts("eval", &["noscript"], &["@scripting"]), &args(&["EVAL"])), Class::Write);
        assert_eq!(classify(&facts("flushdb", &["write"], &["@dangerous"]), &args(&["FLUSHDB"])), Class::Admin);
        assert_eq!(classify(&facts("keys", &["readonly"], &["@dangerous"]), &args(&["KEYS", "*"])), Class::Admin);
        assert_eq!(classify(&facts("flushall", &["write"], &["@dangerous"]), &args(&["FLUSHALL"])), Class::Server);
        assert_eq!(
            classify(&facts("swapdb", &["write"], &["@dangerous"]), &args(&["SWAPDB", "0", "1"])),
            Class::Server
        );
        assert_eq!(classify(&facts("config|set", &["admin"], &["@admin"]), &args(&["CONFIG", "SET"])), Class::Server);
        assert_eq!(classify(&facts("config|get", &["admin"], &["@admin"]), &args(&["CONFIG", "GET"])), Class::Admin);
        assert!(matches!(classify(&facts("select", &[], &[]), &args(&["SELECT", "1"])), Class::Refused(_)));
        assert!(matches!(classify(&facts("blpop", &["write", "blocking"], &[]), &args(&["BLPOP"])), Class::Refused(_)));
        let xread = facts("xread", &["readonly", "blocking"], &["@read"]);
        assert_eq!(classify(&xread, &args(&["XREAD", "STREAMS", "s", "0"])), Class::Read);
        assert!(matches!(classify(&xread, &args(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"])), Class::Refused(_)));
    }

    #[test]
    fn replies_are_typed() {
        let v = RedisValue::Array(vec![
            RedisValue::Nil,
            RedisValue::Int(3),
            RedisValue::BulkString(b"hi".to_vec()),
            RedisValue::BulkString(vec![0xff]),
        ]);
        assert_eq!(reply_json(&v), json!([null, 3, "hi", {"base64": "/w=="}]));
    }
}
