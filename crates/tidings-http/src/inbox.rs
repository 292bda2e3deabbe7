//! `/inbox/api`: a recipient's own inbox, opened with an inbox pass that the
//! platform issued (`POST /api/v1/apps/{appid}/users/{openid}/inbox-passes`).
//! The pass comes as `Authorization: Bearer <pass>`, or as `?pass=` on the
//! live stream (a browser's EventSource cannot set headers). Errors are the
//! platform API's; a missing, unknown or expired pass is 401 `invalid_pass`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use tidings_engine::{AppKind, InboxPass};

use crate::platform::{
    bearer, inbox_page, live, ApiError, ApiQuery, Inbox, InboxQuery, MessageView,
};
use crate::{AppState, State};

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/me", get(me))
        .route("/messages", get(messages))
        .route("/messages/{id}/read", post(read))
}

/// The live stream: no request timeout.
pub fn streaming_router() -> Router<Arc<AppState>> {
    Router::new().route("/stream", get(stream))
}

/// A recipient who presented a valid pass.
struct Recipient(InboxPass);

impl FromRequestParts<Arc<AppState>> for Recipient {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let header = bearer(&parts.headers).map(str::to_owned);
        let query = || {
            Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
                .ok()
                .and_then(|q| q.0.get("pass").cloned())
        };
        let raw = header.or_else(query);
        Ok(Self(state.services.inbox.open_pass(raw.as_deref()).await?))
    }
}

#[derive(Serialize)]
struct Me {
    appid: String,
    app_name: String,
    kind: AppKind,
    openid: String,
    nickname: Option<String>,
    expires_at: i64,
}

async fn me(
    axum::extract::State(state): State,
    Recipient(p): Recipient,
) -> Result<Json<Me>, ApiError> {
    let app = state.services.apps.get(&p.appid).await?;
    let user = state.services.users.get(&p.appid, &p.openid).await?;
    Ok(Json(Me {
        appid: p.appid.as_str().to_owned(),
        app_name: app.name.as_str().to_owned(),
        kind: app.kind,
        openid: p.openid.as_str().to_owned(),
        nickname: user.nickname,
        expires_at: p.expires_at.as_millis(),
    }))
}

async fn messages(
    axum::extract::State(state): State,
    Recipient(p): Recipient,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> Result<Json<Inbox>, ApiError> {
    inbox_page(&state, &p.appid, &p.openid, q).await.map(Json)
}

async fn read(
    axum::extract::State(state): State,
    Recipient(p): Recipient,
    Path(id): Path<i64>,
) -> Result<Json<MessageView>, ApiError> {
    let m = state
        .services
        .inbox
        .mark_read(&p.appid, &p.openid, id)
        .await?;
    Ok(Json(m.into()))
}

async fn stream(
    axum::extract::State(state): State,
    Recipient(p): Recipient,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    live(&state, p.appid, p.openid, &query, &headers).await
}
