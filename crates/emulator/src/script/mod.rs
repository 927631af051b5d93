//! Lua scripting (Redis 7.0's eval.c and script_lua.c) on the `lua51` VM.
//!
//! - `Scripting` owns one Lua state for EVAL's scripts, like Redis (rebuilt on SCRIPT
//!   FLUSH), and one for functions (`functions.rs`): the sandboxed globals
//!   (`sandbox.rs`), the `redis` API (`api.rs`), and the cache of compiled scripts by SHA1
//!   (pinned in the VM).
//! - A script runs in slices of fuel (`Vm::run`). `redis.call` is a native that suspends
//!   the VM with a request (`Outcome::Yielded`): the run loop executes the command
//!   through the engine as the calling client and resumes the script with the reply
//!   converted (`Vm::resume_host`).
//! - A script that runs out of its fuel budget is stopped with an error: the page never
//!   freezes (see `Engine::set_script_fuel`).
//! - Errors are formatted as Redis 7.0's error handler does (`ERR user_script:LINE: ...
//!   script: <sha>, on @user_script:LINE.`).

mod api;
mod convert;
pub(crate) mod functions;
mod sandbox;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use lua51::{Outcome as VmOutcome, Value, Vm};

use crate::blocking::{BlockedOp, Timeout};
use crate::engine::{ClientId, Engine};
use crate::reply::Reply;

/// The chunk name Redis gives EVAL scripts (`@user_script`, printed `user_script`).
const CHUNK: &str = "user_script";
/// Fuel per slice of a running script (one VM instruction per unit).
const SLICE_FUEL: u64 = 10_000;
/// The default budget of a script, in fuel units: a last resort for scripts nobody can
/// stop (SCRIPT KILL refuses a script that wrote), about a minute of work.
pub const DEFAULT_FUEL_BUDGET: u64 = 3_000_000_000;
/// The work a script does before the engine answers anything else (then it goes on in
/// `Engine::continue_script` calls): a few milliseconds.
const CHUNK_FUEL: u64 = 1_000_000;
/// The most fuel Lua code run by a native (or a native's own work) may borrow past a
/// slice (the VM's default).
const MAX_NESTED_FUEL: u64 = 200_000_000;
/// What a command run by `redis.call` counts against the budget.
const COMMAND_FUEL: u64 = 100;
/// The most memory the Lua heap may use (the page sets maxmemory 64mb for the same
/// reason: a browser tab must survive a runaway script).
const MEMORY_LIMIT: usize = 64 * 1024 * 1024;

/// The SHA1 of `body` in lower-case hex, as SCRIPT LOAD returns it.
pub fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

/// What the natives and the host share.
#[derive(Default)]
pub(crate) struct Bridge {
    /// `redis.setresp`: the protocol replies are converted from (2 or 3).
    pub resp: u8,
    /// Lines written by `redis.log`, for the page.
    pub log: Vec<(i64, String)>,
    /// The functions `redis.register_function` registered while a library loads (None:
    /// no library is loading).
    pub registering: Option<Vec<functions::Registered>>,
    /// The engine, while a chunk of a script runs (see `api::HostAccess`).
    pub host: Option<api::HostAccess>,
    /// `math.random`'s generator: one for the server, as Redis's is a C global (shared by
    /// EVAL and functions, kept across SCRIPT FLUSH).
    pub random: Rc<lua51::lib_math::Rand48>,
}

pub(crate) type SharedBridge = Rc<RefCell<Bridge>>;

/// A script in the cache: its body and its compiled function (a pin in the VM).
struct Cached {
    body: Vec<u8>,
    function: usize,
}

/// A function's keys and arguments (FCALL passes them as two tables).
type FunctionArgs<'a> = (&'a [Vec<u8>], &'a [Vec<u8>]);

/// A Lua state and the pin of its trampoline (`sandbox::TRAMPOLINE`).
pub(crate) struct LuaState {
    pub vm: Vm,
    pub trampoline: usize,
}

impl LuaState {
    fn new(bridge: &SharedBridge, functions: bool) -> LuaState {
        let random = bridge.borrow().random.clone();
        let (mut vm, trampoline) = sandbox::build(bridge, random, functions);
        vm.set_memory_limit(MEMORY_LIMIT);
        LuaState { vm, trampoline }
    }

