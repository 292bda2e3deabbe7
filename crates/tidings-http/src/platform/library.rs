//! The template library and an app's own templates, for operators: search
//! titles, read their keywords, compose templates from them.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tidings_engine::{Keyword, LibraryTitle, Template};
use tidings_service::{Caller, ServiceError, MAX_LIBRARY_PAGE};

use super::auth::Admin;
use super::error::{ApiError, ApiJson, ApiQuery};
use super::users::appid;
use crate::State;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Part of a title; every title when absent.
    q: Option<String>,
    offset: Option<u32>,
    count: Option<u32>,
}

#[derive(Serialize)]
pub struct LibraryPage {
    items: Vec<LibraryTitle>,
    total_count: u64,
}

pub async fn search(
    axum::extract::State(state): State,
    _: Admin,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<LibraryPage>, ApiError> {
    let (items, total_count) = state
        .services
        .library
        .search(
            q.q.as_deref().unwrap_or(""),
            q.offset.unwrap_or(0),
            q.count.unwrap_or(MAX_LIBRARY_PAGE),
        )
        .await?;
    Ok(Json(LibraryPage { items, total_count }))
}

pub async fn title(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<String>,
) -> Result<Json<LibraryTitle>, ApiError> {
    Ok(Json(state.services.library.get(&id).await?))
}

/// An app's template as operators see it.
#[derive(Serialize)]
pub struct TemplateView {
    template_id: String,
    title_id: String,
    title: String,
    /// In template order: the first is `keyword1`.
    keywords: Vec<Keyword>,
    created_at: i64,
}

impl From<Template> for TemplateView {
    fn from(t: Template) -> Self {
        Self {
            template_id: t.template_id.as_str().to_owned(),
            title_id: t.title_id.as_str().to_owned(),
            title: t.title,
            keywords: t.keywords,
            created_at: t.created_at.as_millis(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compose {
    title_id: String,
    keyword_ids: Vec<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplatesQuery {
    offset: Option<u32>,
    count: Option<u32>,
}

#[derive(Serialize)]
pub struct Templates {
    items: Vec<TemplateView>,
}

/// The app as the caller of the template services.
async fn caller(state: &crate::AppState, raw: &str) -> Result<Caller, ApiError> {
    let app = state.services.apps.get(&appid(raw)?).await?;
    Ok(Caller::from(&app))
}

pub async fn compose(
    axum::extract::State(state): State,
    _: Admin,
    Path(app): Path<String>,
    ApiJson(body): ApiJson<Compose>,
) -> Result<(StatusCode, Json<TemplateView>), ApiError> {
    let caller = caller(&state, &app).await?;
    let template = state
        .services
        .templates
        .add(&caller, &body.title_id, &body.keyword_ids)
        .await?;
    Ok((StatusCode::CREATED, Json(template.into())))
}

pub async fn templates(
    axum::extract::State(state): State,
    _: Admin,
    Path(app): Path<String>,
    ApiQuery(q): ApiQuery<TemplatesQuery>,
) -> Result<Json<Templates>, ApiError> {
    let caller = caller(&state, &app).await?;
    let items = state
        .services
        .templates
        .list(&caller, q.offset.unwrap_or(0), q.count.unwrap_or(20))
        .await?;
    Ok(Json(Templates {
        items: items.into_iter().map(TemplateView::from).collect(),
    }))
}

pub async fn delete_template(
    axum::extract::State(state): State,
    _: Admin,
    Path((app, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let caller = caller(&state, &app).await?;
    // Deleting what is not there is 404 (a send naming it is a bad argument).
    match state.services.templates.delete(&caller, &id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(ServiceError::TemplateNotFound) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "template not found",
        )),
        Err(e) => Err(e.into()),
    }
}
