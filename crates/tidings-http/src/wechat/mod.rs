//! The WeChat dialect (`/cgi-bin/...`): tokens, templates and template
//! sends. `wire` holds the rules every endpoint follows.

mod auth;
mod codes;
mod misc;
pub(crate) mod official;
mod send;
mod templates;
mod token;
mod wire;

use std::sync::Arc;

use axum::routing::{any, get, post};
use axum::Router;

use crate::AppState;

pub(crate) use wire::WxError;

/// Every route at its full path, so that it merges into the whole router
/// and its envelope applies to `/cgi-bin` alone.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/cgi-bin/token", get(token::token))
        .route("/cgi-bin/stable_token", post(token::stable_token))
        .route("/cgi-bin/get_api_domain_ip", get(misc::api_domain_ip))
        .route("/cgi-bin/getcallbackip", get(misc::callback_ip))
        .route(
            "/cgi-bin/wxopen/template/library/list",
            post(templates::library_list),
        )
        .route(
            "/cgi-bin/wxopen/template/library/get",
            post(templates::library_get),
        )
        .route("/cgi-bin/wxopen/template/add", post(templates::add))
        .route("/cgi-bin/wxopen/template/list", post(templates::list))
        .route("/cgi-bin/wxopen/template/del", post(templates::del))
        .route("/cgi-bin/message/wxopen/template/send", post(send::send))
        .route(
            "/cgi-bin/template/api_set_industry",
            post(official::set_industry),
        )
        .route(
            "/cgi-bin/template/get_industry",
            get(official::get_industry),
        )
        .route(
            "/cgi-bin/template/api_add_template",
            post(official::add_template),
        )
        .route(
            "/cgi-bin/template/get_all_private_template",
            get(official::all_private),
        )
        .route(
            "/cgi-bin/template/del_private_template",
            post(official::del_private),
        )
        .route("/cgi-bin/message/template/send", post(official::send))
        // What `nest` would add as the fallback, without rewriting every
        // request's URI to strip the prefix.
        .route("/cgi-bin", any(wire::unknown_api))
        .route("/cgi-bin/", any(wire::unknown_api))
        .route("/cgi-bin/{*rest}", any(wire::unknown_api))
        .layer(axum::middleware::from_fn(wire::envelope))
}
