//! What the writer keeps beside its connection from job to job: the
//! statements every single send runs, prepared for the writer's whole
//! life, and the open transaction's day counters (`day_counts.rs`). The
//! statement cache holds the statements too, but taking one out and putting
//! it back hashes its whole SQL text twice, which costs a send more than
//! some of its statements do.

use std::cell::RefCell;

use rusqlite::{Connection, Statement};

use crate::day_counts::DayCounts;

/// The writer's kept statements and day counters, on its connection.
pub(crate) struct Kept<'c> {
    conn: &'c Connection,
    /// By the address of their SQL text: a handful, so a scan finds one.
    statements: RefCell<Vec<(usize, Statement<'c>)>>,
    /// The open transaction's day counters: written by the writer before
    /// it commits, forgotten when it rolls back.
    day_counts: DayCounts,
}

impl<'c> Kept<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        Self {
            conn,
            statements: RefCell::new(Vec::new()),
            day_counts: DayCounts::default(),
        }
    }

    /// Runs `f` with the statement of `sql`, prepared on its first use.
    /// Each `sql` must be one `&'static str`, named once, so that its
    /// address stands for it.
    pub(crate) fn with<R>(
        &self,
        sql: &'static str,
        f: impl FnOnce(&mut Statement<'c>) -> rusqlite::Result<R>,
    ) -> rusqlite::Result<R> {
        let key = sql.as_ptr() as usize;
        let mut statements = self.statements.borrow_mut();
        let i = match statements.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                statements.push((key, self.conn.prepare(sql)?));
                statements.len() - 1
            }
        };
        f(&mut statements[i].1)
    }

    /// Counts one send in `appid`'s day, unless `limit` sends are counted
    /// there already: whether it was counted (`day_counts.rs`).
    pub(crate) fn count_day(
        &self,
        appid: &str,
        day_start: i64,
        limit: u32,
    ) -> rusqlite::Result<bool> {
        self.day_counts.count(self, appid, day_start, limit)
    }

    /// Writes the open transaction's day counts, just before it commits.
    pub(crate) fn write_day_counts(&self) -> rusqlite::Result<()> {
        self.day_counts.write(self)
    }

    /// Forgets the open transaction's day counts: it was rolled back.
    pub(crate) fn forget_day_counts(&self) {
        self.day_counts.forget();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSERT: &str = "INSERT INTO t (v) VALUES (?1)";
    const COUNT: &str = "SELECT count(*) FROM t WHERE v = ?1";

    /// Each statement is prepared once and runs again with new parameters;
    /// statements do not answer for one another.
    #[test]
    fn statements_are_prepared_once_and_run_again() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v INTEGER NOT NULL)")
            .unwrap();
        let kept = Kept::new(&conn);
        for v in [1, 2, 2] {
            kept.with(INSERT, |s| s.execute([v])).unwrap();
        }
        let count = |v: i64| kept.with(COUNT, |s| s.query_row([v], |r| r.get::<_, i64>(0)));
        assert_eq!((count(1).unwrap(), count(2).unwrap()), (1, 2));
        assert_eq!(kept.statements.borrow().len(), 2);
        // A failing run leaves its statement ready for the next.
        assert!(kept.with(INSERT, |s| s.execute([None::<i64>])).is_err());
        kept.with(INSERT, |s| s.execute([1])).unwrap();
        assert_eq!(count(1).unwrap(), 2);
    }
}
