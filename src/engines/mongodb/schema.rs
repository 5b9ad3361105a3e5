//! Schema analysis, like Compass's Schema tab: samples documents with `$sample` (after an optional
//! `$match`), within a time limit, and reports every field path — nested documents as `a.b`,
//! documents inside arrays under the array's path — with its types and their frequencies, how
//! often it is present, and for scalar values min/max, the most common values and string lengths.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::documents::op_error;
use super::{extjson, MongoClient};
use crate::engines::{within, EngineError};

/// Documents sampled when the caller does not say.
pub const DEFAULT_SAMPLE_SIZE: u32 = 1000;
/// Most documents a caller may sample.
pub const MAX_SAMPLE_SIZE: u32 = 10_000;
/// Default and largest time limit of the sampling.
pub const DEFAULT_TIME: Duration = Duration::from_secs(10);
/// Most field paths reported; a sample with more (keys used as data) sets `fields_truncated`.
pub const MAX_FIELDS: usize = 1000;
/// Deepest nesting followed.
const MAX_DEPTH: usize = 20;
/// Most common values reported per type.
const TOP_VALUES: usize = 10;
/// Values (strings) are compared for top values by at most this many characters.
const VALUE_CHARS: usize = 100;
/// Distinct values tracked per type; past it, top values and distinct counts are marked inexact.
const MAX_DISTINCT: usize = 10_000;
/// Distinct values tracked over all fields, so a sample with many fields of unique values cannot
/// hold millions of them (about 30 MB at most).
const DISTINCT_BUDGET: usize = 200_000;
/// Extra wait beyond `maxTimeMS` before we stop waiting for a server that ignores it.
const GRACE: Duration = Duration::from_secs(5);

/// One common value and how many times it was seen.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TopValue {
    /// The value, as relaxed Extended JSON (strings cut at 100 characters).
    pub value: Value,
    /// How many sampled values were it.
    pub count: u64,
}

/// Lengths of the strings of a field.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Lengths {
    /// Shortest, in characters.
    pub min: u64,
    /// Longest, in characters.
    pub max: u64,
    /// Average, in characters.
    pub avg: f64,
}

/// One BSON type seen at a field path.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FieldType {
    /// Type name as Compass and `$type` say it: `String`, `Int32`, `Int64`, `Double`, `Decimal128`,
    /// `Boolean`, `Date`, `ObjectId`, `Document`, `Array`, `Null`, `Binary`, `Timestamp`, …
    #[serde(rename = "type")]
    pub name: String,
    /// Values of this type seen at this path.
    pub count: u64,
    /// Its share of all values seen at this path (0-1).
    pub probability: f64,
    /// Smallest value (numbers, strings, dates, ObjectIds), as relaxed Extended JSON.
    pub min: Option<Value>,
    /// Largest value, likewise.
    pub max: Option<Value>,
    /// The most common values (scalars), most frequent first.
    pub top_values: Vec<TopValue>,
    /// Distinct values seen (scalars); a lower bound when `distinct_capped`.
    pub distinct: Option<u64>,
    /// Too many distinct values to track (over 10,000 for this type, or 200,000 over all fields):
    /// `distinct` and `top_values` cover the ones tracked.
    pub distinct_capped: bool,
    /// String lengths (strings only).
    pub lengths: Option<Lengths>,
    /// For arrays: lengths of the arrays.
    pub array_lengths: Option<Lengths>,
    /// For arrays: the types of their elements, with counts.
    pub element_types: Option<BTreeMap<String, u64>>,
}

/// One field path of the sample.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Field {
    /// Dotted path (`address.city`); fields of documents inside an array use the array's path
    /// (`items.sku`), as MongoDB queries do.
    pub path: String,
    /// Nesting depth, 0 for top-level fields.
    pub depth: usize,
    /// Sampled documents that have this path (with any value, `null` included).
    pub count: u64,
    /// `count` over the documents sampled (0-1).
    pub presence: f64,
    /// The types seen, most frequent first.
    pub types: Vec<FieldType>,
}

/// The result of a schema analysis.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Schema {
    /// Documents asked for.
    pub sample_size: u32,
    /// Documents sampled (fewer when the collection or the filter has fewer).
    pub documents_sampled: u64,
    /// Every field path, parents before their children, in order of first appearance.
    pub fields: Vec<Field>,
    /// More than 1,000 field paths were seen: the rest are left out.
    pub fields_truncated: bool,
    /// How long sampling and analysis took, in milliseconds.
    pub time_ms: u64,
}

