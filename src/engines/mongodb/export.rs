//! Streaming every matching document as NDJSON (relaxed Extended JSON, one document per line) or
//! CSV (chosen fields as columns), for exports of any size: the cursor is read batch by batch and
//! at most [`IN_FLIGHT`] chunks wait for a slow client, so memory stays flat however many documents
//! match. A client that leaves drops the stream, which closes the cursor.

use std::collections::HashSet;

use axum::body::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use mongodb::bson::{Bson, Document};
use serde_json::Value;

use super::documents::Query;
use super::{extjson, map_error, MongoClient};
use crate::engines::export::{Format, RowSink};
use crate::engines::EngineError;

/// Chunks buffered ahead of the client.
const IN_FLIGHT: usize = 4;
/// Documents per cursor batch and per chunk sent.
const BATCH: u32 = 1000;

/// Opens a cursor over the matches of `q` (its `limit` ignored: all of them, after `skip`) and
/// streams them as NDJSON. Errors before the first document are returned; later ones end the
/// stream with an `{"error": …}` line.
pub async fn ndjson(
    client: &MongoClient,
    database: &str,
    collection: &str,
    q: Query,
) -> Result<impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static, EngineError> {
    let cursor = open_cursor(client, database, collection, q).await?;
    let lines = cursor.map_err(map_error).map_ok(|doc| {
        let mut line = extjson::document_to_json(doc).to_string();
        line.push('\n');
        line
    });
    // Group lines into chunks of up to BATCH documents, so the body is not one write per document;
    // a chunk ending in an error carries its message.
    let chunks = lines.ready_chunks(BATCH as usize).map(|lines| {
        let mut chunk = String::new();
        for line in lines {
            match line {
                Ok(line) => chunk.push_str(&line),
                Err(e) => {
                    let message = e.to_string();
                    let error = serde_json::json!({ "error": { "message": message, "code": "QUERY_ERROR" } });
                    chunk.push_str(&error.to_string());
                    chunk.push('\n');
                    return (Bytes::from(chunk), Some(message));
                }
            }
        }
        (Bytes::from(chunk), None)
    });
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(IN_FLIGHT);
    tokio::spawn(async move {
        futures_util::pin_mut!(chunks);
        while let Some((bytes, failure)) = chunks.next().await {
            if sender.send(Ok(bytes)).await.is_err() {
                return; // The client left: dropping the cursor closes it on the server.
            }
            if let Some(message) = failure {
                let _ = sender.send(Err(std::io::Error::other(message))).await;
                return;
            }
        }
    });
    Ok(futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx)))
}

/// Documents whose fields become the columns of a CSV export that names none.
pub const CSV_SAMPLE: usize = 100;
/// The most columns a CSV export has.
pub const MAX_COLUMNS: usize = 1000;

/// Streams the matches of `q` (all of them, after `skip`) as CSV with a header line. The columns
/// are `fields` (dotted paths for nested fields), or, when none are given, every field path of the
/// first [`CSV_SAMPLE`] documents in the order first seen (nested documents as dotted columns;
/// arrays and empty documents as one column). A value is its relaxed Extended JSON text (a string
/// as itself); a missing field or null is an empty cell. Errors before the first document are
/// returned; later ones break the body.
pub async fn csv(
    client: &MongoClient,
    database: &str,
    collection: &str,
    q: Query,
    fields: Option<Vec<String>>,
) -> Result<impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static, EngineError> {
    let mut cursor = open_cursor(client, database, collection, q).await?;
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(IN_FLIGHT);
    tokio::spawn(async move {
        let mut head = Vec::new();
        let mut failed = None;
        let columns = match fields {
            Some(fields) => fields,
            None => {
                while head.len() < CSV_SAMPLE {
                    match cursor.try_next().await {
                        Ok(Some(doc)) => head.push(doc),
                        Ok(None) => break,
                        Err(e) => {
                            failed = Some(map_error(e).to_string());
                            break;
                        }
                    }
                }
                columns_of(&head)
            }
        };
        if columns.is_empty() && failed.is_none() {
            return; // No documents (or none with a field): an empty body, not a blank header line.
        }
        let paths: Vec<Vec<&str>> = columns.iter().map(|c| c.split('.').collect()).collect();
        let mut sink = RowSink::new(Format::Csv, columns.clone(), sender);
        for doc in head {
            if !sink.row(&row(&doc, &paths)).await {
                return;
            }
        }
        if let Some(message) = failed {
            return sink.fail(&message).await;
        }
        loop {
            match cursor.try_next().await {
                Ok(Some(doc)) => {
                    if !sink.row(&row(&doc, &paths)).await {
                        return; // The client left: dropping the cursor closes it on the server.
                    }
                }
                Ok(None) => break,
                Err(e) => return sink.fail(&map_error(e).to_string()).await,
            }
        }
        sink.finish().await;
    });
    Ok(futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx)))
}

