//! The attack suite: every route of the router (read from its route table, so a new route cannot
//! escape) is called with no token, a wrongly signed token, an expired token, an `alg: none` token,
//! a token of a user of another project, a project API token outside its project and, for writes,
//! a viewer's token.

mod common;

use common::{TestApp, JWT_SECRET};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PUBLIC: [&str; 6] = ["/healthz", "/readyz", "/metrics", "/api/auth/token", "/api/openapi.json", "/api/docs"];

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// Writes a viewer may call: reads that travel as POST, and their own API tokens.
fn viewer_may_call(path: &str) -> bool {
    path.ends_with("/pg-meta/{ref}/query")
        || path.ends_with("/pg-meta/{ref}/query/{query_id}/cancel")
        // The command line runs a viewer's read-only commands; COMMAND INFO decides, per command.
        || path.ends_with("/redis/{ref}/command")
        || path.ends_with("/connections/{id}/test")
        || path.ends_with("/aggregate")
        // Reads that travel as POST: explain (a writing pipeline needs developer) and schema sampling.
        || path.ends_with("/explain")
        || path.ends_with("/schema")
        || path.ends_with("/projects/{ref}/tokens")
        || path.ends_with("/projects/{ref}/tokens/{id}")
        // Any member may start a read-only job (a keyspace analysis) and cancel their own.
        || path.ends_with("/projects/{ref}/jobs")
        || path.ends_with("/projects/{ref}/jobs/{id}")
        || path.ends_with("/redis/{ref}/analysis")
}

