//! WebSocket sessions: live Redis Pub/Sub (`/api/platform/redis/{ref}/pubsub/subscribe`).
//!
//! Browsers cannot set headers on a WebSocket, so the token is also accepted as the `access_token`
//! query parameter or as a `bearer.<token>` subprotocol offered beside `switchboard`. The handshake
//! always answers `switchboard`, never the token's subprotocol: a response header would carry the
//! token to wherever responses are logged. The console's session cookie is accepted too, from the
//! server's own `Origin` only. Each socket gets its own Redis subscriber
//! connection, closed when the socket closes. Messages go through a bounded queue: a client too slow
//! to keep up loses messages rather than growing our memory, and is told how many it missed.

use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, ORIGIN, SEC_WEBSOCKET_PROTOCOL};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::{ApiPath, ApiQuery};
use crate::app::{App, AppState};
use crate::auth::session::{same_origin, SessionCaller};
use crate::auth::{authorize, AuthUser};
use crate::connections::{guarded_settings, resolve};
use crate::domain::{ConnectionId, Engine, Permission};
use crate::engines::redis::pubsub::message_json;
use crate::error::{ApiError, ApiResult};

/// Messages waiting for a slow client before newer ones are dropped.
const QUEUE: usize = 1024;
/// How often the server pings; a client silent for two periods is disconnected.
const HEARTBEAT: Duration = Duration::from_secs(20);
/// The subprotocol the server speaks.
const PROTOCOL: &str = "switchboard";

/// Query of the subscribe socket.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeQuery {
    connection_id: Option<ConnectionId>,
    /// The token, for browsers (which cannot set headers on a WebSocket); a `bearer.<token>`
    /// subprotocol works too.
    access_token: Option<String>,
    /// Channels to subscribe to at once, comma-separated.
    channels: Option<String>,
    /// Glob patterns to subscribe to at once (PSUBSCRIBE), comma-separated.
    patterns: Option<String>,
}

/// What a client may send.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientMessage {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    patterns: Vec<String>,
}

fn split_list(list: Option<&str>) -> Vec<String> {
    list.map(|l| l.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
        .unwrap_or_default()
}

/// The subprotocols the client offers, in its order.
fn offered(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
}

/// Finds the token: header, then query parameter, then a `bearer.<token>` subprotocol.
fn token<'a>(headers: &'a HeaderMap, query: &'a SubscribeQuery) -> Option<&'a str> {
    if let Some(t) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")) {
        return Some(t.trim());
    }
    if let Some(t) = query.access_token.as_deref() {
        return Some(t);
    }
    offered(headers).find_map(|p| p.strip_prefix("bearer."))
}

/// What a socket was opened with: a bearer token, or the console's session (by its stored key).
enum Credential {
    Token(String),
    Session(String),
}

async fn authenticate(
    app: &App,
    headers: &HeaderMap,
    query: &SubscribeQuery,
    session: Option<SessionCaller>,
) -> ApiResult<(AuthUser, Credential)> {
    if let Some(token) = token(headers, query) {
        let user = crate::auth::extract::authenticate(app, token, None).await?;
        return Ok((user, Credential::Token(token.to_string())));
    }
    let Some(session) = session else {
        return Err(ApiError::Unauthenticated(
            "missing token: send a bearer header, ?access_token= or a bearer.<token> subprotocol".into(),
        ));
    };
    // A page on another site can open a WebSocket to us and the browser sends our cookie with it
    // (cross-site WebSocket hijacking); only `Origin` tells, and browsers always send it here.
    if headers.get(ORIGIN).is_none() || !same_origin(headers) {
        return Err(ApiError::Forbidden("cross-site WebSocket refused: the Origin is not this server".into()));
    }
    let user = crate::auth::extract::session_user(app, &session).await?;
    Ok((user, Credential::Session(session.id_hash)))
}

/// Who opened a socket, kept to check again while it lives: a revoked token, a removed member,
/// an expired token or an ended session loses the socket, not only its next request.
struct Caller {
    app: AppState,
    credential: Credential,
    project_ref: String,
}

