//! The SQL of imports, tags, segment sends, recipients and clicks.

use deadpool_postgres::GenericClient;
use tidings_engine::{
    AppId, Audience, Message, OpenId, Platform, SendRecord, Tag, Timestamp, User,
};
use tidings_store::frame::{chunk_rows, ChunkRows};
use tidings_store::links::{followed, link_key, LinkKey};
use tidings_store::rows::{
    audience_sql, card_column, chunk_events, chunk_status, click_event, finished_event,
    platform_pattern, platforms_column, spec_json, AudienceParams, ClickRow, SendRow, TagRow,
    UserRow, CLICK_COLUMNS, MESSAGE_COLUMNS, SEND_COLUMNS, USER_COLUMNS,
};
use tidings_store::{
    Chunk, ChunkOutcome, Click, NewSend, SendAtCommit, StoreError, StoreResult, Turn,
};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::sends::message_row;
use crate::{backend, PgStore};

const TEXT_LIST: &str = "SELECT value FROM jsonb_array_elements_text($4::text::jsonb)";
const INT_LIST: &str = "SELECT (jsonb_array_elements_text($4::text::jsonb))::bigint";
const TAG_COLUMNS: &str = "id, appid, name, created_at";

fn send_row(r: &Row) -> SendRow {
    SendRow {
        id: r.get(0),
        appid: r.get(1),
        kind: r.get(2),
        template_id: r.get(3),
        title: r.get(4),
        spec: r.get(5),
        state: r.get(6),
        expects: r.get(7),
        oks: r.get(8),
        fails: r.get(9),
        cursor: r.get(10),
        created_at: r.get(11),
        started_at: r.get(12),
        finished_at: r.get(13),
        claim: r.get(14),
        marketing_hits: r.get(15),
    }
}

fn tag_row(r: &Row) -> TagRow {
    TagRow {
        id: r.get(0),
        appid: r.get(1),
        name: r.get(2),
        created_at: r.get(3),
    }
}

pub(crate) fn user_row(r: &Row) -> UserRow {
    UserRow {
        appid: r.get(0),
        openid: r.get(1),
        nickname: r.get(2),
        profile: r.get(3),
        created_at: r.get(4),
    }
}

fn click_row(r: &Row) -> ClickRow {
    ClickRow {
        id: r.get(0),
        message_id: r.get(1),
        send_id: r.get(2),
        openid: r.get(3),
        url: r.get(4),
        at: r.get(5),
        user_agent: r.get(6),
    }
}

fn openid_list(openids: &[OpenId]) -> Vec<String> {
    openids.iter().map(|o| o.as_str().to_owned()).collect()
}

