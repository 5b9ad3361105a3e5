//! Streaming every matching document as NDJSON (relaxed Extended JSON, one document per line), for
//! exports of any size: the cursor is read batch by batch and at most [`IN_FLIGHT`] chunks wait
//! for a slow client, so memory stays flat however many documents match. A client that leaves
//! drops the stream, which closes the cursor.

use axum::body::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use mongodb::bson::Document;

use super::documents::Query;
use super::{extjson, map_error, MongoClient};
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
    let coll = client.client().database(database).collection::<Document>(collection);
    let mut find = coll.find(q.filter).skip(q.skip).batch_size(BATCH);
    if let Some(p) = q.projection {
        find = find.projection(p);
    }
    if let Some(s) = q.sort {
        find = find.sort(s);
    }
    let cursor = find.await.map_err(map_error)?;
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
