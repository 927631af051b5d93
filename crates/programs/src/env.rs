//! The Lua state a program runs in, and the natives of its API.
//!
//! Unlike EVAL's sandbox, a program is an ordinary Lua 5.1 chunk: globals are free to
//! use, nothing is read-only. It gets the libraries scripts get (string, table, math,
//! cjson, cmsgpack, bit, struct; no os, io), a `redis` table with `call` and `pcall`,
//! and `sleep`, `now`, `print` and `log`.
//!
//! Natives never touch the engine: `redis.call` and `sleep` suspend the whole VM with a
//! [`Request`] (`NativeReturn::Yield`) that the program's run loop (`program.rs`)
//! answers, possibly much later in virtual time (a blocking command, a sleep). What
//! natives need from the host (the time, where printed lines go) is in a [`Shared`]
//! bound to them as an upvalue.
//!
//! The program's chunk runs under `xpcall` with a handler that turns any error into one
//! message: Lua errors are already positioned (`producer.lua:12: attempt to ...`); an
//! error reply raised by `redis.call` (an `{err=...}` table, as in EVAL) is positioned at
//! the line that called it (`producer.lua:12: WRONGTYPE Operation against ...`).

use std::cell::RefCell;
use std::rc::Rc;

use lua51::lib_math::Rand48;
use lua51::{NativeReturn, Value, Vm};
use redis_emulator::script::{api, convert};

use crate::journal::LogKind;

type R = Result<NativeReturn, Value>;

/// The most memory (estimated bytes) a program's Lua heap may use.
const MEMORY_LIMIT: usize = 32 * 1024 * 1024;
/// The longest sleep, in ms (about 31 years): keeps deadlines far from overflow.
const MAX_SLEEP_MS: f64 = 1e12;

/// What a program asks its host for, suspending its VM until answered.
pub(crate) enum Request {
    /// `redis.call` (`raise`: an error reply is raised) or `redis.pcall` (returned).
    Command { argv: Vec<Vec<u8>>, raise: bool },
    /// `sleep(seconds)`: resume with no values after this many virtual ms.
    Sleep { ms: i64 },
    /// `receive([seconds])`: the next pub/sub message, or nil after the timeout (ms;
    /// None waits forever).
    Receive { timeout_ms: Option<i64> },
}

/// What natives share with the host.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// The virtual time, set by the host before each run (it does not move during one).
    pub now_ms: i64,
    /// Lines printed since the host last took them.
    pub output: Vec<(LogKind, String)>,
}

pub(crate) type SharedRef = Rc<RefCell<Shared>>;

/// A program's Lua state, with its compiled chunk started under the error handler.
pub(crate) struct Env {
    pub vm: Vm,
    pub shared: SharedRef,
}

/// Redis 7.0's `pcall`: an `{err=...}` table caught gives its text, so
/// `pcall(redis.call, ...)` returns the error message as it does in EVAL. Then the
/// function that runs the program's main chunk under `xpcall` with the error handler.
const PRELUDE: &[u8] = b"local rawpcall, xpcall, type, handler = ...\n\
local function finish(ok, ...)\n\
  if ok then return ok, ... end\n\
  local e = ...\n\
  if type(e) == 'table' then\n\
    local m = e.err\n\
    if type(m) == 'string' or type(m) == 'number' then return false, m end\n\
  end\n\
  return false, e\n\
end\n\
pcall = function(...) return finish(rawpcall(...)) end\n\
return function(main) return xpcall(main, handler) end";

