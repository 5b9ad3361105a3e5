//! The connection-string parsers of the three engines take any text without a panic, and whatever
//! they accept names a host.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard::engines::{mongodb, postgres, redis};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for parsed in [
        postgres::parse_connection_string(text),
        redis::parse_connection_string(text),
        mongodb::parse_connection_string(text),
    ]
    .into_iter()
    .flatten()
    {
        assert!(parsed.host.as_deref().is_some_and(|h| !h.is_empty()), "accepted without a host: {text:?}");
    }
});
