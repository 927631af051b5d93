//! Lua scripting (Redis 7.0's eval.c and script_lua.c) on the piccolo VM: the only module
//! that names piccolo.
//!
//! - `Scripting` owns one Lua state for the whole server, like Redis: the sandboxed globals
//!   (`sandbox.rs`), the `redis` API (`api.rs`), and the cache of compiled scripts by SHA1.
//! - A script runs in slices of fuel (`run`). `redis.call` cannot reach the engine from inside
//!   the VM (callbacks live in the Lua heap), so it leaves its argument vector in the shared
//!   `Bridge`, interrupts the VM, and the run loop executes the command through the engine as
//!   the calling client before resuming the script, which picks the reply up.
//! - A script that runs out of its fuel budget is stopped with an error: the page never
//!   freezes (see `Engine::set_script_fuel`).
//! - Errors are formatted as Redis 7.0's error handler does (`ERR user_script:LINE: ...
//!   script: <sha>, on @user_script:LINE.`).

mod api;
mod convert;
mod lib;
mod ops;
mod sandbox;
mod stdlib;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use piccolo::{Closure, Executor, Fuel, Function, Lua, StashedExecutor, StashedFunction, Value};

use crate::engine::{ClientId, Engine};
use crate::reply::Reply;

/// The chunk name Redis gives EVAL scripts (`@user_script`, printed `user_script`).
const CHUNK: &str = "user_script";
/// Fuel per slice of a running script (about one VM instruction per unit).
const SLICE_FUEL: i32 = 10_000;
/// The default budget of a script, in fuel units: a few seconds of work at most.
pub const DEFAULT_FUEL_BUDGET: u64 = 100_000_000;
/// What a command run by `redis.call` counts against the budget.
const COMMAND_FUEL: u64 = 100;
/// The most memory the Lua heap may use while a script runs (the page sets maxmemory
/// 64mb for the same reason: a browser tab must survive a runaway script).
const MEMORY_LIMIT: usize = 64 * 1024 * 1024;

/// The SHA1 of `body` in lower-case hex, as SCRIPT LOAD returns it.
pub fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

/// What the VM side and the host side of a running script share.
#[derive(Default)]
pub(crate) struct Bridge {
    /// A `redis.call`/`redis.pcall` waiting for the host to run it.
    pub request: Option<Vec<Vec<u8>>>,
    /// The host's reply to the request, for the VM side to convert.
    pub response: Option<Reply>,
    /// `redis.setresp`: the protocol replies are converted from (2 or 3).
    pub resp: u8,
    /// The line of the script where the last error raised by a callback was raised.
    pub error_line: Option<u64>,
    /// The raw name of the `loadstring` chunk that error was raised in (Redis prints it).
    pub error_source: Option<String>,
    /// The line of the script at the last callback, a fallback for VM errors.
    pub last_line: Option<u64>,
    /// Line 1 for a one-line script: where any of its errors is.
    pub default_line: Option<u64>,
    /// `pcall` is calling a function that is not Lua (`pcall(error, 'm')`): Lua 5.1's
    /// `error` then adds no position.
    pub called_by_pcall: bool,
    /// Lines written by `redis.log`, for the page.
    pub log: Vec<(i64, String)>,
    /// The configuration of the `cjson` global (kept for the life of the Lua state).
    pub cjson: lib::cjson::SharedConfig,
}

pub(crate) type SharedBridge = Rc<RefCell<Bridge>>;

/// A script in the cache: its body and its compiled function.
struct Cached {
    body: Vec<u8>,
    function: StashedFunction,
    /// The number of lines of the body (a one-line script's errors are on line 1).
    lines: u64,
}

/// The scripting engine of a server: one Lua state and the script cache.
pub struct Scripting {
    lua: Lua,
    bridge: SharedBridge,
    scripts: BTreeMap<String, Cached>,
    /// Lines logged by `redis.log`, oldest first (bounded).
    log: Vec<(i64, String)>,
}

/// How a script is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// EVAL / EVALSHA.
    ReadWrite,
    /// EVAL_RO / EVALSHA_RO: write commands are refused.
    ReadOnly,
}

