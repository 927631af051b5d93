//! Generic key commands: existence, deletion, renaming, expiry, iteration, OBJECT.

use crate::args::{int_arg, is};
use crate::engine::{Ctx, DATABASES};
use crate::error::{self, CmdError, CmdResult};
use crate::glob::glob_match;
use crate::notify::EventClass;
use crate::reply::Reply;
use crate::table::{flag::*, CommandSpec};
use crate::value::Value;

const KEY1: CommandSpec = CommandSpec {
    first_key: 1,
    last_key: 1,
    step: 1,
    group: "generic",
    ..CommandSpec::BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "del",
        arity: -2,
        flags: WRITE,
        last_key: -1,
        acl: &["keyspace", "write", "slow"],
        summary: "Delete a key",
        complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
        syntax: "key [key ...]",
        handler: Some(del),
        ..KEY1
    },
    CommandSpec {
        name: "unlink",
        arity: -2,
        flags: WRITE | FAST,
        last_key: -1,
        acl: &["keyspace", "write", "fast"],
        since: "4.0.0",
        summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
        syntax: "key [key ...]",
        handler: Some(del),
        ..KEY1
    },
    CommandSpec {
        name: "exists",
        arity: -2,
        flags: READONLY | FAST,
        last_key: -1,
        acl: &["keyspace", "read", "fast"],
        summary: "Determine if a key exists",
        complexity: "O(N) where N is the number of keys to check.",
        syntax: "key [key ...]",
        handler: Some(exists),
        ..KEY1
    },
    CommandSpec {
        name: "touch",
        arity: -2,
        flags: READONLY | FAST,
        last_key: -1,
        acl: &["keyspace", "read", "fast"],
        since: "3.2.1",
        summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.",
        complexity: "O(N) where N is the number of keys that will be touched.",
        syntax: "key [key ...]",
        handler: Some(touch),
        ..KEY1
    },
    CommandSpec {
        name: "type",
        arity: 2,
        flags: READONLY | FAST,
        acl: &["keyspace", "read", "fast"],
        summary: "Determine the type stored at key",
        syntax: "key",
        handler: Some(type_cmd),
        ..KEY1
    },
    CommandSpec {
        name: "keys",
        arity: 2,
        flags: READONLY,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl: &["keyspace", "read", "slow", "dangerous"],
        summary: "Find all keys matching the given pattern",
        complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
        syntax: "pattern",
        handler: Some(keys),
        ..KEY1
    },
    CommandSpec {
        name: "scan",
        arity: -2,
        flags: READONLY,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl: &["keyspace", "read", "slow"],
        since: "2.8.0",
        summary: "Incrementally iterate the keys space",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
        syntax: "cursor [MATCH pattern] [COUNT count] [TYPE type]",
        handler: Some(scan),
        ..KEY1
    },
    CommandSpec {
        name: "randomkey",
        arity: 1,
        flags: READONLY,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl: &["keyspace", "read", "slow"],
        summary: "Return a random key from the keyspace",
        handler: Some(randomkey),
        ..KEY1
    },
    CommandSpec {
        name: "rename",
        arity: 3,
        flags: WRITE,
        last_key: 2,
        acl: &["keyspace", "write", "slow"],
        summary: "Rename a key",
        syntax: "key newkey",
        handler: Some(rename),
        ..KEY1
    },
    CommandSpec {
        name: "renamenx",
        arity: 3,
        flags: WRITE | FAST,
        last_key: 2,
        acl: &["keyspace", "write", "fast"],
        summary: "Rename a key, only if the new key does not exist",
        syntax: "key newkey",
        handler: Some(renamenx),
        ..KEY1
    },
    CommandSpec {
        name: "copy",
        arity: -3,
        flags: WRITE | DENYOOM,
        last_key: 2,
        acl: &["keyspace", "write", "slow"],
        since: "6.2.0",
        summary: "Copy a key",
        complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
        syntax: "source destination [DB destination-db] [REPLACE]",
        handler: Some(copy),
        ..KEY1
    },
    CommandSpec {
        name: "move",
        arity: 3,
        flags: WRITE | FAST,
        acl: &["keyspace", "write", "fast"],
        summary: "Move a key to another database",
        syntax: "key db",
        handler: Some(move_cmd),
        ..KEY1
    },
    CommandSpec {
        name: "expire",
        arity: -3,
        flags: WRITE | FAST,
        acl: &["keyspace", "write", "fast"],
        summary: "Set a key's time to live in seconds",
        syntax: "key seconds [NX|XX|GT|LT]",
        handler: Some(expire),
        ..KEY1
    },
    CommandSpec {
        name: "pexpire",
        arity: -3,
        flags: WRITE | FAST,
        acl: &["keyspace", "write", "fast"],
        since: "2.6.0",
        summary: "Set a key's time to live in milliseconds",
        syntax: "key milliseconds [NX|XX|GT|LT]",
        handler: Some(pexpire),
        ..KEY1
    },
    CommandSpec {
        name: "expireat",
        arity: -3,
        flags: WRITE | FAST,
        acl: &["keyspace", "write", "fast"],
        since: "1.2.0",
        summary: "Set the expiration for a key as a UNIX timestamp",
        syntax: "key unix-time-seconds [NX|XX|GT|LT]",
        handler: Some(expireat),
        ..KEY1
    },
    CommandSpec {
        name: "pexpireat",
        arity: -3,
        flags: WRITE | FAST,
        acl: &["keyspace", "write", "fast"],
        since: "2.6.0",
        summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        syntax: "key unix-time-milliseconds [NX|XX|GT|LT]",
        handler: Some(pexpireat),
        ..KEY1
    },
    CommandSpec {
        name: "ttl",
        arity: 2,
        flags: READONLY | FAST,
        acl: &["keyspace", "read", "fast"],
        summary: "Get the time to live for a key in seconds",
        syntax: "key",
        handler: Some(ttl),
        ..KEY1
    },
    CommandSpec {
        name: "pttl",
        arity: 2,
        flags: READONLY | FAST,
        acl: &["keyspace", "read", "fast"],
        since: "2.6.0",
        summary: "Get the time to live for a key in milliseconds",
        syntax: "key",
        handler: Some(pttl),
        ..KEY1
    },
    CommandSpec {
        name: "expiretime",
        arity: 2,
        flags: READONLY | FAST,
        acl: &["keyspace", "read", "fast"],
        since: "7.0.0",
        summary: "Get the expiration Unix timestamp for a key",
        syntax: "key",
        handler: Some(expiretime),
        ..KEY1
    },
    CommandSpec {
        name: "pexpiretime",
        arity: 2,
        flags: READONLY | FAST,
        acl: &["keyspace", "read", "fast"],
        since: "7.0.0",
        summary: "Get the expiration Unix timestamp for a key in milliseconds",
        syntax: "key",
        handler: Some(pexpiretime),
        ..KEY1
    },
    CommandSpec {
        name: "persist",
        arity: 2,
        flags: WRITE | FAST,
        acl: &["keyspace", "write", "fast"],
        since: "2.2.0",
        summary: "Remove the expiration from a key",
        syntax: "key",
        handler: Some(persist),
        ..KEY1
    },
    CommandSpec {
        name: "object",
        arity: -2,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl: &["slow"],
        since: "2.2.3",
        summary: "A container for object introspection commands",
        complexity: "Depends on subcommand.",
        syntax: "subcommand [arguments]",
        subcommands: OBJECT_SUBCOMMANDS,
        ..KEY1
    },
];

