//! The platform's own API (`/api/v1`): JSON resources behind the admin key,
//! errors as `{"error": {"code", "message"}}` with a fitting HTTP status.

mod apps;
mod auth;
mod employees;
mod error;
mod governance;
mod imports;
mod library;
mod sends;
mod stream;
mod tags;
mod users;
mod webhooks;

use std::sync::Arc;

use axum::routing::{get, patch, post};
use axum::Router;

use crate::AppState;

pub use apps::AppView;
pub(crate) use auth::bearer;
pub use error::not_found;
pub(crate) use error::{ApiError, ApiQuery};
pub use sends::SendView;
pub(crate) use stream::live;
pub(crate) use users::{inbox_page, Inbox, InboxQuery, MessageView};

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/apps", post(apps::create).get(apps::list))
        .route("/apps/{appid}", get(apps::get).patch(apps::update))
        .route("/apps/{appid}/rotate-secret", post(apps::rotate_secret))
        .route("/apps/{appid}/disable", post(apps::disable))
        .route("/apps/{appid}/users", post(users::create))
        .route("/apps/{appid}/employees", get(employees::list))
        .route(
            "/apps/{appid}/employees/{client_id}",
            patch(employees::update).delete(employees::remove),
        )
        .route("/apps/{appid}/tags", post(tags::create).get(tags::list))
        .route(
            "/apps/{appid}/tags/{tag}",
            patch(tags::rename).delete(tags::delete),
        )
        .route("/apps/{appid}/tags/{tag}/users", post(tags::tag_users))
        .route(
            "/apps/{appid}/tags/{tag}/users:remove",
            post(tags::untag_users),
        )
        .route("/apps/{appid}/sends", post(sends::create).get(sends::list))
        .route(
            "/apps/{appid}/webhooks",
            post(webhooks::create).get(webhooks::list),
        )
        .route(
            "/apps/{appid}/webhooks/{id}",
            axum::routing::delete(webhooks::delete),
        )
        .route(
            "/apps/{appid}/webhooks/{id}/deliveries",
            get(webhooks::deliveries),
        )
        .route(
            "/apps/{appid}/webhook-deliveries/{id}/replay",
            post(webhooks::replay),
        )
        .route(
            "/library/proposals",
            post(governance::propose).get(governance::proposals),
        )
        .route("/library/proposals/{id}", get(governance::proposal))
        .route("/library/proposals/{id}/approve", post(governance::approve))
        .route("/library/proposals/{id}/reject", post(governance::reject))
        .route("/complaints", get(governance::complaints))
        .route("/complaints/{id}", get(governance::complaint))
        .route("/complaints/{id}/confirm", post(governance::confirm))
        .route("/complaints/{id}/dismiss", post(governance::dismiss))
        .route(
            "/apps/{appid}/users/{openid}/messages/{id}/complaints",
            post(governance::complain),
        )
        .route("/apps/{appid}/penalties", get(governance::penalties))
        .route("/apps/{appid}/notices", get(governance::notices))
        .route("/sends/{id}", get(sends::get))
        .route("/sends/{id}/cancel", post(sends::cancel))
        .route("/sends/{id}/recipients", get(sends::recipients))
        .route("/sends/{id}/clicks", get(sends::clicks))
        .route("/sends/{id}/timeline", get(sends::timeline))
        .route("/library", get(library::search))
        .route("/library/{id}", get(library::title))
        .route(
            "/apps/{appid}/templates",
            post(library::compose).get(library::templates),
        )
        .route(
            "/apps/{appid}/templates/{id}",
            axum::routing::delete(library::delete_template),
        )
        .route(
            "/apps/{appid}/users/{openid}/inbox-passes",
            post(users::issue_pass),
        )
        .route(
            "/apps/{appid}/users/{openid}/messages/stream",
            get(stream::stream),
        )
        .route("/apps/{appid}/users/{openid}", get(users::get))
        .route(
            "/apps/{appid}/users/{openid}/form-submits",
            post(users::form_submit),
        )
        .route(
            "/apps/{appid}/users/{openid}/payments",
            post(users::payment),
        )
        .route(
            "/apps/{appid}/users/{openid}/messages",
            get(users::messages),
        )
        .route(
            "/apps/{appid}/users/{openid}/messages/{id}/read",
            post(users::read),
        )
}

/// Routes whose requests may take long: they get no request timeout.
pub fn streaming_router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/apps/{appid}/users:import", post(imports::import))
        .route(
            "/apps/{appid}/employees:import",
            post(imports::import_employees),
        )
}
