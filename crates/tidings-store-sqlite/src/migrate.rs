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
