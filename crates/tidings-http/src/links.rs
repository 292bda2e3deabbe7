//! `GET /r/{token}`: a card's tracked link. Records the click, then
//! redirects to a web page, or shows a landing page naming the mini-program
//! page (a browser cannot open one). `?a=N` follows the Nth action button
//! of a workspace card.

use std::sync::Arc;

use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tidings_engine::message::LinkTarget;
use tidings_service::ServiceError;

use crate::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/r/{token}", get(follow))
}

/// A card's 投诉 button files a complaint about the message with the
/// platform (the admins' queue), not with the app that sent it.
async fn complain(state: &AppState, message: &tidings_engine::Message) -> Response {
    let filed = state
        .services
        .governance
        .complain(
            &message.appid,
            &message.openid,
            message.id,
            tidings_engine::governance::ComplaintReason::Other,
            Some(tidings_engine::message::COMPLAINT_ACTION.into()),
        )
        .await;
    match filed {
        Ok(c) => Html(format!(
            "<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\"><title>投诉已提交</title></head>\
             <body><h1>投诉已提交</h1><p>编号 <code id=\"complaint\">{}</code>，平台将审核处理。</p></body></html>",
            c.id
        ))
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "filing a complaint failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html("<!doctype html><p>暂时无法投诉</p>")).into_response()
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[derive(serde::Deserialize)]
struct Follow {
    /// The index of a workspace card's action button.
    a: Option<usize>,
}

async fn follow(
    axum::extract::State(state): crate::State,
    Path(token): Path<String>,
    query: Result<axum::extract::Query<Follow>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let action = query.ok().and_then(|q| q.0.a);
    let ua = headers
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    match state.services.segments.follow(&token, action, ua.as_deref()).await {
        Ok((message, _)) if action.is_some_and(|i| message.is_complaint_action(i)) => {
            complain(&state, &message).await
        }
        Ok((_, LinkTarget::Url(url))) => (StatusCode::FOUND, [(header::LOCATION, url)]).into_response(),
        Ok((message, LinkTarget::Page(page))) => Html(format!(
            "<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\
             <body><h1>{title}</h1><p>请在小程序中打开页面：</p><p><code id=\"page\">{page}</code></p></body></html>",
            title = escape(&message.title),
            page = escape(&page),
        ))
        .into_response(),
        Err(ServiceError::NotFound(_)) => (StatusCode::NOT_FOUND, Html("<!doctype html><p>链接不存在</p>")).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "following a link failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html("<!doctype html><p>暂时无法打开</p>")).into_response()
        }
    }
}
