//! Programs: Lua scripts that run as clients of the Redis emulator, in virtual time.
//!
//! The playground's tutorials run processes "in different terminals": a producer, a
//! consumer blocked on a consumer group, workers, a supervisor. In the page each is a
//! *program*: a Lua script the learner reads, edits, starts, pauses, stops (Ctrl+C) and
//! kills. Each runs in its own Lua 5.1 VM (the `lua51` crate) and is its own client of
//! the [`Engine`](redis_emulator::Engine), named after the program (CLIENT LIST shows
//! `name=consumer.lua`). Everything runs in virtual time: one [`VirtualClock`] shared
//! by the engine and the programs, which the host can pause, slow down, speed up and
//! step, and which tests move instantly.
//!
//! This crate does no I/O and reads no real clock: the host calls it from its timers.
//!
//! # Writing a program (the Lua API)
//!
//! A program is a plain Lua 5.1 script that runs from top to bottom; most loop forever
//! (`while true do ... end`) until they are stopped.
//!
//! ```lua
//! -- producer.lua: a reading every 5 seconds
//! local n = 0
//! while true do
//!   n = n + 1
//!   local id = redis.call('XADD', 'readings', '*', 'n', n, 'temp', math.random(15, 25))
//!   print('added', id)
//!   sleep(5)
//! end
//! ```
//!
//! ```lua
//! -- consumer.lua: waits for entries as a member of the group 'workers'
//! pcall(redis.call, 'XGROUP', 'CREATE', 'readings', 'workers', '$', 'MKSTREAM')
//! while true do
//!   local reply = redis.call('XREADGROUP', 'GROUP', 'workers', 'alice',
//!                            'BLOCK', 0, 'STREAMS', 'readings', '>')
//!   for _, entry in ipairs(reply[1][2]) do
//!     print('got', entry[1], table.concat(entry[2], ' '))
//!     redis.call('XACK', 'readings', 'workers', entry[1])
//!   end
//! end
//! ```
//!
//! - `redis.call(command, arg, ...)` runs a command and returns its reply converted as
//!   in EVAL: a bulk string is a string, an integer a number, an array a table, a nil
//!   reply `false`, a status `{ok='OK'}`. Numbers are sent as Lua writes them (`%.17g`).
//!   An error reply raises an error: the program crashes with the Redis error text
//!   (`producer.lua:12: WRONGTYPE Operation against a key holding the wrong kind of
//!   value`), unless caught with `pcall`.
//! - `redis.pcall(...)` is the same, but an error reply is returned as a table
//!   `{err='WRONGTYPE ...'}` instead of raised.
//! - A blocking command waits, as it does in a terminal: `BLPOP list 0`, `XREAD BLOCK 0`,
//!   `XREADGROUP ... BLOCK 0` suspend the program until another program or the console
//!   gives it something; with a timeout (`BLOCK 2000`) it returns `false` when the
//!   virtual time runs out.
//! - `sleep(seconds)` waits in virtual time; fractions are fine (`sleep(0.25)`).
//! - `now()` is the virtual time in milliseconds since the epoch.
//! - `receive([seconds])` waits for the next message of the channels the program
//!   subscribed to (`redis.call('SUBSCRIBE', 'news')`, `PSUBSCRIBE`), and returns it as
//!   a table: `{'message', channel, payload}` (`{'pmessage', pattern, channel,
//!   payload}`); with a timeout it returns nil when no message came in time
//!   (`receive(0)` only looks). Messages that arrive while the program does something
//!   else wait for it, in order.
//! - `print(...)` and `log(...)` write one line to the program's log: `tostring` of each
//!   argument, separated by tabs, as Lua's `print`.
//! - `math.random` is deterministic: each program has its own generator, seeded from its
//!   name, unless it calls `math.randomseed(n)`. The same programs give the same logs.
//! - The libraries are `string`, `table`, `math`, `cjson`, `cmsgpack`, `bit`, `struct`,
//!   and the base library (`pcall`, `error`, `tostring`, `pairs`, `coroutine`...). There
//!   is no `os` or `io`. Unlike EVAL, globals may be used freely.
//! - A Lua error crashes the program with its message (`producer.lua:12: attempt to
//!   perform arithmetic on local 'n' (a nil value)`).
//!
//! # Driving programs (the host API)
//!
//! ```
//! use redis_emulator::Engine;
//! use redis_programs::{drive, ProgramState, Programs, VirtualClock};
//!
//! let clock = VirtualClock::new(1_700_000_000_000);
//! let mut engine = Engine::new(Box::new(clock.clone()), 1);
//! let mut programs = Programs::new();
//! let id = programs
//!     .start(&mut engine, "ticker.lua", "for i = 1, 3 do print('tick', i) sleep(1) end")
//!     .unwrap();
//! drive::fast_forward(&mut programs, &mut engine, &clock, 10_000, 100_000);
//! assert_eq!(programs.state(id), Some(ProgramState::Finished));
//! let lines: Vec<String> = programs.log(id).into_iter().map(|l| l.text).collect();
//! assert_eq!(lines, ["started ticker.lua", "tick\t1", "tick\t2", "tick\t3", "finished"]);
//! ```
//!
//! - [`Programs::start`] compiles and starts a program (a compile error is returned as
//!   Lua's message); [`Programs::run`] gives every program that can run one bounded
//!   slice of work (a `while true do end` never hangs the host); [`Programs::next_wakeup_ms`]
//!   says when to run next; `pause`, `resume`, `stop` (Ctrl+C), `kill`, `restart`,
//!   `remove`, `state`, `log`, `take_new_log_lines`, `list`.
//! - [`VirtualClock`]: `sync(real_now_us)` from the host's frame timer, `pause`,
//!   `resume`, `set_speed`, `advance` (a step).
//! - [`drive`]: `catch_up` for the page's timer (moves time to the real time at the
//!   clock's speed, stopping at each wakeup on the way), `fast_forward` for tests and
//!   "skip 1 minute", `settle`.
//!
//! Modules: `clock` (virtual time), `env` (a program's Lua state and API), `program`
//! (one program's life), `host` (all programs), `journal` (their logs), `drive` (time
//! loops).

pub mod clock;
pub mod drive;
mod env;
pub mod host;
pub mod journal;
mod program;

pub use clock::VirtualClock;
pub use host::{ProgramInfo, Programs, RunReport};
pub use journal::{LogKind, LogLine};

/// A program's number, unique within a [`Programs`] (a restarted program keeps it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProgramId(pub u32);

/// Where a program is in its life.
#[derive(Clone, Debug, PartialEq)]
pub enum ProgramState {
    /// It has work to do: it runs at the next `run`.
    Ready,
    /// In `sleep` until this virtual time (ms).
    Sleeping { until_ms: i64 },
    /// Waiting for the reply of a blocking command (`XREADGROUP GROUP g c BLOCK 0 ...`).
    Blocked { command: String },
    /// In `receive`, waiting for a pub/sub message (until this virtual time, if given).
    Listening { until_ms: Option<i64> },
    /// Paused by the user (it keeps its client and what it waits for).
    Paused,
    /// It ran to its end.
    Finished,
    /// Stopped by the user (Ctrl+C).
    Interrupted,
    /// It raised an error: the message, as its log shows it.
    Crashed { message: String },
    /// Killed by the user, or its connection was closed (CLIENT KILL).
    Killed,
}

impl ProgramState {
    /// Whether the program still runs (or could, once resumed).
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            ProgramState::Ready
                | ProgramState::Sleeping { .. }
                | ProgramState::Blocked { .. }
                | ProgramState::Listening { .. }
                | ProgramState::Paused
        )
    }
}
