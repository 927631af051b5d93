//! Set commands: SADD and its family, random picks (SPOP, SRANDMEMBER), the algebra
//! (SINTER, SUNION, SDIFF and their STORE forms, SINTERCARD), and SSCAN.
//!
//! Behaviour follows Redis 7.0's t_set.c: which key is looked up first (and so which
//! error wins), which reply is a RESP3 set and which an array, and which encoding a
//! computed set gets (built like Redis builds it: an intset first, converted when a
//! non-integer arrives or it outgrows `set-max-intset-entries`).

use std::collections::HashSet;

use crate::args::{is, parse_i64};
use crate::cmd::keys::parse_cursor;
use crate::db::Db;
use crate::engine::Ctx;
use crate::error::{self, CmdError, CmdResult};
use crate::notify::EventClass;
use crate::reply::Reply;
use crate::table::{flag::*, CommandSpec};
use crate::types::set::SetValue;
use crate::value::Value;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "sadd",
        arity: -3,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "set", "fast"],
        group: "set",
        since: "1.0.0",
        summary: "Add one or more members to a set",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        syntax: "key member [member ...]",
        handler: Some(sadd),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "srem",
        arity: -3,
        flags: WRITE | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "set", "fast"],
        group: "set",
        since: "1.0.0",
        summary: "Remove one or more members from a set",
        complexity: "O(N) where N is the number of members to be removed.",
        syntax: "key member [member ...]",
        handler: Some(srem),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "smembers",
        arity: 2,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "set", "slow"],
        group: "set",
        since: "1.0.0",
        summary: "Get all the members in a set",
        complexity: "O(N) where N is the set cardinality.",
        syntax: "key",
        handler: Some(smembers),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sismember",
        arity: 3,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "set", "fast"],
        group: "set",
        since: "1.0.0",
        summary: "Determine if a given value is a member of a set",
        syntax: "key member",
        handler: Some(sismember),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "smismember",
        arity: -3,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "set", "fast"],
        group: "set",
        since: "6.2.0",
        summary: "Returns the membership associated with the given elements for a set",
        complexity: "O(N) where N is the number of elements being checked for membership",
        syntax: "key member [member ...]",
        handler: Some(smismember),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "scard",
        arity: 2,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "set", "fast"],
        group: "set",
        since: "1.0.0",
        summary: "Get the number of members in a set",
        syntax: "key",
        handler: Some(scard),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "spop",
        arity: -2,
        flags: WRITE | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "set", "fast"],
        group: "set",
        since: "1.0.0",
        summary: "Remove and return one or multiple random members from a set",
        complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
        syntax: "key [count]",
        handler: Some(spop),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "srandmember",
        arity: -2,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "set", "slow"],
        group: "set",
        since: "1.0.0",
        summary: "Get one or multiple random members from a set",
        complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
        syntax: "key [count]",
        handler: Some(srandmember),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "smove",
        arity: 4,
        flags: WRITE | FAST,
        first_key: 1,
        last_key: 2,
        step: 1,
        acl: &["write", "set", "fast"],
        group: "set",
        since: "1.0.0",
        summary: "Move a member from one set to another",
        syntax: "source destination member",
        handler: Some(smove),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sinter",
        arity: -2,
        flags: READONLY,
        first_key: 1,
        last_key: -1,
        step: 1,
        acl: &["read", "set", "slow"],
        group: "set",
        since: "1.0.0",
        summary: "Intersect multiple sets",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        syntax: "key [key ...]",
        handler: Some(sinter),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sintercard",
        arity: -3,
        flags: READONLY | MOVABLEKEYS,
        acl: &["read", "set", "slow"],
        group: "set",
        since: "7.0.0",
        summary: "Intersect multiple sets and return the cardinality of the result",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        syntax: "numkeys key [key ...] [LIMIT limit]",
        handler: Some(sintercard),
        key_finder: Some(crate::table::numkeys_keys::<1>),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sinterstore",
        arity: -3,
        flags: WRITE | DENYOOM,
        first_key: 1,
        last_key: -1,
        step: 1,
        acl: &["write", "set", "slow"],
        group: "set",
        since: "1.0.0",
        summary: "Intersect multiple sets and store the resulting set in a key",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        syntax: "destination key [key ...]",
        handler: Some(sinterstore),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sunion",
        arity: -2,
        flags: READONLY,
        first_key: 1,
        last_key: -1,
        step: 1,
        acl: &["read", "set", "slow"],
        group: "set",
        since: "1.0.0",
        summary: "Add multiple sets",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        syntax: "key [key ...]",
        handler: Some(sunion),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sunionstore",
        arity: -3,
        flags: WRITE | DENYOOM,
        first_key: 1,
        last_key: -1,
        step: 1,
        acl: &["write", "set", "slow"],
        group: "set",
        since: "1.0.0",
        summary: "Add multiple sets and store the resulting set in a key",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        syntax: "destination key [key ...]",
        handler: Some(sunionstore),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sdiff",
        arity: -2,
        flags: READONLY,
        first_key: 1,
        last_key: -1,
        step: 1,
        acl: &["read", "set", "slow"],
        group: "set",
        since: "1.0.0",
        summary: "Subtract multiple sets",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        syntax: "key [key ...]",
        handler: Some(sdiff),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sdiffstore",
        arity: -3,
        flags: WRITE | DENYOOM,
        first_key: 1,
        last_key: -1,
        step: 1,
        acl: &["write", "set", "slow"],
        group: "set",
        since: "1.0.0",
        summary: "Subtract multiple sets and store the resulting set in a key",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        syntax: "destination key [key ...]",
        handler: Some(sdiffstore),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sscan",
        arity: -3,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "set", "slow"],
        group: "set",
        since: "2.8.0",
        summary: "Incrementally iterate Set elements",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        syntax: "key cursor [MATCH pattern] [COUNT count]",
        handler: Some(sscan),
        ..CommandSpec::BASE
    },
];

