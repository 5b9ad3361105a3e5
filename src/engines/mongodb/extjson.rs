//! MongoDB Extended JSON v2 both ways, with the bson crate's own converters so nothing is lossy:
//! documents leave as relaxed Extended JSON (`{"$oid": …}`, `{"$date": …}`, `{"$numberDecimal": …}`,
//! `{"$binary": …}`; 64-bit integers and doubles as plain numbers when they fit), and every filter,
//! projection, sort, document, update and pipeline arrives as canonical or relaxed Extended JSON.
//!
//! Key order matters to MongoDB (sort and index specs): serde_json's `preserve_order` feature,
//! which the bson crate turns on, keeps it through both conversions.

use mongodb::bson::oid::ObjectId;
use mongodb::bson::{Bson, Document};
use serde_json::Value;

use crate::engines::EngineError;

/// A value as relaxed Extended JSON v2.
pub fn to_json(value: Bson) -> Value {
    value.into_relaxed_extjson()
}

/// A document as relaxed Extended JSON v2.
pub fn document_to_json(document: Document) -> Value {
    Bson::Document(document).into_relaxed_extjson()
}

/// Reads any Extended JSON value; `what` names the parameter in the error.
pub fn parse_value(what: &str, value: Value) -> Result<Bson, EngineError> {
    Bson::try_from(value).map_err(|e| EngineError::Config(format!("{what} is not valid Extended JSON: {e}")))
}

/// Reads an Extended JSON object into a document; `what` names the parameter in the error.
pub fn parse_document(what: &str, value: Value) -> Result<Document, EngineError> {
    match value {
        Value::Object(map) => {
            Document::try_from(map).map_err(|e| EngineError::Config(format!("{what} is not valid Extended JSON: {e}")))
        }
        other => Err(EngineError::Config(format!("{what} must be a JSON object, not {}", kind(&other)))),
    }
}

/// Parses JSON text (a query-string parameter) as JSON, for [`crate::engines::mongodb::sanitize`]
/// to inspect before it is converted.
pub fn parse_text(what: &str, text: &str) -> Result<Value, EngineError> {
    serde_json::from_str(text).map_err(|e| EngineError::Config(format!("{what} is not valid JSON: {e}")))
}

/// The `{id}` of `documents/{id}`: one literal value, so `{"_id": id}` can only ever match by
/// equality. Documents and arrays (which would carry query operators such as `{"$ne": null}`),
/// regular expressions (which match by pattern) and the other non-literal types cannot become one.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentId(Bson);

impl DocumentId {
    /// Reads the id: 24 hexadecimal digits are an ObjectId; anything else must be Extended JSON of a
    /// literal (`"abc"` for a string id, `42` for a number, `{"$numberLong": "42"}`, `{"$date": …}`,
    /// …), so a string id and a number id are never confused.
    pub fn parse(text: &str) -> Result<Self, EngineError> {
        if text.len() == 24 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Ok(oid) = ObjectId::parse_str(text) {
                return Ok(Self(Bson::ObjectId(oid)));
            }
        }
        let value: Value = serde_json::from_str(text).map_err(|_| {
            EngineError::Config(format!(
                "document id `{text}` is neither a 24-hex ObjectId nor Extended JSON; write a string id in quotes \
                 (\"{text}\")"
            ))
        })?;
        match parse_value("the document id", value)? {
            id @ (Bson::ObjectId(_)
            | Bson::String(_)
            | Bson::Int32(_)
            | Bson::Int64(_)
            | Bson::Double(_)
            | Bson::Decimal128(_)
            | Bson::DateTime(_)
            | Bson::Binary(_)
            | Bson::Timestamp(_)
            | Bson::Boolean(_)
            | Bson::Null) => Ok(Self(id)),
            other => Err(EngineError::Config(format!(
                "the document id must be one value (an ObjectId, a string, a number, a date, a UUID or binary), \
                 not {}",
                bson_kind(&other)
            ))),
        }
    }

    /// The filter that selects the document with this id, and no other.
    pub fn filter(&self) -> Document {
        let mut filter = Document::new();
        filter.insert("_id", self.0.clone());
        filter
    }
}

