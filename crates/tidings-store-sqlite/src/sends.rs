//! The SQL of the library, templates, users, grants and messages.

use rusqlite::{params, Connection, OptionalExtension, Row};
use tidings_engine::{
    AppId, Grant, GrantId, LibraryTitle, Message, OpenId, Platform, Template, TemplateId,
    Timestamp, TitleId, User,
};
use tidings_store::rows::{
    grant_refusal, message_data, message_event, platform_pattern, read_event, single_spec,
    GrantRow, LibraryRow, MessageRow, TemplateRow, UserRow, MESSAGE_COLUMNS, TEMPLATE_COLUMNS,
    USER_COLUMNS,
};
use tidings_store::{NewMessage, SendOutcome, StoreResult, TemplateInsert};

use crate::backend;
use crate::kept::Kept;

pub(crate) fn library_row(r: &Row<'_>) -> rusqlite::Result<LibraryRow> {
    Ok(LibraryRow {
        id: r.get(0)?,
        num: r.get(1)?,
        title: r.get(2)?,
        keywords: r.get(3)?,
    })
}

fn template_row(r: &Row<'_>) -> rusqlite::Result<TemplateRow> {
    Ok(TemplateRow {
        template_id: r.get(0)?,
        appid: r.get(1)?,
        title_id: r.get(2)?,
        title: r.get(3)?,
        keywords: r.get(4)?,
        created_at: r.get(5)?,
    })
}

pub(crate) fn message_row(r: &Row<'_>) -> rusqlite::Result<MessageRow> {
    Ok(MessageRow {
        id: r.get(0)?,
        appid: r.get(1)?,
        openid: r.get(2)?,
        template_id: r.get(3)?,
        title: r.get(4)?,
        rows: r.get(5)?,
        emphasis: r.get(6)?,
        page: r.get(7)?,
        created_at: r.get(8)?,
        read_at: r.get(9)?,
        send_id: r.get(10)?,
        status: r.get(11)?,
        failed_reason: r.get(12)?,
        link_token: r.get(13)?,
        url: r.get(14)?,
        delivered_at: r.get(15)?,
        clicked_at: r.get(16)?,
        card: r.get(17)?,
        platforms: r.get(18)?,
        frame: r.get(19)?,
        link_secret: r.get(20)?,
    })
}

pub(crate) fn load_library(c: &Connection, titles: &[LibraryTitle]) -> StoreResult<u64> {
    let mut stmt = c
        .prepare_cached(
            "INSERT INTO library_titles (id, num, title, keywords) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
        )
        .map_err(backend)?;
    let mut added = 0;
    for t in titles {
        let row = LibraryRow::from_title(t);
        added += stmt
            .execute(params![row.id, row.num, row.title, row.keywords])
            .map_err(backend)? as u64;
    }
    Ok(added)
}

pub(crate) fn library_title(c: &Connection, id: &TitleId) -> StoreResult<Option<LibraryTitle>> {
    c.prepare_cached("SELECT id, num, title, keywords FROM library_titles WHERE id = ?1")
        .map_err(backend)?
        .query_row([id.as_str()], library_row)
        .optional()
        .map_err(backend)?
        .map(LibraryRow::into_title)
        .transpose()
}

pub(crate) fn insert_template(
    c: &Connection,
    t: &Template,
    max_per_app: u32,
) -> StoreResult<TemplateInsert> {
    let appid = t.appid.as_str();
    let exists: bool = c
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM apps WHERE appid = ?1)",
            [appid],
            |r| r.get(0),
        )
        .map_err(backend)?;
    if !exists {
        return Ok(TemplateInsert::NoApp);
    }
    let have: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM templates WHERE appid = ?1",
            [appid],
            |r| r.get(0),
        )
        .map_err(backend)?;
    if have >= i64::from(max_per_app) {
        return Ok(TemplateInsert::LimitReached);
    }
    let row = TemplateRow::from_template(t);
    c.prepare_cached(&format!(
        "INSERT INTO templates ({TEMPLATE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    ))
    .map_err(backend)?
    .execute(params![
        row.template_id,
        row.appid,
        row.title_id,
        row.title,
        row.keywords,
        row.created_at
    ])
    .map_err(backend)?;
    Ok(TemplateInsert::Inserted)
}

pub(crate) fn get_template(c: &Connection, id: &TemplateId) -> StoreResult<Option<Template>> {
    c.prepare_cached(&format!(
        "SELECT {TEMPLATE_COLUMNS} FROM templates WHERE template_id = ?1"
    ))
    .map_err(backend)?
    .query_row([id.as_str()], template_row)
    .optional()
    .map_err(backend)?
    .map(TemplateRow::into_template)
    .transpose()
}

pub(crate) fn list_templates(
    c: &Connection,
    appid: &AppId,
    offset: u32,
    count: u32,
) -> StoreResult<Vec<Template>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM templates WHERE appid = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![appid.as_str(), count, offset], template_row)
        .map_err(backend)?;
    rows.map(|r| r.map_err(backend).and_then(TemplateRow::into_template))
        .collect()
}

