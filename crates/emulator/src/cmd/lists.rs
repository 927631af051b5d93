//! Lists (and SORT / SORT_RO, which read lists, sets and sorted sets): the command table
//! entries and their handlers. Behaviour and error texts follow Redis 7.0's t_list.c and
//! sort.c; the blocking forms (BLPOP...) are not here.

use std::cmp::Ordering;

use crate::args::{int_arg, is, parse_i64};
use crate::blocking::{timeout_arg, BlockedOp, ListWait, Timeout};
use crate::engine::{ClientId, Ctx, Engine};
use crate::error::{self, CmdError, CmdResult};
use crate::notify::EventClass;
use crate::reply::Reply;
use crate::table::{flag::*, CommandSpec};
use crate::types::list::ListValue;
use crate::value::Value;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "blpop",
        arity: -3,
        flags: WRITE | NOSCRIPT | BLOCKING,
        first_key: 1,
        last_key: -2,
        step: 1,
        acl: &["write", "list", "slow", "blocking"],
        group: "list",
        since: "2.0.0",
        summary: "Remove and get the first element in a list, or block until one is available",
        complexity: "O(N) where N is the number of provided keys.",
        syntax: "key [key ...] timeout",
        handler: Some(blpop),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "brpop",
        arity: -3,
        flags: WRITE | NOSCRIPT | BLOCKING,
        first_key: 1,
        last_key: -2,
        step: 1,
        acl: &["write", "list", "slow", "blocking"],
        group: "list",
        since: "2.0.0",
        summary: "Remove and get the last element in a list, or block until one is available",
        complexity: "O(N) where N is the number of provided keys.",
        syntax: "key [key ...] timeout",
        handler: Some(brpop),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "blmove",
        arity: 6,
        flags: WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        first_key: 1,
        last_key: 2,
        step: 1,
        acl: &["write", "list", "slow", "blocking"],
        group: "list",
        since: "6.2.0",
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
        syntax: "source destination LEFT|RIGHT LEFT|RIGHT timeout",
        handler: Some(blmove),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "brpoplpush",
        arity: 4,
        flags: WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        first_key: 1,
        last_key: 2,
        step: 1,
        acl: &["write", "list", "slow", "blocking"],
        group: "list",
        since: "2.2.0",
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
        syntax: "source destination timeout",
        handler: Some(brpoplpush),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "blmpop",
        arity: -5,
        flags: WRITE | BLOCKING | MOVABLEKEYS,
        acl: &["write", "list", "slow", "blocking"],
        group: "list",
        since: "7.0.0",
        summary: "Pop elements from a list, or block until one is available",
        complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
        syntax: "timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]",
        handler: Some(blmpop),
        key_finder: Some(crate::table::numkeys_keys::<2>),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lpush",
        arity: -3,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "list", "fast"],
        group: "list",
        since: "1.0.0",
        summary: "Prepend one or multiple elements to a list",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        syntax: "key element [element ...]",
        handler: Some(lpush),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "rpush",
        arity: -3,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "list", "fast"],
        group: "list",
        since: "1.0.0",
        summary: "Append one or multiple elements to a list",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        syntax: "key element [element ...]",
        handler: Some(rpush),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lpushx",
        arity: -3,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "list", "fast"],
        group: "list",
        since: "2.2.0",
        summary: "Prepend an element to a list, only if the list exists",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        syntax: "key element [element ...]",
        handler: Some(lpushx),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "rpushx",
        arity: -3,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "list", "fast"],
        group: "list",
        since: "2.2.0",
        summary: "Append an element to a list, only if the list exists",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        syntax: "key element [element ...]",
        handler: Some(rpushx),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lpop",
        arity: -2,
        flags: WRITE | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "list", "fast"],
        group: "list",
        since: "1.0.0",
        summary: "Remove and get the first elements in a list",
        complexity: "O(N) where N is the number of elements returned",
        syntax: "key [count]",
        handler: Some(lpop),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "rpop",
        arity: -2,
        flags: WRITE | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "list", "fast"],
        group: "list",
        since: "1.0.0",
        summary: "Remove and get the last elements in a list",
        complexity: "O(N) where N is the number of elements returned",
        syntax: "key [count]",
        handler: Some(rpop),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "llen",
        arity: 2,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "list", "fast"],
        group: "list",
        since: "1.0.0",
        summary: "Get the length of a list",
        complexity: "O(1)",
        syntax: "key",
        handler: Some(llen),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lrange",
        arity: 4,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "list", "slow"],
        group: "list",
        since: "1.0.0",
        summary: "Get a range of elements from a list",
        complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
        syntax: "key start stop",
        handler: Some(lrange),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lindex",
        arity: 3,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "list", "slow"],
        group: "list",
        since: "1.0.0",
        summary: "Get an element from a list by its index",
        complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
        syntax: "key index",
        handler: Some(lindex),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lset",
        arity: 4,
        flags: WRITE | DENYOOM,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "list", "slow"],
        group: "list",
        since: "1.0.0",
        summary: "Set the value of an element in a list by its index",
        complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
        syntax: "key index element",
        handler: Some(lset),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "linsert",
        arity: 5,
        flags: WRITE | DENYOOM,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "list", "slow"],
        group: "list",
        since: "2.2.0",
        summary: "Insert an element before or after another element in a list",
        complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
        syntax: "key BEFORE|AFTER pivot element",
        handler: Some(linsert),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lrem",
        arity: 4,
        flags: WRITE,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "list", "slow"],
        group: "list",
        since: "1.0.0",
        summary: "Remove elements from a list",
        complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
        syntax: "key count element",
        handler: Some(lrem),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "ltrim",
        arity: 4,
        flags: WRITE,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "list", "slow"],
        group: "list",
        since: "1.0.0",
        summary: "Trim a list to the specified range",
        complexity: "O(N) where N is the number of elements to be removed by the operation.",
        syntax: "key start stop",
        handler: Some(ltrim),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lpos",
        arity: -3,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "list", "slow"],
        group: "list",
        since: "6.0.6",
        summary: "Return the index of matching elements on a list",
        complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
        syntax: "key element [RANK rank] [COUNT num-matches] [MAXLEN len]",
        handler: Some(lpos),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lmove",
        arity: 5,
        flags: WRITE | DENYOOM,
        first_key: 1,
        last_key: 2,
        step: 1,
        acl: &["write", "list", "slow"],
        group: "list",
        since: "6.2.0",
        summary: "Pop an element from a list, push it to another list and return it",
        complexity: "O(1)",
        syntax: "source destination LEFT|RIGHT LEFT|RIGHT",
        handler: Some(lmove),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "rpoplpush",
        arity: 3,
        flags: WRITE | DENYOOM,
        first_key: 1,
        last_key: 2,
        step: 1,
        acl: &["write", "list", "slow"],
        group: "list",
        since: "1.2.0",
        summary: "Remove the last element in a list, prepend it to another list and return it",
        complexity: "O(1)",
        syntax: "source destination",
        handler: Some(rpoplpush),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lmpop",
        arity: -4,
        flags: WRITE | MOVABLEKEYS,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl: &["write", "list", "slow"],
        group: "list",
        since: "7.0.0",
        summary: "Pop elements from a list",
        complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
        syntax: "numkeys key [key ...] LEFT|RIGHT [COUNT count]",
        handler: Some(lmpop),
        key_finder: Some(crate::table::numkeys_keys::<1>),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sort",
        arity: -2,
        flags: WRITE | DENYOOM | MOVABLEKEYS,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "set", "sortedset", "list", "slow", "dangerous"],
        group: "generic",
        since: "1.0.0",
        summary: "Sort the elements in a list, set or sorted set",
        complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
        syntax: "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] [STORE destination]",
        handler: Some(sort),
        key_finder: Some(sort_keys),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sort_ro",
        arity: -2,
        flags: READONLY | MOVABLEKEYS,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "set", "sortedset", "list", "slow", "dangerous"],
        group: "generic",
        since: "7.0.0",
        summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
        complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
        syntax: "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]",
        handler: Some(sort_ro),
        ..CommandSpec::BASE
    },
];

