//! Redis: standalone (auto-reconnecting multiplexed connection), cluster (slot-routing client) and
//! sentinel (master resolved through the sentinels).

pub mod analysis;
pub mod bulk;
pub mod command;
pub mod driver;
pub mod glob;
pub mod info;
pub mod keys;
pub mod ops;
pub mod options;
pub mod pubsub;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::network::{DialRole, DialTarget, Guarded};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{
    AggregateOp, MultipleNodeRoutingInfo, ResponsePolicy, RoutingInfo, SingleNodeRoutingInfo,
};
use redis::{ConnectionAddr, ConnectionInfo, ErrorKind, IntoConnectionInfo, RedisConnectionInfo, RedisError};
use secrecy::ExposeSecret;
use serde_json::{json, Map};

use super::{EngineError, ProbeFacts};
use crate::domain::connection::ParsedConnectionString;
use crate::domain::ConnectionSettings;
use options::RedisOptions;

const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// A pooled Redis handle; clones share the same multiplexed connection(s).
#[derive(Clone)]
pub struct RedisClient {
    conn: RedisConn,
    /// The last dial the network guard refused (cluster nodes are dialed by the driver, which
    /// retries a refused dial until the command times out): such a timeout is told as the refusal.
    refused: Option<Arc<Mutex<Option<String>>>>,
    /// What the server said about commands run on the command line (`COMMAND INFO`).
    pub(crate) commands: command::CommandCache,
}

impl crate::engines::EngineKind for RedisClient {
    const ENGINE: crate::domain::Engine = crate::domain::Engine::Redis;
}

#[derive(Clone)]
enum RedisConn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

/// Maps a driver error to the engine layer.
pub fn map_error(err: RedisError) -> EngineError {
    if let Some(refusal) = network_refusal(&err) {
        return EngineError::Refused(refusal.0.clone());
    }
    let message = err.to_string();
    if err.kind() == ErrorKind::AuthenticationFailed || matches!(err.code(), Some("WRONGPASS" | "NOAUTH")) {
        EngineError::Auth(format!("authentication failed: {message}"))
    } else if err.is_timeout() {
        EngineError::Timeout(format!("Redis did not answer in time: {message}"))
    } else if err.is_io_error() || err.is_connection_refusal() || err.is_connection_dropped() {
        EngineError::Connect(format!("cannot reach Redis: {message}"))
    } else if err.kind() == ErrorKind::InvalidClientConfig {
        EngineError::Config(message)
    } else {
        EngineError::Query { message, details: err.code().map(|c| json!({ "code": c })) }
    }
}

/// A dial the network guard refused, carried through the driver as the cause of an I/O error.
#[derive(Debug)]
struct NetworkRefusal(String);

impl std::fmt::Display for NetworkRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NetworkRefusal {}

fn network_refusal(err: &RedisError) -> Option<&NetworkRefusal> {
    use std::error::Error as _;
    err.source()?.downcast_ref::<std::io::Error>()?.get_ref()?.downcast_ref::<NetworkRefusal>()
}

/// The cluster client's name resolution, through the network guard: every node the driver dials
/// (the seed, each node `CLUSTER SLOTS` or a `MOVED` names, each reconnection) is resolved and
/// checked when it is dialed, and only the checked address is dialed.
#[derive(Clone)]
struct GuardedResolver {
    settings: Guarded,
    refused: Arc<Mutex<Option<String>>>,
}

impl redis::io::AsyncDNSResolver for GuardedResolver {
    fn resolve<'a, 'b: 'a>(
        &'a self,
        host: &'b str,
        port: u16,
    ) -> redis::RedisFuture<'a, Box<dyn Iterator<Item = std::net::SocketAddr> + Send + 'a>> {
        Box::pin(async move {
            match self.settings.check_discovered("the Redis node", host, port).await {
                Ok(ip) => Ok(Box::new(std::iter::once(std::net::SocketAddr::new(ip, port)))
                    as Box<dyn Iterator<Item = std::net::SocketAddr> + Send>),
                Err(EngineError::Refused(why)) => {
                    if let Ok(mut last) = self.refused.lock() {
                        *last = Some(why.clone());
                    }
                    Err(RedisError::from(std::io::Error::new(
                        std::io::ErrorKind::PermissionDenied,
                        NetworkRefusal(why),
                    )))
                }
                Err(other) => Err(RedisError::from(std::io::Error::other(other.to_string()))),
            }
        })
    }
}

/// A driver error, or the network guard's refusal when the error is the driver giving up on a
/// dial the guard refused.
fn told_as_refusal(refused: &Mutex<Option<String>>, err: RedisError) -> EngineError {
    let gave_up = err.is_timeout() || err.is_io_error() || err.is_connection_dropped() || err.is_connection_refusal();
    match refused.lock().ok().and_then(|last| last.clone()) {
        Some(why) if gave_up => EngineError::Refused(why),
        _ => map_error(err),
    }
}

