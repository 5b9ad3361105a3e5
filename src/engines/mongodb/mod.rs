//! MongoDB through the official driver. The driver's client is itself a pool, so one client per
//! connection is shared by every request.

pub mod admin;
pub mod bulk;
pub mod documents;
pub mod driver;
pub mod export;
pub mod extjson;
pub mod import;
pub mod ops;
pub mod options;
pub mod sanitize;
pub mod schema;

use std::time::{Duration, Instant};

use mongodb::bson::{doc, Document};
use mongodb::error::{Error as MongoError, ErrorKind};
use mongodb::options::{ClientOptions, ConnectionString, Credential, HostInfo, ServerAddress, Tls, TlsOptions};
use mongodb::Client;
use secrecy::ExposeSecret;
use serde_json::{json, Map};

use super::{EngineError, ProbeFacts};
use crate::domain::connection::ParsedConnectionString;
use crate::domain::ConnectionSettings;
use crate::network::{DialRole, DialTarget, Guarded};
use options::MongoOptions;

/// A pooled MongoDB client.
#[derive(Clone)]
pub struct MongoClient {
    client: Client,
}

impl crate::engines::EngineKind for MongoClient {
    const ENGINE: crate::domain::Engine = crate::domain::Engine::Mongodb;
}

/// Maps a driver error to the engine layer. Messages are the server's `errmsg` or the driver's
/// one-line description of the kind, never the driver's `Debug` dump (`Kind: …, labels: {…}`).
pub fn map_error(err: MongoError) -> EngineError {
    if let Some((code, message, _)) = documents::server_error(&err) {
        let code_name = match err.kind.as_ref() {
            ErrorKind::Command(c) => Some(c.code_name.clone()),
            _ => None,
        };
        return EngineError::Query { message, details: Some(json!({ "code": code, "code_name": code_name })) };
    }
    if let Some(reply) = err.server_response().and_then(refusal) {
        return reply;
    }
    let message = err.kind.to_string();
    match err.kind.as_ref() {
        ErrorKind::Authentication { .. } => EngineError::Auth(format!("authentication failed: {message}")),
        ErrorKind::ServerSelection { .. } => EngineError::Connect(format!("cannot reach MongoDB: {message}")),
        ErrorKind::Io(_) | ErrorKind::ConnectionPoolCleared { .. } | ErrorKind::DnsResolve { .. } => {
            EngineError::Connect(format!("cannot reach MongoDB: {message}"))
        }
        ErrorKind::InvalidArgument { .. } => EngineError::Config(message),
        _ => EngineError::Query { message, details: None },
    }
}

/// A server reply `{ok: 0, errmsg, code?, codeName?}` the driver could not read as a command error
/// (a server that leaves out `code`): its `errmsg` and whatever code it gave.
fn refusal(reply: &mongodb::bson::RawDocumentBuf) -> Option<EngineError> {
    let message = reply.get_str("errmsg").ok()?.to_string();
    let code = reply.get("code").ok().flatten().and_then(|c| match c {
        mongodb::bson::RawBsonRef::Int32(n) => Some(i64::from(n)),
        mongodb::bson::RawBsonRef::Int64(n) => Some(n),
        mongodb::bson::RawBsonRef::Double(n) => Some(n as i64),
        _ => None,
    });
    let code_name = reply.get_str("codeName").ok().map(str::to_string);
    Some(EngineError::Query { message, details: Some(json!({ "code": code, "code_name": code_name })) })
}

/// Reads a `mongodb://` or `mongodb+srv://` string with the driver's parser.
pub fn parse_connection_string(uri: &str) -> Result<ParsedConnectionString, String> {
    // The driver's parse errors can quote the string, password included; keep only their kind.
    let parsed = ConnectionString::parse(uri)
        .map_err(|_| "invalid MongoDB connection string: check the scheme, hosts and options".to_string())?;
    let (host, port) = match &parsed.host_info {
        HostInfo::HostIdentifiers(hosts) => match hosts.first() {
            Some(ServerAddress::Tcp { host, port }) => (host.clone(), port.unwrap_or(27017)),
            _ => return Err("the MongoDB connection string names no TCP host".into()),
        },
        HostInfo::DnsRecord(name) => (name.clone(), 27017),
        _ => return Err("unsupported MongoDB host form".into()),
    };
    let credential = parsed.credential.as_ref();
    Ok(ParsedConnectionString {
        host: Some(host),
        port: Some(port),
        database_name: parsed.default_database.clone(),
        username: credential.and_then(|c| c.username.clone()),
        password: credential.and_then(|c| c.password.clone()).map(Into::into),
        redis_db: None,
        tls: matches!(parsed.tls, Some(Tls::Enabled(_))),
    })
}

