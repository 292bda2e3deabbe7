//! The writer connection's VFS: the system's own, except for the WAL. SQLite
//! appends a commit to the WAL one frame at a time, each frame's header and
//! page with a `write` of its own (two system calls a page, 4.6 a single
//! send). Here the writes that follow one another are gathered in memory
//! (up to [`MOST`] bytes) and written with one call per [`MOST_A_WRITE`]
//! bytes when SQLite next syncs, reads, sizes, truncates or closes the
//! file, before any other connection can be told of the frames.
//!
//! The writer runs with `synchronous = FULL` and `checkpoint_fullfsync`,
//! so that SQLite syncs the WAL at each commit with `SQLITE_SYNC_NORMAL`,
//! after the commit's frames and before it publishes them to readers, and
//! syncs a new WAL's header and every checkpoint with `SQLITE_SYNC_FULL`.
//! A commit's sync writes the gathered frames and leaves the `fdatasync`
//! to the syncer thread (`syncer.rs`), which answers the commit's callers
//! only after it; every other sync is done here, as SQLite asks.

use std::ffi::{c_int, c_void, CStr};
use std::ptr;
use std::sync::OnceLock;

use rusqlite::ffi;

/// The name the writer's connection opens its database with.
pub(crate) const NAME: &str = "tidings-writer";
const C_NAME: &CStr = c"tidings-writer";

/// The most bytes gathered before they are written anyway: a group commit
/// of single sends fits, and the room is taken once, when the file opens.
const MOST: usize = 256 << 10;
/// The most bytes the system VFS writes with one call (it masks a larger
/// count to its low 17 bits).
const MOST_A_WRITE: usize = 0x1_ffff;

/// A WAL file opened through this VFS: its methods are [`METHODS`], and
/// the system VFS's own file follows it in the same allocation.
#[repr(C)]
struct WalFile {
    base: ffi::sqlite3_file,
    gathered: *mut Gathered,
}

/// Writes not yet made: `bytes` belong at offset `at`.
struct Gathered {
    at: i64,
    bytes: Vec<u8>,
}

/// The system VFS this one wraps, once registered.
static SYSTEM: OnceLock<usize> = OnceLock::new();

/// Registers the VFS (once per process); an SQLite result code on failure.
pub(crate) fn register() -> Result<(), c_int> {
    static REGISTERED: OnceLock<c_int> = OnceLock::new();
    let rc = *REGISTERED.get_or_init(|| {
        // SAFETY: the default VFS lives as long as the process; the copy
        // made of it is leaked, so it does too, as SQLite requires of a
        // registered VFS. Every method but xOpen is the system VFS's own,
        // which reads only fields the copy keeps (pAppData, mxPathname).
        unsafe {
            let system = ffi::sqlite3_vfs_find(ptr::null());
            if system.is_null() {
                return ffi::SQLITE_ERROR;
            }
            let _ = SYSTEM.set(system as usize);
            let mut vfs = *system;
            vfs.szOsFile = (std::mem::size_of::<WalFile>() as c_int) + (*system).szOsFile;
            vfs.pNext = ptr::null_mut();
            vfs.zName = C_NAME.as_ptr();
            vfs.xOpen = Some(open_file);
            ffi::sqlite3_vfs_register(Box::into_raw(Box::new(vfs)), 0)
        }
    });
    match rc {
        ffi::SQLITE_OK => Ok(()),
        rc => Err(rc),
    }
}

/// Opens the database at `path` on this VFS, with the settings it relies
/// on: `synchronous = FULL`, so that SQLite syncs the WAL at each commit,
/// and `checkpoint_fullfsync`, so that the syncs it must not leave out are
/// told apart from a commit's.
pub(crate) fn open(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    register().map_err(|rc| {
        rusqlite::Error::SqliteFailure(
            ffi::Error::new(rc),
            Some("registering the writer's VFS".into()),
        )
    })?;
    let conn =
        rusqlite::Connection::open_with_flags_and_vfs(path, rusqlite::OpenFlags::default(), NAME)?;
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA checkpoint_fullfsync = ON;")?;
    Ok(conn)
}

fn system() -> *mut ffi::sqlite3_vfs {
    SYSTEM.get().copied().unwrap_or_default() as *mut ffi::sqlite3_vfs
}

/// The system VFS's file inside `file`.
///
/// # Safety
/// `file` is a [`WalFile`] allocated with this VFS's `szOsFile`.
unsafe fn inner(file: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    // SAFETY: the allocation holds the system's file right after ours.
    unsafe { (file as *mut u8).add(std::mem::size_of::<WalFile>()) as *mut ffi::sqlite3_file }
}

