//! A chunk's messages as the writer stores them, and their inserts.
//!
//! Everything that can be done before the writer takes a chunk is: the
//! rows are split against the send's frame and serialized on the caller's
//! thread ([`StoredChunk::new`]), so the writer only binds and steps. Rows
//! go in many a statement; what every row shares (app, send, status, times)
//! is bound once per statement as `?1`–`?5`, and a recipient with nothing
//! but an openid and values (the common case) binds just those two. Rows
//! are lean: what the send keeps for all its recipients is not repeated
//! (`tidings_store::frame`).

use std::sync::OnceLock;

use rusqlite::types::ToSql;
use rusqlite::Connection;
use tidings_store::frame::{chunk_rows, ChunkRows};
use tidings_store::rows::{chunk_status, platforms_column};
use tidings_store::{Chunk, StoreResult};

use crate::backend;

const COLUMNS: &str = "appid, openid, send_id, status, created_at, delivered_at, rows, emphasis,
                       failed_reason, link_secret, platforms";
/// Parameters every row of a statement shares: `?1`–`?5`.
const SHARED: usize = 5;
/// Rows a statement. A bare row binds 2 parameters, a full one 6: both
/// stay far below SQLite's limit.
const BATCH: usize = 256;

/// One recipient's message, serialized.
pub(crate) struct Recipient {
    pub openid: String,
    pub rows: String,
    pub emphasis: Option<i64>,
    pub failed_reason: Option<String>,
    pub link_secret: Option<String>,
    pub platforms: Option<String>,
}

impl Recipient {
    /// Nothing but an openid and values: bound as two parameters.
    fn bare(&self) -> bool {
        self.emphasis.is_none()
            && self.failed_reason.is_none()
            && self.link_secret.is_none()
            && self.platforms.is_none()
    }

    fn params(&self) -> [&dyn ToSql; 6] {
        [
            &self.openid as &dyn ToSql,
            &self.rows,
            &self.emphasis,
            &self.failed_reason,
            &self.link_secret,
            &self.platforms,
        ]
    }
}

/// A chunk made ready for the writer.
pub(crate) struct StoredChunk {
    /// The chunk without its messages: send, cursor, times.
    pub head: Chunk,
    /// The send's frame as read before the rows were split against it; the
    /// writer checks it still is.
    pub read_frame: Option<String>,
    /// The frame the send has once this chunk commits.
    pub frame: Option<String>,
    pub recipients: Vec<Recipient>,
}

impl StoredChunk {
    pub(crate) fn new(chunk: &Chunk, read_frame: Option<String>) -> StoreResult<Self> {
        let ChunkRows { frame, rows } = chunk_rows(chunk, read_frame.as_deref())?;
        let recipients = chunk
            .messages
            .iter()
            .zip(rows)
            .map(|(m, rows)| Recipient {
                openid: m.openid.as_str().to_owned(),
                rows,
                emphasis: m.emphasis.map(|e| e as i64),
                failed_reason: m.failed_reason.clone(),
                link_secret: m.link_secret.clone(),
                platforms: platforms_column(&m.platforms),
            })
            .collect();
        let head = Chunk {
            send: chunk.send.clone(),
            messages: Vec::new(),
            from: chunk.from.clone(),
            cursor: chunk.cursor.clone(),
            done: chunk.done,
            now: chunk.now,
            lease_until: chunk.lease_until,
        };
        Ok(Self {
            head,
            read_frame,
            frame,
            recipients,
        })
    }
}

/// `INSERT INTO messages` of `rows` rows, skipping recipients the send
/// already has (a chunk committed before).
pub(crate) fn insert_sql(rows: usize, bare: bool) -> String {
    let per = if bare { 2 } else { 6 };
    let tuples: Vec<String> = (0..rows)
        .map(|r| {
            let first = SHARED + 1 + r * per;
            let own: Vec<String> = (first..first + per).map(|i| format!("?{i}")).collect();
            let rest = match bare {
                true => format!("{}, NULL, NULL, NULL, NULL", own[1]),
                false => own[1..].join(", "),
            };
            format!("(?1, {}, ?2, ?3, ?4, ?5, {rest})", own[0])
        })
        .collect();
    format!(
        "INSERT INTO messages ({COLUMNS}) VALUES {} ON CONFLICT (send_id, openid) DO NOTHING",
        tuples.join(", ")
    )
}

/// The statement of a full batch, made once.
fn full_batch_sql(bare: bool) -> &'static str {
    static SQL: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
    SQL[usize::from(bare)].get_or_init(|| insert_sql(BATCH, bare))
}

/// What every row of a statement shares, in `?1`–`?5` order.
pub(crate) struct Shared<'a> {
    appid: &'a str,
    send_id: i64,
    status: &'static str,
    now: i64,
    delivered_at: Option<i64>,
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

    fn params(&self) -> [&dyn ToSql; SHARED] {
        [
            &self.appid as &dyn ToSql,
            &self.send_id,
            &self.status,
            &self.now,
            &self.delivered_at,
        ]
    }
}

/// Inserts one recipient's message; returns whether it was new.
pub(crate) fn insert_one(c: &Connection, shared: &Shared<'_>, r: &Recipient) -> StoreResult<bool> {
    let mut stmt = c.prepare_cached(&insert_sql(1, false)).map_err(backend)?;
    let mut values: Vec<&dyn ToSql> = shared.params().to_vec();
    values.extend_from_slice(&r.params());
    Ok(stmt.execute(values.as_slice()).map_err(backend)? > 0)
}

/// Inserts the chunk's messages; returns how many delivered and how many
/// failed rows were new (a chunk committed before adds none).
pub(crate) fn insert_messages(c: &Connection, chunk: &StoredChunk) -> StoreResult<(i64, i64)> {
    let mut counts = [0i64; 2];
    for (i, failed) in [false, true].into_iter().enumerate() {
        let shared = Shared::new(&chunk.head, failed);
        for bare in [true, false] {
            let group: Vec<&Recipient> = chunk
                .recipients
                .iter()
                .filter(|r| r.failed_reason.is_some() == failed && r.bare() == bare)
                .collect();
            for batch in group.chunks(BATCH) {
                let sql = match batch.len() {
                    BATCH => full_batch_sql(bare),
                    n => &insert_sql(n, bare),
                };
                let mut stmt = c.prepare_cached(sql).map_err(backend)?;
                let mut values: Vec<&dyn ToSql> = shared.params().to_vec();
                for r in batch {
                    let own = r.params();
                    values.extend_from_slice(if bare { &own[..2] } else { &own });
                }
                counts[i] += stmt.execute(values.as_slice()).map_err(backend)? as i64;
            }
        }
    }
    Ok((counts[0], counts[1]))
}