/// Every host the driver will dial at first: all hosts of a connection string's seed list, or the
/// hosts its `mongodb+srv://` record names (resolved with the driver's own parser).
pub async fn dial_targets(settings: &ConnectionSettings) -> Result<Vec<DialTarget>, EngineError> {
    let hosts = match &settings.connection_string {
        Some(uri) => ClientOptions::parse(uri.expose_secret()).await.map_err(map_error)?.hosts,
        None => return Ok(vec![DialTarget { host: settings.host.clone(), port: settings.port, role: DialRole::Host }]),
    };
    hosts
        .into_iter()
        .map(|address| match address {
            ServerAddress::Tcp { host, port } => {
                Ok(DialTarget { host, port: port.unwrap_or(27017), role: DialRole::Host })
            }
            _ => Err(EngineError::Config("only TCP MongoDB hosts are supported".into())),
        })
        .collect()
}

/// Bounds of how often the driver checks that the server answers (its minimum; its default).
const MIN_HEARTBEAT: Duration = Duration::from_millis(500);
const MAX_HEARTBEAT: Duration = Duration::from_secs(10);

fn options(settings: &ConnectionSettings) -> Result<&MongoOptions, EngineError> {
    settings.options.get::<MongoOptions>().ok_or_else(|| EngineError::Config("not a MongoDB connection".into()))
}

fn millis(ms: Option<i64>) -> Option<Duration> {
    ms.and_then(|ms| u64::try_from(ms).ok()).map(Duration::from_millis)
}

/// Builds the driver options: the connection string when given, then our fields and options on top.
async fn client_options(settings: &ConnectionSettings) -> Result<ClientOptions, EngineError> {
    let opts = options(settings)?;
    let mut co = match &settings.connection_string {
        Some(uri) => ClientOptions::parse(uri.expose_secret()).await.map_err(map_error)?,
        None => {
            let mut co = ClientOptions::default();
            // Dial the address the network guard checked, unless TLS needs the name.
            let host = match settings.pinned_addr {
                Some(ip) if opts.tls != Some(true) => ip.to_string(),
                _ => settings.host.clone(),
            };
            co.hosts = vec![ServerAddress::Tcp { host, port: Some(settings.port) }];
            co
        }
    };
    if settings.username.is_some() || settings.password.is_some() {
        let mut credential = co.credential.take().unwrap_or_default();
        credential.username = settings.username.clone().or(credential.username);
        if let Some(password) = &settings.password {
            credential.password = Some(password.expose_secret().to_string());
        }
        co.credential = Some(credential);
    }
    if let Some(source) = &opts.auth_source {
        let mut credential = co.credential.take().unwrap_or_else(Credential::default);
        credential.source = Some(source.clone());
        co.credential = Some(credential);
    }
    if opts.replica_set.is_some() {
        co.repl_set_name = opts.replica_set.clone();
    }
    if opts.tls == Some(true) {
        co.tls = Some(Tls::Enabled(TlsOptions::default()));
    }
    // Like mongosh and Compass: one host without a replica set means talk to that host directly.
    let single_host = co.hosts.len() == 1 && co.repl_set_name.is_none() && co.srv_max_hosts.is_none();
    let is_srv = settings.connection_string.as_ref().is_some_and(|s| s.expose_secret().starts_with("mongodb+srv://"));
    co.direct_connection = opts.direct_connection.or(co.direct_connection).or(Some(single_host && !is_srv));
    let connect_timeout = settings.options.connect_timeout();
    co.connect_timeout = Some(connect_timeout);
    co.server_selection_timeout = millis(opts.server_selection_timeout).or(Some(connect_timeout));
    // The driver learns that a server froze (it still accepts TCP, never answers) only from its
    // monitor's checks, which then end the operations in flight: check often enough that a frozen
    // server costs about the connect timeout, not the driver's default 10 s more.
    co.heartbeat_freq = Some((connect_timeout / 4).clamp(MIN_HEARTBEAT, MAX_HEARTBEAT));
    co.max_pool_size = opts.pool_size.and_then(|n| u32::try_from(n).ok()).or(co.max_pool_size);
    co.default_database = settings.database_name.clone().or(co.default_database);
    co.app_name = Some("switchboard".into());
    Ok(co)
}

/// Creates the client (the driver connects lazily, on first use).
pub async fn connect(settings: &Guarded) -> Result<MongoClient, EngineError> {
    let options = client_options(settings).await?;
    if options.direct_connection != Some(true) {
        check_members(settings, &options).await?;
    }
    let client = Client::with_options(options).map_err(map_error)?;
    Ok(MongoClient { client })
}