// ---------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------

/// `set-max-intset-entries` (Redis caps it at 2^30).
fn max_intset(ctx: &Ctx) -> usize {
    ctx.engine
        .config
        .int("set-max-intset-entries")
        .clamp(0, 1 << 30) as usize
}

/// The set stored at `key` in `db`, if it holds one (no expiry check, no access time:
/// for reading after a lookup that did both).
fn set_at<'a>(db: &'a Db, key: &[u8]) -> Option<&'a SetValue> {
    match db.entry(key).map(|e| &e.value) {
        Some(Value::Set(s)) => Some(s),
        _ => None,
    }
}

/// Redis's `lookupKeyRead` + `checkType`: true if `key` holds a set, false if it is
/// missing, WRONGTYPE if it holds something else. Counts a keyspace hit or miss and
/// marks the key accessed.
fn lookup_read(ctx: &mut Ctx, key: &[u8]) -> Result<bool, CmdError> {
    let now = ctx.now_ms;
    let found = ctx
        .db()
        .get(key, now)
        .map(|e| matches!(e.value, Value::Set(_)));
    ctx.hit_key(key, found.is_some());
    match found {
        None => Ok(false),
        Some(true) => Ok(true),
        Some(false) => Err(error::wrongtype()),
    }
}

/// Redis's `lookupKeyWrite` + `checkType`: like `lookup_read` without the keyspace
/// statistics. The access time is marked by the `Db::update` that follows.
fn lookup_write(ctx: &mut Ctx, key: &[u8]) -> Result<bool, CmdError> {
    let now = ctx.now_ms;
    match ctx
        .db()
        .peek(key, now)
        .map(|e| matches!(e.value, Value::Set(_)))
    {
        None => Ok(false),
        Some(true) => Ok(true),
        Some(false) => Err(error::wrongtype()),
    }
}

/// Changes the set at `key` in place (it must hold one); deletes the key if `f` empties
/// it. Returns what `f` returns (its default if the key is not a set).
fn update_set<R: Default>(ctx: &mut Ctx, key: &[u8], f: impl FnOnce(&mut SetValue) -> R) -> R {
    let now = ctx.now_ms;
    ctx.db()
        .update(key, now, |v| match v {
            Value::Set(s) => f(s),
            _ => R::default(),
        })
        .unwrap_or_default()
}

