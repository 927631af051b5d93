//! The rest of Lua 5.1's base, table, math and coroutine libraries as Redis 7.0 has them,
//! where piccolo (a Lua 5.4 VM) has none or other behaviour.
//!
//! - Arguments are checked as Lua 5.1's `lauxlib` checks them, with its texts (`bad argument
//!   #1 to 'max' (number expected, got no value)`), raised at the caller's line like
//!   `luaL_error`; errors Lua 5.1 raises from inside a C function (`attempt to compare number
//!   with string` in `table.sort`) carry no position.
//! - `table.sort` follows the steps of Lua 5.1's quicksort (ltablib.c `auxsort`) exactly, so
//!   inconsistent comparators give the same order or the same error as Redis. It is a state
//!   machine: a comparator written in Lua is called through piccolo between steps.
//! - `math.random` is Redis's: a 48-bit linear congruential generator (rand.c's
//!   `redisLrand48`), one state per server, never reseeded by Redis 7.0 between scripts.
//! - `loadstring` and `load` compile in the scripts' sandboxed environment; chunk names are
//!   shortened as `luaO_chunkid` does.
//! - Library tables hold exactly Lua 5.1's functions (`table.pack`, `math.tointeger`... are
//!   removed): scripts see what Redis scripts see.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gc_arena::Collect;
use piccolo::{
    BoxSequence, Callback, CallbackReturn, Closure, Context, Error, Execution, Function, IntoValue, Sequence, SequencePoll,
    Stack, Table, Thread, ThreadMode, Value,
};

use super::api::number_text;
use super::ops::type_name;
use super::sandbox::{positioned, record_error_line};
use super::{convert, SharedBridge, CHUNK};
use crate::reply::Reply;

/// Marks the chunk name of a function compiled by `loadstring`/`load` (the raw name follows),
/// so that error positions show `luaO_chunkid`'s form of it instead of `user_script`.
const LOADED_CHUNK_MARK: &[u8] = b"\x01";

/// The raw chunk name of a function compiled by `loadstring`/`load`, from piccolo's chunk
/// name; None for the script itself.
pub(crate) fn loaded_chunk_name(chunk_name: &[u8]) -> Option<String> {
    chunk_name.strip_prefix(LOADED_CHUNK_MARK).map(|raw| String::from_utf8_lossy(raw).into_owned())
}

/// Redis's error reply names the source of the function the error was raised in
/// (`... script: <sha>, on <source>:<line>.`): a `loadstring` chunk's raw name instead of
/// `@user_script`.
pub(crate) fn with_error_source(reply: Reply, error: &Error, source: Option<&str>) -> Reply {
    let (Reply::Error(text), Error::Lua(_), Some(source)) = (&reply, error, source) else { return reply };
    let marker = format!(" on @{CHUNK}:");
    match text.rfind(&marker) {
        Some(at) => Reply::Error(format!("{} on {source}:{}", &text[..at], &text[at + marker.len()..])),
        None => reply,
    }
}

/// An error of a library function.
pub(crate) enum Fail {
    /// `luaL_error`: prefixed with the calling line (when the caller is Lua code).
    Where(String),
    /// `luaG_runerror` from inside a C function: no position.
    Plain(String),
}

impl From<String> for Fail {
    fn from(msg: String) -> Fail {
        Fail::Where(msg)
    }
}

/// Whether the running callback was called by `pcall`/`xpcall` directly (Lua 5.1's
/// `luaL_where` then finds a C function and adds no position). Taken, so that functions it
/// calls do not inherit it.
fn called_from_c(bridge: &SharedBridge) -> bool {
    std::mem::take(&mut bridge.borrow_mut().called_by_pcall)
}

/// The Lua error for `fail`.
fn raise<'gc>(ctx: Context<'gc>, exec: &Execution, bridge: &SharedBridge, from_c: bool, fail: Fail) -> Error<'gc> {
    let text = match fail {
        Fail::Where(msg) if !from_c => positioned(exec, bridge, &msg),
        Fail::Where(msg) | Fail::Plain(msg) => {
            record_error_line(exec, bridge);
            if from_c {
                unnamed_function(&msg)
            } else {
                msg
            }
        }
    };
    Error::from_value(ctx.intern(text.as_bytes()).into())
}

/// `luaL_argerror` names a function called from C (`pcall(math.floor)`) `?`.
fn unnamed_function(msg: &str) -> String {
    if let (Some(rest), Some(start)) = (msg.strip_prefix("bad argument #"), msg.find(" to '")) {
        if let Some(end) = rest.find("' (") {
            let end = end + "bad argument #".len();
            return format!("{} to '?{}", &msg[..start], &msg[end..]);
        }
    }
    msg.to_string()
}

/// A library function whose work is done at once: `f` reads the arguments from the stack and
/// leaves its results there.
pub(crate) fn lib<'gc, F>(ctx: Context<'gc>, bridge: &SharedBridge, name: &'static str, f: F) -> Callback<'gc>
where
    F: for<'a> Fn(Context<'a>, &mut Stack<'a, '_>, &'static str) -> Result<(), Fail> + 'static,
{
    let bridge = bridge.clone();
    Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
        let from_c = called_from_c(&bridge);
        match f(ctx, &mut stack, name) {
            Ok(()) => Ok(CallbackReturn::Return),
            Err(fail) => Err(raise(ctx, &exec, &bridge, from_c, fail)),
        }
    })
}

// ----- argument checks (lauxlib) -----

/// `luaL_typename` of argument `i` (0-based), `no value` past the last one.
fn arg_type(stack: &Stack, i: usize) -> &'static str {
    if i >= stack.len() {
        "no value"
    } else {
        type_name(stack.get(i))
    }
}

/// `luaL_argerror`.
pub(crate) fn arg_error(i: usize, name: &str, extra: &str) -> Fail {
    Fail::Where(format!("bad argument #{} to '{name}' ({extra})", i + 1))
}

/// `luaL_typerror`.
pub(crate) fn type_error(stack: &Stack, i: usize, name: &str, expected: &str) -> Fail {
    arg_error(i, name, &format!("{expected} expected, got {}", arg_type(stack, i)))
}

pub(crate) fn check_any(stack: &Stack, i: usize, name: &str) -> Result<(), Fail> {
    if i >= stack.len() {
        return Err(arg_error(i, name, "value expected"));
    }
    Ok(())
}

pub(crate) fn check_table<'gc>(stack: &Stack<'gc, '_>, i: usize, name: &str) -> Result<Table<'gc>, Fail> {
    match stack.get(i) {
        Value::Table(t) => Ok(t),
        _ => Err(type_error(stack, i, name, "table")),
    }
}

fn check_function<'gc>(stack: &Stack<'gc, '_>, i: usize, name: &str) -> Result<Function<'gc>, Fail> {
    match stack.get(i) {
        Value::Function(f) => Ok(f),
        _ => Err(type_error(stack, i, name, "function")),
    }
}

/// Lua 5.1's `luaO_str2d`: C's strtod over the whole text, spaces around allowed.
pub(crate) fn str_to_number(bytes: &[u8]) -> Option<f64> {
    // The C string ends at the first NUL.
    let bytes = bytes.split(|&b| b == 0).next().unwrap_or_default();
    let is_space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    let start = bytes.iter().position(|c| !is_space(c))?;
    let end = bytes.iter().rposition(|c| !is_space(c)).map_or(start, |e| e + 1);
    let text = &bytes[start..end];
    let v = crate::args::strtod(text)?.0;
    // glibc keeps the sign of `-nan`.
    Some(if v.is_nan() && text.first() == Some(&b'-') { -f64::NAN } else { v })
}

/// `lua_tonumber`: a number, or a string that reads as one.
pub(crate) fn to_number(v: Value) -> Option<f64> {
    match v {
        Value::Integer(n) => Some(n as f64),
        Value::Number(n) => Some(n),
        Value::String(s) => str_to_number(s.as_bytes()),
        _ => None,
    }
}

/// `luaL_checknumber`.
pub(crate) fn check_number(stack: &Stack, i: usize, name: &str) -> Result<f64, Fail> {
    to_number(stack.get(i)).ok_or_else(|| type_error(stack, i, name, "number"))
}

/// `luaL_checkint`'s conversion on x86-64: the double to a 64-bit `lua_Integer`
/// (`cvttsd2si`: out of range and NaN give its minimum), then to a C `int` (the low 32 bits).
fn c_int(d: f64) -> i64 {
    // 2^63: the first double past i64's range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    let wide = if (-LIMIT..LIMIT).contains(&d) { d as i64 } else { i64::MIN };
    wide as i32 as i64
}

