//! Segment sends: one template to an audience, personalized per recipient,
//! delivered by the worker as a resumable job. Also send records, their
//! recipients and clicks, for single sends and segment sends alike.

use std::sync::Arc;

use tidings_engine::message::{check_page, check_url, render, LinkTarget};
use tidings_engine::{AppId, AppKind, Clock, Message, SendRecord, SendSpec};
use tidings_store::{Click, NewSend, Store, TimelineBucket};
use tokio::sync::Notify;

use crate::apps::AppService;
use crate::templates::TemplateService;
use crate::tokens::Caller;
use crate::ServiceError;

/// A segment send as submitted.
#[derive(Debug, Clone)]
pub struct NewSegmentSend {
    pub template_id: String,
    pub spec: SendSpec,
}

#[derive(Clone)]
pub struct SegmentService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    apps: AppService,
    templates: TemplateService,
    wake: Arc<Notify>,
    scan: crate::governance::MarketingScan,
}

/// Statuses a recipient can be in.
pub const RECIPIENT_STATUSES: [&str; 4] = ["delivered", "read", "clicked", "failed"];

/// The most buckets one timeline holds.
pub const MAX_TIMELINE_BUCKETS: u32 = 1000;

impl SegmentService {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        apps: AppService,
        templates: TemplateService,
        wake: Arc<Notify>,
        scan: crate::governance::MarketingScan,
    ) -> Self {
        Self {
            store,
            clock,
            apps,
            templates,
            wake,
            scan,
        }
    }

    /// Checks the send once (template, target, data with placeholders as
    /// they are), counts the audience and queues the job.
    pub async fn create(
        &self,
        appid: &AppId,
        new: NewSegmentSend,
    ) -> Result<SendRecord, ServiceError> {
        let app = self.apps.get(appid).await?;
        crate::governance::ensure_not_banned(&app, self.clock.now())?;
        let caller = Caller::from(&app);
        let template = self.templates.get_own(&caller, &new.template_id).await?;
        let mut spec = new.spec;
        let audience = spec
            .audience
            .clone()
            .ok_or_else(|| tidings_engine::ParseError::new("audience", "is required"))?;
        audience.check()?;
        spec.page = match (&spec.miniprogram, app.kind) {
            // An official account's card opens another app's page, unchecked here.
            (Some(mp), AppKind::OfficialAccount) => Some(mp.pagepath.clone()),
            _ => check_page(spec.page.as_deref(), &app.pages).map_err(ServiceError::InvalidPage)?,
        };
        spec.url = spec
            .url
            .as_deref()
            .filter(|u| !u.is_empty())
            .map(check_url)
            .transpose()?;
        if app.kind != AppKind::Miniprogram && spec.page.is_some() {
            return Err(tidings_engine::ParseError::new(
                "page",
                "only miniprogram apps have pages",
            )
            .into());
        }
        render(
            &template,
            spec.data.as_ref(),
            spec.color.as_deref(),
            spec.emphasis_keyword.as_deref(),
        )
        .map_err(ServiceError::InvalidData)?;
        let marketing_hits = crate::governance::scan(
            app.kind,
            crate::governance::data_values(spec.data.as_ref()),
            self.scan,
        )?;
        let expects = self.store.count_audience(appid, &audience).await?;
        let send = self
            .store
            .create_send(&NewSend {
                appid: appid.clone(),
                template_id: template.template_id.clone(),
                title: template.title.clone(),
                spec,
                expects,
                created_at: self.clock.now(),
                lease: None,
                marketing_hits,
            })
            .await?;
        self.wake.notify_one();
        Ok(send)
    }

    pub async fn get(&self, id: i64) -> Result<SendRecord, ServiceError> {
        self.store
            .get_send(id)
            .await?
            .ok_or(ServiceError::NotFound("send"))
    }

    pub async fn list(
        &self,
        appid: &AppId,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<SendRecord>, ServiceError> {
        self.apps.get(appid).await?;
        Ok(self
            .store
            .list_sends(appid, before, limit.clamp(1, 100))
            .await?)
    }

    pub async fn cancel(&self, id: i64) -> Result<SendRecord, ServiceError> {
        self.store
            .cancel_send(id, self.clock.now())
            .await?
            .ok_or(ServiceError::NotFound("send"))
    }

    pub async fn recipients(
        &self,
        id: i64,
        status: Option<&str>,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Message>, ServiceError> {
        if let Some(s) = status {
            if !RECIPIENT_STATUSES.contains(&s) {
                return Err(tidings_engine::ParseError::new(
                    "status",
                    "delivered, read, clicked or failed",
                )
                .into());
            }
        }
        self.get(id).await?;
        Ok(self
            .store
            .list_recipients(id, status, after, limit.clamp(1, 1000))
            .await?)
    }

    pub async fn clicks(
        &self,
        id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Click>, ServiceError> {
        self.get(id).await?;
        Ok(self
            .store
            .list_clicks(id, after, limit.clamp(1, 1000))
            .await?)
    }

    /// A send's sent, read and clicked counts per `bucket_secs` (1 s to 1
    /// day), oldest first, at most [`MAX_TIMELINE_BUCKETS`] buckets.
    pub async fn timeline(
        &self,
        id: i64,
        bucket_secs: u32,
    ) -> Result<Vec<TimelineBucket>, ServiceError> {
        if !(1..=86_400).contains(&bucket_secs) {
            return Err(
                tidings_engine::ParseError::new("bucket_secs", "must be 1 to 86400").into(),
            );
        }
        self.get(id).await?;
        Ok(self
            .store
            .send_timeline(id, i64::from(bucket_secs) * 1000, MAX_TIMELINE_BUCKETS)
            .await?)
    }

    /// Follows a tracking link (or a card's `action`th button): records the
    /// click, returns where it goes.
    pub async fn follow(
        &self,
        token: &str,
        action: Option<usize>,
        user_agent: Option<&str>,
    ) -> Result<(Message, LinkTarget), ServiceError> {
        if !tidings_engine::message::is_link_token(token) {
            return Err(ServiceError::NotFound("link"));
        }
        let message = self
            .store
            .message_by_link(token)
            .await?
            .ok_or(ServiceError::NotFound("link"))?;
        let target = match action {
            Some(i) => message.action_target(i),
            None => message.target(),
        }
        .ok_or(ServiceError::NotFound("link"))?;
        let url = match &target {
            LinkTarget::Url(u) | LinkTarget::Page(u) => u.clone(),
        };
        let ua = user_agent.map(|u| u.chars().take(512).collect::<String>());
        self.store
            .record_click(&message, &url, ua.as_deref(), self.clock.now())
            .await?;
        Ok((message, target))
    }
}
