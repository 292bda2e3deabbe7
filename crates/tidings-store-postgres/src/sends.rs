//! The SQL of the library, templates, users, grants and messages.

use deadpool_postgres::GenericClient;
use tidings_engine::{
    AppId, Grant, LibraryTitle, Message, OpenId, Template, TemplateId, Timestamp, TitleId, User,
};
use tidings_store::rows::{
    grant_refusal, message_data, message_event, platform_pattern, read_event, single_spec,
    GrantRow, LibraryRow, MessageRow, TemplateRow, UserRow, MESSAGE_COLUMNS, TEMPLATE_COLUMNS,
    USER_COLUMNS,
};
use tidings_store::{NewMessage, SendOutcome, StoreResult, TemplateInsert};
use tokio_postgres::Row;

use crate::{backend, PgStore};

pub(crate) fn library_row(r: &Row) -> LibraryRow {
    LibraryRow {
        id: r.get(0),
        num: r.get(1),
        title: r.get(2),
        keywords: r.get(3),
    }
}

fn template_row(r: &Row) -> TemplateRow {
    TemplateRow {
        template_id: r.get(0),
        appid: r.get(1),
        title_id: r.get(2),
        title: r.get(3),
        keywords: r.get(4),
        created_at: r.get(5),
    }
}

pub(crate) fn message_row(r: &Row) -> MessageRow {
    MessageRow {
        id: r.get(0),
        appid: r.get(1),
        openid: r.get(2),
        template_id: r.get(3),
        title: r.get(4),
        rows: r.get(5),
        emphasis: r.get(6),
        page: r.get(7),
        created_at: r.get(8),
        read_at: r.get(9),
        send_id: r.get(10),
        status: r.get(11),
        failed_reason: r.get(12),
        link_token: r.get(13),
        url: r.get(14),
        delivered_at: r.get(15),
        clicked_at: r.get(16),
        card: r.get(17),
        platforms: r.get(18),
        frame: r.get(19),
        link_secret: r.get(20),
    }
}

impl PgStore {
    pub(crate) async fn pg_load_library(&self, titles: &[LibraryTitle]) -> StoreResult<u64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let stmt = tx
            .prepare_cached(
                "INSERT INTO library_titles (id, num, title, keywords) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
            )
            .await
            .map_err(backend)?;
        let mut added = 0;
        for t in titles {
            let row = LibraryRow::from_title(t);
            added += tx
                .execute(&stmt, &[&row.id, &row.num, &row.title, &row.keywords])
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(added)
    }

    pub(crate) async fn pg_library_title(&self, id: &TitleId) -> StoreResult<Option<LibraryTitle>> {
        let client = self.client().await?;
        client
            .query_opt(
                "SELECT id, num, title, keywords FROM library_titles WHERE id = $1",
                &[&id.as_str()],
            )
            .await
            .map_err(backend)?
            .map(|r| library_row(&r).into_title())
            .transpose()
    }

