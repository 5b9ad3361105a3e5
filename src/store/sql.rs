//! SQL shared by both backends. The statements are written once in the common subset of SQLite and
//! PostgreSQL (`$n` placeholders, TEXT ids, RETURNING, partial unique index for primaries) and the
//! `impl_platform_store!` macro instantiates them for each backend's pool type.

use std::str::FromStr;

use serde_json::Value;
use time::OffsetDateTime;

use super::{
    ApiToken, AuditEntry, AuditRecord, ConnectionRecord, Organization, Project, ProjectAccess, ProjectMember,
    StoreError, User, UserCredentials,
};
use crate::crypto::{KeyId, Sealed};
use crate::domain::Role;

fn parse<T: FromStr>(what: &str, value: &str) -> Result<T, StoreError> {
    value.parse().map_err(|_| StoreError::Corrupt(format!("{what} `{value}`")))
}

/// Maps a unique violation to a conflict with `message`; other errors pass through.
pub(super) fn unique_as_conflict(err: sqlx::Error, message: impl FnOnce() -> String) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(message()),
        _ => StoreError::from(err),
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: String,
    email: String,
    password_hash: String,
    is_superuser: bool,
    created_at: OffsetDateTime,
    disabled_at: Option<OffsetDateTime>,
    tokens_valid_after: Option<i64>,
}

/// The columns a [`UserRow`] reads.
pub(super) const USER_COLUMNS: &str =
    "id, email, password_hash, is_superuser, created_at, disabled_at, tokens_valid_after";

#[derive(sqlx::FromRow)]
pub(super) struct SessionRow {
    user_id: String,
    csrf_token: String,
    user_agent: Option<String>,
    created_at: OffsetDateTime,
    last_seen_at: OffsetDateTime,
    idle_expires_at: OffsetDateTime,
    expires_at: OffsetDateTime,
}

impl SessionRow {
    pub(super) fn into_session(self) -> Result<super::ConsoleSession, StoreError> {
        Ok(super::ConsoleSession {
            user_id: parse("user id", &self.user_id)?,
            csrf_token: self.csrf_token,
            user_agent: self.user_agent,
            created_at: self.created_at,
            last_seen_at: self.last_seen_at,
            idle_expires_at: self.idle_expires_at,
            expires_at: self.expires_at,
        })
    }
}

impl UserRow {
    pub(super) fn into_user(self) -> Result<User, StoreError> {
        Ok(self.into_credentials()?.user)
    }

