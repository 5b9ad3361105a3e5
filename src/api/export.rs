//! Streamed exports as HTTP answers, for every engine's query route: the format asked for with
//! `Accept`, and the streaming body with its content type (a CSV as a download).

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;

use crate::engines::export::Format;

/// The streaming format asked for with `Accept`, if any.
pub fn format(headers: &HeaderMap) -> Option<Format> {
    let accept = headers.get(header::ACCEPT)?.to_str().ok()?;
    if accept.contains("application/x-ndjson") {
        Some(Format::Ndjson)
    } else if accept.contains("text/csv") {
        Some(Format::Csv)
    } else {
        None
    }
}

/// The answer streaming `chunks`; `held` (the caller's SQL slot) is kept until the stream ends.
pub fn response<H: Send + Sync + 'static>(
    format: Format,
    chunks: impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    held: H,
) -> Response {
    let (content_type, disposition) = match format {
        Format::Ndjson => ("application/x-ndjson", "inline"),
        Format::Csv => ("text/csv; charset=utf-8", "attachment; filename=\"query.csv\""),
    };
    (
        [(header::CONTENT_TYPE, content_type), (header::CONTENT_DISPOSITION, disposition)],
        Body::from_stream(futures_util::StreamExt::map(chunks, move |chunk| {
            let _held = &held;
            chunk
        })),
    )
        .into_response()
}
