//! String commands: SET and its family, counters, ranges, LCS.

use crate::args::{int_arg, is};
use crate::engine::Ctx;
use crate::error::{self, CmdError, CmdResult};
use crate::notify::EventClass;
use crate::reply::Reply;
use crate::table::{flag::*, CommandSpec};
use crate::value::{StrValue, Value};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "get",
        arity: 2,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "string", "fast"],
        group: "string",
        since: "1.0.0",
        summary: "Get the value of a key",
        syntax: "key",
        handler: Some(get),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "set",
        arity: -3,
        flags: WRITE | DENYOOM,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "string", "slow"],
        group: "string",
        since: "1.0.0",
        summary: "Set the string value of a key",
        syntax: "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]",
        handler: Some(set),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "setnx",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "string", "fast"],
        group: "string",
        since: "1.0.0",
        summary: "Set the value of a key, only if the key does not exist",
        syntax: "key value",
        handler: Some(setnx),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "setex",
        arity: 4,
        flags: WRITE | DENYOOM,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "string", "slow"],
        group: "string",
        since: "2.0.0",
        summary: "Set the value and expiration of a key",
        syntax: "key seconds value",
        handler: Some(setex),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "psetex",
        arity: 4,
        flags: WRITE | DENYOOM,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "string", "slow"],
        group: "string",
        since: "2.6.0",
        summary: "Set the value and expiration in milliseconds of a key",
        syntax: "key milliseconds value",
        handler: Some(psetex),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "getset",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "string", "fast"],
        group: "string",
        since: "1.0.0",
        summary: "Set the string value of a key and return its old value",
        syntax: "key value",
        handler: Some(getset),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "getdel",
        arity: 2,
        flags: WRITE | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "string", "fast"],
        group: "string",
        since: "6.2.0",
        summary: "Get the value of a key and delete the key",
        syntax: "key",
        handler: Some(getdel),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "getex",
        arity: -2,
        flags: WRITE | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "string", "fast"],
        group: "string",
        since: "6.2.0",
        summary: "Get the value of a key and optionally set its expiration",
        syntax: "key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|PERSIST]",
        handler: Some(getex),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "mget",
        arity: -2,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: -1,
        step: 1,
        acl: &["read", "string", "fast"],
        group: "string",
        since: "1.0.0",
        summary: "Get the values of all the given keys",
        complexity: "O(N) where N is the number of keys to retrieve.",
        syntax: "key [key ...]",
        handler: Some(mget),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "mset",
        arity: -3,
        flags: WRITE | DENYOOM,
        first_key: 1,
        last_key: -1,
        step: 2,
        acl: &["write", "string", "slow"],
        group: "string",
        since: "1.0.1",
        summary: "Set multiple keys to multiple values",
        complexity: "O(N) where N is the number of keys to set.",
        syntax: "key value [key value ...]",
        handler: Some(mset),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "msetnx",
        arity: -3,
        flags: WRITE | DENYOOM,
        first_key: 1,
        last_key: -1,
        step: 2,
        acl: &["write", "string", "slow"],
        group: "string",
        since: "1.0.1",
        summary: "Set multiple keys to multiple values, only if none of the keys exist",
        complexity: "O(N) where N is the number of keys to set.",
        syntax: "key value [key value ...]",
        handler: Some(msetnx),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "incr",
        arity: 2,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "string", "fast"],
        group: "string",
        since: "1.0.0",
        summary: "Increment the integer value of a key by one",
        syntax: "key",
        handler: Some(incr),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "decr",
        arity: 2,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "string", "fast"],
        group: "string",
        since: "1.0.0",
        summary: "Decrement the integer value of a key by one",
        syntax: "key",
        handler: Some(decr),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "incrby",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "string", "fast"],
        group: "string",
        since: "1.0.0",
        summary: "Increment the integer value of a key by the given amount",
        syntax: "key increment",
        handler: Some(incrby),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "decrby",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "string", "fast"],
        group: "string",
        since: "1.0.0",
        summary: "Decrement the integer value of a key by the given number",
        syntax: "key decrement",
        handler: Some(decrby),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "incrbyfloat",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "string", "fast"],
        group: "string",
        since: "2.6.0",
        summary: "Increment the float value of a key by the given amount",
        syntax: "key increment",
        handler: Some(incrbyfloat),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "append",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "string", "fast"],
        group: "string",
        since: "2.0.0",
        summary: "Append a value to a key",
        complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
        syntax: "key value",
        handler: Some(append),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "strlen",
        arity: 2,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "string", "fast"],
        group: "string",
        since: "2.2.0",
        summary: "Get the length of the value stored in a key",
        syntax: "key",
        handler: Some(strlen),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "getrange",
        arity: 4,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "string", "slow"],
        group: "string",
        since: "2.4.0",
        summary: "Get a substring of the string stored at a key",
        complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
        syntax: "key start end",
        handler: Some(getrange),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "substr",
        arity: 4,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "string", "slow"],
        group: "string",
        since: "1.0.0",
        summary: "Get a substring of the string stored at a key",
        complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
        syntax: "key start end",
        handler: Some(getrange),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "setrange",
        arity: 4,
        flags: WRITE | DENYOOM,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "string", "slow"],
        group: "string",
        since: "2.2.0",
        summary: "Overwrite part of a string at key starting at the specified offset",
        complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
        syntax: "key offset value",
        handler: Some(setrange),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lcs",
        arity: -3,
        flags: READONLY,
        first_key: 1,
        last_key: 2,
        step: 1,
        acl: &["read", "string", "slow"],
        group: "string",
        since: "7.0.0",
        summary: "Find longest common substring",
        complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
        syntax: "key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]",
        handler: Some(lcs),
        ..CommandSpec::BASE
    },
];