    /// Starts `f` under the error handler (with `(keys, args)` for a function).
    fn start(&mut self, f: Value, params: Option<FunctionArgs>) -> Result<(), Value> {
        let trampoline = self.vm.pinned(self.trampoline);
        let mut args = vec![f];
        if let Some((keys, argv)) = params {
            args.push(sandbox::string_array(&mut self.vm, keys));
            args.push(sandbox::string_array(&mut self.vm, argv));
        }
        self.vm.start(trampoline, args)
    }

    /// The line the running script is at (for the kill and budget messages).
    fn current_line(&self) -> Option<u64> {
        api::position(&self.vm.where_(1)).map(|(_, line)| line)
    }
}

/// The scripting engine of a server: the Lua states and the script cache.
pub struct Scripting {
    lua: LuaState,
    bridge: SharedBridge,
    scripts: BTreeMap<String, Cached>,
    /// Lines logged by `redis.log`, oldest first (bounded).
    log: Vec<(i64, String)>,
    /// The script between two chunks of its run, if one is running.
    running: Option<Running>,
    /// The function libraries (FUNCTION LOAD), compiled in their own Lua state.
    pub(crate) functions: functions::Functions,
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
        let bridge: SharedBridge = Rc::new(RefCell::new(Bridge {
            resp: 2,
            ..Bridge::default()
        }));
        let lua = LuaState::new(&bridge, false);
        Scripting {
            lua,
            bridge,
            scripts: BTreeMap::new(),
            log: Vec::new(),
            running: None,
            functions: functions::Functions::default(),
        }
    }

    /// Whether `sha` (lower-case hex) is in the cache.
    pub fn exists(&self, sha: &str) -> bool {
        self.scripts.contains_key(sha)
    }

    /// SCRIPT FLUSH: forgets every script, and what scripts configured (a new Lua state,
    /// as Redis makes one).
    pub fn flush(&mut self) {
        self.scripts.clear();
        if self.running.as_ref().is_some_and(|r| r.is_eval) {
            return;
        }
        self.lua = LuaState::new(&self.bridge, false);
    }

    /// Compiles `body` into the cache (if it is not there yet) and returns its SHA1, or
    /// Redis's compile error.
    pub fn load(&mut self, body: &[u8]) -> Result<String, String> {
        let sha = sha1_hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let f = self
            .lua
            .vm
            .load(body, CHUNK)
            .map_err(|msg| format!("ERR Error compiling script (new function): {msg}"))?;
        let function = self.lua.vm.pin(f);
        self.scripts.insert(
            sha.clone(),
            Cached {
                body: body.to_vec(),
                function,
            },
        );
        Ok(sha)
    }

    /// The lines `redis.log` wrote since the last call, for the page's log.
    pub fn take_log(&mut self) -> Vec<(i64, String)> {
        std::mem::take(&mut self.log)
    }

    /// Moves the lines natives logged into the bounded log.
    fn collect_log(&mut self) {
        let mut lines = std::mem::take(&mut self.bridge.borrow_mut().log);
        self.log.append(&mut lines);
        let excess = self.log.len().saturating_sub(1000);
        self.log.drain(..excess);
    }

    /// The body of a cached script.
    pub fn body(&self, sha: &str) -> Option<&[u8]> {
        self.scripts.get(sha).map(|c| c.body.as_slice())
    }

    /// The Lua state a script runs in: EVAL's or the functions'.
    fn state(&mut self, is_eval: bool) -> &mut LuaState {
        if is_eval {
            &mut self.lua
        } else {
            let bridge = self.bridge.clone();
            self.functions.state(&bridge)
        }
    }
}

impl Engine {
    /// The scripting engine, created on first use (a Lua state costs memory and time).
    pub(crate) fn scripting(&mut self) -> &mut Scripting {
        self.scripting
            .get_or_insert_with(|| Box::new(Scripting::new()))
    }

    /// How much work one script may do before it is stopped, in fuel units (about one Lua
    /// VM instruction each). Redis lets a slow script run until SCRIPT KILL; a script
    /// nobody can stop (it wrote) must end some time in a browser tab.
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
    pub(crate) fn run_script(
        &mut self,
        client: ClientId,
        sha: &str,
        keys: &[Vec<u8>],
        args: &[Vec<u8>],
        mode: Mode,
    ) -> Reply {
        let Some(mut scripting) = self.scripting.take() else {
            return Reply::error("NOSCRIPT No matching script. Please use EVAL.");
        };
        let reply = scripting.run(self, client, sha, keys, args, mode);
        scripting.collect_log();
        self.scripting = Some(scripting);
        reply
    }
}

