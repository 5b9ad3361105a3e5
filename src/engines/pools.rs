//! The pool manager (spec 5.2): one client per connection, created on first use, shared by concurrent
//! requests, evicted after an idle time and dropped as soon as its connection changes.
//!
//! Entries are keyed by connection id *and* the record's `updated_at`, so a client built from an old
//! version of a connection can never serve a request for the new one, even if an update races with
//! a connect in flight.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use super::{EngineClient, EngineError};
use crate::domain::ConnectionId;

/// Cache key: the connection and the version of its settings.
type PoolKey = (ConnectionId, i128);

/// Open clients by connection.
#[derive(Clone)]
pub struct Pools {
    clients: Cache<PoolKey, EngineClient>,
}

impl Pools {
    /// A manager that closes clients idle for `idle`.
    pub fn new(idle: Duration) -> Self {
        let clients = Cache::builder()
            .time_to_idle(idle)
            .support_invalidation_closures()
            .async_eviction_listener(|key: Arc<PoolKey>, client: EngineClient, cause| {
                Box::pin(async move {
                    tracing::debug!(connection_id = %key.0, ?cause, "closing pooled client");
                    client.close().await;
                })
            })
            .build();
        Self { clients }
    }

    /// The open client for a connection version, if there is one.
    pub async fn get(&self, id: ConnectionId, version: i128) -> Option<EngineClient> {
        let found = self.clients.get(&(id, version)).await;
        if found.is_some() {
            metrics::counter!("switchboard_pool_cache_total", "result" => "hit").increment(1);
        }
        found
    }

    /// The client for a connection version, opening it with `open` on a miss. Concurrent misses for
    /// the same key share one `open`; a failed `open` is not cached.
    pub async fn get_or_open<F>(&self, id: ConnectionId, version: i128, open: F) -> Result<EngineClient, EngineError>
    where
        F: Future<Output = Result<EngineClient, EngineError>>,
    {
        let key = (id, version);
        if let Some(client) = self.clients.get(&key).await {
            metrics::counter!("switchboard_pool_cache_total", "result" => "hit").increment(1);
            return Ok(client);
        }
        metrics::counter!("switchboard_pool_cache_total", "result" => "miss").increment(1);
        self.clients.try_get_with(key, open).await.map_err(|e: Arc<EngineError>| (*e).clone())
    }

    /// Drops every client of a connection (after an update or delete).
    pub fn evict(&self, id: ConnectionId) {
        if let Err(e) = self.clients.invalidate_entries_if(move |key, _| key.0 == id) {
            tracing::warn!(error = %e, "could not evict pooled clients");
        }
    }

    /// Number of open clients.
    pub fn len(&self) -> u64 {
        self.clients.entry_count()
    }

    /// Whether no client is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes every client (graceful shutdown).
    pub async fn close_all(&self) {
        self.clients.invalidate_all();
        self.clients.run_pending_tasks().await;
    }
}
