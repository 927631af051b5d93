//! Connection commands: PING, ECHO, SELECT, HELLO, AUTH, QUIT, RESET, CLIENT.

use crate::args::{is, parse_i64};
use crate::engine::{Client, Ctx, DATABASES, REDIS_VERSION};
use crate::error::{self, CmdError, CmdResult};
use crate::reply::{Protocol, Reply};
use crate::table::{flag::*, CommandSpec};

const CONN: CommandSpec = CommandSpec {
    group: "connection",
    acl: &["fast", "connection"],
    ..CommandSpec::BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "ping",
        arity: -1,
        flags: FAST,
        summary: "Ping the server",
        syntax: "[message]",
        handler: Some(ping),
        ..CONN
    },
    CommandSpec {
        name: "echo",
        arity: 2,
        flags: LOADING | STALE | FAST,
        summary: "Echo the given string",
        syntax: "message",
        handler: Some(echo),
        ..CONN
    },
    CommandSpec {
        name: "select",
        arity: 2,
        flags: LOADING | STALE | FAST,
        since: "1.0.0",
        summary: "Change the selected database for the current connection",
        syntax: "index",
        handler: Some(select),
        ..CONN
    },
    CommandSpec {
        name: "hello",
        arity: -1,
        flags: NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        since: "6.0.0",
        summary: "Handshake with Redis",
        syntax: "[protover [AUTH username password] [SETNAME clientname]]",
        handler: Some(hello),
        ..CONN
    },
    CommandSpec {
        name: "auth",
        arity: -2,
        flags: NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        since: "1.0.0",
        summary: "Authenticate to the server",
        complexity: "O(N) where N is the number of passwords defined for the user",
        syntax: "[username] password",
        handler: Some(auth),
        ..CONN
    },
    CommandSpec {
        name: "quit",
        arity: -1,
        flags: NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        summary: "Close the connection",
        handler: Some(quit),
        ..CONN
    },
    CommandSpec {
        name: "reset",
        arity: 1,
        flags: NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        since: "6.2.0",
        summary: "Reset the connection",
        handler: Some(reset),
        ..CONN
    },
    CommandSpec {
        name: "client",
        arity: -2,
        acl: &["slow"],
        since: "2.4.0",
        summary: "A container for client connection commands",
        complexity: "Depends on subcommand.",
        syntax: "subcommand [arguments]",
        subcommands: CLIENT_SUBCOMMANDS,
        ..CONN
    },
];

const CLIENT_SUB: CommandSpec = CommandSpec {
    flags: NOSCRIPT | LOADING | STALE,
    acl: &["slow", "connection"],
    group: "connection",
    ..CommandSpec::BASE
};

const CLIENT_SUBCOMMANDS: &[CommandSpec] = &[
    super::clients::KILL,
    super::clients::PAUSE,
    super::clients::UNPAUSE,
    super::clients::NO_EVICT,
    super::clients::REPLY,
    CommandSpec {
        name: "id",
        arity: 2,
        since: "5.0.0",
        summary: "Returns the client ID for the current connection",
        handler: Some(client_id),
        ..CLIENT_SUB
    },
    CommandSpec {
        name: "setname",
        arity: 3,
        since: "2.6.9",
        summary: "Set the current connection name",
        syntax: "connection-name",
        handler: Some(client_setname),
        ..CLIENT_SUB
    },
    CommandSpec {
        name: "getname",
        arity: 2,
        since: "2.6.9",
        summary: "Get the current connection name",
        handler: Some(client_getname),
        ..CLIENT_SUB
    },
    CommandSpec {
        name: "info",
        arity: 2,
        since: "6.2.0",
        summary: "Returns information about the current client connection.",
        handler: Some(client_info),
        ..CLIENT_SUB
    },
    CommandSpec {
        name: "list",
        arity: -2,
        flags: ADMIN | NOSCRIPT | LOADING | STALE,
        acl: &["admin", "slow", "dangerous", "connection"],
        since: "2.4.0",
        summary: "Get the list of client connections",
        complexity: "O(N) where N is the number of client connections",
        syntax: "[TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]",
        handler: Some(client_list),
        ..CLIENT_SUB
    },
    CommandSpec {
        name: "unblock",
        arity: -3,
        flags: ADMIN | NOSCRIPT | LOADING | STALE,
        acl: &["admin", "slow", "dangerous", "connection"],
        since: "5.0.0",
        summary: "Unblock a client blocked in a blocking command from a different connection",
        complexity: "O(log N) where N is the number of client connections",
        syntax: "client-id [TIMEOUT|ERROR]",
        handler: Some(client_unblock),
        ..CLIENT_SUB
    },
    CommandSpec {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        since: "5.0.0",
        summary: "Show helpful text about the different subcommands",
        handler: Some(client_help),
        ..CLIENT_SUB
    },
];

