//! The SQL of each store call, run on a connection handed out by the writer
//! or the reader pool.

use rusqlite::{params, Connection, OptionalExtension, Row};
use tidings_engine::{App, AppId, SecretHash, Timestamp, TokenHash, TokenLane, TokenRecord};
use tidings_store::rows::{encode_pages, AppRow, TokenRow, APP_COLUMNS, TOKEN_COLUMNS};
use tidings_store::{AppPatch, IssueOutcome, IssueToken, StoreResult};

use crate::backend;

fn app_row(r: &Row<'_>) -> rusqlite::Result<AppRow> {
    Ok(AppRow {
        appid: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        pages: r.get(3)?,
        secret_hash: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
        disabled_at: r.get(7)?,
        daily_send_limit: r.get(8)?,
        banned_until: r.get(9)?,
    })
}

fn token_row(r: &Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        token_hash: r.get(0)?,
        appid: r.get(1)?,
        lane: r.get(2)?,
        generation: r.get(3)?,
        forced: r.get(4)?,
        issued_at: r.get(5)?,
        expires_at: r.get(6)?,
        superseded_at: r.get(7)?,
    })
}

fn one_app(c: &Connection, sql: &str, p: impl rusqlite::Params) -> StoreResult<Option<App>> {
    c.prepare_cached(sql)
        .map_err(backend)?
        .query_row(p, app_row)
        .optional()
        .map_err(backend)?
        .map(AppRow::into_app)
        .transpose()
}

pub(crate) fn get_setting(c: &Connection, key: &str) -> StoreResult<Option<String>> {
    c.prepare_cached("SELECT value FROM settings WHERE key = ?1")
        .map_err(backend)?
        .query_row([key], |r| r.get(0))
        .optional()
        .map_err(backend)
}

pub(crate) fn init_setting(c: &Connection, key: &str, value: &str) -> StoreResult<String> {
    c.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
        [key, value],
    )
    .map_err(backend)?;
    c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .map_err(backend)
}

