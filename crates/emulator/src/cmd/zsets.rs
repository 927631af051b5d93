//! Sorted-set commands: the command table entries and their handlers.
//!
//! Every reply and error follows Redis 7.0's t_zset.c: argument checks come in the same
//! order, scores are parsed with the same strtod rules (`string2d` for scores and
//! weights, plain `strtod` for range bounds), and members with scores reply as
//! RESP2 flat arrays or RESP3 nested pairs exactly as Redis does.

use std::collections::HashMap;

use crate::args::{is, parse_i64};
use crate::blocking::{timeout_arg, BlockedOp, Timeout, ZSetWait};
use crate::engine::{ClientId, Ctx, Engine};
use crate::error::{self, CmdError, CmdResult};
use crate::fmt::fmt_g;
use crate::notify::EventClass;
use crate::reply::{Protocol, Reply};
use crate::scan::FixedState;
use crate::table::{flag::*, CommandSpec};
use crate::types::zset::{LexBound, ScoreBound};
use crate::value::{SetValue, Value, ZSetValue};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "bzpopmin",
        arity: -3,
        flags: WRITE | NOSCRIPT | FAST | BLOCKING,
        first_key: 1,
        last_key: -2,
        step: 1,
        acl: &["write", "sortedset", "fast", "blocking"],
        group: "sorted-set",
        since: "5.0.0",
        summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        syntax: "key [key ...] timeout",
        handler: Some(bzpopmin),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "bzpopmax",
        arity: -3,
        flags: WRITE | NOSCRIPT | FAST | BLOCKING,
        first_key: 1,
        last_key: -2,
        step: 1,
        acl: &["write", "sortedset", "fast", "blocking"],
        group: "sorted-set",
        since: "5.0.0",
        summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        syntax: "key [key ...] timeout",
        handler: Some(bzpopmax),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "bzmpop",
        arity: -5,
        flags: WRITE | BLOCKING | MOVABLEKEYS,
        acl: &["write", "sortedset", "slow", "blocking"],
        group: "sorted-set",
        since: "7.0.0",
        summary: "Remove and return members with scores in a sorted set or block until one is available",
        complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
        syntax: "timeout numkeys key [key ...] MIN|MAX [COUNT count]",
        handler: Some(bzmpop),
        key_finder: Some(crate::table::numkeys_keys::<2>),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zadd",
        arity: -4,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "sortedset", "fast"],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Add one or more members to a sorted set, or update its score if it already exists",
        complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
        syntax: "key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]",
        handler: Some(zadd),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zincrby",
        arity: 4,
        flags: WRITE | DENYOOM | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "sortedset", "fast"],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Increment the score of a member in a sorted set",
        complexity: "O(log(N)) where N is the number of elements in the sorted set.",
        syntax: "key increment member",
        handler: Some(zincrby),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zscore",
        arity: 3,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "sortedset", "fast"],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Get the score associated with the given member in a sorted set",
        complexity: "O(1)",
        syntax: "key member",
        handler: Some(zscore),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zmscore",
        arity: -3,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "sortedset", "fast"],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Get the score associated with the given members in a sorted set",
        complexity: "O(N) where N is the number of members being requested.",
        syntax: "key member [member ...]",
        handler: Some(zmscore),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zcard",
        arity: 2,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "sortedset", "fast"],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Get the number of members in a sorted set",
        complexity: "O(1)",
        syntax: "key",
        handler: Some(zcard),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zcount",
        arity: 4,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "sortedset", "fast"],
        group: "sorted-set",
        since: "2.0.0",
        summary: "Count the members in a sorted set with scores within the given values",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        syntax: "key min max",
        handler: Some(zcount),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zlexcount",
        arity: 4,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "sortedset", "fast"],
        group: "sorted-set",
        since: "2.8.9",
        summary: "Count the number of members in a sorted set between a given lexicographical range",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        syntax: "key min max",
        handler: Some(zlexcount),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrange",
        arity: -4,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "sortedset", "slow"],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Return a range of members in a sorted set",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        syntax: "key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]",
        handler: Some(zrange),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrangestore",
        arity: -5,
        flags: WRITE | DENYOOM,
        first_key: 1,
        last_key: 2,
        step: 1,
        acl: &["write", "sortedset", "slow"],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Store a range of members from sorted set into another key",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
        syntax: "dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]",
        handler: Some(zrangestore),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrangebyscore",
        arity: -4,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "sortedset", "slow"],
        group: "sorted-set",
        since: "1.0.5",
        summary: "Return a range of members in a sorted set, by score",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        syntax: "key min max [WITHSCORES] [LIMIT offset count]",
        handler: Some(zrangebyscore),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrevrangebyscore",
        arity: -4,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "sortedset", "slow"],
        group: "sorted-set",
        since: "2.2.0",
        summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        syntax: "key max min [WITHSCORES] [LIMIT offset count]",
        handler: Some(zrevrangebyscore),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrangebylex",
        arity: -4,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "sortedset", "slow"],
        group: "sorted-set",
        since: "2.8.9",
        summary: "Return a range of members in a sorted set, by lexicographical range",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        syntax: "key min max [LIMIT offset count]",
        handler: Some(zrangebylex),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrevrangebylex",
        arity: -4,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "sortedset", "slow"],
        group: "sorted-set",
        since: "2.8.9",
        summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        syntax: "key max min [LIMIT offset count]",
        handler: Some(zrevrangebylex),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrevrange",
        arity: -4,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "sortedset", "slow"],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        syntax: "key start stop [WITHSCORES]",
        handler: Some(zrevrange),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrank",
        arity: 3,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "sortedset", "fast"],
        group: "sorted-set",
        since: "2.0.0",
        summary: "Determine the index of a member in a sorted set",
        complexity: "O(log(N))",
        syntax: "key member",
        handler: Some(zrank),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrevrank",
        arity: 3,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "sortedset", "fast"],
        group: "sorted-set",
        since: "2.0.0",
        summary: "Determine the index of a member in a sorted set, with scores ordered from high to low",
        complexity: "O(log(N))",
        syntax: "key member",
        handler: Some(zrevrank),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrem",
        arity: -3,
        flags: WRITE | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "sortedset", "fast"],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Remove one or more members from a sorted set",
        complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
        syntax: "key member [member ...]",
        handler: Some(zrem),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zremrangebyscore",
        arity: 4,
        flags: WRITE,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "sortedset", "slow"],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Remove all members in a sorted set within the given scores",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        syntax: "key min max",
        handler: Some(zremrangebyscore),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zremrangebyrank",
        arity: 4,
        flags: WRITE,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "sortedset", "slow"],
        group: "sorted-set",
        since: "2.0.0",
        summary: "Remove all members in a sorted set within the given indexes",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        syntax: "key start stop",
        handler: Some(zremrangebyrank),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zremrangebylex",
        arity: 4,
        flags: WRITE,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "sortedset", "slow"],
        group: "sorted-set",
        since: "2.8.9",
        summary: "Remove all members in a sorted set between the given lexicographical range",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        syntax: "key min max",
        handler: Some(zremrangebylex),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zpopmin",
        arity: -2,
        flags: WRITE | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "sortedset", "fast"],
        group: "sorted-set",
        since: "5.0.0",
        summary: "Remove and return members with the lowest scores in a sorted set",
        complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
        syntax: "key [count]",
        handler: Some(zpopmin),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zpopmax",
        arity: -2,
        flags: WRITE | FAST,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "sortedset", "fast"],
        group: "sorted-set",
        since: "5.0.0",
        summary: "Remove and return members with the highest scores in a sorted set",
        complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
        syntax: "key [count]",
        handler: Some(zpopmax),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zmpop",
        arity: -4,
        flags: WRITE | MOVABLEKEYS,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl: &["write", "sortedset", "slow"],
        group: "sorted-set",
        since: "7.0.0",
        summary: "Remove and return members with scores in a sorted set",
        complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
        syntax: "numkeys key [key ...] MIN|MAX [COUNT count]",
        handler: Some(zmpop),
        key_finder: Some(crate::table::numkeys_keys::<1>),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrandmember",
        arity: -2,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "sortedset", "slow"],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Get one or multiple random elements from a sorted set",
        complexity: "O(N) where N is the number of elements returned",
        syntax: "key [count [WITHSCORES]]",
        handler: Some(zrandmember),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zunion",
        arity: -3,
        flags: READONLY | MOVABLEKEYS,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl: &["read", "sortedset", "slow"],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Add multiple sorted sets",
        complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
        syntax: "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]",
        handler: Some(zunion),
        key_finder: Some(crate::table::numkeys_keys::<1>),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zinter",
        arity: -3,
        flags: READONLY | MOVABLEKEYS,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl: &["read", "sortedset", "slow"],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Intersect multiple sorted sets",
        complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
        syntax: "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]",
        handler: Some(zinter),
        key_finder: Some(crate::table::numkeys_keys::<1>),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zdiff",
        arity: -3,
        flags: READONLY | MOVABLEKEYS,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl: &["read", "sortedset", "slow"],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Subtract multiple sorted sets",
        complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
        syntax: "numkeys key [key ...] [WITHSCORES]",
        handler: Some(zdiff),
        key_finder: Some(crate::table::numkeys_keys::<1>),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zunionstore",
        arity: -4,
        flags: WRITE | DENYOOM | MOVABLEKEYS,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "sortedset", "slow"],
        group: "sorted-set",
        since: "2.0.0",
        summary: "Add multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
        syntax: "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]",
        handler: Some(zunionstore),
        key_finder: Some(crate::table::destination_and_numkeys),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zinterstore",
        arity: -4,
        flags: WRITE | DENYOOM | MOVABLEKEYS,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "sortedset", "slow"],
        group: "sorted-set",
        since: "2.0.0",
        summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
        syntax: "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]",
        handler: Some(zinterstore),
        key_finder: Some(crate::table::destination_and_numkeys),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zdiffstore",
        arity: -4,
        flags: WRITE | DENYOOM | MOVABLEKEYS,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "sortedset", "slow"],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
        syntax: "destination numkeys key [key ...]",
        handler: Some(zdiffstore),
        key_finder: Some(crate::table::destination_and_numkeys),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zintercard",
        arity: -3,
        flags: READONLY | MOVABLEKEYS,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl: &["read", "sortedset", "slow"],
        group: "sorted-set",
        since: "7.0.0",
        summary: "Intersect multiple sorted sets and return the cardinality of the result",
        complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
        syntax: "numkeys key [key ...] [LIMIT limit]",
        handler: Some(zintercard),
        key_finder: Some(crate::table::numkeys_keys::<1>),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zscan",
        arity: -3,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "sortedset", "slow"],
        group: "sorted-set",
        since: "2.8.0",
        summary: "Incrementally iterate sorted sets elements and associated scores",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        syntax: "key cursor [MATCH pattern] [COUNT count]",
        handler: Some(zscan),
        ..CommandSpec::BASE
    },
];