/// Members as a RESP3 set reply (an array in RESP2).
fn set_reply(members: impl IntoIterator<Item = Vec<u8>>) -> Reply {
    Reply::Set(members.into_iter().map(Reply::Bulk).collect())
}

/// Stores `result` at `dst` for the STORE commands (Redis's `setKey`: any old value and
/// its TTL go), or deletes `dst` when the result is empty. Replies with the size.
fn store_result(ctx: &mut Ctx, dst: &[u8], result: SetValue, event: &'static str) -> Reply {
    let now = ctx.now_ms;
    let n = result.len();
    if n > 0 {
        ctx.db().set(dst, Value::Set(result), now);
        ctx.dirty(1);
        ctx.replied();
        ctx.notify(EventClass::Set, event, dst);
    } else if ctx.db().remove(dst).is_some() {
        ctx.dirty(1);
        ctx.notify(EventClass::Generic, "del", dst);
    }
    Reply::Integer(n as i64)
}

/// Redis's `getRangeLongFromObjectOrReply`: an integer in `min..=max`, else `msg` (for
/// both a non-integer and an out-of-range value) or Redis's default texts.
fn range_arg(arg: &[u8], min: i64, max: i64, msg: Option<&str>) -> Result<i64, CmdError> {
    let fail = |default: String| CmdError::new(msg.map(|m| format!("ERR {m}")).unwrap_or(default));
    let n = parse_i64(arg).ok_or_else(|| fail(error::NOT_INTEGER.to_string()))?;
    if n < min || n > max {
        return Err(fail(format!(
            "ERR value is out of range, value must between {min} and {max}"
        )));
    }
    Ok(n)
}

/// Redis's `getPositiveLongFromObjectOrReply`: its message (given or default) is the
/// reply to a non-integer too.
fn positive_arg(arg: &[u8], msg: Option<&str>) -> Result<i64, CmdError> {
    range_arg(
        arg,
        0,
        i64::MAX,
        Some(msg.unwrap_or("value is out of range, must be positive")),
    )
}

// ---------------------------------------------------------------------------------------
// SADD, SREM, membership, SCARD, SMOVE
// ---------------------------------------------------------------------------------------

/// SADD key member [member ...]
fn sadd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let key = &argv[1];
    let max = max_intset(ctx);
    let added = if lookup_write(ctx, key)? {
        update_set(ctx, key, |s| {
            argv[2..].iter().filter(|m| s.insert(m, max)).count()
        })
    } else {
        // setTypeCreate: the first member decides intset or hashtable, then setTypeAdd.
        let mut s = SetValue::new();
        let n = argv[2..].iter().filter(|m| s.insert(m, max)).count();
        let now = ctx.now_ms;
        ctx.db().set(key, Value::Set(s), now);
        n
    };
    ctx.dirty(added as u64);
    if added > 0 {
        ctx.notify(EventClass::Set, "sadd", key);
    }
    Ok(Reply::Integer(added as i64))
}

/// SREM key member [member ...]
fn srem(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let key = &argv[1];
    if !lookup_write(ctx, key)? {
        return Ok(Reply::Integer(0));
    }
    let removed = update_set(ctx, key, |s| {
        let mut n = 0;
        for m in &argv[2..] {
            if s.remove(m) {
                n += 1;
                if s.is_empty() {
                    break;
                }
            }
        }
        n
    });
    ctx.dirty(removed as u64);
    if removed > 0 {
        ctx.notify(EventClass::Set, "srem", key);
        if ctx.db().entry(key).is_none() {
            ctx.notify(EventClass::Generic, "del", key);
        }
    }
    Ok(Reply::Integer(removed))
}

/// SMEMBERS key (Redis runs it as a one-key SINTER: a set reply, empty if missing)
fn smembers(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    sinter_generic(ctx, &argv[1..2], Inter::Reply)
}

/// SISMEMBER key member
fn sismember(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if !lookup_read(ctx, &argv[1])? {
        return Ok(Reply::Integer(0));
    }
    let found = set_at(ctx.db(), &argv[1]).is_some_and(|s| s.contains(&argv[2]));
    Ok(Reply::Integer(found as i64))
}