const OBJECT_SUB: CommandSpec = CommandSpec {
    arity: 3,
    flags: READONLY,
    first_key: 2,
    last_key: 2,
    step: 1,
    acl: &["keyspace", "read", "slow"],
    group: "generic",
    syntax: "key",
    ..CommandSpec::BASE
};

const OBJECT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "encoding",
        since: "2.2.3",
        summary: "Inspect the internal encoding of a Redis object",
        handler: Some(object_encoding),
        ..OBJECT_SUB
    },
    CommandSpec {
        name: "refcount",
        since: "2.2.3",
        summary: "Get the number of references to the value of the key",
        handler: Some(object_refcount),
        ..OBJECT_SUB
    },
    CommandSpec {
        name: "idletime",
        since: "2.2.3",
        summary: "Get the time since a Redis object was last accessed",
        handler: Some(object_idletime),
        ..OBJECT_SUB
    },
    CommandSpec {
        name: "freq",
        since: "4.0.0",
        summary: "Get the logarithmic access frequency counter of a Redis object",
        handler: Some(object_freq),
        ..OBJECT_SUB
    },
    CommandSpec {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl: &["keyspace", "slow"],
        since: "6.2.0",
        summary: "Show helpful text about the different subcommands",
        syntax: "",
        handler: Some(object_help),
        ..OBJECT_SUB
    },
];

