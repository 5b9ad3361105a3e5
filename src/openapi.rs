//! The API description (OpenAPI 3.1), generated from the router's route table, so it cannot drift
//! from the routes: every route appears with its method, path parameters, authentication, body and
//! the error envelope every failure uses. Served at `/api/openapi.json`, with a reference page at
//! `/api/docs`; `docs/openapi.json` is the committed copy a test keeps equal to this output.

use axum::http::Method;
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

/// `GET /api/docs`: a self-contained reference page (no external scripts) listing every operation.
pub async fn reference() -> Html<&'static str> {
    Html(REFERENCE_PAGE)
}

const REFERENCE_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard API reference</title>
<style>body{font:14px/1.5 system-ui,sans-serif;margin:2rem;max-width:1100px}h2{margin-top:2rem;text-transform:capitalize}
code{font:13px ui-monospace,monospace}.op{display:flex;gap:1rem;padding:.3rem 0;border-bottom:1px solid #eee}
.m{width:4.5rem;font-weight:600}.GET{color:#1a7f37}.POST{color:#0969da}.PUT{color:#9a6700}.PATCH{color:#8250df}.DELETE{color:#cf222e}</style>
</head><body><h1>Switchboard API reference</h1><p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a>.
Authenticate with <code>Authorization: Bearer &lt;token&gt;</code>.</p><div id="ops">Loading…</div>
<script>
fetch('/api/openapi.json').then(r => r.json()).then(spec => {
  const groups = {};
  for (const [path, ops] of Object.entries(spec.paths)) for (const [m, op] of Object.entries(ops))
    (groups[op.tags[0]] ||= []).push([m.toUpperCase(), path, op]);
  const root = document.getElementById('ops'); root.textContent = '';
  for (const [tag, ops] of Object.entries(groups)) {
    const h = document.createElement('h2'); h.textContent = tag; root.append(h);
    for (const [m, path, op] of ops) {
      const row = document.createElement('div'); row.className = 'op';
      const method = document.createElement('span'); method.className = 'm ' + m; method.textContent = m;
      const p = document.createElement('code'); p.textContent = path;
      const auth = document.createElement('span'); auth.textContent = op.security ? 'public' : '';
      row.append(method, p, auth); root.append(row);
    }
  }
});
</script></body></html>"#;
