//! Conversions between Lua values and Redis replies (script_lua.c's
//! `luaReplyToRedisReply` and `redisProtocolToLuaType`), and Redis's error texts for
//! errors that end a script.

use lua51::{LuaStr, TableRef, Value, Vm};

use crate::reply::Reply;

/// How deep a returned table may nest before the reply gives up (Redis stops at its Lua
/// stack limit).
const MAX_DEPTH: usize = 1000;

/// A string, or a number converted as Lua 5.1 converts numbers to strings (`%.14g`).
pub(crate) fn as_string_bytes(v: &Value) -> Option<Vec<u8>> {
    v.to_lua_string().map(|s| s.as_bytes().to_vec())
}

/// A number, or a string that reads as one.
pub(crate) fn as_number(v: &Value) -> Option<f64> {
    v.to_number()
}

/// C's `(long long)` of a double on x86-64: out of range and NaN give LLONG_MIN.
fn truncate(d: f64) -> i64 {
    const TWO_POW_63: f64 = (1u64 << 63) as f64;
    if (-TWO_POW_63..TWO_POW_63).contains(&d) {
        d as i64
    } else {
        i64::MIN
    }
}

/// A string with CR and LF turned into spaces (Redis does so for status replies).
fn one_line(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace(['\r', '\n'], " ")
}

/// The reply a script's return value (or a nested value) gives.
pub(crate) fn lua_to_reply(vm: &Vm, value: &Value, depth: usize) -> Reply {
    match value {
        Value::Nil => Reply::Nil,
        Value::Bool(true) => Reply::Integer(1),
        Value::Bool(false) => Reply::Nil,
        Value::Number(d) => Reply::Integer(truncate(*d)),
        Value::Str(s) => Reply::Bulk(s.as_bytes().to_vec()),
        Value::Table(t) => {
            if depth >= MAX_DEPTH {
                return Reply::error("ERR reached lua stack limit");
            }
            table_to_reply(vm, *t, depth)
        }
        _ => Reply::Nil,
    }
}

/// Every key and value of a table in `next` order.
pub(crate) fn pairs(vm: &Vm, t: TableRef) -> Vec<(Value, Value)> {
    let mut out = Vec::new();
    let mut key = Value::Nil;
    while let Ok(Some((k, v))) = vm.heap.table(t).next(&key) {
        key = k.clone();
        out.push((k, v));
    }
    out
}

fn table_to_reply(vm: &Vm, t: TableRef, depth: usize) -> Reply {
    if let Value::Str(err) = vm.get_field(t, "err") {
        return Reply::Error(String::from_utf8_lossy(err.as_bytes()).into_owned());
    }
    if let Value::Str(ok) = vm.get_field(t, "ok") {
        return Reply::Status(one_line(ok.as_bytes()));
    }
    if let Value::Number(d) = vm.get_field(t, "double") {
        return Reply::Double(d);
    }
    if let Value::Str(big) = vm.get_field(t, "big_number") {
        return Reply::BigNumber(one_line(big.as_bytes()));
    }
    if let Value::Table(map) = vm.get_field(t, "map") {
        let items = pairs(vm, map);
        return Reply::Map(
            items
                .iter()
                .map(|(k, v)| {
                    (
                        lua_to_reply(vm, k, depth + 1),
                        lua_to_reply(vm, v, depth + 1),
                    )
                })
                .collect(),
        );
    }
    if let Value::Table(set) = vm.get_field(t, "set") {
        return Reply::Set(
            pairs(vm, set)
                .iter()
                .map(|(k, _)| lua_to_reply(vm, k, depth + 1))
                .collect(),
        );
    }
    Reply::Array(
        vm.array(t)
            .iter()
            .map(|v| lua_to_reply(vm, v, depth + 1))
            .collect(),
    )
}

/// A table `{key = v}`.
fn single(vm: &mut Vm, key: &str, v: Value) -> Value {
    let t = vm.new_table();
    vm.set_field(t, key, v);
    Value::Table(t)
}

/// A table `{err = text}` (how Redis hands errors to scripts).
pub(crate) fn error_table(vm: &mut Vm, text: &str) -> Value {
    let s = vm.new_string(text.as_bytes());
    single(vm, "err", s)
}

