//! Lua 5.1's base library (lbaselib.c) as Redis 7.0 has it: type, tostring, tonumber,
//! next/pairs/ipairs, select, unpack, raw access, metatables, error/assert, pcall/xpcall
//! (run by the VM as protected frames), loadstring/load, collectgarbage/gcinfo, `_G` and
//! `_VERSION`. Redis removes `print`, `dofile`, `loadfile`, `getfenv`/`setfenv` and
//! `newproxy` is not used by scripts: none of them is here.
//!
//! Every function checks its arguments as `lauxlib` does, in the same order, with 5.1's
//! texts (`bad argument #1 to 'setmetatable' (table expected, got nil)`); integer
//! arguments are converted as `luaL_checkint` does on x86-64 (`c_int`). The argument
//! helpers are shared with the table and math libraries.
//!
//! `loadstring`/`load` compile with the VM's front end; the chunk is named as
//! `luaO_chunkid` names it (`[string "..."]`, `=name`, `@file`), 80 bytes wide in compile
//! errors and 60 in runtime errors, as in 5.1. Errors raised while `load`'s reader runs
//! go through the error function in force (an `xpcall` handler, none under `pcall` or in
//! a coroutine, else the host's: [`set_error_handler`], Redis's `__redis__err__handler`).

use crate::heap::{Function, LuaClosure, NativeKind};
use crate::value::{LuaStr, TableRef, Value};
use crate::vm::{Event, FrameKind, NativeReturn, Vm};

type R = Result<NativeReturn, Value>;

fn ret(v: Vec<Value>) -> R {
    Ok(NativeReturn::Values(v))
}

fn ret1(v: Value) -> R {
    Ok(NativeReturn::Values(vec![v]))
}

/// 5.1's LUAI_MAXCSTACK: how many values a C function may have on its stack
/// (`unpack`'s limit, arguments included).
pub(crate) const MAX_C_STACK: usize = 8000;

/// A chunk `load` reads past this size is refused ("not enough memory"): the host (a
/// browser tab) must not run out of memory.
const MAX_CHUNK: usize = 64 << 20;

/// Where the host's error function is kept in the registry.
const ERROR_HANDLER_KEY: &str = "lua51.error_handler";

