//! The life of a database connection: validating input into settings, sealing secrets into a stored
//! record and opening them again, finding the connection a request means (cached), and handing out
//! its pooled client. Engine handlers call [`client_for`]; connection handlers call the rest.

use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;
use schemars::JsonSchema;
use secrecy::SecretString;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::app::App;
use crate::domain::connection::{check_port, ParsedConnectionString};
use crate::domain::{ConnectionId, ConnectionSettings, ConnectionStatus, Engine, ProjectId};
use crate::engines::{self, EngineClient};
use crate::error::ApiError;
use crate::store::{ConnectionHealth, ConnectionRecord, Project};

/// A change to an optional secret: keep it, clear it, or set it.
#[derive(Debug, Default)]
pub enum SecretPatch {
    /// Leave as is.
    #[default]
    Keep,
    /// Remove.
    Clear,
    /// Replace.
    Set(SecretString),
}

/// Connection fields as a client sends them (create or update); everything is optional here and
/// checked by [`settings_from_input`].
#[derive(Debug, Default)]
pub struct ConnectionInput {
    /// Host.
    pub host: Option<String>,
    /// Port, unchecked.
    pub port: Option<i64>,
    /// Database name.
    pub database_name: Option<String>,
    /// User name.
    pub username: Option<String>,
    /// Password change.
    pub password: SecretPatch,
    /// A connection string to parse.
    pub connection_string: Option<SecretString>,
    /// The login viewers' SQL runs as (`""` clears it).
    pub viewer_username: Option<String>,
    /// Its password change.
    pub viewer_password: SecretPatch,
    /// Engine options (replace the stored ones).
    pub options: Option<Value>,
}

/// A connection as the API shows it: never a password or connection string.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConnectionView {
    /// Id.
    pub id: ConnectionId,
    /// Project.
    pub project_id: ProjectId,
    /// Engine.
    pub database_type: Engine,
    /// Name unique in the project.
    pub identifier: String,
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Database name.
    pub database_name: Option<String>,
    /// User name.
    pub username: Option<String>,
    /// Whether a password is stored.
    pub has_password: bool,
    /// Whether a connection string is stored.
    pub has_connection_string: bool,
    /// The login viewers' SQL runs as, if the connection has one (PostgreSQL).
    pub viewer_username: Option<String>,
    /// Whether a password for it is stored.
    pub has_viewer_password: bool,
    /// What the last test or save found about the logins' powers on the database host, or null
    /// before any check: `host_powers` of the connection's login (superuser, server programs,
    /// server files), `viewer_host_powers` of the viewer login, and `viewer_sql` — how viewers'
    /// SQL runs (`viewer_credentials`, `connection_login`) or `refused`.
    pub privileges: Option<Value>,
    /// Engine options.
    pub options: Value,
    /// The project's default for this engine.
    pub is_primary: bool,
    /// Last known health: CONNECTING until first checked, then what the last health check, test
    /// or use found.
    pub status: ConnectionStatus,
    /// Why the last check or use failed (no secrets); null while the connection works.
    pub status_error: Option<String>,
    /// When the status was last found.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(schema_with = "crate::openapi::optional_timestamp")]
    pub status_checked_at: Option<OffsetDateTime>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(schema_with = "crate::openapi::timestamp")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(schema_with = "crate::openapi::timestamp")]
    pub updated_at: OffsetDateTime,
}

