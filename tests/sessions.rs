//! Console sessions: the HttpOnly cookie, its CSRF token and Origin check, renewal on use,
//! signing out (one session, everywhere), and what disabling a user or resetting their password
//! ends.

mod common;

use common::{AppOptions, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A signed-in console: its cookie and CSRF token.
struct Console {
    cookie: String,
    csrf: String,
    session: Value,
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Console {
    let r = app
        .http
        .post(format!("{}/api/auth/session", app.base))
        .header("user-agent", "sessions-test")
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let set_cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "not configured for HTTPS: {set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let id = cookie.strip_prefix("sb_session=").unwrap();
    assert_eq!(id.len(), 64, "256 random bits, hex");
    let body: Value = r.json().await.unwrap();
    assert!(!body.to_string().contains(id), "the session id is only ever in the cookie");
    let csrf = body["data"]["csrf_token"].as_str().unwrap().to_string();
    Console { cookie, csrf, session: body["data"].clone() }
}

/// Sends a request with the console's cookie and, optionally, a CSRF token and an Origin.
async fn send(
    app: &TestApp,
    console: &Console,
    method: Method,
    path: &str,
    csrf: Option<&str>,
    origin: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app.http.request(method, format!("{}{path}", app.base)).header("cookie", &console.cookie);
    if let Some(token) = csrf {
        req = req.header("x-csrf-token", token);
    }
    if let Some(origin) = origin {
        req = req.header("origin", origin);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_session_reads_and_writes_with_its_csrf_token_and_refuses_cross_site_requests() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let console = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Who is signed in, as a new tab or a reload asks.
    let (s, me) = send(&app, &console, Method::GET, "/api/auth/session", None, None, None).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["data"]["user"]["email"], ADMIN_EMAIL);
    assert_eq!(me["data"]["user"]["is_superuser"], true);
    assert_eq!(me["data"]["csrf_token"], console.csrf.as_str());
    assert_eq!(me["data"]["user_agent"], "sessions-test");
    let (s, _) = send(&app, &console, Method::GET, "/api/platform/projects/default/members", None, None, None).await;
    assert_eq!(s, StatusCode::OK);

    // Writes without the token, with a wrong one, or from another origin are refused, and change nothing.
    let origin = app.base.clone();
    let path = "/api/platform/projects";
    let attempts = [
        ("no token", None, None),
        ("wrong token", Some("0".repeat(64)), None),
        ("foreign origin", Some(console.csrf.clone()), Some("https://evil.example")),
        ("null origin", Some(console.csrf.clone()), Some("null")),
    ];
    for (name, csrf, from) in attempts {
        let body = json!({"name": format!("Forged {name}")});
        let (s, e) = send(&app, &console, Method::POST, path, csrf.as_deref(), from, Some(body)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{name}: {e}");
        assert_eq!(e["error"]["code"], "FORBIDDEN");
    }
    let (_, list) = app.get("/api/platform/projects", &admin).await;
    let names: Vec<&str> = list["data"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    assert!(!names.iter().any(|n| n.starts_with("Forged")), "{names:?}");
    // The refusals are on the audit trail, as denied.
    let (_, trail) = app.get("/api/platform/audit?outcome=denied&action=POST", &admin).await;
    let denied = trail["data"]["entries"].as_array().unwrap();
    assert!(denied.iter().filter(|r| r["action"] == "POST /api/platform/projects").count() >= 4, "{trail}");

    // The same write from this origin with the token goes through.
    let body = json!({"name": "Made in the console"});
    let (s, made) = send(&app, &console, Method::POST, path, Some(&console.csrf), Some(&origin), Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    // A browser may leave Origin out of a same-origin request: the token alone is enough then.
    let project = made["data"]["ref"].as_str().unwrap().to_string();
    let body = json!({"name": "Renamed in the console"});
    let (s, renamed) =
        send(&app, &console, Method::PATCH, &format!("{path}/{project}"), Some(&console.csrf), None, Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{renamed}");

    // A bearer token (the API) needs no CSRF token: browsers do not attach it on their own.
    let (s, _) = app.post("/api/platform/projects", &admin, json!({"name": "Made by the API"})).await;
    assert_eq!(s, StatusCode::CREATED);

    // The Pub/Sub WebSocket opened with the cookie must come from this origin.
    let ws = "/api/platform/redis/default/pubsub/subscribe";
    let (s, e) = send(&app, &console, Method::GET, ws, None, Some("https://evil.example"), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, e) = send(&app, &console, Method::GET, ws, None, None, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a cookie WebSocket without Origin: {e}");
}

#[tokio::test]
async fn a_session_renews_on_use_and_ends_on_sign_out() {
    // Every use is written (instead of at most once a minute), so renewal shows at once.
    let app = TestApp::start_with(AppOptions {
        env: vec![("SWITCHBOARD_SESSION_TOUCH_SECS".into(), "0".into())],
        ..Default::default()
    })
    .await;
    let console = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let first_idle = console.session["idle_expires_at"].as_str().unwrap().to_string();
    let (s, me) = send(&app, &console, Method::GET, "/api/auth/session", None, None, None).await;
    assert_eq!(s, StatusCode::OK);
    let parse = |v: &Value| {
        time::OffsetDateTime::parse(v.as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap()
    };
    assert!(parse(&me["data"]["last_seen_at"]) > parse(&me["data"]["created_at"]), "{me}");
    assert!(parse(&me["data"]["idle_expires_at"]) > parse(&json!(first_idle)), "{me}");
    assert!(parse(&me["data"]["idle_expires_at"]) <= parse(&me["data"]["expires_at"]));

    // Signing out ends this session only; a second one (another browser) goes on.
    let other = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (s, _) = send(&app, &console, Method::DELETE, "/api/auth/session", None, None, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "signing out is a write: it needs the token too");
    let (s, _) = send(&app, &console, Method::DELETE, "/api/auth/session", Some(&console.csrf), None, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = send(&app, &console, Method::GET, "/api/auth/session", None, None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = send(&app, &other, Method::GET, "/api/auth/session", None, None, None).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_and_token_of_the_user() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let password = common::secret("sb-secret-everywhere-pw");
    let (s, _) =
        app.post("/api/platform/users", &admin, json!({"email": "dev@example.com", "password": password})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .post(
            "/api/platform/projects/default/members",
            &admin,
            json!({"email": "dev@example.com", "role": "developer"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let laptop = sign_in(&app, "dev@example.com", &password).await;
    let phone = sign_in(&app, "dev@example.com", &password).await;
    let jwt = app.token("dev@example.com", &password).await;
    let admins = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let (s, body) = send(&app, &laptop, Method::DELETE, "/api/auth/sessions", Some(&laptop.csrf), None, None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["sessions_ended"], 2);
    for console in [&laptop, &phone] {
        let (s, _) = send(&app, console, Method::GET, "/api/platform/projects", None, None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _) = app.get("/api/platform/projects", &jwt).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the JWTs issued before are refused too");
    // Another user's session is untouched.
    let (s, _) = send(&app, &admins, Method::GET, "/api/platform/projects", None, None, None).await;
    assert_eq!(s, StatusCode::OK);
    // Audited, without any secret.
    let (_, trail) = app.get("/api/platform/audit?action=/api/auth/sessions", &admin).await;
    let record = &trail["data"]["entries"][0];
    assert_eq!(record["action"], "DELETE /api/auth/sessions", "{trail}");
    assert_eq!(record["outcome"], "ok");
    assert_eq!(record["details"]["sessions_ended"], 2);
    assert!(!trail.to_string().contains(&laptop.csrf));
}

#[tokio::test]
async fn superusers_disable_users_and_reset_passwords_and_that_ends_their_access() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let password = common::secret("sb-secret-disable-pw");
    let (s, created) =
        app.post("/api/platform/users", &admin, json!({"email": "leaver@example.com", "password": password})).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(created["data"]["disabled"], false);
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;

    // Only superusers list and change users.
    let (s, _) = app.get("/api/platform/users", &viewer).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .call(Method::PATCH, &format!("/api/platform/users/{id}"), Some(&viewer), Some(json!({"disabled": true})))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) =
        app.post(&format!("/api/platform/users/{id}/password"), &viewer, json!({"password": "x".repeat(12)})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, list) = app.get("/api/platform/users", &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list["data"].as_array().unwrap().iter().any(|u| u["email"] == "leaver@example.com"));
    assert!(!list.to_string().contains("argon2"), "no password hash in a listing");

    let console = sign_in(&app, "leaver@example.com", &password).await;
    let jwt = app.token("leaver@example.com", &password).await;
    let (s, changed) = app
        .call(Method::PATCH, &format!("/api/platform/users/{id}"), Some(&admin), Some(json!({"disabled": true})))
        .await;
    assert_eq!(s, StatusCode::OK, "{changed}");
    assert_eq!(changed["data"]["disabled"], true);
    let (s, _) = send(&app, &console, Method::GET, "/api/auth/session", None, None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.get("/api/platform/projects", &jwt).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, e) = app
        .call(Method::POST, "/api/auth/token", None, Some(json!({"email": "leaver@example.com", "password": password})))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(e["error"]["message"], "this account is disabled");
    // A superuser cannot lock themselves out.
    let (_, me) = app.get("/api/auth/session", &admin).await;
    assert!(me["error"].is_object());
    let admin_id = list["data"].as_array().unwrap().iter().find(|u| u["email"] == ADMIN_EMAIL).unwrap()["id"].clone();
    let (s, _) = app
        .call(
            Method::PATCH,
            &format!("/api/platform/users/{}", admin_id.as_str().unwrap()),
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Enabled again, with a new password: the old one no longer works.
    let (s, _) = app
        .call(Method::PATCH, &format!("/api/platform/users/{id}"), Some(&admin), Some(json!({"disabled": false})))
        .await;
    assert_eq!(s, StatusCode::OK);
    let new_password = common::secret("sb-secret-new-password");
    let (s, e) = app.post(&format!("/api/platform/users/{id}/password"), &admin, json!({"password": "short"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let (s, _) =
        app.post(&format!("/api/platform/users/{id}/password"), &admin, json!({"password": new_password})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .call(Method::POST, "/api/auth/token", None, Some(json!({"email": "leaver@example.com", "password": password})))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    sign_in(&app, "leaver@example.com", &new_password).await;

    // Audited by e-mail, never with a password.
    let (_, trail) = app.get("/api/platform/audit?target=leaver@example.com", &admin).await;
    let actions: Vec<&str> =
        trail["data"]["entries"].as_array().unwrap().iter().filter_map(|r| r["action"].as_str()).collect();
    assert!(actions.contains(&"PATCH /api/platform/users/{user_id}"), "{actions:?}");
    assert!(actions.contains(&"POST /api/platform/users/{user_id}/password"), "{actions:?}");
    common::assert_no_secrets("the audit trail", &trail.to_string());
}
