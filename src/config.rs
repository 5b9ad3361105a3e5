//! Configuration: command-line flags, each with a `SWITCHBOARD_*` environment variable, over an
//! optional TOML file, over defaults. Secrets come from the environment or, when absent, from files
//! generated in the data dir on first start. Everything is validated here so start-up fails fast with
//! one line saying what to fix.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::crypto::{generate_key_hex, parse_key_hex};

/// Command line of the `switchboard` binary.
#[derive(Debug, Parser)]
#[command(
    name = "switchboard",
    version,
    about = "One server and one console for your PostgreSQL, Redis and MongoDB databases"
)]
pub struct Cli {
    /// Optional TOML file with the same settings as the flags (flags and environment win).
    #[arg(long, global = true, env = "SWITCHBOARD_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (applies migrations first).
    Serve(Box<ServeArgs>),
    /// Apply pending platform-store migrations and exit.
    Migrate(StoreArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage encryption and signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}

/// Where the platform store lives.
#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// Directory for the SQLite store and generated keys [default: ./data].
    #[arg(long, env = "SWITCHBOARD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Platform database URL: `sqlite://FILE` or `postgres://…` [default: sqlite in the data dir].
    #[arg(long, env = "SWITCHBOARD_PLATFORM_DB", hide_env_values = true)]
    pub platform_db: Option<String>,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

/// Flags of `serve`.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Store location.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "SWITCHBOARD_LISTEN")]
    pub listen: Option<String>,
    /// Log format [default: text].
    #[arg(long, env = "SWITCHBOARD_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Largest accepted request body in bytes [default: 1048576].
    #[arg(long, env = "SWITCHBOARD_BODY_LIMIT")]
    pub body_limit: Option<usize>,
    /// Largest accepted import upload in bytes, read as a stream [default: 1073741824].
    #[arg(long, env = "SWITCHBOARD_IMPORT_LIMIT")]
    pub import_limit: Option<u64>,
    /// SQL statements one user may run at once on one connection; more answer 429 [default: 4].
    #[arg(long, env = "SWITCHBOARD_SQL_PER_USER")]
    pub sql_per_user: Option<usize>,
    /// Keys one Redis key-listing request may examine while it fills its page [default: 200000].
    #[arg(long, env = "SWITCHBOARD_REDIS_SCAN_KEYS")]
    pub redis_scan_keys: Option<usize>,
    /// Milliseconds one Redis key-listing request may spend filling its page [default: 1000].
    #[arg(long, env = "SWITCHBOARD_REDIS_SCAN_MS")]
    pub redis_scan_ms: Option<u64>,
    /// Sustained requests per second allowed per user (per IP when anonymous) [default: 50].
    #[arg(long, env = "SWITCHBOARD_RATE_LIMIT_PER_SECOND")]
    pub rate_limit_per_second: Option<u32>,
    /// Burst allowed above the sustained rate [default: 200].
    #[arg(long, env = "SWITCHBOARD_RATE_LIMIT_BURST")]
    pub rate_limit_burst: Option<u32>,
    /// Sign-in attempts allowed per minute for one account, and again for one address [default: 10].
    #[arg(long, env = "SWITCHBOARD_SIGNIN_PER_MINUTE")]
    pub signin_per_minute: Option<u32>,
    /// `redis://…` (or `rediss://…`) where replicas share their request rate limits; without it
    /// each replica limits on its own.
    #[arg(long, env = "SWITCHBOARD_RATE_LIMIT_REDIS", hide_env_values = true)]
    pub rate_limit_redis: Option<String>,
    /// Comma-separated address ranges connections may not reach, besides the built-in denials
    /// (link-local/cloud metadata, multicast, broadcast).
    #[arg(long, env = "SWITCHBOARD_NETWORK_DENY")]
    pub network_deny: Option<String>,
    /// Comma-separated address ranges connections may reach; empty allows everything not denied.
    #[arg(long, env = "SWITCHBOARD_NETWORK_ALLOW")]
    pub network_allow: Option<String>,
    /// Access token lifetime in seconds [default: 3600].
    #[arg(long, env = "SWITCHBOARD_TOKEN_TTL_SECS")]
    pub token_ttl_secs: Option<u64>,
    /// Seconds an unused database client stays open [default: 300].
    #[arg(long, env = "SWITCHBOARD_POOL_IDLE_SECS")]
    pub pool_idle_secs: Option<u64>,
    /// Seconds a stopping server (SIGTERM, SIGINT) waits for requests and streams in flight
    /// before it closes them [default: 30].
    #[arg(long, env = "SWITCHBOARD_DRAIN_TIMEOUT_SECS")]
    pub drain_timeout_secs: Option<u64>,
    /// Seconds between health checks of every connection; 0 turns them off [default: 30].
    #[arg(long, env = "SWITCHBOARD_HEALTH_CHECK_SECS")]
    pub health_check_secs: Option<u64>,
    /// Connections the health check pings at once [default: 4].
    #[arg(long, env = "SWITCHBOARD_HEALTH_CHECK_CONCURRENCY")]
    pub health_check_concurrency: Option<usize>,
    /// Background jobs running at once on this server [default: 8].
    #[arg(long, env = "SWITCHBOARD_JOBS_PER_SERVER")]
    pub jobs_per_server: Option<usize>,
    /// Background jobs of one project running at once on this server [default: 2].
    #[arg(long, env = "SWITCHBOARD_JOBS_PER_PROJECT")]
    pub jobs_per_project: Option<usize>,
    /// Seconds an ended job and its result stay readable [default: 86400].
    #[arg(long, env = "SWITCHBOARD_JOB_RETENTION_SECS")]
    pub job_retention_secs: Option<u64>,
    /// Seconds a console session lasts without use; each use moves it on [default: 43200].
    #[arg(long, env = "SWITCHBOARD_SESSION_IDLE_SECS")]
    pub session_idle_secs: Option<u64>,
    /// Seconds a console session lasts at most, however much it is used [default: 604800].
    #[arg(long, env = "SWITCHBOARD_SESSION_MAX_SECS")]
    pub session_max_secs: Option<u64>,
    /// Seconds between two writes of a session's last use [default: 60].
    #[arg(long, env = "SWITCHBOARD_SESSION_TOUCH_SECS")]
    pub session_touch_secs: Option<u64>,
    /// Mark the session cookie `Secure` (set it when the console is served over HTTPS, directly
    /// or behind a TLS-terminating proxy) [default: false].
    #[arg(long, env = "SWITCHBOARD_SECURE_COOKIES")]
    pub secure_cookies: Option<bool>,
}

