//! Throwaway backend processes for tests: redis-server, PostgreSQL, the MongoDB-wire server
//! `nx-27017` and MariaDB, each on a free port in its own temporary directory, stopped when dropped.
//! [`Backend`] is what they have in common, so one test can run against every engine.
//! See docs/dev-notes-backends.md for why each command line looks the way it does.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A throwaway server of one engine, seen the way the API sees it.
pub trait Backend {
    /// The engine's segment in API paths: `/api/platform/{engine}/{ref}/connections`.
    fn engine(&self) -> &'static str;
    /// The connection body fields that reach this server: host, port and what else the engine needs.
    fn fields(&self) -> Value;
    /// Stops the server; its port and data stay for [`Backend::restart`].
    fn kill(&mut self);
    /// Starts it again on the same port and data.
    fn restart(&mut self);
    /// The server's process id, while it runs.
    fn pid(&self) -> Option<u32>;
    /// Freezes the server and every process it started (SIGSTOP): it still accepts TCP
    /// connections, since the kernel completes the handshake, but never answers.
    fn pause(&self) {
        if let Some(pid) = self.pid() {
            signal_tree(pid, "-STOP");
        }
    }
    /// Thaws a [`Backend::pause`]d server (SIGCONT).
    fn resume(&self) {
        if let Some(pid) = self.pid() {
            signal_tree(pid, "-CONT");
        }
    }
}

/// Sends `signal` to `pid` and to every process descended from it (PostgreSQL serves each session
/// from a child of the postmaster, so freezing only the postmaster would leave sessions answering).
pub fn signal_tree(pid: u32, signal: &str) {
    let mut pids = vec![pid];
    let mut i = 0;
    while i < pids.len() {
        pids.extend(children(pids[i]));
        i += 1;
    }
    let list: Vec<String> = pids.iter().map(u32::to_string).collect();
    let _ = Command::new("kill").arg(signal).args(&list).status();
}

/// The processes whose parent is `pid` (from /proc).
fn children(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            // The fields after the command name (which may hold spaces) start with the state, then the ppid.
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
            let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            rest.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()) == Some(pid)
        })
        .collect()
}

/// A server of every engine, started: what suites that read the route table (schemathesis) save
/// a connection to. A new engine's backend is added here once.
pub fn every_backend() -> Vec<Box<dyn Backend>> {
    vec![
        Box::new(Redis::start(None)),
        Box::new(Postgres::start()),
        Box::new(Mongo::start()),
        Box::new(MariaDb::start()),
    ]
}

/// Ports come from 20000-32767 (below the ephemeral range, where a readiness probe could
/// connect to itself), starting at an offset from the pid so parallel test processes rarely meet.
pub fn free_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let _ =
        NEXT.compare_exchange(0, 20000 + (std::process::id() % 120) as u16 * 100, Ordering::SeqCst, Ordering::SeqCst);
    loop {
        let mut port = NEXT.fetch_add(1, Ordering::SeqCst);
        if port >= 32700 {
            NEXT.store(20000, Ordering::SeqCst);
            port = 20000;
        }
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn wait_until(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if ready() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{what} did not become ready within {timeout:?}");
}

fn stop(child: &mut Child, signal: &str) {
    // A frozen server (Backend::pause) handles no signal but SIGKILL: thaw it first.
    signal_tree(child.id(), "-CONT");
    let _ = Command::new("kill").args([signal, &child.id().to_string()]).status();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A temporary directory that the `postgres` user can also enter.
pub fn shared_tempdir(prefix: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix(prefix).tempdir_in("/tmp").expect("temp dir");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711)).expect("chmod temp dir");
    }
    dir
}

