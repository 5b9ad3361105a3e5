//! Background jobs against a real Redis: the keyspace analysis as the first job kind. A job reports
//! progress over Server-Sent Events, outlives its client, cancels, is marked `interrupted` when its
//! server dies, and is visible to every member; who may cancel it follows the roles.

mod common;

use std::time::{Duration, Instant};

use common::{job_events as events, wait_until_ended, Redis, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const JOBS: &str = "/api/platform/projects/default/jobs";
const ANALYSIS: &str = "/api/platform/redis/default/analysis";

async fn direct(redis: &Redis) -> redis::aio::MultiplexedConnection {
    redis::Client::open(format!("redis://127.0.0.1:{}/", redis.port))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Seeds a keyspace with known namespaces, types and TTLs; answers the number of keys.
async fn seed(redis: &Redis, users: usize) -> usize {
    let mut conn = direct(redis).await;
    for chunk in (0..users).collect::<Vec<_>>().chunks(500) {
        let mut pipe = redis::pipe();
        for i in chunk {
            pipe.cmd("SET").arg(format!("user:{i}:profile")).arg("p").ignore();
            // Every fourth session expires in an hour.
            pipe.cmd("HSET").arg(format!("session:{i}")).arg("user").arg(i).arg("at").arg("now").ignore();
            if i % 4 == 0 {
                pipe.cmd("EXPIRE").arg(format!("session:{i}")).arg(3600).ignore();
            }
        }
        let _: () = pipe.query_async(&mut conn).await.unwrap();
    }
    // One big list and one key without a namespace.
    let items: Vec<String> = (0..5_000).map(|i| format!("item-{i}")).collect();
    let _: () = redis::cmd("RPUSH").arg("queue:big").arg(&items).query_async(&mut conn).await.unwrap();
    let _: () = redis::cmd("SET").arg("plain").arg("x").query_async(&mut conn).await.unwrap();
    users * 2 + 2
}

fn namespace<'a>(report: &'a Value, depth: u64, name: &str) -> &'a Value {
    report["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|level| level["depth"] == depth)
        .and_then(|level| level["namespaces"].as_array().unwrap().iter().find(|n| n["name"] == name))
        .unwrap_or_else(|| panic!("no namespace {name} at depth {depth}: {report}"))
}

#[tokio::test]
async fn the_keyspace_analysis_counts_exactly_reports_progress_and_respects_its_rate() {
    let redis = Redis::start(None);
    let keys = seed(&redis, 10_000).await;
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;

    let rate = 10_000;
    let (s, started) = app.post(ANALYSIS, &viewer, json!({"keys_per_second": rate, "depth": 2})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "any member may analyse: {started}");
    let id = started["data"]["job_id"].as_str().unwrap().to_string();

    // The event stream shows progress, then `done` with the whole job.
    let seen = events(&app, &admin, &id).await;
    let (last_name, job) = seen.last().cloned().unwrap();
    assert_eq!(last_name, "done", "{seen:?}");
    assert!(seen.iter().any(|(name, _)| name == "progress"), "progress events arrive: {seen:?}");
    let dones: Vec<u64> =
        seen.iter().filter(|(n, _)| n == "progress").map(|(_, j)| j["progress"]["done"].as_u64().unwrap()).collect();
    assert!(dones.windows(2).all(|w| w[0] <= w[1]), "progress only grows: {dones:?}");
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["progress"]["done"], keys as u64);
    assert_eq!(job["progress"]["unit"], "keys");
    assert_eq!(job["kind"], "redis.analysis");

    // Totals equal a direct count.
    let report = &job["result"];
    assert_eq!(report["keys"], keys as u64, "{report}");
    assert_eq!(namespace(report, 1, "user")["keys"], 10_000);
    assert_eq!(namespace(report, 1, "session")["keys"], 10_000);
    assert_eq!(namespace(report, 2, "user:1000")["keys"], 1);
    let level2 = &report["namespaces"][1];
    assert_eq!(level2["total"], 10_000, "every user:<id> is a namespace of depth 2");
    assert_eq!(level2["namespaces"].as_array().unwrap().len(), 1_000, "the biggest thousand are listed");
    assert_eq!(namespace(report, 1, "queue")["keys"], 1);
    assert_eq!(report["types"]["string"]["keys"], 10_001);
    assert_eq!(report["types"]["hash"]["keys"], 10_000);
    assert_eq!(report["types"]["list"]["keys"], 1);
    assert_eq!(report["ttl"]["with_ttl"], 2_500);
    assert_eq!(report["ttl"]["without_ttl"], keys as u64 - 2_500);
    assert_eq!(report["biggest_by_length"][0]["key"], "queue:big");
    assert_eq!(report["biggest_by_length"][0]["amount"], 5_000);
    assert_eq!(report["biggest_by_memory"][0]["key"], "queue:big", "{report}");
    assert_eq!(report["memory"]["sample_rate"], 1.0, "a small keyspace is measured whole");
    assert!(report["memory"]["estimated_total"].as_u64().unwrap() > 0);

    // The rate held: the walk took at least keys / rate seconds (a floor, not a speed check).
    let at = |field: &str| {
        time::OffsetDateTime::parse(job[field].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let took = at("finished_at") - at("started_at");
    let floor = keys as f64 / rate as f64 * 0.9;
    assert!(took.as_seconds_f64() >= floor, "took {took} for {keys} keys at {rate}/s");

    // Every member sees it; the start is in the audit trail.
    let (s, list) = app.get(JOBS, &viewer).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list["data"].as_array().unwrap().iter().any(|j| j["id"] == id.as_str()));
    let (_, audit) = app.get("/api/platform/projects/default/audit", &admin).await;
    let entries = audit["data"]["entries"].as_array().unwrap();
    let record = entries.iter().find(|r| r["target"] == format!("job {id}")).cloned();
    assert!(record.is_some_and(|r| r["outcome"] == "ok"), "{audit}");
}

#[tokio::test]
async fn a_job_outlives_its_client_and_stops_when_cancelled_by_its_starter_or_an_admin() {
    let redis = Redis::start(None);
    let keys = seed(&redis, 10_000).await as u64;
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;
    let other = app.user_with_role(&admin, "other@example.com", "default", "developer").await;

    // Slow on purpose: 1,000 keys a second over 20,002 keys.
    let (s, started) =
        app.post(JOBS, &developer, json!({"kind": "redis.analysis", "params": {"keys_per_second": 1000}})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let id = started["data"]["job_id"].as_str().unwrap().to_string();

    // The client that started it is gone (each call is its own request); it keeps running.
    let started_at = Instant::now();
    loop {
        let (_, job) = app.get(&format!("{JOBS}/{id}"), &admin).await;
        if job["data"]["state"] == "running" && job["data"]["progress"]["done"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        assert!(started_at.elapsed() < Duration::from_secs(60), "never made progress: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Another developer may not cancel it; its starter may.
    let (s, body) = app.delete(&format!("{JOBS}/{id}"), &other).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let (s, body) = app.delete(&format!("{JOBS}/{id}"), &developer).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["cancel_requested"], true);
    let job = wait_until_ended(&app, &admin, &id).await;
    assert_eq!(job["state"], "cancelled", "{job}");
    let done = job["progress"]["done"].as_u64().unwrap();
    assert!(done > 0 && done < keys, "stopped part-way: {done} of {keys}");
    assert!(job["result"].is_null());

    // An ended job cannot be cancelled again; an unknown one is 404; a bad kind is 400.
    let (s, _) = app.delete(&format!("{JOBS}/{id}"), &admin).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app.get(&format!("{JOBS}/{}", uuid::Uuid::new_v4()), &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, body) = app.post(JOBS, &admin, json!({"kind": "rm -rf"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let (s, body) = app.post(ANALYSIS, &admin, json!({"keys_per_second": 0})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let (s, body) = app.post(ANALYSIS, &admin, json!({"separator": ""})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn a_job_cut_off_by_a_crash_is_marked_interrupted_never_left_running() {
    let redis = Redis::start(None);
    seed(&redis, 5_000).await;
    let (mut app, admin) = TestApp::with_redis(redis.port).await;
    let (s, started) = app.post(ANALYSIS, &admin, json!({"keys_per_second": 100})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let id = started["data"]["job_id"].as_str().unwrap().to_string();
    let (_, job) = app.get(&format!("{JOBS}/{id}"), &admin).await;
    assert!(["queued", "running"].contains(&job["data"]["state"].as_str().unwrap()));

    // The server is killed (no graceful stop) and started again on the same store.
    let pid = app.pid().unwrap();
    let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    app.restart().await;
    let admin = app.admin_token().await;
    let job = wait_until_ended(&app, &admin, &id).await;
    assert_eq!(job["state"], "interrupted", "{job}");
    assert!(job["error"].as_str().unwrap().contains("stopped"), "{job}");

    // A graceful stop marks its running jobs at once.
    let (_, started) = app.post(ANALYSIS, &admin, json!({"keys_per_second": 100})).await;
    let id = started["data"]["job_id"].as_str().unwrap().to_string();
    app.restart().await;
    let admin = app.admin_token().await;
    let (_, job) = app.get(&format!("{JOBS}/{id}"), &admin).await;
    assert_eq!(job["data"]["state"], "interrupted", "{job}");
}

#[tokio::test]
async fn a_job_stays_inside_its_project() {
    let redis = Redis::start(None);
    seed(&redis, 1_000).await;
    let (app, admin) = TestApp::with_redis(redis.port).await;
    let (s, started) = app.post(ANALYSIS, &admin, json!({"keys_per_second": 100})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let id = started["data"]["job_id"].as_str().unwrap().to_string();
    let (_, conns) = app.get("/api/platform/redis/default/connections", &admin).await;
    let connection = conns["data"][0]["id"].as_str().unwrap().to_string();

    // A member of another project only: none of it is reachable through their own project.
    let stranger = app.user_with_role(&admin, "stranger@example.com", "", "").await;
    let (s, _) = app.post("/api/platform/organizations", &stranger, json!({"name": "Elsewhere"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, project) = app.post("/api/platform/projects", &stranger, json!({"name": "Theirs"})).await;
    assert_eq!(s, StatusCode::CREATED, "{project}");
    let theirs = format!("/api/platform/projects/{}/jobs", project["data"]["ref"].as_str().unwrap());
    let theirs = theirs.as_str();
    assert_eq!(app.get(&format!("{theirs}/{id}"), &stranger).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("{theirs}/{id}"), &stranger).await.0, StatusCode::NOT_FOUND);
    // Not a member of `default`: the project itself is not found for them.
    assert_eq!(app.get(&format!("{JOBS}/{id}"), &stranger).await.0, StatusCode::NOT_FOUND);
    let (_, list) = app.get(theirs, &stranger).await;
    assert!(list["data"].as_array().unwrap().is_empty(), "{list}");
    // Another project's connection id is not a connection of theirs.
    let (s, body) = app.post(theirs, &stranger, json!({"kind": "redis.analysis", "connection_id": connection})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");

    // A viewer API token of `default` reads jobs but cannot cancel the admin's.
    let (s, token) =
        app.post("/api/platform/projects/default/tokens", &admin, json!({"name": "ci", "role": "viewer"})).await;
    assert_eq!(s, StatusCode::CREATED, "{token}");
    let secret = token["data"]["secret"].as_str().unwrap();
    assert_eq!(app.get(&format!("{JOBS}/{id}"), secret).await.0, StatusCode::OK);
    assert_eq!(app.delete(&format!("{JOBS}/{id}"), secret).await.0, StatusCode::FORBIDDEN);
    let (_, job) = app.get(&format!("{JOBS}/{id}"), &admin).await;
    assert_eq!(job["data"]["cancel_requested"], false, "{job}");
}
