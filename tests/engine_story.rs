//! One connection story told against a real server of every engine: create, list, test saved and
//! unsaved, the server dies and comes back (status follows), rename, delete. A new engine's server
//! implements `common::Backend`, and its test is one more call of `story`.

mod common;

use common::{assert_no_secrets, secret, Backend, MariaDb, Mongo, Postgres, Redis, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn postgres() {
    story(&mut Postgres::start()).await;
}

#[tokio::test]
async fn redis() {
    story(&mut Redis::start(Some("sb-secret-story-redis"))).await;
}

#[tokio::test]
async fn mongodb() {
    story(&mut Mongo::start()).await;
}

/// The connection `id` as the project's list of every engine shows it, if it is there.
async fn listed(app: &TestApp, token: &str, id: &str) -> Option<Value> {
    let (s, all) = app.get("/api/platform/projects/default/databases", token).await;
    assert_eq!(s, StatusCode::OK, "{all}");
    all["data"].as_array().expect("a list").iter().find(|c| c["id"] == id).cloned()
}

/// Tests the saved connection and returns its report.
async fn test_saved(app: &TestApp, token: &str, base: &str, id: &str) -> Value {
    let (s, report) = app.post(&format!("{base}/{id}/test"), token, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    report["data"].clone()
}

async fn story(backend: &mut dyn Backend) {
    let engine = backend.engine();
    let fields = backend.fields();
    let password = fields["password"].as_str().map(secret);
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let base = format!("/api/platform/{engine}/default/connections");

    // An admin saves it; the project's list shows it ACTIVE (saving checks it).
    let mut body = fields.clone();
    body["identifier"] = json!(format!("{engine}-story"));
    let (s, created) = app.post(&base, &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{engine}: {created}");
    assert_eq!(created["data"]["has_password"], password.is_some(), "{engine}: {created}");
    let id = created["data"]["id"].as_str().expect("an id").to_string();
    let shown = listed(&app, &admin, &id).await.expect("listed");
    assert_eq!(shown["database_type"], engine, "{shown}");
    assert_eq!(shown["status"], "ACTIVE", "{engine}: {shown}");

    // Tests of the saved connection and of unsaved settings both succeed.
    let report = test_saved(&app, &admin, &base, &id).await;
    assert_eq!(report["success"], true, "{engine}: {report}");
    let (s, report) = app.post(&format!("{base}/test"), &admin, fields.clone()).await;
    assert_eq!(s, StatusCode::OK, "{engine}: {report}");
    assert_eq!(report["data"]["success"], true, "{engine}: {report}");

    // The server dies: the test fails and the status turns ERROR with a reason that tells no secret.
    backend.kill();
    let report = test_saved(&app, &admin, &base, &id).await;
    assert_eq!(report["success"], false, "{engine}: {report}");
    assert!(report["error"].as_str().is_some_and(|e| !e.is_empty()), "{engine}: {report}");
    let shown = listed(&app, &admin, &id).await.expect("listed");
    assert_eq!(shown["status"], "ERROR", "{engine}: {shown}");
    let reason = shown["status_error"].as_str().unwrap_or_default();
    assert!(!reason.is_empty(), "{engine}: {shown}");
    if let Some(p) = &password {
        assert!(!reason.contains(p.as_str()), "{engine}: the reason tells the password");
    }
    assert_no_secrets("the status reason", reason);
    assert_no_secrets("the failed report", &report.to_string());

    // It comes back: the next test succeeds and the status is ACTIVE again.
    backend.restart();
    let report = test_saved(&app, &admin, &base, &id).await;
    assert_eq!(report["success"], true, "{engine} after restart: {report}");
    let shown = listed(&app, &admin, &id).await.expect("listed");
    assert_eq!(shown["status"], "ACTIVE", "{engine}: {shown}");
    assert!(shown["status_error"].is_null(), "{engine}: {shown}");

    // Renamed (the route is PUT with only the changed field), then deleted.
    let renamed = format!("{engine}-renamed");
    let (s, updated) = app.put(&format!("{base}/{id}"), &admin, json!({"identifier": renamed})).await;
    assert_eq!(s, StatusCode::OK, "{engine}: {updated}");
    assert_eq!(updated["data"]["identifier"], renamed.as_str());
    assert_eq!(listed(&app, &admin, &id).await.expect("listed")["identifier"], renamed.as_str());
    assert_eq!(test_saved(&app, &admin, &base, &id).await["success"], true, "{engine}: renamed still works");
    let (s, _) = app.delete(&format!("{base}/{id}"), &admin).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // Gone: every route of the id is 404, and the list no longer has it.
    assert_eq!(app.post(&format!("{base}/{id}/test"), &admin, json!({})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.put(&format!("{base}/{id}"), &admin, json!({})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("{base}/{id}"), &admin).await.0, StatusCode::NOT_FOUND);
    assert!(listed(&app, &admin, &id).await.is_none(), "{engine}: still listed after delete");
}

#[tokio::test]
async fn mysql() {
    story(&mut MariaDb::start()).await;
}
