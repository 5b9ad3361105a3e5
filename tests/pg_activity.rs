//! PostgreSQL activity against a real server: a running pg_sleep is listed with its duration and
//! cancelled, a lock wait shows who blocks it, terminate ends a session; viewers read, only admins
//! stop sessions, and each stop is audited with its pid.

mod common;

use std::time::{Duration, Instant};

use common::{Postgres, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const ACTIVITY: &str = "/api/platform/pg-meta/default/activity";

async fn session(pg: &Postgres, application: &str) -> tokio_postgres::Client {
    let url = format!("{}?application_name={application}", pg.url("postgres"));
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// Polls the activity list until `find` picks an entry; panics after a minute.
async fn wait_for(app: &TestApp, token: &str, find: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let (s, list) = app.get(ACTIVITY, token).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        if let Some(found) = list["data"].as_array().unwrap().iter().find(|a| find(a)) {
            return found.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(60), "never listed: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn sessions_are_listed_with_blockers_and_stopped_by_admins_only() {
    let pg = Postgres::start();
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let body = json!({"identifier": "main", "host": "127.0.0.1", "port": pg.port, "database_name": "postgres",
                      "username": "postgres"});
    let (s, created) = app.post("/api/platform/postgres/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;

    // A long statement in another session is listed with its duration.
    let sleeper = session(&pg, "sleeper").await;
    let sleeping = tokio::spawn(async move { sleeper.simple_query("SELECT pg_sleep(60)").await });
    let found = wait_for(&app, &viewer, |a| a["application"] == "sleeper" && a["state"] == "active").await;
    assert!(found["query"].as_str().unwrap().contains("pg_sleep(60)"), "{found}");
    assert!(found["duration_ms"].as_i64().unwrap() >= 0, "{found}");
    assert!(found["query_start"].as_str().unwrap().ends_with('Z'), "{found}");
    let pid = found["pid"].as_i64().unwrap();

    // Only admins stop it.
    let cancel = format!("{ACTIVITY}/{pid}/cancel");
    assert_eq!(app.post(&cancel, &viewer, json!({})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.post(&cancel, &developer, json!({})).await.0, StatusCode::FORBIDDEN);
    let (s, body) = app.post(&cancel, &admin, json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let outcome = tokio::time::timeout(Duration::from_secs(30), sleeping).await.unwrap().unwrap();
    let error = outcome.expect_err("the sleep was cancelled");
    let message = error.as_db_error().map(|e| e.message().to_string()).unwrap_or_default();
    assert!(message.contains("canceling statement due to user request"), "{error:?}");

    // A lock wait names its blocker.
    pg.psql("postgres", "CREATE TABLE locked (id int); INSERT INTO locked VALUES (1)");
    let holder = session(&pg, "holder").await;
    holder.batch_execute("BEGIN; UPDATE locked SET id = 2").await.unwrap();
    let waiter = session(&pg, "waiter").await;
    let waiting = tokio::spawn(async move { waiter.simple_query("UPDATE locked SET id = 3").await });
    let holder_pid = wait_for(&app, &viewer, |a| a["application"] == "holder").await["pid"].as_i64().unwrap();
    let blocked =
        wait_for(&app, &viewer, |a| a["application"] == "waiter" && !a["blocked_by"].as_array().unwrap().is_empty())
            .await;
    assert_eq!(blocked["blocked_by"], json!([holder_pid]), "{blocked}");
    assert!(blocked["wait_event"].as_str().unwrap().starts_with("Lock"), "{blocked}");

    // Terminating the holder ends its session and frees the waiter.
    let (s, body) = app.post(&format!("{ACTIVITY}/{holder_pid}/terminate"), &admin, json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let freed = tokio::time::timeout(Duration::from_secs(30), waiting).await.unwrap().unwrap();
    assert!(freed.is_ok(), "the waiter went on once the holder was gone: {freed:?}");
    assert!(holder.simple_query("SELECT 1").await.is_err(), "the holder's session is over");

    // An unknown pid is 404; each stop is in the audit trail.
    assert_eq!(app.post(&format!("{ACTIVITY}/999999/cancel"), &admin, json!({})).await.0, StatusCode::NOT_FOUND);
    let (_, audit) = app.get("/api/platform/projects/default/audit", &admin).await;
    let entries = audit["data"]["entries"].as_array().unwrap();
    for target in [format!("pid {pid}"), format!("pid {holder_pid}")] {
        assert!(entries.iter().any(|r| r["target"] == target.as_str() && r["outcome"] == "ok"), "{target}: {audit}");
    }
}

#[tokio::test]
async fn query_stats_list_the_heaviest_statement_or_say_how_to_enable_them() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE DATABASE without_stats");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    for (identifier, database) in [("main", "postgres"), ("bare", "without_stats")] {
        let body = json!({"identifier": identifier, "host": "127.0.0.1", "port": pg.port, "database_name": database,
                          "username": "postgres"});
        let (s, created) = app.post("/api/platform/postgres/default/connections", &admin, body).await;
        assert_eq!(s, StatusCode::CREATED, "{created}");
    }
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    pg.psql("postgres", "CREATE EXTENSION pg_stat_statements");
    for _ in 0..20 {
        pg.psql("postgres", "SELECT count(*) FROM generate_series(1, 300000)");
    }

    let (s, stats) = app.get("/api/platform/pg-meta/default/query-stats?limit=5", &viewer).await;
    assert_eq!(s, StatusCode::OK, "{stats}");
    assert_eq!(stats["data"]["available"], true);
    let top = &stats["data"]["statements"][0];
    assert!(
        top["query"].as_str().unwrap().contains("generate_series"),
        "the heaviest statement tops the list: {stats}"
    );
    assert!(top["calls"].as_i64().unwrap() >= 20, "{top}");
    let (s, by_calls) = app.get("/api/platform/pg-meta/default/query-stats?order=calls", &viewer).await;
    assert_eq!(s, StatusCode::OK, "{by_calls}");
    let calls: Vec<i64> =
        by_calls["data"]["statements"].as_array().unwrap().iter().map(|s| s["calls"].as_i64().unwrap()).collect();
    assert!(calls.windows(2).all(|w| w[0] >= w[1]), "{calls:?}");
    assert_eq!(
        app.get("/api/platform/pg-meta/default/query-stats?order=drop", &viewer).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.get("/api/platform/pg-meta/default/query-stats?limit=0", &viewer).await.0, StatusCode::BAD_REQUEST);

    // A database without the extension: a clear answer, not an error.
    let (_, list) = app.get("/api/platform/postgres/default/connections", &admin).await;
    let bare = list["data"].as_array().unwrap().iter().find(|c| c["identifier"] == "bare").unwrap()["id"].clone();
    let (s, stats) = app
        .get(&format!("/api/platform/pg-meta/default/query-stats?connection_id={}", bare.as_str().unwrap()), &viewer)
        .await;
    assert_eq!(s, StatusCode::OK, "{stats}");
    assert_eq!(stats["data"]["available"], false);
    assert!(
        stats["data"]["how_to_enable"].as_str().unwrap().contains("CREATE EXTENSION pg_stat_statements"),
        "{stats}"
    );
}

/// The findings of `GET …/advisors` for one connection.
async fn advice(app: &TestApp, token: &str, connection_id: &str) -> Value {
    let (s, body) =
        app.get(&format!("/api/platform/pg-meta/default/advisors?connection_id={connection_id}"), token).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["data"].clone()
}

fn finding<'a>(advice: &'a Value, check: &str, object: &str) -> Option<&'a Value> {
    advice["findings"].as_array().unwrap().iter().find(|f| f["check"] == check && f["object"] == object)
}

#[tokio::test]
async fn advisors_flag_a_fixtures_problems_with_their_fixes_and_stay_quiet_on_a_clean_schema() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE DATABASE shop");
    pg.psql("postgres", "CREATE DATABASE clean");
    pg.psql(
        "shop",
        r#"CREATE TABLE events (happened_at timestamptz, kind text);
           CREATE TABLE "Mixed Case" (id int, x int);
           CREATE TABLE orders (id bigint PRIMARY KEY, customer text, total numeric);
           CREATE INDEX orders_customer ON orders (customer);
           CREATE INDEX orders_customer_again ON orders (customer);
           CREATE TABLE secrets (id int PRIMARY KEY, v text);
           ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
           CREATE TABLE guarded (id int PRIMARY KEY);
           ALTER TABLE guarded ENABLE ROW LEVEL SECURITY;
           CREATE POLICY everyone ON guarded USING (true);"#,
    );
    pg.psql("clean", "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'one');");
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let mut ids = Vec::new();
    for database in ["shop", "clean"] {
        let body = json!({"identifier": database, "host": "127.0.0.1", "port": pg.port, "database_name": database,
                          "username": "postgres"});
        let (s, created) = app.post("/api/platform/postgres/default/connections", &admin, body).await;
        assert_eq!(s, StatusCode::CREATED, "{created}");
        ids.push(created["data"]["id"].as_str().unwrap().to_string());
    }
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;

    let shop = advice(&app, &viewer, &ids[0]).await;
    let events = finding(&shop, "no_primary_key", "public.events").expect("events has no primary key");
    assert_eq!(events["severity"], "warning");
    assert_eq!(
        events["fix_sql"],
        "ALTER TABLE public.events ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;"
    );
    // A table that already has an `id` column gets no blind fix; its name is quoted by the server.
    let mixed = finding(&shop, "no_primary_key", "public.\"Mixed Case\"").expect("Mixed Case has no primary key");
    assert!(mixed["fix_sql"].is_null(), "{mixed}");
    assert!(finding(&shop, "no_primary_key", "public.orders").is_none());
    let unused = finding(&shop, "unused_index", "public.orders_customer").expect("an unused index");
    assert_eq!(unused["fix_sql"], "DROP INDEX CONCURRENTLY public.orders_customer;");
    assert!(finding(&shop, "unused_index", "public.orders_pkey").is_none(), "a primary key is never unused");
    let duplicate = finding(&shop, "duplicate_index", "public.orders_customer_again").expect("a duplicate index");
    assert!(duplicate["message"].as_str().unwrap().contains("public.orders_customer"), "{duplicate}");
    assert!(finding(&shop, "rls_enabled_no_policy", "public.secrets").is_some());
    assert!(finding(&shop, "rls_enabled_no_policy", "public.guarded").is_none(), "guarded has a policy");
    let severities: Vec<&str> =
        shop["findings"].as_array().unwrap().iter().map(|f| f["severity"].as_str().unwrap()).collect();
    let mut sorted = severities.clone();
    sorted.sort_by_key(|s| ["error", "warning", "info"].iter().position(|x| x == s));
    assert_eq!(severities, sorted, "most severe first");
    let orders = shop["tables"].as_array().unwrap().iter().find(|t| t["name"] == "orders").expect("orders is listed");
    assert!(orders["total_bytes"].as_i64().unwrap() >= orders["index_bytes"].as_i64().unwrap());
    assert!(shop["indexes"].as_array().unwrap().iter().any(|i| i["name"] == "orders_customer_again"));
    assert!(shop["databases"].as_array().unwrap().iter().any(|d| d["database"] == "shop"));

    // The fixes do what they say: after running them the findings are gone.
    for fix in [&events["fix_sql"], &unused["fix_sql"]] {
        pg.psql("shop", fix.as_str().unwrap());
    }
    let after = advice(&app, &viewer, &ids[0]).await;
    assert!(finding(&after, "no_primary_key", "public.events").is_none(), "{after}");
    assert!(finding(&after, "unused_index", "public.orders_customer").is_none(), "{after}");

    let clean = advice(&app, &viewer, &ids[1]).await;
    assert_eq!(clean["findings"], json!([]), "a clean schema has no findings");
    assert_eq!(clean["tables"][0]["name"], "items");
}
