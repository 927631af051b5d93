//! The `redis` table (script_lua.c's `luaRegisterRedisAPI`) and Redis's versions of the base
//! functions whose behaviour scripts see: `error` (with Lua 5.1's position prefix) and
//! `pcall` (errors as strings or tables, as Lua 5.1 gives them).

use piccolo::{
    BoxSequence, Callback, CallbackReturn, Context, Error, Execution, IntoValue, Sequence, SequencePoll, Stack, Table, Value,
};

use super::convert;
use super::stdlib;
use super::sandbox::{positioned, record_error_line};
use super::{Mode, SharedBridge};
use crate::engine::{ClientId, Engine};
use crate::reply::{Protocol, Reply};
use crate::table::{self, flag};

/// REDIS_VERSION_NUM of 7.0.15: 0x00070f.
const VERSION_NUM: i64 = (7 << 16) | 15;

fn raise<'gc>(ctx: Context<'gc>, text: String) -> Error<'gc> {
    Error::from_value(text.into_value(ctx))
}

/// An error raised as Redis's API functions raise theirs (luaPushError + luaError): a
/// table `{err = 'ERR msg'}`, whose position is where the script called the function.
fn raise_table<'gc>(ctx: Context<'gc>, exec: &Execution, bridge: &SharedBridge, msg: &str) -> Error<'gc> {
    record_error_line(exec, bridge);
    Error::from_value(error_table(ctx, &format!("ERR {msg}")).into())
}

/// Redis's `luaPushErrorBuff`: `-CODE msg` keeps its code, a bare message gets `ERR`.
pub(crate) fn error_text(raw: &[u8]) -> String {
    let raw = String::from_utf8_lossy(raw);
    let (code, msg) = match raw.strip_prefix('-') {
        Some(rest) => match rest.split_once(' ') {
            Some((code, msg)) => (code.to_string(), msg.to_string()),
            None => ("ERR".to_string(), rest.to_string()),
        },
        None => ("ERR".to_string(), raw.to_string()),
    };
    format!("{code} {}", msg.trim_matches(|c| c == '\r' || c == '\n'))
}

/// A table `{err = text}`.
pub(crate) fn error_table<'gc>(ctx: Context<'gc>, text: &str) -> Table<'gc> {
    let t = Table::new(&ctx);
    let _ = t.set(ctx, "err", ctx.intern(text.as_bytes()));
    t
}

/// The line of the script calling a callback, remembered as the latest known position.
fn note_line(exec: &Execution, bridge: &SharedBridge) {
    if let Some(f) = exec.upper_lua_frame() {
        bridge.borrow_mut().last_line = Some(f.current_line.0 + 1);
    }
}

