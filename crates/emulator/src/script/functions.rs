//! Redis 7.0 functions (functions.c, function_lua.c): libraries of Lua functions that
//! FUNCTION LOAD registers and FCALL calls, in the same Lua state as EVAL's scripts.
//!
//! - A library's code starts with a shebang, `#!lua name=<library>`; the rest is compiled
//!   as the chunk `user_function` (line numbers count the shebang line).
//! - The body runs once, at load time, seeing only a small `redis` table
//!   (`register_function`, `log`, the log levels and the version): every other global is
//!   "nonexistent". Its functions run later with the same globals EVAL scripts see. Redis
//!   switches one metatable's `__index` between the two; so does the emulator, for the
//!   environment every library is compiled with.
//! - Functions get `(keys, args)` as two tables (no KEYS / ARGV globals); their errors name
//!   the function: `script: <name>, on @user_function:<line>.`
//! - Function names are case-insensitive (FCALL F finds f), library names are not.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use piccolo::{Callback, CallbackReturn, Closure, Context, Error, Executor, Fuel, Function, IntoValue, StashedFunction, StashedTable, Table, Value};

use super::sandbox::{self, positioned, record_error_line};
use super::{api, convert, Mode, Scripting, SharedBridge, Target};
use crate::engine::{ClientId, Engine};
use crate::reply::Reply;

/// The chunk name of function libraries (`@user_function`, printed `user_function`).
pub const CHUNK: &str = "user_function";
/// The only engine Redis 7.0 has.
pub const ENGINE: &str = "LUA";

/// Function flags (`scripts_flags_def`), in the order FUNCTION LIST prints them.
pub mod flag {
    pub const NO_WRITES: u8 = 1 << 0;
    pub const ALLOW_OOM: u8 = 1 << 1;
    pub const ALLOW_STALE: u8 = 1 << 2;
    pub const NO_CLUSTER: u8 = 1 << 3;
    pub const ALLOW_CROSS_SLOT_KEYS: u8 = 1 << 4;
    pub const NAMES: &[(u8, &str)] = &[
        (NO_WRITES, "no-writes"),
        (ALLOW_OOM, "allow-oom"),
        (ALLOW_STALE, "allow-stale"),
        (NO_CLUSTER, "no-cluster"),
        (ALLOW_CROSS_SLOT_KEYS, "allow-cross-slot-keys"),
    ];
}

/// A registered function.
pub struct FunctionInfo {
    pub name: String,
    pub description: Option<Vec<u8>>,
    pub flags: u8,
    callback: StashedFunction,
}

/// A loaded library: its code (shebang included) and its functions.
pub struct Library {
    pub name: String,
    pub code: Vec<u8>,
    /// By name as registered.
    pub functions: BTreeMap<String, FunctionInfo>,
}

/// The libraries of a server (or of a payload being restored).
#[derive(Default)]
pub struct Registry {
    /// By library name (case-sensitive).
    pub libraries: BTreeMap<String, Library>,
}

impl Registry {
    /// The library of a function, by its case-insensitive name.
    fn find(&self, function: &str) -> Option<(&Library, &FunctionInfo)> {
        self.libraries
            .values()
            .find_map(|lib| lib.functions.values().find(|f| f.name.eq_ignore_ascii_case(function)).map(|f| (lib, f)))
    }

    pub fn function_count(&self) -> usize {
        self.libraries.values().map(|l| l.functions.len()).sum()
    }

    /// The first function of `library` that another library (not `except`) already has.
    fn collision(&self, library: &Library, except: Option<&str>) -> Option<String> {
        library.functions.values().find_map(|f| {
            let (owner, _) = self.find(&f.name)?;
            (Some(owner.name.as_str()) != except).then(|| f.name.clone())
        })
    }

    /// `libraryJoin`: adds `other`'s libraries; a library that exists is an error, or
    /// replaced with `replace`; a function that exists in a library kept is an error.
    /// Nothing changes on error.
    pub fn join(&mut self, other: Registry, replace: bool) -> Result<(), String> {
        for name in other.libraries.keys() {
            if self.libraries.contains_key(name) && !replace {
                return Err(format!("Library {name} already exists"));
            }
        }
        for lib in other.libraries.values() {
            for f in lib.functions.values() {
                if let Some((owner, _)) = self.find(&f.name) {
                    if !other.libraries.contains_key(&owner.name) {
                        return Err(format!("Function {} already exists", f.name));
                    }
                }
            }
        }
        self.libraries.extend(other.libraries);
        Ok(())
    }
}

