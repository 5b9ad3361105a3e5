//! The team in the API, as the console's team pages use it: the member list with its owner, and
//! the audit trail's target filter and exports.

mod common;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_member_list_shows_the_owner_who_cannot_be_removed_or_demoted() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let project_admin = app.user_with_role(&admin, "padmin@example.com", "default", "admin").await;

    let (s, members) = app.get("/api/platform/projects/default/members", &viewer).await;
    assert_eq!(s, StatusCode::OK, "{members}");
    let list = members["data"].as_array().unwrap();
    assert_eq!(list[0]["email"], common::ADMIN_EMAIL, "the owner comes first: {members}");
    assert_eq!(list[0]["role"], "owner");
    let roles: Vec<(&str, &str)> =
        list.iter().map(|m| (m["email"].as_str().unwrap(), m["role"].as_str().unwrap())).collect();
    assert!(roles.contains(&("viewer@example.com", "viewer")) && roles.contains(&("padmin@example.com", "admin")));
    assert_eq!(roles.len(), 3, "the owner once: {roles:?}");

    let owner_id = list[0]["user_id"].as_str().unwrap();
    let (s, e) = app.delete(&format!("/api/platform/projects/default/members/{owner_id}"), &project_admin).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let body = json!({"email": common::ADMIN_EMAIL, "role": "viewer"});
    let (s, e) = app.post("/api/platform/projects/default/members", &project_admin, body).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    // A viewer sees the list but changes nothing.
    let body = json!({"email": "viewer@example.com", "role": "admin"});
    let (s, _) = app.post("/api/platform/projects/default/members", &viewer, body).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, after) = app.get("/api/platform/projects/default/members", &viewer).await;
    assert_eq!(after, members);
}

#[tokio::test]
async fn the_audit_trail_filters_by_target_and_exports_csv_and_ndjson() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let developer = app.user_with_role(&admin, "alice@example.com", "default", "developer").await;
    app.user_with_role(&admin, "bob@example.com", "default", "viewer").await;

    let (s, page) = app.get("/api/platform/projects/default/audit?target=alice", &admin).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let entries = page["data"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{page}");
    assert_eq!(entries[0]["target"], "alice@example.com");
    assert_eq!(entries[0]["action"], "POST /api/platform/projects/{ref}/members");

    let r = app
        .http
        .get(format!("{}/api/platform/projects/default/audit?format=csv&action=members", app.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("audit.csv"));
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("id,at,user_id,project_ref,"), "{csv}");
    assert_eq!(lines.len(), 3, "a header and two records: {csv}");
    assert!(lines[1].contains("bob@example.com") && lines[2].contains("alice@example.com"), "newest first: {csv}");
    // A JSON detail holds commas and quotes: it is one quoted field.
    assert!(lines[1].contains("\"{\"\""), "{csv}");

    let r = app
        .http
        .get(format!("{}/api/platform/projects/default/audit?format=ndjson&target=bob", app.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let text = r.text().await.unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    let record: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(record["target"], "bob@example.com");

    let (s, e) = app.get("/api/platform/projects/default/audit?format=xml", &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    // Admins only, exports included.
    let (s, _) = app.get("/api/platform/projects/default/audit?format=csv", &developer).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