/// `luaL_checkint`.
pub(crate) fn check_int(stack: &Stack, i: usize, name: &str) -> Result<i64, Fail> {
    check_number(stack, i, name).map(c_int)
}

/// `luaL_optint`.
pub(crate) fn opt_int(stack: &Stack, i: usize, name: &str, default: i64) -> Result<i64, Fail> {
    match stack.get(i) {
        Value::Nil => Ok(default),
        _ => check_int(stack, i, name),
    }
}

/// `luaL_checklstring`: strings, and numbers as Lua 5.1 prints them.
pub(crate) fn check_string(stack: &Stack, i: usize, name: &str) -> Result<Vec<u8>, Fail> {
    match stack.get(i) {
        Value::String(s) => Ok(s.as_bytes().to_vec()),
        Value::Integer(n) => Ok(number_text(n as f64).into_bytes()),
        Value::Number(n) => Ok(number_text(n).into_bytes()),
        _ => Err(type_error(stack, i, name, "string")),
    }
}

/// A Lua 5.1 number as the emulator holds it: an integer when it is one (piccolo prints
/// those without a fraction), else a float (so `-0` and huge values keep their form).
pub(crate) fn number<'gc>(n: f64) -> Value<'gc> {
    if n.fract() == 0.0 && n.abs() < 9.0e15 && !(n == 0.0 && n.is_sign_negative()) {
        Value::Integer(n as i64)
    } else {
        Value::Number(n)
    }
}

/// `%s: %p`: how Lua 5.1's `tostring` shows tables, functions, threads and userdata.
pub(crate) fn address_text(v: Value) -> Option<String> {
    let ptr: *const () = match v {
        Value::Table(t) => gc_arena::Gc::as_ptr(t.into_inner()) as *const (),
        Value::Function(Function::Closure(c)) => gc_arena::Gc::as_ptr(c.into_inner()) as *const (),
        Value::Function(Function::Callback(c)) => gc_arena::Gc::as_ptr(c.into_inner()) as *const (),
        Value::Thread(t) => gc_arena::Gc::as_ptr(t.into_inner()) as *const (),
        Value::UserData(u) => gc_arena::Gc::as_ptr(u.into_inner()) as *const (),
        _ => return None,
    };
    Some(format!("{}: {ptr:p}", type_name(v)))
}

/// Lua 5.1's raw equality (`rawequal`, `luaO_rawequalObj`).
fn raw_equal<'gc>(a: Value<'gc>, b: Value<'gc>) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Boolean(x), Value::Boolean(y)) => x == y,
        (Value::String(x), Value::String(y)) => x.as_bytes() == y.as_bytes(),
        (Value::Table(x), Value::Table(y)) => x == y,
        (Value::Function(x), Value::Function(y)) => x == y,
        (Value::Thread(x), Value::Thread(y)) => x == y,
        (Value::UserData(x), Value::UserData(y)) => x == y,
        _ => match (number_of(a), number_of(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

fn number_of(v: Value) -> Option<f64> {
    match v {
        Value::Integer(n) => Some(n as f64),
        Value::Number(n) => Some(n),
        _ => None,
    }
}

/// The value a caught error gives Lua code (`pcall`'s second result): piccolo's own runtime
/// errors become Lua 5.1's text at the last known line.
fn error_value<'gc>(ctx: Context<'gc>, bridge: &SharedBridge, error: Error<'gc>) -> Value<'gc> {
    match error {
        Error::Lua(e) => e.0,
        Error::Runtime(e) => {
            let line = bridge.borrow().last_line.unwrap_or(1);
            let msg = format!("{CHUNK}:{line}: {}", convert::runtime_message(&e));
            ctx.intern(msg.as_bytes()).into()
        }
    }
}

/// Sets the libraries up (before the library tables become read-only proxies).
pub(crate) fn install<'gc>(ctx: Context<'gc>, globals: Table<'gc>, bridge: &SharedBridge) {
    install_base(ctx, globals, bridge);
    if let Value::Table(old) = globals.get(ctx, "table") {
        let _ = globals.set(ctx, "table", install_table(ctx, old, bridge));
    }
    let _ = globals.set(ctx, "math", math_table(ctx, bridge));
    let _ = globals.set(ctx, "coroutine", coroutine_table(ctx, bridge));
    install_string_meta(ctx, globals);
}

// ----- base library -----

/// `collectgarbage`'s settings that scripts can read back (`setpause` returns the old one).
#[derive(Clone)]
struct GcSettings {
    pause: Rc<Cell<i64>>,
    stepmul: Rc<Cell<i64>>,
}

fn install_base<'gc>(ctx: Context<'gc>, globals: Table<'gc>, bridge: &SharedBridge) {
    let set = |name: &'static str, f: Callback<'gc>| {
        let _ = globals.set(ctx, name, f);
    };
    let _ = globals.set(ctx, "_VERSION", "Lua 5.1");

    set(
        "rawequal",
        lib(ctx, bridge, "rawequal", |ctx, stack, name| {
            check_any(stack, 0, name)?;
            check_any(stack, 1, name)?;
            let eq = raw_equal(stack.get(0), stack.get(1));
            stack.replace(ctx, eq);
            Ok(())
        }),
    );
    set(
        "rawget",
        lib(ctx, bridge, "rawget", |ctx, stack, name| {
            let t = see_through(ctx, check_table(stack, 0, name)?);
            check_any(stack, 1, name)?;
            let v = t.get_value(stack.get(1));
            stack.replace(ctx, v);
            Ok(())
        }),
    );
    set(
        "rawset",
        lib(ctx, bridge, "rawset", |ctx, stack, name| {
            let t = check_table(stack, 0, name)?;
            check_any(stack, 1, name)?;
            check_any(stack, 2, name)?;
            table_set(ctx, t, stack.get(1), stack.get(2))?;
            stack.replace(ctx, t);
            Ok(())
        }),
    );
    set(
        "type",
        lib(ctx, bridge, "type", |ctx, stack, name| {
            check_any(stack, 0, name)?;
            let t = type_name(stack.get(0));
            stack.replace(ctx, t);
            Ok(())
        }),
    );
    set(
        "assert",
        lib(ctx, bridge, "assert", |_ctx, stack, name| {
            check_any(stack, 0, name)?;
            if stack.get(0).to_bool() {
                return Ok(());
            }
            match stack.get(1) {
                Value::Nil => Err(Fail::Where("assertion failed!".to_string())),
                _ => {
                    let msg = check_string(stack, 1, name)?;
                    Err(Fail::Where(String::from_utf8_lossy(&msg).into_owned()))
                }
            }
        }),
    );
    set(
        "select",
        lib(ctx, bridge, "select", |ctx, stack, name| {
            let n = stack.len() as i64;
            if let Value::String(s) = stack.get(0) {
                if s.as_bytes().first() == Some(&b'#') {
                    stack.replace(ctx, n - 1);
                    return Ok(());
                }
            }
            let mut i = check_int(stack, 0, name)?;
            if i < 0 {
                i += n;
            } else if i > n {
                i = n;
            }
            if i < 1 {
                return Err(arg_error(0, name, "index out of range"));
            }
            stack.drain(..i as usize);
            Ok(())
        }),
    );
    set(
        "getmetatable",
        lib(ctx, bridge, "getmetatable", |ctx, stack, name| {
            check_any(stack, 0, name)?;
            let meta = match stack.get(0) {
                // A read-only library table has no metatable in Redis (a flag marks it).
                Value::Table(t) if see_through(ctx, t) != t => see_through(ctx, t).metatable().and(t.metatable()),
                Value::Table(t) => t.metatable(),
                Value::UserData(u) => u.metatable(),
                Value::String(_) => string_metatable(ctx),
                _ => None,
            };
            let out = match meta {
                None => Value::Nil,
                Some(m) => match m.get(ctx, "__metatable") {
                    Value::Nil => m.into(),
                    protected => protected,
                },
            };
            stack.replace(ctx, out);
            Ok(())
        }),
    );
    set(
        "setmetatable",
        lib(ctx, bridge, "setmetatable", |ctx, stack, name| {
            let t = check_table(stack, 0, name)?;
            let meta = match stack.get(1) {
                Value::Nil => None,
                Value::Table(m) => Some(m),
                _ => return Err(arg_error(1, name, "nil or table expected")),
            };
            if t.metatable().is_some_and(|m| !m.get(ctx, "__metatable").is_nil()) {
                return Err(Fail::Where("cannot change a protected metatable".to_string()));
            }
            t.set_metatable(&ctx, meta);
            stack.replace(ctx, t);
            Ok(())
        }),
    );

    // `next`, and the copy of it that `pairs` returns (a closure of its own in Lua 5.1).
    let next = |ctx: Context<'gc>| {
        lib(ctx, bridge, "next", |ctx, stack, name| {
            let t = check_table(stack, 0, name)?;
            let (t, real) = (see_through(ctx, t), is_globals(ctx, see_through(ctx, t)));
            let mut key = stack.get(1);
            loop {
                match t.next(key) {
                    // The emulator's own globals are not Redis's: skipped.
                    piccolo::table::NextValue::Found { key: k, .. } if real && is_internal(k) => key = k,
                    piccolo::table::NextValue::Found { key, value } => {
                        stack.replace(ctx, (key, value));
                        return Ok(());
                    }
                    piccolo::table::NextValue::Last => {
                        stack.replace(ctx, Value::Nil);
                        return Ok(());
                    }
                    piccolo::table::NextValue::NotFound => return Err(Fail::Plain("invalid key to 'next'".to_string())),
                }
            }
        })
    };
    set("next", next(ctx));
    let pairs_next = next(ctx);
    set(
        "pairs",
        lib_with(ctx, bridge, "pairs", pairs_next, |ctx, stack, name, next| {
            let t = check_table(stack, 0, name)?;
            stack.replace(ctx, (next, t, Value::Nil));
            Ok(())
        }),
    );
    let ipairs_next = lib(ctx, bridge, "ipairs", |ctx, stack, name| {
        let t = see_through(ctx, check_table(stack, 0, name)?);
        let i = check_int(stack, 1, name)? + 1;
        let v = t.get(ctx, i);
        if v.is_nil() {
            stack.clear();
        } else {
            stack.replace(ctx, (i, v));
        }
        Ok(())
    });
    set(
        "ipairs",
        lib_with(ctx, bridge, "ipairs", ipairs_next, |ctx, stack, name, next| {
            let t = check_table(stack, 0, name)?;
            stack.replace(ctx, (next, t, 0));
            Ok(())
        }),
    );

    set(
        "gcinfo",
        lib(ctx, bridge, "gcinfo", |ctx, stack, _name| {
            let kb = (ctx.metrics().total_allocation() >> 10) as i64;
            stack.replace(ctx, kb);
            Ok(())
        }),
    );
    let settings = GcSettings { pause: Rc::new(Cell::new(200)), stepmul: Rc::new(Cell::new(200)) };
    set(
        "collectgarbage",
        lib(ctx, bridge, "collectgarbage", move |ctx, stack, name| {
            let option = match stack.get(0) {
                Value::Nil => b"collect".to_vec(),
                _ => check_string(stack, 0, name)?,
            };
            let arg = opt_int(stack, 1, name, 0)?;
            let out: Value = match option.as_slice() {
                b"stop" | b"restart" | b"collect" => Value::Integer(0),
                b"count" => Value::Number(ctx.metrics().total_allocation() as f64 / 1024.0),
                b"step" => Value::Boolean(true),
                b"setpause" => Value::Integer(settings.pause.replace(arg)),
                b"setstepmul" => Value::Integer(settings.stepmul.replace(arg)),
                other => {
                    let msg = format!("invalid option '{}'", String::from_utf8_lossy(other));
                    return Err(arg_error(0, name, &msg));
                }
            };
            stack.replace(ctx, out);
            Ok(())
        }),
    );

    install_xpcall(ctx, globals, bridge);
    install_load(ctx, globals, bridge);
}