    pub(crate) async fn pg_insert_template(
        &self,
        t: &Template,
        max_per_app: u32,
    ) -> StoreResult<TemplateInsert> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let appid = t.appid.as_str();
        // The app's row lock serializes concurrent adds, so the count holds.
        if tx
            .query_opt("SELECT 1 FROM apps WHERE appid = $1 FOR UPDATE", &[&appid])
            .await
            .map_err(backend)?
            .is_none()
        {
            return Ok(TemplateInsert::NoApp);
        }
        let have: i64 = tx
            .query_one("SELECT COUNT(*) FROM templates WHERE appid = $1", &[&appid])
            .await
            .map_err(backend)?
            .get(0);
        if have >= i64::from(max_per_app) {
            return Ok(TemplateInsert::LimitReached);
        }
        let row = TemplateRow::from_template(t);
        tx.execute(
            &format!("INSERT INTO templates ({TEMPLATE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"),
            &[
                &row.template_id,
                &row.appid,
                &row.title_id,
                &row.title,
                &row.keywords,
                &row.created_at,
            ],
        )
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(TemplateInsert::Inserted)
    }

    pub(crate) async fn pg_get_template(&self, id: &TemplateId) -> StoreResult<Option<Template>> {
        let client = self.client().await?;
        client
            .query_opt(
                &format!("SELECT {TEMPLATE_COLUMNS} FROM templates WHERE template_id = $1"),
                &[&id.as_str()],
            )
            .await
            .map_err(backend)?
            .map(|r| template_row(&r).into_template())
            .transpose()
    }

    pub(crate) async fn pg_list_templates(
        &self,
        appid: &AppId,
        offset: u32,
        count: u32,
    ) -> StoreResult<Vec<Template>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {TEMPLATE_COLUMNS} FROM templates WHERE appid = $1 ORDER BY seq LIMIT $2 OFFSET $3"
                ),
                &[&appid.as_str(), &i64::from(count), &i64::from(offset)],
            )
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|r| template_row(r).into_template())
            .collect()
    }

    pub(crate) async fn pg_delete_template(
        &self,
        appid: &AppId,
        id: &TemplateId,
    ) -> StoreResult<bool> {
        let client = self.client().await?;
        let n = client
            .execute(
                "DELETE FROM templates WHERE appid = $1 AND template_id = $2",
                &[&appid.as_str(), &id.as_str()],
            )
            .await
            .map_err(backend)?;
        Ok(n > 0)
    }

    pub(crate) async fn pg_insert_user(&self, u: &User) -> StoreResult<()> {
        let row = UserRow::from_user(u);
        let client = self.client().await?;
        client
            .execute(
                &format!("INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5)"),
                &[
                    &row.appid,
                    &row.openid,
                    &row.nickname,
                    &row.profile,
                    &row.created_at,
                ],
            )
            .await
            .map_err(backend)?;
        Ok(())
    }

    pub(crate) async fn pg_get_user(
        &self,
        appid: &AppId,
        openid: &OpenId,
    ) -> StoreResult<Option<User>> {
        let client = self.client().await?;
        client
            .query_opt(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE appid = $1 AND openid = $2"),
                &[&appid.as_str(), &openid.as_str()],
            )
            .await
            .map_err(backend)?
            .map(|r| crate::segments::user_row(&r).into_user())
            .transpose()
    }

    pub(crate) async fn pg_insert_grant(&self, g: &Grant) -> StoreResult<()> {
        let row = GrantRow::from_grant(g);
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO grants (grant_id, appid, openid, kind, remaining, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[&row.grant_id, &row.appid, &row.openid, &row.kind, &row.remaining, &row.created_at, &row.expires_at],
            )
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// One transaction: the grant row's lock serializes concurrent uses of
    /// one grant; the counter row's lock those of one app's day.
    pub(crate) async fn pg_send_message(&self, m: &NewMessage) -> StoreResult<SendOutcome> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let outcome = send_steps(&tx, m).await?;
        if matches!(outcome, SendOutcome::Sent { .. }) {
            tx.commit().await.map_err(backend)?;
        }
        Ok(outcome)
    }

    pub(crate) async fn pg_list_messages(
        &self,
        appid: &AppId,
        openid: &OpenId,
        platform: Option<tidings_engine::Platform>,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {MESSAGE_COLUMNS} FROM message_view
                     WHERE appid = $1 AND openid = $2 AND id < $3 AND status <> 'failed'
                       AND ($5::text IS NULL OR platforms LIKE $5)
                     ORDER BY id DESC LIMIT $4"
                ),
                &[
                    &appid.as_str(),
                    &openid.as_str(),
                    &before.unwrap_or(i64::MAX),
                    &i64::from(limit),
                    &platform_pattern(platform),
                ],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(|r| message_row(r).into_message()).collect()
    }

    pub(crate) async fn pg_mark_read(
        &self,
        appid: &AppId,
        openid: &OpenId,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<Option<Message>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let updated = tx
            .execute(
                "UPDATE messages SET read_at = COALESCE(read_at, $4),
                     status = CASE status WHEN 'delivered' THEN 'read' ELSE status END
                 WHERE appid = $1 AND openid = $2 AND id = $3 AND status <> 'failed'",
                &[&appid.as_str(), &openid.as_str(), &id, &now.as_millis()],
            )
            .await
            .map_err(backend)?;
        let message = match updated {
            0 => None,
            _ => tx
                .query_opt(
                    &format!("SELECT {MESSAGE_COLUMNS} FROM message_view WHERE id = $1"),
                    &[&id],
                )
                .await
                .map_err(backend)?
                .map(|r| message_row(&r).into_message())
                .transpose()?,
        };
        if let Some(payload) = message.as_ref().and_then(|m| read_event(m, now)) {
            crate::events::emit(&tx, appid.as_str(), "message.read", &payload, now).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(message)
    }
}

