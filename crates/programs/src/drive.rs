//! Moving virtual time with the programs: the loops a host (a test, the page's timer at
//! x100) runs around [`Programs::run`].
//!
//! Jumping the clock straight to a later time would make every program wake late, all
//! at once (a producer that sleeps 5 s would see one wakeup instead of twelve in a
//! minute). So time moves from wakeup to wakeup: the clock stops at each time a sleeper
//! or an engine timeout is due, the programs run until none is ready, then on to the
//! next, up to the target.

use redis_emulator::Engine;

use crate::clock::VirtualClock;
use crate::host::{Programs, RunReport};

/// How many rounds of `run` a settle does at most: programs that keep waking each other
/// (or a runaway loop) go on at the next step.
const SETTLE_ROUNDS: usize = 64;
/// How many wakeups a fast-forward stops at before it jumps the rest of the way (a
/// program sleeping 1 ms at a time would otherwise cost one step per ms).
const FAST_FORWARD_STEPS: usize = 1_000_000;
/// The same for `catch_up`, which runs inside one frame of the page.
const CATCH_UP_STEPS: usize = 2_000;

/// Runs the programs until none can run now (or `SETTLE_ROUNDS` calls), without moving
/// time. Returns the sum of the reports (`still_ready` is the last one's).
pub fn settle(programs: &mut Programs, engine: &mut Engine, fuel: u64) -> RunReport {
    let mut total = RunReport::default();
    for _ in 0..SETTLE_ROUNDS {
        let report = programs.run(engine, fuel);
        add(&mut total, report);
        if report.still_ready == 0 {
            break;
        }
    }
    total
}

/// Moves virtual time forward by `ms`, stopping at every wakeup on the way and running
/// the programs (each a slice of at most `fuel` per round) at each stop. Deterministic:
/// the same programs and commands give the same logs.
pub fn fast_forward(
    programs: &mut Programs,
    engine: &mut Engine,
    clock: &VirtualClock,
    ms: i64,
    fuel: u64,
) -> RunReport {
    let target_us = (clock.now_ms().saturating_add(ms.max(0))).saturating_mul(1000);
    forward_to(programs, engine, clock, target_us, fuel, FAST_FORWARD_STEPS)
}

/// For the page's timer: moves virtual time by what the real time since the previous
/// call is worth at the clock's speed (nothing while paused), stopping at every wakeup
/// on the way as `fast_forward` does (at most `CATCH_UP_STEPS` stops per call). At
/// speed 1 this is one `run` per frame; at x100 a producer sleeping 5 s still wakes
/// every 5 virtual seconds.
pub fn catch_up(
    programs: &mut Programs,
    engine: &mut Engine,
    clock: &VirtualClock,
    real_now_us: i64,
    fuel: u64,
) -> RunReport {
    let elapsed_us = clock.take_elapsed_us(real_now_us);
    let now_us = redis_emulator::Clock::now_us(clock);
    forward_to(
        programs,
        engine,
        clock,
        now_us.saturating_add(elapsed_us),
        fuel,
        CATCH_UP_STEPS,
    )
}

fn forward_to(
    programs: &mut Programs,
    engine: &mut Engine,
    clock: &VirtualClock,
    target_us: i64,
    fuel: u64,
    max_steps: usize,
) -> RunReport {
    let mut total = settle(programs, engine, fuel);
    for _ in 0..max_steps {
        let now_ms = clock.now_ms();
        let next = programs
            .next_timed_wakeup_ms(engine)
            .filter(|&t| t > now_ms && t.saturating_mul(1000) <= target_us);
        let Some(next) = next else {
            break;
        };
        clock.advance_to(next);
        add(&mut total, settle(programs, engine, fuel));
    }
    let now_us = redis_emulator::Clock::now_us(clock);
    clock.advance_us(target_us.saturating_sub(now_us));
    let last = settle(programs, engine, fuel);
    add(&mut total, last);
    total
}

fn add(total: &mut RunReport, report: RunReport) {
    total.ran += report.ran;
    total.fuel += report.fuel;
    total.commands += report.commands;
    total.still_ready = report.still_ready;
}
