//! Guided exercises for the Redis playground: the exercise file format, goal checks,
//! actions, safe Markdown, and the built-in catalogue.
//!
//! An exercise is a Markdown file (documented for authors in `docs/exercises.md`): a
//! front matter, then one step per `##` heading with fenced blocks of special kinds:
//! `redis` (commands to paste), `check` (goals), `hint`, `do` (actions on programs and
//! time), `program` (a Lua program's source) and `original` (the source document's code).
//!
//! This crate reads and checks the files and evaluates goals against a [`check::World`];
//! it runs nothing itself. The page (and its native tests) implement `World` over the
//! engine, the console tabs and the programs, and perform the actions.
//!
//! Modules: `format` (the file), `check` (goals), `action` (what "Show me" does),
//! `markdown` (HTML safe for text from anywhere), `catalogue` (the built-in files).

pub mod action;
pub mod catalogue;
pub mod check;
pub mod format;
pub mod markdown;

pub use action::Action;
pub use check::{holds, Check, World};
pub use format::{parse, Block, CommandLine, Exercise, FormatError, Goal, Step};
