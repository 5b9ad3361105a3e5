//! MongoDB operations against the MongoDB-wire test server (`nx-27017`): explain of finds and
//! aggregations, Compass-style schema analysis of fixtures (nested documents, arrays, mixed
//! types), index usage, currentOp/killOp and the profiler, with roles and the audit trail.
//!
//! Where that server differs from mongod (see docs/testing-mongodb.md), a test states mongod's
//! documented behaviour and skips only that assertion, saying why; the unit tests of
//! `engines::mongodb::ops` read mongod's documented reply shapes.

mod common;

use common::{Mongo, TestApp};
use mongodb::bson::{doc, Document};
use reqwest::StatusCode;
use serde_json::{json, Value};

const M: &str = "/api/platform/mongodb/default";

async fn setup(mongo: &Mongo) -> (TestApp, String) {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let body = json!({"identifier": "docs", "host": "127.0.0.1", "port": mongo.port});
    let (s, created) = app.post(&format!("{M}/connections"), &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    (app, admin)
}

async fn direct(mongo: &Mongo) -> mongodb::Client {
    mongodb::Client::with_uri_str(format!("mongodb://127.0.0.1:{}/?directConnection=true", mongo.port)).await.unwrap()
}

fn skip(what: &str, why: &str) {
    eprintln!("SKIPPED on the test server: {what}: {why}");
}

/// 300 orders: nested `customer` (its `email` in two of three), `items` as an array of documents,
/// `tags` as an array of strings and numbers, `total` as Int32, Double or a String, `note` rare.
fn fixtures() -> Vec<Document> {
    (0..300)
        .map(|i: i32| {
            let mut d = doc! {
                "kind": if i % 3 == 0 { "a" } else { "b" },
                "age": i,
                "customer": { "name": format!("c{}", i % 7), "address": { "city": if i % 2 == 0 { "Paris" } else { "Lyon" } } },
                "items": [ { "sku": "x", "qty": i % 5 }, { "sku": format!("s{i}") } ],
                "tags": ["new", i % 4],
            };
            match i % 3 {
                0 => d.insert("total", i),
                1 => d.insert("total", f64::from(i) + 0.5),
                _ => d.insert("total", format!("{i} EUR")),
            };
            if i % 3 != 2 {
                d.get_document_mut("customer").unwrap().insert("email", format!("c{i}@example.com"));
            }
            if i % 100 == 0 {
                d.insert("note", "first of a hundred");
            }
            d
        })
        .collect()
}

fn field<'a>(schema: &'a Value, path: &str) -> &'a Value {
    let fields = schema["data"]["fields"].as_array().unwrap();
    fields.iter().find(|f| f["path"] == path).unwrap_or_else(|| panic!("no field {path}: {schema}"))
}

fn type_of<'a>(field: &'a Value, name: &str) -> &'a Value {
    let types = field["types"].as_array().unwrap();
    types.iter().find(|t| t["type"] == name).unwrap_or_else(|| panic!("no type {name}: {field}"))
}

