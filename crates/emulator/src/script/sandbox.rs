//! The Lua state a script runs in, built and locked as Redis 7.0 builds its own
//! (script_lua.c's `luaRegisterRedisAPI`, `luaSetErrorMetatable`,
//! `luaSetTableProtectionRecursively`):
//!
//! - the libraries Redis opens (base, table, string, math, cjson, cmsgpack, bit, struct),
//!   the `redis` table (`api.rs`) and Redis's `pcall` and `__redis__err__handler`;
//! - the globals and every table reachable from them are read-only ("Attempt to modify a
//!   readonly table", raised by the VM), and reading a global that does not exist fails
//!   ("Script attempted to access nonexistent global variable 'x'");
//! - a small trampoline runs every script and function under `xpcall` with Redis's error
//!   handler, which records where the error was (`{err=, source=, line=}`).
//!
//! KEYS and ARGV are set in the globals by the host before each EVAL (raw writes pass the
//! lock, as Redis's own `lua_setglobal` does).

use std::rc::Rc;

use lua51::lib_math::Rand48;
use lua51::{NativeReturn, TableRef, Value, Vm};

use super::api;
use super::SharedBridge;

/// Where the host's state is kept in the registry, for natives to find it.
pub(crate) const BRIDGE_KEY: &str = "__emulator_bridge";

/// Makes the function that runs `f` (with `(keys, args)` when given) under `xpcall` with
/// Redis's error handler: its first result says whether `f` succeeded, as `lua_pcall`
/// with a handler does. Both are kept as upvalues (a library body runs without globals).
const TRAMPOLINE: &[u8] = b"local xpcall, handler = ...\n\
return function(f, k, a)\n\
  if k == nil then return xpcall(f, handler) end\n\
  return xpcall(function() return f(k, a) end, handler)\n\
end";

/// Redis 7.0's `pcall` (luaRedisPcall): an error table caught is returned as its `err`
/// text (`pcall(redis.call, 'x')` gives the message, not the table).
const PCALL: &[u8] = b"local rawpcall, type = ...\n\
local function finish(ok, ...)\n\
  if ok then return ok, ... end\n\
  local e = ...\n\
  if type(e) == 'table' then\n\
    local m = e.err\n\
    if type(m) == 'string' or type(m) == 'number' then return false, m end\n\
  end\n\
  return false, e\n\
end\n\
return function(...) return finish(rawpcall(...)) end";

/// A Vm ready for scripts: libraries, the `redis` API, locks; returns it with the pinned
/// trampoline.
pub(crate) fn build(bridge: &SharedBridge, random: Rc<Rand48>, functions: bool) -> (Vm, usize) {
    let mut vm = Vm::new();
    let shared = vm.new_userdata(Box::new(bridge.clone()), None);
    let reg = vm.registry();
    let _ = vm.raw_set(reg, Value::str(BRIDGE_KEY), shared);
    open_libraries(&mut vm, random);
    let redis = api::redis_table(&mut vm, functions);
    vm.set_global("redis", Value::Table(redis));
    let handler = vm.new_native("__redis__err__handler", api::error_handler);
    vm.set_global("__redis__err__handler", handler);
    let args = vec![vm.get_global("pcall"), vm.get_global("type")];
    if let Some(pcall) = run_helper(&mut vm, PCALL, args) {
        vm.set_global("pcall", pcall);
    }
    // Redis removes these from the base library.
    for name in ["loadfile", "dofile", "print"] {
        vm.set_global(name, Value::Nil);
    }
    let args = vec![
        vm.get_global("xpcall"),
        vm.get_global("__redis__err__handler"),
    ];
    let trampoline = run_helper(&mut vm, TRAMPOLINE, args).unwrap_or(Value::Nil);
    let trampoline = vm.pin(trampoline);
    lock(&mut vm);
    (vm, trampoline)
}

/// Opens the libraries that `lua51` provides beyond base and coroutine, in Redis's order
/// (luaLoadLibraries): table, string, math, then cjson, struct, cmsgpack and bit.
fn open_libraries(vm: &mut Vm, random: Rc<Rand48>) {
    lua51::lib_table::open(vm);
    lua51::lib_string::open(vm);
    lua51::lib_math::open_with_generator(vm, random);
    lua51::redis_libs::open(vm);
}

/// Runs a helper chunk with `args`, returning its result (a function).
fn run_helper(vm: &mut Vm, src: &[u8], args: Vec<Value>) -> Option<Value> {
    let f = vm.load(src, "=[C]").ok()?;
    vm.start(f, args).ok()?;
    match vm.run(10_000) {
        Ok(lua51::Outcome::Finished(mut v)) if !v.is_empty() => Some(v.swap_remove(0)),
        _ => {
            vm.abort();
            None
        }
    }
}

/// The nonexistent-global error (luaProtectedTableError), for `__index` of the globals.
pub(crate) fn nonexistent_global(vm: &mut Vm, args: Vec<Value>) -> Result<NativeReturn, Value> {
    let name = match args.get(1).and_then(|v| v.to_lua_string()) {
        Some(s) => s.to_str_lossy(),
        None => return Err(vm.type_arg_error(2, "?", "string", args.get(1))),
    };
    Err(vm.error(&format!(
        "Script attempted to access nonexistent global variable '{name}'"
    )))
}

/// The globals' metatable with the nonexistent-global `__index`, then every table
/// reachable from the globals read-only.
fn lock(vm: &mut Vm) {
    let meta = vm.new_table();
    let index = vm.new_native("__index", nonexistent_global);
    vm.set_field(meta, "__index", index);
    let g = vm.globals();
    vm.set_metatable(g, Some(meta));
    protect(vm, g);
}

/// `luaSetTableProtectionRecursively`.
pub(crate) fn protect(vm: &mut Vm, t: TableRef) {
    if vm.is_readonly(t) {
        return;
    }
    vm.set_readonly(t, true);
    for (_, v) in super::convert::pairs(vm, t) {
        if let Value::Table(inner) = v {
            protect(vm, inner);
        }
    }
    if let Some(meta) = vm.metatable(&Value::Table(t)) {
        protect(vm, meta);
    }
}

/// Sets KEYS and ARGV for the next run.
pub(crate) fn set_keys_and_args(vm: &mut Vm, keys: &[Vec<u8>], args: &[Vec<u8>]) {
    let keys = string_array(vm, keys);
    let args = string_array(vm, args);
    let g = vm.globals();
    let _ = vm.raw_set(g, Value::str("KEYS"), keys);
    let _ = vm.raw_set(g, Value::str("ARGV"), args);
}

/// A Lua array of strings.
pub(crate) fn string_array(vm: &mut Vm, items: &[Vec<u8>]) -> Value {
    let values = items.iter().map(|i| vm.new_string(i)).collect();
    Value::Table(vm.new_array(values))
}
