//! CLIENT subcommands that act on other clients or on how a client is served: KILL,
//! PAUSE, UNPAUSE, NO-EVICT, REPLY (Redis 7.0's clientCommand). The simple per-client
//! ones (ID, SETNAME, LIST...) live in `connection.rs`.

use crate::args::{is, parse_i64};
use crate::blocking::{BlockedOp, Timeout};
use crate::engine::{ClientId, Ctx, Engine};
use crate::error::{self, CmdError, CmdResult};
use crate::reply::Reply;
use crate::table::{flag::*, CommandSpec};

const CLIENT_ADMIN: CommandSpec = CommandSpec {
    flags: ADMIN | NOSCRIPT | LOADING | STALE,
    acl: &["admin", "slow", "dangerous", "connection"],
    group: "connection",
    ..CommandSpec::BASE
};

/// Entries for the CLIENT container's subcommand table (see `connection.rs`).
pub const KILL: CommandSpec = CommandSpec {
    name: "kill",
    arity: -3,
    since: "2.4.0",
    summary: "Kill the connection of a client",
    complexity: "O(N) where N is the number of client connections",
    syntax: "ip:port | [ID client-id] [TYPE NORMAL|MASTER|SLAVE|REPLICA|PUBSUB] [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME yes/no]",
    handler: Some(client_kill),
    ..CLIENT_ADMIN
};
pub const PAUSE: CommandSpec = CommandSpec {
    name: "pause",
    arity: -3,
    since: "2.9.50",
    summary: "Stop processing commands from clients for some time",
    syntax: "timeout [WRITE|ALL]",
    handler: Some(client_pause),
    ..CLIENT_ADMIN
};
pub const UNPAUSE: CommandSpec = CommandSpec {
    name: "unpause",
    arity: 2,
    since: "6.2.0",
    summary: "Resume processing of clients that were paused",
    complexity: "O(N) Where N is the number of paused clients",
    handler: Some(client_unpause),
    ..CLIENT_ADMIN
};
pub const NO_EVICT: CommandSpec = CommandSpec {
    name: "no-evict",
    arity: 3,
    since: "7.0.0",
    summary: "Set client eviction mode for the current connection",
    syntax: "ON|OFF",
    handler: Some(client_no_evict),
    ..CLIENT_ADMIN
};
pub const REPLY: CommandSpec = CommandSpec {
    name: "reply",
    arity: 3,
    flags: NOSCRIPT | LOADING | STALE,
    acl: &["slow", "connection"],
    since: "3.2.0",
    summary: "Instruct the server whether to reply to commands",
    syntax: "ON|OFF|SKIP",
    handler: Some(client_reply),
    ..CLIENT_ADMIN
};

/// Whether a client gets replies (CLIENT REPLY).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReplyMode {
    #[default]
    On,
    Off,
    /// No reply to the next command only.
    SkipNext,
}

/// A CLIENT PAUSE in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pause {
    pub until_ms: i64,
    /// WRITE: only commands that may write wait; ALL: every command.
    pub writes_only: bool,
}

/// CLIENT KILL ip:port | CLIENT KILL [ID id] [TYPE type] [USER user] [ADDR a] [LADDR a] [SKIPME yes|no]
fn client_kill(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let old_form = argv.len() == 3;
    let (mut addr, mut laddr, mut id, mut skipme) = (None, None, None, !old_form);
    // TYPE: None for any client; Some(true) for subscribed (pubsub) clients, Some(false)
    // for normal ones; master/replica match nobody here.
    let mut type_pubsub: Option<bool> = None;
    let mut type_matches = true;
    if old_form {
        addr = Some(argv[2].clone());
    } else {
        let mut i = 2;
        while i < argv.len() {
            let Some(value) = argv.get(i + 1) else {
                return Err(error::syntax());
            };
            let opt = &argv[i];
            if is(opt, "id") {
                let n = parse_i64(value).filter(|n| *n >= 1);
                id = Some(
                    n.ok_or_else(|| CmdError::new("ERR client-id should be greater than 0"))?
                        as u64,
                );
            } else if is(opt, "type") {
                if !["normal", "master", "replica", "slave", "pubsub"]
                    .iter()
                    .any(|t| is(value, t))
                {
                    return Err(CmdError(format!(
                        "ERR Unknown client type '{}'",
                        String::from_utf8_lossy(value)
                    )));
                }
                type_matches = is(value, "normal") || is(value, "pubsub");
                type_pubsub = Some(is(value, "pubsub"));
            } else if is(opt, "addr") {
                addr = Some(value.clone());
            } else if is(opt, "laddr") {
                laddr = Some(value.clone());
            } else if is(opt, "user") {
                if !is(value, "default") {
                    return Err(CmdError(format!(
                        "ERR No such user '{}'",
                        String::from_utf8_lossy(value)
                    )));
                }
            } else if is(opt, "skipme") {
                skipme = if is(value, "yes") {
                    true
                } else if is(value, "no") {
                    false
                } else {
                    return Err(error::syntax());
                };
            } else {
                return Err(error::syntax());
            }
            i += 2;
        }
    }
    let me = ctx.client;
    let targets: Vec<ClientId> = ctx
        .engine
        .clients()
        .filter(|c| {
            addr.as_ref()
                .is_none_or(|a| c.info.addr.as_bytes() == a.as_slice())
        })
        .filter(|c| {
            laddr
                .as_ref()
                .is_none_or(|a| c.info.laddr.as_bytes() == a.as_slice())
        })
        .filter(|_| type_matches)
        .filter(|c| type_pubsub.is_none_or(|want| want == ctx.engine.is_subscribed(c.id)))
        .filter(|c| id.is_none_or(|id| c.id == id))
        .filter(|c| !(skipme && c.id == me))
        .map(|c| c.id)
        .collect();
    for &t in &targets {
        if t == me {
            // Killing oneself: the reply goes out, then the connection closes.
            ctx.client_mut().closing = true;
        } else {
            ctx.engine.kill_client(t);
        }
    }
    if old_form {
        if targets.is_empty() {
            return Err(CmdError::new("ERR No such client"));
        }
        return Ok(Reply::ok());
    }
    Ok(Reply::Integer(targets.len() as i64))
}

