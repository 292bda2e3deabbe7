//! The SQL of workspace templates, employees' org paths and removing users.

use rusqlite::{params, Connection, OptionalExtension, Row};
use tidings_engine::employee::employee_orgs;
use tidings_engine::{AppId, OpenId, TemplateId, User, WorkspaceTemplate};
use tidings_store::rows::{WsTemplateRow, WS_TEMPLATE_COLUMNS};
use tidings_store::StoreResult;

use crate::backend;

fn ws_row(r: &Row<'_>) -> rusqlite::Result<WsTemplateRow> {
    Ok(WsTemplateRow {
        id: r.get(0)?,
        appid: r.get(1)?,
        source_type: r.get(2)?,
        title: r.get(3)?,
        tags: r.get(4)?,
        sample: r.get(5)?,
        actions: r.get(6)?,
        contents: r.get(7)?,
        operator: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
    })
}

/// Replaces the org paths of the employees among `users`.
pub(crate) fn replace_orgs(c: &Connection, users: &[User]) -> StoreResult<()> {
    let mut delete = c
        .prepare_cached("DELETE FROM employee_orgs WHERE appid = ?1 AND openid = ?2")
        .map_err(backend)?;
    let mut insert = c
        .prepare_cached(
            "INSERT OR IGNORE INTO employee_orgs (appid, openid, org_path) VALUES (?1, ?2, ?3)",
        )
        .map_err(backend)?;
    for u in users {
        let Some(orgs) = employee_orgs(u) else {
            continue;
        };
        delete
            .execute(params![u.appid.as_str(), u.openid.as_str()])
            .map_err(backend)?;
        for org in orgs {
            insert
                .execute(params![u.appid.as_str(), u.openid.as_str(), org])
                .map_err(backend)?;
        }
    }
    Ok(())
}

pub(crate) fn delete_user(c: &Connection, appid: &AppId, openid: &OpenId) -> StoreResult<bool> {
    let p = params![appid.as_str(), openid.as_str()];
    for sql in [
        "DELETE FROM employee_orgs WHERE appid = ?1 AND openid = ?2",
        "DELETE FROM user_tags WHERE appid = ?1 AND openid = ?2",
        "DELETE FROM grants WHERE appid = ?1 AND openid = ?2",
    ] {
        c.prepare_cached(sql)
            .map_err(backend)?
            .execute(p)
            .map_err(backend)?;
    }
    let n = c
        .prepare_cached("DELETE FROM users WHERE appid = ?1 AND openid = ?2")
        .map_err(backend)?
        .execute(p)
        .map_err(backend)?;
    Ok(n > 0)
}

pub(crate) fn insert_ws_template(c: &Connection, t: &WorkspaceTemplate) -> StoreResult<()> {
    let r = WsTemplateRow::from_template(t);
    c.prepare_cached(&format!(
        "INSERT INTO ws_templates ({WS_TEMPLATE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    ))
    .map_err(backend)?
    .execute(params![r.id, r.appid, r.source_type, r.title, r.tags, r.sample, r.actions, r.contents, r.operator, r.created_at, r.updated_at])
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn get_ws_template(
    c: &Connection,
    id: &TemplateId,
) -> StoreResult<Option<WorkspaceTemplate>> {
    c.prepare_cached(&format!(
        "SELECT {WS_TEMPLATE_COLUMNS} FROM ws_templates WHERE id = ?1"
    ))
    .map_err(backend)?
    .query_row([id.as_str()], ws_row)
    .optional()
    .map_err(backend)?
    .map(WsTemplateRow::into_template)
    .transpose()
}

pub(crate) fn update_ws_template(c: &Connection, t: &WorkspaceTemplate) -> StoreResult<bool> {
    let r = WsTemplateRow::from_template(t);
    let n = c
        .prepare_cached(
            "UPDATE ws_templates SET source_type = ?3, title = ?4, tags = ?5, sample = ?6, actions = ?7,
                 contents = ?8, operator = ?9, updated_at = ?10
             WHERE id = ?1 AND appid = ?2",
        )
        .map_err(backend)?
        .execute(params![r.id, r.appid, r.source_type, r.title, r.tags, r.sample, r.actions, r.contents, r.operator, r.updated_at])
        .map_err(backend)?;
    Ok(n > 0)
}

pub(crate) fn list_ws_templates(
    c: &Connection,
    appid: &AppId,
    kw: Option<&str>,
    skip: u32,
    limit: u32,
) -> StoreResult<(Vec<WorkspaceTemplate>, i64)> {
    let filter = "appid = ?1 AND (?2 IS NULL OR instr(title, ?2) > 0 OR instr(tags, ?2) > 0)";
    let total: i64 = c
        .query_row(
            &format!("SELECT COUNT(*) FROM ws_templates WHERE {filter}"),
            params![appid.as_str(), kw],
            |r| r.get(0),
        )
        .map_err(backend)?;
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {WS_TEMPLATE_COLUMNS} FROM ws_templates WHERE {filter} ORDER BY seq DESC LIMIT ?3 OFFSET ?4"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![appid.as_str(), kw, limit, skip], ws_row)
        .map_err(backend)?;
    let items = rows
        .map(|r| r.map_err(backend).and_then(WsTemplateRow::into_template))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((items, total))
}
