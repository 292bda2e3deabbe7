//! The one writer: a thread that owns the write connection and commits
//! whatever jobs are waiting as one transaction (group commit).
//!
//! A transaction stays open, taking the jobs that arrive, while the
//! previous one is still being synced (`syncer.rs`): a commit made during
//! that sync could only be synced after it, so waiting costs its jobs
//! nothing and makes the groups, and the pages each sync writes, fewer.
//!
//! Each job but the first of a transaction runs inside its own savepoint,
//! so its failure rolls back only that job; the first needs none (its
//! failure rolls back a transaction holding nothing else). A bare job
//! (`write_bare`) runs without a savepoint wherever it is: it writes
//! nothing before it answers a refusal, so only a failure of the backend
//! can leave it half done, and then the whole transaction is rolled back,
//! the jobs before it are told so, and the jobs after it go on in the next
//! transaction. Every caller is answered after the commit is synced to
//! disk, so a success is durable.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rusqlite::Connection;
use tidings_store::{StoreError, StoreResult};
use tokio::sync::{mpsc, oneshot};

use crate::kept::Kept;
use crate::run_cached;
use crate::syncer::{Completion, Group, Syncer};

/// A job runs with the connection and whether it takes a savepoint; it
/// answers whether it succeeded, and how to tell its caller once the
/// transaction's fate is known.
struct Job {
    run: RunJob,
    /// Whether a failure of this job is kept to a savepoint of its own
    /// when it shares the transaction.
    guarded: bool,
}

type RunJob = Box<dyn FnOnce(&Connection, &Kept<'_>, bool) -> (bool, Completion) + Send>;

/// What the writer thread receives.
enum Msg {
    Job(Job),
    /// The syncer answered its groups: a transaction waiting for it can
    /// commit.
    Synced,
}

/// The most jobs one transaction takes.
const MAX_BATCH: usize = 512;

#[derive(Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Msg>,
    commits: Arc<AtomicU64>,
    #[cfg_attr(not(test), allow(dead_code))]
    checkpoints: crate::checkpointer::Checkpoints,
}

impl Writer {
    /// Starts the writer on `conn`, opened with [`crate::wal_batch::open`],
    /// with checkpoints of `path`'s WAL beside it; `init` runs first on the
    /// writer's thread.
    pub(crate) fn start(
        conn: Connection,
        path: &Path,
        init: impl FnOnce(&Connection) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Msg>(MAX_BATCH * 4);
        let commits = Arc::new(AtomicU64::new(0));
        let counter = commits.clone();
        // Each commit is synced by the syncer, beside the writer: on the
        // writer's VFS (`wal_batch.rs`) a commit's sync writes its frames
        // and no more.
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let synced = tx.clone();
        let syncer = Syncer::start(wal.into(), move || {
            // A full channel wakes the writer anyway.
            let _ = synced.try_send(Msg::Synced);
        })?;
        let (hooked, checkpoints) = crate::checkpointer::attach(conn, path)?;
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                // The whole of `hooked`, its signal with its connection.
                let hooked = hooked;
                init(&hooked.conn);
                run(&hooked.conn, rx, &counter, &syncer)
            })?;
        Ok(Self {
            jobs: tx,
            commits,
            checkpoints,
        })
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
        self.submit(move |c, _| f(c), true).await
    }

    /// As [`Writer::write`], without a savepoint, and with the writer's
    /// kept statements: for a job that writes nothing before it answers
    /// `Ok` with a refusal, whose only errors are failures of the backend.
    /// Such an error rolls back the transaction it shared (its other jobs
    /// are answered with an error).
    pub(crate) async fn write_bare<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &Kept<'_>) -> StoreResult<T> + Send + 'static,
    {
        self.submit(f, false).await
    }

    async fn submit<T, F>(&self, f: F, guarded: bool) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &Kept<'_>) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let run = Box::new(move |conn: &Connection, kept: &Kept<'_>, savepoint: bool| {
            let f = move |c: &Connection| f(c, kept);
            let outcome = match savepoint {
                true => in_savepoint(conn, f),
                false => guarded_call(conn, f),
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
        self.jobs
            .send(Msg::Job(Job { run, guarded }))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    run_cached(conn, "SAVEPOINT job").map_err(crate::backend)?;
    let outcome = guarded_call(conn, f);
    if outcome.is_err() {
        run_cached(conn, "ROLLBACK TO job").map_err(crate::backend)?;
        crate::webhook_answers::forget();
    }
    run_cached(conn, "RELEASE job").map_err(crate::backend)?;
    outcome
}

/// Runs `f`, a panic turned into an error.
fn guarded_call<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    catch_unwind(AssertUnwindSafe(|| f(conn)))
        .unwrap_or_else(|_| Err(StoreError::Backend("a write job panicked".into())))
}