/// The `redis` table.
pub(crate) fn redis_table<'gc>(ctx: Context<'gc>, bridge: &SharedBridge) -> Table<'gc> {
    let redis = Table::new(&ctx);
    for (name, raise_errors) in [("call", true), ("pcall", false)] {
        let bridge = bridge.clone();
        let f = Callback::from_fn(&ctx, move |ctx, mut exec, mut stack| {
            note_line(&exec, &bridge);
            let argv = match command_argv(&stack) {
                Ok(argv) => argv,
                Err(msg) => {
                    let t = error_table(ctx, &format!("ERR {msg}"));
                    if raise_errors {
                        record_error_line(&exec, &bridge);
                        return Err(Error::from_value(t.into()));
                    }
                    stack.replace(ctx, t);
                    return Ok(CallbackReturn::Return);
                }
            };
            stack.clear();
            bridge.borrow_mut().request = Some(argv);
            // Back to the host, which runs the command and resumes the script.
            exec.fuel().interrupt();
            Ok(CallbackReturn::Sequence(BoxSequence::new(&ctx, AwaitReply { bridge: bridge.clone(), raise_errors })))
        });
        let _ = redis.set(ctx, name, f);
    }

    let _ = redis.set(
        ctx,
        "error_reply",
        Callback::from_fn(&ctx, |ctx, _exec, mut stack| {
            let t = match (stack.len(), stack.get(0)) {
                (1, Value::String(s)) => error_table(ctx, &error_text(s.as_bytes())),
                _ => error_table(ctx, "ERR wrong number or type of arguments"),
            };
            stack.replace(ctx, t);
            Ok(CallbackReturn::Return)
        }),
    );
    let _ = redis.set(
        ctx,
        "status_reply",
        Callback::from_fn(&ctx, |ctx, _exec, mut stack| {
            let t = match (stack.len(), stack.get(0)) {
                (1, Value::String(s)) => {
                    let t = Table::new(&ctx);
                    let _ = t.set(ctx, "ok", s);
                    t
                }
                _ => error_table(ctx, "ERR wrong number or type of arguments"),
            };
            stack.replace(ctx, t);
            Ok(CallbackReturn::Return)
        }),
    );
    {
        let bridge = bridge.clone();
        let _ = redis.set(
            ctx,
            "sha1hex",
            Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
                let bytes = match (stack.len(), convert::as_string_bytes(stack.get(0))) {
                    (1, Some(b)) => b,
                    _ => return Err(raise_table(ctx, &exec, &bridge, "wrong number of arguments")),
                };
                stack.replace(ctx, ctx.intern(super::sha1_hex(&bytes).as_bytes()));
                Ok(CallbackReturn::Return)
            }),
        );
    }
    {
        let bridge = bridge.clone();
        let _ = redis.set(
            ctx,
            "log",
            Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
                if stack.len() < 2 {
                    return Err(raise_table(ctx, &exec, &bridge, "redis.log() requires two arguments or more."));
                }
                let level = match convert::as_number(stack.get(0)) {
                    Some(n) => n as i64,
                    None => return Err(raise_table(ctx, &exec, &bridge, "First argument must be a number (log level).")),
                };
                if !(0..=3).contains(&level) {
                    return Err(raise_table(ctx, &exec, &bridge, "Invalid debug level."));
                }
                let mut parts = Vec::new();
                for i in 1..stack.len() {
                    if let Some(b) = convert::as_string_bytes(stack.get(i)) {
                        parts.push(String::from_utf8_lossy(&b).into_owned());
                    }
                }
                bridge.borrow_mut().log.push((level, parts.join(" ")));
                stack.clear();
                Ok(CallbackReturn::Return)
            }),
        );
    }
    {
        let bridge = bridge.clone();
        let _ = redis.set(
            ctx,
            "setresp",
            Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
                if stack.len() != 1 {
                    return Err(raise_table(ctx, &exec, &bridge, "redis.setresp() requires one argument."));
                }
                match convert::as_number(stack.get(0)).map(|n| n as i64) {
                    Some(v @ (2 | 3)) => bridge.borrow_mut().resp = v as u8,
                    _ => {
                        let t = error_table(ctx, "ERR RESP version must be 2 or 3.");
                        record_error_line(&exec, &bridge);
                        return Err(Error::from_value(t.into()));
                    }
                }
                stack.clear();
                Ok(CallbackReturn::Return)
            }),
        );
    }
    // Replication is always "commands" in 7.0: accepted, nothing to do.
    let _ = redis.set(
        ctx,
        "set_repl",
        Callback::from_fn(&ctx, |_ctx, _exec, mut stack| {
            stack.clear();
            Ok(CallbackReturn::Return)
        }),
    );
    let _ = redis.set(
        ctx,
        "replicate_commands",
        Callback::from_fn(&ctx, |ctx, _exec, mut stack| {
            stack.replace(ctx, true);
            Ok(CallbackReturn::Return)
        }),
    );
    // The debugger's entry points: the emulator has no debugger, as a server whose client
    // did not start a debugging session (`redis.breakpoint()` is false, `redis.debug` is
    // silent).
    let _ = redis.set(
        ctx,
        "breakpoint",
        Callback::from_fn(&ctx, |ctx, _exec, mut stack| {
            stack.replace(ctx, false);
            Ok(CallbackReturn::Return)
        }),
    );
    let _ = redis.set(
        ctx,
        "debug",
        Callback::from_fn(&ctx, |_ctx, _exec, mut stack| {
            stack.clear();
            Ok(CallbackReturn::Return)
        }),
    );
    {
        // The emulator's only user is `default`, allowed every command.
        let bridge = bridge.clone();
        let _ = redis.set(
            ctx,
            "acl_check_cmd",
            Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
                let argv = command_argv(&stack).map_err(|msg| raise_table(ctx, &exec, &bridge, msg))?;
                if table::lookup(&argv[0]).is_none() {
                    return Err(raise_table(ctx, &exec, &bridge, "Invalid command passed to redis.acl_check_cmd()"));
                }
                stack.replace(ctx, true);
                Ok(CallbackReturn::Return)
            }),
        );
    }
    for (name, v) in [
        ("LOG_DEBUG", 0),
        ("LOG_VERBOSE", 1),
        ("LOG_NOTICE", 2),
        ("LOG_WARNING", 3),
        ("REPL_NONE", 0),
        ("REPL_AOF", 1),
        ("REPL_SLAVE", 2),
        ("REPL_REPLICA", 2),
        ("REPL_ALL", 3),
        ("REDIS_VERSION_NUM", VERSION_NUM),
    ] {
        let _ = redis.set(ctx, name, v);
    }
    let _ = redis.set(ctx, "REDIS_VERSION", crate::engine::REDIS_VERSION);
    redis
}