impl PgStore {
    async fn sends_where(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<SendRecord>> {
        let client = self.client().await?;
        let rows = client.query(sql, params).await.map_err(backend)?;
        rows.iter().map(|r| send_row(r).into_send()).collect()
    }

    async fn messages_where(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<Message>> {
        let client = self.client().await?;
        let rows = client.query(sql, params).await.map_err(backend)?;
        rows.iter().map(|r| message_row(r).into_message()).collect()
    }

    /// One statement per batch: the rows travel as arrays.
    pub(crate) async fn pg_upsert_users(&self, users: &[User]) -> StoreResult<u64> {
        let rows: Vec<UserRow> = users.iter().map(UserRow::from_user).collect();
        let Some(first) = rows.first() else {
            return Ok(0);
        };
        let openids: Vec<&str> = rows.iter().map(|r| r.openid.as_str()).collect();
        let nicknames: Vec<Option<&str>> = rows.iter().map(|r| r.nickname.as_deref()).collect();
        let profiles: Vec<&str> = rows.iter().map(|r| r.profile.as_str()).collect();
        let created: Vec<i64> = rows.iter().map(|r| r.created_at).collect();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let n = tx
            .execute(
                "INSERT INTO users (appid, openid, nickname, profile, created_at)
                 SELECT $1, o, n, p, c FROM UNNEST($2::text[], $3::text[], $4::text[], $5::bigint[]) AS t(o, n, p, c)
                 ON CONFLICT (appid, openid) DO UPDATE SET nickname = excluded.nickname, profile = excluded.profile",
                &[&first.appid, &openids, &nicknames, &profiles, &created],
            )
            .await
            .map_err(backend)?;
        crate::workspace::replace_orgs(&tx, users).await?;
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    pub(crate) async fn pg_create_tag(
        &self,
        appid: &AppId,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<Tag> {
        let client = self.client().await?;
        let row = client
            .query_one(
                &format!("INSERT INTO tags (appid, name, created_at) VALUES ($1, $2, $3) RETURNING {TAG_COLUMNS}"),
                &[&appid.as_str(), &name, &now.as_millis()],
            )
            .await
            .map_err(backend)?;
        tag_row(&row).into_tag()
    }

    pub(crate) async fn pg_list_tags(&self, appid: &AppId) -> StoreResult<Vec<Tag>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("SELECT {TAG_COLUMNS} FROM tags WHERE appid = $1 ORDER BY id"),
                &[&appid.as_str()],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(|r| tag_row(r).into_tag()).collect()
    }

    pub(crate) async fn pg_rename_tag(
        &self,
        appid: &AppId,
        id: i64,
        name: &str,
    ) -> StoreResult<Option<Tag>> {
        let client = self.client().await?;
        client
            .query_opt(
                &format!("UPDATE tags SET name = $3 WHERE appid = $1 AND id = $2 RETURNING {TAG_COLUMNS}"),
                &[&appid.as_str(), &id, &name],
            )
            .await
            .map_err(backend)?
            .map(|r| tag_row(&r).into_tag())
            .transpose()
    }

    pub(crate) async fn pg_delete_tag(&self, appid: &AppId, id: i64) -> StoreResult<bool> {
        let client = self.client().await?;
        let n = client
            .execute(
                "DELETE FROM tags WHERE appid = $1 AND id = $2",
                &[&appid.as_str(), &id],
            )
            .await
            .map_err(backend)?;
        Ok(n > 0)
    }

    pub(crate) async fn pg_tag_users(
        &self,
        appid: &AppId,
        tag_id: i64,
        openids: &[OpenId],
    ) -> StoreResult<u64> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO user_tags (appid, openid, tag_id)
                 SELECT u.appid, u.openid, t.id FROM users u JOIN tags t ON t.appid = u.appid
                 WHERE u.appid = $1 AND t.id = $2 AND u.openid = ANY($3)
                 ON CONFLICT DO NOTHING",
                &[&appid.as_str(), &tag_id, &openid_list(openids)],
            )
            .await
            .map_err(backend)
    }

    pub(crate) async fn pg_untag_users(
        &self,
        appid: &AppId,
        tag_id: i64,
        openids: &[OpenId],
    ) -> StoreResult<u64> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM user_tags WHERE appid = $1 AND tag_id = $2 AND openid = ANY($3)",
                &[&appid.as_str(), &tag_id, &openid_list(openids)],
            )
            .await
            .map_err(backend)
    }

    pub(crate) async fn pg_create_send(&self, s: &NewSend) -> StoreResult<SendRecord> {
        self.sends_where(
            &format!(
                "INSERT INTO sends (appid, kind, template_id, title, spec, state, expects, created_at,
                                    claim, lease_until, started_at, marketing_hits)
                 VALUES ($1, 'segment', $2, $3, $4, CASE WHEN $7::text IS NULL THEN 'queued' ELSE 'running' END,
                         $5, $6, $7, $8, CASE WHEN $7::text IS NULL THEN NULL ELSE $6::bigint END, $9)
                 RETURNING {SEND_COLUMNS}"
            ),
            &[
                &s.appid.as_str(),
                &s.template_id.as_str(),
                &s.title,
                &spec_json(&s.spec),
                &s.expects,
                &s.created_at.as_millis(),
                &s.lease.as_ref().map(|l| l.0.as_str()),
                &s.lease.as_ref().map(|l| l.1.as_millis()),
                &s.marketing_hits,
            ],
        )
        .await?
        .pop()
        .ok_or_else(|| StoreError::Backend("insert returned no row".into()))
    }

    pub(crate) async fn pg_get_send(&self, id: i64) -> StoreResult<Option<SendRecord>> {
        Ok(self
            .sends_where(
                &format!("SELECT {SEND_COLUMNS} FROM sends WHERE id = $1"),
                &[&id],
            )
            .await?
            .pop())
    }

    pub(crate) async fn pg_list_sends(
        &self,
        appid: &AppId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<SendRecord>> {
        self.sends_where(
            &format!("SELECT {SEND_COLUMNS} FROM sends WHERE appid = $1 AND id < $2 ORDER BY id DESC LIMIT $3"),
            &[&appid.as_str(), &before.unwrap_or(i64::MAX), &i64::from(limit)],
        )
        .await
    }

    pub(crate) async fn pg_cancel_send(
        &self,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<Option<SendRecord>> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE sends SET state = 'cancelled', finished_at = $2, claim = NULL
                 WHERE id = $1 AND state IN ('queued', 'running')",
                &[&id, &now.as_millis()],
            )
            .await
            .map_err(backend)?;
        self.pg_get_send(id).await
    }

    /// `SKIP LOCKED`: nodes racing for sends each take a different one.
    pub(crate) async fn pg_claim_send(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        claim: &str,
    ) -> StoreResult<Option<SendRecord>> {
        Ok(self
            .sends_where(
                &format!(
                    "UPDATE sends SET state = 'running', started_at = COALESCE(started_at, $1),
                         lease_until = $2, claim = $3
                     WHERE id = (SELECT id FROM sends
                                 WHERE state IN ('queued', 'running') AND (state = 'queued' OR lease_until < $1)
                                 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
                     RETURNING {SEND_COLUMNS}"
                ),
                &[&now.as_millis(), &lease_until.as_millis(), &claim],
            )
            .await?
            .pop())
    }

    pub(crate) async fn pg_count_audience(
        &self,
        appid: &AppId,
        audience: &Audience,
    ) -> StoreResult<i64> {
        let (sql, extra) = audience_sql(audience, "openid", TEXT_LIST, INT_LIST);
        let sql = format!(
            "SELECT COUNT(*) FROM ({}) AS audience",
            sql.replace("{p}", "$")
        );
        let client = self.client().await?;
        let (empty, max) = ("", i64::MAX);
        let row = match &extra {
            AudienceParams::None => {
                client
                    .query_one(&sql, &[&appid.as_str(), &empty, &max])
                    .await
            }
            AudienceParams::List(list) => {
                client
                    .query_one(&sql, &[&appid.as_str(), &empty, &max, list])
                    .await
            }
        }
        .map_err(backend)?;
        Ok(row.get(0))
    }

    pub(crate) async fn pg_audience_page(
        &self,
        appid: &AppId,
        audience: &Audience,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<User>> {
        let (sql, extra) = audience_sql(audience, USER_COLUMNS, TEXT_LIST, INT_LIST);
        let sql = sql.replace("{p}", "$");
        let client = self.client().await?;
        let (after, limit) = (after.unwrap_or(""), i64::from(limit));
        let rows = match &extra {
            AudienceParams::None => client.query(&sql, &[&appid.as_str(), &after, &limit]).await,
            AudienceParams::List(list) => {
                client
                    .query(&sql, &[&appid.as_str(), &after, &limit, list])
                    .await
            }
        }
        .map_err(backend)?;
        rows.iter().map(|r| user_row(r).into_user()).collect()
    }

    pub(crate) async fn pg_commit_chunk(
        &self,
        chunk: &Chunk,
        turn: Turn,
    ) -> StoreResult<ChunkOutcome> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let outcome = commit_chunk_in(&tx, chunk, turn).await?;
        if matches!(outcome, ChunkOutcome::Committed { .. }) {
            tx.commit().await.map_err(backend)?;
        }
        Ok(outcome)
    }

    pub(crate) async fn pg_list_recipients(
        &self,
        send_id: i64,
        status: Option<&str>,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        self.messages_where(
            &format!(
                "SELECT {MESSAGE_COLUMNS} FROM message_view
                 WHERE send_id = $1 AND ($3::text IS NULL OR status = $3)
                   AND openid > COALESCE((SELECT openid FROM messages WHERE id = $2 AND send_id = $1), '')
                 ORDER BY openid LIMIT $4"
            ),
            &[&send_id, &after.unwrap_or(0), &status, &i64::from(limit)],
        )
        .await
    }

    pub(crate) async fn pg_messages_after(
        &self,
        appid: &AppId,
        openid: &OpenId,
        platform: Option<Platform>,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        self.messages_where(
            &format!(
                "SELECT {MESSAGE_COLUMNS} FROM message_view
                 WHERE appid = $1 AND openid = $2 AND id > $3 AND status <> 'failed'
                   AND ($5::text IS NULL OR platforms LIKE $5) ORDER BY id LIMIT $4"
            ),
            &[
                &appid.as_str(),
                &openid.as_str(),
                &after,
                &i64::from(limit),
                &platform_pattern(platform),
            ],
        )
        .await
    }

    pub(crate) async fn pg_message_by_link(&self, token: &str) -> StoreResult<Option<Message>> {
        let found = match link_key(token) {
            LinkKey::Id(id) => {
                self.messages_where(
                    &format!("SELECT {MESSAGE_COLUMNS} FROM message_view WHERE id = $1"),
                    &[&id],
                )
                .await?
            }
            LinkKey::Token(t) => {
                self.messages_where(
                    &format!("SELECT {MESSAGE_COLUMNS} FROM message_view WHERE link_token = $1"),
                    &[&t],
                )
                .await?
            }
        };
        Ok(followed(found.into_iter().next(), token))
    }

    pub(crate) async fn pg_record_click(
        &self,
        m: &Message,
        url: &str,
        user_agent: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Click> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        tx.execute(
            "UPDATE messages SET status = 'clicked', clicked_at = COALESCE(clicked_at, $2),
                 read_at = COALESCE(read_at, $2)
             WHERE id = $1",
            &[&m.id, &now.as_millis()],
        )
        .await
        .map_err(backend)?;
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO clicks (message_id, send_id, appid, openid, url, at, user_agent)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {CLICK_COLUMNS}"
                ),
                &[
                    &m.id,
                    &m.send_id,
                    &m.appid.as_str(),
                    &m.openid.as_str(),
                    &url,
                    &now.as_millis(),
                    &user_agent,
                ],
            )
            .await
            .map_err(backend)?;
        crate::events::emit(
            &tx,
            m.appid.as_str(),
            "message.clicked",
            &click_event(m, url, now),
            now,
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        click_row(&row).into_click()
    }

    pub(crate) async fn pg_list_clicks(
        &self,
        send_id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Click>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("SELECT {CLICK_COLUMNS} FROM clicks WHERE send_id = $1 AND id > $2 ORDER BY id LIMIT $3"),
                &[&send_id, &after.unwrap_or(0), &i64::from(limit)],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(|r| click_row(r).into_click()).collect()
    }
}