// ---------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------

/// The string at `key`: `Ok(None)` if missing, WRONGTYPE if it holds another type.
pub(crate) fn read_string(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Vec<u8>>, CmdError> {
    let now = ctx.now_ms;
    let found = match ctx.db().get(key, now) {
        None => None,
        Some(e) => match &e.value {
            Value::Str(s) => Some(s.bytes.clone()),
            #[allow(unreachable_patterns)]
            _ => return Err(error::wrongtype()),
        },
    };
    ctx.hit_key(key, found.is_some());
    Ok(found)
}

/// Like `read_string` but also returns the current TTL (for writers that keep it).
fn read_string_entry(ctx: &mut Ctx, key: &[u8]) -> Result<Option<StrValue>, CmdError> {
    let now = ctx.now_ms;
    match ctx.db().get(key, now) {
        None => Ok(None),
        Some(e) => match &e.value {
            Value::Str(s) => Ok(Some(s.clone())),
            #[allow(unreachable_patterns)]
            _ => Err(error::wrongtype()),
        },
    }
}

fn max_bulk_len(ctx: &Ctx) -> i64 {
    ctx.engine.config.int("proto-max-bulk-len")
}

/// `ERR invalid expire time in 'set' command` (with the command's full name).
pub(crate) fn invalid_expire(ctx: &Ctx) -> CmdError {
    CmdError(format!(
        "ERR invalid expire time in '{}' command",
        ctx.spec.name
    ))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ExpireKind {
    None,
    Ex,
    Px,
    ExAt,
    PxAt,
}

/// Options shared by SET and GETEX (Redis's `parseExtendedStringArgumentsOrReply`).
struct SetOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire_kind: ExpireKind,
    expire_arg: Option<&'a [u8]>,
}

#[derive(PartialEq, Eq)]
enum OptionsFor {
    Set,
    GetEx,
}

fn parse_set_options<'a>(
    argv: &'a [Vec<u8>],
    start: usize,
    for_cmd: OptionsFor,
) -> Result<SetOptions<'a>, CmdError> {
    let set = for_cmd == OptionsFor::Set;
    let mut o = SetOptions {
        nx: false,
        xx: false,
        get: false,
        keepttl: false,
        persist: false,
        expire_kind: ExpireKind::None,
        expire_arg: None,
    };
    let mut j = start;
    while j < argv.len() {
        let opt = &argv[j][..];
        let next = argv.get(j + 1).map(|v| &v[..]);
        let ek = o.expire_kind;
        if is(opt, "nx") && !o.xx && set {
            o.nx = true;
        } else if is(opt, "xx") && !o.nx && set {
            o.xx = true;
        } else if is(opt, "get") && set {
            o.get = true;
        } else if is(opt, "keepttl") && !o.persist && ek == ExpireKind::None && set {
            o.keepttl = true;
        } else if is(opt, "persist") && !set && ek == ExpireKind::None && !o.keepttl {
            o.persist = true;
        } else if let (Some(kind), Some(n)) = (expire_keyword(opt), next) {
            // A second expire option of the same kind replaces the first, as in Redis.
            if o.keepttl || o.persist || (ek != ExpireKind::None && ek != kind) {
                return Err(error::syntax());
            }
            o.expire_kind = kind;
            o.expire_arg = Some(n);
            j += 1;
        } else {
            return Err(error::syntax());
        }
        j += 1;
    }
    Ok(o)
}

