//! The MongoDB operator guard: for any JSON, a value it lets through holds no forbidden operator
//! as a key at any depth, and the write-stage check never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use switchboard::engines::mongodb::sanitize;

fn has_forbidden_key(value: &Value) -> bool {
    match value {
        Value::Object(map) => {
            map.iter().any(|(k, v)| sanitize::FORBIDDEN.contains(&k.as_str()) || has_forbidden_key(v))
        }
        Value::Array(items) => items.iter().any(has_forbidden_key),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return };
    let allowed = sanitize::check("filter", &value).is_ok();
    assert_eq!(allowed, !has_forbidden_key(&value), "the guard and an independent walk disagree");
    if let Value::Array(pipeline) = &value {
        let _ = sanitize::writes(pipeline);
    }
});
