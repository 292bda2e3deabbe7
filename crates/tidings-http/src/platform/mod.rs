//! The platform's own API (`/api/v1`): JSON resources behind the admin key,
//! errors as `{"error": {"code", "message"}}` with a fitting HTTP status.

mod apps;
mod auth;
mod error;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub use apps::AppView;
pub use error::not_found;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/apps", post(apps::create).get(apps::list))
        .route("/apps/{appid}", get(apps::get).patch(apps::update))
        .route("/apps/{appid}/rotate-secret", post(apps::rotate_secret))
        .route("/apps/{appid}/disable", post(apps::disable))
}