async fn commit_chunk_in(
    tx: &deadpool_postgres::Transaction<'_>,
    chunk: &Chunk,
    turn: Turn,
) -> StoreResult<ChunkOutcome> {
    let s = &chunk.send;
    // The messages go in first and the send's row is locked last, so that
    // chunks of one send copy side by side and queue only for that lock.
    // The frame is read unlocked, and checked again under the lock.
    let read_frame: Option<String> = tx
        .query_opt("SELECT frame FROM sends WHERE id = $1", &[&s.id])
        .await
        .map_err(backend)?
        .and_then(|r| r.get(0));
    let split = chunk_rows(chunk, read_frame.as_deref())?;
    let events = crate::events::has_webhooks(tx, s.appid.as_str()).await?;
    let (oks, fails) = match insert_parts(tx, chunk, &split, events).await {
        // A recipient already stored: another claim delivered it.
        Err(StoreError::Conflict(_)) => return Ok(ChunkOutcome::LeaseLost),
        other => other?,
    };
    turn.await;
    let found = tx
        .query_opt(
            "SELECT state, claim, frame, cursor FROM sends WHERE id = $1 FOR UPDATE",
            &[&s.id],
        )
        .await
        .map_err(backend)?
        .map(|r| SendAtCommit {
            state: r.get(0),
            claim: r.get(1),
            frame: r.get(2),
            cursor: r.get(3),
        });
    if let Some(outcome) = chunk.refusal(found, read_frame.as_deref()) {
        return Ok(outcome);
    }
    let now = chunk.now.as_millis();
    tx.execute(
        "UPDATE sends SET cursor = $2, oks = oks + $3, fails = fails + $4, lease_until = $5,
             state = CASE WHEN $6::boolean THEN 'finished' ELSE 'running' END,
             finished_at = CASE WHEN $6::boolean THEN $7::bigint ELSE NULL END,
             claim = CASE WHEN $6::boolean THEN NULL ELSE claim END,
             frame = $8, page = $9, url = $10, card = $11
         WHERE id = $1",
        &[
            &s.id,
            &chunk.cursor,
            &oks,
            &fails,
            &chunk.lease_until.as_millis(),
            &chunk.done,
            &now,
            &split.frame,
            &s.spec.page,
            &s.spec.url,
            &card_column(&s.spec),
        ],
    )
    .await
    .map_err(backend)?;
    if events && chunk.done {
        let row = tx
            .query_one(
                "SELECT expects, oks, fails FROM sends WHERE id = $1",
                &[&s.id],
            )
            .await
            .map_err(backend)?;
        let payload = finished_event(
            s.id,
            s.appid.as_str(),
            row.get(0),
            row.get(1),
            row.get(2),
            chunk.now,
        );
        crate::events::emit(tx, s.appid.as_str(), "send.finished", &payload, chunk.now).await?;
    }
    Ok(ChunkOutcome::Committed { oks, fails })
}

