//! Loads compared by their ratio run in slices, taking turns (W0, W1's
//! official account, W1's mini program, W0 again…), so that the machine's
//! drift over the run weighs on each of them alike.

use std::sync::Arc;
use std::time::Duration;

use crate::cpu::{Spent, Watch};
use crate::load::{run, Request, Stats};

/// One load's slices: its requests and latencies, and what the watched
/// processes spent, summed over them; and each slice's rate.
#[derive(Default)]
pub struct Phase {
    stats: Option<Stats>,
    spent: Spent,
    rates: Vec<f64>,
}

impl Phase {
    /// Runs one slice of `load` for `length` while `watch` reads the CPU;
    /// the slice's successful requests.
    pub async fn slice<R: Request>(
        &mut self,
        load: Arc<R>,
        connections: usize,
        length: Duration,
        watch: Watch,
    ) -> u64 {
        let stats = run(load, connections, length).await;
        self.spent.add(watch.finish());
        self.rates.push(stats.rate());
        let ok = stats.ok;
        self.stats = Some(match self.stats.take() {
            Some(before) => before.merged(&stats),
            None => stats,
        });
        ok
    }

    /// The slices together.
    pub fn stats(&self) -> &Stats {
        self.stats
            .as_ref()
            .expect("a phase runs at least one slice")
    }

    /// What the watched processes spent a request over the slices.
    pub fn cpu(&self) -> String {
        self.spent.report(self.stats().ok)
    }

    /// The largest rate of a slice so far.
    pub fn top_rate(&self) -> f64 {
        self.rates.iter().copied().fold(0.0, f64::max)
    }

    /// Each slice's rate, as a line.
    pub fn rates(&self) -> String {
        let rates: Vec<String> = self.rates.iter().map(|r| format!("{r:.0}")).collect();
        rates.join(", ")
    }

    /// The lowest and highest ratio of this phase's slice to `other`'s
    /// slice of the same turn, in per cent.
    pub fn ratio_range(&self, other: &Phase) -> (f64, f64) {
        self.rates
            .iter()
            .zip(&other.rates)
            .map(|(a, b)| 100.0 * a / b.max(f64::MIN_POSITIVE))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
                (lo.min(r), hi.max(r))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Requests that need no server, each answered after `pause`.
    struct Paced(Duration);

    impl Request for Paced {
        async fn send(&self, _: &reqwest::Client, _: usize, _: u64) -> bool {
            tokio::time::sleep(self.0).await;
            true
        }
    }

    /// A phase's slices add up to one load: every request counted once,
    /// the lengths summed; each slice's rate kept, and the ratios of two
    /// phases taken turn by turn.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn slices_add_up_and_compare_turn_by_turn() {
        let (fast, slow) = (
            Arc::new(Paced(Duration::from_millis(1))),
            Arc::new(Paced(Duration::from_millis(4))),
        );
        let (mut a, mut b) = (Phase::default(), Phase::default());
        let length = Duration::from_millis(300);
        let me = [("bench", std::process::id())];
        let mut oks = 0;
        for _ in 0..3 {
            oks += a.slice(fast.clone(), 2, length, Watch::start(&me)).await;
            b.slice(slow.clone(), 2, length, Watch::start(&me)).await;
        }
        assert_eq!(a.stats().ok, oks);
        assert_eq!(a.stats().hist.len(), oks);
        assert!(a.stats().secs >= 0.9, "{}", a.stats().secs);
        assert_eq!(a.rates().split(", ").count(), 3);
        assert!(a.top_rate() >= a.stats().rate());
        // Each of `b`'s requests waits four times as long as `a`'s.
        let (lo, hi) = b.ratio_range(&a);
        assert!(0.0 < lo && lo <= hi && hi < 100.0, "{lo}..{hi}");
        assert!(a.cpu().starts_with("bench "), "{}", a.cpu());
    }
}
