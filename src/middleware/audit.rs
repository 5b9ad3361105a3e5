//! The audit trail: every mutating `/api/platform` request and every refused one is recorded in
//! the platform store with who, what, on which project, engine, connection and target, and how it
//! ended. Recording cannot be skipped: a mutation is only run after its record is written, and is
//! refused with 503 when the record cannot be written.
//!
//! SQL and the Redis command line are the routes where the method does not say whether data
//! changes: their handlers call [`DeferredAudit::begin`] before a change (the SQL handler once
//! PostgreSQL says a statement wrote, the command line before a write or admin command). Reads leave
//! no record; failures do.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::{route_labels, RequestId};
use crate::app::AppState;
use crate::auth::extract::{authenticate, bearer_token, VerifiedToken};
use crate::auth::session::SessionCaller;
use crate::domain::{ConnectionId, TokenId, UserId};
use crate::error::ApiError;
use crate::store::{AuditEntry, AuditNoted};

/// Where a handler notes what its request changed (the object's id and name, a role, a SQL
/// write's command and rows), for the audit record that is finished when the request ends.
/// Handlers take it as an extractor; outside an audited request it is a detached note nobody reads.
#[derive(Clone, Default)]
pub struct AuditNote(Arc<Mutex<AuditNoted>>);

impl AuditNote {
    /// The object's name, as the record's target.
    pub fn target(&self, name: impl Into<String>) {
        self.with(|n| n.target = Some(name.into()));
    }

    /// The connection the request concerned (a created connection's new id).
    pub fn connection(&self, id: ConnectionId) {
        self.with(|n| n.connection_id = Some(id));
    }

    /// Details of what changed; never values or secrets.
    pub fn details(&self, details: serde_json::Value) {
        self.with(|n| n.details = Some(details));
    }

    fn with(&self, f: impl FnOnce(&mut AuditNoted)) {
        if let Ok(mut noted) = self.0.lock() {
            f(&mut noted);
        }
    }

    fn taken(&self) -> AuditNoted {
        self.0.lock().map(|n| n.clone()).unwrap_or_default()
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for AuditNote {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<AuditNote>().cloned().unwrap_or_default())
    }
}

/// The prefix of the console's session routes (`/api/auth/session`, `/api/auth/sessions`).
const SESSION_ROUTES: &str = "/api/auth/session";

/// Routes whose handler decides whether the request changes data (see the module doc).
const HANDLER_DECIDES: &[&str] = &["/api/platform/pg-meta/{ref}/query", "/api/platform/redis/{ref}/command"];

/// The audit record of a request whose handler decides whether it mutates.
#[derive(Clone)]
pub struct DeferredAudit(Arc<Deferred>);

struct Deferred {
    app: AppState,
    requested: Requested,
    id: Mutex<Option<i64>>,
}

impl DeferredAudit {
    /// Writes the pending record before a change; refuses the change (503) if it cannot be written.
    pub async fn begin(&self) -> Result<(), ApiError> {
        // Built only now: most statements on the SQL route turn out to be reads, which need none.
        let entry = self.0.requested.entry("pending", None);
        let id = self.0.app.store.insert_audit(&entry).await.map_err(|e| {
            tracing::error!(error = %e, action = %entry.action, "audit record could not be written: refusing the change");
            ApiError::Unavailable("the audit trail cannot be written, so the change was not made".into())
        })?;
        if let Ok(mut slot) = self.0.id.lock() {
            *slot = Some(id);
        }
        Ok(())
    }

    fn begun(&self) -> Option<i64> {
        self.0.id.lock().ok().and_then(|slot| *slot)
    }
}

fn is_mutation(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
}

/// The names a request acts on: every path parameter but the project ref, percent-decoded, joined
/// with `/` (a key, `database/collection`, an index name, a member id). Never a value.
fn target(template: &str, path: &str) -> Option<String> {
    let parts: Vec<String> = template
        .split('/')
        .zip(path.split('/'))
        .filter(|(t, _)| t.starts_with('{') && *t != "{ref}")
        .map(|(_, p)| percent_encoding::percent_decode_str(p).decode_utf8_lossy().into_owned())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The connection a request names: `?connection_id=` or the `{id}` of a connection route.
fn connection_id(template: &str, path: &str, query: Option<&str>) -> Option<ConnectionId> {
    let from_query = query
        .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("connection_id=")).and_then(|v| v.parse().ok()));
    from_query.or_else(|| {
        template
            .split('/')
            .zip(path.split('/'))
            .find(|(t, _)| *t == "{id}")
            .filter(|_| template.contains("/connections/"))
            .and_then(|(_, p)| p.parse().ok())
    })
}

fn outcome(status: StatusCode) -> &'static str {
    match status.as_u16() {
        200..=399 => "ok",
        401 | 403 => "denied",
        // `ApiError::OutcomeUnknown`, the only 504: the write may have happened.
        504 => "unknown",
        _ => "error",
    }
}

/// What a record says about the request, gathered before the request is handed on.
struct Requested {
    template: MatchedPath,
    method: Method,
    uri: Uri,
    user_id: Option<UserId>,
    token_id: Option<TokenId>,
    request_id: Option<String>,
    client: Option<SocketAddr>,
}

impl Requested {
    /// A finished record with what the handler noted.
    fn finished(&self, outcome: &str, status: u16, noted: AuditNoted) -> AuditEntry {
        let mut entry = self.entry(outcome, Some(status));
        entry.target = noted.target.or(entry.target);
        entry.connection_id = noted.connection_id.or(entry.connection_id);
        entry.details = noted.details;
        entry
    }