// ---------------------------------------------------------------------------------------
// Existence and deletion
// ---------------------------------------------------------------------------------------

/// DEL key [key ...] (and UNLINK: deletion is immediate either way here)
fn del(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let mut n = 0;
    for key in &argv[1..] {
        let db = ctx.db();
        db.expire_if_needed(key, now);
        if db.remove(key).is_some() {
            n += 1;
            ctx.notify(EventClass::Generic, "del", key);
        }
    }
    ctx.dirty(n as u64);
    Ok(Reply::Integer(n))
}

/// EXISTS key [key ...]: counts repeated keys each time.
fn exists(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let mut n = 0;
    for k in &argv[1..] {
        let found = ctx.db().peek(k, now).is_some();
        ctx.hit_key(k, found);
        n += found as i64;
    }
    Ok(Reply::Integer(n))
}

/// TOUCH key [key ...]
fn touch(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let mut n = 0;
    for k in &argv[1..] {
        let found = ctx.db().get(k, now).is_some();
        ctx.hit_key(k, found);
        n += found as i64;
    }
    Ok(Reply::Integer(n))
}

/// TYPE key
fn type_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let name = ctx.db().peek(&argv[1], now).map(|e| e.value.type_name());
    ctx.hit_key(&argv[1], name.is_some());
    Ok(Reply::status(name.unwrap_or("none")))
}

// ---------------------------------------------------------------------------------------
// Iteration
// ---------------------------------------------------------------------------------------

/// KEYS pattern
fn keys(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let pattern = &argv[1];
    let all = pattern.as_slice() == b"*";
    let now = ctx.now_ms;
    let db = ctx.db();
    let out: Vec<Reply> = db
        .iter()
        .filter(|(k, e)| {
            (all || glob_match(pattern, k, false)) && !matches!(e.expire_at, Some(t) if t < now)
        })
        .map(|(k, _)| Reply::bulk(&k[..]))
        .collect();
    Ok(Reply::Array(out))
}

/// A SCAN cursor as Redis reads it (`strtoul`): optional sign, decimal digits, and a
/// negative number wraps around like C's unsigned conversion.
pub(crate) fn parse_cursor(b: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::new("ERR invalid cursor");
    if b.first().is_some_and(|c| c.is_ascii_whitespace()) {
        return Err(invalid());
    }
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        // strtoul consumed nothing: the end pointer is the start, so only "" passes.
        return if b.is_empty() { Ok(0) } else { Err(invalid()) };
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(invalid());
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((c - b'0') as u64))
            .ok_or_else(invalid)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// The options of SCAN, HSCAN, SSCAN and ZSCAN (Redis's `scanGenericCommand`): COUNT (at
/// least 1, default 10), MATCH (`*` means no filter), and TYPE for the keyspace SCAN only.
pub(crate) struct ScanOptions<'a> {
    pub count: usize,
    pub pattern: Option<&'a [u8]>,
    pub type_filter: Option<Vec<u8>>,
}

impl ScanOptions<'_> {
    /// Whether `member` passes the MATCH filter.
    pub fn matches(&self, member: &[u8]) -> bool {
        self.pattern.is_none_or(|p| glob_match(p, member, false))
    }
}

