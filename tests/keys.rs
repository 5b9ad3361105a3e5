//! Key rotation: every secret re-encrypted under the new key, an interrupted run finished by the
//! next, and the old key no longer needed afterwards.

mod common;

use std::process::Command;

use common::{secret, AppOptions, Redis, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::ConnectOptions;

fn rotate(app: &TestApp, new_key: &str, old_key: &str, limit: Option<&str>) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.args(["keys", "rotate", "--data-dir"])
        .arg(app.data_dir())
        .env_remove("SWITCHBOARD_PLATFORM_DB")
        .env("SWITCHBOARD_ENCRYPTION_KEY", new_key)
        .env("SWITCHBOARD_PREVIOUS_ENCRYPTION_KEYS", old_key)
        .env("SWITCHBOARD_JWT_SECRET", common::JWT_SECRET);
    if let Some(limit) = limit {
        cmd.args(["--limit", limit]);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

async fn key_ids(app: &TestApp) -> Vec<String> {
    let mut conn = SqliteConnectOptions::new().filename(app.data_dir().join("switchboard.db")).connect().await.unwrap();
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT DISTINCT secret_key_id FROM database_connections WHERE secret_key_id IS NOT NULL")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

#[tokio::test]
async fn rotation_re_encrypts_everything_and_survives_interruption() {
    let old_key = "11".repeat(32);
    let new_key = "22".repeat(32);
    let password = secret("sb-secret-rotated-password");
    let redis = Redis::start(Some(&password));
    let mut app = TestApp::start_with(AppOptions {
        env: vec![("SWITCHBOARD_ENCRYPTION_KEY".into(), old_key.clone())],
        ..Default::default()
    })
    .await;
    let admin = app.admin_token().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let body =
            json!({"identifier": format!("r{i}"), "host": "127.0.0.1", "port": redis.port, "password": password});
        let (s, created) = app.post("/api/platform/redis/default/connections", &admin, body).await;
        assert_eq!(s, StatusCode::CREATED, "{created}");
        ids.push(created["data"]["id"].as_str().unwrap().to_string());
    }
    let before = key_ids(&app).await;
    assert_eq!(before.len(), 1);
    app.stop();

    // Interrupted after one row: the rest stay readable with the old key.
    let out = rotate(&app, &new_key, &old_key, Some("1"));
    assert!(out.contains("re-encrypted 1 connection(s)") && out.contains("2 still under older keys"), "{out}");
    assert_eq!(key_ids(&app).await.len(), 2, "mixed keys after an interrupted run");

    // A second run finishes; a third has nothing to do.
    let out = rotate(&app, &new_key, &old_key, None);
    assert!(out.contains("re-encrypted 2 connection(s)") && out.contains("0 still under older keys"), "{out}");
    let out = rotate(&app, &new_key, &old_key, None);
    assert!(out.contains("re-encrypted 0 connection(s)"), "{out}");
    let after = key_ids(&app).await;
    assert_eq!(after.len(), 1);
    assert_ne!(after, before, "nothing is left under the old key");

    // The server no longer needs the old key: every secret opens and still works.
    app.set_env("SWITCHBOARD_ENCRYPTION_KEY", &new_key);
    app.restart().await;
    let admin = app.admin_token().await;
    for id in &ids {
        let (s, report) =
            app.post(&format!("/api/platform/redis/default/connections/{id}/test"), &admin, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{report}");
        assert_eq!(report["data"]["success"], true, "{report}");
    }

    // Rotating with a key that cannot open the secrets fails loudly and changes nothing.
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["keys", "rotate", "--data-dir"])
        .arg(app.data_dir())
        .env_remove("SWITCHBOARD_PLATFORM_DB")
        .env("SWITCHBOARD_ENCRYPTION_KEY", "33".repeat(32))
        .env_remove("SWITCHBOARD_PREVIOUS_ENCRYPTION_KEYS")
        .env("SWITCHBOARD_JWT_SECRET", common::JWT_SECRET)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not decrypt 3 connection(s)"));
    assert_eq!(key_ids(&app).await, after);
}
