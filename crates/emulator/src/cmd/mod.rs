//! Command implementations, one file per family. Each file declares its part of the
//! command table (`COMMANDS`) next to the handlers it points to.

pub mod clients;
pub mod connection;
pub mod dump;
pub mod functions;
pub mod hashes;
pub mod keys;
pub mod lists;
pub mod pubsub;
pub mod scripting;
pub mod server;
pub mod sets;
pub mod streams;
pub mod strings;
pub mod transactions;
pub mod zsets;

use crate::reply::Reply;

/// Redis's `addReplyHelp`: a header naming the command (upper-cased as typed), the
/// given lines, and the standard HELP footer, all as status replies.
pub(crate) fn help_reply(command: &[u8], lines: &[&str]) -> Reply {
    let name = String::from_utf8_lossy(command).to_ascii_uppercase();
    let mut out = vec![Reply::Status(format!(
        "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        name
    ))];
    out.extend(lines.iter().map(|l| Reply::status(l)));
    out.push(Reply::status("HELP"));
    out.push(Reply::status("    Prints this help."));
    Reply::Array(out)
}
