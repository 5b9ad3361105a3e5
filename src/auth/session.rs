//! Console sessions: an HttpOnly, `SameSite=Strict` cookie holding 256 random bits; the store
//! keeps only their SHA-256, the user, the times and a per-session CSRF token.
//!
//! A request carrying the cookie (and no bearer token) is resolved here once, by the front door.
//! Its unsafe methods must also carry `X-CSRF-Token` equal to the session's token and, when the
//! browser sends `Origin`, come from the server's own origin: a cross-site page can make the
//! browser send the cookie, but can neither read the token nor forge the `Origin` header.

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::OsRng;
use axum::http::header::{COOKIE, HOST, ORIGIN, SET_COOKIE, USER_AGENT};
use axum::http::{HeaderMap, HeaderValue, Method};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::app::App;
use crate::domain::UserId;
use crate::error::ApiError;
use crate::store::ConsoleSession;

/// The cookie's name.
pub const COOKIE_NAME: &str = "sb_session";
/// The header an unsafe request of a session carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A request authenticated by a session cookie, as the front door found it.
#[derive(Clone, Debug)]
pub struct SessionCaller {
    /// The session's user.
    pub user_id: UserId,
    /// The stored key of the session (hash of the cookie's id).
    pub id_hash: String,
    /// The session as stored (after this request's renewal).
    pub session: ConsoleSession,
    /// Why this request may not use the session (an unsafe method without the right CSRF token or
    /// from another origin); answered with 403 before any handler runs.
    pub refusal: Option<String>,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The stored form of a session id: a fast hash is right, the id is 256 random bits.
pub fn hash_session_id(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// The session id the request's cookie carries, if any.
pub fn cookie_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// Equality that takes the same time wherever the inputs differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether `Origin` (when sent) names this server: its host and port are those the request was
/// sent to. `null` (sandboxed frames, some redirects) is never ours.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN) else { return true };
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).map(str::to_ascii_lowercase);
    let authority = origin
        .to_str()
        .ok()
        .and_then(|o| o.strip_prefix("http://").or_else(|| o.strip_prefix("https://")))
        .map(str::to_ascii_lowercase);
    matches!((host, authority), (Some(h), Some(a)) if h == a)
}

/// Why an unsafe request of a session must be refused, if it must.
fn csrf_refusal(method: &Method, headers: &HeaderMap, session: &ConsoleSession) -> Option<String> {
    if !is_unsafe(method) {
        return None;
    }
    if !same_origin(headers) {
        return Some("cross-site request refused: the Origin is not this server".into());
    }
    let sent = headers.get(CSRF_HEADER).map(HeaderValue::as_bytes).unwrap_or_default();
    if !constant_time_eq(sent, session.csrf_token.as_bytes()) {
        return Some("missing or wrong X-CSRF-Token header for this session".into());
    }
    None
}

/// Resolves the request's session cookie: `None` without one, or when it names no live session.
/// A live session's use is written (at most once per `touch` period) and its idle expiry moved on.
pub async fn resolve(app: &App, method: &Method, headers: &HeaderMap) -> Result<Option<SessionCaller>, ApiError> {
    let Some(id) = cookie_id(headers) else { return Ok(None) };
    let id_hash = hash_session_id(id);
    let Some(mut session) = app.store.find_session(&id_hash).await? else { return Ok(None) };
    let now = OffsetDateTime::now_utc();
    if session.expires_at <= now || session.idle_expires_at <= now {
        app.store.delete_session(&id_hash).await?;
        return Ok(None);
    }
    if now - session.last_seen_at >= app.sessions.touch {
        let idle_expires_at = (now + app.sessions.idle).min(session.expires_at);
        app.store.touch_session(&id_hash, now, idle_expires_at).await?;
        session.last_seen_at = now;
        session.idle_expires_at = idle_expires_at;
    }
    let refusal = csrf_refusal(method, headers, &session);
    Ok(Some(SessionCaller { user_id: session.user_id, id_hash, session, refusal }))
}

/// Starts a session for `user`; returns it with the cookie's id (to send once, in `Set-Cookie`).
pub async fn start(app: &App, user: UserId, headers: &HeaderMap) -> Result<(String, ConsoleSession), ApiError> {
    let id = random_hex();
    let now = OffsetDateTime::now_utc();
    let expires_at = now + app.sessions.max;
    let user_agent =
        headers.get(USER_AGENT).and_then(|v| v.to_str().ok()).map(|ua| ua.chars().take(256).collect::<String>());
    let session = ConsoleSession {
        user_id: user,
        csrf_token: random_hex(),
        user_agent,
        created_at: now,
        last_seen_at: now,
        idle_expires_at: (now + app.sessions.idle).min(expires_at),
        expires_at,
    };
    app.store.insert_session(&hash_session_id(&id), &session).await?;
    Ok((id, session))
}

/// The `Set-Cookie` header that stores `id` in the browser for `max_age` seconds (0 clears it).
pub fn cookie_header(app: &App, id: &str, max_age: i64) -> (axum::http::HeaderName, String) {
    let secure = if app.sessions.secure_cookie { "; Secure" } else { "" };
    (SET_COOKIE, format!("{COOKIE_NAME}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"))
}

/// Forgets sessions that have ended.
pub async fn prune(app: &App) {
    if let Err(e) = app.store.prune_sessions(OffsetDateTime::now_utc()).await {
        tracing::warn!(error = %e, "could not prune ended console sessions");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("a=1; sb_session=abc ; b=2"));
        assert_eq!(cookie_id(&headers), Some("abc"));
        headers.insert(COOKIE, HeaderValue::from_static("sb_sessionx=1"));
        assert_eq!(cookie_id(&headers), None);
    }

    #[test]
    fn origins_must_match_the_host() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(same_origin(&headers));
        headers.insert(ORIGIN, HeaderValue::from_static("http://127.0.0.1:8080"));
        assert!(same_origin(&headers));
        headers.insert(ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_origin(&headers));
        headers.insert(ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin(&headers));
    }

    #[test]
    fn comparison_is_exact() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