impl From<&ConnectionRecord> for ConnectionView {
    fn from(r: &ConnectionRecord) -> Self {
        Self {
            id: r.id,
            project_id: r.project_id,
            database_type: r.engine,
            identifier: r.identifier.clone(),
            host: r.host.clone(),
            port: r.port,
            database_name: r.database_name.clone(),
            username: r.username.clone(),
            has_password: r.password.is_some(),
            has_connection_string: r.connection_string.is_some(),
            viewer_username: r.viewer_username.clone(),
            has_viewer_password: r.viewer_password.is_some(),
            privileges: r.privileges.clone(),
            options: r.options.clone(),
            is_primary: r.is_primary,
            status: r.status,
            status_error: r.status_error.clone(),
            status_checked_at: r.status_checked_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Checks an identifier: 1-64 characters of letters, digits, `-`, `_` and `.`.
pub fn check_identifier(identifier: &str) -> Result<(), ApiError> {
    let ok = !identifier.is_empty()
        && identifier.len() <= 64
        && identifier.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation("identifier must be 1-64 characters of letters, digits, '-', '_' and '.'"))
    }
}

fn parse_connection_string(engine: Engine, text: &str) -> Result<ParsedConnectionString, ApiError> {
    let spec = engines::spec(engine);
    if !spec.url_schemes.iter().any(|s| text.starts_with(s)) {
        return Err(ApiError::validation(format!(
            "a {engine} connection_string must start with {}",
            spec.url_schemes.join(" or ")
        )));
    }
    (spec.parse_connection_string)(text).map_err(ApiError::validation)
}

fn check_host(host: &str) -> Result<String, ApiError> {
    let host = host.trim();
    if host.is_empty() {
        return Err(ApiError::validation("host must not be empty"));
    }
    if host.len() > 255 || host.chars().any(|c| c.is_whitespace() || c.is_control() || c == '/' || c == '@') {
        return Err(ApiError::validation("host must be a host name or an IP address"));
    }
    Ok(host.to_string())
}

/// Validates `input` for `engine`, on top of `base` (the stored settings, for an update).
pub fn settings_from_input(
    engine: Engine,
    input: ConnectionInput,
    base: Option<ConnectionSettings>,
) -> Result<ConnectionSettings, ApiError> {
    // Two truths about where to connect would let a harmless `host` front for the string's hosts.
    if input.connection_string.is_some() && (input.host.is_some() || input.port.is_some()) {
        return Err(ApiError::validation(
            "give either host and port or a connection_string, not both: the connection string names its own hosts",
        ));
    }
    let parsed = match &input.connection_string {
        Some(text) => Some(parse_connection_string(engine, secrecy::ExposeSecret::expose_secret(text))?),
        None => None,
    };
    let parsed = parsed.unwrap_or_default();
    let address_changed = input.host.is_some() || input.port.is_some();

    let host = match input.host.as_deref().or(parsed.host.as_deref()) {
        Some(h) => check_host(h)?,
        None => base.as_ref().map(|b| b.host.clone()).ok_or_else(|| ApiError::validation("host is required"))?,
    };
    let port = match input.port {
        Some(p) => check_port("port", p).map_err(ApiError::validation)?,
        None => parsed.port.or(base.as_ref().map(|b| b.port)).unwrap_or(engine.default_port()),
    };
    let options = match input.options {
        Some(value) => engines::parse_options(engine, value).map_err(ApiError::validation)?,
        None => match &base {
            Some(b) => b.options.clone(),
            None => engines::parse_options(engine, Value::Null).map_err(ApiError::validation)?,
        },
    };
    // What the connection string says (TLS, a Redis database) fills options left unset.
    let options = options.with_connection_string(&parsed).map_err(ApiError::validation)?;
    let base_password = base.as_ref().and_then(|b| b.password.clone());
    let password = match input.password {
        SecretPatch::Set(p) => Some(p),
        SecretPatch::Clear => None,
        SecretPatch::Keep => parsed.password.or(base_password),
    };
    let non_empty = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let connection_string = match input.connection_string {
        Some(cs) => Some(cs),
        // New address fields replace what an old connection string said: drop it rather than keep two truths.
        None if address_changed => None,
        None => base.as_ref().and_then(|b| b.connection_string.clone()),
    };
    let viewer_username = match input.viewer_username {
        Some(name) => non_empty(Some(name)),
        None => base.as_ref().and_then(|b| b.viewer_username.clone()),
    };
    let viewer_password = match input.viewer_password {
        SecretPatch::Set(p) => Some(p),
        SecretPatch::Clear => None,
        SecretPatch::Keep => base.as_ref().and_then(|b| b.viewer_password.clone()),
    };
    if !engines::spec(engine).viewer_credentials && (viewer_username.is_some() || viewer_password.is_some()) {
        return Err(ApiError::validation("viewer_username and viewer_password are supported for PostgreSQL only"));
    }
    if viewer_username.is_none() && viewer_password.is_some() {
        return Err(ApiError::validation("viewer_password needs a viewer_username"));
    }
    Ok(ConnectionSettings {
        engine,
        host,
        port,
        viewer_username,
        viewer_password,
        database_name: non_empty(input.database_name.or(parsed.database_name))
            .or(base.as_ref().and_then(|b| b.database_name.clone())),
        username: non_empty(input.username.or(parsed.username)).or(base.as_ref().and_then(|b| b.username.clone())),
        password,
        connection_string,
        options,
        pinned_addr: None,
    })
}

fn secret_context(id: ConnectionId, field: &str) -> String {
    format!("connection:{id}:{field}")
}

/// Re-seals a record's secrets with the current key (key rotation); the plaintext never leaves
/// this function.
pub fn reseal(
    secrets: &crate::crypto::SecretBox,
    record: &mut ConnectionRecord,
) -> Result<(), crate::crypto::CryptoError> {
    let fields = [
        (&mut record.password, "password"),
        (&mut record.connection_string, "connection_string"),
        (&mut record.viewer_password, "viewer_password"),
    ];
    for (sealed, field) in fields {
        if let Some(current) = sealed.as_ref() {
            let context = secret_context(record.id, field);
            let plain = secrets.open(current, &context)?;
            *sealed = Some(secrets.seal(&plain, &context));
        }
    }
    Ok(())
}

/// Writes `settings` into `record`, sealing its secrets for this record's id.
pub fn apply_settings(app: &App, record: &mut ConnectionRecord, settings: &ConnectionSettings) {
    record.host = settings.host.clone();
    record.port = settings.port;
    record.database_name = settings.database_name.clone();
    record.username = settings.username.clone();
    record.options = settings.options.to_value();
    record.password = settings.password.as_ref().map(|p| app.secrets.seal(p, &secret_context(record.id, "password")));
    record.connection_string = settings
        .connection_string
        .as_ref()
        .map(|c| app.secrets.seal(c, &secret_context(record.id, "connection_string")));
    record.viewer_username = settings.viewer_username.clone();
    record.viewer_password =
        settings.viewer_password.as_ref().map(|p| app.secrets.seal(p, &secret_context(record.id, "viewer_password")));
}

/// Opens a record's secrets into usable settings; fails closed if a secret does not decrypt.
pub fn open_settings(app: &App, record: &ConnectionRecord) -> Result<ConnectionSettings, ApiError> {
    let open = |sealed: &Option<crate::crypto::Sealed>, field: &str| -> Result<Option<SecretString>, ApiError> {
        sealed.as_ref().map(|s| app.secrets.open(s, &secret_context(record.id, field))).transpose().map_err(|e| {
            tracing::error!(connection_id = %record.id, field, error = %e, "stored secret could not be decrypted");
            ApiError::SecretUnreadable(format!(
                "the stored {field} of connection `{}` could not be decrypted ({e}); re-enter it or restore the \
                 encryption key it was saved with",
                record.identifier
            ))
        })
    };
    Ok(ConnectionSettings {
        engine: record.engine,
        host: record.host.clone(),
        port: record.port,
        database_name: record.database_name.clone(),
        username: record.username.clone(),
        password: open(&record.password, "password")?,
        connection_string: open(&record.connection_string, "connection_string")?,
        viewer_username: record.viewer_username.clone(),
        viewer_password: open(&record.viewer_password, "viewer_password")?,
        options: engines::parse_options(record.engine, record.options.clone()).map_err(|e| {
            ApiError::Internal(anyhow::anyhow!("stored options of connection {} are invalid: {e}", record.id))
        })?,
        pinned_addr: None,
    })
}

/// How a request names a connection.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Lookup {
    ById(ProjectId, ConnectionId),
    Primary(ProjectId, Engine),
}