fn bson_kind(value: &Bson) -> String {
    match value {
        Bson::Document(_) => "a document (query operators are not accepted here)".into(),
        Bson::Array(_) => "an array".into(),
        Bson::RegularExpression(_) => "a regular expression".into(),
        other => format!("a {:?}", other.element_type()),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use mongodb::bson::spec::BinarySubtype;
    use mongodb::bson::{doc, Binary, DateTime, Decimal128};
    use serde_json::json;

    use super::*;

    #[test]
    fn typed_values_round_trip_through_relaxed_json() {
        let oid = ObjectId::parse_str("65a1b2c3d4e5f60718293a4b").unwrap();
        let decimal: Decimal128 = "1234567890.123456789".parse().unwrap();
        let original = doc! {
            "_id": oid,
            "when": DateTime::from_millis(1_767_225_600_123),
            "old": DateTime::from_millis(-1000),
            "price": decimal,
            "blob": Binary { subtype: BinarySubtype::Generic, bytes: vec![0, 1, 2, 255] },
            "uuid": Binary { subtype: BinarySubtype::Uuid, bytes: vec![7; 16] },
            "big": 9_007_199_254_740_993_i64,
            "small": 5_i32,
            "ratio": 1.0_f64,
            "nested": { "list": [1, "two", { "three": 3.5 }] },
        };
        let out = document_to_json(original.clone());
        assert_eq!(out["_id"], json!({ "$oid": "65a1b2c3d4e5f60718293a4b" }));
        assert_eq!(out["when"], json!({ "$date": "2026-01-01T00:00:00.123Z" }));
        assert_eq!(out["old"], json!({ "$date": { "$numberLong": "-1000" } }));
        assert_eq!(out["price"], json!({ "$numberDecimal": "1234567890.123456789" }));
        assert_eq!(out["blob"], json!({ "$binary": { "base64": "AAEC/w==", "subType": "00" } }));
        assert_eq!(out["uuid"]["$binary"]["subType"], "04");
        assert_eq!(out["big"], json!(9_007_199_254_740_993_i64), "no precision lost");
        // The text keeps the decimal point, so it comes back as a double.
        assert_eq!(serde_json::to_string(&out["ratio"]).unwrap(), "1.0");

        let text = serde_json::to_string(&out).unwrap();
        let back = parse_document("document", serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back, original);
    }

    #[test]
    fn canonical_input_is_accepted() {
        let parsed = parse_document(
            "filter",
            json!({
                "n": { "$numberLong": "7" },
                "i": { "$numberInt": "7" },
                "d": { "$numberDouble": "7.5" },
                "at": { "$gte": { "$date": { "$numberLong": "1767225600000" } } },
                "at2": { "$date": "2026-01-01T00:00:00Z" },
                "dec": { "$numberDecimal": "0.1" },
            }),
        )
        .unwrap();
        assert_eq!(parsed.get("n"), Some(&Bson::Int64(7)));
        assert_eq!(parsed.get("i"), Some(&Bson::Int32(7)));
        assert_eq!(parsed.get("d"), Some(&Bson::Double(7.5)));
        assert_eq!(
            parsed.get_document("at").unwrap().get("$gte"),
            Some(&Bson::DateTime(DateTime::from_millis(1_767_225_600_000)))
        );
        assert_eq!(parsed.get("at2"), Some(&Bson::DateTime(DateTime::from_millis(1_767_225_600_000))));
        assert_eq!(parsed.get("dec"), Some(&Bson::Decimal128("0.1".parse().unwrap())));
    }

    #[test]
    fn key_order_is_kept() {
        let sort = parse_document("sort", serde_json::from_str(r#"{"z": 1, "a": -1, "m": 1}"#).unwrap()).unwrap();
        assert_eq!(sort.keys().collect::<Vec<_>>(), ["z", "a", "m"]);
        let back = document_to_json(sort);
        assert_eq!(serde_json::to_string(&back).unwrap(), r#"{"z":1,"a":-1,"m":1}"#);
    }

    #[test]
    fn bad_input_names_the_parameter() {
        let e = parse_document("projection", json!([1])).unwrap_err().to_string();
        assert!(e.contains("projection must be a JSON object"), "{e}");
        let e = parse_document("filter", json!({ "_id": { "$oid": "nothex" } })).unwrap_err().to_string();
        assert!(e.starts_with("filter is not valid Extended JSON"), "{e}");
        let e = parse_text("sort", "{nope").unwrap_err().to_string();
        assert!(e.starts_with("sort is not valid JSON"), "{e}");
    }

    #[test]
    fn ids_in_paths() {
        let id = |text: &str| DocumentId::parse(text).map(|id| id.filter().get("_id").cloned());
        let oid = Bson::ObjectId(ObjectId::parse_str("65a1b2c3d4e5f60718293a4b").unwrap());
        assert_eq!(id("65a1b2c3d4e5f60718293a4b").unwrap(), Some(oid.clone()));
        assert_eq!(id("\"abc\"").unwrap(), Some(Bson::String("abc".into())));
        assert_eq!(id("\"65a1b2c3d4e5f60718293a4b\"").unwrap(), Some(Bson::String("65a1b2c3d4e5f60718293a4b".into())));
        assert_eq!(id("42").unwrap(), Some(Bson::Int32(42)));
        assert_eq!(id(r#"{"$numberLong":"42"}"#).unwrap(), Some(Bson::Int64(42)));
        assert_eq!(id(r#"{"$oid":"65a1b2c3d4e5f60718293a4b"}"#).unwrap(), Some(oid));
        assert!(matches!(id(r#"{"$date":"2026-01-01T00:00:00Z"}"#).unwrap(), Some(Bson::DateTime(_))));
        assert!(matches!(id(r#"{"$uuid":"00112233-4455-6677-8899-aabbccddeeff"}"#).unwrap(), Some(Bson::Binary(_))));
        let e = id("abc").unwrap_err().to_string();
        assert!(e.contains("in quotes"), "{e}");
    }

    #[test]
    fn operator_and_compound_ids_are_refused() {
        for text in [
            r#"{"$ne":null}"#,
            r#"{"$gt":""}"#,
            r#"{"$in":[1,2]}"#,
            r#"{"$exists":true}"#,
            r#"{"a":1}"#,
            r#"[1]"#,
            r#"{"$regularExpression":{"pattern":".","options":""}}"#,
            r#"{"$minKey":1}"#,
            r#"{"$code":"return true"}"#,
        ] {
            let e = DocumentId::parse(text).unwrap_err();
            assert!(matches!(e, EngineError::Config(_)), "{text}: {e}");
            assert!(e.to_string().contains("must be one value"), "{text}: {e}");
        }
    }
}
