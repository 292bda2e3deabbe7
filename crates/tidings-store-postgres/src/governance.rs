//! The SQL of proposals, complaints, penalties and notices.

use deadpool_postgres::GenericClient;
use tidings_engine::governance::{Complaint, Notice, Penalty, Proposal};
use tidings_engine::review::Verdict;
use tidings_engine::{AppId, Timestamp};
use tidings_store::governance_rows::{
    next_penalty, penalty_event, proposal_title, ComplaintRow, NoticeRow, PenaltyRow, ProposalRow,
    COMPLAINT_COLUMNS, NOTICE_COLUMNS, PENALTY_COLUMNS, PROPOSAL_COLUMNS,
};
use tidings_store::rows::LibraryRow;
use tidings_store::{StoreError, StoreResult};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::{backend, PgStore};

fn proposal_row(r: &Row) -> ProposalRow {
    ProposalRow {
        id: r.get(0),
        appid: r.get(1),
        title: r.get(2),
        keywords: r.get(3),
        state: r.get(4),
        violations: r.get(5),
        title_id: r.get(6),
        created_at: r.get(7),
        decided_at: r.get(8),
    }
}

fn complaint_row(r: &Row) -> ComplaintRow {
    ComplaintRow {
        id: r.get(0),
        appid: r.get(1),
        openid: r.get(2),
        message_id: r.get(3),
        template_id: r.get(4),
        reason: r.get(5),
        text: r.get(6),
        state: r.get(7),
        created_at: r.get(8),
        decided_at: r.get(9),
    }
}

fn penalty_row(r: &Row) -> PenaltyRow {
    PenaltyRow {
        id: r.get(0),
        appid: r.get(1),
        nth: r.get(2),
        action: r.get(3),
        complaint_id: r.get(4),
        template_id: r.get(5),
        starts_at: r.get(6),
        ends_at: r.get(7),
    }
}

fn notice_row(r: &Row) -> NoticeRow {
    NoticeRow {
        id: r.get(0),
        appid: r.get(1),
        title: r.get(2),
        body: r.get(3),
        created_at: r.get(4),
    }
}

/// Adds the proposal's library title as the next `AT` number; the table
/// lock keeps two approvals from taking one number.
async fn add_title<C: GenericClient>(tx: &C, p: &mut Proposal) -> StoreResult<()> {
    tx.execute("LOCK TABLE library_titles IN SHARE ROW EXCLUSIVE MODE", &[])
        .await
        .map_err(backend)?;
    let num: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(num), 0)::bigint + 1 FROM library_titles WHERE id LIKE 'AT%'",
            &[],
        )
        .await
        .map_err(backend)?
        .get(0);
    let title = proposal_title(p, num);
    let row = LibraryRow::from_title(&title);
    tx.execute(
        "INSERT INTO library_titles (id, num, title, keywords) VALUES ($1, $2, $3, $4)",
        &[&row.id, &row.num, &row.title, &row.keywords],
    )
    .await
    .map_err(backend)?;
    p.title_id = Some(title.id);
    Ok(())
}

async fn complaint_where<C: GenericClient>(
    c: &C,
    filter: &str,
    p: &[&(dyn ToSql + Sync)],
) -> StoreResult<Option<Complaint>> {
    c.query_opt(
        &format!("SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE {filter}"),
        p,
    )
    .await
    .map_err(backend)?
    .map(|r| complaint_row(&r).into_complaint())
    .transpose()
}

/// Moves a pending complaint to `state`, locking it.
async fn decide<C: GenericClient>(
    tx: &C,
    id: i64,
    state: &str,
    now: Timestamp,
) -> StoreResult<Option<Complaint>> {
    let Some(mut x) = complaint_where(tx, "id = $1 FOR UPDATE", &[&id])
        .await?
        .filter(|x| x.state == "pending")
    else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE complaints SET state = $2, decided_at = $3 WHERE id = $1",
        &[&id, &state, &now.as_millis()],
    )
    .await
    .map_err(backend)?;
    x.state = state.to_owned();
    x.decided_at = Some(now);
    Ok(Some(x))
}

async fn notice_in<C: GenericClient>(
    c: &C,
    appid: &AppId,
    title: &str,
    body: &str,
    now: Timestamp,
) -> StoreResult<Notice> {
    let row = c
        .query_one(
            &format!(
                "INSERT INTO notices (appid, title, body, created_at) VALUES ($1, $2, $3, $4) RETURNING {NOTICE_COLUMNS}"
            ),
            &[&appid.as_str(), &title, &body, &now.as_millis()],
        )
        .await
        .map_err(backend)?;
    notice_row(&row).into_notice()
}

