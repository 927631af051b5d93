//! The playground's virtual clock: one time shared by the engine and the programs.
//!
//! The page wants to pause the world, slow it down, speed it up (x10, x100) and step it,
//! and tests want it to move instantly and deterministically. So virtual time is its own
//! number, moved only by the host: `sync(real_now_us)` adds `speed x` the real time that
//! passed since the previous sync (the crate never reads a real clock itself: the host
//! reports it, from `performance.now()` in the page), and `advance` moves it by hand.
//!
//! Virtual time never goes backwards and never jumps: pausing, resuming or changing the
//! speed re-anchors the clock, so the real time between the last sync and the change is
//! dropped rather than counted at the wrong speed (a host that wants it counted syncs
//! right before the change).

use std::cell::RefCell;
use std::rc::Rc;

use redis_emulator::Clock;

/// The slowest and fastest speeds (virtual time per real time).
pub const MIN_SPEED: f64 = 0.1;
pub const MAX_SPEED: f64 = 1000.0;

#[derive(Debug)]
struct State {
    /// Virtual microseconds since the Unix epoch.
    now_us: i64,
    /// Virtual microseconds owed below one microsecond (slow speeds).
    fraction_us: f64,
    /// The real time of the last sync, None after a re-anchor.
    anchor_real_us: Option<i64>,
    speed: f64,
    paused: bool,
}

/// A clock that the engine reads (it implements the emulator's [`Clock`]) and the host
/// moves. Clones share the same time: give one to the engine, keep one.
#[derive(Clone, Debug)]
pub struct VirtualClock(Rc<RefCell<State>>);

impl VirtualClock {
    /// A running clock at speed 1 showing `start_ms` (milliseconds since the epoch).
    pub fn new(start_ms: i64) -> VirtualClock {
        VirtualClock(Rc::new(RefCell::new(State {
            now_us: start_ms.saturating_mul(1000),
            fraction_us: 0.0,
            anchor_real_us: None,
            speed: 1.0,
            paused: false,
        })))
    }

    /// Virtual milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        self.0.borrow().now_us.div_euclid(1000)
    }

    /// Moves virtual time by `speed x` the real time since the previous sync (nothing
    /// while paused, nothing on the first sync after a re-anchor). `real_now_us`: the
    /// host's real clock, any origin, in microseconds. Returns the virtual time (ms).
    pub fn sync(&self, real_now_us: i64) -> i64 {
        let elapsed = self.take_elapsed_us(real_now_us);
        self.advance_us(elapsed);
        self.now_ms()
    }

    /// What `sync` would add, in virtual microseconds, without adding it: the clock is
    /// re-anchored at `real_now_us`. For hosts that move time in steps themselves
    /// (`drive::catch_up` stops at every program's wakeup on the way).
    pub fn take_elapsed_us(&self, real_now_us: i64) -> i64 {
        let mut s = self.0.borrow_mut();
        let previous = s.anchor_real_us.replace(real_now_us);
        let Some(previous) = previous else {
            return 0;
        };
        if s.paused || real_now_us <= previous {
            return 0;
        }
        let exact = (real_now_us - previous) as f64 * s.speed + s.fraction_us;
        let whole = exact.floor();
        s.fraction_us = exact - whole;
        if whole >= i64::MAX as f64 {
            i64::MAX
        } else {
            whole as i64
        }
    }

    /// Stops virtual time (`sync` no longer moves it; `advance` still does: stepping).
    pub fn pause(&self) {
        let mut s = self.0.borrow_mut();
        s.paused = true;
        s.anchor_real_us = None;
    }

    /// Lets virtual time run again from the next sync on.
    pub fn resume(&self) {
        let mut s = self.0.borrow_mut();
        s.paused = false;
        s.anchor_real_us = None;
    }

    pub fn is_paused(&self) -> bool {
        self.0.borrow().paused
    }

    /// Sets how fast virtual time runs compared to real time, clamped to
    /// `MIN_SPEED..=MAX_SPEED` (a NaN is ignored). Takes effect from the next sync on.
    pub fn set_speed(&self, speed: f64) {
        if speed.is_nan() {
            return;
        }
        let mut s = self.0.borrow_mut();
        s.speed = speed.clamp(MIN_SPEED, MAX_SPEED);
        s.anchor_real_us = None;
    }

    pub fn speed(&self) -> f64 {
        self.0.borrow().speed
    }

    /// Moves virtual time forward by `ms` (negative values do nothing), paused or not: a
    /// step, or a fast-forward.
    pub fn advance(&self, ms: i64) {
        self.advance_us(ms.saturating_mul(1000));
    }

    /// `advance` in microseconds.
    pub fn advance_us(&self, us: i64) {
        if us > 0 {
            let mut s = self.0.borrow_mut();
            s.now_us = s.now_us.saturating_add(us);
        }
    }

    /// Moves virtual time forward to `ms` if it is earlier (never backwards).
    pub fn advance_to(&self, ms: i64) {
        let mut s = self.0.borrow_mut();
        s.now_us = s.now_us.max(ms.saturating_mul(1000));
    }
}

impl Clock for VirtualClock {
    fn now_us(&self) -> i64 {
        self.0.borrow().now_us
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_follows_real_time_times_speed() {
        let c = VirtualClock::new(1_000);
        assert_eq!(c.sync(5_000_000), 1_000); // the first sync only anchors
        assert_eq!(c.sync(5_016_000), 1_016);
        c.set_speed(100.0);
        assert_eq!(c.sync(5_017_000), 1_016); // re-anchored: no jump
        assert_eq!(c.sync(5_018_000), 1_116);
        c.set_speed(0.1);
        c.sync(5_018_000);
        for i in 1..=10 {
            c.sync(5_018_000 + i * 1_000);
        }
        assert_eq!(c.now_ms(), 1_117); // 10 ms at 0.1, fractions kept
    }

    #[test]
    fn pause_stops_time_and_resume_does_not_jump() {
        let c = VirtualClock::new(0);
        c.sync(0);
        c.sync(1_000_000);
        assert_eq!(c.now_ms(), 1_000);
        c.pause();
        assert_eq!(c.sync(9_000_000), 1_000);
        c.advance(250); // a step while paused
        assert_eq!(c.now_ms(), 1_250);
        c.resume();
        assert_eq!(c.sync(20_000_000), 1_250);
        assert_eq!(c.sync(20_500_000), 1_750);
    }

    #[test]
    fn never_backwards_and_speed_is_clamped() {
        let c = VirtualClock::new(10_000);
        c.sync(100);
        assert_eq!(c.sync(50), 10_000); // the host's clock went back: nothing
        c.advance(-5);
        c.advance_to(3);
        assert_eq!(c.now_ms(), 10_000);
        c.set_speed(1e9);
        assert_eq!(c.speed(), MAX_SPEED);
        c.set_speed(0.0);
        assert_eq!(c.speed(), MIN_SPEED);
        c.set_speed(f64::NAN);
        assert_eq!(c.speed(), MIN_SPEED);
    }
}