/// The arguments of `redis.call` as an argument vector (luaArgsToRedisArgv): strings as
/// they are, numbers with `%.17g`, anything else refused.
fn command_argv(stack: &Stack) -> Result<Vec<Vec<u8>>, &'static str> {
    if stack.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    let mut argv = Vec::with_capacity(stack.len());
    for i in 0..stack.len() {
        match stack.get(i) {
            Value::String(s) => argv.push(s.as_bytes().to_vec()),
            Value::Integer(n) => argv.push(n.to_string().into_bytes()),
            Value::Number(n) => argv.push(crate::fmt::fmt_g(n, 17).into_bytes()),
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(argv)
}

/// Waits for the host's reply to a `redis.call`, then returns it converted (or raises it).
#[derive(gc_arena::Collect)]
#[collect(require_static)]
struct AwaitReply {
    bridge: SharedBridge,
    raise_errors: bool,
}

impl<'gc> Sequence<'gc> for AwaitReply {
    fn poll(&mut self, ctx: Context<'gc>, mut exec: Execution<'gc, '_>, mut stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
        let Some(reply) = self.bridge.borrow_mut().response.take() else {
            // The host has not run the command yet: give control back to it.
            exec.fuel().interrupt();
            return Ok(SequencePoll::Pending);
        };
        if let Reply::Error(text) = &reply {
            // The reply buffer starts with `-` in Redis, so the code is kept.
            let t = error_table(ctx, &error_text(format!("-{text}").as_bytes()));
            if self.raise_errors {
                record_error_line(&exec, &self.bridge);
                return Err(Error::from_value(t.into()));
            }
            stack.replace(ctx, t);
            return Ok(SequencePoll::Return);
        }
        let resp = self.bridge.borrow().resp;
        let value = convert::reply_to_lua(ctx, reply, resp);
        stack.replace(ctx, value);
        Ok(SequencePoll::Return)
    }
}

/// Runs one command of a script for `client` (scriptCall): Redis's checks with their
/// script texts, then the command with the script's protocol.
pub(crate) fn run_command(engine: &mut Engine, client: ClientId, argv: &[Vec<u8>], mode: Mode, resp: u8) -> Reply {
    let unknown = || Reply::error("ERR Unknown Redis command called from script");
    let wrong_arity = || Reply::error("ERR Wrong number of args calling Redis command from script");
    let Some(spec) = table::lookup(&argv[0]) else { return unknown() };
    let spec = if !spec.subcommands.is_empty() && argv.len() >= 2 {
        match spec.find_subcommand(&argv[1]) {
            Some(sub) => sub,
            None => return unknown(),
        }
    } else {
        spec
    };
    if !spec.arity_ok(argv.len()) {
        return wrong_arity();
    }
    if spec.has(flag::NOSCRIPT) {
        return Reply::error("ERR This Redis command is not allowed from script");
    }
    if mode == Mode::ReadOnly && spec.has(flag::WRITE) {
        return Reply::error("ERR Write commands are not allowed from read-only scripts.");
    }
    let protocol = if resp == 3 { Protocol::Resp3 } else { Protocol::Resp2 };
    let saved = engine.clients.get(&client).map(|c| c.protocol);
    if let Some(c) = engine.clients.get_mut(&client) {
        c.protocol = protocol;
    }
    let reply = engine.execute_now(client, argv);
    if let (Some(c), Some(p)) = (engine.clients.get_mut(&client), saved) {
        c.protocol = p;
    }
    reply.for_protocol(protocol)
}

/// Redis's `error` (Lua 5.1's luaB_error): a string or number message gets the position of
/// the caller at level 1; other values are raised as they are.
/// Redis's `pcall`: a caught error is returned as Lua 5.1 would give it (a string with its
/// position, or the raised value).
pub(crate) fn install_base<'gc>(ctx: Context<'gc>, globals: Table<'gc>, bridge: &SharedBridge) {
    {
        let bridge = bridge.clone();
        let error = Callback::from_fn(&ctx, move |ctx, exec, stack| {
            let value = stack.get(0);
            let level = match stack.get(1) {
                Value::Nil => 1,
                v => convert::as_number(v).map(|n| n as i64).unwrap_or(1),
            };
            note_line(&exec, &bridge);
            let called_by_pcall = std::mem::take(&mut bridge.borrow_mut().called_by_pcall);
            match value {
                Value::String(_) | Value::Integer(_) | Value::Number(_) if level > 0 && called_by_pcall => {
                    record_error_line(&exec, &bridge);
                    Err(Error::from_value(value))
                }
                Value::String(_) | Value::Integer(_) | Value::Number(_) if level > 0 => {
                    let text = convert::as_string_bytes(value).unwrap_or_default();
                    let text = String::from_utf8_lossy(&text).into_owned();
                    Err(raise(ctx, positioned(&exec, &bridge, &text)))
                }
                v => {
                    record_error_line(&exec, &bridge);
                    Err(Error::from_value(v))
                }
            }
        });
        let _ = globals.set(ctx, "error", error);
    }
    {
        let bridge = bridge.clone();
        let pcall = Callback::from_fn(&ctx, move |ctx, _exec, mut stack| {
            let function = match stack.get(0) {
                Value::Function(f) => f,
                other => {
                    // Lua 5.1: pcall(nil) returns false and the error.
                    let msg = format!("attempt to call a {} value", other.type_name());
                    stack.clear();
                    stack.push_back(Value::Boolean(false));
                    stack.push_back(ctx.intern(msg.as_bytes()).into());
                    return Ok(CallbackReturn::Return);
                }
            };
            stack.pop_front();
            bridge.borrow_mut().called_by_pcall = matches!(function, piccolo::Function::Callback(_));
            Ok(CallbackReturn::Call { function, then: Some(BoxSequence::new(&ctx, PCall { bridge: bridge.clone() })) })
        });
        let _ = globals.set(ctx, "pcall", pcall);
    }
    {
        // The error handler Redis 7.0 installs as a global (eval.c): an error as a table
        // `{err=, source=, line=}` (scripts can call it too).
        let bridge = bridge.clone();
        let handler = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
            let t = match stack.get(0) {
                Value::Table(t) => t,
                v => {
                    let text = match v {
                        Value::Boolean(b) => b.to_string().into_bytes(),
                        v => convert::as_string_bytes(v).unwrap_or_else(|| v.type_name().as_bytes().to_vec()),
                    };
                    error_table(ctx, &format!("ERR {}", String::from_utf8_lossy(&text)))
                }
            };
            let line = exec.upper_lua_frame().map(|f| f.current_line.0 + 1).or(bridge.borrow().default_line);
            let _ = t.set(ctx, "source", ctx.intern(format!("@{}", super::CHUNK).as_bytes()));
            if let Some(line) = line {
                let _ = t.set(ctx, "line", line as i64);
            }
            stack.replace(ctx, t);
            Ok(CallbackReturn::Return)
        });
        let _ = globals.set(ctx, "__redis__err__handler", handler);
    }
}

