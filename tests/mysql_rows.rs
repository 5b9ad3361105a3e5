//! MariaDB/MySQL beyond single queries, against a real MariaDB started by the harness: the Table
//! Editor's rows API (PostgreSQL's shapes: keyset pages, filters, orders, counts, writes by primary
//! key with a stale check), streamed NDJSON/CSV exports with flat memory, plans, syntax errors
//! with their position, and a query killed on the server when its client leaves.

mod common;

use std::time::{Duration, Instant};

use common::{Backend, MariaDb, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const M: &str = "/api/platform/mysql/default";

async fn setup(db: &MariaDb) -> (TestApp, String, String) {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let mut body = db.fields();
    body["identifier"] = json!("maria");
    let (s, created) = app.post(&format!("{M}/connections"), &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    (app, admin, viewer)
}

async fn sql(app: &TestApp, token: &str, text: &str) -> (StatusCode, Value) {
    app.post(&format!("{M}/query"), token, json!({ "query": text })).await
}

async fn run(app: &TestApp, token: &str, text: &str) -> Value {
    let (s, body) = sql(app, token, text).await;
    assert_eq!(s, StatusCode::OK, "{text}: {body}");
    body
}

fn rows_path(table: &str) -> String {
    format!("{M}/databases/app/tables/{table}/rows")
}

/// Every page of `query` (a rows query string), following cursors; the ids in order.
async fn walk(app: &TestApp, token: &str, table: &str, query: &str) -> Vec<Value> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{}?{query}", rows_path(table));
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (s, page) = app.get(&url, token).await;
        assert_eq!(s, StatusCode::OK, "{url}: {page}");
        for row in page["data"]["rows"].as_array().unwrap() {
            ids.push(row["id"].clone());
        }
        match page["data"]["cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return ids,
        }
        assert!(ids.len() < 10_000, "the pages never end");
    }
}

