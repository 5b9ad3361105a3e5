//! HTTP handlers, one module per resource. Each handler's first line names the permission it needs
//! (through [`crate::auth::authorize`]); the rest is validation, one store or engine call, and a view.

pub mod activity;
pub mod audit;
pub mod auth;
pub mod connections;
pub mod export;
pub mod health;
pub mod jobs;
pub mod mongodb;
pub mod mongodb_bulk;
pub mod mongodb_ops;
pub mod mysql;
pub mod open;
pub mod organizations;
pub mod pg_meta;
pub mod projects;
pub mod redis;
pub mod redis_bulk;
pub mod redis_command;
pub mod redis_ops;
pub mod snippets;
pub mod table_rows;
pub mod tokens;
pub mod upload;
pub mod users;
pub mod ws;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::app::AppState;
use crate::error::ApiError;

/// A success body: `{"data": …}`.
pub struct Data<T>(pub T);

/// The envelope, serialized straight into the response body (no intermediate JSON tree).
#[derive(Serialize)]
struct Envelope<'a, T> {
    data: &'a T,
}

impl<T: Serialize> IntoResponse for Data<T> {
    fn into_response(self) -> Response {
        axum::Json(Envelope { data: &self.0 }).into_response()
    }
}

/// `201 Created` with `{"data": …}`.
pub struct Created<T>(pub T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (StatusCode::CREATED, Data(self.0)).into_response()
    }
}

/// A JSON body whose rejections use our envelope (400 with serde's message, 413 naming the limit).
pub struct ApiJson<T>(pub T);

// For the app's state only: the limit a 413 names is the one the router set (`App::body_limit`).
impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection, state.body_limit)),
        }
    }
}

fn json_rejection(rejection: JsonRejection, body_limit: usize) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => ApiError::validation(format!("invalid request body: {}", e.body_text())),
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::validation(format!("request body is not valid JSON: {}", e.body_text()))
        }
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::validation("expected a JSON body with the header Content-Type: application/json")
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge { limit: body_limit },
        other => ApiError::validation(other.body_text()),
    }
}

/// Path parameters whose rejections use our envelope.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Self(v))
            .map_err(|e: PathRejection| ApiError::validation(format!("invalid path: {}", e.body_text())))
    }
}

/// Query parameters whose rejections use our envelope.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Self(v))
            .map_err(|e: QueryRejection| ApiError::validation(format!("invalid query string: {}", e.body_text())))
    }
}
