//! `/api/v1/apps/{appid}/employees`: a workspace app's employees (the
//! import is in `imports`).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tidings_engine::employee::{employee_orgs, employee_platforms};
use tidings_engine::{Platform, User};
use tidings_service::EmployeePatch;

use super::auth::Admin;
use super::error::{ApiError, ApiJson, ApiQuery};
use super::users::ids;
use crate::State;

/// An employee as the platform API shows it.
#[derive(Serialize)]
pub struct EmployeeView {
    client_id: String,
    name: Option<String>,
    orgs: Vec<String>,
    devices: Vec<serde_json::Value>,
    /// The platforms the employee has a device on.
    platforms: Vec<Platform>,
    created_at: i64,
}

impl From<User> for EmployeeView {
    fn from(u: User) -> Self {
        Self {
            client_id: u.openid.as_str().to_owned(),
            orgs: employee_orgs(&u).unwrap_or_default(),
            platforms: employee_platforms(&u),
            devices: u
                .profile
                .get("devices")
                .and_then(|d| d.as_array().cloned())
                .unwrap_or_default(),
            name: u.nickname,
            created_at: u.created_at.as_millis(),
        }
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    /// Only employees anywhere under this org path.
    org: Option<String>,
    /// The last client id of the previous page.
    after: Option<String>,
    limit: Option<u32>,
}

#[derive(Serialize)]
pub struct Page {
    items: Vec<EmployeeView>,
    /// Pass as `after` for the next page; absent on the last page.
    next_after: Option<String>,
}

pub async fn list(
    axum::extract::State(state): State,
    _: Admin,
    Path(appid): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page>, ApiError> {
    let appid = super::users::appid(&appid)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let users = state
        .services
        .employees
        .list(&appid, q.org.as_deref(), q.after.as_deref(), limit)
        .await?;
    let next_after = (users.len() == limit as usize)
        .then(|| users.last().map(|u| u.openid.as_str().to_owned()))
        .flatten();
    Ok(Json(Page {
        items: users.into_iter().map(EmployeeView::from).collect(),
        next_after,
    }))
}

pub async fn update(
    axum::extract::State(state): State,
    _: Admin,
    Path((appid, client_id)): Path<(String, String)>,
    ApiJson(patch): ApiJson<EmployeePatch>,
) -> Result<Json<EmployeeView>, ApiError> {
    let (appid, client_id) = ids(&appid, &client_id)?;
    let user = state
        .services
        .employees
        .update(&appid, &client_id, patch)
        .await?;
    Ok(Json(user.into()))
}

pub async fn remove(
    axum::extract::State(state): State,
    _: Admin,
    Path((appid, client_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (appid, client_id) = ids(&appid, &client_id)?;
    state.services.employees.remove(&appid, &client_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