/// The library metadata of a shebang line (`functionExtractLibMetaData`) and where the code
/// after it starts.
struct Metadata {
    name: String,
    /// The byte offset of the newline ending the shebang: the compiled code starts there.
    code_start: usize,
}

/// Letters, digits and underscores, at least one (`functionsVerifyName`).
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

const NAME_RULES: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// Parses the shebang and checks the library name and engine, in Redis's order.
fn metadata(code: &[u8]) -> Result<Metadata, String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err("Invalid library metadata".into());
    };
    let parts = match crate::cli::split_args(&code[..end]) {
        Some(parts) if !parts.is_empty() => parts,
        _ => return Err("Invalid library metadata".into()),
    };
    let engine = parts[0].get(2..).unwrap_or_default().to_vec();
    let mut name: Option<Vec<u8>> = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err("Invalid metadata value, name argument was given multiple times".into());
            }
            name = Some(part[5..].to_vec());
            continue;
        }
        return Err(format!("Invalid metadata value given: {}", String::from_utf8_lossy(part)));
    }
    let Some(name) = name else {
        return Err("Library name was not given".into());
    };
    if !valid_name(&name) {
        return Err(NAME_RULES.into());
    }
    if !engine.eq_ignore_ascii_case(ENGINE.as_bytes()) {
        return Err(format!("Engine '{}' not found", String::from_utf8_lossy(&engine)));
    }
    // Only letters, digits and underscores: valid UTF-8.
    Ok(Metadata { name: String::from_utf8_lossy(&name).into_owned(), code_start: end })
}

/// What `redis.register_function` collected while a library loads.
#[derive(Default)]
struct LoadState {
    /// A library is loading (register_function refuses to run otherwise).
    active: bool,
    /// Name, description and flags of each registered function; its callback is at the
    /// same position (1-based) in the pending table.
    registered: Vec<(String, Option<Vec<u8>>, u8)>,
}

/// The Lua side of functions, created with the first library.
struct LuaSide {
    /// The metatable of the environment libraries are compiled with: its `__index` is the
    /// load-time globals while a library loads, the script globals otherwise.
    env_meta: StashedTable,
    env: StashedTable,
    load_globals: StashedTable,
    /// register_function's callbacks, by registration order.
    pending: StashedTable,
    state: Rc<RefCell<LoadState>>,
}

/// The functions of a server: the libraries and the Lua side that loads them.
#[derive(Default)]
pub struct Functions {
    pub registry: Registry,
    lua: Option<LuaSide>,
}

/// An error raised as Redis's C functions raise theirs: `{err = 'ERR msg'}`.
fn raise_table<'gc>(ctx: Context<'gc>, msg: &str) -> Error<'gc> {
    Error::from_value(api::error_table(ctx, &format!("ERR {msg}")).into())
}

/// A string, or a number as Lua 5.1 converts it (`luaGetStringSds`).
fn string_arg(v: Value) -> Option<Vec<u8>> {
    convert::as_string_bytes(v)
}

/// `luaRegisterFunctionReadFlags`: a table of flag names.
fn read_flags<'gc>(ctx: Context<'gc>, t: Table<'gc>) -> Option<u8> {
    let mut flags = 0;
    let mut j: i64 = 1;
    loop {
        let v = t.get(ctx, j);
        if v.is_nil() {
            return Some(flags);
        }
        let name = string_arg(v)?;
        let (f, _) = flag::NAMES.iter().find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(&name))?;
        flags |= f;
        j += 1;
    }
}

/// The arguments of a `redis.register_function` call: name, callback, description, flags.
type Registration<'gc> = (Vec<u8>, Function<'gc>, Option<Vec<u8>>, u8);

