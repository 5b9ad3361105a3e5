//! Test harness: runs the real `switchboard` binary on a free port with its own data dir, against
//! backends the harness starts itself (see `backends`; `Backend` is what every engine's server offers).
#![allow(dead_code, unused_imports)]

pub mod backends;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub use backends::{every_backend, free_port, Backend, MariaDb, Mongo, Postgres, Redis, RedisCluster, Sentinel};

/// The JWT secret every test server uses, so tests can forge tokens.
pub const JWT_SECRET: &str = "test-jwt-secret-0123456789abcdef0123456789abcdef";
/// The bootstrap superuser.
pub const ADMIN_EMAIL: &str = "admin@example.com";
/// Its password.
pub const ADMIN_PASSWORD: &str = "sb-secret-admin-password";

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Registers a value that must never appear in any server log; every [`TestApp`] checks on drop.
pub fn secret(value: &str) -> String {
    SECRETS.lock().unwrap().push(value.to_string());
    value.to_string()
}

/// A running server.
pub struct TestApp {
    /// Base URL, e.g. `http://127.0.0.1:20001`.
    pub base: String,
    /// HTTP client.
    pub http: reqwest::Client,
    dir: tempfile::TempDir,
    child: Option<Child>,
    extra_env: Vec<(String, String)>,
    port: u16,
}

/// Options for starting a server.
#[derive(Default, Clone)]
pub struct AppOptions {
    /// Platform store URL (default: SQLite in the data dir).
    pub platform_db: Option<String>,
    /// More environment variables.
    pub env: Vec<(String, String)>,
}

impl TestApp {
    /// Starts a server with the default SQLite store.
    pub async fn start() -> Self {
        Self::start_with(AppOptions::default()).await
    }

    /// Starts a server with options.
    pub async fn start_with(options: AppOptions) -> Self {
        secret(ADMIN_PASSWORD);
        let dir = tempfile::Builder::new().prefix("sb-app-").tempdir().expect("temp dir");
        let mut env = options.env.clone();
        if let Some(db) = &options.platform_db {
            env.push(("SWITCHBOARD_PLATFORM_DB".into(), db.clone()));
        }
        let mut app = TestApp {
            base: String::new(),
            http: reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap(),
            dir,
            child: None,
            extra_env: env,
            port: free_port(),
        };
        app.base = format!("http://127.0.0.1:{}", app.port);
        app.spawn().await;
        app
    }

