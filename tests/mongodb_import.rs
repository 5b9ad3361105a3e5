//! MongoDB data in bulk against the MongoDB-wire test server (`nx-27017`): imports (NDJSON, JSON
//! array, CSV) arriving exactly and with flat memory, Extended JSON round trips through the NDJSON
//! export, failures by position, the CSV export, bulk changes behind a dry run's confirmation,
//! roles and the audit trail.
//!
//! Where that server differs from mongod (see docs/testing-mongodb.md), a test states mongod's
//! behaviour and skips only that assertion, saying why.

mod common;

use common::{Mongo, TestApp};
use futures_util::TryStreamExt;
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{doc, oid::ObjectId, Binary, Bson, DateTime, Document};
use reqwest::StatusCode;
use serde_json::{json, Value};

const M: &str = "/api/platform/mongodb/default";

use common::{app_with_mongo as setup, mongo_direct as direct};

fn coll(db: &str, c: &str) -> String {
    format!("{M}/databases/{db}/collections/{c}")
}

/// Every document of a collection, in `_id` order (numbers, then strings, then ObjectIds). Sorted
/// here: the test server sorts integer `_id`s as text (10 before 2), mongod numerically.
async fn stored(client: &mongodb::Client, db: &str, c: &str) -> Vec<Document> {
    let cursor = client.database(db).collection::<Document>(c).find(doc! {}).await.unwrap();
    let mut docs: Vec<Document> = cursor.try_collect().await.unwrap();
    docs.sort_by_key(|d| match d.get("_id") {
        Some(Bson::Int32(n)) => (0, i64::from(*n), String::new()),
        Some(Bson::Int64(n)) => (0, *n, String::new()),
        Some(Bson::String(s)) => (1, 0, s.clone()),
        Some(Bson::ObjectId(o)) => (2, 0, o.to_hex()),
        other => (3, 0, format!("{other:?}")),
    });
    docs
}

/// A GET with an `Accept` header; the status and the body as text.
async fn export(app: &TestApp, token: &str, path: &str, accept: &str) -> (StatusCode, String) {
    let r =
        app.http.get(format!("{}{path}", app.base)).bearer_auth(token).header("accept", accept).send().await.unwrap();
    let status = r.status();
    (status, r.text().await.unwrap())
}

fn query(pairs: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    q.finish()
}

async fn audit(app: &TestApp, admin: &str) -> Vec<Value> {
    let (s, body) = app.get("/api/platform/projects/default/audit?limit=500", admin).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["data"]["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn ndjson_json_array_and_csv_imports_arrive_exactly() {
    let mongo = Mongo::start();
    let (app, admin) = setup(&mongo).await;
    let client = direct(&mongo).await;

    // NDJSON: a byte order mark, blank lines and CRLF are fine; 2,500 documents cross two batch
    // boundaries.
    let mut ndjson = String::from("\u{feff}");
    for i in 0..2500 {
        ndjson.push_str(&json!({"_id": i, "name": format!("n{i}"), "even": i % 2 == 0}).to_string());
        ndjson.push_str(if i % 7 == 0 { "\r\n\n" } else { "\n" });
    }
    let (s, body) = app.upload(&admin, &format!("{}/import", coll("shop", "nd")), "application/x-ndjson", ndjson).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"], json!({"inserted": 2500, "failed": 0, "errors": [], "stopped": false}));
    let docs = stored(&client, "shop", "nd").await;
    assert_eq!(docs.len(), 2500);
    for (i, d) in docs.iter().enumerate() {
        assert_eq!(d, &doc! {"_id": i as i32, "name": format!("n{i}"), "even": i % 2 == 0});
    }

    // A JSON array, pretty-printed over several lines.
    let array = json!([{"_id": "a", "v": [1, {"w": null}]}, {"_id": "b", "v": "x,]"}]);
    let text = serde_json::to_string_pretty(&array).unwrap();
    let (s, body) = app.upload(&admin, &format!("{}/import", coll("shop", "arr")), "application/json", text).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["inserted"], 2);
    assert_eq!(
        stored(&client, "shop", "arr").await,
        vec![doc! {"_id": "a", "v": [1, {"w": Bson::Null}]}, doc! {"_id": "b", "v": "x,]"}]
    );

    // CSV: types inferred, dotted headers nested, empty fields left out, quoted fields kept.
    let csv = "\u{feff}_id,name,address.city,address.geo.lat,n,big,ok,zip,when\n\
               1,Ada,Paris,48.85,3,9007199254740993,true,007,\"{\"\"$date\"\":\"\"2026-01-01T00:00:00Z\"\"}\"\n\
               2,\"Bob, Jr.\",,,-4,,false,,\n";
    let (s, body) = app.upload(&admin, &format!("{}/import", coll("shop", "csv")), "text/csv", csv).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["inserted"], 2, "{body}");
    assert_eq!(
        stored(&client, "shop", "csv").await,
        vec![
            doc! {
                "_id": 1, "name": "Ada", "address": {"city": "Paris", "geo": {"lat": 48.85}}, "n": 3,
                "big": 9_007_199_254_740_993_i64, "ok": true, "zip": "007",
                "when": DateTime::from_millis(1_767_225_600_000),
            },
            doc! {"_id": 2, "name": "Bob, Jr.", "n": -4, "ok": false},
        ]
    );

    // A header that cannot become documents is refused before anything is inserted.
    let (s, body) = app.upload(&admin, &format!("{}/import", coll("shop", "bad")), "text/csv", "a,a.b\n1,2\n").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("both a value and a document"), "{body}");
    // Another media type is a 415.
    let (s, body) = app.upload(&admin, &format!("{}/import", coll("shop", "bad")), "text/plain", "x").await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert_eq!(client.database("shop").collection::<Document>("bad").estimated_document_count().await.unwrap(), 0);
}

