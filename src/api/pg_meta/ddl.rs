//! What every schema-change route shares: admins only, `dry_run` (answer the SQL without running
//! it), the plan applied under the connection's lock timeout, and an audit note naming the change.
//! A route builds a [`DdlPlan`] from typed names and literals (`engines::postgres::ddl`) and hands
//! it to [`SchemaChange::apply`].

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{engine_error, postgres};
use crate::api::{Created, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::{ConnectionId, Permission};
use crate::engines::postgres::ddl::{self, DdlPlan};
use crate::engines::postgres::PostgresClient;
use crate::engines::EngineError;
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;
use crate::store::ConnectionRecord;

/// `?connection_id=&dry_run=` of a schema change.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DdlTarget {
    /// The PostgreSQL connection (default: the project's primary one).
    pub connection_id: Option<ConnectionId>,
    /// Answer the SQL that would run, without running it.
    #[serde(default)]
    pub dry_run: bool,
}

/// `?connection_id=&dry_run=&cascade=` of a drop.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DropTarget {
    /// The PostgreSQL connection (default: the project's primary one).
    pub connection_id: Option<ConnectionId>,
    /// Answer the SQL that would run, without running it.
    #[serde(default)]
    pub dry_run: bool,
    /// Also drop what depends on the object (`CASCADE`).
    #[serde(default)]
    pub cascade: bool,
}

/// The answer to a dry run: the SQL that would have run.
#[derive(Serialize, JsonSchema)]
pub struct DryRun {
    /// Always `true`.
    pub dry_run: bool,
    /// The statements, one per line, each ending with `;`.
    pub sql: String,
}

/// The answer of a schema change: the changed object read back, or with `dry_run` the SQL.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Change<T> {
    /// The change was committed: the object as it is now (as it was, for a drop).
    Done(T),
    /// Nothing ran.
    DryRun(DryRun),
}

/// A schema change in progress: the caller is an admin of the project and the connection is open.
pub struct SchemaChange {
    /// The connection's record (for scrubbing errors).
    pub record: Arc<ConnectionRecord>,
    /// Its pooled client.
    pub client: PostgresClient,
    app: AppState,
    note: AuditNote,
}

/// What [`SchemaChange::apply`] did.
pub enum Applied {
    /// Nothing ran: the SQL is the answer.
    DryRun(DryRun),
    /// The change was committed.
    Done,
}

impl Applied {
    /// The response: the dry run's SQL, or `done()` (the changed object, read back).
    pub async fn respond<T, F, Fut>(self, done: F) -> ApiResult<Response>
    where
        T: Serialize,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ApiResult<T>>,
    {
        match self {
            Applied::DryRun(dry) => Ok(Data(Change::<T>::DryRun(dry)).into_response()),
            Applied::Done => Ok(Data(Change::Done(done().await?)).into_response()),
        }
    }

    /// Like [`Applied::respond`], but a committed change answers `201 Created`.
    pub async fn created<T, F, Fut>(self, done: F) -> ApiResult<Response>
    where
        T: Serialize,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ApiResult<T>>,
    {
        match self {
            Applied::DryRun(dry) => Ok(Data(Change::<T>::DryRun(dry)).into_response()),
            Applied::Done => Ok(Created(Change::Done(done().await?)).into_response()),
        }
    }
}

/// Reads an object's oid from the path: `what` names it in the error.
pub fn oid(text: &str, what: &str) -> ApiResult<u32> {
    text.parse::<u32>().ok().filter(|&oid| oid != 0).ok_or_else(|| {
        ApiError::validation(format!("{what} must be an object id (a positive integer) as the listing gives it"))
    })
}

/// Reads a column id `"{table_id}.{ordinal_position}"` (as `GET …/columns` gives it).
pub fn column_id(text: &str) -> ApiResult<(u32, i16)> {
    let parsed = text.split_once('.').and_then(|(table, position)| {
        let table = table.parse::<u32>().ok().filter(|&t| t != 0)?;
        let position = position.parse::<i16>().ok().filter(|&p| p > 0)?;
        Some((table, position))
    });
    parsed.ok_or_else(|| ApiError::validation("the column id must be \"{table_id}.{ordinal_position}\" as listed"))
}

/// For `Option<Option<T>>` fields: absent is `None` (leave as is), `null` is `Some(None)` (remove).
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl SchemaChange {
    /// Authorizes an admin of `project_ref` and opens the connection.
    pub async fn begin(
        app: &AppState,
        user: &AuthUser,
        project_ref: &str,
        connection_id: Option<ConnectionId>,
        note: AuditNote,
    ) -> ApiResult<Self> {
        Self::begin_as(app, user, project_ref, connection_id, note, Permission::Admin).await
    }

    /// Like [`SchemaChange::begin`] for a change that needs less than admin (refreshing a
    /// materialized view changes data, not schema, so developers may).
    pub async fn begin_as(
        app: &AppState,
        user: &AuthUser,
        project_ref: &str,
        connection_id: Option<ConnectionId>,
        note: AuditNote,
        permission: Permission,
    ) -> ApiResult<Self> {
        let ctx = authorize(app, user, project_ref, permission).await?;
        let (record, client) = postgres(app, &ctx, connection_id).await?;
        Ok(Self { record, client, app: app.clone(), note })
    }

    /// Maps an engine error of this connection (secrets scrubbed).
    pub fn error(&self, err: EngineError) -> ApiError {
        engine_error(&self.app, &self.record, err)
    }

    /// Builds the plan (a bad name or value is a 400) and either answers its SQL (`dry_run`) or
    /// runs it. The audit record names the kind of change and the object, never values.
    pub async fn apply(
        &self,
        kind: &str,
        object: &str,
        dry_run: bool,
        plan: Result<DdlPlan, EngineError>,
    ) -> ApiResult<Applied> {
        let plan = plan.map_err(|e| self.error(e))?;
        self.note.target(object);
        self.note.details(json!({ "change": kind, "dry_run": dry_run, "statements": plan.statements.len() }));
        if dry_run {
            return Ok(Applied::DryRun(DryRun { dry_run: true, sql: plan.sql() }));
        }
        ddl::apply(&self.client, &plan).await.map_err(|e| self.error(e))?;
        Ok(Applied::Done)
    }
}
