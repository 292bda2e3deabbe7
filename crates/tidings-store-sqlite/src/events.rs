//! The outbox: events written in the transaction of the change they tell
//! of, with a delivery for each subscribed webhook.

use rusqlite::{params, Connection, OptionalExtension, Row};
use tidings_engine::{AppId, Timestamp, Webhook};
use tidings_store::rows::{
    attempt_columns, event_types_column, DeliveryRow, WebhookRow, DELIVERY_COLUMNS, WEBHOOK_COLUMNS,
};
use tidings_store::{AttemptResult, Delivery, DueDelivery, StoreResult};

use crate::backend;

/// Whether the app has any active webhook (skip building events if not);
/// on the writer's connection, remembered until `webhooks` changes.
pub(crate) fn has_webhooks(c: &Connection, appid: &str) -> StoreResult<bool> {
    if let Some(answer) = crate::webhook_answers::get(c, appid) {
        return Ok(answer);
    }
    let answer = c
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM webhooks WHERE appid = ?1 AND disabled_at IS NULL)",
        )
        .map_err(backend)?
        .query_row([appid], |r| r.get(0))
        .map_err(backend)?;
    crate::webhook_answers::keep(c, appid, answer);
    Ok(answer)
}

/// Records an event and queues its deliveries, if any webhook wants it.
pub(crate) fn emit(
    c: &Connection,
    appid: &str,
    kind: &str,
    payload: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let event: Option<i64> = c
        .prepare_cached(
            "INSERT INTO events (appid, type, payload, created_at)
             SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (
                 SELECT 1 FROM webhooks WHERE appid = ?1 AND disabled_at IS NULL
                 AND event_types LIKE '%,' || ?2 || ',%')
             RETURNING id",
        )
        .map_err(backend)?
        .query_row(params![appid, kind, payload, now.as_millis()], |r| r.get(0))
        .optional()
        .map_err(backend)?;
    if let Some(event) = event {
        c.prepare_cached(
            "INSERT INTO deliveries (webhook_id, event_id, state, attempts, next_attempt_at, created_at, updated_at)
             SELECT id, ?2, 'pending', 0, ?3, ?3, ?3 FROM webhooks
             WHERE appid = ?1 AND disabled_at IS NULL AND event_types LIKE '%,' || ?4 || ',%'",
        )
        .map_err(backend)?
        .execute(params![appid, event, now.as_millis(), kind])
        .map_err(backend)?;
    }
    Ok(())
}

fn webhook_row(r: &Row<'_>) -> rusqlite::Result<WebhookRow> {
    Ok(WebhookRow {
        id: r.get(0)?,
        appid: r.get(1)?,
        url: r.get(2)?,
        secret: r.get(3)?,
        event_types: r.get(4)?,
        created_at: r.get(5)?,
    })
}

fn delivery_row(r: &Row<'_>) -> rusqlite::Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.get(0)?,
        webhook_id: r.get(1)?,
        event_id: r.get(2)?,
        event_type: r.get(3)?,
        state: r.get(4)?,
        attempts: r.get(5)?,
        next_attempt_at: r.get(6)?,
        last_status: r.get(7)?,
        last_error: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
    })
}

pub(crate) fn create_webhook(
    c: &Connection,
    appid: &AppId,
    url: &str,
    secret: &str,
    types: &[String],
    now: Timestamp,
) -> StoreResult<Webhook> {
    c.prepare_cached(&format!(
        "INSERT INTO webhooks (appid, url, secret, event_types, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         RETURNING {WEBHOOK_COLUMNS}"
    ))
    .map_err(backend)?
    .query_row(params![appid.as_str(), url, secret, event_types_column(types), now.as_millis()], webhook_row)
    .map_err(backend)?
    .into_webhook()
}

pub(crate) fn list_webhooks(c: &Connection, appid: &AppId) -> StoreResult<Vec<Webhook>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE appid = ?1 AND disabled_at IS NULL ORDER BY id"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map([appid.as_str()], webhook_row)
        .map_err(backend)?;
    rows.map(|r| r.map_err(backend).and_then(WebhookRow::into_webhook))
        .collect()
}

