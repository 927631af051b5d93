//! Lua 5.1's string library (lstrlib.c) as Redis 7.0's embedded Lua has it: byte, char,
//! dump, find, format, gfind (5.1's old name of gmatch, kept by LUA_COMPAT_GFIND), gmatch,
//! gsub, len, lower, match, rep, reverse, sub, upper; and the string metatable whose
//! `__index` is the `string` table, so `s:upper()` and `("x"):rep(3)` work.
//!
//! Open it with [`open`] (`lib_string::open(&mut vm)`): it sets the global `string` and
//! `Vm::string_meta`.
//!
//! - Arguments are read as 5.1's `luaL_check*` read them: numbers are accepted where
//!   strings are expected (as `%.14g` text), numeric strings where numbers are, numbers are
//!   truncated towards zero where integers are (`lua_Integer` is a C long; `luaL_checkint`
//!   keeps its low 32 bits).
//! - Errors have 5.1's texts and positions (`Vm::error`, `Vm::arg_error`: the function is
//!   named as its call site names it, `?` when a native called it, and a method call
//!   renumbers its arguments: `calling 'rep' on bad self`).
//! - The pattern matcher (`pattern`) counts its steps: a match may spend what the run can
//!   still borrow (`Vm::fuel_available`), is charged for what it spent
//!   (`Vm::consume_fuel`), and a runaway match fails with the VM's budget error rather
//!   than freezing the page. Functions whose work is the size of their output pay for it
//!   too, and no string grows past `MAX_STRING` ("not enough memory").
//! - `gsub` calls a replacement function through `Vm::call` and indexes a replacement
//!   table with `__index` followed as `lua_gettable` follows it.
//! - `string.dump` cannot produce 5.1 bytecode: it raises "unable to dump given function"
//!   (what 5.1 says of a C function) for every function.

mod format;
mod pattern;

use std::cell::Cell;

use crate::heap::NativeFn;
use crate::value::{LuaStr, Value};
use crate::vm::{NativeReturn, Vm};
use format::{
    add_quoted, c_long, c_text, c_ulong, format_char, format_float, format_signed, format_string,
    format_unsigned, scan_format,
};
use pattern::{CaptureValue, Gmatch, Gsub, Match, PatternError};

type R = Result<NativeReturn, Value>;

/// Matcher steps per unit of fuel (a step is much cheaper than a VM instruction).
const STEPS_PER_FUEL: u64 = 4;
/// Output bytes per unit of fuel, for functions whose work is their output's size.
const BYTES_PER_FUEL: usize = 64;
/// A string made bigger than this is refused ("not enough memory"): a browser tab must
/// survive a script.
const MAX_STRING: usize = 64 << 20;
/// 5.1's LUAI_MAXCSTACK: how many values a native may push (`string.byte`'s limit).
const MAX_C_STACK: usize = 8000;

