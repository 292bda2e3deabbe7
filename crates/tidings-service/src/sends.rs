//! Sending a template message: every rule once, for every dialect.

use std::sync::Arc;

use tidings_engine::message::{check_page, new_link_secret, render_data};
use tidings_engine::{App, Clock, GrantId, OpenId, Rendered, SendData, Template};
use tidings_store::{NewMessage, SendOutcome, Store};

use crate::apps::AppService;
use crate::governance::{ensure_not_banned, scan, MarketingScan};
use crate::hub::InboxHub;
use crate::templates::{require_miniprogram, TemplateService};
use crate::tokens::Caller;
use crate::ServiceError;

/// A send as a dialect received it, fields still raw.
#[derive(Debug, Clone, Default)]
pub struct SendRequest {
    pub touser: String,
    pub template_id: String,
    pub page: Option<String>,
    pub form_id: Option<String>,
    pub data: Option<SendData>,
    pub color: Option<String>,
    pub emphasis_keyword: Option<String>,
}

#[derive(Clone)]
pub struct SendService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    apps: AppService,
    templates: TemplateService,
    hub: InboxHub,
    scan: MarketingScan,
}

impl SendService {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        apps: AppService,
        templates: TemplateService,
        hub: InboxHub,
        scan: MarketingScan,
    ) -> Self {
        Self {
            store,
            clock,
            apps,
            templates,
            hub,
            scan,
        }
    }

    /// A mini-program send: checks, in WeChat's order, the user (40003), the
    /// template (40037), the page (41030), the data (47001), then uses the
    /// grant (41028, 41029), counts the day (45009) and stores the message,
    /// atomically. Returns the message id.
    pub async fn send_miniprogram(
        &self,
        caller: &Caller,
        req: SendRequest,
    ) -> Result<i64, ServiceError> {
        require_miniprogram(caller)?;
        let openid = self.recipient(caller, &req.touser).await?;
        let template = self.templates.get_own(caller, &req.template_id).await?;
        let app = &caller.app;
        let page =
            check_page(req.page.as_deref(), &app.pages).map_err(ServiceError::InvalidPage)?;
        let rendered = render_data(
            &template,
            req.data,
            req.color.as_deref(),
            req.emphasis_keyword.as_deref(),
        )
        .map_err(ServiceError::InvalidData)?;
        let grant = req
            .form_id
            .as_deref()
            .filter(|f| !f.is_empty())
            .map(GrantId::parse)
            .transpose()
            .map_err(|_| ServiceError::GrantInvalid)?
            .ok_or(ServiceError::GrantInvalid)?;
        let single = Single {
            openid,
            rendered,
            page,
            url: None,
            grant: Some(grant),
            client_msg_id: None,
        };
        self.commit(caller, app, &template, single).await
    }

    /// The recipient of a single send: a user of the caller's app (40003).
    pub(crate) async fn recipient(
        &self,
        caller: &Caller,
        touser: &str,
    ) -> Result<OpenId, ServiceError> {
        let openid = OpenId::parse(touser).map_err(|_| ServiceError::UnknownUser)?;
        if !self.apps.has_user(&caller.appid, &openid).await? {
            return Err(ServiceError::UnknownUser);
        }
        Ok(openid)
    }

    /// Stores a checked single send in one commit (grant, day counter,
    /// record, message, events) and wakes the recipient's live inbox.
    pub(crate) async fn commit(
        &self,
        caller: &Caller,
        app: &App,
        template: &Template,
        single: Single,
    ) -> Result<i64, ServiceError> {
        let now = self.clock.now();
        ensure_not_banned(app, now)?;
        let marketing_hits = scan(
            app.kind,
            single.rendered.rows.iter().map(|r| r.value.as_str()),
            self.scan,
        )?;
        let message = Arc::new(NewMessage {
            appid: caller.appid.clone(),
            openid: single.openid,
            template_id: template.template_id.clone(),
            title: template.title.clone(),
            rows: single.rendered.rows,
            emphasis: single.rendered.emphasis,
            link_secret: (single.page.is_some() || single.url.is_some()).then(new_link_secret),
            page: single.page,
            url: single.url,
            grant: single.grant,
            created_at: now,
            day_start: now.quota_day_start(),
            daily_limit: app.send_limit(),
            client_msg_id: single.client_msg_id,
            marketing_hits,
        });
        // Two concurrent sends with one client_msg_id: the loser of the
        // unique index finds the winner's message on a second try.
        let outcome = match self.store.send_message(&message).await {
            Err(tidings_store::StoreError::Conflict(_)) if message.client_msg_id.is_some() => {
                self.store.send_message(&message).await?
            }
            other => other?,
        };
        match outcome {
            SendOutcome::Sent { id } => {
                self.hub.notify(&message.appid, &message.openid);
                Ok(id)
            }
            SendOutcome::GrantUnknown => Err(ServiceError::GrantInvalid),
            SendOutcome::GrantUsedUp => Err(ServiceError::GrantUsedUp),
            SendOutcome::LimitReached => Err(ServiceError::SendQuotaReached),
        }
    }
}

/// A single send, checked, before it is stored.
pub(crate) struct Single {
    pub(crate) openid: OpenId,
    pub(crate) rendered: Rendered,
    pub(crate) page: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) grant: Option<GrantId>,
    pub(crate) client_msg_id: Option<String>,
}