/// Lua 5.1's `tostring` of a number: `%.14g` (integral values print without a fraction).
pub(crate) fn number_text(n: f64) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if n.is_infinite() {
        return if n > 0.0 { "inf".into() } else { "-inf".into() };
    }
    crate::fmt::fmt_g(n, 14)
}

/// C's `strtoul(text, &end, base)` followed by Lua 5.1's check that only spaces follow:
/// leading spaces, a sign (a negative value wraps), `0x` for base 16, saturating at
/// ULONG_MAX.
fn strtoul_whole(text: &[u8], base: u32) -> Option<f64> {
    let is_space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    let text = text.split(|&b| b == 0).next().unwrap_or_default();
    let mut rest = &text[text.iter().position(|c| !is_space(c))?..];
    let negative = rest.first() == Some(&b'-');
    if matches!(rest.first(), Some(b'-' | b'+')) {
        rest = &rest[1..];
    }
    if base == 16 && rest.len() > 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' && rest[2].is_ascii_hexdigit() {
        rest = &rest[2..];
    }
    let digits = rest.iter().take_while(|&&c| (c as char).is_digit(base)).count();
    if digits == 0 || !rest[digits..].iter().all(is_space) {
        return None;
    }
    let mut n: u64 = 0;
    for &c in &rest[..digits] {
        let d = (c as char).to_digit(base).unwrap_or(0) as u64;
        n = match n.checked_mul(base as u64).and_then(|n| n.checked_add(d)) {
            Some(v) => v,
            None => return Some(u64::MAX as f64),
        };
    }
    Some(if negative { n.wrapping_neg() as f64 } else { n as f64 })
}