impl Caller {
    async fn still_allowed(&self) -> ApiResult<()> {
        let user = match &self.credential {
            Credential::Token(token) => crate::auth::extract::authenticate(&self.app, token, None).await?,
            Credential::Session(id_hash) => {
                let now = time::OffsetDateTime::now_utc();
                let session = self
                    .app
                    .store
                    .find_session(id_hash)
                    .await?
                    .filter(|s| s.expires_at > now && s.idle_expires_at > now)
                    .ok_or_else(|| ApiError::Unauthenticated("the console session has ended".into()))?;
                let user = crate::auth::extract::user(&self.app, session.user_id).await?;
                AuthUser { id: user.id, is_superuser: user.is_superuser, scope: None, checked: None }
            }
        };
        authorize(&self.app, &user, &self.project_ref, Permission::Read).await.map(|_| ())
    }
}

/// `GET /api/platform/redis/{ref}/pubsub/subscribe` (WebSocket).
pub async fn subscribe(
    State(app): State<AppState>,
    ApiPath(project_ref): ApiPath<String>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<SubscribeQuery>,
    cookie: Option<axum::Extension<SessionCaller>>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let cookie_session = cookie.map(|axum::Extension(s)| s);
    let (user, credential) = authenticate(&app, &headers, &query, cookie_session).await?;
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let upgrade = upgrade.map_err(|e| ApiError::validation(format!("expected a WebSocket upgrade: {e}")))?;
    // The answer can only name `switchboard`; a client that offers subprotocols without it would
    // get a handshake it must reject, so say why instead.
    if offered(&headers).next().is_some() && !offered(&headers).any(|p| p == PROTOCOL) {
        return Err(ApiError::validation(format!(
            "offer the `{PROTOCOL}` subprotocol (for example `{PROTOCOL}, bearer.<token>`)"
        )));
    }
    let record = resolve(&app, &ctx.project, Engine::Redis, query.connection_id).await?;
    let settings = guarded_settings(&app, &record).await?;
    let mut pubsub = crate::engines::redis::subscriber(&settings).await.map_err(|e| e.scrubbed(&settings))?;
    let channels = split_list(query.channels.as_deref());
    let patterns = split_list(query.patterns.as_deref());
    if !channels.is_empty() {
        pubsub.subscribe(&channels).await.map_err(|e| ApiError::from(crate::engines::redis::map_error(e)))?;
    }
    if !patterns.is_empty() {
        pubsub.psubscribe(&patterns).await.map_err(|e| ApiError::from(crate::engines::redis::map_error(e)))?;
    }
    let changes = app.auth_cache.watch_changes();
    let caller = Caller { app: app.clone(), credential, project_ref };
    Ok(upgrade
        .protocols([PROTOCOL])
        .on_upgrade(move |socket| session(socket, pubsub, channels, patterns, caller, changes)))
}

fn text(value: Value) -> Message {
    Message::Text(Utf8Bytes::from(value.to_string()))
}

