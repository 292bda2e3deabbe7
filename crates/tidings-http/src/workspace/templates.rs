//! Card templates: list (with keyword search), create, update, detail.

use serde::{Deserialize, Serialize};
use tidings_engine::workspace::{Action, Cell};
use tidings_engine::{TemplateDraft, WorkspaceTemplate};
use tidings_service::TemplateUpdate;

use super::envelope::WsCaller;
use crate::envelope::{Done, Fail, JsonBody, Params};
use crate::State;

/// The workspace's tenant fields, fixed for an installation of Tidings:
/// one domain, and each app its own org.
pub const DOMAIN_ID: &str = "tidings";

/// A template in the vendor's shape.
#[derive(Serialize)]
pub struct TemplateView {
    id: String,
    domain_id: &'static str,
    org_id: String,
    app_id: String,
    r#type: &'static str,
    source_type: &'static str,
    title: String,
    sample: String,
    operator: String,
    create_time: i64,
    refresh_time: i64,
    actions: Vec<Action>,
    contents: Vec<Vec<Cell>>,
    tags: String,
}

impl From<WorkspaceTemplate> for TemplateView {
    fn from(t: WorkspaceTemplate) -> Self {
        Self {
            id: t.id.as_str().to_owned(),
            domain_id: DOMAIN_ID,
            org_id: t.appid.as_str().to_owned(),
            app_id: t.appid.as_str().to_owned(),
            r#type: "DEFAULT",
            source_type: t.source_type.as_str(),
            title: t.draft.title,
            sample: t.draft.sample,
            operator: t.operator,
            create_time: t.created_at.as_millis(),
            refresh_time: t.updated_at.as_millis(),
            actions: t.draft.actions,
            contents: t.draft.contents,
            tags: t.draft.tags,
        }
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    kw: Option<String>,
    skip: Option<u32>,
    limit: Option<u32>,
}

#[derive(Serialize)]
pub struct Listed {
    total_count: i64,
    records: Vec<TemplateView>,
}

pub async fn list(
    axum::extract::State(state): State,
    WsCaller(caller): WsCaller,
    Params(q): Params<ListQuery>,
) -> Result<Done<Listed>, Fail> {
    let (items, total) = state
        .services
        .workspace
        .list_templates(
            &caller,
            q.kw.as_deref(),
            q.skip.unwrap_or(0),
            q.limit.unwrap_or(10),
        )
        .await?;
    Ok(Done(Listed {
        total_count: total,
        records: items.into_iter().map(TemplateView::from).collect(),
    }))
}

#[derive(Deserialize)]
pub struct SourceQuery {
    source_type: Option<String>,
}

pub async fn create(
    axum::extract::State(state): State,
    WsCaller(caller): WsCaller,
    Params(q): Params<SourceQuery>,
    JsonBody(draft): JsonBody<TemplateDraft>,
) -> Result<Done<TemplateView>, Fail> {
    let t = state
        .services
        .workspace
        .create_template(&caller, q.source_type.as_deref(), draft)
        .await?;
    Ok(Done(t.into()))
}

pub async fn update(
    axum::extract::State(state): State,
    WsCaller(caller): WsCaller,
    axum::extract::Path(id): axum::extract::Path<String>,
    Params(q): Params<SourceQuery>,
    JsonBody(update): JsonBody<TemplateUpdate>,
) -> Result<Done<TemplateView>, Fail> {
    let t = state
        .services
        .workspace
        .update_template(&caller, &id, q.source_type.as_deref(), update)
        .await?;
    Ok(Done(t.into()))
}

pub async fn detail(
    axum::extract::State(state): State,
    WsCaller(caller): WsCaller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Done<TemplateView>, Fail> {
    Ok(Done(
        state
            .services
            .workspace
            .template(&caller, &id)
            .await?
            .into(),
    ))
}