impl Lookup {
    fn project(&self) -> ProjectId {
        match self {
            Lookup::ById(p, _) | Lookup::Primary(p, _) => *p,
        }
    }
}

/// Connection metadata cached in memory, invalidated whenever a project's connections change.
pub struct ConnectionDirectory {
    cache: Cache<Lookup, Arc<ConnectionRecord>>,
}

impl Default for ConnectionDirectory {
    fn default() -> Self {
        Self::new()
    }
}

impl ConnectionDirectory {
    /// An empty directory.
    pub fn new() -> Self {
        let cache = Cache::builder()
            .max_capacity(10_000)
            .time_to_live(Duration::from_secs(300))
            .support_invalidation_closures()
            .build();
        Self { cache }
    }

    /// Forgets everything cached about a project's connections.
    pub fn invalidate_project(&self, project: ProjectId) {
        if let Err(e) = self.cache.invalidate_entries_if(move |k, _| k.project() == project) {
            // Without closures support we cannot be selective; drop everything rather than serve stale data.
            tracing::warn!(error = %e, "selective invalidation failed; clearing the connection cache");
            self.cache.invalidate_all();
        }
    }

    /// Forgets everything cached.
    pub fn invalidate_all(&self) {
        self.cache.invalidate_all();
    }
}

/// Finds the connection a request means: `connection_id` or the project's primary for `engine`.
pub async fn resolve(
    app: &App,
    project: &Project,
    engine: Engine,
    connection_id: Option<ConnectionId>,
) -> Result<Arc<ConnectionRecord>, ApiError> {
    let lookup = match connection_id {
        Some(id) => Lookup::ById(project.id, id),
        None => Lookup::Primary(project.id, engine),
    };
    let not_found = |id: ConnectionId| {
        ApiError::NotFound(format!("{engine} connection {id} not found in project `{}`", project.project_ref))
    };
    if let Some(record) = app.connections.cache.get(&lookup) {
        metrics::counter!("switchboard_connection_cache_total", "result" => "hit").increment(1);
        // The cache is keyed by id alone: another engine's connection is not this engine's.
        if record.engine != engine {
            return Err(not_found(record.id));
        }
        return Ok(record);
    }
    metrics::counter!("switchboard_connection_cache_total", "result" => "miss").increment(1);
    let record = match connection_id {
        Some(id) => app
            .store
            .find_connection(project.id, id)
            .await?
            .filter(|r| r.engine == engine)
            .ok_or_else(|| not_found(id))?,
        None => app.store.find_primary_connection(project.id, engine).await?.ok_or_else(|| {
            ApiError::NotFound(format!(
                "project `{}` has no primary {engine} connection: create one or pass ?connection_id=",
                project.project_ref
            ))
        })?,
    };
    let record = Arc::new(record);
    app.connections.cache.insert(lookup, record.clone());
    Ok(record)
}

