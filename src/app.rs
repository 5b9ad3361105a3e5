//! The application state shared by every handler.

use std::sync::Arc;

use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::RateLimiter;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::{AuthCache, JwtKeys};
use crate::connections::ConnectionDirectory;
use crate::crypto::SecretBox;
use crate::engines::pools::Pools;
use crate::store::PlatformStore;

/// Per-client request limiter, keyed by user id or client address.
pub type KeyedLimiter = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

/// Everything a request may need; built once at start-up.
pub struct App {
    /// The platform store.
    pub store: Arc<dyn PlatformStore>,
    /// Seals and opens connection secrets.
    pub secrets: SecretBox,
    /// Issues and verifies access tokens.
    pub jwt: JwtKeys,
    /// One open client per database connection.
    pub pools: Pools,
    /// Cached users and project accesses, invalidated on every membership or project change.
    pub auth_cache: AuthCache,
    /// Cached connection metadata, invalidated on every change.
    pub connections: ConnectionDirectory,
    /// Request rate limiter (in memory, or shared by replicas through Redis).
    pub limiter: crate::ratelimit::RequestLimiter,
    /// Sign-in attempts allowed per minute per account and per address (counted in the store).
    pub signin_per_minute: u32,
    /// Which addresses connections may reach.
    pub network: std::sync::Arc<crate::network::NetworkPolicy>,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Largest accepted import body (a streamed upload), in bytes.
    pub import_limit: u64,
    /// What one Redis key-listing request may examine.
    pub redis_scan: crate::engines::redis::keys::ScanBudget,
    /// Slots for each user's SQL on each connection.
    pub sql_slots: crate::concurrency::UserSlots,
    /// PostgreSQL queries running in this process that their client may cancel.
    pub running_queries: crate::engines::postgres::cancel::RunningQueries,
    /// Background jobs this server runs.
    pub jobs: Arc<crate::jobs::Jobs>,
    /// Console session lifetimes and cookie.
    pub sessions: crate::config::SessionSettings,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
}

/// Shared handle to [`App`], the axum state type.
pub type AppState = Arc<App>;