/// Disables rather than deletes: its deliveries stay listed.
pub(crate) fn delete_webhook(
    c: &Connection,
    appid: &AppId,
    id: i64,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = c
        .prepare_cached("UPDATE webhooks SET disabled_at = ?3 WHERE appid = ?1 AND id = ?2 AND disabled_at IS NULL")
        .map_err(backend)?
        .execute(params![appid.as_str(), id, now.as_millis()])
        .map_err(backend)?;
    Ok(n > 0)
}

pub(crate) fn claim_deliveries(
    c: &Connection,
    now: Timestamp,
    lease_until: Timestamp,
    claim: &str,
    limit: u32,
) -> StoreResult<Vec<DueDelivery>> {
    c.prepare_cached(
        "UPDATE deliveries SET claim = ?3, lease_until = ?2
         WHERE id IN (SELECT id FROM deliveries
                      WHERE state = 'pending' AND next_attempt_at <= ?1
                        AND (lease_until IS NULL OR lease_until < ?1)
                      ORDER BY next_attempt_at LIMIT ?4)",
    )
    .map_err(backend)?
    .execute(params![
        now.as_millis(),
        lease_until.as_millis(),
        claim,
        limit
    ])
    .map_err(backend)?;
    let mut stmt = c
        .prepare_cached(
            "SELECT d.id, d.attempts, e.id, e.type, e.payload, w.url, w.secret
             FROM deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id
             WHERE d.claim = ?1 AND d.state = 'pending'",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map([claim], |r| {
            Ok(DueDelivery {
                id: r.get(0)?,
                attempts: r.get::<_, i64>(1)?.max(0) as u32,
                event_id: r.get(2)?,
                event_type: r.get(3)?,
                payload: r.get(4)?,
                url: r.get(5)?,
                secret: r.get(6)?,
            })
        })
        .map_err(backend)?;
    rows.map(|r| r.map_err(backend)).collect()
}

pub(crate) fn finish_delivery(
    c: &Connection,
    id: i64,
    claim: &str,
    result: &AttemptResult,
    now: Timestamp,
) -> StoreResult<()> {
    let (state, next, status, error) = attempt_columns(result);
    c.prepare_cached(
        "UPDATE deliveries SET state = ?3, attempts = attempts + 1, next_attempt_at = ?4, last_status = ?5,
             last_error = ?6, claim = NULL, lease_until = NULL, updated_at = ?7
         WHERE id = ?1 AND claim = ?2",
    )
    .map_err(backend)?
    .execute(params![id, claim, state, next, status, error, now.as_millis()])
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn list_deliveries(
    c: &Connection,
    appid: &AppId,
    webhook_id: i64,
    after: Option<i64>,
    limit: u32,
) -> StoreResult<Vec<Delivery>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.event_id
             JOIN webhooks w ON w.id = d.webhook_id
             WHERE w.appid = ?1 AND d.webhook_id = ?2 AND d.id > ?3 ORDER BY d.id LIMIT ?4"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map(
            params![appid.as_str(), webhook_id, after.unwrap_or(0), limit],
            delivery_row,
        )
        .map_err(backend)?;
    rows.map(|r| r.map(DeliveryRow::into_delivery).map_err(backend))
        .collect()
}

pub(crate) fn replay_delivery(
    c: &Connection,
    appid: &AppId,
    id: i64,
    now: Timestamp,
) -> StoreResult<Option<Delivery>> {
    let n = c
        .prepare_cached(
            "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?3, claim = NULL,
                 lease_until = NULL, updated_at = ?3
             WHERE id = ?2 AND webhook_id IN (SELECT id FROM webhooks WHERE appid = ?1)",
        )
        .map_err(backend)?
        .execute(params![appid.as_str(), id, now.as_millis()])
        .map_err(backend)?;
    if n == 0 {
        return Ok(None);
    }
    c.prepare_cached(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = ?1"
    ))
    .map_err(backend)?
    .query_row([id], delivery_row)
    .optional()
    .map_err(backend)
    .map(|r| r.map(DeliveryRow::into_delivery))
}
