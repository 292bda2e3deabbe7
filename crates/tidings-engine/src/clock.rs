//! Time as the engine sees it: milliseconds since the Unix epoch, read from
//! an injectable clock so that expiry rules are testable without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A point in time, in milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

/// The offset of China Standard Time, where WeChat's daily quotas reset.
const CST_OFFSET_MS: i64 = 8 * 3600 * 1000;
const DAY_MS: i64 = 86_400_000;

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    pub fn plus_secs(self, secs: i64) -> Self {
        Self(self.0 + secs * 1000)
    }

    /// Whole seconds from `self` until `later`, never negative.
    pub fn secs_until(self, later: Timestamp) -> i64 {
        ((later.0 - self.0).max(0)) / 1000
    }

    /// The start of the quota day that holds this instant. Quota days run
    /// from midnight to midnight China Standard Time (UTC+8), as WeChat's do.
    pub fn quota_day_start(self) -> Timestamp {
        let local = self.0 + CST_OFFSET_MS;
        Timestamp(local - local.rem_euclid(DAY_MS) - CST_OFFSET_MS)
    }
}

impl Timestamp {
    /// `YYYY-MM-DD HH:MM:SS` in China Standard Time, as the marketing cloud
    /// writes times.
    pub fn cst_datetime(self) -> String {
        let secs = (self.0 + CST_OFFSET_MS).div_euclid(1000);
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        format!(
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }
}

/// Where the engine reads the current time from.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp(ms)
    }
}

/// A clock that only moves when told to; shared by clones.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self(Arc::new(AtomicI64::new(start.0)))
    }

    pub fn advance_secs(&self, secs: i64) {
        self.0.fetch_add(secs * 1000, Ordering::SeqCst);
    }

    pub fn set(&self, at: Timestamp) {
        self.0.store(at.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_day_starts_at_cst_midnight() {
        // 2026-11-21T15:59:59Z is 23:59:59 in Beijing; 16:00:00Z is the next day.
        let before = Timestamp::from_millis(1_795_276_799_000);
        let after = Timestamp::from_millis(1_795_276_800_000);
        assert_eq!(after.quota_day_start(), after);
        assert_eq!(before.quota_day_start(), after.plus_secs(-86_400));
    }

    #[test]
    fn cst_datetimes_match_the_vendor_example() {
        // The marketing cloud's example: 1694596645 is 2023-09-13 17:17:25.
        assert_eq!(
            Timestamp::from_millis(1_694_596_645_000).cst_datetime(),
            "2023-09-13 17:17:25"
        );
        assert_eq!(
            Timestamp::from_millis(0).cst_datetime(),
            "1970-01-01 08:00:00"
        );
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(Timestamp::from_millis(1_000));
        assert_eq!(clock.now().as_millis(), 1_000);
        clock.advance_secs(2);
        assert_eq!(clock.now().as_millis(), 3_000);
        assert_eq!(clock.now().secs_until(Timestamp::from_millis(10_500)), 7);
    }
}
