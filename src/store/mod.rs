//! The platform store: organizations, projects, users, members, database connections and the audit
//! log (spec 1.2, 2.1). One trait, two backends: SQLite (embedded default) and PostgreSQL (schema
//! `platform`, for several replicas). Both share the SQL in `sql.rs`; only connection set-up and
//! migrations differ.
//!
//! The store never sees a plaintext secret: connection secrets arrive sealed by `crypto`.

mod postgres;
mod sql;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::crypto::Sealed;
use crate::domain::{
    ConnectionId, ConnectionStatus, Engine, JobId, OrganizationId, ProjectId, Role, SnippetId, TokenId, UserId,
};

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Errors of the store layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row that must exist does not.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique constraint was violated; the message says which value clashed.
    #[error("{0}")]
    Conflict(String),
    /// The store cannot be reached or is read-only, locked, full or failing its I/O: nothing is wrong
    /// with the request, and it may succeed later.
    #[error("platform store unavailable: {0}")]
    Unavailable(String),
    /// A stored value does not parse (a bug or manual tampering).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Any other database error.
    #[error(transparent)]
    Database(sqlx::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Store result alias.
pub type StoreResult<T> = Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if is_outage(&err) {
            Self::Unavailable(err.to_string())
        } else {
            Self::Database(err)
        }
    }
}

/// Whether a database error says the store cannot serve right now (unreachable, pool exhausted,
/// locked, read-only, disk full or failing) rather than that the statement is wrong.
fn is_outage(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // An extended result code keeps the primary code in its low byte.
                let primary = code.parse::<i32>().ok().map(|c| c & 0xff);
                matches!(
                    primary,
                    Some(
                        sqlite_code::BUSY
                            | sqlite_code::LOCKED
                            | sqlite_code::NOMEM
                            | sqlite_code::READONLY
                            | sqlite_code::IOERR
                            | sqlite_code::FULL
                            | sqlite_code::CANTOPEN
                    )
                )
            } else if db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some() {
                // 08: connection exception; 53: insufficient resources (disk full, out of memory,
                // too many connections); 57P01-57P03: shutting down or starting up; 58: system I/O
                // error; 25006: read-only transaction (a standby, or a store made read-only).
                code.starts_with("08")
                    || code.starts_with("53")
                    || code.starts_with("58")
                    || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "25006")
            } else {
                false
            }
        }
        _ => false,
    }
}

/// SQLite's primary result codes that mean the database cannot be used right now.
mod sqlite_code {
    pub const BUSY: i32 = 5;
    pub const LOCKED: i32 = 6;
    pub const NOMEM: i32 = 7;
    pub const READONLY: i32 = 8;
    pub const IOERR: i32 = 10;
    pub const FULL: i32 = 13;
    pub const CANTOPEN: i32 = 14;
}

/// A user, without the password hash.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Login e-mail.
    pub email: String,
    /// May manage users and every organization.
    pub is_superuser: bool,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(schema_with = "crate::openapi::timestamp")]
    pub created_at: OffsetDateTime,
    /// A disabled user cannot sign in, and their sessions and tokens stop working.
    pub disabled: bool,
    /// Unix seconds before which their JWTs were issued and are refused (sign out everywhere).
    #[serde(skip)]
    pub tokens_valid_after: Option<i64>,
}

/// A console session, stored under the SHA-256 of its cookie's random id.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ConsoleSession {
    /// Whose.
    pub user_id: UserId,
    /// Sent back as `X-CSRF-Token` on every unsafe request the session makes.
    #[serde(skip)]
    pub csrf_token: String,
    /// The browser that signed in, as it named itself.
    pub user_agent: Option<String>,
    /// Sign-in time.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(schema_with = "crate::openapi::timestamp")]
    pub created_at: OffsetDateTime,
    /// Last use (written at most once a minute).
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(schema_with = "crate::openapi::timestamp")]
    pub last_seen_at: OffsetDateTime,
    /// Ends here unless used before (moves forward on use).
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(schema_with = "crate::openapi::timestamp")]
    pub idle_expires_at: OffsetDateTime,
    /// Ends here whatever the use.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(schema_with = "crate::openapi::timestamp")]
    pub expires_at: OffsetDateTime,
}