pub(crate) fn delete_template(c: &Connection, appid: &AppId, id: &TemplateId) -> StoreResult<bool> {
    let n = c
        .prepare_cached("DELETE FROM templates WHERE appid = ?1 AND template_id = ?2")
        .map_err(backend)?
        .execute([appid.as_str(), id.as_str()])
        .map_err(backend)?;
    Ok(n > 0)
}

pub(crate) fn insert_user(c: &Connection, u: &User) -> StoreResult<()> {
    let row = UserRow::from_user(u);
    c.prepare_cached(&format!(
        "INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"
    ))
    .map_err(backend)?
    .execute(params![
        row.appid,
        row.openid,
        row.nickname,
        row.profile,
        row.created_at
    ])
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn get_user(
    c: &Connection,
    appid: &AppId,
    openid: &OpenId,
) -> StoreResult<Option<User>> {
    c.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE appid = ?1 AND openid = ?2"
    ))
    .map_err(backend)?
    .query_row([appid.as_str(), openid.as_str()], crate::segments::user_row)
    .optional()
    .map_err(backend)?
    .map(UserRow::into_user)
    .transpose()
}

pub(crate) fn insert_grant(c: &Connection, g: &Grant) -> StoreResult<()> {
    let row = GrantRow::from_grant(g);
    c.prepare_cached(
        "INSERT INTO grants (grant_id, appid, openid, kind, remaining, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .map_err(backend)?
    .execute(params![
        row.grant_id,
        row.appid,
        row.openid,
        row.kind,
        row.remaining,
        row.created_at,
        row.expires_at
    ])
    .map_err(backend)?;
    Ok(())
}

/// A single send's JSON columns, encoded before the send reaches the
/// writer: every send waits in line for the writer's time, not for this.
pub(crate) struct Encoded {
    spec: String,
    rows: String,
}

impl Encoded {
    pub(crate) fn of(m: &NewMessage) -> Self {
        Self {
            spec: single_spec(m),
            rows: MessageRow::rows_json(m),
        }
    }
}

/// The statements every single send runs, kept prepared by the writer.
const USE_GRANT: &str = "UPDATE grants SET remaining = remaining - 1
     WHERE grant_id = ?1 AND appid = ?2 AND openid = ?3 AND remaining > 0 AND expires_at > ?4";
const INSERT_SINGLE_SEND: &str =
    "INSERT INTO sends (appid, kind, template_id, title, spec, state, expects, oks,
                       created_at, started_at, finished_at, client_msg_id, marketing_hits)
     VALUES (?1, 'single', ?2, ?3, ?4, 'finished', 1, 1, ?5, ?5, ?5, ?6, ?7)";
const INSERT_SINGLE_MESSAGE: &str =
    "INSERT INTO messages (appid, openid, template_id, title, rows, emphasis, page, grant_id,
                          created_at, send_id, status, link_secret, url, delivered_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'delivered', ?11, ?12, ?9)";

/// Runs in the writer's transaction as a bare job, so a refusal leaves
/// nothing behind: the grant's use, the one write before the last check,
/// is given back when that check refuses.
pub(crate) fn send_message(
    c: &Connection,
    kept: &Kept<'_>,
    m: &NewMessage,
    encoded: &Encoded,
) -> StoreResult<SendOutcome> {
    let now = m.created_at.as_millis();
    if let Some(key) = &m.client_msg_id {
        let first: Option<i64> = c
            .prepare_cached(
                "SELECT m.id FROM sends s JOIN messages m ON m.send_id = s.id
                 WHERE s.appid = ?1 AND s.client_msg_id = ?2",
            )
            .map_err(backend)?
            .query_row([m.appid.as_str(), key.as_str()], |r| r.get(0))
            .optional()
            .map_err(backend)?;
        if let Some(id) = first {
            return Ok(SendOutcome::Sent { id });
        }
    }
    if let Some(grant) = &m.grant {
        if let Some(refusal) = use_grant(c, kept, m, grant)? {
            return Ok(refusal);
        }
    }
    // The last check; a full day gives the grant's use back.
    if m.daily_limit == 0 || !count_send(kept, m)? {
        if let Some(grant) = &m.grant {
            give_back(c, grant)?;
        }
        return Ok(SendOutcome::LimitReached);
    }
    kept.with(INSERT_SINGLE_SEND, |s| {
        s.execute(params![
            m.appid.as_str(),
            m.template_id.as_str(),
            m.title,
            encoded.spec,
            now,
            m.client_msg_id,
            m.marketing_hits
        ])
    })
    .map_err(backend)?;
    let send_id = c.last_insert_rowid();
    kept.with(INSERT_SINGLE_MESSAGE, |s| {
        s.execute(params![
            m.appid.as_str(),
            m.openid.as_str(),
            m.template_id.as_str(),
            m.title,
            encoded.rows,
            m.emphasis.map(|e| e as i64),
            m.page,
            m.grant.as_ref().map(|g| g.as_str()),
            now,
            send_id,
            m.link_secret,
            m.url
        ])
    })
    .map_err(backend)?;
    let id = c.last_insert_rowid();
    if crate::events::has_webhooks(c, m.appid.as_str())? {
        let data = message_data(
            id,
            Some(send_id),
            m.appid.as_str(),
            m.openid.as_str(),
            m.template_id.as_str(),
            None,
        );
        for kind in ["message.accepted", "message.delivered"] {
            crate::events::emit(
                c,
                m.appid.as_str(),
                kind,
                &message_event(kind, m.created_at, data.clone()),
                m.created_at,
            )?;
        }
    }
    Ok(SendOutcome::Sent { id })
}