/// SMISMEMBER key member [member ...] (a missing key is an empty set: all zeros)
fn smismember(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let exists = lookup_read(ctx, &argv[1])?;
    let db = ctx.db();
    let set = if exists { set_at(db, &argv[1]) } else { None };
    Ok(Reply::Array(
        argv[2..]
            .iter()
            .map(|m| Reply::Integer(set.is_some_and(|s| s.contains(m)) as i64))
            .collect(),
    ))
}

/// SCARD key
fn scard(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if !lookup_read(ctx, &argv[1])? {
        return Ok(Reply::Integer(0));
    }
    Ok(Reply::Integer(
        set_at(ctx.db(), &argv[1]).map_or(0, |s| s.len()) as i64,
    ))
}

/// SMOVE source destination member
fn smove(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (src, dst, member) = (&argv[1], &argv[2], &argv[3]);
    // Both are looked up before anything is checked: a missing source wins over a
    // destination of the wrong type.
    let now = ctx.now_ms;
    let src_type = ctx
        .db()
        .peek(src, now)
        .map(|e| matches!(e.value, Value::Set(_)));
    let dst_type = ctx
        .db()
        .peek(dst, now)
        .map(|e| matches!(e.value, Value::Set(_)));
    match (src_type, dst_type) {
        (None, _) => return Ok(Reply::Integer(0)),
        (Some(false), _) | (_, Some(false)) => return Err(error::wrongtype()),
        _ => {}
    }
    if src == dst {
        let found = ctx
            .db()
            .get(src, now)
            .is_some_and(|e| matches!(&e.value, Value::Set(s) if s.contains(member)));
        return Ok(Reply::Integer(found as i64));
    }
    if !update_set(ctx, src, |s| s.remove(member)) {
        return Ok(Reply::Integer(0));
    }
    ctx.dirty(1);
    ctx.notify(EventClass::Set, "srem", src);
    if ctx.db().entry(src).is_none() {
        ctx.notify(EventClass::Generic, "del", src);
    }
    let max = max_intset(ctx);
    let added = if dst_type.is_some() {
        update_set(ctx, dst, |s| s.insert(member, max))
    } else {
        let mut s = SetValue::new();
        s.insert(member, max);
        ctx.db().set(dst, Value::Set(s), now);
        true
    };
    if added {
        ctx.dirty(1);
        ctx.notify(EventClass::Set, "sadd", dst);
    }
    Ok(Reply::Integer(1))
}

// ---------------------------------------------------------------------------------------
// SPOP, SRANDMEMBER
// ---------------------------------------------------------------------------------------

/// SPOP's "create a new set" strategy applies when the members left are fewer than
/// count / SPOP_MOVE_STRATEGY_MUL.
const SPOP_MOVE_STRATEGY_MUL: u64 = 5;
/// SRANDMEMBER copies the set and removes members when count * this exceeds the size.
const SRANDMEMBER_SUB_STRATEGY_MUL: u64 = 3;

/// SPOP key [count]
fn spop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() == 3 {
        return spop_with_count(ctx, argv);
    }
    if argv.len() > 3 {
        return Err(error::syntax());
    }
    let key = &argv[1];
    if !lookup_write(ctx, key)? {
        return Ok(Reply::Nil);
    }
    let idx = ctx.db_index();
    let now = ctx.now_ms;
    let engine = &mut *ctx.engine;
    let rng = &mut engine.rng;
    let popped = engine.dbs[idx]
        .update(key, now, |v| match v {
            Value::Set(s) => s.pop_random(rng),
            _ => None,
        })
        .flatten();
    ctx.dirty(1);
    ctx.notify(EventClass::Set, "spop", key);
    ctx.replied();
    if ctx.db().entry(key).is_none() {
        ctx.notify(EventClass::Generic, "del", key);
    }
    Ok(popped.map(Reply::Bulk).unwrap_or(Reply::Nil))
}