fn run(conn: &Connection, mut rx: mpsc::Receiver<Msg>, commits: &AtomicU64, syncer: &Syncer) {
    // Jobs received and not run yet: a transaction rolled back by a failed
    // job leaves the jobs after it here, for the next one.
    let mut waiting: VecDeque<Job> = VecDeque::with_capacity(MAX_BATCH);
    let kept = Kept::new(conn);
    loop {
        if waiting.is_empty() {
            match rx.blocking_recv() {
                Some(Msg::Job(job)) => waiting.push_back(job),
                Some(Msg::Synced) => continue,
                None => return,
            }
        }
        let started = std::time::Instant::now();
        if let Err(e) = run_cached(conn, "BEGIN IMMEDIATE") {
            // Nothing ran; dropping the jobs drops their reply channels, so
            // every caller gets an error rather than a false success.
            tracing::error!(error = %e, jobs = waiting.len(), "sqlite writer could not begin a transaction");
            waiting.clear();
            continue;
        }
        let (completions, broke) = take_jobs(conn, &kept, &mut rx, &mut waiting, syncer);
        if broke {
            // The failed job may have written part of its work: the whole
            // transaction goes. It is told its own error, the jobs before
            // it that their writes were undone.
            roll_back(conn, &kept, "a failed job");
            let mut completions = completions;
            let failed = completions.pop().expect("the failed job's completion");
            fail(completions, "rolled back with a failed write beside it");
            failed(Ok(()));
            continue;
        }
        metrics::histogram!("tidings_sqlite_commit_batch_size").record(completions.len() as f64);
        // What the sends counted in memory goes in last, before the commit.
        let committed = kept
            .write_day_counts()
            .and_then(|()| run_cached(conn, "COMMIT"));
        match committed {
            Ok(()) => {
                commits.fetch_add(1, Ordering::Relaxed);
                metrics::histogram!("tidings_sqlite_transaction_seconds")
                    .record(started.elapsed().as_secs_f64());
                syncer.after_sync(Group { completions });
            }
            Err(e) => {
                tracing::error!(error = %e, "sqlite commit failed; rolling back the batch");
                roll_back(conn, &kept, "a failed commit");
                fail(completions, &e.to_string());
            }
        }
    }
}

/// Rolls the open transaction back, and forgets what the writer kept of it.
fn roll_back(conn: &Connection, kept: &Kept<'_>, after: &str) {
    if let Err(e) = run_cached(conn, "ROLLBACK") {
        tracing::error!(error = %e, "sqlite writer could not roll back after {after}");
    }
    crate::webhook_answers::forget();
    kept.forget_day_counts();
}

/// Tells each of `completions` that its transaction failed.
fn fail(completions: Vec<Completion>, why: &str) {
    for done in completions {
        done(Err(why.to_owned()));
    }
}

