//! Connections of every engine (spec 3.1, 4.1): `GET/POST /api/platform/{engine}/{ref}/connections`,
//! `PUT/DELETE …/connections/{id}`, `POST …/connections/{id}/test` and `POST …/connections/test`
//! for settings not saved yet. Listing and testing a saved connection need viewer; everything else
//! needs admin. Responses never carry a password or connection string.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use schemars::JsonSchema;
use secrecy::SecretString;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use time::OffsetDateTime;

use super::{ApiJson, ApiPath, Created, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::connections::{
    apply_settings, check_after_save, check_identifier, open_settings, settings_from_input, test_saved,
    ConnectionInput, ConnectionView, SecretPatch,
};
use crate::domain::{ConnectionId, ConnectionStatus, Engine, Permission, ProjectId};
use crate::engines::{self, EngineError, TestReport};
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;
use crate::store::ConnectionRecord;

/// Create, update and test body: fields or a `connection_string`, plus options.
#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionBody {
    identifier: Option<String>,
    /// Accepted for compatibility with the spec's request type; must match the URL's engine.
    #[schemars(with = "Option<Engine>")]
    database_type: Option<String>,
    /// Accepted for compatibility; the project is the one in the URL.
    #[allow(dead_code)]
    project_id: Option<String>,
    host: Option<String>,
    port: Option<i64>,
    database_name: Option<String>,
    username: Option<String>,
    /// Absent keeps the stored password, `null` or `""` clears it, a string sets it.
    #[serde(default, deserialize_with = "secret_patch")]
    #[schemars(with = "Option<String>", extend("writeOnly" = true))]
    password: SecretPatch,
    #[schemars(with = "Option<String>", extend("writeOnly" = true))]
    connection_string: Option<SecretString>,
    /// PostgreSQL: a login for viewers' SQL, without host powers (`""` clears it).
    viewer_username: Option<String>,
    /// Its password: absent keeps it, `null` or `""` clears it.
    #[serde(default, deserialize_with = "secret_patch")]
    #[schemars(with = "Option<String>", extend("writeOnly" = true))]
    viewer_password: SecretPatch,
    /// The engine's options (`RedisOptions`, `MongoOptions` or `PostgresOptions`, as the route's engine says).
    #[schemars(default, schema_with = "crate::openapi::connection_options")]
    options: Option<Value>,
    is_primary: Option<bool>,
    #[schemars(with = "Option<ConnectionStatus>")]
    status: Option<String>,
}

fn secret_patch<'de, D: Deserializer<'de>>(d: D) -> Result<SecretPatch, D::Error> {
    Ok(match Option::<String>::deserialize(d)? {
        Some(s) if !s.is_empty() => SecretPatch::Set(SecretString::from(s)),
        _ => SecretPatch::Clear,
    })
}

impl ConnectionBody {
    fn check_engine(&self, engine: Engine) -> ApiResult<()> {
        match &self.database_type {
            Some(t) if t.parse::<Engine>().map_err(ApiError::validation)? != engine => {
                Err(ApiError::validation(format!("database_type `{t}` does not match the {engine} route")))
            }
            _ => Ok(()),
        }
    }

    fn status(&self) -> ApiResult<Option<ConnectionStatus>> {
        self.status.as_deref().map(|s| s.parse().map_err(ApiError::validation)).transpose()
    }

    fn into_input(self) -> ConnectionInput {
        ConnectionInput {
            host: self.host,
            port: self.port,
            database_name: self.database_name,
            username: self.username,
            password: self.password,
            connection_string: self.connection_string,
            viewer_username: self.viewer_username,
            viewer_password: self.viewer_password,
            options: self.options,
        }
    }
}

/// Names a connection in its audit record: id, identifier and where it points (never a secret).
fn note_connection(note: &AuditNote, record: &ConnectionRecord) {
    note.target(record.identifier.clone());
    note.connection(record.id);
    note.details(serde_json::json!({
        "connection_id": record.id,
        "identifier": record.identifier,
        "engine": record.engine,
        "host": record.host,
        "port": record.port,
        "is_primary": record.is_primary,
        "status": record.status,
    }));
}

async fn find(
    app: &crate::app::App,
    project: ProjectId,
    engine: Engine,
    id: ConnectionId,
) -> ApiResult<ConnectionRecord> {
    app.store
        .find_connection(project, id)
        .await?
        .filter(|r| r.engine == engine)
        .ok_or_else(|| ApiError::NotFound(format!("{engine} connection {id} not found")))
}

/// Lists the project's connections of this engine, primary first.
pub async fn list(
    State(app): State<AppState>,
    Extension(engine): Extension<Engine>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
) -> ApiResult<Data<Vec<ConnectionView>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let records = app.store.list_connections(ctx.project.id, Some(engine)).await?;
    Ok(Data(records.iter().map(ConnectionView::from).collect()))
}