// ---------------------------------------------------------------------------------------

/// PING [message]
fn ping(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() <= 2 {
        if let Some(reply) = super::pubsub::subscribed_ping(ctx, argv) {
            return Ok(reply);
        }
    }
    match argv.len() {
        1 => Ok(Reply::status("PONG")),
        2 => Ok(Reply::Bulk(argv[1].clone())),
        _ => Err(error::wrong_arity(ctx.spec.name)),
    }
}

/// ECHO message
fn echo(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Bulk(argv[1].clone()))
}

/// SELECT index
fn select(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let n = crate::args::int32_arg(&argv[1])?;
    if n < 0 || n >= DATABASES as i64 {
        return Err(CmdError::new(error::DB_INDEX));
    }
    ctx.client_mut().db = n as usize;
    Ok(Reply::ok())
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
fn hello(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut version = None;
    let mut next = 1;
    if argv.len() >= 2 {
        let v = parse_i64(&argv[1]).ok_or_else(|| {
            CmdError::new("ERR Protocol version is not an integer or out of range")
        })?;
        if !(2..=3).contains(&v) {
            return Err(CmdError::new("NOPROTO unsupported protocol version"));
        }
        version = Some(v);
        next = 2;
    }
    let mut name = None;
    let mut credentials = None;
    let mut j = next;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if is(&argv[j], "auth") && more >= 2 {
            credentials = Some((&argv[j + 1], &argv[j + 2]));
            j += 2;
        } else if is(&argv[j], "setname") && more >= 1 {
            name = Some(&argv[j + 1]);
            j += 1;
        } else {
            return Err(CmdError(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&argv[j])
            )));
        }
        j += 1;
    }
    if let Some((user, _password)) = credentials {
        // The default user has no password: any password works for it, no other user exists.
        if user.as_slice() != b"default" {
            return Err(CmdError::new(WRONGPASS));
        }
    }
    if let Some(name) = name {
        validate_name(name)?;
        ctx.client_mut().name = if name.is_empty() {
            None
        } else {
            Some(name.clone())
        };
    }
    if let Some(v) = version {
        ctx.client_mut().protocol = if v == 3 {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        };
    }
    let c = ctx.client();
    let proto = if c.protocol == Protocol::Resp3 { 3 } else { 2 };
    Ok(Reply::Map(vec![
        (Reply::bulk_str("server"), Reply::bulk_str("redis")),
        (Reply::bulk_str("version"), Reply::bulk_str(REDIS_VERSION)),
        (Reply::bulk_str("proto"), Reply::Integer(proto)),
        (Reply::bulk_str("id"), Reply::Integer(c.id as i64)),
        (Reply::bulk_str("mode"), Reply::bulk_str("standalone")),
        (Reply::bulk_str("role"), Reply::bulk_str("master")),
        (Reply::bulk_str("modules"), Reply::Array(vec![])),
    ]))
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// AUTH [username] password
fn auth(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    match argv.len() {
        2 => Err(CmdError::new(
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        )),
        3 if argv[1].as_slice() == b"default" => Ok(Reply::ok()),
        3 => Err(CmdError::new(WRONGPASS)),
        _ => Err(error::syntax()),
    }
}

/// QUIT: replies OK; the front end closes the connection after sending it.
fn quit(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    ctx.client_mut().closing = true;
    Ok(Reply::ok())
}

/// RESET: back to a fresh connection's state (db 0, RESP2, no name).
fn reset(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    // clearClientConnectionState: out of MULTI, nothing watched.
    let client = ctx.client;
    ctx.engine.discard_transaction(client);
    ctx.engine.monitors.retain(|&m| m != client);
    // Every subscription goes, without unsubscribe replies.
    ctx.engine.pubsub.forget_client(client);
    let c = ctx.client_mut();
    c.db = 0;
    c.protocol = Protocol::Resp2;
    c.name = None;
    Ok(Reply::status("RESET"))
}

// ---------------------------------------------------------------------------------------
// CLIENT
// ---------------------------------------------------------------------------------------