// ---------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------

/// An end of a list: LEFT is the head, RIGHT the tail.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum End {
    Head,
    Tail,
}

/// `LEFT` or `RIGHT` (any case), else a syntax error (getListPositionFromObjectOrReply).
fn parse_end(arg: &[u8]) -> Result<End, CmdError> {
    if is(arg, "right") {
        Ok(End::Tail)
    } else if is(arg, "left") {
        Ok(End::Head)
    } else {
        Err(error::syntax())
    }
}

/// Redis's getRangeLongFromObjectOrReply with a custom message: a non-integer and a value
/// outside `min..=max` both get `ERR <msg>`.
fn range_long(arg: &[u8], min: i64, max: i64, msg: &str) -> Result<i64, CmdError> {
    match parse_i64(arg) {
        Some(n) if n >= min && n <= max => Ok(n),
        _ => Err(CmdError(format!("ERR {msg}"))),
    }
}

/// getPositiveLongFromObjectOrReply without a message.
fn positive_long(arg: &[u8]) -> Result<i64, CmdError> {
    range_long(arg, 0, i64::MAX, "value is out of range, must be positive")
}

/// Runs `f` on the list at `key` as a reader (lookupKeyRead: counts a keyspace hit or
/// miss). `Ok(None)` if the key is missing, WRONGTYPE if it holds another type.
fn read_list<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(&ListValue) -> R,
) -> Result<Option<R>, CmdError> {
    let now = ctx.now_ms;
    let (found, result) = match ctx.db().get(key, now) {
        None => (false, Ok(None)),
        Some(e) => match &e.value {
            Value::List(l) => (true, Ok(Some(f(l)))),
            _ => (true, Err(error::wrongtype())),
        },
    };
    ctx.hit_key(key, found);
    result
}

/// Runs `f` on the list at `key` in place (lookupKeyWrite). The key is deleted if `f`
/// empties the list. `Ok(None)` if missing, WRONGTYPE if it holds another type.
fn write_list<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(&mut ListValue) -> R,
) -> Result<Option<R>, CmdError> {
    let now = ctx.now_ms;
    match ctx.db().update(key, now, |v| match v {
        Value::List(l) => Some(f(l)),
        _ => None,
    }) {
        None => Ok(None),
        Some(None) => Err(error::wrongtype()),
        Some(Some(r)) => Ok(Some(r)),
    }
}

/// Whether `key` holds a list (`Ok(false)` if missing), without touching it.
fn is_list(ctx: &mut Ctx, key: &[u8]) -> Result<bool, CmdError> {
    let now = ctx.now_ms;
    match ctx
        .db()
        .peek(key, now)
        .map(|e| matches!(e.value, Value::List(_)))
    {
        None => Ok(false),
        Some(true) => Ok(true),
        Some(false) => Err(error::wrongtype()),
    }
}

