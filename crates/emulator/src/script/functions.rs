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

use std::collections::BTreeMap;

use lua51::{NativeReturn, Outcome, TableRef, Value, Vm};

use super::convert::{self, error_table};
use super::{api, LuaState, Mode, Scripting, SharedBridge};
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
    /// The callback, pinned in the functions' Lua state.
    callback: usize,
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
        self.libraries.values().find_map(|lib| {
            lib.functions
                .values()
                .find(|f| f.name.eq_ignore_ascii_case(function))
                .map(|f| (lib, f))
        })
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
                return Err(
                    "Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(part[5..].to_vec());
            continue;
        }
        return Err(format!(
            "Invalid metadata value given: {}",
            String::from_utf8_lossy(part)
        ));
    }
    let Some(name) = name else {
        return Err("Library name was not given".into());
    };
    if !valid_name(&name) {
        return Err(NAME_RULES.into());
    }
    if !engine.eq_ignore_ascii_case(ENGINE.as_bytes()) {
        return Err(format!(
            "Engine '{}' not found",
            String::from_utf8_lossy(&engine)
        ));
    }
    // Only letters, digits and underscores: valid UTF-8.
    Ok(Metadata {
        name: String::from_utf8_lossy(&name).into_owned(),
        code_start: end,
    })
}

/// A function `redis.register_function` registered while a library loads.
pub(crate) struct Registered {
    name: String,
    description: Option<Vec<u8>>,
    flags: u8,
    /// The callback, pinned.
    callback: usize,
}

/// The functions of a server: the libraries and the Lua state they run in.
#[derive(Default)]
pub struct Functions {
    pub registry: Registry,
    lua: Option<LuaState>,
    /// Every callback pinned by a load, to unpin those of dropped libraries.
    pinned: Vec<usize>,
}

impl Functions {
    /// Unpins the callbacks no library of the registry holds any more (FUNCTION DELETE,
    /// FLUSH, a replaced library): called where the registry is the whole truth.
    fn release_dropped(&mut self) {
        let live: std::collections::BTreeSet<usize> = self
            .registry
            .libraries
            .values()
            .flat_map(|l| l.functions.values().map(|f| f.callback))
            .collect();
        let Some(state) = self.lua.as_mut() else {
            return;
        };
        for pin in std::mem::take(&mut self.pinned) {
            if live.contains(&pin) {
                self.pinned.push(pin);
            } else {
                state.vm.unpin(pin);
            }
        }
    }

    /// The functions' Lua state, created with the first library.
    pub(crate) fn state(&mut self, bridge: &SharedBridge) -> &mut LuaState {
        self.lua.get_or_insert_with(|| LuaState::new(bridge, true))
    }
}

/// `luaRegisterFunctionReadFlags`: a table of flag names.
fn read_flags(vm: &Vm, t: TableRef) -> Option<u8> {
    let mut flags = 0;
    for v in vm.array(t) {
        let name = convert::as_string_bytes(&v)?;
        let (f, _) = flag::NAMES
            .iter()
            .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(&name))?;
        flags |= f;
    }
    Some(flags)
}

/// The arguments of a `redis.register_function` call: name, callback, description, flags.
type Registration = (Vec<u8>, Value, Option<Vec<u8>>, u8);