/// `lib` with a value the function keeps (a GC value, like `pairs`' iterator).
fn lib_with<'gc, F>(ctx: Context<'gc>, bridge: &SharedBridge, name: &'static str, kept: Callback<'gc>, f: F) -> Callback<'gc>
where
    F: for<'a> Fn(Context<'a>, &mut Stack<'a, '_>, &'static str, Callback<'a>) -> Result<(), Fail> + 'static,
{
    let bridge = bridge.clone();
    Callback::from_fn_with(&ctx, kept, move |kept, ctx, exec, mut stack| {
        let from_c = called_from_c(&bridge);
        match f(ctx, &mut stack, name, *kept) {
            Ok(()) => Ok(CallbackReturn::Return),
            Err(fail) => Err(raise(ctx, &exec, &bridge, from_c, fail)),
        }
    })
}

/// The table a read-only proxy stands for (sandbox.rs: the library tables and `_G` are empty
/// proxies reading from the real tables), so that `pairs`, `next`, `rawget` and `ipairs` see
/// what they see in Redis; any other table as it is.
fn see_through<'gc>(ctx: Context<'gc>, t: Table<'gc>) -> Table<'gc> {
    match t.metatable() {
        Some(meta) if !meta.get(ctx, super::sandbox::PROTECTED).is_nil() => match meta.get(ctx, "__index") {
            Value::Table(real) => real,
            _ => t,
        },
        _ => t,
    }
}

/// Whether `t` is the real globals table.
fn is_globals<'gc>(ctx: Context<'gc>, t: Table<'gc>) -> bool {
    t == ctx.globals()
}

/// The emulator's own globals (`__redis_env`, `__redis_ops`...), hidden from iteration.
fn is_internal(key: Value) -> bool {
    matches!(key, Value::String(s) if s.as_bytes().starts_with(b"__redis_"))
}

/// Where the table Lua 5.1 gives strings as metatable (`{__index = string}`) is kept.
const STRING_META: &str = "__redis_string_meta";

fn string_metatable(ctx: Context<'_>) -> Option<Table<'_>> {
    let Value::Table(meta) = ctx.globals().get(ctx, STRING_META) else { return None };
    // Filled on first use: by then `string` is the read-only proxy scripts see.
    if meta.get(ctx, "__index").is_nil() {
        let _ = meta.set(ctx, "__index", ctx.globals().get(ctx, "string"));
    }
    Some(meta)
}

/// `t[k] = v` raw, with Lua 5.1's errors for bad keys.
fn table_set<'gc>(ctx: Context<'gc>, t: Table<'gc>, k: Value<'gc>, v: Value<'gc>) -> Result<(), Fail> {
    match k {
        Value::Nil => Err(Fail::Plain("table index is nil".to_string())),
        Value::Number(n) if n.is_nan() => Err(Fail::Plain("table index is NaN".to_string())),
        _ => t.set(ctx, k, v).map(|_| ()).map_err(|_| Fail::Plain("table index is nil".to_string())),
    }
}

/// `xpcall(f, handler)`: Lua 5.1 calls `f` without arguments; on an error, `handler` gets the
/// error value and its results follow `false`. An error in the handler (or a handler that
/// cannot be called) gives `false, "error in error handling"`.
fn install_xpcall<'gc>(ctx: Context<'gc>, globals: Table<'gc>, bridge: &SharedBridge) {
    #[derive(Collect)]
    #[collect(no_drop)]
    struct XPCall<'gc> {
        handler: Value<'gc>,
        in_handler: bool,
        #[collect(require_static)]
        bridge: SharedBridge,
    }

    impl<'gc> Sequence<'gc> for XPCall<'gc> {
        fn poll(&mut self, ctx: Context<'gc>, _exec: Execution<'gc, '_>, mut stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
            self.bridge.borrow_mut().called_by_pcall = false;
            if self.in_handler {
                // Lua 5.1 keeps the handler's first result as the error value.
                let v = stack.get(0);
                stack.replace(ctx, (false, v));
            } else {
                stack.push_front(Value::Boolean(true));
            }
            Ok(SequencePoll::Return)
        }

        fn error(&mut self, ctx: Context<'gc>, _exec: Execution<'gc, '_>, error: Error<'gc>, mut stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
            self.bridge.borrow_mut().called_by_pcall = false;
            let handler = match self.handler {
                Value::Function(f) if !self.in_handler => f,
                _ => {
                    stack.replace(ctx, (false, "error in error handling"));
                    return Ok(SequencePoll::Return);
                }
            };
            let value = error_value(ctx, &self.bridge, error);
            self.in_handler = true;
            stack.replace(ctx, value);
            Ok(SequencePoll::Call { function: handler, is_tail: false })
        }
    }

    let bridge = bridge.clone();
    let xpcall = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
        let from_c = called_from_c(&bridge);
        if let Err(fail) = check_any(&stack, 1, "xpcall") {
            let fail = if from_c { Fail::Plain("bad argument #2 to '?' (value expected)".to_string()) } else { fail };
            return Err(raise(ctx, &exec, &bridge, from_c, fail));
        }
        let (f, handler) = (stack.get(0), stack.get(1));
        stack.clear();
        let seq = XPCall { handler, in_handler: false, bridge: bridge.clone() };
        match f {
            Value::Function(function) => {
                bridge.borrow_mut().called_by_pcall = matches!(function, Function::Callback(_));
                Ok(CallbackReturn::Call { function, then: Some(BoxSequence::new(&ctx, seq)) })
            }
            other => {
                // Calling a value that is not a function fails inside xpcall: the handler
                // gets the message, without a position.
                let msg = format!("attempt to call a {} value", type_name(other));
                let mut seq = seq;
                match seq.handler {
                    Value::Function(h) => {
                        seq.in_handler = true;
                        stack.replace(ctx, ctx.intern(msg.as_bytes()));
                        Ok(CallbackReturn::Call { function: h, then: Some(BoxSequence::new(&ctx, seq)) })
                    }
                    _ => {
                        stack.replace(ctx, (false, "error in error handling"));
                        Ok(CallbackReturn::Return)
                    }
                }
            }
        }
    });
    let _ = globals.set(ctx, "xpcall", xpcall);
}

