//! Imports into a collection: documents arrive one at a time (from an NDJSON line, a JSON array
//! element or a CSV record) and are inserted in batches of at most [`BATCH_DOCS`] documents or
//! [`BATCH_BYTES`] of input, so no more than one batch is ever held. A batch is one `insertMany`,
//! unordered by default (every good document goes in, each failure is reported by its position),
//! or ordered (the import stops at the first failure).
//!
//! CSV records become documents here too: a dotted header (`a.b`) is a nested field, and each
//! value's type is inferred (see [`infer`]).

use std::collections::HashSet;

use mongodb::bson::{Bson, Document};
use mongodb::error::ErrorKind;
use mongodb::Collection;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::{map_error, MongoClient};
use crate::engines::EngineError;

/// Documents per `insertMany`.
pub const BATCH_DOCS: usize = 1000;
/// Input bytes per `insertMany` (the documents' text as it arrived).
pub const BATCH_BYTES: usize = 4 << 20;
/// Failures listed in a report; the rest are only counted.
pub const MAX_REPORTED: usize = 100;
/// MongoDB's largest document (BSON bytes).
const MAX_DOCUMENT: usize = 16 << 20;

/// One document that was not inserted.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ImportFailure {
    /// Its position in the file: the 0-based number of the document (NDJSON line, array element
    /// or CSV record after the header).
    pub index: u64,
    /// The 1-based line of the body it starts on.
    pub line: u64,
    /// The server's error code (11000 for a duplicate key); `null` when the document never reached
    /// the server (not JSON, not an object, not Extended JSON, a CSV record of the wrong width).
    pub code: Option<i32>,
    /// The server's message, or why the document could not be read.
    pub message: String,
}

/// What an import did.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct ImportReport {
    /// Documents inserted.
    pub inserted: u64,
    /// Documents not inserted (all failures, also those past the listed ones).
    pub failed: u64,
    /// The first [`MAX_REPORTED`] failures as found: a document that cannot be read at once, a
    /// batch's write errors (in file order) when the batch is inserted.
    pub errors: Vec<ImportFailure>,
    /// An ordered import stopped at its first failure; what followed was not read.
    pub stopped: bool,
}

/// Inserts the documents it is given in batches, and keeps the report.
pub struct Importer {
    coll: Collection<Document>,
    ordered: bool,
    batch: Vec<Document>,
    /// (index, line) of each document of the batch.
    positions: Vec<(u64, u64)>,
    bytes: usize,
    report: ImportReport,
}

impl Importer {
    /// An import into `database.collection`; `ordered` stops at the first failure.
    pub fn new(client: &MongoClient, database: &str, collection: &str, ordered: bool) -> Self {
        Self {
            coll: client.client().database(database).collection(collection),
            ordered,
            batch: Vec::with_capacity(BATCH_DOCS),
            positions: Vec::with_capacity(BATCH_DOCS),
            bytes: 0,
            report: ImportReport::default(),
        }
    }

    /// Whether an ordered import has stopped (the caller stops reading).
    pub fn stopped(&self) -> bool {
        self.report.stopped
    }

    /// The report so far (inserted documents of flushed batches only).
    pub fn report(&self) -> &ImportReport {
        &self.report
    }