/// `luaRegisterFunctionReadArgs`: positional `(name, callback)` or one table of named
/// arguments.
fn read_registration(vm: &Vm, args: &[Value]) -> Result<Registration, &'static str> {
    match args {
        [name, callback] => {
            let name = convert::as_string_bytes(name).ok_or("first argument to redis.register_function must be a string")?;
            let Value::Function(_) = callback else {
                return Err("second argument to redis.register_function must be a function");
            };
            Ok((name, callback.clone(), None, 0))
        }
        [Value::Table(t)] => {
            let (mut name, mut callback, mut description, mut flags) = (None, None, None, 0);
            for (key, value) in convert::pairs(vm, *t) {
                let key = convert::as_string_bytes(&key).ok_or("named argument key given to redis.register_function is not a string")?;
                let key = String::from_utf8_lossy(&key).to_ascii_lowercase();
                match key.as_str() {
                    "function_name" => {
                        name = Some(
                            convert::as_string_bytes(&value).ok_or("function_name argument given to redis.register_function must be a string")?,
                        )
                    }
                    "description" => {
                        description = Some(
                            convert::as_string_bytes(&value).ok_or("description argument given to redis.register_function must be a string")?,
                        )
                    }
                    "callback" => match value {
                        Value::Function(_) => callback = Some(value),
                        _ => return Err("callback argument given to redis.register_function must be a function"),
                    },
                    "flags" => {
                        let Value::Table(list) = value else {
                            return Err("flags argument to redis.register_function must be a table representing function flags");
                        };
                        flags = read_flags(vm, list).ok_or("unknown flag given")?;
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

/// `redis.register_function` (luaRegisterFunction).
pub(crate) fn register_function(vm: &mut Vm, args: Vec<Value>) -> Result<NativeReturn, Value> {
    let fail = |vm: &mut Vm, msg: &str| Err(error_table(vm, &format!("ERR {msg}")));
    let Some(bridge) = api::bridge(vm) else {
        return fail(vm, "no bridge");
    };
    if bridge.borrow().registering.is_none() {
        return fail(
            vm,
            "redis.register_function can only be called on FUNCTION LOAD command",
        );
    }
    let (name, callback, description, flags) = match read_registration(vm, &args) {
        Ok(r) => r,
        Err(msg) => return fail(vm, msg),
    };
    if !valid_name(&name) {
        return fail(vm, NAME_RULES);
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    if bridge
        .borrow()
        .registering
        .iter()
        .flatten()
        .any(|r| r.name == name)
    {
        return fail(vm, "Function already exists in the library");
    }
    let callback = vm.pin(callback);
    if let Some(list) = bridge.borrow_mut().registering.as_mut() {
        list.push(Registered {
            name,
            description,
            flags,
            callback,
        });
    }
    Ok(NativeReturn::Values(Vec::new()))
}

/// The load-time `redis` table: register_function, log, the log levels and the version;
/// reading anything else is the nonexistent-global error.
fn load_redis(vm: &mut Vm) -> Value {
    let real = match vm.get_global("redis") {
        Value::Table(t) => t,
        _ => vm.new_table(),
    };
    let t = vm.new_table();
    for name in [
        "register_function",
        "log",
        "LOG_DEBUG",
        "LOG_VERBOSE",
        "LOG_NOTICE",
        "LOG_WARNING",
        "REDIS_VERSION",
        "REDIS_VERSION_NUM",
    ] {
        let v = vm.get_field(real, name);
        vm.set_field(t, name, v);
    }
    let meta = vm.new_table();
    let index = vm.new_native("__index", super::sandbox::nonexistent_global);
    vm.set_field(meta, "__index", index);
    vm.set_metatable(t, Some(meta));
    super::sandbox::protect(vm, t);
    Value::Table(t)
}

/// Runs a library body: the globals' entries set aside, only the load-time `redis`
/// there; `Ok` or the error's text (`luaExtractErrorInformation`: an error table's `err`).
fn run_body(state: &mut LuaState, f: Value, fuel: u64) -> Result<(), String> {
    let vm = &mut state.vm;
    let g = vm.globals();
    let saved = convert::pairs(vm, g);
    let redis = load_redis(vm);
    for (k, _) in &saved {
        let _ = vm.raw_set(g, k.clone(), Value::Nil);
    }
    let _ = vm.raw_set(g, Value::str("redis"), redis);
    let started = state.start(f, None);
    let vm = &mut state.vm;
    vm.set_nested_fuel_limit(fuel.min(super::MAX_NESTED_FUEL));
    let mut spent: u64 = 0;
    let result = match started {
        Err(e) => Err(format!("ERR {}", convert::error_value_text(vm, &e))),
        Ok(()) => loop {
            match vm.run(super::SLICE_FUEL) {
                Ok(Outcome::Finished(values)) => match values.as_slice() {
                    [Value::Bool(false), Value::Table(t), ..] => match vm.get_field(*t, "err") {
                        v @ (Value::Str(_) | Value::Number(_)) => {
                            break Err(convert::error_value_text(vm, &v))
                        }
                        _ => break Err("ERR unknown error".to_string()),
                    },
                    [Value::Bool(false), e, ..] => {
                        break Err(format!("ERR {}", convert::error_value_text(vm, e)))
                    }
                    _ => break Ok(()),
                },
                Ok(Outcome::Paused) => {
                    spent += super::SLICE_FUEL;
                    if spent > fuel {
                        vm.abort();
                        break Err("ERR FUNCTION LOAD timeout".to_string());
                    }
                }
                Ok(Outcome::Yielded(_)) => {
                    vm.abort();
                    break Err("ERR redis.call is not available while a library loads".to_string());
                }
                Err(e) => break Err(format!("ERR {}", convert::error_value_text(vm, &e))),
            }
        },
    };
    let _ = vm.raw_set(g, Value::str("redis"), Value::Nil);
    for (k, v) in saved {
        let _ = vm.raw_set(g, k, v);
    }
    result
}

impl Scripting {
    /// Compiles `code` and runs its body to collect its functions (`luaEngineCreate`).
    fn compile_library(
        &mut self,
        meta: Metadata,
        code: &[u8],
        fuel: u64,
    ) -> Result<Library, String> {
        let bridge = self.bridge.clone();
        let state = self.functions.state(&bridge);
        let body = &code[meta.code_start..];
        let f = state
            .vm
            .load(body, CHUNK)
            .map_err(|msg| format!("Error compiling function: {msg}"))?;
        bridge.borrow_mut().registering = Some(Vec::new());
        let result = run_body(state, f, fuel);
        let registered = bridge.borrow_mut().registering.take().unwrap_or_default();
        if let Err(msg) = result {
            for r in registered {
                state.vm.unpin(r.callback);
            }
            return Err(format!("Error registering functions: {msg}"));
        }
        if registered.is_empty() {
            return Err("No functions registered".into());
        }
        self.functions
            .pinned
            .extend(registered.iter().map(|r| r.callback));
        let functions = registered
            .into_iter()
            .map(|r| {
                (
                    r.name.clone(),
                    FunctionInfo {
                        name: r.name,
                        description: r.description,
                        flags: r.flags,
                        callback: r.callback,
                    },
                )
            })
            .collect();
        Ok(Library {
            name: meta.name,
            code: code.to_vec(),
            functions,
        })
    }

    /// `functionsCreateWithLibraryCtx`: loads `code` as a library of `registry`, replacing
    /// the library of the same name with `replace`. Returns the library's name, or Redis's
    /// error text (without its `ERR ` code). Nothing changes on error.
    pub(crate) fn create_library(
        &mut self,
        registry: &mut Registry,
        code: &[u8],
        replace: bool,
        fuel: u64,
    ) -> Result<String, String> {
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
    pub(crate) fn load_library(
        &mut self,
        code: &[u8],
        replace: bool,
        fuel: u64,
    ) -> Result<String, String> {
        self.functions.release_dropped();
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

impl Engine {
    /// Runs the function `name` for `client` with its keys and arguments (FCALL once its
    /// checks passed): read-only if it is flagged `no-writes`, free of maxmemory if
    /// `allow-oom`.
    pub(crate) fn run_function(
        &mut self,
        client: ClientId,
        name: &str,
        keys: &[Vec<u8>],
        args: &[Vec<u8>],
    ) -> Reply {
        let Some(mut scripting) = self.scripting.take() else {
            return Reply::error("ERR Function not found");
        };
        scripting.functions.release_dropped();
        let found = scripting
            .functions
            .registry
            .find(name)
            .map(|(_, f)| (f.name.clone(), f.callback, f.flags));
        let reply = match found {
            None => Reply::error("ERR Function not found"),
            Some((fname, callback, flags)) => {
                let mode = if flags & flag::NO_WRITES != 0 {
                    Mode::ReadOnly
                } else {
                    Mode::ReadWrite
                };
                let bridge = scripting.bridge.clone();
                let state = scripting.functions.state(&bridge);
                let f = state.vm.pinned(callback);
                match state.start(f, Some((keys, args))) {
                    Err(e) => {
                        Reply::Error(format!("ERR {}", convert::error_value_text(&state.vm, &e)))
                    }
                    Ok(()) => {
                        self.script_allow_oom = flags & flag::ALLOW_OOM != 0;
                        let reply = scripting.execute(self, client, &fname, CHUNK, mode);
                        self.script_allow_oom = false;
                        reply
                    }
                }
            }
        };
        scripting.collect_log();
        self.scripting = Some(scripting);
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::tests::engine;

    fn run(e: &mut Engine, c: ClientId, args: &[&str]) -> Reply {
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        e.execute(c, &argv)
    }

    #[test]
    fn a_runaway_library_body_is_stopped() {
        let (mut e, c) = engine();
        e.set_script_fuel(200_000);
        let r = run(
            &mut e,
            c,
            &["FUNCTION", "LOAD", "#!lua name=spin\nwhile true do end"],
        );
        assert_eq!(
            r,
            Reply::error("ERR Error registering functions: ERR FUNCTION LOAD timeout")
        );
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
        assert_eq!(
            run(&mut e, c, &["FCALL", "f", "0"]),
            Reply::error("ERR Function not found")
        );
        // A callback kept by a function cannot register anything after the load.
        let lib = "#!lua name=keep\nlocal r = redis\nredis.register_function('g', function() return r.register_function('h', function() end) end)";
        assert_eq!(
            run(&mut e, c, &["FUNCTION", "LOAD", lib]),
            Reply::bulk_str("keep")
        );
        assert!(run(&mut e, c, &["FCALL", "g", "0"]).is_error());
        assert_eq!(
            run(&mut e, c, &["FCALL", "h", "0"]),
            Reply::error("ERR Function not found")
        );
    }

    #[test]
    fn eval_still_sees_keys_after_a_function() {
        let (mut e, c) = engine();
        let lib = "#!lua name=lib\nredis.register_function('f', function(keys, args) return {keys[1], args[1]} end)";
        run(&mut e, c, &["FUNCTION", "LOAD", lib]);
        assert_eq!(
            run(&mut e, c, &["FCALL", "f", "1", "k", "a"]),
            Reply::Array(vec![Reply::bulk_str("k"), Reply::bulk_str("a")])
        );
        assert_eq!(
            run(&mut e, c, &["EVAL", "return KEYS[1]", "1", "x"]),
            Reply::bulk_str("x")
        );
        assert_eq!(
            run(
                &mut e,
                c,
                &["EVAL", "return redis.call('get', 'nokey')", "0"]
            ),
            Reply::Nil
        );
    }

    #[test]
    fn fcall_and_function_load_queue_in_multi() {
        let (mut e, c) = engine();
        assert_eq!(run(&mut e, c, &["MULTI"]), Reply::status("OK"));
        let lib = "#!lua name=m\nredis.register_function('inc', function(keys) return redis.call('incr', keys[1]) end)";
        assert_eq!(
            run(&mut e, c, &["FUNCTION", "LOAD", lib]),
            Reply::status("QUEUED")
        );
        assert_eq!(
            run(&mut e, c, &["FCALL", "inc", "1", "n"]),
            Reply::status("QUEUED")
        );
        assert_eq!(
            run(&mut e, c, &["FCALL_RO", "inc", "1", "n"]),
            Reply::status("QUEUED")
        );
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
            Reply::error(
                "ERR Unknown Redis command called from script script: t, on @user_function:4."
            )
        );
    }

    #[test]
    fn dump_and_restore_round_trip() {
        let (mut e, c) = engine();
        for name in ["one", "two"] {
            let lib = format!("#!lua name={name}\nredis.register_function('{name}', function() return '{name} {}' end)", "x".repeat(100));
            assert_eq!(
                run(&mut e, c, &["FUNCTION", "LOAD", &lib]),
                Reply::bulk_str(name)
            );
        }
        let Reply::Bulk(payload) = run(&mut e, c, &["FUNCTION", "DUMP"]) else {
            panic!("DUMP is a bulk string")
        };
        run(&mut e, c, &["FUNCTION", "FLUSH"]);
        let mut argv = vec![b"FUNCTION".to_vec(), b"RESTORE".to_vec(), payload];
        assert_eq!(e.execute(c, &argv), Reply::ok());
        assert!(
            matches!(run(&mut e, c, &["FCALL", "two", "0"]), Reply::Bulk(b) if b.starts_with(b"two xxx"))
        );
        // Appending the same libraries again collides.
        assert_eq!(
            e.execute(c, &argv),
            Reply::error("ERR Library one already exists")
        );
        argv.push(b"REPLACE".to_vec());
        assert_eq!(e.execute(c, &argv), Reply::ok());
    }
}