#[tokio::test]
async fn the_table_editor_pages_filters_and_writes_rows_like_postgres() {
    let db = MariaDb::start();
    let (app, admin, viewer) = setup(&db).await;
    run(
        &app,
        &admin,
        "CREATE TABLE people (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40), mood ENUM('ok','meh','it''s fine'), \
         score DECIMAL(12,2), tags JSON, seen DATETIME(3), raw VARBINARY(8), doubled INT AS (id * 2) VIRTUAL)",
    )
    .await;
    // 250 rows; every tenth name NULL, so NULL ordering is exercised.
    run(
        &app,
        &admin,
        "INSERT INTO people (name, mood, score, tags, seen, raw) \
         SELECT IF(seq % 10 = 0, NULL, CONCAT('p', LPAD(seq, 3, '0'))), ELT(1 + seq % 3, 'ok', 'meh', 'it''s fine'), \
                seq / 4, JSON_ARRAY(seq), '2024-05-06 07:08:09.123', UNHEX('00FF') FROM seq_1_to_250",
    )
    .await;

    // The columns, described as PostgreSQL's editor columns are.
    let (s, page) = app.get(&format!("{}?limit=100", rows_path("people")), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let page = &page["data"];
    assert_eq!(page["paging"], "keyset");
    assert_eq!(page["primary_key"], json!(["id"]));
    assert_eq!(page["rows"].as_array().unwrap().len(), 100);
    assert!(page["cursor"].is_string());
    let column = |name: &str| page["columns"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone();
    assert_eq!(column("id")["identity"], true);
    assert_eq!(column("id")["primary_key"], true);
    assert_eq!(column("mood")["enum_values"], json!(["ok", "meh", "it's fine"]));
    assert_eq!(column("doubled")["generated"], true);
    assert_eq!(column("doubled")["updatable"], false);
    assert_eq!(column("name")["type"], "varchar(40)");
    assert_eq!(column("name")["format"], "varchar");
    assert_eq!(page["count_is_estimate"], true);
    let first = &page["rows"][0];
    assert_eq!(first["id"], 1);
    assert_eq!(first["tags"], json!([1]));
    assert_eq!(first["seen"], "2024-05-06T07:08:09.123");
    assert_eq!(first["raw"], "\\x00ff");
    assert_eq!(first["score"], 0.25);

    // Keyset pages by primary key: every row once, in order.
    let ids = walk(&app, &viewer, "people", "limit=100").await;
    assert_eq!(ids, (1..=250).map(Value::from).collect::<Vec<_>>());
    // Ordered by a nullable column, NULLs last (PostgreSQL's default) and first when asked.
    let by_name = walk(&app, &viewer, "people", "limit=30&order=name.desc").await;
    assert_eq!(by_name.len(), 250);
    // Descending, NULLs come first (they sort as larger than any value), by key among them.
    assert_eq!(by_name[..25], (1..=25).map(|i| Value::from(i * 10)).collect::<Vec<_>>());
    assert_eq!(by_name[25], 249, "then p249");
    let nulls_last = walk(&app, &viewer, "people", "limit=30&order=name.asc.nullslast").await;
    assert_eq!(nulls_last.len(), 250);
    assert_eq!(nulls_last[..225].iter().filter(|id| id.as_i64().unwrap() % 10 == 0).count(), 0);
    let nulls_first = walk(&app, &viewer, "people", "limit=7&order=name.asc.nullsfirst").await;
    assert_eq!(nulls_first[..25], (1..=25).map(|i| Value::from(i * 10)).collect::<Vec<_>>());

    // Filters, with an exact count.
    let (s, filtered) = app
        .get(
            &format!("{}?filter=mood.eq.it%27s%20fine&filter=name.notnull&count=exact&limit=5", rows_path("people")),
            &viewer,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{filtered}");
    let expected: usize = (1..=250).filter(|i| i % 3 == 2 && i % 10 != 0).count();
    assert_eq!(filtered["data"]["count"], expected, "{filtered}");
    assert_eq!(filtered["data"]["count_is_estimate"], false);
    let (_, listed) =
        app.get(&format!("{}?filter=id.in.(3,5,%22x%22)&filter=name.ilike.P00%25", rows_path("people")), &viewer).await;
    assert_eq!(listed["data"]["rows"].as_array().unwrap().len(), 2, "{listed}");
    let (s, bad) = app.get(&format!("{}?filter=nothing.eq.1", rows_path("people")), &viewer).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    let (s, bad) = app.get(&format!("{}?cursor=bogus", rows_path("people")), &viewer).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");

    // Writes: developers and above, by primary key, answered as stored.
    let (s, inserted) =
        app.post(&rows_path("people"), &admin, json!({"name": "new", "mood": "ok", "raw": "\\x0102"})).await;
    assert_eq!(s, StatusCode::CREATED, "{inserted}");
    let new_id = inserted["data"][0]["id"].as_i64().expect("the AUTO_INCREMENT id");
    assert!(new_id > 250, "{inserted}");
    assert_eq!(inserted["data"][0]["doubled"], new_id * 2);
    assert_eq!(inserted["data"][0]["raw"], "\\x0102");
    let (s, refused) = app.post(&rows_path("people"), &admin, json!({"doubled": 1})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{refused}");
    let (s, refused) = app.post(&rows_path("people"), &admin, json!({"score": "not a number"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("score"), "{refused}");

    let update = json!([{"pk": {"id": new_id}, "set": {"name": "renamed"}, "expect": {"name": "new"}}]);
    let (s, updated) = app.call(Method::PATCH, &rows_path("people"), Some(&admin), Some(update.clone())).await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    assert_eq!(updated["data"][0]["name"], "renamed");
    // The same edit again: the row no longer holds what the editor saw.
    let (s, stale) = app.call(Method::PATCH, &rows_path("people"), Some(&admin), Some(update)).await;
    assert_eq!(s, StatusCode::CONFLICT, "{stale}");
    assert_eq!(stale["error"]["details"]["current"]["name"], "renamed", "{stale}");
    assert_eq!(
        app.call(
            Method::PATCH,
            &rows_path("people"),
            Some(&viewer),
            Some(json!([{"pk": {"id": 1}, "set": {"name": "x"}}]))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    let (s, deleted) = app
        .call(
            Method::DELETE,
            &rows_path("people"),
            Some(&admin),
            Some(json!([{"pk": {"id": new_id}}, {"pk": {"id": 99_999}}])),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["data"]["deleted"], 1);
    let (s, _) =
        app.call(Method::DELETE, &rows_path("people"), Some(&admin), Some(json!([{"pk": {"name": "p001"}}]))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a row is named by its primary key only");

    // A view pages by offset and cannot be edited; a missing table is a 404.
    run(&app, &admin, "CREATE VIEW named AS SELECT id, name FROM people WHERE name IS NOT NULL").await;
    let (s, view) = app.get(&format!("{}?limit=100", rows_path("named")), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{view}");
    assert_eq!(view["data"]["paging"], "offset");
    assert_eq!(walk(&app, &viewer, "named", "limit=100").await.len(), 225);
    let (s, _) = app.post(&rows_path("named"), &admin, json!({"name": "x"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(app.get(&rows_path("nothing"), &viewer).await.0, StatusCode::NOT_FOUND);

    // Keys beyond 2^53 page exactly.
    run(&app, &admin, "CREATE TABLE big (id BIGINT UNSIGNED PRIMARY KEY)").await;
    run(
        &app,
        &admin,
        "INSERT INTO big VALUES (18446744073709551613), (18446744073709551614), (18446744073709551615), (1)",
    )
    .await;
    let big = walk(&app, &viewer, "big", "limit=1").await;
    assert_eq!(
        big,
        vec![json!(1), json!("18446744073709551613"), json!("18446744073709551614"), json!("18446744073709551615")]
    );
    let (s, done) = app
        .call(
            Method::PATCH,
            &rows_path("big"),
            Some(&admin),
            Some(json!([{"pk": {"id": "18446744073709551615"}, "set": {"id": 2}}])),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(db.sql("app", "SELECT COUNT(*) FROM big WHERE id = 2"), "1");
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn a_million_rows_stream_as_ndjson_with_flat_memory_and_csv_too() {
    let db = MariaDb::start();
    let (app, admin, viewer) = setup(&db).await;
    let before = peak_rss_kib(app.pid().unwrap());
    let started = Instant::now();
    // `seq_1_to_N` is MariaDB's Sequence engine: rows made as they are read.
    // No overall deadline: an unoptimized build streams slower than the harness client's 60 s.
    let mut response = reqwest::Client::new()
        .post(format!("{}{M}/query", app.base))
        .bearer_auth(&viewer)
        .header("accept", "application/x-ndjson")
        .json(&json!({"query": "SELECT seq AS id, MD5(seq) AS hash, NOW() AS at FROM seq_1_to_1000000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let mut lines = 0u64;
    let mut last = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
                last = chunk.to_vec();
            }
            Ok(None) => break,
            Err(e) => {
                let log = app.log();
                panic!(
                    "the stream broke after {lines} lines ({e}); server log ends: {}",
                    &log[log.len().saturating_sub(3000)..]
                )
            }
        }
    }
    assert_eq!(lines, 1_000_000, "every row, no cap");
    let last_line = String::from_utf8_lossy(&last).lines().last().unwrap().to_string();
    let row: Value = serde_json::from_str(&last_line).unwrap();
    assert_eq!(row["id"], 1_000_000);
    let peak = peak_rss_kib(app.pid().unwrap());
    eprintln!(
        "mysql ndjson export of 1,000,000 rows: {:.1} s, switchboard peak RSS {} MiB (before: {} MiB)",
        started.elapsed().as_secs_f64(),
        peak / 1024,
        before / 1024
    );
    assert!(peak < 100 * 1024, "peak RSS {peak} KiB exceeds 100 MiB");

    // CSV with a header line, quoted where needed, NULL empty.
    let response = app
        .http
        .post(format!("{}{M}/query", app.base))
        .bearer_auth(&viewer)
        .header("accept", "text/csv")
        .json(&json!({"query": "SELECT 1 AS n, 'a,b' AS t, NULL AS z UNION ALL SELECT 2, 'say \"hi\"', 3"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert_eq!(response.text().await.unwrap(), "n,t,z\r\n1,\"a,b\",\r\n2,\"say \"\"hi\"\"\",3\r\n");

    // Errors before the first row are answered with a status; a viewer's export is read-only.
    for (token, text, status) in [
        (&viewer, "SELECT nope FROM nowhere", StatusCode::BAD_REQUEST),
        (&viewer, "DELETE FROM t", StatusCode::FORBIDDEN),
        (&admin, "SELECT 1; SELECT 2", StatusCode::BAD_REQUEST),
    ] {
        let response = app
            .http
            .post(format!("{}{M}/query", app.base))
            .bearer_auth(token)
            .header("accept", "application/x-ndjson")
            .json(&json!({ "query": text }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{text}: {}", response.text().await.unwrap());
    }
}

#[tokio::test]
async fn plans_syntax_positions_and_a_client_that_leaves() {
    let db = MariaDb::start();
    let (app, admin, viewer) = setup(&db).await;
    run(&app, &admin, "CREATE TABLE t (id INT PRIMARY KEY, v INT, KEY by_v (v))").await;

    // EXPLAIN FORMAT=JSON, for a viewer too; the statement does not run.
    let (s, plan) = app
        .post(&format!("{M}/query"), &viewer, json!({"query": "SELECT * FROM t WHERE v = 3", "explain": true}))
        .await;
    assert_eq!(s, StatusCode::OK, "{plan}");
    assert!(plan["data"]["query_block"].is_object(), "{plan}");
    let (s, plan) = app.post(&format!("{M}/query"), &admin, json!({"query": "DELETE FROM t", "explain": true})).await;
    assert_eq!(s, StatusCode::OK, "{plan}");
    let (s, refused) =
        app.post(&format!("{M}/query"), &viewer, json!({"query": "DELETE FROM t", "explain": true})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{refused}");

    // A syntax error says where, in characters of the text sent.
    let text = "SELECT 'é',\n  v FROM WHERE";
    let (s, error) = sql(&app, &viewer, text).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{error}");
    let details = &error["error"]["details"];
    assert_eq!(details["code"], 1064, "{error}");
    let expected = text.chars().collect::<String>().find("WHERE").map(|b| text[..b].chars().count() + 1);
    assert_eq!(details["position"].as_u64().map(|p| p as usize), expected, "{error}");
    assert_eq!(details["sqlstate"], "42000");

    // A client that leaves: its statement is killed on the server, buffered or streamed.
    let running =
        || db.sql("app", "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(60)%'");
    for accept in ["application/json", "application/x-ndjson"] {
        let client = reqwest::Client::builder().timeout(Duration::from_millis(1500)).build().unwrap();
        let sent = client
            .post(format!("{}{M}/query", app.base))
            .bearer_auth(&admin)
            .header("accept", accept)
            .json(&json!({"query": "SELECT SLEEP(60)"}))
            .send();
        let waiter = async {
            let started = Instant::now();
            while running() != "1" {
                assert!(started.elapsed() < Duration::from_secs(30), "{accept}: the query never ran");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        let (result, ()) = tokio::join!(sent, waiter);
        if let Ok(response) = result {
            drop(response);
        }
        drop(client);
        let started = Instant::now();
        while running() != "0" {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{accept}: the query kept running after the client left"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert_eq!(run(&app, &admin, "SELECT 1 AS one").await["data"][0]["one"], 1, "the pool still serves");
}
