//! Liveness, readiness and Prometheus metrics; no authentication.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use schemars::JsonSchema;
use serde::Serialize;

use crate::app::AppState;
use crate::error::ApiError;

/// The answer of the health checks.
#[derive(Serialize, JsonSchema)]
pub struct Status {
    /// `ok` (alive) or `ready` (the platform store answers).
    #[schemars(extend("enum" = ["ok", "ready"]))]
    pub status: &'static str,
}

/// `GET /healthz`: the process is up.
pub async fn healthz() -> impl IntoResponse {
    axum::Json(Status { status: "ok" })
}

/// `GET /readyz`: the platform store answers.
pub async fn readyz(State(app): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    app.store.ping().await.map_err(|_| ApiError::Unavailable("platform store is not reachable".into()))?;
    Ok(axum::Json(Status { status: "ready" }))
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    metrics::gauge!("switchboard_pools_open").set(app.pools.len() as f64);
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], app.metrics.render())
}
