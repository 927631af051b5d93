//! Hashes: the command table entries and their handlers. Behaviour, error texts and
//! their precedence follow Redis 7.0's t_hash.c (and db.c's scanGenericCommand for
//! HSCAN): the encoding rules live in `types/hash.rs`.

use std::collections::HashSet;

use crate::args::{int_arg, is, parse_i64};
use crate::engine::Ctx;
use crate::error::{self, CmdError, CmdResult};
use crate::notify::EventClass;
use crate::reply::{Protocol, Reply};
use crate::table::{flag::*, CommandSpec};
use crate::types::hash::HashValue;
use crate::value::Value;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "hset",
        arity: -4,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "hash", "fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Set the string value of a hash field",
        complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
        syntax: "key field value [field value ...]",
        handler: Some(hset),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hsetnx",
        arity: 4,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "hash", "fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Set the value of a hash field, only if the field does not exist",
        syntax: "key field value",
        handler: Some(hsetnx),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hget",
        arity: 3,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "hash", "fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Get the value of a hash field",
        syntax: "key field",
        handler: Some(hget),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hmget",
        arity: -3,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "hash", "fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Get the values of all the given hash fields",
        complexity: "O(N) where N is the number of fields being requested.",
        syntax: "key field [field ...]",
        handler: Some(hmget),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hmset",
        arity: -4,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "hash", "fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Set multiple hash fields to multiple values",
        complexity: "O(N) where N is the number of fields being set.",
        syntax: "key field value [field value ...]",
        handler: Some(hset),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hgetall",
        arity: 2,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "hash", "slow"],
        group: "hash",
        since: "2.0.0",
        summary: "Get all the fields and values in a hash",
        complexity: "O(N) where N is the size of the hash.",
        syntax: "key",
        handler: Some(hgetall),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hdel",
        arity: -3,
        flags: WRITE | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "hash", "fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Delete one or more hash fields",
        complexity: "O(N) where N is the number of fields to be removed.",
        syntax: "key field [field ...]",
        handler: Some(hdel),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hexists",
        arity: 3,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "hash", "fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Determine if a hash field exists",
        syntax: "key field",
        handler: Some(hexists),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hlen",
        arity: 2,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "hash", "fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Get the number of fields in a hash",
        syntax: "key",
        handler: Some(hlen),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hstrlen",
        arity: 3,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "hash", "fast"],
        group: "hash",
        since: "3.2.0",
        summary: "Get the length of the value of a hash field",
        syntax: "key field",
        handler: Some(hstrlen),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hkeys",
        arity: 2,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "hash", "slow"],
        group: "hash",
        since: "2.0.0",
        summary: "Get all the fields in a hash",
        complexity: "O(N) where N is the size of the hash.",
        syntax: "key",
        handler: Some(hkeys),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hvals",
        arity: 2,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "hash", "slow"],
        group: "hash",
        since: "2.0.0",
        summary: "Get all the values in a hash",
        complexity: "O(N) where N is the size of the hash.",
        syntax: "key",
        handler: Some(hvals),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hincrby",
        arity: 4,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "hash", "fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Increment the integer value of a hash field by the given number",
        syntax: "key field increment",
        handler: Some(hincrby),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hincrbyfloat",
        arity: 4,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "hash", "fast"],
        group: "hash",
        since: "2.6.0",
        summary: "Increment the float value of a hash field by the given amount",
        syntax: "key field increment",
        handler: Some(hincrbyfloat),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hrandfield",
        arity: -2,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "hash", "slow"],
        group: "hash",
        since: "6.2.0",
        summary: "Get one or multiple random fields from a hash",
        complexity: "O(N) where N is the number of fields returned",
        syntax: "key [count [WITHVALUES]]",
        handler: Some(hrandfield),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hscan",
        arity: -3,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "hash", "slow"],
        group: "hash",
        since: "2.8.0",
        summary: "Incrementally iterate hash fields and associated values",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        syntax: "key cursor [MATCH pattern] [COUNT count]",
        handler: Some(hscan),
        ..CommandSpec::BASE
    },
];

// ---------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------

/// HRANDFIELD copies the hash and removes fields when count * this exceeds the size.
const HRANDFIELD_SUB_STRATEGY_MUL: u64 = 3;