/// A chunk's delivered and failed messages, as two copies (or, when
/// webhooks need the ids, two array statements); returns how many of each
/// were new.
async fn insert_parts(
    tx: &deadpool_postgres::Transaction<'_>,
    chunk: &Chunk,
    split: &ChunkRows,
    events: bool,
) -> StoreResult<(i64, i64)> {
    let now = chunk.now.as_millis();
    let (mut oks, mut fails) = (0i64, 0i64);
    for failed in [false, true] {
        let (part, rows): (Vec<&tidings_store::ChunkMessage>, Vec<&str>) = chunk
            .messages
            .iter()
            .zip(&split.rows)
            .filter(|(m, _)| m.failed_reason.is_some() == failed)
            .map(|(m, r)| (m, r.as_str()))
            .unzip();
        if part.is_empty() {
            continue;
        }
        let (status, delivered_at) = chunk_status(failed, now);
        let part = Part {
            chunk,
            status,
            delivered_at,
            messages: part,
            rows,
        };
        let n = match events {
            false => copy_messages(tx, &part).await?,
            true => insert_with_events(tx, &part).await?,
        };
        if failed {
            fails += n;
        } else {
            oks += n;
        }
    }
    Ok((oks, fails))
}

/// The delivered or the failed messages of a chunk, with their `rows`.
struct Part<'a> {
    chunk: &'a Chunk,
    status: &'static str,
    delivered_at: Option<i64>,
    messages: Vec<&'a tidings_store::ChunkMessage>,
    rows: Vec<&'a str>,
}