pub fn open(vm: &mut Vm) {
    let natives: [(&'static str, crate::heap::NativeFn); 18] = [
        ("type", lua_type),
        ("tostring", lua_tostring),
        ("tonumber", lua_tonumber),
        ("next", lua_next),
        ("select", lua_select),
        ("unpack", lua_unpack),
        ("rawget", lua_rawget),
        ("rawset", lua_rawset),
        ("rawequal", lua_rawequal),
        ("setmetatable", lua_setmetatable),
        ("getmetatable", lua_getmetatable),
        ("error", lua_error),
        ("assert", lua_assert),
        ("gcinfo", lua_gcinfo),
        ("loadstring", lua_loadstring),
        ("load", lua_load),
        // Placeholders replaced below by versions with bound values.
        ("pairs", lua_pairs),
        ("ipairs", lua_ipairs),
    ];
    for (name, f) in natives {
        let v = vm.new_native(name, f);
        vm.set_global(name, v);
    }
    // pairs returns a `next` of its own and ipairs its iterator (upvalues in 5.1).
    let pairs_next = vm.new_native("next", lua_next);
    let pairs = vm.new_native_with("pairs", lua_pairs, vec![pairs_next]);
    vm.set_global("pairs", pairs);
    let ipairs_aux = vm.new_native("ipairs_aux", ipairs_aux);
    let ipairs = vm.new_native_with("ipairs", lua_ipairs, vec![ipairs_aux]);
    vm.set_global("ipairs", ipairs);
    // collectgarbage's settings (`setpause` returns the previous one): a table it keeps.
    let settings = vm.new_table();
    vm.set_field(settings, "setpause", Value::Number(200.0));
    vm.set_field(settings, "setstepmul", Value::Number(200.0));
    let collectgarbage = vm.new_native_with(
        "collectgarbage",
        lua_collectgarbage,
        vec![Value::Table(settings)],
    );
    vm.set_global("collectgarbage", collectgarbage);

    let pcall = vm.new_special_native("pcall", unreachable_native, NativeKind::Pcall);
    vm.set_global("pcall", pcall);
    let xpcall = vm.new_special_native("xpcall", unreachable_native, NativeKind::Xpcall);
    vm.set_global("xpcall", xpcall);
    let g = Value::Table(vm.globals());
    vm.set_global("_G", g);
    vm.set_global("_VERSION", Value::str("Lua 5.1"));
}

/// The error function of the main run (Redis's `__redis__err__handler`, which turns an
/// error into `{err = 'ERR ' .. msg}`). Lua code sees its work where Lua 5.1 applies the
/// running error function inside a library: to errors raised while `load` reads its
/// chunk, which `load` then returns. Nil removes it.
pub fn set_error_handler(vm: &mut Vm, handler: Value) {
    let reg = vm.registry();
    let _ = vm.raw_set(reg, Value::str(ERROR_HANDLER_KEY), handler);
}

/// pcall and xpcall are run by the VM itself; their function pointer is never called.
fn unreachable_native(vm: &mut Vm, _args: Vec<Value>) -> R {
    Err(vm.rt_error("pcall called outside the VM"))
}

// ---- argument checks (lauxlib), shared with the other libraries ----

/// Argument `n` (1-based); None past the last one (`lua_isnone`).
pub(crate) fn arg(args: &[Value], n: usize) -> Option<&Value> {
    args.get(n - 1)
}

/// `lua_isnoneornil`.
pub(crate) fn is_none_or_nil(args: &[Value], n: usize) -> bool {
    matches!(arg(args, n), None | Some(Value::Nil))
}

/// `luaL_checkany`.
pub(crate) fn check_any(vm: &Vm, args: &[Value], n: usize) -> Result<(), Value> {
    if args.len() < n {
        return Err(vm.arg_error(n, "?", "value expected"));
    }
    Ok(())
}

/// `luaL_typerror`: "`expected` expected, got `type`".
pub(crate) fn type_error(vm: &Vm, args: &[Value], n: usize, expected: &str) -> Value {
    vm.type_arg_error(n, "?", expected, arg(args, n))
}

/// `luaL_checktype(L, n, LUA_TTABLE)`.
pub(crate) fn check_table(vm: &Vm, args: &[Value], n: usize) -> Result<TableRef, Value> {
    match arg(args, n) {
        Some(Value::Table(t)) => Ok(*t),
        _ => Err(type_error(vm, args, n, "table")),
    }
}

/// `luaL_checktype(L, n, LUA_TFUNCTION)`.
pub(crate) fn check_function(vm: &Vm, args: &[Value], n: usize) -> Result<Value, Value> {
    match arg(args, n) {
        Some(f @ Value::Function(_)) => Ok(f.clone()),
        _ => Err(type_error(vm, args, n, "function")),
    }
}

/// `luaL_checknumber`: numbers, and strings that read as numbers.
pub(crate) fn check_number(vm: &Vm, args: &[Value], n: usize) -> Result<f64, Value> {
    match arg(args, n).and_then(|v| v.to_number()) {
        Some(x) => Ok(x),
        None => Err(type_error(vm, args, n, "number")),
    }
}

/// `luaL_checkint`'s conversion on x86-64: the double to a 64-bit `lua_Integer`
/// (`cvttsd2si`: out of range and NaN give its minimum), then to a C `int` (the low 32
/// bits, sign-extended).
pub(crate) fn c_int(d: f64) -> i64 {
    // 2^63: the first double past i64's range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    let wide = if (-LIMIT..LIMIT).contains(&d) {
        d as i64
    } else {
        i64::MIN
    };
    wide as i32 as i64
}

/// `luaL_checkint`.
pub(crate) fn check_int(vm: &Vm, args: &[Value], n: usize) -> Result<i64, Value> {
    check_number(vm, args, n).map(c_int)
}

/// `luaL_optint`.
pub(crate) fn opt_int(vm: &Vm, args: &[Value], n: usize, default: i64) -> Result<i64, Value> {
    if is_none_or_nil(args, n) {
        return Ok(default);
    }
    check_int(vm, args, n)
}

