use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use tidings_service::ServiceError;

use super::error::ApiError;
use crate::AppState;

/// The credential of an `Authorization: Bearer <credential>` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Proof that the request carries the admin key as `Authorization: Bearer`.
pub struct Admin;

impl FromRequestParts<Arc<AppState>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        match bearer(&parts.headers) {
            Some(key) if state.admin.verify(key) => Ok(Admin),
            _ => Err(ServiceError::Unauthorized.into()),
        }
    }
}
