//! Request logs and metrics, `/healthz`, `/readyz` and `/metrics`.
//!
//! Logs and metric labels name the matched route, never the URI: query
//! strings carry secrets (`/cgi-bin/token?secret=`) and access tokens.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::FutureExt;
use tracing::Instrument;

use crate::request_id::RequestId;
use crate::request_metrics::RequestMetrics;
use crate::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn readyz(State(state): crate::State) -> Response {
    match state.services.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response()
        }
    }
}

async fn metrics(State(state): crate::State) -> Response {
    match &state.metrics {
        Some(handle) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "metrics are off").into_response(),
    }
}

/// Gives each request its id (the `x-request-id` header of the answer),
/// and times and logs it under its matched route. A handler that panics is
/// answered 500 here, and logged and counted like any other answer.
pub async fn track(
    State(metrics): State<Arc<RequestMetrics>>,
    mut req: Request,
    next: Next,
) -> Response {
    let rid = RequestId::generate();
    req.extensions_mut().insert(rid);
    let route = req.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let method = req.method().clone();
    let span = tracing::info_span!("request", method = method.as_str(), route, %rid);
    let start = Instant::now();
    let mut res = AssertUnwindSafe(next.run(req).instrument(span.clone()))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| span.in_scope(|| panic_response(panic)));
    let elapsed = start.elapsed();
    if let Ok(v) = HeaderValue::from_str(rid.as_str()) {
        res.headers_mut().insert("x-request-id", v);
    }
    let status = res.status();
    metrics.record(&method, route, status, elapsed);
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "served"
        );
    });
    res
}

/// A handler that panicked answers 500 with no detail; the panic is logged.
fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown");
    tracing::error!(panic = detail, "handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"error":{"code":"internal","message":"internal error"}}"#,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    /// A handler that panics is answered 500 with the JSON error and its
    /// request id, and the next request is served as usual.
    #[tokio::test]
    async fn a_panicking_handler_is_answered_500_with_its_request_id() {
        async fn boom() -> &'static str {
            panic!("handler bug")
        }
        let app = Router::new()
            .route("/boom", get(boom))
            .route("/fine", get(|| async { "fine" }))
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(RequestMetrics::default()),
                track,
            ));
        let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();
        let res = app.clone().oneshot(get("/boom")).await.unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(res.headers().contains_key("x-request-id"));
        let body = to_bytes(res.into_body(), 1024).await.unwrap();
        assert_eq!(
            &body[..],
            br#"{"error":{"code":"internal","message":"internal error"}}"#
        );
        let res = app.oneshot(get("/fine")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}