/// `luaRegisterFunctionReadArgs`: positional `(name, callback)` or one table of named
/// arguments.
fn read_registration<'gc>(ctx: Context<'gc>, args: &[Value<'gc>]) -> Result<Registration<'gc>, &'static str> {
    match args {
        [name, callback] => {
            let name = string_arg(*name).ok_or("first argument to redis.register_function must be a string")?;
            let Value::Function(callback) = callback else {
                return Err("second argument to redis.register_function must be a function");
            };
            Ok((name, *callback, None, 0))
        }
        [Value::Table(t)] => {
            let (mut name, mut callback, mut description, mut flags) = (None, None, None, 0);
            for (key, value) in t.iter() {
                let key = string_arg(key).ok_or("named argument key given to redis.register_function is not a string")?;
                let key = String::from_utf8_lossy(&key).to_ascii_lowercase();
                match key.as_str() {
                    "function_name" => {
                        name = Some(string_arg(value).ok_or("function_name argument given to redis.register_function must be a string")?)
                    }
                    "description" => {
                        description =
                            Some(string_arg(value).ok_or("description argument given to redis.register_function must be a string")?)
                    }
                    "callback" => match value {
                        Value::Function(f) => callback = Some(f),
                        _ => return Err("callback argument given to redis.register_function must be a function"),
                    },
                    "flags" => {
                        let Value::Table(list) = value else {
                            return Err("flags argument to redis.register_function must be a table representing function flags");
                        };
                        flags = read_flags(ctx, list).ok_or("unknown flag given")?;
                    }
                    _ => return Err("unknown argument given to redis.register_function"),
                }
            }
            let name = name.ok_or("redis.register_function must get a function name argument")?;
            let callback = callback.ok_or("redis.register_function must get a callback argument")?;
            Ok((name, callback, description, flags))
        }
        [_] => Err("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."),
        _ => Err("wrong number of arguments to redis.register_function"),
    }
}

/// `__index` of a table that has nothing more: the nonexistent-global error.
fn nonexistent<'gc>(ctx: Context<'gc>, bridge: &SharedBridge) -> Callback<'gc> {
    let bridge = bridge.clone();
    Callback::from_fn(&ctx, move |ctx, exec, stack| {
        let name = match stack.get(1) {
            Value::String(s) => s.to_str_lossy().into_owned(),
            other => other.type_name().to_string(),
        };
        let msg = format!("Script attempted to access nonexistent global variable '{name}'");
        Err(Error::from_value(positioned(&exec, &bridge, &msg).into_value(ctx)))
    })
}

/// `__newindex` of a read-only table.
fn readonly<'gc>(ctx: Context<'gc>, bridge: &SharedBridge) -> Callback<'gc> {
    let bridge = bridge.clone();
    Callback::from_fn(&ctx, move |ctx, exec, _stack| {
        Err(Error::from_value(positioned(&exec, &bridge, "Attempt to modify a readonly table").into_value(ctx)))
    })
}

/// A metatable locking a table: reads fall to `index`, writes fail.
fn lock<'gc>(ctx: Context<'gc>, t: Table<'gc>, index: Value<'gc>, bridge: &SharedBridge) -> Table<'gc> {
    let meta = Table::new(&ctx);
    let _ = meta.set(ctx, "__index", index);
    let _ = meta.set(ctx, "__newindex", readonly(ctx, bridge));
    let _ = meta.set(ctx, sandbox::PROTECTED, true);
    t.set_metatable(&ctx, Some(meta));
    meta
}

