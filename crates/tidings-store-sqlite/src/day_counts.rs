//! The day counters of the writer's open transaction, kept in memory.
//!
//! A single send counts itself in its app's day (`send_counters`), and
//! every send of a group counts the same row or a few. The writer holds
//! the database's write lock from `BEGIN IMMEDIATE` to `COMMIT`, so a
//! counter read inside the transaction stays true until it ends, whichever
//! process writes the file: each counter is read once a transaction, counted
//! in memory, and written once, just before the commit. A rolled-back
//! transaction forgets what it counted, so the next one reads the rows
//! again.

use std::cell::RefCell;

use rusqlite::{params, OptionalExtension};

use crate::kept::Kept;

const READ: &str = "SELECT sent FROM send_counters WHERE appid = ?1 AND day_start = ?2";
const WRITE: &str = "INSERT INTO send_counters (appid, day_start, sent) VALUES (?1, ?2, ?3)
     ON CONFLICT (appid, day_start) DO UPDATE SET sent = excluded.sent";

/// One app's day, as the open transaction sees it.
struct DayCount {
    appid: Box<str>,
    day_start: i64,
    /// What the row held when the transaction read it (0 without a row).
    read: i64,
    /// `read` and the sends this transaction counted.
    sent: i64,
}

/// The counters the open transaction has read, with what it counted. Only
/// bare jobs count (`Writer::write_bare`): a job's own savepoint rolled
/// back would not take its counts back.
#[derive(Default)]
pub(crate) struct DayCounts {
    /// A transaction touches a handful of apps: a scan finds one.
    counts: RefCell<Vec<DayCount>>,
}

impl DayCounts {
    /// Counts one send in `appid`'s day starting at `day_start`, unless
    /// `limit` sends are counted there already: whether it was counted.
    pub(crate) fn count(
        &self,
        kept: &Kept<'_>,
        appid: &str,
        day_start: i64,
        limit: u32,
    ) -> rusqlite::Result<bool> {
        let mut counts = self.counts.borrow_mut();
        let i = match counts
            .iter()
            .position(|c| c.day_start == day_start && *c.appid == *appid)
        {
            Some(i) => i,
            None => {
                let read: i64 = kept
                    .with(READ, |s| {
                        s.query_row(params![appid, day_start], |r| r.get(0))
                            .optional()
                    })?
                    .unwrap_or(0);
                counts.push(DayCount {
                    appid: appid.into(),
                    day_start,
                    read,
                    sent: read,
                });
                counts.len() - 1
            }
        };
        let count = &mut counts[i];
        if count.sent >= i64::from(limit) {
            return Ok(false);
        }
        count.sent += 1;
        Ok(true)
    }

    /// Writes what the open transaction counted, before it commits, and
    /// forgets it: the next transaction reads the rows again.
    pub(crate) fn write(&self, kept: &Kept<'_>) -> rusqlite::Result<()> {
        let counts = std::mem::take(&mut *self.counts.borrow_mut());
        for c in counts.iter().filter(|c| c.sent != c.read) {
            kept.with(WRITE, |s| {
                s.execute(params![&*c.appid, c.day_start, c.sent])
            })?;
        }
        Ok(())
    }

    /// Forgets what the open transaction counted: it was rolled back.
    pub(crate) fn forget(&self) {
        self.counts.borrow_mut().clear();
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE send_counters (
                 appid TEXT NOT NULL, day_start INTEGER NOT NULL, sent INTEGER NOT NULL,
                 PRIMARY KEY (appid, day_start)) STRICT;
             INSERT INTO send_counters VALUES ('a', 0, 8);",
        )
        .unwrap();
        conn
    }

    fn stored(conn: &Connection) -> Vec<(String, i64, i64)> {
        let mut s = conn
            .prepare("SELECT appid, day_start, sent FROM send_counters ORDER BY appid, day_start")
            .unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Counts stop at the limit per app and day, reach the table only when
    /// written, and a new day or app adds its row.
    #[test]
    fn counts_stop_at_the_limit_and_are_written_once() {
        let conn = db();
        let kept = Kept::new(&conn);
        let counts = DayCounts::default();
        let taken: Vec<bool> = (0..4)
            .map(|_| counts.count(&kept, "a", 0, 10).unwrap())
            .collect();
        assert_eq!(taken, [true, true, false, false]);
        assert!(counts.count(&kept, "a", 86_400_000, 10).unwrap());
        assert!(counts.count(&kept, "b", 0, 1).unwrap());
        assert!(!counts.count(&kept, "b", 0, 1).unwrap());
        assert_eq!(stored(&conn), [("a".into(), 0, 8)], "nothing written yet");
        counts.write(&kept).unwrap();
        assert_eq!(
            stored(&conn),
            [
                ("a".into(), 0, 10),
                ("a".into(), 86_400_000, 1),
                ("b".into(), 0, 1)
            ]
        );
        // The next transaction reads the rows again.
        assert!(!counts.count(&kept, "a", 0, 10).unwrap());
        assert!(counts.count(&kept, "a", 0, 11).unwrap());
    }

    /// What a rolled-back transaction counted is forgotten, and a counter
    /// only read is not written.
    #[test]
    fn forgotten_counts_are_read_again() {
        let conn = db();
        let kept = Kept::new(&conn);
        let counts = DayCounts::default();
        assert!(counts.count(&kept, "a", 0, 9).unwrap());
        assert!(!counts.count(&kept, "a", 0, 9).unwrap());
        counts.forget();
        assert!(counts.count(&kept, "a", 0, 9).unwrap());
        counts.forget();
        assert!(!counts.count(&kept, "a", 0, 8).unwrap());
        conn.execute("UPDATE send_counters SET sent = 3", [])
            .unwrap();
        counts.write(&kept).unwrap();
        assert_eq!(
            stored(&conn),
            [("a".into(), 0, 3)],
            "a read counter is not written"
        );
    }
}