#[tokio::test]
async fn schema_analysis_of_nested_fields_arrays_and_mixed_types() {
    let mongo = Mongo::start();
    let client = direct(&mongo).await;
    client.database("shop").collection::<Document>("orders").insert_many(fixtures()).await.unwrap();
    let (app, admin) = setup(&mongo).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let schema_url = format!("{M}/databases/shop/collections/orders/schema");

    // The default sample (1,000) takes every one of the 300.
    let (s, schema) = app.post(&schema_url, &viewer, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{schema}");
    assert_eq!(schema["data"]["sample_size"], 1000);
    assert_eq!(schema["data"]["documents_sampled"], 300);
    assert_eq!(schema["data"]["fields_truncated"], false);
    let paths: Vec<&str> =
        schema["data"]["fields"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    for path in ["_id", "kind", "customer", "customer.name", "customer.address.city", "customer.email", "items"] {
        assert!(paths.contains(&path), "{path} in {paths:?}");
    }
    assert!(paths.contains(&"items.sku") && paths.contains(&"items.qty") && paths.contains(&"note"), "{paths:?}");
    assert!(
        paths.iter().position(|p| *p == "customer") < paths.iter().position(|p| *p == "customer.address.city"),
        "parents first: {paths:?}"
    );

    // Mixed types with their frequencies.
    let total = field(&schema, "total");
    assert_eq!(total["presence"], 1.0);
    for name in ["Int32", "Double", "String"] {
        assert_eq!(type_of(total, name)["count"], 100, "{total}");
        let p = type_of(total, name)["probability"].as_f64().unwrap();
        assert!((p - 1.0 / 3.0).abs() < 1e-9, "{total}");
    }
    let ints = type_of(total, "Int32");
    assert_eq!((ints["min"].clone(), ints["max"].clone()), (json!(0), json!(297)));
    let strings = type_of(total, "String");
    assert_eq!(strings["lengths"]["min"], 5, "`2 EUR`: {strings}");
    assert_eq!(strings["lengths"]["max"], 7, "`299 EUR`: {strings}");

    // Presence of optional and nested fields.
    let email = field(&schema, "customer.email");
    assert_eq!(email["count"], 200);
    assert!((email["presence"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9, "{email}");
    assert_eq!(email["depth"], 1);
    assert_eq!(field(&schema, "customer.address.city")["depth"], 2);
    assert_eq!(field(&schema, "note")["count"], 3);

    // Top values and distinct counts of scalars.
    let kind = type_of(field(&schema, "kind"), "String");
    assert_eq!(kind["top_values"][0], json!({"value": "b", "count": 200}));
    assert_eq!(kind["top_values"][1], json!({"value": "a", "count": 100}));
    assert_eq!(kind["distinct"], 2);
    let city = type_of(field(&schema, "customer.address.city"), "String");
    assert_eq!(city["top_values"].as_array().unwrap().len(), 2);

    // Arrays: element types and lengths; documents inside them give `items.sku`, once per document.
    let tags = type_of(field(&schema, "tags"), "Array");
    assert_eq!(tags["element_types"]["String"], 300);
    assert_eq!(tags["element_types"]["Int32"], 300);
    assert_eq!((tags["array_lengths"]["min"].clone(), tags["array_lengths"]["max"].clone()), (json!(2), json!(2)));
    let sku = field(&schema, "items.sku");
    assert_eq!(sku["count"], 300);
    assert_eq!(type_of(sku, "String")["count"], 600);
    assert_eq!(type_of(sku, "String")["top_values"][0], json!({"value": "x", "count": 300}));
    assert_eq!(field(&schema, "items.qty")["count"], 300);

    // A smaller sample, and a filter (checked by the operator guard like find's).
    let (s, small) = app.post(&schema_url, &viewer, json!({"sample_size": 50})).await;
    assert_eq!(s, StatusCode::OK, "{small}");
    assert_eq!(small["data"]["documents_sampled"], 50);
    let (s, filtered) = app.post(&schema_url, &viewer, json!({"filter": {"kind": "a"}, "max_time_ms": 5000})).await;
    assert_eq!(s, StatusCode::OK, "{filtered}");
    assert_eq!(filtered["data"]["documents_sampled"], 100);
    assert_eq!(type_of(field(&filtered, "kind"), "String")["distinct"], 1);
    let (s, refused) = app.post(&schema_url, &viewer, json!({"filter": {"$where": "sleep(100) || true"}})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["error"]["code"], "QUERY_ERROR");

    // Bounds: sample size 1..=10,000, a time limit of at least 1 ms, no unknown fields.
    for body in [
        json!({"sample_size": 0}),
        json!({"sample_size": 10_001}),
        json!({"max_time_ms": 0}),
        json!({"sampleSize": 5}),
        json!({"filter": "{not json"}),
    ] {
        let (s, e) = app.post(&schema_url, &viewer, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {e}");
    }
    let (s, e) = app.post(&format!("{M}/databases/sh$op/collections/orders/schema"), &viewer, json!({})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");

    // An empty or missing collection has no fields.
    let (s, empty) = app.post(&format!("{M}/databases/shop/collections/none/schema"), &viewer, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{empty}");
    assert_eq!(empty["data"]["documents_sampled"], 0);
    assert_eq!(empty["data"]["fields"], json!([]));
}

#[tokio::test]
async fn explain_finds_and_aggregations_without_writing_and_index_usage() {
    let mongo = Mongo::start();
    let client = direct(&mongo).await;
    let orders = client.database("shop").collection::<Document>("orders");
    orders.insert_many(fixtures()).await.unwrap();
    orders.create_index(mongodb::IndexModel::builder().keys(doc! {"age": 1}).build()).await.unwrap();
    let (app, admin) = setup(&mongo).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;
    let explain = format!("{M}/databases/shop/collections/orders/explain");

    // A find on the indexed field, with executionStats.
    let body = json!({"filter": {"age": {"$gt": 250}}, "sort": {"age": 1}, "projection": {"kind": 1},
        "verbosity": "executionStats"});
    let (s, plan) = app.post(&explain, &viewer, body).await;
    assert_eq!(s, StatusCode::OK, "{plan}");
    let data = &plan["data"];
    assert_eq!(data["verbosity"], "executionStats");
    assert_eq!(data["kind"], "find");
    assert_eq!(data["namespace"], "shop.orders");
    assert!(data["winning_plan"].is_object(), "{plan}");
    assert!(data["raw"]["queryPlanner"].is_object(), "the server's own output is there: {plan}");
    let execution = &data["execution"];
    for key in ["n_returned", "docs_examined", "keys_examined", "time_ms"] {
        assert!(execution[key].is_i64(), "{key}: {plan}");
    }
    // mongod: winning plan FETCH <- IXSCAN on age_1, 49 returned, 49 keys examined.
    if data["indexes_used"].as_array().unwrap().is_empty() {
        skip(
            "index used and per-stage counts",
            "its plan is SQLite's (`SEARCH … USING INDEX`), without stage names or indexName",
        );
        let text = data["winning_plan"]["details"].to_string();
        assert!(text.contains("INDEX"), "the plan still names the index in its words: {plan}");
    } else {
        assert_eq!(data["indexes_used"], json!(["age_1"]));
        assert!(data["stages"].as_array().unwrap().contains(&json!("IXSCAN")), "{plan}");
        assert_eq!(data["collection_scan"], false);
        assert_eq!(execution["n_returned"], 49);
    }

    // queryPlanner (the default) runs nothing: no execution totals.
    let (s, plan) = app.post(&explain, &viewer, json!({"filter": {"kind": "a"}})).await;
    assert_eq!(s, StatusCode::OK, "{plan}");
    assert_eq!(plan["data"]["verbosity"], "queryPlanner");
    assert_eq!(plan["data"]["execution"], Value::Null);

    // An aggregation.
    let pipeline = json!([{"$match": {"age": {"$gte": 10}}}, {"$group": {"_id": "$kind", "n": {"$sum": 1}}}]);
    let (s, plan) = app.post(&explain, &viewer, json!({"pipeline": pipeline, "verbosity": "queryPlanner"})).await;
    assert_eq!(s, StatusCode::OK, "{plan}");
    assert_eq!(plan["data"]["kind"], "aggregate");
    if plan["data"]["pipeline_stages"].as_array().unwrap().is_empty() {
        skip("the $group stage after the query part", "its aggregation explain is `{winningPlan: {stage: EOF}}`");
    } else {
        assert!(plan["data"]["pipeline_stages"].as_array().unwrap().contains(&json!("$group")), "{plan}");
    }

    // A writing pipeline: developers may plan it (queryPlanner), never run it through explain.
    let out = json!([{"$match": {}}, {"$out": "copied"}]);
    let (s, e) = app.post(&explain, &viewer, json!({"pipeline": out})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, e) = app.post(&explain, &developer, json!({"pipeline": out, "verbosity": "executionStats"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("queryPlanner"), "{e}");
    let (s, plan) = app.post(&explain, &developer, json!({"pipeline": out, "verbosity": "queryPlanner"})).await;
    assert_eq!(s, StatusCode::OK, "{plan}");
    let names = client.database("shop").list_collection_names().await.unwrap();
    assert!(!names.contains(&"copied".to_string()), "explain wrote nothing: {names:?}");

    // Bad requests: both forms, an unknown verbosity, forbidden operators, negative limits.
    for body in [
        json!({"filter": {}, "pipeline": []}),
        json!({"verbosity": "allPlansExecution"}),
        json!({"filter": {"$where": "true"}}),
        json!({"filter": {"$expr": {"$function": {"body": "1", "args": [], "lang": "js"}}}}),
        json!({"pipeline": [{"$match": {"$where": "true"}}]}),
        json!({"limit": -1}),
        json!({"max_time_ms": 0}),
        json!({"filters": {}}),
    ] {
        let (s, e) = app.post(&explain, &viewer, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {e}");
    }

    // Index usage: mongod's $indexStats lists `_id_` and `age_1` with `ops` and `since`.
    let (s, stats) = app.get(&format!("{M}/databases/shop/collections/orders/index-stats"), &viewer).await;
    if s == StatusCode::BAD_REQUEST && stats["error"]["message"].as_str().unwrap_or("").contains("not supported") {
        skip("$indexStats", "the stage is `not supported` (it answers a clear 400 QUERY_ERROR, checked here)");
        assert_eq!(stats["error"]["code"], "QUERY_ERROR");
    } else {
        assert_eq!(s, StatusCode::OK, "{stats}");
        let names: Vec<&str> = stats["data"].as_array().unwrap().iter().filter_map(|i| i["name"].as_str()).collect();
        assert!(names.contains(&"_id_") && names.contains(&"age_1"), "{stats}");
        assert!(stats["data"][0]["ops"].is_i64(), "{stats}");
    }
}

#[tokio::test]
async fn operations_kill_and_profiler_with_roles_and_audit() {
    let mongo = Mongo::start();
    let client = direct(&mongo).await;
    client.database("shop").collection::<Document>("orders").insert_many(fixtures()).await.unwrap();
    let (app, admin) = setup(&mongo).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;

    // currentOp: mongod lists at least the currentOp command itself, with its opid and command.
    let (s, ops) = app.get(&format!("{M}/operations"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{ops}");
    let listed = !ops["data"].as_array().unwrap().is_empty();
    if listed {
        let own = ops["data"].as_array().unwrap().iter().find(|o| o["command"]["currentOp"].is_number());
        let own = own.unwrap_or_else(|| panic!("the currentOp command lists itself: {ops}"));
        assert!(own["opid"].is_number() || own["opid"].is_string(), "{own}");
        assert_eq!(own["active"], true);
    } else {
        skip("currentOp entries", "its currentOp answers `{ok: 1, result: []}` with no `inprog`");
    }
    let (s, all) = app.get(&format!("{M}/operations?all=true"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{all}");
    assert_eq!(app.get(&format!("{M}/operations?all=maybe"), &viewer).await.0, StatusCode::BAD_REQUEST);

    // killOp: admins only; an id nothing runs under is 404 on mongod.
    let kill = format!("{M}/operations/123456");
    assert_eq!(app.delete(&kill, &viewer).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&kill, &developer).await.0, StatusCode::FORBIDDEN);
    let (s, e) = app.delete(&kill, &admin).await;
    if listed {
        assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    } else {
        skip("404 for an opid nothing runs under", "nothing is listed, so killOp is sent unchecked");
        assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    }
    for bad in ["abc", "1.5", "shard:", "%20"] {
        let (s, e) = app.delete(&format!("{M}/operations/{bad}"), &admin).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {e}");
    }
    let (s, e) = app.delete(&format!("{M}/operations/shard01:77"), &admin).await;
    assert!(s == StatusCode::NO_CONTENT || s == StatusCode::NOT_FOUND || s == StatusCode::BAD_REQUEST, "{s} {e}");

    // The profiler: everyone reads its level, admins change it.
    let profiling = format!("{M}/databases/shop/profiling");
    let (s, level) = app.get(&profiling, &viewer).await;
    assert_eq!(s, StatusCode::OK, "{level}");
    let body = json!({"level": 1, "slowms": 50});
    assert_eq!(app.put(&profiling, &viewer, body.clone()).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.put(&profiling, &developer, body.clone()).await.0, StatusCode::FORBIDDEN);
    let (s, set) = app.put(&profiling, &admin, body).await;
    assert_eq!(s, StatusCode::OK, "{set}");
    let (_, level) = app.get(&profiling, &viewer).await;
    if level["data"]["level"].is_null() {
        skip("profiler level and slowms read back", "`profile` answers `{ok: 1, result: []}` without `was`/`slowms`");
    } else {
        assert_eq!(level["data"]["level"], 1, "{level}");
        assert_eq!(level["data"]["slowms"], 50, "{level}");
    }
    for bad in [
        json!({"level": 3}),
        json!({"level": -1}),
        json!({"level": 1, "slowms": -5}),
        json!({"level": 1, "sample_rate": 0}),
        json!({"level": 1, "sample_rate": 1.5}),
        json!({"slowms": 5}),
    ] {
        let (s, e) = app.put(&profiling, &admin, bad.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {e}");
    }

    // Slow operations from system.profile, newest first.
    let profile = format!("{M}/databases/shop/profile");
    let (s, entries) = app.get(&format!("{profile}?limit=10&min_millis=0"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{entries}");
    if entries["data"].as_array().unwrap().is_empty() {
        skip("system.profile entries", "it has no profiler and refuses a collection named system.profile");
    } else {
        let first = &entries["data"][0];
        assert!(first["millis"].is_i64() && first["ns"].is_string(), "{entries}");
    }
    for q in ["limit=0", "limit=1001", "min_millis=-1", "limit=x"] {
        assert_eq!(app.get(&format!("{profile}?{q}"), &viewer).await.0, StatusCode::BAD_REQUEST, "{q}");
    }
    assert_eq!(app.put(&profiling, &admin, json!({"level": 0})).await.0, StatusCode::OK);

    // Kills and profiler changes are in the audit trail naming their target; refusals too.
    let (_, audit) = app.get("/api/platform/projects/default/audit", &admin).await;
    let entries = audit["data"]["entries"].as_array().unwrap();
    let kills: Vec<&Value> = entries.iter().filter(|r| r["target"] == "operation 123456").collect();
    assert!(!kills.is_empty(), "{audit}");
    assert!(entries.iter().any(|r| r["target"] == "profiling of shop" && r["outcome"] == "ok"), "{audit}");
    assert!(entries.iter().any(|r| r["outcome"] == "denied"), "{audit}");
}
