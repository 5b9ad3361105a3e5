//! What every engine's streaming export shares: the formats (NDJSON, CSV with a header line),
//! how one row is written in each, and the sizes that keep memory flat (rows are gathered into
//! chunks of about [`CHUNK`] bytes, at most [`IN_FLIGHT`] of them between the query and the
//! HTTP body, so a slow reader slows the database down instead of growing our memory).

use serde_json::Value;

/// Bytes gathered before a chunk is handed to the HTTP body.
pub const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the query task and the HTTP body.
pub const IN_FLIGHT: usize = 4;

/// The export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Ndjson,
    /// RFC 4180 CSV with a header line.
    Csv,
}

/// One value as CSV: text as is (quoted when needed), JSON documents as JSON text, NULL empty.
fn csv_field(value: &Value, out: &mut String) {
    let text = match value {
        Value::Null => return,
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&text);
    }
}

pub fn encode_row(format: Format, columns: &[String], values: &[Value], out: &mut String) {
    match format {
        Format::Ndjson => {
            let object: serde_json::Map<String, Value> = columns.iter().cloned().zip(values.iter().cloned()).collect();
            out.push_str(&Value::Object(object).to_string());
        }
        Format::Csv => {
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                csv_field(value, out);
            }
            out.push_str("\r\n");
        }
    }
    if format == Format::Ndjson {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let mut out = String::new();
        let columns = vec!["a".to_string(), "b".to_string(), "c".to_string(), "d".to_string()];
        encode_row(
            Format::Csv,
            &columns,
            &[Value::from("x,y"), Value::from("say \"hi\""), Value::Null, Value::from(3)],
            &mut out,
        );
        assert_eq!(out, "\"x,y\",\"say \"\"hi\"\"\",,3\r\n");
    }
}
