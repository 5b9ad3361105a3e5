//! Hot-path caches for authentication and authorization: the user behind a token and a user's
//! access to a project, so a busy user's requests do not each cost two platform-store queries.
//!
//! Entries live at most [`TTL`]; every change to membership or to a project invalidates that
//! project's entries at once on this process.

use std::time::Duration;

use metrics::Counter;
use moka::sync::Cache;

use crate::domain::{ProjectId, UserId};
use crate::store::{ApiToken, ProjectAccess, User};

/// The longest a cached answer is used.
pub const TTL: Duration = Duration::from_secs(30);

/// Cached users and project accesses.
pub struct AuthCache {
    users: Cache<UserId, User>,
    access: Cache<(UserId, String), ProjectAccess>,
    api_tokens: Cache<String, ApiToken>,
    counters: Counters,
    /// Bumped on every invalidation: long-lived sessions (WebSockets) re-check their caller then.
    changes: tokio::sync::watch::Sender<u64>,
}

/// Hit and miss counters per cache, registered once rather than looked up on every request.
struct Counters {
    user: [Counter; 2],
    access: [Counter; 2],
    api_token: [Counter; 2],
}

impl Counters {
    fn new() -> Self {
        let pair = |cache: &'static str| {
            [false, true].map(|hit| {
                let result = if hit { "hit" } else { "miss" };
                metrics::counter!("switchboard_auth_cache_total", "cache" => cache, "result" => result)
            })
        };
        Self { user: pair("user"), access: pair("access"), api_token: pair("api_token") }
    }
}

fn count<T>(counters: &[Counter; 2], found: &Option<T>) {
    counters[usize::from(found.is_some())].increment(1);
}

impl Default for AuthCache {
    fn default() -> Self {
        Self::new()
    }
}

impl AuthCache {
    /// Empty caches.
    pub fn new() -> Self {
        Self {
            users: Cache::builder().max_capacity(100_000).time_to_live(TTL).build(),
            access: Cache::builder().max_capacity(100_000).time_to_live(TTL).support_invalidation_closures().build(),
            api_tokens: Cache::builder().max_capacity(100_000).time_to_live(TTL).build(),
            counters: Counters::new(),
            changes: tokio::sync::watch::Sender::new(0),
        }
    }

    /// Wakes whenever access may have been taken away (a revoked token, a removed member, a
    /// deleted project or user), so a long-lived session can check its caller again.
    pub fn watch_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Wakes the watchers; called after forgetting, so a woken session that checks its caller
    /// again cannot find what was just revoked still cached.
    fn announce(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A cached user.
    pub fn user(&self, id: UserId) -> Option<User> {
        let found = self.users.get(&id);
        count(&self.counters.user, &found);
        found
    }

    /// Remembers a user.
    pub fn put_user(&self, user: User) {
        self.users.insert(user.id, user);
    }

    /// A cached access of `user` to `project_ref`.
    pub fn access(&self, user: UserId, project_ref: &str) -> Option<ProjectAccess> {
        let found = self.access.get(&(user, project_ref.to_string()));
        count(&self.counters.access, &found);
        found
    }

    /// Remembers an access.
    pub fn put_access(&self, user: UserId, project_ref: &str, access: ProjectAccess) {
        self.access.insert((user, project_ref.to_string()), access);
    }

    /// A cached API token by the hash of its secret.
    pub fn api_token(&self, hash: &str) -> Option<ApiToken> {
        let found = self.api_tokens.get(hash);
        count(&self.counters.api_token, &found);
        found
    }

    /// Remembers an API token.
    pub fn put_api_token(&self, hash: &str, token: ApiToken) {
        self.api_tokens.insert(hash.to_string(), token);
    }

    /// Forgets every cached API token (after a revocation, so it stops working at once).
    pub fn invalidate_api_tokens(&self) {
        self.api_tokens.invalidate_all();
        self.announce();
    }

    /// Forgets every cached access to a project (membership, name or existence changed).
    pub fn invalidate_project(&self, project_ref: &str) {
        let project_ref = project_ref.to_string();
        if self.access.invalidate_entries_if(move |(_, r), _| *r == project_ref).is_err() {
            self.access.invalidate_all();
        }
        self.announce();
    }

    /// Forgets every cached access to a project by id (a change another replica announced).
    pub fn invalidate_project_id(&self, project: ProjectId) {
        if self.access.invalidate_entries_if(move |_, access| access.project.id == project).is_err() {
            self.access.invalidate_all();
        }
        self.announce();
    }

    /// Forgets a user and every access cached for them.
    pub fn invalidate_user(&self, user: UserId) {
        self.users.invalidate(&user);
        if self.access.invalidate_entries_if(move |(u, _), _| *u == user).is_err() {
            self.access.invalidate_all();
        }
        self.announce();
    }

    /// Forgets every cached access (an organization's owners changed).
    pub fn invalidate_all_access(&self) {
        self.access.invalidate_all();
        self.announce();
    }

    /// Forgets everything.
    pub fn invalidate_all(&self) {
        self.users.invalidate_all();
        self.access.invalidate_all();
        self.api_tokens.invalidate_all();
        self.announce();
    }
}
