//! `/api/v1/apps/{appid}/tags`.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tidings_engine::{OpenId, Tag};

use super::auth::Admin;
use super::error::{ApiError, ApiJson};
use super::users::appid;
use crate::State;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagBody {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenIds {
    openids: Vec<OpenId>,
}

#[derive(Serialize)]
pub struct TagList {
    items: Vec<Tag>,
}

#[derive(Serialize)]
pub struct Changed {
    changed: u64,
}

pub async fn create(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TagBody>,
) -> Result<(StatusCode, Json<Tag>), ApiError> {
    let tag = state.services.tags.create(&appid(&id)?, &body.name).await?;
    Ok((StatusCode::CREATED, Json(tag)))
}

pub async fn list(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<String>,
) -> Result<Json<TagList>, ApiError> {
    let items = state.services.tags.list(&appid(&id)?).await?;
    Ok(Json(TagList { items }))
}

pub async fn rename(
    axum::extract::State(state): State,
    _: Admin,
    Path((id, tag)): Path<(String, i64)>,
    ApiJson(body): ApiJson<TagBody>,
) -> Result<Json<Tag>, ApiError> {
    Ok(Json(
        state
            .services
            .tags
            .rename(&appid(&id)?, tag, &body.name)
            .await?,
    ))
}

pub async fn delete(
    axum::extract::State(state): State,
    _: Admin,
    Path((id, tag)): Path<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    state.services.tags.delete(&appid(&id)?, tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Tags the app's users among the openids (unknown ones are skipped).
pub async fn tag_users(
    axum::extract::State(state): State,
    _: Admin,
    Path((id, tag)): Path<(String, i64)>,
    ApiJson(body): ApiJson<OpenIds>,
) -> Result<Json<Changed>, ApiError> {
    let changed = state
        .services
        .tags
        .tag(&appid(&id)?, tag, &body.openids)
        .await?;
    Ok(Json(Changed { changed }))
}

pub async fn untag_users(
    axum::extract::State(state): State,
    _: Admin,
    Path((id, tag)): Path<(String, i64)>,
    ApiJson(body): ApiJson<OpenIds>,
) -> Result<Json<Changed>, ApiError> {
    let changed = state
        .services
        .tags
        .untag(&appid(&id)?, tag, &body.openids)
        .await?;
    Ok(Json(Changed { changed }))
}
