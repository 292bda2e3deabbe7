//! WeChat's wire rules, in one place for every `/cgi-bin` endpoint:
//! - HTTP 200 always, `Content-Type: application/json; encoding=utf-8`;
//! - errors as `{"errcode": N, "errmsg": "... rid: <request id>"}`;
//! - successes as `{"errcode": 0, "errmsg": "ok", ...}` (the token
//!   endpoints answer their bare documented bodies);
//! - bodies parsed as JSON whatever their Content-Type; malformed → 47001.

use std::borrow::Cow;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::body::{read_json, BodyError};
use crate::request_id::RequestId;

const CONTENT_TYPE: &str = "application/json; encoding=utf-8";

/// A WeChat error: the code and the message before its ` rid: ...`.
#[derive(Debug, Clone)]
pub struct WxError {
    pub code: i64,
    pub msg: Cow<'static, str>,
}

impl WxError {
    pub fn new(code: i64, msg: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            msg: msg.into(),
        }
    }
}

impl IntoResponse for WxError {
    /// The body is written by [`envelope`], which knows the request id.
    fn into_response(self) -> Response {
        let mut res = Response::new(Body::empty());
        res.extensions_mut().insert(self);
        res
    }
}

/// A bare JSON body (what `/cgi-bin/token` answers).
pub struct Bare<T>(pub T);

impl<T: Serialize> IntoResponse for Bare<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => json(bytes),
            Err(e) => {
                tracing::error!(error = %e, "serializing a response failed");
                WxError::new(-1, "system error").into_response()
            }
        }
    }
}

/// A success: `{"errcode":0,"errmsg":"ok"}` and the fields of `T`.
pub struct WxOk<T>(pub T);

#[derive(Serialize)]
struct OkEnvelope<T> {
    errcode: i64,
    errmsg: &'static str,
    #[serde(flatten)]
    body: T,
}

impl<T: Serialize> IntoResponse for WxOk<T> {
    fn into_response(self) -> Response {
        Bare(OkEnvelope {
            errcode: 0,
            errmsg: "ok",
            body: self.0,
        })
        .into_response()
    }
}

fn json(bytes: Vec<u8>) -> Response {
    let mut res = Response::new(Body::from(bytes));
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    res
}

/// The error that stands for an HTTP-level refusal, so that WeChat clients
/// still see HTTP 200 and an errcode.
fn for_status(status: StatusCode) -> WxError {
    match status {
        StatusCode::NOT_FOUND => WxError::new(40066, "invalid url"),
        StatusCode::METHOD_NOT_ALLOWED => WxError::new(43001, "require GET or POST method"),
        StatusCode::PAYLOAD_TOO_LARGE => WxError::new(47001, "data format error: body too large"),
        StatusCode::REQUEST_TIMEOUT => WxError::new(-1, "system busy, request timed out"),
        _ => WxError::new(-1, "system error"),
    }
}

/// Applies the wire rules to every `/cgi-bin` response.
pub async fn envelope(req: Request, next: Next) -> Response {
    let rid = req.extensions().get::<RequestId>().copied();
    let rid = rid.as_ref().map_or("", RequestId::as_str);
    let res = next.run(req).await;
    let err = match res.extensions().get::<WxError>() {
        Some(e) => e.clone(),
        None if res.status() == StatusCode::OK => return ensure_json(res),
        None => for_status(res.status()),
    };
    let body = serde_json::json!({
        "errcode": err.code,
        "errmsg": format!("{} rid: {rid}", err.msg),
    });
    json(body.to_string().into_bytes())
}

fn ensure_json(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    res
}

pub async fn unknown_api() -> WxError {
    for_status(StatusCode::NOT_FOUND)
}

/// A JSON body of any Content-Type, or 44002 / 47001.
pub struct WxJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for WxJson<T> {
    type Rejection = WxError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        match read_json(req).await {
            Ok(v) => Ok(WxJson(v)),
            Err(BodyError::Empty) => Err(WxError::new(44002, "empty post data")),
            Err(BodyError::Unreadable(_)) => Err(WxError::new(47001, "data format error")),
            Err(e) => Err(WxError::new(
                47001,
                format!("data format error hint: [{e}]"),
            )),
        }
    }
}

/// Query parameters, refused with 47001 when they cannot be decoded.
pub struct WxQuery<T>(pub T);

/// The answer to a query string that cannot be decoded.
pub(super) fn bad_query() -> WxError {
    WxError::new(47001, "data format error: query string")
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for WxQuery<T> {
    type Rejection = WxError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| WxQuery(q.0))
            .map_err(|_| bad_query())
    }
}
