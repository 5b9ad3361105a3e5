//! The injection guard of spec 11.3: `$where`, `$function` and `$accumulator` run JavaScript on the
//! server, so they are refused wherever they appear in what a caller sends (filter, projection,
//! sort, update, pipeline, validator, partial filter), however deeply nested: inside `$and`/`$or`,
//! `$elemMatch`, `$expr`, and every nested pipeline (`$lookup.pipeline`, `$facet`, `$unionWith`).
//!
//! The check walks every key of the JSON as received, before it becomes BSON, so it needs no list
//! of which stages may hold a sub-pipeline: a stage added to MongoDB later is covered too. Nothing
//! refused here ever reaches the server.
//!
//! The same walk tells whether a pipeline writes (`$out`, `$merge`), which needs developer.

use serde_json::{json, Value};

use crate::engines::EngineError;

/// The operators that evaluate JavaScript on the server.
pub const FORBIDDEN: [&str; 3] = ["$where", "$function", "$accumulator"];

/// The aggregation stages that write to a collection.
pub const WRITE_STAGES: [&str; 2] = ["$out", "$merge"];

/// A forbidden operator and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forbidden {
    /// The operator, e.g. `$where`.
    pub operator: &'static str,
    /// Where it was found, e.g. `pipeline[0].$lookup.pipeline[1].$match`.
    pub path: String,
}

impl From<Forbidden> for EngineError {
    fn from(f: Forbidden) -> Self {
        EngineError::Query {
            message: format!("operator {} is not allowed (found at {})", f.operator, f.path),
            details: Some(json!({ "operator": f.operator, "path": f.path })),
        }
    }
}

/// Refuses `value` if any object in it, at any depth, has a forbidden operator as a key. `what`
/// names the parameter and starts the reported path.
pub fn check(what: &str, value: &Value) -> Result<(), Forbidden> {
    match find_key(value, &FORBIDDEN, what.to_string()) {
        Some((operator, path)) => Err(Forbidden { operator, path }),
        None => Ok(()),
    }
}

/// Whether a pipeline has a stage that writes (`$out` or `$merge`). Nested pipelines are searched
/// too: MongoDB refuses writes there today, but asking for the higher role costs nothing.
pub fn writes(pipeline: &[Value]) -> bool {
    pipeline.iter().any(|stage| find_key(stage, &WRITE_STAGES, String::new()).is_some())
}

fn find_key(value: &Value, keys: &[&'static str], path: String) -> Option<(&'static str, String)> {
    match value {
        Value::Object(map) => map.iter().find_map(|(k, v)| match keys.iter().find(|f| **f == k.as_str()) {
            Some(found) => Some((*found, path.clone())),
            None => find_key(v, keys, join(&path, k)),
        }),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| find_key(v, keys, format!("{path}[{i}]"))),
        _ => None,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(what: &str, value: Value) -> Forbidden {
        check(what, &value).expect_err(&format!("{value} should be refused"))
    }

    #[test]
    fn every_operator_is_refused_at_the_top_level() {
        for op in FORBIDDEN {
            let f = refused("filter", json!({ op: "1 == 1" }));
            assert_eq!(f.operator, op);
            assert_eq!(f.path, "filter");
        }
    }

    #[test]
    fn nested_operators_are_found_with_their_path() {
        let cases = [
            (json!({ "$and": [{ "a": 1 }, { "$where": "true" }] }), "$where", "filter.$and[1]"),
            (json!({ "$or": [{ "$nor": [{ "$where": "x" }] }] }), "$where", "filter.$or[0].$nor[0]"),
            (json!({ "tags": { "$elemMatch": { "$where": "this.x" } } }), "$where", "filter.tags.$elemMatch"),
            (
                json!({ "$expr": { "$function": { "body": "function() { return true }", "args": [], "lang": "js" } } }),
                "$function",
                "filter.$expr",
            ),
        ];
        for (value, op, path) in cases {
            let f = refused("filter", value);
            assert_eq!((f.operator, f.path.as_str()), (op, path));
        }
    }

    #[test]
    fn nested_pipelines_are_searched() {
        let pipeline = json!([
            { "$match": { "a": 1 } },
            { "$lookup": { "from": "b", "as": "bs", "pipeline": [{ "$match": { "$where": "true" } }] } },
        ]);
        assert_eq!(refused("pipeline", pipeline).path, "pipeline[1].$lookup.pipeline[0].$match");

        let facet = json!([{ "$facet": { "x": [{ "$group": { "_id": null, "s": { "$accumulator": {} } } }] } }]);
        let f = refused("pipeline", facet);
        assert_eq!((f.operator, f.path.as_str()), ("$accumulator", "pipeline[0].$facet.x[0].$group.s"));

        let union = json!([{ "$unionWith": { "coll": "c", "pipeline": [{ "$match": { "$where": "1" } }] } }]);
        assert_eq!(refused("pipeline", union).path, "pipeline[0].$unionWith.pipeline[0].$match");

        let deep = json!([{ "$facet": { "f": [{ "$lookup": { "from": "x", "as": "y", "pipeline": [
            { "$unionWith": { "coll": "z", "pipeline": [{ "$project": { "v": { "$function": {} } } }] } }
        ] } }] } }]);
        assert_eq!(refused("pipeline", deep).operator, "$function");
    }

    #[test]
    fn updates_are_searched() {
        let f = refused("update", json!({ "$set": { "a": { "$where": "x" } } }));
        assert_eq!(f.path, "update.$set.a");
        refused("update", json!([{ "$set": { "a": { "$function": {} } } }]));
    }

    #[test]
    fn clean_values_and_lookalikes_pass() {
        for value in [
            json!({ "age": { "$gte": 18 }, "$or": [{ "a": 1 }, { "b": { "$in": [1, 2] } }] }),
            json!({ "where": 1, "$whereabouts": 2, "note": "$where in a string is just data" }),
            json!([{ "$group": { "_id": "$k", "n": { "$sum": 1 } } }]),
            json!(null),
            json!("$where"),
        ] {
            assert_eq!(check("filter", &value), Ok(()), "{value}");
        }
    }

    #[test]
    fn write_stages_are_detected() {
        assert!(writes(&[json!({ "$match": {} }), json!({ "$out": "copy" })]));
        assert!(writes(&[json!({ "$merge": { "into": "copy" } })]));
        assert!(!writes(&[json!({ "$group": { "_id": null, "all": { "$mergeObjects": "$$ROOT" } } })]));
    }

    #[test]
    fn refusals_become_query_errors_naming_the_operator() {
        let e = EngineError::from(refused("filter", json!({ "$where": "1" })));
        assert!(matches!(&e, EngineError::Query { message, .. } if message.contains("$where")), "{e:?}");
    }
}