/// A list index as LINDEX/LSET read it (negative from the tail), if within `len`.
fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 {
        len as i128 + index as i128
    } else {
        index as i128
    };
    (i >= 0 && i < len as i128).then_some(i as usize)
}

/// An inclusive `start..=end` range as LRANGE/LTRIM read it, clamped to `len`; None if
/// empty.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i128;
    let mut start = start as i128;
    let mut end = end as i128;
    if start < 0 {
        start += llen;
    }
    if end < 0 {
        end += llen;
    }
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    Some((start as usize, end as usize))
}

fn pop(l: &mut ListValue, end: End) -> Option<Vec<u8>> {
    match end {
        End::Head => l.pop_front(),
        End::Tail => l.pop_back(),
    }
}

fn push(l: &mut ListValue, end: End, v: Vec<u8>) {
    match end {
        End::Head => l.push_front(v),
        End::Tail => l.push_back(v),
    }
}

/// Pops up to `count` elements from `end`, in popping order.
fn pop_many(l: &mut ListValue, end: End, count: usize) -> Vec<Vec<u8>> {
    let n = count.min(l.len());
    (0..n).filter_map(|_| pop(l, end)).collect()
}

// ---------------------------------------------------------------------------------------
// Push and pop
// ---------------------------------------------------------------------------------------

/// LPUSH/RPUSH/LPUSHX/RPUSHX: `xx` pushes only onto an existing list.
/// listElementsRemoved's events: `lpop`/`rpop`, then `del` if the list is gone.
fn notify_popped(ctx: &mut Ctx, key: &[u8], end: End) {
    ctx.notify(
        EventClass::List,
        if end == End::Head { "lpop" } else { "rpop" },
        key,
    );
    if ctx.db().entry(key).is_none() {
        ctx.notify(EventClass::Generic, "del", key);
    }
}

fn notify_pushed(ctx: &mut Ctx, key: &[u8], end: End) {
    ctx.notify(
        EventClass::List,
        if end == End::Head { "lpush" } else { "rpush" },
        key,
    );
}

fn push_generic(ctx: &mut Ctx, argv: &[Vec<u8>], end: End, xx: bool) -> CmdResult {
    let key = &argv[1];
    let elements = &argv[2..];
    let len = write_list(ctx, key, |l| {
        for e in elements {
            push(l, end, e.clone());
        }
        l.len()
    })?;
    let len = match len {
        Some(n) => n,
        None if xx => return Ok(Reply::Integer(0)),
        None => {
            let mut l = ListValue::new();
            for e in elements {
                push(&mut l, end, e.clone());
            }
            let n = l.len();
            let now = ctx.now_ms;
            ctx.db().set(key, Value::List(l), now);
            n
        }
    };
    ctx.dirty(elements.len() as u64);
    ctx.replied();
    notify_pushed(ctx, key, end);
    Ok(Reply::Integer(len as i64))
}

/// LPUSH key element [element ...]
fn lpush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    push_generic(ctx, argv, End::Head, false)
}

/// RPUSH key element [element ...]
fn rpush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    push_generic(ctx, argv, End::Tail, false)
}

/// LPUSHX key element [element ...]
fn lpushx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    push_generic(ctx, argv, End::Head, true)
}

/// RPUSHX key element [element ...]
fn rpushx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    push_generic(ctx, argv, End::Tail, true)
}

/// LPOP/RPOP key [count]. Without a count: a bulk string or nil. With one: an array, a
/// null array if the key is missing, an empty array for `count` 0 on an existing list.
fn pop_generic(ctx: &mut Ctx, argv: &[Vec<u8>], end: End) -> CmdResult {
    if argv.len() > 3 {
        return Err(error::wrong_arity(ctx.spec.name));
    }
    let count = match argv.get(2) {
        Some(arg) => Some(positive_long(arg)?),
        None => None,
    };
    let key = &argv[1];
    match count {
        None => match write_list(ctx, key, |l| pop(l, end))? {
            Some(Some(v)) => {
                ctx.dirty(1);
                ctx.replied();
                notify_popped(ctx, key, end);
                Ok(Reply::Bulk(v))
            }
            _ => Ok(Reply::Nil),
        },
        Some(0) => match write_list(ctx, key, |_| ())? {
            Some(()) => Ok(Reply::Array(Vec::new())),
            None => Ok(Reply::NilArray),
        },
        Some(n) => match write_list(ctx, key, |l| pop_many(l, end, n as usize))? {
            Some(items) => {
                ctx.dirty(items.len() as u64);
                ctx.replied();
                notify_popped(ctx, key, end);
                Ok(Reply::bulks(items))
            }
            None => Ok(Reply::NilArray),
        },
    }
}

/// LPOP key [count]
fn lpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    pop_generic(ctx, argv, End::Head)
}

/// RPOP key [count]
fn rpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    pop_generic(ctx, argv, End::Tail)
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
///
/// Pops from the first non-empty list among the keys: `[key, [elements]]`, or a null
/// array if all are missing.
fn lmpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (keys, end, count) = mpop_args(argv, 1)?;
    for key in &argv[keys] {
        if let Some(items) = write_list(ctx, key, |l| pop_many(l, end, count))? {
            if items.is_empty() {
                continue;
            }
            ctx.dirty(items.len() as u64);
            ctx.replied();
            notify_popped(ctx, key, end);
            return Ok(Reply::Array(vec![
                Reply::Bulk(key.clone()),
                Reply::bulks(items),
            ]));
        }
    }
    Ok(Reply::NilArray)
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
fn lmove(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let from = parse_end(&argv[3])?;
    let to = parse_end(&argv[4])?;
    move_generic(ctx, &argv[1], &argv[2], from, to)
}