    fn entry(&self, outcome: &str, status: Option<u16>) -> AuditEntry {
        let template = self.template.as_str();
        let path = self.uri.path();
        let (project_ref, engine) = route_labels(template, path);
        AuditEntry {
            at: OffsetDateTime::now_utc(),
            user_id: self.user_id,
            project_ref,
            engine: engine.map(str::to_string),
            connection_id: connection_id(template, path, self.uri.query()),
            action: format!("{} {template}", self.method),
            target: target(template, path),
            outcome: outcome.into(),
            status,
            request_id: self.request_id.clone(),
            client_addr: self.client.map(|c| c.ip().to_string()),
            token_id: self.token_id,
            details: None,
        }
    }
}

/// Records mutations (before they run) and refusals (after); `next` runs the request.
pub async fn audit<F, Fut>(app: &AppState, req: Request, next: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    // The platform routes, and the console's session routes (sign-outs; refused sign-ins).
    let audited = |t: &&MatchedPath| t.as_str().starts_with("/api/platform/") || t.as_str().starts_with(SESSION_ROUTES);
    let Some(template) = req.extensions().get::<MatchedPath>().filter(audited).cloned() else {
        return next(req).await;
    };
    let mutation = is_mutation(req.method());
    let mut user_id = req
        .extensions()
        .get::<VerifiedToken>()
        .map(|t| t.0)
        .or_else(|| req.extensions().get::<SessionCaller>().map(|s| s.user_id));
    let mut token_id = None;
    if user_id.is_none() && mutation {
        // An API token: who it acts for (its creator) signs the record, which names the token. A
        // bad one is refused by the handler and recorded below as denied.
        if let Some(token) = bearer_token(req.headers()) {
            if let Ok(user) = authenticate(app, token, None).await {
                user_id = Some(user.id);
                token_id = user.scope.map(|s| s.token_id);
            }
        }
    }
    // Handlers note what their change touched; reads change nothing, so they get no note and
    // the read path pays nothing for it.
    let note = mutation.then(AuditNote::default);
    let mut req = req;
    if let Some(note) = &note {
        req.extensions_mut().insert(note.clone());
    }
    let noted = || note.as_ref().map(AuditNote::taken).unwrap_or_default();
    let requested = Requested {
        template,
        method: req.method().clone(),
        uri: req.uri().clone(),
        user_id,
        token_id,
        request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
        client: req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0),
    };

    if mutation && user_id.is_some() && HANDLER_DECIDES.contains(&requested.template.as_str()) {
        let deferred = DeferredAudit(Arc::new(Deferred { app: app.clone(), requested, id: Mutex::new(None) }));
        req.extensions_mut().insert(deferred.clone());
        let response = next(req).await;
        let status = response.status();
        let requested = &deferred.0.requested;
        match deferred.begun() {
            Some(id) => {
                if let Err(e) = app.store.finish_audit(id, outcome(status), status.as_u16(), &noted()).await {
                    tracing::warn!(error = %e, audit_id = id, "could not record how an audited request ended");
                }
            }
            // A read that succeeded changed nothing; anything else is worth a record.
            None if !status.is_success() => {
                if let Err(e) =
                    app.store.insert_audit(&requested.finished(outcome(status), status.as_u16(), noted())).await
                {
                    tracing::warn!(error = %e, "could not record a failed request");
                }
            }
            None => {}
        }
        return response;
    }

    // A mutation by a signed-in user is recorded before it runs; anonymous ones are refused by
    // the handler and recorded below as denied, so they cannot fill the log for free.
    if mutation && user_id.is_some() {
        let entry = requested.entry("pending", None);
        let id = match app.store.insert_audit(&entry).await {
            Ok(id) => id,
            Err(e) => {
                tracing::error!(error = %e, action = %entry.action, "audit record could not be written: refusing the change");
                return ApiError::Unavailable("the audit trail cannot be written, so the change was not made".into())
                    .into_response();
            }
        };
        let response = next(req).await;
        let status = response.status();
        if let Err(e) = app.store.finish_audit(id, outcome(status), status.as_u16(), &noted()).await {
            tracing::warn!(error = %e, audit_id = id, "could not record how an audited request ended");
        }
        return response;
    }

    // Reads (and anonymous writes) are recorded only when refused; the record is built only then.
    let response = next(req).await;
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        if let Err(e) = app.store.insert_audit(&requested.finished("denied", status.as_u16(), noted())).await {
            tracing::warn!(error = %e, "could not record a refused request");
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_connections_come_from_the_route() {
        let t = "/api/platform/redis/{ref}/keys/{key}";
        assert_eq!(target(t, "/api/platform/redis/default/keys/user%3A1").as_deref(), Some("user:1"));
        let t = "/api/platform/mongodb/{ref}/databases/{database}/collections/{collection}";
        assert_eq!(target(t, "/api/platform/mongodb/p/databases/app/collections/users").as_deref(), Some("app/users"));
        assert_eq!(target("/api/platform/projects/{ref}", "/api/platform/projects/p"), None);
        let id = ConnectionId::new();
        let t = "/api/platform/redis/{ref}/connections/{id}";
        assert_eq!(connection_id(t, &format!("/api/platform/redis/p/connections/{id}"), None), Some(id));
        assert_eq!(
            connection_id(
                "/api/platform/redis/{ref}/keys",
                "/api/platform/redis/p/keys",
                Some(&format!("a=1&connection_id={id}"))
            ),
            Some(id)
        );
    }
}