fn expire_keyword(opt: &[u8]) -> Option<ExpireKind> {
    if is(opt, "ex") {
        Some(ExpireKind::Ex)
    } else if is(opt, "px") {
        Some(ExpireKind::Px)
    } else if is(opt, "exat") {
        Some(ExpireKind::ExAt)
    } else if is(opt, "pxat") {
        Some(ExpireKind::PxAt)
    } else {
        None
    }
}

/// Turns an expire option into an absolute Unix time in ms, with Redis's checks.
fn expire_at(ctx: &Ctx, kind: ExpireKind, arg: &[u8]) -> Result<i64, CmdError> {
    let n = int_arg(arg)?;
    let seconds = matches!(kind, ExpireKind::Ex | ExpireKind::ExAt);
    if n <= 0 || (seconds && n > i64::MAX / 1000) {
        return Err(invalid_expire(ctx));
    }
    let mut when = if seconds { n * 1000 } else { n };
    if matches!(kind, ExpireKind::Ex | ExpireKind::Px) {
        when = when
            .checked_add(ctx.now_ms)
            .ok_or_else(|| invalid_expire(ctx))?;
    }
    if when <= 0 {
        return Err(invalid_expire(ctx));
    }
    Ok(when)
}

// ---------------------------------------------------------------------------------------
// GET / SET family
// ---------------------------------------------------------------------------------------

/// GET key
fn get(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(match read_string(ctx, &argv[1])? {
        Some(v) => Reply::Bulk(v),
        None => Reply::Nil,
    })
}

/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]
fn set(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let o = parse_set_options(argv, 3, OptionsFor::Set)?;
    let when = match o.expire_arg {
        Some(arg) => Some(expire_at(ctx, o.expire_kind, arg)?),
        None => None,
    };
    let old = if o.get {
        Some(read_string(ctx, &argv[1])?)
    } else {
        None
    };
    let now = ctx.now_ms;
    let found = ctx.db().contains(&argv[1], now);
    if (o.nx && found) || (o.xx && !found) {
        return Ok(match old {
            Some(v) => v.map(Reply::Bulk).unwrap_or(Reply::Nil),
            None => Reply::Nil,
        });
    }
    let value = Value::Str(StrValue::from_set(argv[2].clone()));
    let db = ctx.db();
    if o.keepttl {
        db.set_keep_ttl(&argv[1], value, now);
    } else {
        db.set_with_expire(&argv[1], value, when, now);
    }
    ctx.dirty(1);
    if o.get {
        // SET ... GET replies (with the old value) before it sets.
        ctx.replied();
    }
    ctx.notify(EventClass::String, "set", &argv[1]);
    if when.is_some() {
        ctx.notify(EventClass::Generic, "expire", &argv[1]);
    }
    Ok(match old {
        Some(v) => v.map(Reply::Bulk).unwrap_or(Reply::Nil),
        None => Reply::ok(),
    })
}

/// SETNX key value
fn setnx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    if ctx.db().contains(&argv[1], now) {
        return Ok(Reply::Integer(0));
    }
    ctx.db().set(
        &argv[1],
        Value::Str(StrValue::from_set(argv[2].clone())),
        now,
    );
    ctx.dirty(1);
    ctx.notify(EventClass::String, "set", &argv[1]);
    Ok(Reply::Integer(1))
}

/// SETEX key seconds value
fn setex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let when = expire_at(ctx, ExpireKind::Ex, &argv[2])?;
    let now = ctx.now_ms;
    ctx.db().set_with_expire(
        &argv[1],
        Value::Str(StrValue::from_set(argv[3].clone())),
        Some(when),
        now,
    );
    ctx.dirty(1);
    ctx.notify(EventClass::String, "set", &argv[1]);
    ctx.notify(EventClass::Generic, "expire", &argv[1]);
    Ok(Reply::ok())
}

