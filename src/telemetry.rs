//! Logging and metrics set-up.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Log lines waiting for the writer thread at most.
const LOG_BUFFER_LINES: usize = 16_384;

/// Installs the global tracing subscriber (text or JSON lines on stdout); `RUST_LOG` refines levels.
///
/// Lines are written by a background thread, so a request never waits on stdout; under a flood
/// that outruns the terminal or the log collector, lines beyond a 16,384-line buffer are dropped
/// rather than slowing requests. (The buffer is allocated and touched up front: the library's
/// default of 128,000 lines held 4 MiB, a fifth of the idle footprint.) Keep the returned guard
/// alive until exit: dropping it flushes.
pub fn init_logging(format: LogFormat) -> tracing_appender::non_blocking::WorkerGuard {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,mongodb=warn,tower_http=warn"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_BUFFER_LINES)
        .finish(std::io::stdout());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    let result = match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    // A second initialisation (tests, subcommands) keeps the first subscriber.
    let _ = result;
    guard
}

/// Drains recorded histogram samples into their buckets every few seconds. The recorder keeps
/// each sample until then (or until `/metrics` is scraped), so without this a server nobody
/// scrapes would grow by 8 bytes per request.
pub async fn upkeep(handle: PrometheusHandle) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        handle.run_upkeep();
    }
}

/// The process-wide Prometheus recorder (installed once).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("switchboard_http_request_duration_seconds".into()),
                    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
                )
                .map(|b| b.build_recorder())
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            // Fails only if another recorder is installed; then this handle renders nothing, which is harmless.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}
