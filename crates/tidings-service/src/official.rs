//! An official account's own WeChat template API: industries, private
//! templates from the official-account library, and template sends (no
//! grant: the user follows the account).

use std::sync::Arc;

use tidings_engine::message::{check_url, render_data};
use tidings_engine::official::{industry, oa_title, OaTitle};
use tidings_engine::template::MAX_TEMPLATES_PER_APP;
use tidings_engine::{AppKind, MiniProgramTarget, ParseError, SendData, Template, TitleId};
use tidings_store::Store;

use crate::sends::{SendService, Single};
use crate::templates::TemplateService;
use crate::tokens::Caller;
use crate::ServiceError;

/// A template send as an official account's client makes it.
#[derive(Debug, Clone, Default)]
pub struct OaSendRequest {
    pub touser: String,
    pub template_id: String,
    pub url: Option<String>,
    pub miniprogram: Option<MiniProgramTarget>,
    pub data: Option<SendData>,
    pub client_msg_id: Option<String>,
}

#[derive(Clone)]
pub struct OfficialService {
    store: Arc<dyn Store>,
    templates: TemplateService,
    sends: SendService,
}

pub(crate) fn require_official(caller: &Caller) -> Result<(), ServiceError> {
    if caller.kind != AppKind::OfficialAccount {
        return Err(ServiceError::ApiUnauthorized(
            "this API is for official_account apps",
        ));
    }
    Ok(())
}

fn industry_key(caller: &Caller) -> String {
    format!("industry:{}", caller.appid)
}

impl OfficialService {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        templates: TemplateService,
        sends: SendService,
    ) -> Self {
        Self {
            store,
            templates,
            sends,
        }
    }

    pub async fn set_industry(
        &self,
        caller: &Caller,
        first: u32,
        second: u32,
    ) -> Result<(), ServiceError> {
        require_official(caller)?;
        for id in [first, second] {
            industry(id).ok_or_else(|| {
                ParseError::new(
                    "industry_id",
                    format!("{id} is not an industry id (1 to 41)"),
                )
            })?;
        }
        self.store
            .put_setting(&industry_key(caller), &format!("{first},{second}"))
            .await?;
        Ok(())
    }

    /// The account's (primary, secondary) industries, once set.
    pub async fn industry(&self, caller: &Caller) -> Result<Option<(u32, u32)>, ServiceError> {
        require_official(caller)?;
        let raw = self.store.get_setting(&industry_key(caller)).await?;
        Ok(raw.and_then(|r| {
            let (a, b) = r.split_once(',')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        }))
    }

    /// Adds the library template with this short id to the account.
    pub async fn add_template(
        &self,
        caller: &Caller,
        short_id: &str,
    ) -> Result<Template, ServiceError> {
        require_official(caller)?;
        let title = oa_title(short_id).ok_or(ServiceError::NotFound("template_id_short"))?;
        self.templates
            .insert(
                caller,
                TitleId::parse(&title.id)?,
                title.title.clone(),
                title.keywords.clone(),
            )
            .await
    }

    /// The account's templates with their library entries.
    pub async fn templates(
        &self,
        caller: &Caller,
    ) -> Result<Vec<(Template, &'static OaTitle)>, ServiceError> {
        require_official(caller)?;
        let all = self
            .store
            .list_templates(&caller.appid, 0, MAX_TEMPLATES_PER_APP)
            .await?;
        Ok(all
            .into_iter()
            .filter_map(|t| oa_title(t.title_id.as_str()).map(|lib| (t, lib)))
            .collect())
    }

    pub async fn delete_template(&self, caller: &Caller, raw_id: &str) -> Result<(), ServiceError> {
        require_official(caller)?;
        self.templates.delete_own(caller, raw_id).await
    }

    /// `/cgi-bin/message/template/send`: to a follower, no grant. A repeated
    /// `client_msg_id` returns the first message's id without sending again.
    pub async fn send(&self, caller: &Caller, req: OaSendRequest) -> Result<i64, ServiceError> {
        require_official(caller)?;
        let openid = self.sends.recipient(caller, &req.touser).await?;
        let template = self.templates.get_own(caller, &req.template_id).await?;
        let url = req
            .url
            .as_deref()
            .filter(|u| !u.is_empty())
            .map(check_url)
            .transpose()
            .map_err(ServiceError::InvalidData)?;
        let rendered =
            render_data(&template, req.data, None, None).map_err(ServiceError::InvalidData)?;
        let client_msg_id = req.client_msg_id.filter(|c| !c.is_empty());
        if client_msg_id.as_ref().is_some_and(|c| c.len() > 64) {
            return Err(ServiceError::InvalidData(ParseError::new(
                "client_msg_id",
                "at most 64 characters",
            )));
        }
        let app = &caller.app;
        let single = Single {
            openid,
            rendered,
            page: req.miniprogram.map(|m| m.pagepath),
            url,
            grant: None,
            client_msg_id,
        };
        self.sends.commit(caller, app, &template, single).await
    }
}
