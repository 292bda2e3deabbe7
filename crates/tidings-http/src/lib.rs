//! The HTTP surface: one router holding the platform API (`/api/v1`), the
//! API dialects (`/cgi-bin` for WeChat; later the marketing cloud and the
//! workspace), and health and metrics endpoints. Dialects are thin: they
//! parse their wire format, call the services, and map results and errors
//! back to their envelope.

mod body;
mod client_ip;
mod envelope;
mod inbox;
mod links;
mod marketing;
mod observability;
mod openapi;
mod platform;
mod request_id;
mod request_metrics;
mod ui;
mod wechat;
mod workspace;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use tidings_service::{AdminAuth, Services};

use request_metrics::RequestMetrics;

pub use client_ip::ClientIpSource;
pub use platform::{AppView, SendView};

/// The largest JSON request body accepted (streamed imports have no such limit).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub admin: AdminAuth,
    pub metrics: Option<PrometheusHandle>,
    pub client_ip: ClientIpSource,
    /// The addresses this installation calls out from (webhooks).
    pub egress_ips: Vec<String>,
    /// Turns true when the server shuts down: long-lived streams end then,
    /// so that a graceful shutdown does not wait on them.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let state = Arc::new(state);
    Router::new()
        .merge(wechat::router())
        .nest("/api/v1", platform::router())
        .nest("/openapi", openapi::router())
        .nest("/v2/template/message", marketing::router())
        .nest("/v1", workspace::router())
        .merge(observability::router())
        .merge(links::router())
        .nest("/inbox/api", inbox::router())
        .merge(ui::router())
        .fallback(platform::not_found)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        // Streamed imports of millions of lines take longer than any timeout.
        .merge(Router::new().nest("/api/v1", platform::streaming_router()))
        .merge(Router::new().nest("/inbox/api", inbox::streaming_router()))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(RequestMetrics::default()),
            observability::track,
        ))
}

pub(crate) type State = axum::extract::State<Arc<AppState>>;
