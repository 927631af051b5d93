//! The core of Lua 5.1's base library (lbaselib.c) that the VM itself needs to be usable:
//! type, tostring, tonumber, pairs/ipairs/next, select, unpack, raw access, metatables,
//! error/assert, pcall/xpcall (run by the VM as protected frames), collectgarbage.
//! Messages are 5.1's (`bad argument #1 to 'setmetatable' (table expected, got nil)`).

use crate::heap::NativeKind;
use crate::vm::{Event, NativeReturn, Vm};
use crate::value::{LuaStr, Value};

type R = Result<NativeReturn, Value>;

fn ret(v: Vec<Value>) -> R {
    Ok(NativeReturn::Values(v))
}

fn ret1(v: Value) -> R {
    Ok(NativeReturn::Values(vec![v]))
}

pub fn open(vm: &mut Vm) {
    let natives: [(&'static str, crate::heap::NativeFn); 17] = [
        ("type", lua_type),
        ("tostring", lua_tostring),
        ("tonumber", lua_tonumber),
        ("next", lua_next),
        ("pairs", lua_pairs),
        ("ipairs", lua_ipairs),
        ("select", lua_select),
        ("unpack", lua_unpack),
        ("rawget", lua_rawget),
        ("rawset", lua_rawset),
        ("rawequal", lua_rawequal),
        ("setmetatable", lua_setmetatable),
        ("getmetatable", lua_getmetatable),
        ("error", lua_error),
        ("assert", lua_assert),
        ("collectgarbage", lua_collectgarbage),
        ("gcinfo", lua_gcinfo),
    ];
    for (name, f) in natives {
        let v = vm.new_native(name, f);
        vm.set_global(name, v);
    }
    let pcall = vm.new_special_native("pcall", unreachable_native, NativeKind::Pcall);
    vm.set_global("pcall", pcall);
    let xpcall = vm.new_special_native("xpcall", unreachable_native, NativeKind::Xpcall);
    vm.set_global("xpcall", xpcall);
    let g = Value::Table(vm.globals());
    vm.set_global("_G", g);
    vm.set_global("_VERSION", Value::str("Lua 5.1"));
    let ipairs_aux = vm.new_native("ipairs_aux", ipairs_aux);
    let reg = vm.registry();
    let _ = vm.raw_set(reg, Value::str("ipairs_aux"), ipairs_aux);
}

/// pcall and xpcall are run by the VM itself; their function pointer is never called.
fn unreachable_native(vm: &mut Vm, _args: Vec<Value>) -> R {
    Err(vm.rt_error("pcall called outside the VM"))
}

fn check_any(vm: &Vm, args: &[Value], n: usize, fname: &str) -> Result<(), Value> {
    if args.len() < n {
        return Err(vm.arg_error(n, fname, "value expected"));
    }
    Ok(())
}

fn check_table(vm: &Vm, args: &[Value], n: usize, fname: &str) -> Result<crate::value::TableRef, Value> {
    match args.get(n - 1) {
        Some(Value::Table(t)) => Ok(*t),
        other => Err(vm.type_arg_error(n, fname, "table", other)),
    }
}

/// `luaL_checkint`/`luaL_optint` style numbers.
pub fn check_number(vm: &Vm, args: &[Value], n: usize, fname: &str) -> Result<f64, Value> {
    match args.get(n - 1).and_then(|v| v.to_number()) {
        Some(x) => Ok(x),
        None => Err(vm.type_arg_error(n, fname, "number", args.get(n - 1))),
    }
}

fn opt_number(vm: &Vm, args: &[Value], n: usize, fname: &str, default: f64) -> Result<f64, Value> {
    match args.get(n - 1) {
        None | Some(Value::Nil) => Ok(default),
        Some(_) => check_number(vm, args, n, fname),
    }
}

fn lua_type(vm: &mut Vm, args: Vec<Value>) -> R {
    check_any(vm, &args, 1, "type")?;
    ret1(Value::str(args[0].type_name()))
}

fn lua_tostring(vm: &mut Vm, args: Vec<Value>) -> R {
    check_any(vm, &args, 1, "tostring")?;
    let s = vm.tostring(&args[0])?;
    ret1(Value::Str(s))
}

fn lua_tonumber(vm: &mut Vm, args: Vec<Value>) -> R {
    let base = opt_number(vm, &args, 2, "tonumber", 10.0)? as i64;
    if base == 10 {
        check_any(vm, &args, 1, "tonumber")?;
        return ret1(args[0].to_number().map_or(Value::Nil, Value::Number));
    }
    if !(2..=36).contains(&base) {
        return Err(vm.arg_error(2, "tonumber", "base out of range"));
    }
    let s = match args.first() {
        Some(v) => match v.to_lua_string() {
            Some(s) => s,
            None => return Err(vm.type_arg_error(1, "tonumber", "string", Some(v))),
        },
        None => return Err(vm.type_arg_error(1, "tonumber", "string", None)),
    };
    // strtoul with the base: optional spaces and sign, digits, optional trailing spaces.
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && crate::number::is_c_space(b[i]) {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        neg = b[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut v: u64 = 0;
    while i < b.len() {
        let d = match (b[i] as char).to_digit(36) {
            Some(d) if (d as i64) < base => d as u64,
            _ => break,
        };
        v = v.saturating_mul(base as u64).saturating_add(d);
        i += 1;
    }
    if i == start {
        return ret1(Value::Nil);
    }
    while i < b.len() && crate::number::is_c_space(b[i]) {
        i += 1;
    }
    if i != b.len() {
        return ret1(Value::Nil);
    }
    let v = if neg { v.wrapping_neg() } else { v };
    ret1(Value::Number(v as f64))
}

fn lua_next(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1, "next")?;
    let key = args.get(1).cloned().unwrap_or(Value::Nil);
    match vm.heap.table(t).next(&key) {
        Ok(Some((k, v))) => ret(vec![k, v]),
        Ok(None) => ret1(Value::Nil),
        Err(_) => Err(vm.rt_error("invalid key to 'next'")),
    }
}

fn lua_pairs(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1, "pairs")?;
    let next = vm.get_global("next");
    let next = if next.is_nil() { vm.new_native("next", lua_next) } else { next };
    ret(vec![next, Value::Table(t), Value::Nil])
}

fn ipairs_aux(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1, "ipairs")?;
    let i = check_number(vm, &args, 2, "ipairs")? as i64 + 1;
    let v = vm.heap.table(t).get_int(i).clone();
    if v.is_nil() {
        ret1(Value::Nil)
    } else {
        ret(vec![Value::Number(i as f64), v])
    }
}