/// Uses one send of the message's grant, if it is the recipient's, not
/// used up and not expired; otherwise the refusal, and nothing written.
/// The usual case is one update by the grant's key.
fn use_grant(
    c: &Connection,
    kept: &Kept<'_>,
    m: &NewMessage,
    grant: &GrantId,
) -> StoreResult<Option<SendOutcome>> {
    let used = kept
        .with(USE_GRANT, |s| {
            s.execute(params![
                grant.as_str(),
                m.appid.as_str(),
                m.openid.as_str(),
                m.created_at.as_millis()
            ])
        })
        .map_err(backend)?;
    if used == 1 {
        return Ok(None);
    }
    // Refused: which refusal the stored grant tells.
    let stored = c
        .prepare_cached(
            "SELECT appid, openid, remaining, expires_at FROM grants WHERE grant_id = ?1",
        )
        .map_err(backend)?
        .query_row([grant.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()
        .map_err(backend)?;
    Ok(Some(grant_refusal(stored, m)))
}

/// Gives back the send [`use_grant`] took, for a send refused after it.
fn give_back(c: &Connection, grant: &GrantId) -> StoreResult<()> {
    c.prepare_cached("UPDATE grants SET remaining = remaining + 1 WHERE grant_id = ?1")
        .map_err(backend)?
        .execute([grant.as_str()])
        .map_err(backend)?;
    Ok(())
}

/// Counts the send in its app's day, unless the day is full: the last
/// check, so a full day leaves the counter as it was. The writer counts in
/// memory and writes each counter once a transaction (`day_counts.rs`).
fn count_send(kept: &Kept<'_>, m: &NewMessage) -> StoreResult<bool> {
    kept.count_day(m.appid.as_str(), m.day_start.as_millis(), m.daily_limit)
        .map_err(backend)
}

pub(crate) fn list_messages(
    c: &Connection,
    appid: &AppId,
    openid: &OpenId,
    platform: Option<Platform>,
    before: Option<i64>,
    limit: u32,
) -> StoreResult<Vec<Message>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM message_view
             WHERE appid = ?1 AND openid = ?2 AND id < ?3 AND status <> 'failed'
               AND (?5 IS NULL OR platforms LIKE ?5)
             ORDER BY id DESC LIMIT ?4"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map(
            params![
                appid.as_str(),
                openid.as_str(),
                before.unwrap_or(i64::MAX),
                limit,
                platform_pattern(platform)
            ],
            message_row,
        )
        .map_err(backend)?;
    rows.map(|r| r.map_err(backend).and_then(MessageRow::into_message))
        .collect()
}

pub(crate) fn mark_read(
    c: &Connection,
    appid: &AppId,
    openid: &OpenId,
    id: i64,
    now: Timestamp,
) -> StoreResult<Option<Message>> {
    let updated = c
        .prepare_cached(
            "UPDATE messages SET read_at = COALESCE(read_at, ?4),
                 status = CASE status WHEN 'delivered' THEN 'read' ELSE status END
             WHERE appid = ?1 AND openid = ?2 AND id = ?3 AND status <> 'failed'",
        )
        .map_err(backend)?
        .execute(params![
            appid.as_str(),
            openid.as_str(),
            id,
            now.as_millis()
        ])
        .map_err(backend)?;
    let message = match updated {
        0 => None,
        _ => c
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM message_view WHERE id = ?1"
            ))
            .map_err(backend)?
            .query_row([id], message_row)
            .optional()
            .map_err(backend)?
            .map(MessageRow::into_message)
            .transpose()?,
    };
    if let Some(payload) = message.as_ref().and_then(|m| read_event(m, now)) {
        crate::events::emit(c, appid.as_str(), "message.read", &payload, now)?;
    }
    Ok(message)
}
