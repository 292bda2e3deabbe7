//! The SQL of proposals, complaints, penalties and notices.

use rusqlite::{params, Connection, OptionalExtension, Row};
use tidings_engine::governance::{Complaint, Notice, Penalty, Proposal};
use tidings_engine::review::Verdict;
use tidings_engine::{AppId, Timestamp};
use tidings_store::governance_rows::{
    next_penalty, penalty_event, proposal_title, ComplaintRow, NoticeRow, PenaltyRow, ProposalRow,
    COMPLAINT_COLUMNS, NOTICE_COLUMNS, PENALTY_COLUMNS, PROPOSAL_COLUMNS,
};
use tidings_store::rows::LibraryRow;
use tidings_store::StoreResult;

use crate::backend;

fn proposal_row(r: &Row<'_>) -> rusqlite::Result<ProposalRow> {
    Ok(ProposalRow {
        id: r.get(0)?,
        appid: r.get(1)?,
        title: r.get(2)?,
        keywords: r.get(3)?,
        state: r.get(4)?,
        violations: r.get(5)?,
        title_id: r.get(6)?,
        created_at: r.get(7)?,
        decided_at: r.get(8)?,
    })
}

fn complaint_row(r: &Row<'_>) -> rusqlite::Result<ComplaintRow> {
    Ok(ComplaintRow {
        id: r.get(0)?,
        appid: r.get(1)?,
        openid: r.get(2)?,
        message_id: r.get(3)?,
        template_id: r.get(4)?,
        reason: r.get(5)?,
        text: r.get(6)?,
        state: r.get(7)?,
        created_at: r.get(8)?,
        decided_at: r.get(9)?,
    })
}

fn penalty_row(r: &Row<'_>) -> rusqlite::Result<PenaltyRow> {
    Ok(PenaltyRow {
        id: r.get(0)?,
        appid: r.get(1)?,
        nth: r.get(2)?,
        action: r.get(3)?,
        complaint_id: r.get(4)?,
        template_id: r.get(5)?,
        starts_at: r.get(6)?,
        ends_at: r.get(7)?,
    })
}

fn notice_row(r: &Row<'_>) -> rusqlite::Result<NoticeRow> {
    Ok(NoticeRow {
        id: r.get(0)?,
        appid: r.get(1)?,
        title: r.get(2)?,
        body: r.get(3)?,
        created_at: r.get(4)?,
    })
}

/// Adds the proposal's library title as the next `AT` number.
fn add_title(c: &Connection, p: &mut Proposal) -> StoreResult<()> {
    let num: i64 = c
        .query_row(
            "SELECT COALESCE(MAX(num), 0) + 1 FROM library_titles WHERE id LIKE 'AT%'",
            [],
            |r| r.get(0),
        )
        .map_err(backend)?;
    let title = proposal_title(p, num);
    let row = LibraryRow::from_title(&title);
    c.execute(
        "INSERT INTO library_titles (id, num, title, keywords) VALUES (?1, ?2, ?3, ?4)",
        params![row.id, row.num, row.title, row.keywords],
    )
    .map_err(backend)?;
    p.title_id = Some(title.id);
    Ok(())
}

pub(crate) fn create_proposal(c: &Connection, p: &Proposal) -> StoreResult<Proposal> {
    let mut p = p.clone();
    if p.state == Verdict::Approved {
        add_title(c, &mut p)?;
    }
    let r = ProposalRow::from_proposal(&p);
    p.id = c
        .prepare_cached(
            "INSERT INTO proposals (appid, title, keywords, state, violations, title_id, created_at, decided_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
        )
        .map_err(backend)?
        .query_row(
            params![r.appid, r.title, r.keywords, r.state, r.violations, r.title_id, r.created_at, r.decided_at],
            |row| row.get(0),
        )
        .map_err(backend)?;
    Ok(p)
}

pub(crate) fn get_proposal(c: &Connection, id: i64) -> StoreResult<Option<Proposal>> {
    c.prepare_cached(&format!(
        "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE id = ?1"
    ))
    .map_err(backend)?
    .query_row([id], proposal_row)
    .optional()
    .map_err(backend)?
    .map(ProposalRow::into_proposal)
    .transpose()
}

pub(crate) fn list_proposals(
    c: &Connection,
    state: Option<&str>,
    after: Option<i64>,
    limit: u32,
) -> StoreResult<Vec<Proposal>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE id > ?1 AND (?2 IS NULL OR state = ?2) ORDER BY id LIMIT ?3"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![after.unwrap_or(0), state, limit], proposal_row)
        .map_err(backend)?;
    rows.map(|r| r.map_err(backend).and_then(ProposalRow::into_proposal))
        .collect()
}

pub(crate) fn decide_proposal(
    c: &Connection,
    id: i64,
    approve: bool,
    now: Timestamp,
) -> StoreResult<Option<Proposal>> {
    let Some(mut p) = get_proposal(c, id)?.filter(|p| p.state == Verdict::Pending) else {
        return Ok(None);
    };
    if approve {
        add_title(c, &mut p)?;
    }
    p.decide(approve, now);
    let r = ProposalRow::from_proposal(&p);
    c.execute(
        "UPDATE proposals SET state = ?2, title_id = ?3, decided_at = ?4 WHERE id = ?1",
        params![id, r.state, r.title_id, r.decided_at],
    )
    .map_err(backend)?;
    Ok(Some(p))
}

fn complaint_where(
    c: &Connection,
    filter: &str,
    p: impl rusqlite::Params,
) -> StoreResult<Option<Complaint>> {
    c.prepare_cached(&format!(
        "SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE {filter}"
    ))
    .map_err(backend)?
    .query_row(p, complaint_row)
    .optional()
    .map_err(backend)?
    .map(ComplaintRow::into_complaint)
    .transpose()
}

