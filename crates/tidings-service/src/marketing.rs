//! The marketing cloud's template messages: marketing templates over an
//! official account's templates, sent as segment sends of the delivery
//! engine, with statistics.

use std::sync::Arc;

use serde_json::Value;
use tidings_engine::marketing::normalize_content;
use tidings_engine::message::check_url;
use tidings_engine::{
    Audience, Clock, MarketingTemplate, Match, Message, MiniProgramTarget, ParseError, SendRecord,
    SendSpec,
};
use tidings_store::{Click, SendStats, Store};

use crate::official::require_official;
use crate::segments::{NewSegmentSend, SegmentService};
use crate::templates::TemplateService;
use crate::tokens::Caller;
use crate::ServiceError;

/// A marketing template as the caller describes it.
#[derive(Debug, Clone, Default)]
pub struct MarketingInput {
    pub wechat_official_account_id: Option<String>,
    pub template_id: String,
    pub inner_title: String,
    pub title: Option<String>,
    pub content: Value,
    pub url: Option<String>,
    pub miniprogram: Option<MiniProgramTarget>,
    pub tags_id: Vec<i64>,
    pub topcolor: Option<String>,
}

#[derive(Clone)]
pub struct MarketingService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    templates: TemplateService,
    segments: SegmentService,
}

