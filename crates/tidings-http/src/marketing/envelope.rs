//! The dialect's envelope `{code, msg, data, timestamp, request_id}` and
//! codes, in one place.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde_json::{json, Value};
use tidings_service::{Caller, ServiceError};

use crate::envelope::{system_error, Dialect, Fail};
pub use crate::envelope::{Done as MkOk, Fail as MkError, JsonBody as MkJson, Params as MkQuery};
use crate::AppState;

/// The marketing cloud's codes.
pub struct Marketing;

impl Dialect for Marketing {
    fn refusal(fail: &Fail) -> (i64, String) {
        use ServiceError as E;
        let e = match fail {
            Fail::Invalid(msg) => return (20001, msg.clone()),
            Fail::Code(code, msg) => return (*code, msg.clone()),
            Fail::Service(e) => e.as_ref(),
        };
        let code = match e {
            E::TokenMissing => 10001,
            E::TokenInvalid
            | E::TokenExpired
            | E::AppDisabled
            | E::Unauthorized
            | E::InboxPassInvalid => 10002,
            E::ApiUnauthorized(_) | E::Banned { .. } => 10004,
            E::Invalid(_) | E::InvalidData(_) | E::InvalidPage(_) => 20001,
            E::NotFound(_) | E::TemplateNotFound | E::UnknownUser | E::NoEmployees => 20002,
            E::TemplateLimit(_)
            | E::SendQuotaReached
            | E::TokenQuotaReached
            | E::TooManyFailures { .. } => 20003,
            E::Store(_) | E::Conflict(_) => return system_error(e, 50001),
            _ => 20001,
        };
        (code, e.to_string())
    }

    fn no_route(status: StatusCode) -> Fail {
        match status {
            StatusCode::NOT_FOUND => Fail::new(20002, "no such endpoint"),
            StatusCode::METHOD_NOT_ALLOWED => Fail::new(20001, "method not allowed"),
            _ => Fail::new(50001, "system error"),
        }
    }

    fn envelope(result: Result<Value, (i64, String)>, rid: &str) -> Value {
        let (code, msg, data) = match result {
            Ok(v) => (0, "success".to_owned(), v),
            Err((code, msg)) => (code, msg, Value::Null),
        };
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        json!({"code": code, "msg": msg, "data": data, "timestamp": timestamp, "request_id": rid})
    }
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
