//! The outbox: events written in the transaction of the change they tell
//! of, with a delivery for each subscribed webhook.

use deadpool_postgres::GenericClient;
use tidings_engine::{AppId, Timestamp, Webhook};
use tidings_store::rows::{
    attempt_columns, event_types_column, DeliveryRow, WebhookRow, DELIVERY_COLUMNS, WEBHOOK_COLUMNS,
};
use tidings_store::{AttemptResult, Delivery, DueDelivery, StoreResult};
use tokio_postgres::Row;

use crate::{backend, PgStore};

pub(crate) async fn has_webhooks<C: GenericClient>(c: &C, appid: &str) -> StoreResult<bool> {
    Ok(c.query_one(
        "SELECT EXISTS (SELECT 1 FROM webhooks WHERE appid = $1 AND disabled_at IS NULL)",
        &[&appid],
    )
    .await
    .map_err(backend)?
    .get(0))
}

pub(crate) async fn emit<C: GenericClient>(
    c: &C,
    appid: &str,
    kind: &str,
    payload: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let event = c
        .query_opt(
            "INSERT INTO events (appid, type, payload, created_at)
             SELECT $1, $2, $3, $4 WHERE EXISTS (
                 SELECT 1 FROM webhooks WHERE appid = $1 AND disabled_at IS NULL
                 AND event_types LIKE '%,' || $2 || ',%')
             RETURNING id",
            &[&appid, &kind, &payload, &now.as_millis()],
        )
        .await
        .map_err(backend)?;
    if let Some(row) = event {
        let event: i64 = row.get(0);
        c.execute(
            "INSERT INTO deliveries (webhook_id, event_id, state, attempts, next_attempt_at, created_at, updated_at)
             SELECT id, $2, 'pending', 0, $3, $3, $3 FROM webhooks
             WHERE appid = $1 AND disabled_at IS NULL AND event_types LIKE '%,' || $4 || ',%'",
            &[&appid, &event, &now.as_millis(), &kind],
        )
        .await
        .map_err(backend)?;
    }
    Ok(())
}

fn webhook_row(r: &Row) -> WebhookRow {
    WebhookRow {
        id: r.get(0),
        appid: r.get(1),
        url: r.get(2),
        secret: r.get(3),
        event_types: r.get(4),
        created_at: r.get(5),
    }
}

fn delivery_row(r: &Row) -> DeliveryRow {
    DeliveryRow {
        id: r.get(0),
        webhook_id: r.get(1),
        event_id: r.get(2),
        event_type: r.get(3),
        state: r.get(4),
        attempts: r.get(5),
        next_attempt_at: r.get(6),
        last_status: r.get(7),
        last_error: r.get(8),
        created_at: r.get(9),
        updated_at: r.get(10),
    }
}

impl PgStore {
    pub(crate) async fn pg_create_webhook(
        &self,
        appid: &AppId,
        url: &str,
        secret: &str,
        types: &[String],
        now: Timestamp,
    ) -> StoreResult<Webhook> {
        let client = self.client().await?;
        let row = client
            .query_one(
                &format!(
                    "INSERT INTO webhooks (appid, url, secret, event_types, created_at) VALUES ($1, $2, $3, $4, $5)
                     RETURNING {WEBHOOK_COLUMNS}"
                ),
                &[&appid.as_str(), &url, &secret, &event_types_column(types), &now.as_millis()],
            )
            .await
            .map_err(backend)?;
        webhook_row(&row).into_webhook()
    }

    pub(crate) async fn pg_list_webhooks(&self, appid: &AppId) -> StoreResult<Vec<Webhook>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE appid = $1 AND disabled_at IS NULL ORDER BY id"),
                &[&appid.as_str()],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(|r| webhook_row(r).into_webhook()).collect()
    }

    pub(crate) async fn pg_delete_webhook(
        &self,
        appid: &AppId,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let client = self.client().await?;
        let n = client
            .execute(
                "UPDATE webhooks SET disabled_at = $3 WHERE appid = $1 AND id = $2 AND disabled_at IS NULL",
                &[&appid.as_str(), &id, &now.as_millis()],
            )
            .await
            .map_err(backend)?;
        Ok(n > 0)
    }

    /// `SKIP LOCKED`: dispatchers on several nodes take different deliveries.
    pub(crate) async fn pg_claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        claim: &str,
        limit: u32,
    ) -> StoreResult<Vec<DueDelivery>> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE deliveries SET claim = $3, lease_until = $2
                 WHERE id IN (SELECT id FROM deliveries
                              WHERE state = 'pending' AND next_attempt_at <= $1
                                AND (lease_until IS NULL OR lease_until < $1)
                              ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED)",
                &[
                    &now.as_millis(),
                    &lease_until.as_millis(),
                    &claim,
                    &i64::from(limit),
                ],
            )
            .await
            .map_err(backend)?;
        let rows = client
            .query(
                "SELECT d.id, d.attempts, e.id, e.type, e.payload, w.url, w.secret
                 FROM deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id
                 WHERE d.claim = $1 AND d.state = 'pending'",
                &[&claim],
            )
            .await
            .map_err(backend)?;
        Ok(rows
            .iter()
            .map(|r| DueDelivery {
                id: r.get(0),
                attempts: r.get::<_, i64>(1).max(0) as u32,
                event_id: r.get(2),
                event_type: r.get(3),
                payload: r.get(4),
                url: r.get(5),
                secret: r.get(6),
            })
            .collect())
    }

    pub(crate) async fn pg_finish_delivery(
        &self,
        id: i64,
        claim: &str,
        result: &AttemptResult,
        now: Timestamp,
    ) -> StoreResult<()> {
        let (state, next, status, error) = attempt_columns(result);
        let client = self.client().await?;
        client
            .execute(
                "UPDATE deliveries SET state = $3, attempts = attempts + 1, next_attempt_at = $4, last_status = $5,
                     last_error = $6, claim = NULL, lease_until = NULL, updated_at = $7
                 WHERE id = $1 AND claim = $2",
                &[&id, &claim, &state, &next, &status, &error, &now.as_millis()],
            )
            .await
            .map_err(backend)?;
        Ok(())
    }

    pub(crate) async fn pg_list_deliveries(
        &self,
        appid: &AppId,
        webhook_id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.event_id
                     JOIN webhooks w ON w.id = d.webhook_id
                     WHERE w.appid = $1 AND d.webhook_id = $2 AND d.id > $3 ORDER BY d.id LIMIT $4"
                ),
                &[
                    &appid.as_str(),
                    &webhook_id,
                    &after.unwrap_or(0),
                    &i64::from(limit),
                ],
            )
            .await
            .map_err(backend)?;
        Ok(rows
            .iter()
            .map(|r| delivery_row(r).into_delivery())
            .collect())
    }

    pub(crate) async fn pg_replay_delivery(
        &self,
        appid: &AppId,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<Option<Delivery>> {
        let client = self.client().await?;
        let n = client
            .execute(
                "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = $3, claim = NULL,
                     lease_until = NULL, updated_at = $3
                 WHERE id = $2 AND webhook_id IN (SELECT id FROM webhooks WHERE appid = $1)",
                &[&appid.as_str(), &id, &now.as_millis()],
            )
            .await
            .map_err(backend)?;
        if n == 0 {
            return Ok(None);
        }
        Ok(client
            .query_opt(
                &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = $1"),
                &[&id],
            )
            .await
            .map_err(backend)?
            .map(|r| delivery_row(&r).into_delivery()))
    }
}