/// A user together with the argon2 hash, for sign-in only.
#[derive(Clone, Debug)]
pub struct UserCredentials {
    /// The user.
    pub user: User,
    /// PHC string of the argon2id hash.
    pub password_hash: String,
}

/// An organization.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Organization {
    /// Id.
    pub id: OrganizationId,
    /// Display name.
    pub name: String,
    /// URL-safe unique name.
    pub slug: String,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(schema_with = "crate::openapi::timestamp")]
    pub created_at: OffsetDateTime,
}

/// A project.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Project {
    /// Id.
    pub id: ProjectId,
    /// Public handle used in URLs.
    #[serde(rename = "ref")]
    pub project_ref: String,
    /// Display name.
    pub name: String,
    /// Owning organization.
    pub organization_id: OrganizationId,
    /// Owning organization's slug.
    pub organization_slug: String,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(schema_with = "crate::openapi::timestamp")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(schema_with = "crate::openapi::timestamp")]
    pub updated_at: OffsetDateTime,
}

/// A project with the role a given user holds on it (`None`: no role).
#[derive(Clone, Debug)]
pub struct ProjectAccess {
    /// The project.
    pub project: Project,
    /// The user's role through organization ownership or project membership.
    pub role: Option<Role>,
}

/// A member of a project.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ProjectMember {
    /// The user.
    pub user_id: UserId,
    /// Their e-mail.
    pub email: String,
    /// Their role.
    pub role: Role,
    /// When they were added.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(schema_with = "crate::openapi::timestamp")]
    pub created_at: OffsetDateTime,
}

/// Where a background job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for a free slot of its project or of the server.
    Queued,
    /// Working.
    Running,
    /// Done; its result is stored.
    Succeeded,
    /// Stopped by an error; its error is stored.
    Failed,
    /// Stopped because someone asked.
    Cancelled,
    /// Cut off: the server running it stopped or stopped answering.
    Interrupted,
}

impl JobState {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Interrupted => "interrupted",
        }
    }

    /// True once the job will not change any more.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Queued | Self::Running)
    }
}

impl std::str::FromStr for JobState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            "interrupted" => Self::Interrupted,
            other => return Err(format!("unknown job state `{other}`")),
        })
    }
}

/// How far a job has come: `done` of `total` (when known) `unit`s.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct JobProgress {
    /// Units done so far.
    pub done: u64,
    /// Units in all, when known (an estimate for a live keyspace).
    pub total: Option<u64>,
    /// What is counted: `keys`, `rows`, `documents`.
    pub unit: String,
}

/// A background job as stored.
#[derive(Clone, Debug)]
pub struct JobRecord {
    /// Id.
    pub id: JobId,
    /// Its project.
    pub project_id: ProjectId,
    /// The connection it works on, if one.
    pub connection_id: Option<ConnectionId>,
    /// What it does, e.g. `redis.analysis`.
    pub kind: String,
    /// Who started it.
    pub created_by: Option<UserId>,
    /// Where it is.
    pub state: JobState,
    /// What it was asked to do (never secrets or values).
    pub params: Value,
    /// How far it has come.
    pub progress: JobProgress,
    /// Its result once succeeded.
    pub result: Option<Value>,
    /// Why it failed or was interrupted.
    pub error: Option<String>,
    /// Someone asked to cancel it.
    pub cancel_requested: bool,
    /// When it was started.
    pub created_at: OffsetDateTime,
    /// When it began running.
    pub started_at: Option<OffsetDateTime>,
    /// When it ended.
    pub finished_at: Option<OffsetDateTime>,
    /// Last sign of life from the replica running it.
    pub heartbeat_at: OffsetDateTime,
}

/// What a health check or a real use found about a connection.
#[derive(Clone, Debug)]
pub struct ConnectionHealth {
    /// ACTIVE or ERROR.
    pub status: ConnectionStatus,
    /// Why it failed, scrubbed of secrets.
    pub error: Option<String>,
    /// When it was found.
    pub checked_at: OffsetDateTime,
}

