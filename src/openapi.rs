//! The API description (OpenAPI 3.1), generated from the router's route table, so it cannot drift
//! from the routes: every route appears with its method, path parameters, authentication, body and
//! the error envelope every failure uses. Served at `/api/openapi.json`, with a reference page at
//! `/api/docs`; `docs/openapi.json` is the committed copy a test keeps equal to this output.

use std::sync::LazyLock;

use axum::http::{header, Method};
use axum::response::{Html, IntoResponse};
use serde_json::{json, Map, Value};

use crate::router::route_list;

/// Routes that need no token.
const PUBLIC: [&str; 6] = ["/healthz", "/readyz", "/metrics", "/api/auth/token", "/api/openapi.json", "/api/docs"];

fn tag(path: &str) -> &'static str {
    let segments: Vec<&str> = path.split('/').collect();
    match (segments.get(1).copied(), segments.get(3).copied()) {
        (Some("api"), Some("redis")) if path.contains("/connections") => "connections",
        (Some("api"), Some("mongodb")) if path.contains("/connections") => "connections",
        (Some("api"), Some("postgres")) => "connections",
        (Some("api"), Some("redis")) => "redis",
        (Some("api"), Some("mongodb")) => "mongodb",
        (Some("api"), Some("pg-meta")) => "postgres",
        (Some("api"), Some("token")) => "auth",
        (Some("api"), _) => "platform",
        _ => "operations",
    }
}

fn operation_id(method: &Method, path: &str) -> String {
    let words: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "api" && *s != "platform")
        .map(|s| s.trim_matches(|c| c == '{' || c == '}').replace('-', "_"))
        .collect();
    format!("{}_{}", method.as_str().to_lowercase(), words.join("_"))
}

fn parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let schema = match name {
                "user_id" => return json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }),
                "id" if path.contains("/connections/") || path.contains("/tokens/") => {
                    return json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } });
                }
                _ => json!({ "type": "string", "minLength": 1 }),
            };
            // The bootstrap project's ref is a real value, so generated requests reach real data.
            let example = if name == "ref" { json!("default") } else { json!(format!("example-{name}")) };
            json!({ "name": name, "in": "path", "required": true, "schema": schema, "example": example })
        })
        .collect()
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn operation(method: &Method, path: &str) -> Value {
    let public = PUBLIC.contains(&path);
    let mut responses = Map::new();
    let success = if path == "/api/docs" {
        json!({ "description": "Reference page", "content": { "text/html": { "schema": { "type": "string" } } } })
    } else if *method == Method::DELETE {
        json!({ "description": "Done (no body)" })
    } else if path == "/metrics" {
        json!({ "description": "Prometheus text", "content": { "text/plain": { "schema": { "type": "string" } } } })
    } else if public {
        json!({ "description": "OK", "content": { "application/json": { "schema": { "type": "object" } } } })
    } else {
        json!({ "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Data" } } } })
    };
    responses.insert("2XX".into(), success);
    responses.insert(
        "400".into(),
        error_response("Invalid request (VALIDATION_ERROR) or a query the database refused (QUERY_ERROR)"),
    );
    if !public {
        responses.insert("401".into(), error_response("Missing, expired or invalid token"));
        responses.insert("403".into(), error_response("Role too low, or the network policy refuses the address"));
        responses.insert("404".into(), error_response("Not found, or a project the caller has no role in"));
        responses.insert("409".into(), error_response("Conflict with existing data"));
    }
    responses.insert("413".into(), error_response("Body too large"));
    responses.insert("429".into(), error_response("Rate limited; see Retry-After"));
    responses.insert("503".into(), error_response("A database or the audit trail is unavailable"));
    let mut op = json!({
        "operationId": operation_id(method, path),
        "tags": [tag(path)],
        "parameters": parameters(path),
        "responses": responses,
    });
    if public {
        op["security"] = json!([]);
    }
    if matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
        op["requestBody"] = json!({
            "required": true,
            "content": { "application/json": { "schema": { "type": "object" } } }
        });
    }
    op
}

/// The whole description.
pub fn document() -> Value {
    let mut paths = Map::new();
    for (method, path) in route_list() {
        let entry = paths.entry(path.clone()).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(ops) = entry {
            ops.insert(method.as_str().to_lowercase(), operation(&method, &path));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Switchboard API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "One API for the PostgreSQL, Redis and MongoDB databases of a team's projects. \
                            Successes answer {\"data\": …}; failures {\"error\": {\"message\", \"code\", \"details\"?}}."
        },
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "A JWT from POST /api/auth/token or an sbt_ API token" }
            },
            "schemas": {
                "Data": { "type": "object", "required": ["data"], "properties": { "data": {} } },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["message", "code"],
                            "properties": {
                                "message": { "type": "string" },
                                "code": { "type": "string" },
                                "details": {},
                                "retryAfter": { "type": "integer" }
                            }
                        }
                    }
                }
            }
        }
    })
}

/// `GET /api/openapi.json`.
pub async fn spec() -> impl IntoResponse {
    axum::Json(document())
}

/// The reference page: a self-contained HTML file (inline style and script, no external resource)
/// that lists the operations of `/api/openapi.json` and sends "Try it" requests to this origin.
const REFERENCE_PAGE: &str = include_str!("openapi_reference.html");

/// The text of the first `<tag>` element of the page, as the browser hashes it for CSP.
fn inline_element<'a>(page: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = page.find(&open).map(|i| i + open.len()).unwrap_or(0);
    let end = page[start..].find(&format!("</{tag}>")).map(|i| start + i).unwrap_or(start);
    &page[start..end]
}

fn csp_hash(text: &str) -> String {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes())))
}

/// Only the page's own inline script and style (by hash) run; requests go to this origin only.
static REFERENCE_CSP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; img-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        csp_hash(inline_element(REFERENCE_PAGE, "script")),
        csp_hash(inline_element(REFERENCE_PAGE, "style")),
    )
});

/// `GET /api/docs`: the interactive reference page, with a Content-Security-Policy that allows
/// nothing but its own inline script and style and same-origin requests.
pub async fn reference() -> impl IntoResponse {
    (
        [
            (header::CONTENT_SECURITY_POLICY, REFERENCE_CSP.as_str()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(REFERENCE_PAGE),
    )
}
