//! Template message sends and their statistics.

use serde::{Deserialize, Serialize};
use tidings_engine::{Audience, SendRecord, Timestamp};

use super::envelope::{MkCaller, MkError, MkJson, MkOk, MkQuery};
use crate::State;

#[derive(Deserialize)]
pub struct SendBody {
    /// The marketing template's id.
    id: i64,
    /// Default: the template's tags, any of them.
    audience: Option<Audience>,
}

fn time(t: Option<Timestamp>) -> String {
    t.map(Timestamp::cst_datetime).unwrap_or_default()
}

#[derive(Serialize)]
pub struct Created {
    send_id: i64,
    state: &'static str,
    target_count: i64,
    create_time: String,
}

pub async fn create(
    axum::extract::State(state): State,
    MkCaller(caller): MkCaller,
    MkJson(b): MkJson<SendBody>,
) -> Result<MkOk<Created>, MkError> {
    let send = state
        .services
        .marketing
        .send(&caller, b.id, b.audience)
        .await?;
    Ok(MkOk(Created {
        send_id: send.id,
        state: send.state.as_str(),
        target_count: send.expects,
        create_time: send.created_at.cst_datetime(),
    }))
}

#[derive(Deserialize)]
pub struct PageQuery {
    send_id: Option<i64>,
    status: Option<String>,
    cursor: Option<i64>,
    page_size: Option<u32>,
}

#[derive(Serialize)]
pub struct Page<T> {
    list: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last one.
    next_cursor: Option<i64>,
}

fn page<T, U>(items: Vec<T>, size: u32, key: impl Fn(&T) -> i64, f: impl FnMut(T) -> U) -> Page<U> {
    let next_cursor = (items.len() == size as usize)
        .then(|| items.last().map(&key))
        .flatten();
    Page {
        list: items.into_iter().map(f).collect(),
        next_cursor,
    }
}

#[derive(Serialize)]
pub struct Record {
    send_id: i64,
    template_message_id: Option<i64>,
    title: String,
    state: &'static str,
    target_count: i64,
    sent: i64,
    failed: i64,
    read: i64,
    clicks: i64,
    unique_clickers: i64,
    create_time: String,
    start_time: String,
    finish_time: String,
}

pub async fn records(
    axum::extract::State(state): State,
    MkCaller(caller): MkCaller,
    MkQuery(q): MkQuery<PageQuery>,
) -> Result<MkOk<Page<Record>>, MkError> {
    let size = q.page_size.unwrap_or(20).clamp(1, 100);
    let rows = state
        .services
        .marketing
        .records(&caller, q.cursor, size)
        .await?;
    Ok(MkOk(page(
        rows,
        size,
        |(s, _): &(SendRecord, _)| s.id,
        |(s, st)| Record {
            send_id: s.id,
            template_message_id: s.spec.marketing_id,
            title: s.title,
            state: s.state.as_str(),
            target_count: s.expects,
            sent: s.oks,
            failed: s.fails,
            read: st.read,
            clicks: st.clicks,
            unique_clickers: st.unique_clickers,
            create_time: s.created_at.cst_datetime(),
            start_time: time(s.started_at),
            finish_time: time(s.finished_at),
        },
    )))
}

#[derive(Serialize)]
pub struct Recipient {
    openid: String,
    status: String,
    message_id: i64,
    failed_reason: Option<String>,
    delivered_time: String,
    read_time: String,
    click_time: String,
}

pub async fn detail(
    axum::extract::State(state): State,
    MkCaller(caller): MkCaller,
    MkQuery(q): MkQuery<PageQuery>,
) -> Result<MkOk<Page<Recipient>>, MkError> {
    let id = q
        .send_id
        .ok_or_else(|| MkError::invalid("send_id is required"))?;
    let size = q.page_size.unwrap_or(100).clamp(1, 1000);
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let (_, items) = state
        .services
        .marketing
        .send_detail(&caller, id, status, q.cursor, size)
        .await?;
    Ok(MkOk(page(
        items,
        size,
        |m| m.id,
        |m| Recipient {
            openid: m.openid.as_str().to_owned(),
            status: m.status,
            message_id: m.id,
            failed_reason: m.failed_reason,
            delivered_time: time(m.delivered_at),
            read_time: time(m.read_at),
            click_time: time(m.clicked_at),
        },
    )))
}

#[derive(Serialize)]
pub struct ClickRow {
    openid: String,
    nickname: String,
    click_time: String,
    url: String,
    message_id: i64,
}

pub async fn clicks(
    axum::extract::State(state): State,
    MkCaller(caller): MkCaller,
    MkQuery(q): MkQuery<PageQuery>,
) -> Result<MkOk<Page<ClickRow>>, MkError> {
    let id = q
        .send_id
        .ok_or_else(|| MkError::invalid("send_id is required"))?;
    let size = q.page_size.unwrap_or(100).clamp(1, 1000);
    let items = state
        .services
        .marketing
        .click_detail(&caller, id, q.cursor, size)
        .await?;
    Ok(MkOk(page(
        items,
        size,
        |(c, _)| c.id,
        |(c, nickname)| ClickRow {
            openid: c.openid.as_str().to_owned(),
            nickname: nickname.unwrap_or_default(),
            click_time: c.at.cst_datetime(),
            url: c.url,
            message_id: c.message_id,
        },
    )))
}
