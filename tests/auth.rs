//! Sign-in, token validation and role checks against a real server.

mod common;

use common::{TestApp, JWT_SECRET};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn forge(secret: &str, sub: &str, exp_offset: i64) -> String {
    let now = jsonwebtoken::get_current_timestamp() as i64;
    let claims = json!({ "sub": sub, "iat": now, "exp": now + exp_offset, "iss": "switchboard" });
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

#[tokio::test]
async fn sign_in_and_bad_tokens() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let (s, body) = app.get("/api/platform/projects", &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["data"][0]["ref"], "default");
    let sub = body["data"][0]["organization_id"].as_str().unwrap().to_string();

    // Wrong password: 401 in the envelope.
    let (s, body) = app
        .call(
            Method::POST,
            "/api/auth/token",
            None,
            Some(json!({"email": common::ADMIN_EMAIL, "password": "nope-nope"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "AUTHENTICATION_ERROR");

    // The admin's real user id, from a valid token's claims.
    let payload = admin.split('.').nth(1).unwrap();
    use base64::Engine as _;
    let claims: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let user_id = claims["sub"].as_str().unwrap();
    assert_ne!(user_id, sub);

    let expired = forge(JWT_SECRET, user_id, -3600);
    let wrongly_signed = forge("another-secret-another-secret-another-secret", user_id, 3600);
    let now = jsonwebtoken::get_current_timestamp();
    let alg_none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&format!(r#"{{"sub":"{user_id}","exp":{},"iss":"switchboard"}}"#, now + 3600))
    );
    let hs512 = encode(
        &Header::new(Algorithm::HS512),
        &json!({"sub": user_id, "exp": now + 3600, "iss": "switchboard"}),
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    // A correctly signed token proves the forging helper works.
    let good = forge(JWT_SECRET, user_id, 3600);
    assert_eq!(app.get("/api/platform/projects", &good).await.0, StatusCode::OK);

    let (s, body) = app.call(Method::GET, "/api/platform/projects", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "missing token");
    assert_eq!(body["error"]["code"], "AUTHENTICATION_ERROR");
    for (name, token) in [
        ("expired", expired),
        ("wrongly signed", wrongly_signed),
        ("alg none", alg_none),
        ("HS512", hs512),
        ("garbage", "abc.def".into()),
    ] {
        let (s, body) = app.get("/api/platform/projects", &token).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{name} token");
        assert_eq!(body["error"]["code"], "AUTHENTICATION_ERROR", "{name}");
    }
    let (_, body) = app.get("/api/platform/projects", &forge(JWT_SECRET, user_id, -3600)).await;
    assert_eq!(body["error"]["message"], "token expired");
}

#[tokio::test]
async fn roles_and_project_visibility() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;
    let outsider = app.user_with_role(&admin, "outsider@example.com", "", "").await;

    // An outsider gets 404 for a project it is not in, whether or not the project exists.
    let (s, body) = app.get("/api/platform/projects/default", &outsider).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    assert_eq!(app.get("/api/platform/projects/doesnotexist", &outsider).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/platform/redis/default/connections", &outsider).await.0, StatusCode::NOT_FOUND);
    let (s, body) = app.get("/api/platform/projects", &outsider).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["data"], json!([]));

    // A viewer lists (200) but cannot create (403).
    let (s, body) = app.get("/api/platform/redis/default/connections", &viewer).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let conn = json!({"identifier": "cache", "host": "127.0.0.1", "port": 6379});
    let (s, body) = app.post("/api/platform/redis/default/connections", &viewer, conn.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "FORBIDDEN");
    // Developers write data but do not manage connections or members.
    assert_eq!(app.post("/api/platform/redis/default/connections", &developer, conn).await.0, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            "/api/platform/projects/default/members",
            &developer,
            json!({"email": "outsider@example.com", "role": "viewer"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Only superusers create users.
    let (s, _) = app
        .post("/api/platform/users", &developer, json!({"email": "x@example.com", "password": "sb-secret-xxxxxxxx"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Roles show in the project list; membership changes take effect on the next request.
    let (_, body) = app.get("/api/platform/projects", &viewer).await;
    assert_eq!(body["data"][0]["role"], "viewer");
    let (_, members) = app.get("/api/platform/projects/default/members", &viewer).await;
    let dev_id = members["data"].as_array().unwrap().iter().find(|m| m["email"] == "dev@example.com").unwrap()
        ["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = app.delete(&format!("/api/platform/projects/default/members/{dev_id}"), &admin).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/platform/projects/default", &developer).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn organizations_and_projects() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let alice = app.user_with_role(&admin, "alice@example.com", "", "").await;
    let (s, body) = app.post("/api/platform/projects", &alice, json!({"name": "Nope"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let (s, org) = app.post("/api/platform/organizations", &alice, json!({"name": "Alice & Co"})).await;
    assert_eq!(s, StatusCode::CREATED, "{org}");
    assert_eq!(org["data"]["slug"], "alice-co");
    let (s, _) = app.post("/api/platform/organizations", &alice, json!({"name": "Alice & Co"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, project) =
        app.post("/api/platform/projects", &alice, json!({"name": "Shop", "organization_slug": "alice-co"})).await;
    assert_eq!(s, StatusCode::CREATED, "{project}");
    let project_ref = project["data"]["ref"].as_str().unwrap().to_string();
    assert_eq!(project_ref.len(), 20);
    assert_eq!(project["data"]["role"], "owner");
    // Alice cannot create projects in someone else's organization, and sees only her own project.
    let (s, _) = app.post("/api/platform/projects", &alice, json!({"name": "X", "organization_slug": "default"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = app.get("/api/platform/projects", &alice).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let (s, renamed) = app
        .call(
            Method::PATCH,
            &format!("/api/platform/projects/{project_ref}"),
            Some(&alice),
            Some(json!({"name": "Shop 2"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(renamed["data"]["name"], "Shop 2");
    let (s, _) = app.delete(&format!("/api/platform/projects/{project_ref}"), &alice).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/api/platform/projects/{project_ref}"), &alice).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn envelope_for_unknown_routes_methods_and_big_bodies() {
    let app = TestApp::start_with(common::AppOptions {
        env: vec![("SWITCHBOARD_BODY_LIMIT".into(), "1024".into())],
        ..Default::default()
    })
    .await;
    let admin = app.admin_token().await;
    let (s, body) = app.get("/api/platform/nothing/here", &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "NOT_FOUND");

    let r =
        app.http.patch(format!("{}/api/platform/organizations", app.base)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = r.headers().get("allow").unwrap().to_str().unwrap().to_string();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "METHOD_NOT_ALLOWED");

    let big = json!({"name": "x".repeat(4096)});
    let (s, body) = app.post("/api/platform/organizations", &admin, big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
    assert_eq!(body["error"]["message"], "request body is larger than the limit of 1024 bytes");

    let r = app
        .http
        .post(format!("{}/api/platform/organizations", app.base))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR");

    // Health and metrics answer without a token.
    assert_eq!(app.http.get(format!("{}/readyz", app.base)).send().await.unwrap().status(), StatusCode::OK);
    let metrics = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("switchboard_http_request_duration_seconds"), "{metrics}");
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let app = TestApp::start_with(common::AppOptions {
        env: vec![
            ("SWITCHBOARD_RATE_LIMIT_PER_SECOND".into(), "1".into()),
            ("SWITCHBOARD_RATE_LIMIT_BURST".into(), "3".into()),
        ],
        ..Default::default()
    })
    .await;
    let mut limited = None;
    for _ in 0..10 {
        let r = app.http.get(format!("{}/api/platform/projects", app.base)).send().await.unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("no 429 after 10 rapid requests with a burst of 3");
    assert!(r.headers().get("retry-after").is_some());
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    assert!(body["error"]["retryAfter"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn sign_in_is_throttled_per_account_and_per_address() {
    let app = TestApp::start_with(common::AppOptions {
        env: vec![("SWITCHBOARD_SIGNIN_PER_MINUTE".into(), "3".into())],
        ..Default::default()
    })
    .await;
    let attempt = |email: &'static str| {
        let app = &app;
        async move {
            app.call(Method::POST, "/api/auth/token", None, Some(json!({"email": email, "password": "wrong-guess"})))
                .await
        }
    };
    // Guessing one account's password: refused after the allowance, with Retry-After.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(attempt("victim@example.com").await.0);
    }
    assert_eq!(&statuses[..3], &[StatusCode::UNAUTHORIZED; 3]);
    let (s, body) = attempt("victim@example.com").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    // The same address guessing other accounts is slowed too (it used its allowance above).
    let (s, _) = attempt("someone-else@example.com").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}