/// The Lua value a command's reply gives a script (in the script's protocol, `resp`).
pub(crate) fn reply_to_lua(vm: &mut Vm, reply: Reply, resp: u8) -> Value {
    match reply.unshared() {
        // `unshared` never returns one; kept for the match to cover every reply.
        Reply::Shared(r) => reply_to_lua(vm, (*r).clone(), resp),
        Reply::Status(s) => {
            let v = vm.new_string(s.as_bytes());
            single(vm, "ok", v)
        }
        Reply::Error(s) => error_table(vm, &s),
        Reply::Integer(n) => Value::Number(n as f64),
        Reply::Bulk(b) => vm.new_string(&b),
        Reply::Nil | Reply::NilArray | Reply::NoReply => {
            if resp == 3 {
                Value::Nil
            } else {
                Value::Bool(false)
            }
        }
        Reply::Array(items) | Reply::Push(items) => {
            let values: Vec<Value> = items
                .into_iter()
                .map(|item| reply_to_lua(vm, item, resp))
                .collect();
            // Set one by one: a nil (RESP3) leaves a hole, as lua_rawseti does.
            let t = vm.new_table_sized(values.len(), 0);
            for (i, v) in values.into_iter().enumerate() {
                let _ = vm.raw_set(t, Value::Number((i + 1) as f64), v);
            }
            Value::Table(t)
        }
        Reply::Map(pairs) => {
            let inner = vm.new_table();
            for (k, v) in pairs {
                let k = reply_to_lua(vm, k, resp);
                let v = reply_to_lua(vm, v, resp);
                let _ = vm.raw_set(inner, k, v);
            }
            single(vm, "map", Value::Table(inner))
        }
        Reply::Set(items) => {
            let inner = vm.new_table();
            for item in items {
                let k = reply_to_lua(vm, item, resp);
                let _ = vm.raw_set(inner, k, Value::Bool(true));
            }
            single(vm, "set", Value::Table(inner))
        }
        Reply::Double(d) => single(vm, "double", Value::Number(d)),
        Reply::Bool(b) => Value::Bool(b),
        Reply::BigNumber(n) => {
            let v = vm.new_string(n.as_bytes());
            single(vm, "big_number", v)
        }
        Reply::Verbatim(format, text) => {
            let inner = vm.new_table();
            let f = vm.new_string(format.as_bytes());
            vm.set_field(inner, "format", f);
            let s = vm.new_string(&text);
            vm.set_field(inner, "string", s);
            single(vm, "verbatim_string", Value::Table(inner))
        }
    }
}

/// `tostring` of an error value for a message (Redis's handler does `tostring(err)`).
pub(crate) fn error_value_text(vm: &Vm, v: &Value) -> String {
    let s: LuaStr = vm.tostring_raw(v);
    String::from_utf8_lossy(s.as_bytes()).into_owned()
}

/// The reply to a script that ended with an error, from the table Redis's error handler
/// made of it (`{err=, source=, line=}`), as `luaCallFunction` builds it:
/// `<err> script: <label>, on <source>:<line>.`
pub(crate) fn error_reply(vm: &Vm, error: &Value, label: &str) -> Reply {
    let Value::Table(t) = error else {
        // Not through the handler (it failed itself): the text as it is.
        return Reply::Error(format!(
            "ERR Error running script {label}, {}",
            error_value_text(vm, error)
        ));
    };
    let msg = match vm.get_field(*t, "err") {
        v @ (Value::Str(_) | Value::Number(_)) => error_value_text(vm, &v),
        // Redis 7.0.15 crashes here (a table without `err`); the emulator answers.
        _ => "ERR unknown error".to_string(),
    };
    let source = as_string_bytes(&vm.get_field(*t, "source"));
    let line = as_string_bytes(&vm.get_field(*t, "line"));
    match (source, line) {
        (Some(source), Some(line)) => Reply::Error(format!(
            "{msg} script: {label}, on {}:{}.",
            String::from_utf8_lossy(&source),
            String::from_utf8_lossy(&line)
        )),
        _ => Reply::Error(msg),
    }
}
