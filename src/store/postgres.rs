//! The PostgreSQL backend: every table lives in schema `platform`, so Switchboard can share a database
//! with other applications, and several replicas can share one store.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use super::sql::impl_platform_store;
use super::StoreResult;

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
}

impl_platform_store!(PostgresStore);
