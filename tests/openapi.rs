//! The OpenAPI description: generated from the route table, committed as docs/openapi.json (this
//! test fails when they differ; `UPDATE_OPENAPI=1 cargo test --test openapi` rewrites it), served by
//! the server, checked against the bodies and query strings the handlers really read, and fuzzed
//! with schemathesis against real backends: no 5xx, no response outside the schema.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{AppOptions, TestApp};
use reqwest::StatusCode;
use schemars::generate::SchemaSettings;
use serde_json::{json, Value};

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

/// Every operation has a summary, every parameter a description, and every success a declared
/// answer: a schema for each media type it may answer, or an explicit "no body".
#[test]
fn every_operation_is_summarized_its_parameters_described_and_its_answer_typed() {
    let doc = switchboard::openapi::document();
    let mut missing = Vec::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, op) in operations.as_object().unwrap() {
            let name = format!("{} {path}", method.to_uppercase());
            if op["summary"].as_str().is_none_or(|s| s.trim().is_empty()) {
                missing.push(format!("{name}: no summary (`.summary(…)` in src/router.rs)"));
            }
            for parameter in op["parameters"].as_array().unwrap() {
                if parameter["description"].as_str().is_none_or(|d| d.trim().is_empty()) {
                    missing.push(format!(
                        "{name}: parameter {} ({}) has no description",
                        parameter["name"], parameter["in"]
                    ));
                }
            }
            let responses = &op["responses"];
            let success = responses.get("2XX").or_else(|| responses.get("101")).unwrap_or(&Value::Null);
            let no_body = success["description"].as_str().is_some_and(|d| d.starts_with("204") || d.starts_with("101"));
            match success["content"].as_object() {
                Some(content) => {
                    for (media, body) in content {
                        let schema = body["schema"].as_object();
                        if schema.is_none_or(|s| s.is_empty()) {
                            missing.push(format!("{name}: its {media} answer has no schema"));
                        }
                        if media == "application/json" && body["schema"]["properties"]["data"] == json!({}) {
                            missing.push(format!("{name}: its data has an empty schema"));
                        }
                    }
                }
                None if no_body => {}
                None => {
                    missing.push(format!("{name}: no 2xx answer declared (`.ok::<T>()` and friends in src/router.rs)"))
                }
            }
        }
    }
    assert!(missing.is_empty(), "{} gaps in the API description:\n{}", missing.len(), missing.join("\n"));
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

/// The few enumerations written out by hand in field attributes name values the server accepts.
#[test]
fn the_enumerations_written_by_hand_are_accepted() {
    let schemas = &switchboard::openapi::document()["components"]["schemas"];
    let values = |schema: &str, field: &str| -> Vec<Value> {
        let values = schemas[schema]["properties"][field]["enum"].as_array().cloned();
        values.unwrap_or_else(|| panic!("{schema}.{field} has no enum")).into_iter().filter(|v| !v.is_null()).collect()
    };
    for schema in ["AddMember", "CreateToken"] {
        for role in values(schema, "role") {
            let role: switchboard::domain::Role = role.as_str().unwrap().parse().unwrap();
            assert_ne!(role, switchboard::domain::Role::Owner, "{schema}.role");
        }
    }
    for schema in ["WriteKey", "EditKey"] {
        let encodings = values(schema, "value_encoding");
        assert_eq!(encodings.len(), 2, "{schema}.value_encoding");
        for encoding in encodings {
            serde_json::from_value::<switchboard::engines::redis::keys::Encoding>(encoding).unwrap();
        }
    }
}

