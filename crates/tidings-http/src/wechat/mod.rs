//! The WeChat dialect (`/cgi-bin/...`): the token service now, template
//! messages later. `wire` holds the rules every endpoint follows.

mod auth;
mod codes;
mod misc;
pub(crate) mod official;
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
        .route("/template/api_set_industry", post(official::set_industry))
        .route("/template/get_industry", get(official::get_industry))
        .route("/template/api_add_template", post(official::add_template))
        .route(
            "/template/get_all_private_template",
            get(official::all_private),
        )
        .route(
            "/template/del_private_template",
            post(official::del_private),
        )
        .route("/message/template/send", post(official::send))
        .fallback(wire::unknown_api)
        .layer(axum::middleware::from_fn(wire::envelope))
}