/// The parts of Lua 5.1's base and table libraries piccolo lacks or words differently:
/// `tostring` (numbers with `%.14g`), `tonumber`, `unpack`, `table.concat`, `table.getn`,
/// `string.rep`, `string.byte`, `string.char`.
pub(crate) fn install_lua51<'gc>(ctx: Context<'gc>, globals: Table<'gc>, bridge: &SharedBridge) {
    if let Value::Function(original) = globals.get(ctx, "tostring") {
        let bridge = bridge.clone();
        let f = Callback::from_fn_with(&ctx, original, move |original, ctx, exec, mut stack| {
            let v = stack.get(0);
            let has_tostring = match v {
                Value::Table(t) => t.metatable().is_some_and(|m| !m.get(ctx, "__tostring").is_nil()),
                Value::UserData(u) => u.metatable().is_some_and(|m| !m.get(ctx, "__tostring").is_nil()),
                _ => false,
            };
            let text = match v {
                _ if stack.is_empty() => {
                    let msg = "bad argument #1 to 'tostring' (value expected)";
                    return Err(raise(ctx, positioned(&exec, &bridge, msg)));
                }
                Value::Integer(n) => number_text(n as f64),
                Value::Number(n) => number_text(n),
                Value::UserData(u) if u.is_static::<super::lib::JsonNull>() => super::lib::NULL_TEXT.to_string(),
                _ if has_tostring => return Ok(CallbackReturn::Call { function: *original, then: None }),
                other => match stdlib::address_text(other) {
                    Some(text) => text,
                    None => return Ok(CallbackReturn::Call { function: *original, then: None }),
                },
            };
            stack.replace(ctx, ctx.intern(text.as_bytes()));
            Ok(CallbackReturn::Return)
        });
        let _ = globals.set(ctx, "tostring", f);
    }
    let tonumber = stdlib::lib(ctx, bridge, "tonumber", |ctx, stack, name| {
        let base = stdlib::opt_int(stack, 1, name, 10)?;
        let out = if base == 10 {
            stdlib::check_any(stack, 0, name)?;
            stdlib::to_number(stack.get(0))
        } else {
            let text = stdlib::check_string(stack, 0, name)?;
            if !(2..=36).contains(&base) {
                return Err(stdlib::arg_error(1, name, "base out of range"));
            }
            strtoul_whole(&text, base as u32)
        };
        stack.replace(ctx, out.map_or(Value::Nil, stdlib::number));
        Ok(())
    });
    let _ = globals.set(ctx, "tonumber", tonumber);
    let unpack = stdlib::lib(ctx, bridge, "unpack", |ctx, stack, name| {
        let t = stdlib::check_table(stack, 0, name)?;
        let i = stdlib::opt_int(stack, 1, name, 1)?;
        let j = match stack.get(2) {
            Value::Nil => t.length(),
            _ => stdlib::check_int(stack, 2, name)?,
        };
        let args = stack.len() as i64;
        stack.clear();
        if i > j {
            return Ok(());
        }
        // `lua_checkstack`: the arguments and the results within LUAI_MAXCSTACK (8000).
        if j - i + 1 + args > 8000 {
            return Err(stdlib::Fail::Where("too many results to unpack".to_string()));
        }
        for k in i..=j {
            stack.push_back(t.get(ctx, k));
        }
        Ok(())
    });
    let _ = globals.set(ctx, "unpack", unpack);
    if let Value::Table(string) = globals.get(ctx, "string") {
        install_string(ctx, string, bridge);
    }
    if let Value::Table(table) = globals.get(ctx, "table") {
        let concat = stdlib::lib(ctx, bridge, "concat", |ctx, stack, name| {
            let sep = match stack.get(1) {
                Value::Nil => Vec::new(),
                _ => stdlib::check_string(stack, 1, name)?,
            };
            let t = stdlib::check_table(stack, 0, name)?;
            let i = stdlib::opt_int(stack, 2, name, 1)?;
            let j = match stack.get(3) {
                Value::Nil => t.length(),
                _ => stdlib::check_int(stack, 3, name)?,
            };
            let mut out = Vec::new();
            let mut k = i;
            while k <= j {
                let item = t.get(ctx, k);
                match super::convert::as_string_bytes(item) {
                    Some(b) => out.extend_from_slice(&b),
                    None => {
                        let msg = format!("invalid value ({}) at index {k} in table for 'concat'", super::ops::type_name(item));
                        return Err(stdlib::Fail::Where(msg));
                    }
                }
                if k < j {
                    out.extend_from_slice(&sep);
                }
                k += 1;
            }
            stack.replace(ctx, ctx.intern(&out));
            Ok(())
        });
        let _ = table.set(ctx, "concat", concat);
        let getn = stdlib::lib(ctx, bridge, "getn", |ctx, stack, name| {
            let t = stdlib::check_table(stack, 0, name)?;
            stack.replace(ctx, t.length());
            Ok(())
        });
        let _ = table.set(ctx, "getn", getn);
    }
}

