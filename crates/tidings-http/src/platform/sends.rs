//! Segment sends, send records, recipients and clicks.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tidings_engine::{AppId, Audience, Message, SendRecord, SendSpec};
use tidings_service::NewSegmentSend;
use tidings_store::{Click, TimelineBucket};

use super::auth::Admin;
use super::error::{ApiError, ApiJson, ApiQuery};
use crate::State;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSend {
    template_id: String,
    data: Option<serde_json::Value>,
    page: Option<String>,
    url: Option<String>,
    color: Option<String>,
    emphasis_keyword: Option<String>,
    audience: Audience,
}

/// A send record as the API shows it.
#[derive(Serialize)]
pub struct SendView {
    id: i64,
    appid: AppId,
    kind: String,
    template_id: String,
    title: String,
    state: &'static str,
    expects: i64,
    oks: i64,
    fails: i64,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    /// Marketing words the marketing scan found in what the send carried.
    marketing_hits: i64,
    spec: SendSpec,
}

impl From<SendRecord> for SendView {
    fn from(s: SendRecord) -> Self {
        Self {
            id: s.id,
            appid: s.appid,
            kind: s.kind,
            template_id: s.template_id.as_str().to_owned(),
            title: s.title,
            state: s.state.as_str(),
            expects: s.expects,
            oks: s.oks,
            fails: s.fails,
            created_at: s.created_at.as_millis(),
            started_at: s.started_at.map(|t| t.as_millis()),
            finished_at: s.finished_at.map(|t| t.as_millis()),
            marketing_hits: s.marketing_hits,
            spec: s.spec,
        }
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    cursor: Option<i64>,
    limit: Option<u32>,
    status: Option<String>,
}

#[derive(Serialize)]
pub struct Page<T> {
    items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    next_cursor: Option<i64>,
}

fn page<T, U>(
    items: Vec<T>,
    limit: u32,
    key: impl Fn(&T) -> i64,
    view: impl Fn(T) -> U,
) -> Page<U> {
    let next_cursor = (items.len() == limit as usize)
        .then(|| items.last().map(&key))
        .flatten();
    Page {
        items: items.into_iter().map(view).collect(),
        next_cursor,
    }
}

fn query(
    q: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<PageQuery, ApiError> {
    q.map(|Query(q)| q)
        .map_err(|e| ApiError::invalid(e.body_text()))
}

pub async fn create(
    axum::extract::State(state): State,
    _: Admin,
    Path(appid): Path<String>,
    ApiJson(b): ApiJson<CreateSend>,
) -> Result<(StatusCode, Json<SendView>), ApiError> {
    let appid = super::users::appid(&appid)?;
    let send = state
        .services
        .segments
        .create(
            &appid,
            NewSegmentSend {
                template_id: b.template_id,
                spec: SendSpec {
                    data: b.data,
                    page: b.page,
                    url: b.url,
                    color: b.color,
                    emphasis_keyword: b.emphasis_keyword,
                    miniprogram: None,
                    marketing_id: None,
                    workspace: None,
                    audience: Some(b.audience),
                },
            },
        )
        .await?;
    tracing::info!(appid = %appid, send_id = send.id, expects = send.expects, "segment send queued");
    Ok((StatusCode::ACCEPTED, Json(send.into())))
}

pub async fn list(
    axum::extract::State(state): State,
    _: Admin,
    Path(appid): Path<String>,
    q: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page<SendView>>, ApiError> {
    let q = query(q)?;
    let appid = super::users::appid(&appid)?;
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    let sends = state
        .services
        .segments
        .list(&appid, q.cursor, limit)
        .await?;
    Ok(Json(page(sends, limit, |s| s.id, SendView::from)))
}

pub async fn get(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<i64>,
) -> Result<Json<SendView>, ApiError> {
    Ok(Json(state.services.segments.get(id).await?.into()))
}

pub async fn cancel(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<i64>,
) -> Result<Json<SendView>, ApiError> {
    Ok(Json(state.services.segments.cancel(id).await?.into()))
}

/// One recipient of a send.
#[derive(Serialize)]
pub struct RecipientView {
    openid: String,
    status: String,
    message_id: i64,
    failed_reason: Option<String>,
    delivered_at: Option<i64>,
    read_at: Option<i64>,
    clicked_at: Option<i64>,
}

impl From<Message> for RecipientView {
    fn from(m: Message) -> Self {
        Self {
            openid: m.openid.as_str().to_owned(),
            status: m.status,
            message_id: m.id,
            failed_reason: m.failed_reason,
            delivered_at: m.delivered_at.map(|t| t.as_millis()),
            read_at: m.read_at.map(|t| t.as_millis()),
            clicked_at: m.clicked_at.map(|t| t.as_millis()),
        }
    }
}

pub async fn recipients(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<i64>,
    q: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page<RecipientView>>, ApiError> {
    let q = query(q)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let items = state
        .services
        .segments
        .recipients(id, q.status.as_deref(), q.cursor, limit)
        .await?;
    Ok(Json(page(items, limit, |m| m.id, RecipientView::from)))
}

#[derive(Serialize)]
pub struct ClickView {
    openid: String,
    message_id: i64,
    url: String,
    at: i64,
    user_agent: Option<String>,
}

pub async fn clicks(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<i64>,
    q: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page<ClickView>>, ApiError> {
    let q = query(q)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let items = state.services.segments.clicks(id, q.cursor, limit).await?;
    Ok(Json(page(
        items,
        limit,
        |c: &Click| c.id,
        |c| ClickView {
            openid: c.openid.as_str().to_owned(),
            message_id: c.message_id,
            url: c.url,
            at: c.at.as_millis(),
            user_agent: c.user_agent,
        },
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    /// Bucket length, 1 to 86400 seconds; 60 when absent.
    bucket_secs: Option<u32>,
}

#[derive(Serialize)]
pub struct Timeline {
    bucket_secs: u32,
    buckets: Vec<TimelineBucket>,
}

pub async fn timeline(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<TimelineQuery>,
) -> Result<Json<Timeline>, ApiError> {
    let bucket_secs = q.bucket_secs.unwrap_or(60);
    let buckets = state.services.segments.timeline(id, bucket_secs).await?;
    Ok(Json(Timeline {
        bucket_secs,
        buckets,
    }))
}