/// The route table names the types each handler reads from the body and the query string, and the
/// description is generated from it; this checks the table against the handlers themselves. A body
/// that is not JSON is refused while being read exactly by the handlers that read one, and an
/// unknown query parameter exactly by those that read a query type denying unknown fields.
#[tokio::test]
async fn the_described_bodies_and_query_strings_are_what_the_handlers_read() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let doc = switchboard::openapi::document();
    let mut routes = switchboard::router::routes();
    // Deleting the project, and signing out everywhere (which ends the token used here), come last.
    routes.sort_by_key(|r| {
        r.method == axum::http::Method::DELETE
            && ["/api/platform/projects/{ref}", "/api/auth/sessions"].contains(&r.path.as_str())
    });
    let mut inline = SchemaSettings::draft2020_12().with(|s| s.inline_subschemas = true).into_generator();
    let (mut bodies, mut queries) = (0, 0);
    for route in routes {
        let (method, path) = (reqwest::Method::from_bytes(route.method.as_str().as_bytes()).unwrap(), &route.path);
        let op = &doc["paths"][path][method.as_str().to_lowercase()];
        let url = format!("{}{}", app.base, common::concrete_path(path));
        let refusal = |response: reqwest::Response| async move {
            let status = response.status();
            let body: Value = response.json().await.unwrap_or_default();
            (status, body["error"]["message"].as_str().unwrap_or_default().to_string())
        };

        let sent = app.http.request(method.clone(), &url).bearer_auth(&admin).header("content-type", "text/plain");
        let (status, message) = refusal(sent.body("not json").send().await.unwrap()).await;
        let reads_body = status == StatusCode::BAD_REQUEST && message.starts_with("expected a JSON body");
        assert_eq!(reads_body, route.body.is_some(), "{method} {path}: body described? -> {status} {message}");
        let streams_body = status == StatusCode::UNSUPPORTED_MEDIA_TYPE;
        assert_eq!(streams_body, route.upload.is_some(), "{method} {path}: upload described? -> {status} {message}");
        let described = route.body.is_some() || route.upload.is_some();
        assert_eq!(described, op["requestBody"].is_object(), "{method} {path}");
        bodies += usize::from(reads_body);

        let sent = app.http.request(method.clone(), format!("{url}?not_a_parameter=1")).bearer_auth(&admin);
        let (status, message) = refusal(sent.send().await.unwrap()).await;
        let strict_query = status == StatusCode::BAD_REQUEST && message.starts_with("invalid query string");
        let query = route.query.map(|schema| schema(&mut inline));
        let denies_unknown = query.as_ref().is_some_and(|q| q.get("additionalProperties") == Some(&json!(false)));
        assert_eq!(strict_query, denies_unknown, "{method} {path}: query described? -> {status} {message}");
        let described = op["parameters"].as_array().unwrap().iter().filter(|p| p["in"] == "query").count();
        let fields = query.as_ref().and_then(|q| q.get("properties")).and_then(Value::as_object).map_or(0, |p| p.len());
        assert_eq!(described, fields, "{method} {path}");
        queries += usize::from(query.is_some());
    }
    eprintln!("{bodies} routes read a body and {queries} a query string, as described");
}

/// What schemathesis found once, replayed.
#[tokio::test]
async fn what_the_fuzzing_found_stays_fixed() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    // A host that cannot be resolved fails the test of unsaved settings (it was a 503).
    for engine in ["postgres", "redis", "mongodb"] {
        let url = format!("/api/platform/{engine}/default/connections/test");
        let (s, report) = app.post(&url, &admin, json!({"host": "\u{ac}w\u{ab})\u{f9}"})).await;
        assert_eq!(s, StatusCode::OK, "{engine}: {report}");
        assert_eq!(report["data"]["success"], false, "{engine}: {report}");
        assert!(report["data"]["error"].as_str().is_some_and(|e| e.contains("resolv")), "{engine}: {report}");
    }
    // Another engine's connection id, once cached by a request of its own engine, is a 404 (it was
    // a 500: the cache is keyed by id alone).
    let body = json!({"identifier": "cached", "host": "127.0.0.1", "port": 1});
    let (s, created) = app.post("/api/platform/redis/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].as_str().unwrap();
    app.get(&format!("/api/platform/redis/default/keys?connection_id={id}"), &admin).await;
    for path in ["mongodb/default/databases", "pg-meta/default/version"] {
        let (s, answer) = app.get(&format!("/api/platform/{path}?connection_id={id}"), &admin).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {answer}");
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
    // A server of every engine, so each engine's routes reach a real one.
    let backends = common::every_backend();
    let app =
        TestApp::start_with(AppOptions { env: vec![("RUST_LOG".into(), "info".into())], ..Default::default() }).await;
    let admin = app.admin_token().await;
    for backend in &backends {
        let engine = backend.engine();
        let mut body = backend.fields();
        body["identifier"] = json!(format!("{engine}-main"));
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
        // Deleting the project or its connections mid-run would leave later operations nothing to
        // reach; signing out everywhere would end the token the run uses.
        .args(["--exclude-path-regex", "^(/api/platform/projects/\\{ref\\}|/api/auth/sessions?)$"])
        // Import bodies (CSV, NDJSON) are sent as the text schemathesis generates for them.
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .env("PYTHONPATH", concat!(env!("CARGO_MANIFEST_DIR"), "/tests"))
        .output()
        .expect("schemathesis (scripts/install-deps.sh installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: String =
        stdout.lines().rev().take(25).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    eprintln!("schemathesis:\n{summary}");
    assert!(out.status.success(), "schemathesis found problems:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
}