/// How a chunk of a run ended.
enum Outcome {
    /// The values the trampoline returned (`true, results...` or `false, error`), or the
    /// VM's own failure.
    Done(Result<Vec<Value>, Value>),
    /// Its chunk of work is done: it goes on later.
    Paused,
    Killed,
    OutOfFuel,
}

impl Scripting {
    fn run(
        &mut self,
        engine: &mut Engine,
        client: ClientId,
        sha: &str,
        keys: &[Vec<u8>],
        args: &[Vec<u8>],
        mode: Mode,
    ) -> Reply {
        let Some(cached) = self.scripts.get(sha) else {
            return Reply::error("NOSCRIPT No matching script. Please use EVAL.");
        };
        let f = self.lua.vm.pinned(cached.function);
        sandbox::set_keys_and_args(&mut self.lua.vm, keys, args);
        if let Err(e) = self.lua.start(f, None) {
            return Reply::Error(format!(
                "ERR {}",
                convert::error_value_text(&self.lua.vm, &e)
            ));
        }
        self.execute(engine, client, sha, CHUNK, mode)
    }

    /// Runs a started script (EVAL's script or FCALL's function), running the commands it
    /// asks for, and converts its result or error into the reply. A script that does not
    /// end within one chunk of work is kept running (`Engine::continue_script`) and its
    /// client waits: the reply is then `NoReply`, and comes later through its outbox.
    pub(crate) fn execute(
        &mut self,
        engine: &mut Engine,
        client: ClientId,
        label: &str,
        chunk: &'static str,
        mode: Mode,
    ) -> Reply {
        self.bridge.borrow_mut().resp = 2;
        let is_eval = chunk == CHUNK;
        // Commands run by the script: nothing blocks, and the caller's database and
        // protocol are restored afterwards (Redis runs them on its own script client).
        let (db, protocol) = match engine.clients.get(&client) {
            Some(c) => (c.db, c.protocol),
            None => {
                self.state(is_eval).vm.abort();
                return Reply::error("ERR unknown client");
            }
        };
        let running = Running {
            client,
            label: label.to_string(),
            chunk,
            mode,
            db,
            protocol,
            spent: 0,
            is_eval,
            wrote: false,
        };
        // Inside EXEC or another script nothing else may run in between: to the end.
        let chunk_fuel = if engine.nested_execution {
            u64::MAX
        } else {
            CHUNK_FUEL
        };
        match self.run_chunk(engine, running, chunk_fuel) {
            Ok(reply) => reply,
            Err(running) => {
                let now = engine.clock.now_ms();
                engine.busy = Some(Busy {
                    client,
                    started_ms: now,
                    is_eval: running.is_eval,
                    wrote: running.wrote,
                    killed: false,
                    name: running.label.clone(),
                    command: Vec::new(),
                });
                engine.park_op(
                    client,
                    db,
                    Vec::new(),
                    Timeout::Never,
                    BlockedOp::Script,
                    now,
                );
                self.running = Some(running);
                Reply::NoReply
            }
        }
    }