impl Scripting {
    fn new() -> Scripting {
        let mut lua = Lua::core();
        let bridge: SharedBridge = Rc::new(RefCell::new(Bridge { resp: 2, ..Bridge::default() }));
        let b = bridge.clone();
        lua.enter(|ctx| sandbox::install(ctx, &b));
        Scripting { lua, bridge, scripts: BTreeMap::new(), log: Vec::new() }
    }

    /// Whether `sha` (lower-case hex) is in the cache.
    pub fn exists(&self, sha: &str) -> bool {
        self.scripts.contains_key(sha)
    }

    /// SCRIPT FLUSH: forgets every script (the Lua state is kept: its globals are read-only).
    pub fn flush(&mut self) {
        self.scripts.clear();
        // Redis makes a new Lua state: what scripts configured is forgotten.
        *self.bridge.borrow().cjson.borrow_mut() = lib::cjson::Config::default();
        self.lua.gc_collect();
    }

    /// Compiles `body` into the cache (if it is not there yet) and returns its SHA1, or
    /// Redis's compile error.
    pub fn load(&mut self, body: &[u8]) -> Result<String, String> {
        let sha = sha1_hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        if let Err(e) = lua51::syntax::parse(body) {
            return Err(format!("ERR Error compiling script (new function): {}", e.text(CHUNK)));
        }
        let compiled = self.lua.enter(|ctx| {
            let env = sandbox::env(ctx);
            match Closure::load_with_env(ctx, Some(CHUNK), body, env) {
                Ok(closure) => Ok(ctx.stash(Function::Closure(closure))),
                Err(e) => Err(convert::compile_error(&e)),
            }
        });
        let function = compiled.map_err(|msg| format!("ERR Error compiling script (new function): {msg}"))?;
        let lines = 1 + body.iter().filter(|&&b| b == b'\n').count() as u64;
        self.scripts.insert(sha.clone(), Cached { body: body.to_vec(), function, lines });
        Ok(sha)
    }

    /// The lines `redis.log` wrote since the last call, for the page's log.
    pub fn take_log(&mut self) -> Vec<(i64, String)> {
        std::mem::take(&mut self.log)
    }

    /// The body of a cached script.
    pub fn body(&self, sha: &str) -> Option<&[u8]> {
        self.scripts.get(sha).map(|c| c.body.as_slice())
    }
}

impl Engine {
    /// The scripting engine, created on first use (a Lua state costs memory and time).
    pub(crate) fn scripting(&mut self) -> &mut Scripting {
        self.scripting.get_or_insert_with(|| Box::new(Scripting::new()))
    }

    /// How much work one script may do before it is stopped, in fuel units (about one Lua
    /// VM instruction each). Redis lets a slow script run and answers other clients BUSY;
    /// the emulator runs a script to its end before anything else, so it bounds it.
    pub fn set_script_fuel(&mut self, fuel: u64) {
        self.script_fuel = fuel;
    }

    /// Lines written by `redis.log` since the last call (level, message).
    pub fn take_script_log(&mut self) -> Vec<(i64, String)> {
        match self.scripting.as_mut() {
            Some(s) => s.take_log(),
            None => Vec::new(),
        }
    }

    /// Runs the cached script `sha` for `client` with KEYS and ARGV, and returns the reply
    /// EVAL gives. The script must be in the cache.
    pub(crate) fn run_script(&mut self, client: ClientId, sha: &str, keys: &[Vec<u8>], args: &[Vec<u8>], mode: Mode) -> Reply {
        let Some(mut scripting) = self.scripting.take() else {
            return Reply::error("NOSCRIPT No matching script. Please use EVAL.");
        };
        let reply = scripting.run(self, client, sha, keys, args, mode);
        // Keep the log bounded: the page reads it now and then.
        let mut lines = std::mem::take(&mut scripting.bridge.borrow_mut().log);
        scripting.log.append(&mut lines);
        let excess = scripting.log.len().saturating_sub(1000);
        scripting.log.drain(..excess);
        self.scripting = Some(scripting);
        reply
    }
}