/// The type name of a value, with Compass's names.
fn type_name(value: &Bson) -> &'static str {
    match value {
        Bson::Double(_) => "Double",
        Bson::String(_) => "String",
        Bson::Array(_) => "Array",
        Bson::Document(_) => "Document",
        Bson::Boolean(_) => "Boolean",
        Bson::Null => "Null",
        Bson::RegularExpression(_) => "RegExp",
        Bson::JavaScriptCode(_) | Bson::JavaScriptCodeWithScope(_) => "Code",
        Bson::Int32(_) => "Int32",
        Bson::Int64(_) => "Int64",
        Bson::Timestamp(_) => "Timestamp",
        Bson::Binary(_) => "Binary",
        Bson::ObjectId(_) => "ObjectId",
        Bson::DateTime(_) => "Date",
        Bson::Symbol(_) => "Symbol",
        Bson::Decimal128(_) => "Decimal128",
        Bson::Undefined => "Undefined",
        Bson::MaxKey => "MaxKey",
        Bson::MinKey => "MinKey",
        Bson::DbPointer(_) => "DBPointer",
    }
}

/// An orderable form of a scalar, for min/max: numbers as numbers, the rest by their own order.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Key {
    Number(f64),
    Text(String),
    Millis(i64),
    Bytes([u8; 12]),
}

fn key_of(value: &Bson) -> Option<Key> {
    match value {
        Bson::Double(n) if !n.is_nan() => Some(Key::Number(*n)),
        Bson::Int32(n) => Some(Key::Number(f64::from(*n))),
        Bson::Int64(n) => Some(Key::Number(*n as f64)),
        Bson::String(s) => Some(Key::Text(s.clone())),
        Bson::DateTime(d) => Some(Key::Millis(d.timestamp_millis())),
        Bson::ObjectId(o) => Some(Key::Bytes(o.bytes())),
        _ => None,
    }
}

/// A value cut down for counting: strings at [`VALUE_CHARS`]; documents and arrays are not counted.
fn countable(value: &Bson) -> Option<Bson> {
    match value {
        Bson::String(s) if s.chars().count() > VALUE_CHARS => Some(Bson::String(s.chars().take(VALUE_CHARS).collect())),
        Bson::Document(_) | Bson::Array(_) | Bson::Binary(_) => None,
        v => Some(v.clone()),
    }
}

#[derive(Default)]
struct LengthAcc {
    min: u64,
    max: u64,
    sum: u64,
    n: u64,
}

impl LengthAcc {
    fn add(&mut self, len: u64) {
        if self.n == 0 || len < self.min {
            self.min = len;
        }
        self.max = self.max.max(len);
        self.sum += len;
        self.n += 1;
    }

    fn done(&self) -> Option<Lengths> {
        (self.n > 0).then(|| Lengths { min: self.min, max: self.max, avg: self.sum as f64 / self.n as f64 })
    }
}

#[derive(Default)]
struct TypeAcc {
    count: u64,
    min: Option<(Key, Bson)>,
    max: Option<(Key, Bson)>,
    // Keyed by the value's canonical Extended JSON text, which tells 1 (Int32) from 1.0 (Double).
    values: HashMap<String, (Bson, u64)>,
    capped: bool,
    lengths: LengthAcc,
    array_lengths: LengthAcc,
    element_types: BTreeMap<String, u64>,
}

impl TypeAcc {
    /// Adds a value; `budget` is what is left of [`DISTINCT_BUDGET`].
    fn add(&mut self, value: &Bson, budget: &mut usize) {
        self.count += 1;
        if let Some(key) = key_of(value) {
            if self.min.as_ref().is_none_or(|(k, _)| key < *k) {
                self.min = Some((key.clone(), value.clone()));
            }
            if self.max.as_ref().is_none_or(|(k, _)| key > *k) {
                self.max = Some((key, value.clone()));
            }
        }
        if let Some(v) = countable(value) {
            let text = v.clone().into_canonical_extjson().to_string();
            let full = self.values.len() >= MAX_DISTINCT || *budget == 0;
            match self.values.get_mut(&text) {
                Some((_, n)) => *n += 1,
                None if full => self.capped = true,
                None => {
                    *budget -= 1;
                    self.values.insert(text, (v, 1));
                }
            }
        }
        match value {
            Bson::String(s) => self.lengths.add(s.chars().count() as u64),
            Bson::Array(items) => {
                self.array_lengths.add(items.len() as u64);
                for item in items {
                    *self.element_types.entry(type_name(item).to_string()).or_default() += 1;
                }
            }
            _ => {}
        }
    }