/// `luaO_chunkid`: how Lua 5.1 shows a chunk name in messages, in at most `size - 1` bytes
/// (60 for runtime errors, 80 for compile errors).
pub(crate) fn chunk_id(source: &[u8], size: usize) -> String {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if let Some(rest) = source.strip_prefix(b"=") {
        return text(&rest[..rest.len().min(size - 1)]);
    }
    if let Some(rest) = source.strip_prefix(b"@") {
        let room = size - 8;
        if rest.len() > room {
            return format!("...{}", text(&rest[rest.len() - room..]));
        }
        return text(rest);
    }
    let line_end = source.iter().position(|&c| c == b'\n' || c == b'\r').unwrap_or(source.len());
    let len = line_end.min(size - 17);
    if len < source.len() {
        format!("[string \"{}...\"]", text(&source[..len]))
    } else {
        format!("[string \"{}\"]", text(source))
    }
}

/// Compiles a chunk as `loadstring` does: the function, or Lua 5.1's message.
fn compile_chunk<'gc>(ctx: Context<'gc>, code: &[u8], chunk_name: &[u8]) -> Result<Function<'gc>, String> {
    let name = format!("\u{1}{}", String::from_utf8_lossy(chunk_name));
    // Lua 5.1's grammar and messages first (piccolo accepts more and words errors its way).
    if let Err(e) = lua51::syntax::parse(code) {
        return Err(e.text(&chunk_id(chunk_name, 80)));
    }
    let env = super::sandbox::env(ctx);
    match Closure::load_with_env(ctx, Some(&name), code, env) {
        Ok(closure) => Ok(Function::Closure(closure)),
        Err(e) => {
            // `user_script:LINE: msg` with the chunk's own name.
            let text = convert::compile_error(&e);
            let rest = text.strip_prefix(CHUNK).unwrap_or(&text);
            Err(format!("{}{rest}", chunk_id(chunk_name, 80)))
        }
    }
}

/// The result of `loadstring`/`load`: the function, or nil and the message.
fn load_result<'gc>(ctx: Context<'gc>, stack: &mut Stack<'gc, '_>, compiled: Result<Function<'gc>, String>) {
    match compiled {
        Ok(f) => stack.replace(ctx, f),
        Err(msg) => stack.replace(ctx, (Value::Nil, ctx.intern(msg.as_bytes()))),
    }
}

/// An error raised while `load` reads its chunk, as Redis's error handler turns it into a
/// table (`lua_load` runs under the script's handler): `{err = 'ERR ' .. msg}`.
fn handled_error<'gc>(ctx: Context<'gc>, value: Value<'gc>) -> Value<'gc> {
    match value {
        Value::Table(_) => value,
        v => {
            let text = match v {
                Value::String(s) => s.as_bytes().to_vec(),
                Value::Integer(n) => number_text(n as f64).into_bytes(),
                Value::Number(n) => number_text(n).into_bytes(),
                Value::Nil => b"nil".to_vec(),
                Value::Boolean(b) => b.to_string().into_bytes(),
                other => address_text(other).unwrap_or_default().into_bytes(),
            };
            let mut msg = b"ERR ".to_vec();
            msg.extend_from_slice(&text);
            super::api::error_table(ctx, &String::from_utf8_lossy(&msg)).into()
        }
    }
}

fn install_load<'gc>(ctx: Context<'gc>, globals: Table<'gc>, bridge: &SharedBridge) {
    let _ = globals.set(
        ctx,
        "loadstring",
        lib(ctx, bridge, "loadstring", |ctx, stack, name| {
            let code = check_string(stack, 0, name)?;
            let chunk_name = match stack.get(1) {
                Value::Nil => code.clone(),
                _ => check_string(stack, 1, name)?,
            };
            let compiled = compile_chunk(ctx, &code, &chunk_name);
            load_result(ctx, stack, compiled);
            Ok(())
        }),
    );

    /// Calls the reader until it returns nil or an empty string, then compiles.
    #[derive(Collect)]
    #[collect(no_drop)]
    struct Load<'gc> {
        reader: Function<'gc>,
        #[collect(require_static)]
        code: Vec<u8>,
        #[collect(require_static)]
        chunk_name: Vec<u8>,
        #[collect(require_static)]
        bridge: SharedBridge,
    }

    impl<'gc> Sequence<'gc> for Load<'gc> {
        fn poll(&mut self, ctx: Context<'gc>, exec: Execution<'gc, '_>, mut stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
            let piece = match stack.get(0) {
                Value::Nil => None,
                Value::String(s) => Some(s.as_bytes().to_vec()),
                Value::Integer(n) => Some(number_text(n as f64).into_bytes()),
                Value::Number(n) => Some(number_text(n).into_bytes()),
                _ => {
                    let msg = positioned(&exec, &self.bridge, "reader function must return a string");
                    let err = handled_error(ctx, ctx.intern(msg.as_bytes()).into());
                    stack.replace(ctx, (Value::Nil, err));
                    return Ok(SequencePoll::Return);
                }
            };
            match piece {
                Some(p) if !p.is_empty() => {
                    self.code.extend_from_slice(&p);
                    stack.clear();
                    Ok(SequencePoll::Call { function: self.reader, is_tail: false })
                }
                _ => {
                    let compiled = compile_chunk(ctx, &self.code, &self.chunk_name);
                    load_result(ctx, &mut stack, compiled);
                    Ok(SequencePoll::Return)
                }
            }
        }

        fn error(&mut self, ctx: Context<'gc>, _exec: Execution<'gc, '_>, error: Error<'gc>, mut stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
            let value = handled_error(ctx, error_value(ctx, &self.bridge, error));
            stack.replace(ctx, (Value::Nil, value));
            Ok(SequencePoll::Return)
        }
    }

    let bridge = bridge.clone();
    let load = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
        let from_c = called_from_c(&bridge);
        let checked = check_function(&stack, 0, "load").and_then(|reader| {
            let chunk_name = match stack.get(1) {
                Value::Nil => b"=(load)".to_vec(),
                _ => check_string(&stack, 1, "load")?,
            };
            Ok((reader, chunk_name))
        });
        let (reader, chunk_name) = checked.map_err(|fail| raise(ctx, &exec, &bridge, from_c, fail))?;
        stack.clear();
        let seq = Load { reader, code: Vec::new(), chunk_name, bridge: bridge.clone() };
        Ok(CallbackReturn::Call { function: reader, then: Some(BoxSequence::new(&ctx, seq)) })
    });
    let _ = globals.set(ctx, "load", load);
}

// ----- table library -----

