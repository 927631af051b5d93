//! Streams: the command table entries and their handlers. Behaviour, error texts and
//! their precedence follow Redis 7.0's t_stream.c (and blocked.c for blocked readers);
//! the data structure and its bookkeeping live in `types/stream.rs`.

use std::rc::Rc;

use crate::args::{int_arg, is, parse_i64};
use crate::blocking::{BlockedOp, GroupWait, StreamWait, Timeout};
use crate::engine::{ClientId, Ctx, Engine};
use crate::error::{self, CmdError, CmdResult};
use crate::notify::EventClass;
use crate::reply::{Protocol, Reply};
use crate::table::{flag::*, CommandSpec};
use crate::types::stream::{
    self, AppendError, Group, IdSyntax, NodeLimits, StreamId, StreamValue, Trim,
    ENTRIES_READ_INVALID,
};
use crate::value::Value;

const KEY1: CommandSpec = CommandSpec {
    first_key: 1,
    last_key: 1,
    step: 1,
    group: "stream",
    since: "5.0.0",
    ..CommandSpec::BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "xadd",
        arity: -5,
        flags: WRITE | DENYOOM | FAST,
        acl: &["write", "stream", "fast"],
        summary: "Appends a new entry to a stream",
        complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
        syntax: "key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]",
        handler: Some(xadd),
        ..KEY1
    },
    CommandSpec {
        name: "xlen",
        arity: 2,
        flags: READONLY | FAST,
        acl: &["read", "stream", "fast"],
        summary: "Return the number of entries in a stream",
        syntax: "key",
        handler: Some(xlen),
        ..KEY1
    },
    CommandSpec {
        name: "xrange",
        arity: -4,
        flags: READONLY,
        acl: &["read", "stream", "slow"],
        summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval",
        complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
        syntax: "key start end [COUNT count]",
        handler: Some(xrange),
        ..KEY1
    },
    CommandSpec {
        name: "xrevrange",
        arity: -4,
        flags: READONLY,
        acl: &["read", "stream", "slow"],
        summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
        complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
        syntax: "key end start [COUNT count]",
        handler: Some(xrevrange),
        ..KEY1
    },
    CommandSpec {
        name: "xdel",
        arity: -3,
        flags: WRITE | FAST,
        acl: &["write", "stream", "fast"],
        summary: "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
        complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
        syntax: "key id [id ...]",
        handler: Some(xdel),
        ..KEY1
    },
    CommandSpec {
        name: "xtrim",
        arity: -4,
        flags: WRITE,
        acl: &["write", "stream", "slow"],
        summary: "Trims the stream to (approximately if '~' is passed) a certain size",
        complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
        syntax: "key MAXLEN|MINID [=|~] threshold [LIMIT count]",
        handler: Some(xtrim),
        ..KEY1
    },
    CommandSpec {
        name: "xsetid",
        arity: -3,
        flags: WRITE | DENYOOM | FAST,
        acl: &["write", "stream", "fast"],
        summary: "An internal command for replicating stream values",
        syntax: "key last-id [ENTRIESADDED entries_added] [MAXDELETEDID max_deleted_entry_id]",
        handler: Some(xsetid),
        ..KEY1
    },
    CommandSpec {
        name: "xread",
        arity: -4,
        flags: READONLY | BLOCKING | MOVABLEKEYS,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl: &["read", "stream", "slow", "blocking"],
        summary: "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
        complexity: "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
        syntax: "[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]",
        handler: Some(xread),
        key_finder: Some(xread_keys),
        ..KEY1
    },
    CommandSpec {
        name: "xreadgroup",
        arity: -7,
        flags: WRITE | BLOCKING | MOVABLEKEYS,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl: &["write", "stream", "slow", "blocking"],
        summary: "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
        complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
        syntax: "GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]",
        handler: Some(xread),
        key_finder: Some(xreadgroup_keys),
        ..KEY1
    },
    CommandSpec {
        name: "xack",
        arity: -4,
        flags: WRITE | FAST,
        acl: &["write", "stream", "fast"],
        summary: "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
        complexity: "O(1) for each message ID processed.",
        syntax: "key group id [id ...]",
        handler: Some(xack),
        ..KEY1
    },
    CommandSpec {
        name: "xpending",
        arity: -3,
        flags: READONLY,
        acl: &["read", "stream", "slow"],
        summary: "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
        complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
        syntax: "key group [[IDLE min-idle-time] start end count [consumer]]",
        handler: Some(xpending),
        ..KEY1
    },
    CommandSpec {
        name: "xclaim",
        arity: -6,
        flags: WRITE | FAST,
        acl: &["write", "stream", "fast"],
        summary: "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
        complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.",
        syntax: "key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]",
        handler: Some(xclaim),
        ..KEY1
    },
    CommandSpec {
        name: "xautoclaim",
        arity: -6,
        flags: WRITE | FAST,
        acl: &["write", "stream", "fast"],
        since: "6.2.0",
        summary: "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
        complexity: "O(1) if COUNT is small.",
        syntax: "key group consumer min-idle-time start [COUNT count] [JUSTID]",
        handler: Some(xautoclaim),
        ..KEY1
    },
    CommandSpec {
        name: "xgroup",
        arity: -2,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl: &["slow"],
        summary: "A container for consumer groups commands",
        complexity: "Depends on subcommand.",
        // redis-cli shows a container with no arguments of its own.
        syntax: "",
        subcommands: XGROUP_SUBCOMMANDS,
        ..KEY1
    },
    CommandSpec {
        name: "xinfo",
        arity: -2,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl: &["slow"],
        summary: "A container for stream introspection commands",
        complexity: "Depends on subcommand.",
        // redis-cli shows a container with no arguments of its own.
        syntax: "",
        subcommands: XINFO_SUBCOMMANDS,
        ..KEY1
    },
];

/// A subcommand whose key is `argv[2]`.
const KEY2: CommandSpec = CommandSpec {
    first_key: 2,
    last_key: 2,
    step: 1,
    ..KEY1
};

/// The HELP subcommand of a container.
const HELP: CommandSpec = CommandSpec {
    name: "help",
    arity: 2,
    flags: LOADING | STALE,
    first_key: 0,
    last_key: 0,
    step: 0,
    acl: &["stream", "slow"],
    summary: "Show helpful text about the different subcommands",
    ..KEY1
};

const XGROUP_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "create",
        arity: -5,
        flags: WRITE | DENYOOM,
        acl: &["write", "stream", "slow"],
        summary: "Create a consumer group.",
        syntax: "key groupname id|$ [MKSTREAM] [ENTRIESREAD entries_read]",
        handler: Some(xgroup),
        ..KEY2
    },
    CommandSpec {
        name: "setid",
        arity: -5,
        flags: WRITE,
        acl: &["write", "stream", "slow"],
        summary: "Set a consumer group to an arbitrary last delivered ID value.",
        syntax: "key groupname id|$ [ENTRIESREAD entries_read]",
        handler: Some(xgroup),
        ..KEY2
    },
    CommandSpec {
        name: "destroy",
        arity: 4,
        flags: WRITE,
        acl: &["write", "stream", "slow"],
        summary: "Destroy a consumer group.",
        complexity:
            "O(N) where N is the number of entries in the group's pending entries list (PEL).",
        syntax: "key groupname",
        handler: Some(xgroup),
        ..KEY2
    },
    CommandSpec {
        name: "createconsumer",
        arity: 5,
        flags: WRITE | DENYOOM,
        acl: &["write", "stream", "slow"],
        since: "6.2.0",
        summary: "Create a consumer in a consumer group.",
        syntax: "key groupname consumername",
        handler: Some(xgroup),
        ..KEY2
    },
    CommandSpec {
        name: "delconsumer",
        arity: 5,
        flags: WRITE,
        acl: &["write", "stream", "slow"],
        summary: "Delete a consumer from a consumer group.",
        syntax: "key groupname consumername",
        handler: Some(xgroup),
        ..KEY2
    },
    CommandSpec {
        handler: Some(xgroup),
        ..HELP
    },
];

const XINFO_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "stream",
        arity: -3,
        flags: READONLY,
        acl: &["read", "stream", "slow"],
        summary: "Get information about a stream",
        syntax: "key [FULL [COUNT count]]",
        handler: Some(xinfo),
        ..KEY2
    },
    CommandSpec {
        name: "groups",
        arity: 3,
        flags: READONLY,
        acl: &["read", "stream", "slow"],
        summary: "List the consumer groups of a stream",
        syntax: "key",
        handler: Some(xinfo),
        ..KEY2
    },
    CommandSpec {
        name: "consumers",
        arity: 4,
        flags: READONLY,
        acl: &["read", "stream", "slow"],
        summary: "List the consumers in a consumer group",
        syntax: "key groupname",
        handler: Some(xinfo),
        ..KEY2
    },
    CommandSpec {
        handler: Some(xinfo),
        ..HELP
    },
];