// ---------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------

fn float_arg(b: &[u8]) -> Result<f64, CmdError> {
    crate::args::parse_f64(b).ok_or_else(error::not_float)
}

/// zslParseRange's strtod on one bound (after any `(`): leading spaces skipped, the rest
/// up to a NUL must be one number; overflow is infinity; NaN is refused.
fn range_strtod(b: &[u8]) -> Option<f64> {
    let b = &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())];
    if b.is_empty() {
        return Some(0.0);
    }
    let start = b.iter().position(|&c| !crate::args::c_space(c))?;
    let (v, _) = crate::args::strtod(&b[start..])?;
    if v.is_nan() {
        return None;
    }
    Some(v)
}

fn score_bound(b: &[u8]) -> Option<ScoreBound> {
    match b.first() {
        Some(b'(') => Some(ScoreBound {
            value: range_strtod(&b[1..])?,
            exclusive: true,
        }),
        _ => Some(ScoreBound {
            value: range_strtod(b)?,
            exclusive: false,
        }),
    }
}

fn score_range(min: &[u8], max: &[u8]) -> Result<(ScoreBound, ScoreBound), CmdError> {
    match (score_bound(min), score_bound(max)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(CmdError::new("ERR min or max is not a float")),
    }
}

fn lex_bound(b: &[u8]) -> Option<LexBound> {
    let single = b.len() == 1 || b.get(1) == Some(&0);
    match b.first() {
        Some(b'+') if single => Some(LexBound::Max),
        Some(b'-') if single => Some(LexBound::Min),
        Some(b'(') => Some(LexBound::Exclusive(b[1..].to_vec())),
        Some(b'[') => Some(LexBound::Inclusive(b[1..].to_vec())),
        _ => None,
    }
}

fn lex_range(min: &[u8], max: &[u8]) -> Result<(LexBound, LexBound), CmdError> {
    match (lex_bound(min), lex_bound(max)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(CmdError::new("ERR min or max not valid string range item")),
    }
}

/// getLongFromObjectOrReply.
fn long_arg(b: &[u8]) -> Result<i64, CmdError> {
    parse_i64(b).ok_or_else(error::not_integer)
}