impl MarketingService {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        templates: TemplateService,
        segments: SegmentService,
    ) -> Self {
        Self {
            store,
            clock,
            templates,
            segments,
        }
    }

    async fn build(
        &self,
        caller: &Caller,
        id: i64,
        input: MarketingInput,
    ) -> Result<MarketingTemplate, ServiceError> {
        require_official(caller)?;
        let template = self.templates.get_own(caller, &input.template_id).await?;
        if !template.is_official_account() {
            return Err(ServiceError::TemplateNotFound);
        }
        let inner_title = input.inner_title.trim().to_owned();
        if inner_title.is_empty() || inner_title.chars().count() > 64 {
            return Err(ParseError::new("inner_title", "must be 1 to 64 characters").into());
        }
        let content = normalize_content(&template, &input.content)?;
        let url = match input.url.as_deref().filter(|u| !u.is_empty()) {
            Some(u) => check_url(u)?,
            None => String::new(),
        };
        let topcolor = match input.topcolor.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => tidings_engine::message::parse_color(c)?,
            None => "#FF0000".to_owned(),
        };
        let now = self.clock.now();
        Ok(MarketingTemplate {
            id,
            appid: caller.appid.clone(),
            wechat_id: input
                .wechat_official_account_id
                .filter(|w| !w.is_empty())
                .unwrap_or_else(|| caller.appid.to_string()),
            inner_title,
            title: input
                .title
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| template.title.clone()),
            template_id: template.template_id.clone(),
            content,
            url,
            miniprogram: input.miniprogram,
            tags_id: input.tags_id,
            topcolor,
            created_at: now,
            updated_at: now,
        })
    }

    pub async fn create(
        &self,
        caller: &Caller,
        input: MarketingInput,
    ) -> Result<MarketingTemplate, ServiceError> {
        let mut t = self.build(caller, 0, input).await?;
        t.id = self.store.insert_marketing(&t).await?;
        Ok(t)
    }

    /// The library entry behind a marketing template's WeChat template
    /// (industries, examples); none once that template was deleted.
    pub async fn library_entry(
        &self,
        caller: &Caller,
        t: &MarketingTemplate,
    ) -> Option<&'static tidings_engine::official::OaTitle> {
        let template = self
            .templates
            .get_own(caller, t.template_id.as_str())
            .await
            .ok()?;
        tidings_engine::official::oa_title(template.title_id.as_str())
    }

    pub async fn get(&self, caller: &Caller, id: i64) -> Result<MarketingTemplate, ServiceError> {
        require_official(caller)?;
        self.store
            .get_marketing(&caller.appid, id)
            .await?
            .ok_or(ServiceError::NotFound("template message"))
    }

    pub async fn update(
        &self,
        caller: &Caller,
        id: i64,
        input: MarketingInput,
    ) -> Result<MarketingTemplate, ServiceError> {
        let old = self.get(caller, id).await?;
        let mut t = self.build(caller, id, input).await?;
        t.created_at = old.created_at;
        if !self.store.update_marketing(&t).await? {
            return Err(ServiceError::NotFound("template message"));
        }
        Ok(t)
    }

    pub async fn delete(&self, caller: &Caller, id: i64) -> Result<(), ServiceError> {
        require_official(caller)?;
        if !self.store.delete_marketing(&caller.appid, id).await? {
            return Err(ServiceError::NotFound("template message"));
        }
        Ok(())
    }

    pub async fn list(
        &self,
        caller: &Caller,
        title: Option<&str>,
        tag: Option<i64>,
        page: u32,
        page_size: u32,
    ) -> Result<(Vec<MarketingTemplate>, i64), ServiceError> {
        require_official(caller)?;
        let size = page_size.clamp(1, 100);
        let offset = page.max(1).saturating_sub(1).saturating_mul(size);
        Ok(self
            .store
            .list_marketing(&caller.appid, title, tag, offset, size)
            .await?)
    }

    /// Sends a marketing template to an audience (its tags by default).
    pub async fn send(
        &self,
        caller: &Caller,
        id: i64,
        audience: Option<Audience>,
    ) -> Result<SendRecord, ServiceError> {
        let t = self.get(caller, id).await?;
        let audience = match audience {
            Some(a) => a,
            None if !t.tags_id.is_empty() => Audience::Tags {
                tag_ids: t.tags_id.clone(),
                r#match: Match::Any,
            },
            None => {
                return Err(ParseError::new(
                    "audience",
                    "the template has no tags; name an audience",
                )
                .into())
            }
        };
        self.segments
            .create(
                &caller.appid,
                NewSegmentSend {
                    template_id: t.template_id.as_str().to_owned(),
                    spec: SendSpec {
                        data: Some(t.data()),
                        page: None,
                        url: (!t.url.is_empty()).then(|| t.url.clone()),
                        color: None,
                        emphasis_keyword: None,
                        audience: Some(audience),
                        miniprogram: t.miniprogram.clone(),
                        marketing_id: Some(t.id),
                        workspace: None,
                    },
                },
            )
            .await
    }

    /// The app's segment sends, newest first, with what happened after.
    pub async fn records(
        &self,
        caller: &Caller,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<(SendRecord, SendStats)>, ServiceError> {
        require_official(caller)?;
        let sends = self.segments.list(&caller.appid, before, limit).await?;
        let mut out = Vec::with_capacity(sends.len());
        for s in sends.into_iter().filter(|s| s.kind == "segment") {
            let stats = self.store.send_stats(s.id).await?;
            out.push((s, stats));
        }
        Ok(out)
    }

    async fn own_send(&self, caller: &Caller, send_id: i64) -> Result<SendRecord, ServiceError> {
        require_official(caller)?;
        let send = self.segments.get(send_id).await?;
        if send.appid != caller.appid {
            return Err(ServiceError::NotFound("send"));
        }
        Ok(send)
    }

    pub async fn send_detail(
        &self,
        caller: &Caller,
        send_id: i64,
        status: Option<&str>,
        after: Option<i64>,
        limit: u32,
    ) -> Result<(SendRecord, Vec<Message>), ServiceError> {
        let send = self.own_send(caller, send_id).await?;
        let items = self
            .segments
            .recipients(send_id, status, after, limit)
            .await?;
        Ok((send, items))
    }

    /// Clicks with the clicker's nickname.
    pub async fn click_detail(
        &self,
        caller: &Caller,
        send_id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<(Click, Option<String>)>, ServiceError> {
        self.own_send(caller, send_id).await?;
        let clicks = self.segments.clicks(send_id, after, limit).await?;
        let mut out = Vec::with_capacity(clicks.len());
        for c in clicks {
            let nickname = self
                .store
                .get_user(&caller.appid, &c.openid)
                .await?
                .and_then(|u| u.nickname);
            out.push((c, nickname));
        }
        Ok(out)
    }
}
