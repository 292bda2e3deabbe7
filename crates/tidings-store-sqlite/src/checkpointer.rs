//! WAL checkpoints beside the writer rather than inside it. SQLite's own
//! automatic checkpoint runs in the committing connection: the writer would
//! copy pages into the database file and `fsync` it while every waiting
//! write queues behind. Instead the writer's WAL hook wakes a thread of its
//! own, which checkpoints (`PASSIVE`: it never blocks the writer or a
//! reader) on its own connection. Should that thread fall far behind, the
//! writer checkpoints itself, so the WAL stays bounded. Durability is the
//! WAL's either way: a commit is on disk before it is answered.
//!
//! A checkpoint beside a writer that keeps committing never catches up:
//! the frames committed while it copies are left over, and SQLite starts
//! the WAL over only when a write transaction begins on a WAL that is
//! wholly copied. Were the checkpointer woken again for them, it would
//! copy a few frames and `fsync` the database after every commit, copying
//! the pages every commit rewrites (inbox leaves, the tables' last pages)
//! each time. So a cycle goes: the checkpointer copies the bulk, then
//! again what came meanwhile until little is left (`LEFT_FOR_WRITER`),
//! and hands the rest to the writer, which copies it from its WAL hook
//! right after its next commit, when nothing can be appended; its next
//! transaction then starts the WAL over. The checkpointer is not woken
//! while the writer has the rest to copy.

use std::ffi::{c_char, c_int, c_void};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use rusqlite::{ffi, Connection};

/// WAL frames (pages) after which a checkpoint is due: 94 MiB of 4 KiB
/// pages. SQLite's own default is 1,000; a checkpoint copies each page
/// once however many frames the WAL holds of it, so under a steady stream
/// of small commits, which rewrite the same pages, rarer checkpoints copy
/// far less; and the writer's share of a cycle (`LEFT_FOR_WRITER`), which
/// holds up the commits behind it, comes rarely.
#[cfg(not(test))]
pub(crate) const DUE: c_int = 24_000;
/// WAL frames after which the writer checkpoints itself.
#[cfg(not(test))]
pub(crate) const BACKSTOP: c_int = 96_000;
/// The unit tests' cycles, the same but shorter.
#[cfg(test)]
pub(crate) const DUE: c_int = 400;
#[cfg(test)]
pub(crate) const BACKSTOP: c_int = 1_600;
/// WAL frames a checkpointer's pass may leave uncopied for the writer to
/// finish; more, and it copies again what came while it copied.
const LEFT_FOR_WRITER: i64 = 128;
/// Passes of one cycle at most, should the writer outrun them.
const PASSES: usize = 8;

/// What the WAL hook reaches: the checkpointer's wake-up, and the cycle
/// it shares with the checkpointer.
pub(crate) struct Signal {
    wake: SyncSender<()>,
    cycle: Arc<Cycle>,
}

/// What the checkpointer and the writer's hook share.
#[derive(Default)]
struct Cycle {
    /// Whether the writer is to finish the cycle's copy.
    finish: AtomicBool,
    /// The WAL's length in frames at the writer's last commit.
    frames: AtomicI64,
}

/// The writer's connection with its WAL hook. Fields drop in order: the
/// connection (and its hook) before the signal the hook points to.
pub(crate) struct HookedConnection {
    pub conn: Connection,
    _signal: Box<Signal>,
}

/// How many checkpoints the checkpointer has run, to wait on.
pub(crate) type Checkpoints = tokio::sync::watch::Receiver<u64>;

/// Starts the checkpointer on `path` and hooks the writer's connection to
/// it.
pub(crate) fn attach(
    conn: Connection,
    path: &Path,
) -> std::io::Result<(HookedConnection, Checkpoints)> {
    let checkpoints = Connection::open(path).map_err(std::io::Error::other)?;
    let (wake, due) = sync_channel(1);
    let (ran, watched) = tokio::sync::watch::channel(0);
    let cycle = Arc::new(Cycle::default());
    let shared = Arc::clone(&cycle);
    std::thread::Builder::new()
        .name("sqlite-checkpt".into())
        .spawn(move || run(&checkpoints, &due, &ran, &shared))?;
    let signal = Box::new(Signal { wake, cycle });
    let arg = &*signal as *const Signal as *mut c_void;
    // SAFETY: the handle is the live connection's; the hook's argument
    // points into `signal`, which `HookedConnection` drops after the
    // connection, so the hook never outlives it.
    unsafe {
        ffi::sqlite3_wal_hook(conn.handle(), Some(on_commit), arg);
    }
    Ok((
        HookedConnection {
            conn,
            _signal: signal,
        },
        watched,
    ))
}

/// Called by SQLite after each commit with the WAL's length in frames.
unsafe extern "C" fn on_commit(
    arg: *mut c_void,
    db: *mut ffi::sqlite3,
    name: *const c_char,
    frames: c_int,
) -> c_int {
    // SAFETY: `arg` is the `Signal` that `attach` registered, alive for
    // as long as the connection is.
    let signal = unsafe { &*(arg as *const Signal) };
    let cycle = &signal.cycle;
    cycle.frames.store(i64::from(frames), Ordering::Release);
    let finishing = cycle.finish.swap(false, Ordering::AcqRel);
    if finishing || frames >= BACKSTOP {
        // SAFETY: SQLite's own automatic checkpoint runs from this hook
        // the same way, with the same connection and database name.
        unsafe {
            ffi::sqlite3_wal_checkpoint_v2(
                db,
                name,
                ffi::SQLITE_CHECKPOINT_PASSIVE,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            );
        }
    } else if frames >= DUE && !cycle.finish.load(Ordering::Acquire) {
        // Already woken is as good as woken again.
        let _ = signal.wake.try_send(());
    }
    ffi::SQLITE_OK
}

/// The checkpointer's niceness: copying pages is background work, and it
/// yields the cores to the writer and the request handlers.
const NICENESS: i32 = 10;

fn run(
    conn: &Connection,
    due: &Receiver<()>,
    ran: &tokio::sync::watch::Sender<u64>,
    cycle: &Cycle,
) {
    lower_priority();
    while due.recv().is_ok() {
        let mut copied = Ok(0);
        for _ in 0..PASSES {
            copied = pass(conn);
            match &copied {
                // The frames committed while the pass copied.
                Ok(n) if cycle.frames.load(Ordering::Acquire) - n > LEFT_FOR_WRITER => continue,
                _ => break,
            }
        }
        match copied {
            Ok(_) => cycle.finish.store(true, Ordering::Release),
            // The writer is not handed a whole WAL to copy: the next
            // commit past the due size wakes this thread again.
            Err(e) => tracing::warn!(error = %e, "sqlite checkpoint failed; the next one retries"),
        }
        // Wake-ups sent while this cycle copied are answered by it.
        while due.try_recv().is_ok() {}
        ran.send_modify(|n| *n += 1);
    }
}

/// One `PASSIVE` checkpoint: the WAL's frames copied into the database
/// by its end (all the WAL held when it began, unless a reader still needs
/// some).
fn pass(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(2))
}

/// Lowers this thread's scheduling priority (Linux gives each thread its
/// own); elsewhere, or if refused, the thread runs at the usual one.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid takes no arguments; setpriority with this
        // thread's id changes this thread alone.
        let refused = unsafe {
            let tid = libc::gettid() as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, NICENESS) != 0
        };
        if refused {
            tracing::debug!("the checkpointer runs at the usual priority");
        }
    }
}
