//! The MariaDB/MySQL API against a real MariaDB started by the harness: SQL for writers (audited
//! by command, never text) and viewers (read-only), typed values in PostgreSQL's answer shape,
//! schema listings, and the processlist in the project's activity view with a kill only admins
//! may follow.

mod common;

use std::time::{Duration, Instant};

use common::{Backend, MariaDb, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const M: &str = "/api/platform/mysql/default";

async fn sql(app: &TestApp, token: &str, text: &str) -> (StatusCode, Value) {
    app.post(&format!("{M}/query"), token, json!({ "query": text })).await
}

#[tokio::test]
async fn writers_change_viewers_read_and_values_keep_their_types() {
    let db = MariaDb::start();
    let (app, admin, viewer) = common::app_with_mariadb(&db).await;

    let (s, body) = sql(
        &app,
        &admin,
        "CREATE TABLE items (id BIGINT UNSIGNED PRIMARY KEY, price DECIMAL(30,10), at DATETIME(6), doc JSON, raw VARBINARY(4))",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = sql(
        &app,
        &admin,
        "INSERT INTO items VALUES (18446744073709551615, 12345678901234567890.0123456789, '2024-01-02 03:04:05.123456', '{\"a\": [1, 2]}', x'00ff'), (1, 2.5, NULL, NULL, NULL)",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["command"], "INSERT");
    assert_eq!(body["rows_affected"], 2);

    let (s, body) = sql(&app, &viewer, "SELECT * FROM items ORDER BY id DESC").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let big = &body["data"][0];
    assert_eq!(big["id"], "18446744073709551615", "beyond 2^53 as a string: {body}");
    assert_eq!(big["price"], "12345678901234567890.0123456789");
    assert!(big["at"].as_str().unwrap().starts_with("2024-01-02T03:04:05.123456"), "{big}");
    assert_eq!(big["doc"], json!({"a": [1, 2]}), "JSON as JSON: {big}");
    assert_eq!(big["raw"], "\\x00ff");
    let small = &body["data"][1];
    assert_eq!(small["id"], 1);
    assert_eq!(small["price"], 2.5);
    assert!(small["at"].is_null());
    // Column order is the statement's.
    let keys: Vec<&String> = big.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "price", "at", "doc", "raw"]);

    // Viewers read only.
    for write in [
        "INSERT INTO items (id) VALUES (7)",
        "UPDATE items SET price = 0",
        "DELETE FROM items",
        "CREATE TABLE x (i INT)",
    ] {
        let (s, body) = sql(&app, &viewer, write).await;
        assert!(s == StatusCode::BAD_REQUEST || s == StatusCode::FORBIDDEN, "{write}: {s} {body}");
    }
    assert_eq!(db.sql("app", "SELECT COUNT(*) FROM items"), "2", "nothing a viewer sent was written");

    // A server error keeps its code and SQLSTATE.
    let (s, body) = sql(&app, &admin, "SELECT * FROM missing_table").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["details"]["code"], 1146, "{body}");
    assert_eq!(body["error"]["details"]["sqlstate"], "42S02", "{body}");

    // Writes are audited by command and hash, never by text.
    let (_, audit) = app.get("/api/platform/projects/default/audit", &admin).await;
    let text = audit.to_string();
    assert!(!text.contains("12345678901234567890"), "statement text stays out of the audit trail");
    let entries = audit["data"]["entries"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["details"]["command"] == "INSERT"), "{audit}");

    // Schema listings.
    let (s, tables) = app.get(&format!("{M}/databases/app/tables"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{tables}");
    assert!(tables["data"].as_array().unwrap().iter().any(|t| t["name"] == "items"), "{tables}");
    let (s, columns) = app.get(&format!("{M}/databases/app/columns?table=items"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{columns}");
    assert_eq!(columns["data"].as_array().unwrap().len(), 5, "{columns}");
    let (s, dbs) = app.get(&format!("{M}/databases"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{dbs}");
    assert!(dbs["data"].as_array().unwrap().iter().any(|d| d["name"] == "app"), "{dbs}");
}

#[tokio::test]
async fn a_sleeping_query_is_in_the_project_activity_and_only_admins_kill_it() {
    let db = MariaDb::start();
    let (app, admin, viewer) = common::app_with_mariadb(&db).await;
    let port = db.port;
    let sleeper = std::thread::spawn(move || {
        std::process::Command::new("mariadb")
            .args(["-h", "127.0.0.1", "-P", &port.to_string(), "-u", common::backends::MARIADB_USER])
            .arg(format!("-p{}", common::backends::MARIADB_PASSWORD))
            .args(["-e", "SELECT SLEEP(60)", "app"])
            .output()
    });
    let started = Instant::now();
    let entry = loop {
        let (s, list) = app.get("/api/platform/projects/default/activity", &admin).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let found = list["data"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["engine"] == "mysql" && e["what"].as_str().is_some_and(|w| w.contains("SLEEP(60)")))
            .cloned();
        if let Some(found) = found {
            break found;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "never listed: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(entry["active"], true, "{entry}");
    assert_eq!(entry["kill"]["label"], "Kill query");
    let path = entry["kill"]["path"].as_str().unwrap().to_string();
    assert!(path.contains("query_only=true&connection_id="), "{path}");
    assert_eq!(app.post(&path, &viewer, json!({})).await.0, StatusCode::FORBIDDEN);
    let (s, body) = app.post(&path, &admin, json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let output = sleeper.join().unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(55), "the sleep was cut short");
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"), "{output:?}");
    let (_, audit) = app.get("/api/platform/projects/default/audit", &admin).await;
    let id = entry["id"].as_str().unwrap();
    assert!(
        audit["data"]["entries"].as_array().unwrap().iter().any(|e| e["target"] == format!("connection {id}")),
        "{audit}"
    );
}

/// A hostile member: another project's connection id, names with quotes and operators, a
/// developer token against the admin kill, and a kill aimed at a process id that is not there.
#[tokio::test]
async fn another_projects_connection_hostile_names_and_tokens_are_refused() {
    let db = MariaDb::start();
    let (app, admin, viewer) = common::app_with_mariadb(&db).await;
    // A connection of another project, to the same server.
    let (_, other) = app.post("/api/platform/projects", &admin, json!({"name": "Other"})).await;
    let other_ref = other["data"]["ref"].as_str().unwrap().to_string();
    let mut body = db.fields();
    body["identifier"] = json!("theirs");
    let (s, theirs) = app.post(&format!("/api/platform/mysql/{other_ref}/connections"), &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{theirs}");
    let theirs = theirs["data"]["id"].as_str().unwrap().to_string();
    for path in [
        format!("{M}/databases?connection_id={theirs}"),
        format!("{M}/databases/app/tables?connection_id={theirs}"),
        format!("{M}/activity?connection_id={theirs}"),
    ] {
        let (s, answer) = app.get(&path, &viewer).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {answer}");
    }
    let (s, answer) =
        app.post(&format!("{M}/query?connection_id={theirs}"), &admin, json!({"query": "SELECT 1"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{answer}");

    // Names are bound values, never SQL: quotes and operators list nothing and break nothing.
    for name in ["app' OR '1'='1", "app`; DROP DATABASE app; --", "%", "information_schema\" --"] {
        let path = format!("{M}/databases/{}/tables", urlencoding(name));
        let (s, answer) = app.get(&path, &viewer).await;
        assert_eq!(s, StatusCode::OK, "{name}: {answer}");
        assert_eq!(answer["data"], json!([]), "{name}");
        let path = format!("{M}/databases/app/columns?table={}", urlencoding(name));
        let (s, answer) = app.get(&path, &viewer).await;
        assert_eq!((s, &answer["data"]), (StatusCode::OK, &json!([])), "{name}");
    }
    assert_eq!(db.sql("app", "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'app'"), "1");

    // A developer API token may run SQL but not kill; a bad id is a 400, an absent one a 404.
    let (s, token) =
        app.post("/api/platform/projects/default/tokens", &admin, json!({"name": "ci", "role": "developer"})).await;
    assert_eq!(s, StatusCode::CREATED, "{token}");
    let token = token["data"]["secret"].as_str().unwrap().to_string();
    assert_eq!(sql(&app, &token, "SELECT 1").await.0, StatusCode::OK);
    assert_eq!(app.post(&format!("{M}/activity/1/kill"), &token, json!({})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.post(&format!("{M}/activity/1/kill"), &viewer, json!({})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.post(&format!("{M}/activity/x%27/kill"), &admin, json!({})).await.0, StatusCode::BAD_REQUEST);
    let (s, answer) = app.post(&format!("{M}/activity/987654321/kill"), &admin, json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{answer}");
}

/// Percent-encodes a path segment.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'_' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
