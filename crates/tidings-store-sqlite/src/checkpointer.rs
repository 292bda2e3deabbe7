//! WAL checkpoints beside the writer rather than inside it. SQLite's own
//! automatic checkpoint runs in the committing connection: the writer would
//! copy pages into the database file and `fsync` it while every waiting
//! write queues behind. Instead the writer's WAL hook wakes a thread of its
//! own, which checkpoints (`PASSIVE`: it never blocks the writer or a
//! reader) on its own connection. Should that thread fall far behind, the
//! writer checkpoints itself, so the WAL stays bounded. Durability is the
//! WAL's either way: a commit is on disk before it is answered.

use std::ffi::{c_char, c_int, c_void};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use rusqlite::{ffi, Connection};

/// WAL frames (pages) after which a checkpoint is due: 32 MiB of 4 KiB
/// pages. SQLite's own default is 1,000; a checkpoint copies each page
/// once however many frames the WAL holds of it, so under a steady stream
/// of small commits, which rewrite the same pages, rarer checkpoints copy
/// far less.
pub(crate) const DUE: c_int = 8000;
/// WAL frames after which the writer checkpoints itself.
const BACKSTOP: c_int = 32_000;

/// What the WAL hook reaches: the checkpointer's wake-up.
pub(crate) struct Signal {
    wake: SyncSender<()>,
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
    std::thread::Builder::new()
        .name("sqlite-checkpt".into())
        .spawn(move || run(&checkpoints, &due, &ran))?;
    let signal = Box::new(Signal { wake });
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
    if frames >= BACKSTOP {
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
    } else if frames >= DUE {
        // Already woken is as good as woken again.
        let _ = signal.wake.try_send(());
    }
    ffi::SQLITE_OK
}

/// The checkpointer's niceness: copying pages is background work, and it
/// yields the cores to the writer and the request handlers.
const NICENESS: i32 = 10;

fn run(conn: &Connection, due: &Receiver<()>, ran: &tokio::sync::watch::Sender<u64>) {
    lower_priority();
    while due.recv().is_ok() {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "sqlite checkpoint failed; the next one retries");
        }
        ran.send_modify(|n| *n += 1);
    }
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