    pub(super) fn into_credentials(self) -> Result<UserCredentials, StoreError> {
        Ok(UserCredentials {
            user: User {
                id: parse("user id", &self.id)?,
                email: self.email,
                is_superuser: self.is_superuser,
                created_at: self.created_at,
                disabled: self.disabled_at.is_some(),
                tokens_valid_after: self.tokens_valid_after,
            },
            password_hash: self.password_hash,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct OrganizationRow {
    pub(super) id: String,
    name: String,
    slug: String,
    created_at: OffsetDateTime,
}

impl OrganizationRow {
    pub(super) fn into_organization(self) -> Result<Organization, StoreError> {
        Ok(Organization {
            id: parse("organization id", &self.id)?,
            name: self.name,
            slug: self.slug,
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ProjectRow {
    id: String,
    project_ref: String,
    name: String,
    organization_id: String,
    organization_slug: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    role: Option<String>,
}

impl ProjectRow {
    pub(super) fn into_access(self) -> Result<ProjectAccess, StoreError> {
        let role = self.role.as_deref().map(|r| parse::<Role>("role", r)).transpose()?;
        Ok(ProjectAccess {
            project: Project {
                id: parse("project id", &self.id)?,
                project_ref: self.project_ref,
                name: self.name,
                organization_id: parse("organization id", &self.organization_id)?,
                organization_slug: self.organization_slug,
                created_at: self.created_at,
                updated_at: self.updated_at,
            },
            role,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct MemberRow {
    user_id: String,
    email: String,
    role: String,
    created_at: OffsetDateTime,
}

impl MemberRow {
    pub(super) fn into_member(self) -> Result<ProjectMember, StoreError> {
        Ok(ProjectMember {
            user_id: parse("user id", &self.user_id)?,
            email: self.email,
            role: parse("role", &self.role)?,
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ConnectionRow {
    id: String,
    project_id: String,
    database_type: String,
    identifier: String,
    host: String,
    port: i32,
    database_name: Option<String>,
    username: Option<String>,
    password_enc: Option<String>,
    connection_string_enc: Option<String>,
    secret_key_id: Option<String>,
    options: String,
    is_primary: bool,
    status: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    viewer_username: Option<String>,
    viewer_password_enc: Option<String>,
    privileges: Option<String>,
    status_error: Option<String>,
    status_checked_at: Option<OffsetDateTime>,
}

/// A `jobs` row as read.
#[derive(sqlx::FromRow)]
pub(super) struct JobRow {
    id: String,
    project_id: String,
    connection_id: Option<String>,
    kind: String,
    created_by: Option<String>,
    state: String,
    params: String,
    progress: String,
    result: Option<String>,
    error: Option<String>,
    cancel_requested: bool,
    created_at: OffsetDateTime,
    started_at: Option<OffsetDateTime>,
    finished_at: Option<OffsetDateTime>,
    heartbeat_at: OffsetDateTime,
}

/// The columns of [`JobRow`], in order.
pub(super) const JOB_COLUMNS: &str =
    "id, project_id, connection_id, kind, created_by, state, params, progress, result, \
     error, cancel_requested, created_at, started_at, finished_at, heartbeat_at";

fn json_column(what: &str, text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

impl JobRow {
    pub(super) fn into_record(self) -> Result<super::JobRecord, StoreError> {
        Ok(super::JobRecord {
            id: parse("job id", &self.id)?,
            project_id: parse("project id", &self.project_id)?,
            connection_id: self.connection_id.as_deref().map(|c| parse("connection id", c)).transpose()?,
            kind: self.kind,
            created_by: self.created_by.as_deref().map(|u| parse("user id", u)).transpose()?,
            state: self.state.parse().map_err(StoreError::Corrupt)?,
            params: json_column("job params", &self.params)?,
            progress: serde_json::from_value(json_column("job progress", &self.progress)?)
                .map_err(|e| StoreError::Corrupt(format!("job progress: {e}")))?,
            result: self.result.as_deref().map(|r| json_column("job result", r)).transpose()?,
            error: self.error,
            cancel_requested: self.cancel_requested,
            created_at: self.created_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
            heartbeat_at: self.heartbeat_at,
        })
    }
}

pub(super) fn progress_text(progress: &super::JobProgress) -> String {
    serde_json::to_string(progress).unwrap_or_else(|_| "{}".into())
}

impl ConnectionRow {
    pub(super) fn into_record(self) -> Result<ConnectionRecord, StoreError> {
        let key_id = self.secret_key_id.map(KeyId);
        let sealed = |blob: Option<String>| -> Result<Option<Sealed>, StoreError> {
            match (blob, &key_id) {
                (None, _) => Ok(None),
                (Some(blob), Some(key_id)) => Ok(Some(Sealed { key_id: key_id.clone(), blob })),
                (Some(_), None) => Err(StoreError::Corrupt("secret without key id".into())),
            }
        };
        Ok(ConnectionRecord {
            id: parse("connection id", &self.id)?,
            project_id: parse("project id", &self.project_id)?,
            engine: parse("engine", &self.database_type)?,
            identifier: self.identifier,
            host: self.host,
            port: u16::try_from(self.port).map_err(|_| StoreError::Corrupt(format!("port {}", self.port)))?,
            database_name: self.database_name,
            username: self.username,
            password: sealed(self.password_enc)?,
            connection_string: sealed(self.connection_string_enc)?,
            viewer_username: self.viewer_username,
            viewer_password: sealed(self.viewer_password_enc)?,
            privileges: self
                .privileges
                .map(|p| {
                    serde_json::from_str::<Value>(&p).map_err(|_| StoreError::Corrupt("connection privileges".into()))
                })
                .transpose()?,
            options: serde_json::from_str::<Value>(&self.options)
                .map_err(|_| StoreError::Corrupt("connection options".into()))?,
            is_primary: self.is_primary,
            status: parse("status", &self.status)?,
            status_error: self.status_error,
            status_checked_at: self.status_checked_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AuditRow {
    id: i64,
    at: OffsetDateTime,
    user_id: Option<String>,
    project_ref: Option<String>,
    engine: Option<String>,
    connection_id: Option<String>,
    action: String,
    target: Option<String>,
    outcome: String,
    status: Option<i32>,
    request_id: Option<String>,
    client_addr: Option<String>,
    token_id: Option<String>,
    details: Option<String>,
}

impl AuditRow {
    pub(super) fn into_record(self) -> Result<AuditRecord, StoreError> {
        Ok(AuditRecord {
            id: self.id,
            entry: AuditEntry {
                at: self.at,
                user_id: self.user_id.as_deref().map(|u| parse("user id", u)).transpose()?,
                project_ref: self.project_ref,
                engine: self.engine,
                connection_id: self.connection_id.as_deref().map(|c| parse("connection id", c)).transpose()?,
                action: self.action,
                target: self.target,
                outcome: self.outcome,
                status: self.status.and_then(|s| u16::try_from(s).ok()),
                request_id: self.request_id,
                client_addr: self.client_addr,
                token_id: self.token_id.as_deref().map(|t| parse("token id", t)).transpose()?,
                details: self
                    .details
                    .map(|d| serde_json::from_str(&d).map_err(|_| StoreError::Corrupt("audit details".into())))
                    .transpose()?,
            },
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct TokenRow {
    id: String,
    project_id: String,
    project_ref: String,
    created_by: String,
    name: String,
    role: String,
    prefix: String,
    created_at: OffsetDateTime,
    expires_at: Option<OffsetDateTime>,
}

impl TokenRow {
    pub(super) fn into_token(self) -> Result<ApiToken, StoreError> {
        Ok(ApiToken {
            id: parse("token id", &self.id)?,
            project_id: parse("project id", &self.project_id)?,
            project_ref: self.project_ref,
            created_by: parse("user id", &self.created_by)?,
            name: self.name,
            role: parse("role", &self.role)?,
            prefix: self.prefix,
            created_at: self.created_at,
            expires_at: self.expires_at,
        })
    }
}

pub(super) const TOKEN_SELECT: &str = "SELECT t.id, t.project_id, p.ref AS project_ref, t.created_by, t.name, t.role, \
     t.prefix, t.created_at, t.expires_at FROM api_tokens t JOIN projects p ON p.id = t.project_id";

#[derive(sqlx::FromRow)]
pub(super) struct SnippetRow {
    id: String,
    project_id: String,
    owner_id: String,
    owner_email: String,
    name: String,
    engine: String,
    content: String,
    visibility: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl SnippetRow {
    pub(super) fn into_snippet(self) -> Result<super::Snippet, StoreError> {
        let visibility = match self.visibility.as_str() {
            "project" => super::Visibility::Project,
            "private" => super::Visibility::Private,
            other => return Err(StoreError::Corrupt(format!("snippet visibility `{other}`"))),
        };
        Ok(super::Snippet {
            id: parse("snippet id", &self.id)?,
            project_id: parse("project id", &self.project_id)?,
            name: self.name,
            engine: parse("engine", &self.engine)?,
            content: self.content,
            visibility,
            owner: super::SnippetOwner { id: parse("user id", &self.owner_id)?, email: self.owner_email },
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub(super) const SNIPPET_SELECT: &str = "SELECT s.id, s.project_id, s.owner_id, u.email AS owner_email, s.name, \
     s.engine, s.content, s.visibility, s.created_at, s.updated_at FROM snippets s JOIN users u ON u.id = s.owner_id";

/// The key id shared by a record's sealed values (all are sealed together, with one key).
pub(super) fn record_key_id(record: &ConnectionRecord) -> Option<String> {
    record
        .password
        .iter()
        .chain(&record.connection_string)
        .chain(&record.viewer_password)
        .next()
        .map(|s| s.key_id.0.clone())
}

pub(super) const PROJECT_SELECT: &str = "SELECT p.id, p.ref AS project_ref, p.name, p.organization_id, \
     o.slug AS organization_slug, p.created_at, p.updated_at, \
     CASE WHEN om.user_id IS NOT NULL THEN 'owner' ELSE pm.role END AS role \
     FROM projects p JOIN organizations o ON o.id = p.organization_id \
     LEFT JOIN organization_members om ON om.organization_id = p.organization_id AND om.user_id = $1 \
     LEFT JOIN project_members pm ON pm.project_id = p.id AND pm.user_id = $1";

pub(super) const CONNECTION_COLUMNS: &str = "id, project_id, database_type, identifier, host, port, database_name, \
     username, password_enc, connection_string_enc, secret_key_id, options, is_primary, status, created_at, updated_at, \
     viewer_username, viewer_password_enc, privileges, status_error, status_checked_at";

/// Implements [`super::PlatformStore`] for a backend struct with a `pool` field and inherent
/// `run_migrations` method.
macro_rules! impl_platform_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::PlatformStore for $store {
            async fn migrate(&self) -> $crate::store::StoreResult<()> {
                self.run_migrations().await
            }

            async fn ping(&self) -> $crate::store::StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn hit_rate_limit(
                &self,
                key: &str,
                now: i64,
                window_secs: i64,
            ) -> $crate::store::StoreResult<(i64, i64)> {
                // One statement, so concurrent hits from several processes each count once. Both
                // assignments read the row as it was, so a window that ended restarts at `now`.
                let counted: (i64, i64) = sqlx::query_as(
                    "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1) \
                     ON CONFLICT (key) DO UPDATE SET \
                     hits = CASE WHEN rate_limits.window_start > excluded.window_start - $3 \
                       THEN rate_limits.hits + 1 ELSE 1 END, \
                     window_start = CASE WHEN rate_limits.window_start > excluded.window_start - $3 \
                       THEN rate_limits.window_start ELSE excluded.window_start END \
                     RETURNING hits, window_start",
                )
                .bind(key)
                .bind(now)
                .bind(window_secs)
                .fetch_one(&self.pool)
                .await?;
                Ok(counted)
            }

            async fn prune_rate_limits(&self, before: i64) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM rate_limits WHERE window_start < $1").bind(before).execute(&self.pool).await?;
                Ok(())
            }

            async fn changes(&self) -> $crate::store::StoreResult<Option<$crate::store::ChangeFeed>> {
                self.change_feed().await
            }

            async fn count_users(&self) -> $crate::store::StoreResult<i64> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?;
                Ok(n)
            }

            async fn create_user(
                &self,
                email: &str,
                password_hash: &str,
                is_superuser: bool,
            ) -> $crate::store::StoreResult<$crate::store::User> {
                let row: $crate::store::sql::UserRow = sqlx::query_as(
                    "INSERT INTO users (id, email, password_hash, is_superuser, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id, email, password_hash, is_superuser, created_at, \
                     disabled_at, tokens_valid_after",
                )
                .bind($crate::domain::UserId::new().to_string())
                .bind(email)
                .bind(password_hash)
                .bind(is_superuser)
                .bind(time::OffsetDateTime::now_utc())
                .fetch_one(&self.pool)
                .await
                .map_err(|e| $crate::store::sql::unique_as_conflict(e, || format!("a user with e-mail `{email}` already exists")))?;
                row.into_user()
            }

            async fn find_credentials(&self, email: &str) -> $crate::store::StoreResult<Option<$crate::store::UserCredentials>> {
                let sql = format!("SELECT {} FROM users WHERE email = $1", $crate::store::sql::USER_COLUMNS);
                let row: Option<$crate::store::sql::UserRow> = sqlx::query_as(&sql)
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| r.into_credentials()).transpose()
            }

            async fn find_user(&self, id: $crate::domain::UserId) -> $crate::store::StoreResult<Option<$crate::store::User>> {
                let sql = format!("SELECT {} FROM users WHERE id = $1", $crate::store::sql::USER_COLUMNS);
                let row: Option<$crate::store::sql::UserRow> = sqlx::query_as(&sql)
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| r.into_user()).transpose()
            }

            async fn find_user_by_email(&self, email: &str) -> $crate::store::StoreResult<Option<$crate::store::User>> {
                Ok(self.find_credentials(email).await?.map(|c| c.user))
            }

            async fn list_users(&self) -> $crate::store::StoreResult<Vec<$crate::store::User>> {
                let sql = format!("SELECT {} FROM users ORDER BY email", $crate::store::sql::USER_COLUMNS);
                let rows: Vec<$crate::store::sql::UserRow> = sqlx::query_as(&sql).fetch_all(&self.pool).await?;
                rows.into_iter().map(|r| r.into_user()).collect()
            }

            async fn set_user_disabled(&self, id: $crate::domain::UserId, disabled: bool) -> $crate::store::StoreResult<bool> {
                let at = disabled.then(time::OffsetDateTime::now_utc);
                let done = sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
                    .bind(at)
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn set_user_password(&self, id: $crate::domain::UserId, password_hash: &str) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(password_hash)
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn revoke_user_tokens(&self, id: $crate::domain::UserId, after: i64) -> $crate::store::StoreResult<()> {
                sqlx::query("UPDATE users SET tokens_valid_after = $1 WHERE id = $2")
                    .bind(after)
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn insert_session(&self, id_hash: &str, session: &$crate::store::ConsoleSession) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO console_sessions (id_hash, user_id, csrf_token, user_agent, created_at, last_seen_at, \
                     idle_expires_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(id_hash)
                .bind(session.user_id.to_string())
                .bind(&session.csrf_token)
                .bind(&session.user_agent)
                .bind(session.created_at)
                .bind(session.last_seen_at)
                .bind(session.idle_expires_at)
                .bind(session.expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn find_session(&self, id_hash: &str) -> $crate::store::StoreResult<Option<$crate::store::ConsoleSession>> {
                let row: Option<$crate::store::sql::SessionRow> = sqlx::query_as(
                    "SELECT user_id, csrf_token, user_agent, created_at, last_seen_at, idle_expires_at, expires_at \
                     FROM console_sessions WHERE id_hash = $1",
                )
                .bind(id_hash)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| r.into_session()).transpose()
            }

            async fn touch_session(
                &self,
                id_hash: &str,
                seen: time::OffsetDateTime,
                idle_expires_at: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query("UPDATE console_sessions SET last_seen_at = $1, idle_expires_at = $2 WHERE id_hash = $3")
                    .bind(seen)
                    .bind(idle_expires_at)
                    .bind(id_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_session(&self, id_hash: &str) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1").bind(id_hash).execute(&self.pool).await?;
                Ok(done.rows_affected() > 0)
            }

            async fn delete_user_sessions(&self, user: $crate::domain::UserId) -> $crate::store::StoreResult<u64> {
                let done = sqlx::query("DELETE FROM console_sessions WHERE user_id = $1")
                    .bind(user.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn prune_sessions(&self, now: time::OffsetDateTime) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM console_sessions WHERE expires_at < $1 OR idle_expires_at < $1")
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn create_organization(
                &self,
                name: &str,
                slug: &str,
                owner: $crate::domain::UserId,
            ) -> $crate::store::StoreResult<$crate::store::Organization> {
                let now = time::OffsetDateTime::now_utc();
                let mut tx = self.pool.begin().await?;
                let row: $crate::store::sql::OrganizationRow = sqlx::query_as(
                    "INSERT INTO organizations (id, name, slug, created_at) VALUES ($1, $2, $3, $4) \
                     RETURNING id, name, slug, created_at",
                )
                .bind($crate::domain::OrganizationId::new().to_string())
                .bind(name)
                .bind(slug)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| $crate::store::sql::unique_as_conflict(e, || format!("an organization with slug `{slug}` already exists")))?;
                sqlx::query(
                    "INSERT INTO organization_members (organization_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
                )
                .bind(&row.id)
                .bind(owner.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                row.into_organization()
            }

            async fn list_organizations(
                &self,
                user: $crate::domain::UserId,
                all: bool,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Organization>> {
                let rows: Vec<$crate::store::sql::OrganizationRow> = sqlx::query_as(
                    "SELECT o.id, o.name, o.slug, o.created_at FROM organizations o WHERE $2 \
                     OR EXISTS (SELECT 1 FROM organization_members om WHERE om.organization_id = o.id AND om.user_id = $1) \
                     OR EXISTS (SELECT 1 FROM project_members pm JOIN projects p ON p.id = pm.project_id \
                                WHERE p.organization_id = o.id AND pm.user_id = $1) \
                     ORDER BY o.created_at, o.slug",
                )
                .bind(user.to_string())
                .bind(all)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(|r| r.into_organization()).collect()
            }

            async fn find_organization(&self, slug: &str) -> $crate::store::StoreResult<Option<$crate::store::Organization>> {
                let row: Option<$crate::store::sql::OrganizationRow> =
                    sqlx::query_as("SELECT id, name, slug, created_at FROM organizations WHERE slug = $1")
                        .bind(slug)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(|r| r.into_organization()).transpose()
            }

            async fn owned_organizations(
                &self,
                user: $crate::domain::UserId,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Organization>> {
                let rows: Vec<$crate::store::sql::OrganizationRow> = sqlx::query_as(
                    "SELECT o.id, o.name, o.slug, o.created_at FROM organizations o \
                     JOIN organization_members om ON om.organization_id = o.id \
                     WHERE om.user_id = $1 AND om.role = 'owner' ORDER BY o.created_at, o.slug",
                )
                .bind(user.to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(|r| r.into_organization()).collect()
            }

            async fn create_project(
                &self,
                organization: $crate::domain::OrganizationId,
                name: &str,
                project_ref: &str,
            ) -> $crate::store::StoreResult<$crate::store::Project> {
                let now = time::OffsetDateTime::now_utc();
                let id = $crate::domain::ProjectId::new();
                sqlx::query(
                    "INSERT INTO projects (id, organization_id, ref, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
                )
                .bind(id.to_string())
                .bind(organization.to_string())
                .bind(project_ref)
                .bind(name)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(|e| $crate::store::sql::unique_as_conflict(e, || format!("a project with ref `{project_ref}` already exists")))?;
                // Any user id works here: only the project columns are used.
                let access = self.find_project(project_ref, $crate::domain::UserId::new()).await?;
                access.map(|a| a.project).ok_or($crate::store::StoreError::NotFound("project"))
            }

            async fn list_projects(
                &self,
                user: $crate::domain::UserId,
                all: bool,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ProjectAccess>> {
                let sql = format!(
                    "{} WHERE $2 OR om.user_id IS NOT NULL OR pm.user_id IS NOT NULL ORDER BY p.created_at, p.ref",
                    $crate::store::sql::PROJECT_SELECT
                );
                let rows: Vec<$crate::store::sql::ProjectRow> =
                    sqlx::query_as(&sql).bind(user.to_string()).bind(all).fetch_all(&self.pool).await?;
                rows.into_iter().map(|r| r.into_access()).collect()
            }

            async fn find_project(
                &self,
                project_ref: &str,
                user: $crate::domain::UserId,
            ) -> $crate::store::StoreResult<Option<$crate::store::ProjectAccess>> {
                let sql = format!("{} WHERE p.ref = $2", $crate::store::sql::PROJECT_SELECT);
                let row: Option<$crate::store::sql::ProjectRow> =
                    sqlx::query_as(&sql).bind(user.to_string()).bind(project_ref).fetch_optional(&self.pool).await?;
                row.map(|r| r.into_access()).transpose()
            }

            async fn rename_project(&self, id: $crate::domain::ProjectId, name: &str) -> $crate::store::StoreResult<()> {
                let done = sqlx::query("UPDATE projects SET name = $1, updated_at = $2 WHERE id = $3")
                    .bind(name)
                    .bind(time::OffsetDateTime::now_utc())
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound("project"));
                }
                Ok(())
            }

            async fn delete_project(&self, id: $crate::domain::ProjectId) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM projects WHERE id = $1").bind(id.to_string()).execute(&self.pool).await?;
                Ok(())
            }

            async fn list_members(
                &self,
                project: $crate::domain::ProjectId,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ProjectMember>> {
                // The organization's owners first (they own every project of it), then the members
                // who are not also owners.
                let rows: Vec<$crate::store::sql::MemberRow> = sqlx::query_as(
                    "SELECT user_id, email, role, created_at FROM ( \
                       SELECT om.user_id, u.email, CAST('owner' AS TEXT) AS role, om.created_at, 0 AS rank \
                       FROM projects p JOIN organization_members om ON om.organization_id = p.organization_id \
                       JOIN users u ON u.id = om.user_id WHERE p.id = $1 \
                       UNION ALL \
                       SELECT pm.user_id, u.email, pm.role, pm.created_at, 1 AS rank FROM project_members pm \
                       JOIN users u ON u.id = pm.user_id JOIN projects p ON p.id = pm.project_id \
                       WHERE pm.project_id = $1 AND NOT EXISTS (SELECT 1 FROM organization_members o \
                         WHERE o.organization_id = p.organization_id AND o.user_id = pm.user_id) \
                     ) m ORDER BY rank, created_at, email",
                )
                .bind(project.to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(|r| r.into_member()).collect()
            }

            async fn put_member(
                &self,
                project: $crate::domain::ProjectId,
                user: $crate::domain::UserId,
                role: $crate::domain::Role,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO project_members (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
                )
                .bind(project.to_string())
                .bind(user.to_string())
                .bind(role.as_str())
                .bind(time::OffsetDateTime::now_utc())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn remove_member(
                &self,
                project: $crate::domain::ProjectId,
                user: $crate::domain::UserId,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM project_members WHERE project_id = $1 AND user_id = $2")
                    .bind(project.to_string())
                    .bind(user.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn list_connections(
                &self,
                project: $crate::domain::ProjectId,
                engine: Option<$crate::domain::Engine>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ConnectionRecord>> {
                let sql = format!(
                    "SELECT {} FROM database_connections WHERE project_id = $1 AND ($2 IS NULL OR database_type = $2) \
                     ORDER BY is_primary DESC, created_at, identifier",
                    $crate::store::sql::CONNECTION_COLUMNS
                );
                let rows: Vec<$crate::store::sql::ConnectionRow> = sqlx::query_as(&sql)
                    .bind(project.to_string())
                    .bind(engine.map(|e| e.as_str()))
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(|r| r.into_record()).collect()
            }

            async fn find_connection(
                &self,
                project: $crate::domain::ProjectId,
                id: $crate::domain::ConnectionId,
            ) -> $crate::store::StoreResult<Option<$crate::store::ConnectionRecord>> {
                let sql = format!(
                    "SELECT {} FROM database_connections WHERE project_id = $1 AND id = $2",
                    $crate::store::sql::CONNECTION_COLUMNS
                );
                let row: Option<$crate::store::sql::ConnectionRow> =
                    sqlx::query_as(&sql).bind(project.to_string()).bind(id.to_string()).fetch_optional(&self.pool).await?;
                row.map(|r| r.into_record()).transpose()
            }

            async fn find_primary_connection(
                &self,
                project: $crate::domain::ProjectId,
                engine: $crate::domain::Engine,
            ) -> $crate::store::StoreResult<Option<$crate::store::ConnectionRecord>> {
                let sql = format!(
                    "SELECT {} FROM database_connections WHERE project_id = $1 AND database_type = $2 AND is_primary",
                    $crate::store::sql::CONNECTION_COLUMNS
                );
                let row: Option<$crate::store::sql::ConnectionRow> =
                    sqlx::query_as(&sql).bind(project.to_string()).bind(engine.as_str()).fetch_optional(&self.pool).await?;
                row.map(|r| r.into_record()).transpose()
            }

            async fn insert_connection(&self, record: &$crate::store::ConnectionRecord) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                if record.is_primary {
                    sqlx::query("UPDATE database_connections SET is_primary = FALSE WHERE project_id = $1 AND database_type = $2")
                        .bind(record.project_id.to_string())
                        .bind(record.engine.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "INSERT INTO database_connections (id, project_id, database_type, identifier, host, port, \
                     database_name, username, password_enc, connection_string_enc, secret_key_id, options, is_primary, \
                     status, created_at, updated_at, viewer_username, viewer_password_enc, privileges) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
                )
                .bind(record.id.to_string())
                .bind(record.project_id.to_string())
                .bind(record.engine.as_str())
                .bind(&record.identifier)
                .bind(&record.host)
                .bind(i32::from(record.port))
                .bind(&record.database_name)
                .bind(&record.username)
                .bind(record.password.as_ref().map(|s| s.blob.clone()))
                .bind(record.connection_string.as_ref().map(|s| s.blob.clone()))
                .bind($crate::store::sql::record_key_id(record))
                .bind(record.options.to_string())
                .bind(record.is_primary)
                .bind(record.status.as_str())
                .bind(record.created_at)
                .bind(record.updated_at)
                .bind(&record.viewer_username)
                .bind(record.viewer_password.as_ref().map(|s| s.blob.clone()))
                .bind(record.privileges.as_ref().map(|p| p.to_string()))
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    $crate::store::sql::unique_as_conflict(e, || {
                        format!("a connection with identifier `{}` already exists in this project", record.identifier)
                    })
                })?;
                tx.commit().await?;
                Ok(())
            }

            async fn update_connection(&self, record: &$crate::store::ConnectionRecord) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                if record.is_primary {
                    sqlx::query(
                        "UPDATE database_connections SET is_primary = FALSE \
                         WHERE project_id = $1 AND database_type = $2 AND id <> $3",
                    )
                    .bind(record.project_id.to_string())
                    .bind(record.engine.as_str())
                    .bind(record.id.to_string())
                    .execute(&mut *tx)
                    .await?;
                }
                let done = sqlx::query(
                    "UPDATE database_connections SET identifier = $1, host = $2, port = $3, database_name = $4, \
                     username = $5, password_enc = $6, connection_string_enc = $7, secret_key_id = $8, options = $9, \
                     is_primary = $10, status = $11, updated_at = $12, viewer_username = $15, viewer_password_enc = $16, \
                     privileges = $17 WHERE id = $13 AND project_id = $14",
                )
                .bind(&record.identifier)
                .bind(&record.host)
                .bind(i32::from(record.port))
                .bind(&record.database_name)
                .bind(&record.username)
                .bind(record.password.as_ref().map(|s| s.blob.clone()))
                .bind(record.connection_string.as_ref().map(|s| s.blob.clone()))
                .bind($crate::store::sql::record_key_id(record))
                .bind(record.options.to_string())
                .bind(record.is_primary)
                .bind(record.status.as_str())
                .bind(record.updated_at)
                .bind(record.id.to_string())
                .bind(record.project_id.to_string())
                .bind(&record.viewer_username)
                .bind(record.viewer_password.as_ref().map(|s| s.blob.clone()))
                .bind(record.privileges.as_ref().map(|p| p.to_string()))
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    $crate::store::sql::unique_as_conflict(e, || {
                        format!("a connection with identifier `{}` already exists in this project", record.identifier)
                    })
                })?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound("connection"));
                }
                tx.commit().await?;
                Ok(())
            }

            async fn delete_connection(
                &self,
                project: $crate::domain::ProjectId,
                id: $crate::domain::ConnectionId,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM database_connections WHERE project_id = $1 AND id = $2")
                    .bind(project.to_string())
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn set_connection_health(
                &self,
                id: $crate::domain::ConnectionId,
                health: &$crate::store::ConnectionHealth,
            ) -> $crate::store::StoreResult<()> {
                // An INACTIVE connection keeps its status: an admin switched it off.
                sqlx::query(
                    "UPDATE database_connections SET status = $1, status_error = $2, status_checked_at = $3 \
                     WHERE id = $4 AND status <> 'INACTIVE'",
                )
                .bind(health.status.as_str())
                .bind(health.error.as_deref())
                .bind(health.checked_at)
                .bind(id.to_string())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn connections_to_check(
                &self,
                after: Option<$crate::domain::ConnectionId>,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ConnectionRecord>> {
                let sql = format!(
                    "SELECT {} FROM database_connections WHERE status <> 'INACTIVE' AND id > $1 ORDER BY id LIMIT $2",
                    $crate::store::sql::CONNECTION_COLUMNS
                );
                let after = after.map(|id| id.to_string()).unwrap_or_default();
                let rows: Vec<$crate::store::sql::ConnectionRow> =
                    sqlx::query_as(&sql).bind(after).bind(limit).fetch_all(&self.pool).await?;
                rows.into_iter().map(|r| r.into_record()).collect()
            }

            async fn set_connection_privileges(
                &self,
                id: $crate::domain::ConnectionId,
                privileges: &serde_json::Value,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query("UPDATE database_connections SET privileges = $1 WHERE id = $2")
                    .bind(privileges.to_string())
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn connections_not_sealed_with(
                &self,
                key_id: &str,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ConnectionRecord>> {
                let sql = format!(
                    "SELECT {} FROM database_connections WHERE secret_key_id IS NOT NULL AND secret_key_id <> $1 \
                     ORDER BY id LIMIT $2",
                    $crate::store::sql::CONNECTION_COLUMNS
                );
                let rows: Vec<$crate::store::sql::ConnectionRow> =
                    sqlx::query_as(&sql).bind(key_id).bind(limit).fetch_all(&self.pool).await?;
                rows.into_iter().map(|r| r.into_record()).collect()
            }

            async fn reseal_connection(
                &self,
                record: &$crate::store::ConnectionRecord,
                expected_key_id: &str,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE database_connections SET password_enc = $1, connection_string_enc = $2, secret_key_id = $3, \
                     viewer_password_enc = $6 WHERE id = $4 AND secret_key_id = $5",
                )
                .bind(record.password.as_ref().map(|s| s.blob.clone()))
                .bind(record.connection_string.as_ref().map(|s| s.blob.clone()))
                .bind($crate::store::sql::record_key_id(record))
                .bind(record.id.to_string())
                .bind(expected_key_id)
                .bind(record.viewer_password.as_ref().map(|s| s.blob.clone()))
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_token(&self, token: &$crate::store::ApiToken, token_hash: &str) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO api_tokens (id, project_id, created_by, name, role, token_hash, prefix, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(token.id.to_string())
                .bind(token.project_id.to_string())
                .bind(token.created_by.to_string())
                .bind(&token.name)
                .bind(token.role.as_str())
                .bind(token_hash)
                .bind(&token.prefix)
                .bind(token.created_at)
                .bind(token.expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn list_tokens(&self, project: $crate::domain::ProjectId) -> $crate::store::StoreResult<Vec<$crate::store::ApiToken>> {
                let sql = format!("{} WHERE t.project_id = $1 ORDER BY t.created_at, t.name", $crate::store::sql::TOKEN_SELECT);
                let rows: Vec<$crate::store::sql::TokenRow> = sqlx::query_as(&sql).bind(project.to_string()).fetch_all(&self.pool).await?;
                rows.into_iter().map(|r| r.into_token()).collect()
            }

            async fn find_token(&self, token_hash: &str) -> $crate::store::StoreResult<Option<$crate::store::ApiToken>> {
                let sql = format!("{} WHERE t.token_hash = $1", $crate::store::sql::TOKEN_SELECT);
                let row: Option<$crate::store::sql::TokenRow> = sqlx::query_as(&sql).bind(token_hash).fetch_optional(&self.pool).await?;
                row.map(|r| r.into_token()).transpose()
            }

            async fn delete_token(&self, project: $crate::domain::ProjectId, id: $crate::domain::TokenId) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM api_tokens WHERE project_id = $1 AND id = $2")
                    .bind(project.to_string())
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn insert_job(&self, job: &$crate::store::JobRecord) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO jobs (id, project_id, connection_id, kind, created_by, state, params, progress, result, \
                     error, cancel_requested, created_at, started_at, finished_at, heartbeat_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                )
                .bind(job.id.to_string())
                .bind(job.project_id.to_string())
                .bind(job.connection_id.map(|c| c.to_string()))
                .bind(&job.kind)
                .bind(job.created_by.map(|u| u.to_string()))
                .bind(job.state.as_str())
                .bind(job.params.to_string())
                .bind($crate::store::sql::progress_text(&job.progress))
                .bind(job.result.as_ref().map(|r| r.to_string()))
                .bind(&job.error)
                .bind(job.cancel_requested)
                .bind(job.created_at)
                .bind(job.started_at)
                .bind(job.finished_at)
                .bind(job.heartbeat_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn find_job(
                &self,
                project: $crate::domain::ProjectId,
                id: $crate::domain::JobId,
            ) -> $crate::store::StoreResult<Option<$crate::store::JobRecord>> {
                let sql = format!("SELECT {} FROM jobs WHERE project_id = $1 AND id = $2", $crate::store::sql::JOB_COLUMNS);
                let row: Option<$crate::store::sql::JobRow> = sqlx::query_as(&sql)
                    .bind(project.to_string())
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| r.into_record()).transpose()
            }

            async fn list_jobs(
                &self,
                project: $crate::domain::ProjectId,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::JobRecord>> {
                let sql = format!(
                    "SELECT {} FROM jobs WHERE project_id = $1 ORDER BY created_at DESC, id LIMIT $2",
                    $crate::store::sql::JOB_COLUMNS
                );
                let rows: Vec<$crate::store::sql::JobRow> =
                    sqlx::query_as(&sql).bind(project.to_string()).bind(limit).fetch_all(&self.pool).await?;
                rows.into_iter().map(|r| r.into_record()).collect()
            }

            async fn touch_job(
                &self,
                id: $crate::domain::JobId,
                state: $crate::store::JobState,
                progress: &$crate::store::JobProgress,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<bool> {
                let started = if state == $crate::store::JobState::Running { Some(now) } else { None };
                let cancel: Option<(bool,)> = sqlx::query_as(
                    "UPDATE jobs SET state = $1, progress = $2, heartbeat_at = $3, \
                     started_at = COALESCE(started_at, $4) \
                     WHERE id = $5 AND state IN ('queued', 'running') RETURNING cancel_requested",
                )
                .bind(state.as_str())
                .bind($crate::store::sql::progress_text(progress))
                .bind(now)
                .bind(started)
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
                Ok(cancel.is_some_and(|(c,)| c))
            }

            async fn finish_job(&self, job: &$crate::store::JobRecord) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE jobs SET state = $1, progress = $2, result = $3, error = $4, finished_at = $5, \
                     heartbeat_at = $5, started_at = COALESCE(started_at, $6) \
                     WHERE id = $7 AND state IN ('queued', 'running')",
                )
                .bind(job.state.as_str())
                .bind($crate::store::sql::progress_text(&job.progress))
                .bind(job.result.as_ref().map(|r| r.to_string()))
                .bind(&job.error)
                .bind(job.finished_at)
                .bind(job.started_at)
                .bind(job.id.to_string())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn request_job_cancel(
                &self,
                project: $crate::domain::ProjectId,
                id: $crate::domain::JobId,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE jobs SET cancel_requested = TRUE \
                     WHERE project_id = $1 AND id = $2 AND state IN ('queued', 'running')",
                )
                .bind(project.to_string())
                .bind(id.to_string())
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn interrupt_stale_jobs(
                &self,
                before: Option<time::OffsetDateTime>,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<u64> {
                let done = sqlx::query(
                    "UPDATE jobs SET state = 'interrupted', finished_at = $1, \
                     error = 'the server running this job stopped before it ended' \
                     WHERE state IN ('queued', 'running') AND ($2 IS NULL OR heartbeat_at < $2)",
                )
                .bind(now)
                .bind(before)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected())
            }

            async fn delete_jobs_ended_before(&self, before: time::OffsetDateTime) -> $crate::store::StoreResult<u64> {
                let done = sqlx::query("DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $1")
                    .bind(before)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn insert_snippet(&self, snippet: &$crate::store::Snippet) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO snippets (id, project_id, owner_id, name, engine, content, visibility, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(snippet.id.to_string())
                .bind(snippet.project_id.to_string())
                .bind(snippet.owner.id.to_string())
                .bind(&snippet.name)
                .bind(snippet.engine.as_str())
                .bind(&snippet.content)
                .bind(snippet.visibility.as_str())
                .bind(snippet.created_at)
                .bind(snippet.updated_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn list_snippets(
                &self,
                project: $crate::domain::ProjectId,
                viewer: $crate::domain::UserId,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Snippet>> {
                let sql = format!(
                    "{} WHERE s.project_id = $1 AND (s.visibility = 'project' OR s.owner_id = $2) ORDER BY s.name, s.created_at",
                    $crate::store::sql::SNIPPET_SELECT
                );
                let rows: Vec<$crate::store::sql::SnippetRow> =
                    sqlx::query_as(&sql).bind(project.to_string()).bind(viewer.to_string()).fetch_all(&self.pool).await?;
                rows.into_iter().map(|r| r.into_snippet()).collect()
            }

            async fn find_snippet(
                &self,
                project: $crate::domain::ProjectId,
                id: $crate::domain::SnippetId,
            ) -> $crate::store::StoreResult<Option<$crate::store::Snippet>> {
                let sql = format!("{} WHERE s.project_id = $1 AND s.id = $2", $crate::store::sql::SNIPPET_SELECT);
                let row: Option<$crate::store::sql::SnippetRow> =
                    sqlx::query_as(&sql).bind(project.to_string()).bind(id.to_string()).fetch_optional(&self.pool).await?;
                row.map(|r| r.into_snippet()).transpose()
            }

            async fn update_snippet(&self, snippet: &$crate::store::Snippet) -> $crate::store::StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE snippets SET name = $1, content = $2, visibility = $3, updated_at = $4 \
                     WHERE project_id = $5 AND id = $6",
                )
                .bind(&snippet.name)
                .bind(&snippet.content)
                .bind(snippet.visibility.as_str())
                .bind(snippet.updated_at)
                .bind(snippet.project_id.to_string())
                .bind(snippet.id.to_string())
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound("snippet"));
                }
                Ok(())
            }

            async fn delete_snippet(
                &self,
                project: $crate::domain::ProjectId,
                id: $crate::domain::SnippetId,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM snippets WHERE project_id = $1 AND id = $2")
                    .bind(project.to_string())
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn insert_audit(&self, entry: &$crate::store::AuditEntry) -> $crate::store::StoreResult<i64> {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO audit_log (at, user_id, project_ref, engine, connection_id, action, target, outcome, \
                     status, request_id, client_addr, token_id, details) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                )
                .bind(entry.at)
                .bind(entry.user_id.map(|u| u.to_string()))
                .bind(&entry.project_ref)
                .bind(&entry.engine)
                .bind(entry.connection_id.map(|c| c.to_string()))
                .bind(&entry.action)
                .bind(&entry.target)
                .bind(&entry.outcome)
                .bind(entry.status.map(i32::from))
                .bind(&entry.request_id)
                .bind(&entry.client_addr)
                .bind(entry.token_id.map(|t| t.to_string()))
                .bind(entry.details.as_ref().map(|d| d.to_string()))
                .fetch_one(&self.pool)
                .await?;
                Ok(id)
            }

            async fn finish_audit(
                &self,
                id: i64,
                outcome: &str,
                status: u16,
                noted: &$crate::store::AuditNoted,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE audit_log SET outcome = $1, status = $2, target = COALESCE($4, target), \
                     connection_id = COALESCE($5, connection_id), details = COALESCE($6, details) WHERE id = $3",
                )
                .bind(outcome)
                .bind(i32::from(status))
                .bind(id)
                .bind(&noted.target)
                .bind(noted.connection_id.map(|c| c.to_string()))
                .bind(noted.details.as_ref().map(|d| d.to_string()))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn list_audit(
                &self,
                filter: &$crate::store::AuditFilter,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AuditRecord>> {
                let rows: Vec<$crate::store::sql::AuditRow> = sqlx::query_as(
                    "SELECT id, at, user_id, project_ref, engine, connection_id, action, target, outcome, status, \
                     request_id, client_addr, token_id, details FROM audit_log WHERE ($1 IS NULL OR project_ref = $1) \
                     AND ($2 IS NULL OR user_id = $2) AND ($3 IS NULL OR action LIKE $3) \
                     AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at <= $5) AND ($6 IS NULL OR id < $6) \
                     AND ($8 IS NULL OR engine = $8) AND ($9 IS NULL OR connection_id = $9) \
                     AND ($10 IS NULL OR outcome = $10) AND ($11 IS NULL OR target LIKE $11) \
                     ORDER BY id DESC LIMIT $7",
                )
                .bind(&filter.project_ref)
                .bind(filter.user_id.map(|u| u.to_string()))
                .bind(filter.action.as_ref().map(|a| format!("%{a}%")))
                .bind(filter.since)
                .bind(filter.until)
                .bind(filter.before_id)
                .bind(filter.limit)
                .bind(&filter.engine)
                .bind(filter.connection_id.map(|c| c.to_string()))
                .bind(&filter.outcome)
                .bind(filter.target.as_ref().map(|t| format!("%{t}%")))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(|r| r.into_record()).collect()
            }
        }
    };
}

pub(super) use impl_platform_store;