/// Redis allows only printable ASCII without spaces in client names.
fn validate_name(name: &[u8]) -> Result<(), CmdError> {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(CmdError::new(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

/// CLIENT ID
fn client_id(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Integer(ctx.client as i64))
}

/// CLIENT SETNAME connection-name
fn client_setname(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    validate_name(&argv[2])?;
    ctx.client_mut().name = if argv[2].is_empty() {
        None
    } else {
        Some(argv[2].clone())
    };
    Ok(Reply::ok())
}

/// CLIENT GETNAME
fn client_getname(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(ctx
        .client()
        .name
        .clone()
        .map(Reply::Bulk)
        .unwrap_or(Reply::Nil))
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: releases a blocked client as if its
/// timeout passed, or with an UNBLOCKED error. 1 if it was blocked, else 0.
fn client_unblock(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() > 4 {
        return Err(super::clients::wrong_subcommand_arity(&argv[1]));
    }
    let with_error = match argv.get(3) {
        None => false,
        Some(a) if is(a, "timeout") => false,
        Some(a) if is(a, "error") => true,
        Some(_) => {
            return Err(CmdError::new(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ))
        }
    };
    let id = parse_i64(&argv[2]).ok_or_else(|| CmdError::new(error::NOT_INTEGER))?;
    let Ok(id) = u64::try_from(id) else {
        return Ok(Reply::Integer(0));
    };
    Ok(Reply::Integer(
        ctx.engine.unblock_client(id, with_error) as i64
    ))
}

/// One CLIENT LIST line in Redis 7.0's field order. Buffer sizes are plausible
/// constants: the emulator has no socket buffers of its own.
pub(crate) fn client_line(c: &Client, subs: (usize, usize, usize), now_ms: i64) -> String {
    format!(
        "id={} addr={} laddr={} fd=8 name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=1800 events=r cmd={} user=default redir=-1 resp={}",
        c.id,
        c.info.addr,
        c.info.laddr,
        c.name.as_deref().map(String::from_utf8_lossy).unwrap_or_default(),
        (now_ms - c.created_ms).max(0) / 1000,
        (now_ms - c.last_interaction_ms).max(0) / 1000,
        client_flags(c, subs != (0, 0, 0)),
        c.db,
        subs.0,
        subs.1,
        subs.2,
        c.multi.as_ref().map_or(-1, |m| m.queued.len() as i64),
        c.last_command,
        if c.protocol == Protocol::Resp3 { 3 } else { 2 },
    )
}

/// CLIENT LIST's flags, in Redis's order: P (subscribed), x (in MULTI), b (blocked),
/// d (a watched key changed), c (closing after this reply); N for none.
pub(crate) fn client_flags(c: &Client, subscribed: bool) -> String {
    let mut f = String::new();
    if subscribed {
        f.push('P');
    }
    if c.multi.is_some() {
        f.push('x');
    }
    if c.queues.blocked.is_some() {
        f.push('b');
    }
    if c.dirty_cas {
        f.push('d');
    }
    if c.closing {
        f.push('c');
    }
    if c.no_evict {
        f.push('e');
    }
    if f.is_empty() {
        f.push('N');
    }
    f
}

/// CLIENT INFO
fn client_info(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    let subs = ctx.engine.pubsub().counts(ctx.client);
    let line = client_line(ctx.client(), subs, ctx.now_ms);
    Ok(Reply::Verbatim("txt", format!("{}\n", line).into_bytes()))
}

/// CLIENT LIST [TYPE type] | [ID id [id ...]]: Redis 7.0 takes either form, not both.
/// Any integer is a valid id (unknown ones list nothing).
fn client_list(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut ids: Option<Vec<u64>> = None;
    // TYPE: Some(true) lists subscribed clients, Some(false) the others.
    let mut pubsub_type: Option<bool> = None;
    if argv.len() == 4 && is(&argv[2], "type") {
        let t = &argv[3];
        if !["normal", "master", "replica", "slave", "pubsub"]
            .iter()
            .any(|n| is(t, n))
        {
            return Err(CmdError(format!(
                "ERR Unknown client type '{}'",
                String::from_utf8_lossy(t)
            )));
        }
        // Emulated clients are normal ones, or pubsub ones while subscribed.
        if is(t, "normal") {
            pubsub_type = Some(false);
        } else if is(t, "pubsub") {
            pubsub_type = Some(true);
        } else {
            ids = Some(Vec::new());
        }
    } else if argv.len() > 3 && is(&argv[2], "id") {
        let mut list = Vec::new();
        for a in &argv[3..] {
            let id = parse_i64(a).ok_or_else(|| CmdError::new("ERR Invalid client ID"))?;
            if id > 0 {
                list.push(id as u64);
            }
        }
        ids = Some(list);
    } else if argv.len() != 2 {
        return Err(error::syntax());
    }
    let now = ctx.now_ms;
    let mut out = String::new();
    for c in ctx.engine.clients() {
        if ids.as_ref().is_some_and(|ids| !ids.contains(&c.id)) {
            continue;
        }
        let subs = ctx.engine.pubsub().counts(c.id);
        if pubsub_type.is_some_and(|want| want != (subs != (0, 0, 0))) {
            continue;
        }
        out.push_str(&client_line(c, subs, now));
        out.push('\n');
    }
    Ok(Reply::Verbatim("txt", out.into_bytes()))
}

/// CLIENT HELP
fn client_help(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(super::help_reply(
        &argv[0],
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    ))
}
