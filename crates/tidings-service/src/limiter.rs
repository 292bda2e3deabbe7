//! Counts failed secret attempts per key (an appid, a client IP) in fixed
//! windows of the engine's clock, and refuses a key once it has failed too
//! often in its window. State is per node.

use std::collections::HashMap;
use std::sync::Mutex;

use tidings_engine::Timestamp;

const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Timestamp,
    failures: u32,
}

pub(crate) struct FailureLimiter {
    window_secs: i64,
    windows: Mutex<HashMap<String, Window>>,
}

impl FailureLimiter {
    pub(crate) fn new(window_secs: i64) -> Self {
        Self {
            window_secs,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until the key may try again, if it has used up `max` failures.
    pub(crate) fn blocked_for(&self, key: &str, max: u32, now: Timestamp) -> Option<i64> {
        let windows = self.windows.lock().expect("limiter lock");
        let w = windows.get(key)?;
        let end = w.start.plus_secs(self.window_secs);
        (now < end && w.failures >= max).then(|| now.secs_until(end).max(1))
    }

    pub(crate) fn record_failure(&self, key: &str, now: Timestamp) {
        let mut windows = self.windows.lock().expect("limiter lock");
        if windows.len() >= MAX_KEYS {
            let horizon = now.plus_secs(-self.window_secs);
            windows.retain(|_, w| w.start > horizon);
        }
        let w = windows.entry(key.to_owned()).or_insert(Window {
            start: now,
            failures: 0,
        });
        if now >= w.start.plus_secs(self.window_secs) {
            *w = Window {
                start: now,
                failures: 0,
            };
        }
        w.failures += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_until_the_window_ends() {
        let l = FailureLimiter::new(60);
        let t0 = Timestamp::from_millis(0);
        for _ in 0..3 {
            assert_eq!(l.blocked_for("k", 3, t0), None);
            l.record_failure("k", t0);
        }
        assert_eq!(l.blocked_for("k", 3, t0.plus_secs(10)), Some(50));
        assert_eq!(l.blocked_for("other", 3, t0), None);
        assert_eq!(l.blocked_for("k", 3, t0.plus_secs(60)), None);
        l.record_failure("k", t0.plus_secs(61));
        assert_eq!(l.blocked_for("k", 3, t0.plus_secs(62)), None);
    }
}