#[tokio::test]
async fn every_route_refuses_bad_callers() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let stranger = app.user_with_role(&admin, "stranger@example.com", "", "").await;
    let (s, _) = app.post("/api/platform/organizations", &stranger, json!({"name": "Elsewhere"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app.post("/api/platform/projects", &stranger, json!({"name": "Theirs"})).await;
    assert_eq!(s, StatusCode::CREATED);

    // An admin's API token for `default`: it may act inside `default` only.
    let (s, created) =
        app.post("/api/platform/projects/default/tokens", &admin, json!({"name": "attack", "role": "admin"})).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let project_token = created["data"]["secret"].as_str().unwrap().to_string();

    let payload = admin.split('.').nth(1).unwrap();
    use base64::Engine as _;
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let sub = claims["sub"].as_str().unwrap();
    let now = jsonwebtoken::get_current_timestamp();
    let sign = |secret: &str, exp: u64| {
        let claims = json!({"sub": sub, "iat": now, "exp": exp, "iss": "switchboard"});
        encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    };
    let bad_tokens = [
        ("no token", None),
        ("wrongly signed", Some(sign("not-the-secret-not-the-secret-not-the-secret", now + 600))),
        ("expired", Some(sign(JWT_SECRET, now - 3600))),
        (
            "alg none",
            Some(format!(
                "{}.{}.",
                b64(r#"{"alg":"none","typ":"JWT"}"#),
                b64(&format!(r#"{{"sub":"{sub}","exp":{},"iss":"switchboard"}}"#, now + 600))
            )),
        ),
    ];

    let routes = switchboard::router::route_list();
    // Writes refused to the viewer: each must leave a `denied` record in the audit trail.
    let mut refused_writes = Vec::new();
    let mut cases = 0;
    let mut checked_routes = 0;
    for (method, path) in &routes {
        // Signing in to the console needs no credential (its other session routes do).
        if PUBLIC.contains(&path.as_str()) || (path == "/api/auth/session" && *method == Method::POST) {
            continue;
        }
        let session_route = path == "/api/auth/session" || path == "/api/auth/sessions";
        assert!(path.starts_with("/api/platform/") || session_route, "a route outside /api/platform: {path}");
        checked_routes += 1;
        let url = common::concrete_path(path);
        let body = matches!(*method, Method::POST | Method::PUT | Method::PATCH).then(|| json!({}));
        for (name, token) in &bad_tokens {
            let (s, resp) = app.call(method.clone(), &url, token.as_deref(), body.clone()).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{name}: {method} {path} -> {resp}");
            assert_eq!(resp["error"]["code"], "AUTHENTICATION_ERROR", "{name}: {method} {path}");
            cases += 1;
        }
        if !path.contains("{ref}") {
            let (s, resp) = app.call(method.clone(), &url, Some(&project_token), body.clone()).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "a project's token outside it: {method} {path} -> {resp}");
            cases += 1;
        }
        if path.contains("{ref}") {
            let elsewhere = url.replacen("/default", "/theirs", 1);
            let (s, resp) = app.call(method.clone(), &elsewhere, Some(&project_token), body.clone()).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "a token on another project: {method} {path} -> {resp}");
            cases += 1;
            let (s, resp) = app.call(method.clone(), &url, Some(&stranger), body.clone()).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "another project's user: {method} {path} -> {resp}");
            cases += 1;
            let writes = matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
            if writes {
                let (s, resp) = app.call(method.clone(), &url, Some(&viewer), body.clone()).await;
                if viewer_may_call(path) {
                    assert!(!s.is_server_error(), "viewer: {method} {path} -> {s} {resp}");
                } else {
                    // Authorization comes first, except where the body is malformed and refused
                    // while being read; either way nothing is done.
                    let refused = s == StatusCode::FORBIDDEN
                        || (s == StatusCode::BAD_REQUEST && resp["error"]["code"] == "VALIDATION_ERROR");
                    assert!(refused, "viewer: {method} {path} -> {s} {resp}");
                    if s == StatusCode::FORBIDDEN {
                        refused_writes.push(format!("{method} {path}"));
                    }
                }
                cases += 1;
            }
        }
    }
    eprintln!("attack suite: {checked_routes} authenticated routes of {} in the table, {cases} cases", routes.len());

    // The audit walk of refusals, read from the same route table: every write refused to the
    // viewer is in the trail as denied.
    let mut denied = std::collections::HashSet::new();
    let mut before: Option<i64> = None;
    loop {
        let page = match before {
            Some(b) => format!("/api/platform/projects/default/audit?limit=500&before={b}"),
            None => "/api/platform/projects/default/audit?limit=500".to_string(),
        };
        let (s, body) = app.get(&page, &admin).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        for entry in body["data"]["entries"].as_array().unwrap() {
            if entry["outcome"] == "denied" {
                denied.insert(entry["action"].as_str().unwrap_or_default().to_string());
            }
        }
        match body["data"]["next_before"].as_i64() {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    let unrecorded: Vec<&String> = refused_writes.iter().filter(|w| !denied.contains(*w)).collect();
    assert!(unrecorded.is_empty(), "writes refused to a viewer without a denied audit record: {unrecorded:?}");
    assert!(refused_writes.len() >= 40, "only {} writes were refused to the viewer", refused_writes.len());
    assert!(checked_routes >= 60, "the route table shrank unexpectedly: {checked_routes}");
}

#[tokio::test]
async fn every_route_in_the_table_is_served() {
    // A route in the table answers something other than 404/405 for its method, so the table and
    // the router cannot drift apart.
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    for (method, path) in switchboard::router::route_list() {
        // Signing out everywhere would end the token the rest of the loop uses (tests/sessions.rs
        // covers it).
        if path.ends_with("/pubsub/subscribe") || path == "/api/auth/token" || path == "/api/auth/sessions" {
            continue;
        }
        let body = matches!(method, Method::POST | Method::PUT | Method::PATCH).then(|| json!({}));
        let (s, resp) = app.call(method.clone(), &common::concrete_path(&path), Some(&admin), body).await;
        assert_ne!(s, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        if s == StatusCode::NOT_FOUND {
            assert_ne!(resp["error"]["message"], "no such route", "{method} {path} is not routed");
        }
        assert!(!s.is_server_error() || s == StatusCode::SERVICE_UNAVAILABLE, "{method} {path} -> {s} {resp}");
    }
}
