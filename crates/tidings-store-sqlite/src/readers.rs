//! A small pool of read-only connections. In WAL mode readers never block
//! the writer and see every committed transaction.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};
use tidings_store::{StoreError, StoreResult};
use tokio::sync::Semaphore;

pub(crate) struct Readers {
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl Readers {
    pub(crate) fn open(path: &Path, count: usize) -> StoreResult<Arc<Self>> {
        let mut idle = Vec::with_capacity(count);
        for _ in 0..count {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )
            .map_err(crate::backend)?;
            conn.busy_timeout(std::time::Duration::from_secs(5))
                .map_err(crate::backend)?;
            conn.set_prepared_statement_cache_capacity(crate::STATEMENT_CACHE);
            idle.push(conn);
        }
        Ok(Arc::new(Self {
            idle: Mutex::new(idle),
            permits: Semaphore::new(count),
        }))
    }

    /// Runs a point lookup (one row by an indexed key) on the calling
    /// thread when a reader is idle: such a query takes microseconds, less
    /// than handing it to a blocking thread and waking the caller again.
    /// With every reader busy it queues like [`Readers::read`].
    pub(crate) async fn lookup<T, F>(self: &Arc<Self>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let Ok(permit) = self.permits.try_acquire() else {
            return self.read(f).await;
        };
        let out = self.on_idle(f);
        drop(permit);
        out
    }

    /// Runs `f` on an idle reader, off the async threads.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Closed)?;
        let pool = Arc::clone(self);
        let outcome = tokio::task::spawn_blocking(move || pool.on_idle(f))
            .await
            .map_err(|e| StoreError::Backend(format!("reader task failed: {e}")))?;
        drop(permit);
        outcome
    }

    /// Runs `f` on an idle connection; the caller holds a permit.
    fn on_idle<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let conn = self
            .idle
            .lock()
            .expect("reader pool lock")
            .pop()
            .expect("a permit guarantees an idle reader");
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&conn)))
            .unwrap_or_else(|_| Err(StoreError::Backend("a read job panicked".into())));
        self.idle.lock().expect("reader pool lock").push(conn);
        out
    }
}
