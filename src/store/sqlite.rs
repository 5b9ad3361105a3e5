//! The embedded SQLite backend: one file in the data dir, WAL journal (synchronous NORMAL), foreign
//! keys on.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use super::sql::impl_platform_store;
use super::StoreResult;

/// Platform store in a SQLite file.
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://path`).
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL syncs at checkpoints rather than at every commit: a crash of
            // Switchboard loses nothing and the file cannot corrupt; only a power loss can drop the
            // last commits. Every audited request writes twice, so a per-commit fsync would dominate.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let file = options.get_filename().to_path_buf();
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        make_private(&file);
        Ok(Self { pool })
    }

    async fn run_migrations(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations/sqlite").run(&self.pool).await?;
        Ok(())
    }

    /// One process owns a SQLite store, so there is nobody else's change to hear of.
    async fn change_feed(&self) -> StoreResult<Option<super::ChangeFeed>> {
        Ok(None)
    }
}

/// Makes the store's files (the database, its WAL and shared-memory index) readable by their owner
/// only: they hold password hashes and sealed secrets. SQLite gives new WAL files the database's mode.
fn make_private(file: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for suffix in ["", "-wal", "-shm"] {
            let mut path = file.as_os_str().to_owned();
            path.push(suffix);
            let path = std::path::PathBuf::from(path);
            if path.exists() {
                if let Err(e) = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
                    tracing::warn!(error = %e, file = %path.display(), "could not make the platform store private");
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = file;
}

impl_platform_store!(SqliteStore);
