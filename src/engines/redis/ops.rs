//! What a Redis server is doing: SLOWLOG, CLIENT LIST and MEMORY STATS/DOCTOR, read from every
//! master of a cluster (each entry names its node), and the two actions that change it: SLOWLOG
//! RESET and CLIENT KILL ID.

use redis::Value as RedisValue;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::RedisClient;
use crate::engines::EngineError;

/// The nodes to ask: every master of a cluster, or the one server.
async fn nodes(client: &RedisClient) -> Result<Vec<Option<(String, u16)>>, EngineError> {
    Ok(match client.masters().await? {
        Some(masters) => masters.into_iter().map(Some).collect(),
        None => vec![None],
    })
}

fn node_name(node: &Option<(String, u16)>) -> Option<String> {
    node.as_ref().map(|(host, port)| format!("{host}:{port}"))
}

fn text(value: &RedisValue) -> String {
    match value {
        RedisValue::SimpleString(s) => s.clone(),
        RedisValue::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        RedisValue::VerbatimString { text, .. } => text.clone(),
        RedisValue::Int(n) => n.to_string(),
        RedisValue::Double(d) => d.to_string(),
        _ => String::new(),
    }
}

/// A reply as JSON: strings, numbers, arrays and maps as they are.
fn json_of(value: &RedisValue) -> Value {
    match value {
        RedisValue::Nil => Value::Null,
        RedisValue::Int(n) => json!(n),
        RedisValue::Double(d) => json!(d),
        RedisValue::Boolean(b) => json!(b),
        RedisValue::Array(items) | RedisValue::Set(items) => pairs_or_list(items),
        RedisValue::Map(pairs) => {
            Value::Object(pairs.iter().map(|(k, v)| (text(k), json_of(v))).collect::<Map<String, Value>>())
        }
        other => {
            let s = text(other);
            s.parse::<i64>().map(Value::from).unwrap_or(Value::String(s))
        }
    }
}

/// MEMORY STATS answers a flat `[name, value, name, value…]` list in RESP2: a map when every
/// even item is a name.
fn pairs_or_list(items: &[RedisValue]) -> Value {
    let named = items.len() % 2 == 0
        && items.iter().step_by(2).all(|k| matches!(k, RedisValue::BulkString(_) | RedisValue::SimpleString(_)));
    if named && !items.is_empty() {
        Value::Object(items.chunks(2).map(|kv| (text(&kv[0]), json_of(&kv[1]))).collect())
    } else {
        Value::Array(items.iter().map(json_of).collect())
    }
}

/// One SLOWLOG entry.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SlowEntry {
    /// The server's id of the entry.
    pub id: i64,
    /// Unix time it was logged.
    pub timestamp: i64,
    /// How long it ran, in microseconds.
    pub duration_us: i64,
    /// The command and its arguments as the server logged them (it shortens long ones).
    pub command: Vec<String>,
    /// The client's address.
    pub client_addr: Option<String>,
    /// The client's name.
    pub client_name: Option<String>,
    /// The cluster node it ran on.
    pub node: Option<String>,
}

/// The slowest recent commands, newest first, at most `count` per node.
pub async fn slowlog(client: &RedisClient, count: u32) -> Result<Vec<SlowEntry>, EngineError> {
    let mut out = Vec::new();
    for node in nodes(client).await? {
        let entries: Vec<RedisValue> =
            client.query_on(node.as_ref(), redis::cmd("SLOWLOG").arg("GET").arg(count)).await?;
        for entry in entries {
            let RedisValue::Array(fields) = entry else { continue };
            let int = |i: usize| match fields.get(i) {
                Some(RedisValue::Int(n)) => *n,
                _ => 0,
            };
            let command = match fields.get(3) {
                Some(RedisValue::Array(args)) => args.iter().map(text).collect(),
                _ => Vec::new(),
            };
            out.push(SlowEntry {
                id: int(0),
                timestamp: int(1),
                duration_us: int(2),
                command,
                client_addr: fields.get(4).map(text).filter(|s| !s.is_empty()),
                client_name: fields.get(5).map(text).filter(|s| !s.is_empty()),
                node: node_name(&node),
            });
        }
    }
    out.sort_by(|a, b| b.timestamp.cmp(&a.timestamp).then(b.id.cmp(&a.id)));
    Ok(out)
}

/// Empties the slowlog of every node.
pub async fn reset_slowlog(client: &RedisClient) -> Result<(), EngineError> {
    for node in nodes(client).await? {
        let _: RedisValue = client.query_on(node.as_ref(), redis::cmd("SLOWLOG").arg("RESET")).await?;
    }
    Ok(())
}