/// Creates a connection. The first connection of an engine in a project becomes its primary.
pub async fn create(
    State(app): State<AppState>,
    Extension(engine): Extension<Engine>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    note: AuditNote,
    ApiJson(body): ApiJson<ConnectionBody>,
) -> ApiResult<Created<ConnectionView>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Admin).await?;
    body.check_engine(engine)?;
    let identifier = body.identifier.clone().ok_or_else(|| ApiError::validation("identifier is required"))?;
    check_identifier(&identifier)?;
    // Not ACTIVE until a check says so: the test right after saving decides.
    let status = body.status()?.unwrap_or(ConnectionStatus::Connecting);
    let wants_primary = body.is_primary;
    let settings = settings_from_input(engine, body.into_input(), None)?;
    let is_primary = match wants_primary {
        Some(p) => p,
        None => app.store.find_primary_connection(ctx.project.id, engine).await?.is_none(),
    };
    let now = OffsetDateTime::now_utc();
    let mut record = ConnectionRecord {
        id: ConnectionId::new(),
        project_id: ctx.project.id,
        engine,
        identifier,
        host: String::new(),
        port: 0,
        database_name: None,
        username: None,
        password: None,
        connection_string: None,
        viewer_username: None,
        viewer_password: None,
        privileges: None,
        options: Value::Null,
        is_primary,
        status,
        status_error: None,
        status_checked_at: None,
        created_at: now,
        updated_at: now,
    };
    apply_settings(&app, &mut record, &settings);
    app.store.insert_connection(&record).await?;
    note_connection(&note, &record);
    app.connections.invalidate_project(ctx.project.id);
    let record = check_after_save(&app, record).await?;
    Ok(Created(ConnectionView::from(&record)))
}

/// Updates a connection; unspecified fields keep their values. The pooled client is dropped at once.
pub async fn update(
    State(app): State<AppState>,
    Extension(engine): Extension<Engine>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, ConnectionId)>,
    note: AuditNote,
    ApiJson(body): ApiJson<ConnectionBody>,
) -> ApiResult<Data<ConnectionView>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Admin).await?;
    body.check_engine(engine)?;
    let mut record = find(&app, ctx.project.id, engine, id).await?;
    if let Some(identifier) = &body.identifier {
        check_identifier(identifier)?;
        record.identifier = identifier.clone();
    }
    if let Some(status) = body.status()? {
        record.status = status;
    }
    if let Some(primary) = body.is_primary {
        record.is_primary = primary;
    }
    let base = open_settings(&app, &record)?;
    let settings = settings_from_input(engine, body.into_input(), Some(base))?;
    apply_settings(&app, &mut record, &settings);
    record.updated_at = OffsetDateTime::now_utc();
    app.store.update_connection(&record).await?;
    note_connection(&note, &record);
    app.pools.evict(record.id);
    app.connections.invalidate_project(ctx.project.id);
    let record = check_after_save(&app, record).await?;
    Ok(Data(ConnectionView::from(&record)))
}

/// Deletes a connection and closes its client.
pub async fn delete(
    State(app): State<AppState>,
    Extension(engine): Extension<Engine>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, ConnectionId)>,
    note: AuditNote,
) -> ApiResult<StatusCode> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Admin).await?;
    note_connection(&note, &find(&app, ctx.project.id, engine, id).await?);
    app.store.delete_connection(ctx.project.id, id).await?;
    app.pools.evict(id);
    app.connections.invalidate_project(ctx.project.id);
    Ok(StatusCode::NO_CONTENT)
}

/// Tests a saved connection and records its status. Unreachable servers are a 200 with `success: false`.
pub async fn test(
    State(app): State<AppState>,
    Extension(engine): Extension<Engine>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, ConnectionId)>,
) -> ApiResult<Data<TestReport>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let record = find(&app, ctx.project.id, engine, id).await?;
    Ok(Data(test_saved(&app, &record).await?))
}

/// Tests settings before saving them (admin, since it makes the server connect where the body says).
pub async fn test_unsaved(
    State(app): State<AppState>,
    Extension(engine): Extension<Engine>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiJson(body): ApiJson<ConnectionBody>,
) -> ApiResult<Data<TestReport>> {
    authorize(&app, &user, &project_ref, Permission::Admin).await?;
    body.check_engine(engine)?;
    let settings = settings_from_input(engine, body.into_input(), None)?;
    match app.network.approve(settings).await {
        Ok(guarded) => Ok(Data(engines::test_unsaved(&guarded).await?)),
        // A host that cannot be resolved fails the test like one that does not answer (not a 503).
        Err(ApiError::Connection(message)) => Ok(Data(TestReport::failed(&EngineError::Connect(message)))),
        Err(refused) => Err(refused),
    }
}
