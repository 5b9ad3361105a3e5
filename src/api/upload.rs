//! Streamed request bodies for imports: the body is read chunk by chunk as the import consumes it,
//! counted against the import limit (`import_limit`, default 1 GiB), and cut into the units an
//! import works on (NDJSON lines, elements of a JSON array, CSV records), each with the line it
//! starts on so a bad one can be named. Nothing holds more than one unit plus one chunk.
//!
//! Import routes opt out of the small JSON body limit (`Route::upload` in the route table) and read
//! an [`Upload`] instead of `ApiJson`.

use axum::body::{BodyDataStream, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::header;
use bytes::{Buf, BytesMut};
use futures_util::StreamExt;

use crate::app::AppState;
use crate::error::ApiError;

/// The longest line, JSON element or CSV record an import accepts (one document, row or key).
pub const MAX_UNIT: usize = 64 * 1024 * 1024;

/// What an upload's body holds, from its `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadFormat {
    /// `text/csv`.
    Csv,
    /// `application/x-ndjson` (or `application/ndjson`): one JSON value per line.
    Ndjson,
    /// `application/json`: one JSON array of values.
    JsonArray,
}

impl UploadFormat {
    /// The format a `Content-Type` names, if it is one an import reads.
    pub fn from_content_type(value: &str) -> Option<Self> {
        let media = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match media.as_str() {
            "text/csv" => Some(Self::Csv),
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" => Some(Self::Ndjson),
            "application/json" => Some(Self::JsonArray),
            _ => None,
        }
    }
}

/// A request body read as a stream, up to the import limit.
pub struct Upload {
    /// What the body holds, from its `Content-Type`.
    pub format: UploadFormat,
    body: BodyDataStream,
    limit: u64,
    read: u64,
}

impl FromRequest<AppState> for Upload {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let format = UploadFormat::from_content_type(content_type).ok_or_else(|| {
            ApiError::UnsupportedMediaType("the body must be text/csv, application/x-ndjson or application/json".into())
        })?;
        let limit = state.import_limit;
        let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit) {
            return Err(too_large(limit));
        }
        Ok(Self { format, body: req.into_body().into_data_stream(), limit, read: 0 })
    }
}

fn too_large(limit: u64) -> ApiError {
    ApiError::PayloadTooLarge { limit: usize::try_from(limit).unwrap_or(usize::MAX) }
}

impl Upload {
    /// An upload of `body` (for tests and callers that already hold a stream).
    pub fn new(format: UploadFormat, body: BodyDataStream, limit: u64) -> Self {
        Self { format, body, limit, read: 0 }
    }

    /// The next chunk of the body as it arrived, or `None` at its end; 413 past the limit.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, ApiError> {
        match self.body.next().await {
            None => Ok(None),
            Some(Err(_)) => Err(ApiError::validation("the request body was cut off before its end")),
            Some(Ok(chunk)) => {
                self.read += chunk.len() as u64;
                if self.read > self.limit {
                    return Err(too_large(self.limit));
                }
                Ok(Some(chunk))
            }
        }
    }

    /// Bytes of the body read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// The body as NDJSON lines (blank lines skipped).
    pub fn lines(self) -> Lines {
        Lines { upload: self, buffer: BytesMut::new(), line: 0, done: false }
    }

    /// The body as the elements of one JSON array.
    pub fn json_array(self) -> JsonElements {
        JsonElements { lines: self.lines(), state: ArrayState::Start, index: 0, pending: BytesMut::new() }
    }

    /// The body as CSV records.
    pub fn csv(self, options: CsvOptions) -> CsvRecords {
        let reader = csv_core::ReaderBuilder::new().delimiter(options.delimiter).quote(options.quote).build();
        CsvRecords {
            upload: self,
            reader,
            options,
            input: Bytes::new(),
            line: 1,
            done: false,
            output: vec![0; 4096],
            ends: vec![0; 64],
            raw: Vec::new(),
        }
    }
}

/// One line of an NDJSON body.
#[derive(Debug)]
pub struct Line {
    /// Its 1-based line number.
    pub number: u64,
    /// Its bytes, without the line end.
    pub text: Bytes,
}

/// The lines of an upload, one at a time.
pub struct Lines {
    upload: Upload,
    buffer: BytesMut,
    line: u64,
    done: bool,
}