/// Reads a `redis://` or `rediss://` URL with the driver's parser.
pub fn parse_connection_string(url: &str) -> Result<ParsedConnectionString, String> {
    let info = url.into_connection_info().map_err(|e| format!("invalid Redis connection string: {}", e.kind_str()))?;
    let (host, port, tls) = match info.addr() {
        ConnectionAddr::Tcp(host, port) => (host.clone(), *port, false),
        ConnectionAddr::TcpTls { host, port, .. } => (host.clone(), *port, true),
        _ => return Err("only TCP Redis connection strings are supported".into()),
    };
    let redis = info.redis_settings();
    Ok(ParsedConnectionString {
        host: Some(host),
        port: Some(port),
        database_name: None,
        username: redis.username().map(str::to_string),
        password: redis.password().map(|p| p.to_string().into()),
        redis_db: Some(redis.db()),
        tls,
    })
}

trait KindStr {
    fn kind_str(&self) -> String;
}

impl KindStr for RedisError {
    // The driver's message for a bad URL can quote the URL, password included; say only what kind.
    fn kind_str(&self) -> String {
        match self.kind() {
            ErrorKind::InvalidClientConfig => "the URL is malformed or uses an unknown scheme".into(),
            other => format!("{other:?}"),
        }
    }
}

fn options(settings: &ConnectionSettings) -> Result<&RedisOptions, EngineError> {
    settings.options.get::<RedisOptions>().ok_or_else(|| EngineError::Config("not a Redis connection".into()))
}

/// The host and every sentinel; the master a sentinel announces is checked when it is dialed.
pub fn dial_targets(settings: &ConnectionSettings) -> Vec<DialTarget> {
    let mut targets = vec![DialTarget { host: settings.host.clone(), port: settings.port, role: DialRole::Host }];
    if let Some(o) = settings.options.get::<RedisOptions>() {
        for s in o.sentinel.iter().flat_map(|s| s.sentinels.iter()) {
            let port = u16::try_from(s.port).unwrap_or(0);
            targets.push(DialTarget { host: s.host.clone(), port, role: DialRole::Sentinel });
        }
    }
    targets
}

/// The handshake settings (db, credentials) shared by every node of the connection.
fn handshake(settings: &ConnectionSettings, opts: &RedisOptions) -> RedisConnectionInfo {
    let mut info = RedisConnectionInfo::default().set_db(opts.db.unwrap_or(0));
    if let Some(user) = &settings.username {
        info = info.set_username(user);
    }
    if let Some(password) = &settings.password {
        info = info.set_password(password.expose_secret());
    }
    info
}

/// The address to dial: the address the network guard checked, unless TLS needs the name.
fn dial_host(settings: &ConnectionSettings, tls: bool) -> String {
    match settings.pinned_addr {
        Some(ip) if !tls => ip.to_string(),
        _ => settings.host.clone(),
    }
}

fn address(host: &str, port: u16, tls: bool) -> ConnectionAddr {
    if tls {
        ConnectionAddr::TcpTls { host: host.to_string(), port, insecure: false, tls_params: None }
    } else {
        ConnectionAddr::Tcp(host.to_string(), port)
    }
}

fn connection_info(addr: ConnectionAddr, redis: RedisConnectionInfo) -> Result<ConnectionInfo, EngineError> {
    Ok(addr.into_connection_info().map_err(map_error)?.set_redis_settings(redis))
}

/// A client for the one node commands go to: the configured host, or the master the sentinels name.
/// For a cluster it is the seed node, which is enough for classic Pub/Sub (messages reach every node).
async fn node_client(settings: &Guarded, opts: &RedisOptions) -> Result<redis::Client, EngineError> {
    let tls = opts.tls.unwrap_or(false);
    let redis = handshake(settings, opts);
    match &opts.sentinel {
        Some(sentinel) => {
            let (host, port) = announced_master(settings, &sentinel.master, &sentinel.sentinels, tls).await?;
            // The announced master is an address the guard has not seen: check it before dialing.
            let ip = settings.check_discovered("the master announced by the sentinels", &host, port).await?;
            let dial = if tls { host } else { ip.to_string() };
            redis::Client::open(connection_info(address(&dial, port, tls), redis)?).map_err(map_error)
        }
        None => redis::Client::open(connection_info(address(&dial_host(settings, tls), settings.port, tls), redis)?)
            .map_err(map_error),
    }
}

