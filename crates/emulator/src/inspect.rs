//! Goal checks: read-only commands the page runs without anyone seeing them.
//!
//! The page follows a learner's progress through a guided exercise by running read-only
//! commands (`XLEN orders`, `HGET k f`, `XPENDING orders g`...) after every command the
//! learner types. A learner watching MONITOR, the command log, INFO, SLOWLOG, CLIENT
//! LIST or OBJECT IDLETIME must see nothing of them, so they do not go through
//! `Engine::execute` and its bookkeeping: `Engine::inspect` calls the command's handler
//! directly, as a client that exists only for that call, while the databases are in
//! read-only mode (`Db::set_read_only`) and the engine counts and reports nothing.

use crate::engine::{Client, ClientId, ClientInfo, Ctx, Engine, DATABASES};
use crate::reply::Reply;
use crate::table::{flag, CommandSpec};

/// The id of the client an inspected command runs as. `Engine::connect` counts ids up
/// from 1 and never reaches it; the client exists only during one `inspect` call.
const INSPECTOR: ClientId = ClientId::MAX;

impl Engine {
    /// Runs a read-only command as Redis would for a plain RESP2 client in database `db`,
    /// and returns its reply, leaving no trace:
    /// - no MONITOR line, no command-log record, no INFO commandstats, errorstats or
    ///   keyspace hits/misses, no keyspace notification (not even `keymiss`), no change
    ///   of `total_commands_processed`;
    /// - no LRU/LFU touch: OBJECT IDLETIME and OBJECT FREQ read the same afterwards;
    /// - no client: the command runs as a client that is never connected (no client id
    ///   used, no CLIENT LIST line, no `connected_clients` or `total_connections_received`),
    ///   and no other client's state changes;
    /// - a key whose TTL has passed reads as missing, as Redis answers, but is not
    ///   deleted: active expiry deletes it later, as if the check had not run;
    /// - random picks (SRANDMEMBER, HRANDFIELD, ZRANDMEMBER, RANDOMKEY) do not advance
    ///   the engine's seeded random sequence.
    ///
    /// Unknown commands, wrong arity and wrong types get Redis's error replies. Commands
    /// not flagged `readonly` in the command table are refused with
    /// `ERR inspect: '<command>' is not a read-only command` (writes, MULTI/EXEC, SUBSCRIBE,
    /// MONITOR, CLIENT, CONFIG, DEBUG...), and so are the read-only script commands
    /// (EVAL_RO, EVALSHA_RO, FCALL_RO) and XREAD with BLOCK: the reply must come at once.
    /// While a script is running (between chunks of its work) the reply is Redis's BUSY
    /// error, which a plain client would get after the busy threshold: the data is
    /// half-way through the script. CLIENT PAUSE does not hold an inspection back.
    pub fn inspect(&mut self, db: usize, argv: &[Vec<u8>]) -> Reply {
        if argv.is_empty() {
            return Reply::error("ERR inspect: empty command");
        }
        if db >= DATABASES {
            return Reply::error("ERR DB index is out of range");
        }
        let (spec, name) = match self.resolve(argv) {
            Ok(found) => found,
            Err(e) => return e.into_reply(),
        };
        if let Some(reason) = refusal(spec, argv) {
            return Reply::Error(format!(
                "ERR inspect: '{}' {reason}",
                name.replace('|', " ")
            ));
        }
        let Some(handler) = spec.handler else {
            return Reply::Error(format!("ERR inspect: '{name}' cannot run"));
        };
        if let Some(busy) = &self.busy {
            return Reply::error(if busy.is_eval {
                crate::script::BUSY_EVAL
            } else {
                crate::script::BUSY_FUNCTION
            });
        }

        let now_ms = self.clock.now_ms();
        let mut client = Client::new(INSPECTOR, ClientInfo::default(), now_ms);
        client.db = db;
        self.clients.insert(INSPECTOR, client);
        for d in self.dbs.iter_mut() {
            d.set_read_only(Some(now_ms));
        }
        self.inspecting = true;
        let rng = self.rng.clone();

        let mut ctx = Ctx {
            engine: self,
            client: INSPECTOR,
            now_ms,
            spec,
        };
        let result = handler(&mut ctx, argv);

        self.rng = rng;
        self.inspecting = false;
        for d in self.dbs.iter_mut() {
            d.set_read_only(None);
        }
        self.clients.remove(&INSPECTOR);
        match result {
            Ok(reply) => reply,
            // An error reply is one line (as `execute_now` sends it).
            Err(e) => Reply::Error(e.0.replace(['\r', '\n'], " ")),
        }
    }
}

/// Why `inspect` will not run `argv` (resolved to `spec`), if it will not.
fn refusal(spec: &CommandSpec, argv: &[Vec<u8>]) -> Option<&'static str> {
    if !spec.has(flag::READONLY) {
        Some("is not a read-only command")
    } else if spec.group == "scripting" {
        Some("runs a script")
    } else if spec.has(flag::BLOCKING)
        && (spec.name != "xread" || crate::cmd::streams::xread_blocks(argv))
    {
        Some("with BLOCK would block")
    } else {
        None
    }
}