/// A new `table` table: `concat` and `getn` from `api.rs`, the rest from here (piccolo's
/// Lua 5.4 functions, `table.pack` and `table.unpack`, are left out).
fn install_table<'gc>(ctx: Context<'gc>, old: Table<'gc>, bridge: &SharedBridge) -> Table<'gc> {
    let table = Table::new(&ctx);
    for name in ["concat", "getn"] {
        let _ = table.set(ctx, name, old.get(ctx, name));
    }
    let set = |name: &'static str, f: Callback<'gc>| {
        let _ = table.set(ctx, name, f);
    };
    set(
        "insert",
        lib(ctx, bridge, "insert", |ctx, stack, name| {
            let t = check_table(stack, 0, name)?;
            let mut e = t.length() + 1;
            let (pos, v) = match stack.len() {
                2 => (e, stack.get(1)),
                3 => {
                    let pos = check_int(stack, 1, name)?;
                    if pos > e {
                        e = pos;
                    }
                    let mut i = e;
                    while i > pos {
                        let moved = t.get(ctx, i - 1);
                        table_set(ctx, t, Value::Integer(i), moved)?;
                        i -= 1;
                    }
                    (pos, stack.get(2))
                }
                _ => return Err(Fail::Where("wrong number of arguments to 'insert'".to_string())),
            };
            table_set(ctx, t, Value::Integer(pos), v)?;
            stack.clear();
            Ok(())
        }),
    );
    set(
        "remove",
        lib(ctx, bridge, "remove", |ctx, stack, name| {
            let t = check_table(stack, 0, name)?;
            let e = t.length();
            let mut pos = opt_int(stack, 1, name, e)?;
            if !(1 <= pos && pos <= e) {
                stack.clear();
                return Ok(());
            }
            let removed = t.get(ctx, pos);
            while pos < e {
                let next = t.get(ctx, pos + 1);
                table_set(ctx, t, Value::Integer(pos), next)?;
                pos += 1;
            }
            table_set(ctx, t, Value::Integer(e), Value::Nil)?;
            stack.replace(ctx, removed);
            Ok(())
        }),
    );
    set(
        "maxn",
        lib(ctx, bridge, "maxn", |ctx, stack, name| {
            let t = check_table(stack, 0, name)?;
            let mut max = 0.0f64;
            for (k, _) in t.iter() {
                if let Some(n) = number_of(k) {
                    if n > max {
                        max = n;
                    }
                }
            }
            stack.replace(ctx, number(max));
            Ok(())
        }),
    );
    set(
        "setn",
        lib(ctx, bridge, "setn", |_ctx, stack, name| {
            check_table(stack, 0, name)?;
            Err(Fail::Where("'setn' is obsolete".to_string()))
        }),
    );
    install_foreach(ctx, table, bridge);
    install_sort(ctx, table, bridge);
    table
}

/// `table.foreach(t, f)` and `table.foreachi(t, f)`: call `f(k, v)` for each pair (`next`'s
/// order) or index `1..#t`, stopping at the first result that is not nil.
fn install_foreach<'gc>(ctx: Context<'gc>, table: Table<'gc>, bridge: &SharedBridge) {
    #[derive(Collect)]
    #[collect(no_drop)]
    struct ForEach<'gc> {
        table: Table<'gc>,
        f: Function<'gc>,
        /// The key last visited (`foreach`), or the index (`foreachi`).
        key: Value<'gc>,
        /// `foreachi`'s `#t`; None for `foreach`.
        count: Option<i64>,
    }

    impl<'gc> ForEach<'gc> {
        /// The arguments of the next call, or None at the end.
        fn advance(&mut self, ctx: Context<'gc>) -> Result<Option<(Value<'gc>, Value<'gc>)>, Error<'gc>> {
            match self.count {
                Some(n) => {
                    let i = match self.key {
                        Value::Integer(i) => i + 1,
                        _ => 1,
                    };
                    if i > n {
                        return Ok(None);
                    }
                    self.key = Value::Integer(i);
                    Ok(Some((self.key, self.table.get(ctx, i))))
                }
                None => match self.table.next(self.key) {
                    piccolo::table::NextValue::Found { key, value } => {
                        self.key = key;
                        Ok(Some((key, value)))
                    }
                    piccolo::table::NextValue::Last => Ok(None),
                    piccolo::table::NextValue::NotFound => Err(Error::from_value("invalid key to 'next'".into_value(ctx))),
                },
            }
        }

        fn step(&mut self, ctx: Context<'gc>, stack: &mut Stack<'gc, '_>) -> Result<Option<Function<'gc>>, Error<'gc>> {
            match self.advance(ctx)? {
                Some((k, v)) => {
                    stack.replace(ctx, (k, v));
                    Ok(Some(self.f))
                }
                None => {
                    stack.clear();
                    Ok(None)
                }
            }
        }
    }

    impl<'gc> Sequence<'gc> for ForEach<'gc> {
        fn poll(&mut self, ctx: Context<'gc>, _exec: Execution<'gc, '_>, mut stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
            let result = stack.get(0);
            if !result.is_nil() {
                stack.replace(ctx, result);
                return Ok(SequencePoll::Return);
            }
            Ok(match self.step(ctx, &mut stack)? {
                Some(function) => SequencePoll::Call { function, is_tail: false },
                None => SequencePoll::Return,
            })
        }
    }

    for (name, indexed) in [("foreach", false), ("foreachi", true)] {
        let bridge = bridge.clone();
        let f = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
            let from_c = called_from_c(&bridge);
            let checked = check_table(&stack, 0, name).and_then(|t| Ok((t, check_function(&stack, 1, name)?)));
            let (t, f) = checked.map_err(|fail| raise(ctx, &exec, &bridge, from_c, fail))?;
            let mut seq = ForEach { table: t, f, key: Value::Nil, count: indexed.then(|| t.length()) };
            Ok(match seq.step(ctx, &mut stack)? {
                Some(function) => CallbackReturn::Call { function, then: Some(BoxSequence::new(&ctx, seq)) },
                None => CallbackReturn::Return,
            })
        });
        let _ = table.set(ctx, name, f);
    }
}

/// Where `table.sort` is in Lua 5.1's `auxsort`: the step to take when the pending
/// comparison's answer is known.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SortStep {
    /// Top of the loop over the range `l..=u`.
    Range,
    /// `a[u] < a[l]` answered.
    Ends,
    /// `a[i] < a[l]` answered (i is the middle).
    MiddleLow,
    /// `a[u] < a[i]` answered.
    MiddleHigh,
    /// `a[i] < P` answered (scanning up).
    ScanUp,
    /// `P < a[j]` answered (scanning down).
    ScanDown,
}

/// What the sort needs next.
#[derive(Collect)]
#[collect(no_drop)]
enum SortNeed<'gc> {
    /// Compare `a < b` and call `answer` with the result.
    Compare(Value<'gc>, Value<'gc>),
    Done,
}

/// Lua 5.1's `auxsort` as a resumable state machine. The recursion on the smaller part is a
/// stack of the ranges still to sort (the larger part is pushed, then the smaller sorted).
#[derive(Collect)]
#[collect(no_drop)]
struct Sort<'gc> {
    table: Table<'gc>,
    comparator: Option<Function<'gc>>,
    #[collect(require_static)]
    pending: Vec<(i64, i64)>,
    #[collect(require_static)]
    step: SortStep,
    #[collect(require_static)]
    l: i64,
    #[collect(require_static)]
    u: i64,
    #[collect(require_static)]
    i: i64,
    #[collect(require_static)]
    j: i64,
    /// Values taken from the table before a comparison (the C code's Lua stack).
    x: Value<'gc>,
    y: Value<'gc>,
    pivot: Value<'gc>,
    #[collect(require_static)]
    bridge: SharedBridge,
    #[collect(require_static)]
    from_c: bool,
    /// Where the sort stopped to let the host check the script's budget.
    paused: Option<SortNeed<'gc>>,
}