/// How a run ended.
enum Outcome {
    Done,
    OutOfFuel,
    OutOfMemory,
}

impl Scripting {
    fn run(&mut self, engine: &mut Engine, client: ClientId, sha: &str, keys: &[Vec<u8>], args: &[Vec<u8>], mode: Mode) -> Reply {
        let Some(cached) = self.scripts.get(sha) else {
            return Reply::error("NOSCRIPT No matching script. Please use EVAL.");
        };
        let lines = cached.lines;
        {
            let mut b = self.bridge.borrow_mut();
            b.request = None;
            b.response = None;
            b.resp = 2;
            b.error_line = None;
            b.error_source = None;
            b.last_line = None;
            b.default_line = (lines == 1).then_some(1);
        }
        let function = &cached.function;
        let executor: StashedExecutor = self.lua.enter(|ctx| {
            sandbox::set_keys_and_args(ctx, keys, args);
            let f = ctx.fetch(function);
            ctx.stash(Executor::start(ctx, f, ()))
        });

        // Commands run by the script: nothing blocks, and the caller's database and
        // protocol are restored afterwards (Redis runs them on its own script client).
        let (db, protocol) = match engine.clients.get(&client) {
            Some(c) => (c.db, c.protocol),
            None => return Reply::error("ERR unknown client"),
        };
        let outer_nested = std::mem::replace(&mut engine.nested_execution, true);
        engine.in_script = true;
        let budget = engine.script_fuel;
        let mut spent: u64 = 0;
        let outcome = loop {
            let mut fuel = Fuel::with(SLICE_FUEL);
            let done = self.lua.enter(|ctx| ctx.fetch(&executor).step(ctx, &mut fuel));
            spent += (SLICE_FUEL - fuel.remaining()).max(1) as u64;
            if done {
                break Outcome::Done;
            }
            let request = self.bridge.borrow_mut().request.take();
            if let Some(argv) = request {
                let resp = self.bridge.borrow().resp;
                let reply = api::run_command(engine, client, &argv, mode, resp);
                self.bridge.borrow_mut().response = Some(reply);
                spent += COMMAND_FUEL;
            }
            if spent > budget {
                break Outcome::OutOfFuel;
            }
            if self.lua.total_memory() > MEMORY_LIMIT {
                break Outcome::OutOfMemory;
            }
        };
        engine.nested_execution = outer_nested;
        engine.in_script = false;
        if let Some(c) = engine.clients.get_mut(&client) {
            c.db = db;
            c.protocol = protocol;
        }

        let fallback_line = if lines == 1 { Some(1) } else { self.bridge.borrow().last_line };
        let reply = match outcome {
            Outcome::Done => {
                let bridge = self.bridge.clone();
                self.lua.enter(|ctx| match ctx.fetch(&executor).take_result::<Value>(ctx) {
                    Ok(Ok(value)) => convert::lua_to_reply(ctx, value, 2, 0),
                    Ok(Err(error)) => {
                        let error_line = bridge.borrow().error_line;
                        let reply = convert::error_reply(ctx, &error, sha, error_line, fallback_line);
                        stdlib::with_error_source(reply, &error, bridge.borrow().error_source.as_deref())
                    }
                    Err(_) => Reply::error("ERR the script ended in an unexpected state"),
                })
            }
            Outcome::OutOfFuel => {
                let line = fallback_line.unwrap_or(1);
                Reply::Error(format!(
                    "ERR Script killed by the emulator: it ran longer than its budget of {budget} steps (a Redis server would answer BUSY to other clients until SCRIPT KILL) script: {sha}, on @{CHUNK}:{line}."
                ))
            }
            Outcome::OutOfMemory => Reply::Error(format!(
                "ERR Script killed by the emulator: it used more than {} MB of memory script: {sha}, on @{CHUNK}:{}.",
                MEMORY_LIMIT >> 20,
                fallback_line.unwrap_or(1)
            )),
        };
        // Drop what the script left behind (its executor, its KEYS and ARGV).
        self.lua.enter(|ctx| {
            ctx.fetch(&executor).stop(&ctx);
            sandbox::set_keys_and_args(ctx, &[], &[]);
        });
        drop(executor);
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::engine::ClientInfo;

    fn engine() -> (Engine, ClientId) {
        let mut e = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 1);
        let c = e.connect(ClientInfo::default());
        (e, c)
    }

