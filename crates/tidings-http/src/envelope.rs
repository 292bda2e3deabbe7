//! What the JSON-envelope dialects (the marketing cloud's, the workspace's)
//! share: handlers answer `Done(data)` or a `Fail`, and one middleware per
//! dialect writes the envelope with the dialect's codes.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tidings_service::ServiceError;

use crate::body::read_json;
use crate::request_id::RequestId;

/// A refusal: a service error the dialect maps to its code, bad input, or
/// a code of the dialect's own.
#[derive(Debug, Clone)]
pub enum Fail {
    Service(Arc<ServiceError>),
    Invalid(String),
    Code(i64, String),
}

impl Fail {
    pub fn new(code: i64, msg: impl Into<String>) -> Self {
        Fail::Code(code, msg.into())
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        Fail::Invalid(msg.into())
    }
}

impl From<ServiceError> for Fail {
    fn from(e: ServiceError) -> Self {
        Fail::Service(Arc::new(e))
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let mut res = Response::new(Body::empty());
        res.extensions_mut().insert(self);
        res
    }
}

#[derive(Clone)]
struct Data(Value);

/// A success: the envelope's data.
pub struct Done<T>(pub T);

impl<T: Serialize> IntoResponse for Done<T> {
    fn into_response(self) -> Response {
        match serde_json::to_value(self.0) {
            Ok(v) => {
                let mut res = Response::new(Body::empty());
                res.extensions_mut().insert(Data(v));
                res
            }
            Err(e) => Fail::Service(Arc::new(ServiceError::Conflict(format!(
                "unserializable answer: {e}"
            ))))
            .into_response(),
        }
    }
}

/// A dialect's codes and envelope.
pub trait Dialect: Send + Sync + 'static {
    /// The code and message of a refusal.
    fn refusal(fail: &Fail) -> (i64, String);
    /// A route the dialect does not have, or a method it does not take.
    fn no_route(status: StatusCode) -> Fail;
    /// The whole body, given the request id.
    fn envelope(result: Result<Value, (i64, String)>, rid: &str) -> Value;
}

/// The code and message of a storage failure, logged here, never shown.
pub fn system_error(e: &ServiceError, code: i64) -> (i64, String) {
    tracing::error!(error = %e, "service failure");
    (code, "system error".to_owned())
}

/// Writes every answer of dialect `D` in its envelope, HTTP 200.
pub async fn wrap<D: Dialect>(req: Request, next: Next) -> Response {
    let rid = req.extensions().get::<RequestId>().copied();
    let rid = rid.as_ref().map_or("", RequestId::as_str);
    let mut res = next.run(req).await;
    let result = if let Some(Data(v)) = res.extensions_mut().remove::<Data>() {
        Ok(v)
    } else if let Some(f) = res.extensions_mut().remove::<Fail>() {
        Err(D::refusal(&f))
    } else {
        Err(D::refusal(&D::no_route(res.status())))
    };
    let mut out = Response::new(Body::from(D::envelope(result, rid).to_string()));
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    out
}

/// The fallback route of an envelope dialect.
pub async fn unknown() -> StatusCode {
    StatusCode::NOT_FOUND
}

/// A JSON body, refused as bad input with the reason.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Fail;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        read_json(req)
            .await
            .map(JsonBody)
            .map_err(|e| Fail::invalid(e.to_string()))
    }
}

/// Query parameters, refused as bad input with the reason.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = Fail;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| Params(q.0))
            .map_err(|e| Fail::invalid(e.body_text()))
    }
}
