//! `/api/v1/apps/{appid}/webhooks`: endpoints, their deliveries, replays.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tidings_engine::Webhook;
use tidings_store::Delivery;

use super::auth::Admin;
use super::error::{ApiError, ApiJson};
use super::users::appid;
use crate::State;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    url: String,
    event_types: Vec<String>,
}

/// An endpoint; `secret` only in the answer that creates it.
#[derive(Serialize)]
pub struct WebhookView {
    /// Its `created_at` is epoch milliseconds, as everywhere.
    #[serde(flatten)]
    webhook: Webhook,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

#[derive(Serialize)]
pub struct DeliveryView {
    id: i64,
    webhook_id: i64,
    event_id: i64,
    event_type: String,
    state: String,
    attempts: u32,
    next_attempt_at: Option<i64>,
    last_status: Option<u16>,
    last_error: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            webhook_id: d.webhook_id,
            event_id: d.event_id,
            event_type: d.event_type,
            state: d.state,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at.map(|t| t.as_millis()),
            last_status: d.last_status,
            last_error: d.last_error,
            created_at: d.created_at.as_millis(),
            updated_at: d.updated_at.as_millis(),
        }
    }
}

#[derive(Serialize)]
pub struct Items<T> {
    items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<i64>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    cursor: Option<i64>,
    limit: Option<u32>,
}

pub async fn create(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CreateWebhook>,
) -> Result<(StatusCode, Json<WebhookView>), ApiError> {
    let w = state
        .services
        .webhooks
        .create(&appid(&id)?, &b.url, &b.event_types)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookView {
            secret: Some(w.secret.clone()),
            webhook: w,
        }),
    ))
}

pub async fn list(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<String>,
) -> Result<Json<Items<WebhookView>>, ApiError> {
    let items = state.services.webhooks.list(&appid(&id)?).await?;
    Ok(Json(Items {
        items: items
            .into_iter()
            .map(|w| WebhookView {
                secret: None,
                webhook: w,
            })
            .collect(),
        next_cursor: None,
    }))
}

pub async fn delete(
    axum::extract::State(state): State,
    _: Admin,
    Path((id, webhook)): Path<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .webhooks
        .delete(&appid(&id)?, webhook)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn deliveries(
    axum::extract::State(state): State,
    _: Admin,
    Path((id, webhook)): Path<(String, i64)>,
    q: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Items<DeliveryView>>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::invalid(e.body_text()))?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let items = state
        .services
        .webhooks
        .deliveries(&appid(&id)?, webhook, q.cursor, limit)
        .await?;
    let next_cursor = (items.len() == limit as usize)
        .then(|| items.last().map(|d| d.id))
        .flatten();
    Ok(Json(Items {
        items: items.into_iter().map(DeliveryView::from).collect(),
        next_cursor,
    }))
}

pub async fn replay(
    axum::extract::State(state): State,
    _: Admin,
    Path((id, delivery)): Path<(String, i64)>,
) -> Result<Json<DeliveryView>, ApiError> {
    Ok(Json(
        state
            .services
            .webhooks
            .replay(&appid(&id)?, delivery)
            .await?
            .into(),
    ))
}