/// Runs jobs in the open transaction: the waiting ones, those that arrive
/// meanwhile, and, while the syncer is busy, those that arrive until it is
/// done. Stops at [`MAX_BATCH`] or at a job whose failure breaks the
/// transaction (then `true`, its completion last).
fn take_jobs(
    conn: &Connection,
    kept: &Kept<'_>,
    rx: &mut mpsc::Receiver<Msg>,
    waiting: &mut VecDeque<Job>,
    syncer: &Syncer,
) -> (Vec<Completion>, bool) {
    let mut completions: Vec<Completion> = Vec::with_capacity(waiting.len());
    loop {
        while completions.len() < MAX_BATCH {
            let Some(job) = waiting.pop_front() else {
                break;
            };
            let savepoint = job.guarded && !completions.is_empty();
            let (ok, done) = (job.run)(conn, kept, savepoint);
            completions.push(done);
            if !ok && !savepoint {
                return (completions, true);
            }
        }
        if completions.len() >= MAX_BATCH {
            return (completions, false);
        }
        match rx.try_recv() {
            Ok(Msg::Job(job)) => {
                waiting.push_back(job);
                continue;
            }
            Ok(Msg::Synced) | Err(_) => {}
        }
        if !syncer.busy() {
            return (completions, false);
        }
        match rx.blocking_recv() {
            Some(Msg::Job(job)) => waiting.push_back(job),
            Some(Msg::Synced) => {}
            None => return (completions, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn writer(dir: &tempfile::TempDir) -> (Writer, std::path::PathBuf) {
        writer_on(
            dir,
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL);",
            |_| {},
        )
    }

    /// A writer on a new database in `dir` holding `tables`; `init` runs
    /// first on its thread.
    fn writer_on(
        dir: &tempfile::TempDir,
        tables: &str,
        init: impl FnOnce(&Connection) + Send + 'static,
    ) -> (Writer, std::path::PathBuf) {
        let path = dir.path().join("w.db");
        let conn = crate::wal_batch::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
        conn.execute_batch(tables).unwrap();
        (Writer::start(conn, &path, init).unwrap(), path)
    }

    /// The ids stored in `t`, in order.
    fn stored_ids(path: &Path) -> Vec<i64> {
        let c = Connection::open(path).unwrap();
        let mut stmt = c.prepare("SELECT id FROM t ORDER BY id").unwrap();
        let ids = stmt.query_map([], |r| r.get(0)).unwrap();
        ids.map(Result::unwrap).collect()
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

    /// An answer about webhooks read inside a job that is then rolled back,
    /// alone or beside others, is not used after it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rolled_back_webhooks_leave_no_answer_behind() {
        let dir = tempfile::tempdir().unwrap();
        let (w, _) = writer_on(
            &dir,
            "CREATE TABLE webhooks (id INTEGER PRIMARY KEY, appid TEXT NOT NULL, disabled_at INTEGER);",
            |c| crate::webhook_answers::install(c).unwrap(),
        );
        let jobs: Vec<_> = (0..200)
            .map(|i| {
                let w = w.clone();
                tokio::spawn(async move {
                    if i % 4 == 0 {
                        let seen = w
                            .write(|c| {
                                c.execute("INSERT INTO webhooks (appid) VALUES ('a')", [])
                                    .map_err(crate::backend)?;
                                let seen = crate::events::has_webhooks(c, "a")?;
                                Err::<bool, _>(StoreError::Backend(format!("saw {seen}, fails")))
                            })
                            .await;
                        assert_eq!(
                            seen.unwrap_err().to_string(),
                            "database error: saw true, fails"
                        );
                        false
                    } else {
                        w.write(|c| crate::events::has_webhooks(c, "a"))
                            .await
                            .unwrap_or(true)
                    }
                })
            })
            .collect();
        for j in jobs {
            assert!(!j.await.unwrap(), "a rolled-back webhook was seen");
        }
    }

    /// A bare job that fails after writing takes its transaction down with
    /// it: whatever the grouping, exactly the jobs answered ok are stored.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_bare_job_undoes_its_group_and_only_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let (w, path) = writer(&dir);
        let jobs: Vec<_> = (0..300i64)
            .map(|i| {
                let w = w.clone();
                tokio::spawn(async move {
                    let insert = move |c: &Connection| {
                        c.execute("INSERT INTO t (id, v) VALUES (?1, x'01')", [i])
                            .map_err(crate::backend)
                    };
                    let answer = match i % 10 {
                        0 => {
                            w.write_bare(move |c, _| {
                                insert(c)?;
                                Err::<usize, _>(StoreError::Backend("fails after writing".into()))
                            })
                            .await
                        }
                        1..=4 => w.write_bare(move |c, _| insert(c)).await,
                        _ => w.write(insert).await,
                    };
                    (i, answer.is_ok())
                })
            })
            .collect();
        let mut answered_ok = Vec::new();
        for j in jobs {
            let (i, ok) = j.await.unwrap();
            assert!(!(ok && i % 10 == 0), "a failing job is never answered ok");
            if ok {
                answered_ok.push(i);
            }
        }
        let stored = stored_ids(&path);
        assert_eq!(stored, answered_ok, "only the jobs answered ok are stored");
    }

    /// Jobs queued behind a failing bare job are not dropped with its
    /// transaction: the job before it is undone, those after it commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_jobs_after_a_failed_bare_job_still_run() {
        let dir = tempfile::tempdir().unwrap();
        let (w, path) = writer(&dir);
        let insert = |i: i64| {
            move |c: &Connection| {
                c.execute("INSERT INTO t (id, v) VALUES (?1, x'01')", [i])
                    .map_err(crate::backend)
            }
        };
        // The first job holds the writer until the others are queued, so
        // all of them meet in its transaction in this order.
        let (held, release) = std::sync::mpsc::channel::<()>();
        let (running, started) = tokio::sync::oneshot::channel::<()>();
        let first = tokio::spawn({
            let w = w.clone();
            async move {
                w.write(move |c| {
                    running.send(()).unwrap();
                    release.recv().unwrap();
                    insert(0)(c)
                })
                .await
            }
        });
        started.await.unwrap();
        let queued = |w: &Writer| w.jobs.max_capacity() - w.jobs.capacity();
        let failing = tokio::spawn({
            let w = w.clone();
            async move {
                w.write_bare(move |c, _| {
                    insert(1)(c)?;
                    Err::<usize, _>(StoreError::Backend("fails after writing".into()))
                })
                .await
            }
        });
        while queued(&w) < 1 {
            tokio::task::yield_now().await;
        }
        let after: Vec<_> = (2..6)
            .map(|i| {
                let w = w.clone();
                tokio::spawn(async move { w.write_bare(move |c, _| insert(i)(c)).await })
            })
            .collect();
        while queued(&w) < 5 {
            tokio::task::yield_now().await;
        }
        held.send(()).unwrap();

        let undone = first.await.unwrap().unwrap_err().to_string();
        assert!(undone.contains("rolled back"), "{undone}");
        assert!(failing.await.unwrap().is_err());
        for job in after {
            assert_eq!(job.await.unwrap().unwrap(), 1, "a job after it ran");
        }
        let stored = stored_ids(&path);
        assert_eq!(stored, vec![2, 3, 4, 5]);
    }

    /// What a rolled-back transaction counted is forgotten; what a
    /// committed one counted is stored.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn day_counts_follow_the_transactions_fate() {
        let dir = tempfile::tempdir().unwrap();
        let (w, path) = writer_on(
            &dir,
            "CREATE TABLE send_counters (appid TEXT NOT NULL, day_start INTEGER NOT NULL,
                 sent INTEGER NOT NULL, PRIMARY KEY (appid, day_start)) STRICT;",
            |_| {},
        );
        async fn count(w: &Writer) -> StoreResult<bool> {
            w.write_bare(|_, kept| kept.count_day("a", 0, 1).map_err(crate::backend))
                .await
        }
        let failed = w
            .write_bare(|_, kept| {
                assert!(kept.count_day("a", 0, 1).unwrap());
                Err::<(), _>(StoreError::Backend("fails after counting".into()))
            })
            .await;
        assert!(failed.is_err());
        assert!(count(&w).await.unwrap(), "the rolled-back count is gone");
        assert!(!count(&w).await.unwrap(), "the committed count holds");
        let stored: i64 = Connection::open(&path)
            .unwrap()
            .query_row(
                "SELECT sent FROM send_counters WHERE appid = 'a'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stored, 1);
    }

    /// Commits `rows` rows of a 4 KiB page each, in one job.
    async fn insert_pages(w: &Writer, rows: usize) {
        w.write(move |c| {
            for _ in 0..rows {
                c.execute("INSERT INTO t (v) VALUES (zeroblob(4000))", [])
                    .map_err(crate::backend)?;
            }
            Ok(())
        })
        .await
        .unwrap();
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
            insert_pages(&w, 100).await;
        }
        // Each checkpoint that ends is a moment to look at the file; the
        // last one leaves it as it stays.
        let due = before + crate::checkpointer::DUE as u64 * 4096;
        let mut checkpoints = w.checkpoints.clone();
        let grown = tokio::time::timeout(Duration::from_secs(60), async {
            while size() < due {
                if checkpoints.changed().await.is_err() {
                    return;
                }
            }
        })
        .await;
        assert!(grown.is_ok(), "no checkpoint grew the database file");
        assert!(
            size() >= due,
            "the database file holds {} bytes: no checkpoint ran",
            size()
        );
        assert_eq!(count(&path), jobs as i64 * 100);
    }

    /// Under a stream of commits the WAL starts over once a checkpoint
    /// cycle has copied it, long before the writer's backstop, and a cycle
    /// runs once a WAL, not once a commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn checkpoint_cycles_start_the_wal_over() {
        use crate::checkpointer::{BACKSTOP, DUE};
        let dir = tempfile::tempdir().unwrap();
        let (w, path) = writer(&dir);
        let wal = path.with_extension("db-wal");
        // Ten WALs' worth of 4 KiB rows, twenty a commit. Once a cycle is
        // due the commits wait for it to end: the checkpointer runs at a
        // low priority, and on a busy machine it may get no core for as
        // long as the commits take to pass the backstop.
        let commits = DUE as usize / 2;
        let mut ended = w.checkpoints.clone();
        let mut since_cycle = 0;
        for _ in 0..commits {
            insert_pages(&w, 20).await;
            since_cycle += 20;
            if since_cycle >= DUE + 40 {
                tokio::time::timeout(Duration::from_secs(60), ended.changed())
                    .await
                    .expect("a due checkpoint cycle ends")
                    .unwrap();
                since_cycle = 0;
            }
        }
        let cycles = *w.checkpoints.borrow();
        // A frame is its page and a 24-byte header; the file keeps the
        // most the WAL ever held.
        let most = std::fs::metadata(&wal).unwrap().len() / (4096 + 24);
        assert!(
            most < BACKSTOP as u64,
            "the WAL grew to {most} frames: it did not start over"
        );
        assert!(cycles >= 2, "{cycles} checkpoint cycles ran");
        assert!(
            cycles < commits as u64 / 10,
            "{cycles} checkpoint cycles for {commits} commits"
        );
        assert_eq!(count(&path), commits as i64 * 20);
    }
}
