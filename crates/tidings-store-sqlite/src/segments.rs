//! The SQL of imports, tags, segment sends, recipients and clicks.

use rusqlite::{params, Connection, OptionalExtension, Row};
use tidings_engine::{
    AppId, Audience, Message, OpenId, Platform, SendRecord, Tag, Timestamp, User,
};
use tidings_store::links::{followed, link_key, LinkKey};
use tidings_store::rows::{
    audience_sql, card_column, chunk_events, click_event, finished_event, platform_pattern,
    spec_json, AudienceParams, ClickRow, MessageRow, SendRow, TagRow, UserRow, CLICK_COLUMNS,
    MESSAGE_COLUMNS, SEND_COLUMNS, USER_COLUMNS,
};
use tidings_store::{ChunkOutcome, Click, NewSend, SendAtCommit, StoreResult};

use crate::backend;
use crate::chunk_insert::StoredChunk;
use crate::sends::message_row;

fn send_row(r: &Row<'_>) -> rusqlite::Result<SendRow> {
    Ok(SendRow {
        id: r.get(0)?,
        appid: r.get(1)?,
        kind: r.get(2)?,
        template_id: r.get(3)?,
        title: r.get(4)?,
        spec: r.get(5)?,
        state: r.get(6)?,
        expects: r.get(7)?,
        oks: r.get(8)?,
        fails: r.get(9)?,
        cursor: r.get(10)?,
        created_at: r.get(11)?,
        started_at: r.get(12)?,
        finished_at: r.get(13)?,
        claim: r.get(14)?,
        marketing_hits: r.get(15)?,
    })
}

fn tag_row(r: &Row<'_>) -> rusqlite::Result<TagRow> {
    Ok(TagRow {
        id: r.get(0)?,
        appid: r.get(1)?,
        name: r.get(2)?,
        created_at: r.get(3)?,
    })
}

pub(crate) fn user_row(r: &Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        appid: r.get(0)?,
        openid: r.get(1)?,
        nickname: r.get(2)?,
        profile: r.get(3)?,
        created_at: r.get(4)?,
    })
}

fn click_row(r: &Row<'_>) -> rusqlite::Result<ClickRow> {
    Ok(ClickRow {
        id: r.get(0)?,
        message_id: r.get(1)?,
        send_id: r.get(2)?,
        openid: r.get(3)?,
        url: r.get(4)?,
        at: r.get(5)?,
        user_agent: r.get(6)?,
    })
}

/// The audience list parameter, unnested.
const JSON_LIST: &str = "SELECT value FROM json_each(?4)";

fn openid_list(openids: &[OpenId]) -> String {
    let raw: Vec<&str> = openids.iter().map(OpenId::as_str).collect();
    serde_json::to_string(&raw).expect("strings serialize")
}

pub(crate) fn upsert_users(c: &Connection, users: &[User]) -> StoreResult<u64> {
    let mut stmt = c
        .prepare_cached(&format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (appid, openid) DO UPDATE SET nickname = excluded.nickname, profile = excluded.profile"
        ))
        .map_err(backend)?;
    let mut n = 0;
    for u in users {
        let row = UserRow::from_user(u);
        n += stmt
            .execute(params![
                row.appid,
                row.openid,
                row.nickname,
                row.profile,
                row.created_at
            ])
            .map_err(backend)? as u64;
    }
    Ok(n)
}

pub(crate) fn create_tag(
    c: &Connection,
    appid: &AppId,
    name: &str,
    now: Timestamp,
) -> StoreResult<Tag> {
    c.prepare_cached(
        "INSERT INTO tags (appid, name, created_at) VALUES (?1, ?2, ?3) RETURNING id, appid, name, created_at",
    )
    .map_err(backend)?
    .query_row(params![appid.as_str(), name, now.as_millis()], tag_row)
    .map_err(backend)?
    .into_tag()
}

