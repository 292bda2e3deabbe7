//! The web pages: the operators' console at `/console` and the recipient's
//! inbox at `/inbox`, with their scripts and styles under `/ui/`. Every file
//! is embedded in the binary (`ui/`); nothing is fetched from elsewhere.

use std::sync::Arc;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::AppState;

#[derive(rust_embed::Embed)]
#[folder = "ui/"]
#[exclude = "package.json"]
#[exclude = "vendor.mjs"]
#[exclude = "node_modules/*"]
struct Assets;

/// Scripts and styles only from this server; no inline script. Images may
/// also come over HTTPS: a workspace card's avatar is the sender's URL.
const CSP: &str =
    "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; \
                   script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/console", get(|| async { file("console.html") }))
        .route("/console/", get(|| async { file("console.html") }))
        .route("/inbox", get(|| async { file("inbox.html") }))
        .route(
            "/ui/{*path}",
            get(|Path(path): Path<String>| async move { file(&path) }),
        )
}

fn file(path: &str) -> Response {
    let Some(asset) = Assets::get(path) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let kind = match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    let mut res = asset.data.into_owned().into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    // Revalidated on every load, so a new binary's pages are seen at once.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}