/// `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input.
    Create {
        /// Store location.
        #[command(flatten)]
        store: StoreArgs,
        /// E-mail to sign in with.
        #[arg(long)]
        email: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Make the user a superuser owning a `default` organization and project (created if missing).
        #[arg(long)]
        superuser: bool,
    },
}

/// `keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a fresh encryption key and JWT secret as environment lines.
    Generate,
    /// Re-encrypt every stored secret with SWITCHBOARD_ENCRYPTION_KEY, reading the old values with
    /// SWITCHBOARD_PREVIOUS_ENCRYPTION_KEYS. Safe to interrupt and run again.
    Rotate {
        /// Store location.
        #[command(flatten)]
        store: StoreArgs,
        /// Stop after this many connections (the rest stay readable with the old key).
        #[arg(long)]
        limit: Option<u64>,
    },
}

/// The optional TOML file: same names as the long flags, with underscores.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    data_dir: Option<PathBuf>,
    platform_db: Option<String>,
    listen: Option<String>,
    log_format: Option<LogFormat>,
    body_limit: Option<usize>,
    import_limit: Option<u64>,
    sql_per_user: Option<usize>,
    redis_scan_keys: Option<usize>,
    redis_scan_ms: Option<u64>,
    rate_limit_per_second: Option<u32>,
    rate_limit_burst: Option<u32>,
    signin_per_minute: Option<u32>,
    rate_limit_redis: Option<String>,
    network_deny: Option<String>,
    network_allow: Option<String>,
    token_ttl_secs: Option<u64>,
    pool_idle_secs: Option<u64>,
    drain_timeout_secs: Option<u64>,
    health_check_secs: Option<u64>,
    health_check_concurrency: Option<usize>,
    jobs_per_server: Option<usize>,
    jobs_per_project: Option<usize>,
    job_retention_secs: Option<u64>,
    session_idle_secs: Option<u64>,
    session_max_secs: Option<u64>,
    session_touch_secs: Option<u64>,
    secure_cookies: Option<bool>,
}