/// A stored connection's settings, opened and approved by the network policy: the only way to
/// dial a stored connection (the pool, tests, and dedicated connections such as Pub/Sub).
pub async fn guarded_settings(app: &App, record: &ConnectionRecord) -> Result<crate::network::Guarded, ApiError> {
    app.network.approve(open_settings(app, record)?).await
}

/// The pool version of a record: a changed connection gets a new client.
pub(crate) fn version(record: &ConnectionRecord) -> i128 {
    record.updated_at.unix_timestamp_nanos()
}

/// The pooled client of a stored connection. Its stored status follows use: a failed connect marks
/// it ERROR, and while it is ERROR a client that answers a ping marks it ACTIVE again. The store is
/// written only when the status changes, so a healthy connection's requests never write.
pub async fn client(app: &App, record: &ConnectionRecord) -> Result<EngineClient, ApiError> {
    if record.status == ConnectionStatus::Inactive {
        return Err(ApiError::Connection(format!(
            "connection `{}` is INACTIVE; an admin can reactivate it",
            record.identifier
        )));
    }
    // The hot path: an open client needs no secret opened.
    let client = match app.pools.get(record.id, version(record)).await {
        Some(client) => client,
        None => {
            let settings = guarded_settings(app, record).await?;
            match app.pools.get_or_open(record.id, version(record), engines::connect(&settings)).await {
                Ok(client) => client,
                Err(e) => {
                    record_health(app, record, Err(&e.to_string()), false).await;
                    return Err(e.into());
                }
            }
        }
    };
    if record.status != ConnectionStatus::Active && client.ping().await.is_ok() {
        record_health(app, record, Ok(()), false).await;
    }
    Ok(client)
}

/// Stores what a connection's last use, test or health check found, when it differs from what is
/// stored or `refresh` asks for a new check time (an INACTIVE connection keeps its status). `Err`
/// carries the scrubbed reason. The status is a hint for people: failing to store it is logged,
/// never the request's failure.
pub(crate) async fn record_health(app: &App, record: &ConnectionRecord, outcome: Result<(), &str>, refresh: bool) {
    let (status, error) = match outcome {
        Ok(()) => (ConnectionStatus::Active, None),
        Err(reason) => (ConnectionStatus::Error, Some(reason.to_string())),
    };
    let unchanged = record.status == status && record.status_error == error;
    if record.status == ConnectionStatus::Inactive || (unchanged && !refresh) {
        return;
    }
    let health = ConnectionHealth { status, error, checked_at: OffsetDateTime::now_utc() };
    match app.store.set_connection_health(record.id, &health).await {
        Ok(()) => app.connections.invalidate_project(record.project_id),
        Err(e) => tracing::warn!(connection_id = %record.id, error = %e, "could not record the connection status"),
    }
}