impl<'gc> Sort<'gc> {
    fn get(&self, ctx: Context<'gc>, k: i64) -> Value<'gc> {
        self.table.get(ctx, k)
    }

    fn put(&self, ctx: Context<'gc>, k: i64, v: Value<'gc>) -> Result<(), Fail> {
        table_set(ctx, self.table, Value::Integer(k), v)
    }

    /// Starts the next range to sort (`auxsort`'s `while (l < u)`), or ends.
    fn start_range(&mut self, ctx: Context<'gc>) -> SortNeed<'gc> {
        loop {
            if self.l < self.u {
                self.step = SortStep::Ends;
                self.x = self.get(ctx, self.l);
                self.y = self.get(ctx, self.u);
                return SortNeed::Compare(self.y, self.x);
            }
            match self.pending.pop() {
                Some((l, u)) => {
                    self.l = l;
                    self.u = u;
                }
                None => return SortNeed::Done,
            }
        }
    }

    /// Goes on from the answer `less` to the pending comparison, to the next comparison.
    fn answer(&mut self, ctx: Context<'gc>, less: bool) -> Result<SortNeed<'gc>, Fail> {
        let (l, u) = (self.l, self.u);
        match self.step {
            SortStep::Range => Ok(self.start_range(ctx)),
            SortStep::Ends => {
                if less {
                    self.put(ctx, l, self.y)?;
                    self.put(ctx, u, self.x)?;
                }
                if u - l == 1 {
                    return Ok(self.end_range(ctx));
                }
                self.i = (l + u) / 2;
                self.x = self.get(ctx, self.i);
                self.y = self.get(ctx, l);
                self.step = SortStep::MiddleLow;
                Ok(SortNeed::Compare(self.x, self.y))
            }
            SortStep::MiddleLow => {
                if less {
                    self.put(ctx, self.i, self.y)?;
                    self.put(ctx, l, self.x)?;
                    return self.partition(ctx);
                }
                self.y = self.get(ctx, u);
                self.step = SortStep::MiddleHigh;
                Ok(SortNeed::Compare(self.y, self.x))
            }
            SortStep::MiddleHigh => {
                if less {
                    self.put(ctx, self.i, self.y)?;
                    self.put(ctx, u, self.x)?;
                }
                self.partition(ctx)
            }
            SortStep::ScanUp => {
                if less {
                    if self.i > u {
                        return Err(Fail::Where("invalid order function for sorting".to_string()));
                    }
                    return Ok(self.scan_up(ctx));
                }
                Ok(self.scan_down(ctx))
            }
            SortStep::ScanDown => {
                if less {
                    if self.j < l {
                        return Err(Fail::Where("invalid order function for sorting".to_string()));
                    }
                    return Ok(self.scan_down(ctx));
                }
                if self.j < self.i {
                    return self.place_pivot(ctx);
                }
                self.put(ctx, self.i, self.y)?;
                self.put(ctx, self.j, self.x)?;
                Ok(self.scan_up(ctx))
            }
        }
    }

    /// This range is done (`break` out of `auxsort`'s loop): on to the next one.
    fn end_range(&mut self, ctx: Context<'gc>) -> SortNeed<'gc> {
        self.l = 0;
        self.u = 0;
        self.start_range(ctx)
    }

    /// The pivot goes to `u - 1`, then the scans start.
    fn partition(&mut self, ctx: Context<'gc>) -> Result<SortNeed<'gc>, Fail> {
        let (l, u) = (self.l, self.u);
        if u - l == 2 {
            return Ok(self.end_range(ctx));
        }
        self.pivot = self.get(ctx, self.i);
        let before_last = self.get(ctx, u - 1);
        self.put(ctx, self.i, before_last)?;
        self.put(ctx, u - 1, self.pivot)?;
        self.i = l;
        self.j = u - 1;
        Ok(self.scan_up(ctx))
    }

    fn scan_up(&mut self, ctx: Context<'gc>) -> SortNeed<'gc> {
        self.i += 1;
        self.x = self.get(ctx, self.i);
        self.step = SortStep::ScanUp;
        SortNeed::Compare(self.x, self.pivot)
    }

    fn scan_down(&mut self, ctx: Context<'gc>) -> SortNeed<'gc> {
        self.j -= 1;
        self.y = self.get(ctx, self.j);
        self.step = SortStep::ScanDown;
        SortNeed::Compare(self.pivot, self.y)
    }

    /// Swaps the pivot into place and splits the range: the smaller part is sorted first.
    fn place_pivot(&mut self, ctx: Context<'gc>) -> Result<SortNeed<'gc>, Fail> {
        let (l, u, i) = (self.l, self.u, self.i);
        let before_last = self.get(ctx, u - 1);
        let at_i = self.get(ctx, i);
        self.put(ctx, u - 1, at_i)?;
        self.put(ctx, i, before_last)?;
        let (smaller, larger) = if i - l < u - i { ((l, i - 1), (i + 1, u)) } else { ((i + 1, u), (l, i - 1)) };
        self.pending.push(larger);
        self.l = smaller.0;
        self.u = smaller.1;
        Ok(self.start_range(ctx))
    }

    /// Runs comparisons that need no call, until one needs a call or the sort ends.
    fn run(&mut self, ctx: Context<'gc>, exec: &mut Execution<'gc, '_>, mut need: SortNeed<'gc>, stack: &mut Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
        loop {
            let (a, b) = match need {
                SortNeed::Done => {
                    stack.clear();
                    return Ok(SequencePoll::Return);
                }
                SortNeed::Compare(a, b) => (a, b),
            };
            let function = match self.comparator {
                Some(f) => f,
                None => match less_than(ctx, a, b) {
                    Ok(Comparison::Known(less)) => {
                        need = self.answer(ctx, less).map_err(|fail| raise(ctx, exec, &self.bridge, self.from_c, fail))?;
                        exec.fuel().consume(1);
                        if !exec.fuel().should_continue() {
                            // Back to the host, which checks the script's budget.
                            self.paused = Some(need);
                            stack.clear();
                            return Ok(SequencePoll::Pending);
                        }
                        continue;
                    }
                    Ok(Comparison::Call(f)) => f,
                    Err(fail) => return Err(raise(ctx, exec, &self.bridge, self.from_c, fail)),
                },
            };
            stack.replace(ctx, (a, b));
            return Ok(SequencePoll::Call { function, is_tail: false });
        }
    }
}

impl<'gc> Sequence<'gc> for Sort<'gc> {
    fn poll(&mut self, ctx: Context<'gc>, mut exec: Execution<'gc, '_>, mut stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
        let need = match self.paused.take() {
            Some(need) => need,
            None => {
                let less = stack.get(0).to_bool();
                self.answer(ctx, less).map_err(|fail| raise(ctx, &exec, &self.bridge, self.from_c, fail))?
            }
        };
        self.run(ctx, &mut exec, need, &mut stack)
    }
}

/// The outcome of Lua 5.1's `lua_lessthan` on two values.
enum Comparison<'gc> {
    Known(bool),
    /// The `__lt` metamethod to call with the two values.
    Call(Function<'gc>),
}

/// `luaV_lessthan`: numbers, strings (bytewise, as `strcoll` in the C locale), or the `__lt`
/// metamethod both operands share; else `luaG_ordererror`.
fn less_than<'gc>(ctx: Context<'gc>, a: Value<'gc>, b: Value<'gc>) -> Result<Comparison<'gc>, Fail> {
    let (ta, tb) = (type_name(a), type_name(b));
    if ta == tb {
        if let (Some(x), Some(y)) = (number_of(a), number_of(b)) {
            return Ok(Comparison::Known(x < y));
        }
        if let (Value::String(x), Value::String(y)) = (a, b) {
            return Ok(Comparison::Known(x.as_bytes() < y.as_bytes()));
        }
        let lt = |v: Value<'gc>| match v {
            Value::Table(t) => t.metatable().map(|m| m.get(ctx, "__lt")),
            Value::UserData(u) => u.metatable().map(|m| m.get(ctx, "__lt")),
            _ => None,
        };
        if let (Some(Value::Function(f)), Some(Value::Function(g))) = (lt(a), lt(b)) {
            if f == g {
                return Ok(Comparison::Call(f));
            }
        }
    }
    // Lua 5.1 compares the third letters of the type names.
    let msg = if ta.as_bytes()[2] == tb.as_bytes()[2] {
        format!("attempt to compare two {ta} values")
    } else {
        format!("attempt to compare {ta} with {tb}")
    };
    Err(Fail::Plain(msg))
}

fn install_sort<'gc>(ctx: Context<'gc>, table: Table<'gc>, bridge: &SharedBridge) {
    let bridge = bridge.clone();
    let sort = Callback::from_fn(&ctx, move |ctx, mut exec, mut stack| {
        let from_c = called_from_c(&bridge);
        let checked = check_table(&stack, 0, "sort").and_then(|t| match stack.get(1) {
            Value::Nil => Ok((t, None)),
            _ => Ok((t, Some(check_function(&stack, 1, "sort")?))),
        });
        let (t, comparator) = checked.map_err(|fail| raise(ctx, &exec, &bridge, from_c, fail))?;
        let mut sort = Sort {
            table: t,
            comparator,
            pending: Vec::new(),
            step: SortStep::Range,
            l: 1,
            u: t.length(),
            i: 0,
            j: 0,
            x: Value::Nil,
            y: Value::Nil,
            pivot: Value::Nil,
            bridge: bridge.clone(),
            from_c,
            paused: None,
        };
        let need = sort.start_range(ctx);
        match sort.run(ctx, &mut exec, need, &mut stack)? {
            SequencePoll::Return => Ok(CallbackReturn::Return),
            SequencePoll::Call { function, .. } => Ok(CallbackReturn::Call { function, then: Some(BoxSequence::new(&ctx, sort)) }),
            _ => Ok(CallbackReturn::Sequence(BoxSequence::new(&ctx, sort))),
        }
    });
    let _ = table.set(ctx, "sort", sort);
}

// ----- math library -----

/// Redis's `redisLrand48` (rand.c): the 48-bit linear congruential generator of `lrand48`,
/// with its own state.
pub(crate) struct Rand48 {
    x: u64,
}

impl Rand48 {
    const A: u64 = 0x5_DEEC_E66D;
    const C: u64 = 0xB;
    const MASK: u64 = (1 << 48) - 1;
    /// `X0`, `X1`, `X2` of rand.c: the state before any seeding.
    const INITIAL: u64 = 0x1234_ABCD_330E;

    pub(crate) fn new() -> Rand48 {
        Rand48 { x: Self::INITIAL }
    }

    /// `redisSrand48`.
    pub(crate) fn seed(&mut self, seed: i32) {
        self.x = ((seed as u32 as u64) << 16) | 0x330E;
    }

    /// `redisLrand48`: 31 bits.
    pub(crate) fn next(&mut self) -> i32 {
        self.x = (Self::A.wrapping_mul(self.x).wrapping_add(Self::C)) & Self::MASK;
        (self.x >> 17) as i32
    }
}

/// `REDIS_LRAND48_MAX`.
const LRAND48_MAX: f64 = i32::MAX as f64;

/// A math function of one number, and one of two.
type Unary = (&'static str, fn(f64) -> f64);
type Binary = (&'static str, fn(f64, f64) -> f64);

fn math_table<'gc>(ctx: Context<'gc>, bridge: &SharedBridge) -> Table<'gc> {
    let math = Table::new(&ctx);
    let unary: [Unary; 18] = [
        ("abs", f64::abs),
        ("acos", f64::acos),
        ("asin", f64::asin),
        ("atan", f64::atan),
        ("ceil", f64::ceil),
        ("cos", f64::cos),
        ("cosh", f64::cosh),
        ("deg", |x| x * (180.0 / std::f64::consts::PI)),
        ("exp", f64::exp),
        ("floor", f64::floor),
        ("log", f64::ln),
        ("log10", f64::log10),
        ("rad", |x| x * (std::f64::consts::PI / 180.0)),
        ("sin", f64::sin),
        ("sinh", f64::sinh),
        ("sqrt", f64::sqrt),
        ("tan", f64::tan),
        ("tanh", f64::tanh),
    ];
    for (name, op) in unary {
        let f = lib(ctx, bridge, name, move |ctx, stack, name| {
            let x = check_number(stack, 0, name)?;
            stack.replace(ctx, number(op(x)));
            Ok(())
        });
        let _ = math.set(ctx, name, f);
    }
    let binary: [Binary; 4] =
        [("atan2", f64::atan2), ("fmod", c_fmod), ("mod", c_fmod), ("pow", f64::powf)];
    for (name, op) in binary {
        // gcc evaluates the C call's arguments from the last: the second is checked first.
        let f = lib(ctx, bridge, name, move |ctx, stack, name| {
            let y = check_number(stack, 1, name)?;
            let x = check_number(stack, 0, name)?;
            stack.replace(ctx, number(op(x, y)));
            Ok(())
        });
        let _ = math.set(ctx, name, f);
    }
    let _ = math.set(
        ctx,
        "modf",
        lib(ctx, bridge, "modf", |ctx, stack, name| {
            let x = check_number(stack, 0, name)?;
            // C's modf: both parts keep the sign of `x` (`-0` for `modf(-5)`).
            let int = x.trunc();
            let frac = if x.is_infinite() { 0.0 } else { x - int };
            let frac = if frac == 0.0 { 0f64.copysign(x) } else { frac };
            stack.replace(ctx, (number(int), number(frac)));
            Ok(())
        }),
    );
    let _ = math.set(
        ctx,
        "frexp",
        lib(ctx, bridge, "frexp", |ctx, stack, name| {
            let (m, e) = frexp(check_number(stack, 0, name)?);
            stack.replace(ctx, (number(m), e));
            Ok(())
        }),
    );
    let _ = math.set(
        ctx,
        "ldexp",
        lib(ctx, bridge, "ldexp", |ctx, stack, name| {
            let e = check_int(stack, 1, name)?;
            let m = check_number(stack, 0, name)?;
            stack.replace(ctx, number(ldexp(m, e)));
            Ok(())
        }),
    );
    for (name, want_max) in [("max", true), ("min", false)] {
        let f = lib(ctx, bridge, name, move |ctx, stack, name| {
            let mut best = check_number(stack, 0, name)?;
            for i in 1..stack.len() {
                let d = check_number(stack, i, name)?;
                if (want_max && d > best) || (!want_max && d < best) {
                    best = d;
                }
            }
            stack.replace(ctx, number(best));
            Ok(())
        });
        let _ = math.set(ctx, name, f);
    }
    let _ = math.set(ctx, "pi", Value::Number(std::f64::consts::PI));
    let _ = math.set(ctx, "huge", Value::Number(f64::INFINITY));

    let rand = Rc::new(RefCell::new(Rand48::new()));
    {
        let rand = rand.clone();
        let random = lib(ctx, bridge, "random", move |ctx, stack, name| {
            let r = (rand.borrow_mut().next() as f64 % LRAND48_MAX) / LRAND48_MAX;
            let out = match stack.len() {
                0 => r,
                1 => {
                    let u = check_int(stack, 0, name)?;
                    if u < 1 {
                        return Err(arg_error(0, name, "interval is empty"));
                    }
                    (r * u as f64).floor() + 1.0
                }
                2 => {
                    let l = check_int(stack, 0, name)?;
                    let u = check_int(stack, 1, name)?;
                    if l > u {
                        return Err(arg_error(1, name, "interval is empty"));
                    }
                    // `u - l + 1` in C ints (it wraps for the widest intervals).
                    let width = (u as i32).wrapping_sub(l as i32).wrapping_add(1);
                    (r * width as f64).floor() + l as f64
                }
                _ => return Err(Fail::Where("wrong number of arguments".to_string())),
            };
            stack.replace(ctx, number(out));
            Ok(())
        });
        let _ = math.set(ctx, "random", random);
    }
    let randomseed = lib(ctx, bridge, "randomseed", move |_ctx, stack, name| {
        let seed = check_int(stack, 0, name)?;
        rand.borrow_mut().seed(seed as i32);
        stack.clear();
        Ok(())
    });
    let _ = math.set(ctx, "randomseed", randomseed);
    math
}

/// C's `fmod`: the remainder with the sign of `x`.
fn c_fmod(x: f64, y: f64) -> f64 {
    x % y
}

/// C's `frexp`: `x = m * 2^e` with `0.5 <= |m| < 1` (0, infinities and NaN as they are, e 0).
fn frexp(x: f64) -> (f64, i64) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let bits = x.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i64;
    if exp_bits == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(x * 2f64.powi(64));
        return (m, e - 64);
    }
    let e = exp_bits - 1022;
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, e)
}

