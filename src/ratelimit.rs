//! The request rate limit: a token bucket per user (per address when anonymous), `per_second`
//! sustained with bursts of `burst`.
//!
//! One replica keeps its buckets in memory (governor). Several replicas share them in a configured
//! Redis, where one Lua script runs the same algorithm (GCRA) atomically, timed by Redis's own
//! clock so the replicas' clocks need not agree. If that Redis stops answering, a replica falls
//! back to its own buckets (logged) rather than refusing everyone or letting everyone through.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{Quota, RateLimiter};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::ExposeSecret;

use crate::app::KeyedLimiter;
use crate::config::{RateLimit, SharedLimitsUrl};

/// GCRA over one key: `ARGV[1]` is the emission interval and `ARGV[2]` the burst tolerance, in
/// microseconds. Answers 0 when the request may pass, else the microseconds to wait.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local wait = tat + interval - tolerance - now
if wait > 0 then return wait end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1)
return 0
";

/// Buckets kept in a Redis every replica uses.
struct SharedBuckets {
    redis: ConnectionManager,
    script: redis::Script,
    interval_us: u64,
    tolerance_us: u64,
}

/// Checks requests against the limit, in memory or in the shared Redis.
pub struct RequestLimiter {
    local: KeyedLimiter,
    shared: Option<SharedBuckets>,
}

impl RequestLimiter {
    /// In-memory buckets for `limits`, shared through `redis` when given (connecting to it now, so
    /// a wrong URL stops the start-up with a clear message).
    pub async fn new(limits: &RateLimit, redis: Option<&SharedLimitsUrl>) -> anyhow::Result<Self> {
        let per_second = NonZeroU32::new(limits.per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limits.burst).unwrap_or(NonZeroU32::MIN);
        let local = RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst));
        let shared = match redis {
            None => None,
            Some(url) => Some(SharedBuckets::connect(url, per_second, burst).await?),
        };
        Ok(Self { local, shared })
    }

    /// `Ok` when a request under `key` may pass now, else how long to wait.
    pub async fn check(&self, key: &str) -> Result<(), Duration> {
        if let Some(shared) = &self.shared {
            match shared.check(key).await {
                Ok(verdict) => return verdict,
                Err(e) => {
                    metrics::counter!("switchboard_rate_limit_fallback_total").increment(1);
                    tracing::warn!(error = %e, "shared rate limit unavailable; limiting on this replica");
                }
            }
        }
        self.local
            .check_key(&key.to_string())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets in-memory buckets that have refilled, so memory stays bounded.
    pub fn retain_recent(&self) {
        self.local.retain_recent();
    }
}

impl SharedBuckets {
    async fn connect(url: &SharedLimitsUrl, per_second: NonZeroU32, burst: NonZeroU32) -> anyhow::Result<Self> {
        // The URL may carry a password: errors name the setting, never the value.
        let client = redis::Client::open(url.0.expose_secret())
            .map_err(|_| anyhow::anyhow!("SWITCHBOARD_RATE_LIMIT_REDIS is not a valid redis:// URL"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_millis(500)))
            .set_number_of_retries(1);
        let redis = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach the Redis of SWITCHBOARD_RATE_LIMIT_REDIS: {:?}", e.kind()))?;
        let interval_us = 1_000_000 / u64::from(per_second.get());
        Ok(Self {
            redis,
            script: redis::Script::new(GCRA),
            interval_us,
            tolerance_us: interval_us * u64::from(burst.get()),
        })
    }

    async fn check(&self, key: &str) -> redis::RedisResult<Result<(), Duration>> {
        let wait_us: u64 = self
            .script
            .key(format!("switchboard:ratelimit:{key}"))
            .arg(self.interval_us)
            .arg(self.tolerance_us)
            .invoke_async(&mut self.redis.clone())
            .await?;
        Ok(if wait_us == 0 { Ok(()) } else { Err(Duration::from_micros(wait_us)) })
    }
}
