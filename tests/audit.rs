//! The audit trail: every mutation and every refusal is recorded without values or secrets, and a
//! mutation whose record cannot be written is refused.

mod common;

use common::{read_lossy, secret, Mongo, Postgres, Redis, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::ConnectOptions;

async fn audit(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, body) = app.get("/api/platform/projects/default/audit?limit=500", token).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["data"]["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn every_mutation_and_refusal_is_recorded_without_values() {
    let redis = Redis::start(None);
    let pg = Postgres::start();
    let mongo = Mongo::start();
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let password = secret("sb-secret-audited-password");
    let value = secret("sb-secret-stored-value");

    let mut expected: Vec<(Method, &str, Option<&str>)> = Vec::new();
    let mut ids = Vec::new();
    for (engine, port) in [("redis", redis.port), ("postgres", pg.port), ("mongodb", mongo.port)] {
        let base = format!("/api/platform/{engine}/default/connections");
        let mut body = json!({"identifier": format!("{engine}-main"), "host": "127.0.0.1", "port": port});
        if engine == "postgres" {
            body["username"] = json!("postgres");
            body["password"] = json!(password);
        }
        let (s, created) = app.post(&base, &admin, body.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{created}");
        let id = created["data"]["id"].as_str().unwrap().to_string();
        assert_eq!(app.post(&format!("{base}/test"), &admin, body).await.0, StatusCode::OK);
        assert_eq!(app.post(&format!("{base}/{id}/test"), &admin, json!({})).await.0, StatusCode::OK);
        ids.push((engine, id));
    }
    expected.push((Method::POST, "/api/platform/redis/{ref}/connections", None));
    expected.push((Method::POST, "/api/platform/redis/{ref}/connections/test", None));
    expected.push((Method::POST, "/api/platform/redis/{ref}/connections/{id}/test", None));

    // Redis data.
    let keys = "/api/platform/redis/default/keys";
    assert_eq!(app.post(&format!("{keys}/audited:key"), &admin, json!({"value": value})).await.0, StatusCode::CREATED);
    assert_eq!(
        app.put(&format!("{keys}/audited:key"), &admin, json!({"value": value, "ttl": 60})).await.0,
        StatusCode::OK
    );
    assert_eq!(app.post(&format!("{keys}/audited:key/expire"), &admin, json!({"ttl": -1})).await.0, StatusCode::OK);
    assert_eq!(app.delete(&format!("{keys}/audited:key"), &admin).await.0, StatusCode::NO_CONTENT);
    let (s, _) =
        app.post("/api/platform/redis/default/pubsub/publish", &admin, json!({"channel": "c", "message": value})).await;
    assert_eq!(s, StatusCode::OK);
    expected.push((Method::POST, "/api/platform/redis/{ref}/keys/{key}", Some("audited:key")));
    expected.push((Method::PUT, "/api/platform/redis/{ref}/keys/{key}", Some("audited:key")));
    expected.push((Method::POST, "/api/platform/redis/{ref}/keys/{key}/expire", Some("audited:key")));
    expected.push((Method::DELETE, "/api/platform/redis/{ref}/keys/{key}", Some("audited:key")));
    expected.push((Method::POST, "/api/platform/redis/{ref}/pubsub/publish", None));

    // MongoDB data.
    let coll = "/api/platform/mongodb/default/databases/app/collections/people";
    let (s, inserted) =
        app.post(&format!("{coll}/documents"), &admin, json!({"document": {"_id": "p1", "secret": value}})).await;
    assert_eq!(s, StatusCode::CREATED, "{inserted}");
    assert_eq!(
        app.put(&format!("{coll}/documents/%22p1%22"), &admin, json!({"update": {"$set": {"n": 1}}})).await.0,
        StatusCode::OK
    );
    let (s, _) =
        app.post(&format!("{coll}/indexes"), &admin, json!({"keys": {"n": 1}, "options": {"name": "by_n"}})).await;
    assert!(s.is_success());
    assert_eq!(app.delete(&format!("{coll}/documents/%22p1%22"), &admin).await.0, StatusCode::NO_CONTENT);
    expected.push((
        Method::POST,
        "/api/platform/mongodb/{ref}/databases/{database}/collections/{collection}/documents",
        Some("app/people"),
    ));
    expected.push((
        Method::PUT,
        "/api/platform/mongodb/{ref}/databases/{database}/collections/{collection}/documents/{id}",
        None,
    ));
    expected.push((
        Method::POST,
        "/api/platform/mongodb/{ref}/databases/{database}/collections/{collection}/indexes",
        Some("app/people"),
    ));
    expected.push((
        Method::DELETE,
        "/api/platform/mongodb/{ref}/databases/{database}/collections/{collection}/documents/{id}",
        None,
    ));

    // SQL that writes is recorded (without its text); SQL that only reads is not a mutation.
    let sql = format!("CREATE TABLE audited AS SELECT '{value}'::text AS v");
    let (s, body) = app.post("/api/platform/pg-meta/default/query", &admin, json!({"query": sql})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    expected.push((Method::POST, "/api/platform/pg-meta/{ref}/query", None));
    let reads_before = audit(&app, &admin).await.len();
    let (s, body) =
        app.post("/api/platform/pg-meta/default/query", &admin, json!({"query": "SELECT v FROM audited"})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(audit(&app, &admin).await.len(), reads_before, "a writer's read leaves no record");
    // A write disguised as a read is caught by PostgreSQL in the read-only attempt, then audited.
    let disguised = "WITH gone AS (DELETE FROM audited RETURNING v) SELECT count(*) AS n FROM gone";
    let (s, body) = app.post("/api/platform/pg-meta/default/query", &admin, json!({"query": disguised})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"][0]["n"], "1", "run once, as a write");
    assert_eq!(audit(&app, &admin).await.len(), reads_before + 1, "the disguised write is recorded");

    // Members, connections, the project.
    let (_, members) = app.get("/api/platform/projects/default/members", &admin).await;
    let viewer_id = members["data"][0]["user_id"].as_str().unwrap().to_string();
    app.post("/api/platform/users", &admin, json!({"email": "x@example.com", "password": "sb-secret-x-password"}))
        .await;
    assert_eq!(
        app.post(
            "/api/platform/projects/default/members",
            &admin,
            json!({"email": "x@example.com", "role": "developer"})
        )
        .await
        .0,
        StatusCode::CREATED
    );
    let (_, members) = app.get("/api/platform/projects/default/members", &admin).await;
    let x_id = members["data"].as_array().unwrap().iter().find(|m| m["email"] == "x@example.com").unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.delete(&format!("/api/platform/projects/default/members/{x_id}"), &admin).await.0,
        StatusCode::NO_CONTENT
    );
    expected.push((Method::POST, "/api/platform/projects/{ref}/members", None));
    expected.push((Method::DELETE, "/api/platform/projects/{ref}/members/{user_id}", None));
    let (redis_engine, redis_id) = &ids[0];
    let conn = format!("/api/platform/{redis_engine}/default/connections/{redis_id}");
    assert_eq!(app.put(&conn, &admin, json!({"identifier": "renamed"})).await.0, StatusCode::OK);
    expected.push((Method::PUT, "/api/platform/redis/{ref}/connections/{id}", None));
    assert_eq!(
        app.call(Method::PATCH, "/api/platform/projects/default", Some(&admin), Some(json!({"name": "Renamed"})))
            .await
            .0,
        StatusCode::OK
    );
    expected.push((Method::PATCH, "/api/platform/projects/{ref}", None));

    // Refusals: a viewer's write, a viewer reading the trail.
    assert_eq!(app.post(&format!("{keys}/nope"), &viewer, json!({"value": "x"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/platform/projects/default/audit", &viewer).await.0, StatusCode::FORBIDDEN);

    let entries = audit(&app, &admin).await;
    for (method, route, target) in &expected {
        let action = format!("{method} {route}");
        let found = entries.iter().find(|e| e["action"] == action && e["outcome"] == "ok");
        let found = found.unwrap_or_else(|| panic!("no ok audit entry for {action}"));
        assert!(
            found["user_id"].is_string() && found["request_id"].is_string() && found["client_addr"] == "127.0.0.1",
            "{found}"
        );
        assert!(found["status"].as_u64().unwrap() < 300);
        if let Some(t) = target {
            assert_eq!(found["target"], *t, "{found}");
        }
    }
    let redis_key_entry =
        entries.iter().find(|e| e["action"] == "DELETE /api/platform/redis/{ref}/keys/{key}").unwrap();
    assert_eq!(redis_key_entry["engine"], "redis");
    assert_eq!(redis_key_entry["connection_id"], Value::Null, "the primary was used");
    let conn_entry = entries.iter().find(|e| e["action"] == "PUT /api/platform/redis/{ref}/connections/{id}").unwrap();
    assert_eq!(conn_entry["connection_id"], redis_id.as_str());
    let denied: Vec<&Value> = entries.iter().filter(|e| e["outcome"] == "denied").collect();
    assert!(
        denied.iter().any(|e| e["action"] == "POST /api/platform/redis/{ref}/keys/{key}" && e["status"] == 403),
        "{denied:?}"
    );
    assert!(denied.iter().any(|e| e["action"] == "GET /api/platform/projects/{ref}/audit"), "{denied:?}");

    // Filters and paging.
    let (_, page) = app.get("/api/platform/projects/default/audit?action=keys&limit=2", &admin).await;
    assert_eq!(page["data"]["entries"].as_array().unwrap().len(), 2);
    let before = page["data"]["next_before"].as_i64().unwrap();
    let (_, older) =
        app.get(&format!("/api/platform/projects/default/audit?action=keys&limit=500&before={before}"), &admin).await;
    assert!(older["data"]["entries"].as_array().unwrap().iter().all(|e| e["id"].as_i64().unwrap() < before));
    let (_, mine) = app.get(&format!("/api/platform/projects/default/audit?user_id={viewer_id}"), &admin).await;
    assert!(mine["data"]["entries"].as_array().unwrap().iter().all(|e| e["user_id"] == viewer_id.as_str()));
    assert_eq!(
        app.get("/api/platform/projects/default/audit?since=yesterday", &admin).await.0,
        StatusCode::BAD_REQUEST
    );

    // No value or secret anywhere in the trail, through the API or in the store file.
    common::assert_no_secrets("the audit trail", &Value::Array(entries).to_string());
    let db = app.data_dir().join("switchboard.db");
    let mut conn = SqliteConnectOptions::new().filename(&db).connect().await.unwrap();
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT action, target FROM audit_log").fetch_all(&mut conn).await.unwrap();
    let text = format!("{rows:?}");
    common::assert_no_secrets("audit_log", &text);
    assert!(rows.iter().any(|(a, _)| a == "POST /api/platform/users"), "non-project mutations are recorded too");
    let _ = read_lossy(&db);
}

#[tokio::test]
async fn an_unwritable_audit_trail_refuses_mutations_but_not_reads() {
    let redis = Redis::start(None);
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    app.post(
        "/api/platform/redis/default/connections",
        &admin,
        json!({"identifier": "c", "host": "127.0.0.1", "port": redis.port}),
    )
    .await;
    redis.cli(&["SET", "existing", "v"]);

    let db = app.data_dir().join("switchboard.db");
    let mut conn = SqliteConnectOptions::new().filename(&db).connect().await.unwrap();
    sqlx::query(
        "CREATE TRIGGER block_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit blocked'); END",
    )
    .execute(&mut conn)
    .await
    .unwrap();

    let (s, body) = app.post("/api/platform/redis/default/keys/new-key", &admin, json!({"value": "v"})).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "SERVICE_UNAVAILABLE");
    assert_eq!(redis.cli(&["EXISTS", "new-key"]), "0", "the change was not made");
    assert_eq!(
        app.delete("/api/platform/redis/default/keys/existing", &admin).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(redis.cli(&["EXISTS", "existing"]), "1");
    let (s, body) = app.get("/api/platform/redis/default/keys/existing", &admin).await;
    assert_eq!(s, StatusCode::OK, "reads still work: {body}");

    sqlx::query("DROP TRIGGER block_audit").execute(&mut conn).await.unwrap();
    assert_eq!(
        app.post("/api/platform/redis/default/keys/new-key", &admin, json!({"value": "v"})).await.0,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn every_mutating_route_in_the_table_leaves_an_audit_record() {
    let redis = Redis::start(None);
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let body = json!({"identifier": "cache", "host": "127.0.0.1", "port": redis.port});
    assert_eq!(app.post("/api/platform/redis/default/connections", &admin, body).await.0, StatusCode::CREATED);
    let id = "8f1c7a52-4d7e-4a5c-9a2b-1c2d3e4f5a6b";
    let mut walked = Vec::new();
    for (method, path) in switchboard::router::route_list() {
        let mutating = matches!(method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
        // Deleting the project would take its trail with it; it is walked last, below.
        if !mutating || !path.starts_with("/api/platform/") || path == "/api/platform/projects/{ref}" {
            continue;
        }
        let url = path
            .replace("{ref}", "default")
            .replace("{key}", "walked-key")
            .replace("{id}", id)
            .replace("{user_id}", id)
            .replace("{database}", "walkdb")
            .replace("{collection}", "walkcoll")
            .replace("{name}", "walk_index");
        let body = (method != Method::DELETE).then(|| json!({}));
        let (status, resp) = app.call(method.clone(), &url, Some(&admin), body).await;
        assert!(!status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE, "{method} {path} -> {resp}");
        walked.push(format!("{method} {path}"));
    }
    let (s, _) = app.call(Method::PATCH, "/api/platform/projects/default", Some(&admin), Some(json!({}))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.delete("/api/platform/projects/default", &admin).await.0, StatusCode::NO_CONTENT);
    walked.push("PATCH /api/platform/projects/{ref}".into());
    walked.push("DELETE /api/platform/projects/{ref}".into());

    let db = app.data_dir().join("switchboard.db");
    let mut conn = SqliteConnectOptions::new().filename(&db).connect().await.unwrap();
    let rows: Vec<(String, String, Option<i32>, Option<String>)> =
        sqlx::query_as("SELECT action, outcome, status, target FROM audit_log").fetch_all(&mut conn).await.unwrap();
    let mut named = 0;
    for action in &walked {
        let record = rows.iter().find(|(a, _, _, _)| a == action);
        let (_, outcome, status, target) = record.unwrap_or_else(|| panic!("no audit record for {action}"));
        assert_ne!(outcome, "pending", "{action} was never finished");
        assert!(status.is_some(), "{action}");
        // What was changed is named: a path's names, or what the handler created.
        if outcome == "ok" || action.replace("{ref}", "").contains('{') {
            assert!(target.is_some(), "{action} ({outcome}) names no target");
            named += 1;
        }
    }
    eprintln!("audit walk: {named} records checked for a target");
    assert!(walked.len() >= 30, "walked {} mutating routes", walked.len());
    eprintln!("audit walk: {} mutating routes, each recorded", walked.len());
}

/// The record of the newest request whose action is `action` (newest first).
fn newest<'a>(entries: &'a [Value], action: &str) -> &'a Value {
    entries.iter().find(|e| e["action"] == action).unwrap_or_else(|| panic!("no record of {action}: {entries:?}"))
}

#[tokio::test]
async fn records_name_what_changed_and_superusers_read_the_whole_trail() {
    let pg = Postgres::start();
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let member = app.user_with_role(&admin, "member@example.com", "default", "developer").await;

    // A connection: its id and identifier, not null.
    let body = json!({"identifier": "main", "host": "127.0.0.1", "port": pg.port, "username": "postgres",
                      "database_name": "postgres"});
    let (s, created) = app.post("/api/platform/postgres/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let conn_id = created["data"]["id"].as_str().unwrap().to_string();
    // A token, and a write made with it.
    let (s, token) =
        app.post("/api/platform/projects/default/tokens", &admin, json!({"name": "ci", "role": "developer"})).await;
    assert_eq!(s, StatusCode::CREATED, "{token}");
    let token_id = token["data"]["id"].as_str().unwrap().to_string();
    let secret_token = token["data"]["secret"].as_str().unwrap().to_string();
    let statement = "CREATE TABLE noted AS SELECT 'sb-secret-sql-value'::text AS v";
    let (s, body) = app.post("/api/platform/pg-meta/default/query", &secret_token, json!({"query": statement})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = app
        .post("/api/platform/pg-meta/default/query", &member, json!({"query": "UPDATE noted SET v = v || 'x'"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (_, members) = app.get("/api/platform/projects/default/members", &admin).await;
    let member_id = members["data"].as_array().unwrap().iter().find(|m| m["email"] == "member@example.com").unwrap()
        ["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = app.delete(&format!("/api/platform/projects/default/tokens/{token_id}"), &admin).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    let entries = audit(&app, &admin).await;
    let record = newest(&entries, "POST /api/platform/postgres/{ref}/connections");
    assert_eq!(record["target"], "main", "{record}");
    assert_eq!(record["connection_id"], conn_id.as_str(), "{record}");
    assert_eq!(record["details"]["identifier"], "main", "{record}");
    let record = newest(&entries, "POST /api/platform/projects/{ref}/members");
    assert_eq!(record["target"], "member@example.com");
    assert_eq!(record["details"], json!({"user_id": member_id, "email": "member@example.com", "role": "developer"}));
    let record = newest(&entries, "POST /api/platform/projects/{ref}/tokens");
    assert_eq!(
        (&record["target"], &record["details"]["token_id"], &record["details"]["role"]),
        (&json!("ci"), &json!(token_id), &json!("developer"))
    );
    let record = newest(&entries, "DELETE /api/platform/projects/{ref}/tokens/{id}");
    assert_eq!(record["details"]["token_id"], token_id.as_str(), "{record}");
    // SQL writes: command, rows and a hash of the statement; never its text. Made with a token,
    // the record names the token.
    let sql_records: Vec<&Value> =
        entries.iter().filter(|e| e["action"] == "POST /api/platform/pg-meta/{ref}/query").collect();
    assert_eq!(sql_records.len(), 2, "{sql_records:?}");
    let (update, create) = (sql_records[0], sql_records[1]);
    assert_eq!(update["details"]["command"], "UPDATE", "{update}");
    assert_eq!(update["details"]["rows"], 1, "{update}");
    assert!(update["token_id"].is_null());
    assert_eq!(create["details"]["command"], "CREATE", "{create}");
    assert_eq!(create["token_id"], token_id.as_str(), "{create}");
    use sha2::Digest;
    assert_eq!(create["details"]["statement_sha256"], hex::encode(sha2::Sha256::digest(statement.as_bytes())));
    assert!(!Value::Array(entries.clone()).to_string().contains("sb-secret-sql-value"), "no SQL text in the trail");

    // Filters: engine, connection, outcome.
    let (_, by_engine) = app.get("/api/platform/projects/default/audit?engine=postgres", &admin).await;
    let by_engine = by_engine["data"]["entries"].as_array().unwrap().clone();
    assert!(!by_engine.is_empty() && by_engine.iter().all(|e| e["engine"] == "postgres"), "{by_engine:?}");
    let (_, by_conn) = app.get(&format!("/api/platform/projects/default/audit?connection_id={conn_id}"), &admin).await;
    assert!(by_conn["data"]["entries"].as_array().unwrap().iter().all(|e| e["connection_id"] == conn_id.as_str()));
    let (_, ok) = app.get("/api/platform/projects/default/audit?outcome=ok", &admin).await;
    assert!(ok["data"]["entries"].as_array().unwrap().iter().all(|e| e["outcome"] == "ok"));
    assert_eq!(app.get("/api/platform/projects/default/audit?engine=oracle", &admin).await.0, StatusCode::BAD_REQUEST);
    // Filter values are bound, never pasted into SQL: a quote matches nothing and breaks nothing.
    let (s, quoted) = app.get("/api/platform/projects/default/audit?outcome=ok%27%20OR%20%271%27%3D%271", &admin).await;
    assert_eq!(s, StatusCode::OK, "{quoted}");
    assert_eq!(quoted["data"]["entries"], json!([]));
    // A connection of another project names no record of this one.
    let (_, other) = app.post("/api/platform/projects", &admin, json!({"name": "Other"})).await;
    let other_ref = other["data"]["ref"].as_str().unwrap();
    let (s, foreign) =
        app.get(&format!("/api/platform/projects/{other_ref}/audit?connection_id={conn_id}"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{foreign}");
    assert_eq!(foreign["data"]["entries"], json!([]), "another project's trail shows nothing of this one");

    // Platform-level records (users, organizations, projects) are read by superusers only.
    let (s, all) = app.get("/api/platform/audit?action=/api/platform/users", &admin).await;
    assert_eq!(s, StatusCode::OK, "{all}");
    let users = all["data"]["entries"].as_array().unwrap();
    let record = users.iter().find(|e| e["target"] == "member@example.com").unwrap_or_else(|| panic!("{all}"));
    assert!(record["project_ref"].is_null() && record["details"]["user_id"] == member_id.as_str(), "{record}");
    assert_eq!(app.get("/api/platform/audit", &member).await.0, StatusCode::FORBIDDEN);

    // NDJSON export: every matching record, one per line.
    let response = app
        .http
        .get(format!("{}/api/platform/projects/default/audit", app.base))
        .bearer_auth(&admin)
        .header("accept", "application/x-ndjson")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let (_, page) = app.get("/api/platform/projects/default/audit?limit=500", &admin).await;
    assert_eq!(lines.len(), page["data"]["entries"].as_array().unwrap().len());
    assert!(lines.windows(2).all(|w| w[0]["id"].as_i64() > w[1]["id"].as_i64()), "newest first");
}
