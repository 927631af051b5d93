//! Lua 5.1's front end: Redis 7.0 compiles scripts with PUC Lua 5.1, and parsing with
//! its grammar gives scripts exactly Redis's compile errors and a tree that `compiler`
//! turns into bytecode.
//!
//! - `lexer.rs`: tokens (llex.c), `parser.rs`: grammar and errors (lparser.c),
//!   `resolve.rs`: scopes and limits, `ast.rs`: the tree, `print.rs`: tree to source.
//!
//! The limits of Lua 5.1's code generator ("function or expression too complex" past 250
//! registers, "constant table overflow", "control structure too long") are `compiler`'s.

pub mod ast;
mod lexer;
mod parser;
// The printer writes trees back as source (tests round-trip the golden scripts with it).
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
        let end = self
            .message
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.message.len());
        let msg = String::from_utf8_lossy(&self.message[..end]).replace(['\r', '\n'], " ");
        format!("{chunk}:{}: {msg}", self.line)
    }
}

/// Parses a script as Lua 5.1 does.
pub fn parse(src: &[u8]) -> Result<Chunk, SyntaxError> {
    parser::Parser::parse_chunk(src)
}