/// Asks the sentinels, in order, where the master is (`SENTINEL get-master-addr-by-name`).
async fn announced_master(
    settings: &Guarded,
    master: &str,
    sentinels: &[options::HostPort],
    tls: bool,
) -> Result<(String, u16), EngineError> {
    let limit = settings.options.connect_timeout();
    let mut last_error = EngineError::Connect(format!("no sentinel knows the master `{master}`"));
    for s in sentinels {
        let port = u16::try_from(s.port).map_err(|_| EngineError::Config("sentinel port out of range".into()))?;
        let asked = crate::engines::within(limit, "asking a sentinel", async {
            let client =
                redis::Client::open(connection_info(address(&s.host, port, tls), RedisConnectionInfo::default())?)
                    .map_err(map_error)?;
            let mut conn = client.get_multiplexed_async_connection().await.map_err(map_error)?;
            let found: Option<(String, u16)> = redis::cmd("SENTINEL")
                .arg("get-master-addr-by-name")
                .arg(master)
                .query_async(&mut conn)
                .await
                .map_err(map_error)?;
            Ok(found)
        })
        .await;
        match asked {
            Ok(Some(found)) => return Ok(found),
            Ok(None) => {}
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}

/// A dedicated Pub/Sub connection (never from the command pool): one per WebSocket, closed with it.
pub async fn subscriber(settings: &Guarded) -> Result<redis::aio::PubSub, EngineError> {
    let opts = options(settings)?;
    let client = node_client(settings, opts).await?;
    crate::engines::within(settings.options.connect_timeout(), "opening a Pub/Sub connection", async {
        client.get_async_pubsub().await.map_err(map_error)
    })
    .await
}

/// Connects according to the connection's topology options.
pub async fn connect(settings: &Guarded) -> Result<RedisClient, EngineError> {
    let opts = options(settings)?;
    let connect_timeout = settings.options.connect_timeout();
    let command_timeout = opts
        .command_timeout_ms
        .and_then(|ms| u64::try_from(ms).ok())
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_COMMAND_TIMEOUT);
    let tls = opts.tls.unwrap_or(false);
    let redis = handshake(settings, opts);

    if opts.cluster == Some(true) {
        let refused = Arc::new(Mutex::new(None));
        let seed = connection_info(address(&dial_host(settings, tls), settings.port, tls), redis.clone())?;
        let mut builder = ClusterClientBuilder::new(vec![seed])
            .connection_timeout(connect_timeout)
            .response_timeout(command_timeout)
            // Every node the cluster client discovers is dialed through the guard.
            .async_dns_resolver(GuardedResolver { settings: settings.clone(), refused: refused.clone() });
        if let Some(user) = redis.username() {
            builder = builder.username(user);
        }
        if let Some(password) = redis.password() {
            builder = builder.password(password);
        }
        let client = builder.build().map_err(map_error)?;
        let refusal = |e| told_as_refusal(&refused, e);
        let conn = client.get_async_connection().await.map_err(refusal)?;
        return Ok(RedisClient {
            conn: RedisConn::Cluster(conn),
            refused: Some(refused),
            commands: Default::default(),
        });
    }

    let target = node_client(settings, opts).await?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(connect_timeout))
        .set_response_timeout(Some(command_timeout))
        .set_number_of_retries(2);
    let manager = target.get_connection_manager_with_config(config).await.map_err(map_error)?;
    Ok(RedisClient { conn: RedisConn::Single(manager), refused: None, commands: Default::default() })
}

impl RedisClient {
    /// Maps a driver error of this client (see [`told_as_refusal`]).
    fn error(&self, err: RedisError) -> EngineError {
        match &self.refused {
            Some(refused) => told_as_refusal(refused, err),
            None => map_error(err),
        }
    }

    /// Runs one command.
    pub async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, EngineError> {
        match &self.conn {
            RedisConn::Single(c) => cmd.query_async(&mut c.clone()).await,
            RedisConn::Cluster(c) => cmd.query_async(&mut c.clone()).await,
        }
        .map_err(|e| self.error(e))
    }

