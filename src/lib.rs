//! The browser playground: a Leptos app over the `redis-emulator` engine.
//!
//! The logic lives in plain types tested natively: [`console`] (what redis-cli's REPL
//! does with a line), [`history`] (Up/Down and its saved form), [`keys`] (the key list)
//! and [`playground`] (the engine with the page's clock and limits). [`app`] holds the
//! thin Leptos components, [`web`] the few direct browser calls.

pub mod activity;
pub mod app;
pub mod browser;
pub mod built_in;
pub mod clients;
pub mod console;
pub mod embed;
pub mod exercise;
pub mod export;
pub mod history;
pub mod jobs;
pub mod keys;
pub mod keyspace;
pub mod persist;
pub mod playground;
pub mod programs_ui;
pub mod requests;
pub mod share;
pub mod store;
pub mod streams;
// Native only: it replays the exercises compiled into `redis-exercises` natively.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod transcript;
pub mod ui;
pub mod values;
pub mod web;

pub use app::{start, App};