    /// Runs `running` for at most `chunk_fuel` more fuel: its reply when it ended, or the
    /// script to continue later.
    fn run_chunk(
        &mut self,
        engine: &mut Engine,
        running: Running,
        chunk_fuel: u64,
    ) -> Result<Reply, Running> {
        let mut running = running;
        let client = running.client;
        if let Some(c) = engine.clients.get_mut(&client) {
            c.db = running.db;
        }
        let outer_nested = std::mem::replace(&mut engine.nested_execution, true);
        engine.in_script = true;
        let budget = engine.script_fuel;
        let killed = engine.busy.as_ref().is_some_and(|b| b.killed);
        let limit = running.spent.saturating_add(chunk_fuel);
        let bridge = self.bridge.clone();
        let outcome = loop {
            if killed {
                break Outcome::Killed;
            }
            let slice = SLICE_FUEL.min(budget.saturating_sub(running.spent).max(1));
            bridge.borrow_mut().host = Some(api::HostAccess {
                engine: &mut *engine,
                client,
                mode: running.mode,
                wrote: false,
            });
            let state = self.state(running.is_eval);
            // Work a native does (a pattern match, Lua code a native calls) cannot pause:
            // it borrows fuel, at most what the budget has left.
            state
                .vm
                .set_nested_fuel_limit(budget.saturating_sub(running.spent).min(MAX_NESTED_FUEL));
            let result = state.vm.run(slice);
            if let Some(host) = bridge.borrow_mut().host.take() {
                running.wrote |= host.wrote;
            }
            match result {
                Ok(VmOutcome::Finished(values)) => break Outcome::Done(Ok(values)),
                Err(e) => break Outcome::Done(Err(e)),
                Ok(VmOutcome::Paused) => running.spent = running.spent.saturating_add(slice),
                Ok(VmOutcome::Yielded(request)) => {
                    running.spent = running.spent.saturating_add(COMMAND_FUEL);
                    let answer = match request.downcast::<api::Request>() {
                        Ok(request) => {
                            let resp = bridge.borrow().resp;
                            let reply = api::run_command(
                                engine,
                                client,
                                &request.argv,
                                running.mode,
                                resp,
                                &mut running.wrote,
                            );
                            let state = self.state(running.is_eval);
                            api::answer(&mut state.vm, reply, request.raise, resp)
                        }
                        Err(_) => Err(Value::str("unknown request")),
                    };
                    let _ = self.state(running.is_eval).vm.resume_host(answer);
                }
            }
            if running.spent >= budget {
                break Outcome::OutOfFuel;
            }
            if running.spent >= limit {
                break Outcome::Paused;
            }
        };
        engine.nested_execution = outer_nested;
        engine.in_script = false;
        if let Some(c) = engine.clients.get_mut(&client) {
            c.db = running.db;
            c.protocol = running.protocol;
        }
        if let Outcome::Paused = outcome {
            return Err(running);
        }
        let Running {
            label,
            chunk,
            is_eval,
            ..
        } = running;
        let state = self.state(is_eval);
        let line = state.current_line().unwrap_or(1);
        let reply = match outcome {
            Outcome::Done(Ok(values)) => match values.as_slice() {
                [Value::Bool(true), result, ..] => convert::lua_to_reply(&state.vm, result, 0),
                [Value::Bool(true)] => Reply::Nil,
                [Value::Bool(false), error, ..] => convert::error_reply(&state.vm, error, &label),
                _ => Reply::error("ERR the script ended in an unexpected state"),
            },
            Outcome::Done(Err(e)) => Reply::Error(format!("ERR {} script: {label}, on @{chunk}:{line}.", convert::error_value_text(&state.vm, &e))),
            Outcome::Killed => Reply::Error(format!("ERR Script killed by user with SCRIPT KILL... script: {label}, on @{chunk}:{line}.")),
            Outcome::OutOfFuel => Reply::Error(format!(
                "ERR Script killed by the emulator: it ran longer than its budget of {budget} steps (a Redis server would run it until SCRIPT KILL or SHUTDOWN NOSAVE) script: {label}, on @{chunk}:{line}."
            )),
            Outcome::Paused => Reply::NoReply,
        };
        // Drop what the script left behind (its frames, an EVAL's KEYS and ARGV).
        state.vm.abort();
        if is_eval {
            sandbox::set_keys_and_args(&mut state.vm, &[], &[]);
        }
        Ok(reply)
    }
}

/// A script between two chunks of its run (the engine answers other clients meanwhile).
pub(crate) struct Running {
    client: ClientId,
    /// The script's SHA1 or the function's name, for error texts.
    label: String,
    chunk: &'static str,
    mode: Mode,
    /// The caller's database and protocol, restored after each chunk.
    db: usize,
    protocol: crate::reply::Protocol,
    /// Fuel spent so far, against the budget.
    spent: u64,
    /// EVAL (SCRIPT KILL stops it) or a function (FUNCTION KILL).
    is_eval: bool,
    /// It ran a write command (SCRIPT KILL then refuses to stop it).
    wrote: bool,
}