#[tokio::test]
async fn a_large_import_arrives_whole_with_flat_memory() {
    let mongo = Mongo::start();
    let (app, admin) = setup(&mongo).await;
    let client = direct(&mongo).await;
    // About 40 MB of NDJSON: memory must not follow the body's size.
    let pad = "x".repeat(380);
    let total = 100_000;
    let mut body = Vec::with_capacity(total * 420);
    for i in 0..total {
        // 64-bit integers beyond 32 bits: the test server stores smaller ones as 32-bit.
        let n = (1_i64 << 40) + i as i64;
        body.extend_from_slice(
            json!({"_id": i, "pad": pad, "n": {"$numberLong": n.to_string()}}).to_string().as_bytes(),
        );
        body.push(b'\n');
    }
    let size = body.len();
    assert!(size > 40_000_000, "{size}");
    let started = std::time::Instant::now();
    let (s, answer) =
        app.upload(&admin, &format!("{}/import", coll("big", "docs")), "application/x-ndjson", body).await;
    let took = started.elapsed();
    assert_eq!(s, StatusCode::OK, "{answer}");
    assert_eq!(answer["data"]["inserted"], total, "{answer}");
    assert_eq!(answer["data"]["failed"], 0, "{answer}");
    let peak = common::peak_rss_kib(app.pid().unwrap());
    eprintln!("imported {size} bytes ({total} documents) in {took:?}; peak RSS {} MiB", peak / 1024);
    assert!(peak < 100 * 1024, "peak RSS {peak} KiB");
    let coll = client.database("big").collection::<Document>("docs");
    assert_eq!(coll.count_documents(doc! {}).await.unwrap(), total as u64);
    let last = coll.find_one(doc! {"_id": (total - 1) as i32}).await.unwrap().unwrap();
    assert_eq!(last.get("n"), Some(&Bson::Int64((1_i64 << 40) + (total - 1) as i64)));
    assert_eq!(last.get_str("pad").unwrap(), pad);
}