/// SPOP key count: Redis's three strategies, which decide the reply's order and the
/// encoding of what is left.
fn spop_with_count(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let count = positive_arg(&argv[2], None)? as u64;
    let key = &argv[1];
    if !lookup_write(ctx, key)? || count == 0 {
        return Ok(Reply::Set(Vec::new()));
    }
    let max = max_intset(ctx);
    let idx = ctx.db_index();
    let now = ctx.now_ms;
    let size = set_at(&ctx.engine.dbs[idx], key).map_or(0, |s| s.len()) as u64;
    ctx.dirty(count.min(size));
    ctx.notify(EventClass::Set, "spop", key);
    ctx.replied();
    if count >= size {
        // CASE 1: the whole set, as SUNION of the one key would reply it; the key goes.
        let all = set_at(&ctx.engine.dbs[idx], key)
            .map(|s| union_of(&[Some(s)], max))
            .unwrap_or_default();
        ctx.engine.dbs[idx].remove(key);
        ctx.notify(EventClass::Generic, "del", key);
        return Ok(set_reply(all.iter()));
    }
    let engine = &mut *ctx.engine;
    let rng = &mut engine.rng;
    let remaining = size - count;
    let popped = engine.dbs[idx].update(key, now, |v| {
        let Value::Set(s) = v else { return Vec::new() };
        if remaining * SPOP_MOVE_STRATEGY_MUL > count {
            // CASE 2: pop `count` random members, in the order they were picked.
            (0..count).filter_map(|_| s.pop_random(rng)).collect()
        } else {
            // CASE 3: move the `remaining` members that stay into a new set (an intset
            // if they are all integers), and reply with the rest in the old set's order.
            let mut kept = SetValue::new();
            for _ in 0..remaining {
                if let Some(m) = s.pop_random(rng) {
                    kept.insert(&m, max);
                }
            }
            let out: Vec<Vec<u8>> = s.iter().collect();
            *s = kept;
            out
        }
    });
    Ok(set_reply(popped.unwrap_or_default()))
}

/// SRANDMEMBER key [count]
fn srandmember(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() == 3 {
        return srandmember_with_count(ctx, argv);
    }
    if argv.len() > 3 {
        return Err(error::syntax());
    }
    let key = &argv[1];
    if !lookup_read(ctx, key)? {
        return Ok(Reply::Nil);
    }
    let idx = ctx.db_index();
    let engine = &mut *ctx.engine;
    let member = set_at(&engine.dbs[idx], key).and_then(|s| s.random_member(&mut engine.rng));
    Ok(member.map(Reply::Bulk).unwrap_or(Reply::Nil))
}

/// SRANDMEMBER key count: a positive count picks distinct members, a negative one
/// picks |count| times with repetitions.
fn srandmember_with_count(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let l = range_arg(&argv[2], -i64::MAX, i64::MAX, None)?;
    let (count, uniq) = (l.unsigned_abs(), l >= 0);
    let key = &argv[1];
    if !lookup_read(ctx, key)? || count == 0 {
        return Ok(Reply::Array(Vec::new()));
    }
    let idx = ctx.db_index();
    let engine = &mut *ctx.engine;
    let rng = &mut engine.rng;
    let Some(set) = set_at(&engine.dbs[idx], key) else {
        return Ok(Reply::Array(Vec::new()));
    };
    let size = set.len() as u64;
    // CASE 1: with repetitions (or a single member): independent picks.
    if !uniq || count == 1 {
        if count > error::MAX_COUNTED_REPLY {
            return Err(error::reply_too_long(count));
        }
        return Ok(Reply::bulks(
            (0..count).filter_map(|_| set.random_member(rng)),
        ));
    }
    // CASE 2: the whole set, in its order.
    if count >= size {
        return Ok(Reply::bulks(set.iter()));
    }
    // CASE 3: the set is not much bigger than count: copy it and drop random members.
    if count * SRANDMEMBER_SUB_STRATEGY_MUL > size {
        let mut members: Vec<Vec<u8>> = set.iter().collect();
        let mut keep = vec![true; members.len()];
        let mut candidates: Vec<usize> = (0..members.len()).collect();
        while candidates.len() as u64 > count {
            let i = rng.below(candidates.len() as u64) as usize;
            keep[candidates.swap_remove(i)] = false;
        }
        let mut k = keep.into_iter();
        members.retain(|_| k.next().unwrap_or(false));
        return Ok(Reply::bulks(members));
    }
    // CASE 4: a big set: pick until `count` distinct members came up.
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(count as usize);
    while (out.len() as u64) < count {
        let Some(m) = set.random_member(rng) else {
            break;
        };
        if seen.insert(m.clone()) {
            out.push(m);
        }
    }
    Ok(Reply::bulks(out))
}