/// PSETEX key milliseconds value
fn psetex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let when = expire_at(ctx, ExpireKind::Px, &argv[2])?;
    let now = ctx.now_ms;
    ctx.db().set_with_expire(
        &argv[1],
        Value::Str(StrValue::from_set(argv[3].clone())),
        Some(when),
        now,
    );
    ctx.dirty(1);
    ctx.notify(EventClass::String, "set", &argv[1]);
    ctx.notify(EventClass::Generic, "expire", &argv[1]);
    Ok(Reply::ok())
}

/// GETSET key value
fn getset(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let old = read_string(ctx, &argv[1])?;
    let now = ctx.now_ms;
    ctx.db().set(
        &argv[1],
        Value::Str(StrValue::from_set(argv[2].clone())),
        now,
    );
    ctx.dirty(1);
    ctx.replied();
    ctx.notify(EventClass::String, "set", &argv[1]);
    Ok(old.map(Reply::Bulk).unwrap_or(Reply::Nil))
}

/// GETDEL key
fn getdel(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let old = read_string(ctx, &argv[1])?;
    if old.is_some() {
        ctx.db().remove(&argv[1]);
        ctx.dirty(1);
        ctx.replied();
        ctx.notify(EventClass::Generic, "del", &argv[1]);
    }
    Ok(old.map(Reply::Bulk).unwrap_or(Reply::Nil))
}

/// GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST]
fn getex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let o = parse_set_options(argv, 2, OptionsFor::GetEx)?;
    let Some(value) = read_string(ctx, &argv[1])? else {
        return Ok(Reply::Nil);
    };
    let when = match o.expire_arg {
        Some(arg) => Some(expire_at(ctx, o.expire_kind, arg)?),
        None => None,
    };
    let now = ctx.now_ms;
    // GETEX replies before it changes the TTL.
    ctx.replied();
    match when {
        Some(t) if t <= now => {
            ctx.db().remove(&argv[1]);
            ctx.dirty(1);
            ctx.notify(EventClass::Generic, "del", &argv[1]);
        }
        Some(t) => {
            ctx.db().set_expire(&argv[1], Some(t));
            ctx.dirty(1);
            ctx.notify(EventClass::Generic, "expire", &argv[1]);
        }
        None if o.persist
            && ctx
                .db()
                .peek(&argv[1], now)
                .is_some_and(|e| e.expire_at.is_some()) =>
        {
            ctx.db().set_expire(&argv[1], None);
            ctx.dirty(1);
            ctx.notify(EventClass::Generic, "persist", &argv[1]);
        }
        None => {}
    }
    Ok(Reply::Bulk(value))
}

/// MGET key [key ...]
fn mget(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let mut out = Vec::with_capacity(argv.len() - 1);
    for key in &argv[1..] {
        let v = match ctx.db().get(key, now) {
            Some(e) => match &e.value {
                Value::Str(s) => Some(s.bytes.clone()),
                #[allow(unreachable_patterns)]
                _ => None,
            },
            None => None,
        };
        ctx.hit_key(key, v.is_some());
        out.push(v.map(Reply::Bulk).unwrap_or(Reply::Nil));
    }
    Ok(Reply::Array(out))
}

/// MSET key value [key value ...]
fn mset(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len().is_multiple_of(2) {
        return Err(error::wrong_arity(ctx.spec.name));
    }
    let now = ctx.now_ms;
    for pair in argv[1..].chunks(2) {
        ctx.db().set(
            &pair[0],
            Value::Str(StrValue::from_set(pair[1].clone())),
            now,
        );
        ctx.notify(EventClass::String, "set", &pair[0]);
    }
    ctx.dirty((argv.len() as u64 - 1) / 2);
    Ok(Reply::ok())
}

/// MSETNX key value [key value ...]
fn msetnx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len().is_multiple_of(2) {
        return Err(error::wrong_arity(ctx.spec.name));
    }
    let now = ctx.now_ms;
    for pair in argv[1..].chunks(2) {
        if ctx.db().contains(&pair[0], now) {
            return Ok(Reply::Integer(0));
        }
    }
    mset(ctx, argv)?;
    Ok(Reply::Integer(1))
}

