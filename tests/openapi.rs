//! The OpenAPI description: generated from the route table, committed as docs/openapi.json (this
//! test fails when they differ; `UPDATE_OPENAPI=1 cargo test --test openapi` rewrites it), served by
//! the server, and fuzzed with schemathesis against real backends: no 5xx, no response outside the
//! schema.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{AppOptions, Mongo, Postgres, Redis, TestApp};
use reqwest::StatusCode;
use serde_json::json;

#[test]
fn the_committed_description_matches_the_routes() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
    let generated = serde_json::to_string_pretty(&switchboard::openapi::document()).unwrap() + "\n";
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "docs/openapi.json is stale: run UPDATE_OPENAPI=1 cargo test --test openapi");
    let doc = switchboard::openapi::document();
    for (method, route) in switchboard::router::route_list() {
        assert!(doc["paths"][&route][method.as_str().to_lowercase()].is_object(), "{method} {route} is not described");
    }
}

#[tokio::test]
async fn the_reference_page_is_interactive_and_self_contained() {
    let app = TestApp::start().await;
    let response = app.http.get(format!("{}/api/docs", app.base)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (content_type, csp) = (header("content-type"), header("content-security-policy"));
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let page = response.text().await.unwrap();
    assert!(page.contains("Switchboard API reference"));
    for control in ["Try it", "Authorize", "Sign in", "/api/auth/token", "/api/openapi.json"] {
        assert!(page.contains(control), "the page has no {control:?}");
    }
    assert!(!page.contains("http://") && !page.contains("https://"), "the page refers to an external URL");
    assert!(!page.contains("innerHTML") && !page.contains("localStorage") && !page.contains("sessionStorage"));
    // Nothing but the page's own inline script and style (by hash), and requests to this origin.
    assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe") && !csp.contains("http"), "{csp}");
    for tag in ["script", "style"] {
        let inner = page.split(&format!("<{tag}>")).nth(1).and_then(|s| s.split(&format!("</{tag}>")).next()).unwrap();
        use base64::Engine as _;
        use sha2::Digest as _;
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(inner.as_bytes()));
        assert!(csp.contains(&format!("{tag}-src 'sha256-{hash}'")), "{csp}");
    }
}

fn schemathesis() -> PathBuf {
    if let Ok(p) = std::env::var("SWITCHBOARD_SCHEMATHESIS") {
        return PathBuf::from(p);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let venv = std::env::var("SWITCHBOARD_TEST_VENV").unwrap_or_else(|_| format!("{home}/.cache/switchboard/venv"));
    PathBuf::from(venv).join("bin/schemathesis")
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_schema_violation() {
    let redis = Redis::start(None);
    let pg = Postgres::start();
    let mongo = Mongo::start();
    let app =
        TestApp::start_with(AppOptions { env: vec![("RUST_LOG".into(), "info".into())], ..Default::default() }).await;
    let admin = app.admin_token().await;
    for (engine, body) in [
        ("redis", json!({"identifier": "cache", "host": "127.0.0.1", "port": redis.port})),
        (
            "postgres",
            json!({"identifier": "db", "host": "127.0.0.1", "port": pg.port, "username": "postgres", "database_name": "postgres"}),
        ),
        ("mongodb", json!({"identifier": "docs", "host": "127.0.0.1", "port": mongo.port})),
    ] {
        let (s, created) = app.post(&format!("/api/platform/{engine}/default/connections"), &admin, body).await;
        assert_eq!(s, StatusCode::CREATED, "{created}");
    }
    let (s, spec) = app.call(reqwest::Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(spec["openapi"], "3.1.0");
    let page = app.http.get(format!("{}/api/docs", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Switchboard API reference"));

    let examples = std::env::var("SWITCHBOARD_FUZZ_EXAMPLES").unwrap_or_else(|_| "8".into());
    let out = Command::new(schemathesis())
        .args(["run", &format!("{}/api/openapi.json", app.base)])
        .args(["-H", &format!("Authorization: Bearer {admin}")])
        .args(["-c", "not_a_server_error,response_schema_conformance,content_type_conformance"])
        .args(["-n", &examples, "--seed", "1", "--no-color", "--request-timeout", "30", "--workers", "1"])
        // Deleting the project or its connections mid-run would leave later operations nothing to reach.
        .args(["--exclude-path-regex", "^/api/platform/projects/\\{ref\\}$"])
        .env("SCHEMATHESIS_HOOKS", "")
        .output()
        .expect("schemathesis (scripts/install-deps.sh installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: String =
        stdout.lines().rev().take(25).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    eprintln!("schemathesis:\n{summary}");
    assert!(out.status.success(), "schemathesis found problems:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
}
