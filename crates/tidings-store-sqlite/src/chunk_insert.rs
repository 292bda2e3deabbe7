//! A chunk's messages inserted many rows a statement: one statement runs,
//! and is stepped, once per batch instead of once per recipient. Used when
//! no webhook needs each message's id for its events; the one-row form
//! serves the path that does.

use rusqlite::types::ToSql;
use rusqlite::Connection;
use tidings_store::rows::{card_column, platforms_column};
use tidings_store::{Chunk, StoreResult};

use crate::backend;

const COLUMNS: &str = "appid, openid, template_id, title, rows, emphasis, page, created_at,
                       send_id, status, failed_reason, link_token, url, delivered_at,
                       card, platforms";
/// Rows a statement; 16 parameters each stays far below SQLite's limit.
const BATCH: usize = 64;

/// What differs per recipient, serialized once.
struct Prepared<'a> {
    openid: &'a str,
    rows: String,
    emphasis: Option<i64>,
    failed_reason: Option<&'a str>,
    link_token: Option<&'a str>,
    platforms: Option<String>,
}

/// `INSERT INTO messages` of `rows` rows, skipping recipients the send
/// already has (a chunk committed before).
pub(crate) fn insert_sql(rows: usize) -> String {
    let one = format!("({})", vec!["?"; 16].join(", "));
    format!(
        "INSERT INTO messages ({COLUMNS}) VALUES {} ON CONFLICT (send_id, openid) DO NOTHING",
        vec![one; rows].join(", ")
    )
}

/// Inserts the chunk's messages; returns how many delivered and how many
/// failed rows were new (a chunk committed before adds none).
pub(crate) fn insert_messages(c: &Connection, chunk: &Chunk) -> StoreResult<(i64, i64)> {
    let s = &chunk.send;
    let now = chunk.now.as_millis();
    let card = card_column(&s.spec);
    let (appid, template_id) = (s.appid.as_str(), s.template_id.as_str());
    let prepared: Vec<Prepared<'_>> = chunk
        .messages
        .iter()
        .map(|m| Prepared {
            openid: m.openid.as_str(),
            rows: serde_json::to_string(&m.rows).expect("rows serialize"),
            emphasis: m.emphasis.map(|e| e as i64),
            failed_reason: m.failed_reason.as_deref(),
            link_token: m.link_token.as_deref(),
            platforms: platforms_column(&m.platforms),
        })
        .collect();
    let (failed, delivered): (Vec<&Prepared<'_>>, Vec<&Prepared<'_>>) =
        prepared.iter().partition(|p| p.failed_reason.is_some());
    let full = insert_sql(BATCH);
    let mut counts = [0i64; 2];
    for (i, (group, status)) in [(&delivered, "delivered"), (&failed, "failed")]
        .into_iter()
        .enumerate()
    {
        let delivered_at = (status == "delivered").then_some(now);
        for batch in group.chunks(BATCH) {
            let sql = if batch.len() == BATCH {
                &full
            } else {
                &insert_sql(batch.len())
            };
            let mut stmt = c.prepare_cached(sql).map_err(backend)?;
            let mut values: Vec<&dyn ToSql> = Vec::with_capacity(batch.len() * 16);
            for p in batch {
                values.extend_from_slice(&[
                    &appid as &dyn ToSql,
                    &p.openid,
                    &template_id,
                    &s.title,
                    &p.rows,
                    &p.emphasis,
                    &s.spec.page,
                    &now,
                    &s.id,
                    &status,
                    &p.failed_reason,
                    &p.link_token,
                    &s.spec.url,
                    &delivered_at,
                    &card,
                    &p.platforms,
                ]);
            }
            counts[i] += stmt.execute(values.as_slice()).map_err(backend)? as i64;
        }
    }
    Ok((counts[0], counts[1]))
}