/// Before the driver discovers a replica set by itself (it dials every member a seed announces,
/// and offers no hook to stop it), asks each seed directly which members it announces — `hosts`,
/// `passives`, `arbiters` of `hello` — and checks every one with the network guard. A seed that
/// does not answer is left to the driver, which will not learn members from it either.
async fn check_members(settings: &Guarded, options: &ClientOptions) -> Result<(), EngineError> {
    for seed in &options.hosts {
        let mut direct = options.clone();
        direct.hosts = vec![seed.clone()];
        direct.direct_connection = Some(true);
        direct.repl_set_name = None;
        // `hello` needs no credentials: none are sent to a seed just to ask it who its members are.
        direct.credential = None;
        direct.max_pool_size = Some(1);
        let client = Client::with_options(direct).map_err(map_error)?;
        let answer = client.database("admin").run_command(doc! { "hello": 1 }).await;
        client.shutdown().await;
        let Ok(hello) = answer else { continue };
        for field in ["hosts", "passives", "arbiters"] {
            for member in hello.get_array(field).map(|a| a.as_slice()).unwrap_or_default() {
                let Some(text) = member.as_str() else { continue };
                let address = ServerAddress::parse(text)
                    .map_err(|_| EngineError::Connect(format!("a replica-set member `{text}` is not an address")))?;
                if let ServerAddress::Tcp { host, port } = address {
                    settings.check_discovered("the replica-set member", &host, port.unwrap_or(27017)).await?;
                }
            }
        }
    }
    Ok(())
}

impl MongoClient {
    /// The driver client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn admin_command(&self, command: Document) -> Result<Document, EngineError> {
        self.client.database("admin").run_command(command).await.map_err(map_error)
    }

    /// Measures one ping round trip.
    pub async fn ping(&self) -> Result<Duration, EngineError> {
        // The first command also selects a server and authenticates; time a second one.
        self.admin_command(doc! { "ping": 1 }).await?;
        let started = Instant::now();
        self.admin_command(doc! { "ping": 1 }).await?;
        Ok(started.elapsed())
    }

    /// Version, topology and database names.
    pub async fn facts(&self) -> Result<ProbeFacts, EngineError> {
        let build = self.admin_command(doc! { "buildInfo": 1 }).await?;
        let hello = self.admin_command(doc! { "hello": 1 }).await?;
        let topology = if hello.get_str("setName").is_ok() {
            "replica_set"
        } else if hello.get_str("msg") == Ok("isdbgrid") {
            "sharded"
        } else {
            "standalone"
        };
        // A user limited to some databases may not list them all; that is not a failed test.
        let databases = self.client.list_database_names().await.unwrap_or_default();
        let mut details = Map::new();
        details.insert("topology".into(), json!(topology));
        details.insert("databases".into(), json!(databases));
        Ok(ProbeFacts { version: build.get_str("version").unwrap_or_default().to_string(), details })
    }

    /// Closes the client's connections without waiting for other users of it.
    pub async fn close(&self) {
        self.client.clone().shutdown().immediate(true).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_errors_read_as_one_line_without_the_debug_dump() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let EngineError::Connect(message) = map_error(MongoError::from(io)) else { panic!("not a connect error") };
        assert_eq!(message, "cannot reach MongoDB: I/O error: refused");
        let EngineError::Query { message, .. } = map_error(MongoError::custom(7_u8)) else {
            panic!("not a query error")
        };
        assert!(!message.contains("Kind:") && !message.contains("labels"), "{message}");
    }

    #[test]
    fn an_error_reply_without_a_code_still_gives_the_servers_message() {
        let reply = mongodb::bson::rawdoc! { "ok": 0.0, "errmsg": "unknown operator: $bogus" };
        let Some(EngineError::Query { message, details }) = refusal(&reply) else { panic!("not read") };
        assert_eq!(message, "unknown operator: $bogus");
        assert_eq!(details, Some(json!({ "code": null, "code_name": null })));
        let reply = mongodb::bson::rawdoc! { "ok": 0.0, "errmsg": "bad", "code": 2, "codeName": "BadValue" };
        let Some(EngineError::Query { details, .. }) = refusal(&reply) else { panic!("not read") };
        assert_eq!(details, Some(json!({ "code": 2, "code_name": "BadValue" })));
        assert!(refusal(&mongodb::bson::rawdoc! { "ok": 1.0 }).is_none());
    }
}
