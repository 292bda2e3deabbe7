//! A chunk's messages inserted many rows a statement: one statement runs,
//! and is stepped, once per batch instead of once per recipient. Used when
//! no webhook needs each message's id for its events; the one-row form
//! serves the path that does. Rows are lean: what the send keeps for all
//! its recipients is not repeated (`tidings_store::frame`).

use rusqlite::types::ToSql;
use rusqlite::Connection;
use tidings_store::frame::ChunkRows;
use tidings_store::rows::{chunk_status, platforms_column};
use tidings_store::{Chunk, StoreResult};

use crate::backend;

const COLUMNS: &str = "appid, openid, send_id, status, created_at, delivered_at, rows, emphasis,
                       failed_reason, link_token, platforms";
const PER_ROW: usize = 11;
/// Rows a statement; 11 parameters each stays far below SQLite's limit.
const BATCH: usize = 64;

/// What differs per recipient, serialized once.
pub(crate) struct Prepared<'a> {
    pub openid: &'a str,
    pub rows: &'a str,
    pub emphasis: Option<i64>,
    pub failed_reason: Option<&'a str>,
    pub link_token: Option<&'a str>,
    pub platforms: Option<String>,
}

/// The chunk's messages with their stored rows, in the chunk's order.
pub(crate) fn prepare<'a>(chunk: &'a Chunk, rows: &'a ChunkRows) -> Vec<Prepared<'a>> {
    chunk
        .messages
        .iter()
        .zip(&rows.rows)
        .map(|(m, rows)| Prepared {
            openid: m.openid.as_str(),
            rows,
            emphasis: m.emphasis.map(|e| e as i64),
            failed_reason: m.failed_reason.as_deref(),
            link_token: m.link_token.as_deref(),
            platforms: platforms_column(&m.platforms),
        })
        .collect()
}

/// `INSERT INTO messages` of `rows` rows, skipping recipients the send
/// already has (a chunk committed before).
pub(crate) fn insert_sql(rows: usize) -> String {
    let one = format!("({})", ["?"; PER_ROW].join(", "));
    format!(
        "INSERT INTO messages ({COLUMNS}) VALUES {} ON CONFLICT (send_id, openid) DO NOTHING",
        vec![one; rows].join(", ")
    )
}

/// What every row of a statement shares.
pub(crate) struct Shared<'a> {
    pub appid: &'a str,
    pub send_id: i64,
    pub status: &'static str,
    pub now: i64,
    pub delivered_at: Option<i64>,
}

impl<'a> Shared<'a> {
    pub(crate) fn new(chunk: &'a Chunk, failed: bool) -> Self {
        let now = chunk.now.as_millis();
        let (status, delivered_at) = chunk_status(failed, now);
        Self {
            appid: chunk.send.appid.as_str(),
            send_id: chunk.send.id,
            status,
            now,
            delivered_at,
        }
    }
}

/// One row's parameters, in `COLUMNS` order.
pub(crate) fn row_params<'a>(s: &'a Shared<'a>, p: &'a Prepared<'a>) -> [&'a dyn ToSql; PER_ROW] {
    [
        &s.appid as &dyn ToSql,
        &p.openid,
        &s.send_id,
        &s.status,
        &s.now,
        &s.delivered_at,
        &p.rows,
        &p.emphasis,
        &p.failed_reason,
        &p.link_token,
        &p.platforms,
    ]
}

/// Inserts the chunk's messages; returns how many delivered and how many
/// failed rows were new (a chunk committed before adds none).
pub(crate) fn insert_messages(
    c: &Connection,
    chunk: &Chunk,
    rows: &ChunkRows,
) -> StoreResult<(i64, i64)> {
    let prepared = prepare(chunk, rows);
    let (failed, delivered): (Vec<&Prepared<'_>>, Vec<&Prepared<'_>>) =
        prepared.iter().partition(|p| p.failed_reason.is_some());
    let full = insert_sql(BATCH);
    let mut counts = [0i64; 2];
    for (i, group) in [&delivered, &failed].into_iter().enumerate() {
        let shared = Shared::new(chunk, i == 1);
        for batch in group.chunks(BATCH) {
            let sql = if batch.len() == BATCH {
                &full
            } else {
                &insert_sql(batch.len())
            };
            let mut stmt = c.prepare_cached(sql).map_err(backend)?;
            let mut values: Vec<&dyn ToSql> = Vec::with_capacity(batch.len() * PER_ROW);
            for p in batch {
                values.extend_from_slice(&row_params(&shared, p));
            }
            counts[i] += stmt.execute(values.as_slice()).map_err(backend)? as i64;
        }
    }
    Ok((counts[0], counts[1]))
}
