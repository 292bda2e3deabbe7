//! The SQL of marketing templates, send statistics and settings.

use rusqlite::{params, Connection, OptionalExtension, Row};
use tidings_engine::{AppId, MarketingTemplate};
use tidings_store::rows::{MarketingRow, MARKETING_COLUMNS};
use tidings_store::{SendStats, StoreResult};

use crate::backend;

fn marketing_row(r: &Row<'_>) -> rusqlite::Result<MarketingRow> {
    Ok(MarketingRow {
        id: r.get(0)?,
        appid: r.get(1)?,
        wechat_id: r.get(2)?,
        inner_title: r.get(3)?,
        title: r.get(4)?,
        template_id: r.get(5)?,
        content: r.get(6)?,
        url: r.get(7)?,
        miniprogram: r.get(8)?,
        tags_id: r.get(9)?,
        topcolor: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
    })
}

pub(crate) fn put_setting(c: &Connection, key: &str, value: &str) -> StoreResult<()> {
    c.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn send_stats(c: &Connection, send_id: i64) -> StoreResult<SendStats> {
    let read: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM messages WHERE send_id = ?1 AND read_at IS NOT NULL",
            [send_id],
            |r| r.get(0),
        )
        .map_err(backend)?;
    let (clicks, unique_clickers): (i64, i64) = c
        .query_row(
            "SELECT COUNT(*), COUNT(DISTINCT openid) FROM clicks WHERE send_id = ?1",
            [send_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(backend)?;
    Ok(SendStats {
        read,
        clicks,
        unique_clickers,
    })
}

pub(crate) fn insert_marketing(c: &Connection, t: &MarketingTemplate) -> StoreResult<i64> {
    let r = MarketingRow::from_template(t);
    c.prepare_cached(
        "INSERT INTO marketing_templates (appid, wechat_id, inner_title, title, template_id, content, url,
                                          miniprogram, tags_id, topcolor, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id",
    )
    .map_err(backend)?
    .query_row(
        params![r.appid, r.wechat_id, r.inner_title, r.title, r.template_id, r.content, r.url, r.miniprogram, r.tags_id, r.topcolor, r.created_at, r.updated_at],
        |row| row.get(0),
    )
    .map_err(backend)
}

pub(crate) fn get_marketing(
    c: &Connection,
    appid: &AppId,
    id: i64,
) -> StoreResult<Option<MarketingTemplate>> {
    c.prepare_cached(&format!(
        "SELECT {MARKETING_COLUMNS} FROM marketing_templates WHERE appid = ?1 AND id = ?2"
    ))
    .map_err(backend)?
    .query_row(params![appid.as_str(), id], marketing_row)
    .optional()
    .map_err(backend)?
    .map(MarketingRow::into_template)
    .transpose()
}

pub(crate) fn update_marketing(c: &Connection, t: &MarketingTemplate) -> StoreResult<bool> {
    let r = MarketingRow::from_template(t);
    let n = c
        .prepare_cached(
            "UPDATE marketing_templates SET wechat_id = ?3, inner_title = ?4, title = ?5, template_id = ?6,
                 content = ?7, url = ?8, miniprogram = ?9, tags_id = ?10, topcolor = ?11, updated_at = ?12
             WHERE appid = ?1 AND id = ?2",
        )
        .map_err(backend)?
        .execute(params![r.appid, r.id, r.wechat_id, r.inner_title, r.title, r.template_id, r.content, r.url, r.miniprogram, r.tags_id, r.topcolor, r.updated_at])
        .map_err(backend)?;
    Ok(n > 0)
}

pub(crate) fn delete_marketing(c: &Connection, appid: &AppId, id: i64) -> StoreResult<bool> {
    let n = c
        .prepare_cached("DELETE FROM marketing_templates WHERE appid = ?1 AND id = ?2")
        .map_err(backend)?
        .execute(params![appid.as_str(), id])
        .map_err(backend)?;
    Ok(n > 0)
}

pub(crate) fn list_marketing(
    c: &Connection,
    appid: &AppId,
    title: Option<&str>,
    tag: Option<i64>,
    offset: u32,
    limit: u32,
) -> StoreResult<(Vec<MarketingTemplate>, i64)> {
    let filter = "appid = ?1
         AND (?2 IS NULL OR instr(title, ?2) > 0 OR instr(inner_title, ?2) > 0)
         AND (?3 IS NULL OR EXISTS (SELECT 1 FROM json_each(tags_id) WHERE value = ?3))";
    let total: i64 = c
        .query_row(
            &format!("SELECT COUNT(*) FROM marketing_templates WHERE {filter}"),
            params![appid.as_str(), title, tag],
            |r| r.get(0),
        )
        .map_err(backend)?;
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {MARKETING_COLUMNS} FROM marketing_templates WHERE {filter} ORDER BY id DESC LIMIT ?4 OFFSET ?5"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map(
            params![appid.as_str(), title, tag, limit, offset],
            marketing_row,
        )
        .map_err(backend)?;
    let items = rows
        .map(|r| r.map_err(backend).and_then(MarketingRow::into_template))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((items, total))
}