tokio::task_local! {
    static REQUEST_CONNECTIONS: RequestConnections;
}

/// The connections one request opened, so that no error it answers can repeat one of their secrets,
/// whichever handler produced the error: filled by [`client_for`], read only when an error is
/// answered (the success path decrypts nothing).
struct RequestConnections {
    app: Arc<App>,
    opened: std::sync::Mutex<Vec<Arc<ConnectionRecord>>>,
}

/// Runs one request with its own (empty) list of opened connections.
pub async fn with_request_scope<F: std::future::Future>(app: Arc<App>, request: F) -> F::Output {
    let scope = RequestConnections { app, opened: std::sync::Mutex::new(Vec::new()) };
    REQUEST_CONNECTIONS.scope(scope, request).await
}

/// Remembers that this request opened `record` (outside a request scope: nothing to remember).
fn note_opened(record: &Arc<ConnectionRecord>) {
    let _ = REQUEST_CONNECTIONS.try_with(|scope| {
        if let Ok(mut opened) = scope.opened.lock() {
            if !opened.iter().any(|r| r.id == record.id) {
                opened.push(record.clone());
            }
        }
    });
}

/// `text` with every secret of the connections this request opened replaced by `***`.
pub fn scrub_request_secrets(text: String) -> String {
    REQUEST_CONNECTIONS
        .try_with(|scope| {
            let opened = scope.opened.lock().map(|o| o.clone()).unwrap_or_default();
            opened.iter().fold(text.clone(), |text, record| match open_settings(&scope.app, record) {
                Ok(settings) => crate::domain::connection::scrub(&text, &settings.secrets()),
                Err(_) => text,
            })
        })
        .unwrap_or(text)
}

/// Whether this request opened any connection (so an answered error may need scrubbing).
pub fn request_opened_connections() -> bool {
    REQUEST_CONNECTIONS.try_with(|scope| scope.opened.lock().map(|o| !o.is_empty()).unwrap_or(false)).unwrap_or(false)
}

/// The pooled client for an engine request: resolves the connection, then opens or reuses its client.
pub async fn client_for(
    app: &App,
    project: &Project,
    engine: Engine,
    connection_id: Option<ConnectionId>,
) -> Result<(Arc<ConnectionRecord>, EngineClient), ApiError> {
    let record = resolve(app, project, engine, connection_id).await?;
    note_opened(&record);
    let client = client(app, &record).await?;
    Ok((record, client))
}

/// Tests a stored connection through its pooled client (the path every engine request takes, so a
/// stale client would show here) and records the outcome as the connection's status.
pub async fn test_saved(app: &App, record: &ConnectionRecord) -> Result<engines::TestReport, ApiError> {
    let report = match guarded_settings(app, record).await {
        // A host that cannot be resolved fails the test like one that does not answer.
        Err(ApiError::Connection(message)) => engines::TestReport::failed(&engines::EngineError::Connect(message)),
        Err(refused) => return Err(refused),
        Ok(settings) => match app.pools.get_or_open(record.id, version(record), engines::connect(&settings)).await {
            Ok(client) => engines::probe(&client, &settings).await,
            Err(refused @ engines::EngineError::Refused(_)) => return Err(refused.into()),
            Err(e) => engines::TestReport::failed(&e),
        },
    };
    let failure = report.error.clone().unwrap_or_else(|| "the connection test failed".into());
    record_health(app, record, if report.success { Ok(()) } else { Err(&failure) }, true).await;
    if let Some(privileges) = report.details.get("privileges").filter(|p| record.privileges.as_ref() != Some(p)) {
        app.store.set_connection_privileges(record.id, privileges).await?;
        app.connections.invalidate_project(record.project_id);
    }
    Ok(report)
}

/// After a connection is saved, tests it at once, so its status says whether it works (rather than
/// a hopeful ACTIVE) and, for PostgreSQL, whether its logins have host powers. A server that cannot
/// be reached, or is refused by the network policy, is saved all the same; the answer is the
/// record as stored after the test.
pub async fn check_after_save(app: &App, record: ConnectionRecord) -> Result<ConnectionRecord, ApiError> {
    if record.status == ConnectionStatus::Inactive {
        return Ok(record);
    }
    if let Err(e) = test_saved(app, &record).await {
        tracing::debug!(connection_id = %record.id, error = %e, "a saved connection could not be tested");
    }
    Ok(app.store.find_connection(record.project_id, record.id).await?.unwrap_or(record))
}