/// `luaL_checklstring`: strings, and numbers as `%.14g` writes them.
pub(crate) fn check_string(vm: &Vm, args: &[Value], n: usize) -> Result<LuaStr, Value> {
    match arg(args, n).and_then(|v| v.to_lua_string()) {
        Some(s) => Ok(s),
        None => Err(type_error(vm, args, n, "string")),
    }
}

/// `luaL_optlstring`.
pub(crate) fn opt_string(
    vm: &Vm,
    args: &[Value],
    n: usize,
    default: &[u8],
) -> Result<LuaStr, Value> {
    if is_none_or_nil(args, n) {
        return Ok(LuaStr::new(default));
    }
    check_string(vm, args, n)
}

/// `luaL_error` with a message of raw bytes: positioned at the calling Lua code.
pub(crate) fn error_bytes(vm: &Vm, msg: &[u8]) -> Value {
    let mut out = vm.where_(1).into_bytes();
    out.extend_from_slice(msg);
    Value::Str(LuaStr::from_vec(out))
}

/// `lua_rawset`/`lua_rawseti` in Redis's Lua: a read-only table refuses the write, and a
/// nil or NaN key is an error (raised inside a C function: no position).
pub(crate) fn raw_set_checked(vm: &mut Vm, t: TableRef, key: Value, v: Value) -> Result<(), Value> {
    if vm.is_readonly(t) {
        return Err(vm.rt_error("Attempt to modify a readonly table"));
    }
    vm.raw_set(t, key, v)
}

// ---- the functions ----

fn lua_type(vm: &mut Vm, args: Vec<Value>) -> R {
    check_any(vm, &args, 1)?;
    ret1(Value::str(args[0].type_name()))
}

/// `luaL_getmetafield`: the field of `v`'s metatable, read raw; nil without one.
fn meta_field(vm: &Vm, v: &Value, name: &str) -> Value {
    match vm.metatable(v) {
        Some(m) => vm.get_field(m, name),
        None => Value::Nil,
    }
}

fn lua_tostring(vm: &mut Vm, args: Vec<Value>) -> R {
    check_any(vm, &args, 1)?;
    // luaL_callmeta: whatever `__tostring` returns (its first result) is the result.
    let tm = meta_field(vm, &args[0], "__tostring");
    if !tm.is_nil() {
        let r = vm.call(tm, vec![args[0].clone()])?;
        return ret1(r.into_iter().next().unwrap_or(Value::Nil));
    }
    ret1(Value::Str(vm.tostring_raw(&args[0])))
}

/// C's `strtoul(text, &end, base)` followed by 5.1's check that only spaces follow: the
/// text is a C string (it ends at a NUL byte); leading spaces, a sign (a negative value
/// wraps), `0x` for base 16; past ULONG_MAX the value is ULONG_MAX. None when no digit
/// was read or something else follows.
fn strtoul_whole(text: &[u8], base: u32) -> Option<f64> {
    let text = text.split(|&b| b == 0).next().unwrap_or_default();
    let start = text.iter().position(|&c| !crate::number::is_c_space(c))?;
    let mut rest = &text[start..];
    let negative = rest.first() == Some(&b'-');
    if matches!(rest.first(), Some(b'-' | b'+')) {
        rest = &rest[1..];
    }
    if base == 16
        && rest.len() > 2
        && rest[0] == b'0'
        && (rest[1] | 0x20) == b'x'
        && rest[2].is_ascii_hexdigit()
    {
        rest = &rest[2..];
    }
    let digits = rest
        .iter()
        .take_while(|&&c| (c as char).is_digit(base))
        .count();
    if digits == 0 || !rest[digits..].iter().all(|&c| crate::number::is_c_space(c)) {
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
    Some(if negative {
        n.wrapping_neg() as f64
    } else {
        n as f64
    })
}

fn lua_tonumber(vm: &mut Vm, args: Vec<Value>) -> R {
    let base = opt_int(vm, &args, 2, 10)?;
    if base == 10 {
        check_any(vm, &args, 1)?;
        return ret1(args[0].to_number().map_or(Value::Nil, Value::Number));
    }
    let text = check_string(vm, &args, 1)?;
    if !(2..=36).contains(&base) {
        return Err(vm.arg_error(2, "?", "base out of range"));
    }
    ret1(strtoul_whole(text.as_bytes(), base as u32).map_or(Value::Nil, Value::Number))
}

fn lua_next(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1)?;
    let key = arg(&args, 2).cloned().unwrap_or(Value::Nil);
    match vm.heap.table(t).next(&key) {
        Ok(Some((k, v))) => ret(vec![k, v]),
        Ok(None) => ret1(Value::Nil),
        Err(_) => Err(vm.rt_error("invalid key to 'next'")),
    }
}