    /// The cluster's masters as `(host, port)`, sorted; `None` for a single node (standalone or
    /// sentinel). Used to walk every master when listing keys.
    pub async fn masters(&self) -> Result<Option<Vec<(String, u16)>>, EngineError> {
        let RedisConn::Cluster(_) = &self.conn else { return Ok(None) };
        let nodes: String = self.query(redis::cmd("CLUSTER").arg("NODES")).await?;
        let mut masters: Vec<(String, u16)> = nodes
            .lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let flags = fields.get(2)?;
                if !flags.split(',').any(|f| f == "master") || flags.contains("fail") {
                    return None;
                }
                // `ip:port@cport[,hostname]`
                let addr = fields.get(1)?.split('@').next()?;
                let (host, port) = addr.rsplit_once(':')?;
                Some((host.to_string(), port.parse().ok()?))
            })
            .collect();
        masters.sort();
        Ok(Some(masters))
    }

    /// Runs one command on a given node (a cluster master); on a single node, runs it there.
    pub async fn query_on<T: redis::FromRedisValue>(
        &self,
        node: Option<&(String, u16)>,
        cmd: &redis::Cmd,
    ) -> Result<T, EngineError> {
        match (&self.conn, node) {
            (RedisConn::Cluster(c), Some((host, port))) => {
                let route =
                    RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress { host: host.clone(), port: *port });
                let value = c.clone().route_command(cmd.clone(), route).await.map_err(|e| self.error(e))?;
                redis::from_redis_value(value).map_err(|e| map_error(e.into()))
            }
            _ => self.query(cmd).await,
        }
    }

    /// Runs a non-atomic pipeline on a given node; on a single node, runs it there.
    pub async fn pipeline_on(
        &self,
        node: Option<&(String, u16)>,
        pipe: &redis::Pipeline,
        count: usize,
    ) -> Result<Vec<redis::Value>, EngineError> {
        match (&self.conn, node) {
            (RedisConn::Cluster(c), Some((host, port))) => {
                let route = SingleNodeRoutingInfo::ByAddress { host: host.clone(), port: *port };
                c.clone().route_pipeline(pipe.clone(), 0, count, route).await.map_err(|e| self.error(e))
            }
            _ => self.pipeline(pipe).await,
        }
    }

    /// Keys in the database: DBSIZE, summed over every master of a cluster.
    pub async fn db_size(&self) -> Result<i64, EngineError> {
        match &self.conn {
            RedisConn::Cluster(c) => {
                let route = RoutingInfo::MultiNode((
                    MultipleNodeRoutingInfo::AllMasters,
                    Some(ResponsePolicy::Aggregate(AggregateOp::Sum)),
                ));
                let value = c.clone().route_command(redis::cmd("DBSIZE"), route).await.map_err(|e| self.error(e))?;
                redis::from_redis_value(value).map_err(|e| map_error(e.into()))
            }
            RedisConn::Single(_) => self.query(&redis::cmd("DBSIZE")).await,
        }
    }

    /// INFO text of one node: the server itself, or a cluster's first master (a cluster client
    /// would otherwise fan INFO out to every node).
    pub async fn info_text(&self, section: &str) -> Result<String, EngineError> {
        let masters = self.masters().await?;
        let node = masters.as_ref().and_then(|m| m.first());
        self.query_on(node, redis::cmd("INFO").arg(section)).await
    }

    /// Runs a pipeline (atomic when built with `.atomic()`).
    pub async fn pipeline<T: redis::FromRedisValue>(&self, pipe: &redis::Pipeline) -> Result<T, EngineError> {
        match &self.conn {
            RedisConn::Single(c) => pipe.query_async(&mut c.clone()).await,
            RedisConn::Cluster(c) => pipe.query_async(&mut c.clone()).await,
        }
        .map_err(|e| self.error(e))
    }

    /// Runs a Lua script (EVALSHA, loading it on NOSCRIPT).
    pub async fn invoke<T: redis::FromRedisValue>(
        &self,
        script: &redis::ScriptInvocation<'_>,
    ) -> Result<T, EngineError> {
        match &self.conn {
            RedisConn::Single(c) => script.invoke_async(&mut c.clone()).await,
            RedisConn::Cluster(c) => script.invoke_async(&mut c.clone()).await,
        }
        .map_err(|e| self.error(e))
    }

    /// Measures one PING round trip.
    pub async fn ping(&self) -> Result<Duration, EngineError> {
        let started = Instant::now();
        let _: String = self.query(&redis::cmd("PING")).await?;
        Ok(started.elapsed())
    }

    /// Version, mode, role and memory use from INFO.
    pub async fn facts(&self, settings: &ConnectionSettings) -> Result<ProbeFacts, EngineError> {
        let info: redis::InfoDict = redis::InfoDict::new(&self.info_text("default").await?);
        let text = |key: &str| info.get::<String>(key).unwrap_or_default();
        let sentinel = settings.options.get::<RedisOptions>().is_some_and(|o| o.sentinel.is_some());
        let mode = if sentinel { "sentinel".to_string() } else { text("redis_mode") };
        let mut details = Map::new();
        details.insert("mode".into(), json!(if mode.is_empty() { "standalone".to_string() } else { mode }));
        details.insert("memory_used".into(), json!(text("used_memory_human")));
        details.insert("role".into(), json!(text("role")));
        Ok(ProbeFacts { version: text("redis_version"), details })
    }
}