    /// Adds a document read from `size` bytes of input; a full batch is inserted.
    pub async fn push(&mut self, document: Document, index: u64, line: u64, size: usize) -> Result<(), EngineError> {
        if self.stopped() {
            return Ok(());
        }
        // Only big inputs can be too big; encoding every document to measure it would cost a copy.
        if size > MAX_DOCUMENT / 2 {
            let mut bytes = Vec::new();
            let encoded = document.to_writer(&mut bytes).map(|()| bytes.len()).unwrap_or(usize::MAX);
            if encoded > MAX_DOCUMENT {
                let message = format!("the document is {encoded} bytes as BSON; MongoDB's limit is {MAX_DOCUMENT}");
                return self.reject(index, line, message).await;
            }
        }
        self.batch.push(document);
        self.positions.push((index, line));
        self.bytes += size;
        if self.batch.len() >= BATCH_DOCS || self.bytes >= BATCH_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    /// Records a document that could not be read; an ordered import inserts what came before it
    /// and stops.
    pub async fn reject(&mut self, index: u64, line: u64, message: String) -> Result<(), EngineError> {
        if self.stopped() {
            return Ok(());
        }
        if self.ordered {
            self.flush().await?;
            if self.stopped() {
                return Ok(());
            }
            self.report.stopped = true;
        }
        self.fail(ImportFailure { index, line, code: None, message });
        Ok(())
    }

    /// Inserts what is left and gives the report.
    pub async fn finish(mut self) -> Result<ImportReport, EngineError> {
        self.flush().await?;
        Ok(self.report)
    }

    fn fail(&mut self, failure: ImportFailure) {
        self.report.failed += 1;
        if self.report.errors.len() < MAX_REPORTED {
            self.report.errors.push(failure);
        }
    }

    /// Inserts the batch; write errors are reported by position, anything else ends the import.
    async fn flush(&mut self) -> Result<(), EngineError> {
        if self.batch.is_empty() || self.stopped() {
            return Ok(());
        }
        let documents = std::mem::take(&mut self.batch);
        let positions = std::mem::take(&mut self.positions);
        self.bytes = 0;
        let sent = documents.len() as u64;
        let err = match self.coll.insert_many(documents).ordered(self.ordered).await {
            Ok(result) => {
                self.report.inserted += result.inserted_ids.len() as u64;
                return Ok(());
            }
            Err(err) => err,
        };
        let write_errors = match err.kind.as_ref() {
            ErrorKind::InsertMany(failure) if failure.write_concern_error.is_none() => {
                failure.write_errors.clone().unwrap_or_default()
            }
            _ => return Err(map_error(err)),
        };
        if write_errors.is_empty() {
            return Err(map_error(err));
        }
        let mut write_errors = write_errors;
        write_errors.sort_by_key(|e| e.index);
        if self.ordered {
            // Everything before the first failure went in; nothing after it was tried.
            self.report.inserted += write_errors[0].index as u64;
            self.report.stopped = true;
            write_errors.truncate(1);
        } else {
            self.report.inserted += sent.saturating_sub(write_errors.len() as u64);
        }
        for e in write_errors {
            let (index, line) = positions.get(e.index).copied().unwrap_or((0, 0));
            self.fail(ImportFailure { index, line, code: Some(e.code), message: e.message });
        }
        Ok(())
    }
}

/// The columns of a CSV import, from its header line: each a path of field names.
#[derive(Debug)]
pub struct CsvHeader {
    paths: Vec<Vec<String>>,
}

impl CsvHeader {
    /// Reads the header: every name non-empty, `a.b` a nested field, no name twice and no field
    /// both a value and a document (`a` beside `a.b`). A byte order mark before the first name (as
    /// spreadsheets write) is dropped.
    pub fn parse(names: &[String]) -> Result<Self, String> {
        let mut names = names.to_vec();
        if let Some(first) = names.first_mut() {
            if let Some(rest) = first.strip_prefix('\u{feff}') {
                *first = rest.to_string();
            }
        }
        let names = &names;
        let mut whole = HashSet::new();
        let mut parents = HashSet::new();
        let mut paths = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let path: Vec<String> = name.split('.').map(str::to_string).collect();
            if path.iter().any(String::is_empty) {
                return Err(format!("column {} of the header, `{name}`, has an empty field name", i + 1));
            }
            if !whole.insert(name.as_str()) {
                return Err(format!("column `{name}` appears twice in the header"));
            }
            for end in 1..path.len() {
                parents.insert(path[..end].join("."));
            }
            paths.push(path);
        }
        if let Some(clash) = names.iter().find(|n| parents.contains(n.as_str())) {
            return Err(format!("column `{clash}` is both a value and a document with nested columns (`{clash}.…`)"));
        }
        Ok(Self { paths })
    }

    /// A record as a document: each field typed by [`infer`], empty fields left out.
    pub fn document(&self, fields: &[String]) -> Result<Document, String> {
        if fields.len() != self.paths.len() {
            return Err(format!("the record has {} fields; the header has {}", fields.len(), self.paths.len()));
        }
        let mut document = Document::new();
        for (path, text) in self.paths.iter().zip(fields) {
            if let Some(value) = infer(text) {
                insert_path(&mut document, path, value);
            }
        }
        Ok(document)
    }
}

fn insert_path(document: &mut Document, path: &[String], value: Bson) {
    match path {
        [] => {}
        [last] => {
            document.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            if !matches!(document.get(first), Some(Bson::Document(_))) {
                document.insert(first.clone(), Document::new());
            }
            if let Some(Bson::Document(inner)) = document.get_mut(first) {
                insert_path(inner, rest, value);
            }
        }
    }
}

/// The value of one CSV field: empty is no field at all; `true`/`false` booleans; integers
/// (without leading zeros, so codes such as `007` stay text) as 32-bit or, when larger, 64-bit
/// integers; decimal numbers (`1.5`, `2e3`) as doubles; JSON arrays and objects that are Extended
/// JSON (as the CSV export writes dates, ObjectIds and arrays, e.g. `{"$oid": …}`) as that value;
/// everything else as a string.
pub fn infer(text: &str) -> Option<Bson> {
    if text.is_empty() {
        return None;
    }
    match text {
        "true" => return Some(Bson::Boolean(true)),
        "false" => return Some(Bson::Boolean(false)),
        _ => {}
    }
    match number_shape(text) {
        Some(true) => {
            if let Ok(n) = text.parse::<i64>() {
                return Some(i32::try_from(n).map(Bson::Int32).unwrap_or(Bson::Int64(n)));
            }
        }
        Some(false) => {
            if let Ok(x) = text.parse::<f64>() {
                if x.is_finite() {
                    return Some(Bson::Double(x));
                }
            }
        }
        None => {}
    }
    if text.starts_with('[') || text.starts_with('{') {
        if let Ok(value @ (Value::Array(_) | Value::Object(_))) = serde_json::from_str::<Value>(text) {
            if let Ok(bson) = Bson::try_from(value) {
                return Some(bson);
            }
        }
    }
    Some(Bson::String(text.to_string()))
}

