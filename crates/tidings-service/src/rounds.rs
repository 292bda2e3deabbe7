//! The loop of the background workers: a round at a time, again at once
//! while there was work, else after a wake-up or the poll interval, until
//! told to stop.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};

/// Runs `round` (true when it found work) until `stop` turns true.
pub(crate) async fn run_rounds<F, Fut>(
    name: &'static str,
    mut stop: watch::Receiver<bool>,
    poll: Duration,
    wake: Option<Arc<Notify>>,
    mut round: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, tidings_store::StoreError>>,
{
    loop {
        if *stop.borrow() {
            return;
        }
        match round().await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(worker = name, error = %e, "background round failed; retrying")
            }
        }
        let woken = async {
            match &wake {
                Some(w) => w.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = woken => {}
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => {}
        }
    }
}
