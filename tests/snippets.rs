//! Saved snippets of a project: shared or private, who may create, change and delete them, limits,
//! and an audit trail that names a snippet but never holds its content.

mod common;

use common::{AppOptions, Postgres, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const SNIPPETS: &str = "/api/platform/projects/default/snippets";

fn names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> =
        list["data"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn members_share_snippets_and_keep_private_ones_private() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let alice = app.user_with_role(&admin, "alice@example.com", "default", "developer").await;
    let bob = app.user_with_role(&admin, "bob@example.com", "default", "developer").await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let project_admin = app.user_with_role(&admin, "padmin@example.com", "default", "admin").await;
    let stranger = app.user_with_role(&admin, "stranger@example.com", "", "").await;

    let secret_sql = "SELECT 'the content is never audited'";
    let (s, shared) = app
        .post(
            SNIPPETS,
            &alice,
            json!({"name": "Top customers", "engine": "postgres", "content": secret_sql, "visibility": "project"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{shared}");
    let shared = shared["data"].clone();
    assert_eq!(shared["owner"]["email"], "alice@example.com", "{shared}");
    assert_eq!(shared["visibility"], "project");
    assert!(shared["created_at"].is_string() && shared["updated_at"].is_string(), "{shared}");
    let (s, private) = app
        .post(SNIPPETS, &alice, json!({"name": "Alice's scratch", "engine": "postgres", "content": "SELECT 2"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{private}");
    assert_eq!(private["data"]["visibility"], "private", "private is the default");
    let private_id = private["data"]["id"].as_str().unwrap().to_string();
    let (s, _) = app
        .post(
            SNIPPETS,
            &bob,
            json!({"name": "Bob keys", "engine": "redis", "content": "SCAN 0", "visibility": "project"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    // Everyone with read access sees the shared ones and their own private ones only.
    assert_eq!(names(&app.get(SNIPPETS, &alice).await.1), ["Alice's scratch", "Bob keys", "Top customers"]);
    assert_eq!(names(&app.get(SNIPPETS, &bob).await.1), ["Bob keys", "Top customers"]);
    assert_eq!(names(&app.get(SNIPPETS, &viewer).await.1), ["Bob keys", "Top customers"]);
    assert_eq!(names(&app.get(SNIPPETS, &project_admin).await.1), ["Bob keys", "Top customers"]);
    assert_eq!(names(&app.get(&format!("{SNIPPETS}?engine=postgres"), &bob).await.1), ["Top customers"]);
    let one = |id: &str| format!("{SNIPPETS}/{id}");
    let (s, got) = app.get(&one(shared["id"].as_str().unwrap()), &viewer).await;
    assert_eq!((s, got["data"]["content"].clone()), (StatusCode::OK, json!(secret_sql)));
    for token in [&bob, &viewer, &project_admin] {
        assert_eq!(app.get(&one(&private_id), token).await.0, StatusCode::NOT_FOUND);
        let (s, _) = app.call(Method::PATCH, &one(&private_id), Some(token), Some(json!({"name": "mine"}))).await;
        assert!(s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN, "{s}");
        let (s, _) = app.delete(&one(&private_id), token).await;
        assert!(s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN, "{s}");
    }
    assert_eq!(app.get(&one(&private_id), &alice).await.0, StatusCode::OK);
    assert_eq!(app.get(SNIPPETS, &stranger).await.0, StatusCode::NOT_FOUND);

    // Viewers read but do not create; only the owner changes a snippet.
    let (s, _) = app.post(SNIPPETS, &viewer, json!({"name": "v", "engine": "postgres", "content": "SELECT 1"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let shared_path = one(shared["id"].as_str().unwrap());
    let (s, _) = app.call(Method::PATCH, &shared_path, Some(&bob), Some(json!({"content": "DROP TABLE x"}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, changed) = app
        .call(Method::PATCH, &shared_path, Some(&alice), Some(json!({"name": "Best customers", "content": "SELECT 3"})))
        .await;
    assert_eq!(s, StatusCode::OK, "{changed}");
    assert_eq!(
        (changed["data"]["name"].clone(), changed["data"]["content"].clone()),
        (json!("Best customers"), json!("SELECT 3"))
    );
    assert_eq!(changed["data"]["visibility"], "project");

    // Bob may not delete Alice's shared snippet; an admin of the project may.
    assert_eq!(app.delete(&shared_path, &bob).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&shared_path, &project_admin).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&shared_path, &alice).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&one(&private_id), &alice).await.0, StatusCode::NO_CONTENT);
    assert_eq!(names(&app.get(SNIPPETS, &alice).await.1), ["Bob keys"]);

    // Audited by name and id, never with the content.
    let (s, audit) = app.get("/api/platform/projects/default/audit?limit=500", &admin).await;
    assert_eq!(s, StatusCode::OK);
    let entries: Vec<&Value> = audit["data"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap_or_default().contains("/snippets"))
        .collect();
    assert!(!audit.to_string().contains("never audited"), "a snippet's content is in the audit trail");
    let created = entries
        .iter()
        .find(|e| e["action"] == "POST /api/platform/projects/{ref}/snippets" && e["target"] == "Top customers");
    assert!(created.is_some_and(|e| e["details"]["snippet_id"] == shared["id"]), "{entries:?}");
    assert!(entries
        .iter()
        .any(|e| e["action"] == "DELETE /api/platform/projects/{ref}/snippets/{id}" && e["outcome"] == "ok"));
    assert!(entries.iter().any(|e| e["outcome"] == "denied"), "{entries:?}");
}

#[tokio::test]
async fn snippets_refuse_bad_input_with_clear_messages() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let bad = [
        json!({"name": "", "engine": "postgres", "content": "x"}),
        json!({"name": "n".repeat(201), "engine": "postgres", "content": "x"}),
        json!({"name": "big", "engine": "postgres", "content": "x".repeat(100_001)}),
        json!({"name": "n", "engine": "oracle", "content": "x"}),
        json!({"name": "n", "engine": "postgres", "content": "x", "visibility": "everyone"}),
        json!({"name": "n", "engine": "postgres"}),
        json!({"name": "n", "engine": "postgres", "content": "x", "colour": "red"}),
    ];
    for body in bad {
        let (s, answer) = app.post(SNIPPETS, &admin, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], "VALIDATION_ERROR", "{answer}");
    }
    let (s, answer) =
        app.post(SNIPPETS, &admin, json!({"name": "big", "engine": "postgres", "content": "x".repeat(100_001)})).await;
    assert!(answer["error"]["message"].as_str().unwrap().contains("100000 bytes"), "{s} {answer}");
    let (s, _) = app.get(&format!("{SNIPPETS}/not-a-uuid"), &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app.get(&format!("{SNIPPETS}/8f1c7a52-4d7e-4a5c-9a2b-1c2d3e4f5a6b"), &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, created) = app.post(SNIPPETS, &admin, json!({"name": "ok", "engine": "mongodb", "content": "{}"})).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let path = format!("{SNIPPETS}/{}", created["data"]["id"].as_str().unwrap());
    let (s, _) = app.call(Method::PATCH, &path, Some(&admin), Some(json!({"name": "  "}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // A snippet survives a restart (it is in the store).
    let mut app = app;
    app.restart().await;
    let admin = app.admin_token().await;
    assert_eq!(app.get(&path, &admin).await.0, StatusCode::OK);
}

#[tokio::test]
async fn snippets_work_on_a_postgres_platform_store() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE DATABASE platform_app");
    let app = TestApp::start_with(AppOptions { platform_db: Some(pg.url("platform_app")), ..Default::default() }).await;
    let admin = app.admin_token().await;
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;
    let body = json!({"name": "shared", "engine": "postgres", "content": "SELECT 1", "visibility": "project"});
    let (s, created) = app.post(SNIPPETS, &developer, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let (s, _) = app.post(SNIPPETS, &developer, json!({"name": "mine", "engine": "redis", "content": "PING"})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(names(&app.get(SNIPPETS, &admin).await.1), ["shared"]);
    assert_eq!(names(&app.get(SNIPPETS, &developer).await.1), ["mine", "shared"]);
    let path = format!("{SNIPPETS}/{}", created["data"]["id"].as_str().unwrap());
    let (s, changed) = app.call(Method::PATCH, &path, Some(&developer), Some(json!({"visibility": "private"}))).await;
    assert_eq!((s, changed["data"]["visibility"].clone()), (StatusCode::OK, json!("private")));
    assert_eq!(app.get(&path, &admin).await.0, StatusCode::NOT_FOUND);
    assert_eq!(pg.psql("platform_app", "SELECT count(*) FROM platform.snippets"), "2");
}
