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
