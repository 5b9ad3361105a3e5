//! The PostgreSQL backend: every table lives in schema `platform`, so Switchboard can share a database
//! with other applications, and several replicas can share one store.

use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::PgPool;
use tokio::sync::mpsc;

use super::sql::impl_platform_store;
use super::{ChangeFeed, PlatformChange, StoreResult};

/// The channel the triggers of migration 0004 announce changes on.
const CHANGES_CHANNEL: &str = "switchboard_changes";

/// Platform store in PostgreSQL, schema `platform`.
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url`, with `search_path` set to `platform` on every connection.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?.options([("search_path", "platform")]);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    async fn run_migrations(&self) -> StoreResult<()> {
        // The schema must exist before the migrator creates its own table in it.
        sqlx::query("CREATE SCHEMA IF NOT EXISTS platform").execute(&self.pool).await?;
        sqlx::migrate!("./migrations/postgres").run(&self.pool).await?;
        Ok(())
    }

    /// Listens on [`CHANGES_CHANNEL`] on a dedicated connection. When that connection drops, the
    /// feed yields [`PlatformChange::Resync`] (announcements in between are lost) and listens again.
    async fn change_feed(&self) -> StoreResult<Option<ChangeFeed>> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANGES_CHANNEL).await?;
        let (sender, feed) = mpsc::channel(1024);
        tokio::spawn(async move {
            loop {
                let change = match listener.try_recv().await {
                    Ok(Some(notification)) => parse_change(notification.payload()),
                    // The connection was lost; the next `try_recv` reconnects and listens again.
                    Ok(None) => PlatformChange::Resync,
                    Err(e) => {
                        tracing::warn!(error = %e, "platform change listener failed; retrying in 1 s");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        PlatformChange::Resync
                    }
                };
                if sender.send(change).await.is_err() {
                    return;
                }
            }
        });
        Ok(Some(feed))
    }
}

/// The payload the trigger builds: the table and the ids of the changed row.
#[derive(Deserialize)]
struct ChangePayload {
    table: String,
    id: Option<String>,
    project_id: Option<String>,
}

/// Reads a trigger's payload; anything unexpected asks for a resync rather than being ignored.
fn parse_change(payload: &str) -> PlatformChange {
    let Ok(change) = serde_json::from_str::<ChangePayload>(payload) else {
        return PlatformChange::Resync;
    };
    let id = change.id.as_deref().unwrap_or_default();
    let project = change.project_id.as_deref().unwrap_or_default();
    let parsed = match change.table.as_str() {
        "database_connections" => {
            id.parse().ok().zip(project.parse().ok()).map(|(id, project)| PlatformChange::Connection { id, project })
        }
        "project_members" => project.parse().ok().map(PlatformChange::Members),
        "projects" => id.parse().ok().map(PlatformChange::Project),
        "users" => id.parse().ok().map(PlatformChange::User),
        "organizations" | "organization_members" => Some(PlatformChange::Organization),
        "api_tokens" => Some(PlatformChange::ApiTokens),
        _ => None,
    };
    parsed.unwrap_or(PlatformChange::Resync)
}

impl_platform_store!(PostgresStore);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_payloads_become_changes() {
        let connection = "0190a1b2-0000-7000-8000-000000000001";
        let project = "0190a1b2-0000-7000-8000-000000000002";
        let payload = format!(
            r#"{{"table":"database_connections","id":"{connection}","project_id":"{project}","user_id":null}}"#
        );
        assert!(matches!(parse_change(&payload), PlatformChange::Connection { .. }));
        let payload = format!(r#"{{"table":"project_members","id":null,"project_id":"{project}","user_id":"x"}}"#);
        assert!(matches!(parse_change(&payload), PlatformChange::Members(_)));
        assert_eq!(parse_change(r#"{"table":"api_tokens","id":"t","project_id":"p"}"#), PlatformChange::ApiTokens);
        assert_eq!(parse_change(r#"{"table":"something_new"}"#), PlatformChange::Resync);
        assert_eq!(parse_change("not json"), PlatformChange::Resync);
    }
}