/// Builds the state of a program named `name` (the chunk's name in error messages) and
/// starts its chunk; the error is Lua's compile message (`name:3: '=' expected near 'x'`).
pub(crate) fn build(name: &str, source: &str) -> Result<Env, String> {
    let mut vm = Vm::new();
    vm.set_memory_limit(MEMORY_LIMIT);
    let main = vm.load(source.as_bytes(), name)?;
    let shared: SharedRef = Rc::new(RefCell::new(Shared::default()));
    open_libraries(&mut vm, name);
    let bound = vm.new_userdata(Box::new(shared.clone()), None);
    let natives: [(&'static str, lua51::heap::NativeFn); 5] = [
        ("print", print),
        ("log", print),
        ("now", now),
        ("sleep", sleep),
        ("receive", receive),
    ];
    for (global, f) in natives {
        let v = vm.new_native_with(global, f, vec![bound.clone()]);
        vm.set_global(global, v);
    }
    let redis = vm.new_table();
    for (field, f) in [
        ("call", redis_call as lua51::heap::NativeFn),
        ("pcall", redis_pcall),
    ] {
        let v = vm.new_native(field, f);
        vm.set_field(redis, field, v);
    }
    vm.set_global("redis", Value::Table(redis));
    let wrapper = run_prelude(&mut vm)?;
    vm.start(wrapper, vec![main])
        .map_err(|e| convert::error_value_text(&vm, &e))?;
    Ok(Env { vm, shared })
}

/// The libraries of EVAL's state, with a generator for `math.random` of the program's
/// own, seeded from its name: the same program draws the same numbers every run.
fn open_libraries(vm: &mut Vm, name: &str) {
    lua51::lib_table::open(vm);
    lua51::lib_string::open(vm);
    let random = Rand48::new();
    random.seed(name_seed(name));
    lua51::lib_math::open_with_generator(vm, Rc::new(random));
    lua51::redis_libs::open(vm);
}

/// A 32-bit FNV-1a hash of the name.
fn name_seed(name: &str) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as i32
}

/// Runs the prelude: installs `pcall`, returns the wrapper of the main chunk.
fn run_prelude(vm: &mut Vm) -> Result<Value, String> {
    let failed = |what: &str| format!("the program's environment failed to build ({what})");
    let prelude = vm.load(PRELUDE, "=[C]").map_err(|e| failed(&e))?;
    let handler = vm.new_native("error_handler", error_handler);
    let args = vec![
        vm.get_global("pcall"),
        vm.get_global("xpcall"),
        vm.get_global("type"),
        handler,
    ];
    vm.start(prelude, args).map_err(|_| failed("start"))?;
    match vm.run(10_000) {
        Ok(lua51::Outcome::Finished(mut v)) if !v.is_empty() => Ok(v.swap_remove(0)),
        _ => {
            vm.abort();
            Err(failed("run"))
        }
    }
}

/// The state bound to a native.
fn shared(vm: &Vm) -> Option<SharedRef> {
    let v = vm.native_upvalue(0);
    vm.userdata(&v)?.downcast_ref::<SharedRef>().cloned()
}

/// `print(...)` and `log(...)`: `tostring` of each argument, tab-separated, one line.
fn print(vm: &mut Vm, args: Vec<Value>) -> R {
    let mut parts = Vec::with_capacity(args.len());
    for a in &args {
        parts.push(vm.tostring(a)?.to_str_lossy());
    }
    if let Some(s) = shared(vm) {
        s.borrow_mut()
            .output
            .push((LogKind::Output, parts.join("\t")));
    }
    Ok(NativeReturn::Values(Vec::new()))
}

/// `now()`: virtual milliseconds since the epoch.
fn now(vm: &mut Vm, _args: Vec<Value>) -> R {
    let ms = shared(vm).map_or(0, |s| s.borrow().now_ms);
    Ok(NativeReturn::Values(vec![Value::Number(ms as f64)]))
}

/// `sleep(seconds)`: fractions allowed, negative is zero.
fn sleep(vm: &mut Vm, args: Vec<Value>) -> R {
    let Some(seconds) = args.first().and_then(Value::to_number) else {
        return Err(vm.type_arg_error(1, "sleep", "number", args.first()));
    };
    if !vm.can_yield() {
        return Err(vm.error(
            "sleep cannot be called from a function that a library function calls (a gsub or sort callback, a metamethod)",
        ));
    }
    Ok(NativeReturn::Yield(Box::new(Request::Sleep {
        ms: seconds_to_ms(seconds),
    })))
}