#[tokio::test]
async fn extended_json_round_trips_from_the_ndjson_export_into_an_import() {
    let mongo = Mongo::start();
    let (app, admin) = setup(&mongo).await;
    let client = direct(&mongo).await;
    let originals: Vec<Document> = (0..50)
        .map(|i: i64| {
            doc! {
                "_id": ObjectId::new(),
                "i": i,
                "when": DateTime::from_millis(1_767_225_600_123 + i * 86_400_000),
                "before_1970": DateTime::from_millis(-1000 - i),
                "big": 9_007_199_254_740_993_i64 + i,
                "small_long": Bson::Int64(i),
                "int": i as i32,
                "ratio": i as f64 + 0.5,
                "whole_double": 2.0,
                "blob": Binary { subtype: BinarySubtype::Generic, bytes: vec![0, 1, 2, 255, i as u8] },
                "nested": { "list": [1, "two", { "three": 3.5, "at": DateTime::from_millis(5) }], "null": Bson::Null },
                "text": "line\nbreak \"quoted\" ünïcode",
            }
        })
        .collect();
    client.database("rt").collection::<Document>("source").insert_many(originals.clone()).await.unwrap();

    let (s, ndjson) =
        export(&app, &admin, &format!("{}/documents", coll("rt", "source")), "application/x-ndjson").await;
    assert_eq!(s, StatusCode::OK, "{ndjson}");
    assert_eq!(ndjson.lines().count(), 50);
    let (s, body) = app.upload(&admin, &format!("{}/import", coll("rt", "copy")), "application/x-ndjson", ndjson).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["inserted"], 50, "{body}");
    let (source, copy) = (stored(&client, "rt", "source").await, stored(&client, "rt", "copy").await);
    assert_eq!(source.len(), 50);
    assert_eq!(copy, source, "the copy equals the source, types included");
    // mongod keeps a 64-bit integer 64-bit whatever its value; the test server stores one that
    // fits in 32 bits as a 32-bit integer (docs/testing-mongodb.md), so the type of `small_long`
    // is not checked against it. What Switchboard sends for it is `{"$numberLong": …}` read as
    // Int64 (unit test `canonical_input_is_accepted` in engines::mongodb::extjson); the big ones
    // above 2^53 are checked here.
    assert!(copy.iter().all(|d| matches!(d.get("big"), Some(Bson::Int64(n)) if *n > 1 << 53)));
    assert!(copy.iter().all(|d| matches!(d.get("blob"), Some(Bson::Binary(b)) if b.bytes.len() == 5)));
    assert!(copy.iter().all(|d| matches!(d.get("before_1970"), Some(Bson::DateTime(t)) if t.timestamp_millis() < 0)));

    // Canonical Extended JSON is read exactly too ($numberLong, $date as $numberLong, $binary).
    let canonical: Vec<String> =
        originals.iter().map(|d| Bson::Document(d.clone()).into_canonical_extjson().to_string()).collect();
    let (s, body) = app
        .upload(
            &admin,
            &format!("{}/import", coll("rt", "canonical")),
            "application/json",
            format!("[{}]", canonical.join(",\n")),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(stored(&client, "rt", "canonical").await, source);
}