fn lua_pairs(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1)?;
    ret(vec![vm.native_upvalue(0), Value::Table(t), Value::Nil])
}

/// The iterator `ipairs` returns: the index is checked before the table, and the end is
/// no value at all.
fn ipairs_aux(vm: &mut Vm, args: Vec<Value>) -> R {
    let i = check_int(vm, &args, 2)? + 1;
    let t = check_table(vm, &args, 1)?;
    let v = vm.heap.table(t).get_int(i).clone();
    if v.is_nil() {
        ret(Vec::new())
    } else {
        ret(vec![Value::Number(i as f64), v])
    }
}

fn lua_ipairs(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1)?;
    ret(vec![
        vm.native_upvalue(0),
        Value::Table(t),
        Value::Number(0.0),
    ])
}

fn lua_select(vm: &mut Vm, args: Vec<Value>) -> R {
    let n = args.len() as i64;
    if let Some(Value::Str(s)) = args.first() {
        if s.as_bytes().first() == Some(&b'#') {
            return ret1(Value::Number((n - 1) as f64));
        }
    }
    let mut i = check_int(vm, &args, 1)?;
    if i < 0 {
        i += n;
    } else if i > n {
        i = n;
    }
    if i < 1 {
        return Err(vm.arg_error(1, "?", "index out of range"));
    }
    ret(args[i as usize..].to_vec())
}

fn lua_unpack(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1)?;
    let i = opt_int(vm, &args, 2, 1)?;
    let e = if is_none_or_nil(&args, 3) {
        vm.raw_len(t) as i32 as i64
    } else {
        check_int(vm, &args, 3)?
    };
    if i > e {
        return ret(Vec::new());
    }
    // `e - i + 1` in C ints (n <= 0: it overflowed), then lua_checkstack: the arguments
    // and the results within LUAI_MAXCSTACK.
    let n = (e as i32).wrapping_sub(i as i32).wrapping_add(1);
    if n <= 0 || n as usize + args.len() > MAX_C_STACK {
        return Err(vm.error("too many results to unpack"));
    }
    let tab = vm.heap.table(t);
    ret((i..=e).map(|k| tab.get_int(k).clone()).collect())
}

fn lua_rawget(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1)?;
    check_any(vm, &args, 2)?;
    ret1(vm.raw_get(t, &args[1]))
}

fn lua_rawset(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1)?;
    check_any(vm, &args, 2)?;
    check_any(vm, &args, 3)?;
    raw_set_checked(vm, t, args[1].clone(), args[2].clone())?;
    ret1(Value::Table(t))
}

fn lua_rawequal(vm: &mut Vm, args: Vec<Value>) -> R {
    check_any(vm, &args, 1)?;
    check_any(vm, &args, 2)?;
    ret1(Value::Bool(args[0].raw_eq(&args[1])))
}

fn lua_setmetatable(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1)?;
    let meta = match arg(&args, 2) {
        Some(Value::Nil) => None,
        Some(Value::Table(m)) => Some(*m),
        _ => return Err(vm.arg_error(2, "?", "nil or table expected")),
    };
    if let Some(old) = vm.heap.table(t).meta {
        let protected = vm.heap.table(old).get_str(vm.event_name(Event::Metatable));
        if !protected.is_nil() {
            return Err(vm.error("cannot change a protected metatable"));
        }
    }
    if vm.is_readonly(t) {
        return Err(vm.rt_error("Attempt to modify a readonly table"));
    }
    vm.set_metatable(t, meta);
    ret1(Value::Table(t))
}

fn lua_getmetatable(vm: &mut Vm, args: Vec<Value>) -> R {
    check_any(vm, &args, 1)?;
    match vm.metatable(&args[0]) {
        None => ret1(Value::Nil),
        Some(m) => {
            let protected = vm
                .heap
                .table(m)
                .get_str(vm.event_name(Event::Metatable))
                .clone();
            if protected.is_nil() {
                ret1(Value::Table(m))
            } else {
                ret1(protected)
            }
        }
    }
}