pub(crate) fn list_tags(c: &Connection, appid: &AppId) -> StoreResult<Vec<Tag>> {
    let mut stmt = c
        .prepare_cached("SELECT id, appid, name, created_at FROM tags WHERE appid = ?1 ORDER BY id")
        .map_err(backend)?;
    let rows = stmt.query_map([appid.as_str()], tag_row).map_err(backend)?;
    rows.map(|r| r.map_err(backend).and_then(TagRow::into_tag))
        .collect()
}

pub(crate) fn rename_tag(
    c: &Connection,
    appid: &AppId,
    id: i64,
    name: &str,
) -> StoreResult<Option<Tag>> {
    c.prepare_cached(
        "UPDATE tags SET name = ?3 WHERE appid = ?1 AND id = ?2 RETURNING id, appid, name, created_at",
    )
    .map_err(backend)?
    .query_row(params![appid.as_str(), id, name], tag_row)
    .optional()
    .map_err(backend)?
    .map(TagRow::into_tag)
    .transpose()
}

pub(crate) fn delete_tag(c: &Connection, appid: &AppId, id: i64) -> StoreResult<bool> {
    let n = c
        .prepare_cached("DELETE FROM tags WHERE appid = ?1 AND id = ?2")
        .map_err(backend)?
        .execute(params![appid.as_str(), id])
        .map_err(backend)?;
    Ok(n > 0)
}

pub(crate) fn tag_users(
    c: &Connection,
    appid: &AppId,
    tag_id: i64,
    openids: &[OpenId],
) -> StoreResult<u64> {
    let n = c
        .prepare_cached(
            "INSERT INTO user_tags (appid, openid, tag_id)
             SELECT u.appid, u.openid, t.id FROM users u JOIN tags t ON t.appid = u.appid
             WHERE u.appid = ?1 AND t.id = ?2 AND u.openid IN (SELECT value FROM json_each(?3))
             ON CONFLICT DO NOTHING",
        )
        .map_err(backend)?
        .execute(params![appid.as_str(), tag_id, openid_list(openids)])
        .map_err(backend)?;
    Ok(n as u64)
}

pub(crate) fn untag_users(
    c: &Connection,
    appid: &AppId,
    tag_id: i64,
    openids: &[OpenId],
) -> StoreResult<u64> {
    let n = c
        .prepare_cached(
            "DELETE FROM user_tags WHERE appid = ?1 AND tag_id = ?2
             AND openid IN (SELECT value FROM json_each(?3))",
        )
        .map_err(backend)?
        .execute(params![appid.as_str(), tag_id, openid_list(openids)])
        .map_err(backend)?;
    Ok(n as u64)
}

fn one_send(
    c: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
) -> StoreResult<Option<SendRecord>> {
    c.prepare_cached(sql)
        .map_err(backend)?
        .query_row(p, send_row)
        .optional()
        .map_err(backend)?
        .map(SendRow::into_send)
        .transpose()
}

pub(crate) fn create_send(c: &Connection, s: &NewSend) -> StoreResult<SendRecord> {
    one_send(
        c,
        &format!(
            "INSERT INTO sends (appid, kind, template_id, title, spec, state, expects, created_at,
                                claim, lease_until, started_at, marketing_hits)
             VALUES (?1, 'segment', ?2, ?3, ?4, CASE WHEN ?7 IS NULL THEN 'queued' ELSE 'running' END,
                     ?5, ?6, ?7, ?8, CASE WHEN ?7 IS NULL THEN NULL ELSE ?6 END, ?9)
             RETURNING {SEND_COLUMNS}"
        ),
        params![
            s.appid.as_str(),
            s.template_id.as_str(),
            s.title,
            spec_json(&s.spec),
            s.expects,
            s.created_at.as_millis(),
            s.lease.as_ref().map(|l| l.0.as_str()),
            s.lease.as_ref().map(|l| l.1.as_millis()),
            s.marketing_hits
        ],
    )?
    .ok_or_else(|| tidings_store::StoreError::Backend("insert returned no row".into()))
}

pub(crate) fn get_send(c: &Connection, id: i64) -> StoreResult<Option<SendRecord>> {
    one_send(
        c,
        &format!("SELECT {SEND_COLUMNS} FROM sends WHERE id = ?1"),
        [id],
    )
}