impl FileConfig {
    /// Reads the file named by `--config`, or nothing.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else { return Ok(Self::default()) };
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("config file {} is invalid", path.display()))
    }
}

/// Per-client request rate limits.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: u32,
    /// Burst size.
    pub burst: u32,
    /// Sign-in attempts per minute per account and per address.
    pub signin_per_minute: u32,
}

/// Where replicas share request rate limits (a URL that may hold a password: never log it).
#[derive(Clone)]
pub struct SharedLimitsUrl(pub SecretString);

impl std::fmt::Debug for SharedLimitsUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Resolved store settings.
#[derive(Clone)]
pub struct StoreConfig {
    /// Data directory.
    pub data_dir: PathBuf,
    /// Platform database URL (may hold a password: never log it).
    pub platform_db: SecretString,
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig").field("data_dir", &self.data_dir).field("platform_db", &"[redacted]").finish()
    }
}

impl StoreConfig {
    /// Resolves flags/env over the file over defaults.
    pub fn resolve(args: &StoreArgs, file: &FileConfig) -> anyhow::Result<Self> {
        let data_dir =
            args.data_dir.clone().or_else(|| file.data_dir.clone()).unwrap_or_else(|| PathBuf::from("./data"));
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("cannot create data dir {}: choose a writable --data-dir", data_dir.display()))?;
        let platform_db = match args.platform_db.clone().or_else(|| file.platform_db.clone()) {
            Some(url) => url,
            None => format!("sqlite://{}", data_dir.join("switchboard.db").display()),
        };
        if !(platform_db.starts_with("sqlite:")
            || platform_db.starts_with("postgres://")
            || platform_db.starts_with("postgresql://"))
        {
            bail!("SWITCHBOARD_PLATFORM_DB must start with sqlite:// or postgres://");
        }
        Ok(Self { data_dir, platform_db: SecretString::from(platform_db) })
    }

    /// Whether the store is the embedded SQLite file.
    pub fn is_sqlite(&self) -> bool {
        self.platform_db.expose_secret().starts_with("sqlite:")
    }
}

/// Resolved settings of `serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Store location.
    pub store: StoreConfig,
    /// Listen address.
    pub listen: SocketAddr,
    /// Log format.
    pub log_format: LogFormat,
    /// Body size limit.
    pub body_limit: usize,
    /// Import upload size limit.
    pub import_limit: u64,
    /// SQL statements one user may run at once on one connection.
    pub sql_per_user: usize,
    /// What one Redis key-listing request may examine.
    pub redis_scan: crate::engines::redis::keys::ScanBudget,
    /// Rate limits.
    pub rate_limit: RateLimit,
    /// Redis shared by replicas for request rate limits, if configured.
    pub rate_limit_redis: Option<SharedLimitsUrl>,
    /// Token lifetime.
    pub token_ttl: Duration,
    /// Pool idle time.
    pub pool_idle: Duration,
    /// How long a stopping server waits for requests and streams in flight.
    pub drain_timeout: Duration,
    /// The periodic connection health check.
    pub health_check: crate::connection_health::HealthCheckConfig,
    /// Background job limits and retention.
    pub jobs: crate::jobs::JobLimits,
    /// Extra denied address ranges.
    pub network_deny: String,
    /// Allowed address ranges (empty: all not denied).
    pub network_allow: String,
    /// Console session lifetimes and cookie.
    pub sessions: SessionSettings,
}

/// How long console sessions last, and how their cookie is marked.
#[derive(Debug, Clone, Copy)]
pub struct SessionSettings {
    /// Ends a session unused this long.
    pub idle: Duration,
    /// Ends any session this long after sign-in.
    pub max: Duration,
    /// A use is written to the store at most this often.
    pub touch: Duration,
    /// The cookie carries `Secure`.
    pub secure_cookie: bool,
}

