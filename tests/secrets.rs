//! Secrets at rest: no plaintext password in the SQLite store, and a tampered ciphertext fails closed.

mod common;

use base64::Engine as _;
use common::{read_lossy, secret, Mongo, Postgres, Redis, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::ConnectOptions;

#[tokio::test]
async fn the_store_holds_no_plaintext_and_tampering_fails_closed() {
    let redis_password = secret("sb-secret-plain-redis");
    let redis = Redis::start(Some(&redis_password));
    let pg = Postgres::start();
    let mongo = Mongo::start();
    let mut app = TestApp::start().await;
    let admin = app.admin_token().await;

    let pg_password = secret("sb-secret-plain-pg");
    let mongo_password = secret("sb-secret-plain-mongo");
    let pg_url = secret(&format!("postgres://postgres:{pg_password}@127.0.0.1:{}/postgres", pg.port));
    let mongo_url =
        secret(&format!("mongodb://someone:{mongo_password}@127.0.0.1:{}/app?authSource=admin", mongo.port));
    let bodies = [
        ("redis", json!({"identifier": "r", "host": "127.0.0.1", "port": redis.port, "password": redis_password})),
        ("postgres", json!({"identifier": "p", "connection_string": pg_url})),
        ("mongodb", json!({"identifier": "m", "connection_string": mongo_url})),
    ];
    let mut redis_id = String::new();
    for (engine, body) in bodies {
        let base = format!("/api/platform/{engine}/default/connections");
        let (s, created) = app.post(&base, &admin, body.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{created}");
        let id = created["data"]["id"].as_str().unwrap().to_string();
        // Successful and failing tests alike: their messages go to logs and responses.
        let (_, report) = app.post(&format!("{base}/{id}/test"), &admin, json!({})).await;
        common::assert_no_secrets("a test report", &report.to_string());
        let (_, report) = app.post(&format!("{base}/test"), &admin, body).await;
        common::assert_no_secrets("a test report", &report.to_string());
        if engine == "redis" {
            assert_eq!(report["data"]["success"], true, "{report}");
            redis_id = id;
        }
    }

    // Flip one byte of the stored Redis password's ciphertext.
    let db_path = app.data_dir().join("switchboard.db");
    let mut conn = SqliteConnectOptions::new().filename(&db_path).connect().await.unwrap();
    let (blob,): (String,) = sqlx::query_as("SELECT password_enc FROM database_connections WHERE id = $1")
        .bind(&redis_id)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let mut raw = base64::engine::general_purpose::STANDARD.decode(&blob).unwrap();
    raw[14] ^= 0x01;
    let tampered = base64::engine::general_purpose::STANDARD.encode(raw);
    sqlx::query("UPDATE database_connections SET password_enc = $1 WHERE id = $2")
        .bind(&tampered)
        .bind(&redis_id)
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let (s, body) =
        app.post(&format!("/api/platform/redis/default/connections/{redis_id}/test"), &admin, json!({})).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(body["error"]["code"], "DECRYPTION_ERROR");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("could not be decrypted") && message.contains("`r`"), "{message}");

    // Stop the server so the WAL is checkpointed, then scan every store file.
    app.stop();
    let mut store_text = String::new();
    for suffix in ["", "-wal", "-shm"] {
        store_text.push_str(&read_lossy(&db_path.with_file_name(format!("switchboard.db{suffix}"))));
    }
    assert!(store_text.contains("database_connections"), "scanned the wrong file");
    for plain in [&redis_password, &pg_password, &mongo_password] {
        assert!(!store_text.contains(plain.as_str()), "a plaintext password is stored");
    }
    app.restart().await;
}

/// Whatever handler an engine error comes from, the answer never repeats a secret of the
/// connection the request opened: the error path scrubs every answered message and its details.
#[tokio::test]
async fn an_engine_error_quoting_a_password_is_answered_without_it() {
    let redis_password = secret("sb-secret-echoed-redis");
    let redis = Redis::start(Some(&redis_password));
    let pg = Postgres::start();
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let pg_password = secret("sb-secret-echoed-pg");
    for (engine, body) in [
        ("redis", json!({"identifier": "r", "host": "127.0.0.1", "port": redis.port, "password": redis_password})),
        (
            "postgres",
            json!({"identifier": "p", "host": "127.0.0.1", "port": pg.port, "database_name": "postgres",
                            "username": "postgres", "password": pg_password}),
        ),
    ] {
        let (s, created) = app.post(&format!("/api/platform/{engine}/default/connections"), &admin, body).await;
        assert_eq!(s, StatusCode::CREATED, "{created}");
    }

    // Redis answers a script's error text; our own check quotes an unknown subcommand upper-cased.
    let script = json!({"args": ["EVAL_RO", "return redis.error_reply(ARGV[1])", "0", redis_password]});
    let unknown = json!({"args": ["OBJECT", redis_password]});
    for args in [script, unknown] {
        let (s, body) = app.post("/api/platform/redis/default/command", &admin, args).await;
        assert!(s.is_client_error(), "{s} {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("***"), "the echoed password is masked: {body}");
        assert!(!message.to_ascii_lowercase().contains(&redis_password.to_ascii_lowercase()), "{body}");
    }

    // PostgreSQL quotes a value it cannot cast.
    let (s, body) = app
        .post("/api/platform/pg-meta/default/query", &admin, json!({"query": format!("SELECT '{pg_password}'::int")}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("***"), "{body}");
    common::assert_no_secrets("a PostgreSQL error", &body.to_string());
}
