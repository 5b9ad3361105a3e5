//! INFO parsed into typed sections (spec 3.4), plus a compact stats sample for live charts.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::RedisClient;
use crate::engines::EngineError;

/// INFO text split into `section -> field -> value`, numbers as JSON numbers.
pub fn parse_sections(text: &str) -> Map<String, Value> {
    let mut sections = Map::new();
    let mut current = String::from("default");
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("# ") {
            current = name.trim().to_lowercase();
            continue;
        }
        let Some((k, v)) = line.split_once(':') else { continue };
        let value = if let Ok(n) = v.parse::<i64>() {
            json!(n)
        } else if let Ok(f) = v.parse::<f64>() {
            json!(f)
        } else {
            json!(v)
        };
        let section = sections.entry(current.clone()).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(map) = section {
            map.insert(k.to_string(), value);
        }
    }
    sections
}

fn field<'a>(sections: &'a Map<String, Value>, section: &str, key: &str) -> &'a Value {
    sections.get(section).and_then(|s| s.get(key)).unwrap_or(&Value::Null)
}

fn num(sections: &Map<String, Value>, section: &str, key: &str) -> f64 {
    field(sections, section, key).as_f64().unwrap_or(0.0)
}

fn hit_rate(hits: f64, misses: f64) -> f64 {
    if hits + misses > 0.0 {
        ((hits / (hits + misses)) * 10_000.0).round() / 10_000.0
    } else {
        0.0
    }
}

/// Keys per logical database, from the keyspace section (`db0:keys=1,expires=0,avg_ttl=0`).
fn keys_per_db(sections: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(Value::Object(keyspace)) = sections.get("keyspace") {
        for (db, v) in keyspace {
            let keys = v
                .as_str()
                .and_then(|s| s.split(',').find_map(|kv| kv.strip_prefix("keys=")))
                .and_then(|n| n.parse::<i64>().ok())
                .unwrap_or(0);
            out.insert(db.clone(), json!(keys));
        }
    }
    out
}

/// The typed view of INFO.
pub async fn info(client: &RedisClient) -> Result<Value, EngineError> {
    let text = client.info_text("everything").await?;
    let s = parse_sections(&text);
    let mode = field(&s, "server", "redis_mode").as_str().unwrap_or("standalone").to_string();
    let role = field(&s, "replication", "role").clone();
    Ok(json!({
        "server": {
            "version": field(&s, "server", "redis_version").to_string().trim_matches('"'),
            "mode": mode,
            "uptime_seconds": field(&s, "server", "uptime_in_seconds"),
        },
        "memory": {
            "used_memory": field(&s, "memory", "used_memory"),
            "used_memory_human": field(&s, "memory", "used_memory_human"),
            "max_memory": field(&s, "memory", "maxmemory"),
            "eviction_policy": field(&s, "memory", "maxmemory_policy"),
        },
        "stats": {
            "total_commands_processed": field(&s, "stats", "total_commands_processed"),
            "ops_per_sec": field(&s, "stats", "instantaneous_ops_per_sec"),
            "keyspace_hits": field(&s, "stats", "keyspace_hits"),
            "keyspace_misses": field(&s, "stats", "keyspace_misses"),
            "hit_rate": hit_rate(num(&s, "stats", "keyspace_hits"), num(&s, "stats", "keyspace_misses")),
        },
        "clients": {
            "connected_clients": field(&s, "clients", "connected_clients"),
            "blocked_clients": field(&s, "clients", "blocked_clients"),
        },
        "persistence": {
            "rdb_last_save_time": field(&s, "persistence", "rdb_last_save_time"),
            "aof_enabled": field(&s, "persistence", "aof_enabled").as_i64() == Some(1),
        },
        "replication": {
            "role": role,
            "connected_slaves": field(&s, "replication", "connected_slaves"),
        },
        "keyspace": keys_per_db(&s),
        "sections": s,
    }))
}

/// One sample for live charts.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StatsSample {
    /// Milliseconds since the epoch when sampled.
    pub timestamp_ms: i64,
    /// Instantaneous operations per second.
    pub ops_per_sec: f64,
    /// Bytes used.
    pub used_memory: f64,
    /// Connected clients.
    pub connected_clients: f64,
    /// Blocked clients.
    pub blocked_clients: f64,
    /// Keyspace hit rate, 0-1.
    pub hit_rate: f64,
    /// Network input, kilobytes per second.
    pub input_kbps: f64,
    /// Network output, kilobytes per second.
    pub output_kbps: f64,
    /// Keys per database.
    pub keys: Map<String, Value>,
}

/// Takes one stats sample.
pub async fn sample(client: &RedisClient) -> Result<StatsSample, EngineError> {
    let text = client.info_text("default").await?;
    let s = parse_sections(&text);
    Ok(StatsSample {
        timestamp_ms: (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64,
        ops_per_sec: num(&s, "stats", "instantaneous_ops_per_sec"),
        used_memory: num(&s, "memory", "used_memory"),
        connected_clients: num(&s, "clients", "connected_clients"),
        blocked_clients: num(&s, "clients", "blocked_clients"),
        hit_rate: hit_rate(num(&s, "stats", "keyspace_hits"), num(&s, "stats", "keyspace_misses")),
        input_kbps: num(&s, "stats", "instantaneous_input_kbps"),
        output_kbps: num(&s, "stats", "instantaneous_output_kbps"),
        keys: keys_per_db(&s),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_numbers() {
        let s = parse_sections("# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:12\r\n# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\n");
        assert_eq!(s["server"]["uptime_in_seconds"], 12);
        assert_eq!(s["server"]["redis_version"], "7.0.15");
        assert_eq!(keys_per_db(&s)["db0"], 3);
        assert_eq!(hit_rate(3.0, 1.0), 0.75);
    }
}