/// The two `hash-max-listpack-*` limits (entries, value length).
fn limits(ctx: &Ctx) -> (usize, usize) {
    let get = |name: &str| ctx.engine.config.int(name).clamp(0, i64::MAX) as usize;
    (
        get("hash-max-listpack-entries"),
        get("hash-max-listpack-value"),
    )
}

/// `lookupKeyRead` + `checkType`, then `f` on the hash: None if the key is missing,
/// WRONGTYPE if it holds something else. Counts a keyspace hit or miss.
fn read<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(&HashValue) -> R,
) -> Result<Option<R>, CmdError> {
    let now = ctx.now_ms;
    let out = match ctx.db().get(key, now) {
        None => None,
        Some(e) => match &e.value {
            Value::Hash(h) => Some(Ok(f(h))),
            _ => Some(Err(error::wrongtype())),
        },
    };
    ctx.hit_key(key, out.is_some());
    out.transpose()
}

/// Whether `key` holds a hash (false if missing), WRONGTYPE if it holds something else;
/// a write lookup: no hit/miss statistics, and the key is touched only by the update.
fn check_write(ctx: &mut Ctx, key: &[u8]) -> Result<bool, CmdError> {
    let now = ctx.now_ms;
    match ctx
        .db()
        .peek(key, now)
        .map(|e| matches!(e.value, Value::Hash(_)))
    {
        None => Ok(false),
        Some(true) => Ok(true),
        Some(false) => {
            ctx.db().get(key, now); // lookupKeyWrite touched it before checkType failed
            Err(error::wrongtype())
        }
    }
}

/// `hashTypeLookupWriteOrCreate` then `f`: runs `f` on the hash at `key`, or on a new
/// empty one stored only if `f` leaves it non-empty. The database's `update` keeps the
/// memory accounting exact and deletes a hash `f` emptied.
fn write<R>(ctx: &mut Ctx, key: &[u8], f: impl FnOnce(&mut HashValue) -> R) -> Result<R, CmdError> {
    let now = ctx.now_ms;
    if check_write(ctx, key)? {
        let out = ctx.db().update(key, now, |v| match v {
            Value::Hash(h) => Some(f(h)),
            _ => None,
        });
        return out.flatten().ok_or_else(error::wrongtype);
    }
    let mut h = HashValue::new();
    let out = f(&mut h);
    if !h.is_empty() {
        ctx.db().set(key, Value::Hash(h), now);
    }
    Ok(out)
}

/// Like `write` for commands that never create the key (HDEL): None if it is missing.
fn update_existing<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(&mut HashValue) -> R,
) -> Result<Option<R>, CmdError> {
    let now = ctx.now_ms;
    if !check_write(ctx, key)? {
        return Ok(None);
    }
    Ok(ctx
        .db()
        .update(key, now, |v| match v {
            Value::Hash(h) => Some(f(h)),
            _ => None,
        })
        .flatten())
}

fn bulk_or_nil(v: Option<&[u8]>) -> Reply {
    v.map(Reply::bulk).unwrap_or(Reply::Nil)
}

/// `getRangeLongFromObjectOrReply` without a custom message.
fn range_arg(arg: &[u8], min: i64, max: i64) -> Result<i64, CmdError> {
    let n = parse_i64(arg).ok_or_else(error::not_integer)?;
    if n < min || n > max {
        return Err(CmdError(format!(
            "ERR value is out of range, value must between {min} and {max}"
        )));
    }
    Ok(n)
}

// ---------------------------------------------------------------------------------------
// HSET, HMSET, HSETNX
// ---------------------------------------------------------------------------------------