impl PgStore {
    pub(crate) async fn pg_create_proposal(&self, p: &Proposal) -> StoreResult<Proposal> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let mut p = p.clone();
        if p.state == Verdict::Approved {
            add_title(&tx, &mut p).await?;
        }
        let r = ProposalRow::from_proposal(&p);
        p.id = tx
            .query_one(
                "INSERT INTO proposals (appid, title, keywords, state, violations, title_id, created_at, decided_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[&r.appid, &r.title, &r.keywords, &r.state, &r.violations, &r.title_id, &r.created_at, &r.decided_at],
            )
            .await
            .map_err(backend)?
            .get(0);
        tx.commit().await.map_err(backend)?;
        Ok(p)
    }

    pub(crate) async fn pg_get_proposal(&self, id: i64) -> StoreResult<Option<Proposal>> {
        let client = self.client().await?;
        client
            .query_opt(
                &format!("SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(backend)?
            .map(|r| proposal_row(&r).into_proposal())
            .transpose()
    }

    pub(crate) async fn pg_list_proposals(
        &self,
        state: Option<&str>,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Proposal>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE id > $1 AND ($2::text IS NULL OR state = $2)
                     ORDER BY id LIMIT $3"
                ),
                &[&after.unwrap_or(0), &state, &i64::from(limit)],
            )
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|r| proposal_row(r).into_proposal())
            .collect()
    }

    pub(crate) async fn pg_decide_proposal(
        &self,
        id: i64,
        approve: bool,
        now: Timestamp,
    ) -> StoreResult<Option<Proposal>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let Some(mut p) = tx
            .query_opt(
                &format!("SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE id = $1 FOR UPDATE"),
                &[&id],
            )
            .await
            .map_err(backend)?
            .map(|r| proposal_row(&r).into_proposal())
            .transpose()?
            .filter(|p| p.state == Verdict::Pending)
        else {
            return Ok(None);
        };
        if approve {
            add_title(&tx, &mut p).await?;
        }
        p.decide(approve, now);
        let r = ProposalRow::from_proposal(&p);
        tx.execute(
            "UPDATE proposals SET state = $2, title_id = $3, decided_at = $4 WHERE id = $1",
            &[&id, &r.state, &r.title_id, &r.decided_at],
        )
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(Some(p))
    }

    pub(crate) async fn pg_create_complaint(&self, x: &Complaint) -> StoreResult<Complaint> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO complaints (appid, openid, message_id, template_id, reason, text, state, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) ON CONFLICT (message_id) DO NOTHING",
                &[&x.appid.as_str(), &x.openid.as_str(), &x.message_id, &x.template_id, &x.reason.as_str(), &x.text, &x.created_at.as_millis()],
            )
            .await
            .map_err(backend)?;
        complaint_where(&client, "message_id = $1", &[&x.message_id])
            .await?
            .ok_or_else(|| StoreError::Backend("complaint vanished".into()))
    }

    pub(crate) async fn pg_get_complaint(&self, id: i64) -> StoreResult<Option<Complaint>> {
        let client = self.client().await?;
        complaint_where(&client, "id = $1", &[&id]).await
    }

    pub(crate) async fn pg_list_complaints(
        &self,
        state: Option<&str>,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Complaint>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE id > $1 AND ($2::text IS NULL OR state = $2)
                     ORDER BY id LIMIT $3"
                ),
                &[&after.unwrap_or(0), &state, &i64::from(limit)],
            )
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|r| complaint_row(r).into_complaint())
            .collect()
    }

    pub(crate) async fn pg_dismiss_complaint(
        &self,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<Option<Complaint>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let x = decide(&tx, id, "dismissed", now).await?;
        tx.commit().await.map_err(backend)?;
        Ok(x)
    }

    pub(crate) async fn pg_confirm_complaint(
        &self,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<Option<Penalty>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let Some(x) = decide(&tx, id, "confirmed", now).await? else {
            return Ok(None);
        };
        let appid = x.appid.as_str();
        // One app's ladder climbs one rung at a time, whatever the node.
        tx.execute("SELECT 1 FROM apps WHERE appid = $1 FOR UPDATE", &[&appid])
            .await
            .map_err(backend)?;
        let done: i64 = tx
            .query_one("SELECT COUNT(*) FROM penalties WHERE appid = $1", &[&appid])
            .await
            .map_err(backend)?
            .get(0);
        let mut p = next_penalty(&x, done as u32 + 1, now);
        match p.ends_at {
            None => {
                tx.execute(
                    "DELETE FROM templates WHERE appid = $1 AND template_id = $2",
                    &[&appid, &x.template_id],
                )
                .await
                .map_err(backend)?;
                tx.execute(
                    "DELETE FROM ws_templates WHERE appid = $1 AND id = $2",
                    &[&appid, &x.template_id],
                )
                .await
                .map_err(backend)?;
            }
            Some(until) => {
                tx.execute(
                    "UPDATE apps SET banned_until = GREATEST(COALESCE(banned_until, 0), $2), updated_at = $3 WHERE appid = $1",
                    &[&appid, &until.as_millis(), &now.as_millis()],
                )
                .await
                .map_err(backend)?;
            }
        }
        p.id = tx
            .query_one(
                "INSERT INTO penalties (appid, nth, action, complaint_id, template_id, starts_at, ends_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &[&appid, &i64::from(p.nth), &p.action.as_str(), &p.complaint_id, &p.template_id, &now.as_millis(), &p.ends_at.map(Timestamp::as_millis)],
            )
            .await
            .map_err(backend)?
            .get(0);
        let (title, body) = p.notice();
        notice_in(&tx, &x.appid, &title, &body, now).await?;
        if crate::events::has_webhooks(&tx, appid).await? {
            crate::events::emit(&tx, appid, "app.penalized", &penalty_event(&p), now).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(Some(p))
    }

    pub(crate) async fn pg_list_penalties(&self, appid: &AppId) -> StoreResult<Vec<Penalty>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("SELECT {PENALTY_COLUMNS} FROM penalties WHERE appid = $1 ORDER BY nth"),
                &[&appid.as_str()],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(|r| penalty_row(r).into_penalty()).collect()
    }

    pub(crate) async fn pg_insert_notice(
        &self,
        appid: &AppId,
        title: &str,
        body: &str,
        now: Timestamp,
    ) -> StoreResult<Notice> {
        let client = self.client().await?;
        notice_in(&client, appid, title, body, now).await
    }

    pub(crate) async fn pg_list_notices(
        &self,
        appid: &AppId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Notice>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {NOTICE_COLUMNS} FROM notices WHERE appid = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
                ),
                &[&appid.as_str(), &before.unwrap_or(i64::MAX), &i64::from(limit)],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(|r| notice_row(r).into_notice()).collect()
    }
}