fn lua_ipairs(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1, "ipairs")?;
    let reg = vm.registry();
    let aux = vm.raw_get(reg, &Value::str("ipairs_aux"));
    ret(vec![aux, Value::Table(t), Value::Number(0.0)])
}

fn lua_select(vm: &mut Vm, args: Vec<Value>) -> R {
    let n = args.len() as i64;
    if let Some(Value::Str(s)) = args.first() {
        if s.as_bytes().first() == Some(&b'#') {
            return ret1(Value::Number((n - 1) as f64));
        }
    }
    let mut i = check_number(vm, &args, 1, "select")? as i64;
    if i < 0 {
        i += n;
    } else if i > n {
        i = n;
    }
    if i < 1 {
        return Err(vm.arg_error(1, "select", "index out of range"));
    }
    ret(args[i as usize..].to_vec())
}

fn lua_unpack(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1, "unpack")?;
    let i = opt_number(vm, &args, 2, "unpack", 1.0)? as i64;
    let e = match args.get(2) {
        None | Some(Value::Nil) => vm.raw_len(t) as i64,
        Some(_) => check_number(vm, &args, 3, "unpack")? as i64,
    };
    if i > e {
        return ret(Vec::new());
    }
    let n = (e as i128 - i as i128 + 1) as u128;
    if n >= 8000 * 4 {
        return Err(vm.error("too many results to unpack"));
    }
    let tab = vm.heap.table(t);
    ret((i..=e).map(|k| tab.get_int(k).clone()).collect())
}

fn lua_rawget(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1, "rawget")?;
    check_any(vm, &args, 2, "rawget")?;
    ret1(vm.raw_get(t, &args[1]))
}

fn lua_rawset(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1, "rawset")?;
    check_any(vm, &args, 2, "rawset")?;
    check_any(vm, &args, 3, "rawset")?;
    if vm.is_readonly(t) {
        return Err(vm.rt_error("Attempt to modify a readonly table"));
    }
    vm.raw_set(t, args[1].clone(), args[2].clone())?;
    ret1(Value::Table(t))
}

fn lua_rawequal(vm: &mut Vm, args: Vec<Value>) -> R {
    check_any(vm, &args, 1, "rawequal")?;
    check_any(vm, &args, 2, "rawequal")?;
    ret1(Value::Bool(args[0].raw_eq(&args[1])))
}

fn lua_setmetatable(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1, "setmetatable")?;
    let meta = match args.get(1) {
        Some(Value::Nil) => None,
        Some(Value::Table(m)) => Some(*m),
        _ => return Err(vm.arg_error(2, "setmetatable", "nil or table expected")),
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
    check_any(vm, &args, 1, "getmetatable")?;
    match vm.metatable(&args[0]) {
        None => ret1(Value::Nil),
        Some(m) => {
            let protected = vm.heap.table(m).get_str(vm.event_name(Event::Metatable)).clone();
            if protected.is_nil() {
                ret1(Value::Table(m))
            } else {
                ret1(protected)
            }
        }
    }
}

fn lua_error(vm: &mut Vm, args: Vec<Value>) -> R {
    let level = opt_number(vm, &args, 2, "error", 1.0)? as i64;
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
    check_any(vm, &args, 1, "assert")?;
    if args[0].truthy() {
        return ret(args);
    }
    // luaL_error(L, "%s", luaL_optstring(L, 2, "assertion failed!")): always positioned.
    match args.get(1) {
        None | Some(Value::Nil) => Err(vm.error("assertion failed!")),
        Some(v) => match v.to_lua_string() {
            Some(s) => Err(vm.error(&s.to_str_lossy())),
            None => Err(vm.type_arg_error(2, "assert", "string", Some(v))),
        },
    }
}

fn lua_collectgarbage(vm: &mut Vm, args: Vec<Value>) -> R {
    let opt = match args.first() {
        None | Some(Value::Nil) => "collect".to_string(),
        Some(Value::Str(s)) => s.to_str_lossy(),
        Some(other) => return Err(vm.type_arg_error(1, "collectgarbage", "string", Some(other))),
    };
    match opt.as_str() {
        "collect" => {
            vm.full_gc();
            ret1(Value::Number(0.0))
        }
        "count" => ret1(Value::Number(vm.memory_used() as f64 / 1024.0)),
        "step" => {
            vm.full_gc();
            ret1(Value::Bool(true))
        }
        "stop" | "restart" | "setpause" | "setstepmul" => ret1(Value::Number(0.0)),
        _ => Err(vm.arg_error(1, "collectgarbage", &format!("invalid option '{opt}'"))),
    }
}

fn lua_gcinfo(vm: &mut Vm, _args: Vec<Value>) -> R {
    ret1(Value::Number((vm.memory_used() / 1024) as f64))
}

