//! Start-up: open and migrate the store, bootstrap the first user, build the [`App`], serve until a
//! signal, then drain requests and close every pool.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};

use crate::app::{App, AppState};
use crate::auth::{password, AuthCache, JwtKeys};
use crate::config::{ServeConfig, StoreConfig};
use crate::connections::ConnectionDirectory;
use crate::crypto::SecretBox;
use crate::engines::pools::Pools;
use crate::store::{self, PlatformStore};
use crate::{config, telemetry};

/// Opens the platform store and applies migrations, with one clear error line on failure.
pub async fn open_store(cfg: &StoreConfig) -> anyhow::Result<Arc<dyn PlatformStore>> {
    let kind = if cfg.is_sqlite() { "SQLite file" } else { "PostgreSQL database" };
    let store = store::connect(cfg.platform_db.expose_secret()).await.map_err(|e| {
        anyhow::anyhow!("cannot open the platform {kind} named by SWITCHBOARD_PLATFORM_DB: {}", short(&e))
    })?;
    store.migrate().await.map_err(|e| anyhow::anyhow!("cannot migrate the platform store: {}", short(&e)))?;
    Ok(store)
}

// sqlx errors can quote the URL; keep their kind only.
fn short(err: &store::StoreError) -> String {
    match err {
        store::StoreError::Database(sqlx::Error::Io(e)) => format!("I/O error: {e}"),
        store::StoreError::Database(sqlx::Error::Database(e)) => e.message().to_string(),
        store::StoreError::Database(sqlx::Error::PoolTimedOut) => "timed out connecting".into(),
        store::StoreError::Database(sqlx::Error::Configuration(_)) => "the URL is malformed".into(),
        store::StoreError::Migrate(e) => e.to_string(),
        other => other.to_string().chars().take(200).collect(),
    }
}

/// Creates a superuser owning the `default` organization and a project with ref `default`
/// (each created if missing).
pub async fn create_superuser(store: &dyn PlatformStore, email: &str, password: SecretString) -> anyhow::Result<()> {
    let hash = password::hash(password).await?;
    let user = store.create_user(email, &hash, true).await.context("cannot create the user")?;
    let org = match store.find_organization("default").await? {
        Some(org) => org,
        None => store.create_organization("Default", "default", user.id).await?,
    };
    if store.find_project("default", user.id).await?.is_none() {
        store.create_project(org.id, "Default project", "default").await?;
    }
    tracing::info!(email, "created superuser with the `default` organization and project");
    Ok(())
}

async fn bootstrap(store: &dyn PlatformStore) -> anyhow::Result<()> {
    if store.count_users().await? > 0 {
        return Ok(());
    }
    match config::bootstrap_admin() {
        Some((email, password)) => create_superuser(store, &email, password).await,
        None => {
            tracing::warn!(
                "no users yet: set SWITCHBOARD_ADMIN_EMAIL and SWITCHBOARD_ADMIN_PASSWORD, or run \
                 `switchboard user create --email E --password-stdin --superuser`"
            );
            Ok(())
        }
    }
}

/// Builds the application state from a resolved configuration.
pub async fn build_state(cfg: &ServeConfig) -> anyhow::Result<AppState> {
    let secrets = config::Secrets::load(&cfg.store.data_dir)?;
    let store = open_store(&cfg.store).await?;
    bootstrap(store.as_ref()).await?;
    let limiter = crate::ratelimit::RequestLimiter::new(&cfg.rate_limit, cfg.rate_limit_redis.as_ref()).await?;
    // Installed first: handles created below (the auth cache's counters) bind to it.
    let metrics = telemetry::metrics_handle();
    Ok(Arc::new(App {
        store,
        secrets: SecretBox::new(&secrets.encryption_key, &secrets.previous_keys),
        jwt: JwtKeys::new(&secrets.jwt_secret, cfg.token_ttl),
        pools: Pools::new(cfg.pool_idle),
        auth_cache: AuthCache::new(),
        connections: ConnectionDirectory::new(),
        limiter,
        signin_per_minute: cfg.rate_limit.signin_per_minute.max(1),
        network: std::sync::Arc::new(crate::network::NetworkPolicy::new(&cfg.network_deny, &cfg.network_allow)?),
        body_limit: cfg.body_limit,
        import_limit: cfg.import_limit,
        sql_slots: crate::concurrency::UserSlots::new(cfg.sql_per_user),
        running_queries: Default::default(),
        jobs: Arc::new(crate::jobs::Jobs::new(cfg.jobs)),
        redis_scan: cfg.redis_scan,
        sessions: cfg.sessions,
        metrics,
    }))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down: draining in-flight requests");
}

/// Runs `serve` until SIGINT or SIGTERM.
pub async fn serve(cfg: ServeConfig) -> anyhow::Result<()> {
    let state = build_state(&cfg).await?;
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("cannot listen on {}: pick a free --listen address", cfg.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(addr = %addr, "listening");

    // With a shared (PostgreSQL) store, follow the changes other replicas make.
    let changes = state.store.changes().await.context("cannot listen for platform changes")?;
    let follower = changes.map(|feed| crate::cluster::follow(state.clone(), feed));

    // Forget rate-limit keys that have been quiet, so the limiter's memory stays bounded.
    let limiter_state = state.clone();
    let sweeper = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            limiter_state.limiter.retain_recent();
            crate::auth::throttle::prune(&limiter_state).await;
            crate::auth::session::prune(&limiter_state).await;
        }
    });

    let metrics_upkeep = tokio::spawn(telemetry::upkeep(state.metrics.clone()));
    let health_check = tokio::spawn(crate::connection_health::run(state.clone(), cfg.health_check));
    // Jobs cut off by a stopped server are marked interrupted; ended ones are forgotten in time.
    let jobs_state = state.clone();
    let job_sweeper = tokio::spawn(async move {
        loop {
            crate::jobs::sweep(jobs_state.store.as_ref(), jobs_state.jobs.retention()).await;
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
    });

    let app = crate::router::router(state.clone());
    // Once the signal comes the listener closes (new connections are refused) and requests and
    // streams in flight finish, for at most the drain timeout.
    let stopping = Arc::new(tokio::sync::Notify::new());
    let signal = {
        let stopping = stopping.clone();
        async move {
            shutdown_signal().await;
            stopping.notify_one();
        }
    };
    let serving = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(signal)
        .into_future();
    let drain_limit = async {
        stopping.notified().await;
        tokio::time::sleep(cfg.drain_timeout).await;
    };
    tokio::select! {
        served = serving => served.context("server error")?,
        () = drain_limit => tracing::warn!(
            drain_timeout_secs = cfg.drain_timeout.as_secs(),
            "the drain timeout passed: closing the requests and streams still in flight"
        ),
    }
    sweeper.abort();
    metrics_upkeep.abort();
    health_check.abort();
    job_sweeper.abort();
    state.jobs.interrupt_all(state.store.as_ref()).await;
    if let Some(follower) = follower {
        follower.abort();
    }
    state.pools.close_all().await;
    state.store.close().await;
    tracing::info!("stopped");
    Ok(())
}