// ---------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------

const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";
const XGROUP_NEEDS_KEY: &str = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";
/// XREAD without COUNT that blocks is served at most this many entries at a time.
const XREAD_BLOCKED_DEFAULT_COUNT: usize = 1000;

fn invalid_id() -> CmdError {
    CmdError::new(INVALID_ID)
}

fn strict_id(arg: &[u8]) -> Result<StreamId, CmdError> {
    stream::parse_id(arg, 0, IdSyntax::Strict).ok_or_else(invalid_id)
}

/// `%s` of an argument in an error text: up to its first NUL, like C.
fn c_text(arg: &[u8]) -> String {
    error::truncate_lossy(arg, usize::MAX)
}

/// An ID as a bulk string, formatted by hand: replies carry one per entry.
fn id_bulk(id: StreamId) -> Reply {
    let mut out = Vec::with_capacity(41);
    crate::reply::push_u64(&mut out, id.ms);
    out.push(b'-');
    crate::reply::push_u64(&mut out, id.seq);
    Reply::Bulk(out)
}

/// `[id, [field, value, ...]]`, the shape of one entry in every reply.
fn entry_reply<'a>(
    id: StreamId,
    fields: impl ExactSizeIterator<Item = (&'a [u8], &'a [u8])>,
) -> Reply {
    let mut flat = Vec::with_capacity(fields.len() * 2);
    for (f, v) in fields {
        flat.push(Reply::bulk(f));
        flat.push(Reply::bulk(v));
    }
    Reply::Array(vec![id_bulk(id), Reply::Array(flat)])
}

/// A stream's entries in `start..=end` as entry replies, at most `count` (0 = all).
fn range_replies(
    s: &StreamValue,
    start: StreamId,
    end: StreamId,
    rev: bool,
    count: usize,
) -> Vec<Reply> {
    let mut out = Vec::new();
    for (id, fields) in s.range(start, end, rev) {
        out.push(entry_reply(id, fields));
        if count > 0 && out.len() >= count {
            break;
        }
    }
    out
}

/// One live entry as a reply, if it exists.
fn single_entry(s: &StreamValue, id: StreamId) -> Option<Reply> {
    s.get(id).map(|fields| entry_reply(id, fields))
}

/// The node-size settings.
fn limits(ctx: &Ctx) -> NodeLimits {
    NodeLimits {
        max_entries: ctx.engine.config.int("stream-node-max-entries"),
        max_bytes: ctx.engine.config.int("stream-node-max-bytes"),
    }
}

/// `lookupKeyRead` + `checkType`: whether `key` holds a stream (false if missing),
/// WRONGTYPE if it holds something else. Counts a keyspace hit or miss.
fn read_lookup(ctx: &mut Ctx, key: &[u8]) -> Result<bool, CmdError> {
    let now = ctx.now_ms;
    let found = ctx
        .db()
        .get(key, now)
        .map(|e| matches!(e.value, Value::Stream(_)));
    ctx.hit_key(key, found.is_some());
    match found {
        None => Ok(false),
        Some(true) => Ok(true),
        Some(false) => Err(error::wrongtype()),
    }
}

/// `lookupKeyWrite` + `checkType`: like `read_lookup` without the statistics.
fn write_lookup(ctx: &mut Ctx, key: &[u8]) -> Result<bool, CmdError> {
    let now = ctx.now_ms;
    match ctx
        .db()
        .get(key, now)
        .map(|e| matches!(e.value, Value::Stream(_)))
    {
        None => Ok(false),
        Some(true) => Ok(true),
        Some(false) => Err(error::wrongtype()),
    }
}

/// The stream at `key` for reading, without touching it (call a lookup first).
fn peek<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Option<&'a StreamValue> {
    let now = ctx.now_ms;
    match ctx.db().peek(key, now).map(|e| &e.value) {
        Some(Value::Stream(s)) => Some(s),
        _ => None,
    }
}

/// Runs `f` on the stream at `key` through the database's `update`, which keeps the
/// memory accounting exact. None if the key does not hold a stream.
fn update<R>(ctx: &mut Ctx, key: &[u8], f: impl FnOnce(&mut StreamValue) -> R) -> Option<R> {
    let now = ctx.now_ms;
    ctx.db()
        .update(key, now, |v| match v {
            Value::Stream(s) => Some(f(s)),
            _ => None,
        })
        .flatten()
}

/// `%s` NOGROUP texts.
fn nogroup_key_or_group(key: &[u8], group: &[u8]) -> CmdError {
    CmdError(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        c_text(key),
        c_text(group)
    ))
}

fn nogroup_for_key(key: &[u8], group: &[u8]) -> CmdError {
    CmdError(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        c_text(group),
        c_text(key)
    ))
}

/// `addReplySubcommandSyntaxError`.
fn subcommand_syntax(argv: &[Vec<u8>]) -> CmdError {
    CmdError(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        error::truncate_lossy(&argv[1], 128),
        c_text(&argv[0]).to_ascii_uppercase()
    ))
}

/// `getLongLongFromObjectOrReply` with a custom message.
fn int_or(arg: &[u8], msg: &str) -> Result<i64, CmdError> {
    parse_i64(arg).ok_or_else(|| CmdError(format!("ERR {msg}")))
}

// ---------------------------------------------------------------------------------------
// XADD, XTRIM
// ---------------------------------------------------------------------------------------

/// streamAddTrimArgs: what XADD/XTRIM's options say.
struct AddTrimArgs {
    /// XADD's explicit ID and whether its sequence was given (false for `ms-*`).
    id: Option<(StreamId, bool)>,
    no_mkstream: bool,
    trim: Option<Trim>,
    approx: bool,
    /// 0 = no limit.
    limit: u64,
    /// Position of the ID argument (XADD).
    id_pos: usize,
}

