//! The `redis` table (script_lua.c's `luaRegisterRedisAPI`) and Redis's versions of the base
//! functions whose behaviour scripts see: `error` (with Lua 5.1's position prefix) and
//! `pcall` (errors as strings or tables, as Lua 5.1 gives them).

use piccolo::{
    BoxSequence, Callback, CallbackReturn, Context, Error, Execution, IntoValue, Sequence, SequencePoll, Stack, Table, Value,
};

use super::convert;
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
                // Redis adds the `-` first: `'my err'` has the code `my`.
                (1, Value::String(s)) if s.as_bytes().starts_with(b"-") => error_table(ctx, &error_text(s.as_bytes())),
                (1, Value::String(s)) => error_table(ctx, &error_text(&[b"-", s.as_bytes()].concat())),
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

/// A number as Lua 5.1 holds it, kept an integer when it is one (so piccolo prints it
/// without a fraction).
fn number_value<'gc>(n: f64) -> Value<'gc> {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::Integer(n as i64)
    } else {
        Value::Number(n)
    }
}

/// Lua 5.1's `tonumber(e [, base])`.
fn tonumber(v: Value, base: Option<i64>) -> Option<f64> {
    match base {
        None | Some(10) => match v {
            Value::Integer(n) => Some(n as f64),
            Value::Number(n) => Some(n),
            Value::String(s) => {
                let text = std::str::from_utf8(s.as_bytes()).ok()?.trim_matches(|c: char| c.is_ascii_whitespace());
                // lua_str2number: C's strtod over the whole string (hex, inf and nan too).
                crate::args::strtod(text.as_bytes()).map(|(v, _)| v)
            }
            _ => None,
        },
        Some(base) => {
            let bytes = super::convert::as_string_bytes(v)?;
            let text = std::str::from_utf8(&bytes).ok()?.trim_matches(|c: char| c.is_ascii_whitespace());
            let (neg, digits) = match text.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, text),
            };
            if digits.is_empty() {
                return None;
            }
            let mut n: f64 = 0.0;
            for c in digits.chars() {
                let d = c.to_digit(36)? as i64;
                if d >= base {
                    return None;
                }
                n = n * base as f64 + d as f64;
            }
            Some(if neg { -n } else { n })
        }
    }
}

/// The parts of Lua 5.1's base and table libraries piccolo lacks or words differently:
/// `tostring` (numbers with `%.14g`), `tonumber`, `unpack`, `table.concat`, `table.getn`,
/// `string.rep`, `string.byte`, `string.char`.
pub(crate) fn install_lua51<'gc>(ctx: Context<'gc>, globals: Table<'gc>, bridge: &SharedBridge) {
    if let Value::Function(original) = globals.get(ctx, "tostring") {
        let f = Callback::from_fn_with(&ctx, original, |original, ctx, _exec, mut stack| match stack.get(0) {
            Value::Number(n) => {
                stack.replace(ctx, ctx.intern(number_text(n).as_bytes()));
                Ok(CallbackReturn::Return)
            }
            _ => Ok(CallbackReturn::Call { function: *original, then: None }),
        });
        let _ = globals.set(ctx, "tostring", f);
    }
    {
        let bridge = bridge.clone();
        let f = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
            let base = match stack.get(1) {
                Value::Nil => None,
                v => match super::convert::as_number(v) {
                    Some(b) if (2.0..=36.0).contains(&b) => Some(b as i64),
                    _ => return Err(raise(ctx, positioned(&exec, &bridge, "bad argument #2 to 'tonumber' (base out of range)"))),
                },
            };
            let v = stack.get(0);
            let out = match tonumber(v, base) {
                Some(n) => number_value(n),
                None => Value::Nil,
            };
            stack.replace(ctx, out);
            Ok(CallbackReturn::Return)
        });
        let _ = globals.set(ctx, "tonumber", f);
    }
    {
        let bridge = bridge.clone();
        let f = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
            let Value::Table(t) = stack.get(0) else {
                let msg = format!("bad argument #1 to 'unpack' (table expected, got {})", no_value(stack.get(0), stack.len()));
                return Err(raise(ctx, positioned(&exec, &bridge, &msg)));
            };
            let i = super::convert::as_number(stack.get(1)).map(|n| n as i64).unwrap_or(1);
            let j = super::convert::as_number(stack.get(2)).map(|n| n as i64).unwrap_or_else(|| t.length());
            if j >= i && j - i >= 8000 {
                return Err(raise(ctx, positioned(&exec, &bridge, "too many results to unpack")));
            }
            stack.clear();
            let mut k = i;
            while k <= j {
                stack.push_back(t.get(ctx, k));
                k += 1;
            }
            Ok(CallbackReturn::Return)
        });
        let _ = globals.set(ctx, "unpack", f);
    }
    if let Value::Table(string) = globals.get(ctx, "string") {
        install_string(ctx, string, bridge);
    }
    if let Value::Table(table) = globals.get(ctx, "table") {
        let bridge = bridge.clone();
        let concat = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
            let Value::Table(t) = stack.get(0) else {
                let msg = format!("bad argument #1 to 'concat' (table expected, got {})", no_value(stack.get(0), stack.len()));
                return Err(raise(ctx, positioned(&exec, &bridge, &msg)));
            };
            let sep = match stack.get(1) {
                Value::Nil => Vec::new(),
                v => super::convert::as_string_bytes(v).unwrap_or_default(),
            };
            let i = super::convert::as_number(stack.get(2)).map(|n| n as i64).unwrap_or(1);
            let j = super::convert::as_number(stack.get(3)).map(|n| n as i64).unwrap_or_else(|| t.length());
            let mut out = Vec::new();
            let mut k = i;
            while k <= j {
                let item = t.get(ctx, k);
                match super::convert::as_string_bytes(item) {
                    Some(b) => out.extend_from_slice(&b),
                    None => {
                        let msg = format!("invalid value ({}) at index {k} in table for 'concat'", item.type_name());
                        return Err(raise(ctx, positioned(&exec, &bridge, &msg)));
                    }
                }
                if k < j {
                    out.extend_from_slice(&sep);
                }
                k += 1;
            }
            stack.replace(ctx, ctx.intern(&out));
            Ok(CallbackReturn::Return)
        });
        let _ = table.set(ctx, "concat", concat);
        let getn = Callback::from_fn(&ctx, |ctx, _exec, mut stack| {
            let n = match stack.get(0) {
                Value::Table(t) => t.length(),
                _ => 0,
            };
            stack.replace(ctx, n);
            Ok(CallbackReturn::Return)
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
                let (line, chunk) = {
                    let b = self.bridge.borrow();
                    (b.last_line.unwrap_or(1), b.chunk)
                };
                let msg = format!("{chunk}:{line}: {}", convert::runtime_message(&e));
                ctx.intern(msg.as_bytes()).into()
            }
        };
        stack.clear();
        stack.push_back(Value::Boolean(false));
        stack.push_back(value);
        Ok(SequencePoll::Return)
    }
}