    fn done(self, name: &str, total: u64) -> FieldType {
        let scalar = !self.values.is_empty();
        let mut top: Vec<(Bson, u64)> = self.values.into_values().collect();
        let distinct = scalar.then_some(top.len() as u64);
        // Most frequent first; ties by value text so the answer is stable.
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.to_string().cmp(&b.0.to_string())));
        top.truncate(TOP_VALUES);
        FieldType {
            name: name.to_string(),
            count: self.count,
            probability: if total == 0 { 0.0 } else { self.count as f64 / total as f64 },
            min: self.min.map(|(_, v)| extjson::to_json(v)),
            max: self.max.map(|(_, v)| extjson::to_json(v)),
            top_values: top.into_iter().map(|(v, count)| TopValue { value: extjson::to_json(v), count }).collect(),
            distinct,
            distinct_capped: self.capped,
            lengths: self.lengths.done(),
            array_lengths: self.array_lengths.done(),
            element_types: (!self.element_types.is_empty()).then_some(self.element_types),
        }
    }
}

#[derive(Default)]
struct FieldAcc {
    depth: usize,
    documents: u64,
    types: BTreeMap<&'static str, TypeAcc>,
}

/// Walks documents and gathers every path's facts.
pub struct Analyzer {
    order: Vec<String>,
    fields: HashMap<String, FieldAcc>,
    truncated: bool,
    documents: u64,
    budget: usize,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self { order: Vec::new(), fields: HashMap::new(), truncated: false, documents: 0, budget: DISTINCT_BUDGET }
    }
}

impl Analyzer {
    /// Adds one sampled document.
    pub fn add(&mut self, document: &Document) {
        self.documents += 1;
        let mut seen = HashSet::new();
        self.add_document(document, "", 0, &mut seen);
    }

    fn add_document(&mut self, document: &Document, prefix: &str, depth: usize, seen: &mut HashSet<String>) {
        for (key, value) in document {
            let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
            self.add_value(&path, value, depth, seen, true);
        }
    }

    /// Records `value` at `path`; `own` is false for the elements of an array, which count as the
    /// array path's values only through the array itself.
    fn add_value(&mut self, path: &str, value: &Bson, depth: usize, seen: &mut HashSet<String>, own: bool) {
        if own {
            if !self.fields.contains_key(path) {
                if self.fields.len() >= MAX_FIELDS {
                    self.truncated = true;
                    return;
                }
                self.order.push(path.to_string());
                self.fields.insert(path.to_string(), FieldAcc { depth, ..FieldAcc::default() });
            }
            let Some(field) = self.fields.get_mut(path) else { return };
            if seen.insert(path.to_string()) {
                field.documents += 1;
            }
            field.types.entry(type_name(value)).or_default().add(value, &mut self.budget);
        }
        if depth >= MAX_DEPTH {
            return;
        }
        match value {
            Bson::Document(d) => self.add_document(d, path, depth + 1, seen),
            // Documents inside an array (at any array depth) add their fields under the array's path.
            Bson::Array(items) => {
                for item in items {
                    self.add_value(path, item, depth, seen, false);
                }
            }
            _ => {}
        }
    }

