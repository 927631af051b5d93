//! Time, injected. All time the engine reads comes from a `Clock`, so a front end can
//! use the real time (the native server, the page) or a virtual time that tests and
//! exercises move by hand. The engine never calls `SystemTime` itself: it does not exist
//! on `wasm32-unknown-unknown`.

use std::cell::Cell;
use std::rc::Rc;

pub trait Clock {
    /// Microseconds since the Unix epoch.
    fn now_us(&self) -> i64;
    fn now_ms(&self) -> i64 {
        self.now_us().div_euclid(1000)
    }
}

/// A clock that only moves when told. Clones share the same time, so a test keeps one
/// handle and gives the other to the engine.
#[derive(Clone, Debug)]
pub struct ManualClock(Rc<Cell<i64>>);

impl ManualClock {
    /// Starts at `start_ms` milliseconds since the epoch.
    pub fn new(start_ms: i64) -> Self {
        ManualClock(Rc::new(Cell::new(start_ms.saturating_mul(1000))))
    }
    pub fn advance_ms(&self, ms: i64) {
        self.0
            .set(self.0.get().saturating_add(ms.saturating_mul(1000)));
    }
    pub fn advance_us(&self, us: i64) {
        self.0.set(self.0.get().saturating_add(us));
    }
    pub fn set_ms(&self, ms: i64) {
        self.0.set(ms.saturating_mul(1000));
    }
}

impl Clock for ManualClock {
    fn now_us(&self) -> i64 {
        self.0.get()
    }
}

/// The operating system's clock (native builds only).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now_us(&self) -> i64 {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        d.as_micros() as i64
    }
}

/// The proleptic Gregorian (year, month 1-12, day 1-31) of a count of days since
/// 1970-01-01 (Howard Hinnant's `civil_from_days`): for the dates front ends print (stream
/// ID times, HTTP `Date` headers, log lines) without a calendar crate.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Count in 400-year eras starting on March 1st, so the leap day ends a year.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod calendar_tests {
    use super::civil_from_days;

    #[test]
    fn days_become_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_675), (2023, 11, 14));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(2_932_896), (9999, 12, 31));
    }
}