fn lua_error(vm: &mut Vm, args: Vec<Value>) -> R {
    let level = opt_int(vm, &args, 2, 1)?;
    let msg = args.into_iter().next().unwrap_or(Value::Nil);
    // lua_isstring: numbers get the position too (and become strings).
    if let (Some(s), true) = (msg.to_lua_string(), level > 0) {
        let mut out = vm.where_(level as usize).into_bytes();
        out.extend_from_slice(s.as_bytes());
        return Err(Value::Str(LuaStr::from_vec(out)));
    }
    Err(msg)
}

fn lua_assert(vm: &mut Vm, args: Vec<Value>) -> R {
    check_any(vm, &args, 1)?;
    if args[0].truthy() {
        return ret(args);
    }
    // luaL_error(L, "%s", luaL_optstring(L, 2, "assertion failed!")): always positioned.
    let msg = opt_string(vm, &args, 2, b"assertion failed!")?;
    Err(error_bytes(vm, msg.as_bytes()))
}

/// `collectgarbage([opt [, arg]])`. Collections are the VM's (mark and sweep of the
/// whole heap); `count` is its estimate of live memory in KB; the pause and step
/// multiplier are only remembered, as Lua code can read them back.
fn lua_collectgarbage(vm: &mut Vm, args: Vec<Value>) -> R {
    let opt = opt_string(vm, &args, 1, b"collect")?;
    let known = [
        "stop",
        "restart",
        "collect",
        "count",
        "step",
        "setpause",
        "setstepmul",
    ];
    let Some(&opt) = known.iter().find(|o| o.as_bytes() == opt.as_bytes()) else {
        let mut msg = b"invalid option '".to_vec();
        msg.extend_from_slice(opt.as_bytes());
        msg.push(b'\'');
        return Err(vm.arg_error(1, "?", &String::from_utf8_lossy(&msg)));
    };
    let ex = opt_int(vm, &args, 2, 0)?;
    match opt {
        "collect" => {
            vm.full_gc();
            ret1(Value::Number(0.0))
        }
        "count" => ret1(Value::Number(vm.memory_used() as f64 / 1024.0)),
        "step" => {
            vm.full_gc();
            ret1(Value::Bool(true))
        }
        "setpause" | "setstepmul" => {
            let Value::Table(settings) = vm.native_upvalue(0) else {
                return ret1(Value::Number(0.0));
            };
            let old = vm.get_field(settings, opt);
            vm.set_field(settings, opt, Value::Number(ex as f64));
            ret1(old)
        }
        _ => ret1(Value::Number(0.0)),
    }
}

/// `gcinfo()`: the memory in use, in whole KB.
fn lua_gcinfo(vm: &mut Vm, _args: Vec<Value>) -> R {
    ret1(Value::Number((vm.memory_used() / 1024) as f64))
}

// ---- loadstring and load ----

/// `luaO_chunkid`: how Lua 5.1 shows a chunk name in messages, in at most `size - 1`
/// bytes (LUA_IDSIZE 60 for runtime errors, MAXSRC 80 for compile errors). The name is a
/// C string: it ends at a NUL byte.
pub fn chunk_id(source: &[u8], size: usize) -> String {
    let source = source.split(|&b| b == 0).next().unwrap_or_default();
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
    let line_end = source
        .iter()
        .position(|&c| c == b'\n' || c == b'\r')
        .unwrap_or(source.len());
    let len = line_end.min(size - 17);
    if len < source.len() {
        format!("[string \"{}...\"]", text(&source[..len]))
    } else {
        format!("[string \"{}\"]", text(source))
    }
}

/// Compiles a chunk as `luaL_loadbuffer` does: the function, or 5.1's message.
fn compile(vm: &mut Vm, code: &[u8], chunk_name: &[u8]) -> Result<Value, String> {
    let compile_name = chunk_id(chunk_name, 80);
    let chunk = crate::syntax::parse(code).map_err(|e| e.text(&compile_name))?;
    let mut proto = crate::compiler::compile(&chunk, &chunk_id(chunk_name, 60))
        .map_err(|e| e.text(&compile_name))?;
    set_chunk_name(&mut proto, &LuaStr::new(chunk_name));
    vm.heap.debt += code.len();
    let closure = LuaClosure {
        proto,
        upvals: Box::new([]),
    };
    Ok(Value::Function(
        vm.heap.new_function(Function::Lua(closure)),
    ))
}

