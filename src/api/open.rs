//! The one path from a handler to an engine: check the caller's role on the project, resolve the
//! connection (`?connection_id=` or the engine's primary), guard every address it dials, borrow
//! its pooled client, and scrub the connection's secrets from any engine error. Handlers name the
//! engine by its client type: `Opened::<PostgresClient>::open(…)`.

use std::sync::Arc;

use crate::app::App;
use crate::auth::{authorize, AuthUser, ProjectContext};
use crate::connections::{client_for, open_settings};
use crate::domain::{ConnectionId, Permission};
use crate::engines::{EngineError, EngineKind};
use crate::error::{ApiError, ApiResult};
use crate::store::ConnectionRecord;

/// A connection of engine `C` opened for one request.
pub struct Opened<C> {
    /// The connection.
    pub record: Arc<ConnectionRecord>,
    /// Its pooled client.
    pub client: C,
}

impl<C: EngineKind> Opened<C> {
    /// Authorizes `need` on the project, then opens its connection.
    pub async fn open(
        app: &App,
        user: &AuthUser,
        project_ref: &str,
        connection_id: Option<ConnectionId>,
        need: Permission,
    ) -> ApiResult<(ProjectContext, Self)> {
        let ctx = authorize(app, user, project_ref, need).await?;
        let opened = Self::within(app, &ctx, connection_id).await?;
        Ok((ctx, opened))
    }

    /// Opens the connection for a caller already authorized on `ctx`'s project.
    pub async fn within(app: &App, ctx: &ProjectContext, connection_id: Option<ConnectionId>) -> ApiResult<Self> {
        let (record, client) = client_for(app, &ctx.project, C::ENGINE, connection_id).await?;
        match C::from_pooled(client) {
            Some(client) => Ok(Self { record, client }),
            None => Err(ApiError::Internal(anyhow::anyhow!("connection {} has no {} client", record.id, C::ENGINE))),
        }
    }

    /// The connection's id.
    pub fn id(&self) -> ConnectionId {
        self.record.id
    }

    /// An engine error as an API error, with the connection's secrets scrubbed from its message.
    pub fn error(&self, app: &App, err: EngineError) -> ApiError {
        scrubbed_error(app, &self.record, err)
    }

    /// An engine result with the connection's secrets scrubbed from any error.
    pub fn scrubbed<T>(&self, app: &App, result: Result<T, EngineError>) -> ApiResult<T> {
        result.map_err(|err| self.error(app, err))
    }
}

/// An engine error of `record`'s connection as an API error, its secrets scrubbed from the message.
pub fn scrubbed_error(app: &App, record: &ConnectionRecord, err: EngineError) -> ApiError {
    match open_settings(app, record) {
        Ok(settings) => err.scrubbed(&settings).into(),
        Err(e) => e,
    }
}