/// Parses the options from `argv[start..]`; `with_type` allows TYPE.
pub(crate) fn parse_scan_options(
    argv: &[Vec<u8>],
    start: usize,
    with_type: bool,
) -> Result<ScanOptions<'_>, CmdError> {
    let mut o = ScanOptions {
        count: 10,
        pattern: None,
        type_filter: None,
    };
    let mut i = start;
    while i < argv.len() {
        let more = argv.len() - i >= 2;
        if is(&argv[i], "count") && more {
            let count = int_arg(&argv[i + 1])?;
            if count < 1 {
                return Err(error::syntax());
            }
            o.count = count.min(1 << 30) as usize;
        } else if is(&argv[i], "match") && more {
            let p = &argv[i + 1][..];
            o.pattern = if p == b"*" { None } else { Some(p) };
        } else if with_type && is(&argv[i], "type") && more {
            o.type_filter = Some(argv[i + 1].to_ascii_lowercase());
        } else {
            return Err(error::syntax());
        }
        i += 2;
    }
    Ok(o)
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
fn scan(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let cursor = parse_cursor(&argv[1])?;
    let o = parse_scan_options(argv, 2, true)?;
    let now = ctx.now_ms;
    let db = ctx.db();
    let page = db.scan(cursor, o.count);
    let mut keys = Vec::new();
    for k in page.keys {
        if !o.matches(&k) {
            continue;
        }
        // Expired keys are dropped from the page (and deleted), as Redis does.
        if db.expire_if_needed(&k, now) {
            continue;
        }
        if let Some(t) = &o.type_filter {
            let Some(e) = db.entry(&k) else { continue };
            if e.value.type_name().as_bytes() != t.as_slice() {
                continue;
            }
        }
        keys.push(Reply::bulk(&k[..]));
    }
    Ok(Reply::Array(vec![
        Reply::Bulk(page.next_cursor.to_string().into_bytes()),
        Reply::Array(keys),
    ]))
}

/// RANDOMKEY
fn randomkey(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    if ctx.db().is_read_only() {
        // Under Engine::inspect expired keys stay (they would be drawn again and again):
        // draw among the live ones. Without expired keys this is the same draw.
        let db_index = ctx.db_index();
        let engine = &mut *ctx.engine;
        let db = &engine.dbs[db_index];
        let live: Vec<&crate::db::Key> = db
            .keys_in_order()
            .filter(|k| db.entry(k).is_some())
            .collect();
        if live.is_empty() {
            return Ok(Reply::Nil);
        }
        let n = engine.rng.below(live.len() as u64) as usize;
        return Ok(Reply::bulk(&live[n][..]));
    }
    // Redis retries when it picks an expired key (deleting it).
    loop {
        let len = ctx.db().len();
        if len == 0 {
            return Ok(Reply::Nil);
        }
        let n = ctx.engine.rng().below(len as u64) as usize;
        let key = ctx.db().keys_in_order().nth(n).cloned();
        let Some(key) = key else {
            return Ok(Reply::Nil);
        };
        if ctx.db().expire_if_needed(&key, now) {
            ctx.engine.stats_expired(1);
            continue;
        }
        return Ok(Reply::bulk(&key[..]));
    }
}

// ---------------------------------------------------------------------------------------
// Renaming, copying, moving
// ---------------------------------------------------------------------------------------

fn rename_generic(ctx: &mut Ctx, argv: &[Vec<u8>], nx: bool) -> CmdResult {
    let now = ctx.now_ms;
    let (src, dst) = (&argv[1], &argv[2]);
    let db = ctx.db();
    let Some(entry) = db.peek(src, now).cloned() else {
        return Err(CmdError::new(error::NO_SUCH_KEY));
    };
    if src == dst {
        return Ok(if nx { Reply::Integer(0) } else { Reply::ok() });
    }
    if db.contains(dst, now) {
        if nx {
            return Ok(Reply::Integer(0));
        }
        db.remove(dst);
    }
    db.remove(src);
    db.set_with_expire(dst, entry.value, entry.expire_at, now);
    ctx.dirty(1);
    ctx.notify(EventClass::Generic, "rename_from", src);
    ctx.notify(EventClass::Generic, "rename_to", dst);
    Ok(if nx { Reply::Integer(1) } else { Reply::ok() })
}

/// RENAME key newkey
fn rename(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    rename_generic(ctx, argv, false)
}

/// RENAMENX key newkey
fn renamenx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    rename_generic(ctx, argv, true)
}

/// Redis's `getIntFromObjectOrReply` followed by a database-range check.
fn db_index_arg(b: &[u8]) -> Result<i64, CmdError> {
    crate::args::int32_arg(b)
}

fn check_db(n: i64) -> Result<usize, CmdError> {
    if n < 0 || n >= DATABASES as i64 {
        Err(CmdError::new(error::DB_INDEX))
    } else {
        Ok(n as usize)
    }
}

