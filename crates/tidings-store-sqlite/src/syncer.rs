//! Commits made durable beside the writer. The writer's connection runs
//! on its own VFS (`wal_batch.rs`), where a commit's sync writes the
//! transaction to the WAL without waiting for the disk; the writer hands
//! the group's callers to this thread, which `fdatasync`s the WAL and only
//! then answers them. While one
//! group's sync waits for the disk, the writer already runs the next
//! group; groups that queued up meanwhile share one sync. A caller is still
//! answered only once its commit is on disk: WAL recovery keeps every
//! transaction whose frames were synced (checkpoints sync the WAL before
//! they copy it, whatever the writer's setting).

use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

/// Tells a group's callers how their transaction ended.
pub(crate) type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A committed group waiting for its sync.
pub(crate) struct Group {
    pub completions: Vec<Completion>,
}

/// The writer's side of the syncer.
pub(crate) struct Syncer {
    groups: Sender<Group>,
    /// Groups handed over and not answered yet.
    pending: Arc<AtomicUsize>,
}

impl Syncer {
    /// Starts the thread that syncs `wal`, the database's WAL file, and
    /// calls `synced` each time it has answered the groups it took.
    pub(crate) fn start(wal: PathBuf, synced: impl Fn() + Send + 'static) -> std::io::Result<Self> {
        let (groups, rx) = channel();
        let pending = Arc::new(AtomicUsize::new(0));
        let left = pending.clone();
        std::thread::Builder::new()
            .name("sqlite-syncer".into())
            .spawn(move || run(&wal, &rx, &left, synced))?;
        Ok(Self { groups, pending })
    }

    /// Whether a group handed over is still waiting for its sync.
    pub(crate) fn busy(&self) -> bool {
        self.pending.load(Ordering::Acquire) > 0
    }

    /// Answers `group` once its commit is on disk.
    pub(crate) fn after_sync(&self, group: Group) {
        self.pending.fetch_add(1, Ordering::AcqRel);
        if let Err(lost) = self.groups.send(group) {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            // The thread is gone: nobody can promise durability.
            for done in lost.0.completions {
                done(Err("the commit could not be synced".into()));
            }
        }
    }
}

fn run(wal: &PathBuf, rx: &Receiver<Group>, pending: &AtomicUsize, synced: impl Fn()) {
    let mut file: Option<File> = None;
    while let Ok(first) = rx.recv() {
        let mut groups = vec![first];
        groups.extend(rx.try_iter());
        let started = std::time::Instant::now();
        let outcome = sync(wal, &mut file);
        metrics::histogram!("tidings_sqlite_sync_seconds").record(started.elapsed().as_secs_f64());
        if let Err(e) = &outcome {
            tracing::error!(error = %e, "sqlite WAL sync failed");
            // Open the file anew next time.
            file = None;
        }
        metrics::histogram!("tidings_sqlite_groups_per_sync").record(groups.len() as f64);
        let taken = groups.len();
        for group in groups {
            for done in group.completions {
                done(outcome.clone());
            }
        }
        pending.fetch_sub(taken, Ordering::AcqRel);
        synced();
    }
}

fn sync(wal: &PathBuf, file: &mut Option<File>) -> Result<(), String> {
    if file.is_none() {
        *file = Some(File::open(wal).map_err(|e| format!("opening {}: {e}", wal.display()))?);
    }
    file.as_ref()
        .expect("opened above")
        .sync_data()
        .map_err(|e| format!("syncing {}: {e}", wal.display()))
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    fn answered(syncer: &Syncer) -> Result<(), String> {
        let (tx, rx) = mpsc::channel();
        syncer.after_sync(Group {
            completions: vec![Box::new(move |r| tx.send(r).unwrap())],
        });
        rx.recv().unwrap()
    }

    /// A group is answered with success only once its file was synced: a
    /// file that cannot be synced fails its callers instead.
    #[test]
    fn success_only_after_a_sync() {
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join("t.db-wal");
        let syncer = Syncer::start(wal.clone(), || {}).unwrap();
        let err = answered(&syncer).unwrap_err();
        assert!(err.contains("t.db-wal"), "{err}");
        std::fs::write(&wal, b"frames").unwrap();
        assert_eq!(answered(&syncer), Ok(()));
    }
}