/// RPOPLPUSH source destination
fn rpoplpush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    move_generic(ctx, &argv[1], &argv[2], End::Tail, End::Head)
}

/// Pops from `src` and pushes onto `dst` (created if missing). Nil if `src` is missing;
/// WRONGTYPE (and no change) if either key holds another type.
fn move_generic(ctx: &mut Ctx, src: &[u8], dst: &[u8], from: End, to: End) -> CmdResult {
    if !is_list(ctx, src)? {
        // Touch it as lookupKeyWrite would (nothing to change).
        return Ok(Reply::Nil);
    }
    if src == dst {
        // One list: rotate in place (the key keeps its TTL even with one element).
        let v = write_list(ctx, src, |l| {
            let v = pop(l, from)?;
            push(l, to, v.clone());
            Some(v)
        })?
        .flatten();
        ctx.dirty(1);
        // lmoveHandlePush notifies, then replies; the pop is notified after.
        notify_pushed(ctx, dst, to);
        ctx.replied();
        notify_popped(ctx, src, from);
        return Ok(v.map(Reply::Bulk).unwrap_or(Reply::Nil));
    }
    let dst_exists = is_list(ctx, dst)?;
    let Some(Some(v)) = write_list(ctx, src, |l| pop(l, from))? else {
        return Ok(Reply::Nil);
    };
    if dst_exists {
        write_list(ctx, dst, |l| push(l, to, v.clone()))?;
    } else {
        let mut l = ListValue::new();
        l.push_back(v.clone());
        let now = ctx.now_ms;
        ctx.db().set(dst, Value::List(l), now);
    }
    ctx.dirty(1);
    notify_pushed(ctx, dst, to);
    ctx.replied();
    notify_popped(ctx, src, from);
    Ok(Reply::Bulk(v))
}

// ---------------------------------------------------------------------------------------
// Blocking pops (the waiting side is crate::blocking)
// ---------------------------------------------------------------------------------------

/// BLPOP key [key ...] timeout
fn blpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let timeout = timeout_arg(&argv[argv.len() - 1], ctx.now_ms)?;
    blocking_pop(
        ctx,
        "blpop",
        &argv[1..argv.len() - 1],
        End::Head,
        None,
        timeout,
    )
}

/// BRPOP key [key ...] timeout
fn brpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let timeout = timeout_arg(&argv[argv.len() - 1], ctx.now_ms)?;
    blocking_pop(
        ctx,
        "brpop",
        &argv[1..argv.len() - 1],
        End::Tail,
        None,
        timeout,
    )
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: the arguments are
/// checked like LMPOP's, then the timeout.
fn blmpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (keys, end, count) = mpop_args(argv, 2)?;
    let timeout = timeout_arg(&argv[1], ctx.now_ms)?;
    blocking_pop(ctx, "blmpop", &argv[keys], end, Some(count), timeout)
}

/// LMPOP/BLMPOP's arguments from `numkeys_idx` on: `numkeys key [key ...] LEFT|RIGHT
/// [COUNT count]`. Returns the keys' range in `argv`, the end and the count (1 if none).
fn mpop_args(
    argv: &[Vec<u8>],
    numkeys_idx: usize,
) -> Result<(std::ops::Range<usize>, End, usize), CmdError> {
    let numkeys = range_long(
        &argv[numkeys_idx],
        1,
        i64::MAX,
        "numkeys should be greater than 0",
    )?;
    // The keys, then the direction: where_idx = numkeys_idx + 1 + numkeys must be an argument.
    if numkeys > argv.len() as i64 - numkeys_idx as i64 - 2 {
        return Err(error::syntax());
    }
    let where_idx = numkeys_idx + 1 + numkeys as usize;
    let end = parse_end(&argv[where_idx])?;
    let mut count: Option<i64> = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        if count.is_none() && is(&argv[j], "count") && more {
            j += 1;
            count = Some(range_long(
                &argv[j],
                1,
                i64::MAX,
                "count should be greater than 0",
            )?);
        } else {
            return Err(error::syntax());
        }
        j += 1;
    }
    Ok((numkeys_idx + 1..where_idx, end, count.unwrap_or(1) as usize))
}

/// blockingPopGenericCommand: pops from the first non-empty list of `keys` (WRONGTYPE
/// if a key before it holds another type), else blocks on all of them. `count` is
/// BLMPOP's (`[key, [elements]]`); without it the reply is `[key, element]`.
fn blocking_pop(
    ctx: &mut Ctx,
    command: &'static str,
    keys: &[Vec<u8>],
    end: End,
    count: Option<usize>,
    timeout: Timeout,
) -> CmdResult {
    for key in keys {
        if !is_list(ctx, key)? {
            continue;
        }
        return Ok(pop_reply(ctx, key, end, count));
    }
    if !ctx.may_block() {
        return Ok(Reply::NilArray);
    }
    let wait = ListWait {
        command,
        from_left: end == End::Head,
        count,
        target: None,
    };
    Ok(ctx.block(keys.to_vec(), timeout, BlockedOp::List(wait)))
}

