//! Governance: library proposals under automated review, complaints about
//! messages, the penalty ladder, site messages, and the checks every send
//! path makes (bans, the marketing scan).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tidings_engine::governance::{
    banned, Complaint, ComplaintReason, Notice, Penalty, Proposal, FOREVER,
};
use tidings_engine::review::{check_shape, marketing_hits, review, ProposedKeyword, Verdict};
use tidings_engine::{App, AppId, AppKind, Clock, OpenId, ParseError, TemplateId, Timestamp};
use tidings_store::Store;

use crate::apps::AppService;
use crate::templates::TemplateService;
use crate::ServiceError;

/// What the marketing scan does with a mini-program send that holds
/// marketing words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarketingScan {
    /// Count the hits on the send record.
    #[default]
    Count,
    /// Refuse the send.
    Block,
}

/// Refuses a send of an app whose send APIs a penalty bans.
pub(crate) fn ensure_not_banned(app: &App, now: Timestamp) -> Result<(), ServiceError> {
    match banned(app.banned_until, now) {
        None => Ok(()),
        Some(until) => Err(ServiceError::Banned {
            until: if until == FOREVER {
                "forever".to_owned()
            } else {
                format!("{} (UTC+8)", until.cst_datetime())
            },
        }),
    }
}

/// Scans a mini-program send's values; the number of hits, or a refusal
/// when the scan blocks.
pub(crate) fn scan<'a>(
    kind: AppKind,
    values: impl IntoIterator<Item = &'a str>,
    mode: MarketingScan,
) -> Result<i64, ServiceError> {
    if kind != AppKind::Miniprogram {
        return Ok(0);
    }
    let hits: Vec<&str> = values.into_iter().flat_map(marketing_hits).collect();
    if mode == MarketingScan::Block && !hits.is_empty() {
        return Err(ServiceError::MarketingContent(hits.join(", ")));
    }
    Ok(hits.len() as i64)
}

/// The string values of a send's `data` (`{"keyword1": {"value": …}}`).
pub(crate) fn data_values(data: Option<&serde_json::Value>) -> Vec<&str> {
    data.and_then(|d| d.as_object())
        .map(|m| {
            m.values()
                .filter_map(|e| e.get("value").and_then(|v| v.as_str()))
                .collect()
        })
        .unwrap_or_default()
}

/// The most items one list page holds.
pub const MAX_GOVERNANCE_PAGE: u32 = 200;

#[derive(Clone)]
pub struct GovernanceService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    apps: AppService,
    templates: TemplateService,
}

fn check_state(state: Option<&str>, allowed: &[&str]) -> Result<(), ServiceError> {
    match state {
        Some(s) if !allowed.contains(&s) => {
            Err(ParseError::new("state", format!("one of {}", allowed.join(", "))).into())
        }
        _ => Ok(()),
    }
}

