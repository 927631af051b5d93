//! Conversions between Lua values and Redis replies (script_lua.c's
//! `luaReplyToRedisReply` and `redisProtocolToLuaType`), and Redis's error texts for
//! errors that end a script.

use piccolo::compiler::ParseErrorKind;
use piccolo::thread::BinaryOperatorError;
use piccolo::{Context, Error, PrototypeError, RuntimeError, Table, TypeError, Value};

use super::CHUNK;
use crate::reply::Reply;

/// How deep a returned table may nest before the reply gives up (Redis stops at its Lua
/// stack limit).
const MAX_DEPTH: usize = 1000;

/// A string, or a number converted as Lua 5.1 converts numbers to strings (`%.14g`).
pub(crate) fn as_string_bytes(v: Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(n) => Some(n.to_string().into_bytes()),
        Value::Number(n) => Some(crate::fmt::fmt_g(n, 14).into_bytes()),
        _ => None,
    }
}

/// A number, or a string that reads as one.
pub(crate) fn as_number(v: Value) -> Option<f64> {
    match v {
        Value::Integer(n) => Some(n as f64),
        Value::Number(n) => Some(n),
        Value::String(s) => std::str::from_utf8(s.as_bytes()).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// C's `(long long)` of a double on x86-64: out of range and NaN give LLONG_MIN.
fn truncate(d: f64) -> i64 {
    if d.is_nan() || d >= 9.223_372_036_854_775_808e18 || d < -9.223_372_036_854_775_808e18 {
        i64::MIN
    } else {
        d as i64
    }
}

/// The reply a script's return value (or a nested value) gives.
pub(crate) fn lua_to_reply<'gc>(ctx: Context<'gc>, value: Value<'gc>, resp: u8, depth: usize) -> Reply {
    match value {
        Value::Nil => Reply::Nil,
        Value::Boolean(true) => Reply::Integer(1),
        Value::Boolean(false) => Reply::Nil,
        Value::Integer(n) => Reply::Integer(n),
        Value::Number(d) => Reply::Integer(truncate(d)),
        Value::String(s) => Reply::Bulk(s.as_bytes().to_vec()),
        Value::Table(t) => {
            if depth >= MAX_DEPTH {
                return Reply::error("ERR reached lua stack limit");
            }
            table_to_reply(ctx, t, resp, depth)
        }
        _ => Reply::Nil,
    }
}

fn table_to_reply<'gc>(ctx: Context<'gc>, t: Table<'gc>, resp: u8, depth: usize) -> Reply {
    if let Value::String(err) = t.get(ctx, "err") {
        return Reply::Error(String::from_utf8_lossy(err.as_bytes()).into_owned());
    }
    if let Value::String(ok) = t.get(ctx, "ok") {
        let text = String::from_utf8_lossy(ok.as_bytes()).replace(['\r', '\n'], " ");
        return Reply::Status(text);
    }
    match t.get(ctx, "double") {
        Value::Number(d) => return Reply::Double(d),
        Value::Integer(n) => return Reply::Double(n as f64),
        _ => {}
    }
    if let Value::String(big) = t.get(ctx, "big_number") {
        let text = String::from_utf8_lossy(big.as_bytes()).replace(['\r', '\n'], " ");
        return Reply::BigNumber(text);
    }
    if let Value::Table(map) = t.get(ctx, "map") {
        let mut pairs = Vec::new();
        for (k, v) in map.iter() {
            pairs.push((lua_to_reply(ctx, k, resp, depth + 1), lua_to_reply(ctx, v, resp, depth + 1)));
        }
        return Reply::Map(pairs);
    }
    if let Value::Table(set) = t.get(ctx, "set") {
        let items = set.iter().map(|(k, _)| lua_to_reply(ctx, k, resp, depth + 1)).collect();
        return Reply::Set(items);
    }
    let mut items = Vec::new();
    let mut j: i64 = 1;
    loop {
        let v = t.get(ctx, j);
        if v.is_nil() {
            break;
        }
        items.push(lua_to_reply(ctx, v, resp, depth + 1));
        j += 1;
    }
    Reply::Array(items)
}

/// The Lua value a command's reply gives a script (in the script's protocol, `resp`).
pub(crate) fn reply_to_lua<'gc>(ctx: Context<'gc>, reply: Reply, resp: u8) -> Value<'gc> {
    let single = |ctx: Context<'gc>, key: &'static str, v: Value<'gc>| -> Value<'gc> {
        let t = Table::new(&ctx);
        let _ = t.set(ctx, key, v);
        t.into()
    };
    match reply.unshared() {
        // `unshared` never returns one; kept for the match to cover every reply.
        Reply::Shared(r) => reply_to_lua(ctx, (*r).clone(), resp),
        Reply::Status(s) => single(ctx, "ok", ctx.intern(s.as_bytes()).into()),
        Reply::Error(s) => single(ctx, "err", ctx.intern(s.as_bytes()).into()),
        Reply::Integer(n) => Value::Integer(n),
        Reply::Bulk(b) => ctx.intern(&b).into(),
        Reply::Nil | Reply::NilArray | Reply::NoReply => {
            if resp == 3 {
                Value::Nil
            } else {
                Value::Boolean(false)
            }
        }
        Reply::Array(items) | Reply::Push(items) => {
            let t = Table::new(&ctx);
            for (i, item) in items.into_iter().enumerate() {
                let _ = t.set(ctx, (i + 1) as i64, reply_to_lua(ctx, item, resp));
            }
            t.into()
        }
        Reply::Map(pairs) => {
            let inner = Table::new(&ctx);
            for (k, v) in pairs {
                let k = reply_to_lua(ctx, k, resp);
                let v = reply_to_lua(ctx, v, resp);
                let _ = inner.set(ctx, k, v);
            }
            single(ctx, "map", inner.into())
        }
        Reply::Set(items) => {
            let inner = Table::new(&ctx);
            for item in items {
                let k = reply_to_lua(ctx, item, resp);
                let _ = inner.set(ctx, k, true);
            }
            single(ctx, "set", inner.into())
        }
        Reply::Double(d) => single(ctx, "double", Value::Number(d)),
        Reply::Bool(b) => Value::Boolean(b),
        Reply::BigNumber(n) => single(ctx, "big_number", ctx.intern(n.as_bytes()).into()),
        Reply::Verbatim(format, text) => {
            let inner = Table::new(&ctx);
            let _ = inner.set(ctx, "format", ctx.intern(format.as_bytes()));
            let _ = inner.set(ctx, "string", ctx.intern(&text));
            single(ctx, "verbatim_string", inner.into())
        }
    }
}

