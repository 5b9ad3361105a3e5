//! The front door every request passes: request id, token pre-verification, rate limiting, the
//! access log line, latency metrics, and the error envelope for responses axum builds itself
//! (404 and 405 from routing, 413 from the body limit). Inside it, `audit` records mutations and
//! refusals, and the project gate turns away callers without a role on the project.

pub mod audit;

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::auth::extract::{bearer_token, VerifiedToken};
use crate::auth::session::SessionCaller;
use crate::domain::Engine;
use crate::error::{envelope, ApiError};

/// Header carrying the request id (taken from the client when sane, else generated).
pub const REQUEST_ID: &str = "x-request-id";

/// The request id, for layers and handlers that record it.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The client's address, when the server knows it.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

fn request_id(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// The `{ref}` and engine segments of a request, read with the route template.
pub(crate) fn route_labels(template: &str, path: &str) -> (Option<String>, Option<&'static str>) {
    let mut project_ref = None;
    let mut engine = None;
    for (i, (t, p)) in template.split('/').zip(path.split('/')).enumerate() {
        if t == "{ref}" {
            project_ref = Some(p.to_string());
        }
        if i == 3 {
            engine = Engine::ALL.into_iter().find(|e| t == e.as_str() || t == e.api_path()).map(Engine::as_str);
        }
    }
    (project_ref, engine)
}

/// Runs around every request.
pub async fn front_door(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request_id(&req);
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
    let path = req.uri().path().to_string();
    let client_ip = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());

    // Verify the token once here: the verified user keys the rate limit and the handler reuses it.
    let (parts, body) = req.into_parts();
    let bearer = bearer_token(&parts.headers);
    let verified = bearer.and_then(|t| app.jwt.verify_issued(t).ok());
    // Without a bearer token, an API request may be the console's, with its session cookie. The
    // sign-in routes ignore a cookie (signing in again must work with a stale one).
    let signing_in = path == "/api/auth/token" || (method == Method::POST && path == "/api/auth/session");
    let session = if bearer.is_none() && path.starts_with("/api/") && !signing_in {
        match crate::auth::session::resolve(&app, &method, &parts.headers).await {
            Ok(session) => session,
            // The store cannot say whether the session lives (503).
            Err(e) => return e.into_response(),
        }
    } else {
        None
    };
    req = Request::from_parts(parts, body);
    if let Some((id, issued)) = verified {
        req.extensions_mut().insert(VerifiedToken(id, issued));
    }
    let user_id = verified.map(|(id, _)| id).or_else(|| session.as_ref().map(|s| s.user_id));
    let refusal = session.as_ref().and_then(|s| s.refusal.clone());
    if let Some(session) = session {
        req.extensions_mut().insert(session);
    }
    req.extensions_mut().insert(RequestId(request_id.clone()));
    req.extensions_mut().insert(ClientAddr(client_ip));

    let limit_key = match (user_id, client_ip) {
        (Some(id), _) => format!("user:{id}"),
        (None, Some(ip)) => format!("ip:{ip}"),
        (None, None) => "anonymous".to_string(),
    };
    let exempt = matches!(path.as_str(), "/healthz" | "/readyz" | "/metrics");
    let verdict = if exempt { Ok(()) } else { app.limiter.check(&limit_key).await };
    let mut response = match verdict {
        Err(wait) => ApiError::RateLimited { retry_after_secs: wait.as_secs().max(1) }.into_response(),
        // The audit trail and the project gate run inside this one layer: as layers of their own,
        // each cost a boxed future, a cloned service and a copy of the request's future.
        // A session's cross-site request is refused inside the audit layer, so it is recorded.
        Ok(()) => {
            let answer = async {
                match refusal {
                    Some(refusal) => {
                        audit::audit(&app, req, |_| async { ApiError::Forbidden(refusal).into_response() }).await
                    }
                    None => audit::audit(&app, req, |req| project_gate(&app, req, next)).await,
                }
            };
            crate::connections::with_request_scope(app.clone(), answer).await
        }
    };

    let response_needs_envelope = response.status().is_client_error() || response.status().is_server_error();
    let is_json = response.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response_needs_envelope && !is_json {
        response = rewrap(response, app.body_limit);
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }

    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    let route_label = route.clone().unwrap_or_else(|| "unmatched".into());
    let (project_ref, engine) = route.as_deref().map(|t| route_labels(t, &path)).unwrap_or((None, None));
    metrics::histogram!(
        "switchboard_http_request_duration_seconds",
        "route" => route_label.clone(),
        "method" => method.to_string(),
        "status" => status.to_string()
    )
    .record(elapsed.as_secs_f64());
    tracing::info!(
        target: "switchboard::access",
        request_id = %request_id,
        method = %method,
        route = %route_label,
        status,
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        project_ref = project_ref.as_deref(),
        engine,
        user_id = user_id.map(|u| u.to_string()),
        "request"
    );
    response
}