/// getRangeLongFromObjectOrReply with a message for both failures.
fn range_long(b: &[u8], min: i64, max: i64, msg: &str) -> Result<i64, CmdError> {
    match parse_i64(b) {
        Some(n) if n >= min && n <= max => Ok(n),
        _ => Err(CmdError::new(format!("ERR {msg}"))),
    }
}

// ---------------------------------------------------------------------------------------
// Access and replies
// ---------------------------------------------------------------------------------------

fn limits(ctx: &Ctx) -> (usize, usize) {
    let e = ctx.engine.config.int("zset-max-listpack-entries").max(0) as usize;
    let v = ctx.engine.config.int("zset-max-listpack-value").max(0) as usize;
    (e, v)
}

/// Runs `f` on the sorted set at `key` for reading (None if missing), counting a hit or
/// a miss like lookupKeyRead; WRONGTYPE for another type.
fn read<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(Option<&ZSetValue>) -> R,
) -> Result<R, CmdError> {
    let now = ctx.now_ms;
    let (found, r) = match ctx.db().get(key, now) {
        None => (false, f(None)),
        Some(e) => match &e.value {
            Value::ZSet(z) => (true, f(Some(z))),
            _ => {
                ctx.hit(true);
                return Err(error::wrongtype());
            }
        },
    };
    ctx.hit_key(key, found);
    Ok(r)
}

/// Runs `f` on the sorted set at `key` in place (lookupKeyWrite): Ok(None) if the key is
/// missing, WRONGTYPE for another type. An emptied set is deleted.
fn write<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(&mut ZSetValue) -> R,
) -> Result<Option<R>, CmdError> {
    let now = ctx.now_ms;
    let db = ctx.db();
    match db.peek(key, now) {
        None => return Ok(None),
        Some(e) if !matches!(e.value, Value::ZSet(_)) => return Err(error::wrongtype()),
        Some(_) => {}
    }
    Ok(db
        .update(key, now, |v| match v {
            Value::ZSet(z) => Some(f(z)),
            _ => None,
        })
        .flatten())
}

/// Members with optional scores, shaped as Redis replies them: a flat array in RESP2, an
/// array of [member, score] pairs in RESP3 when scores are included.
fn scored_reply<M: AsRef<[u8]>>(
    proto: Protocol,
    items: impl IntoIterator<Item = (M, f64)>,
    withscores: bool,
) -> Reply {
    let mut out = Vec::new();
    for (m, s) in items {
        let m = Reply::bulk(m.as_ref());
        if !withscores {
            out.push(m);
        } else if proto == Protocol::Resp3 {
            out.push(Reply::Array(vec![m, Reply::Double(s)]));
        } else {
            out.push(m);
            out.push(Reply::Double(s));
        }
    }
    Reply::Array(out)
}

/// Stores `z` at `dst` (replacing any value and TTL), or deletes `dst` when `z` is
/// empty; returns the reply (the stored cardinality).
fn store_result(ctx: &mut Ctx, dst: &[u8], z: ZSetValue, event: &'static str) -> Reply {
    let now = ctx.now_ms;
    let n = z.len();
    if n > 0 {
        ctx.db().set(dst, Value::ZSet(z), now);
        ctx.dirty(1);
        ctx.replied();
        ctx.notify(EventClass::Zset, event, dst);
    } else if ctx.db().remove(dst).is_some() {
        ctx.dirty(1);
        ctx.notify(EventClass::Generic, "del", dst);
    }
    Reply::Integer(n as i64)
}

// ---------------------------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM, ZSCORE, ZMSCORE, ZCARD
// ---------------------------------------------------------------------------------------

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
fn zadd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zadd_generic(ctx, argv, false)
}

/// ZINCRBY key increment member
fn zincrby(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zadd_generic(ctx, argv, true)
}