/// C's `ldexp`: `m * 2^e`, in steps that stay representable.
fn ldexp(m: f64, e: i64) -> f64 {
    let mut x = m;
    let mut e = e.clamp(-2200, 2200);
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
    }
    x * 2f64.powi(e as i32)
}

// ----- coroutine library -----

/// `coroutine.create`'s new coroutine for the function in argument 1.
fn new_thread<'gc>(ctx: Context<'gc>, stack: &Stack<'gc, '_>, name: &str) -> Result<Thread<'gc>, Fail> {
    match stack.get(0) {
        Value::Function(f @ Function::Closure(_)) => {
            let thread = Thread::new(ctx);
            thread.start_suspended(&ctx, f).map_err(|_| arg_error(0, name, "Lua function expected"))?;
            Ok(thread)
        }
        _ => Err(arg_error(0, name, "Lua function expected")),
    }
}

/// `costatus`: how Lua 5.1 names a coroutine's state, seen from the running code.
fn coroutine_status<'gc>(thread: Thread<'gc>, current: Thread<'gc>) -> &'static str {
    if thread == current {
        return "running";
    }
    match thread.mode() {
        ThreadMode::Suspended => "suspended",
        ThreadMode::Normal | ThreadMode::Waiting | ThreadMode::Running => "normal",
        ThreadMode::Stopped | ThreadMode::Result => "dead",
    }
}

/// What a resumed coroutine's results become: `resume`'s `true, ...` / `false, err`, or
/// `wrap`'s results / propagated error.
#[derive(Collect)]
#[collect(require_static)]
struct Resumed {
    bridge: SharedBridge,
    /// `coroutine.wrap`: errors propagate (strings get the caller's position).
    wrapped: bool,
    from_c: bool,
}