/// HSET key field value [field value ...] (and HMSET, which replies OK)
fn hset(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() % 2 == 1 {
        return Err(error::wrong_arity(ctx.spec.name));
    }
    let (max_entries, max_value) = limits(ctx);
    let created = write(ctx, &argv[1], |h| {
        h.convert_for(argv[2..].iter().map(|a| a.as_slice()), max_value);
        argv[2..]
            .chunks(2)
            .filter(|p| h.insert(&p[0], p[1].clone(), max_entries, max_value))
            .count()
    })?;
    ctx.dirty((argv.len() as u64 - 2) / 2);
    ctx.replied();
    ctx.notify(EventClass::Hash, "hset", &argv[1]);
    // HMSET (deprecated) replies OK: Redis tells them apart by the name's second letter.
    if argv[0]
        .get(1)
        .is_some_and(|c| c.eq_ignore_ascii_case(&b's'))
    {
        Ok(Reply::Integer(created as i64))
    } else {
        Ok(Reply::ok())
    }
}

/// HSETNX key field value
fn hsetnx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (max_entries, max_value) = limits(ctx);
    let set = write(ctx, &argv[1], |h| {
        if h.contains(&argv[2]) {
            return false;
        }
        h.convert_for([&argv[2][..], &argv[3][..]], max_value);
        h.insert(&argv[2], argv[3].clone(), max_entries, max_value)
    })?;
    if set {
        ctx.dirty(1);
        ctx.replied();
        ctx.notify(EventClass::Hash, "hset", &argv[1]);
    }
    Ok(Reply::Integer(set as i64))
}

// ---------------------------------------------------------------------------------------
// Reads of single fields
// ---------------------------------------------------------------------------------------

/// HGET key field
fn hget(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(read(ctx, &argv[1], |h| bulk_or_nil(h.get(&argv[2])))?.unwrap_or(Reply::Nil))
}

/// HMGET key field [field ...]: a missing key is an empty hash (all nils).
fn hmget(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let fields = &argv[2..];
    let found = read(ctx, &argv[1], |h| {
        Reply::Array(fields.iter().map(|f| bulk_or_nil(h.get(f))).collect())
    })?;
    Ok(found.unwrap_or_else(|| Reply::Array(vec![Reply::Nil; fields.len()])))
}

/// HEXISTS key field
fn hexists(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Integer(
        read(ctx, &argv[1], |h| h.contains(&argv[2]) as i64)?.unwrap_or(0),
    ))
}

/// HLEN key
fn hlen(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Integer(
        read(ctx, &argv[1], |h| h.len() as i64)?.unwrap_or(0),
    ))
}

/// HSTRLEN key field: 0 for a missing key or field.
fn hstrlen(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Integer(
        read(ctx, &argv[1], |h| {
            h.get(&argv[2]).map_or(0, |v| v.len() as i64)
        })?
        .unwrap_or(0),
    ))
}

// ---------------------------------------------------------------------------------------
// HDEL
// ---------------------------------------------------------------------------------------

/// HDEL key field [field ...]: the key goes when its last field does.
fn hdel(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let deleted = update_existing(ctx, &argv[1], |h| {
        let mut n = 0;
        for f in &argv[2..] {
            if h.remove(f) {
                n += 1;
                if h.is_empty() {
                    break;
                }
            }
        }
        n
    })?
    .unwrap_or(0);
    ctx.dirty(deleted as u64);
    if deleted > 0 {
        ctx.notify(EventClass::Hash, "hdel", &argv[1]);
        if ctx.db().entry(&argv[1]).is_none() {
            ctx.notify(EventClass::Generic, "del", &argv[1]);
        }
    }
    Ok(Reply::Integer(deleted))
}

// ---------------------------------------------------------------------------------------
// HGETALL, HKEYS, HVALS
// ---------------------------------------------------------------------------------------

/// HGETALL key: a map (a flat array in RESP2), in the encoding's order.
fn hgetall(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let map = read(ctx, &argv[1], |h| {
        h.iter()
            .map(|(f, v)| (Reply::bulk(f), Reply::bulk(v)))
            .collect()
    })?;
    Ok(Reply::Map(map.unwrap_or_default()))
}

/// HKEYS key
fn hkeys(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Array(
        read(ctx, &argv[1], |h| {
            h.iter().map(|(f, _)| Reply::bulk(f)).collect()
        })?
        .unwrap_or_default(),
    ))
}

/// HVALS key
fn hvals(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Array(
        read(ctx, &argv[1], |h| {
            h.iter().map(|(_, v)| Reply::bulk(v)).collect()
        })?
        .unwrap_or_default(),
    ))
}

