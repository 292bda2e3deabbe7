//! The load generator: N connections, each sending requests back to back
//! for a fixed time, latencies into one histogram.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::Mutex;

/// What a load run measured.
pub struct Stats {
    pub ok: u64,
    pub errors: u64,
    pub secs: f64,
    pub hist: Histogram<u64>,
}

impl Stats {
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.secs
    }

    /// Two runs of one load as one.
    pub fn merged(mut self, other: &Stats) -> Stats {
        self.ok += other.ok;
        self.errors += other.errors;
        self.secs += other.secs;
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.hist.add(&other.hist);
        self
    }

    /// A latency percentile in milliseconds.
    pub fn ms(&self, q: f64) -> f64 {
        self.hist.value_at_quantile(q) as f64 / 1000.0
    }

    pub fn line(&self, name: &str) -> String {
        format!(
            "{name}: {:.0} req/s ({} ok, {} errors in {:.1} s), p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms",
            self.rate(),
            self.ok,
            self.errors,
            self.secs,
            self.ms(0.5),
            self.ms(0.99),
            self.ms(0.999)
        )
    }
}

/// One request of connection `conn`, its `n`th: true when it succeeded.
pub trait Request: Send + Sync + 'static {
    fn send(
        &self,
        client: &reqwest::Client,
        conn: usize,
        n: u64,
    ) -> impl std::future::Future<Output = bool> + Send;
}

pub async fn run<R: Request>(req: Arc<R>, connections: usize, length: Duration) -> Stats {
    let hist = Arc::new(Mutex::new(Histogram::<u64>::new(3).expect("histogram")));
    let deadline = Instant::now() + length;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for conn in 0..connections {
        let (req, hist) = (req.clone(), hist.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .expect("client");
            let mut local = Histogram::<u64>::new(3).expect("histogram");
            let (mut ok, mut errors, mut n) = (0u64, 0u64, 0u64);
            while Instant::now() < deadline {
                let t = Instant::now();
                if req.send(&client, conn, n).await {
                    ok += 1;
                    local.record(t.elapsed().as_micros() as u64).ok();
                } else {
                    errors += 1;
                }
                n += 1;
            }
            hist.lock().await.add(&local).ok();
            (ok, errors)
        }));
    }
    let (mut ok, mut errors) = (0, 0);
    for t in tasks {
        let (o, e) = t.await.expect("load task");
        ok += o;
        errors += e;
    }
    let secs = start.elapsed().as_secs_f64();
    let hist = Arc::try_unwrap(hist).expect("one owner").into_inner();
    Stats {
        ok,
        errors,
        secs,
        hist,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// A request that needs no server: every third one fails, and each is
    /// counted.
    struct Counted(AtomicU64);

    impl Request for Counted {
        async fn send(&self, _: &reqwest::Client, _: usize, n: u64) -> bool {
            self.0.fetch_add(1, Ordering::Relaxed);
            tokio::task::yield_now().await;
            n % 3 != 2
        }
    }

    /// Every request a run sends is counted once, as a success or an error,
    /// each success's latency is in the histogram, and two runs merge into
    /// their sums. (What is counted, not how fast: the run's length only
    /// bounds it.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_run_counts_every_request_once() {
        let req = Arc::new(Counted(AtomicU64::new(0)));
        let stats = run(req.clone(), 4, Duration::from_secs(1)).await;
        let sent = req.0.load(Ordering::Relaxed);
        assert!(sent > 0);
        assert_eq!(stats.ok + stats.errors, sent);
        assert!(
            stats.errors > 0 && stats.errors <= stats.ok,
            "{} errors",
            stats.errors
        );
        assert_eq!(stats.hist.len(), stats.ok);
        assert!(stats.secs >= 1.0);
        let twice = Stats {
            ok: stats.ok,
            errors: stats.errors,
            secs: stats.secs,
            hist: stats.hist.clone(),
        }
        .merged(&stats);
        assert_eq!(twice.ok, 2 * stats.ok);
        assert_eq!(twice.hist.len(), 2 * stats.ok);
        assert_eq!(twice.rate(), stats.rate());
    }
}