unsafe extern "C" fn open_file(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let system = system();
    // SAFETY: `system` is the registered system VFS; `file` has room for
    // its file (and for ours before it), as `szOsFile` says.
    unsafe {
        let Some(system_open) = (*system).xOpen else {
            return ffi::SQLITE_ERROR;
        };
        if flags & ffi::SQLITE_OPEN_WAL == 0 {
            // Any other file is the system's own, methods and all.
            return system_open(system, name, file, flags, out_flags);
        }
        let wal = file as *mut WalFile;
        (*wal).base.pMethods = ptr::null();
        let rc = system_open(system, name, inner(file), flags, out_flags);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
        (*wal).gathered = Box::into_raw(Box::new(Gathered {
            at: 0,
            bytes: Vec::with_capacity(MOST),
        }));
        (*wal).base.pMethods = &METHODS;
        ffi::SQLITE_OK
    }
}

/// The system's methods for the file inside `file`.
///
/// # Safety
/// `file` is an open [`WalFile`].
unsafe fn methods<'a>(file: *mut ffi::sqlite3_file) -> &'a ffi::sqlite3_io_methods {
    // SAFETY: an open system file has its methods set.
    unsafe { &*(*inner(file)).pMethods }
}

/// Writes what `file` has gathered.
///
/// # Safety
/// `file` is an open [`WalFile`].
unsafe fn flush(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: `gathered` is the file's own until xClose frees it, and only
    // the connection's thread calls its methods.
    unsafe {
        let gathered = &mut *(*(file as *mut WalFile)).gathered;
        if gathered.bytes.is_empty() {
            return ffi::SQLITE_OK;
        }
        let Some(write) = methods(file).xWrite else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        let mut at = gathered.at;
        for chunk in gathered.bytes.chunks(MOST_A_WRITE) {
            let rc = write(
                inner(file),
                chunk.as_ptr() as *const c_void,
                chunk.len() as c_int,
                at,
            );
            if rc != ffi::SQLITE_OK {
                // Kept, to be written again by the next flush: until they
                // are, every sync, read or write fails, the commit's too.
                return rc;
            }
            at += chunk.len() as i64;
        }
        gathered.bytes.clear();
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn write(
    file: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: SQLite passes an open file and `amount` readable bytes.
    unsafe {
        let wal = file as *mut WalFile;
        let (at, len) = {
            let gathered = &*(*wal).gathered;
            (gathered.at, gathered.bytes.len())
        };
        let follows = offset == at + len as i64;
        if len > 0 && (!follows || len + amount as usize > MOST) {
            let rc = flush(file);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
        }
        let gathered = &mut *(*wal).gathered;
        if gathered.bytes.is_empty() {
            gathered.at = offset;
        }
        gathered.bytes.extend_from_slice(std::slice::from_raw_parts(
            buf as *const u8,
            amount as usize,
        ));
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    // SAFETY: SQLite passes an open file.
    unsafe {
        let rc = flush(file);
        if rc != ffi::SQLITE_OK || flags & 0x0F == ffi::SQLITE_SYNC_NORMAL {
            // A commit: the syncer syncs it before anyone is answered.
            return rc;
        }
        match methods(file).xSync {
            Some(f) => f(inner(file), flags),
            None => ffi::SQLITE_IOERR_FSYNC,
        }
    }
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite passes an open file and never uses it after xClose.
    unsafe {
        let flushed = flush(file);
        let closed = match methods(file).xClose {
            Some(f) => f(inner(file)),
            None => ffi::SQLITE_OK,
        };
        let wal = file as *mut WalFile;
        drop(Box::from_raw((*wal).gathered));
        (*wal).gathered = ptr::null_mut();
        if flushed != ffi::SQLITE_OK {
            flushed
        } else {
            closed
        }
    }
}

/// A method that writes what is gathered and then calls the system's.
macro_rules! flushing {
    ($name:ident, $field:ident ( $($arg:ident : $ty:ty),* )) => {
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file $(, $arg: $ty)*) -> c_int {
            // SAFETY: SQLite passes an open file and the method's arguments.
            unsafe {
                let rc = flush(file);
                if rc != ffi::SQLITE_OK {
                    return rc;
                }
                match methods(file).$field {
                    Some(f) => f(inner(file) $(, $arg)*),
                    None => ffi::SQLITE_IOERR,
                }
            }
        }
    };
}

/// A method that calls the system's with the same arguments.
macro_rules! passing {
    ($name:ident, $field:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty, $missing:expr) => {
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file $(, $arg: $ty)*) -> $ret {
            // SAFETY: SQLite passes an open file and the method's arguments.
            unsafe {
                match methods(file).$field {
                    Some(f) => f(inner(file) $(, $arg)*),
                    None => $missing,
                }
            }
        }
    };
}

flushing!(read, xRead(buf: *mut c_void, amount: c_int, offset: i64));
flushing!(truncate, xTruncate(size: i64));
flushing!(file_size, xFileSize(size: *mut i64));
flushing!(file_control, xFileControl(op: c_int, arg: *mut c_void));
passing!(lock, xLock(level: c_int) -> c_int, ffi::SQLITE_IOERR_LOCK);
passing!(unlock, xUnlock(level: c_int) -> c_int, ffi::SQLITE_IOERR_UNLOCK);
passing!(check_reserved, xCheckReservedLock(out: *mut c_int) -> c_int, ffi::SQLITE_IOERR);
passing!(sector_size, xSectorSize() -> c_int, 4096);
passing!(characteristics, xDeviceCharacteristics() -> c_int, 0);
passing!(shm_map, xShmMap(page: c_int, size: c_int, extend: c_int, out: *mut *mut c_void) -> c_int, ffi::SQLITE_IOERR_SHMMAP);
passing!(shm_lock, xShmLock(offset: c_int, n: c_int, flags: c_int) -> c_int, ffi::SQLITE_IOERR_SHMLOCK);
passing!(shm_unmap, xShmUnmap(delete: c_int) -> c_int, ffi::SQLITE_OK);
passing!(fetch, xFetch(offset: i64, amount: c_int, out: *mut *mut c_void) -> c_int, ffi::SQLITE_OK);
passing!(unfetch, xUnfetch(offset: i64, at: *mut c_void) -> c_int, ffi::SQLITE_OK);

unsafe extern "C" fn shm_barrier(file: *mut ffi::sqlite3_file) {
    // SAFETY: SQLite passes an open file.
    unsafe {
        if let Some(f) = methods(file).xShmBarrier {
            f(inner(file))
        }
    }
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(characteristics),
    xShmMap: Some(shm_map),
    xShmLock: Some(shm_lock),
    xShmBarrier: Some(shm_barrier),
    xShmUnmap: Some(shm_unmap),
    xFetch: Some(fetch),
    xUnfetch: Some(unfetch),
};

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    fn writer(path: &std::path::Path) -> Connection {
        let c = open(path).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA wal_autocheckpoint = 0;
             CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v BLOB NOT NULL);",
        )
        .unwrap();
        c
    }

    fn count_and_bytes(c: &Connection) -> (i64, i64) {
        c.query_row(
            "SELECT count(*), coalesce(sum(length(v)), 0) FROM t",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }

    #[test]
    fn the_name_is_the_registered_one() {
        assert_eq!(C_NAME.to_str(), Ok(NAME));
    }

    /// Another connection, on the system's VFS, reads every commit as soon
    /// as it is made: the gathered frames were written before SQLite
    /// published them. Commits of one page, of many pages, of more than
    /// [`MOST`] bytes, a rollback, and a checkpoint that restarts the WAL
    /// (its header written again) all go through.
    #[test]
    fn readers_see_every_commit_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.db");
        let w = writer(&path);
        let r = Connection::open(&path).unwrap();
        let (mut rows, mut bytes) = (0i64, 0i64);
        for i in 0..300usize {
            let size = match i {
                100 => 3 * MOST,
                _ => [10, 5_000, 40_000][i % 3],
            };
            let tx = w.unchecked_transaction().unwrap();
            tx.execute("INSERT INTO t (v) VALUES (?1)", [vec![i as u8; size]])
                .unwrap();
            if i % 7 == 0 {
                tx.rollback().unwrap();
            } else {
                tx.commit().unwrap();
                rows += 1;
                bytes += size as i64;
            }
            assert_eq!(count_and_bytes(&r), (rows, bytes), "after commit {i}");
            if i % 60 == 59 {
                w.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))
                    .unwrap();
            }
        }
        drop(r);
        drop(w);
        let again = Connection::open(&path).unwrap();
        assert_eq!(count_and_bytes(&again), (rows, bytes));
        let check: String = again
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }

    /// A commit leaves nothing gathered: the WAL file on disk already holds
    /// it when `COMMIT` returns, before any sync of the syncer's.
    #[test]
    fn a_commit_is_in_the_file_when_it_returns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let w = writer(&path);
        let wal = dir.path().join("c.db-wal");
        let before = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        w.execute("INSERT INTO t (v) VALUES (?1)", [vec![7u8; 20_000]])
            .unwrap();
        let after = std::fs::metadata(&wal).unwrap().len();
        assert!(
            after >= before + 20_000,
            "WAL grew from {before} to {after}"
        );
    }
}

