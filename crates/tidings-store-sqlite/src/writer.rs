//! The one writer: a thread that owns the write connection and commits
//! whatever jobs are waiting as one transaction (group commit). Each job of
//! a group runs inside its own savepoint, so one job's failure rolls back
//! only that job; a job alone in its transaction needs none (its failure
//! rolls the transaction back). Every caller is answered after the commit
//! is synced to disk (`syncer.rs`), so a success is durable.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rusqlite::Connection;
use tidings_store::{StoreError, StoreResult};
use tokio::sync::{mpsc, oneshot};

use crate::run_cached;
use crate::syncer::{Completion, Group, Syncer};

/// A job runs with the connection and whether it is alone in its
/// transaction; it answers whether it succeeded, and how to tell its caller
/// once the transaction's fate is known.
type Job = Box<dyn FnOnce(&Connection, bool) -> (bool, Completion) + Send>;

/// The most jobs one transaction takes.
const MAX_BATCH: usize = 512;

#[derive(Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
    commits: Arc<AtomicU64>,
}

impl Writer {
    /// Starts the writer on `conn`, with checkpoints of `path`'s WAL
    /// beside it.
    pub(crate) fn start(conn: Connection, path: &Path) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Job>(MAX_BATCH * 4);
        let commits = Arc::new(AtomicU64::new(0));
        let counter = commits.clone();
        // Commits are synced by the syncer, beside the writer.
        conn.execute_batch("PRAGMA synchronous = NORMAL;")
            .map_err(std::io::Error::other)?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let syncer = Syncer::start(wal.into())?;
        let hooked = crate::checkpointer::attach(conn, path)?;
        std::thread::Builder::new()
            .name("tidings-sqlite-writer".into())
            .spawn(move || {
                // The whole of `hooked`, its signal with its connection.
                let hooked = hooked;
                run(&hooked.conn, rx, &counter, &syncer)
            })?;
        Ok(Self { jobs: tx, commits })
    }

    /// Transactions committed so far.
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Runs `f` in the next group commit and answers after that commit.
    pub(crate) async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn, alone| {
            let outcome = match alone {
                true => guarded(conn, f),
                false => in_savepoint(conn, f),
            };
            let ok = outcome.is_ok();
            let done: Completion = Box::new(move |commit: Result<(), String>| {
                let answer = match commit {
                    Ok(()) => outcome,
                    Err(e) => Err(StoreError::Backend(format!("commit failed: {e}"))),
                };
                let _ = tx.send(answer);
            });
            (ok, done)
        });
        self.jobs.send(job).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    const JOB: crate::Savepoint = crate::Savepoint {
        begin: "SAVEPOINT job",
        undo: "ROLLBACK TO job",
        end: "RELEASE job",
    };
    JOB.run(conn, |c| guarded(c, f), Result::is_ok)
}

/// Runs `f`, a panic turned into an error.
fn guarded<T>(conn: &Connection, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
    catch_unwind(AssertUnwindSafe(|| f(conn)))
        .unwrap_or_else(|_| Err(StoreError::Backend("a write job panicked".into())))
}

fn run(conn: &Connection, mut rx: mpsc::Receiver<Job>, commits: &AtomicU64, syncer: &Syncer) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        metrics::histogram!("tidings_sqlite_commit_batch_size").record(batch.len() as f64);
        let started = std::time::Instant::now();
        if let Err(e) = run_cached(conn, "BEGIN IMMEDIATE") {
            // Nothing ran; dropping the jobs drops their reply channels, so
            // every caller gets an error rather than a false success.
            tracing::error!(error = %e, jobs = batch.len(), "sqlite writer could not begin a transaction");
            batch.clear();
            continue;
        }
        let alone = batch.len() == 1;
        let (oks, completions): (Vec<bool>, Vec<Completion>) =
            batch.drain(..).map(|job| job(conn, alone)).unzip();
        if alone && !oks[0] {
            // The one job failed: its writes go, and it is told its error.
            if let Err(e) = run_cached(conn, "ROLLBACK") {
                tracing::error!(error = %e, "sqlite writer could not roll back a failed job");
            }
            completions.into_iter().for_each(|done| done(Ok(())));
            continue;
        }
        match run_cached(conn, "COMMIT") {
            Ok(()) => {
                commits.fetch_add(1, Ordering::Relaxed);
                metrics::histogram!("tidings_sqlite_transaction_seconds")
                    .record(started.elapsed().as_secs_f64());
                syncer.after_sync(Group { completions });
            }
            Err(e) => {
                tracing::error!(error = %e, "sqlite commit failed; rolling back the batch");
                let _ = run_cached(conn, "ROLLBACK");
                for done in completions {
                    done(Err(e.to_string()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn writer(dir: &tempfile::TempDir) -> (Writer, std::path::PathBuf) {
        let path = dir.path().join("w.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
             CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL);",
        )
        .unwrap();
        (Writer::start(conn, &path).unwrap(), path)
    }

    fn count(path: &Path) -> i64 {
        let c = Connection::open(path).unwrap();
        c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap()
    }

    /// A job that wrote and then failed leaves nothing, whether it ran
    /// alone in its transaction (no savepoint) or beside others.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_job_leaves_nothing_alone_or_grouped() {
        let dir = tempfile::tempdir().unwrap();
        let (w, path) = writer(&dir);
        let failing = |w: Writer| async move {
            w.write(|c| {
                c.execute("INSERT INTO t (v) VALUES (x'00')", [])
                    .map_err(crate::backend)?;
                Err::<(), _>(StoreError::Backend("fails after writing".into()))
            })
            .await
        };
        assert!(failing(w.clone()).await.is_err());
        assert_eq!(count(&path), 0, "a lone failed job is rolled back");

        let jobs: Vec<_> = (0..200)
            .map(|i| {
                let w = w.clone();
                tokio::spawn(async move {
                    match i % 4 {
                        0 => failing(w).await.is_ok(),
                        _ => w
                            .write(|c| {
                                c.execute("INSERT INTO t (v) VALUES (x'01')", [])
                                    .map_err(crate::backend)
                            })
                            .await
                            .is_ok(),
                    }
                })
            })
            .collect();
        let mut oks = 0;
        for j in jobs {
            oks += i64::from(j.await.unwrap());
        }
        assert_eq!(oks, 150);
        assert_eq!(count(&path), 150, "only the jobs answered ok are stored");
    }

    /// Pages reach the database file by the checkpointer, not by the
    /// writer's commits.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_checkpointer_moves_the_wal_into_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let (w, path) = writer(&dir);
        let size = || std::fs::metadata(&path).unwrap().len();
        let before = size();
        // Pages of 4 KiB, past the point a checkpoint is due.
        let jobs = crate::checkpointer::DUE as usize / 100 + 10;
        for _ in 0..jobs {
            w.write(|c| {
                for _ in 0..100 {
                    c.execute("INSERT INTO t (v) VALUES (zeroblob(4000))", [])
                        .map_err(crate::backend)?;
                }
                Ok(())
            })
            .await
            .unwrap();
        }
        let mut waited = 0;
        let due = before + crate::checkpointer::DUE as u64 * 4096;
        while size() < due && waited < 200 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            waited += 1;
        }
        assert!(
            size() >= due,
            "the database file holds {} bytes: no checkpoint ran",
            size()
        );
        assert_eq!(count(&path), jobs as i64 * 100);
    }
}