/// Creates the `string` table (in lstrlib.c's order and size, which decide `pairs`
/// order) and the string metatable.
pub fn open(vm: &mut Vm) {
    let natives: [(&'static str, NativeFn); 15] = [
        ("byte", str_byte),
        ("char", str_char),
        ("dump", str_dump),
        ("find", str_find),
        ("format", str_format),
        ("gfind", str_gmatch),
        ("gmatch", str_gmatch),
        ("gsub", str_gsub),
        ("len", str_len),
        ("lower", str_lower),
        ("match", str_match),
        ("rep", str_rep),
        ("reverse", str_reverse),
        ("sub", str_sub),
        ("upper", str_upper),
    ];
    let string = vm.new_table_sized(0, natives.len());
    for (name, f) in natives {
        let v = vm.new_native(name, f);
        vm.set_field(string, name, v);
    }
    // 5.1 registers a placeholder under "gfind", then stores gmatch itself there.
    let gmatch = vm.get_field(string, "gmatch");
    vm.set_field(string, "gfind", gmatch);
    vm.set_global("string", Value::Table(string));
    let meta = vm.new_table_sized(0, 1);
    vm.set_field(meta, "__index", Value::Table(string));
    vm.string_meta = Some(meta);
}

// ---- arguments (lauxlib's luaL_check* / luaL_opt*) ----

/// `luaL_checklstring`: a string, or a number as its `%.14g` text.
fn check_string(vm: &Vm, args: &[Value], n: usize, fname: &str) -> Result<LuaStr, Value> {
    match args.get(n - 1).and_then(Value::to_lua_string) {
        Some(s) => Ok(s),
        None => Err(vm.type_arg_error(n, fname, "string", args.get(n - 1))),
    }
}

fn check_number(vm: &Vm, args: &[Value], n: usize, _fname: &str) -> Result<f64, Value> {
    crate::lib_base::check_number(vm, args, n)
}

/// `luaL_checkinteger`: the number truncated to a C long.
fn check_integer(vm: &Vm, args: &[Value], n: usize, fname: &str) -> Result<i64, Value> {
    check_number(vm, args, n, fname).map(c_long)
}

/// `luaL_optinteger`: `default` when the argument is nil or absent.
fn opt_integer(vm: &Vm, args: &[Value], n: usize, fname: &str, default: i64) -> Result<i64, Value> {
    match args.get(n - 1) {
        None | Some(Value::Nil) => Ok(default),
        Some(_) => check_integer(vm, args, n, fname),
    }
}

/// `luaL_checkint`: a C int, the low 32 bits of the integer.
fn check_int(vm: &Vm, args: &[Value], n: usize, fname: &str) -> Result<i64, Value> {
    check_integer(vm, args, n, fname).map(|v| v as i32 as i64)
}

/// 5.1's `posrelat`: a negative position counts from the end; below the start is 0.
fn posrelat(pos: i64, len: usize) -> i64 {
    let pos = if pos < 0 {
        pos.saturating_add(len as i64 + 1)
    } else {
        pos
    };
    pos.max(0)
}

// ---- results, memory and fuel ----

fn ret(values: Vec<Value>) -> R {
    Ok(NativeReturn::Values(values))
}

fn out_of_memory() -> Value {
    Value::str("not enough memory")
}

fn check_size(len: usize) -> Result<(), Value> {
    if len > MAX_STRING {
        return Err(out_of_memory());
    }
    Ok(())
}

/// Charges the making of `len` bytes of output.
fn charge_bytes(vm: &mut Vm, len: usize) -> Result<(), Value> {
    vm.consume_fuel((len / BYTES_PER_FUEL) as u64)
}

/// A new string as the single result, its size paid for.
fn ret_string(vm: &mut Vm, bytes: &[u8]) -> R {
    check_size(bytes.len())?;
    charge_bytes(vm, bytes.len())?;
    let s = vm.new_string(bytes);
    ret(vec![s])
}

/// A pattern error as the Lua error 5.1 raises (`luaL_error`, positioned at the caller).
fn pattern_error(vm: &mut Vm, e: PatternError) -> Value {
    match e {
        PatternError::Lua(msg) => vm.error(msg),
        // Everything the run could borrow is spent: the VM's budget error.
        PatternError::OutOfSteps => match vm.consume_fuel(u64::MAX) {
            Err(e) => e,
            Ok(()) => vm.error("pattern too complex"),
        },
    }
}

/// Runs the matcher with as many steps as the run can pay for, and charges what it spent.
fn matching<T>(
    vm: &mut Vm,
    run: impl FnOnce(&mut u64) -> Result<T, PatternError>,
) -> Result<T, Value> {
    let before = vm.fuel_available().saturating_mul(STEPS_PER_FUEL);
    let mut left = before;
    let result = run(&mut left);
    if !matches!(result, Err(PatternError::OutOfSteps)) {
        vm.consume_fuel(before.saturating_sub(left).div_ceil(STEPS_PER_FUEL))?;
    }
    result.map_err(|e| pattern_error(vm, e))
}

fn capture_value(vm: &mut Vm, c: CaptureValue) -> Value {
    match c {
        CaptureValue::Text(t) => vm.new_string(t),
        CaptureValue::Position(p) => Value::Number(p as f64),
    }
}

fn capture_values(
    vm: &mut Vm,
    captures: Result<Vec<CaptureValue>, PatternError>,
) -> Result<Vec<Value>, Value> {
    match captures {
        Ok(cs) => Ok(cs.into_iter().map(|c| capture_value(vm, c)).collect()),
        Err(e) => Err(pattern_error(vm, e)),
    }
}

// ---- len, sub, lower, upper, reverse, rep, byte, char, dump ----

fn str_len(vm: &mut Vm, args: Vec<Value>) -> R {
    let s = check_string(vm, &args, 1, "len")?;
    ret(vec![Value::Number(s.len() as f64)])
}

fn str_sub(vm: &mut Vm, args: Vec<Value>) -> R {
    let s = check_string(vm, &args, 1, "sub")?;
    let len = s.len();
    let start = posrelat(check_integer(vm, &args, 2, "sub")?, len).max(1);
    let end = posrelat(opt_integer(vm, &args, 3, "sub", -1)?, len).min(len as i64);
    let out: &[u8] = if start <= end {
        &s.as_bytes()[(start - 1) as usize..end as usize]
    } else {
        b""
    };
    ret_string(vm, out)
}

fn str_lower(vm: &mut Vm, args: Vec<Value>) -> R {
    let s = check_string(vm, &args, 1, "lower")?
        .as_bytes()
        .to_ascii_lowercase();
    ret_string(vm, &s)
}

fn str_upper(vm: &mut Vm, args: Vec<Value>) -> R {
    let s = check_string(vm, &args, 1, "upper")?
        .as_bytes()
        .to_ascii_uppercase();
    ret_string(vm, &s)
}

fn str_reverse(vm: &mut Vm, args: Vec<Value>) -> R {
    let mut s = check_string(vm, &args, 1, "reverse")?.as_bytes().to_vec();
    s.reverse();
    ret_string(vm, &s)
}

fn str_rep(vm: &mut Vm, args: Vec<Value>) -> R {
    let s = check_string(vm, &args, 1, "rep")?;
    let n = check_int(vm, &args, 2, "rep")?.max(0) as usize;
    check_size(s.len().saturating_mul(n))?;
    ret_string(vm, &s.as_bytes().repeat(n))
}

fn str_byte(vm: &mut Vm, args: Vec<Value>) -> R {
    let s = check_string(vm, &args, 1, "byte")?;
    let len = s.len();
    let posi = posrelat(opt_integer(vm, &args, 2, "byte", 1)?, len);
    let pose = posrelat(opt_integer(vm, &args, 3, "byte", posi)?, len).min(len as i64);
    let posi = posi.max(1);
    if posi > pose {
        return ret(Vec::new());
    }
    let n = (pose - posi + 1) as usize;
    // luaL_checkstack: the arguments and the results within LUAI_MAXCSTACK.
    if n + args.len() > MAX_C_STACK {
        return Err(vm.error("stack overflow (string slice too long)"));
    }
    charge_bytes(vm, n)?;
    let bytes = &s.as_bytes()[(posi - 1) as usize..pose as usize];
    ret(bytes.iter().map(|&b| Value::Number(b as f64)).collect())
}

fn str_char(vm: &mut Vm, args: Vec<Value>) -> R {
    let mut out = Vec::with_capacity(args.len());
    for n in 1..=args.len() {
        let c = check_int(vm, &args, n, "char")?;
        if !(0..=255).contains(&c) {
            return Err(vm.arg_error(n, "char", "invalid value"));
        }
        out.push(c as u8);
    }
    ret_string(vm, &out)
}

fn str_dump(vm: &mut Vm, args: Vec<Value>) -> R {
    match args.first() {
        Some(Value::Function(_)) => Err(vm.error("unable to dump given function")),
        other => Err(vm.type_arg_error(1, "dump", "function", other)),
    }
}

// ---- find, match, gmatch ----

/// 5.1's `str_find_aux`, for `find` (`find` true) and `match`.
fn find_aux(vm: &mut Vm, args: &[Value], find: bool) -> R {
    let fname = if find { "find" } else { "match" };
    let s = check_string(vm, args, 1, fname)?;
    let p = check_string(vm, args, 2, fname)?;
    let (s, p) = (s.as_bytes(), p.as_bytes());
    let init = (posrelat(opt_integer(vm, args, 3, fname, 1)?, s.len()) - 1).clamp(0, s.len() as i64)
        as usize;
    let plain = args.get(3).is_some_and(Value::truthy);
    if find && (plain || !pattern::has_specials(p)) {
        charge_bytes(vm, s.len() - init)?;
        return match pattern::find_plain(&s[init..], p) {
            Some(at) => ret(vec![
                Value::Number((init + at + 1) as f64),
                Value::Number((init + at + p.len()) as f64),
            ]),
            None => ret(vec![Value::Nil]),
        };
    }
    let found = matching(vm, |left| pattern::search(s, p, init, left))?;
    match found {
        Some(m) if find => {
            let mut out = vec![
                Value::Number(m.start as f64 + 1.0),
                Value::Number(m.end as f64),
            ];
            out.extend(capture_values(vm, m.captures_only(s))?);
            ret(out)
        }
        Some(m) => ret(capture_values(vm, m.captures(s))?),
        None => ret(vec![Value::Nil]),
    }
}

fn str_find(vm: &mut Vm, args: Vec<Value>) -> R {
    find_aux(vm, &args, true)
}

fn str_match(vm: &mut Vm, args: Vec<Value>) -> R {
    find_aux(vm, &args, false)
}

/// `gmatch` (and `gfind`): an iterator bound to the subject, the pattern and where the
/// next search starts (a userdata cell: it changes with each call).
fn str_gmatch(vm: &mut Vm, args: Vec<Value>) -> R {
    let src = check_string(vm, &args, 1, "gmatch")?;
    let pattern = check_string(vm, &args, 2, "gmatch")?;
    let cursor = vm.new_userdata(Box::new(Cell::new(0usize)), None);
    let iterator = vm.new_native_with(
        "gmatch_aux",
        gmatch_aux,
        vec![Value::Str(src), Value::Str(pattern), cursor],
    );
    ret(vec![iterator])
}

/// The iterator `gmatch` returns. Its errors are luaL_error's (positioned at the loop).
fn gmatch_aux(vm: &mut Vm, _args: Vec<Value>) -> R {
    let (Value::Str(src), Value::Str(pattern)) = (vm.native_upvalue(0), vm.native_upvalue(1))
    else {
        return Err(vm.error("gmatch iterator without its state"));
    };
    let cursor = vm.native_upvalue(2);
    let Some(next) = vm
        .userdata(&cursor)
        .and_then(|d| d.downcast_ref::<Cell<usize>>())
        .map(Cell::get)
    else {
        return Err(vm.error("gmatch iterator without its state"));
    };
    let mut state = Gmatch { next };
    let found = matching(vm, |left| {
        state.next_match(src.as_bytes(), pattern.as_bytes(), left)
    });
    if let Some(cell) = vm
        .userdata(&cursor)
        .and_then(|d| d.downcast_ref::<Cell<usize>>())
    {
        cell.set(state.next);
    }
    match found? {
        Some(m) => ret(capture_values(vm, m.captures(src.as_bytes()))?),
        None => ret(Vec::new()),
    }
}

// ---- gsub ----

/// 5.1's `add_s`: a replacement string with `%0`-`%9` and `%x` escapes.
fn add_replacement(
    vm: &mut Vm,
    out: &mut Vec<u8>,
    repl: &[u8],
    m: &Match,
    src: &[u8],
) -> Result<(), Value> {
    let mut i = 0;
    while i < repl.len() {
        let c = repl[i];
        if c != b'%' {
            out.push(c);
            i += 1;
            continue;
        }
        // A `%` at the very end escapes the string's terminating NUL.
        let next = repl.get(i + 1).copied().unwrap_or(0);
        i += 2;
        if !next.is_ascii_digit() {
            out.push(next);
        } else if next == b'0' {
            out.extend_from_slice(&src[m.start..m.end]);
        } else {
            match m.capture(src, (next - b'1') as usize) {
                Ok(CaptureValue::Text(t)) => out.extend_from_slice(t),
                Ok(CaptureValue::Position(p)) => out.extend_from_slice(p.to_string().as_bytes()),
                Err(e) => return Err(pattern_error(vm, e)),
            }
        }
    }
    Ok(())
}

/// The end of 5.1's `add_value`: what a table or function gave replaces the match (false
/// or nil keep it).
fn add_value_result(
    vm: &Vm,
    out: &mut Vec<u8>,
    value: Value,
    m: &Match,
    src: &[u8],
) -> Result<(), Value> {
    match value {
        Value::Nil | Value::Bool(false) => out.extend_from_slice(&src[m.start..m.end]),
        v => match v.to_lua_string() {
            Some(text) => out.extend_from_slice(text.as_bytes()),
            None => {
                return Err(vm.error(&format!("invalid replacement value (a {})", v.type_name())))
            }
        },
    }
    Ok(())
}

/// `lua_gettable` called by gsub: `t[key]`, following `__index` tables and calling an
/// `__index` function from this native (so a native handler sees a native caller).
fn index_from_native(vm: &mut Vm, t: Value, key: Value) -> Result<Value, Value> {
    let mut t = t;
    // 5.1's MAXTAGLOOP.
    for _ in 0..100 {
        if let Value::Table(r) = t {
            let v = vm.raw_get(r, &key);
            if !v.is_nil() {
                return Ok(v);
            }
        }
        let handler = match vm.metatable(&t) {
            Some(meta) => vm.get_field(meta, "__index"),
            None => Value::Nil,
        };
        if handler.is_nil() {
            if let Value::Table(_) = t {
                return Ok(Value::Nil);
            }
            return Err(vm.rt_error(&format!("attempt to index a {} value", t.type_name())));
        }
        if let Value::Function(_) = handler {
            return Ok(vm
                .call(handler, vec![t, key])?
                .into_iter()
                .next()
                .unwrap_or(Value::Nil));
        }
        t = handler;
    }
    Err(vm.rt_error("loop in gettable"))
}

fn str_gsub(vm: &mut Vm, args: Vec<Value>) -> R {
    let src = check_string(vm, &args, 1, "gsub")?;
    let pattern = check_string(vm, &args, 2, "gsub")?;
    let (src, pattern) = (src.as_bytes(), pattern.as_bytes());
    let max = opt_integer(vm, &args, 4, "gsub", src.len() as i64 + 1)? as i32 as i64;
    let repl = args.get(2).cloned().unwrap_or(Value::Nil);
    let repl_text = match &repl {
        Value::Str(_) | Value::Number(_) => repl.to_lua_string(),
        Value::Table(_) | Value::Function(_) => None,
        _ => return Err(vm.arg_error(3, "gsub", "string/function/table expected")),
    };
    let mut gsub = Gsub::new(pattern, max);
    let mut out = Vec::new();
    while let Some(m) = matching(vm, |left| gsub.next_match(src, pattern, &mut out, left))? {
        match (&repl_text, &repl) {
            (Some(text), _) => add_replacement(vm, &mut out, text.as_bytes(), &m, src)?,
            (None, Value::Function(_)) => {
                let captures = capture_values(vm, m.captures(src))?;
                // lua_call(L, n, 1): the first result, nil when there is none.
                let value = vm
                    .call(repl.clone(), captures)?
                    .into_iter()
                    .next()
                    .unwrap_or(Value::Nil);
                add_value_result(vm, &mut out, value, &m, src)?;
            }
            (None, _) => {
                let key = match m.capture(src, 0) {
                    Ok(c) => capture_value(vm, c),
                    Err(e) => return Err(pattern_error(vm, e)),
                };
                let value = index_from_native(vm, repl.clone(), key)?;
                add_value_result(vm, &mut out, value, &m, src)?;
            }
        }
        check_size(out.len())?;
    }
    gsub.finish(src, &mut out);
    let count = gsub.count();
    check_size(out.len())?;
    charge_bytes(vm, out.len())?;
    let s = vm.new_string(&out);
    ret(vec![s, Value::Number(count as f64)])
}

// ---- format ----

fn str_format(vm: &mut Vm, args: Vec<Value>) -> R {
    let fmt = check_string(vm, &args, 1, "format")?;
    let fmt = fmt.as_bytes();
    let mut argn = 1;
    let mut out = Vec::with_capacity(fmt.len());
    let mut i = 0;
    while i < fmt.len() {
        if fmt[i] != b'%' {
            out.push(fmt[i]);
            i += 1;
            continue;
        }
        i += 1;
        if fmt.get(i) == Some(&b'%') {
            out.push(b'%');
            i += 1;
            continue;
        }
        argn += 1;
        if argn > args.len() {
            return Err(vm.arg_error(argn, "format", "no value"));
        }
        let (spec, conv_at) = scan_format(fmt, i).map_err(|msg| vm.error(msg))?;
        let conv = fmt.get(conv_at).copied().unwrap_or(0);
        i = conv_at + 1;
        let item = match conv {
            b'c' => format_char(
                &spec,
                c_long(check_number(vm, &args, argn, "format")?) as i32 as u8,
            ),
            b'd' | b'i' => format_signed(&spec, c_long(check_number(vm, &args, argn, "format")?)),
            b'o' | b'u' | b'x' | b'X' => format_unsigned(
                &spec,
                conv,
                c_ulong(check_number(vm, &args, argn, "format")?),
            ),
            b'e' | b'E' | b'f' | b'g' | b'G' => {
                format_float(&spec, conv, check_number(vm, &args, argn, "format")?)
            }
            b'q' => {
                add_quoted(
                    &mut out,
                    check_string(vm, &args, argn, "format")?.as_bytes(),
                );
                check_size(out.len())?;
                continue;
            }
            b's' => {
                let s = check_string(vm, &args, argn, "format")?;
                if spec.precision.is_none() && s.len() >= 100 {
                    // 5.1 keeps a long string as it is (no width, NULs kept).
                    out.extend_from_slice(s.as_bytes());
                    check_size(out.len())?;
                    continue;
                }
                format_string(&spec, s.as_bytes())
            }
            other => {
                // 5.1 formats the message with `%c`: a NUL ends the option there.
                let shown = if other == 0 {
                    String::new()
                } else {
                    String::from_utf8_lossy(&[other]).into_owned()
                };
                return Err(vm.error(&format!("invalid option '%{shown}' to 'format'")));
            }
        };
        out.extend_from_slice(c_text(&item));
        check_size(out.len())?;
    }
    ret_string(vm, &out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::Outcome;

    /// Runs `src` with the string library, giving each run `slice` instructions; the
    /// results as `tostring` text, or the error.
    fn run_with(src: &str, slice: u64, nested_limit: Option<u64>) -> Result<Vec<String>, String> {
        let mut vm = Vm::new();
        open(&mut vm);
        if let Some(limit) = nested_limit {
            vm.set_nested_fuel_limit(limit);
        }
        let f = vm.load(src.as_bytes(), "user_script")?;
        vm.start(f, Vec::new())
            .map_err(|e| vm.tostring_raw(&e).to_str_lossy())?;
        loop {
            match vm.run(slice) {
                Ok(Outcome::Finished(vals)) => {
                    return Ok(vals
                        .iter()
                        .map(|v| vm.tostring_raw(v).to_str_lossy())
                        .collect())
                }
                Ok(Outcome::Paused) => {}
                Ok(Outcome::Yielded(_)) => return Err("yielded".into()),
                Err(e) => return Err(vm.tostring_raw(&e).to_str_lossy()),
            }
        }
    }

    fn run(src: &str) -> Result<Vec<String>, String> {
        run_with(src, 10_000, None)
    }

    #[test]
    fn methods_on_strings() {
        assert_eq!(
            run("local s = 'abc' return s:upper(), ('x'):rep(3), s:len(), #s:sub(2)").unwrap(),
            ["ABC", "xxx", "3", "2"]
        );
        assert_eq!(run("return ('a,b'):gsub(',', ';')").unwrap(), ["a;b", "1"]);
        assert_eq!(
            run("return ('x'):rep()").unwrap_err(),
            "user_script:1: bad argument #1 to 'rep' (number expected, got no value)"
        );
        assert_eq!(
            run("return string.rep()").unwrap_err(),
            "user_script:1: bad argument #1 to 'rep' (string expected, got no value)"
        );
        assert_eq!(
            run("local s = 'x' return s.upper(nil)").unwrap_err(),
            "user_script:1: bad argument #1 to 'upper' (string expected, got nil)"
        );
        assert_eq!(
            run("local t = {f = string.upper} return t:f()").unwrap_err(),
            "user_script:1: calling 'f' on bad self (string expected, got table)"
        );
    }

    #[test]
    fn gsub_calls_lua_and_gmatch_iterates() {
        assert_eq!(
            run("return (string.gsub('hello world', '%w+', function(w) return w:upper() end))")
                .unwrap(),
            ["HELLO WORLD"]
        );
        assert_eq!(run("local n = 0 for a, b in ('k=v, x=y'):gmatch('(%w)=(%w)') do n = n + 1 end return n").unwrap(), ["2"]);
        assert_eq!(
            run("local it = string.gfind('a1b2', '%d') return it(), it(), (it())").unwrap(),
            ["1", "2", "nil"]
        );
    }

    #[test]
    fn dump_refuses() {
        assert_eq!(
            run("return string.dump(function() end)").unwrap_err(),
            "user_script:1: unable to dump given function"
        );
        assert_eq!(
            run("return string.dump()").unwrap_err(),
            "user_script:1: bad argument #1 to 'dump' (function expected, got no value)"
        );
    }

    /// A pattern with exponential backtracking is stopped by the fuel: the VM's budget
    /// error, catchable by pcall, after at most the borrowing limit.
    #[test]
    fn runaway_patterns_spend_fuel() {
        let src = "return pcall(string.find, string.rep('a', 40), string.rep('a?', 40) .. string.rep('a', 40))";
        let out = run_with(src, 10_000, Some(1_000_000)).unwrap();
        assert_eq!(
            out,
            ["false", "instruction budget exhausted inside a nested call"]
        );
        let src = "string.gsub(string.rep('a', 40), string.rep('a?', 40) .. string.rep('a', 40), 'x') return 1";
        assert_eq!(
            run_with(src, 10_000, Some(1_000_000)).unwrap_err(),
            "instruction budget exhausted inside a nested call"
        );
        // A small match is charged to the run and finishes.
        assert_eq!(
            run_with(
                "return string.find(string.rep('ab', 1000), 'b+$')",
                100,
                Some(1_000_000)
            )
            .unwrap(),
            ["2000", "2000"]
        );
    }

    #[test]
    fn huge_strings_are_refused() {
        assert_eq!(
            run("return string.rep('abc', 2^30)").unwrap_err(),
            "not enough memory"
        );
        assert_eq!(run("return string.rep('x', 4294967297)").unwrap(), ["x"]);
    }

    #[test]
    fn positions_and_numbers() {
        assert_eq!(posrelat(-2, 5), 4);
        assert_eq!(posrelat(-10, 5), 0);
        assert_eq!(
            run("return string.sub(12345, 2, 3), string.format('%5.1f', '2.25'), string.byte('A')")
                .unwrap(),
            ["23", "  2.2", "65"]
        );
    }
}
