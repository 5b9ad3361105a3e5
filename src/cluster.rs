//! Several replicas on one PostgreSQL platform store behave as one: every change to a cached row is
//! announced by the store (triggers + LISTEN/NOTIFY, see `migrations/postgres/0004_replicas.sql`),
//! and each replica drops what it cached about that row. Announcements are not polled for, so a
//! change made through one replica reaches the others within milliseconds; a replica that lost its
//! listening connection forgets every cache, since it may have missed some.

use crate::app::{App, AppState};
use crate::store::{ChangeFeed, PlatformChange};

/// Drops from this process's caches what `change` made stale.
pub fn apply(app: &App, change: &PlatformChange) {
    match change {
        PlatformChange::Connection { id, project } => {
            app.pools.evict(*id);
            app.connections.invalidate_project(*project);
        }
        PlatformChange::Members(project) => app.auth_cache.invalidate_project_id(*project),
        PlatformChange::Project(project) => {
            app.auth_cache.invalidate_project_id(*project);
            app.connections.invalidate_project(*project);
        }
        PlatformChange::User(user) => app.auth_cache.invalidate_user(*user),
        PlatformChange::Organization => app.auth_cache.invalidate_all_access(),
        PlatformChange::ApiTokens => app.auth_cache.invalidate_api_tokens(),
        PlatformChange::Resync => {
            app.auth_cache.invalidate_all();
            app.connections.invalidate_all();
        }
    }
}

/// Applies every change of `feed` until it ends (the store closed).
pub fn follow(app: AppState, mut feed: ChangeFeed) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(change) = feed.recv().await {
            tracing::debug!(?change, "platform change");
            metrics::counter!("switchboard_platform_changes_total").increment(1);
            apply(&app, &change);
        }
    })
}