impl SessionSettings {
    fn resolve(args: &ServeArgs, file: &FileConfig) -> anyhow::Result<Self> {
        let idle = args.session_idle_secs.or(file.session_idle_secs).unwrap_or(12 * 3600);
        let max = args.session_max_secs.or(file.session_max_secs).unwrap_or(7 * 86_400);
        if idle < 60 || max < idle || max > 400 * 86_400 {
            bail!("SWITCHBOARD_SESSION_IDLE_SECS must be at least 60 and at most SWITCHBOARD_SESSION_MAX_SECS (at most 400 days)");
        }
        Ok(Self {
            idle: Duration::from_secs(idle),
            max: Duration::from_secs(max),
            touch: Duration::from_secs(args.session_touch_secs.or(file.session_touch_secs).unwrap_or(60)),
            secure_cookie: args.secure_cookies.or(file.secure_cookies).unwrap_or(false),
        })
    }
}

impl ServeConfig {
    /// Resolves flags/env over the file over defaults, validating each value.
    pub fn resolve(args: &ServeArgs, file: &FileConfig) -> anyhow::Result<Self> {
        let listen = args.listen.clone().or_else(|| file.listen.clone()).unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen
            .parse()
            .map_err(|_| anyhow::anyhow!("SWITCHBOARD_LISTEN `{listen}` is not an address like 127.0.0.1:8080"))?;
        let per_second = args.rate_limit_per_second.or(file.rate_limit_per_second).unwrap_or(50);
        let burst = args.rate_limit_burst.or(file.rate_limit_burst).unwrap_or(200);
        if per_second == 0 || burst == 0 {
            bail!("SWITCHBOARD_RATE_LIMIT_PER_SECOND and SWITCHBOARD_RATE_LIMIT_BURST must be at least 1");
        }
        let token_ttl_secs = args.token_ttl_secs.or(file.token_ttl_secs).unwrap_or(3600);
        if !(60..=86_400 * 30).contains(&token_ttl_secs) {
            bail!("SWITCHBOARD_TOKEN_TTL_SECS must be between 60 and 2592000");
        }
        Ok(Self {
            store: StoreConfig::resolve(&args.store, file)?,
            listen,
            log_format: args.log_format.or(file.log_format).unwrap_or(LogFormat::Text),
            body_limit: args.body_limit.or(file.body_limit).unwrap_or(1024 * 1024),
            import_limit: args.import_limit.or(file.import_limit).unwrap_or(1 << 30).max(1),
            sql_per_user: args.sql_per_user.or(file.sql_per_user).unwrap_or(4).max(1),
            redis_scan: crate::engines::redis::keys::ScanBudget {
                keys: args.redis_scan_keys.or(file.redis_scan_keys).unwrap_or(200_000).max(1),
                time: std::time::Duration::from_millis(
                    args.redis_scan_ms.or(file.redis_scan_ms).unwrap_or(1000).max(1),
                ),
            },
            rate_limit: RateLimit {
                per_second,
                burst,
                signin_per_minute: args.signin_per_minute.or(file.signin_per_minute).unwrap_or(10).max(1),
            },
            token_ttl: Duration::from_secs(token_ttl_secs),
            pool_idle: Duration::from_secs(args.pool_idle_secs.or(file.pool_idle_secs).unwrap_or(300).max(1)),
            drain_timeout: Duration::from_secs(args.drain_timeout_secs.or(file.drain_timeout_secs).unwrap_or(30)),
            health_check: crate::connection_health::HealthCheckConfig {
                interval: Duration::from_secs(args.health_check_secs.or(file.health_check_secs).unwrap_or(30)),
                concurrency: args.health_check_concurrency.or(file.health_check_concurrency).unwrap_or(4).max(1),
            },
            jobs: crate::jobs::JobLimits {
                per_server: args.jobs_per_server.or(file.jobs_per_server).unwrap_or(8).max(1),
                per_project: args.jobs_per_project.or(file.jobs_per_project).unwrap_or(2).max(1),
                retention: Duration::from_secs(args.job_retention_secs.or(file.job_retention_secs).unwrap_or(86_400)),
            },
            network_deny: args.network_deny.clone().or_else(|| file.network_deny.clone()).unwrap_or_default(),
            network_allow: args.network_allow.clone().or_else(|| file.network_allow.clone()).unwrap_or_default(),
            sessions: SessionSettings::resolve(args, file)?,
            rate_limit_redis: args
                .rate_limit_redis
                .clone()
                .or_else(|| file.rate_limit_redis.clone())
                .filter(|url| !url.is_empty())
                .map(|url| SharedLimitsUrl(SecretString::from(url))),
        })
    }
}