impl LuaSide {
    fn install(ctx: Context<'_>, bridge: &SharedBridge) -> LuaSide {
        let state: Rc<RefCell<LoadState>> = Rc::default();
        let pending = Table::new(&ctx);

        let register = {
            let state = state.clone();
            let bridge = bridge.clone();
            Callback::from_fn_with(&ctx, pending, move |pending, ctx, exec, mut stack| {
                let fail = |msg: &str| {
                    record_error_line(&exec, &bridge);
                    Err(raise_table(ctx, msg))
                };
                if !state.borrow().active {
                    return fail("redis.register_function can only be called on FUNCTION LOAD command");
                }
                let args: Vec<Value> = (0..stack.len()).map(|i| stack.get(i)).collect();
                let (name, callback, description, flags) = match read_registration(ctx, &args) {
                    Ok(r) => r,
                    Err(msg) => return fail(msg),
                };
                if !valid_name(&name) {
                    return fail(NAME_RULES);
                }
                let name = String::from_utf8_lossy(&name).into_owned();
                let mut st = state.borrow_mut();
                if st.registered.iter().any(|(n, _, _)| *n == name) {
                    drop(st);
                    return fail("Function already exists in the library");
                }
                st.registered.push((name, description, flags));
                let _ = pending.set(ctx, st.registered.len() as i64, callback);
                stack.clear();
                Ok(CallbackReturn::Return)
            })
        };

        // The load-time `redis`: register_function, log, the log levels and the version,
        // taken from the real `redis` table behind its read-only proxy.
        let globals = ctx.globals();
        let real_redis = match globals.get(ctx, "redis") {
            Value::Table(proxy) => match proxy.metatable().map(|m| m.get(ctx, "__index")) {
                Some(Value::Table(real)) => real,
                _ => proxy,
            },
            _ => Table::new(&ctx),
        };
        let load_redis = Table::new(&ctx);
        let _ = load_redis.set(ctx, "register_function", register);
        for name in ["log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"] {
            let _ = load_redis.set(ctx, name, real_redis.get(ctx, name));
        }
        lock(ctx, load_redis, nonexistent(ctx, bridge).into(), bridge);
        let load_globals = Table::new(&ctx);
        let _ = load_globals.set(ctx, "redis", load_redis);
        // The operator helpers the rewritten body declares on its first line.
        let _ = load_globals.set(ctx, super::ops::HELPERS, globals.get(ctx, super::ops::HELPERS));
        lock(ctx, load_globals, nonexistent(ctx, bridge).into(), bridge);

        let env = Table::new(&ctx);
        let env_meta = lock(ctx, env, globals.into(), bridge);
        LuaSide {
            env_meta: ctx.stash(env_meta),
            env: ctx.stash(env),
            load_globals: ctx.stash(load_globals),
            pending: ctx.stash(pending),
            state,
        }
    }
}

/// The text of an error that ended a library's load (`luaExtractErrorInformation`): an
/// error table's `err`, or `ERR ` and the message.
fn load_error_text<'gc>(ctx: Context<'gc>, error: &Error<'gc>, line: u64) -> String {
    match error {
        Error::Lua(e) => match e.0 {
            Value::Table(t) => match convert::as_string_bytes(t.get(ctx, "err")) {
                Some(b) => String::from_utf8_lossy(&b).into_owned(),
                None => "ERR unknown error".to_string(),
            },
            v => match convert::as_string_bytes(v) {
                Some(b) => format!("ERR {}", String::from_utf8_lossy(&b)),
                None => format!("ERR {}", v.type_name()),
            },
        },
        Error::Runtime(e) => format!("ERR {CHUNK}:{line}: {}", convert::runtime_message(e)),
    }
}

impl Scripting {
    fn lua_side(&mut self) -> &LuaSide {
        let bridge = self.bridge.clone();
        let lua = &mut self.lua;
        self.functions.lua.get_or_insert_with(|| lua.enter(|ctx| LuaSide::install(ctx, &bridge)))
    }