impl Lines {
    /// The next non-blank line, or `None` at the end of the body.
    pub async fn next(&mut self) -> Result<Option<Line>, ApiError> {
        while let Some(line) = self.next_raw().await? {
            if !line.text.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(line));
            }
        }
        Ok(None)
    }

    /// The next line, blank or not.
    async fn next_raw(&mut self) -> Result<Option<Line>, ApiError> {
        let mut searched = 0;
        loop {
            if let Some(at) = self.buffer[searched..].iter().position(|&b| b == b'\n') {
                let mut text = self.buffer.split_to(searched + at + 1).freeze();
                text.truncate(text.len() - 1);
                if text.last() == Some(&b'\r') {
                    text.truncate(text.len() - 1);
                }
                self.line += 1;
                return Ok(Some(Line { number: self.line, text }));
            }
            searched = self.buffer.len();
            if searched > MAX_UNIT {
                return Err(ApiError::validation(format!(
                    "line {} is longer than {} MiB",
                    self.line + 1,
                    MAX_UNIT >> 20
                )));
            }
            if self.done {
                if self.buffer.is_empty() {
                    return Ok(None);
                }
                self.line += 1;
                let text = self.buffer.split().freeze();
                return Ok(Some(Line { number: self.line, text }));
            }
            match self.upload.chunk().await? {
                Some(chunk) => self.buffer.extend_from_slice(&chunk),
                None => self.done = true,
            }
        }
    }
}

/// One element of a JSON array body.
#[derive(Debug)]
pub struct Element {
    /// Its 0-based position in the array.
    pub index: u64,
    /// The line it starts on (1-based).
    pub line: u64,
    /// Its JSON text.
    pub text: Bytes,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ArrayState {
    /// Before the opening `[`.
    Start,
    /// Between elements (after `[` or a `,`).
    Between,
    /// After the closing `]`.
    End,
}

/// The elements of a JSON array body, one at a time, each split off without parsing it (depth,
/// strings and escapes are tracked so commas and brackets inside values are not mistaken).
pub struct JsonElements {
    lines: Lines,
    state: ArrayState,
    index: u64,
    pending: BytesMut,
}

impl JsonElements {
    /// The next element, or `None` after the closing bracket.
    pub async fn next(&mut self) -> Result<Option<Element>, ApiError> {
        let mut element = BytesMut::new();
        let mut start_line = 0;
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        loop {
            if self.pending.is_empty() {
                match self.lines.next_raw().await? {
                    Some(line) => {
                        self.pending.extend_from_slice(&line.text);
                        self.pending.extend_from_slice(b"\n");
                    }
                    None if self.state == ArrayState::End => return Ok(None),
                    None => return Err(ApiError::validation("the JSON array ends before its closing bracket")),
                }
            }
            let line = self.lines.line;
            while !self.pending.is_empty() {
                let byte = self.pending[0];
                self.pending.advance(1);
                if self.state == ArrayState::Between && (depth > 0 || in_string || !element.is_empty()) {
                    // Inside an element.
                    if in_string {
                        if escaped {
                            escaped = false;
                        } else if byte == b'\\' {
                            escaped = true;
                        } else if byte == b'"' {
                            in_string = false;
                        }
                    } else {
                        match byte {
                            b'"' => in_string = true,
                            b'{' | b'[' => depth += 1,
                            b'}' | b']' if depth > 0 => depth -= 1,
                            b',' | b']' if depth == 0 => {
                                let text = std::mem::take(&mut element).freeze();
                                self.state = if byte == b',' { ArrayState::Between } else { ArrayState::End };
                                let index = self.index;
                                self.index += 1;
                                let trimmed = trim(text);
                                return Ok(Some(Element { index, line: start_line, text: trimmed }));
                            }
                            _ => {}
                        }
                    }
                    if element.len() >= MAX_UNIT {
                        return Err(ApiError::validation(format!(
                            "element {} of the array is longer than {} MiB",
                            self.index,
                            MAX_UNIT >> 20
                        )));
                    }
                    element.extend_from_slice(&[byte]);
                    continue;
                }
                if byte.is_ascii_whitespace() {
                    continue;
                }
                match (self.state, byte) {
                    (ArrayState::Start, b'[') => self.state = ArrayState::Between,
                    (ArrayState::Between, b']') if self.index == 0 => self.state = ArrayState::End,
                    (ArrayState::Between, b']') => {
                        return Err(ApiError::validation(format!("line {line}: a comma before the closing bracket")))
                    }
                    (ArrayState::Between, _) => {
                        start_line = line;
                        element.extend_from_slice(&[byte]);
                        match byte {
                            b'"' => in_string = true,
                            b'{' | b'[' => depth = 1,
                            _ => {}
                        }
                    }
                    _ => {
                        return Err(ApiError::validation(format!(
                            "line {line}: the body must be one JSON array of values"
                        )))
                    }
                }
            }
        }
    }
}

fn trim(mut text: Bytes) -> Bytes {
    while text.last().is_some_and(u8::is_ascii_whitespace) {
        text.truncate(text.len() - 1);
    }
    text
}

/// How a CSV body is written.
#[derive(Clone, Copy, Debug)]
pub struct CsvOptions {
    /// Field separator (default `,`).
    pub delimiter: u8,
    /// Quote character (default `"`).
    pub quote: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self { delimiter: b',', quote: b'"' }
    }
}