/// Gives an error response built outside our handlers the standard envelope, keeping its headers
/// (such as `Allow` on a 405).
fn rewrap(response: Response, body_limit: usize) -> Response {
    let (mut parts, _) = response.into_parts();
    let (message, code) = match parts.status {
        StatusCode::NOT_FOUND => ("no such route".to_string(), "NOT_FOUND"),
        StatusCode::METHOD_NOT_ALLOWED => ("method not allowed on this route".to_string(), "METHOD_NOT_ALLOWED"),
        StatusCode::PAYLOAD_TOO_LARGE => {
            (format!("request body is larger than the limit of {body_limit} bytes"), "PAYLOAD_TOO_LARGE")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported content type".to_string(), "UNSUPPORTED_MEDIA_TYPE"),
        s if s.is_server_error() => ("internal error".to_string(), "INTERNAL_ERROR"),
        _ => ("bad request".to_string(), "VALIDATION_ERROR"),
    };
    let body = envelope(&message, code, None).to_string();
    parts.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// Checks, before a project route reads its body, that the caller has a role on the project: a
/// stranger gets the same 404 whatever they send, and nothing of theirs is parsed. The handler
/// still checks the role its operation needs.
async fn project_gate(app: &AppState, req: Request, next: Next) -> Response {
    let template = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
    let Some(template) = template.filter(|t| t.contains("{ref}")) else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let token = bearer_token(&parts.headers).map(str::to_string);
    let session = parts.extensions.get::<SessionCaller>().cloned();
    if token.is_none() && session.is_none() {
        // No credential: the handler answers (401, or a WebSocket's query-string token).
        return next.run(Request::from_parts(parts, body)).await;
    }
    let verified = parts.extensions.get::<VerifiedToken>().map(|v| (v.0, v.1));
    let (project_ref, _) = route_labels(&template, parts.uri.path());
    let project_ref = project_ref.unwrap_or_default();
    let checked = async {
        let mut user = match (&token, &session) {
            (Some(token), _) => crate::auth::extract::authenticate(app, token, verified).await?,
            (None, Some(session)) => crate::auth::extract::session_user(app, session).await?,
            (None, None) => return Err(ApiError::Unauthenticated("not signed in".into())),
        };
        let access = crate::auth::access::project_access(app, &user, &project_ref).await?;
        crate::auth::access::check(&user, &access, crate::domain::Permission::Read)?;
        user.checked = Some(access);
        Ok::<_, ApiError>(user)
    };
    match checked.await {
        Ok(user) => {
            // The handler's `AuthUser` extractor reuses the caller (and their access) found here.
            let mut req = Request::from_parts(parts, body);
            req.extensions_mut().insert(user);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::route_labels;

    #[test]
    fn labels_come_from_the_template() {
        let (r, e) = route_labels("/api/platform/redis/{ref}/connections", "/api/platform/redis/default/connections");
        assert_eq!(r.as_deref(), Some("default"));
        assert_eq!(e, Some("redis"));
        let (r, e) = route_labels("/api/platform/projects/{ref}", "/api/platform/projects/abc");
        assert_eq!(r.as_deref(), Some("abc"));
        assert_eq!(e, None);
    }
}