/// A stored database connection; secrets stay sealed.
#[derive(Clone, Debug)]
pub struct ConnectionRecord {
    /// Id.
    pub id: ConnectionId,
    /// Owning project.
    pub project_id: ProjectId,
    /// Engine.
    pub engine: Engine,
    /// Name unique within the project.
    pub identifier: String,
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Database name.
    pub database_name: Option<String>,
    /// User name.
    pub username: Option<String>,
    /// Sealed password.
    pub password: Option<Sealed>,
    /// Sealed connection string.
    pub connection_string: Option<Sealed>,
    /// The login viewers' SQL runs as, when the connection has one.
    pub viewer_username: Option<String>,
    /// Its sealed password.
    pub viewer_password: Option<Sealed>,
    /// What the last check found about the logins' powers on the database host (JSON), if checked.
    pub privileges: Option<Value>,
    /// Engine options as JSON.
    pub options: Value,
    /// The project's default connection for its engine.
    pub is_primary: bool,
    /// Last known health.
    pub status: ConnectionStatus,
    /// Why the last check or use failed, scrubbed of secrets; none while healthy.
    pub status_error: Option<String>,
    /// When a health check or a real use last found the status.
    pub status_checked_at: Option<OffsetDateTime>,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

/// One audit record: who did what to which thing, and how it ended. Targets name things (a key, a
/// collection, an index), never values or secrets.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct AuditEntry {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(schema_with = "crate::openapi::timestamp")]
    pub at: OffsetDateTime,
    /// Who (absent for anonymous failures).
    pub user_id: Option<UserId>,
    /// Which project, by ref.
    pub project_ref: Option<String>,
    /// Which engine.
    pub engine: Option<String>,
    /// Which connection.
    pub connection_id: Option<ConnectionId>,
    /// What: the method and route, e.g. `DELETE /api/platform/redis/{ref}/keys/{key}`.
    pub action: String,
    /// On what (key, collection, index name, member), never a value.
    pub target: Option<String>,
    /// `pending` until the request ends, then `ok`, `denied`, `error`, or `unknown` (a write that
    /// timed out and may or may not have been applied).
    pub outcome: String,
    /// The HTTP status, once known.
    pub status: Option<u16>,
    /// Request id.
    pub request_id: Option<String>,
    /// Client address.
    pub client_addr: Option<String>,
    /// The API token the action was taken with, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<TokenId>,
    /// What changed: the object's id and name, a member's role, a token's id and role, a SQL
    /// write's command, rows and statement hash. Never a value or a secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

/// What a handler noted about the object its request changed, known only once it ran.
#[derive(Clone, Debug, Default)]
pub struct AuditNoted {
    /// The object's name (replaces the target read from the path).
    pub target: Option<String>,
    /// The connection it concerned (a created connection's new id).
    pub connection_id: Option<ConnectionId>,
    /// Details (see [`AuditEntry::details`]).
    pub details: Option<Value>,
}

/// A stored audit record.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct AuditRecord {
    /// Position in the log (newest is highest).
    pub id: i64,
    /// The record.
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// Which audit records to list, newest first.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Only this project's (by ref); `None` lists every record, platform-level ones included.
    pub project_ref: Option<String>,
    /// Only this user's.
    pub user_id: Option<UserId>,
    /// Only actions containing this text.
    pub action: Option<String>,
    /// Only this engine's.
    pub engine: Option<String>,
    /// Only this connection's.
    pub connection_id: Option<ConnectionId>,
    /// Only this outcome.
    pub outcome: Option<String>,
    /// Only targets containing this text.
    pub target: Option<String>,
    /// Not before.
    pub since: Option<OffsetDateTime>,
    /// Not after.
    pub until: Option<OffsetDateTime>,
    /// Only records older than this id (paging).
    pub before_id: Option<i64>,
    /// At most this many.
    pub limit: i64,
}

/// A project-scoped API token, without its secret (only a hash of it is stored).
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ApiToken {
    /// Id.
    pub id: TokenId,
    /// The project it is good for.
    pub project_id: ProjectId,
    /// That project's ref.
    pub project_ref: String,
    /// Who made it; it never holds more than their role.
    pub created_by: UserId,
    /// A label.
    pub name: String,
    /// The most it may do.
    pub role: Role,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(schema_with = "crate::openapi::timestamp")]
    pub created_at: OffsetDateTime,
    /// Expiry, if any.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(schema_with = "crate::openapi::optional_timestamp")]
    pub expires_at: Option<OffsetDateTime>,
}

