use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::json;
use tidings_service::ServiceError;

use crate::body::{read_json, BodyError};

/// A platform API error.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_argument", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut res = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        res
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        use ServiceError as E;
        match e {
            E::Invalid(p) | E::InvalidData(p) | E::InvalidPage(p) => Self::invalid(p.to_string()),
            E::NotFound(what) => Self::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            E::Conflict(m) => Self::new(StatusCode::CONFLICT, "conflict", m),
            E::Banned { .. } => Self::new(StatusCode::FORBIDDEN, "banned", e.to_string()),
            E::ApiUnauthorized(_) => {
                Self::new(StatusCode::FORBIDDEN, "wrong_app_kind", e.to_string())
            }
            E::Unauthorized => Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send the admin key as Authorization: Bearer <key>",
            ),
            E::InboxPassInvalid => {
                Self::new(StatusCode::UNAUTHORIZED, "invalid_pass", e.to_string())
            }
            E::TooManyFailures { .. } | E::TokenQuotaReached => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", e.to_string())
            }
            E::Store(inner) => {
                tracing::error!(error = %inner, "store failure");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                )
            }
            other => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_argument",
                other.to_string(),
            ),
        }
    }
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// A JSON body (any Content-Type), refused with 400 and the parser's reason.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        read_json(req).await.map(ApiJson).map_err(|e| match e {
            BodyError::TooLarge => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", e.to_string())
            }
            e => ApiError::invalid(e.to_string()),
        })
    }
}

/// Query parameters, refused with 400 and the parser's reason.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError::invalid(e.body_text()))
    }
}