/// streamParseAddOrTrimArgsOrReply.
fn parse_add_trim(ctx: &Ctx, argv: &[Vec<u8>], xadd: bool) -> Result<AddTrimArgs, CmdError> {
    let mut a = AddTrimArgs {
        id: None,
        no_mkstream: false,
        trim: None,
        approx: false,
        limit: 0,
        id_pos: 2,
    };
    let mut limit: i64 = 0;
    let mut limit_given = false;
    let argc = argv.len();
    let mut i = 2;
    const BOTH: &str =
        "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
    while i < argc {
        let more = argc - 1 - i;
        let opt = &argv[i];
        if xadd && (opt.as_slice() == b"*" || opt.starts_with(b"*\0")) {
            break;
        } else if (is(opt, "maxlen") || is(opt, "minid")) && more > 0 {
            if a.trim.is_some() {
                return Err(CmdError::new(BOTH));
            }
            // An optional `~` (approximate) or `=` (exact) before the threshold.
            a.approx = false;
            if more >= 2 && argv[i + 1] == b"~" {
                a.approx = true;
                i += 1;
            } else if more >= 2 && argv[i + 1] == b"=" {
                i += 1;
            }
            let threshold = &argv[i + 1];
            a.trim = Some(if is(opt, "maxlen") {
                let n = int_arg(threshold)?;
                if n < 0 {
                    return Err(CmdError::new("ERR The MAXLEN argument must be >= 0."));
                }
                Trim::MaxLen(n as u64)
            } else {
                Trim::MinId(strict_id(threshold)?)
            });
            i += 1;
        } else if is(opt, "limit") && more > 0 {
            limit = int_arg(&argv[i + 1])?;
            if limit < 0 {
                return Err(CmdError::new("ERR The LIMIT argument must be >= 0."));
            }
            limit_given = true;
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            a.no_mkstream = true;
        } else if xadd {
            // Anything else is the ID (or a syntax error reported as an invalid ID).
            a.id = Some(stream::parse_xadd_id(opt).ok_or_else(invalid_id)?);
            break;
        } else {
            return Err(error::syntax());
        }
        i += 1;
    }
    a.id_pos = i;
    if limit != 0 && a.trim.is_none() {
        return Err(CmdError::new(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && a.trim.is_none() {
        return Err(CmdError::new(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if limit_given {
        if !a.approx {
            return Err(CmdError::new(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
        a.limit = limit as u64;
    } else if a.approx {
        // At most 100 nodes' worth of work per call, capped on both sides (the multiply
        // wraps like C's when the setting is absurdly large).
        let per_node = ctx.engine.config.int("stream-node-max-entries");
        let mut l = per_node.wrapping_mul(100);
        if l <= 0 {
            l = 10_000;
        }
        a.limit = l.min(1_000_000) as u64;
    }
    Ok(a)
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ...
fn xadd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let a = parse_add_trim(ctx, argv, true)?;
    let field_pos = a.id_pos + 1;
    let fields = argv.len().saturating_sub(field_pos);
    if field_pos > argv.len() || fields < 2 || fields % 2 == 1 {
        return Err(error::wrong_arity(ctx.spec.name));
    }
    if let Some((id, true)) = a.id {
        if id.is_zero() {
            return Err(CmdError::new(
                "ERR The ID specified in XADD must be greater than 0-0",
            ));
        }
    }
    let key = &argv[1];
    let now = ctx.now_ms;
    if !write_lookup(ctx, key)? {
        if a.no_mkstream {
            return Ok(Reply::Nil);
        }
        ctx.db().set(key, Value::Stream(StreamValue::new()), now);
    }
    let limits = limits(ctx);
    let pairs = &argv[field_pos..];
    let added = update(ctx, key, |s| {
        if s.last_id == StreamId::MAX {
            return Err(CmdError::new(
                "ERR The stream has exhausted the last possible ID, unable to add more items",
            ));
        }
        // An exhausted `ms-*` sequence fails without setting errno in Redis, which then
        // reports the "too large" error.
        let id = match a.id {
            Some((id, true)) => Some(id),
            Some((id, false)) => s.next_id_in_ms(id.ms),
            None => s.next_auto_id(now),
        };
        let result = match id {
            Some(id) => s.append(id, pairs, limits).map(|_| id),
            None => Err(AppendError::TooLarge),
        };
        let id = result.map_err(|e| match e {
            AppendError::NotGreater => CmdError::new(
                "ERR The ID specified in XADD is equal or smaller than the target stream top item",
            ),
            AppendError::TooLarge => CmdError::new("ERR Elements are too large to be stored"),
        })?;
        let trimmed = match a.trim {
            Some(how) => s.trim(how, a.approx, a.limit),
            None => 0,
        };
        Ok((id, trimmed))
    })
    .unwrap_or_else(|| Err(error::wrongtype()))?;
    let (added, trimmed) = added;
    ctx.dirty(1);
    signal_ready(ctx, key);
    ctx.replied();
    ctx.notify(EventClass::Stream, "xadd", key);
    if trimmed > 0 {
        ctx.notify(EventClass::Stream, "xtrim", key);
    }
    Ok(id_bulk(added))
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
fn xtrim(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let a = parse_add_trim(ctx, argv, false)?;
    if !write_lookup(ctx, &argv[1])? {
        return Ok(Reply::Integer(0));
    }
    let Some(how) = a.trim else {
        return Err(error::syntax());
    };
    let deleted = update(ctx, &argv[1], |s| s.trim(how, a.approx, a.limit)).unwrap_or(0);
    ctx.dirty(deleted);
    if deleted > 0 {
        ctx.notify(EventClass::Stream, "xtrim", &argv[1]);
    }
    Ok(Reply::Integer(deleted as i64))
}

// ---------------------------------------------------------------------------------------
// XLEN, XRANGE, XREVRANGE, XDEL, XSETID
// ---------------------------------------------------------------------------------------

/// XLEN key
fn xlen(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if !read_lookup(ctx, &argv[1])? {
        return Ok(Reply::Integer(0));
    }
    Ok(Reply::Integer(
        peek(ctx, &argv[1]).map_or(0, |s| s.len() as i64),
    ))
}

/// A range's start and end bounds (`(` exclusive, incomplete IDs completed with 0 for
/// the start and the maximum sequence for the end), with Redis's errors.
fn parse_bounds(start: &[u8], end: &[u8]) -> Result<(StreamId, StreamId), CmdError> {
    let (mut s, s_ex) = stream::parse_interval(start, 0).ok_or_else(invalid_id)?;
    if s_ex {
        s = s
            .incr()
            .ok_or_else(|| CmdError::new("ERR invalid start ID for the interval"))?;
    }
    let (mut e, e_ex) = stream::parse_interval(end, u64::MAX).ok_or_else(invalid_id)?;
    if e_ex {
        e = e
            .decr()
            .ok_or_else(|| CmdError::new("ERR invalid end ID for the interval"))?;
    }
    Ok((s, e))
}

/// XRANGE key start end [COUNT count]
fn xrange(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    range_command(ctx, argv, false)
}

/// XREVRANGE key end start [COUNT count]
fn xrevrange(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    range_command(ctx, argv, true)
}

/// xrangeGenericCommand: the start bound is parsed first (it is argv[3] for XREVRANGE).
fn range_command(ctx: &mut Ctx, argv: &[Vec<u8>], rev: bool) -> CmdResult {
    let (start_arg, end_arg) = if rev {
        (&argv[3], &argv[2])
    } else {
        (&argv[2], &argv[3])
    };
    let (start, end) = parse_bounds(start_arg, end_arg)?;
    let mut count: i64 = -1;
    let mut j = 4;
    while j < argv.len() {
        if is(&argv[j], "count") && j + 1 < argv.len() {
            count = int_arg(&argv[j + 1])?.max(0);
            j += 2;
        } else {
            return Err(error::syntax());
        }
    }
    if !read_lookup(ctx, &argv[1])? {
        return Ok(Reply::Array(Vec::new()));
    }
    if count == 0 {
        return Ok(Reply::NilArray);
    }
    let count = if count < 0 {
        0
    } else {
        usize::try_from(count).unwrap_or(usize::MAX)
    };
    let Some(s) = peek(ctx, &argv[1]) else {
        return Ok(Reply::Array(Vec::new()));
    };
    Ok(Reply::Array(range_replies(s, start, end, rev, count)))
}

/// XDEL key id [id ...]: the IDs are all checked before any is deleted.
fn xdel(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if !write_lookup(ctx, &argv[1])? {
        return Ok(Reply::Integer(0));
    }
    let ids = argv[2..]
        .iter()
        .map(|a| strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let deleted = update(ctx, &argv[1], |s| s.delete(&ids)).unwrap_or(0);
    ctx.dirty(deleted);
    if deleted > 0 {
        ctx.notify(EventClass::Stream, "xdel", &argv[1]);
    }
    Ok(Reply::Integer(deleted as i64))
}

/// XSETID key last-id [ENTRIESADDED entries_added] [MAXDELETEDID max_deleted_entry_id]
fn xsetid(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let id = strict_id(&argv[2])?;
    let mut entries_added: i64 = -1;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        if is(&argv[i], "entriesadded") && more > 0 {
            entries_added = int_arg(&argv[i + 1])?;
            if entries_added < 0 {
                return Err(CmdError::new("ERR entries_added must be positive"));
            }
        } else if is(&argv[i], "maxdeletedid") && more > 0 {
            max_deleted = strict_id(&argv[i + 1])?;
            if id < max_deleted {
                return Err(CmdError::new(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(error::syntax());
        }
        i += 2;
    }
    if !write_lookup(ctx, &argv[1])? {
        return Err(CmdError::new(error::NO_SUCH_KEY));
    }
    update(ctx, &argv[1], |s| {
        if !s.is_empty() {
            if id < s.last_valid_id() {
                return Err(CmdError::new("ERR The ID specified in XSETID is smaller than the target stream top item"));
            }
            if entries_added != -1 && s.len() > entries_added as u64 {
                return Err(CmdError::new(
                    "ERR The entries_added specified in XSETID is smaller than the target stream length",
                ));
            }
        }
        s.last_id = id;
        if entries_added != -1 {
            s.entries_added = entries_added as u64;
        }
        if !max_deleted.is_zero() {
            s.max_deleted_entry_id = max_deleted;
        }
        Ok(())
    })
    .unwrap_or_else(|| Err(error::wrongtype()))?;
    ctx.dirty(1);
    ctx.replied();
    ctx.notify(EventClass::Stream, "xsetid", &argv[1]);
    Ok(Reply::ok())
}

// ---------------------------------------------------------------------------------------
// XREAD, XREADGROUP
// ---------------------------------------------------------------------------------------

/// COMMAND GETKEYS for XREAD: Redis 7.0 uses the key spec first (the keys after a
/// STREAMS token searched from argument 1, half of what follows it) and falls back to
/// xreadGetKeys when the spec gives positions out of range.
fn xread_keys(argv: &[Vec<u8>]) -> Option<Vec<usize>> {
    streams_spec_keys(argv, 1)
}

/// The same for XREADGROUP, whose spec searches STREAMS from argument 4.
fn xreadgroup_keys(argv: &[Vec<u8>]) -> Option<Vec<usize>> {
    streams_spec_keys(argv, 4)
}

/// getKeysUsingKeySpecs for the spec `keyword STREAMS from startfrom, range -1 step 1
/// limit 2`: the search stops before the last argument, and a missing keyword means no
/// keys (no fallback).
fn streams_spec_keys(argv: &[Vec<u8>], startfrom: usize) -> Option<Vec<usize>> {
    let argc = argv.len();
    let end = argc.checked_sub(1)?;
    let mut first = 0;
    let mut i = startfrom;
    while i != end {
        if i >= argc || i < 1 {
            break;
        }
        if is(&argv[i], "streams") {
            first = i + 1;
            break;
        }
        // The search runs towards `end`, downwards if it starts past it.
        if startfrom <= end {
            i += 1;
        } else {
            i -= 1;
        }
    }
    if first == 0 {
        return None;
    }
    let last = (first + (argc - first) / 2).checked_sub(1);
    match last {
        Some(last) if last < argc && last >= first && first < argc => {
            Some((first..=last).collect())
        }
        _ => xread_get_keys(argv),
    }
}

/// xreadGetKeys: the first half of what follows the STREAMS option, after the options.
fn xread_get_keys(argv: &[Vec<u8>]) -> Option<Vec<usize>> {
    let mut i = 1;
    let mut streams = None;
    while i < argv.len() {
        let a = &argv[i];
        if is(a, "block") || is(a, "count") {
            i += 2;
        } else if is(a, "group") {
            i += 3;
        } else if is(a, "noack") {
            i += 1;
        } else {
            if is(a, "streams") {
                streams = Some(i);
            }
            break;
        }
    }
    let pos = streams?;
    let num = argv.len() - pos - 1;
    if num == 0 || !num.is_multiple_of(2) {
        return None;
    }
    Some((pos + 1..pos + 1 + num / 2).collect())
}

/// Whether XREAD `argv` asks to block (BLOCK given, arguments otherwise valid): for
/// `Engine::inspect`, which runs XREAD only when it answers at once.
pub(crate) fn xread_blocks(argv: &[Vec<u8>]) -> bool {
    parse_read_args(argv, false, false).is_ok_and(|r| r.block.is_some())
}

/// What XREAD/XREADGROUP's options say.
struct ReadArgs {
    /// BLOCK's timeout in ms (0 = forever), if given.
    block: Option<i64>,
    count: usize,
    noack: bool,
    group: Option<(Vec<u8>, Vec<u8>)>,
    /// Index of the first key.
    streams_at: usize,
    streams: usize,
}

fn parse_read_args(
    argv: &[Vec<u8>],
    group_cmd: bool,
    in_script: bool,
) -> Result<ReadArgs, CmdError> {
    let mut r = ReadArgs {
        block: None,
        count: 0,
        noack: false,
        group: None,
        streams_at: 0,
        streams: 0,
    };
    let argc = argv.len();
    let mut i = 1;
    while i < argc {
        let more = argc - i - 1;
        let o = &argv[i];
        if is(o, "block") && more > 0 {
            if in_script {
                // Refused in scripts (not answered as timed out, as in MULTI).
                return Err(CmdError(format!(
                    "ERR {} command is not allowed with BLOCK option from scripts",
                    crate::error::truncate_lossy(&argv[0], usize::MAX)
                )));
            }
            i += 1;
            let t = int_or(&argv[i], "timeout is not an integer or out of range")?;
            if t < 0 {
                return Err(CmdError::new("ERR timeout is negative"));
            }
            r.block = Some(t);
        } else if is(o, "count") && more > 0 {
            i += 1;
            r.count = usize::try_from(int_arg(&argv[i])?.max(0)).unwrap_or(usize::MAX);
        } else if is(o, "streams") && more > 0 {
            r.streams_at = i + 1;
            let n = argc - r.streams_at;
            if !n.is_multiple_of(2) {
                return Err(CmdError::new(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            r.streams = n / 2;
            break;
        } else if is(o, "group") && more >= 2 {
            if !group_cmd {
                return Err(CmdError::new(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            r.group = Some((argv[i + 1].clone(), argv[i + 2].clone()));
            i += 2;
        } else if is(o, "noack") {
            if !group_cmd {
                return Err(CmdError::new(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            r.noack = true;
        } else {
            return Err(error::syntax());
        }
        i += 1;
    }
    if r.streams_at == 0 {
        return Err(error::syntax());
    }
    if group_cmd && r.group.is_none() {
        return Err(CmdError::new("ERR Missing GROUP option for XREADGROUP"));
    }
    Ok(r)
}

/// XREAD [COUNT count] [BLOCK ms] STREAMS key... id...  and
/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key... id...
fn xread(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let group_cmd = ctx.spec.name == "xreadgroup";
    let r = parse_read_args(argv, group_cmd, ctx.engine.in_script)?;
    let keys = &argv[r.streams_at..r.streams_at + r.streams];
    let id_args = &argv[r.streams_at + r.streams..];
    // Resolve every ID (and check every key and group) before serving anything.
    let mut ids = Vec::with_capacity(r.streams);
    for (key, arg) in keys.iter().zip(id_args) {
        let exists = read_lookup(ctx, key)?;
        if let Some((group, _)) = &r.group {
            let has_group =
                exists && peek(ctx, key).is_some_and(|s| s.groups.contains_key(group.as_slice()));
            if !has_group {
                return Err(CmdError(format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    c_text(key),
                    c_text(group)
                )));
            }
        }
        if arg.as_slice() == b"$" {
            if group_cmd {
                return Err(CmdError::new("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."));
            }
            ids.push(peek(ctx, key).map_or(StreamId::MIN, |s| s.last_id));
        } else if arg.as_slice() == b">" {
            if !group_cmd {
                return Err(CmdError::new("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."));
            }
            // The maximum ID stands for ">", as in Redis.
            ids.push(StreamId::MAX);
        } else {
            ids.push(strict_id(arg)?);
        }
    }
    let proto = ctx.protocol();
    let mut served: Vec<(Reply, Reply)> = Vec::new();
    for (key, &gt) in keys.iter().zip(&ids) {
        if !read_lookup(ctx, key)? {
            continue;
        }
        let Some(s) = peek(ctx, key) else { continue };
        let (from, history) = match &r.group {
            Some((group, _)) => {
                let Some(g) = s.groups.get(group.as_slice()) else {
                    continue;
                };
                if gt != StreamId::MAX {
                    (gt, true)
                } else if !s.is_empty() && s.last_valid_id() > g.last_id {
                    (g.last_id, false)
                } else {
                    continue;
                }
            }
            None if !s.is_empty() && s.last_valid_id() > gt => (gt, false),
            None => continue,
        };
        // Entries strictly after `from` (incrementing the maximum wraps to 0-0 in C).
        let start = from.incr().unwrap_or(StreamId::MIN);
        let entries = match &r.group {
            None => Reply::Array(range_replies(s, start, StreamId::MAX, false, r.count)),
            Some((group, consumer)) => {
                let now = ctx.now_ms;
                let g = GroupRead {
                    group,
                    consumer,
                    count: r.count,
                    noack: r.noack,
                    history,
                    now,
                };
                let entries = update(ctx, key, |s| read_group(s, start, &g)).unwrap_or_default();
                ctx.dirty(1);
                Reply::Array(entries)
            }
        };
        served.push((Reply::bulk(key), entries));
    }
    if !served.is_empty() {
        return Ok(keyed_reply(served, proto));
    }
    if let Some(ms) = r.block {
        return Ok(block_read(ctx, keys, &ids, &r, ms));
    }
    Ok(Reply::NilArray)
}

/// XREAD's reply: an array of [key, entries] pairs in RESP2, a map in RESP3.
fn keyed_reply(served: Vec<(Reply, Reply)>, proto: Protocol) -> Reply {
    match proto {
        Protocol::Resp2 => Reply::Array(
            served
                .into_iter()
                .map(|(k, v)| Reply::Array(vec![k, v]))
                .collect(),
        ),
        Protocol::Resp3 => Reply::Map(served),
    }
}

/// A consumer-group read's parameters.
struct GroupRead<'a> {
    group: &'a [u8],
    consumer: &'a [u8],
    /// 0 = no limit.
    count: usize,
    noack: bool,
    /// True to re-read the consumer's own pending entries (an ID other than `>`).
    history: bool,
    now: i64,
}

/// Serves a consumer group read from `start` (streamReplyWithRange with a group): the
/// consumer is created if needed; new entries move the group forward and, unless NOACK,
/// go into the PEL; history reads re-deliver the consumer's pending entries, showing a
/// deleted one as [id, nil].
fn read_group(s: &mut StreamValue, start: StreamId, r: &GroupRead) -> Vec<Reply> {
    let Some(g) = s.groups.get_mut(r.group) else {
        return Vec::new();
    };
    let (consumer, _) = g.consumer_or_create(r.consumer, r.now);
    if r.history {
        let ids: Vec<StreamId> = match g.consumers.get(&*consumer) {
            Some(c) => {
                let it = c.pel.range(start..).copied();
                if r.count > 0 {
                    it.take(r.count).collect()
                } else {
                    it.collect()
                }
            }
            None => Vec::new(),
        };
        let mut out = Vec::with_capacity(ids.len());
        let mut delivered = Vec::new();
        for id in ids {
            match single_entry(s, id) {
                Some(entry) => {
                    out.push(entry);
                    delivered.push(id);
                }
                None => out.push(Reply::Array(vec![id_bulk(id), Reply::NilArray])),
            }
        }
        if let Some(g) = s.groups.get_mut(r.group) {
            for id in delivered {
                if let Some(p) = g.pel.get_mut(&id) {
                    p.delivery_time = r.now;
                    p.delivery_count = p.delivery_count.wrapping_add(1);
                }
            }
        }
        return out;
    }
    let mut ids = Vec::new();
    let mut out = Vec::new();
    for (id, fields) in s.range(start, StreamId::MAX, false) {
        out.push(entry_reply(id, fields));
        ids.push(id);
        if r.count > 0 && out.len() >= r.count {
            break;
        }
    }
    for id in ids {
        s.advance_group(r.group, id);
        if !r.noack {
            if let Some(g) = s.groups.get_mut(r.group) {
                g.deliver(id, &consumer, r.now);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// XACK, XPENDING
// ---------------------------------------------------------------------------------------

/// XACK key group id [id ...]: 0 for a missing key or group (before the IDs are read).
fn xack(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if !read_lookup(ctx, &argv[1])? {
        return Ok(Reply::Integer(0));
    }
    if !peek(ctx, &argv[1]).is_some_and(|s| s.groups.contains_key(argv[2].as_slice())) {
        return Ok(Reply::Integer(0));
    }
    let ids = argv[3..]
        .iter()
        .map(|a| strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let acked = update(ctx, &argv[1], |s| {
        match s.groups.get_mut(argv[2].as_slice()) {
            Some(g) => ids.iter().filter(|&&id| g.ack(id)).count(),
            None => 0,
        }
    })
    .unwrap_or(0);
    ctx.dirty(acked as u64);
    Ok(Reply::Integer(acked as i64))
}

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
fn xpending(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let argc = argv.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(error::syntax());
    }
    let mut range = None;
    if argc >= 6 {
        let mut at = 3;
        let mut min_idle = 0;
        if is(&argv[3], "idle") {
            min_idle = int_arg(&argv[4])?;
            if argc < 8 {
                return Err(error::syntax());
            }
            at += 2;
        }
        let count = int_arg(&argv[at + 2])?.max(0);
        let (start, end) = parse_bounds(&argv[at], &argv[at + 1])?;
        let consumer = argv.get(at + 3).cloned();
        range = Some((start, end, count, min_idle, consumer));
    }
    let (key, group) = (&argv[1], &argv[2]);
    let exists = read_lookup(ctx, key)?;
    let now = ctx.now_ms;
    let Some(g) = peek(ctx, key)
        .filter(|_| exists)
        .and_then(|s| s.groups.get(group.as_slice()))
    else {
        return Err(nogroup_key_or_group(key, group));
    };
    let Some((start, end, count, min_idle, consumer)) = range else {
        // The summary: count, smallest and greatest ID, and the consumers with pending
        // entries (their counts as bulk strings, as Redis replies them).
        if g.pel.is_empty() {
            return Ok(Reply::Array(vec![
                Reply::Integer(0),
                Reply::Nil,
                Reply::Nil,
                Reply::NilArray,
            ]));
        }
        let first = g.pel.keys().next().copied().unwrap_or_default();
        let last = g.pel.keys().next_back().copied().unwrap_or_default();
        let consumers = g
            .consumers
            .iter()
            .filter(|(_, c)| !c.pel.is_empty())
            .map(|(name, c)| {
                Reply::Array(vec![
                    Reply::bulk(&**name),
                    Reply::bulk(c.pel.len().to_string()),
                ])
            })
            .collect();
        return Ok(Reply::Array(vec![
            Reply::Integer(g.pel.len() as i64),
            id_bulk(first),
            id_bulk(last),
            Reply::Array(consumers),
        ]));
    };
    let owned: Option<&std::collections::BTreeSet<StreamId>> = match &consumer {
        Some(name) => match g.consumers.get(name.as_slice()) {
            Some(c) => Some(&c.pel),
            None => return Ok(Reply::Array(Vec::new())),
        },
        None => None,
    };
    let ids: Box<dyn Iterator<Item = StreamId>> = if start > end {
        Box::new(std::iter::empty())
    } else {
        match owned {
            Some(set) => Box::new(set.range(start..=end).copied()),
            None => Box::new(g.pel.range(start..=end).map(|(id, _)| *id)),
        }
    };
    let mut left = count;
    let mut out = Vec::new();
    for id in ids {
        if left == 0 {
            break;
        }
        let Some(p) = g.pel.get(&id) else { continue };
        let idle = now.wrapping_sub(p.delivery_time);
        if min_idle != 0 && idle < min_idle {
            continue;
        }
        left -= 1;
        out.push(Reply::Array(vec![
            id_bulk(id),
            Reply::bulk(&*p.consumer),
            Reply::Integer(idle.max(0)),
            Reply::Integer(p.delivery_count as i64),
        ]));
    }
    Ok(Reply::Array(out))
}

// ---------------------------------------------------------------------------------------
// XCLAIM, XAUTOCLAIM
// ---------------------------------------------------------------------------------------

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms]
/// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]
fn xclaim(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (key, group) = (&argv[1], &argv[2]);
    let exists = read_lookup(ctx, key)?;
    if !exists || !peek(ctx, key).is_some_and(|s| s.groups.contains_key(group.as_slice())) {
        return Err(nogroup_key_or_group(key, group));
    }
    let min_idle = int_or(&argv[4], "Invalid min-idle-time argument for XCLAIM")?.max(0);
    // IDs run until the first argument that is not one; options follow.
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argv.len() {
        match stream::parse_id(&argv[j], 0, IdSyntax::Strict) {
            Some(id) => ids.push(id),
            None => break,
        }
        j += 1;
    }
    let now = ctx.now_ms;
    let (mut force, mut justid) = (false, false);
    let mut retry_count: i64 = -1;
    let mut delivery_time: Option<i64> = None;
    let mut last_id = StreamId::MIN;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let opt = &argv[j];
        if is(opt, "force") {
            force = true;
        } else if is(opt, "justid") {
            justid = true;
        } else if is(opt, "idle") && more > 0 {
            j += 1;
            let idle = int_or(&argv[j], "Invalid IDLE option argument for XCLAIM")?;
            delivery_time = Some(now.wrapping_sub(idle));
        } else if is(opt, "time") && more > 0 {
            j += 1;
            delivery_time = Some(int_or(&argv[j], "Invalid TIME option argument for XCLAIM")?);
        } else if is(opt, "retrycount") && more > 0 {
            j += 1;
            retry_count = int_or(&argv[j], "Invalid RETRYCOUNT option argument for XCLAIM")?;
        } else if is(opt, "lastid") && more > 0 {
            j += 1;
            last_id = strict_id(&argv[j])?;
        } else {
            return Err(CmdError(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                c_text(opt)
            )));
        }
        j += 1;
    }
    // A bogus delivery time (negative, or in the future) means now.
    let delivery_time = match delivery_time {
        Some(t) if t >= 0 && t <= now => t,
        _ => now,
    };
    let name = &argv[3];
    let group_name = group.as_slice();
    let (replies, changes) = update(ctx, key, |s| {
        let mut out = Vec::new();
        let mut changes = 0u64;
        let Some(g) = s.groups.get_mut(group_name) else {
            return (out, changes);
        };
        if last_id > g.last_id {
            g.last_id = last_id;
            changes += 1;
        }
        let mut consumer: Option<Rc<[u8]>> = None;
        for &id in &ids {
            let exists = s.contains(id);
            let Some(g) = s.groups.get_mut(group_name) else {
                break;
            };
            if !exists {
                // The entry is gone: so is its pending entry.
                if g.ack(id) {
                    changes += 1;
                }
                continue;
            }
            let pending = g.pel.get(&id).map(|p| now.wrapping_sub(p.delivery_time));
            let fresh = match pending {
                Some(idle) => {
                    if min_idle != 0 && idle < min_idle {
                        continue;
                    }
                    false
                }
                None if force => true,
                None => continue,
            };
            let owner = consumer
                .get_or_insert_with(|| g.consumer_or_create(name, now).0)
                .clone();
            if fresh {
                // FORCE creates the pending entry (delivery count 1, then counted below).
                g.deliver(id, &owner, now);
            } else {
                g.transfer(id, &owner);
            }
            if let Some(p) = g.pel.get_mut(&id) {
                p.delivery_time = delivery_time;
                if retry_count >= 0 {
                    p.delivery_count = retry_count as u64;
                } else if !justid {
                    p.delivery_count = p.delivery_count.wrapping_add(1);
                }
            }
            changes += 1;
            out.push(if justid {
                id_bulk(id)
            } else {
                single_entry(s, id).unwrap_or(Reply::NilArray)
            });
        }
        (out, changes)
    })
    .unwrap_or_default();
    ctx.dirty(changes);
    Ok(Reply::Array(replies))
}

/// XAUTOCLAIM's transient array of deleted IDs must fit in memory, as in Redis
/// (`ztrymalloc(count * 16)`); beyond this the emulator answers as Redis does on a
/// machine that cannot allocate it.
const XAUTOCLAIM_MAX_ALLOC: u128 = 1 << 36;

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
fn xautoclaim(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let min_idle = int_or(&argv[4], "Invalid min-idle-time argument for XAUTOCLAIM")?.max(0);
    let (mut start, start_ex) = stream::parse_interval(&argv[5], 0).ok_or_else(invalid_id)?;
    if start_ex {
        start = start
            .incr()
            .ok_or_else(|| CmdError::new("ERR invalid start ID for the interval"))?;
    }
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if is(&argv[j], "count") && more > 0 {
            let max = i64::MAX / 16;
            count = match parse_i64(&argv[j + 1]) {
                Some(n) if (1..=max).contains(&n) => n,
                _ => return Err(CmdError::new("ERR COUNT must be > 0")),
            };
            j += 1;
        } else if is(&argv[j], "justid") {
            justid = true;
        } else {
            return Err(error::syntax());
        }
        j += 1;
    }
    let (key, group) = (&argv[1], &argv[2]);
    let exists = read_lookup(ctx, key)?;
    if !exists || !peek(ctx, key).is_some_and(|s| s.groups.contains_key(group.as_slice())) {
        return Err(nogroup_key_or_group(key, group));
    }
    if count as u128 * 16 > XAUTOCLAIM_MAX_ALLOC {
        return Err(CmdError::new(
            "ERR Insufficient memory, failed allocating transient memory, COUNT too high.",
        ));
    }
    let now = ctx.now_ms;
    let name = &argv[3];
    let group_name = group.as_slice();
    let (next, claimed, deleted, changes) = update(ctx, key, |s| {
        let mut claimed = Vec::new();
        let mut deleted = Vec::new();
        let mut changes = 0u64;
        let mut consumer: Option<Rc<[u8]>> = None;
        let mut attempts = (count as u64).saturating_mul(10);
        let mut left = count as u64;
        // The next PEL entry to look at is the first one >= `cursor`; None past the end.
        let mut cursor = Some(start);
        loop {
            if attempts == 0 {
                break;
            }
            attempts -= 1;
            if left == 0 {
                break;
            }
            let Some(from) = cursor else { break };
            let Some(g) = s.groups.get(group_name) else {
                break;
            };
            let Some((&id, p)) = g.pel.range(from..).next() else {
                cursor = None;
                break;
            };
            let idle = now.wrapping_sub(p.delivery_time);
            cursor = id.incr();
            if !s.contains(id) {
                if let Some(g) = s.groups.get_mut(group_name) {
                    g.ack(id);
                }
                deleted.push(id_bulk(id));
                changes += 1;
                left -= 1;
                continue;
            }
            if min_idle != 0 && idle < min_idle {
                continue;
            }
            let Some(g) = s.groups.get_mut(group_name) else {
                break;
            };
            let owner = consumer
                .get_or_insert_with(|| g.consumer_or_create(name, now).0)
                .clone();
            g.transfer(id, &owner);
            if let Some(p) = g.pel.get_mut(&id) {
                p.delivery_time = now;
                if !justid {
                    p.delivery_count = p.delivery_count.wrapping_add(1);
                }
            }
            claimed.push(if justid {
                id_bulk(id)
            } else {
                single_entry(s, id).unwrap_or(Reply::NilArray)
            });
            left -= 1;
            changes += 1;
        }
        // The cursor for the next call: the next PEL entry, or 0-0 at the end.
        let next = cursor
            .and_then(|from| {
                s.groups
                    .get(group_name)
                    .and_then(|g| g.pel.range(from..).next().map(|(id, _)| *id))
            })
            .unwrap_or(StreamId::MIN);
        (next, claimed, deleted, changes)
    })
    .unwrap_or((StreamId::MIN, Vec::new(), Vec::new(), 0));
    ctx.dirty(changes);
    Ok(Reply::Array(vec![
        id_bulk(next),
        Reply::Array(claimed),
        Reply::Array(deleted),
    ]))
}

// ---------------------------------------------------------------------------------------
// XGROUP
// ---------------------------------------------------------------------------------------

/// XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER|HELP, as one function like
/// Redis's xgroupCommand, so the checks happen in its order.
fn xgroup(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let argc = argv.len();
    let sub = argv[1].to_ascii_lowercase();
    let sub = sub.as_slice();
    if argc == 2 && sub == b"help" {
        return Ok(super::help_reply(
            &argv[0],
            &[
                "CREATE <key> <groupname> <id|$> [option]",
                "    Create a new consumer group. Options are:",
                "    * MKSTREAM",
                "      Create the empty stream if it does not exist.",
                "    * ENTRIESREAD entries_read",
                "      Set the group's entries_read counter (internal use).",
                "CREATECONSUMER <key> <groupname> <consumer>",
                "    Create a new consumer in the specified group.",
                "DELCONSUMER <key> <groupname> <consumer>",
                "    Remove the specified consumer.",
                "DESTROY <key> <groupname>",
                "    Remove the specified group.",
                "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
                "    Set the current group ID and entries_read counter.",
            ],
        ));
    }
    if argc < 4 {
        return Err(subcommand_syntax(argv));
    }
    let mut mkstream = false;
    let mut entries_read = ENTRIES_READ_INVALID;
    let mut i = 5;
    while i < argc {
        if sub == b"create" && is(&argv[i], "mkstream") {
            mkstream = true;
            i += 1;
        } else if (sub == b"create" || sub == b"setid")
            && is(&argv[i], "entriesread")
            && i + 1 < argc
        {
            entries_read = int_arg(&argv[i + 1])?;
            if entries_read < 0 && entries_read != ENTRIES_READ_INVALID {
                return Err(CmdError::new(
                    "ERR value for ENTRIESREAD must be positive or -1",
                ));
            }
            i += 2;
        } else {
            return Err(subcommand_syntax(argv));
        }
    }
    let (key, group) = (&argv[2], &argv[3]);
    let exists = write_lookup(ctx, key)?;
    if !mkstream {
        if !exists {
            return Err(CmdError::new(XGROUP_NEEDS_KEY));
        }
        let has_group = peek(ctx, key).is_some_and(|s| s.groups.contains_key(group.as_slice()));
        if !has_group && matches!(sub, b"setid" | b"createconsumer" | b"delconsumer") {
            return Err(nogroup_for_key(key, group));
        }
    }
    let now = ctx.now_ms;
    match sub {
        b"create" if (5..=8).contains(&argc) => {
            let id = if argv[4].as_slice() == b"$" {
                peek(ctx, key).map_or(StreamId::MIN, |s| s.last_id)
            } else {
                strict_id(&argv[4])?
            };
            if !exists {
                ctx.db().set(key, Value::Stream(StreamValue::new()), now);
            }
            let created = update(ctx, key, |s| {
                if s.groups.contains_key(group.as_slice()) {
                    return false;
                }
                s.groups.insert(group.clone(), Group::new(id, entries_read));
                true
            })
            .unwrap_or(false);
            if !created {
                return Err(CmdError::new(
                    "BUSYGROUP Consumer Group name already exists",
                ));
            }
            ctx.dirty(1);
            ctx.replied();
            ctx.notify(EventClass::Stream, "xgroup-create", key);
            Ok(Reply::ok())
        }
        b"setid" if argc == 5 || argc == 7 => {
            let id = if argv[4].as_slice() == b"$" {
                peek(ctx, key).map_or(StreamId::MIN, |s| s.last_id)
            } else {
                stream::parse_id(&argv[4], 0, IdSyntax::Loose).ok_or_else(invalid_id)?
            };
            update(ctx, key, |s| {
                if let Some(g) = s.groups.get_mut(group.as_slice()) {
                    g.last_id = id;
                    g.entries_read = entries_read;
                }
            });
            ctx.dirty(1);
            ctx.replied();
            ctx.notify(EventClass::Stream, "xgroup-setid", key);
            Ok(Reply::ok())
        }
        b"destroy" if argc == 4 => {
            let destroyed =
                update(ctx, key, |s| s.groups.remove(group.as_slice()).is_some()).unwrap_or(false);
            if destroyed {
                ctx.dirty(1);
                ctx.replied();
                ctx.notify(EventClass::Stream, "xgroup-destroy", key);
                // Readers blocked on the group get an error when the key is served.
                signal_ready(ctx, key);
            }
            Ok(Reply::Integer(destroyed as i64))
        }
        b"createconsumer" if argc == 5 => {
            let created = update(ctx, key, |s| {
                s.groups
                    .get_mut(group.as_slice())
                    .and_then(|g| g.create_consumer(&argv[4], now))
                    .is_some()
            })
            .unwrap_or(false);
            if created {
                ctx.dirty(1);
                ctx.notify(EventClass::Stream, "xgroup-createconsumer", key);
            }
            Ok(Reply::Integer(created as i64))
        }
        b"delconsumer" if argc == 5 => {
            let pending = update(ctx, key, |s| {
                s.groups
                    .get_mut(group.as_slice())
                    .and_then(|g| g.delete_consumer(&argv[4]))
            })
            .flatten();
            if pending.is_some() {
                ctx.dirty(1);
                ctx.notify(EventClass::Stream, "xgroup-delconsumer", key);
            }
            Ok(Reply::Integer(pending.unwrap_or(0) as i64))
        }
        _ => Err(subcommand_syntax(argv)),
    }
}

// ---------------------------------------------------------------------------------------
// XINFO
// ---------------------------------------------------------------------------------------

/// XINFO STREAM|GROUPS|CONSUMERS|HELP, as one function like Redis's xinfoCommand.
fn xinfo(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if is(&argv[1], "help") {
        if argv.len() != 2 {
            return Err(subcommand_syntax(argv));
        }
        return Ok(super::help_reply(
            &argv[0],
            &[
                "CONSUMERS <key> <groupname>",
                "    Show consumers of <groupname>.",
                "GROUPS <key>",
                "    Show the stream consumer groups.",
                "STREAM <key> [FULL [COUNT <count>]",
                "    Show information about the stream.",
            ],
        ));
    }
    if argv.len() < 3 {
        return Err(subcommand_syntax(argv));
    }
    let key = &argv[2];
    if !read_lookup(ctx, key)? {
        return Err(CmdError::new(error::NO_SUCH_KEY));
    }
    let now = ctx.now_ms;
    let Some(s) = peek(ctx, key) else {
        return Err(CmdError::new(error::NO_SUCH_KEY));
    };
    let bulk = Reply::bulk_str;
    if is(&argv[1], "consumers") && argv.len() == 4 {
        let Some(g) = s.groups.get(argv[3].as_slice()) else {
            return Err(nogroup_for_key(key, &argv[3]));
        };
        let consumers = g
            .consumers
            .iter()
            .map(|(name, c)| {
                Reply::Map(vec![
                    (bulk("name"), Reply::bulk(&**name)),
                    (bulk("pending"), Reply::Integer(c.pel.len() as i64)),
                    (
                        bulk("idle"),
                        Reply::Integer(now.wrapping_sub(c.seen_time).max(0)),
                    ),
                ])
            })
            .collect();
        return Ok(Reply::Array(consumers));
    }
    if is(&argv[1], "groups") && argv.len() == 3 {
        let groups = s
            .groups
            .iter()
            .map(|(name, g)| {
                Reply::Map(vec![
                    (bulk("name"), Reply::bulk(name)),
                    (bulk("consumers"), Reply::Integer(g.consumers.len() as i64)),
                    (bulk("pending"), Reply::Integer(g.pel.len() as i64)),
                    (bulk("last-delivered-id"), id_bulk(g.last_id)),
                    (bulk("entries-read"), entries_read_reply(g)),
                    (
                        bulk("lag"),
                        s.group_lag(g).map_or(Reply::Nil, Reply::Integer),
                    ),
                ])
            })
            .collect();
        return Ok(Reply::Array(groups));
    }
    if is(&argv[1], "stream") {
        return xinfo_stream(s, argv);
    }
    Err(subcommand_syntax(argv))
}

fn entries_read_reply(g: &Group) -> Reply {
    if g.entries_read == ENTRIES_READ_INVALID {
        Reply::Nil
    } else {
        Reply::Integer(g.entries_read)
    }
}

/// XINFO STREAM key [FULL [COUNT count]]
fn xinfo_stream(s: &StreamValue, argv: &[Vec<u8>]) -> CmdResult {
    let opts = &argv[3..];
    let mut full = false;
    let mut count: i64 = 10;
    if !opts.is_empty() {
        if (opts.len() != 1 && opts.len() != 3) || !is(&opts[0], "full") {
            return Err(subcommand_syntax(argv));
        }
        full = true;
        if opts.len() == 3 {
            if !is(&opts[1], "count") {
                return Err(subcommand_syntax(argv));
            }
            count = int_arg(&opts[2])?;
            if count < 0 {
                count = 10;
            }
        }
    }
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let bulk = Reply::bulk_str;
    let mut map = vec![
        (bulk("length"), Reply::Integer(s.len() as i64)),
        (
            bulk("radix-tree-keys"),
            Reply::Integer(s.node_count() as i64),
        ),
        (
            bulk("radix-tree-nodes"),
            Reply::Integer(s.rax_node_count() as i64),
        ),
        (bulk("last-generated-id"), id_bulk(s.last_id)),
        (
            bulk("max-deleted-entry-id"),
            id_bulk(s.max_deleted_entry_id),
        ),
        (
            bulk("entries-added"),
            Reply::Integer(s.entries_added as i64),
        ),
        (bulk("recorded-first-entry-id"), id_bulk(s.first_id)),
    ];
    if !full {
        map.push((bulk("groups"), Reply::Integer(s.groups.len() as i64)));
        let first = range_replies(s, StreamId::MIN, StreamId::MAX, false, 1).pop();
        let last = range_replies(s, StreamId::MIN, StreamId::MAX, true, 1).pop();
        map.push((bulk("first-entry"), first.unwrap_or(Reply::Nil)));
        map.push((bulk("last-entry"), last.unwrap_or(Reply::Nil)));
        return Ok(Reply::Map(map));
    }
    map.push((
        bulk("entries"),
        Reply::Array(range_replies(s, StreamId::MIN, StreamId::MAX, false, count)),
    ));
    let limit = |n: usize| if count == 0 { n } else { n.min(count) };
    let groups = s
        .groups
        .iter()
        .map(|(name, g)| {
            let pending = g
                .pel
                .iter()
                .take(limit(g.pel.len()))
                .map(|(id, p)| {
                    Reply::Array(vec![
                        id_bulk(*id),
                        Reply::bulk(&*p.consumer),
                        Reply::Integer(p.delivery_time),
                        Reply::Integer(p.delivery_count as i64),
                    ])
                })
                .collect();
            let consumers = g
                .consumers
                .iter()
                .map(|(cname, c)| {
                    let cpel = c
                        .pel
                        .iter()
                        .take(limit(c.pel.len()))
                        .map(|id| {
                            let p = g.pel.get(id);
                            Reply::Array(vec![
                                id_bulk(*id),
                                Reply::Integer(p.map_or(0, |p| p.delivery_time)),
                                Reply::Integer(p.map_or(0, |p| p.delivery_count as i64)),
                            ])
                        })
                        .collect();
                    Reply::Map(vec![
                        (bulk("name"), Reply::bulk(&**cname)),
                        (bulk("seen-time"), Reply::Integer(c.seen_time)),
                        (bulk("pel-count"), Reply::Integer(c.pel.len() as i64)),
                        (bulk("pending"), Reply::Array(cpel)),
                    ])
                })
                .collect();
            Reply::Map(vec![
                (bulk("name"), Reply::bulk(name)),
                (bulk("last-delivered-id"), id_bulk(g.last_id)),
                (bulk("entries-read"), entries_read_reply(g)),
                (
                    bulk("lag"),
                    s.group_lag(g).map_or(Reply::Nil, Reply::Integer),
                ),
                (bulk("pel-count"), Reply::Integer(g.pel.len() as i64)),
                (bulk("pending"), Reply::Array(pending)),
                (bulk("consumers"), Reply::Array(consumers)),
            ])
        })
        .collect();
    map.push((bulk("groups"), Reply::Array(groups)));
    Ok(Reply::Map(map))
}

// ---------------------------------------------------------------------------------------
// Blocking (XREAD/XREADGROUP BLOCK)
// ---------------------------------------------------------------------------------------

/// signalKeyAsReady: clients blocked on `key` are served after this command.
fn signal_ready(ctx: &mut Ctx, key: &[u8]) {
    ctx.signal_key_ready(key);
}

/// Parks an XREAD/XREADGROUP that found nothing to serve, or answers as a timeout where
/// it may not block (MULTI, scripts).
fn block_read(ctx: &mut Ctx, keys: &[Vec<u8>], ids: &[StreamId], r: &ReadArgs, ms: i64) -> Reply {
    if !ctx.may_block() {
        return Reply::NilArray;
    }
    // Redis adds the timeout to its clock as a C long long (wrapping: a huge timeout
    // lands in the past and expires at once).
    let timeout = if ms == 0 {
        Timeout::Never
    } else {
        Timeout::At(ctx.now_ms.wrapping_add(ms))
    };
    let group = r.group.as_ref().map(|(group, consumer)| GroupWait {
        group: group.clone(),
        consumer: consumer.clone(),
        noack: r.noack,
    });
    let wait = StreamWait {
        keys: keys.iter().cloned().zip(ids.iter().copied()).collect(),
        count: r.count,
        group,
    };
    ctx.block(keys.to_vec(), timeout, BlockedOp::Stream(wait))
}

/// Serves a client blocked by XREAD/XREADGROUP on `key`, which was signalled ready and
/// holds a stream (serveClientsBlockedOnStreamKey): None keeps it blocked; Some(reply)
/// unblocks it. A group reader waits for entries after the group's current last ID;
/// the reply names only this key, in the receiver's protocol.
pub(crate) fn serve_blocked_stream(
    engine: &mut Engine,
    receiver: ClientId,
    db: usize,
    key: &[u8],
    wait: &mut StreamWait,
    now_ms: i64,
) -> Option<Reply> {
    let proto = engine.protocol(receiver);
    let dbref = engine.dbs.get_mut(db)?;
    let (last_id, group_last) = match dbref.peek(key, now_ms).map(|e| &e.value) {
        Some(Value::Stream(s)) => (
            s.last_id,
            wait.group
                .as_ref()
                .map(|g| s.groups.get(g.group.as_slice()).map(|g| g.last_id)),
        ),
        _ => return None,
    };
    let slot = wait.keys.iter_mut().find(|(k, _)| k.as_slice() == key)?;
    match group_last {
        Some(None) => {
            return Some(Reply::error(
                "NOGROUP the consumer group this client was blocked on no longer exists",
            ));
        }
        Some(Some(id)) => slot.1 = id,
        None => {}
    }
    let after = slot.1;
    if last_id <= after {
        return None;
    }
    let start = after.incr().unwrap_or(StreamId::MIN);
    let count = if wait.count == 0 {
        XREAD_BLOCKED_DEFAULT_COUNT
    } else {
        wait.count
    };
    let entries = dbref
        .update(key, now_ms, |v| {
            let Value::Stream(s) = v else {
                return Vec::new();
            };
            match &wait.group {
                None => range_replies(s, start, StreamId::MAX, false, count),
                Some(g) => {
                    let read = GroupRead {
                        group: &g.group,
                        consumer: &g.consumer,
                        count,
                        noack: g.noack,
                        history: false,
                        now: now_ms,
                    };
                    read_group(s, start, &read)
                }
            }
        })
        .unwrap_or_default();
    Some(keyed_reply(
        vec![(Reply::bulk(key), Reply::Array(entries))],
        proto,
    ))
}

#[cfg(test)]
mod tests {
    use crate::clock::ManualClock;
    use crate::engine::{ClientInfo, Engine};
    use crate::reply::Reply;
    use crate::rng::Rng;
    use crate::value::Value;

    /// Random stream commands (valid and invalid, several consumers, deletions, trims,
    /// claims, tiny nodes) never panic, always encode, and leave the stream's
    /// bookkeeping consistent.
    #[test]
    fn random_commands_keep_streams_consistent() {
        let clock = ManualClock::new(1_700_000_000_000);
        let handle = clock.clone();
        let mut e = Engine::new(Box::new(clock), 7);
        let a = e.connect(ClientInfo::default());
        let b = e.connect(ClientInfo::default());
        let mut rng = Rng::new(42);
        let pick = |rng: &mut Rng, items: &[&str]| {
            items[rng.below(items.len() as u64) as usize].to_string()
        };
        e.execute(
            a,
            &[
                b"CONFIG".to_vec(),
                b"SET".to_vec(),
                b"stream-node-max-entries".to_vec(),
                b"4".to_vec(),
            ],
        );
        for step in 0..6000 {
            handle.advance_ms(rng.below(3) as i64);
            let id = format!("{}-{}", rng.below(40), rng.below(3));
            let maybe_id = pick(&mut rng, &[&id, "*", "0-0", "bad", "-", "+", "(3", "5-*"]);
            let n = rng.below(6).to_string();
            let consumer = pick(&mut rng, &["c1", "c2", "c3"]);
            let cmd = match rng.below(16) {
                0..=3 => format!("XADD s {maybe_id} f {n}"),
                4 => format!(
                    "XADD s MAXLEN {} {n} * f v g w",
                    pick(&mut rng, &["~", "=", ""])
                ),
                5 => format!("XDEL s {id} {maybe_id}"),
                6 => format!(
                    "XTRIM s {} {} {n}",
                    pick(&mut rng, &["MAXLEN", "MINID"]),
                    pick(&mut rng, &["~", "="])
                ),
                7 => format!(
                    "XGROUP {} s g {maybe_id}",
                    pick(&mut rng, &["CREATE", "SETID", "DESTROY"])
                ),
                8 => format!(
                    "XREADGROUP GROUP g {consumer} COUNT {n} STREAMS s {}",
                    pick(&mut rng, &[">", "0", &id])
                ),
                9 => format!("XACK s g {id} {maybe_id}"),
                10 => format!(
                    "XCLAIM s g {consumer} {n} {id} {maybe_id} {}",
                    pick(&mut rng, &["FORCE", "JUSTID", "RETRYCOUNT 3", ""])
                ),
                11 => format!(
                    "XAUTOCLAIM s g {consumer} {n} {maybe_id} COUNT {}",
                    rng.below(4) + 1
                ),
                12 => format!(
                    "XGROUP {} s g {consumer}",
                    pick(&mut rng, &["CREATECONSUMER", "DELCONSUMER"])
                ),
                13 => format!("XSETID s {maybe_id}"),
                14 => format!("XRANGE s {maybe_id} + COUNT {n}"),
                _ => pick(
                    &mut rng,
                    &[
                        "XINFO STREAM s FULL",
                        "XINFO GROUPS s",
                        "XPENDING s g - + 10",
                        "XPENDING s g",
                        "XREAD STREAMS s 0",
                    ],
                ),
            };
            let argv: Vec<Vec<u8>> = cmd
                .split_whitespace()
                .map(|w| w.as_bytes().to_vec())
                .collect();
            let client = if step % 2 == 0 { a } else { b };
            let reply = e.execute(client, &argv);
            assert_ne!(reply, Reply::NoReply, "{cmd}");
            let _ = reply.to_resp(crate::reply::Protocol::Resp3);
            if let Some(Value::Stream(s)) = e.db(0).and_then(|d| d.entry(b"s")).map(|en| &en.value)
            {
                s.check_invariants();
            }
        }
    }
}
