//! What every engine's streaming export shares: the formats (NDJSON, CSV with a header line),
//! how one row is written in each, and the sizes that keep memory flat (rows are gathered into
//! chunks of about [`CHUNK`] bytes, at most [`IN_FLIGHT`] of them between the query and the
//! HTTP body, so a slow reader slows the database down instead of growing our memory).

use serde_json::Value;

/// Bytes gathered before a chunk is handed to the HTTP body.
pub const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the query task and the HTTP body.
pub const IN_FLIGHT: usize = 4;

/// The export formats (`ndjson`, `csv` where a query string names one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One JSON object per line.
    Ndjson,
    /// RFC 4180 CSV with a header line.
    Csv,
}

/// One value as CSV: text as is (quoted when needed), JSON documents as JSON text, NULL empty;
/// an empty text is quoted (`""`), so it stays apart from NULL as in PostgreSQL's own CSV.
fn csv_field(value: &Value, out: &mut String) {
    let text = match value {
        Value::Null => return,
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.is_empty() || text.contains([',', '"', '\n', '\r']) {
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

/// Where an export's rows go: written in `format`, gathered into chunks of about [`CHUNK`]
/// bytes and handed to the HTTP body through a channel of [`IN_FLIGHT`] chunks.
pub struct RowSink {
    format: Format,
    columns: Vec<String>,
    buffer: String,
    chunks: tokio::sync::mpsc::Sender<Result<axum::body::Bytes, std::io::Error>>,
}

impl RowSink {
    /// A sink for rows of `columns` (a CSV starts with their names).
    pub fn new(
        format: Format,
        columns: Vec<String>,
        chunks: tokio::sync::mpsc::Sender<Result<axum::body::Bytes, std::io::Error>>,
    ) -> Self {
        let mut buffer = String::with_capacity(CHUNK + 4096);
        if format == Format::Csv {
            let header: Vec<Value> = columns.iter().map(|c| Value::String(c.clone())).collect();
            encode_row(Format::Csv, &columns, &header, &mut buffer);
        }
        Self { format, columns, buffer, chunks }
    }

    /// Writes one row; `false` when the client has gone (the export should stop).
    pub async fn row(&mut self, values: &[Value]) -> bool {
        encode_row(self.format, &self.columns, values, &mut self.buffer);
        if self.buffer.len() < CHUNK {
            return true;
        }
        let chunk = std::mem::replace(&mut self.buffer, String::with_capacity(CHUNK + 4096));
        self.chunks.send(Ok(chunk.into())).await.is_ok()
    }

    /// Resolves when the client has gone.
    pub async fn closed(&self) {
        self.chunks.closed().await
    }

    /// Ends the export with `error`: an NDJSON export says why on its last line, then the body
    /// fails (the client sees a broken transfer rather than a complete-looking file).
    pub async fn fail(mut self, error: &str) {
        if self.format == Format::Ndjson {
            let line = serde_json::json!({ "error": { "message": error, "code": "QUERY_ERROR" } });
            self.buffer.push_str(&line.to_string());
            self.buffer.push('\n');
            let _ = self.chunks.send(Ok(std::mem::take(&mut self.buffer).into())).await;
        }
        let _ = self.chunks.send(Err(std::io::Error::other(error.to_string()))).await;
    }

    /// Sends what is left; `false` when the client has gone.
    pub async fn finish(self) -> bool {
        self.buffer.is_empty() || self.chunks.send(Ok(self.buffer.into())).await.is_ok()
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
        out.clear();
        encode_row(Format::Csv, &columns[..2], &[Value::from(""), Value::Null], &mut out);
        assert_eq!(out, "\"\",\r\n");
    }
}