async fn send_steps<C: GenericClient>(tx: &C, m: &NewMessage) -> StoreResult<SendOutcome> {
    let now = m.created_at.as_millis();
    let (appid, openid) = (m.appid.as_str(), m.openid.as_str());
    if let Some(key) = &m.client_msg_id {
        let first = tx
            .query_opt(
                "SELECT m.id FROM sends s JOIN messages m ON m.send_id = s.id
                 WHERE s.appid = $1 AND s.client_msg_id = $2",
                &[&appid, key],
            )
            .await
            .map_err(backend)?;
        if let Some(row) = first {
            return Ok(SendOutcome::Sent { id: row.get(0) });
        }
    }
    if let Some(grant) = &m.grant {
        let used = tx
            .execute(
                "UPDATE grants SET remaining = remaining - 1
                 WHERE grant_id = $1 AND appid = $2 AND openid = $3 AND remaining > 0 AND expires_at > $4",
                &[&grant.as_str(), &appid, &openid, &now],
            )
            .await
            .map_err(backend)?;
        if used == 0 {
            let stored = tx
                .query_opt(
                    "SELECT appid, openid, remaining, expires_at FROM grants WHERE grant_id = $1",
                    &[&grant.as_str()],
                )
                .await
                .map_err(backend)?
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)));
            return Ok(grant_refusal(stored, m));
        }
    }
    let counted = tx
        .query_opt(
            "INSERT INTO send_counters (appid, day_start, sent) VALUES ($1, $2, 1)
             ON CONFLICT (appid, day_start) DO UPDATE SET sent = send_counters.sent + 1
             WHERE send_counters.sent < $3
             RETURNING sent",
            &[&appid, &m.day_start.as_millis(), &i64::from(m.daily_limit)],
        )
        .await
        .map_err(backend)?;
    if counted.is_none() || m.daily_limit == 0 {
        return Ok(SendOutcome::LimitReached);
    }
    let send_id: i64 = tx
        .query_one(
            "INSERT INTO sends (appid, kind, template_id, title, spec, state, expects, oks, created_at, started_at, finished_at,
                                client_msg_id, marketing_hits)
             VALUES ($1, 'single', $2, $3, $4, 'finished', 1, 1, $5, $5, $5, $6, $7) RETURNING id",
            &[&appid, &m.template_id.as_str(), &m.title, &single_spec(m), &now, &m.client_msg_id, &m.marketing_hits],
        )
        .await
        .map_err(backend)?
        .get(0);
    let id: i64 = tx
        .query_one(
            "INSERT INTO messages (appid, openid, template_id, title, rows, emphasis, page, grant_id, created_at,
                                   send_id, status, link_secret, url, delivered_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'delivered', $11, $12, $9) RETURNING id",
            &[
                &appid,
                &openid,
                &m.template_id.as_str(),
                &m.title,
                &MessageRow::rows_json(m),
                &m.emphasis.map(|e| e as i64),
                &m.page,
                &m.grant.as_ref().map(|g| g.as_str()),
                &now,
                &send_id,
                &m.link_secret,
                &m.url,
            ],
        )
        .await
        .map_err(backend)?
        .get(0);
    if crate::events::has_webhooks(tx, appid).await? {
        let data = message_data(
            id,
            Some(send_id),
            appid,
            openid,
            m.template_id.as_str(),
            None,
        );
        for kind in ["message.accepted", "message.delivered"] {
            let payload = message_event(kind, m.created_at, data.clone());
            crate::events::emit(tx, appid, kind, &payload, m.created_at).await?;
        }
    }
    Ok(SendOutcome::Sent { id })
}
