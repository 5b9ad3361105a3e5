//! The web console: the single-page app built from `web/` into `web/dist` (committed, so a fresh
//! clone needs no Node.js), embedded in the binary and served for the requests no route took.
//!
//! - A path naming a file of the build is that file, with its content type. Files under `assets/`
//!   carry a content hash in their name and are cached for a year; the others (`index.html`) are
//!   revalidated on every use, with an `ETag`.
//! - Any other `GET` that accepts HTML and is not under `/api/` is `index.html`, so a reload of a
//!   client-side route (`/project/default/databases/redis`) opens the console there.
//! - Everything else keeps the API's 404 envelope.
//!
//! Every file goes out with a Content-Security-Policy (the console's own scripts and styles, requests
//! and WebSockets to this origin, no framing), `X-Frame-Options: DENY` and `Referrer-Policy`.

use axum::http::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::{EmbeddedFile, RustEmbed};

use crate::error::ApiError;

/// The production build of `web/`.
#[derive(RustEmbed)]
#[folder = "web/dist/"]
struct Dist;

const INDEX: &str = "index.html";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";
/// The build has no inline script or style and loads nothing from elsewhere; `connect-src 'self'`
/// covers `fetch` and the Pub/Sub WebSocket to this origin. No page may frame the console.
const CONSOLE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
                           connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
                           frame-ancestors 'none'";

/// The router's fallback: a file of the console, the console's `index.html`, or the API's 404.
pub async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    let is_api = path == "/api" || path.starts_with("/api/");
    if method != Method::GET || is_api {
        return not_found();
    }
    let name = path.trim_start_matches('/');
    if let Some(file) = Some(name).filter(|n| !n.is_empty()).and_then(Dist::get) {
        return serve(name, file, &headers);
    }
    match Dist::get(INDEX) {
        // The root is the console whatever the client accepts (`curl /` shows the page too).
        Some(index) if path == "/" || accepts_html(&headers) => serve(INDEX, index, &headers),
        _ => not_found(),
    }
}

fn not_found() -> Response {
    ApiError::NotFound("no such route".into()).into_response()
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers.get_all(ACCEPT).iter().filter_map(|v| v.to_str().ok()).any(|v| v.contains("text/html"))
}

fn serve(name: &str, file: EmbeddedFile, headers: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let cache = if name.starts_with("assets/") { IMMUTABLE } else { REVALIDATE };
    let mime = file.metadata.mimetype();
    let content_type = if mime.starts_with("text/") || mime == "application/javascript" {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"));
    let mut response =
        if fresh { StatusCode::NOT_MODIFIED.into_response() } else { file.data.into_owned().into_response() };
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        out.insert(CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(ETAG, value);
    }
    out.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    out.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONSOLE_CSP));
    out.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    out.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}
