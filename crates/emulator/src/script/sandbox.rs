//! The globals a script sees, locked as Redis 7.0 locks them (script_lua.c's readonly
//! tables and `luaSetErrorMetatable`):
//!
//! - Scripts run with an empty environment table `_G` whose reads fall through to the real
//!   globals, and whose writes always fail: `Attempt to modify a readonly table`.
//! - Reading a global that does not exist fails: `Script attempted to access nonexistent
//!   global variable 'x'`.
//! - The library tables (`redis`, `string`, `math`, `table`, `coroutine`, `cjson`,
//!   `cmsgpack`, `bit`, `struct`) are read-only proxies, so no script can change what the next one sees.
//! - `rawset` and `setmetatable` refuse the protected tables.
//!
//! KEYS and ARGV are set in the real globals by the host before each run.

use piccolo::{
    Callback, CallbackReturn, Context, Error, Execution, IntoValue, Table, Value,
};

use super::api;
use super::SharedBridge;

/// The key marking a protected table's metatable.
pub(crate) const PROTECTED: &str = "__playground_protected";
/// Where the environment table is kept in the globals, for the host.
const ENV_KEY: &str = "__playground_env";

/// The position prefix Lua gives errors raised at the caller's line, and records the line
/// for the error handler.
pub(crate) fn positioned(exec: &Execution, bridge: &SharedBridge, msg: &str) -> String {
    let mut b = bridge.borrow_mut();
    // A tail call (`return error('x')`) has no Lua frame above it any more.
    let frame = exec.upper_lua_frame();
    let line = frame.as_ref().map(|f| f.current_line.0 + 1).or(b.last_line).or(b.default_line);
    b.error_line = line;
    // Code compiled by `loadstring`/`load` shows its own chunk name.
    let loaded = frame.as_ref().and_then(|f| super::stdlib::loaded_chunk_name(f.chunk_name.as_bytes()));
    let chunk = match &loaded {
        Some(raw) => super::stdlib::chunk_id(raw.as_bytes(), 60),
        None => super::CHUNK.to_string(),
    };
    b.error_source = loaded;
    match line {
        Some(l) => format!("{chunk}:{l}: {msg}"),
        None => msg.to_string(),
    }
}

/// Records the caller's line as where an error is raised (for errors that are tables).
pub(crate) fn record_error_line(exec: &Execution, bridge: &SharedBridge) {
    let mut b = bridge.borrow_mut();
    let frame = exec.upper_lua_frame();
    b.error_line = frame.as_ref().map(|f| f.current_line.0 + 1).or(b.last_line).or(b.default_line);
    b.error_source = frame.as_ref().and_then(|f| super::stdlib::loaded_chunk_name(f.chunk_name.as_bytes()));
}

fn raise<'gc>(ctx: Context<'gc>, text: String) -> Error<'gc> {
    Error::from_value(text.into_value(ctx))
}

fn is_protected<'gc>(ctx: Context<'gc>, t: Table<'gc>) -> bool {
    t.metatable().is_some_and(|m| !m.get(ctx, PROTECTED).is_nil())
}