/// Records the name a chunk was loaded with in it and its nested functions (they are
/// only held by their parent right after compiling).
fn set_chunk_name(proto: &mut std::rc::Rc<crate::proto::Proto>, name: &LuaStr) {
    if let Some(p) = std::rc::Rc::get_mut(proto) {
        p.chunk_name = Some(name.clone());
        for child in &mut p.protos {
            set_chunk_name(child, name);
        }
    }
}

/// `load_aux`: the function, or nil and the message.
fn load_result(vm: &mut Vm, compiled: Result<Value, String>) -> R {
    match compiled {
        Ok(f) => ret1(f),
        Err(msg) => {
            let msg = vm.new_string(msg.as_bytes());
            ret(vec![Value::Nil, msg])
        }
    }
}

fn lua_loadstring(vm: &mut Vm, args: Vec<Value>) -> R {
    let code = check_string(vm, &args, 1)?;
    let chunk_name = opt_string(vm, &args, 2, code.as_bytes())?;
    let compiled = compile(vm, code.as_bytes(), chunk_name.as_bytes());
    load_result(vm, compiled)
}

/// The error function in force where the running native was called (5.1's
/// `L->errfunc`): the innermost `xpcall`'s handler; none under `pcall` (also when
/// `pcall` called the native directly) or in a coroutine; else the host's.
fn error_function(vm: &Vm) -> Option<Value> {
    // No position for level 1: a native called us (pcall; another native's call is
    // taken for one too).
    if vm.where_(1).is_empty() {
        return None;
    }
    for f in vm.frames.iter().rev() {
        match f.kind {
            FrameKind::Protected => return f.handler.clone(),
            FrameKind::CoroutineBase => return None,
            FrameKind::Normal | FrameKind::Boundary => {}
        }
    }
    let reg = vm.registry();
    match vm.raw_get(reg, &Value::str(ERROR_HANDLER_KEY)) {
        Value::Nil => None,
        h => Some(h),
    }
}

/// An error raised while `load` reads its chunk, as `lua_load` returns it: passed
/// through the error function in force ("error in error handling" if that fails too).
fn reader_error(vm: &mut Vm, handler: Option<Value>, e: Value) -> Value {
    match handler {
        None => e,
        Some(h) => match vm.call(h, vec![e]) {
            Ok(r) => r.into_iter().next().unwrap_or(Value::Nil),
            Err(_) => Value::str("error in error handling"),
        },
    }
}

/// `load(reader [, chunkname])`: calls the reader until it returns nil or an empty
/// string, then compiles what it gave (5.1 parses while it reads; reading first differs
/// only for a reader that fails or never ends after a syntax error).
fn lua_load(vm: &mut Vm, args: Vec<Value>) -> R {
    let chunk_name = opt_string(vm, &args, 2, b"=(load)")?;
    let reader = check_function(vm, &args, 1)?;
    let handler = error_function(vm);
    let mut code = Vec::new();
    loop {
        let piece = match vm.call(reader.clone(), Vec::new()) {
            Ok(r) => r.into_iter().next().unwrap_or(Value::Nil),
            Err(e) => return ret(vec![Value::Nil, reader_error(vm, handler, e)]),
        };
        let bytes = match &piece {
            Value::Nil => break,
            v => match v.to_lua_string() {
                Some(s) => s,
                None => {
                    let e = vm.error("reader function must return a string");
                    return ret(vec![Value::Nil, reader_error(vm, handler, e)]);
                }
            },
        };
        if bytes.is_empty() {
            break;
        }
        vm.consume_fuel(bytes.len() as u64 / 64)?;
        code.extend_from_slice(bytes.as_bytes());
        if code.len() > MAX_CHUNK {
            // LUA_ERRMEM: the message, without the error function.
            return ret(vec![Value::Nil, Value::str("not enough memory")]);
        }
    }
    let compiled = compile(vm, &code, chunk_name.as_bytes());
    load_result(vm, compiled)
}