impl GovernanceService {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        apps: AppService,
        templates: TemplateService,
    ) -> Self {
        Self {
            store,
            clock,
            apps,
            templates,
        }
    }

    /// Reviews a proposal against the library and stores it; an approved
    /// one is a library title at once.
    pub async fn propose(
        &self,
        appid: Option<AppId>,
        title: String,
        keywords: Vec<ProposedKeyword>,
    ) -> Result<Proposal, ServiceError> {
        check_shape(&title, &keywords)?;
        if let Some(a) = &appid {
            self.apps.get(a).await?;
        }
        let (existing, _) = self.store.library_page(0, u32::MAX, "").await?;
        let (state, violations) =
            review(&title, &keywords, existing.iter().map(|t| t.title.as_str()));
        let now = self.clock.now();
        let proposal = Proposal {
            id: 0,
            appid,
            title: title.trim().to_owned(),
            keywords,
            state,
            violations,
            title_id: None,
            created_at: now,
            decided_at: (state != Verdict::Pending).then_some(now),
        };
        Ok(self.store.create_proposal(&proposal).await?)
    }

    pub async fn proposal(&self, id: i64) -> Result<Proposal, ServiceError> {
        self.store
            .get_proposal(id)
            .await?
            .ok_or(ServiceError::NotFound("proposal"))
    }

    pub async fn proposals(
        &self,
        state: Option<&str>,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Proposal>, ServiceError> {
        check_state(state, &["approved", "rejected", "pending"])?;
        Ok(self
            .store
            .list_proposals(state, after, limit.clamp(1, MAX_GOVERNANCE_PAGE))
            .await?)
    }

    /// An admin's decision on a pending proposal; the proposing app is told.
    pub async fn decide(&self, id: i64, approve: bool) -> Result<Proposal, ServiceError> {
        let now = self.clock.now();
        let Some(p) = self.store.decide_proposal(id, approve, now).await? else {
            self.proposal(id).await?;
            return Err(ServiceError::Conflict("the proposal is not pending".into()));
        };
        if let Some(appid) = &p.appid {
            let (title, body) = if approve {
                (
                    "模板标题申请通过",
                    format!(
                        "标题“{}”已加入模板库（{}）。",
                        p.title,
                        p.title_id.as_ref().map(|t| t.as_str()).unwrap_or("")
                    ),
                )
            } else {
                (
                    "模板标题申请未通过",
                    format!("标题“{}”未通过审核。", p.title),
                )
            };
            self.store.insert_notice(appid, title, &body, now).await?;
        }
        Ok(p)
    }

    /// A recipient's complaint about one of their messages; one per message.
    pub async fn complain(
        &self,
        appid: &AppId,
        openid: &OpenId,
        message_id: i64,
        reason: ComplaintReason,
        text: Option<String>,
    ) -> Result<Complaint, ServiceError> {
        if text.as_deref().is_some_and(|t| t.chars().count() > 500) {
            return Err(ParseError::new("text", "at most 500 characters").into());
        }
        let message = self
            .store
            .list_messages(appid, openid, None, Some(message_id.saturating_add(1)), 1)
            .await?
            .into_iter()
            .find(|m| m.id == message_id)
            .ok_or(ServiceError::NotFound("message"))?;
        let complaint = Complaint {
            id: 0,
            appid: appid.clone(),
            openid: openid.clone(),
            message_id,
            template_id: message.template_id.as_str().to_owned(),
            reason,
            text,
            state: "pending".into(),
            created_at: self.clock.now(),
            decided_at: None,
        };
        Ok(self.store.create_complaint(&complaint).await?)
    }

    pub async fn complaint(&self, id: i64) -> Result<Complaint, ServiceError> {
        self.store
            .get_complaint(id)
            .await?
            .ok_or(ServiceError::NotFound("complaint"))
    }

    pub async fn complaints(
        &self,
        state: Option<&str>,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Complaint>, ServiceError> {
        check_state(state, &["pending", "confirmed", "dismissed"])?;
        Ok(self
            .store
            .list_complaints(state, after, limit.clamp(1, MAX_GOVERNANCE_PAGE))
            .await?)
    }

    /// Confirms a complaint: a violation of the app, which climbs its ladder.
    pub async fn confirm(&self, id: i64) -> Result<Penalty, ServiceError> {
        let Some(p) = self.store.confirm_complaint(id, self.clock.now()).await? else {
            self.complaint(id).await?;
            return Err(ServiceError::Conflict(
                "the complaint is not pending".into(),
            ));
        };
        self.apps.forget(&p.appid);
        if let Some(t) = p
            .template_id
            .as_deref()
            .and_then(|t| TemplateId::parse(t).ok())
        {
            self.templates.forget(&t);
        }
        tracing::warn!(appid = %p.appid, nth = p.nth, action = p.action.as_str(), "app penalized");
        Ok(p)
    }

    /// Dismisses a complaint; nothing else changes.
    pub async fn dismiss(&self, id: i64) -> Result<Complaint, ServiceError> {
        match self.store.dismiss_complaint(id, self.clock.now()).await? {
            Some(c) => Ok(c),
            None => {
                self.complaint(id).await?;
                Err(ServiceError::Conflict(
                    "the complaint is not pending".into(),
                ))
            }
        }
    }

    pub async fn penalties(&self, appid: &AppId) -> Result<Vec<Penalty>, ServiceError> {
        self.apps.get(appid).await?;
        Ok(self.store.list_penalties(appid).await?)
    }

    pub async fn notices(
        &self,
        appid: &AppId,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Notice>, ServiceError> {
        self.apps.get(appid).await?;
        Ok(self
            .store
            .list_notices(appid, before, limit.clamp(1, MAX_GOVERNANCE_PAGE))
            .await?)
    }
}
