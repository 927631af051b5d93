//! A Lua 5.1 virtual machine written for Redis scripting fidelity and for the browser.
//!
//! Redis 7.0 runs scripts on PUC Lua 5.1.5. This crate reproduces what scripts can observe
//! of it: numbers are doubles written with `%.14g` and read with `strtod`; tables are laid
//! out as `ltable.c` lays them out, so `pairs` order and `#t` on tables with holes match;
//! code is compiled to a register bytecode following `lcode.c`, so runtime errors name
//! variables as 5.1 does (`user_script:3: attempt to index local 't' (a nil value)`);
//! all 5.1 metamethods, string coercions, varargs, tail calls, closures with shared
//! upvalues, `pcall`/`xpcall`/`error` with levels.
//!
//! It is also built for a page that must never freeze or panic: [`Vm::run`] executes at
//! most a given number of instructions and returns [`Outcome::Paused`] with all state kept;
//! a native function can suspend the whole VM with a request for the host
//! ([`NativeReturn::Yield`], answered by [`Vm::resume_host`]: how `redis.call` reaches the
//! engine); memory is garbage collected (mark and sweep over handles, [`heap`]) and limited
//! ([`Vm::set_memory_limit`], "not enough memory").
//!
//! Using it:
//! ```
//! use lua51::{Vm, Value, Outcome};
//! let mut vm = Vm::new();
//! let f = vm.load(b"local a = ... return a * 2", "user_script").unwrap();
//! vm.start(f, vec![Value::Number(21.0)]).unwrap();
//! match vm.run(1_000_000) {
//!     Ok(Outcome::Finished(v)) => assert!(matches!(v[0], Value::Number(n) if n == 42.0)),
//!     _ => panic!(),
//! }
//! ```
//! Natives are `fn(&mut Vm, Vec<Value>) -> Result<NativeReturn, Value>`, registered with
//! [`Vm::new_native`] (or [`Vm::new_native_with`] for bound values) and [`Vm::set_global`]
//! / [`Vm::set_field`]; they can call Lua back with [`Vm::call`], raise errors positioned
//! at the calling line with [`Vm::error`] (`luaL_error`) or [`Vm::arg_error`], and read
//! tables with [`Vm::raw_get`], [`Vm::array`], [`Vm::index`] (with metamethods). Values the
//! host keeps between runs (a compiled script, `cjson.null`) are kept alive with
//! [`Vm::pin`]. Redis's environment is built from the same pieces: read-only tables
//! ([`Vm::set_readonly`]), a metatable on the globals whose `__index` native raises
//! "Script attempted to access nonexistent global variable", [`Vm::string_meta`] for the
//! string library, light userdata for sentinels. An `xpcall` handler learns where the
//! error was raised with [`Vm::error_site`] (Redis's error handler reports it); a native
//! that may run inside another native (a gsub callback's `redis.call`) asks
//! [`Vm::can_yield`] before yielding.
//!
//! How it maps to Lua 5.1.5:
//! - `syntax` parses with 5.1's grammar and compile errors; `compiler` emits a register
//!   bytecode with 5.1's opcodes (`proto::Op`, 8 bytes each, `TFORLOOP` split in two as in
//!   5.2 so that Lua iterators run without recursion); `debug` names operands in error
//!   messages by 5.1's symbolic execution.
//! - `value`: nil, boolean, number (f64), string (immutable bytes with 5.1's hash), table,
//!   function, light and full userdata, thread. `number`: `%.14g` and `luaO_str2d`.
//! - `table`: `ltable.c` (array part, node part with main positions and `lastfree`,
//!   `rehash`/`computesizes`, `luaH_getn`, `luaH_next`, dead keys kept until a rehash).
//! - `heap`: slabs of tables, closures, upvalues, userdata and coroutines; mark and sweep
//!   from the stacks, globals, registry and pins, started by allocation debt.
//! - `vm`: frames in a loop (no Rust recursion for Lua calls), LUAI_MAXCALLS 20000
//!   ("stack overflow"), 200 nested native levels ("C stack overflow", also bounded by a
//!   Rust stack budget), all metamethods (`__index`/`__newindex` chains with 5.1's 100-step
//!   limit, `__call`, arithmetic, `__concat`, `__eq` with 5.1's same-metamethod rule,
//!   `__lt`, `__le` with the `not (b < a)` fallback, `__len` for non-tables, `__tostring`,
//!   `__metatable`), pcall/xpcall/error levels. `coroutine`: threads switched inside the
//!   loop. `lib_base`: the base library as Redis has it (no print, dofile, getfenv/setfenv).
//!   `lib_table`, `lib_math`: 5.1's table and math libraries with Redis's `math.random`
//!   (the host opens them: `lib_table::open(&mut vm)`, `lib_math::open(&mut vm)`).
//!
//! Differences from PUC Lua 5.1 (known, deliberate or not yet done):
//! - The libraries are Redis's set: base, coroutine, string (`lib_string`), table, math,
//!   and cjson, cmsgpack, bit, struct (`redis_libs`); no os, io, debug or package. All
//!   functions share one globals table (no `getfenv`/`setfenv`).
//! - `pairs` order over keys that are tables, functions or coroutines differs (5.1 hashes
//!   addresses), and `tostring` of such values shows handles, not addresses.
//! - A Lua function called from a native or a metamethod cannot pause: it borrows fuel
//!   (at most 200 million instructions) that the next run pays back. Coroutines cannot be
//!   resumed from a native's [`Vm::call`].
//! - Error levels count native callers approximately (tail calls are not tracked); the
//!   register-limit compile error lacks 5.1's `near '<token>'`.
//! - Memory is an estimate of live objects (tables, closures, strings they reference);
//!   the limit is checked at allocating instructions.

pub mod compiler;
pub mod coroutine;
pub mod debug;
pub mod heap;
mod lib_base;
pub mod lib_math;
pub mod lib_string;
pub mod lib_table;
pub mod number;
pub mod proto;
pub mod redis_libs;
pub mod syntax;
pub mod table;
pub mod value;
pub mod vm;

pub use lib_base::{chunk_id, set_error_handler};
pub use value::{FuncRef, LuaStr, TableRef, Value};
pub use vm::{NativeReturn, Outcome, Vm};