/// One CSV record.
#[derive(Debug)]
pub struct CsvRecord {
    /// The 1-based line it starts on.
    pub line: u64,
    /// Its fields, as text.
    pub fields: Vec<String>,
    /// Whether each field was quoted (PostgreSQL's convention: a quoted empty field is an empty
    /// string, an unquoted one is NULL).
    pub quoted: Vec<bool>,
}

/// The records of a CSV body, one at a time (RFC 4180: quoted fields may hold delimiters,
/// quotes and line breaks).
pub struct CsvRecords {
    upload: Upload,
    reader: csv_core::Reader,
    options: CsvOptions,
    input: Bytes,
    /// The line the next record starts on.
    line: u64,
    done: bool,
    /// csv-core's output buffers and the record's raw bytes, kept from record to record (they
    /// grow to the longest record, at most [`MAX_UNIT`]).
    output: Vec<u8>,
    ends: Vec<usize>,
    raw: Vec<u8>,
}

impl CsvRecords {
    /// The next record, or `None` at the end; blank lines are skipped.
    pub async fn next(&mut self) -> Result<Option<CsvRecord>, ApiError> {
        let (mut out_len, mut ends_len) = (0, 0);
        self.raw.clear();
        // Line ends before a record (blank lines, the rest of a CRLF) belong to no record.
        loop {
            if self.input.is_empty() {
                if self.done {
                    break;
                }
                match self.upload.chunk().await? {
                    Some(chunk) => self.input = chunk,
                    None => self.done = true,
                }
                continue;
            }
            match self.input[0] {
                b'\n' => self.line += 1,
                b'\r' => {}
                _ => break,
            }
            self.input.advance(1);
        }
        let start_line = self.line;
        // The record's raw bytes are kept to tell quoted fields (csv-core does not say).
        loop {
            if self.input.is_empty() && !self.done {
                match self.upload.chunk().await? {
                    Some(chunk) => self.input = chunk,
                    None => self.done = true,
                }
            }
            let (result, read, written, ended) =
                self.reader.read_record(&self.input, &mut self.output[out_len..], &mut self.ends[ends_len..]);
            self.line += self.input[..read].iter().filter(|&&b| b == b'\n').count() as u64;
            self.raw.extend_from_slice(&self.input[..read]);
            self.input.advance(read);
            out_len += written;
            ends_len += ended;
            match result {
                csv_core::ReadRecordResult::InputEmpty => {
                    if self.done {
                        // csv-core needs an empty read to finish the last record.
                        continue;
                    }
                }
                csv_core::ReadRecordResult::OutputFull => {
                    if self.output.len() >= MAX_UNIT {
                        return Err(ApiError::validation(format!(
                            "line {start_line}: the record is longer than {} MiB",
                            MAX_UNIT >> 20
                        )));
                    }
                    self.output.resize(self.output.len() * 2, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                csv_core::ReadRecordResult::Record => {
                    let mut record = record(start_line, &self.output[..out_len], &self.ends[..ends_len])?;
                    record.quoted = quoted_fields(&self.raw, self.options);
                    if record.quoted.len() != record.fields.len() {
                        record.quoted = vec![false; record.fields.len()];
                    }
                    return Ok(Some(record));
                }
                csv_core::ReadRecordResult::End => return Ok(None),
            }
        }
    }
}

fn record(line: u64, output: &[u8], ends: &[usize]) -> Result<CsvRecord, ApiError> {
    let mut fields = Vec::with_capacity(ends.len());
    let mut start = 0;
    for (column, &end) in ends.iter().enumerate() {
        let text = std::str::from_utf8(&output[start..end]).map_err(|_| {
            ApiError::validation(format!("line {line}, column {}: the field is not UTF-8 text", column + 1))
        })?;
        fields.push(text.to_string());
        start = end;
    }
    Ok(CsvRecord { line, fields, quoted: Vec::new() })
}

/// Whether each field of a record's raw text starts with the quote character.
fn quoted_fields(raw: &[u8], options: CsvOptions) -> Vec<bool> {
    let mut flags = Vec::new();
    let (mut at_start, mut field_quoted, mut in_quote) = (true, false, false);
    for &b in raw {
        if at_start {
            at_start = false;
            field_quoted = b == options.quote;
            flags.push(field_quoted);
            if field_quoted {
                in_quote = true;
                continue;
            }
        }
        // Inside a quoted field a quote closes it, and a doubled one reopens it.
        if field_quoted && b == options.quote {
            in_quote = !in_quote;
            continue;
        }
        if in_quote {
            continue;
        }
        if b == options.delimiter {
            at_start = true;
        } else if b == b'\n' || b == b'\r' {
            return flags;
        }
    }
    if at_start {
        flags.push(false);
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn upload(format: UploadFormat, parts: &[&'static str], limit: u64) -> Upload {
        let chunks: Vec<Result<Bytes, std::io::Error>> =
            parts.iter().map(|p| Ok(Bytes::from_static(p.as_bytes()))).collect();
        Upload::new(format, Body::from_stream(futures_util::stream::iter(chunks)).into_data_stream(), limit)
    }

    #[tokio::test]
    async fn lines_split_across_chunks_keep_their_numbers() {
        let mut lines = upload(UploadFormat::Ndjson, &["{\"a\":1}\n\n{\"b\"", ":2}\r\n{\"c\":3}"], 1 << 20).lines();
        let mut got = Vec::new();
        while let Some(line) = lines.next().await.unwrap() {
            got.push((line.number, String::from_utf8(line.text.to_vec()).unwrap()));
        }
        assert_eq!(got, vec![(1, "{\"a\":1}".into()), (3, "{\"b\":2}".into()), (4, "{\"c\":3}".into())]);
    }

    #[tokio::test]
    async fn the_limit_is_a_413() {
        let mut lines = upload(UploadFormat::Ndjson, &["0123456789\n", "0123456789\n"], 15).lines();
        assert!(lines.next().await.is_ok());
        assert!(matches!(lines.next().await, Err(ApiError::PayloadTooLarge { limit: 15 })));
    }

    #[tokio::test]
    async fn array_elements_ignore_commas_and_brackets_inside_values() {
        let body = [" [ {\"a\": \"x,]\\\"}\"},", "\n [1, [2]], \"s\", 4 ,null]  "];
        let mut elements = upload(UploadFormat::JsonArray, &body, 1 << 20).json_array();
        let mut got = Vec::new();
        while let Some(e) = elements.next().await.unwrap() {
            got.push((e.index, e.line, String::from_utf8(e.text.to_vec()).unwrap()));
        }
        assert_eq!(
            got,
            vec![
                (0, 1, "{\"a\": \"x,]\\\"}\"}".into()),
                (1, 2, "[1, [2]]".into()),
                (2, 2, "\"s\"".into()),
                (3, 2, "4".into()),
                (4, 2, "null".into()),
            ]
        );
        let mut empty = upload(UploadFormat::JsonArray, &["[ ]"], 1 << 20).json_array();
        assert!(empty.next().await.unwrap().is_none());
        let mut bad = upload(UploadFormat::JsonArray, &["{\"a\":1}"], 1 << 20).json_array();
        assert!(bad.next().await.is_err());
        let mut cut = upload(UploadFormat::JsonArray, &["[1, 2"], 1 << 20).json_array();
        assert!(cut.next().await.is_ok());
        assert!(cut.next().await.is_err());
    }

    #[tokio::test]
    async fn csv_records_span_chunks_and_quoted_line_breaks() {
        let body = ["id,name\n1,\"a, \"\"b\"\"\nc\"\n", "\n2,", "plain\n3,last"];
        let mut records = upload(UploadFormat::Csv, &body, 1 << 20).csv(CsvOptions::default());
        let mut got = Vec::new();
        while let Some(r) = records.next().await.unwrap() {
            got.push((r.line, r.fields));
        }
        let mut records =
            upload(UploadFormat::Csv, &["a,\"\",,\"x\"\"\",\"\"\n", "\"\",", "\n"], 1 << 20).csv(CsvOptions::default());
        let first = records.next().await.unwrap().unwrap();
        assert_eq!(first.fields, vec!["a", "", "", "x\"", ""]);
        assert_eq!(first.quoted, vec![false, true, false, true, true]);
        let second = records.next().await.unwrap().unwrap();
        assert_eq!((second.fields.len(), second.quoted), (2, vec![true, false]));
        assert_eq!(
            got,
            vec![
                (1, vec!["id".to_string(), "name".into()]),
                (2, vec!["1".into(), "a, \"b\"\nc".into()]),
                (5, vec!["2".into(), "plain".into()]),
                (6, vec!["3".into(), "last".into()]),
            ]
        );
    }
}