/// `Some(true)` for an integer (`-12`), `Some(false)` for a decimal number (`1.5`, `-2e3`),
/// `None` for anything else (`+1`, `01`, `1.`, `.5`, `inf`).
fn number_shape(text: &str) -> Option<bool> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let int = digits(unsigned);
    if int == 0 || (int > 1 && unsigned.starts_with('0')) {
        return None;
    }
    let mut rest = &unsigned[int..];
    let mut integer = true;
    if let Some(after) = rest.strip_prefix('.') {
        let n = digits(after);
        if n == 0 {
            return None;
        }
        rest = &after[n..];
        integer = false;
    }
    if let Some(after) = rest.strip_prefix(['e', 'E']) {
        let after = after.strip_prefix(['+', '-']).unwrap_or(after);
        let n = digits(after);
        if n == 0 {
            return None;
        }
        rest = &after[n..];
        integer = false;
    }
    rest.is_empty().then_some(integer)
}

#[cfg(test)]
mod tests {
    use mongodb::bson::{doc, oid::ObjectId, DateTime};

    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn csv_values_are_typed() {
        assert_eq!(infer(""), None);
        assert_eq!(infer("42"), Some(Bson::Int32(42)));
        assert_eq!(infer("-7"), Some(Bson::Int32(-7)));
        assert_eq!(infer("9007199254740993"), Some(Bson::Int64(9_007_199_254_740_993)));
        assert_eq!(infer("1.5"), Some(Bson::Double(1.5)));
        assert_eq!(infer("-2e3"), Some(Bson::Double(-2000.0)));
        assert_eq!(infer("true"), Some(Bson::Boolean(true)));
        assert_eq!(infer("false"), Some(Bson::Boolean(false)));
        for text in ["007", "+1", "1.", ".5", "inf", "NaN", "1e", "True", "null", "12 apples", "99999999999999999999"] {
            assert_eq!(infer(text), Some(Bson::String(text.into())), "{text}");
        }
        let oid = ObjectId::parse_str("65a1b2c3d4e5f60718293a4b").unwrap();
        assert_eq!(infer(r#"{"$oid":"65a1b2c3d4e5f60718293a4b"}"#), Some(Bson::ObjectId(oid)));
        assert_eq!(
            infer(r#"{"$date":"2026-01-01T00:00:00Z"}"#),
            Some(Bson::DateTime(DateTime::from_millis(1_767_225_600_000)))
        );
        assert_eq!(infer("[1,\"a\"]"), Some(Bson::Array(vec![Bson::Int32(1), Bson::String("a".into())])));
        assert_eq!(infer("[not json"), Some(Bson::String("[not json".into())));
    }

    #[test]
    fn dotted_headers_nest_and_empty_fields_are_left_out() {
        let header = CsvHeader::parse(&strings(&["name", "address.city", "address.geo.lat", "n"])).unwrap();
        let document = header.document(&strings(&["Ada", "Paris", "48.85", ""])).unwrap();
        assert_eq!(document, doc! { "name": "Ada", "address": { "city": "Paris", "geo": { "lat": 48.85 } } });
        let sparse = header.document(&strings(&["Bob", "", "", "3"])).unwrap();
        assert_eq!(sparse, doc! { "name": "Bob", "n": 3 });
        let e = header.document(&strings(&["too", "few"])).unwrap_err();
        assert!(e.contains("2 fields"), "{e}");
    }

    #[test]
    fn bad_headers_are_refused() {
        for (names, said) in [
            (vec!["a", "a"], "twice"),
            (vec!["a", "a.b"], "both a value and a document"),
            (vec!["a.b", "a"], "both a value and a document"),
            (vec!["a..b"], "empty field name"),
            (vec![""], "empty field name"),
        ] {
            let e = CsvHeader::parse(&strings(&names)).unwrap_err();
            assert!(e.contains(said), "{names:?}: {e}");
        }
        assert!(CsvHeader::parse(&strings(&["a.b", "a.c", "ab"])).is_ok());
        let header = CsvHeader::parse(&strings(&["\u{feff}_id", "v"])).unwrap();
        assert_eq!(header.document(&strings(&["1", "x"])).unwrap(), doc! { "_id": 1, "v": "x" });
    }
}
