//! The periodic health check of every connection, so a connection's status tells the truth without
//! anyone pressing Test: every round pings each connection that is not INACTIVE, a bounded number
//! at a time, and stores what changed. A host that keeps failing is checked less and less often
//! (doubling up to [`MAX_BACKOFF`]), so dead hosts cost little; one success resets it.
//!
//! A connection with an open pooled client is checked through that client (the one requests use);
//! one without is checked with a throw-away client, so the check never keeps connections open.
//! Each replica runs its own check; the store is written only when a status or error changes (or
//! to refresh `status_checked_at` every [`REFRESH_AFTER`]), so replicas add little load.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use time::OffsetDateTime;

use crate::app::{App, AppState};
use crate::connections::{open_settings, record_health, version};
use crate::domain::ConnectionId;
use crate::engines::{self, EngineClient, EngineError};
use crate::error::ApiError;
use crate::store::ConnectionRecord;

/// The longest wait between two checks of a host that keeps failing.
pub const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// How old a stored check may grow while nothing changes before it is written again.
const REFRESH_AFTER: time::Duration = time::Duration::minutes(5);
/// Connections read from the store per page.
const PAGE: i64 = 500;

/// How often and how widely the health check runs.
#[derive(Clone, Copy, Debug)]
pub struct HealthCheckConfig {
    /// Time between rounds; zero turns the check off.
    pub interval: Duration,
    /// Connections checked at once.
    pub concurrency: usize,
}

/// When a failing connection is due again.
#[derive(Clone, Copy, Debug)]
struct Backoff {
    failures: u32,
    next_due: Instant,
}

/// The wait after `failures` failures in a row: the interval, doubled per failure, at most
/// [`MAX_BACKOFF`].
fn backoff_after(interval: Duration, failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(10);
    interval.saturating_mul(factor).min(MAX_BACKOFF.max(interval))
}

/// Runs rounds until the task is aborted.
pub async fn run(app: AppState, config: HealthCheckConfig) {
    if config.interval.is_zero() {
        return;
    }
    let mut backoff: HashMap<ConnectionId, Backoff> = HashMap::new();
    loop {
        tokio::time::sleep(config.interval).await;
        if let Err(e) = round(&app, config, &mut backoff).await {
            tracing::warn!(error = %e, "the connection health check could not read the connections");
        }
    }
}

/// One pass over every connection that is due.
async fn round(
    app: &App,
    config: HealthCheckConfig,
    backoff: &mut HashMap<ConnectionId, Backoff>,
) -> Result<(), ApiError> {
    let now = Instant::now();
    let mut after = None;
    let mut seen = Vec::new();
    loop {
        let page = app.store.connections_to_check(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        let full = page.len() as i64 == PAGE;
        let due: Vec<ConnectionRecord> = page
            .into_iter()
            .inspect(|record| seen.push(record.id))
            .filter(|record| backoff.get(&record.id).is_none_or(|b| b.next_due <= now))
            .collect();
        let outcomes: Vec<(ConnectionId, bool)> = stream::iter(due)
            .map(|record| async move {
                let outcome = check(app, &record).await;
                let healthy = outcome.is_ok();
                store_outcome(app, &record, outcome).await;
                (record.id, healthy)
            })
            .buffer_unordered(config.concurrency.max(1))
            .collect()
            .await;
        for (id, healthy) in outcomes {
            if healthy {
                backoff.remove(&id);
            } else {
                let failures = backoff.get(&id).map_or(1, |b| b.failures + 1);
                let next_due = Instant::now() + backoff_after(config.interval, failures);
                backoff.insert(id, Backoff { failures, next_due });
            }
        }
        if !full {
            break;
        }
    }
    // Deleted or switched-off connections leave the backoff table.
    backoff.retain(|id, _| seen.contains(id));
    Ok(())
}

/// Pings one connection within its connect timeout: `Err` is the reason, scrubbed of secrets.
pub async fn check(app: &App, record: &ConnectionRecord) -> Result<(), String> {
    let settings = open_settings(app, record).map_err(|e| e.to_string())?;
    let limit = settings.options.connect_timeout();
    let result = match app.pools.get(record.id, version(record)).await {
        Some(client) => ping(&client, limit).await,
        None => {
            let guarded = app.network.approve(settings.clone()).await.map_err(|e| e.to_string())?;
            match engines::connect(&guarded).await {
                Ok(client) => {
                    let pinged = ping(&client, limit).await;
                    client.close().await;
                    pinged
                }
                Err(e) => Err(e),
            }
        }
    };
    result.map_err(|e| e.scrubbed(&settings).to_string())
}

async fn ping(client: &EngineClient, limit: Duration) -> Result<(), EngineError> {
    engines::within(limit, "the health check", client.ping()).await.map(|_| ())
}

/// Stores a check's outcome when it changes what is stored, or when the stored one is old.
async fn store_outcome(app: &App, record: &ConnectionRecord, outcome: Result<(), String>) {
    let stale = record.status_checked_at.is_none_or(|at| OffsetDateTime::now_utc() - at > REFRESH_AFTER);
    record_health(app, record, outcome.as_ref().map(|_| ()).map_err(String::as_str), stale).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let interval = Duration::from_secs(30);
        assert_eq!(backoff_after(interval, 1), Duration::from_secs(30));
        assert_eq!(backoff_after(interval, 2), Duration::from_secs(60));
        assert_eq!(backoff_after(interval, 3), Duration::from_secs(120));
        assert_eq!(backoff_after(interval, 40), MAX_BACKOFF);
        // An interval longer than the cap is never shortened.
        assert_eq!(backoff_after(Duration::from_secs(3600), 5), Duration::from_secs(3600));
    }
}