pub(crate) fn list_sends(
    c: &Connection,
    appid: &AppId,
    before: Option<i64>,
    limit: u32,
) -> StoreResult<Vec<SendRecord>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {SEND_COLUMNS} FROM sends WHERE appid = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map(
            params![appid.as_str(), before.unwrap_or(i64::MAX), limit],
            send_row,
        )
        .map_err(backend)?;
    rows.map(|r| r.map_err(backend).and_then(SendRow::into_send))
        .collect()
}

pub(crate) fn cancel_send(
    c: &Connection,
    id: i64,
    now: Timestamp,
) -> StoreResult<Option<SendRecord>> {
    c.execute(
        "UPDATE sends SET state = 'cancelled', finished_at = ?2, claim = NULL
         WHERE id = ?1 AND state IN ('queued', 'running')",
        params![id, now.as_millis()],
    )
    .map_err(backend)?;
    get_send(c, id)
}

/// The oldest send that is queued or whose lease ran out. Its first term
/// is the partial index's own (`sends_open`), so the search reads the open
/// sends only, not every send ever made.
fn claim_sql() -> String {
    format!(
        "UPDATE sends SET state = 'running', started_at = COALESCE(started_at, ?1),
             lease_until = ?2, claim = ?3
         WHERE id = (SELECT id FROM sends
                     WHERE state IN ('queued', 'running') AND (state = 'queued' OR lease_until < ?1)
                     ORDER BY id LIMIT 1)
         RETURNING {SEND_COLUMNS}"
    )
}

pub(crate) fn claim_send(
    c: &Connection,
    now: Timestamp,
    lease_until: Timestamp,
    claim: &str,
) -> StoreResult<Option<SendRecord>> {
    one_send(
        c,
        &claim_sql(),
        params![now.as_millis(), lease_until.as_millis(), claim],
    )
}

pub(crate) fn count_audience(
    c: &Connection,
    appid: &AppId,
    audience: &Audience,
) -> StoreResult<i64> {
    let (sql, extra) = audience_sql(audience, "openid", JSON_LIST, JSON_LIST);
    let sql = format!("SELECT COUNT(*) FROM ({})", sql.replace("{p}", "?"));
    let mut stmt = c.prepare_cached(&sql).map_err(backend)?;
    let n = match extra {
        AudienceParams::None => stmt.query_row(params![appid.as_str(), "", i64::MAX], |r| r.get(0)),
        AudienceParams::List(list) => {
            stmt.query_row(params![appid.as_str(), "", i64::MAX, list], |r| r.get(0))
        }
    };
    n.map_err(backend)
}

pub(crate) fn audience_page(
    c: &Connection,
    appid: &AppId,
    audience: &Audience,
    after: Option<&str>,
    limit: u32,
) -> StoreResult<Vec<User>> {
    let (sql, extra) = audience_sql(audience, USER_COLUMNS, JSON_LIST, JSON_LIST);
    let mut stmt = c
        .prepare_cached(&sql.replace("{p}", "?"))
        .map_err(backend)?;
    let after = after.unwrap_or("");
    let rows: Vec<UserRow> = match extra {
        AudienceParams::None => stmt
            .query_map(params![appid.as_str(), after, limit], user_row)
            .map_err(backend)?
            .collect::<Result<_, _>>(),
        AudienceParams::List(list) => stmt
            .query_map(params![appid.as_str(), after, limit, list], user_row)
            .map_err(backend)?
            .collect::<Result<_, _>>(),
    }
    .map_err(backend)?;
    rows.into_iter().map(UserRow::into_user).collect()
}

/// Runs in the writer's transaction: the chunk's messages, the counts and
/// the cursor are one commit.
/// The send's frame, read before a chunk's rows are split against it.
pub(crate) fn send_frame(c: &Connection, send_id: i64) -> StoreResult<Option<String>> {
    c.prepare_cached("SELECT frame FROM sends WHERE id = ?1")
        .map_err(backend)?
        .query_row([send_id], |r| r.get(0))
        .optional()
        .map(Option::flatten)
        .map_err(backend)
}

