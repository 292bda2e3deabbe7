//! `/api/v1/apps/{appid}/users`: recipients, what their WeChat client does
//! (form submits, payments), and their inbox.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tidings_engine::{AppId, Grant, GrantKind, Message, OpenId, Platform, Row, User};
use tidings_service::NewUser;

use super::auth::Admin;
use super::error::{ApiError, ApiJson};
use crate::{AppState, State};

#[derive(Deserialize)]
pub struct CreateUser {
    openid: Option<OpenId>,
    nickname: Option<String>,
    /// Every other field is a profile field.
    #[serde(flatten)]
    profile: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
pub struct UserView {
    appid: AppId,
    openid: OpenId,
    nickname: Option<String>,
    profile: serde_json::Map<String, serde_json::Value>,
    created_at: i64,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            appid: u.appid,
            openid: u.openid,
            nickname: u.nickname,
            profile: u.profile,
            created_at: u.created_at.as_millis(),
        }
    }
}

/// An appid from the path, refused with 400.
pub(crate) fn appid(raw: &str) -> Result<AppId, ApiError> {
    AppId::parse(raw).map_err(|e| ApiError::invalid(e.to_string()))
}

pub(crate) fn ids(appid: &str, openid: &str) -> Result<(AppId, OpenId), ApiError> {
    Ok((
        self::appid(appid)?,
        OpenId::parse(openid).map_err(|e| ApiError::invalid(e.to_string()))?,
    ))
}