/// Lua 5.1's wording of a piccolo runtime error, as far as piccolo tells what happened.
pub(crate) fn runtime_message(e: &RuntimeError) -> String {
    if let Some(t) = e.downcast::<TypeError>() {
        return match t.expected {
            "table" => format!("attempt to index a {} value", t.found),
            "function" => format!("attempt to call a {} value", t.found),
            _ => format!("bad argument (expected {}, got {})", t.expected, t.found),
        };
    }
    if let Some(op) = e.downcast::<BinaryOperatorError>() {
        return match op {
            BinaryOperatorError::LessThan | BinaryOperatorError::LessEqual => "attempt to compare two incompatible values".to_string(),
            _ => "attempt to perform arithmetic on a non-number value".to_string(),
        };
    }
    let text = e.to_string();
    // The same type errors when they reach us wrapped (through a callback).
    if let Some((expected, found)) = text.strip_prefix("type error, expected ").and_then(|t| t.split_once(", found ")) {
        return match expected {
            "table" => format!("attempt to index a {found} value"),
            "function" => format!("attempt to call a {found} value"),
            _ => format!("bad argument (expected {expected}, got {found})"),
        };
    }
    if let Some(kind) = text.strip_prefix("cannot concat ") {
        return format!("attempt to concatenate a {kind} value");
    }
    text
}

/// The text of a compile error, `user_script:LINE: message`, in Lua 5.1's words where the
/// parser's error maps to one.
pub(crate) fn compile_error(e: &PrototypeError) -> String {
    compile_error_in(e, CHUNK)
}

/// `compile_error` for a chunk of another name (`user_function`).
pub(crate) fn compile_error_in(e: &PrototypeError, chunk: &str) -> String {
    match e {
        PrototypeError::Parser(p) => {
            let line = p.line_number;
            let msg = match &p.kind {
                ParseErrorKind::EndOfStream { .. } => "unexpected symbol near '<eof>'".to_string(),
                other => other.to_string(),
            };
            format!("{chunk}:{line}: {msg}")
        }
        PrototypeError::Compiler(c) => format!("{chunk}:{}: {}", c.line_number, c.kind),
    }
}

/// The reply to a script that ended with `error`, as Redis 7.0's error handler and
/// `luaCallFunction` build it: `<msg> script: <sha>, on @user_script:<line>.` for EVAL,
/// `<msg> script: <function>, on @user_function:<line>.` for FCALL (`on =[C]:-1.` when the
/// error was raised by a library function called by another one: `in_c`).
pub(crate) fn error_reply_in<'gc>(
    ctx: Context<'gc>,
    error: &Error<'gc>,
    sha: &str,
    chunk: &str,
    error_line: Option<u64>,
    fallback_line: Option<u64>,
    in_c: bool,
) -> Reply {
    let with_position = |msg: String, line: Option<u64>| match line {
        _ if in_c => Reply::Error(format!("{msg} script: {sha}, on =[C]:-1.")),
        Some(line) => Reply::Error(format!("{msg} script: {sha}, on @{chunk}:{line}.")),
        None => Reply::Error(msg),
    };
    match error {
        Error::Lua(e) => {
            let line = error_line.or(fallback_line);
            match e.0 {
                Value::Table(t) => match t.get(ctx, "err") {
                    Value::String(s) => with_position(String::from_utf8_lossy(s.as_bytes()).into_owned(), line),
                    // Redis 7.0.15 crashes here (a table without `err`); the emulator answers.
                    _ => with_position("ERR unknown error".to_string(), line),
                },
                v => {
                    let text = match as_string_bytes(v) {
                        Some(b) => String::from_utf8_lossy(&b).into_owned(),
                        None => match v {
                            Value::Nil => "nil".to_string(),
                            Value::Boolean(b) => b.to_string(),
                            other => other.type_name().to_string(),
                        },
                    };
                    with_position(format!("ERR {text}"), line)
                }
            }
        }
        Error::Runtime(e) => {
            let line = fallback_line.unwrap_or(1);
            let msg = format!("ERR {chunk}:{line}: {}", runtime_message(e));
            with_position(msg, Some(line))
        }
    }
}
