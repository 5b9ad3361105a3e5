//! Pub/Sub (spec 3.3): active channels with subscriber counts, publishing, and the message shapes a
//! WebSocket subscriber receives.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value};

use super::keys::{encode_all, Encoding};
use super::RedisClient;
use crate::engines::EngineError;

/// An active channel.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ChannelInfo {
    /// Channel name.
    pub channel: String,
    /// Subscribers (PUBSUB NUMSUB).
    pub subscribers: i64,
    /// Always false: Redis cannot list pattern subscriptions, only count them.
    pub pattern: bool,
}

/// Active channels matching `pattern`, and the number of pattern subscriptions (PUBSUB NUMPAT).
pub async fn channels(client: &RedisClient, pattern: &str) -> Result<(Vec<ChannelInfo>, i64), EngineError> {
    let names: Vec<String> = client.query(redis::cmd("PUBSUB").arg("CHANNELS").arg(pattern)).await?;
    let numpat: i64 = client.query(redis::cmd("PUBSUB").arg("NUMPAT")).await?;
    if names.is_empty() {
        return Ok((Vec::new(), numpat));
    }
    let counts: Vec<(String, i64)> = client.query(redis::cmd("PUBSUB").arg("NUMSUB").arg(&names)).await?;
    let mut out: Vec<ChannelInfo> =
        counts.into_iter().map(|(channel, subscribers)| ChannelInfo { channel, subscribers, pattern: false }).collect();
    out.sort_by(|a, b| a.channel.cmp(&b.channel));
    Ok((out, numpat))
}

/// Publishes; returns how many subscribers received it.
pub async fn publish(client: &RedisClient, channel: &str, message: &[u8]) -> Result<i64, EngineError> {
    client.query(redis::cmd("PUBLISH").arg(channel).arg(message)).await.map_err(EngineError::of_write)
}

/// A received message as sent to a WebSocket client: `{type, channel, pattern?, data, data_encoding}`.
pub fn message_json(msg: &redis::Msg) -> Value {
    let (encoding, mut data) = encode_all(&[msg.get_payload_bytes()]);
    let mut out = json!({
        "type": "message",
        "channel": msg.get_channel_name(),
        "data": data.pop(),
    });
    if encoding == Encoding::Base64 {
        out["data_encoding"] = json!("base64");
    }
    if msg.from_pattern() {
        if let Ok(pattern) = msg.get_pattern::<String>() {
            out["pattern"] = json!(pattern);
        }
    }
    out
}