/// The server's secrets.
pub struct Secrets {
    /// Key new values are sealed with.
    pub encryption_key: [u8; 32],
    /// Older keys still accepted for opening (during a rotation).
    pub previous_keys: Vec<[u8; 32]>,
    /// HS256 signing secret.
    pub jwt_secret: SecretString,
}

const ENCRYPTION_KEY_FILE: &str = "encryption.key";
const JWT_SECRET_FILE: &str = "jwt.secret";

/// Takes a secret from the environment, else from its file in the data dir, else generates that file
/// (mode 0600) and says so in the log.
fn secret_from(env: &str, data_dir: &Path, file: &str, generate: fn() -> String) -> anyhow::Result<String> {
    if let Ok(value) = std::env::var(env) {
        return Ok(value);
    }
    let path = data_dir.join(file);
    if path.exists() {
        return std::fs::read_to_string(&path)
            .map(|s| s.trim().to_string())
            .with_context(|| format!("cannot read {}: fix its permissions or set {env}", path.display()));
    }
    let value = generate();
    write_private(&path, &value)
        .with_context(|| format!("cannot write {}: choose a writable --data-dir", path.display()))?;
    tracing::warn!(file = %path.display(), "{env} is not set: generated one into the data dir; back it up");
    Ok(value)
}

fn write_private(path: &Path, value: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(value.as_bytes())?;
    file.write_all(b"\n")
}

impl Secrets {
    /// Loads or generates the secrets for `data_dir`.
    pub fn load(data_dir: &Path) -> anyhow::Result<Self> {
        let key_hex = secret_from("SWITCHBOARD_ENCRYPTION_KEY", data_dir, ENCRYPTION_KEY_FILE, generate_key_hex)?;
        let encryption_key = parse_key_hex(&key_hex)
            .map_err(|_| anyhow::anyhow!("SWITCHBOARD_ENCRYPTION_KEY must be 64 hexadecimal characters (32 bytes)"))?;
        let previous_keys = match std::env::var("SWITCHBOARD_PREVIOUS_ENCRYPTION_KEYS") {
            Ok(list) => list
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|k| {
                    parse_key_hex(k).map_err(|_| {
                        anyhow::anyhow!(
                            "each SWITCHBOARD_PREVIOUS_ENCRYPTION_KEYS entry must be 64 hexadecimal characters"
                        )
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
            Err(_) => Vec::new(),
        };
        let jwt_secret = secret_from("SWITCHBOARD_JWT_SECRET", data_dir, JWT_SECRET_FILE, generate_key_hex)?;
        if jwt_secret.len() < 32 {
            bail!("SWITCHBOARD_JWT_SECRET must be at least 32 characters");
        }
        Ok(Self { encryption_key, previous_keys, jwt_secret: SecretString::from(jwt_secret) })
    }
}

/// The first user, from `SWITCHBOARD_ADMIN_EMAIL` and `SWITCHBOARD_ADMIN_PASSWORD`.
pub fn bootstrap_admin() -> Option<(String, SecretString)> {
    let email = std::env::var("SWITCHBOARD_ADMIN_EMAIL").ok().filter(|s| !s.trim().is_empty())?;
    let password = std::env::var("SWITCHBOARD_ADMIN_PASSWORD").ok().filter(|s| !s.is_empty())?;
    Some((email.trim().to_string(), SecretString::from(password)))
}