/// Pops from the list at `key` (known to exist) as a served BLPOP/BRPOP/BLMPOP replies.
fn pop_reply(ctx: &mut Ctx, key: &[u8], end: End, count: Option<usize>) -> Reply {
    let items = write_list(ctx, key, |l| pop_many(l, end, count.unwrap_or(1)))
        .ok()
        .flatten()
        .unwrap_or_default();
    ctx.dirty(items.len() as u64);
    if !items.is_empty() {
        ctx.replied();
        notify_popped(ctx, key, end);
    }
    match count {
        Some(_) => Reply::Array(vec![Reply::bulk(key), Reply::bulks(items)]),
        None => {
            let mut out = vec![Reply::bulk(key)];
            out.extend(items.into_iter().map(Reply::Bulk));
            Reply::Array(out)
        }
    }
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
fn blmove(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let from = parse_end(&argv[3])?;
    let to = parse_end(&argv[4])?;
    let timeout = timeout_arg(&argv[5], ctx.now_ms)?;
    blocking_move(ctx, "blmove", argv, from, to, timeout)
}

/// BRPOPLPUSH source destination timeout
fn brpoplpush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let timeout = timeout_arg(&argv[3], ctx.now_ms)?;
    blocking_move(ctx, "brpoplpush", argv, End::Tail, End::Head, timeout)
}

/// blmoveGenericCommand: LMOVE if the source exists, else block on it (a null bulk
/// string where blocking is not allowed).
fn blocking_move(
    ctx: &mut Ctx,
    command: &'static str,
    argv: &[Vec<u8>],
    from: End,
    to: End,
    timeout: Timeout,
) -> CmdResult {
    let (src, dst) = (&argv[1], &argv[2]);
    if is_list(ctx, src)? {
        return move_generic(ctx, src, dst, from, to);
    }
    if !ctx.may_block() {
        return Ok(Reply::Nil);
    }
    let wait = ListWait {
        command,
        from_left: from == End::Head,
        count: None,
        target: Some((dst.clone(), to == End::Head)),
    };
    Ok(ctx.block(vec![src.clone()], timeout, BlockedOp::List(wait)))
}

/// Serves a client blocked on the list at `key`, which is not empty
/// (serveClientBlockedOnList); the reply to send it.
pub(crate) fn serve_blocked_list(
    engine: &mut Engine,
    receiver: ClientId,
    key: &[u8],
    wait: &ListWait,
    now_ms: i64,
) -> Reply {
    let Some(spec) = crate::table::lookup(wait.command.as_bytes()) else {
        return Reply::NilArray;
    };
    let mut ctx = Ctx {
        engine,
        client: receiver,
        now_ms,
        spec,
    };
    let from = if wait.from_left { End::Head } else { End::Tail };
    match &wait.target {
        None => pop_reply(&mut ctx, key, from, wait.count),
        Some((dst, to_left)) => {
            let to = if *to_left { End::Head } else { End::Tail };
            move_generic(&mut ctx, key, dst, from, to).unwrap_or_else(|e| e.into_reply())
        }
    }
}

// ---------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------

/// LLEN key
fn llen(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Integer(
        read_list(ctx, &argv[1], |l| l.len())?.unwrap_or(0) as i64,
    ))
}

/// LRANGE key start stop
fn lrange(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let start = int_arg(&argv[2])?;
    let stop = int_arg(&argv[3])?;
    let items = read_list(ctx, &argv[1], |l| match clamp_range(start, stop, l.len()) {
        Some((s, e)) => Reply::bulks(l.range(s, e + 1)),
        None => Reply::Array(Vec::new()),
    })?;
    Ok(items.unwrap_or(Reply::Array(Vec::new())))
}

