//! The SQL of what the console and the recipient inbox read: a send's
//! timeline, inbox passes and library search.

use rusqlite::{params, Connection, OptionalExtension};
use tidings_engine::{InboxPass, LibraryTitle, TokenHash};
use tidings_store::console_rows::InboxPassRow;
use tidings_store::rows::LibraryRow;
use tidings_store::{StoreResult, TimelineBucket};

use crate::backend;
use crate::sends::library_row;

pub(crate) fn send_timeline(
    c: &Connection,
    send_id: i64,
    bucket_ms: i64,
    max_buckets: u32,
) -> StoreResult<Vec<TimelineBucket>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT at, SUM(sent), SUM(rd), SUM(clicked) FROM (
                 SELECT (created_at / ?2) * ?2 AS at, 1 AS sent, 0 AS rd, 0 AS clicked
                   FROM messages WHERE send_id = ?1
                 UNION ALL
                 SELECT (read_at / ?2) * ?2, 0, 1, 0
                   FROM messages WHERE send_id = ?1 AND read_at IS NOT NULL
                 UNION ALL
                 SELECT (clicked_at / ?2) * ?2, 0, 0, 1
                   FROM messages WHERE send_id = ?1 AND clicked_at IS NOT NULL
             ) GROUP BY at ORDER BY at LIMIT ?3",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![send_id, bucket_ms, max_buckets], |r| {
            Ok(TimelineBucket {
                at: r.get(0)?,
                sent: r.get(1)?,
                read: r.get(2)?,
                clicked: r.get(3)?,
            })
        })
        .map_err(backend)?;
    rows.map(|r| r.map_err(backend)).collect()
}

pub(crate) fn insert_inbox_pass(c: &Connection, p: &InboxPass) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO inbox_passes (hash, appid, openid, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .map_err(backend)?
    .execute(params![
        p.hash.to_hex(),
        p.appid.as_str(),
        p.openid.as_str(),
        p.created_at.as_millis(),
        p.expires_at.as_millis()
    ])
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn inbox_pass(c: &Connection, hash: &TokenHash) -> StoreResult<Option<InboxPass>> {
    c.prepare_cached(
        "SELECT hash, appid, openid, created_at, expires_at FROM inbox_passes WHERE hash = ?1",
    )
    .map_err(backend)?
    .query_row([hash.to_hex()], |r| {
        Ok(InboxPassRow {
            hash: r.get(0)?,
            appid: r.get(1)?,
            openid: r.get(2)?,
            created_at: r.get(3)?,
            expires_at: r.get(4)?,
        })
    })
    .optional()
    .map_err(backend)?
    .map(InboxPassRow::into_pass)
    .transpose()
}

/// Titles containing `search` (all when empty), a page of them and their
/// count.
pub(crate) fn library_page(
    c: &Connection,
    offset: u32,
    count: u32,
    search: &str,
) -> StoreResult<(Vec<LibraryTitle>, u64)> {
    let total: i64 = c
        .prepare_cached("SELECT COUNT(*) FROM library_titles WHERE ?1 = '' OR instr(title, ?1) > 0")
        .map_err(backend)?
        .query_row([search], |r| r.get(0))
        .map_err(backend)?;
    let mut stmt = c
        .prepare_cached(
            "SELECT id, num, title, keywords FROM library_titles
              WHERE ?1 = '' OR instr(title, ?1) > 0
              ORDER BY num LIMIT ?2 OFFSET ?3",
        )
        .map_err(backend)?;
    let titles = stmt
        .query_map(params![search, count, offset], library_row)
        .map_err(backend)?
        .map(|r| r.map_err(backend).and_then(LibraryRow::into_title))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((titles, total as u64))
}