/// A chunk's messages through `COPY … (FORMAT binary)`, when no webhook
/// needs each message's id: no statement to plan, no arrays to unpack.
/// A recipient the send already has fails the copy (and the chunk's
/// transaction) on the unique (send, recipient) index: another claim
/// delivered it, and the chunk answers `LeaseLost`.
async fn copy_messages(
    tx: &deadpool_postgres::Transaction<'_>,
    part: &Part<'_>,
) -> StoreResult<i64> {
    use tokio_postgres::binary_copy::BinaryCopyInWriter;
    use tokio_postgres::types::Type;
    let sink = tx
        .copy_in(
            "COPY messages (appid, openid, send_id, status, created_at, delivered_at, rows,
                            emphasis, failed_reason, link_secret, platforms)
             FROM STDIN (FORMAT binary)",
        )
        .await
        .map_err(backend)?;
    let types = [
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::TEXT,
        Type::INT8,
        Type::INT8,
        Type::TEXT,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
    ];
    let writer = BinaryCopyInWriter::new(sink, &types);
    let mut writer = std::pin::pin!(writer);
    let (appid, now) = (part.chunk.send.appid.as_str(), part.chunk.now.as_millis());
    for (m, rows) in part.messages.iter().zip(&part.rows) {
        let emphasis = m.emphasis.map(|e| e as i64);
        let platforms = platforms_column(&m.platforms);
        writer
            .as_mut()
            .write(&[
                &appid,
                &m.openid.as_str(),
                &part.chunk.send.id,
                &part.status,
                &now,
                &part.delivered_at,
                rows,
                &emphasis,
                &m.failed_reason,
                &m.link_secret,
                &platforms,
            ])
            .await
            .map_err(backend)?;
    }
    Ok(writer.finish().await.map_err(backend)? as i64)
}