/// CLIENT PAUSE timeout [WRITE|ALL]
fn client_pause(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() > 4 {
        return Err(wrong_subcommand_arity(&argv[1]));
    }
    let writes_only = match argv.get(3) {
        None => false,
        Some(m) if is(m, "write") => true,
        Some(m) if is(m, "all") => false,
        Some(_) => return Err(CmdError::new("ERR CLIENT PAUSE mode must be WRITE or ALL")),
    };
    let ms = parse_i64(&argv[2])
        .ok_or_else(|| CmdError::new("ERR timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(CmdError::new("ERR timeout is negative"));
    }
    let until_ms = ctx.now_ms.saturating_add(ms);
    // pauseClients: a longer pause or a stricter mode wins over the one in force.
    let pause = match ctx.engine.pause {
        Some(p) => Pause {
            until_ms: p.until_ms.max(until_ms),
            writes_only: p.writes_only && writes_only,
        },
        None => Pause {
            until_ms,
            writes_only,
        },
    };
    ctx.engine.pause = Some(pause);
    Ok(Reply::ok())
}

/// clientCommand's fallback for a subcommand given a count of arguments it does not
/// take (past the arity check): the subcommand as typed.
pub(crate) fn wrong_subcommand_arity(sub: &[u8]) -> CmdError {
    CmdError(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
        String::from_utf8_lossy(sub)
    ))
}

/// CLIENT UNPAUSE
fn client_unpause(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    ctx.engine.unpause();
    Ok(Reply::ok())
}

/// CLIENT NO-EVICT ON|OFF: accepted (the emulator never evicts clients).
fn client_no_evict(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let on = if is(&argv[2], "on") {
        true
    } else if is(&argv[2], "off") {
        false
    } else {
        return Err(error::syntax());
    };
    ctx.client_mut().no_evict = on;
    Ok(Reply::ok())
}

/// CLIENT REPLY ON|OFF|SKIP: OFF and SKIP themselves get no reply.
fn client_reply(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let c = ctx.client_mut();
    if is(&argv[2], "on") {
        c.reply_mode = ReplyMode::On;
        Ok(Reply::ok())
    } else if is(&argv[2], "off") {
        c.reply_mode = ReplyMode::Off;
        Ok(Reply::NoReply)
    } else if is(&argv[2], "skip") {
        if c.reply_mode != ReplyMode::Off {
            c.reply_mode = ReplyMode::SkipNext;
        }
        Ok(Reply::NoReply)
    } else {
        Err(error::syntax())
    }
}

impl Engine {
    /// Closes another client's connection (freeClient): it is gone from the engine at
    /// once; front ends learn it from `take_killed` and close their side.
    pub fn kill_client(&mut self, client: ClientId) {
        if self.clients.contains_key(&client) {
            self.disconnect(client);
            self.killed.push(client);
        }
    }

    /// Clients killed since the last call (CLIENT KILL), for front ends to close.
    pub fn take_killed(&mut self) -> Vec<ClientId> {
        std::mem::take(&mut self.killed)
    }

    /// Whether CLIENT PAUSE holds this command back (processCommand's check: every
    /// command under ALL, those that may write under WRITE).
    pub(crate) fn paused_for(&mut self, spec: &CommandSpec, now_ms: i64) -> bool {
        let Some(p) = self.pause else { return false };
        if p.until_ms <= now_ms {
            return false;
        }
        !p.writes_only || spec.has(WRITE | MAY_REPLICATE)
    }

    /// Ends a pause: postponed clients run their command again, in the order they
    /// were held (unblockPostponedClients).
    pub(crate) fn unpause(&mut self) {
        self.pause = None;
        self.release_postponed();
    }

    /// Runs the postponed clients' commands again, in the order they were held (those a
    /// pause or a script still holds are postponed again).
    pub(crate) fn release_postponed(&mut self) {
        let mut held: Vec<(i64, ClientId)> = self
            .clients
            .values()
            .filter_map(|c| match &c.queues.blocked {
                Some(b) if matches!(b.op, BlockedOp::Postponed(_)) => Some((b.since_ms, c.id)),
                _ => None,
            })
            .collect();
        held.sort_unstable();
        for (_, client) in held {
            self.resume_postponed(client);
        }
    }

    /// When the pause in force ends, if any.
    pub(crate) fn pause_end(&self) -> Option<i64> {
        self.pause.map(|p| p.until_ms)
    }

    /// Holds `argv` until the pause ends (BLOCKED_POSTPONE).
    pub(crate) fn postpone(&mut self, client: ClientId, argv: &[Vec<u8>], now_ms: i64) -> Reply {
        let db = self.clients.get(&client).map_or(0, |c| c.db);
        self.park_op(
            client,
            db,
            Vec::new(),
            Timeout::Never,
            BlockedOp::Postponed(argv.to_vec()),
            now_ms,
        );
        Reply::NoReply
    }
}
