//! `?access_token=` on every API that takes it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tidings_service::Caller;

use super::wire::{WxError, WxQuery};
use crate::AppState;

/// The app behind the request's access token.
pub struct WxCaller(pub Caller);

impl FromRequestParts<Arc<AppState>> for WxCaller {
    type Rejection = WxError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let WxQuery(q) =
            WxQuery::<HashMap<String, String>>::from_request_parts(parts, state).await?;
        let caller = state
            .services
            .tokens
            .authenticate(q.get("access_token").map(String::as_str))
            .await?;
        Ok(WxCaller(caller))
    }
}
