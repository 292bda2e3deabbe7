//! Rows of proposals, complaints, penalties and notices, as both backends
//! read and write them, and the ladder step both take on a confirmation.

use tidings_engine::governance::{
    Complaint, ComplaintReason, Notice, Penalty, PenaltyAction, Proposal,
};
use tidings_engine::review::Verdict;
use tidings_engine::{AppId, Keyword, LibraryTitle, OpenId, Timestamp, TitleId};

use crate::{StoreError, StoreResult};

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

pub const PROPOSAL_COLUMNS: &str =
    "id, appid, title, keywords, state, violations, title_id, created_at, decided_at";
pub const COMPLAINT_COLUMNS: &str =
    "id, appid, openid, message_id, template_id, reason, text, state, created_at, decided_at";
pub const PENALTY_COLUMNS: &str =
    "id, appid, nth, action, complaint_id, template_id, starts_at, ends_at";
pub const NOTICE_COLUMNS: &str = "id, appid, title, body, created_at";

pub fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::Approved => "approved",
        Verdict::Rejected => "rejected",
        Verdict::Pending => "pending",
    }
}

fn verdict(raw: &str) -> StoreResult<Verdict> {
    Ok(match raw {
        "approved" => Verdict::Approved,
        "rejected" => Verdict::Rejected,
        "pending" => Verdict::Pending,
        other => return Err(corrupt("proposals.state", other)),
    })
}

pub struct ProposalRow {
    pub id: i64,
    pub appid: Option<String>,
    pub title: String,
    pub keywords: String,
    pub state: String,
    pub violations: String,
    pub title_id: Option<String>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

impl ProposalRow {
    pub fn from_proposal(p: &Proposal) -> Self {
        Self {
            id: p.id,
            appid: p.appid.as_ref().map(|a| a.as_str().to_owned()),
            title: p.title.clone(),
            keywords: serde_json::to_string(&p.keywords).expect("keywords serialize"),
            state: verdict_str(p.state).to_owned(),
            violations: serde_json::to_string(&p.violations).expect("violations serialize"),
            title_id: p.title_id.as_ref().map(|t| t.as_str().to_owned()),
            created_at: p.created_at.as_millis(),
            decided_at: p.decided_at.map(Timestamp::as_millis),
        }
    }

    pub fn into_proposal(self) -> StoreResult<Proposal> {
        Ok(Proposal {
            id: self.id,
            appid: self
                .appid
                .map(|a| AppId::parse(&a).map_err(|e| corrupt("proposals.appid", e)))
                .transpose()?,
            title: self.title,
            keywords: serde_json::from_str(&self.keywords)
                .map_err(|e| corrupt("proposals.keywords", e))?,
            state: verdict(&self.state)?,
            violations: serde_json::from_str(&self.violations)
                .map_err(|e| corrupt("proposals.violations", e))?,
            title_id: self
                .title_id
                .map(|t| TitleId::parse(&t).map_err(|e| corrupt("proposals.title_id", e)))
                .transpose()?,
            created_at: Timestamp::from_millis(self.created_at),
            decided_at: self.decided_at.map(Timestamp::from_millis),
        })
    }
}

/// The library title an approved proposal becomes, as the `num`th title.
pub fn proposal_title(p: &Proposal, num: i64) -> LibraryTitle {
    LibraryTitle {
        id: TitleId::numbered(num as u32),
        title: p.title.clone(),
        keywords: p
            .keywords
            .iter()
            .enumerate()
            .map(|(i, k)| Keyword {
                keyword_id: i as u32 + 1,
                name: k.name.trim().to_owned(),
                example: k.example.trim().to_owned(),
            })
            .collect(),
    }
}

pub struct ComplaintRow {
    pub id: i64,
    pub appid: String,
    pub openid: String,
    pub message_id: i64,
    pub template_id: String,
    pub reason: String,
    pub text: Option<String>,
    pub state: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

impl ComplaintRow {
    pub fn into_complaint(self) -> StoreResult<Complaint> {
        Ok(Complaint {
            id: self.id,
            appid: AppId::parse(&self.appid).map_err(|e| corrupt("complaints.appid", e))?,
            openid: OpenId::parse(&self.openid).map_err(|e| corrupt("complaints.openid", e))?,
            message_id: self.message_id,
            template_id: self.template_id,
            reason: ComplaintReason::parse(&self.reason)
                .map_err(|e| corrupt("complaints.reason", e))?,
            text: self.text,
            state: self.state,
            created_at: Timestamp::from_millis(self.created_at),
            decided_at: self.decided_at.map(Timestamp::from_millis),
        })
    }
}

pub struct PenaltyRow {
    pub id: i64,
    pub appid: String,
    pub nth: i64,
    pub action: String,
    pub complaint_id: Option<i64>,
    pub template_id: Option<String>,
    pub starts_at: i64,
    pub ends_at: Option<i64>,
}

impl PenaltyRow {
    pub fn into_penalty(self) -> StoreResult<Penalty> {
        Ok(Penalty {
            id: self.id,
            appid: AppId::parse(&self.appid).map_err(|e| corrupt("penalties.appid", e))?,
            nth: self.nth as u32,
            action: PenaltyAction::parse(&self.action)
                .map_err(|e| corrupt("penalties.action", e))?,
            complaint_id: self.complaint_id,
            template_id: self.template_id,
            starts_at: Timestamp::from_millis(self.starts_at),
            ends_at: self.ends_at.map(Timestamp::from_millis),
        })
    }
}

pub struct NoticeRow {
    pub id: i64,
    pub appid: String,
    pub title: String,
    pub body: String,
    pub created_at: i64,
}

impl NoticeRow {
    pub fn into_notice(self) -> StoreResult<Notice> {
        Ok(Notice {
            id: self.id,
            appid: AppId::parse(&self.appid).map_err(|e| corrupt("notices.appid", e))?,
            title: self.title,
            body: self.body,
            created_at: Timestamp::from_millis(self.created_at),
        })
    }
}

/// The penalty of an app's `nth` violation, confirmed at `now` (its id is
/// set when stored).
pub fn next_penalty(complaint: &Complaint, nth: u32, now: Timestamp) -> Penalty {
    let action = PenaltyAction::ladder(nth);
    Penalty {
        id: 0,
        appid: complaint.appid.clone(),
        nth,
        action,
        complaint_id: Some(complaint.id),
        template_id: Some(complaint.template_id.clone()),
        starts_at: now,
        ends_at: action.ban_until(now),
    }
}

/// The body of an `app.penalized` webhook event.
pub fn penalty_event(p: &Penalty) -> String {
    serde_json::json!({
        "type": "app.penalized",
        "timestamp": p.starts_at.as_millis(),
        "data": {
            "appid": p.appid.as_str(), "penalty_id": p.id, "nth": p.nth,
            "action": p.action.as_str(), "template_id": p.template_id,
            "starts_at": p.starts_at.as_millis(),
            "ends_at": p.ends_at.map(Timestamp::as_millis),
        },
    })
    .to_string()
}