/// Sets up the globals: the `redis` table, Redis's versions of `error` and `pcall`, the
/// locks. Returns the environment scripts are compiled with.
pub(crate) fn install(ctx: Context<'_>, bridge: &SharedBridge) {
    let globals = ctx.globals();

    // Nothing is ever removed from the globals: piccolo 0.3.3 panics when a table that
    // holds a key set to nil must grow its hash part ("all keys must be live when table is
    // grown"), and KEYS/ARGV are set on every run.
    api::install_base(ctx, globals, bridge);
    api::install_lua51(ctx, globals, bridge);
    super::stdlib::install(ctx, globals, bridge);
    let redis = api::redis_table(ctx, bridge);
    let _ = globals.set(ctx, "redis", redis);
    super::lib::install(ctx, globals, bridge);
    // Lua 5.1's operators where piccolo differs, for rewritten scripts (before the
    // library tables become proxies: `ops` keeps the real string table).
    super::ops::install(ctx, globals, bridge);

    let readonly = {
        let bridge = bridge.clone();
        Callback::from_fn(&ctx, move |ctx, exec, _stack| {
            Err(raise(ctx, positioned(&exec, &bridge, "Attempt to modify a readonly table")))
        })
    };
    let nonexistent = {
        let bridge = bridge.clone();
        Callback::from_fn(&ctx, move |ctx, exec, stack| {
            let name = match stack.get(1) {
                Value::String(s) => s.to_str_lossy().into_owned(),
                other => other.type_name().to_string(),
            };
            let msg = format!("Script attempted to access nonexistent global variable '{name}'");
            Err(raise(ctx, positioned(&exec, &bridge, &msg)))
        })
    };

    // Library tables become read-only proxies.
    for name in ["redis", "string", "math", "table", "coroutine", "cjson", "cmsgpack", "bit", "struct"] {
        if let Value::Table(real) = globals.get(ctx, name) {
            let proxy = read_only(ctx, real, bridge);
            let _ = globals.set(ctx, name, proxy);
        }
    }

    // The environment: always empty, reads go to the globals, writes fail.
    let env = Table::new(&ctx);
    let env_meta = Table::new(&ctx);
    let _ = env_meta.set(ctx, "__index", globals);
    let _ = env_meta.set(ctx, "__newindex", readonly);
    let _ = env_meta.set(ctx, PROTECTED, true);
    env.set_metatable(&ctx, Some(env_meta));
    let _ = globals.set(ctx, "_G", env);

    let globals_meta = Table::new(&ctx);
    let _ = globals_meta.set(ctx, "__index", nonexistent);
    let _ = globals_meta.set(ctx, "__newindex", readonly);
    let _ = globals_meta.set(ctx, PROTECTED, true);
    globals.set_metatable(&ctx, Some(globals_meta));

    install_guards(ctx, globals, bridge);
    set_keys_and_args(ctx, &[], &[]);
    // For the host to compile scripts with (`env`); scripts reaching it find `_G`.
    let _ = globals.set(ctx, ENV_KEY, env);
}

/// A read-only proxy of `real` (Redis 7.0 marks its library tables read-only).
fn read_only<'gc>(ctx: Context<'gc>, real: Table<'gc>, bridge: &SharedBridge) -> Table<'gc> {
    let bridge = bridge.clone();
    let readonly = Callback::from_fn(&ctx, move |ctx, exec, _stack| {
        Err(raise(ctx, positioned(&exec, &bridge, "Attempt to modify a readonly table")))
    });
    let proxy = Table::new(&ctx);
    let meta = Table::new(&ctx);
    let _ = meta.set(ctx, "__index", real);
    let _ = meta.set(ctx, "__newindex", readonly);
    let _ = meta.set(ctx, PROTECTED, true);
    proxy.set_metatable(&ctx, Some(meta));
    proxy
}

/// The environment table scripts are compiled with.
pub(crate) fn env(ctx: Context<'_>) -> Table<'_> {
    match ctx.globals().get(ctx, ENV_KEY) {
        Value::Table(t) => t,
        _ => ctx.globals(),
    }
}

/// `rawset` and `setmetatable` that refuse protected tables.
fn install_guards<'gc>(ctx: Context<'gc>, globals: Table<'gc>, bridge: &SharedBridge) {
    for name in ["rawset", "setmetatable"] {
        let Value::Function(original) = globals.get(ctx, name) else { continue };
        let bridge = bridge.clone();
        let guarded = Callback::from_fn_with(&ctx, original, move |original, ctx, exec, stack| {
            if let Value::Table(t) = stack.get(0) {
                if is_protected(ctx, t) {
                    // Raised by Redis's C protection: no position in the message.
                    record_error_line(&exec, &bridge);
                    return Err(raise(ctx, "Attempt to modify a readonly table".to_string()));
                }
            }
            Ok(CallbackReturn::Call { function: *original, then: None })
        });
        let _ = globals.set(ctx, name, guarded);
    }
}

/// Sets KEYS and ARGV for the next run (raw, past the locks).
pub(crate) fn set_keys_and_args(ctx: Context<'_>, keys: &[Vec<u8>], args: &[Vec<u8>]) {
    let globals = ctx.globals();
    for (name, items) in [("KEYS", keys), ("ARGV", args)] {
        let t = Table::new(&ctx);
        for (i, item) in items.iter().enumerate() {
            let _ = t.set(ctx, (i + 1) as i64, ctx.intern(item));
        }
        let _ = globals.set(ctx, name, t);
    }
}