pub(crate) fn insert_app(c: &Connection, app: &App) -> StoreResult<()> {
    let row = AppRow::from_app(app);
    c.prepare_cached(&format!(
        "INSERT INTO apps ({APP_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))
    .map_err(backend)?
    .execute(params![
        row.appid,
        row.name,
        row.kind,
        row.pages,
        row.secret_hash,
        row.created_at,
        row.updated_at,
        row.disabled_at,
        row.daily_send_limit,
        row.banned_until
    ])
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn get_app(c: &Connection, appid: &AppId) -> StoreResult<Option<App>> {
    one_app(
        c,
        &format!("SELECT {APP_COLUMNS} FROM apps WHERE appid = ?1"),
        [appid.as_str()],
    )
}

pub(crate) fn list_apps(
    c: &Connection,
    after: Option<&AppId>,
    limit: u32,
) -> StoreResult<Vec<App>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {APP_COLUMNS} FROM apps WHERE appid > ?1 ORDER BY appid LIMIT ?2"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![after.map_or("", AppId::as_str), limit], app_row)
        .map_err(backend)?;
    rows.map(|r| r.map_err(backend).and_then(AppRow::into_app))
        .collect()
}

pub(crate) fn update_app(
    c: &Connection,
    appid: &AppId,
    patch: &AppPatch,
    now: Timestamp,
) -> StoreResult<Option<App>> {
    one_app(
        c,
        &format!(
            "UPDATE apps SET name = COALESCE(?2, name), pages = COALESCE(?3, pages),
                 daily_send_limit = COALESCE(?5, daily_send_limit), updated_at = ?4
             WHERE appid = ?1 RETURNING {APP_COLUMNS}"
        ),
        params![
            appid.as_str(),
            patch.name.as_ref().map(|n| n.as_str()),
            patch.pages.as_ref().map(encode_pages),
            now.as_millis(),
            patch.daily_send_limit
        ],
    )
}

pub(crate) fn set_app_secret(
    c: &Connection,
    appid: &AppId,
    secret: &SecretHash,
    now: Timestamp,
) -> StoreResult<Option<App>> {
    one_app(
        c,
        &format!(
            "UPDATE apps SET secret_hash = ?2, updated_at = ?3 WHERE appid = ?1 RETURNING {APP_COLUMNS}"
        ),
        params![appid.as_str(), secret.to_hex(), now.as_millis()],
    )
}

pub(crate) fn disable_app(
    c: &Connection,
    appid: &AppId,
    now: Timestamp,
) -> StoreResult<Option<App>> {
    one_app(
        c,
        &format!(
            "UPDATE apps SET disabled_at = COALESCE(disabled_at, ?2), updated_at = ?2
             WHERE appid = ?1 RETURNING {APP_COLUMNS}"
        ),
        params![appid.as_str(), now.as_millis()],
    )
}

/// Runs inside the writer's transaction, which SQLite serializes: the
/// checks and the swap are atomic.
pub(crate) fn issue_token(c: &Connection, req: &IssueToken) -> StoreResult<IssueOutcome> {
    let appid = req.appid.as_str();
    let lane = req.lane.as_str();
    let app_exists: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM apps WHERE appid = ?1)")
        .map_err(backend)?
        .query_row([appid], |r| r.get(0))
        .map_err(backend)?;
    if !app_exists {
        return Ok(IssueOutcome::NoApp);
    }
    let current: i64 = c
        .prepare_cached(
            "SELECT generation FROM tokens WHERE appid = ?1 AND lane = ?2 AND superseded_at IS NULL",
        )
        .map_err(backend)?
        .query_row([appid, lane], |r| r.get(0))
        .optional()
        .map_err(backend)?
        .unwrap_or(0);
    if req.expect_generation.is_some_and(|g| g != current) {
        return Ok(IssueOutcome::Raced);
    }
    if let Some(limit) = req.daily_limit {
        let used: i64 = c
            .prepare_cached(
                "SELECT COUNT(*) FROM tokens
                 WHERE appid = ?1 AND lane = ?2 AND forced = ?3 AND issued_at >= ?4",
            )
            .map_err(backend)?
            .query_row(
                params![appid, lane, req.forced, limit.since.as_millis()],
                |r| r.get(0),
            )
            .map_err(backend)?;
        if used >= i64::from(limit.max) {
            return Ok(IssueOutcome::LimitReached);
        }
    }
    c.prepare_cached(
        "UPDATE tokens SET superseded_at = ?3 WHERE appid = ?1 AND lane = ?2 AND superseded_at IS NULL",
    )
    .map_err(backend)?
    .execute(params![appid, lane, req.issued_at.as_millis()])
    .map_err(backend)?;
    let generation = current + 1;
    c.prepare_cached(&format!(
        "INSERT INTO tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)"
    ))
    .map_err(backend)?
    .execute(params![
        req.hash.to_hex(),
        appid,
        lane,
        generation,
        req.forced,
        req.issued_at.as_millis(),
        req.expires_at.as_millis()
    ])
    .map_err(backend)?;
    Ok(IssueOutcome::Issued { generation })
}

fn one_token(
    c: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
) -> StoreResult<Option<TokenRecord>> {
    c.prepare_cached(sql)
        .map_err(backend)?
        .query_row(p, token_row)
        .optional()
        .map_err(backend)?
        .map(TokenRow::into_record)
        .transpose()
}

pub(crate) fn get_token(c: &Connection, hash: &TokenHash) -> StoreResult<Option<TokenRecord>> {
    one_token(
        c,
        &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE token_hash = ?1"),
        [hash.to_hex()],
    )
}

pub(crate) fn current_token(
    c: &Connection,
    appid: &AppId,
    lane: TokenLane,
) -> StoreResult<Option<TokenRecord>> {
    one_token(
        c,
        &format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens
             WHERE appid = ?1 AND lane = ?2 AND superseded_at IS NULL"
        ),
        [appid.as_str(), lane.as_str()],
    )
}

/// Keeps every lane's current token, whatever its age, so generations never restart.
pub(crate) fn prune_tokens(c: &Connection, before: Timestamp) -> StoreResult<u64> {
    let n = c
        .prepare_cached("DELETE FROM tokens WHERE superseded_at IS NOT NULL AND expires_at < ?1")
        .map_err(backend)?
        .execute([before.as_millis()])
        .map_err(backend)?;
    Ok(n as u64)
}