pub(crate) fn create_complaint(c: &Connection, x: &Complaint) -> StoreResult<Complaint> {
    c.prepare_cached(
        "INSERT INTO complaints (appid, openid, message_id, template_id, reason, text, state, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7) ON CONFLICT (message_id) DO NOTHING",
    )
    .map_err(backend)?
    .execute(params![
        x.appid.as_str(),
        x.openid.as_str(),
        x.message_id,
        x.template_id,
        x.reason.as_str(),
        x.text,
        x.created_at.as_millis()
    ])
    .map_err(backend)?;
    complaint_where(c, "message_id = ?1", [x.message_id])?
        .ok_or_else(|| tidings_store::StoreError::Backend("complaint vanished".into()))
}

pub(crate) fn get_complaint(c: &Connection, id: i64) -> StoreResult<Option<Complaint>> {
    complaint_where(c, "id = ?1", [id])
}

pub(crate) fn list_complaints(
    c: &Connection,
    state: Option<&str>,
    after: Option<i64>,
    limit: u32,
) -> StoreResult<Vec<Complaint>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE id > ?1 AND (?2 IS NULL OR state = ?2) ORDER BY id LIMIT ?3"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![after.unwrap_or(0), state, limit], complaint_row)
        .map_err(backend)?;
    rows.map(|r| r.map_err(backend).and_then(ComplaintRow::into_complaint))
        .collect()
}

/// Moves a pending complaint to `state`; the complaint as it was, if it was pending.
fn decide(c: &Connection, id: i64, state: &str, now: Timestamp) -> StoreResult<Option<Complaint>> {
    let Some(mut x) = get_complaint(c, id)?.filter(|x| x.state == "pending") else {
        return Ok(None);
    };
    c.execute(
        "UPDATE complaints SET state = ?2, decided_at = ?3 WHERE id = ?1",
        params![id, state, now.as_millis()],
    )
    .map_err(backend)?;
    x.state = state.to_owned();
    x.decided_at = Some(now);
    Ok(Some(x))
}

pub(crate) fn dismiss_complaint(
    c: &Connection,
    id: i64,
    now: Timestamp,
) -> StoreResult<Option<Complaint>> {
    decide(c, id, "dismissed", now)
}

pub(crate) fn confirm_complaint(
    c: &Connection,
    id: i64,
    now: Timestamp,
) -> StoreResult<Option<Penalty>> {
    let Some(x) = decide(c, id, "confirmed", now)? else {
        return Ok(None);
    };
    let appid = x.appid.as_str();
    let done: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM penalties WHERE appid = ?1",
            [appid],
            |r| r.get(0),
        )
        .map_err(backend)?;
    let mut p = next_penalty(&x, done as u32 + 1, now);
    match p.ends_at {
        None => {
            c.execute(
                "DELETE FROM templates WHERE appid = ?1 AND template_id = ?2",
                params![appid, x.template_id],
            )
            .map_err(backend)?;
            c.execute(
                "DELETE FROM ws_templates WHERE appid = ?1 AND id = ?2",
                params![appid, x.template_id],
            )
            .map_err(backend)?;
        }
        Some(until) => {
            c.execute(
                "UPDATE apps SET banned_until = MAX(COALESCE(banned_until, 0), ?2), updated_at = ?3 WHERE appid = ?1",
                params![appid, until.as_millis(), now.as_millis()],
            )
            .map_err(backend)?;
        }
    }
    p.id = c
        .query_row(
            "INSERT INTO penalties (appid, nth, action, complaint_id, template_id, starts_at, ends_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
            params![appid, p.nth, p.action.as_str(), p.complaint_id, p.template_id, now.as_millis(), p.ends_at.map(Timestamp::as_millis)],
            |r| r.get(0),
        )
        .map_err(backend)?;
    let (title, body) = p.notice();
    insert_notice(c, &x.appid, &title, &body, now)?;
    if crate::events::has_webhooks(c, appid)? {
        crate::events::emit(c, appid, "app.penalized", &penalty_event(&p), now)?;
    }
    Ok(Some(p))
}

pub(crate) fn list_penalties(c: &Connection, appid: &AppId) -> StoreResult<Vec<Penalty>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {PENALTY_COLUMNS} FROM penalties WHERE appid = ?1 ORDER BY nth"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map([appid.as_str()], penalty_row)
        .map_err(backend)?;
    rows.map(|r| r.map_err(backend).and_then(PenaltyRow::into_penalty))
        .collect()
}

pub(crate) fn insert_notice(
    c: &Connection,
    appid: &AppId,
    title: &str,
    body: &str,
    now: Timestamp,
) -> StoreResult<Notice> {
    c.prepare_cached(&format!(
        "INSERT INTO notices (appid, title, body, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING {NOTICE_COLUMNS}"
    ))
    .map_err(backend)?
    .query_row(params![appid.as_str(), title, body, now.as_millis()], notice_row)
    .map_err(backend)?
    .into_notice()
}

pub(crate) fn list_notices(
    c: &Connection,
    appid: &AppId,
    before: Option<i64>,
    limit: u32,
) -> StoreResult<Vec<Notice>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {NOTICE_COLUMNS} FROM notices WHERE appid = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map(
            params![appid.as_str(), before.unwrap_or(i64::MAX), limit],
            notice_row,
        )
        .map_err(backend)?;
    rows.map(|r| r.map_err(backend).and_then(NoticeRow::into_notice))
        .collect()
}