/// Lua 5.1's `string.rep`, `string.byte` and `string.char` (piccolo has none of them).
fn install_string<'gc>(ctx: Context<'gc>, string: Table<'gc>, bridge: &SharedBridge) {
    /// A string made bigger than this by `string.rep` is refused: a browser tab must survive.
    const MAX_REP: usize = 64 * 1024 * 1024;
    {
        let bridge = bridge.clone();
        let rep = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
            let Some(text) = super::convert::as_string_bytes(stack.get(0)) else {
                let msg = format!("bad argument #1 to 'rep' (string expected, got {})", no_value(stack.get(0), stack.len()));
                return Err(raise(ctx, positioned(&exec, &bridge, &msg)));
            };
            let Some(n) = super::convert::as_number(stack.get(1)) else {
                let msg = format!("bad argument #2 to 'rep' (number expected, got {})", no_value(stack.get(1), stack.len().saturating_sub(1)));
                return Err(raise(ctx, positioned(&exec, &bridge, &msg)));
            };
            let n = if n > 0.0 { n as usize } else { 0 };
            if text.len().saturating_mul(n) > MAX_REP {
                return Err(raise(ctx, positioned(&exec, &bridge, "not enough memory")));
            }
            stack.replace(ctx, ctx.intern(&text.repeat(n)));
            Ok(CallbackReturn::Return)
        });
        let _ = string.set(ctx, "rep", rep);
    }
    {
        let bridge = bridge.clone();
        let byte = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
            let Some(text) = super::convert::as_string_bytes(stack.get(0)) else {
                let msg = format!("bad argument #1 to 'byte' (string expected, got {})", no_value(stack.get(0), stack.len()));
                return Err(raise(ctx, positioned(&exec, &bridge, &msg)));
            };
            let len = text.len() as i64;
            // Lua 5.1's posrelat: negative positions count from the end.
            let rel = |p: i64| if p < 0 { len + p + 1 } else { p };
            let i = rel(super::convert::as_number(stack.get(1)).map(|n| n as i64).unwrap_or(1));
            let j = match stack.get(2) {
                Value::Nil => i,
                v => rel(super::convert::as_number(v).map(|n| n as i64).unwrap_or(i)),
            };
            let i = i.max(1);
            let j = j.min(len);
            stack.clear();
            let mut k = i;
            while k <= j {
                stack.push_back(Value::Integer(text[(k - 1) as usize] as i64));
                k += 1;
            }
            Ok(CallbackReturn::Return)
        });
        let _ = string.set(ctx, "byte", byte);
    }
    {
        let bridge = bridge.clone();
        let chr = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
            let mut out = Vec::with_capacity(stack.len());
            for k in 0..stack.len() {
                match super::convert::as_number(stack.get(k)) {
                    Some(c) if (0.0..256.0).contains(&c) => out.push(c as u8),
                    Some(_) => {
                        let msg = format!("bad argument #{} to 'char' (invalid value)", k + 1);
                        return Err(raise(ctx, positioned(&exec, &bridge, &msg)));
                    }
                    None => {
                        let msg = format!("bad argument #{} to 'char' (number expected, got {})", k + 1, stack.get(k).type_name());
                        return Err(raise(ctx, positioned(&exec, &bridge, &msg)));
                    }
                }
            }
            stack.replace(ctx, ctx.intern(&out));
            Ok(CallbackReturn::Return)
        });
        let _ = string.set(ctx, "char", chr);
    }
}