/// LINDEX key index (the key is checked before the index is parsed)
fn lindex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let arg = &argv[2];
    let r = read_list(ctx, &argv[1], |l| {
        let index = int_arg(arg)?;
        Ok(match resolve_index(index, l.len()).and_then(|i| l.get(i)) {
            Some(v) => Reply::bulk(v),
            None => Reply::Nil,
        })
    })?;
    r.unwrap_or(Ok(Reply::Nil))
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
fn lpos(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (mut rank, mut count, mut maxlen): (i64, i64, i64) = (1, -1, 0);
    let mut j = 3;
    while j < argv.len() {
        let opt = &argv[j];
        let more = j + 1 < argv.len();
        if is(opt, "rank") && more {
            j += 1;
            rank = int_arg(&argv[j])?;
            if rank == 0 {
                return Err(CmdError::new(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if is(opt, "count") && more {
            j += 1;
            count = range_long(&argv[j], 0, i64::MAX, "COUNT can't be negative")?;
        } else if is(opt, "maxlen") && more {
            j += 1;
            maxlen = range_long(&argv[j], 0, i64::MAX, "MAXLEN can't be negative")?;
        } else {
            return Err(error::syntax());
        }
        j += 1;
    }
    // A negative rank searches from the tail. Redis negates with C's wrap-around, so
    // LONG_MIN stays negative (and then every match qualifies).
    let from_tail = rank < 0;
    if from_tail {
        rank = rank.wrapping_neg();
    }
    let element = &argv[2];
    let found = read_list(ctx, &argv[1], |l| {
        let len = l.len() as i64;
        let mut out = Vec::new();
        let mut matches: i64 = 0;
        let mut last = None;
        let iter: Box<dyn Iterator<Item = &[u8]>> = if from_tail {
            Box::new(l.iter().rev())
        } else {
            Box::new(l.iter())
        };
        for (index, e) in iter.enumerate() {
            let index = index as i64;
            if maxlen != 0 && index >= maxlen {
                break;
            }
            if e == &element[..] {
                matches += 1;
                let at = if from_tail { len - index - 1 } else { index };
                if matches >= rank {
                    if count >= 0 {
                        out.push(at);
                        if count != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= count {
                            break;
                        }
                    } else {
                        last = Some(at);
                        break;
                    }
                }
            }
        }
        (out, last)
    })?;
    Ok(match found {
        None if count >= 0 => Reply::Array(Vec::new()),
        None => Reply::Nil,
        Some((out, _)) if count >= 0 => Reply::Array(out.into_iter().map(Reply::Integer).collect()),
        Some((_, Some(at))) => Reply::Integer(at),
        Some((_, None)) => Reply::Nil,
    })
}

// ---------------------------------------------------------------------------------------
// Changing elements
// ---------------------------------------------------------------------------------------

/// LSET key index element (`ERR no such key`, then the type, then the index)
fn lset(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let arg = &argv[2];
    let value = &argv[3];
    let r = write_list(ctx, &argv[1], |l| {
        let index = int_arg(arg)?;
        match resolve_index(index, l.len()) {
            Some(i) => {
                l.set(i, value.clone());
                Ok(())
            }
            None => Err(CmdError::new("ERR index out of range")),
        }
    })?;
    match r {
        None => Err(CmdError::new(error::NO_SUCH_KEY)),
        Some(Err(e)) => Err(e),
        Some(Ok(())) => {
            ctx.dirty(1);
            ctx.replied();
            ctx.notify(EventClass::List, "lset", &argv[1]);
            Ok(Reply::ok())
        }
    }
}

/// LINSERT key BEFORE|AFTER pivot element: the new length, -1 if the pivot is not
/// there, 0 if the key is missing.
fn linsert(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let after = if is(&argv[2], "after") {
        true
    } else if is(&argv[2], "before") {
        false
    } else {
        return Err(error::syntax());
    };
    let (pivot, element) = (&argv[3], &argv[4]);
    let r = write_list(ctx, &argv[1], |l| {
        let at = l.position(pivot)?;
        l.insert(if after { at + 1 } else { at }, element.clone());
        Some(l.len())
    })?;
    Ok(match r {
        None => Reply::Integer(0),
        Some(None) => Reply::Integer(-1),
        Some(Some(len)) => {
            ctx.dirty(1);
            ctx.notify(EventClass::List, "linsert", &argv[1]);
            Reply::Integer(len as i64)
        }
    })
}

/// LREM key count element
fn lrem(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let count = int_arg(&argv[2])?;
    let element = &argv[3];
    let removed = write_list(ctx, &argv[1], |l| {
        l.remove_matching(
            element,
            count.unsigned_abs().min(usize::MAX as u64) as usize,
            count < 0,
        )
    })?
    .unwrap_or(0);
    ctx.dirty(removed as u64);
    if removed > 0 {
        ctx.notify(EventClass::List, "lrem", &argv[1]);
        if ctx.db().entry(&argv[1]).is_none() {
            ctx.notify(EventClass::Generic, "del", &argv[1]);
        }
    }
    Ok(Reply::Integer(removed as i64))
}

/// LTRIM key start stop
fn ltrim(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let start = int_arg(&argv[2])?;
    let stop = int_arg(&argv[3])?;
    let removed = write_list(ctx, &argv[1], |l| {
        let len = l.len();
        let (front, back) = match clamp_range(start, stop, len) {
            Some((s, e)) => (s, len - e - 1),
            None => (len, 0),
        };
        l.trim(front, back);
        front + back
    })?;
    if let Some(removed) = removed {
        ctx.dirty(removed as u64);
        ctx.notify(EventClass::List, "ltrim", &argv[1]);
        if ctx.db().entry(&argv[1]).is_none() {
            ctx.notify(EventClass::Generic, "del", &argv[1]);
        }
    }
    Ok(Reply::ok())
}

// ---------------------------------------------------------------------------------------
// SORT
// ---------------------------------------------------------------------------------------

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] [STORE destination]
fn sort(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    sort_generic(ctx, argv, false)
}

/// SORT's keys (Redis's `sortGetKeys`): the sorted key, and the last STORE destination
/// if any, skipping the arguments of LIMIT, GET and BY.
fn sort_keys(argv: &[Vec<u8>]) -> Option<Vec<usize>> {
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        if is(&argv[i], "limit") {
            i += 2;
        } else if is(&argv[i], "get") || is(&argv[i], "by") {
            i += 1;
        } else if is(&argv[i], "store") && i + 1 < argv.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    Some(std::iter::once(1).chain(store).collect())
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]
fn sort_ro(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    sort_generic(ctx, argv, true)
}

/// The bytes of `b` up to its first NUL: what C string functions see of an sds.
fn c_str(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

/// The value SORT's `lookupKeyByPattern` finds for element `subst`: `#` is the element
/// itself; otherwise the first `*` is replaced by the element and the key read as a
/// string, or, with `->field` after the `*`, as a hash field. None if there is no `*`,
/// the key is missing or of another type, or the field is missing.
fn lookup_by_pattern(ctx: &mut Ctx, pattern: &[u8], subst: &[u8]) -> Option<Vec<u8>> {
    if pattern.first() == Some(&b'#') && pattern.get(1).is_none_or(|&c| c == 0) {
        return Some(subst.to_vec());
    }
    let visible = c_str(pattern);
    let star = visible.iter().position(|&c| c == b'*')?;
    let arrow = visible[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i);
    let (postfix_end, field) = match arrow {
        Some(f) if visible.get(f + 2).is_some() => (f, Some(&pattern[f + 2..])),
        _ => (pattern.len(), None),
    };
    let mut key = Vec::with_capacity(pattern.len() + subst.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(&pattern[star + 1..postfix_end]);
    let now = ctx.now_ms;
    let (found, value) = match ctx.db().get(&key, now) {
        None => (false, None),
        Some(e) => (
            true,
            match (&e.value, field) {
                (Value::Hash(h), Some(f)) => h.get(f).map(|v| v.to_vec()),
                (Value::Str(s), None) => Some(s.bytes.clone()),
                _ => None,
            },
        ),
    };
    ctx.hit_key(&key, found);
    value
}

/// SORT's numeric reading of a weight: C's strtod over the bytes up to the first NUL,
/// which must consume all of them (leading white space allowed; an empty string is 0).
/// None where Redis reports `One or more scores can't be converted into double`:
/// trailing bytes, NaN, overflow, and an inexact result in the subnormal range (ERANGE).
fn sort_strtod(b: &[u8]) -> Option<f64> {
    let s = c_str(b);
    if s.is_empty() {
        return Some(0.0);
    }
    let body = &s[s.iter().position(|&c| !crate::args::c_space(c))?..];
    let (v, erange) = crate::args::strtod(body)?;
    (erange == crate::args::Erange::No && !v.is_nan()).then_some(v)
}

/// C's strcmp over the bytes up to each side's first NUL: strcoll under the C.UTF-8
/// locale Redis runs in.
fn strcoll(a: &[u8], b: &[u8]) -> Ordering {
    c_str(a).cmp(c_str(b))
}

struct SortItem {
    element: Vec<u8>,
    score: f64,
    /// The BY value for ALPHA sorting by a pattern (None: missing).
    cmp: Option<Vec<u8>>,
}

fn sort_generic(ctx: &mut Ctx, argv: &[Vec<u8>], readonly: bool) -> CmdResult {
    let (mut desc, mut alpha, mut dontsort) = (false, false, false);
    let (mut limit_start, mut limit_count): (i64, i64) = (0, -1);
    let mut sortby: Option<&[u8]> = None;
    let mut storekey: Option<&[u8]> = None;
    let mut gets: Vec<&[u8]> = Vec::new();
    let mut j = 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let opt = &argv[j];
        if is(opt, "asc") {
            desc = false;
        } else if is(opt, "desc") {
            desc = true;
        } else if is(opt, "alpha") {
            alpha = true;
        } else if is(opt, "limit") && left >= 2 {
            limit_start = int_arg(&argv[j + 1])?;
            limit_count = int_arg(&argv[j + 2])?;
            j += 2;
        } else if !readonly && is(opt, "store") && left >= 1 {
            storekey = Some(&argv[j + 1]);
            j += 1;
        } else if is(opt, "by") && left >= 1 {
            sortby = Some(&argv[j + 1]);
            // A pattern without `*` is a constant: nothing to sort (and it stays so).
            if !c_str(&argv[j + 1]).contains(&b'*') {
                dontsort = true;
            }
            j += 1;
        } else if is(opt, "get") && left >= 1 {
            gets.push(&argv[j + 1]);
            j += 1;
        } else {
            return Err(error::syntax());
        }
        j += 1;
    }

    // The elements, in the order Redis loads them.
    enum Kind {
        List,
        Set,
        ZSet,
    }
    let key = &argv[1];
    let now = ctx.now_ms;
    let (found, loaded) = match ctx.db().get(key, now) {
        None => (false, Ok((Kind::List, Vec::new()))),
        Some(e) => (
            true,
            match &e.value {
                Value::List(l) => Ok((Kind::List, l.iter().map(|v| v.to_vec()).collect())),
                Value::Set(s) => Ok((Kind::Set, s.iter().collect())),
                Value::ZSet(z) => Ok((Kind::ZSet, z.iter().map(|(m, _)| m.to_vec()).collect())),
                _ => Err(error::wrongtype()),
            },
        ),
    };
    ctx.hit_key(key, found);
    let (kind, elements) = loaded?;
    if let Kind::ZSet = kind {
        // SORT converts a listpack sorted set to a skiplist for good (zsetConvert).
        ctx.db().update(key, now, |v| {
            if let Value::ZSet(z) = v {
                z.convert_to_skiplist();
            }
        });
    }
    // A set in its (random) order with STORE would store a random list: sort it.
    if dontsort && matches!(kind, Kind::Set) && storekey.is_some() {
        dontsort = false;
        alpha = true;
        sortby = None;
    }

    let vectorlen = elements.len() as i64;
    let mut start = limit_start.max(0).min(vectorlen);
    let limit_count = limit_count.max(-1).min(vectorlen);
    let mut end = if limit_count < 0 {
        vectorlen - 1
    } else {
        start + limit_count - 1
    };
    if start >= vectorlen {
        start = vectorlen - 1;
        end = vectorlen - 2;
    }
    if end >= vectorlen {
        end = vectorlen - 1;
    }

    let mut items: Vec<SortItem> = elements
        .into_iter()
        .map(|element| SortItem {
            element,
            score: 0.0,
            cmp: None,
        })
        .collect();
    let mut conversion_error = false;
    if dontsort {
        // Lists and sorted sets keep their order, reversed by DESC; sets their own.
        if desc && !matches!(kind, Kind::Set) {
            items.reverse();
        }
    } else {
        for item in items.iter_mut() {
            let byval = match sortby {
                Some(p) => match lookup_by_pattern(ctx, p, &item.element) {
                    Some(v) => v,
                    None => continue,
                },
                None => {
                    if alpha {
                        continue;
                    }
                    item.element.clone()
                }
            };
            if alpha {
                item.cmp = Some(byval);
            } else {
                match sort_strtod(&byval) {
                    Some(score) => item.score = score,
                    None => conversion_error = true,
                }
            }
        }
        let by_pattern = sortby.is_some();
        let store = storekey.is_some();
        let compare = |a: &SortItem, b: &SortItem| {
            let cmp = if !alpha {
                match a.score.partial_cmp(&b.score) {
                    Some(Ordering::Equal) | None => a.element.cmp(&b.element),
                    Some(o) => o,
                }
            } else if by_pattern {
                match (&a.cmp, &b.cmp) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) => {
                        if store {
                            x.cmp(y)
                        } else {
                            strcoll(x, y)
                        }
                    }
                }
            } else if store {
                a.element.cmp(&b.element)
            } else {
                strcoll(&a.element, &b.element)
            };
            if desc {
                cmp.reverse()
            } else {
                cmp
            }
        };
        if by_pattern && (start != 0 || end != vectorlen - 1) {
            // Redis sorts only the LIMIT window, with its partial quicksort (unstable:
            // equal weights come out in its order, not the input's).
            pqsort(&mut items, &compare, start, end);
        } else {
            // A stable sort, as glibc's qsort (a merge sort) is.
            items.sort_by(compare);
        }
    }

    if conversion_error {
        return Err(CmdError::new(
            "ERR One or more scores can't be converted into double",
        ));
    }
    let range = if end >= start {
        &items[start as usize..=end as usize]
    } else {
        &items[..0]
    };
    match storekey {
        None => {
            let mut out = Vec::with_capacity(range.len() * gets.len().max(1));
            for item in range {
                if gets.is_empty() {
                    out.push(Reply::Bulk(item.element.clone()));
                }
                for pattern in &gets {
                    out.push(match lookup_by_pattern(ctx, pattern, &item.element) {
                        Some(v) => Reply::Bulk(v),
                        None => Reply::Nil,
                    });
                }
            }
            Ok(Reply::Array(out))
        }
        Some(dest) => {
            let mut stored = Vec::with_capacity(range.len() * gets.len().max(1));
            for item in range {
                if gets.is_empty() {
                    stored.push(item.element.clone());
                }
                for pattern in &gets {
                    stored.push(lookup_by_pattern(ctx, pattern, &item.element).unwrap_or_default());
                }
            }
            let n = stored.len();
            if n > 0 {
                ctx.db()
                    .set(dest, Value::List(ListValue::from_items(stored)), now);
                ctx.dirty(n as u64);
                ctx.notify(EventClass::List, "sortstore", dest);
            } else if ctx.db().remove(dest).is_some() {
                ctx.dirty(1);
                ctx.notify(EventClass::Generic, "del", dest);
            }
            Ok(Reply::Integer(n as i64))
        }
    }
}

/// Redis's `pqsort` (pqsort.c: Bentley & McIlroy's quicksort that skips partitions wholly
/// outside `lrange..=rrange`), reproduced step for step so that elements that compare
/// equal end up where Redis puts them.
fn pqsort<T>(v: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering, lrange: i64, rrange: i64) {
    let len = v.len();
    pqsort_part(v, 0, len, cmp, lrange, rrange);
}

fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &impl Fn(&T, &T) -> Ordering) -> usize {
    if cmp(&v[a], &v[b]) == Ordering::Less {
        if cmp(&v[b], &v[c]) == Ordering::Less {
            b
        } else if cmp(&v[a], &v[c]) == Ordering::Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Ordering::Greater {
        b
    } else if cmp(&v[a], &v[c]) == Ordering::Less {
        a
    } else {
        c
    }
}

/// Swaps the `n` elements from `a` with the `n` from `b`.
fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// Whether the partition `start..start + n` holds nothing of `lrange..=rrange`.
fn outside(start: usize, n: usize, lrange: i64, rrange: i64) -> bool {
    let (s, e) = (start as i64, (start + n) as i64);
    (lrange < s && rrange < s) || (lrange >= e && rrange >= e)
}

fn pqsort_part<T>(
    v: &mut [T],
    mut a: usize,
    mut n: usize,
    cmp: &impl Fn(&T, &T) -> Ordering,
    l: i64,
    r: i64,
) {
    use Ordering::*;
    loop {
        if n < 7 {
            for pm in a + 1..a + n {
                let mut pl = pm;
                while pl > a && cmp(&v[pl - 1], &v[pl]) == Greater {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let c = cmp(&v[pb], &v[a]);
                if c == Greater {
                    break;
                }
                if c == Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(&v[pc], &v[a]);
                if c == Less {
                    break;
                }
                if c == Equal {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let k = (pa - a).min(pb - pa);
        vecswap(v, a, pb - k, k);
        let k = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - k, k);
        let k = pb - pa;
        if k > 1 && !outside(a, k, l, r) {
            pqsort_part(v, a, k, cmp, l, r);
        }
        let k = pd - pc;
        if k > 1 {
            a = pn - k;
            n = k;
            if !outside(a, n, l, r) {
                continue;
            }
        }
        return;
    }
}