impl<'gc> Sequence<'gc> for Resumed {
    fn poll(&mut self, _ctx: Context<'gc>, _exec: Execution<'gc, '_>, mut stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
        if !self.wrapped {
            stack.push_front(Value::Boolean(true));
        }
        Ok(SequencePoll::Return)
    }

    fn error(&mut self, ctx: Context<'gc>, exec: Execution<'gc, '_>, error: Error<'gc>, mut stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
        let value = error_value(ctx, &self.bridge, error);
        if !self.wrapped {
            stack.replace(ctx, (false, value));
            return Ok(SequencePoll::Return);
        }
        Err(wrap_error(ctx, &exec, &self.bridge, self.from_c, value))
    }
}

/// `luaB_auxwrap`'s error: a string (or number) gets the caller's position in front.
fn wrap_error<'gc>(ctx: Context<'gc>, exec: &Execution, bridge: &SharedBridge, from_c: bool, value: Value<'gc>) -> Error<'gc> {
    let text = match value {
        Value::String(s) => s.to_str_lossy().into_owned(),
        Value::Integer(n) => number_text(n as f64),
        Value::Number(n) => number_text(n),
        other => {
            record_error_line(exec, bridge);
            return Error::from_value(other);
        }
    };
    raise(ctx, exec, bridge, from_c, Fail::Where(text))
}

/// Resumes `thread` with the arguments in the stack, or says why it cannot be resumed.
fn resume<'gc>(ctx: Context<'gc>, exec: &Execution<'gc, '_>, thread: Thread<'gc>, seq: Resumed) -> Result<CallbackReturn<'gc>, String> {
    let status = coroutine_status(thread, exec.current_thread().thread);
    if status != "suspended" {
        return Err(format!("cannot resume {status} coroutine"));
    }
    Ok(CallbackReturn::Resume { thread, then: Some(BoxSequence::new(&ctx, seq)) })
}

fn coroutine_table<'gc>(ctx: Context<'gc>, bridge: &SharedBridge) -> Table<'gc> {
    let co = Table::new(&ctx);
    let _ = co.set(
        ctx,
        "create",
        lib(ctx, bridge, "create", |ctx, stack, name| {
            let thread = new_thread(ctx, stack, name)?;
            stack.replace(ctx, thread);
            Ok(())
        }),
    );
    {
        let bridge = bridge.clone();
        let resume_fn = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
            let from_c = called_from_c(&bridge);
            let Value::Thread(thread) = stack.get(0) else {
                return Err(raise(ctx, &exec, &bridge, from_c, arg_error(0, "resume", "coroutine expected")));
            };
            stack.pop_front();
            match resume(ctx, &exec, thread, Resumed { bridge: bridge.clone(), wrapped: false, from_c }) {
                Ok(ret) => Ok(ret),
                Err(msg) => {
                    stack.replace(ctx, (false, ctx.intern(msg.as_bytes())));
                    Ok(CallbackReturn::Return)
                }
            }
        });
        let _ = co.set(ctx, "resume", resume_fn);
    }
    {
        let bridge = bridge.clone();
        let wrap = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
            let from_c = called_from_c(&bridge);
            let thread = new_thread(ctx, &stack, "wrap").map_err(|fail| raise(ctx, &exec, &bridge, from_c, fail))?;
            let bridge = bridge.clone();
            let f = Callback::from_fn_with(&ctx, thread, move |thread, ctx, exec, mut stack| {
                let from_c = called_from_c(&bridge);
                match resume(ctx, &exec, *thread, Resumed { bridge: bridge.clone(), wrapped: true, from_c }) {
                    Ok(ret) => Ok(ret),
                    Err(msg) => {
                        stack.clear();
                        Err(raise(ctx, &exec, &bridge, from_c, Fail::Where(msg)))
                    }
                }
            });
            stack.replace(ctx, f);
            Ok(CallbackReturn::Return)
        });
        let _ = co.set(ctx, "wrap", wrap);
    }
    {
        let bridge = bridge.clone();
        let status = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
            let from_c = called_from_c(&bridge);
            let Value::Thread(thread) = stack.get(0) else {
                return Err(raise(ctx, &exec, &bridge, from_c, arg_error(0, "status", "coroutine expected")));
            };
            let s = coroutine_status(thread, exec.current_thread().thread);
            stack.replace(ctx, s);
            Ok(CallbackReturn::Return)
        });
        let _ = co.set(ctx, "status", status);
    }
    let running = Callback::from_fn(&ctx, |ctx, exec, mut stack| {
        let current = exec.current_thread();
        // The main thread is not a coroutine: Lua 5.1 returns nil there.
        if current.is_main {
            stack.replace(ctx, Value::Nil);
        } else {
            stack.replace(ctx, current.thread);
        }
        Ok(CallbackReturn::Return)
    });
    let _ = co.set(ctx, "running", running);
    {
        let bridge = bridge.clone();
        let yield_fn = Callback::from_fn(&ctx, move |ctx, exec, _stack| {
            let from_c = called_from_c(&bridge);
            // Lua 5.1 cannot yield from the main thread, nor across a C function (`pcall`).
            if exec.current_thread().is_main || from_c {
                let msg = "attempt to yield across metamethod/C-call boundary".to_string();
                return Err(raise(ctx, &exec, &bridge, from_c, Fail::Plain(msg)));
            }
            Ok(CallbackReturn::Yield { to_thread: None, then: None })
        });
        let _ = co.set(ctx, "yield", yield_fn);
    }
    co
}

/// The metatable `getmetatable` returns for strings (`{__index = string}`).
fn install_string_meta<'gc>(ctx: Context<'gc>, globals: Table<'gc>) {
    let _ = globals.set(ctx, STRING_META, Table::new(&ctx));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::engine::{ClientInfo, Engine};

    fn eval(e: &mut Engine, script: &str) -> Reply {
        let c = e.connect(ClientInfo::default());
        e.execute(c, &[b"EVAL".to_vec(), script.as_bytes().to_vec(), b"0".to_vec()])
    }

    #[test]
    fn a_long_sort_yields_to_the_host_and_finishes() {
        let mut e = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 1);
        let r = eval(
            &mut e,
            "local t = {} for i = 1, 50000 do t[i] = (i * 7919) % 50021 end table.sort(t) \
             for i = 2, #t do if t[i - 1] > t[i] then return 0 end end return #t",
        );
        assert_eq!(r, Reply::Integer(50000));
    }

    #[test]
    fn runaway_library_calls_are_stopped() {
        let mut e = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 1);
        e.set_script_fuel(300_000);
        for script in [
            "local t = {} for i = 1, 100000 do t[i] = -i end while true do table.sort(t) end",
            "table.sort({3, 2, 1}, function(a, b) while true do end end)",
            "table.foreachi({1, 2}, function() while true do end end)",
            "local f = coroutine.wrap(function() while true do coroutine.yield() end end) while true do f() end",
            "xpcall(function() error('x') end, function() while true do end end)",
        ] {
            assert!(eval(&mut e, script).is_error(), "{script}");
        }
        assert_eq!(eval(&mut e, "return 1"), Reply::Integer(1));
    }

    #[test]
    fn rand48_matches_lrand48() {
        // glibc: srand48(0) then lrand48() gives 366850414, 1610402031.
        let mut r = Rand48::new();
        r.seed(0);
        assert_eq!(r.next(), 366_850_414);
    }

    #[test]
    fn chunk_ids_are_shortened_as_lua_does() {
        assert_eq!(chunk_id(b"return 1", 60), "[string \"return 1\"]");
        assert_eq!(chunk_id(b"=abc", 60), "abc");
        assert_eq!(chunk_id(b"@abc", 60), "abc");
        assert_eq!(chunk_id(b"a\nb", 60), "[string \"a...\"]");
        assert_eq!(chunk_id(&[b'a'; 100], 80), format!("[string \"{}...\"]", "a".repeat(63)));
    }

    #[test]
    fn argument_errors_from_c_name_no_function() {
        assert_eq!(unnamed_function("bad argument #1 to 'floor' (number expected, got no value)"), "bad argument #1 to '?' (number expected, got no value)");
        assert_eq!(unnamed_function("wrong number of arguments"), "wrong number of arguments");
    }

    #[test]
    fn frexp_and_ldexp() {
        assert_eq!(frexp(8.0), (0.5, 4));
        assert_eq!(frexp(-3.0), (-0.75, 2));
        assert_eq!(ldexp(0.5, 4), 8.0);
        assert_eq!(c_int(2.7), 2);
        assert_eq!(c_int(-2.7), -2);
        assert_eq!(c_int(2f64.powi(40)), 0);
        assert_eq!(c_int(f64::NAN), 0);
    }
}