/// The field paths of `docs`, in the order first seen, at most [`MAX_COLUMNS`].
pub fn columns_of(docs: &[Document]) -> Vec<String> {
    fn walk(doc: &Document, prefix: &str, seen: &mut HashSet<String>, out: &mut Vec<String>) {
        for (key, value) in doc {
            let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
            match value {
                Bson::Document(inner) if !inner.is_empty() => walk(inner, &path, seen, out),
                _ => {
                    if out.len() < MAX_COLUMNS && seen.insert(path.clone()) {
                        out.push(path);
                    }
                }
            }
        }
    }
    let (mut seen, mut out) = (HashSet::new(), Vec::new());
    for doc in docs {
        walk(doc, "", &mut seen, &mut out);
    }
    out
}

/// One CSV row: the value at each path as relaxed Extended JSON (`null` when missing, which the
/// CSV writer leaves empty).
/// The cursor of a query's every match, read [`BATCH`] documents at a time.
async fn open_cursor(
    client: &MongoClient,
    database: &str,
    collection: &str,
    q: Query,
) -> Result<mongodb::Cursor<Document>, EngineError> {
    let coll = client.client().database(database).collection::<Document>(collection);
    let mut find = coll.find(q.filter).skip(q.skip).batch_size(BATCH);
    if let Some(p) = q.projection {
        find = find.projection(p);
    }
    if let Some(s) = q.sort {
        find = find.sort(s);
    }
    find.await.map_err(map_error)
}

fn row(doc: &Document, paths: &[Vec<&str>]) -> Vec<Value> {
    paths
        .iter()
        .map(|path| {
            let mut value = None;
            let mut current = Some(doc);
            for (i, key) in path.iter().enumerate() {
                let Some(found) = current.and_then(|d| d.get(*key)) else { break };
                if i + 1 == path.len() {
                    value = Some(found);
                } else if let Bson::Document(inner) = found {
                    current = Some(inner);
                } else {
                    break;
                }
            }
            value.cloned().map(extjson::to_json).unwrap_or(Value::Null)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use mongodb::bson::{doc, oid::ObjectId};
    use serde_json::json;

    use super::*;

    #[test]
    fn columns_are_dotted_paths_in_first_seen_order() {
        let docs = [
            doc! { "_id": 1, "name": "a", "address": { "city": "x", "geo": { "lat": 1.5 } }, "tags": ["t"] },
            doc! { "_id": 2, "extra": true, "address": { "zip": "75001" }, "empty": {} },
        ];
        assert_eq!(
            columns_of(&docs),
            ["_id", "name", "address.city", "address.geo.lat", "tags", "extra", "address.zip", "empty"]
        );
    }

    #[test]
    fn rows_hold_relaxed_extended_json() {
        let oid = ObjectId::parse_str("65a1b2c3d4e5f60718293a4b").unwrap();
        let doc = doc! { "_id": oid, "a": { "b": "text", "n": 9_007_199_254_740_993_i64 }, "list": [1, 2] };
        let paths: Vec<Vec<&str>> =
            [vec!["_id"], vec!["a", "b"], vec!["a", "n"], vec!["list"], vec!["a", "missing"], vec!["a"]]
                .into_iter()
                .collect();
        assert_eq!(
            row(&doc, &paths),
            vec![
                json!({ "$oid": "65a1b2c3d4e5f60718293a4b" }),
                json!("text"),
                json!(9_007_199_254_740_993_i64),
                json!([1, 2]),
                Value::Null,
                json!({ "b": "text", "n": 9_007_199_254_740_993_i64 }),
            ]
        );
    }
}
