//! Whether an app has an active webhook, remembered by the writer thread.
//! Every single send asks (to skip building events nobody receives), and
//! the answer changes only when `webhooks` does. The writer's connection
//! carries temporary triggers on `webhooks` that forget every answer when
//! a row is inserted, updated or deleted, and the writer forgets them all
//! when it rolls back a transaction or a savepoint: an answer read inside
//! one may describe rows that are gone. Answers are used only on the
//! connection that installed the triggers; on any other the table is read
//! every time.

use std::cell::RefCell;
use std::collections::HashMap;

use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;

thread_local! {
    static ANSWERS: RefCell<Option<Answers>> = const { RefCell::new(None) };
}

struct Answers {
    /// The connection whose triggers keep these answers true.
    conn: usize,
    by_app: HashMap<String, bool>,
}

/// The connection, as an address to compare (never dereferenced).
fn address(c: &Connection) -> usize {
    // SAFETY: the handle is only read as a number, never used.
    unsafe { c.handle() as usize }
}

/// Makes `conn` keep answers on this thread (the writer's, for its life).
pub(crate) fn install(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "tidings_forget_webhook_answers",
        0,
        FunctionFlags::SQLITE_UTF8,
        |_| {
            forget();
            Ok(0_i64)
        },
    )?;
    conn.execute_batch(
        "CREATE TEMP TRIGGER webhooks_inserted AFTER INSERT ON main.webhooks
         BEGIN SELECT tidings_forget_webhook_answers(); END;
         CREATE TEMP TRIGGER webhooks_updated AFTER UPDATE ON main.webhooks
         BEGIN SELECT tidings_forget_webhook_answers(); END;
         CREATE TEMP TRIGGER webhooks_deleted AFTER DELETE ON main.webhooks
         BEGIN SELECT tidings_forget_webhook_answers(); END;",
    )?;
    ANSWERS.with(|a| {
        *a.borrow_mut() = Some(Answers {
            conn: address(conn),
            by_app: HashMap::new(),
        });
    });
    Ok(())
}

/// Forgets every answer this thread keeps.
pub(crate) fn forget() {
    ANSWERS.with(|a| {
        if let Some(a) = a.borrow_mut().as_mut() {
            a.by_app.clear();
        }
    });
}

/// The answer kept for `appid` on `c`, if `c` keeps answers and has one.
pub(crate) fn get(c: &Connection, appid: &str) -> Option<bool> {
    ANSWERS.with(|a| {
        let a = a.borrow();
        let a = a.as_ref().filter(|a| a.conn == address(c))?;
        a.by_app.get(appid).copied()
    })
}

/// Keeps `answer` for `appid`, if `c` keeps answers.
pub(crate) fn keep(c: &Connection, appid: &str, answer: bool) {
    ANSWERS.with(|a| {
        if let Some(a) = a.borrow_mut().as_mut().filter(|a| a.conn == address(c)) {
            a.by_app.insert(appid.to_owned(), answer);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE webhooks (id INTEGER PRIMARY KEY, appid TEXT NOT NULL, disabled_at INTEGER);",
        )
        .unwrap();
        c
    }

    /// Any insert, update or delete of a webhook forgets every answer.
    #[test]
    fn a_change_to_webhooks_forgets_every_answer() {
        let c = db();
        install(&c).unwrap();
        for change in [
            "INSERT INTO webhooks (appid) VALUES ('a')",
            "UPDATE webhooks SET disabled_at = 1",
            "DELETE FROM webhooks",
        ] {
            keep(&c, "a", true);
            keep(&c, "b", false);
            assert_eq!((get(&c, "a"), get(&c, "b")), (Some(true), Some(false)));
            c.execute_batch(change).unwrap();
            assert_eq!((get(&c, "a"), get(&c, "b")), (None, None), "{change}");
        }
    }

    /// Only the connection with the triggers keeps answers.
    #[test]
    fn other_connections_keep_nothing() {
        let (writer, other) = (db(), db());
        install(&writer).unwrap();
        keep(&other, "a", false);
        assert_eq!(get(&other, "a"), None);
        assert_eq!(get(&writer, "a"), None);
    }
}
