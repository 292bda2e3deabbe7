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
            if m.version == RENUMBERED {
                renumber(&tx).map_err(backend)?;
            }
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

/// The version whose tables number their rows one past the largest id
/// instead of by AUTOINCREMENT (see [`renumber`]).
const RENUMBERED: i64 = 11;

/// Schema v11's first step: `sends` and `messages` rebuilt as they are, the
/// same columns, rows and indexes, but for AUTOINCREMENT, whose
/// `sqlite_sequence` row every insert read and rewrote. SQLite cannot drop
/// AUTOINCREMENT from a table in place; the table is copied into one made
/// from its own definition. `message_view` names both and is dropped first
/// (the migration's SQL makes it again).
fn renumber(tx: &Connection) -> rusqlite::Result<()> {
    tx.execute_batch("DROP VIEW message_view;")?;
    for table in ["sends", "messages"] {
        let (definition, indexes) = definition(tx, table)?;
        let rebuilt = format!("{table}_rebuilt");
        let columns = definition
            .find('(')
            .map(|open| &definition[open..])
            .ok_or(rusqlite::Error::InvalidQuery)?;
        tx.execute_batch(&format!(
            "CREATE TABLE {rebuilt} {};
             INSERT INTO {rebuilt} SELECT * FROM {table};
             DROP TABLE {table};
             ALTER TABLE {rebuilt} RENAME TO {table};",
            columns.replacen(" AUTOINCREMENT", "", 1)
        ))?;
        for (_, index) in indexes {
            tx.execute_batch(&index)?;
        }
    }
    Ok(())
}

/// A table's `CREATE TABLE` statement and its indexes' names and
/// statements, by name.
fn definition(tx: &Connection, table: &str) -> rusqlite::Result<(String, Vec<(String, String)>)> {
    let create = tx.query_row(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1",
        [table],
        |r| r.get(0),
    )?;
    let indexes = tx
        .prepare(
            "SELECT name, sql FROM sqlite_schema
             WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL ORDER BY name",
        )?
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok((create, indexes))
}

#[cfg(test)]
mod tests {
    use tidings_engine::{AppId, OpenId, TemplateId};

    use super::*;
    use crate::schema::MIGRATIONS;

    /// A database written before v9 keeps its messages, whole, and their
    /// ids; from v11 on, ids go on from the largest, and neither a message
    /// nor a send can be deleted, so no id is ever handed out twice.
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
                    ('{appid}', 'u1', '{t}', '购买成功通知', '[]', NULL, 6, NULL, 'delivered', NULL, 6);",
            appid = appid.as_str(),
            t = t.as_str()
        ))
        .unwrap();
        run(&mut c, MIGRATIONS).unwrap();
        let openid = OpenId::parse("u1").unwrap();
        let listed = crate::sends::list_messages(&c, &appid, &openid, None, None, 10).unwrap();
        assert_eq!(listed.len(), 2);
        let m = &listed[1];
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
        assert_eq!(c.last_insert_rowid(), 3, "ids go on from the largest");
        let refused = c
            .execute("DELETE FROM messages WHERE id = 3", [])
            .unwrap_err();
        assert!(
            refused.to_string().contains("messages are kept"),
            "{refused}"
        );
        let refused = c.execute("DELETE FROM sends", []).unwrap_err();
        assert!(refused.to_string().contains("sends are kept"), "{refused}");
        let kept: i64 = c
            .query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, 3, "no id can be freed for reuse: nothing is deleted");
        for (table, indexes) in [
            ("sends", "sends_app sends_client_msg sends_open"),
            (
                "messages",
                "messages_inbox messages_link messages_send_recipient",
            ),
        ] {
            let (create, kept) = definition(&c, table).unwrap();
            assert!(!create.contains("AUTOINCREMENT"), "{create}");
            let names: Vec<String> = kept.into_iter().map(|(name, _)| name).collect();
            assert_eq!(names.join(" "), indexes, "{table} keeps its indexes");
        }
    }
}