/// How Lua names a missing or wrong argument's type: `no value` when absent.
fn no_value(v: Value, len: usize) -> &'static str {
    if len == 0 {
        "no value"
    } else {
        v.type_name()
    }
}

#[derive(gc_arena::Collect)]
#[collect(require_static)]
struct PCall {
    bridge: SharedBridge,
}

impl<'gc> Sequence<'gc> for PCall {
    fn poll(&mut self, _ctx: Context<'gc>, _exec: Execution<'gc, '_>, mut stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
        self.bridge.borrow_mut().called_by_pcall = false;
        stack.push_front(Value::Boolean(true));
        Ok(SequencePoll::Return)
    }

    fn error(
        &mut self,
        ctx: Context<'gc>,
        _exec: Execution<'gc, '_>,
        error: Error<'gc>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        self.bridge.borrow_mut().called_by_pcall = false;
        let value = match error {
            // Redis 7.0's pcall returns the message of an error table, as older Redis did.
            Error::Lua(e) => match e.0 {
                Value::Table(t) => match t.get(ctx, "err") {
                    v @ (Value::String(_) | Value::Integer(_) | Value::Number(_)) => v,
                    _ => e.0,
                },
                v => v,
            },
            Error::Runtime(e) => {
                let line = self.bridge.borrow().last_line.unwrap_or(1);
                let msg = format!("{}:{line}: {}", super::CHUNK, convert::runtime_message(&e));
                ctx.intern(msg.as_bytes()).into()
            }
        };
        stack.clear();
        stack.push_back(Value::Boolean(false));
        stack.push_back(value);
        Ok(SequencePoll::Return)
    }
}