// ---------------------------------------------------------------------------------------
// Counters
// ---------------------------------------------------------------------------------------

fn incr_by(ctx: &mut Ctx, key: &[u8], incr: i64) -> CmdResult {
    let current = read_string_entry(ctx, key)?;
    let old = match &current {
        None => 0,
        Some(s) => s.as_int().ok_or_else(error::not_integer)?,
    };
    let value = old
        .checked_add(incr)
        .ok_or_else(|| CmdError::new(error::OVERFLOW))?;
    let now = ctx.now_ms;
    ctx.db()
        .set_keep_ttl(key, Value::Str(StrValue::from_int(value)), now);
    ctx.dirty(1);
    ctx.notify(EventClass::String, "incrby", key);
    Ok(Reply::Integer(value))
}

/// INCR key
fn incr(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    incr_by(ctx, &argv[1], 1)
}

/// DECR key
fn decr(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    incr_by(ctx, &argv[1], -1)
}

/// INCRBY key increment
fn incrby(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let n = int_arg(&argv[2])?;
    incr_by(ctx, &argv[1], n)
}

/// DECRBY key decrement
fn decrby(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let n = int_arg(&argv[2])?;
    if n == i64::MIN {
        return Err(CmdError::new("ERR decrement would overflow"));
    }
    incr_by(ctx, &argv[1], -n)
}

/// INCRBYFLOAT key increment
fn incrbyfloat(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    // Redis computes in C long double (x87 80-bit): see ld.rs.
    let current = read_string_entry(ctx, &argv[1])?;
    let text = crate::ld::incr_by_float(current.as_ref().map(|s| &s.bytes[..]), &argv[2])
        .map_err(CmdError::new)?
        .into_bytes();
    let now = ctx.now_ms;
    ctx.db().set_keep_ttl(
        &argv[1],
        Value::Str(StrValue::from_new_string(text.clone())),
        now,
    );
    ctx.dirty(1);
    ctx.notify(EventClass::String, "incrbyfloat", &argv[1]);
    Ok(Reply::Bulk(text))
}

// ---------------------------------------------------------------------------------------
// Ranges and lengths
// ---------------------------------------------------------------------------------------

/// APPEND key value
fn append(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let len = match read_string_entry(ctx, &argv[1])? {
        None => {
            ctx.db().set(
                &argv[1],
                Value::Str(StrValue::from_set(argv[2].clone())),
                now,
            );
            argv[2].len()
        }
        Some(s) => {
            let total = s.bytes.len() + argv[2].len();
            if total as i64 > max_bulk_len(ctx) {
                return Err(CmdError::new(error::STRING_TOO_LONG));
            }
            let mut bytes = s.bytes;
            bytes.extend_from_slice(&argv[2]);
            ctx.db()
                .set_keep_ttl(&argv[1], Value::Str(StrValue::raw(bytes)), now);
            total
        }
    };
    ctx.dirty(1);
    ctx.notify(EventClass::String, "append", &argv[1]);
    Ok(Reply::Integer(len as i64))
}

/// STRLEN key
fn strlen(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Integer(
        read_string(ctx, &argv[1])?
            .map(|v| v.len() as i64)
            .unwrap_or(0),
    ))
}

/// GETRANGE key start end (and SUBSTR)
fn getrange(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut start = int_arg(&argv[2])?;
    let mut end = int_arg(&argv[3])?;
    let Some(s) = read_string(ctx, &argv[1])? else {
        return Ok(Reply::Bulk(Vec::new()));
    };
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        return Ok(Reply::Bulk(Vec::new()));
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return Ok(Reply::Bulk(Vec::new()));
    }
    Ok(Reply::Bulk(s[start as usize..=end as usize].to_vec()))
}