/// One connected client, from CLIENT LIST.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ClientEntry {
    /// Its id (per node).
    pub id: i64,
    /// Its address.
    pub address: String,
    /// The name it gave itself.
    pub name: String,
    /// The ACL user it authenticated as (Redis 6 and later).
    pub user: Option<String>,
    /// Seconds connected.
    pub age: i64,
    /// Seconds idle.
    pub idle: i64,
    /// The database it uses.
    pub db: i64,
    /// Its last command.
    pub last_command: String,
    /// Memory it uses, in bytes (`tot-mem`), when the server reports it.
    pub memory: Option<i64>,
    /// CLIENT LIST flags (e.g. `N` normal, `S` replica, `M` master, `P` pub/sub).
    pub flags: String,
    /// The cluster node it is connected to.
    pub node: Option<String>,
}

/// Parses one CLIENT LIST line (`id=3 addr=127.0.0.1:5000 … cmd=client|list …`).
fn parse_client(line: &str, node: Option<String>) -> Option<ClientEntry> {
    let fields: std::collections::HashMap<&str, &str> = line.split(' ').filter_map(|kv| kv.split_once('=')).collect();
    let int = |k: &str| fields.get(k).and_then(|v| v.parse::<i64>().ok());
    Some(ClientEntry {
        id: int("id")?,
        address: fields.get("addr").copied().unwrap_or_default().to_string(),
        name: fields.get("name").copied().unwrap_or_default().to_string(),
        user: fields.get("user").map(|u| u.to_string()),
        age: int("age").unwrap_or(0),
        idle: int("idle").unwrap_or(0),
        db: int("db").unwrap_or(0),
        last_command: fields.get("cmd").copied().unwrap_or_default().replace('|', " "),
        memory: int("tot-mem"),
        flags: fields.get("flags").copied().unwrap_or_default().to_string(),
        node,
    })
}

/// Every client of every node, the longest connected first.
pub async fn clients(client: &RedisClient) -> Result<Vec<ClientEntry>, EngineError> {
    let mut out = Vec::new();
    for node in nodes(client).await? {
        let list: String = client.query_on(node.as_ref(), redis::cmd("CLIENT").arg("LIST")).await?;
        out.extend(list.lines().filter_map(|line| parse_client(line.trim(), node_name(&node))));
    }
    out.sort_by(|a, b| b.age.cmp(&a.age).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// Closes the client with `id` (on the first node that has it); false when none had it.
pub async fn kill_client(client: &RedisClient, id: i64) -> Result<bool, EngineError> {
    for node in nodes(client).await? {
        let killed: i64 = client.query_on(node.as_ref(), redis::cmd("CLIENT").arg("KILL").arg("ID").arg(id)).await?;
        if killed > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// MEMORY STATS and MEMORY DOCTOR of every node.
pub async fn memory(client: &RedisClient) -> Result<Vec<Value>, EngineError> {
    let mut out = Vec::new();
    for node in nodes(client).await? {
        let stats: RedisValue = client.query_on(node.as_ref(), redis::cmd("MEMORY").arg("STATS")).await?;
        let doctor: RedisValue = client.query_on(node.as_ref(), redis::cmd("MEMORY").arg("DOCTOR")).await?;
        out.push(json!({"node": node_name(&node), "stats": json_of(&stats), "doctor": text(&doctor)}));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_list_line_is_parsed() {
        let line = "id=7 addr=127.0.0.1:50312 laddr=127.0.0.1:6379 fd=9 name=worker age=42 idle=3 flags=N db=2 \
                    sub=0 psub=0 multi=-1 qbuf=0 cmd=client|list tot-mem=22426 user=default";
        let c = parse_client(line, None).unwrap();
        assert_eq!((c.id, c.age, c.idle, c.db), (7, 42, 3, 2));
        assert_eq!(c.address, "127.0.0.1:50312");
        assert_eq!(c.name, "worker");
        assert_eq!(c.last_command, "client list");
        assert_eq!(c.memory, Some(22426));
        assert!(parse_client("garbage", None).is_none());
    }

    #[test]
    fn memory_stats_pairs_become_a_map() {
        let items = vec![
            RedisValue::BulkString(b"peak.allocated".to_vec()),
            RedisValue::Int(100),
            RedisValue::BulkString(b"db.0".to_vec()),
            RedisValue::Array(vec![RedisValue::BulkString(b"overhead.hashtable.main".to_vec()), RedisValue::Int(5)]),
        ];
        assert_eq!(pairs_or_list(&items), json!({"peak.allocated": 100, "db.0": {"overhead.hashtable.main": 5}}));
    }
}