async fn session(
    socket: WebSocket,
    pubsub: redis::aio::PubSub,
    channels: Vec<String>,
    patterns: Vec<String>,
    caller: Caller,
    mut changes: tokio::sync::watch::Receiver<u64>,
) {
    let (mut sink, mut stream) = pubsub.split();
    let (mut ws_tx, mut ws_rx) = socket.split();
    let (queue_tx, mut queue_rx) = mpsc::channel::<Value>(QUEUE);

    // Reader: Redis -> bounded queue. When the queue is full, count what is dropped and report it
    // as soon as there is room again (checked on the next message or every 100 ms).
    let reader = tokio::spawn(async move {
        let mut missed: u64 = 0;
        loop {
            let msg = tokio::select! {
                msg = stream.next() => match msg {
                    Some(msg) => Some(msg),
                    None => break,
                },
                _ = tokio::time::sleep(Duration::from_millis(100)), if missed > 0 => None,
            };
            if missed > 0 {
                match queue_tx.try_send(json!({ "type": "missed", "count": missed })) {
                    Ok(()) => missed = 0,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        missed += u64::from(msg.is_some());
                        continue;
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => break,
                }
            }
            let Some(msg) = msg else { continue };
            match queue_tx.try_send(message_json(&msg)) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => missed += 1,
                Err(mpsc::error::TrySendError::Closed(_)) => break,
            }
        }
    });

    let hello = json!({ "type": "subscribed", "channels": channels, "patterns": patterns });
    if ws_tx.send(text(hello)).await.is_err() {
        reader.abort();
        return;
    }
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    let mut unanswered_pings = 0u8;
    loop {
        tokio::select! {
            queued = queue_rx.recv() => {
                let Some(value) = queued else { break };
                if ws_tx.send(text(value)).await.is_err() {
                    break;
                }
            }
            incoming = ws_rx.next() => {
                match incoming {
                    Some(Ok(Message::Text(t))) => {
                        let reply = handle_client_message(&mut sink, t.as_str()).await;
                        if ws_tx.send(text(reply)).await.is_err() {
                            break;
                        }
                    }
                    Some(Ok(Message::Pong(_))) => unanswered_pings = 0,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {
                        let reply = json!({ "type": "error", "message": "send JSON text messages" });
                        if ws_tx.send(text(reply)).await.is_err() {
                            break;
                        }
                    }
                }
            }
            changed = changes.changed() => {
                // A closed channel means the server is shutting down: the socket ends with it.
                if changed.is_err() || refuse_if_revoked(&mut ws_tx, &caller).await {
                    break;
                }
            }
            _ = heartbeat.tick() => {
                // The heartbeat also re-checks the caller, so an expired token loses the socket.
                if unanswered_pings >= 2
                    || refuse_if_revoked(&mut ws_tx, &caller).await
                    || ws_tx.send(Message::Ping(Default::default())).await.is_err()
                {
                    break;
                }
                unanswered_pings += 1;
            }
        }
    }
    // Dropping the sink and the reader's stream closes the Redis subscriber connection.
    reader.abort();
    let _ = reader.await;
    drop(sink);
    let _ = ws_tx.close().await;
}

/// Checks the caller again; when their access is gone, tells the client why and closes with
/// 1008 (policy violation). True when the socket must end.
async fn refuse_if_revoked<S>(ws_tx: &mut S, caller: &Caller) -> bool
where
    S: futures_util::Sink<Message> + Unpin,
{
    let Err(e) = caller.still_allowed().await else { return false };
    let reason = match &e {
        ApiError::Unavailable(_) | ApiError::Internal(_) => {
            // The store could not answer: keep the socket rather than close it on a hiccup.
            return false;
        }
        _ => "access revoked",
    };
    tracing::info!(error = %e, "closing a WebSocket whose caller lost access");
    let frame = axum::extract::ws::CloseFrame { code: 1008, reason: Utf8Bytes::from_static(reason) };
    let _ = ws_tx.send(Message::Close(Some(frame))).await;
    true
}

async fn handle_client_message(sink: &mut redis::aio::PubSubSink, raw: &str) -> Value {
    let msg: ClientMessage = match serde_json::from_str(raw) {
        Ok(m) => m,
        Err(e) => return json!({ "type": "error", "message": format!("invalid message: {e}") }),
    };
    let mut names = msg.channels;
    names.extend(msg.patterns);
    if names.is_empty() || names.iter().any(String::is_empty) {
        return json!({ "type": "error", "message": "give a non-empty `channels` list" });
    }
    let result = match msg.kind.as_str() {
        "subscribe" => sink.subscribe(&names).await,
        "unsubscribe" => sink.unsubscribe(&names).await,
        "psubscribe" => sink.psubscribe(&names).await,
        "punsubscribe" => sink.punsubscribe(&names).await,
        other => {
            return json!({ "type": "error", "message": format!("unknown type `{other}`: use subscribe, unsubscribe, psubscribe or punsubscribe") })
        }
    };
    match result {
        Ok(()) => json!({ "type": format!("{}d", msg.kind), "channels": names }),
        Err(e) => json!({ "type": "error", "message": e.to_string() }),
    }
}