/// What the engine knows of a script that is running (Redis's `curr_run_ctx`).
#[derive(Clone, Debug)]
pub(crate) struct Busy {
    pub client: ClientId,
    pub started_ms: i64,
    pub is_eval: bool,
    /// It ran a write command: SCRIPT KILL can no longer stop it.
    pub wrote: bool,
    /// SCRIPT KILL or FUNCTION KILL asked it to stop: it does at its next chunk.
    pub killed: bool,
    /// The function's name and the command that called it, for FUNCTION STATS.
    pub name: String,
    pub command: Vec<Vec<u8>>,
}

/// Redis's replies to clients while a script runs past busy-reply-threshold.
pub(crate) const BUSY_EVAL: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
pub(crate) const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

impl Engine {
    /// Whether a script is running (a client waits for it, others are answered BUSY once
    /// busy-reply-threshold has passed).
    pub fn script_running(&self) -> bool {
        self.busy.is_some()
    }

    /// The client whose script is running and since when (ms), for the page.
    pub fn running_script(&self) -> Option<(ClientId, i64)> {
        self.busy.as_ref().map(|b| (b.client, b.started_ms))
    }

    /// Runs the next chunk of the running script, if any; when it ends, its client gets
    /// the reply and the clients that waited run their commands. Hosts call this often
    /// (`handle_timeouts` does once); each call does a bounded amount of work.
    pub fn continue_script(&mut self) -> bool {
        if self.busy.is_none() {
            return false;
        }
        let Some(mut scripting) = self.scripting.take() else {
            return false;
        };
        let Some(running) = scripting.running.take() else {
            self.scripting = Some(scripting);
            self.busy = None;
            return false;
        };
        let client = running.client;
        let result = scripting.run_chunk(self, running, CHUNK_FUEL);
        scripting.collect_log();
        match result {
            Ok(reply) => {
                self.scripting = Some(scripting);
                self.busy = None;
                self.release(client, reply);
                self.release_postponed();
                self.after_command();
                true
            }
            Err(running) => {
                let wrote = running.wrote;
                scripting.running = Some(running);
                self.scripting = Some(scripting);
                if let Some(b) = self.busy.as_mut() {
                    b.wrote = wrote;
                }
                false
            }
        }
    }

    /// The time after which other clients are answered BUSY (busy-reply-threshold).
    pub(crate) fn busy_threshold_passed(&self, now_ms: i64) -> bool {
        let threshold = self.config.int("busy-reply-threshold");
        self.busy
            .as_ref()
            .is_some_and(|b| now_ms.saturating_sub(b.started_ms) >= threshold)
    }

