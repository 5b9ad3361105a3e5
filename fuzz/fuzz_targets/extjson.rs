//! Extended JSON in: any text a caller sends as a filter, document or pipeline is parsed, guarded
//! and converted to BSON and back without a panic; canonical Extended JSON round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard::engines::mongodb::{extjson, sanitize};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(value) = extjson::parse_text("filter", text) else { return };
    let _ = sanitize::check("filter", &value);
    let _ = extjson::parse_document("document", value.clone());
    let _ = extjson::DocumentId::parse(text);
    if let Ok(bson) = extjson::parse_value("value", value) {
        let canonical = bson.clone().into_canonical_extjson();
        let again = extjson::parse_value("value", canonical).expect("canonical Extended JSON parses back");
        // NaN is not equal to itself; everything else must come back identical.
        if !format!("{bson:?}").contains("NaN") {
            assert_eq!(bson, again, "canonical Extended JSON round trip");
        }
        let _ = extjson::to_json(bson);
    }
});
