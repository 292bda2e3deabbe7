//! The dialect's envelope and codes, in one place.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use tidings_service::{Caller, ServiceError};

use crate::body::read_json;
use crate::request_id::RequestId;
use crate::AppState;

/// A refusal: a documented code and a message.
#[derive(Debug, Clone)]
pub struct MkError {
    pub code: i64,
    pub msg: String,
}

impl MkError {
    pub fn new(code: i64, msg: impl Into<String>) -> Self {
        Self {
            code,
            msg: msg.into(),
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::new(20001, msg)
    }
}

impl From<ServiceError> for MkError {
    fn from(e: ServiceError) -> Self {
        use ServiceError as E;
        let code = match &e {
            E::TokenMissing => 10001,
            E::TokenInvalid | E::TokenExpired | E::AppDisabled | E::Unauthorized => 10002,
            E::ApiUnauthorized(_) => 10004,
            E::Invalid(_) | E::InvalidData(_) | E::InvalidPage(_) => 20001,
            E::NotFound(_) | E::TemplateNotFound | E::UnknownUser => 20002,
            E::TemplateLimit(_)
            | E::SendQuotaReached
            | E::TokenQuotaReached
            | E::TooManyFailures { .. } => 20003,
            E::Store(inner) => {
                tracing::error!(error = %inner, "store failure");
                50001
            }
            _ => 20001,
        };
        let msg = match e {
            E::Store(_) => "system error".to_owned(),
            other => other.to_string(),
        };
        Self { code, msg }
    }
}

#[derive(Clone)]
struct Data(Value);

/// A success: the `data` of the envelope.
pub struct MkOk<T>(pub T);

impl<T: Serialize> IntoResponse for MkOk<T> {
    fn into_response(self) -> Response {
        let mut res = Response::new(Body::empty());
        match serde_json::to_value(self.0) {
            Ok(v) => {
                res.extensions_mut().insert(Data(v));
            }
            Err(e) => {
                res.extensions_mut()
                    .insert(MkError::new(50001, format!("system error: {e}")));
            }
        }
        res
    }
}

impl IntoResponse for MkError {
    fn into_response(self) -> Response {
        let mut res = Response::new(Body::empty());
        res.extensions_mut().insert(self);
        res
    }
}

/// Writes every answer of the dialect in the envelope.
pub async fn wrap(req: Request, next: Next) -> Response {
    let rid = req
        .extensions()
        .get::<RequestId>()
        .map_or_else(String::new, |r| r.0.clone());
    let mut res = next.run(req).await;
    let (code, msg, data) = if let Some(Data(v)) = res.extensions_mut().remove::<Data>() {
        (0, "success".to_owned(), v)
    } else if let Some(e) = res.extensions_mut().remove::<MkError>() {
        (e.code, e.msg, Value::Null)
    } else {
        let e = match res.status() {
            StatusCode::NOT_FOUND => MkError::new(20002, "no such endpoint"),
            StatusCode::METHOD_NOT_ALLOWED => MkError::new(20001, "method not allowed"),
            _ => MkError::new(50001, "system error"),
        };
        (e.code, e.msg, Value::Null)
    };
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let body =
        json!({"code": code, "msg": msg, "data": data, "timestamp": timestamp, "request_id": rid});
    let mut out = Response::new(Body::from(body.to_string()));
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    out
}

pub async fn unknown() -> MkError {
    MkError::new(20002, "no such endpoint")
}

/// The official account behind the `app_id` and `access_token` headers.
pub struct MkCaller(pub Caller);

impl FromRequestParts<Arc<AppState>> for MkCaller {
    type Rejection = MkError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let (Some(app_id), Some(token)) = (header("app_id"), header("access_token")) else {
            return Err(MkError::new(
                10001,
                "the app_id and access_token headers are required",
            ));
        };
        let caller = state.services.tokens.authenticate(Some(token)).await?;
        if caller.appid.as_str() != app_id {
            return Err(MkError::new(
                10003,
                "app_id does not match the access_token",
            ));
        }
        Ok(MkCaller(caller))
    }
}

/// A JSON body, refused with 20001 and the reason.
pub struct MkJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for MkJson<T> {
    type Rejection = MkError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        read_json(req)
            .await
            .map(MkJson)
            .map_err(|e| MkError::invalid(e.to_string()))
    }
}

/// Query parameters, refused with 20001.
pub struct MkQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for MkQuery<T> {
    type Rejection = MkError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| MkQuery(q.0))
            .map_err(|e| MkError::invalid(e.body_text()))
    }
}
