//! A Lua 5.1 front end for scripts: Redis 7.0 compiles scripts with PUC Lua 5.1, the
//! emulator runs them on piccolo (Lua 5.2-5.4 syntax, other error texts). Parsing with
//! Lua 5.1's grammar first gives scripts exactly Redis's compile errors, and a tree that
//! later passes can analyse, rewrite and print back for piccolo.
//!
//! - `lexer.rs`: tokens (llex.c), `parser.rs`: grammar and errors (lparser.c),
//!   `resolve.rs`: scopes and limits, `ast.rs`: the tree, `print.rs`: tree to source.
//!
//! Not modelled: the limits of Lua 5.1's code generator ("function or expression too
//! complex" past 250 registers, "constant table overflow", "control structure too long"):
//! they need lcode.c's register allocation. Such scripts go on to piccolo's compiler.

pub mod ast;
mod lexer;
mod parser;
// The printer is for the passes that rewrite scripts for piccolo (not wired yet).
#[allow(dead_code)]
pub mod print;
mod resolve;

#[cfg(test)]
mod tests;

pub use ast::Chunk;

/// A compile error: the line Lua 5.1 reports and its message (raw bytes: Lua 5.1 quotes
/// the script's own bytes `near '...'`).
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub line: u32,
    pub message: Vec<u8>,
}

impl SyntaxError {
    /// The message as Lua 5.1 gives it for chunk `chunk` (`user_script:3: ...`), as Redis
    /// replies it: cut at a NUL byte (a C string), line breaks turned to spaces.
    pub fn text(&self, chunk: &str) -> String {
        let end = self.message.iter().position(|&b| b == 0).unwrap_or(self.message.len());
        let msg = String::from_utf8_lossy(&self.message[..end]).replace(['\r', '\n'], " ");
        format!("{chunk}:{}: {msg}", self.line)
    }
}

/// Parses a script as Lua 5.1 does.
pub fn parse(src: &[u8]) -> Result<Chunk, SyntaxError> {
    parser::Parser::parse_chunk(src)
}
