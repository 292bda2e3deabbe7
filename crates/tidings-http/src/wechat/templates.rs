//! The template library and account templates (`/cgi-bin/wxopen/template/...`).

use serde::{Deserialize, Serialize};
use tidings_engine::Template;

use super::auth::WxCaller;
use super::wire::{WxError, WxJson, WxOk};
use crate::State;

#[derive(Deserialize)]
pub struct Page {
    offset: u32,
    count: u32,
}

#[derive(Serialize)]
pub struct TitleItem {
    id: String,
    title: String,
}

#[derive(Serialize)]
pub struct LibraryList {
    list: Vec<TitleItem>,
    total_count: u64,
}

pub async fn library_list(
    axum::extract::State(state): State,
    _caller: WxCaller,
    WxJson(p): WxJson<Page>,
) -> Result<WxOk<LibraryList>, WxError> {
    let (titles, total_count) = state.services.library.list(p.offset, p.count).await?;
    Ok(WxOk(LibraryList {
        list: titles
            .into_iter()
            .map(|t| TitleItem {
                id: t.id.as_str().to_owned(),
                title: t.title,
            })
            .collect(),
        total_count,
    }))
}

#[derive(Deserialize)]
pub struct ById {
    id: String,
}

#[derive(Serialize)]
pub struct LibraryGet {
    id: String,
    title: String,
    keyword_list: Vec<tidings_engine::Keyword>,
}

pub async fn library_get(
    axum::extract::State(state): State,
    _caller: WxCaller,
    WxJson(b): WxJson<ById>,
) -> Result<WxOk<LibraryGet>, WxError> {
    let t = state.services.library.get(&b.id).await?;
    Ok(WxOk(LibraryGet {
        id: t.id.as_str().to_owned(),
        title: t.title,
        keyword_list: t.keywords,
    }))
}

#[derive(Deserialize)]
pub struct AddBody {
    id: String,
    keyword_id_list: Vec<u32>,
}

#[derive(Serialize)]
pub struct Added {
    template_id: String,
}

pub async fn add(
    axum::extract::State(state): State,
    WxCaller(caller): WxCaller,
    WxJson(b): WxJson<AddBody>,
) -> Result<WxOk<Added>, WxError> {
    let t = state
        .services
        .templates
        .add(&caller, &b.id, &b.keyword_id_list)
        .await?;
    Ok(WxOk(Added {
        template_id: t.template_id.as_str().to_owned(),
    }))
}

#[derive(Serialize)]
pub struct TemplateItem {
    template_id: String,
    title: String,
    content: String,
    example: String,
}

impl From<Template> for TemplateItem {
    fn from(t: Template) -> Self {
        Self {
            content: t.content(),
            example: t.example(),
            template_id: t.template_id.as_str().to_owned(),
            title: t.title,
        }
    }
}

#[derive(Serialize)]
pub struct TemplateList {
    list: Vec<TemplateItem>,
}

pub async fn list(
    axum::extract::State(state): State,
    WxCaller(caller): WxCaller,
    WxJson(p): WxJson<Page>,
) -> Result<WxOk<TemplateList>, WxError> {
    let templates = state
        .services
        .templates
        .list(&caller, p.offset, p.count)
        .await?;
    Ok(WxOk(TemplateList {
        list: templates.into_iter().map(TemplateItem::from).collect(),
    }))
}

#[derive(Deserialize)]
pub struct DelBody {
    template_id: String,
}

pub async fn del(
    axum::extract::State(state): State,
    WxCaller(caller): WxCaller,
    WxJson(b): WxJson<DelBody>,
) -> Result<WxOk<serde_json::Map<String, serde_json::Value>>, WxError> {
    state
        .services
        .templates
        .delete(&caller, &b.template_id)
        .await?;
    Ok(WxOk(serde_json::Map::new()))
}
