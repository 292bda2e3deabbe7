//! The marketing cloud's template-message dialect (`/v2/template/message`):
//! auth by `app_id` and `access_token` headers, answers in the envelope
//! `{code, msg, data, timestamp, request_id}` (HTTP 200, `code` 0 on
//! success). See docs/marketing.md for every endpoint and code.

mod envelope;
mod sends;
mod templates;

use std::sync::Arc;

use axum::routing::{delete, get, post, put};
use axum::Router;

use crate::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/create", post(templates::create))
        .route("/update", put(templates::update))
        .route("/detail", get(templates::detail))
        .route("/delete", delete(templates::delete))
        .route("/list", get(templates::list))
        .route("/wechat/list", get(templates::wechat_list))
        .route("/send/create", post(sends::create))
        .route("/send/records", get(sends::records))
        .route("/send/detail", get(sends::detail))
        .route("/click/detail", get(sends::clicks))
        .fallback(crate::envelope::unknown)
        .layer(axum::middleware::from_fn(
            crate::envelope::wrap::<envelope::Marketing>,
        ))
}