    /// SCRIPT KILL (`is_eval`) and FUNCTION KILL (scriptKill).
    pub(crate) fn kill_script(&mut self, is_eval: bool) -> Result<(), crate::error::CmdError> {
        use crate::error::CmdError;
        let Some(busy) = self.busy.as_mut() else {
            return Err(CmdError::new("NOTBUSY No scripts in execution right now."));
        };
        if busy.wrote {
            return Err(CmdError::new("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."));
        }
        if is_eval && !busy.is_eval {
            return Err(CmdError::new(BUSY_FUNCTION));
        }
        if !is_eval && busy.is_eval {
            return Err(CmdError::new(BUSY_EVAL));
        }
        busy.killed = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::engine::ClientInfo;

    /// An engine at a fixed clock with one client connected (also used by the sibling
    /// modules' tests).
    pub(super) fn engine() -> (Engine, ClientId) {
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
        assert_eq!(
            eval(
                &mut e,
                c,
                "return redis.call('set', KEYS[1], ARGV[1])",
                &["1", "k", "v"]
            ),
            Reply::ok()
        );
        assert_eq!(
            e.execute(c, &[b"GET".to_vec(), b"k".to_vec()]),
            Reply::bulk_str("v")
        );
    }

    #[test]
    fn a_runaway_script_is_stopped() {
        let (mut e, c) = engine();
        e.set_script_fuel(200_000);
        let r = eval(&mut e, c, "while true do end", &["0"]);
        assert!(
            matches!(&r, Reply::Error(t) if t.starts_with("ERR Script killed by the emulator")),
            "{r:?}"
        );
        // The engine still works, and so does the next script.
        assert_eq!(eval(&mut e, c, "return 1", &["0"]), Reply::Integer(1));
        for script in [
            "local n = 0 while true do n = n + redis.call('incr', 'x') end",
            "local function f() f() end f()",
            "local t = {} while true do t[#t + 1] = 'x' end",
            "while true do pcall(function() error('x') end) end",
            // Exponential backtracking, in Lua 5.1 too: the matcher spends the script's fuel.
            "return string.find(string.rep('a', 40), string.rep('a?', 40) .. string.rep('a', 40))",
            "return pcall(string.gsub, string.rep('a', 40), string.rep('a?', 40) .. string.rep('a', 40), 'x')",
            "for w in string.gmatch(string.rep('a', 40), string.rep('a?', 40) .. 'b') do end",
            "local s = string.rep('a', 100000) while true do s = string.gsub(s, 'a', 'a') end",
        ] {
            assert!(eval(&mut e, c, script, &["0"]).is_error(), "{script}");
        }
    }

    #[test]
    fn odd_error_values_do_not_panic() {
        let (mut e, c) = engine();
        for script in [
            "error({})",
            "error(nil)",
            "error(function() end)",
            "error({err={}})",
            "error(setmetatable({}, {}))",
            "return {err=1}",
        ] {
            let r = eval(&mut e, c, script, &["0"]);
            assert!(r.is_error() || r == Reply::Array(vec![]), "{script}: {r:?}");
        }
        let r = eval(&mut e, c, "local t = {} t[1] = t return t", &["0"]);
        assert!(matches!(r, Reply::Array(_)));
    }

    #[test]
    fn redis_log_lines_are_collected() {
        let (mut e, c) = engine();
        eval(
            &mut e,
            c,
            "redis.log(redis.LOG_WARNING, 'hello', 'world')",
            &["0"],
        );
        assert_eq!(e.take_script_log(), vec![(3, "hello world".to_string())]);
        assert!(e.take_script_log().is_empty());
    }

    #[test]
    fn blocking_commands_inside_scripts_do_not_block() {
        let (mut e, c) = engine();
        let r = eval(
            &mut e,
            c,
            "return redis.call('xread', 'block', '0', 'streams', 's', '$')",
            &["0"],
        );
        assert!(
            matches!(&r, Reply::Error(t) if t.starts_with("ERR xread command is not allowed with BLOCK option from scripts")),
            "{r:?}"
        );
        // Blocking list commands are refused (noscript); inside MULTI in a script nothing parks.
        let r = eval(&mut e, c, "return redis.pcall('blpop', 'l', '0')", &["0"]);
        assert!(r.is_error());
        assert!(e.client(c).is_some_and(|c| c.queues.blocked.is_none()));
    }

    #[test]
    fn eval_inside_multi_runs_at_exec() {
        let (mut e, c) = engine();
        e.execute(c, &[b"MULTI".to_vec()]);
        assert_eq!(
            eval(&mut e, c, "return redis.call('incr', 'n')", &["0"]),
            Reply::status("QUEUED")
        );
        assert_eq!(
            e.execute(c, &[b"EXEC".to_vec()]),
            Reply::Array(vec![Reply::Integer(1)])
        );
    }

    #[test]
    fn redis_call_runs_inside_callbacks_of_natives() {
        let (mut e, c) = engine();
        let r = eval(
            &mut e,
            c,
            "return (string.gsub('ab', '%w', function(k) return redis.call('incr', k) end))",
            &["0"],
        );
        assert_eq!(r, Reply::bulk_str("11"));
        let r = eval(
            &mut e,
            c,
            "return string.gsub('a', '%w', function(k) return redis.call('nosuch') end)",
            &["0"],
        );
        assert!(
            matches!(&r, Reply::Error(t) if t.starts_with("ERR Unknown Redis command called from script script: ")),
            "{r:?}"
        );
    }

    #[test]
    fn script_flush_forgets_what_scripts_configured() {
        let (mut e, c) = engine();
        assert_eq!(
            eval(&mut e, c, "cjson.encode_max_depth(1) return 1", &["0"]),
            Reply::Integer(1)
        );
        assert!(eval(&mut e, c, "return cjson.encode({{1}})", &["0"]).is_error());
        e.execute(c, &[b"SCRIPT".to_vec(), b"FLUSH".to_vec()]);
        assert_eq!(
            eval(&mut e, c, "return cjson.encode({{1}})", &["0"]),
            Reply::bulk_str("[[1]]")
        );
    }

    #[test]
    fn sha1_of_known_texts() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            sha1_hex(b"return 1"),
            "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"
        );
    }
}