/// `receive([seconds])`: waits for the next message of the channels the program
/// subscribed to (`redis.call('SUBSCRIBE', ...)`); nil when the timeout passes first.
fn receive(vm: &mut Vm, args: Vec<Value>) -> R {
    let timeout_ms = match args.first() {
        None | Some(Value::Nil) => None,
        Some(v) => match v.to_number() {
            Some(seconds) => Some(seconds_to_ms(seconds)),
            None => return Err(vm.type_arg_error(1, "receive", "number", args.first())),
        },
    };
    if !vm.can_yield() {
        return Err(vm.error(
            "receive cannot be called from a function that a library function calls (a gsub or sort callback, a metamethod)",
        ));
    }
    Ok(NativeReturn::Yield(Box::new(Request::Receive {
        timeout_ms,
    })))
}

/// Seconds (fractions allowed) as whole ms, negative and NaN as 0.
fn seconds_to_ms(seconds: f64) -> i64 {
    let ms = (seconds * 1000.0).round();
    if ms.is_nan() {
        0
    } else {
        ms.clamp(0.0, MAX_SLEEP_MS) as i64
    }
}

fn redis_call(vm: &mut Vm, args: Vec<Value>) -> R {
    command(vm, args, true)
}

fn redis_pcall(vm: &mut Vm, args: Vec<Value>) -> R {
    command(vm, args, false)
}

/// `redis.call` and `redis.pcall`: EVAL's argument rules, then the command for the host.
fn command(vm: &mut Vm, args: Vec<Value>, raise: bool) -> R {
    let argv = match api::command_argv(&args) {
        Ok(argv) => argv,
        Err(msg) => {
            let t = convert::error_table(vm, &format!("ERR {msg}"));
            return if raise {
                Err(t)
            } else {
                Ok(NativeReturn::Values(vec![t]))
            };
        }
    };
    if !vm.can_yield() {
        return Err(vm.error(
            "redis.call cannot be called from a function that a library function calls (a gsub or sort callback, a metamethod)",
        ));
    }
    Ok(NativeReturn::Yield(Box::new(Request::Command {
        argv,
        raise,
    })))
}

/// The `xpcall` handler of the main chunk: any error value as one message.
fn error_handler(vm: &mut Vm, args: Vec<Value>) -> R {
    let err = args.into_iter().next().unwrap_or(Value::Nil);
    let text = match &err {
        Value::Table(t) => match vm.get_field(*t, "err") {
            e @ (Value::Str(_) | Value::Number(_)) => {
                format!("{}{}", position(vm), convert::error_value_text(vm, &e))
            }
            _ => convert::error_value_text(vm, &err),
        },
        _ => convert::error_value_text(vm, &err),
    };
    let v = vm.new_string(text.as_bytes());
    Ok(NativeReturn::Values(vec![v]))
}

/// `chunk:line: ` of where the error being handled was raised, or "" when unknown.
fn position(vm: &Vm) -> String {
    match vm.error_site() {
        Some((source, line)) if line >= 0 => {
            format!("{}:{line}: ", source.strip_prefix('@').unwrap_or(&source))
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_seed_different_generators() {
        assert_ne!(name_seed("producer.lua"), name_seed("consumer.lua"));
        assert_eq!(name_seed("a"), name_seed("a"));
    }

    #[test]
    fn a_compile_error_is_lua_s_message() {
        match build("consumer.lua", "local a = 1\nlocal b = 2\nx x") {
            Err(msg) => assert_eq!(msg, "consumer.lua:3: '=' expected near 'x'"),
            Ok(_) => panic!("compiled"),
        }
    }
}