/// A redis-server.
pub struct Redis {
    /// Its port.
    pub port: u16,
    password: Option<String>,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Redis {
    /// Starts a server, with `requirepass` when a password is given.
    pub fn start(password: Option<&str>) -> Self {
        let dir = shared_tempdir("sb-redis-");
        let mut redis = Redis { port: free_port(), password: password.map(str::to_string), dir, child: None };
        redis.spawn();
        redis
    }

    fn spawn(&mut self) {
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(self.dir.path().join("redis.log"));
        if let Some(p) = &self.password {
            cmd.args(["--requirepass", p]);
        }
        let child =
            cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start redis-server (is it installed?)");
        self.child = Some(child);
        let port = self.port;
        let password = self.password.clone();
        wait_until("redis-server", Duration::from_secs(60), || redis_ping(port, password.as_deref()));
    }

    /// Runs one command with redis-cli and returns its output.
    pub fn cli(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("redis-cli");
        cmd.args(["-p", &self.port.to_string()]);
        if let Some(p) = &self.password {
            cmd.env("REDISCLI_AUTH", p);
        }
        let out = cmd.args(args).output().expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Stops the server (the port stays reserved for a restart).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child, "-KILL");
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

fn redis_ping(port: u16, password: Option<&str>) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let command = match password {
        Some(p) => format!("AUTH {p}\r\nPING\r\n"),
        None => "PING\r\n".to_string(),
    };
    if stream.write_all(command.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    let mut got = String::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(500) {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
        if got.contains("PONG") {
            return true;
        }
    }
    false
}

impl Backend for Redis {
    fn engine(&self) -> &'static str {
        "redis"
    }

    fn fields(&self) -> Value {
        let mut fields = json!({"host": "127.0.0.1", "port": self.port});
        if let Some(p) = &self.password {
            fields["password"] = json!(p);
        }
        fields
    }

    fn kill(&mut self) {
        Redis::kill(self);
    }

    fn restart(&mut self) {
        Redis::restart(self);
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn pg_bin() -> PathBuf {
    if let Ok(dir) = std::env::var("SWITCHBOARD_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).filter(|p| p.join("initdb").exists()).collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions.pop().expect("PostgreSQL server binaries not found: run scripts/install-deps.sh")
}

fn postgres_ids() -> Option<(u32, u32)> {
    let uid = Command::new("id").args(["-u", "postgres"]).output().ok()?;
    let gid = Command::new("id").args(["-g", "postgres"]).output().ok()?;
    Some((
        String::from_utf8_lossy(&uid.stdout).trim().parse().ok()?,
        String::from_utf8_lossy(&gid.stdout).trim().parse().ok()?,
    ))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// The password [`Backend::fields`] sends to PostgreSQL (ignored by its trust authentication).
pub const POSTGRES_PASSWORD: &str = "sb-secret-pg-trust-password";

/// A PostgreSQL server with trust authentication; user `postgres`, database `postgres`.
pub struct Postgres {
    /// Its port.
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    bin: PathBuf,
    ids: Option<(u32, u32)>,
    tls: bool,
}

impl Postgres {
    /// Runs initdb and starts the server (as the `postgres` user when we are root).
    pub fn start() -> Self {
        let dir = shared_tempdir("sb-pg-");
        let data = dir.path().join("data");
        let bin = pg_bin();
        let ids = if is_root() {
            Some(postgres_ids().expect("user postgres must exist to run PostgreSQL as root"))
        } else {
            None
        };
        if let Some((uid, gid)) = ids {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown pg dir");
        }
        let mut pg = Postgres { port: free_port(), dir, child: None, bin, ids, tls: false };
        let status = pg
            .command("initdb")
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "-D"])
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run initdb");
        assert!(status.success(), "initdb failed");
        pg.spawn();
        pg
    }

    /// Starts a server that also accepts TLS, with a certificate for 127.0.0.1 signed by a fresh
    /// authority; returns the server and that authority's PEM.
    pub fn start_tls() -> (Self, String) {
        let mut pg = Self::start();
        let d = pg.dir.path().to_path_buf();
        let openssl = |args: &[&str]| {
            let ok =
                Command::new("openssl").args(args).current_dir(&d).stdout(Stdio::null()).stderr(Stdio::null()).status();
            assert!(ok.map(|s| s.success()).unwrap_or(false), "openssl {args:?} failed");
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-subj",
            "/CN=switchboard-test-ca",
            "-days",
            "2",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        std::fs::write(d.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(d.join("server.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        if let Some((uid, gid)) = pg.ids {
            for f in ["server.key", "server.crt"] {
                std::os::unix::fs::chown(d.join(f), Some(uid), Some(gid)).unwrap();
            }
        }
        pg.tls = true;
        if let Some(mut child) = pg.child.take() {
            stop(&mut child, "-INT");
        }
        pg.spawn();
        let ca = std::fs::read_to_string(d.join("ca.crt")).unwrap();
        (pg, ca)
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.current_dir(self.dir.path()).env_remove("PGHOST").env_remove("PGPORT").env_remove("PGUSER");
        if let Some((uid, gid)) = self.ids {
            use std::os::unix::process::CommandExt;
            cmd.uid(uid).gid(gid);
        }
        cmd
    }

    fn spawn(&mut self) {
        let log_path = self.dir.path().join("postgres.log");
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&log_path).expect("log file");
        if let Some((uid, gid)) = self.ids {
            let _ = std::os::unix::fs::chown(&log_path, Some(uid), Some(gid));
        }
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-p", &self.port.to_string(), "-h", "127.0.0.1", "-F"])
            .arg("-k")
            .arg(self.dir.path())
            .args(["-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
            // The benchmark opens a pool per connection for 70 connections besides its own pool of 32.
            .args(["-c", "max_connections=300"])
            // Loaded as on most managed services, so query statistics can be tested.
            .args(["-c", "shared_preload_libraries=pg_stat_statements"])
            .args(if self.tls {
                vec![
                    "-c".to_string(),
                    "ssl=on".to_string(),
                    "-c".to_string(),
                    format!("ssl_cert_file={}", self.dir.path().join("server.crt").display()),
                    "-c".to_string(),
                    format!("ssl_key_file={}", self.dir.path().join("server.key").display()),
                ]
            } else {
                Vec::new()
            })
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start postgres");
        self.child = Some(child);
        let ready_bin = self.bin.join("pg_isready");
        let port = self.port;
        wait_until("postgres", Duration::from_secs(60), || {
            Command::new(&ready_bin)
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres", "-d", "postgres"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        });
    }

    /// Stops the server (fast shutdown); the port and data stay for a restart.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child, "-INT");
        }
    }

    /// Stops the server (fast shutdown) and starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// URL of database `db` as user postgres.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Runs SQL with psql and returns its unaligned output.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new("psql")
            .args([
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                db,
                "-c",
                sql,
            ])
            .output()
            .expect("psql");
        assert!(out.status.success(), "psql failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Its data directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Backend for Postgres {
    fn engine(&self) -> &'static str {
        "postgres"
    }

    /// Trust authentication accepts any password; one is sent anyway so tests can check that it
    /// never comes back.
    fn fields(&self) -> Value {
        json!({"host": "127.0.0.1", "port": self.port, "database_name": "postgres", "username": "postgres",
               "password": POSTGRES_PASSWORD})
    }

    fn kill(&mut self) {
        Postgres::kill(self);
    }

    fn restart(&mut self) {
        Postgres::restart(self);
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGINT is the fast shutdown; SIGTERM would wait for every client to leave.
            stop(&mut child, "-INT");
        }
    }
}

fn nx_binary() -> PathBuf {
    if let Ok(p) = std::env::var("SWITCHBOARD_NX27017") {
        return PathBuf::from(p);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let venv = std::env::var("SWITCHBOARD_TEST_VENV").unwrap_or_else(|_| format!("{home}/.cache/switchboard/venv"));
    PathBuf::from(venv).join("bin/nx-27017")
}

/// The MongoDB-wire test server.
pub struct Mongo {
    /// Its port.
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Mongo {
    /// Starts one instance with its own data dir and pid file.
    pub fn start() -> Self {
        let mut mongo = Mongo { port: free_port(), dir: shared_tempdir("sb-mongo-"), child: None };
        mongo.spawn();
        mongo
    }

    fn spawn(&mut self) {
        let d = self.dir.path();
        let child = Command::new(nx_binary())
            .arg("--data-dir")
            .arg(d.join("data"))
            .arg("--pid-file")
            .arg(d.join("nx.pid"))
            .arg("--log-file")
            .arg(d.join("nx.log"))
            .args(["-p", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nx-27017 (run scripts/install-deps.sh)");
        self.child = Some(child);
        let port = self.port;
        wait_until("nx-27017", Duration::from_secs(60), || TcpStream::connect(("127.0.0.1", port)).is_ok());
    }

    /// Stops the server.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child, "-TERM");
        }
        let _ = std::fs::remove_file(self.dir.path().join("nx.pid"));
    }

    /// Starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Backend for Mongo {
    fn engine(&self) -> &'static str {
        "mongodb"
    }

    fn fields(&self) -> Value {
        json!({"host": "127.0.0.1", "port": self.port, "database_name": "app"})
    }

    fn kill(&mut self) {
        Mongo::kill(self);
    }

    fn restart(&mut self) {
        Mongo::restart(self);
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for Mongo {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Three redis-server masters in cluster mode, slots split evenly, no replicas.
pub struct RedisCluster {
    /// Data ports of the masters.
    pub ports: Vec<u16>,
    dir: tempfile::TempDir,
    children: Vec<Child>,
}

impl RedisCluster {
    /// Starts three nodes, assigns slots with ADDSLOTSRANGE, joins them with MEET and waits for
    /// `cluster_state:ok` everywhere.
    pub fn start() -> Self {
        let dir = shared_tempdir("sb-cluster-");
        let mut cluster = RedisCluster { ports: Vec::new(), dir, children: Vec::new() };
        let mut buses = Vec::new();
        for i in 0..3 {
            let port = free_port();
            // An explicit bus port keeps it in our low range (the default is port + 10000).
            let bus = free_port();
            let node_dir = cluster.dir.path().join(format!("n{i}"));
            std::fs::create_dir_all(&node_dir).unwrap();
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .args([
                    "--cluster-enabled",
                    "yes",
                    "--cluster-port",
                    &bus.to_string(),
                    "--cluster-node-timeout",
                    "2000",
                ])
                .arg("--cluster-config-file")
                .arg(node_dir.join("nodes.conf"))
                .arg("--dir")
                .arg(&node_dir)
                .arg("--logfile")
                .arg(node_dir.join("redis.log"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start a cluster node");
            cluster.children.push(child);
            cluster.ports.push(port);
            buses.push(bus);
            wait_until("cluster node", Duration::from_secs(60), || redis_ping(port, None));
        }
        let ranges = [(0, 5460), (5461, 10922), (10923, 16383)];
        for (port, (from, to)) in cluster.ports.iter().zip(ranges) {
            cli(*port, &["CLUSTER", "ADDSLOTSRANGE", &from.to_string(), &to.to_string()]);
        }
        // MEET needs the bus port too, since it is not the default port + 10000.
        for (port, bus) in cluster.ports[1..].iter().zip(&buses[1..]) {
            cli(cluster.ports[0], &["CLUSTER", "MEET", "127.0.0.1", &port.to_string(), &bus.to_string()]);
        }
        let ports = cluster.ports.clone();
        wait_until("cluster_state:ok", Duration::from_secs(30), || {
            ports.iter().all(|p| cli(*p, &["CLUSTER", "INFO"]).contains("cluster_state:ok"))
        });
        cluster
    }
}

fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli").args(["-p", &port.to_string()]).args(args).output().expect("redis-cli");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            stop(child, "-KILL");
        }
    }
}

/// A redis-sentinel watching one master as `mymaster`.
pub struct Sentinel {
    /// The sentinel's port.
    pub port: u16,
    _dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Sentinel {
    /// Starts a sentinel (quorum 1) for the master on `master_port`.
    pub fn start(master_port: u16) -> Self {
        Self::start_for("127.0.0.1", master_port)
    }

    /// Starts a sentinel that announces `master_host:master_port` as the master.
    pub fn start_for(master_host: &str, master_port: u16) -> Self {
        let dir = shared_tempdir("sb-sentinel-");
        let port = free_port();
        let conf = dir.path().join("sentinel.conf");
        std::fs::write(
            &conf,
            format!(
                "port {port}\nbind 127.0.0.1\ndir {d}\nlogfile {d}/sentinel.log\nsentinel monitor mymaster {master_host} {master_port} 1\n\
                 sentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 5000\n",
                d = dir.path().display()
            ),
        )
        .unwrap();
        let child = Command::new("redis-server")
            .arg(&conf)
            .arg("--sentinel")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-sentinel");
        wait_until("sentinel", Duration::from_secs(60), || redis_ping(port, None));
        Sentinel { port, _dir: dir, child: Some(child) }
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child, "-KILL");
        }
    }
}

/// The TCP login every [`MariaDb`] creates, with all privileges.
pub const MARIADB_USER: &str = "switchboard";
/// Its password.
pub const MARIADB_PASSWORD: &str = "sb-secret-mariadb-password";
/// The database every [`MariaDb`] creates.
pub const MARIADB_DATABASE: &str = "app";

/// A MariaDB server (Debian's `mariadb-server`) with the login [`MARIADB_USER`] and the database
/// [`MARIADB_DATABASE`]; socket, pid file and log live in its temporary directory.
pub struct MariaDb {
    /// Its port.
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    as_root: bool,
}

impl MariaDb {
    /// Runs `mariadb-install-db` and starts the server.
    pub fn start() -> Self {
        let dir = shared_tempdir("sb-maria-");
        let mut db = MariaDb { port: free_port(), dir, child: None, as_root: is_root() };
        let d = db.dir.path();
        let log_path = d.join("install.log");
        let log = std::fs::File::create(&log_path).expect("install log");
        let mut install = Command::new("mariadb-install-db");
        // --no-defaults must come first; it keeps the system's my.cnf (port 3306, its datadir) out.
        install.arg("--no-defaults").arg(format!("--datadir={}", d.join("data").display()));
        install.args(["--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"]);
        // Its own temporary folder: two installs at once in /tmp pick the same temporary table
        // names and one of them fails ("Unknown table 'mysql.tmp_user_sys'").
        let tmp = d.join("tmp");
        std::fs::create_dir_all(&tmp).expect("MariaDB tmpdir");
        install.arg(format!("--tmpdir={}", tmp.display()));
        if db.as_root {
            install.arg("--user=root");
        }
        let status = install
            .current_dir(d)
            .stdout(log.try_clone().expect("install log"))
            .stderr(log)
            .status()
            .expect("run mariadb-install-db (run scripts/install-deps.sh)");
        assert!(status.success(), "mariadb-install-db failed:\n{}", super::read_lossy(&log_path));
        // Runs at every start, hence IF NOT EXISTS: a restart keeps what the tests changed.
        let init = format!(
            "CREATE DATABASE IF NOT EXISTS `{MARIADB_DATABASE}`;\n\
             CREATE USER IF NOT EXISTS '{MARIADB_USER}'@'%' IDENTIFIED BY '{MARIADB_PASSWORD}';\n\
             GRANT ALL PRIVILEGES ON *.* TO '{MARIADB_USER}'@'%' WITH GRANT OPTION;\n"
        );
        std::fs::write(d.join("init.sql"), init).expect("write init.sql");
        db.spawn();
        db
    }

    fn spawn(&mut self) {
        let d = self.dir.path();
        let path = |name: &str| d.join(name).display().to_string();
        let mut cmd = Command::new("mariadbd");
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", path("data")))
            .args(["--bind-address=127.0.0.1", &format!("--port={}", self.port)])
            .arg(format!("--socket={}", path("mysqld.sock")))
            .arg(format!("--pid-file={}", path("mysqld.pid")))
            .arg(format!("--log-error={}", path("mysqld.log")))
            .arg(format!("--init-file={}", path("init.sql")))
            .arg(format!("--tmpdir={}", path("tmp")))
            .arg("--skip-name-resolve")
            // Commits reach the OS at once but are not fsynced: they survive a killed server.
            .arg("--innodb-flush-log-at-trx-commit=2")
            .arg("--innodb-buffer-pool-size=32M");
        if self.as_root {
            cmd.arg("--user=root");
        }
        let child = cmd
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mariadbd (run scripts/install-deps.sh)");
        // Held by self before waiting, so Drop stops it if the wait panics.
        self.child = Some(child);
        let port = self.port;
        let log_path = d.join("mysqld.log");
        let child = &mut self.child;
        // Ready when our login works: the init file has run by then.
        wait_until("mariadbd", Duration::from_secs(60), || {
            if let Some(Ok(Some(status))) = child.as_mut().map(Child::try_wait) {
                panic!("mariadbd exited with {status}:\n{}", super::read_lossy(&log_path));
            }
            TcpStream::connect(("127.0.0.1", port)).is_ok()
                && mariadb_client(port).args(["-e", "SELECT 1"]).output().is_ok_and(|o| o.status.success())
        });
    }

    /// Runs SQL in database `db` with the `mariadb` client over TCP; returns its tab-separated
    /// output without column names.
    pub fn sql(&self, db: &str, sql: &str) -> String {
        let out = mariadb_client(self.port).arg("-e").arg(sql).arg(db).output().expect("mariadb client");
        assert!(out.status.success(), "mariadb failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Kills the server (SIGKILL, like a crash); the port and data stay for a restart.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child, "-KILL");
        }
    }

    /// Stops the server cleanly (if it runs) and starts it again on the same port and data.
    pub fn restart(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child, "-TERM");
        }
        self.spawn();
    }

    /// Its temporary directory (data, socket, pid file, logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// The `mariadb` client as [`MARIADB_USER`] on 127.0.0.1:`port`, batch mode without column names.
fn mariadb_client(port: u16) -> Command {
    let mut cmd = Command::new("mariadb");
    // MYSQL_PWD keeps the password off the command line (and its warning off stderr).
    cmd.arg("--no-defaults")
        .args(["--protocol=TCP", "-h", "127.0.0.1", "-P", &port.to_string(), "-u", MARIADB_USER, "-N", "-B"])
        .env("MYSQL_PWD", MARIADB_PASSWORD)
        .env_remove("MYSQL_HOST")
        .env_remove("MYSQL_TCP_PORT")
        .env_remove("MYSQL_UNIX_PORT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

impl Backend for MariaDb {
    fn engine(&self) -> &'static str {
        "mysql"
    }

    fn fields(&self) -> Value {
        json!({"host": "127.0.0.1", "port": self.port, "database_name": MARIADB_DATABASE,
               "username": MARIADB_USER, "password": MARIADB_PASSWORD})
    }

    fn kill(&mut self) {
        MariaDb::kill(self);
    }

    fn restart(&mut self) {
        MariaDb::restart(self);
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child, "-TERM");
        }
    }
}
