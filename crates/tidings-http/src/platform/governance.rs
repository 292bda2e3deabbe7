//! Governance over the platform API: library proposals, complaints, the
//! penalties and site messages (站内信) of an app.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tidings_engine::governance::{Complaint, ComplaintReason, Notice, Penalty, Proposal};
use tidings_engine::review::{ProposedKeyword, Violation};
use tidings_engine::{AppId, Timestamp};

use super::auth::Admin;
use super::error::{ApiError, ApiJson, ApiQuery};
use super::users::ids;
use crate::State;

fn millis(t: Option<Timestamp>) -> Option<i64> {
    t.map(Timestamp::as_millis)
}

#[derive(Serialize)]
pub struct ProposalView {
    id: i64,
    appid: Option<String>,
    title: String,
    keywords: Vec<ProposedKeyword>,
    state: tidings_engine::review::Verdict,
    violations: Vec<Violation>,
    /// The library title it became, once approved.
    title_id: Option<String>,
    created_at: i64,
    decided_at: Option<i64>,
}

impl From<Proposal> for ProposalView {
    fn from(p: Proposal) -> Self {
        Self {
            id: p.id,
            appid: p.appid.map(|a| a.as_str().to_owned()),
            title: p.title,
            keywords: p.keywords,
            state: p.state,
            violations: p.violations,
            title_id: p.title_id.map(|t| t.as_str().to_owned()),
            created_at: p.created_at.as_millis(),
            decided_at: millis(p.decided_at),
        }
    }
}

#[derive(Deserialize)]
pub struct ProposeBody {
    title: String,
    keywords: Vec<ProposedKeyword>,
    appid: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    after: Option<i64>,
    limit: Option<u32>,
}

#[derive(Serialize)]
pub struct Items<T> {
    items: Vec<T>,
}

pub async fn propose(
    axum::extract::State(state): State,
    _: Admin,
    ApiJson(body): ApiJson<ProposeBody>,
) -> Result<(StatusCode, Json<ProposalView>), ApiError> {
    let appid = body
        .appid
        .map(|a| AppId::parse(&a).map_err(|e| ApiError::invalid(e.to_string())))
        .transpose()?;
    let p = state
        .services
        .governance
        .propose(appid, body.title, body.keywords)
        .await?;
    Ok((StatusCode::CREATED, Json(p.into())))
}

