//! `/api/v1/apps`: register, list, read, update, rotate the secret, disable.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tidings_engine::{App, AppId, AppKind, AppName, AppSecret, Pages};
use tidings_service::NewApp;
use tidings_store::AppPatch;

use super::auth::Admin;
use super::error::{ApiError, ApiJson};
use super::users::appid;
use crate::State;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApp {
    name: AppName,
    kind: AppKind,
    #[serde(default)]
    pages: Pages,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateApp {
    name: Option<AppName>,
    pages: Option<Pages>,
    daily_send_limit: Option<u32>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    after: Option<String>,
    limit: Option<u32>,
}

/// An app as the API shows it: never the secret or its hash.
#[derive(Serialize)]
pub struct AppView {
    appid: AppId,
    name: AppName,
    kind: AppKind,
    pages: Pages,
    status: &'static str,
    created_at: i64,
    updated_at: i64,
    disabled_at: Option<i64>,
    /// Sends allowed per day (1,000,000 unless set).
    daily_send_limit: u32,
}

impl From<std::sync::Arc<App>> for AppView {
    fn from(a: std::sync::Arc<App>) -> Self {
        std::sync::Arc::unwrap_or_clone(a).into()
    }
}

impl From<App> for AppView {
    fn from(a: App) -> Self {
        Self {
            daily_send_limit: a.send_limit(),
            status: if a.is_disabled() {
                "disabled"
            } else {
                "active"
            },
            appid: a.appid,
            name: a.name,
            kind: a.kind,
            pages: a.pages,
            created_at: a.created_at.as_millis(),
            updated_at: a.updated_at.as_millis(),
            disabled_at: a.disabled_at.map(|t| t.as_millis()),
        }
    }
}

/// An app with its secret: only in the answers that create one.
#[derive(Serialize)]
pub struct AppWithSecret {
    #[serde(flatten)]
    app: AppView,
    secret: String,
}

fn with_secret(app: App, secret: AppSecret) -> AppWithSecret {
    AppWithSecret {
        app: app.into(),
        secret: secret.expose().to_owned(),
    }
}

#[derive(Serialize)]
pub struct AppList {
    items: Vec<AppView>,
    /// Pass as `after` for the next page; absent on the last page.
    next_after: Option<AppId>,
}

pub async fn create(
    axum::extract::State(state): State,
    _: Admin,
    ApiJson(body): ApiJson<CreateApp>,
) -> Result<(StatusCode, Json<AppWithSecret>), ApiError> {
    let (app, secret) = state
        .services
        .apps
        .create(NewApp {
            name: body.name,
            kind: body.kind,
            pages: body.pages,
        })
        .await?;
    tracing::info!(appid = %app.appid, kind = %app.kind, "app created");
    Ok((StatusCode::CREATED, Json(with_secret(app, secret))))
}

pub async fn list(
    axum::extract::State(state): State,
    _: Admin,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AppList>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    let after = q.after.as_deref().map(appid).transpose()?;
    let limit = q
        .limit
        .unwrap_or(50)
        .clamp(1, tidings_service::MAX_APPS_PAGE);
    let apps = state.services.apps.list(after.as_ref(), limit).await?;
    let next_after = (apps.len() == limit as usize)
        .then(|| apps.last().map(|a| a.appid.clone()))
        .flatten();
    Ok(Json(AppList {
        items: apps.into_iter().map(AppView::from).collect(),
        next_after,
    }))
}

pub async fn get(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<String>,
) -> Result<Json<AppView>, ApiError> {
    let app = state.services.apps.get(&appid(&id)?).await?;
    Ok(Json(app.into()))
}

pub async fn update(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateApp>,
) -> Result<Json<AppView>, ApiError> {
    let patch = AppPatch {
        name: body.name,
        pages: body.pages,
        daily_send_limit: body.daily_send_limit,
    };
    let app = state.services.apps.update(&appid(&id)?, patch).await?;
    Ok(Json(app.into()))
}

pub async fn rotate_secret(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<String>,
) -> Result<Json<AppWithSecret>, ApiError> {
    let (app, secret) = state.services.apps.rotate_secret(&appid(&id)?).await?;
    tracing::info!(appid = %app.appid, "app secret rotated");
    Ok(Json(with_secret(app, secret)))
}

pub async fn disable(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<String>,
) -> Result<Json<AppView>, ApiError> {
    let app = state.services.apps.disable(&appid(&id)?).await?;
    tracing::info!(appid = %app.appid, "app disabled");
    Ok(Json(app.into()))
}
