//! An official account's WeChat template API (`/cgi-bin/template/...`,
//! `/cgi-bin/message/template/send`).

use serde::{Deserialize, Serialize};
use tidings_engine::official::industry;
use tidings_engine::MiniProgramTarget;
use tidings_service::OaSendRequest;

use super::auth::WxCaller;
use super::wire::{WxError, WxJson, WxOk};
use crate::State;

#[derive(Deserialize)]
pub struct SetIndustry {
    industry_id1: IdValue,
    industry_id2: IdValue,
}

/// WeChat clients send industry ids as strings or numbers.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum IdValue {
    Number(u32),
    Text(String),
}

impl IdValue {
    fn get(&self) -> Result<u32, WxError> {
        match self {
            IdValue::Number(n) => Ok(*n),
            IdValue::Text(s) => s
                .trim()
                .parse()
                .map_err(|_| WxError::new(40097, "invalid args: industry id")),
        }
    }
}

#[derive(Serialize)]
pub struct Empty {}

pub async fn set_industry(
    axum::extract::State(state): State,
    WxCaller(caller): WxCaller,
    WxJson(b): WxJson<SetIndustry>,
) -> Result<WxOk<Empty>, WxError> {
    state
        .services
        .official
        .set_industry(&caller, b.industry_id1.get()?, b.industry_id2.get()?)
        .await?;
    Ok(WxOk(Empty {}))
}

#[derive(Serialize)]
pub struct Class {
    first_class: &'static str,
    second_class: &'static str,
}

#[derive(Serialize)]
pub struct Industry {
    primary_industry: Class,
    secondary_industry: Class,
}

fn class(id: u32) -> Class {
    let (first_class, second_class) = industry(id).unwrap_or(("", ""));
    Class {
        first_class,
        second_class,
    }
}

pub async fn get_industry(
    axum::extract::State(state): State,
    WxCaller(caller): WxCaller,
) -> Result<WxOk<Industry>, WxError> {
    let (a, b) = state
        .services
        .official
        .industry(&caller)
        .await?
        .ok_or_else(|| WxError::new(40102, "industry not set"))?;
    Ok(WxOk(Industry {
        primary_industry: class(a),
        secondary_industry: class(b),
    }))
}

#[derive(Deserialize)]
pub struct AddTemplate {
    template_id_short: String,
}

#[derive(Serialize)]
pub struct Added {
    template_id: String,
}

pub async fn add_template(
    axum::extract::State(state): State,
    WxCaller(caller): WxCaller,
    WxJson(b): WxJson<AddTemplate>,
) -> Result<WxOk<Added>, WxError> {
    let t = state
        .services
        .official
        .add_template(&caller, &b.template_id_short)
        .await?;
    Ok(WxOk(Added {
        template_id: t.template_id.as_str().to_owned(),
    }))
}

#[derive(Serialize)]
pub struct PrivateTemplate {
    template_id: String,
    title: String,
    primary_industry: String,
    deputy_industry: String,
    content: String,
    example: String,
}

#[derive(Serialize)]
pub struct TemplateList {
    template_list: Vec<PrivateTemplate>,
}

/// The account's templates (the marketing dialect lists them too).
pub(crate) async fn private_templates(
    state: &crate::AppState,
    caller: &tidings_service::Caller,
) -> Result<Vec<PrivateTemplate>, tidings_service::ServiceError> {
    Ok(state
        .services
        .official
        .templates(caller)
        .await?
        .into_iter()
        .map(|(t, lib)| PrivateTemplate {
            content: t.oa_content(),
            example: t.oa_example(&lib.first, &lib.remark),
            template_id: t.template_id.as_str().to_owned(),
            title: t.title,
            primary_industry: lib.primary_industry.clone(),
            deputy_industry: lib.deputy_industry.clone(),
        })
        .collect())
}

pub async fn all_private(
    axum::extract::State(state): State,
    WxCaller(caller): WxCaller,
) -> Result<WxOk<TemplateList>, WxError> {
    Ok(WxOk(TemplateList {
        template_list: private_templates(&state, &caller).await?,
    }))
}

#[derive(Deserialize)]
pub struct DelTemplate {
    template_id: String,
}

pub async fn del_private(
    axum::extract::State(state): State,
    WxCaller(caller): WxCaller,
    WxJson(b): WxJson<DelTemplate>,
) -> Result<WxOk<Empty>, WxError> {
    state
        .services
        .official
        .delete_template(&caller, &b.template_id)
        .await?;
    Ok(WxOk(Empty {}))
}

#[derive(Deserialize)]
pub struct SendBody {
    #[serde(default)]
    touser: String,
    #[serde(default)]
    template_id: String,
    url: Option<String>,
    miniprogram: Option<MiniProgramTarget>,
    data: Option<tidings_engine::SendData>,
    client_msg_id: Option<String>,
}

pub async fn send(
    axum::extract::State(state): State,
    WxCaller(caller): WxCaller,
    WxJson(b): WxJson<SendBody>,
) -> Result<WxOk<super::send::Sent>, WxError> {
    let msgid = state
        .services
        .official
        .send(
            &caller,
            OaSendRequest {
                touser: b.touser,
                template_id: b.template_id,
                url: b.url,
                miniprogram: b.miniprogram,
                data: b.data,
                client_msg_id: b.client_msg_id,
            },
        )
        .await?;
    Ok(WxOk(super::send::Sent { msgid }))
}
