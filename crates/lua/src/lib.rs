//! Lua 5.1 for the Redis playground: Redis 7.0 runs scripts on PUC Lua 5.1.5, and the
//! emulator needs its exact behaviour (grammar, compile errors, and later the VM).
//!
//! - `syntax`: the front end (lexer, parser with Lua 5.1's exact compile errors, resolved
//!   names, printer).

pub mod syntax;
