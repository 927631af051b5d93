//! DUMP and RESTORE: a key's value as Redis's serialization and back (the format is in
//! `crate::dump`), with RESTORE's options and errors as Redis 7.0's `restoreCommand`
//! checks them, in the same order.

use crate::args::{int_arg, is};
use crate::dump::{self, Limits};
use crate::engine::Ctx;
use crate::error::{self, CmdError, CmdResult};
use crate::notify::EventClass;
use crate::reply::Reply;
use crate::table::{flag::*, CommandSpec};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "dump",
        arity: 2,
        flags: READONLY,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["keyspace", "read", "slow"],
        since: "2.6.0",
        summary: "Return a serialized version of the value stored at the specified key.",
        complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
        syntax: "key",
        handler: Some(dump_cmd),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "restore",
        arity: -4,
        flags: WRITE | DENYOOM,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["keyspace", "write", "slow", "dangerous"],
        since: "2.6.0",
        summary: "Create a key using the provided serialized value, previously obtained using DUMP.",
        complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
        syntax: "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]",
        handler: Some(restore_cmd),
        ..CommandSpec::BASE
    },
];

/// DUMP key
fn dump_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let limits = Limits::from_config(&ctx.engine.config);
    // lookupKeyRead: the key counts as accessed (LRU/LFU, keyspace hits).
    let payload = ctx
        .db()
        .get(&argv[1], now)
        .map(|e| dump::dump(&e.value, &limits));
    ctx.hit_key(&argv[1], payload.is_some());
    Ok(payload.map_or(Reply::Nil, Reply::Bulk))
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
fn restore_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < argv.len() {
        let more = argv.len() - j - 1;
        if is(&argv[j], "replace") {
            replace = true;
        } else if is(&argv[j], "absttl") {
            absttl = true;
        } else if is(&argv[j], "idletime") && more > 0 && freq.is_none() {
            // IDLETIME and FREQ exclude each other: the second one is a syntax error.
            let n = int_arg(&argv[j + 1])?;
            if n < 0 {
                return Err(CmdError::new("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(n);
            j += 1;
        } else if is(&argv[j], "freq") && more > 0 && idle.is_none() {
            let n = int_arg(&argv[j + 1])?;
            if !(0..=255).contains(&n) {
                return Err(CmdError::new(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            freq = Some(n);
            j += 1;
        } else {
            return Err(error::syntax());
        }
        j += 1;
    }
    let key = &argv[1];
    let now = ctx.now_ms;
    // lookupKeyWrite (an expired key goes here), before the TTL is even parsed.
    if !replace && ctx.db().contains(key, now) {
        return Err(CmdError::new("BUSYKEY Target key name already exists."));
    }
    let ttl = int_arg(&argv[2])?;
    if ttl < 0 {
        return Err(CmdError::new("ERR Invalid TTL value, must be >= 0"));
    }
    let limits = Limits::from_config(&ctx.engine.config);
    let value = dump::load(&argv[3], &limits).map_err(|e| CmdError::new(e.message()))?;
    let deleted = replace && ctx.db().remove(key).is_some();
    // A relative TTL counts from now; 0 means no TTL. (Redis adds in C without an
    // overflow check: a sum that wraps reads as a time long past.)
    let expire_at = match ttl {
        0 => None,
        t if absttl => Some(t),
        t => Some(t.wrapping_add(now)),
    };
    if expire_at.is_some_and(|at| at <= now) {
        // Already expired: nothing is created, but a replaced key is gone (a DEL).
        if deleted {
            ctx.notify(EventClass::Generic, "del", key);
            ctx.dirty(1);
        }
        return Ok(Reply::ok());
    }
    let db = ctx.db();
    db.set_with_expire(key, value, expire_at, now);
    db.set_access_fields(key, idle, freq, now);
    ctx.notify(EventClass::Generic, "restore", key);
    ctx.dirty(1);
    Ok(Reply::ok())
}