// ---------------------------------------------------------------------------------------
// SINTER, SINTERCARD, SINTERSTORE
// ---------------------------------------------------------------------------------------

/// What `sinter_generic` does with the intersection.
enum Inter<'a> {
    /// SINTER and SMEMBERS: reply with the members.
    Reply,
    /// SINTERCARD: reply with the count, stopping at `limit` (0: no limit).
    Card(u64),
    /// SINTERSTORE: store at this key and reply with the size.
    Store(&'a [u8]),
}

/// Looks up every key as Redis's set algebra does: each one in turn (a WRONGTYPE stops
/// at once, even after a missing key). Returns which keys hold a set.
fn lookup_all(ctx: &mut Ctx, keys: &[Vec<u8>]) -> Result<Vec<bool>, CmdError> {
    keys.iter().map(|k| lookup_read(ctx, k)).collect()
}

/// Redis's `sinterGenericCommand`.
fn sinter_generic(ctx: &mut Ctx, keys: &[Vec<u8>], mode: Inter) -> CmdResult {
    let exists = lookup_all(ctx, keys)?;
    let max = max_intset(ctx);
    // An intersection with an empty set is empty.
    if exists.contains(&false) {
        return Ok(match mode {
            Inter::Reply => Reply::Set(Vec::new()),
            Inter::Card(_) => Reply::Integer(0),
            Inter::Store(dst) => store_result(ctx, dst, SetValue::new(), "sinterstore"),
        });
    }
    let db: &Db = ctx.db();
    // Smallest first (qsort by cardinality; ties keep their order).
    let mut sets: Vec<(&[u8], &SetValue)> = keys
        .iter()
        .filter_map(|k| set_at(db, k).map(|s| (&k[..], s)))
        .collect();
    sets.sort_by_key(|(_, s)| s.len());
    let Some(&(first_key, first)) = sets.first() else {
        return Ok(Reply::Set(Vec::new()));
    };
    let others: Vec<&SetValue> = sets[1..]
        .iter()
        .filter(|(k, _)| *k != first_key)
        .map(|(_, s)| *s)
        .collect();
    let common = first
        .iter()
        .filter(|m| others.iter().all(|s| s.contains(m)));
    match mode {
        Inter::Reply => Ok(set_reply(common)),
        Inter::Card(limit) => {
            let mut n = 0u64;
            for _ in common {
                n += 1;
                if limit > 0 && n >= limit {
                    break;
                }
            }
            Ok(Reply::Integer(n as i64))
        }
        Inter::Store(dst) => {
            let mut result = SetValue::new();
            for m in common {
                result.insert(&m, max);
            }
            Ok(store_result(ctx, dst, result, "sinterstore"))
        }
    }
}

