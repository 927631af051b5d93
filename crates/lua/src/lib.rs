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
//! [`Vm::new_native`] and [`Vm::set_global`]; they can call Lua back with [`Vm::call`] and
//! raise errors positioned at the calling line with [`Vm::rt_error`]. Values the host
//! keeps between runs are kept alive with [`Vm::pin`].
//!
//! Differences from PUC Lua 5.1 (known, deliberate or not yet done):
//! - Only the base library is here (no string/table/math/os libraries yet, no coroutines,
//!   no `getfenv`/`setfenv`/`load`/`loadstring`/`dofile`); all functions share one
//!   globals table.
//! - `pairs` order over keys that are tables or functions differs (5.1 hashes addresses),
//!   and `tostring` of such values shows handles, not addresses.
//! - A Lua function called from a native or a metamethod cannot pause: it borrows fuel
//!   (bounded) that the next run pays back.
//! - Error levels count native callers approximately (tail calls are not tracked).

pub mod compiler;
pub mod coroutine;
pub mod debug;
pub mod heap;
mod lib_base;
pub mod number;
pub mod proto;
pub mod syntax;
pub mod table;
pub mod value;
pub mod vm;

pub use value::{FuncRef, LuaStr, TableRef, Value};
pub use vm::{NativeReturn, Outcome, Vm};