    /// Compiles `code` and runs its body to collect its functions (`luaEngineCreate`).
    fn compile_library(&mut self, meta: Metadata, code: &[u8], fuel: u64) -> Result<Library, String> {
        let side = self.lua_side();
        let (env, env_meta, load_globals, pending, state) =
            (side.env.clone(), side.env_meta.clone(), side.load_globals.clone(), side.pending.clone(), side.state.clone());
        let body = &code[meta.code_start..];
        // Lua 5.1's grammar and errors, and its operators (see `lower.rs`).
        let source = super::lower::rewrite(body).map_err(|e| format!("Error compiling function: {}", e.text(CHUNK)))?;
        let compiled = self.lua.enter(|ctx| {
            let env = ctx.fetch(&env);
            match Closure::load_with_env(ctx, Some(CHUNK), &source[..], env) {
                Ok(closure) => Ok(ctx.stash(Executor::start(ctx, Function::Closure(closure), ()))),
                Err(e) => Err(convert::compile_error_in(&e, CHUNK)),
            }
        });
        let executor = compiled.map_err(|msg| format!("Error compiling function: {msg}"))?;

        {
            let mut b = self.bridge.borrow_mut();
            b.error_line = None;
            b.last_line = None;
            b.default_line = None;
            b.chunk = CHUNK;
        }
        *state.borrow_mut() = LoadState { active: true, registered: Vec::new() };
        self.lua.enter(|ctx| {
            let _ = ctx.fetch(&env_meta).set(ctx, "__index", ctx.fetch(&load_globals));
        });
        let mut spent: u64 = 0;
        let finished = loop {
            let mut slice = Fuel::with(super::SLICE_FUEL);
            if self.lua.enter(|ctx| ctx.fetch(&executor).step(ctx, &mut slice)) {
                break true;
            }
            spent += (super::SLICE_FUEL - slice.remaining()).max(1) as u64;
            if spent > fuel || self.lua.total_memory() > super::MEMORY_LIMIT {
                break false;
            }
        };
        let line = self.bridge.borrow().last_line.unwrap_or(1);
        let result = self.lua.enter(|ctx| {
            let _ = ctx.fetch(&env_meta).set(ctx, "__index", ctx.globals());
            let executor = ctx.fetch(&executor);
            let result = if !finished {
                Err("ERR FUNCTION LOAD timeout".to_string())
            } else {
                match executor.take_result::<()>(ctx) {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(error)) => Err(load_error_text(ctx, &error, line)),
                    Err(_) => Err("ERR the library ended in an unexpected state".to_string()),
                }
            };
            executor.stop(&ctx);
            let pending = ctx.fetch(&pending);
            let registered = std::mem::take(&mut state.borrow_mut().registered);
            let mut functions = BTreeMap::new();
            for (i, (name, description, flags)) in registered.into_iter().enumerate() {
                let key = (i + 1) as i64;
                if let Value::Function(f) = pending.get(ctx, key) {
                    functions.insert(name.clone(), FunctionInfo { name, description, flags, callback: ctx.stash(f) });
                }
                let _ = pending.set(ctx, key, Value::Nil);
            }
            result.map(|()| functions)
        });
        state.borrow_mut().active = false;
        self.bridge.borrow_mut().chunk = super::CHUNK;
        let functions = result.map_err(|msg| format!("Error registering functions: {msg}"))?;
        if functions.is_empty() {
            return Err("No functions registered".into());
        }
        Ok(Library { name: meta.name, code: code.to_vec(), functions })
    }

    /// `functionsCreateWithLibraryCtx`: loads `code` as a library of `registry`, replacing
    /// the library of the same name with `replace`. Returns the library's name, or Redis's
    /// error text (without its `ERR ` code). Nothing changes on error.
    pub(crate) fn create_library(&mut self, registry: &mut Registry, code: &[u8], replace: bool, fuel: u64) -> Result<String, String> {
        let meta = metadata(code)?;
        if registry.libraries.contains_key(&meta.name) && !replace {
            return Err(format!("Library '{}' already exists", meta.name));
        }
        let library = self.compile_library(meta, code, fuel)?;
        if let Some(name) = registry.collision(&library, Some(&library.name)) {
            return Err(format!("Function {name} already exists"));
        }
        let name = library.name.clone();
        registry.libraries.insert(name.clone(), library);
        Ok(name)
    }

    /// FUNCTION LOAD into the server's libraries.
    pub(crate) fn load_library(&mut self, code: &[u8], replace: bool, fuel: u64) -> Result<String, String> {
        let mut registry = std::mem::take(&mut self.functions.registry);
        let result = self.create_library(&mut registry, code, replace, fuel);
        self.functions.registry = registry;
        result
    }

    /// The flags of a function, by its case-insensitive name.
    pub(crate) fn function_flags(&self, name: &str) -> Option<u8> {
        self.functions.registry.find(name).map(|(_, f)| f.flags)
    }
}

/// The line of a function's tail calls, if they are all on one line: where an error raised
/// by a callback called in tail position (`return redis.call(...)`) is, as Lua 5.1 keeps
/// the caller's frame for C functions and piccolo does not.
/// The line a Lua function is defined on.
fn start_line(f: Function) -> Option<u64> {
    let Function::Closure(closure) = f else { return None };
    match closure.prototype().reference {
        piccolo::compiler::FunctionRef::Named(_, line) | piccolo::compiler::FunctionRef::Expression(line) => Some(line.0 as u64 + 1),
        piccolo::compiler::FunctionRef::Chunk => None,
    }
}