// ---------------------------------------------------------------------------------------
// HINCRBY, HINCRBYFLOAT
// ---------------------------------------------------------------------------------------

/// HINCRBY key field increment
fn hincrby(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let incr = int_arg(&argv[3])?;
    let (max_entries, max_value) = limits(ctx);
    let value = write(ctx, &argv[1], |h| {
        let old = match h.get(&argv[2]) {
            None => 0,
            Some(v) => {
                parse_i64(v).ok_or_else(|| CmdError::new("ERR hash value is not an integer"))?
            }
        };
        let new = old
            .checked_add(incr)
            .ok_or_else(|| CmdError::new(error::OVERFLOW))?;
        h.insert(
            &argv[2],
            new.to_string().into_bytes(),
            max_entries,
            max_value,
        );
        Ok::<i64, CmdError>(new)
    })??;
    ctx.dirty(1);
    ctx.replied();
    ctx.notify(EventClass::Hash, "hincrby", &argv[1]);
    Ok(Reply::Integer(value))
}

/// HINCRBYFLOAT key field increment: computed in x87 long double like INCRBYFLOAT.
fn hincrbyfloat(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    use crate::ld::Ld;
    let incr = crate::ld::parse(&argv[3]).ok_or_else(error::not_float)?;
    if !matches!(incr, Ld::Finite { .. }) {
        return Err(CmdError::new("ERR value is NaN or Infinity"));
    }
    let (max_entries, max_value) = limits(ctx);
    let text = write(ctx, &argv[1], |h| {
        let old = match h.get(&argv[2]) {
            None => Ld::Finite {
                neg: false,
                mant: 0,
                exp: 0,
            },
            Some(v) => {
                crate::ld::parse(v).ok_or_else(|| CmdError::new("ERR hash value is not a float"))?
            }
        };
        let text = match crate::ld::add(old, incr) {
            Some(v @ Ld::Finite { .. }) => crate::ld::to_human_string(v).into_bytes(),
            _ => return Err(CmdError::new("ERR increment would produce NaN or Infinity")),
        };
        h.insert(&argv[2], text.clone(), max_entries, max_value);
        Ok(text)
    })??;
    ctx.dirty(1);
    ctx.replied();
    ctx.notify(EventClass::Hash, "hincrbyfloat", &argv[1]);
    Ok(Reply::Bulk(text))
}

// ---------------------------------------------------------------------------------------
// HRANDFIELD
// ---------------------------------------------------------------------------------------

/// HRANDFIELD key [count [WITHVALUES]]
fn hrandfield(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() >= 3 {
        let l = range_arg(&argv[2], -i64::MAX, i64::MAX)?;
        if argv.len() > 4 || (argv.len() == 4 && !is(&argv[3], "withvalues")) {
            return Err(error::syntax());
        }
        let withvalues = argv.len() == 4;
        if withvalues && !(-i64::MAX / 2..=i64::MAX / 2).contains(&l) {
            return Err(CmdError::new("ERR value is out of range"));
        }
        return hrandfield_with_count(ctx, &argv[1], l, withvalues);
    }
    let key = &argv[1];
    if read(ctx, key, |_| ())?.is_none() {
        return Ok(Reply::Nil);
    }
    let idx = ctx.db_index();
    let engine = &mut *ctx.engine;
    let field = match engine.dbs[idx].entry(key).map(|e| &e.value) {
        Some(Value::Hash(h)) => h.random_pair(&mut engine.rng).map(|(f, _)| f.to_vec()),
        _ => None,
    };
    Ok(field.map(Reply::Bulk).unwrap_or(Reply::Nil))
}