/// COPY source destination [DB destination-db] [REPLACE]
fn copy(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let src_db = ctx.db_index();
    let mut dst_db = src_db;
    let mut replace = false;
    let mut j = 3;
    while j < argv.len() {
        let more = argv.len() - j - 1;
        if is(&argv[j], "replace") {
            replace = true;
        } else if is(&argv[j], "db") && more > 0 {
            dst_db = check_db(db_index_arg(&argv[j + 1])?)?;
            j += 1;
        } else {
            return Err(error::syntax());
        }
        j += 1;
    }
    let (src, dst) = (&argv[1], &argv[2]);
    if src_db == dst_db && src == dst {
        return Err(CmdError::new(
            "ERR source and destination objects are the same",
        ));
    }
    let now = ctx.now_ms;
    let Some(entry) = ctx.engine.dbs[src_db].get(src, now).cloned() else {
        return Ok(Reply::Integer(0));
    };
    let target = &mut ctx.engine.dbs[dst_db];
    if target.contains(dst, now) {
        if !replace {
            return Ok(Reply::Integer(0));
        }
        target.remove(dst);
    }
    // The copy is a new object (dupStringObject): never one of the shared integers.
    let value = match entry.value {
        Value::Str(mut s) => {
            s.shared = false;
            Value::Str(s)
        }
        #[allow(unreachable_patterns)]
        other => other,
    };
    target.set_with_expire(dst, value, entry.expire_at, now);
    ctx.dirty(1);
    ctx.notify_in(dst_db, EventClass::Generic, "copy_to", dst);
    Ok(Reply::Integer(1))
}

/// MOVE key db
fn move_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let dst_db = check_db(db_index_arg(&argv[2])?)?;
    let src_db = ctx.db_index();
    if src_db == dst_db {
        return Err(CmdError::new(
            "ERR source and destination objects are the same",
        ));
    }
    let now = ctx.now_ms;
    let Some(entry) = ctx.engine.dbs[src_db].get(&argv[1], now).cloned() else {
        return Ok(Reply::Integer(0));
    };
    if ctx.engine.dbs[dst_db].contains(&argv[1], now) {
        return Ok(Reply::Integer(0));
    }
    ctx.engine.dbs[dst_db].set_with_expire(&argv[1], entry.value, entry.expire_at, now);
    ctx.engine.dbs[src_db].remove(&argv[1]);
    ctx.dirty(1);
    ctx.notify_in(src_db, EventClass::Generic, "move_from", &argv[1]);
    ctx.notify_in(dst_db, EventClass::Generic, "move_to", &argv[1]);
    Ok(Reply::Integer(1))
}

// ---------------------------------------------------------------------------------------
// Expiry
// ---------------------------------------------------------------------------------------

/// EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT: `base_ms` is added to the (converted) time.
fn expire_generic(ctx: &mut Ctx, argv: &[Vec<u8>], base_ms: i64, seconds: bool) -> CmdResult {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &argv[3..] {
        if is(opt, "nx") {
            nx = true;
        } else if is(opt, "xx") {
            xx = true;
        } else if is(opt, "gt") {
            gt = true;
        } else if is(opt, "lt") {
            lt = true;
        } else {
            return Err(CmdError(format!(
                "ERR Unsupported option {}",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    if nx && (xx || gt || lt) {
        return Err(CmdError::new(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if gt && lt {
        return Err(CmdError::new(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    let invalid = || {
        CmdError(format!(
            "ERR invalid expire time in '{}' command",
            ctx.spec.name
        ))
    };
    let mut when = int_arg(&argv[2])?;
    if seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    let when = when.checked_add(base_ms).ok_or_else(invalid)?;
    let now = ctx.now_ms;
    let Some(current) = ctx.db().peek(&argv[1], now).map(|e| e.expire_at) else {
        return Ok(Reply::Integer(0));
    };
    if (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.is_none_or(|c| when <= c))
        || (lt && current.is_some_and(|c| when >= c))
    {
        return Ok(Reply::Integer(0));
    }
    if when <= now {
        ctx.db().remove(&argv[1]);
        ctx.dirty(1);
        ctx.notify(EventClass::Generic, "del", &argv[1]);
    } else {
        ctx.db().set_expire(&argv[1], Some(when));
        ctx.dirty(1);
        ctx.replied();
        ctx.notify(EventClass::Generic, "expire", &argv[1]);
    }
    Ok(Reply::Integer(1))
}

/// EXPIRE key seconds [NX|XX|GT|LT]
fn expire(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    expire_generic(ctx, argv, now, true)
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT]
fn pexpire(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    expire_generic(ctx, argv, now, false)
}

/// EXPIREAT key unix-time-seconds [NX|XX|GT|LT]
fn expireat(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    expire_generic(ctx, argv, 0, true)
}

/// PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]
fn pexpireat(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    expire_generic(ctx, argv, 0, false)
}

/// The shared body of TTL, PTTL, EXPIRETIME, PEXPIRETIME.
fn ttl_generic(ctx: &mut Ctx, key: &[u8], ms: bool, absolute: bool) -> CmdResult {
    let now = ctx.now_ms;
    let expire_at = ctx.db().peek(key, now).map(|e| e.expire_at);
    ctx.hit_key(key, expire_at.is_some());
    let Some(expire_at) = expire_at else {
        return Ok(Reply::Integer(-2));
    };
    let Some(t) = expire_at else {
        return Ok(Reply::Integer(-1));
    };
    let ttl = if absolute { t } else { t - now }.max(0);
    Ok(Reply::Integer(if ms { ttl } else { (ttl + 500) / 1000 }))
}

/// TTL key
fn ttl(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    ttl_generic(ctx, &argv[1], false, false)
}

/// PTTL key
fn pttl(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    ttl_generic(ctx, &argv[1], true, false)
}

/// EXPIRETIME key
fn expiretime(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    ttl_generic(ctx, &argv[1], false, true)
}

/// PEXPIRETIME key
fn pexpiretime(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    ttl_generic(ctx, &argv[1], true, true)
}

/// PERSIST key
fn persist(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let has_ttl = ctx
        .db()
        .get(&argv[1], now)
        .is_some_and(|e| e.expire_at.is_some());
    if !has_ttl {
        return Ok(Reply::Integer(0));
    }
    ctx.db().set_expire(&argv[1], None);
    ctx.dirty(1);
    ctx.notify(EventClass::Generic, "persist", &argv[1]);
    Ok(Reply::Integer(1))
}

// ---------------------------------------------------------------------------------------
// OBJECT
// ---------------------------------------------------------------------------------------

/// OBJECT ENCODING key
fn object_encoding(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    Ok(match ctx.db().peek(&argv[2], now) {
        Some(e) => Reply::bulk_str(e.value.encoding_name()),
        None => Reply::Nil,
    })
}

/// OBJECT REFCOUNT key: shared small integers report INT_MAX, like Redis. Whether a value
/// is shared was decided when it was stored (see `AccessMode::unshared_integers`).
fn object_refcount(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    Ok(match ctx.db().peek(&argv[2], now) {
        Some(e) => match &e.value {
            Value::Str(s) if s.shared => Reply::Integer(i32::MAX as i64),
            #[allow(unreachable_patterns)]
            _ => Reply::Integer(1),
        },
        None => Reply::Nil,
    })
}

fn lfu_policy(ctx: &Ctx) -> bool {
    ctx.engine.config.get("maxmemory-policy").contains("lfu")
}

/// OBJECT IDLETIME key
fn object_idletime(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let lfu = lfu_policy(ctx);
    let Some(e) = ctx.db().peek(&argv[2], now) else {
        return Ok(Reply::Nil);
    };
    if lfu {
        return Err(CmdError::new("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    }
    Ok(Reply::Integer(crate::db::idle_seconds(e.lru, now) as i64))
}

/// OBJECT FREQ key
fn object_freq(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let lfu = lfu_policy(ctx);
    let decay = ctx.engine.config.int("lfu-decay-time");
    let Some(lru) = ctx.db().peek(&argv[2], now).map(|e| e.lru) else {
        return Ok(Reply::Nil);
    };
    if !lfu {
        return Err(CmdError::new("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    }
    Ok(Reply::Integer(
        crate::db::lfu_decr_and_return(lru, now, decay) as i64,
    ))
}

/// OBJECT HELP
fn object_help(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(super::help_reply(
        &argv[0],
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    ))
}
