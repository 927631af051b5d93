//! A faithful Redis 7.0 emulator: no web, no I/O, no threads.
//!
//! The same crate runs inside the browser playground (compiled to WebAssembly) and
//! behind the native RESP server. Front ends create an [`Engine`], [`Engine::connect`]
//! clients, and run commands with [`Engine::execute`], which returns a [`Reply`] that
//! encodes to RESP2 or RESP3 ([`Reply::to_resp`]) or renders like redis-cli
//! ([`cli::render`]). All time comes from a [`Clock`]; all randomness from a seed.

pub mod args;
pub mod blocking;
pub mod cli;
pub mod clock;
pub mod cmd;
pub mod cmdlog;
pub mod config;
pub mod db;
pub mod dict;
pub mod dump;
pub mod engine;
pub mod error;
pub mod fmt;
pub mod glob;
pub mod inspect;
pub mod ld;
pub mod listpack;
pub mod notify;
pub mod observe;
pub mod rdb;
pub mod rdb_file;
pub mod reply;
pub mod resp;
pub mod rng;
pub mod scan;
pub mod script;
pub mod table;
#[cfg(test)]
mod test_support;
pub mod types;
pub mod value;

#[cfg(not(target_arch = "wasm32"))]
pub use clock::SystemClock;
pub use clock::{Clock, ManualClock};
pub use engine::{Client, ClientId, ClientInfo, Engine, REDIS_VERSION};
pub use reply::{Protocol, Reply};
