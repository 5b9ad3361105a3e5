//! The one HTTP error type. Every layer's error converts into [`ApiError`], and this file alone decides
//! the status code and the envelope `{"error": {"message", "code", "details"?}}` sent to the client.
//!
//! 5xx bodies stay vague: the detail is logged once, here, and never sent (it may name internals).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::crypto::CryptoError;
use crate::engines::EngineError;
use crate::store::StoreError;

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

/// Everything a request can fail with, each variant documenting its status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 VALIDATION_ERROR: the request is malformed or a field is out of range.
    #[error("{message}")]
    Validation { message: String, details: Option<Value> },
    /// 401 AUTHENTICATION_ERROR: no, bad or expired credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403 FORBIDDEN: authenticated, but the role is too low.
    #[error("{0}")]
    Forbidden(String),
    /// 404 NOT_FOUND: the resource does not exist or the caller may not know it exists.
    #[error("{0}")]
    NotFound(String),
    /// 405 METHOD_NOT_ALLOWED.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409 CONFLICT: a unique constraint or a precondition (`nx`/`xx`) failed.
    #[error("{0}")]
    Conflict(String),
    /// 409 CONFLICT with details: the object changed since the caller read it (`details.current`).
    #[error("{message}")]
    Stale { message: String, details: Value },
    /// 413 PAYLOAD_TOO_LARGE: the body exceeds the configured limit.
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// 415 UNSUPPORTED_MEDIA_TYPE: the body's `Content-Type` is not one the route reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429 RATE_LIMITED, with `Retry-After`.
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// 429 RATE_LIMITED: the caller already runs as much at once as they may.
    #[error("{0}")]
    Busy(String),
    /// 400 QUERY_ERROR: the managed database rejected the operation; its message is passed on.
    #[error("{message}")]
    Query { message: String, details: Option<Value> },
    /// 503 CONNECTION_ERROR: the managed database could not be reached.
    #[error("{0}")]
    Connection(String),
    /// 504 OUTCOME_UNKNOWN: a write was sent to the managed database but no answer came in time, so
    /// it may or may not have been applied. The only 504: the audit trail records it as `unknown`.
    #[error("{0}; the write may or may not have been applied: read the data to find out before retrying")]
    OutcomeUnknown(String),
    /// 503 SERVICE_UNAVAILABLE: Switchboard itself cannot serve the request right now.
    #[error("{0}")]
    Unavailable(String),
    /// 500 DECRYPTION_ERROR: a stored secret does not decrypt (tampered row or wrong key); fails closed.
    #[error("{0}")]
    SecretUnreadable(String),
    /// 500 INTERNAL_ERROR: a bug or an unexpected platform failure; details are logged, not sent.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// A 400 with a message and no details.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::Validation { message: message.into(), details: None }
    }

    /// Status and machine-readable code for this error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Validation { .. } => (StatusCode::BAD_REQUEST, "VALIDATION_ERROR"),
            Self::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "AUTHENTICATION_ERROR"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "FORBIDDEN"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
            Self::Conflict(_) | Self::Stale { .. } => (StatusCode::CONFLICT, "CONFLICT"),
            Self::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
            Self::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE"),
            Self::RateLimited { .. } | Self::Busy(_) => (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED"),
            Self::Query { .. } => (StatusCode::BAD_REQUEST, "QUERY_ERROR"),
            Self::Connection(_) => (StatusCode::SERVICE_UNAVAILABLE, "CONNECTION_ERROR"),
            Self::OutcomeUnknown(_) => (StatusCode::GATEWAY_TIMEOUT, "OUTCOME_UNKNOWN"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
            Self::SecretUnreadable(_) => (StatusCode::INTERNAL_SERVER_ERROR, "DECRYPTION_ERROR"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR"),
        }
    }
}

/// Builds the error envelope for a status, code and message.
pub fn envelope(message: &str, code: &str, details: Option<&Value>) -> Value {
    let mut error = json!({ "message": message, "code": code });
    if let (Some(details), Some(map)) = (details, error.as_object_mut()) {
        map.insert("details".into(), details.clone());
    }
    json!({ "error": error })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let Self::Internal(err) = &self {
            tracing::error!(error = format!("{err:#}"), "internal error");
        }
        let details = match &self {
            Self::Validation { details, .. } | Self::Query { details, .. } => details.as_ref(),
            Self::Stale { details, .. } => Some(details),
            _ => None,
        };
        // Whatever produced the message, it never repeats a secret of a connection this request
        // opened (a driver may quote a connection string back).
        let (message, scrubbed_details);
        let details = if crate::connections::request_opened_connections() {
            message = crate::connections::scrub_request_secrets(self.to_string());
            scrubbed_details = details
                .map(|d| crate::connections::scrub_request_secrets(d.to_string()))
                .and_then(|text| serde_json::from_str::<Value>(&text).ok());
            scrubbed_details.as_ref()
        } else {
            message = self.to_string();
            details
        };
        let mut body = envelope(&message, code, details);
        let mut response;
        if let Self::RateLimited { retry_after_secs } = self {
            body["error"]["retryAfter"] = json!(retry_after_secs);
            response = (status, axum::Json(body)).into_response();
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        } else {
            response = (status, axum::Json(body)).into_response();
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(what) => Self::NotFound(format!("{what} not found")),
            StoreError::Conflict(message) => Self::Conflict(message),
            StoreError::Unavailable(message) => {
                // The cause (a driver message) is for the operator; the client learns only that
                // it may retry.
                tracing::error!(error = %message, "platform store unavailable");
                Self::Unavailable("the platform store is unavailable; try again shortly".into())
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl From<CryptoError> for ApiError {
    fn from(err: CryptoError) -> Self {
        // A secret that cannot be opened is a server-side problem the operator must fix (wrong or
        // missing key, tampered row); the message names the problem, never the secret.
        Self::SecretUnreadable(format!("a stored secret could not be decrypted: {err}"))
    }
}

impl From<EngineError> for ApiError {
    fn from(err: EngineError) -> Self {
        match err {
            EngineError::Connect(message) => Self::Connection(message),
            EngineError::Timeout(message) => Self::Connection(message),
            EngineError::Auth(message) => Self::Connection(message),
            EngineError::Query { message, details } => Self::Query { message, details },
            EngineError::Config(message) => Self::validation(message),
            EngineError::NotFound(message) => Self::NotFound(message),
            EngineError::Conflict(message) => Self::Conflict(message),
            EngineError::Refused(message) => Self::Forbidden(message),
            EngineError::OutcomeUnknown(message) => Self::OutcomeUnknown(message),
        }
    }
}