/// HRANDFIELD key count [WITHVALUES], with Redis's four cases: repetitions allowed
/// (negative count, or 1), the whole hash (count >= size), a copy minus random fields
/// (count not much smaller than size), random distinct picks (big hash).
fn hrandfield_with_count(ctx: &mut Ctx, key: &[u8], l: i64, withvalues: bool) -> CmdResult {
    let (count, uniq) = (l.unsigned_abs(), l >= 0);
    if read(ctx, key, |_| ())?.is_none() || count == 0 {
        return Ok(Reply::Array(Vec::new()));
    }
    let proto = ctx.protocol();
    let idx = ctx.db_index();
    let engine = &mut *ctx.engine;
    let rng = &mut engine.rng;
    let Some(Value::Hash(h)) = engine.dbs[idx].entry(key).map(|e| &e.value) else {
        return Ok(Reply::Array(Vec::new()));
    };
    let size = h.len() as u64;
    let mut out = Vec::new();
    let push = |out: &mut Vec<Reply>, (f, v): (&[u8], &[u8])| {
        if !withvalues {
            out.push(Reply::bulk(f));
        } else if proto == Protocol::Resp3 {
            out.push(Reply::Array(vec![Reply::bulk(f), Reply::bulk(v)]));
        } else {
            out.push(Reply::bulk(f));
            out.push(Reply::bulk(v));
        }
    };
    // CASE 1: with repetitions (or a single field): independent picks.
    if !uniq || count == 1 {
        if count > error::MAX_COUNTED_REPLY {
            return Err(error::reply_too_long(count));
        }
        for _ in 0..count {
            if let Some(p) = h.random_pair(rng) {
                push(&mut out, p);
            }
        }
        return Ok(Reply::Array(out));
    }
    // CASE 2: the whole hash, in its order.
    if count >= size {
        for p in h.iter() {
            push(&mut out, p);
        }
        return Ok(Reply::Array(out));
    }
    // CASE 3: the hash is not much bigger than count: copy it and drop random fields.
    if count * HRANDFIELD_SUB_STRATEGY_MUL > size {
        let mut pairs: Vec<Option<(&[u8], &[u8])>> = h.iter().map(Some).collect();
        let mut candidates: Vec<usize> = (0..pairs.len()).collect();
        while candidates.len() as u64 > count {
            let i = rng.below(candidates.len() as u64) as usize;
            pairs[candidates.swap_remove(i)] = None;
        }
        for p in pairs.into_iter().flatten() {
            push(&mut out, p);
        }
        return Ok(Reply::Array(out));
    }
    // CASE 4: a big hash. A listpack is sampled in one pass, in its order
    // (lpRandomPairsUnique); a hashtable is picked from until enough distinct fields came.
    if h.is_listpack() {
        let mut needed = count;
        for i in 0..h.len() {
            let left = (h.len() - i) as u64;
            if rng.below(left) < needed {
                if let Some(p) = h.pair_at(i) {
                    push(&mut out, p);
                }
                needed -= 1;
                if needed == 0 {
                    break;
                }
            }
        }
        return Ok(Reply::Array(out));
    }
    let mut seen: HashSet<&[u8]> = HashSet::new();
    while (seen.len() as u64) < count {
        let Some(p) = h.random_pair(rng) else { break };
        if seen.insert(p.0) {
            push(&mut out, p);
        }
    }
    Ok(Reply::Array(out))
}

// ---------------------------------------------------------------------------------------
// HSCAN
// ---------------------------------------------------------------------------------------

/// HSCAN key cursor [MATCH pattern] [COUNT count]. The cursor is checked first, then
/// the key (a missing one answers an empty scan before the options are read), then the
/// options. A listpack answers everything at once with cursor 0, like Redis.
fn hscan(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let cursor = crate::cmd::keys::parse_cursor(&argv[2])?;
    let empty = || Reply::Array(vec![Reply::bulk_str("0"), Reply::Array(Vec::new())]);
    if read(ctx, &argv[1], |_| ())?.is_none() {
        return Ok(empty());
    }
    let o = crate::cmd::keys::parse_scan_options(argv, 3, false)?;
    let now = ctx.now_ms;
    let Some(Value::Hash(h)) = ctx.db().peek(&argv[1], now).map(|e| &e.value) else {
        return Ok(empty());
    };
    let (next, pairs) = h.scan(cursor, o.count);
    let mut items = Vec::with_capacity(pairs.len() * 2);
    for (f, v) in pairs {
        if o.matches(f) {
            items.push(Reply::bulk(f));
            items.push(Reply::bulk(v));
        }
    }
    Ok(Reply::Array(vec![
        Reply::Bulk(next.to_string().into_bytes()),
        Reply::Array(items),
    ]))
}
