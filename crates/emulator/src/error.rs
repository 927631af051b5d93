//! Redis's error texts, in one place, with their code prefix (`ERR`, `WRONGTYPE`...).
//! A command handler returns `Err(CmdError)`; the engine turns it into an error reply.
//! Texts are Redis 7.0's, checked by the golden tests against a recording.

use crate::reply::Reply;

/// An error reply's full text, such as `ERR syntax error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CmdError(pub String);

pub type CmdResult = Result<Reply, CmdError>;

impl CmdError {
    pub fn new(text: impl Into<String>) -> Self {
        CmdError(text.into())
    }
    pub fn into_reply(self) -> Reply {
        Reply::Error(self.0)
    }
}

impl From<CmdError> for Reply {
    fn from(e: CmdError) -> Reply {
        Reply::Error(e.0)
    }
}

pub const SYNTAX: &str = "ERR syntax error";
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
pub const NO_SUCH_KEY: &str = "ERR no such key";
pub const DB_INDEX: &str = "ERR DB index is out of range";
/// `getIntFromObjectOrReply` for a number outside C's `int`.
pub const INT_RANGE: &str =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
pub const INVALID_DB_INDEX: &str = "ERR invalid DB index";
pub const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";
/// Redis's `shared.roslaveerr`: a write sent to a read-only replica.
pub const READONLY_REPLICA: &str = "READONLY You can't write against a read only replica.";
pub const STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/// The most elements the emulator puts in one reply whose length the client chose with a
/// count that allows repetitions (`SRANDMEMBER k -<huge>`, HRANDFIELD, ZRANDMEMBER).
/// Redis would try and run out of memory (normal clients have no output buffer limit);
/// a page in a browser must not.
pub const MAX_COUNTED_REPLY: u64 = 1_000_000;

/// The emulator's own error for a count above `MAX_COUNTED_REPLY`.
pub fn reply_too_long(count: u64) -> CmdError {
    CmdError(format!(
        "ERR the emulator limits a reply to {MAX_COUNTED_REPLY} elements (asked for {count})"
    ))
}

pub fn syntax() -> CmdError {
    CmdError::new(SYNTAX)
}
pub fn wrongtype() -> CmdError {
    CmdError::new(WRONGTYPE)
}
pub fn not_integer() -> CmdError {
    CmdError::new(NOT_INTEGER)
}
pub fn not_float() -> CmdError {
    CmdError::new(NOT_FLOAT)
}

/// `ERR wrong number of arguments for 'get' command` (the full name: `client|setname`).
pub fn wrong_arity(full_name: &str) -> CmdError {
    CmdError(format!(
        "ERR wrong number of arguments for '{}' command",
        full_name
    ))
}

/// `ERR unknown subcommand 'foo'. Try CONFIG HELP.`
pub fn unknown_subcommand(sub: &[u8], container: &str) -> CmdError {
    CmdError(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        truncate_lossy(sub, 128),
        container.to_ascii_uppercase()
    ))
}

/// `ERR unknown command 'FOO', with args beginning with: 'a' 'b' ` as Redis builds it:
/// each argument is quoted and followed by a space, and the list stops once 128
/// characters have been written.
pub fn unknown_command(argv: &[Vec<u8>]) -> CmdError {
    let mut args = String::new();
    for arg in argv.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        args.push('\'');
        args.push_str(&truncate_lossy(arg, room));
        args.push_str("' ");
    }
    let name = argv
        .first()
        .map(|n| truncate_lossy(n, 128))
        .unwrap_or_default();
    CmdError(format!(
        "ERR unknown command '{}', with args beginning with: {}",
        name, args
    ))
}

/// At most `max` bytes of `b`, as text (Redis prints the bytes as they are; invalid UTF-8
/// is replaced here because error replies are text).
///
/// Redis formats these texts with C's `%.*s`, which also stops at a NUL byte: so does this.
pub fn truncate_lossy(b: &[u8], max: usize) -> String {
    let c_len = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..c_len.min(max)]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_command_text_has_trailing_space() {
        let e = unknown_command(&[b"FOO".to_vec(), b"a".to_vec(), b"c d".to_vec()]);
        assert_eq!(
            e.0,
            "ERR unknown command 'FOO', with args beginning with: 'a' 'c d' "
        );
        let e = unknown_command(&[b"FOO".to_vec()]);
        assert_eq!(e.0, "ERR unknown command 'FOO', with args beginning with: ");
        let e = unknown_command(&[b"F\0OO".to_vec(), b"a\0b".to_vec()]);
        assert_eq!(
            e.0,
            "ERR unknown command 'F', with args beginning with: 'a' "
        );
    }
}