    async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.log_path()).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{}", self.port), "--log-format", "json"])
            .arg("--data-dir")
            .arg(self.dir.path().join("data"))
            .env_remove("SWITCHBOARD_PLATFORM_DB")
            .env_remove("SWITCHBOARD_ENCRYPTION_KEY")
            .env("SWITCHBOARD_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("SWITCHBOARD_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("SWITCHBOARD_JWT_SECRET", JWT_SECRET)
            .env("SWITCHBOARD_RATE_LIMIT_PER_SECOND", "10000")
            .env("SWITCHBOARD_RATE_LIMIT_BURST", "10000")
            .env("RUST_LOG", "debug,sqlx=warn,hyper=info,mongodb=info,tokio_postgres=info,rustls=info,h2=info")
            .envs(self.extra_env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        self.child = Some(cmd.spawn().expect("start switchboard"));
        let started = Instant::now();
        loop {
            if let Ok(r) = self.http.get(format!("{}/healthz", self.base)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("switchboard exited with {status}:\n{}", self.log());
            }
            assert!(started.elapsed() < Duration::from_secs(20), "switchboard did not start:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Sets an environment variable for the next (re)start.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.extra_env.retain(|(k, _)| k != key);
        self.extra_env.push((key.to_string(), value.to_string()));
    }

    /// Stops and starts the server on the same port and data dir.
    pub async fn restart(&mut self) {
        self.stop();
        self.spawn().await;
    }

    /// Stops the server (SIGTERM, graceful).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends `signal` (`-TERM`, `-STOP`…) to the server without waiting for it.
    pub fn signal(&self, signal: &str) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill").args([signal, &pid.to_string()]).status();
        }
    }

    /// Waits up to `limit` for the server to exit (after [`TestApp::signal`]): its exit status, or
    /// `None` while it still runs.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return Some(status);
            }
            if self.child.is_none() || started.elapsed() >= limit {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The data dir.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Where the server writes its log.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Signs in and returns an access token.
    pub async fn token(&self, email: &str, password: &str) -> String {
        let r = self
            .http
            .post(format!("{}/api/auth/token", self.base))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "sign-in failed for {email}");
        r.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string()
    }

    /// The bootstrap superuser's token.
    pub async fn admin_token(&self) -> String {
        self.token(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// Sends a request with an optional bearer token and JSON body; returns status and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        let value =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, value)
    }

    /// POSTs a raw `body` of `content_type` (an import's upload); the status and the JSON answer
    /// (the text, as a JSON string, when it is not JSON).
    pub async fn upload(
        &self,
        token: &str,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("content-type", content_type)
            // An import streams as long as its body lasts (the benchmark's 1 GiB into the Python
            // MongoDB-wire server takes most of an hour): not the client's 60 s.
            .timeout(Duration::from_secs(4 * 3600))
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// GET.
    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// PUT with a JSON body.
    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Starts a server with a Redis connection `cache` (the primary) on `redis_port`, and returns
    /// it with the superuser's token.
    pub async fn with_redis(redis_port: u16) -> (TestApp, String) {
        let app = TestApp::start().await;
        let admin = app.admin_token().await;
        let body = json!({"identifier": "cache", "host": "127.0.0.1", "port": redis_port});
        let (s, created) = app.post("/api/platform/redis/default/connections", &admin, body).await;
        assert_eq!(s, StatusCode::CREATED, "{created}");
        (app, admin)
    }

    /// Creates a user (as the superuser), adds them to `project` with `role`, and returns their token.
    pub async fn user_with_role(&self, admin: &str, email: &str, project: &str, role: &str) -> String {
        let password = secret(&format!("sb-secret-{}", uuid::Uuid::new_v4().simple()));
        let (s, body) = self.post("/api/platform/users", admin, json!({ "email": email, "password": password })).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        if !project.is_empty() {
            let path = format!("/api/platform/projects/{project}/members");
            let (s, body) = self.post(&path, admin, json!({ "email": email, "role": role })).await;
            assert_eq!(s, StatusCode::CREATED, "{body}");
        }
        self.token(email, &password).await
    }
}

/// Asserts that none of the registered secrets appears in `text`.
pub fn assert_no_secrets(what: &str, text: &str) {
    for s in SECRETS.lock().unwrap().iter() {
        assert!(!text.contains(s.as_str()), "a secret appears in {what}");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
        if !std::thread::panicking() {
            assert_no_secrets("the server log", &self.log());
        }
    }
}

/// Starts a server whose primary MySQL connection `maria` is `db`; returns it with an admin's
/// and a viewer's token.
pub async fn app_with_mariadb(db: &MariaDb) -> (TestApp, String, String) {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let mut body = db.fields();
    body["identifier"] = json!("maria");
    let (s, created) = app.post("/api/platform/mysql/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    (app, admin, viewer)
}

/// The peak resident memory of process `pid` so far (VmHWM), in KiB.
pub fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Reads a file as lossy text.
pub fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// A concrete path for a route template of the route table (the default project, fixed names).
pub fn concrete_path(template: &str) -> String {
    // PostgreSQL objects are named by oid; everything else by UUID.
    let id =
        if template.starts_with("/api/platform/pg-meta/") { "16384" } else { "8f1c7a52-4d7e-4a5c-9a2b-1c2d3e4f5a6b" };
    template
        .replace("{ref}", "default")
        .replace("{key}", "k")
        .replace("{id}", id)
        .replace("{user_id}", id)
        .replace("{pid}", "12345")
        .replace("{opid}", "12345")
        .replace("{query_id}", "8f1c7a52-4d7e-4a5c-9a2b-1c2d3e4f5a6b")
        .replace("{database}", "db")
        .replace("{collection}", "c")
        .replace("{name}", "n")
}

/// Polls a job of the `default` project until it has ended; panics after two minutes.
pub async fn wait_until_ended(app: &TestApp, token: &str, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let (s, job) = app.get(&format!("/api/platform/projects/default/jobs/{id}"), token).await;
        assert_eq!(s, StatusCode::OK, "{job}");
        if !["queued", "running"].contains(&job["data"]["state"].as_str().unwrap()) {
            return job["data"].clone();
        }
        assert!(started.elapsed() < Duration::from_secs(120), "job {id} never ended: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Reads the event stream of a job of the `default` project to its end: its events' names and data.
pub async fn job_events(app: &TestApp, token: &str, id: &str) -> Vec<(String, Value)> {
    let url = format!("{}/api/platform/projects/default/jobs/{id}/events", app.base);
    let response = app.http.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let name = block.lines().find_map(|l| l.strip_prefix("event:")).map(|n| n.trim().to_string());
        let data = block.lines().find_map(|l| l.strip_prefix("data:")).map(|d| d.trim().to_string());
        if let (Some(name), Some(data)) = (name, data) {
            out.push((name, serde_json::from_str(&data).unwrap()));
        }
    }
    out
}

/// A server whose `default` project has the MongoDB-wire server `mongo` as connection `docs`;
/// answers it and the admin's token.
pub async fn app_with_mongo(mongo: &Mongo) -> (TestApp, String) {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let body = json!({"identifier": "docs", "host": "127.0.0.1", "port": mongo.port});
    let (s, created) = app.post("/api/platform/mongodb/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    (app, admin)
}

/// The MongoDB-wire server `mongo`, straight through the driver: to check what really got stored.
pub async fn mongo_direct(mongo: &Mongo) -> mongodb::Client {
    mongodb::Client::with_uri_str(format!("mongodb://127.0.0.1:{}/?directConnection=true", mongo.port)).await.unwrap()
}