pub async fn proposals(
    axum::extract::State(state): State,
    _: Admin,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Items<ProposalView>>, ApiError> {
    let items = state
        .services
        .governance
        .proposals(q.state.as_deref(), q.after, q.limit.unwrap_or(50))
        .await?;
    Ok(Json(Items {
        items: items.into_iter().map(ProposalView::from).collect(),
    }))
}

pub async fn proposal(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<i64>,
) -> Result<Json<ProposalView>, ApiError> {
    Ok(Json(state.services.governance.proposal(id).await?.into()))
}

pub async fn approve(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<i64>,
) -> Result<Json<ProposalView>, ApiError> {
    Ok(Json(
        state.services.governance.decide(id, true).await?.into(),
    ))
}

pub async fn reject(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<i64>,
) -> Result<Json<ProposalView>, ApiError> {
    Ok(Json(
        state.services.governance.decide(id, false).await?.into(),
    ))
}

#[derive(Serialize)]
pub struct ComplaintView {
    id: i64,
    appid: String,
    openid: String,
    message_id: i64,
    template_id: String,
    reason: ComplaintReason,
    text: Option<String>,
    /// pending, confirmed or dismissed.
    state: String,
    created_at: i64,
    decided_at: Option<i64>,
}

impl From<Complaint> for ComplaintView {
    fn from(c: Complaint) -> Self {
        Self {
            id: c.id,
            appid: c.appid.as_str().to_owned(),
            openid: c.openid.as_str().to_owned(),
            message_id: c.message_id,
            template_id: c.template_id,
            reason: c.reason,
            text: c.text,
            state: c.state,
            created_at: c.created_at.as_millis(),
            decided_at: millis(c.decided_at),
        }
    }
}

#[derive(Deserialize)]
pub struct ComplainBody {
    reason: String,
    text: Option<String>,
}

pub async fn complain(
    axum::extract::State(state): State,
    _: Admin,
    Path((appid, openid, id)): Path<(String, String, i64)>,
    ApiJson(body): ApiJson<ComplainBody>,
) -> Result<(StatusCode, Json<ComplaintView>), ApiError> {
    let (appid, openid) = ids(&appid, &openid)?;
    let reason =
        ComplaintReason::parse(&body.reason).map_err(|e| ApiError::invalid(e.to_string()))?;
    let c = state
        .services
        .governance
        .complain(&appid, &openid, id, reason, body.text)
        .await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

pub async fn complaints(
    axum::extract::State(state): State,
    _: Admin,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Items<ComplaintView>>, ApiError> {
    let items = state
        .services
        .governance
        .complaints(q.state.as_deref(), q.after, q.limit.unwrap_or(50))
        .await?;
    Ok(Json(Items {
        items: items.into_iter().map(ComplaintView::from).collect(),
    }))
}

pub async fn complaint(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<i64>,
) -> Result<Json<ComplaintView>, ApiError> {
    Ok(Json(state.services.governance.complaint(id).await?.into()))
}

#[derive(Serialize)]
pub struct PenaltyView {
    id: i64,
    appid: String,
    nth: u32,
    action: &'static str,
    complaint_id: Option<i64>,
    template_id: Option<String>,
    starts_at: i64,
    /// The end of a ban; absent for a deletion and for a permanent ban.
    ends_at: Option<i64>,
    permanent: bool,
}

impl From<Penalty> for PenaltyView {
    fn from(p: Penalty) -> Self {
        let permanent = p.ends_at == Some(tidings_engine::governance::FOREVER);
        Self {
            id: p.id,
            appid: p.appid.as_str().to_owned(),
            nth: p.nth,
            action: p.action.as_str(),
            complaint_id: p.complaint_id,
            template_id: p.template_id,
            starts_at: p.starts_at.as_millis(),
            ends_at: if permanent { None } else { millis(p.ends_at) },
            permanent,
        }
    }
}

#[derive(Serialize)]
pub struct Confirmed {
    complaint: ComplaintView,
    penalty: PenaltyView,
}

pub async fn confirm(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<i64>,
) -> Result<Json<Confirmed>, ApiError> {
    let penalty = state.services.governance.confirm(id).await?;
    let complaint = state.services.governance.complaint(id).await?;
    Ok(Json(Confirmed {
        complaint: complaint.into(),
        penalty: penalty.into(),
    }))
}

pub async fn dismiss(
    axum::extract::State(state): State,
    _: Admin,
    Path(id): Path<i64>,
) -> Result<Json<ComplaintView>, ApiError> {
    Ok(Json(state.services.governance.dismiss(id).await?.into()))
}

pub async fn penalties(
    axum::extract::State(state): State,
    _: Admin,
    Path(appid): Path<String>,
) -> Result<Json<Items<PenaltyView>>, ApiError> {
    let appid = super::users::appid(&appid)?;
    let items = state.services.governance.penalties(&appid).await?;
    Ok(Json(Items {
        items: items.into_iter().map(PenaltyView::from).collect(),
    }))
}

#[derive(Serialize)]
pub struct NoticeView {
    id: i64,
    title: String,
    body: String,
    created_at: i64,
}

impl From<Notice> for NoticeView {
    fn from(n: Notice) -> Self {
        Self {
            id: n.id,
            title: n.title,
            body: n.body,
            created_at: n.created_at.as_millis(),
        }
    }
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    before: Option<i64>,
    limit: Option<u32>,
}

pub async fn notices(
    axum::extract::State(state): State,
    _: Admin,
    Path(appid): Path<String>,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> Result<Json<Items<NoticeView>>, ApiError> {
    let appid = super::users::appid(&appid)?;
    let items = state
        .services
        .governance
        .notices(&appid, q.before, q.limit.unwrap_or(50))
        .await?;
    Ok(Json(Items {
        items: items.into_iter().map(NoticeView::from).collect(),
    }))
}
