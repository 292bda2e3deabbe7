//! The enterprise workspace's dialect: card templates (`/v1/templates`) and
//! pushes to employees' message boxes (`/v1/apps/mbox`). Auth by the
//! `access_token` query parameter; answers in the envelope `{status,
//! message, result}` (HTTP 200, status 0 on success). See docs/workspace.md.

mod envelope;
mod push;
mod templates;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;

use crate::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/templates", get(templates::list).post(templates::create))
        .route(
            "/templates/{id}",
            get(templates::detail).post(templates::update),
        )
        .route("/apps/mbox", axum::routing::post(push::push))
        .route("/apps/mbox/{id}", get(push::plan))
        .fallback(crate::envelope::unknown)
        .layer(axum::middleware::from_fn(
            crate::envelope::wrap::<envelope::Workspace>,
        ))
}