pub(crate) fn commit_chunk(c: &Connection, job: &StoredChunk) -> StoreResult<ChunkOutcome> {
    let chunk = &job.head;
    let s = &chunk.send;
    let found = c
        .prepare_cached("SELECT state, claim, frame, cursor FROM sends WHERE id = ?1")
        .map_err(backend)?
        .query_row([s.id], |r| {
            Ok(SendAtCommit {
                state: r.get(0)?,
                claim: r.get(1)?,
                frame: r.get(2)?,
                cursor: r.get(3)?,
            })
        })
        .optional()
        .map_err(backend)?;
    if let Some(outcome) = chunk.refusal(found, job.read_frame.as_deref()) {
        return Ok(outcome);
    }
    let now = chunk.now.as_millis();
    let events = crate::events::has_webhooks(c, s.appid.as_str())?;
    let (oks, fails) = if events {
        insert_with_events(c, job)?
    } else {
        crate::chunk_insert::insert_messages(c, job)?
    };
    c.prepare_cached(
        "UPDATE sends SET cursor = ?2, oks = oks + ?3, fails = fails + ?4, lease_until = ?5,
             state = CASE WHEN ?6 THEN 'finished' ELSE 'running' END,
             finished_at = CASE WHEN ?6 THEN ?7 ELSE NULL END,
             claim = CASE WHEN ?6 THEN NULL ELSE claim END,
             frame = ?8, page = ?9, url = ?10, card = ?11
         WHERE id = ?1",
    )
    .map_err(backend)?
    .execute(params![
        s.id,
        chunk.cursor,
        oks,
        fails,
        chunk.lease_until.as_millis(),
        chunk.done,
        now,
        job.frame,
        s.spec.page,
        s.spec.url,
        card_column(&s.spec)
    ])
    .map_err(backend)?;
    if events && chunk.done {
        let (expects, total_oks, total_fails): (i64, i64, i64) = c
            .query_row(
                "SELECT expects, oks, fails FROM sends WHERE id = ?1",
                [s.id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(backend)?;
        let payload = finished_event(
            s.id,
            s.appid.as_str(),
            expects,
            total_oks,
            total_fails,
            chunk.now,
        );
        crate::events::emit(c, s.appid.as_str(), "send.finished", &payload, chunk.now)?;
    }
    Ok(ChunkOutcome::Committed { oks, fails })
}

/// Inserts a chunk's messages one by one, with each new message's events
/// for the app's webhooks; returns (delivered, failed) rows added.
fn insert_with_events(c: &Connection, job: &StoredChunk) -> StoreResult<(i64, i64)> {
    use crate::chunk_insert::{insert_one, Shared};
    let chunk = &job.head;
    let s = &chunk.send;
    let (mut oks, mut fails) = (0i64, 0i64);
    for r in &job.recipients {
        let failed = r.failed_reason.is_some();
        if !insert_one(c, &Shared::new(chunk, failed), r)? {
            continue;
        }
        match failed {
            true => fails += 1,
            false => oks += 1,
        }
        let id = c.last_insert_rowid();
        for (kind, payload) in chunk_events(s, id, &r.openid, r.failed_reason.as_deref(), chunk.now)
        {
            crate::events::emit(c, s.appid.as_str(), kind, &payload, chunk.now)?;
        }
    }
    Ok((oks, fails))
}

fn messages(c: &Connection, sql: &str, p: impl rusqlite::Params) -> StoreResult<Vec<Message>> {
    let mut stmt = c.prepare_cached(sql).map_err(backend)?;
    let rows = stmt.query_map(p, message_row).map_err(backend)?;
    rows.map(|r| r.map_err(backend).and_then(MessageRow::into_message))
        .collect()
}

pub(crate) fn list_recipients(
    c: &Connection,
    send_id: i64,
    status: Option<&str>,
    after: Option<i64>,
    limit: u32,
) -> StoreResult<Vec<Message>> {
    messages(
        c,
        &format!(
            "SELECT {MESSAGE_COLUMNS} FROM message_view
             WHERE send_id = ?1 AND (?3 IS NULL OR status = ?3)
               AND openid > COALESCE((SELECT openid FROM messages WHERE id = ?2 AND send_id = ?1), '')
             ORDER BY openid LIMIT ?4"
        ),
        params![send_id, after.unwrap_or(0), status, limit],
    )
}

pub(crate) fn messages_after(
    c: &Connection,
    appid: &AppId,
    openid: &OpenId,
    platform: Option<Platform>,
    after: i64,
    limit: u32,
) -> StoreResult<Vec<Message>> {
    messages(
        c,
        &format!(
            "SELECT {MESSAGE_COLUMNS} FROM message_view
             WHERE appid = ?1 AND openid = ?2 AND id > ?3 AND status <> 'failed'
               AND (?5 IS NULL OR platforms LIKE ?5) ORDER BY id LIMIT ?4"
        ),
        params![
            appid.as_str(),
            openid.as_str(),
            after,
            limit,
            platform_pattern(platform)
        ],
    )
}

pub(crate) fn message_by_link(c: &Connection, token: &str) -> StoreResult<Option<Message>> {
    let found = match link_key(token) {
        LinkKey::Id(id) => messages(
            c,
            &format!("SELECT {MESSAGE_COLUMNS} FROM message_view WHERE id = ?1"),
            [id],
        )?,
        LinkKey::Token(t) => messages(
            c,
            &format!("SELECT {MESSAGE_COLUMNS} FROM message_view WHERE link_token = ?1"),
            [t],
        )?,
    };
    Ok(followed(found.into_iter().next(), token))
}

pub(crate) fn record_click(
    c: &Connection,
    m: &Message,
    url: &str,
    user_agent: Option<&str>,
    now: Timestamp,
) -> StoreResult<Click> {
    c.prepare_cached(
        "UPDATE messages SET status = 'clicked', clicked_at = COALESCE(clicked_at, ?2),
             read_at = COALESCE(read_at, ?2)
         WHERE id = ?1",
    )
    .map_err(backend)?
    .execute(params![m.id, now.as_millis()])
    .map_err(backend)?;
    c.prepare_cached(&format!(
        "INSERT INTO clicks (message_id, send_id, appid, openid, url, at, user_agent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING {CLICK_COLUMNS}"
    ))
    .map_err(backend)?
    .query_row(
        params![
            m.id,
            m.send_id,
            m.appid.as_str(),
            m.openid.as_str(),
            url,
            now.as_millis(),
            user_agent
        ],
        click_row,
    )
    .map_err(backend)?
    .into_click()
    .and_then(|click| {
        crate::events::emit(
            c,
            m.appid.as_str(),
            "message.clicked",
            &click_event(m, url, now),
            now,
        )?;
        Ok(click)
    })
}

pub(crate) fn list_clicks(
    c: &Connection,
    send_id: i64,
    after: Option<i64>,
    limit: u32,
) -> StoreResult<Vec<Click>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {CLICK_COLUMNS} FROM clicks WHERE send_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![send_id, after.unwrap_or(0), limit], click_row)
        .map_err(backend)?;
    rows.map(|r| r.map_err(backend).and_then(ClickRow::into_click))
        .collect()
}

#[cfg(test)]
mod tests {
    /// Claiming reads the open sends through their partial index: a scan
    /// of `sends` would grow with every single send ever made.
    #[test]
    fn claims_search_only_the_open_sends() {
        let mut c = rusqlite::Connection::open_in_memory().unwrap();
        crate::migrate::run(&mut c, crate::schema::MIGRATIONS).unwrap();
        let mut stmt = c
            .prepare(&format!("EXPLAIN QUERY PLAN {}", super::claim_sql()))
            .unwrap();
        let plan: Vec<String> = stmt
            .query_map([0, 0, 0], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(
            plan.iter()
                .any(|step| step.contains("USING INDEX sends_open")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|step| step == "SCAN sends"), "{plan:?}");
    }
}