pub async fn create(
    axum::extract::State(state): State,
    _: Admin,
    Path(appid): Path<String>,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let appid = self::appid(&appid)?;
    let user = state
        .services
        .users
        .create(
            &appid,
            NewUser {
                openid: body.openid,
                nickname: body.nickname,
                profile: body.profile,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

pub async fn get(
    axum::extract::State(state): State,
    _: Admin,
    Path((appid, openid)): Path<(String, String)>,
) -> Result<Json<UserView>, ApiError> {
    let (appid, openid) = ids(&appid, &openid)?;
    Ok(Json(
        state.services.users.get(&appid, &openid).await?.into(),
    ))
}

#[derive(Serialize)]
pub struct FormSubmitted {
    form_id: String,
    expires_at: i64,
}

#[derive(Serialize)]
pub struct Paid {
    prepay_id: String,
    expires_at: i64,
}

async fn grant(
    state: &crate::AppState,
    appid: &str,
    openid: &str,
    kind: GrantKind,
) -> Result<Grant, ApiError> {
    let (appid, openid) = ids(appid, openid)?;
    Ok(state.services.users.grant(&appid, &openid, kind).await?)
}

/// The user submitted a form with report-submit: 1 send within 7 days.
pub async fn form_submit(
    axum::extract::State(state): State,
    _: Admin,
    Path((appid, openid)): Path<(String, String)>,
) -> Result<(StatusCode, Json<FormSubmitted>), ApiError> {
    let g = grant(&state, &appid, &openid, GrantKind::FormSubmit).await?;
    Ok((
        StatusCode::CREATED,
        Json(FormSubmitted {
            form_id: g.id.as_str().to_owned(),
            expires_at: g.expires_at.as_millis(),
        }),
    ))
}

/// The user paid: 3 sends within 7 days.
pub async fn payment(
    axum::extract::State(state): State,
    _: Admin,
    Path((appid, openid)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Paid>), ApiError> {
    let g = grant(&state, &appid, &openid, GrantKind::Payment).await?;
    Ok((
        StatusCode::CREATED,
        Json(Paid {
            prepay_id: g.id.as_str().to_owned(),
            expires_at: g.expires_at.as_millis(),
        }),
    ))
}

#[derive(Deserialize)]
pub struct InboxQuery {
    cursor: Option<i64>,
    limit: Option<u32>,
    /// ANDROID, IOS or PC: one message box of a workspace employee.
    platform: Option<String>,
}

/// A message as the recipient's inbox shows it.
#[derive(Serialize)]
pub struct MessageView {
    id: i64,
    template_id: String,
    title: String,
    rows: Vec<Row>,
    /// The emphasized keyword, shown large above the rows.
    emphasis: Option<Row>,
    page: Option<String>,
    url: Option<String>,
    /// The tracked link of the card's jump target (`/r/{token}`).
    link: Option<String>,
    /// delivered, read or clicked.
    status: String,
    send_id: Option<i64>,
    created_at: i64,
    read: bool,
    read_at: Option<i64>,
    clicked_at: Option<i64>,
    /// A workspace card: header, rows of aligned cells with styled spans,
    /// and action buttons whose `link` is tracked (`/r/{token}?a=N`).
    #[serde(skip_serializing_if = "Option::is_none")]
    card: Option<serde_json::Value>,
    /// The message boxes a workspace card landed in.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    platforms: Vec<Platform>,
}

/// A card with each action's tracked link beside its URL.
fn tracked_card(card: Option<serde_json::Value>, token: Option<&str>) -> Option<serde_json::Value> {
    let mut card = card?;
    if let (Some(actions), Some(token)) = (
        card.get_mut("actions").and_then(|a| a.as_array_mut()),
        token,
    ) {
        for (i, a) in actions.iter_mut().enumerate() {
            a["link"] = serde_json::Value::String(format!("/r/{token}?a={i}"));
        }
    }
    Some(card)
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        Self {
            id: m.id,
            template_id: m.template_id.as_str().to_owned(),
            emphasis: m.emphasis.and_then(|i| m.rows.get(i).cloned()),
            title: m.title,
            rows: m.rows,
            page: m.page,
            url: m.url,
            card: tracked_card(m.card, m.link_token.as_deref()),
            platforms: m.platforms,
            link: m.link_token.map(|t| format!("/r/{t}")),
            status: m.status,
            send_id: m.send_id,
            created_at: m.created_at.as_millis(),
            read: m.read_at.is_some(),
            read_at: m.read_at.map(|t| t.as_millis()),
            clicked_at: m.clicked_at.map(|t| t.as_millis()),
        }
    }
}

#[derive(Serialize)]
pub struct Inbox {
    items: Vec<MessageView>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    next_cursor: Option<i64>,
}

pub async fn messages(
    axum::extract::State(state): State,
    _: Admin,
    Path((appid, openid)): Path<(String, String)>,
    query: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Inbox>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    let (appid, openid) = ids(&appid, &openid)?;
    inbox_page(&state, &appid, &openid, q).await.map(Json)
}

/// One page of a user's inbox: for the platform API and the recipient's own.
pub(crate) async fn inbox_page(
    state: &AppState,
    appid: &AppId,
    openid: &OpenId,
    q: InboxQuery,
) -> Result<Inbox, ApiError> {
    let platform = q
        .platform
        .as_deref()
        .map(|p| Platform::parse(p).map_err(|e| ApiError::invalid(e.to_string())))
        .transpose()?;
    let limit = q
        .limit
        .unwrap_or(20)
        .clamp(1, tidings_service::MAX_INBOX_PAGE);
    let messages = state
        .services
        .inbox
        .list(appid, openid, platform, q.cursor, limit)
        .await?;
    let next_cursor = (messages.len() == limit as usize)
        .then(|| messages.last().map(|m| m.id))
        .flatten();
    Ok(Inbox {
        items: messages.into_iter().map(MessageView::from).collect(),
        next_cursor,
    })
}

pub async fn read(
    axum::extract::State(state): State,
    _: Admin,
    Path((appid, openid, id)): Path<(String, String, i64)>,
) -> Result<Json<MessageView>, ApiError> {
    let (appid, openid) = ids(&appid, &openid)?;
    Ok(Json(
        state
            .services
            .inbox
            .mark_read(&appid, &openid, id)
            .await?
            .into(),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NewPass {
    /// How long the pass opens the inbox: 30 days when absent, a year at most.
    ttl_secs: Option<u64>,
}

/// A pass, shown once: the link opens the recipient's inbox in a browser.
#[derive(Serialize)]
pub struct PassView {
    token: String,
    url: String,
    expires_at: i64,
}

/// `POST …/users/{openid}/inbox-passes`: a link the recipient opens their
/// own inbox with (`/inbox#pass=…`). Only the token's hash is stored.
pub async fn issue_pass(
    axum::extract::State(state): State,
    _: Admin,
    Path((appid, openid)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<PassView>), ApiError> {
    let (appid, openid) = ids(&appid, &openid)?;
    // The body is optional: none, or `{"ttl_secs": …}`.
    let NewPass { ttl_secs } = if body.iter().all(u8::is_ascii_whitespace) {
        NewPass::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid(e.to_string()))?
    };
    let (token, pass) = state
        .services
        .inbox
        .issue_pass(
            &appid,
            &openid,
            ttl_secs.map(std::time::Duration::from_secs),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(PassView {
            url: format!("/inbox#pass={}", token.expose()),
            token: token.expose().to_owned(),
            expires_at: pass.expires_at.as_millis(),
        }),
    ))
}
