//! Marketing templates: create, update, detail, delete, list, and the
//! account's WeChat templates.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tidings_engine::{MarketingTemplate, MiniProgramTarget};
use tidings_service::{Caller, MarketingInput};

use super::envelope::{MkCaller, MkError, MkJson, MkOk, MkQuery};
use crate::{AppState, State};

/// The request of create (and update, with `id`), as the vendor documents it.
#[derive(Deserialize)]
pub struct TemplateBody {
    id: Option<i64>,
    wechat_official_account_id: Option<String>,
    #[serde(default)]
    template_id: String,
    #[serde(default)]
    inner_title: String,
    title: Option<String>,
    content: Option<Value>,
    url: Option<String>,
    miniprogram: Option<MiniProgramTarget>,
    #[serde(default)]
    tags_id: Vec<i64>,
    topcolor: Option<String>,
}

impl TemplateBody {
    fn input(self) -> Result<(Option<i64>, MarketingInput), MkError> {
        let content = self
            .content
            .ok_or_else(|| MkError::invalid("content is required"))?;
        Ok((
            self.id,
            MarketingInput {
                wechat_official_account_id: self.wechat_official_account_id,
                template_id: self.template_id,
                inner_title: self.inner_title,
                title: self.title,
                content,
                url: self.url,
                miniprogram: self.miniprogram,
                tags_id: self.tags_id,
                topcolor: self.topcolor,
            },
        ))
    }
}

/// A marketing template in the vendor's response shape.
#[derive(Serialize)]
pub struct TemplateView {
    mid: String,
    tid: i64,
    wechat_id: String,
    inner_title: String,
    title: String,
    template_id: String,
    primary_industry: String,
    deputy_industry: String,
    /// The rows as a JSON string, as the vendor answers.
    content: String,
    topcolor: String,
    /// 1 when the card opens a mini program.
    miniprogram: i64,
    create_time: String,
    update_time: String,
    #[serde(rename = "type")]
    kind: i64,
    tags_id: String,
    url: String,
    id: i64,
    create_timestamp: i64,
    update_timestamp: i64,
}

/// Tidings is one tenant per installation.
const TENANT: i64 = 1;

async fn view(state: &AppState, caller: &Caller, t: MarketingTemplate) -> TemplateView {
    let lib = state.services.marketing.library_entry(caller, &t).await;
    TemplateView {
        mid: t.wechat_id.clone(),
        tid: TENANT,
        wechat_id: t.wechat_id.clone(),
        primary_industry: lib.map(|l| l.primary_industry.clone()).unwrap_or_default(),
        deputy_industry: lib.map(|l| l.deputy_industry.clone()).unwrap_or_default(),
        content: t.content_json().to_string(),
        miniprogram: i64::from(t.miniprogram.is_some()),
        create_time: t.created_at.cst_datetime(),
        update_time: t.updated_at.cst_datetime(),
        kind: 0,
        tags_id: t
            .tags_id
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(","),
        create_timestamp: t.created_at.as_millis() / 1000,
        update_timestamp: t.updated_at.as_millis() / 1000,
        inner_title: t.inner_title,
        title: t.title,
        template_id: t.template_id.as_str().to_owned(),
        topcolor: t.topcolor,
        url: t.url,
        id: t.id,
    }
}

pub async fn create(
    axum::extract::State(state): State,
    MkCaller(caller): MkCaller,
    MkJson(body): MkJson<TemplateBody>,
) -> Result<MkOk<TemplateView>, MkError> {
    let (_, input) = body.input()?;
    let t = state.services.marketing.create(&caller, input).await?;
    Ok(MkOk(view(&state, &caller, t).await))
}

pub async fn update(
    axum::extract::State(state): State,
    MkCaller(caller): MkCaller,
    MkJson(body): MkJson<TemplateBody>,
) -> Result<MkOk<TemplateView>, MkError> {
    let (id, input) = body.input()?;
    let id = id.ok_or_else(|| MkError::invalid("id is required"))?;
    let t = state.services.marketing.update(&caller, id, input).await?;
    Ok(MkOk(view(&state, &caller, t).await))
}

#[derive(Deserialize)]
pub struct ById {
    id: i64,
}

pub async fn detail(
    axum::extract::State(state): State,
    MkCaller(caller): MkCaller,
    MkQuery(q): MkQuery<ById>,
) -> Result<MkOk<TemplateView>, MkError> {
    let t = state.services.marketing.get(&caller, q.id).await?;
    Ok(MkOk(view(&state, &caller, t).await))
}

#[derive(Serialize)]
pub struct Deleted {
    id: i64,
}

pub async fn delete(
    axum::extract::State(state): State,
    MkCaller(caller): MkCaller,
    MkQuery(q): MkQuery<ById>,
) -> Result<MkOk<Deleted>, MkError> {
    state.services.marketing.delete(&caller, q.id).await?;
    Ok(MkOk(Deleted { id: q.id }))
}

#[derive(Deserialize)]
pub struct ListQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    title: Option<String>,
    tag_id: Option<i64>,
}

#[derive(Serialize)]
pub struct Listed<T> {
    list: Vec<T>,
    total: i64,
    page: u32,
    page_size: u32,
}

pub async fn list(
    axum::extract::State(state): State,
    MkCaller(caller): MkCaller,
    MkQuery(q): MkQuery<ListQuery>,
) -> Result<MkOk<Listed<TemplateView>>, MkError> {
    let (page, page_size) = (
        q.page.unwrap_or(1).max(1),
        q.page_size.unwrap_or(20).clamp(1, 100),
    );
    let title = q.title.as_deref().filter(|t| !t.is_empty());
    let (items, total) = state
        .services
        .marketing
        .list(&caller, title, q.tag_id, page, page_size)
        .await?;
    let mut list = Vec::with_capacity(items.len());
    for t in items {
        list.push(view(&state, &caller, t).await);
    }
    Ok(MkOk(Listed {
        list,
        total,
        page,
        page_size,
    }))
}

#[derive(Serialize)]
pub struct WechatList {
    list: Vec<crate::wechat::official::PrivateTemplate>,
}

/// The account's own WeChat templates (`get_all_private_template`).
pub async fn wechat_list(
    axum::extract::State(state): State,
    MkCaller(caller): MkCaller,
) -> Result<MkOk<WechatList>, MkError> {
    let list = crate::wechat::official::private_templates(&state, &caller).await?;
    Ok(MkOk(WechatList { list }))
}
