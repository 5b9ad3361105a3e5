//! Mass changes of a collection (`deleteMany`, `updateMany`): a preview (how many documents match,
//! within a time limit and up to a cap, and a sample of them), and the change itself. The API
//! layer lets the change run only with the confirmation its preview issued.

use std::time::Duration;

use mongodb::bson::Document;
use mongodb::options::UpdateModifications;
use serde_json::Value;

use super::documents::{op_error, server_error, COUNT_TIME};
use super::{extjson, MongoClient};
use crate::engines::EngineError;

/// Documents a preview shows.
pub const SAMPLE: i64 = 20;
/// A preview counts at most this many matches (`matched_capped` says when it stopped there).
pub const COUNT_CAP: u64 = 1_000_000;
/// MongoDB's `MaxTimeMSExpired`.
const MAX_TIME_EXPIRED: i32 = 50;
/// Extra wait beyond `maxTimeMS` before we stop waiting for a server that ignores it.
const GRACE: Duration = Duration::from_secs(5);

/// A mass change.
#[derive(Debug, Clone)]
pub enum BulkChange {
    /// Delete every match.
    DeleteMany,
    /// Apply update operators (or an update pipeline) to every match.
    UpdateMany(UpdateModifications),
}

/// What a preview found.
#[derive(Debug)]
pub struct Preview {
    /// Matches counted, up to [`COUNT_CAP`]; `None` when counting ran past [`COUNT_TIME`].
    pub matched: Option<u64>,
    /// The count stopped at [`COUNT_CAP`]: at least that many match.
    pub capped: bool,
    /// Up to [`SAMPLE`] matching documents, as relaxed Extended JSON.
    pub sample: Vec<Value>,
}

/// What a change did.
#[derive(Debug, Default)]
pub struct Done {
    /// Documents matched.
    pub matched: u64,
    /// Documents updated.
    pub modified: u64,
    /// Documents deleted.
    pub deleted: u64,
}

/// Counts (bounded by time and [`COUNT_CAP`]) and samples the documents `filter` matches.
pub async fn preview(
    client: &MongoClient,
    database: &str,
    collection: &str,
    filter: &Document,
) -> Result<Preview, EngineError> {
    let coll = client.client().database(database).collection::<Document>(collection);
    let counting = coll.count_documents(filter.clone()).limit(COUNT_CAP).max_time(COUNT_TIME);
    let (matched, capped) = match tokio::time::timeout(COUNT_TIME + GRACE, counting).await {
        Err(_) => (None, false),
        Ok(Ok(n)) => (Some(n), n >= COUNT_CAP),
        Ok(Err(e)) if server_error(&e).is_some_and(|(c, _, _)| c == MAX_TIME_EXPIRED) => (None, false),
        Ok(Err(e)) => return Err(op_error(&coll, e).await),
    };
    let sampling = async {
        let cursor = coll.find(filter.clone()).limit(SAMPLE).max_time(COUNT_TIME).await?;
        futures_util::TryStreamExt::try_collect::<Vec<Document>>(cursor).await
    };
    let sample = match tokio::time::timeout(COUNT_TIME + GRACE, sampling).await {
        Err(_) => Vec::new(),
        Ok(Ok(docs)) => docs,
        Ok(Err(e)) => return Err(op_error(&coll, e).await),
    };
    Ok(Preview { matched, capped, sample: sample.into_iter().map(extjson::document_to_json).collect() })
}

/// Runs the change on every document `filter` matches.
pub async fn run(
    client: &MongoClient,
    database: &str,
    collection: &str,
    filter: Document,
    change: BulkChange,
) -> Result<Done, EngineError> {
    let coll = client.client().database(database).collection::<Document>(collection);
    match change {
        BulkChange::DeleteMany => match coll.delete_many(filter).await {
            Ok(r) => Ok(Done { matched: r.deleted_count, modified: 0, deleted: r.deleted_count }),
            Err(e) => Err(op_error(&coll, e).await),
        },
        BulkChange::UpdateMany(update) => match coll.update_many(filter, update).await {
            Ok(r) => Ok(Done { matched: r.matched_count, modified: r.modified_count, deleted: 0 }),
            Err(e) => Err(op_error(&coll, e).await),
        },
    }
}
