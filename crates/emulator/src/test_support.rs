//! Helpers for the crate's own unit tests: an engine on a manual clock, commands
//! written as redis-cli would type them.

use crate::clock::ManualClock;
use crate::engine::{ClientId, ClientInfo, Engine};
use crate::reply::Reply;

/// A command line split as redis-cli splits it (quotes allowed).
pub fn argv(s: &str) -> Vec<Vec<u8>> {
    crate::cli::split_args(s.as_bytes()).unwrap_or_default()
}

/// An engine at 2023-11-14 22:13:20 UTC on a clock the test moves.
pub fn engine() -> (Engine, ManualClock) {
    let clock = ManualClock::new(1_700_000_000_000);
    (Engine::new(Box::new(clock.clone()), 1), clock)
}

/// An engine, its clock and one connected client.
pub fn setup() -> (Engine, ManualClock, ClientId) {
    let (mut e, clock) = engine();
    let c = e.connect(ClientInfo::default());
    (e, clock, c)
}

/// Runs `s` as client `c`; the test fails on an error reply.
pub fn run(e: &mut Engine, c: ClientId, s: &str) -> Reply {
    let r = e.execute(c, &argv(s));
    assert!(!r.is_error(), "{s}: {r:?}");
    r
}