#[cfg(test)]
mod flush_tests {
    use std::cell::RefCell;

    use super::*;

    /// Each write the stand-in made: its offset and bytes.
    type Writes = Vec<(i64, Vec<u8>)>;

    thread_local! {
        /// What the stand-in system file was asked to write, and whether
        /// its next write fails.
        static WRITTEN: RefCell<(Writes, bool)> = const { RefCell::new((Vec::new(), false)) };
    }

    unsafe extern "C" fn stand_in_write(
        _: *mut ffi::sqlite3_file,
        buf: *const c_void,
        amount: c_int,
        offset: i64,
    ) -> c_int {
        WRITTEN.with_borrow_mut(|(calls, fail)| {
            if std::mem::take(fail) {
                return ffi::SQLITE_IOERR_WRITE;
            }
            // SAFETY: the caller passes `amount` readable bytes.
            let bytes = unsafe { std::slice::from_raw_parts(buf as *const u8, amount as usize) };
            calls.push((offset, bytes.to_vec()));
            ffi::SQLITE_OK
        })
    }

    static STAND_IN: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
        iVersion: 1,
        xClose: None,
        xRead: None,
        xWrite: Some(stand_in_write),
        xTruncate: None,
        xSync: None,
        xFileSize: None,
        xLock: None,
        xUnlock: None,
        xCheckReservedLock: None,
        xFileControl: None,
        xSectorSize: None,
        xDeviceCharacteristics: None,
        xShmMap: None,
        xShmLock: None,
        xShmBarrier: None,
        xShmUnmap: None,
        xFetch: None,
        xUnfetch: None,
    };

    /// A WAL file over the stand-in, laid out as `open_file` lays it out.
    #[repr(C)]
    struct Opened {
        wal: WalFile,
        system: ffi::sqlite3_file,
    }

    /// Writes that follow one another go out as one; one that does not
    /// first sends out what was gathered. A failed write keeps the bytes
    /// and fails the sync; the next sync writes them, in order. A commit's
    /// sync stops there; any other is passed on.
    #[test]
    fn gathered_writes_go_out_in_order_and_survive_a_failure() {
        let mut gathered = Gathered {
            at: 0,
            bytes: Vec::with_capacity(MOST),
        };
        let mut opened = Opened {
            wal: WalFile {
                base: ffi::sqlite3_file { pMethods: &METHODS },
                gathered: &mut gathered,
            },
            system: ffi::sqlite3_file {
                pMethods: &STAND_IN,
            },
        };
        let file = &mut opened as *mut Opened as *mut ffi::sqlite3_file;
        let put = |bytes: &[u8], at: i64| {
            // SAFETY: `file` is laid out as an open WAL file.
            unsafe {
                write(
                    file,
                    bytes.as_ptr() as *const c_void,
                    bytes.len() as c_int,
                    at,
                )
            }
        };
        assert_eq!(put(b"head", 100), ffi::SQLITE_OK);
        assert_eq!(put(b"page", 104), ffi::SQLITE_OK);
        assert!(WRITTEN.with_borrow(|(calls, _)| calls.is_empty()));
        // Not following: what was gathered goes first.
        assert_eq!(put(b"again", 0), ffi::SQLITE_OK);
        WRITTEN.with_borrow_mut(|(_, fail)| *fail = true);
        // SAFETY: as above.
        assert_eq!(
            unsafe { sync(file, ffi::SQLITE_SYNC_NORMAL) },
            ffi::SQLITE_IOERR_WRITE
        );
        assert_eq!(
            unsafe { sync(file, ffi::SQLITE_SYNC_NORMAL) },
            ffi::SQLITE_OK
        );
        // A sync other than a commit's reaches the system file (which
        // here has none).
        assert_eq!(
            unsafe { sync(file, ffi::SQLITE_SYNC_FULL) },
            ffi::SQLITE_IOERR_FSYNC
        );
        let calls = WRITTEN.with_borrow(|(calls, _)| calls.clone());
        assert_eq!(
            calls,
            vec![(100, b"headpage".to_vec()), (0, b"again".to_vec())]
        );
    }
}