    /// The analysis of everything added.
    pub fn finish(self, sample_size: u32, elapsed: Duration) -> Schema {
        let mut fields = self.fields;
        let documents = self.documents;
        let fields = self
            .order
            .into_iter()
            .filter_map(|path| fields.remove(&path).map(|f| (path, f)))
            .map(|(path, f)| {
                let total: u64 = f.types.values().map(|t| t.count).sum();
                let mut types: Vec<FieldType> = f.types.into_iter().map(|(name, t)| t.done(name, total)).collect();
                types.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
                Field {
                    path,
                    depth: f.depth,
                    count: f.documents,
                    presence: if documents == 0 { 0.0 } else { f.documents as f64 / documents as f64 },
                    types,
                }
            })
            .collect();
        Schema {
            sample_size,
            documents_sampled: documents,
            fields,
            fields_truncated: self.truncated,
            time_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// Samples `sample_size` documents (after `filter`) within `max_time` and analyses them.
pub async fn analyse(
    client: &MongoClient,
    database: &str,
    collection: &str,
    filter: Option<Document>,
    sample_size: u32,
    max_time: Duration,
) -> Result<Schema, EngineError> {
    let started = Instant::now();
    let coll = client.client().database(database).collection::<Document>(collection);
    let mut pipeline = Vec::new();
    if let Some(f) = filter.filter(|f| !f.is_empty()) {
        pipeline.push(doc! { "$match": f });
    }
    pipeline.push(doc! { "$sample": { "size": i64::from(sample_size) } });
    let run = async {
        // $sample of a large share of a collection sorts at random, which may need the disk.
        let mut cursor = match coll.aggregate(pipeline).max_time(max_time).allow_disk_use(true).await {
            Ok(c) => c,
            Err(e) => return Err(op_error(&coll, e).await),
        };
        let mut analyzer = Analyzer::default();
        loop {
            match cursor.try_next().await {
                Ok(Some(d)) => analyzer.add(&d),
                Ok(None) => return Ok(analyzer),
                Err(e) => return Err(op_error(&coll, e).await),
            }
        }
    };
    let analyzer = within(max_time + GRACE, "the schema sampling", run).await?;
    Ok(analyzer.finish(sample_size, started.elapsed()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::oid::ObjectId;

    fn analyse(docs: &[Document]) -> Schema {
        let mut a = Analyzer::default();
        for d in docs {
            a.add(d);
        }
        a.finish(100, Duration::ZERO)
    }

    fn field<'a>(s: &'a Schema, path: &str) -> &'a Field {
        s.fields.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("no field {path}"))
    }

    #[test]
    fn nested_arrays_mixed_types_and_presence() {
        let docs = vec![
            doc! { "_id": ObjectId::new(), "name": "ann", "age": 30_i32, "address": { "city": "Paris", "zip": "75001" },
            "tags": ["a", "b"], "items": [ { "sku": "x", "qty": 1_i32 }, { "sku": "y" } ] },
            doc! { "_id": ObjectId::new(), "name": "bob", "age": "unknown", "address": { "city": "Lyon" },
            "tags": [], "items": [ { "sku": "x", "qty": 2.5 } ] },
            doc! { "_id": ObjectId::new(), "name": "ann", "age": 41_i64, "tags": ["a", 3_i32] },
            doc! { "_id": ObjectId::new(), "name": "cy", "age": mongodb::bson::Bson::Null },
        ];
        let s = analyse(&docs);
        assert_eq!(s.documents_sampled, 4);
        let paths: Vec<&str> = s.fields.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["_id", "name", "age", "address", "address.city", "address.zip", "tags", "items", "items.sku", "items.qty"]
        );

        let age = field(&s, "age");
        assert_eq!((age.count, age.presence), (4, 1.0));
        let names: Vec<&str> = age.types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["Int32", "Int64", "Null", "String"]);
        assert!(age.types.iter().all(|t| (t.probability - 0.25).abs() < 1e-9));

        let name = field(&s, "name");
        let string = &name.types[0];
        assert_eq!(string.top_values[0].value, "ann");
        assert_eq!(string.top_values[0].count, 2);
        assert_eq!(string.distinct, Some(3));
        assert_eq!(string.min, Some(Value::from("ann")));
        assert_eq!(string.max, Some(Value::from("cy")));
        let lengths = string.lengths.as_ref().unwrap();
        assert_eq!((lengths.min, lengths.max), (2, 3));

        let city = field(&s, "address.city");
        assert_eq!((city.depth, city.count, city.presence), (1, 2, 0.5));
        assert_eq!(field(&s, "address.zip").count, 1);

        let tags = field(&s, "tags");
        assert_eq!(tags.count, 3);
        let array = &tags.types[0];
        assert_eq!(array.name, "Array");
        assert_eq!(array.element_types.as_ref().unwrap()["String"], 3);
        assert_eq!(array.element_types.as_ref().unwrap()["Int32"], 1);
        assert_eq!(array.array_lengths.as_ref().unwrap().max, 2);

        // Fields of documents in arrays: counted once per document, typed per value.
        let sku = field(&s, "items.sku");
        assert_eq!((sku.count, sku.types[0].count), (2, 3));
        let qty = field(&s, "items.qty");
        let kinds: Vec<&str> = qty.types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(kinds, ["Double", "Int32"]);
        assert_eq!(qty.presence, 0.5);
    }

    #[test]
    fn numbers_compare_across_types_and_fields_are_capped() {
        let s = analyse(&[doc! { "n": 5_i32 }, doc! { "n": 7.5 }, doc! { "n": -2_i32 }]);
        let int = field(&s, "n").types.iter().find(|t| t.name == "Int32").unwrap();
        assert_eq!((int.min.clone(), int.max.clone()), (Some(Value::from(-2)), Some(Value::from(5))));

        let mut wide = Document::new();
        for i in 0..(MAX_FIELDS + 10) {
            wide.insert(format!("k{i}"), 1_i32);
        }
        let s = analyse(&[wide]);
        assert_eq!(s.fields.len(), MAX_FIELDS);
        assert!(s.fields_truncated);

        // Unique values in many fields stop being tracked at the overall budget.
        let docs: Vec<Document> = (0..2_100)
            .map(|i| (0..100).map(|f| (format!("f{f}"), Bson::String(format!("{i}-{f}")))).collect())
            .collect();
        let s = analyse(&docs);
        let tracked: u64 = s.fields.iter().map(|f| f.types[0].distinct.unwrap_or(0)).sum();
        assert_eq!(tracked, DISTINCT_BUDGET as u64);
        assert!(s.fields.last().unwrap().types[0].distinct_capped);
    }
}
