//! The dialect's envelope `{status, message, result}` and codes, in one
//! place.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use tidings_service::{Caller, ServiceError};

use crate::envelope::{system_error, Dialect, Fail, Params};
use crate::AppState;

pub const OK: (i64, &str) = (0, "Everything is ok.");
pub const TOKEN_NOT_FOUND: (i64, &str) = (10011, "token not found.");
pub const APP_MISMATCH: i64 = 10012;
pub const NOT_WORKSPACE: i64 = 10013;
pub const BANNED: i64 = 10014;
pub const INVALID: i64 = 20001;
pub const NOT_FOUND: i64 = 20004;
pub const NO_EMPLOYEES: (i64, &str) = (202012, "没有对应的雇员");
pub const SYSTEM: i64 = 50001;

/// The workspace's codes.
pub struct Workspace;

impl Dialect for Workspace {
    fn refusal(fail: &Fail) -> (i64, String) {
        use ServiceError as E;
        let e = match fail {
            Fail::Invalid(msg) => return (INVALID, msg.clone()),
            Fail::Code(code, msg) => return (*code, msg.clone()),
            Fail::Service(e) => e.as_ref(),
        };
        let code = match e {
            E::TokenMissing | E::TokenInvalid | E::TokenExpired | E::AppDisabled => {
                return (TOKEN_NOT_FOUND.0, TOKEN_NOT_FOUND.1.to_owned())
            }
            E::NoEmployees => return (NO_EMPLOYEES.0, NO_EMPLOYEES.1.to_owned()),
            E::ApiUnauthorized(_) => NOT_WORKSPACE,
            E::Banned { .. } => BANNED,
            E::NotFound(_) | E::TemplateNotFound | E::UnknownUser => NOT_FOUND,
            E::Store(_) | E::Conflict(_) => return system_error(e, SYSTEM),
            _ => INVALID,
        };
        (code, e.to_string())
    }

    fn no_route(status: StatusCode) -> Fail {
        match status {
            StatusCode::NOT_FOUND => Fail::new(NOT_FOUND, "no such endpoint"),
            StatusCode::METHOD_NOT_ALLOWED => Fail::new(INVALID, "method not allowed"),
            _ => Fail::new(SYSTEM, "system error"),
        }
    }

    fn envelope(result: Result<Value, (i64, String)>, _rid: &str) -> Value {
        match result {
            Ok(v) => json!({"status": OK.0, "message": OK.1, "result": v}),
            Err((status, message)) => json!({"status": status, "message": message, "result": null}),
        }
    }
}

#[derive(Deserialize)]
struct Auth {
    access_token: Option<String>,
    app_id: Option<String>,
}

/// The workspace app behind `?access_token=`; an `app_id` beside it must
/// name the same app.
pub struct WsCaller(pub Caller);

impl FromRequestParts<Arc<AppState>> for WsCaller {
    type Rejection = Fail;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let Params(auth) = Params::<Auth>::from_request_parts(parts, state).await?;
        let token = auth.access_token.filter(|t| !t.trim().is_empty());
        let caller = state.services.tokens.authenticate(token.as_deref()).await?;
        if let Some(app_id) = auth.app_id.filter(|a| !a.is_empty()) {
            if app_id != caller.appid.as_str() {
                return Err(Fail::new(
                    APP_MISMATCH,
                    "app_id does not match the access_token",
                ));
            }
        }
        Ok(WsCaller(caller))
    }
}
