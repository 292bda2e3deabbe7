//! The WeChat dialect (`/cgi-bin/...`): the token service now, template
//! messages later. `wire` holds the rules every endpoint follows.

mod auth;
mod codes;
mod misc;
mod send;
mod templates;
mod token;
mod wire;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub(crate) use wire::WxError;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/token", get(token::token))
        .route("/stable_token", post(token::stable_token))
        .route("/get_api_domain_ip", get(misc::api_domain_ip))
        .route("/getcallbackip", get(misc::callback_ip))
        .route(
            "/wxopen/template/library/list",
            post(templates::library_list),
        )
        .route("/wxopen/template/library/get", post(templates::library_get))
        .route("/wxopen/template/add", post(templates::add))
        .route("/wxopen/template/list", post(templates::list))
        .route("/wxopen/template/del", post(templates::del))
        .route("/message/wxopen/template/send", post(send::send))
        .fallback(wire::unknown_api)
        .layer(axum::middleware::from_fn(wire::envelope))
}