/// A chunk's messages as one array statement, each new message's events
/// emitted for the app's webhooks; returns how many were new.
async fn insert_with_events(
    tx: &deadpool_postgres::Transaction<'_>,
    part: &Part<'_>,
) -> StoreResult<i64> {
    let (chunk, messages) = (part.chunk, &part.messages);
    let (s, now) = (&chunk.send, chunk.now.as_millis());
    let openids: Vec<&str> = messages.iter().map(|m| m.openid.as_str()).collect();
    let emphasis: Vec<Option<i64>> = messages
        .iter()
        .map(|m| m.emphasis.map(|e| e as i64))
        .collect();
    let reasons: Vec<Option<&str>> = messages
        .iter()
        .map(|m| m.failed_reason.as_deref())
        .collect();
    let links: Vec<Option<&str>> = messages.iter().map(|m| m.link_secret.as_deref()).collect();
    let platforms: Vec<Option<String>> = messages
        .iter()
        .map(|m| platforms_column(&m.platforms))
        .collect();
    let inserted = tx
        .query(
            "INSERT INTO messages (appid, openid, send_id, status, created_at, delivered_at, rows,
                                   emphasis, failed_reason, link_secret, platforms)
             SELECT $1, o, $2, $3, $4, $5, r, e, f, l, p
             FROM UNNEST($6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[])
                  AS t(o, r, e, f, l, p)
             ON CONFLICT (send_id, openid) DO NOTHING
             RETURNING id, openid, failed_reason",
            &[
                &s.appid.as_str(),
                &s.id,
                &part.status,
                &now,
                &part.delivered_at,
                &openids,
                &part.rows,
                &emphasis,
                &reasons,
                &links,
                &platforms,
            ],
        )
        .await
        .map_err(backend)?;
    for row in &inserted {
        let (id, openid, reason): (i64, String, Option<String>) =
            (row.get(0), row.get(1), row.get(2));
        for (kind, payload) in chunk_events(s, id, &openid, reason.as_deref(), chunk.now) {
            crate::events::emit(tx, s.appid.as_str(), kind, &payload, chunk.now).await?;
        }
    }
    Ok(inserted.len() as i64)
}