/// SINTER key [key ...]
fn sinter(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    sinter_generic(ctx, &argv[1..], Inter::Reply)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
fn sintercard(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let numkeys = range_arg(
        &argv[1],
        1,
        i64::MAX,
        Some("numkeys should be greater than 0"),
    )?;
    if numkeys > argv.len() as i64 - 2 {
        return Err(CmdError::new(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let numkeys = numkeys as usize;
    let mut limit = 0;
    let mut j = 2 + numkeys;
    while j < argv.len() {
        if is(&argv[j], "limit") && j + 1 < argv.len() {
            j += 1;
            limit = positive_arg(&argv[j], Some("LIMIT can't be negative"))? as u64;
        } else {
            return Err(error::syntax());
        }
        j += 1;
    }
    sinter_generic(ctx, &argv[2..2 + numkeys], Inter::Card(limit))
}

/// SINTERSTORE destination key [key ...]
fn sinterstore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    sinter_generic(ctx, &argv[2..], Inter::Store(&argv[1]))
}

// ---------------------------------------------------------------------------------------
// SUNION, SDIFF and their STORE forms
// ---------------------------------------------------------------------------------------

/// The union of `sets` (None: a missing key), built like Redis builds it: an intset
/// that converts when needed. Its order is the reply's.
fn union_of(sets: &[Option<&SetValue>], max: usize) -> SetValue {
    let mut out = SetValue::new();
    for s in sets.iter().flatten() {
        for m in s.iter() {
            out.insert(&m, max);
        }
    }
    out
}

/// `first` minus `rest` (None: a missing key) with the algorithm Redis would pick,
/// since the two can leave the result in different encodings: algorithm 1 adds the
/// members of `first` found nowhere else; algorithm 2 adds all of `first` (converting
/// to a hashtable if that overflows the intset) and then removes the others.
fn diff_of(first: &SetValue, rest: &[Option<&SetValue>], max: usize) -> SetValue {
    let mut out = SetValue::new();
    let present: Vec<&SetValue> = rest.iter().flatten().copied().collect();
    let algo_one_work = (first.len() * (1 + present.len())) / 2;
    let algo_two_work = first.len() + present.iter().map(|s| s.len()).sum::<usize>();
    if algo_one_work <= algo_two_work {
        for m in first.iter() {
            if !present.iter().any(|s| s.contains(&m)) {
                out.insert(&m, max);
            }
        }
    } else {
        for m in first.iter() {
            out.insert(&m, max);
        }
        for s in present {
            for m in s.iter() {
                out.remove(&m);
            }
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Diff,
}

/// Redis's `sunionDiffGenericCommand`: replies with the result (dst None) or stores it.
fn sunion_diff_generic(
    ctx: &mut Ctx,
    keys: &[Vec<u8>],
    dst: Option<&[u8]>,
    op: SetOp,
) -> CmdResult {
    lookup_all(ctx, keys)?;
    let max = max_intset(ctx);
    let db: &Db = ctx.db();
    let sets: Vec<Option<&SetValue>> = keys.iter().map(|k| set_at(db, k)).collect();
    let result = match op {
        SetOp::Union => union_of(&sets, max),
        SetOp::Diff => match sets[0] {
            None => SetValue::new(),
            // The first key given again: nothing is left.
            Some(_)
                if keys[1..]
                    .iter()
                    .zip(&sets[1..])
                    .any(|(k, s)| s.is_some() && *k == keys[0]) =>
            {
                SetValue::new()
            }
            Some(first) => diff_of(first, &sets[1..], max),
        },
    };
    Ok(match dst {
        None => set_reply(result.iter()),
        Some(dst) => {
            let event = if matches!(op, SetOp::Union) {
                "sunionstore"
            } else {
                "sdiffstore"
            };
            store_result(ctx, dst, result, event)
        }
    })
}

/// SUNION key [key ...]
fn sunion(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    sunion_diff_generic(ctx, &argv[1..], None, SetOp::Union)
}

/// SUNIONSTORE destination key [key ...]
fn sunionstore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    sunion_diff_generic(ctx, &argv[2..], Some(&argv[1]), SetOp::Union)
}

/// SDIFF key [key ...]
fn sdiff(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    sunion_diff_generic(ctx, &argv[1..], None, SetOp::Diff)
}

/// SDIFFSTORE destination key [key ...]
fn sdiffstore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    sunion_diff_generic(ctx, &argv[2..], Some(&argv[1]), SetOp::Diff)
}

// ---------------------------------------------------------------------------------------
// SSCAN
// ---------------------------------------------------------------------------------------

/// SSCAN key cursor [MATCH pattern] [COUNT count]
///
/// The cursor is checked first, then the key (a missing one gives an empty page even
/// with bad options), then the options (TYPE is only SCAN's).
fn sscan(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let cursor = parse_cursor(&argv[2])?;
    let empty_page = || Reply::Array(vec![Reply::bulk_str("0"), Reply::Array(Vec::new())]);
    if !lookup_read(ctx, &argv[1])? {
        return Ok(empty_page());
    }
    let o = crate::cmd::keys::parse_scan_options(argv, 3, false)?;
    let Some(set) = set_at(ctx.db(), &argv[1]) else {
        return Ok(empty_page());
    };
    let (next, members) = set.scan(cursor, o.count);
    let members = members.into_iter().filter(|m| o.matches(m));
    Ok(Reply::Array(vec![
        Reply::Bulk(next.to_string().into_bytes()),
        Reply::bulks(members),
    ]))
}