/// SETRANGE key offset value
fn setrange(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let offset = int_arg(&argv[2])?;
    if offset < 0 {
        return Err(CmdError::new("ERR offset is out of range"));
    }
    let value = &argv[3];
    let now = ctx.now_ms;
    let current = read_string_entry(ctx, &argv[1])?;
    let old_len = current.as_ref().map(|s| s.bytes.len()).unwrap_or(0);
    if value.is_empty() {
        return Ok(Reply::Integer(old_len as i64));
    }
    let needed = offset
        .checked_add(value.len() as i64)
        .filter(|n| *n <= max_bulk_len(ctx));
    let Some(needed) = needed else {
        return Err(CmdError::new(error::STRING_TOO_LONG));
    };
    let mut bytes = current.map(|s| s.bytes).unwrap_or_default();
    if bytes.len() < needed as usize {
        bytes.resize(needed as usize, 0);
    }
    bytes[offset as usize..needed as usize].copy_from_slice(value);
    let len = bytes.len();
    ctx.db()
        .set_keep_ttl(&argv[1], Value::Str(StrValue::raw(bytes)), now);
    ctx.dirty(1);
    ctx.notify(EventClass::String, "setrange", &argv[1]);
    Ok(Reply::Integer(len as i64))
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
fn lcs(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let a = read_string(ctx, &argv[1]).map_err(|_| lcs_type_error())?;
    let b = read_string(ctx, &argv[2]).map_err(|_| lcs_type_error())?;
    let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
    let (mut get_len, mut get_idx, mut with_match_len, mut min_match_len) =
        (false, false, false, 0i64);
    let mut j = 3;
    while j < argv.len() {
        let opt = &argv[j];
        let more = j + 1 < argv.len();
        if is(opt, "idx") {
            get_idx = true;
        } else if is(opt, "len") {
            get_len = true;
        } else if is(opt, "withmatchlen") {
            with_match_len = true;
        } else if is(opt, "minmatchlen") && more {
            min_match_len = int_arg(&argv[j + 1])?.max(0);
            j += 1;
        } else {
            return Err(error::syntax());
        }
        j += 1;
    }
    if get_idx && get_len {
        return Err(CmdError::new(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    let table_bytes = (a.len() as u128 + 1) * (b.len() as u128 + 1) * 4;
    if table_bytes > max_bulk_len(ctx) as u128 {
        return Err(CmdError::new(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    // The classic dynamic programme: cell (i, j) holds the LCS length of a[..i], b[..j].
    let width = b.len() + 1;
    let mut t = vec![0u32; (a.len() + 1) * width];
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            t[i * width + j] = if a[i - 1] == b[j - 1] {
                t[(i - 1) * width + j - 1] + 1
            } else {
                t[(i - 1) * width + j].max(t[i * width + j - 1])
            };
        }
    }
    let total = t[a.len() * width + b.len()];
    if get_len {
        return Ok(Reply::Integer(total as i64));
    }
    // Walk back from the end, collecting the common subsequence and, for IDX, the
    // matching ranges from last to first (the order Redis reports them in).
    let mut result = vec![0u8; total as usize];
    let mut idx = total as usize;
    let mut matches = Vec::new();
    let (mut i, mut j) = (a.len(), b.len());
    let mut range: Option<(usize, usize, usize, usize)> = None; // a_start, a_end, b_start, b_end
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[idx - 1] = a[i - 1];
            match &mut range {
                None => range = Some((i - 1, i - 1, j - 1, j - 1)),
                Some(r) => {
                    if r.0 == i && r.2 == j {
                        r.0 -= 1;
                        r.2 -= 1;
                    } else {
                        emit = true;
                    }
                }
            }
            if let Some(r) = &range {
                if r.0 == 0 || r.2 == 0 {
                    emit = true;
                }
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if t[(i - 1) * width + j] > t[i * width + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if range.is_some() {
                emit = true;
            }
        }
        if emit {
            if let Some((a0, a1, b0, b1)) = range.take() {
                let match_len = (a1 - a0 + 1) as i64;
                if min_match_len == 0 || match_len >= min_match_len {
                    let mut m = vec![
                        Reply::Array(vec![Reply::Integer(a0 as i64), Reply::Integer(a1 as i64)]),
                        Reply::Array(vec![Reply::Integer(b0 as i64), Reply::Integer(b1 as i64)]),
                    ];
                    if with_match_len {
                        m.push(Reply::Integer(match_len));
                    }
                    matches.push(Reply::Array(m));
                }
            }
        }
    }
    if get_idx {
        return Ok(Reply::Map(vec![
            (Reply::bulk_str("matches"), Reply::Array(matches)),
            (Reply::bulk_str("len"), Reply::Integer(total as i64)),
        ]));
    }
    Ok(Reply::Bulk(result))
}

fn lcs_type_error() -> CmdError {
    CmdError::new("ERR The specified keys must contain string values")
}