#[tokio::test]
async fn failures_are_reported_by_position() {
    let mongo = Mongo::start();
    let (app, admin) = setup(&mongo).await;
    let client = direct(&mongo).await;
    let target = coll("dup", "items");
    let (s, body) = app.upload(&admin, &format!("{target}/import"), "application/x-ndjson", "{\"_id\": 3}\n").await;
    assert_eq!(s, StatusCode::OK, "{body}");

    // Unordered: every good document goes in; the duplicate, the bad JSON and the non-object are
    // reported with their document number and line.
    let lines = [
        r#"{"_id": 1}"#,
        r#"{"_id": 2}"#,
        r#"{"_id": 3, "again": true}"#,
        "",
        r#"{"_id": 4,"#,
        r#"[1, 2]"#,
        r#"{"_id": {"$oid": "nothex"}}"#,
        r#"{"_id": 5}"#,
        r#"{"_id": 1}"#,
    ];
    let (s, body) = app.upload(&admin, &format!("{target}/import"), "application/x-ndjson", lines.join("\n")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["inserted"], 3, "{body}");
    assert_eq!(data["failed"], 5, "{body}");
    let errors = data["errors"].as_array().unwrap();
    let positions: Vec<(u64, u64)> =
        errors.iter().map(|e| (e["index"].as_u64().unwrap(), e["line"].as_u64().unwrap())).collect();
    // Document numbers count documents (the blank line is none); lines count lines.
    assert_eq!(positions, vec![(3, 5), (4, 6), (5, 7), (2, 3), (7, 9)], "{body}");
    assert!(errors[0]["message"].as_str().unwrap().starts_with("not valid JSON"), "{body}");
    assert_eq!(errors[0]["code"], Value::Null);
    assert!(errors[1]["message"].as_str().unwrap().contains("must be a JSON object"), "{body}");
    assert!(errors[2]["message"].as_str().unwrap().contains("not valid Extended JSON"), "{body}");
    for duplicate in &errors[3..] {
        assert_eq!(duplicate["code"], 11000, "{body}");
        // mongod's message starts with E11000 and names the index and key; any server's is passed on.
        assert!(!duplicate["message"].as_str().unwrap().is_empty(), "{body}");
    }
    let ids: Vec<Bson> = stored(&client, "dup", "items").await.iter().map(|d| d.get("_id").unwrap().clone()).collect();
    assert_eq!(ids, vec![Bson::Int32(1), Bson::Int32(2), Bson::Int32(3), Bson::Int32(5)]);
    assert!(stored(&client, "dup", "items").await[2].get("again").is_none(), "the duplicate did not replace anything");

    // Ordered: what came before the first failure is in, nothing after it.
    let lines = [r#"{"_id": 10}"#, r#"{"_id": 11}"#, r#"{"_id": 10}"#, r#"{"_id": 12}"#];
    let (s, body) =
        app.upload(&admin, &format!("{target}/import?ordered=true"), "application/x-ndjson", lines.join("\n")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["inserted"], 2, "{body}");
    assert_eq!(body["data"]["stopped"], true, "{body}");
    assert_eq!(body["data"]["errors"][0]["index"], 2, "{body}");
    assert_eq!(body["data"]["errors"][0]["line"], 3, "{body}");
    assert_eq!(body["data"]["errors"][0]["code"], 11000, "{body}");
    let lines = [r#"{"_id": 20}"#, r#"{"_id": "#, r#"{"_id": 21}"#];
    let (s, body) =
        app.upload(&admin, &format!("{target}/import?ordered=true"), "application/x-ndjson", lines.join("\n")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!((body["data"]["inserted"].clone(), body["data"]["stopped"].clone()), (json!(1), json!(true)), "{body}");
    assert_eq!(body["data"]["errors"][0]["line"], 2, "{body}");
    let items = client.database("dup").collection::<Document>("items");
    for (id, present) in [(10, true), (11, true), (12, false), (20, true), (21, false)] {
        assert_eq!(items.find_one(doc! {"_id": id}).await.unwrap().is_some(), present, "_id {id}");
    }

    // A document over MongoDB's 16 MiB limit is reported by position and never sent.
    let big = format!("{{\"_id\": 30}}\n{{\"_id\": 31, \"pad\": \"{}\"}}\n{{\"_id\": 32}}\n", "x".repeat(17 << 20));
    let (s, body) = app.upload(&admin, &format!("{target}/import"), "application/x-ndjson", big).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["inserted"], 2, "{body}");
    assert_eq!(
        (body["data"]["errors"][0]["index"].clone(), body["data"]["errors"][0]["line"].clone()),
        (json!(1), json!(2))
    );
    assert!(body["data"]["errors"][0]["message"].as_str().unwrap().contains("limit"), "{body}");

    // CSV records of the wrong width are reported by record number and line.
    let csv = "_id,v\n100,a\n101\n102,c,extra\n103,d\n";
    let (s, body) = app.upload(&admin, &format!("{target}/import"), "text/csv", csv).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["inserted"], 2, "{body}");
    let positions: Vec<(u64, u64)> = body["data"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["index"].as_u64().unwrap(), e["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(positions, vec![(1, 3), (2, 4)], "{body}");
}

#[tokio::test]
async fn csv_export_with_nested_fields() {
    let mongo = Mongo::start();
    let (app, admin) = setup(&mongo).await;
    let client = direct(&mongo).await;
    let oid = ObjectId::parse_str("65a1b2c3d4e5f60718293a4b").unwrap();
    client
        .database("csv")
        .collection::<Document>("people")
        .insert_many(vec![
            doc! {"_id": 1, "name": "Ada, \"the first\"", "address": {"city": "Paris", "geo": {"lat": 48.5}}, "tags": ["a", "b"]},
            doc! {"_id": 2, "name": "Bob", "address": {"city": "Oslo"}, "ref": oid, "at": DateTime::from_millis(1_767_225_600_000)},
            doc! {"_id": 3, "name": Bson::Null, "n": 9_007_199_254_740_993_i64},
        ])
        .await
        .unwrap();
    let people = coll("csv", "people");

    // Chosen fields, nested ones as dotted columns, in the order given.
    let path = format!(
        "{people}/documents?{}",
        query(&[("fields", "name,address.city,address.geo.lat,ref"), ("sort", r#"{"_id":1}"#)])
    );
    let (s, text) = export(&app, &admin, &path, "text/csv").await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert_eq!(
        text,
        "name,address.city,address.geo.lat,ref\r\n\
         \"Ada, \"\"the first\"\"\",Paris,48.5,\r\n\
         Bob,Oslo,,\"{\"\"$oid\"\":\"\"65a1b2c3d4e5f60718293a4b\"\"}\"\r\n\
         ,,,\r\n"
    );

    // Without fields: every field path of the first documents, as first seen; with a filter.
    let path =
        format!("{people}/documents?{}", query(&[("sort", r#"{"_id":1}"#), ("filter", r#"{"_id":{"$gte":1}}"#)]));
    let (s, text) = export(&app, &admin, &path, "text/csv").await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], "_id,name,address.city,address.geo.lat,tags,ref,at,n");
    assert_eq!(lines[1], "1,\"Ada, \"\"the first\"\"\",Paris,48.5,\"[\"\"a\"\",\"\"b\"\"]\",,,");
    assert_eq!(lines[3], "3,,,,,,,9007199254740993");
    assert_eq!(lines.len(), 5, "{text}");

    // The CSV export comes back in through the CSV import: dotted columns nest again, the
    // ObjectId, the date and the array are read as Extended JSON.
    let (s, body) = app.upload(&admin, &format!("{}/import", coll("csv", "again")), "text/csv", text).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["inserted"], 3, "{body}");
    let again = stored(&client, "csv", "again").await;
    assert_eq!(again[1].get("ref"), Some(&Bson::ObjectId(oid)));
    assert_eq!(again[1].get("at"), Some(&Bson::DateTime(DateTime::from_millis(1_767_225_600_000))));
    assert_eq!(again[0].get_document("address").unwrap(), &doc! {"city": "Paris", "geo": {"lat": 48.5}});
    assert_eq!(again[0].get_array("tags").unwrap(), &vec![Bson::from("a"), Bson::from("b")]);
    assert_eq!(again[2].get("n"), Some(&Bson::Int64(9_007_199_254_740_993)));

    // An empty collection exports an empty body.
    let (s, text) = export(&app, &admin, &format!("{}/documents", coll("csv", "nothing")), "text/csv").await;
    assert_eq!((s, text.as_str()), (StatusCode::OK, ""));

    // fields belongs to the CSV export only; a bad path is a 400.
    let (s, _) = app.get(&format!("{people}/documents?fields=name"), &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = export(&app, &admin, &format!("{people}/documents?fields=a..b"), "text/csv").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

/// `POST …/bulk` with `body`.
async fn bulk(app: &TestApp, token: &str, c: &str, body: Value) -> (StatusCode, Value) {
    app.post(&format!("{}/bulk", coll("ops", c)), token, body).await
}

#[tokio::test]
async fn bulk_changes_run_only_with_their_dry_runs_confirmation() {
    let mongo = Mongo::start();
    let (app, admin) = setup(&mongo).await;
    let developer = app.user_with_role(&admin, "dev@example.com", "default", "developer").await;
    let other = app.user_with_role(&admin, "dev2@example.com", "default", "developer").await;
    let client = direct(&mongo).await;
    let items = client.database("ops").collection::<Document>("items");
    let docs: Vec<Document> =
        (0..300).map(|i| doc! {"_id": i, "kind": if i % 3 == 0 { "stale" } else { "fresh" }, "n": i}).collect();
    items.insert_many(docs).await.unwrap();
    let stale = json!({"kind": "stale"});
    let count = |filter: Document| {
        let items = items.clone();
        async move { items.count_documents(filter).await.unwrap() }
    };

    // The dry run counts and samples, and changes nothing.
    let (s, body) =
        bulk(&app, &developer, "items", json!({"op": "deleteMany", "filter": stale, "dry_run": true})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let preview = &body["data"];
    assert_eq!(preview["matched"], 100, "{body}");
    assert_eq!(preview["matched_capped"], false);
    let sample = preview["sample"].as_array().unwrap();
    assert_eq!(sample.len(), 20);
    assert!(sample.iter().all(|d| d["kind"] == "stale"), "{body}");
    let confirm = preview["confirm"].as_str().unwrap().to_string();
    assert_eq!(count(doc! {}).await, 300);

    // Without the token, with a token for another filter, op or collection, or as another user:
    // 400 and nothing deleted.
    let (s, body) = bulk(&app, &developer, "items", json!({"op": "deleteMany", "filter": stale})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("dry_run"), "{body}");
    let (_, other_filter) =
        bulk(&app, &developer, "items", json!({"op": "deleteMany", "filter": {"kind": "fresh"}, "dry_run": true}))
            .await;
    let wrong = other_filter["data"]["confirm"].as_str().unwrap();
    let refused = [
        (developer.as_str(), "items", json!({"op": "deleteMany", "filter": stale, "confirm": wrong})),
        (
            developer.as_str(),
            "items",
            json!({"op": "deleteMany", "filter": {"kind": "stale", "n": {"$gte": 0}}, "confirm": confirm}),
        ),
        (
            developer.as_str(),
            "items",
            json!({"op": "updateMany", "filter": stale, "update": {"$set": {"x": 1}}, "confirm": confirm}),
        ),
        (developer.as_str(), "other", json!({"op": "deleteMany", "filter": stale, "confirm": confirm})),
        (other.as_str(), "items", json!({"op": "deleteMany", "filter": stale, "confirm": confirm})),
        (admin.as_str(), "items", json!({"op": "deleteMany", "filter": stale, "confirm": "not-a-token"})),
    ];
    for (token, c, body) in refused {
        let (s, answer) = bulk(&app, token, c, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} -> {answer}");
        assert_eq!(answer["error"]["code"], "VALIDATION_ERROR", "{answer}");
    }
    // Another connection (to the same server, even) is another change.
    let second = json!({"identifier": "docs2", "host": "127.0.0.1", "port": mongo.port});
    let (s, created) = app.post(&format!("{M}/connections"), &admin, second).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let second_id = created["data"]["id"].as_str().unwrap();
    let (s, answer) = app
        .post(
            &format!("{}/bulk?connection_id={second_id}", coll("ops", "items")),
            &developer,
            json!({"op": "deleteMany", "filter": stale, "confirm": confirm}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().starts_with("confirm does not match"), "{answer}");
    assert_eq!(count(doc! {}).await, 300, "nothing was deleted");

    // The injection guard covers filter and update.
    for body in [
        json!({"op": "deleteMany", "filter": {"$where": "true"}, "dry_run": true}),
        json!({"op": "updateMany", "filter": {}, "update": {"$set": {"a": {"$function": {}}}}, "dry_run": true}),
        json!({"op": "updateMany", "filter": {"$expr": {"$function": {"body": "", "args": [], "lang": "js"}}}, "update": {"$set": {"a": 1}}, "dry_run": true}),
    ] {
        let (s, answer) = bulk(&app, &developer, "items", body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} -> {answer}");
        assert_eq!(answer["error"]["code"], "QUERY_ERROR", "{answer}");
    }

    // With its token, the change deletes exactly what was matched.
    let (s, body) =
        bulk(&app, &developer, "items", json!({"op": "deleteMany", "filter": stale, "confirm": confirm})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"], json!({"matched": 100, "modified": 0, "deleted": 100}));
    assert_eq!(count(doc! {}).await, 200);
    assert_eq!(count(doc! {"kind": "stale"}).await, 0);

    // updateMany the same way; a token for other update operators does not fit.
    let update = json!({"$set": {"flag": true}, "$inc": {"n": 1000}});
    let filter = json!({"n": {"$lt": 50}});
    let (_, body) = bulk(
        &app,
        &developer,
        "items",
        json!({"op": "updateMany", "filter": filter, "update": update, "dry_run": true}),
    )
    .await;
    let preview = &body["data"];
    let expected = (0..50).filter(|i| i % 3 != 0).count();
    assert_eq!(preview["matched"], expected, "{body}");
    let token = preview["confirm"].as_str().unwrap();
    let (s, _) = bulk(
        &app,
        &developer,
        "items",
        json!({"op": "updateMany", "filter": filter, "update": {"$set": {"flag": false}}, "confirm": token}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(count(doc! {"flag": {"$exists": true}}).await, 0);
    let (s, body) = bulk(
        &app,
        &developer,
        "items",
        json!({"op": "updateMany", "filter": filter, "update": update, "confirm": token}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"], json!({"matched": expected, "modified": expected, "deleted": 0}));
    assert_eq!(count(doc! {"flag": true}).await, expected as u64);
    assert_eq!(count(doc! {"n": {"$gte": 1000}}).await, expected as u64);

    // Shapes that cannot be a mass change.
    for body in [
        json!({"op": "deleteMany", "filter": {}, "update": {"$set": {"a": 1}}, "dry_run": true}),
        json!({"op": "updateMany", "filter": {}, "dry_run": true}),
        json!({"op": "updateMany", "filter": {}, "update": {"plain": 1}, "dry_run": true}),
        json!({"op": "dropEverything", "filter": {}, "dry_run": true}),
    ] {
        let (s, answer) = bulk(&app, &developer, "items", body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} -> {answer}");
    }
}

#[tokio::test]
async fn viewers_are_refused_and_imports_and_bulk_changes_are_audited_with_counts() {
    let mongo = Mongo::start();
    let (app, admin) = setup(&mongo).await;
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let client = direct(&mongo).await;
    let target = coll("aud", "things");

    let (s, body) = app.upload(&viewer, &format!("{target}/import"), "application/x-ndjson", "{\"a\":1}\n").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let (s, body) =
        app.post(&format!("{target}/bulk"), &viewer, json!({"op": "deleteMany", "filter": {}, "dry_run": true})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(client.database("aud").collection::<Document>("things").estimated_document_count().await.unwrap(), 0);

    let body = "{\"_id\":1}\n{\"_id\":2}\n{\"_id\":1}\n";
    let (s, answer) = app.upload(&admin, &format!("{target}/import"), "application/x-ndjson", body).await;
    assert_eq!(s, StatusCode::OK, "{answer}");
    let (_, dry) = app
        .post(&format!("{target}/bulk"), &admin, json!({"op": "deleteMany", "filter": {"_id": 2}, "dry_run": true}))
        .await;
    let confirm = dry["data"]["confirm"].as_str().unwrap();
    let (s, done) = app
        .post(&format!("{target}/bulk"), &admin, json!({"op": "deleteMany", "filter": {"_id": 2}, "confirm": confirm}))
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["data"]["deleted"], 1);

    let entries = audit(&app, &admin).await;
    let import_action = "POST /api/platform/mongodb/{ref}/databases/{database}/collections/{collection}/import";
    let bulk_action = "POST /api/platform/mongodb/{ref}/databases/{database}/collections/{collection}/bulk";
    let import = entries.iter().find(|e| e["action"] == import_action && e["outcome"] == "ok").expect("import audited");
    assert_eq!(import["target"], "aud/things");
    assert_eq!(import["details"], json!({"format": "ndjson", "inserted": 2, "failed": 1}), "{import}");
    let runs: Vec<&Value> = entries.iter().filter(|e| e["action"] == bulk_action && e["outcome"] == "ok").collect();
    assert!(
        runs.iter().any(|e| e["details"]
            == json!({"op": "deleteMany", "dry_run": false, "matched": 1, "modified": 0, "deleted": 1})),
        "{runs:?}"
    );
    assert!(runs.iter().any(|e| e["details"]["dry_run"] == true && e["details"]["matched"] == 1), "{runs:?}");
    let denied = |action: &str| entries.iter().any(|e| e["action"] == action && e["outcome"] == "denied");
    assert!(denied(import_action) && denied(bulk_action), "viewer refusals are audited");
}

#[tokio::test]
async fn an_upload_past_the_import_limit_is_a_413() {
    let mongo = Mongo::start();
    let app = TestApp::start_with(common::AppOptions {
        env: vec![("SWITCHBOARD_IMPORT_LIMIT".into(), "100000".into())],
        ..Default::default()
    })
    .await;
    let admin = app.admin_token().await;
    let body = json!({"identifier": "docs", "host": "127.0.0.1", "port": mongo.port});
    let (s, created) = app.post(&format!("{M}/connections"), &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let ndjson: String = (0..5000).map(|i| format!("{{\"_id\": {i}, \"pad\": \"xxxxxxxxxxxxxxxxxxxx\"}}\n")).collect();
    assert!(ndjson.len() > 100_000);
    let (s, answer) =
        app.upload(&admin, &format!("{}/import", coll("lim", "docs")), "application/x-ndjson", ndjson).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert_eq!(answer["error"]["code"], "PAYLOAD_TOO_LARGE");
    let client = direct(&mongo).await;
    assert_eq!(client.database("lim").collection::<Document>("docs").estimated_document_count().await.unwrap(), 0);
    // Under the limit it goes in.
    let small: String = (0..100).map(|i| format!("{{\"_id\": {i}}}\n")).collect();
    let (s, answer) =
        app.upload(&admin, &format!("{}/import", coll("lim", "docs")), "application/x-ndjson", small).await;
    assert_eq!(s, StatusCode::OK, "{answer}");
    assert_eq!(answer["data"]["inserted"], 100);
}