fn tail_call_line(f: Function) -> Option<u64> {
    let Function::Closure(closure) = f else { return None };
    let proto = closure.prototype();
    let mut line = None;
    for (i, op) in proto.opcodes.iter().enumerate() {
        if let piccolo::opcode::Operation::TailCall { .. } = op.decode() {
            let at = match proto.opcode_line_numbers.binary_search_by_key(&i, |(opi, _)| *opi) {
                Ok(k) => proto.opcode_line_numbers[k].1,
                Err(k) => proto.opcode_line_numbers[k.checked_sub(1)?].1,
            };
            match line {
                None => line = Some(at.0 + 1),
                Some(l) if l == at.0 + 1 => {}
                Some(_) => return None,
            }
        }
    }
    line
}

impl Engine {
    /// Runs the function `name` for `client` with its keys and arguments (FCALL once its
    /// checks passed): read-only if it is flagged `no-writes`, free of maxmemory if
    /// `allow-oom`.
    pub(crate) fn run_function(&mut self, client: ClientId, name: &str, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Reply {
        let Some(mut scripting) = self.scripting.take() else {
            return Reply::error("ERR Function not found");
        };
        let found = scripting.functions.registry.find(name).map(|(_, f)| (f.name.clone(), f.callback.clone(), f.flags));
        let reply = match found {
            None => Reply::error("ERR Function not found"),
            Some((fname, callback, flags)) => {
                let mode = if flags & flag::NO_WRITES != 0 { Mode::ReadOnly } else { Mode::ReadWrite };
                let (executor, default_line, start_line) = scripting.lua.enter(|ctx| {
                    // Functions see no KEYS or ARGV.
                    let globals = ctx.globals();
                    let _ = globals.set(ctx, "KEYS", Value::Nil);
                    let _ = globals.set(ctx, "ARGV", Value::Nil);
                    let table = |items: &[Vec<u8>]| {
                        let t = Table::new(&ctx);
                        for (i, item) in items.iter().enumerate() {
                            let _ = t.set(ctx, (i + 1) as i64, ctx.intern(item));
                        }
                        t
                    };
                    let f = ctx.fetch(&callback);
                    (ctx.stash(Executor::start(ctx, f, (table(keys), table(args)))), tail_call_line(f), start_line(f))
                });
                self.script_allow_oom = flags & flag::ALLOW_OOM != 0;
                let reply = scripting.execute(self, client, executor, Target { label: &fname, chunk: CHUNK, default_line, start_line }, mode);
                self.script_allow_oom = false;
                if scripting.running.is_none() {
                    scripting.lua.enter(|ctx| sandbox::set_keys_and_args(ctx, &[], &[]));
                }
                reply
            }
        };
        let mut lines = std::mem::take(&mut scripting.bridge.borrow_mut().log);
        scripting.log.append(&mut lines);
        let excess = scripting.log.len().saturating_sub(1000);
        scripting.log.drain(..excess);
        self.scripting = Some(scripting);
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::engine::ClientInfo;

    fn engine() -> (Engine, ClientId) {
        let mut e = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 1);
        let c = e.connect(ClientInfo::default());
        (e, c)
    }

    fn run(e: &mut Engine, c: ClientId, args: &[&str]) -> Reply {
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        e.execute(c, &argv)
    }

    #[test]
    fn a_runaway_library_body_is_stopped() {
        let (mut e, c) = engine();
        e.set_script_fuel(200_000);
        let r = run(&mut e, c, &["FUNCTION", "LOAD", "#!lua name=spin\nwhile true do end"]);
        assert_eq!(r, Reply::error("ERR Error registering functions: ERR FUNCTION LOAD timeout"));
        // The environment is back to the script globals: the next library loads and runs.
        let r = run(&mut e, c, &["FUNCTION", "LOAD", "#!lua name=ok\nredis.register_function('f', function() return string.len('abc') end)"]);
        assert_eq!(r, Reply::bulk_str("ok"));
        assert_eq!(run(&mut e, c, &["FCALL", "f", "0"]), Reply::Integer(3));
    }

    #[test]
    fn a_failed_load_registers_nothing() {
        let (mut e, c) = engine();
        let r = run(&mut e, c, &["FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)\nlocal x = nil + 1"]);
        assert!(r.is_error());
        assert_eq!(run(&mut e, c, &["FCALL", "f", "0"]), Reply::error("ERR Function not found"));
        // A callback kept by a function cannot register anything after the load.
        let lib = "#!lua name=keep\nlocal r = redis\nredis.register_function('g', function() return r.register_function('h', function() end) end)";
        assert_eq!(run(&mut e, c, &["FUNCTION", "LOAD", lib]), Reply::bulk_str("keep"));
        assert!(run(&mut e, c, &["FCALL", "g", "0"]).is_error());
        assert_eq!(run(&mut e, c, &["FCALL", "h", "0"]), Reply::error("ERR Function not found"));
    }

    #[test]
    fn eval_still_sees_keys_after_a_function() {
        let (mut e, c) = engine();
        let lib = "#!lua name=lib\nredis.register_function('f', function(keys, args) return {keys[1], args[1]} end)";
        run(&mut e, c, &["FUNCTION", "LOAD", lib]);
        assert_eq!(run(&mut e, c, &["FCALL", "f", "1", "k", "a"]), Reply::Array(vec![Reply::bulk_str("k"), Reply::bulk_str("a")]));
        assert_eq!(run(&mut e, c, &["EVAL", "return KEYS[1]", "1", "x"]), Reply::bulk_str("x"));
        assert_eq!(run(&mut e, c, &["EVAL", "return redis.call('get', 'nokey')", "0"]), Reply::Nil);
    }

    #[test]
    fn fcall_and_function_load_queue_in_multi() {
        let (mut e, c) = engine();
        assert_eq!(run(&mut e, c, &["MULTI"]), Reply::status("OK"));
        let lib = "#!lua name=m\nredis.register_function('inc', function(keys) return redis.call('incr', keys[1]) end)";
        assert_eq!(run(&mut e, c, &["FUNCTION", "LOAD", lib]), Reply::status("QUEUED"));
        assert_eq!(run(&mut e, c, &["FCALL", "inc", "1", "n"]), Reply::status("QUEUED"));
        assert_eq!(run(&mut e, c, &["FCALL_RO", "inc", "1", "n"]), Reply::status("QUEUED"));
        assert_eq!(
            run(&mut e, c, &["EXEC"]),
            Reply::Array(vec![
                Reply::bulk_str("m"),
                Reply::Integer(1),
                Reply::error("ERR Can not execute a script with write flag using *_ro command."),
            ])
        );
    }

    #[test]
    fn function_errors_name_the_line_of_a_tail_call() {
        let (mut e, c) = engine();
        let lib = "#!lua name=t\nredis.register_function('t', function()\n  local a = 1\n  return redis.call('nosuch')\nend)";
        run(&mut e, c, &["FUNCTION", "LOAD", lib]);
        assert_eq!(
            run(&mut e, c, &["FCALL", "t", "0"]),
            Reply::error("ERR Unknown Redis command called from script script: t, on @user_function:4.")
        );
    }

    #[test]
    fn dump_and_restore_round_trip() {
        let (mut e, c) = engine();
        for name in ["one", "two"] {
            let lib = format!("#!lua name={name}\nredis.register_function('{name}', function() return '{name} {}' end)", "x".repeat(100));
            assert_eq!(run(&mut e, c, &["FUNCTION", "LOAD", &lib]), Reply::bulk_str(name));
        }
        let Reply::Bulk(payload) = run(&mut e, c, &["FUNCTION", "DUMP"]) else { panic!("DUMP is a bulk string") };
        run(&mut e, c, &["FUNCTION", "FLUSH"]);
        let mut argv = vec![b"FUNCTION".to_vec(), b"RESTORE".to_vec(), payload];
        assert_eq!(e.execute(c, &argv), Reply::ok());
        assert!(matches!(run(&mut e, c, &["FCALL", "two", "0"]), Reply::Bulk(b) if b.starts_with(b"two xxx")));
        // Appending the same libraries again collides.
        assert_eq!(e.execute(c, &argv), Reply::error("ERR Library one already exists"));
        argv.push(b"REPLACE".to_vec());
        assert_eq!(e.execute(c, &argv), Reply::ok());
    }
}