fn zadd_generic(ctx: &mut Ctx, argv: &[Vec<u8>], mut incr: bool) -> CmdResult {
    let (mut nx, mut xx, mut gt, mut lt, mut ch) = (false, false, false, false, false);
    let mut idx = 2;
    while idx < argv.len() {
        let a = &argv[idx];
        if is(a, "nx") {
            nx = true;
        } else if is(a, "xx") {
            xx = true;
        } else if is(a, "ch") {
            ch = true;
        } else if is(a, "incr") {
            incr = true;
        } else if is(a, "gt") {
            gt = true;
        } else if is(a, "lt") {
            lt = true;
        } else {
            break;
        }
        idx += 1;
    }
    let elements = argv.len() - idx;
    if elements % 2 == 1 || elements == 0 {
        return Err(error::syntax());
    }
    let elements = elements / 2;
    if nx && xx {
        return Err(CmdError::new(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if (nx && (gt || lt)) || (gt && lt) {
        return Err(CmdError::new(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if incr && elements > 1 {
        return Err(CmdError::new(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let mut scores = Vec::with_capacity(elements);
    for j in 0..elements {
        scores.push(float_arg(&argv[idx + j * 2])?);
    }
    let key = &argv[1];
    let now = ctx.now_ms;
    let (max_entries, max_value) = limits(ctx);
    let exists = match ctx.db().peek(key, now) {
        None => false,
        Some(e) if matches!(e.value, Value::ZSet(_)) => true,
        Some(_) => return Err(error::wrongtype()),
    };
    if !exists {
        if xx {
            return Ok(if incr { Reply::Nil } else { Reply::Integer(0) });
        }
        ctx.db().set(key, Value::ZSet(ZSetValue::new()), now);
    }
    let pairs: Vec<(f64, &[u8])> = (0..elements)
        .map(|j| (scores[j], &argv[idx + 1 + j * 2][..]))
        .collect();
    let outcome = ctx.db().update(key, now, |v| {
        let Value::ZSet(z) = v else {
            return (0, 0, 0, 0.0, false);
        };
        let (mut added, mut updated, mut processed, mut last) = (0i64, 0i64, 0i64, 0.0);
        for (score, member) in pairs {
            let mut score = score;
            match z.score(member) {
                Some(cur) => {
                    if nx {
                        continue;
                    }
                    if incr {
                        score += cur;
                        if score.is_nan() {
                            return (added, updated, processed, last, true);
                        }
                    }
                    if (lt && score >= cur) || (gt && score <= cur) {
                        continue;
                    }
                    last = score;
                    if score != cur {
                        z.insert(member, score, max_entries, max_value);
                        updated += 1;
                    }
                    processed += 1;
                }
                None => {
                    if xx {
                        continue;
                    }
                    z.insert(member, score, max_entries, max_value);
                    last = score;
                    added += 1;
                    processed += 1;
                }
            }
        }
        (added, updated, processed, last, false)
    });
    let (added, updated, processed, last, nan) = outcome.unwrap_or((0, 0, 0, 0.0, false));
    ctx.dirty((added + updated) as u64);
    if added + updated > 0 {
        ctx.replied();
        ctx.notify(
            EventClass::Zset,
            if incr { "zincr" } else { "zadd" },
            &argv[1],
        );
    }
    if nan {
        return Err(CmdError::new("ERR resulting score is not a number (NaN)"));
    }
    Ok(if incr {
        if processed > 0 {
            Reply::Double(last)
        } else {
            Reply::Nil
        }
    } else {
        Reply::Integer(if ch { added + updated } else { added })
    })
}

/// ZREM key member [member ...]
fn zrem(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let deleted = write(ctx, &argv[1], |z| {
        let mut n = 0;
        for m in &argv[2..] {
            if z.remove(m) {
                n += 1;
            }
            if z.is_empty() {
                break;
            }
        }
        n
    })?
    .unwrap_or(0);
    ctx.dirty(deleted);
    notify_removed(ctx, &argv[1], deleted as usize, "zrem", false);
    Ok(Reply::Integer(deleted as i64))
}

/// ZSCORE key member
fn zscore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    read(ctx, &argv[1], |z| match z.and_then(|z| z.score(&argv[2])) {
        Some(s) => Reply::Double(s),
        None => Reply::Nil,
    })
}

/// ZMSCORE key member [member ...]
fn zmscore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    read(ctx, &argv[1], |z| {
        Reply::Array(
            argv[2..]
                .iter()
                .map(|m| match z.and_then(|z| z.score(m)) {
                    Some(s) => Reply::Double(s),
                    None => Reply::Nil,
                })
                .collect(),
        )
    })
}

/// ZCARD key
fn zcard(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    read(ctx, &argv[1], |z| {
        Reply::Integer(z.map_or(0, |z| z.len() as i64))
    })
}

/// ZCOUNT key min max
fn zcount(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (min, max) = score_range(&argv[2], &argv[3])?;
    read(ctx, &argv[1], |z| {
        Reply::Integer(z.map_or(0, |z| {
            let (a, b) = z.score_ranks(min, max);
            (b - a) as i64
        }))
    })
}

/// ZLEXCOUNT key min max
fn zlexcount(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (min, max) = lex_range(&argv[2], &argv[3])?;
    read(ctx, &argv[1], |z| {
        Reply::Integer(z.map_or(0, |z| z.lex_count(&min, &max) as i64))
    })
}

/// ZRANK key member
fn zrank(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    rank_generic(ctx, argv, false)
}

/// ZREVRANK key member
fn zrevrank(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    rank_generic(ctx, argv, true)
}

fn rank_generic(ctx: &mut Ctx, argv: &[Vec<u8>], rev: bool) -> CmdResult {
    read(ctx, &argv[1], |z| {
        let Some(z) = z else { return Reply::Nil };
        match z.rank(&argv[2]) {
            Some(r) => Reply::Integer(if rev {
                (z.len() - 1 - r) as i64
            } else {
                r as i64
            }),
            None => Reply::Nil,
        }
    })
}

// ---------------------------------------------------------------------------------------
// The ZRANGE family
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// The ranks `a..b` (counted from the end when reversed) selected by a score or lex range
/// with LIMIT: `offset` < 0 selects nothing, `limit` < 0 means no limit.
fn limit_ranks(
    len: usize,
    start: usize,
    end: usize,
    rev: bool,
    offset: i64,
    limit: i64,
) -> (usize, usize) {
    let (a, b) = if rev {
        (len - end, len - start)
    } else {
        (start, end)
    };
    if offset < 0 {
        return (0, 0);
    }
    let a = a.saturating_add(offset as usize).min(b);
    let b = if limit < 0 {
        b
    } else {
        b.min(a.saturating_add(limit as usize))
    };
    (a, b)
}

/// ZRANGE, ZRANGESTORE and the older ZRANGEBY*/ZREV* forms (zrangeGenericCommand).
/// `start` is the index of the source key.
fn zrange_generic(
    ctx: &mut Ctx,
    argv: &[Vec<u8>],
    start: usize,
    store_to: Option<&[u8]>,
    mut rangetype: RangeType,
    mut direction: Direction,
) -> CmdResult {
    let store = store_to.is_some();
    let key = &argv[start];
    let (mut minidx, mut maxidx) = (start + 1, start + 2);
    let (mut withscores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut j = start + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = &argv[j];
        if !store && is(a, "withscores") {
            withscores = true;
        } else if is(a, "limit") && left >= 2 {
            offset = long_arg(&argv[j + 1])?;
            limit = long_arg(&argv[j + 2])?;
            j += 2;
        } else if direction == Direction::Auto && is(a, "rev") {
            direction = Direction::Reverse;
        } else if rangetype == RangeType::Auto && is(a, "bylex") {
            rangetype = RangeType::Lex;
        } else if rangetype == RangeType::Auto && is(a, "byscore") {
            rangetype = RangeType::Score;
        } else {
            return Err(error::syntax());
        }
        j += 1;
    }
    if direction == Direction::Auto {
        direction = Direction::Forward;
    }
    if rangetype == RangeType::Auto {
        rangetype = RangeType::Rank;
    }
    if limit != -1 && rangetype == RangeType::Rank {
        return Err(CmdError::new(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && rangetype == RangeType::Lex {
        return Err(CmdError::new(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let rev = direction == Direction::Reverse;
    if rev && rangetype != RangeType::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    enum Range {
        Rank(i64, i64),
        Score(ScoreBound, ScoreBound),
        Lex(LexBound, LexBound),
    }
    let range = match rangetype {
        RangeType::Score => {
            let (a, b) = score_range(&argv[minidx], &argv[maxidx])?;
            Range::Score(a, b)
        }
        RangeType::Lex => {
            let (a, b) = lex_range(&argv[minidx], &argv[maxidx])?;
            Range::Lex(a, b)
        }
        _ => Range::Rank(long_arg(&argv[minidx])?, long_arg(&argv[maxidx])?),
    };
    let items: Option<Vec<(Vec<u8>, f64)>> = read(ctx, key, |z| {
        let z = z?;
        let len = z.len();
        let (a, b) = match &range {
            Range::Rank(s, e) => {
                let llen = len as i64;
                let mut s = if *s < 0 { llen + s } else { *s };
                let mut e = if *e < 0 { llen + e } else { *e };
                if s < 0 {
                    s = 0;
                }
                if s > e || s >= llen {
                    (0, 0)
                } else {
                    if e >= llen {
                        e = llen - 1;
                    }
                    (s as usize, e as usize + 1)
                }
            }
            Range::Score(min, max) => {
                let (s, e) = z.score_ranks(*min, *max);
                limit_ranks(len, s, e, rev, offset, limit)
            }
            Range::Lex(min, max) => {
                let (s, e) = z.lex_ranks(min, max, rev);
                limit_ranks(len, s, e, rev, offset, limit)
            }
        };
        Some(z.range(a, b, rev).map(|(m, s)| (m.to_vec(), s)).collect())
    })?;
    match store_to {
        Some(dst) => {
            let (max_entries, max_value) = limits(ctx);
            let mut out = ZSetValue::new();
            for (m, s) in items.unwrap_or_default() {
                out.insert(&m, s, max_entries, max_value);
            }
            Ok(store_result(ctx, dst, out, "zrangestore"))
        }
        None => Ok(scored_reply(
            ctx.protocol(),
            items.unwrap_or_default(),
            withscores,
        )),
    }
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
fn zrange(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zrange_generic(ctx, argv, 1, None, RangeType::Auto, Direction::Auto)
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
fn zrangestore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zrange_generic(
        ctx,
        argv,
        2,
        Some(&argv[1]),
        RangeType::Auto,
        Direction::Auto,
    )
}

/// ZREVRANGE key start stop [WITHSCORES]
fn zrevrange(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zrange_generic(ctx, argv, 1, None, RangeType::Rank, Direction::Reverse)
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
fn zrangebyscore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zrange_generic(ctx, argv, 1, None, RangeType::Score, Direction::Forward)
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
fn zrevrangebyscore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zrange_generic(ctx, argv, 1, None, RangeType::Score, Direction::Reverse)
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
fn zrangebylex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zrange_generic(ctx, argv, 1, None, RangeType::Lex, Direction::Forward)
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
fn zrevrangebylex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zrange_generic(ctx, argv, 1, None, RangeType::Lex, Direction::Reverse)
}

// ---------------------------------------------------------------------------------------
// ZREMRANGEBY*
// ---------------------------------------------------------------------------------------

/// ZREMRANGEBYRANK key start stop
fn zremrangebyrank(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let start = long_arg(&argv[2])?;
    let end = long_arg(&argv[3])?;
    let n = write(ctx, &argv[1], |z| {
        let llen = z.len() as i64;
        let mut s = if start < 0 { llen + start } else { start };
        let mut e = if end < 0 { llen + end } else { end };
        if s < 0 {
            s = 0;
        }
        if s > e || s >= llen {
            return 0;
        }
        if e >= llen {
            e = llen - 1;
        }
        z.remove_range(s as usize, e as usize + 1).len()
    })?
    .unwrap_or(0);
    ctx.dirty(n as u64);
    notify_removed(ctx, &argv[1], n, "zremrangebyrank", false);
    Ok(Reply::Integer(n as i64))
}

/// ZREMRANGEBYSCORE key min max
fn zremrangebyscore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (min, max) = score_range(&argv[2], &argv[3])?;
    let n = write(ctx, &argv[1], |z| {
        let (a, b) = z.score_ranks(min, max);
        z.remove_range(a, b).len()
    })?
    .unwrap_or(0);
    ctx.dirty(n as u64);
    notify_removed(ctx, &argv[1], n, "zremrangebyscore", false);
    Ok(Reply::Integer(n as i64))
}

/// ZREMRANGEBYLEX key min max
fn zremrangebylex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (min, max) = lex_range(&argv[2], &argv[3])?;
    let n = write(ctx, &argv[1], |z| {
        let (a, b) = z.lex_ranks(&min, &max, false);
        z.remove_range(a, b).len()
    })?
    .unwrap_or(0);
    ctx.dirty(n as u64);
    notify_removed(ctx, &argv[1], n, "zremrangebylex", false);
    Ok(Reply::Integer(n as i64))
}

// ---------------------------------------------------------------------------------------
// Popping
// ---------------------------------------------------------------------------------------

/// The events of members removed from `key`: `event` if any were, then `del` if the
/// sorted set is gone (as zremGenericCommand and genericZpopCommand).
fn notify_removed(ctx: &mut Ctx, key: &[u8], removed: usize, event: &'static str, pop: bool) {
    if removed > 0 {
        ctx.notify(EventClass::Zset, event, key);
        if pop {
            // genericZpopCommand notifies inside its reply; the key's deletion comes after.
            ctx.replied();
        }
        if ctx.db().entry(key).is_none() {
            ctx.notify(EventClass::Generic, "del", key);
        }
    }
}

/// A key and the (member, score) pairs popped from it.
type Popped = (Vec<u8>, Vec<(Vec<u8>, f64)>);

/// Pops up to `count` members from the first existing key of `keys` (genericZpopCommand).
/// None when no key exists; Some((key, popped)) otherwise.
fn pop_generic(
    ctx: &mut Ctx,
    keys: &[Vec<u8>],
    max: bool,
    count: usize,
) -> Result<Option<Popped>, CmdError> {
    for key in keys {
        let popped = write(ctx, key, |z| {
            let len = z.len();
            let n = count.min(len);
            let mut out: Vec<(Vec<u8>, f64)> = if max {
                let mut v: Vec<_> = z
                    .remove_range(len - n, len)
                    .into_iter()
                    .map(|(k, s)| (k.to_vec(), s))
                    .collect();
                v.reverse();
                v
            } else {
                z.remove_range(0, n)
                    .into_iter()
                    .map(|(k, s)| (k.to_vec(), s))
                    .collect()
            };
            out.shrink_to_fit();
            out
        })?;
        if let Some(p) = popped {
            ctx.dirty(p.len() as u64);
            notify_removed(
                ctx,
                key,
                p.len(),
                if max { "zpopmax" } else { "zpopmin" },
                true,
            );
            return Ok(Some((key.clone(), p)));
        }
    }
    Ok(None)
}

/// ZPOPMIN key [count]
fn zpopmin(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zpop(ctx, argv, false)
}

/// ZPOPMAX key [count]
fn zpopmax(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zpop(ctx, argv, true)
}

fn zpop(ctx: &mut Ctx, argv: &[Vec<u8>], max: bool) -> CmdResult {
    if argv.len() > 3 {
        return Err(error::syntax());
    }
    let count = match argv.get(2) {
        Some(c) => {
            // getPositiveLongFromObjectOrReply: one message for both failures.
            Some(range_long(c, 0, i64::MAX, "value is out of range, must be positive")? as usize)
        }
        None => None,
    };
    let now = ctx.now_ms;
    match ctx.db().peek(&argv[1], now) {
        None => return Ok(Reply::Array(Vec::new())),
        Some(e) if !matches!(e.value, Value::ZSet(_)) => return Err(error::wrongtype()),
        Some(_) => {}
    }
    if count == Some(0) {
        return Ok(Reply::Array(Vec::new()));
    }
    let popped = pop_generic(ctx, &argv[1..2], max, count.unwrap_or(1))?
        .map(|(_, p)| p)
        .unwrap_or_default();
    let nested = ctx.protocol() == Protocol::Resp3 && count.is_some();
    let mut out = Vec::new();
    for (m, s) in popped {
        if nested {
            out.push(Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]));
        } else {
            out.push(Reply::Bulk(m));
            out.push(Reply::Double(s));
        }
    }
    Ok(Reply::Array(out))
}

/// ZMPOP/BZMPOP's arguments from `numkeys_idx` on: `numkeys key [key ...] MIN|MAX
/// [COUNT count]`. Returns the keys' range in `argv`, MAX or not, and the count (1 if
/// none).
fn mpop_args(
    argv: &[Vec<u8>],
    numkeys_idx: usize,
) -> Result<(std::ops::Range<usize>, bool, usize), CmdError> {
    let numkeys = range_long(
        &argv[numkeys_idx],
        1,
        i64::MAX,
        "numkeys should be greater than 0",
    )? as usize;
    let where_idx = match numkeys.checked_add(numkeys_idx + 1) {
        Some(w) if w < argv.len() => w,
        _ => return Err(error::syntax()),
    };
    let max = if is(&argv[where_idx], "min") {
        false
    } else if is(&argv[where_idx], "max") {
        true
    } else {
        return Err(error::syntax());
    };
    let mut count: i64 = -1;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if count == -1 && is(&argv[j], "count") && more > 0 {
            j += 1;
            count = range_long(&argv[j], 1, i64::MAX, "count should be greater than 0")?;
        } else {
            return Err(error::syntax());
        }
        j += 1;
    }
    let count = if count == -1 { 1 } else { count as usize };
    Ok((numkeys_idx + 1..where_idx, max, count))
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
fn zmpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (keys, max, count) = mpop_args(argv, 1)?;
    let keys = &argv[keys];
    // Type errors come from the first existing key only, like genericZpopCommand.
    let now = ctx.now_ms;
    for key in keys {
        match ctx.db().peek(key, now) {
            None => continue,
            Some(e) if !matches!(e.value, Value::ZSet(_)) => return Err(error::wrongtype()),
            Some(_) => break,
        }
    }
    match pop_generic(ctx, keys, max, count)? {
        None => Ok(Reply::NilArray),
        Some((key, popped)) => Ok(Reply::Array(vec![
            Reply::Bulk(key),
            Reply::Array(
                popped
                    .into_iter()
                    .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
                    .collect(),
            ),
        ])),
    }
}

// ---------------------------------------------------------------------------------------
// Blocking pops (the waiting side is crate::blocking)
// ---------------------------------------------------------------------------------------

/// BZPOPMIN key [key ...] timeout
fn bzpopmin(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let timeout = timeout_arg(&argv[argv.len() - 1], ctx.now_ms)?;
    blocking_zpop(
        ctx,
        "bzpopmin",
        &argv[1..argv.len() - 1],
        false,
        None,
        timeout,
    )
}

/// BZPOPMAX key [key ...] timeout
fn bzpopmax(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let timeout = timeout_arg(&argv[argv.len() - 1], ctx.now_ms)?;
    blocking_zpop(
        ctx,
        "bzpopmax",
        &argv[1..argv.len() - 1],
        true,
        None,
        timeout,
    )
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: the arguments are
/// checked like ZMPOP's, then the timeout.
fn bzmpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (keys, max, count) = mpop_args(argv, 2)?;
    let timeout = timeout_arg(&argv[1], ctx.now_ms)?;
    blocking_zpop(ctx, "bzmpop", &argv[keys], max, Some(count), timeout)
}

/// blockingGenericZpopCommand: pops from the first existing sorted set of `keys`
/// (WRONGTYPE if the first existing key holds another type), else blocks on all.
fn blocking_zpop(
    ctx: &mut Ctx,
    command: &'static str,
    keys: &[Vec<u8>],
    max: bool,
    count: Option<usize>,
    timeout: Timeout,
) -> CmdResult {
    let now = ctx.now_ms;
    for key in keys {
        match ctx.db().peek(key, now) {
            None => continue,
            Some(e) if !matches!(e.value, Value::ZSet(_)) => return Err(error::wrongtype()),
            Some(_) => return Ok(zpop_reply(ctx, key, max, count)),
        }
    }
    if !ctx.may_block() {
        return Ok(Reply::NilArray);
    }
    let wait = ZSetWait {
        command,
        max,
        count,
    };
    Ok(ctx.block(keys.to_vec(), timeout, BlockedOp::ZSet(wait)))
}

/// Pops from the sorted set at `key` (known to exist): `[key, member, score]` for
/// BZPOPMIN/BZPOPMAX, `[key, [[member, score]...]]` for BZMPOP.
fn zpop_reply(ctx: &mut Ctx, key: &[u8], max: bool, count: Option<usize>) -> Reply {
    let popped = pop_generic(ctx, &[key.to_vec()], max, count.unwrap_or(1))
        .ok()
        .flatten()
        .map(|(_, p)| p)
        .unwrap_or_default();
    match count {
        Some(_) => Reply::Array(vec![
            Reply::bulk(key),
            Reply::Array(
                popped
                    .into_iter()
                    .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
                    .collect(),
            ),
        ]),
        None => {
            let mut out = vec![Reply::bulk(key)];
            for (m, s) in popped {
                out.push(Reply::Bulk(m));
                out.push(Reply::Double(s));
            }
            Reply::Array(out)
        }
    }
}

/// Serves a client blocked on the sorted set at `key`, which is not empty; the reply
/// to send it (genericZpopCommand for the receiver).
pub(crate) fn serve_blocked_zset(
    engine: &mut Engine,
    receiver: ClientId,
    key: &[u8],
    wait: &ZSetWait,
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
    zpop_reply(&mut ctx, key, wait.max, wait.count)
}

// ---------------------------------------------------------------------------------------
// ZRANDMEMBER
// ---------------------------------------------------------------------------------------

/// ZRANDMEMBER key [count [WITHSCORES]]
fn zrandmember(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() < 3 {
        let now = ctx.now_ms;
        let len = read(ctx, &argv[1], |z| z.map(|z| z.len()))?;
        let Some(len) = len.filter(|&n| n > 0) else {
            return Ok(Reply::Nil);
        };
        let n = ctx.engine.rng().below(len as u64) as usize;
        let m = match ctx.db().peek(&argv[1], now).map(|e| &e.value) {
            Some(Value::ZSet(z)) => z.nth(n).map(|(m, _)| m.to_vec()),
            _ => None,
        };
        return Ok(m.map(Reply::Bulk).unwrap_or(Reply::Nil));
    }
    let l = range_long_default(&argv[2], -i64::MAX, i64::MAX)?;
    let mut withscores = false;
    if argv.len() > 4 || (argv.len() == 4 && !is(&argv[3], "withscores")) {
        return Err(error::syntax());
    } else if argv.len() == 4 {
        withscores = true;
        if !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return Err(CmdError::new("ERR value is out of range"));
        }
    }
    let proto = ctx.protocol();
    let now = ctx.now_ms;
    let len = read(ctx, &argv[1], |z| z.map(|z| z.len()))?;
    let Some(size) = len else {
        return Ok(Reply::Array(Vec::new()));
    };
    let (count, uniq) = if l >= 0 {
        (l as u64, true)
    } else {
        (l.unsigned_abs(), false)
    };
    if count == 0 {
        return Ok(Reply::Array(Vec::new()));
    }
    let size = size as u64;
    // Which ranks to reply, in reply order.
    let picks: Vec<usize> = if !uniq || count == 1 {
        // Like SRANDMEMBER and HRANDFIELD: a counted reply has a limit in a browser tab.
        if count > error::MAX_COUNTED_REPLY {
            return Err(error::reply_too_long(count));
        }
        (0..count)
            .map(|_| ctx.engine.rng().below(size) as usize)
            .collect()
    } else if count >= size {
        // The whole set, walked from the highest score down (zuiNext goes backwards).
        (0..size as usize).rev().collect()
    } else if count * 3 > size {
        // Remove random members until `count` remain.
        let mut all: Vec<usize> = (0..size as usize).collect();
        while all.len() as u64 > count {
            let i = ctx.engine.rng().below(all.len() as u64) as usize;
            all.swap_remove(i);
        }
        all
    } else {
        let mut seen = std::collections::HashSet::with_hasher(FixedState::default());
        let mut out = Vec::new();
        while (out.len() as u64) < count {
            let r = ctx.engine.rng().below(size) as usize;
            if seen.insert(r) {
                out.push(r);
            }
        }
        out
    };
    let items: Vec<(Vec<u8>, f64)> = match ctx.db().peek(&argv[1], now).map(|e| &e.value) {
        Some(Value::ZSet(z)) => picks
            .iter()
            .filter_map(|&r| z.nth(r).map(|(m, s)| (m.to_vec(), s)))
            .collect(),
        _ => Vec::new(),
    };
    Ok(scored_reply(proto, items, withscores))
}

/// getRangeLongFromObjectOrReply without a message.
fn range_long_default(b: &[u8], min: i64, max: i64) -> Result<i64, CmdError> {
    let n = long_arg(b)?;
    if n < min || n > max {
        return Err(CmdError::new(format!(
            "ERR value is out of range, value must between {min} and {max}"
        )));
    }
    Ok(n)
}

// ---------------------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

fn aggregate(target: &mut f64, val: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if val < *target {
                *target = val;
            }
        }
        Aggregate::Max => {
            if val > *target {
                *target = val;
            }
        }
    }
}

enum Src<'a> {
    Missing,
    ZSet(&'a ZSetValue),
    Set(&'a SetValue),
}

impl Src<'_> {
    fn len(&self) -> usize {
        match self {
            Src::Missing => 0,
            Src::ZSet(z) => z.len(),
            Src::Set(s) => s.len(),
        }
    }
    fn find(&self, member: &[u8]) -> Option<f64> {
        match self {
            Src::Missing => None,
            Src::ZSet(z) => z.score(member),
            Src::Set(s) => s.contains(member).then_some(1.0),
        }
    }
    fn members(&self) -> Vec<(Vec<u8>, f64)> {
        match self {
            Src::Missing => Vec::new(),
            Src::ZSet(z) => z.iter_rev().map(|(m, s)| (m.to_vec(), s)).collect(),
            Src::Set(s) => s.iter().map(|m| (m, 1.0)).collect(),
        }
    }
}

/// zunionInterDiffGenericCommand. `numkeys_idx` is where numkeys is; `dst` for the STORE
/// forms; `card_only` for ZINTERCARD.
fn set_op_generic(
    ctx: &mut Ctx,
    argv: &[Vec<u8>],
    numkeys_idx: usize,
    dst: Option<&[u8]>,
    op: SetOp,
    card_only: bool,
) -> CmdResult {
    let setnum = long_arg(&argv[numkeys_idx])?;
    if setnum < 1 {
        let full = ctx.spec.name;
        return Err(CmdError::new(format!(
            "ERR at least 1 input key is needed for '{full}' command"
        )));
    }
    if setnum as u64 > (argv.len() - (numkeys_idx + 1)) as u64 {
        return Err(error::syntax());
    }
    let setnum = setnum as usize;
    let keys = &argv[numkeys_idx + 1..numkeys_idx + 1 + setnum];
    // Look every key up (expiring it, counting hits and misses) and check its type.
    let now = ctx.now_ms;
    for key in keys {
        let found = match ctx.db().get(key, now) {
            None => false,
            Some(e) => {
                if !matches!(e.value, Value::ZSet(_) | Value::Set(_)) {
                    ctx.hit(true);
                    return Err(error::wrongtype());
                }
                true
            }
        };
        ctx.hit_key(key, found);
    }
    let mut weights = vec![1.0f64; setnum];
    let mut how = Aggregate::Sum;
    let mut withscores = false;
    let mut limit: i64 = 0;
    let mut j = numkeys_idx + 1 + setnum;
    while j < argv.len() {
        let remaining = argv.len() - j;
        if op != SetOp::Diff && !card_only && remaining > setnum && is(&argv[j], "weights") {
            j += 1;
            for w in weights.iter_mut() {
                *w = crate::args::parse_f64(&argv[j])
                    .ok_or_else(|| CmdError::new("ERR weight value is not a float"))?;
                j += 1;
            }
        } else if op != SetOp::Diff && !card_only && remaining >= 2 && is(&argv[j], "aggregate") {
            let a = &argv[j + 1];
            how = if is(a, "sum") {
                Aggregate::Sum
            } else if is(a, "min") {
                Aggregate::Min
            } else if is(a, "max") {
                Aggregate::Max
            } else {
                return Err(error::syntax());
            };
            j += 2;
        } else if dst.is_none() && !card_only && is(&argv[j], "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && is(&argv[j], "limit") {
            limit = match parse_i64(&argv[j + 1]) {
                Some(n) if n >= 0 => n,
                _ => return Err(CmdError::new("ERR LIMIT can't be negative")),
            };
            j += 2;
        } else {
            return Err(error::syntax());
        }
    }
    let (max_entries, max_value) = limits(ctx);
    let db = ctx.db();
    let mut srcs: Vec<(Src, f64, usize)> = keys
        .iter()
        .zip(weights.iter())
        .enumerate()
        .map(|(i, (k, w))| {
            let src = match db.entry(k).map(|e| &e.value) {
                Some(Value::ZSet(z)) => Src::ZSet(z),
                Some(Value::Set(s)) => Src::Set(s),
                _ => Src::Missing,
            };
            (src, *w, i)
        })
        .collect();
    if op != SetOp::Diff {
        srcs.sort_by_key(|(s, _, _)| s.len());
    }
    let mut result: Vec<(Vec<u8>, f64)> = Vec::new();
    let mut cardinality: i64 = 0;
    match op {
        SetOp::Inter => {
            if srcs[0].0.len() > 0 {
                for (m, s0) in srcs[0].0.members() {
                    let mut score = srcs[0].1 * s0;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    let mut all = true;
                    for (src, w, _) in &srcs[1..] {
                        match src.find(&m) {
                            Some(v) => aggregate(&mut score, v * w, how),
                            None => {
                                all = false;
                                break;
                            }
                        }
                    }
                    if !all {
                        continue;
                    }
                    if card_only {
                        cardinality += 1;
                        if limit > 0 && cardinality >= limit {
                            break;
                        }
                    } else {
                        result.push((m, score));
                    }
                }
            }
        }
        SetOp::Union => {
            let mut acc: HashMap<Vec<u8>, usize, FixedState> = HashMap::default();
            for (src, w, _) in &srcs {
                for (m, s) in src.members() {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get(&m) {
                        Some(&i) => aggregate(&mut result[i].1, score, how),
                        None => {
                            acc.insert(m.clone(), result.len());
                            result.push((m, score));
                        }
                    }
                }
            }
        }
        SetOp::Diff => {
            let first_key = &keys[0];
            let same = keys[1..].iter().any(|k| k == first_key);
            if !same {
                for (m, s) in srcs[0].0.members() {
                    if srcs[1..].iter().all(|(src, _, _)| src.find(&m).is_none()) {
                        result.push((m, s));
                    }
                }
            }
        }
    }
    if card_only {
        return Ok(Reply::Integer(cardinality));
    }
    // Redis builds the result as a skiplist, then converts a stored result that fits to
    // a listpack (zsetConvertToListpackIfNeeded), which turns a -0 score into 0.
    let fits = result.len() <= max_entries && result.iter().all(|(m, _)| m.len() <= max_value);
    let mut out = ZSetValue::new();
    if dst.is_none() || !fits {
        out.convert_to_skiplist();
    }
    for (m, s) in &result {
        out.insert(m, *s, usize::MAX, usize::MAX);
    }
    match dst {
        Some(dst) => {
            let event = match op {
                SetOp::Union => "zunionstore",
                SetOp::Inter => "zinterstore",
                SetOp::Diff => "zdiffstore",
            };
            Ok(store_result(ctx, dst, out, event))
        }
        None => Ok(scored_reply(ctx.protocol(), out.iter(), withscores)),
    }
}

/// ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
fn zunion(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    set_op_generic(ctx, argv, 1, None, SetOp::Union, false)
}

/// ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
fn zinter(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    set_op_generic(ctx, argv, 1, None, SetOp::Inter, false)
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
fn zdiff(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    set_op_generic(ctx, argv, 1, None, SetOp::Diff, false)
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]
fn zunionstore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    set_op_generic(ctx, argv, 2, Some(&argv[1]), SetOp::Union, false)
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]
fn zinterstore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    set_op_generic(ctx, argv, 2, Some(&argv[1]), SetOp::Inter, false)
}

/// ZDIFFSTORE destination numkeys key [key ...]
fn zdiffstore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    set_op_generic(ctx, argv, 2, Some(&argv[1]), SetOp::Diff, false)
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
fn zintercard(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    set_op_generic(ctx, argv, 1, None, SetOp::Inter, true)
}

// ---------------------------------------------------------------------------------------
// ZSCAN
// ---------------------------------------------------------------------------------------

/// Redis's d2string: how a listpack stores a score (integers without a fraction).
fn d2string(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if d == 0.0 {
        return if d.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let half = (i64::MAX / 2) as f64;
    if d >= -half && d <= half && d.fract() == 0.0 {
        return (d as i64).to_string();
    }
    fmt_g(d, 17)
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
fn zscan(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let cursor = crate::cmd::keys::parse_cursor(&argv[2])?;
    let empty = || Reply::Array(vec![Reply::bulk_str("0"), Reply::Array(Vec::new())]);
    let exists = read(ctx, &argv[1], |z| z.is_some())?;
    if !exists {
        return Ok(empty());
    }
    let o = crate::cmd::keys::parse_scan_options(argv, 3, false)?;
    let now = ctx.now_ms;
    let Some(Value::ZSet(z)) = ctx.db().peek(&argv[1], now).map(|e| &e.value) else {
        return Ok(empty());
    };
    let (next, pairs): (u64, Vec<(Vec<u8>, String)>) = match z.scan_order() {
        None => (
            0,
            z.iter().map(|(m, s)| (m.to_vec(), d2string(s))).collect(),
        ),
        Some(order) => {
            let (next, members) = order.scan(cursor, o.count);
            let pairs = members
                .into_iter()
                .filter_map(|m| {
                    z.score(&m).map(|s| {
                        (
                            m.to_vec(),
                            if s.is_infinite() {
                                d2string(s)
                            } else {
                                fmt_g(s, 17)
                            },
                        )
                    })
                })
                .collect();
            (next, pairs)
        }
    };
    let mut out = Vec::new();
    for (m, s) in pairs {
        if !o.matches(&m) {
            continue;
        }
        out.push(Reply::Bulk(m));
        out.push(Reply::Bulk(s.into_bytes()));
    }
    Ok(Reply::Array(vec![
        Reply::Bulk(next.to_string().into_bytes()),
        Reply::Array(out),
    ]))
}
