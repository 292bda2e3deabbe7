use rusqlite::Connection;
use tidings_store::migrations::Migration;
use tidings_store::StoreResult;

use crate::backend;

/// Applies every migration newer than the file's version, each in its own
/// transaction. The write lock makes concurrent starts on one file safe.
pub(crate) fn run(conn: &mut Connection, migrations: &[Migration]) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at INTEGER NOT NULL
         ) STRICT;",
    )
    .map_err(backend)?;
    for m in migrations {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let applied: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
                [m.version],
                |r| r.get(0),
            )
            .map_err(backend)?;
        if !applied {
            tracing::info!(
                version = m.version,
                name = m.name,
                "applying sqlite migration"
            );
            tx.execute_batch(m.sql).map_err(backend)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at)
                 VALUES (?1, ?2, CAST(unixepoch('subsec') * 1000 AS INTEGER))",
                rusqlite::params![m.version, m.name],
            )
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use tidings_engine::{AppId, OpenId, TemplateId};

    use super::*;
    use crate::schema::MIGRATIONS;

    /// A database written before v9 keeps its messages, whole, and their ids.
    #[test]
    fn lean_messages_keep_what_was_stored_before() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Connection::open(dir.path().join("old.db")).unwrap();
        run(&mut c, &MIGRATIONS[..8]).unwrap();
        let appid = AppId::generate();
        let t = TemplateId::generate();
        c.execute_batch(&format!(
            "INSERT INTO apps (appid, name, kind, secret_hash, created_at, updated_at)
             VALUES ('{appid}', 'x', 'miniprogram', 'h', 0, 0);
             INSERT INTO sends (appid, kind, template_id, title, spec, state, created_at)
             VALUES ('{appid}', 'segment', '{t}', '购买成功通知', '{{}}', 'finished', 0);
             INSERT INTO messages (appid, openid, template_id, title, rows, page, created_at, send_id,
                                   status, link_token, delivered_at)
             VALUES ('{appid}', 'u1', '{t}', '购买成功通知',
                     '[{{\"key\":\"keyword1\",\"name\":\"地点\",\"value\":\"厂\"}}]',
                     'index', 5, 1, 'delivered', 'tok', 5),
                    ('{appid}', 'u1', '{t}', '购买成功通知', '[]', NULL, 6, NULL, 'delivered', NULL, 6);
             DELETE FROM messages WHERE id = 2;",
            appid = appid.as_str(),
            t = t.as_str()
        ))
        .unwrap();
        run(&mut c, MIGRATIONS).unwrap();
        let openid = OpenId::parse("u1").unwrap();
        let listed = crate::sends::list_messages(&c, &appid, &openid, None, None, 10).unwrap();
        assert_eq!(listed.len(), 1);
        let m = &listed[0];
        assert_eq!((m.id, m.title.as_str()), (1, "购买成功通知"));
        assert_eq!(m.template_id, t);
        assert_eq!(m.page.as_deref(), Some("index"));
        assert_eq!(m.rows[0].value, "厂");
        let by_link = crate::segments::message_by_link(&c, "tok")
            .unwrap()
            .unwrap();
        assert_eq!(by_link.id, 1);
        c.execute(
            "INSERT INTO messages (appid, openid, rows, created_at) VALUES (?1, 'u2', '[]', 7)",
            [appid.as_str()],
        )
        .unwrap();
        assert_eq!(
            c.last_insert_rowid(),
            3,
            "a deleted id is not handed out again"
        );
    }
}
