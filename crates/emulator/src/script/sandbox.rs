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
    table::NextValue, Callback, CallbackReturn, Context, Error, Execution, IntoValue, Stack, Table, Value,
};

use super::api;
use super::SharedBridge;

/// The key marking a protected table's metatable.
const PROTECTED: &str = "__playground_protected";
/// The key marking a library proxy's metatable (`getmetatable` answers nil for those).
const LIBRARY: &str = "__playground_library";
/// Where the environment table is kept in the globals, for the host.
const ENV_KEY: &str = "__playground_env";

/// The position prefix Lua gives errors raised at the caller's line, and records the line
/// for the error handler.
pub(crate) fn positioned(exec: &Execution, bridge: &SharedBridge, msg: &str) -> String {
    let mut b = bridge.borrow_mut();
    // A tail call (`return error('x')`) has no Lua frame above it any more.
    let line = exec.upper_lua_frame().map(|f| f.current_line.0 + 1).or(b.last_line).or(b.default_line);
    b.error_line = line;
    match line {
        Some(l) => format!("{}:{l}: {msg}", super::CHUNK),
        None => msg.to_string(),
    }
}

/// Records the caller's line as where an error is raised (for errors that are tables).
pub(crate) fn record_error_line(exec: &Execution, bridge: &SharedBridge) {
    let mut b = bridge.borrow_mut();
    b.error_line = exec.upper_lua_frame().map(|f| f.current_line.0 + 1).or(b.last_line).or(b.default_line);
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
    install_table_readers(ctx, globals, bridge);

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
    let _ = meta.set(ctx, LIBRARY, true);
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

/// The table behind a read-only proxy (a library table, or the globals behind `_G`), for
/// the functions that read tables raw: Lua 5.1 sees the real table there.
fn real_table<'gc>(ctx: Context<'gc>, t: Table<'gc>) -> Table<'gc> {
    match t.metatable() {
        Some(m) if !m.get(ctx, PROTECTED).is_nil() => match m.get(ctx, "__index") {
            Value::Table(real) => real,
            _ => t,
        },
        _ => t,
    }
}

/// Entries of the globals that belong to the emulator, not to Lua: never listed.
fn is_hidden(key: Value) -> bool {
    matches!(key, Value::String(s) if s.as_bytes().starts_with(b"__playground_"))
}

/// Lua 5.1's `luaL_checktype(L, 1, LUA_TTABLE)` for the function `name`.
fn table_arg<'gc>(ctx: Context<'gc>, exec: &Execution, bridge: &SharedBridge, stack: &Stack<'gc, '_>, name: &str) -> Result<Table<'gc>, Error<'gc>> {
    match stack.get(0) {
        Value::Table(t) => Ok(real_table(ctx, t)),
        v => {
            let got = if stack.is_empty() { "no value" } else { super::ops::type_name(v) };
            let msg = format!("bad argument #1 to '{name}' (table expected, got {got})");
            Err(raise(ctx, positioned(exec, bridge, &msg)))
        }
    }
}

/// `next(t, k)` of Lua 5.1 over the real table, skipping the emulator's own globals.
fn next_entry<'gc>(ctx: Context<'gc>, t: Table<'gc>, mut key: Value<'gc>) -> Result<(Value<'gc>, Value<'gc>), Error<'gc>> {
    loop {
        match t.next(key) {
            NextValue::Found { key: k, .. } if is_hidden(k) => key = k,
            NextValue::Found { key, value } => return Ok((key, value)),
            NextValue::Last => return Ok((Value::Nil, Value::Nil)),
            NextValue::NotFound => return Err(raise(ctx, "invalid key to 'next'".to_string())),
        }
    }
}

/// `next`, `pairs`, `ipairs`, `rawget` and `getmetatable` as Lua 5.1 has them, seeing
/// through the read-only proxies (so `pairs(string)` lists the string functions).
fn install_table_readers<'gc>(ctx: Context<'gc>, globals: Table<'gc>, bridge: &SharedBridge) {
    let next = {
        let bridge = bridge.clone();
        Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
            let t = table_arg(ctx, &exec, &bridge, &stack, "next")?;
            let entry = next_entry(ctx, t, stack.get(1))?;
            stack.replace(ctx, entry);
            Ok(CallbackReturn::Return)
        })
    };
    let _ = globals.set(ctx, "next", next);
    {
        let bridge = bridge.clone();
        let pairs = Callback::from_fn_with(&ctx, next, move |next, ctx, exec, mut stack| {
            let t = table_arg(ctx, &exec, &bridge, &stack, "pairs")?;
            stack.replace(ctx, (*next, t, Value::Nil));
            Ok(CallbackReturn::Return)
        });
        let _ = globals.set(ctx, "pairs", pairs);
    }
    {
        let inext = Callback::from_fn(&ctx, |ctx, _exec, mut stack| {
            let (Value::Table(t), Value::Integer(i)) = (stack.get(0), stack.get(1)) else {
                stack.clear();
                return Ok(CallbackReturn::Return);
            };
            let v = t.get(ctx, i + 1);
            stack.clear();
            if !v.is_nil() {
                stack.extend([Value::Integer(i + 1), v]);
            }
            Ok(CallbackReturn::Return)
        });
        let bridge = bridge.clone();
        let ipairs = Callback::from_fn_with(&ctx, inext, move |inext, ctx, exec, mut stack| {
            let t = table_arg(ctx, &exec, &bridge, &stack, "ipairs")?;
            stack.replace(ctx, (*inext, t, Value::Integer(0)));
            Ok(CallbackReturn::Return)
        });
        let _ = globals.set(ctx, "ipairs", ipairs);
    }
    {
        let bridge = bridge.clone();
        let rawget = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
            let t = table_arg(ctx, &exec, &bridge, &stack, "rawget")?;
            let v = t.get(ctx, stack.get(1));
            stack.replace(ctx, v);
            Ok(CallbackReturn::Return)
        });
        let _ = globals.set(ctx, "rawget", rawget);
    }
    {
        // Strings share one metatable whose `__index` is the string library (read-only).
        let string_meta = Table::new(&ctx);
        let _ = string_meta.set(ctx, "__index", globals.get(ctx, "string"));
        let string_meta = read_only(ctx, string_meta, bridge);
        let getmetatable = Callback::from_fn_with(&ctx, string_meta, |string_meta, ctx, _exec, mut stack| {
            let meta = match stack.get(0) {
                Value::String(_) => Value::Table(*string_meta),
                Value::Table(t) => match t.metatable() {
                    // The library tables have no metatable in Lua 5.1.
                    Some(m) if !m.get(ctx, LIBRARY).is_nil() => Value::Nil,
                    Some(m) => match m.get(ctx, "__metatable") {
                        Value::Nil => Value::Table(m),
                        protected => protected,
                    },
                    None => Value::Nil,
                },
                Value::UserData(u) => u.metatable().map(Value::Table).unwrap_or(Value::Nil),
                _ => Value::Nil,
            };
            stack.replace(ctx, meta);
            Ok(CallbackReturn::Return)
        });
        let _ = globals.set(ctx, "getmetatable", getmetatable);
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