/// Who sees a snippet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Every member of the project.
    Project,
    /// Its owner only.
    Private,
}

impl Visibility {
    /// The name as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Project => "project",
            Visibility::Private => "private",
        }
    }
}

/// The user a snippet belongs to.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct SnippetOwner {
    /// Id.
    pub id: UserId,
    /// Their e-mail, which is their name here.
    pub email: String,
}

/// A saved snippet of a project.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Snippet {
    /// Id.
    pub id: SnippetId,
    /// The project it belongs to.
    #[serde(skip)]
    pub project_id: ProjectId,
    /// A label.
    pub name: String,
    /// The engine it is written for.
    pub engine: Engine,
    /// The text (SQL, commands, a query).
    pub content: String,
    /// Who sees it.
    pub visibility: Visibility,
    /// Who made it; only they change it.
    pub owner: SnippetOwner,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(schema_with = "crate::openapi::timestamp")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(schema_with = "crate::openapi::timestamp")]
    pub updated_at: OffsetDateTime,
}

/// Everything Switchboard persists about itself.
#[async_trait]
pub trait PlatformStore: Send + Sync + 'static {
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Checks that the store answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Closes the pool.
    async fn close(&self);

    /// Number of users (zero on a fresh store).
    async fn count_users(&self) -> StoreResult<i64>;
    /// Creates a user; a taken e-mail is a conflict.
    async fn create_user(&self, email: &str, password_hash: &str, is_superuser: bool) -> StoreResult<User>;
    /// Looks a user up by e-mail, with the hash.
    async fn find_credentials(&self, email: &str) -> StoreResult<Option<UserCredentials>>;
    /// Looks a user up by id.
    async fn find_user(&self, id: UserId) -> StoreResult<Option<User>>;
    /// Looks a user up by e-mail.
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// Every user, by e-mail.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// Disables (or enables again) a user; false when there is no such user.
    async fn set_user_disabled(&self, id: UserId, disabled: bool) -> StoreResult<bool>;
    /// Replaces a user's password hash; false when there is no such user.
    async fn set_user_password(&self, id: UserId, password_hash: &str) -> StoreResult<bool>;
    /// Refuses the user's JWTs issued before `after` (unix seconds).
    async fn revoke_user_tokens(&self, id: UserId, after: i64) -> StoreResult<()>;

    /// Stores a new console session under the hash of its id.
    async fn insert_session(&self, id_hash: &str, session: &ConsoleSession) -> StoreResult<()>;
    /// The session whose id hashes to `id_hash`.
    async fn find_session(&self, id_hash: &str) -> StoreResult<Option<ConsoleSession>>;
    /// Records a use of a session and moves its idle expiry.
    async fn touch_session(
        &self,
        id_hash: &str,
        seen: OffsetDateTime,
        idle_expires_at: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Ends one session; false when it did not exist.
    async fn delete_session(&self, id_hash: &str) -> StoreResult<bool>;
    /// Ends every session of a user; returns how many there were.
    async fn delete_user_sessions(&self, user: UserId) -> StoreResult<u64>;
    /// Forgets sessions that ended (absolute or idle expiry) before `now`.
    async fn prune_sessions(&self, now: OffsetDateTime) -> StoreResult<()>;

    /// Creates an organization owned by `owner`.
    async fn create_organization(&self, name: &str, slug: &str, owner: UserId) -> StoreResult<Organization>;
    /// Organizations the user owns or has a project in (all of them when `all`).
    async fn list_organizations(&self, user: UserId, all: bool) -> StoreResult<Vec<Organization>>;
    /// Looks an organization up by slug.
    async fn find_organization(&self, slug: &str) -> StoreResult<Option<Organization>>;
    /// Organizations the user owns.
    async fn owned_organizations(&self, user: UserId) -> StoreResult<Vec<Organization>>;

    /// Creates a project in an organization.
    async fn create_project(&self, organization: OrganizationId, name: &str, project_ref: &str)
        -> StoreResult<Project>;
    /// Projects visible to the user with their role (all projects when `all`).
    async fn list_projects(&self, user: UserId, all: bool) -> StoreResult<Vec<ProjectAccess>>;
    /// One project by ref with the user's role on it.
    async fn find_project(&self, project_ref: &str, user: UserId) -> StoreResult<Option<ProjectAccess>>;
    /// Renames a project.
    async fn rename_project(&self, id: ProjectId, name: &str) -> StoreResult<()>;
    /// Deletes a project with its members and connections.
    async fn delete_project(&self, id: ProjectId) -> StoreResult<()>;

    /// Members of a project.
    async fn list_members(&self, project: ProjectId) -> StoreResult<Vec<ProjectMember>>;
    /// Adds a member or changes their role.
    async fn put_member(&self, project: ProjectId, user: UserId, role: Role) -> StoreResult<()>;
    /// Removes a member; false when they were not one.
    async fn remove_member(&self, project: ProjectId, user: UserId) -> StoreResult<bool>;

    /// Connections of a project, optionally of one engine, primary first.
    async fn list_connections(&self, project: ProjectId, engine: Option<Engine>) -> StoreResult<Vec<ConnectionRecord>>;
    /// One connection of a project.
    async fn find_connection(&self, project: ProjectId, id: ConnectionId) -> StoreResult<Option<ConnectionRecord>>;
    /// The project's primary connection for an engine.
    async fn find_primary_connection(
        &self,
        project: ProjectId,
        engine: Engine,
    ) -> StoreResult<Option<ConnectionRecord>>;
    /// Inserts a connection; when primary, demotes the engine's previous primary in the same transaction.
    async fn insert_connection(&self, record: &ConnectionRecord) -> StoreResult<()>;
    /// Replaces a connection's fields; primary handling as for insert.
    async fn update_connection(&self, record: &ConnectionRecord) -> StoreResult<()>;
    /// Deletes a connection; false when it did not exist.
    async fn delete_connection(&self, project: ProjectId, id: ConnectionId) -> StoreResult<bool>;
    /// Records a connection's health (an INACTIVE connection keeps its status).
    async fn set_connection_health(&self, id: ConnectionId, health: &ConnectionHealth) -> StoreResult<()>;
    /// Up to `limit` connections (of any project) that are not INACTIVE, by id after `after`: the
    /// work list of the periodic health check.
    async fn connections_to_check(&self, after: Option<ConnectionId>, limit: i64)
        -> StoreResult<Vec<ConnectionRecord>>;
    /// Records what a check found about a connection's logins' powers.
    async fn set_connection_privileges(&self, id: ConnectionId, privileges: &Value) -> StoreResult<()>;

    /// Up to `limit` connections (of any project) whose secrets are sealed with a key other than
    /// `key_id`: the work list of a key rotation.
    async fn connections_not_sealed_with(&self, key_id: &str, limit: i64) -> StoreResult<Vec<ConnectionRecord>>;
    /// Replaces a connection's sealed secrets if they are still sealed with `expected_key_id`
    /// (compare-and-set, so a rotation never overwrites a concurrent update); false otherwise.
    async fn reseal_connection(&self, record: &ConnectionRecord, expected_key_id: &str) -> StoreResult<bool>;

    /// Stores a new API token with the hash of its secret.
    async fn insert_token(&self, token: &ApiToken, token_hash: &str) -> StoreResult<()>;
    /// A project's tokens.
    async fn list_tokens(&self, project: ProjectId) -> StoreResult<Vec<ApiToken>>;
    /// The token whose secret hashes to `token_hash`.
    async fn find_token(&self, token_hash: &str) -> StoreResult<Option<ApiToken>>;
    /// Revokes (deletes) a token; false when it did not exist.
    async fn delete_token(&self, project: ProjectId, id: TokenId) -> StoreResult<bool>;

    /// Stores a new snippet (its owner's e-mail is not stored with it).
    async fn insert_snippet(&self, snippet: &Snippet) -> StoreResult<()>;
    /// A project's snippets `viewer` may see: the shared ones and their own private ones.
    async fn list_snippets(&self, project: ProjectId, viewer: UserId) -> StoreResult<Vec<Snippet>>;
    /// One snippet of a project, whoever may see it.
    async fn find_snippet(&self, project: ProjectId, id: SnippetId) -> StoreResult<Option<Snippet>>;
    /// Replaces a snippet's name, content, visibility and update time.
    async fn update_snippet(&self, snippet: &Snippet) -> StoreResult<()>;
    /// Deletes a snippet; false when it did not exist.
    async fn delete_snippet(&self, project: ProjectId, id: SnippetId) -> StoreResult<bool>;
    /// Stores a new job.
    async fn insert_job(&self, job: &JobRecord) -> StoreResult<()>;
    /// One job of a project.
    async fn find_job(&self, project: ProjectId, id: JobId) -> StoreResult<Option<JobRecord>>;
    /// A project's jobs, newest first.
    async fn list_jobs(&self, project: ProjectId, limit: i64) -> StoreResult<Vec<JobRecord>>;
    /// Records a job's state and progress with a heartbeat (unless it has already ended); answers
    /// whether someone asked to cancel it.
    async fn touch_job(
        &self,
        id: JobId,
        state: JobState,
        progress: &JobProgress,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Ends a job that has not ended yet: its final state, result or error, and progress.
    async fn finish_job(&self, job: &JobRecord) -> StoreResult<()>;
    /// Asks for a job to be cancelled; false when it has already ended.
    async fn request_job_cancel(&self, project: ProjectId, id: JobId) -> StoreResult<bool>;
    /// Marks `interrupted` every queued or running job whose heartbeat is older than `before`
    /// (`None`: every one); answers how many.
    async fn interrupt_stale_jobs(&self, before: Option<OffsetDateTime>, now: OffsetDateTime) -> StoreResult<u64>;
    /// Forgets jobs that ended before `before`; answers how many.
    async fn delete_jobs_ended_before(&self, before: OffsetDateTime) -> StoreResult<u64>;

    /// Appends an audit record and returns its id.
    async fn insert_audit(&self, entry: &AuditEntry) -> StoreResult<i64>;
    /// Records how an audited request ended, and what its handler noted it changed.
    async fn finish_audit(&self, id: i64, outcome: &str, status: u16, noted: &AuditNoted) -> StoreResult<()>;
    /// Audit records, newest first.
    async fn list_audit(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditRecord>>;

    /// Counts a hit at `now` (unix seconds) on counter `key`, whose window opens at its first hit
    /// and lasts `window_secs`; returns the window's hits and its start. Every process using the
    /// store shares the counter.
    async fn hit_rate_limit(&self, key: &str, now: i64, window_secs: i64) -> StoreResult<(i64, i64)>;
    /// Forgets counters whose window started before `before` (unix seconds).
    async fn prune_rate_limits(&self, before: i64) -> StoreResult<()>;
    /// Changes to cached rows made by any process, announced by the store (PostgreSQL
    /// LISTEN/NOTIFY); `None` where one process owns the store (SQLite).
    async fn changes(&self) -> StoreResult<Option<ChangeFeed>>;
}

/// A change to a row that processes cache, as announced by the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlatformChange {
    /// A connection was created, updated, re-keyed or deleted.
    Connection { id: ConnectionId, project: ProjectId },
    /// A project's members changed.
    Members(ProjectId),
    /// A project was renamed or deleted.
    Project(ProjectId),
    /// A user changed.
    User(UserId),
    /// An organization or its owners changed: any project access may differ.
    Organization,
    /// An API token was revoked.
    ApiTokens,
    /// Announcements may have been missed (the listening connection was lost): forget everything.
    Resync,
}

/// The stream of [`PlatformChange`]s; ends when the store closes.
pub type ChangeFeed = tokio::sync::mpsc::Receiver<PlatformChange>;

/// Opens the store named by `url`: `sqlite://…` or `postgres://…`.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn PlatformStore>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else {
        Err(StoreError::Unavailable("platform database URL must start with sqlite: or postgres://".into()))
    }
}
