//! `?access_token=` on every API that takes it.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tidings_service::Caller;

use super::wire::{WxError, WxQuery};
use crate::AppState;

/// The one query parameter read here; the others are the endpoint's.
#[derive(serde::Deserialize)]
struct TokenQuery {
    access_token: Option<String>,
}

/// The app behind the request's access token.
pub struct WxCaller(pub Caller);

impl FromRequestParts<Arc<AppState>> for WxCaller {
    type Rejection = WxError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let WxQuery(q) = WxQuery::<TokenQuery>::from_request_parts(parts, state).await?;
        let caller = state
            .services
            .tokens
            .authenticate(q.access_token.as_deref())
            .await?;
        Ok(WxCaller(caller))
    }
}