    fn eval(e: &mut Engine, c: ClientId, script: &str, rest: &[&str]) -> Reply {
        let mut argv = vec![b"EVAL".to_vec(), script.as_bytes().to_vec()];
        argv.extend(rest.iter().map(|a| a.as_bytes().to_vec()));
        e.execute(c, &argv)
    }

    #[test]
    fn eval_runs_commands_as_the_calling_client() {
        let (mut e, c) = engine();
        assert_eq!(eval(&mut e, c, "return redis.call('set', KEYS[1], ARGV[1])", &["1", "k", "v"]), Reply::ok());
        assert_eq!(e.execute(c, &[b"GET".to_vec(), b"k".to_vec()]), Reply::bulk_str("v"));
    }

    #[test]
    fn a_runaway_script_is_stopped() {
        let (mut e, c) = engine();
        e.set_script_fuel(200_000);
        let r = eval(&mut e, c, "while true do end", &["0"]);
        assert!(matches!(&r, Reply::Error(t) if t.starts_with("ERR Script killed by the emulator")), "{r:?}");
        // The engine still works, and so does the next script.
        assert_eq!(eval(&mut e, c, "return 1", &["0"]), Reply::Integer(1));
        for script in [
            "local n = 0 while true do n = n + redis.call('incr', 'x') end",
            "local function f() f() end f()",
            "local t = {} while true do t[#t + 1] = 'x' end",
            "while true do pcall(function() error('x') end) end",
        ] {
            assert!(eval(&mut e, c, script, &["0"]).is_error(), "{script}");
        }
    }

    #[test]
    fn odd_error_values_do_not_panic() {
        let (mut e, c) = engine();
        for script in ["error({})", "error(nil)", "error(function() end)", "error({err={}})", "error(setmetatable({}, {}))", "return {err=1}"] {
            let r = eval(&mut e, c, script, &["0"]);
            assert!(r.is_error() || r == Reply::Array(vec![]), "{script}: {r:?}");
        }
        let r = eval(&mut e, c, "local t = {} t[1] = t return t", &["0"]);
        assert!(matches!(r, Reply::Array(_)));
    }

    #[test]
    fn redis_log_lines_are_collected() {
        let (mut e, c) = engine();
        eval(&mut e, c, "redis.log(redis.LOG_WARNING, 'hello', 'world')", &["0"]);
        assert_eq!(e.take_script_log(), vec![(3, "hello world".to_string())]);
        assert!(e.take_script_log().is_empty());
    }

    #[test]
    fn blocking_commands_inside_scripts_do_not_block() {
        let (mut e, c) = engine();
        let r = eval(&mut e, c, "return redis.call('xread', 'block', '0', 'streams', 's', '$')", &["0"]);
        assert!(matches!(&r, Reply::Error(t) if t.starts_with("ERR xread command is not allowed with BLOCK option from scripts")), "{r:?}");
        // Blocking list commands are refused (noscript); inside MULTI in a script nothing parks.
        let r = eval(&mut e, c, "return redis.pcall('blpop', 'l', '0')", &["0"]);
        assert!(r.is_error());
        assert!(e.client(c).is_some_and(|c| c.queues.blocked.is_none()));
    }

    #[test]
    fn eval_inside_multi_runs_at_exec() {
        let (mut e, c) = engine();
        e.execute(c, &[b"MULTI".to_vec()]);
        assert_eq!(eval(&mut e, c, "return redis.call('incr', 'n')", &["0"]), Reply::status("QUEUED"));
        assert_eq!(e.execute(c, &[b"EXEC".to_vec()]), Reply::Array(vec![Reply::Integer(1)]));
    }

    #[test]
    fn sha1_of_known_texts() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"return 1"), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    }
}
