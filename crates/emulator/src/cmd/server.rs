//! Server commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, LASTSAVE, CONFIG, INFO,
//! COMMAND.

use crate::args::{is, parse_i64};
use crate::config;
use crate::engine::{Ctx, DATABASES, REDIS_VERSION};
use crate::error::{self, CmdError, CmdResult};
use crate::glob::glob_match;
use crate::reply::Reply;
use crate::table::{self, flag::*, CommandSpec};

const SERVER: CommandSpec = CommandSpec {
    group: "server",
    ..CommandSpec::BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "monitor",
        arity: 1,
        flags: ADMIN | NOSCRIPT | LOADING | STALE,
        acl: &["admin", "slow", "dangerous"],
        group: "server",
        since: "1.0.0",
        summary: "Listen for all requests received by the server in real time",
        complexity: "",
        handler: Some(monitor),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "dbsize",
        arity: 1,
        flags: READONLY | FAST,
        acl: &["keyspace", "read", "fast"],
        summary: "Return the number of keys in the selected database",
        handler: Some(dbsize),
        ..SERVER
    },
    CommandSpec {
        name: "flushdb",
        arity: -1,
        flags: WRITE,
        acl: &["keyspace", "write", "slow", "dangerous"],
        summary: "Remove all keys from the current database",
        complexity: "O(N) where N is the number of keys in the selected database",
        syntax: "[ASYNC|SYNC]",
        handler: Some(flushdb),
        ..SERVER
    },
    CommandSpec {
        name: "flushall",
        arity: -1,
        flags: WRITE,
        acl: &["keyspace", "write", "slow", "dangerous"],
        summary: "Remove all keys from all databases",
        complexity: "O(N) where N is the total number of keys in all databases",
        syntax: "[ASYNC|SYNC]",
        handler: Some(flushall),
        ..SERVER
    },
    CommandSpec {
        name: "swapdb",
        arity: 3,
        flags: WRITE | FAST,
        acl: &["keyspace", "write", "fast", "dangerous"],
        since: "4.0.0",
        summary: "Swaps two Redis databases",
        complexity:
            "O(N) where N is the count of clients watching or blocking on keys from both databases.",
        syntax: "index1 index2",
        handler: Some(swapdb),
        ..SERVER
    },
    CommandSpec {
        name: "time",
        arity: 1,
        flags: LOADING | STALE | FAST,
        acl: &["fast"],
        since: "2.6.0",
        summary: "Return the current server time",
        handler: Some(time),
        ..SERVER
    },
    CommandSpec {
        name: "lastsave",
        arity: 1,
        flags: LOADING | STALE | FAST,
        acl: &["admin", "fast", "dangerous"],
        summary: "Get the UNIX time stamp of the last successful save to disk",
        handler: Some(lastsave),
        ..SERVER
    },
    CommandSpec {
        name: "info",
        arity: -1,
        flags: LOADING | STALE,
        acl: &["slow", "dangerous"],
        summary: "Get information and statistics about the server",
        syntax: "[section [section ...]]",
        handler: Some(info),
        ..SERVER
    },
    CommandSpec {
        name: "config",
        arity: -2,
        acl: &["slow"],
        since: "2.0.0",
        summary: "A container for server configuration commands",
        complexity: "Depends on subcommand.",
        syntax: "subcommand [arguments]",
        subcommands: CONFIG_SUBCOMMANDS,
        ..SERVER
    },
    CommandSpec {
        name: "command",
        arity: -1,
        flags: LOADING | STALE,
        acl: &["slow", "connection"],
        since: "2.8.13",
        summary: "Get array of Redis command details",
        complexity: "O(N) where N is the total number of Redis commands",
        syntax: "[subcommand [arguments]]",
        handler: Some(command),
        subcommands: COMMAND_SUBCOMMANDS,
        ..SERVER
    },
];

const CONFIG_SUB: CommandSpec = CommandSpec {
    flags: ADMIN | NOSCRIPT | LOADING | STALE,
    acl: &["admin", "slow", "dangerous"],
    group: "server",
    ..CommandSpec::BASE
};

const CONFIG_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "get",
        arity: -3,
        since: "2.0.0",
        summary: "Get the values of configuration parameters",
        complexity: "O(N) when N is the number of configuration parameters provided",
        syntax: "parameter [parameter ...]",
        handler: Some(config_get),
        ..CONFIG_SUB
    },
    CommandSpec {
        name: "set",
        arity: -4,
        since: "2.0.0",
        summary: "Set configuration parameters to the given values",
        complexity: "O(N) when N is the number of configuration parameters provided",
        syntax: "parameter value [parameter value ...]",
        handler: Some(config_set),
        ..CONFIG_SUB
    },
    CommandSpec {
        name: "resetstat",
        arity: 2,
        since: "2.0.0",
        summary: "Reset the stats returned by INFO",
        handler: Some(config_resetstat),
        ..CONFIG_SUB
    },
    CommandSpec {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        acl: &["slow"],
        since: "5.0.0",
        summary: "Show helpful text about the different subcommands",
        handler: Some(config_help),
        ..CONFIG_SUB
    },
];

const COMMAND_SUB: CommandSpec = CommandSpec {
    flags: LOADING | STALE,
    acl: &["slow", "connection"],
    group: "server",
    ..CommandSpec::BASE
};

const COMMAND_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "count",
        arity: 2,
        since: "2.8.13",
        summary: "Get total number of Redis commands",
        handler: Some(command_count),
        ..COMMAND_SUB
    },
    CommandSpec {
        name: "info",
        arity: -2,
        since: "2.8.13",
        summary: "Get array of specific Redis command details, or all when no argument is given.",
        complexity: "O(N) where N is the number of commands to look up",
        syntax: "[command-name [command-name ...]]",
        handler: Some(command_info),
        ..COMMAND_SUB
    },
    CommandSpec {
        name: "docs",
        arity: -2,
        since: "7.0.0",
        summary: "Get array of specific Redis command documentation",
        complexity: "O(N) where N is the number of commands to look up",
        syntax: "[command-name [command-name ...]]",
        handler: Some(command_docs),
        ..COMMAND_SUB
    },
    CommandSpec {
        name: "list",
        arity: -2,
        since: "7.0.0",
        summary: "Get an array of Redis command names",
        complexity: "O(N) where N is the total number of Redis commands",
        syntax: "[FILTERBY MODULE module-name|ACLCAT category|PATTERN pattern]",
        handler: Some(command_list),
        ..COMMAND_SUB
    },
    CommandSpec {
        name: "getkeys",
        arity: -4,
        since: "2.8.13",
        summary: "Extract keys given a full Redis command",
        complexity: "O(N) where N is the number of arguments to the command",
        // Redis 7.0 documents no arguments for it: redis-cli shows none in help and hints.
        syntax: "",
        handler: Some(command_getkeys),
        ..COMMAND_SUB
    },
    CommandSpec {
        name: "help",
        arity: 2,
        since: "5.0.0",
        summary: "Show helpful text about the different subcommands",
        handler: Some(command_help),
        ..COMMAND_SUB
    },
];

// ---------------------------------------------------------------------------------------
// Keyspace-wide commands
// ---------------------------------------------------------------------------------------

/// DBSIZE
fn dbsize(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Integer(ctx.db().len() as i64))
}

/// FLUSHDB/FLUSHALL accept one optional ASYNC or SYNC.
fn flush_flags(argv: &[Vec<u8>]) -> Result<(), CmdError> {
    match argv.len() {
        1 => Ok(()),
        2 if is(&argv[1], "async") || is(&argv[1], "sync") => Ok(()),
        _ => Err(error::syntax()),
    }
}

/// FLUSHDB [ASYNC|SYNC]
fn flushdb(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    flush_flags(argv)?;
    let n = ctx.db().len() as u64;
    ctx.db().clear();
    ctx.dirty(n.max(1));
    Ok(Reply::ok())
}

/// FLUSHALL [ASYNC|SYNC]
fn flushall(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    flush_flags(argv)?;
    for db in ctx.engine.dbs.iter_mut() {
        db.clear();
    }
    ctx.dirty(1);
    Ok(Reply::ok())
}

/// SWAPDB index1 index2
fn swapdb(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let index = |b: &[u8], which: &str| {
        parse_i64(b)
            .filter(|n| *n >= i32::MIN as i64 && *n <= i32::MAX as i64)
            .ok_or_else(|| CmdError(format!("ERR invalid {} DB index", which)))
    };
    let a = index(&argv[1], "first")?;
    let b = index(&argv[2], "second")?;
    let range = 0..DATABASES as i64;
    if !range.contains(&a) || !range.contains(&b) {
        return Err(CmdError::new(error::DB_INDEX));
    }
    let (a, b) = (a.min(b) as usize, a.max(b) as usize);
    if a != b {
        let (low, high) = ctx.engine.dbs.split_at_mut(b);
        low[a].swap_data(&mut high[0]);
    }
    ctx.dirty(1);
    Ok(Reply::ok())
}

/// TIME
fn time(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    let us = ctx.engine.clock.now_us();
    Ok(Reply::Array(vec![
        Reply::Bulk(us.div_euclid(1_000_000).to_string().into_bytes()),
        Reply::Bulk(us.rem_euclid(1_000_000).to_string().into_bytes()),
    ]))
}

/// LASTSAVE: the emulator never saves to disk; it reports its start time, as a fresh
/// Redis does.
fn lastsave(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Integer(ctx.engine.start_ms / 1000))
}

// ---------------------------------------------------------------------------------------
// CONFIG
// ---------------------------------------------------------------------------------------

/// CONFIG GET parameter [parameter ...]: as a map. A name without glob characters is
/// looked up directly and reported as typed (`CONFIG GET MAXMEMORY` answers `MAXMEMORY`);
/// a pattern matches canonical names and aliases alike. Each name appears once
/// (case-insensitively), in the order found.
fn config_get(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut out: Vec<(Reply, Reply)> = Vec::new();
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut add = |out: &mut Vec<(Reply, Reply)>, name: &[u8], canonical: &str| {
        let lower = name.to_ascii_lowercase();
        if !seen.contains(&lower) {
            seen.push(lower);
            out.push((
                Reply::bulk(name),
                Reply::bulk_str(&display_value(ctx, canonical)),
            ));
        }
    };
    for pattern in &argv[2..] {
        if !pattern.iter().any(|c| matches!(c, b'[' | b'*' | b'?')) {
            if let Some(p) = config::find(&String::from_utf8_lossy(pattern)) {
                add(&mut out, pattern, p.name);
            }
            continue;
        }
        for p in config::PARAMS {
            for name in std::iter::once(p.name).chain(p.alias) {
                if glob_match(pattern, name.as_bytes(), true) {
                    add(&mut out, name.as_bytes(), p.name);
                }
            }
        }
    }
    Ok(Reply::Map(out))
}

/// A parameter's value as CONFIG GET prints it.
fn display_value(ctx: &Ctx, name: &str) -> String {
    ctx.engine.config.get(name).to_string()
}

/// CONFIG SET parameter value [parameter value ...]: all or nothing, with Redis's order
/// of checks: an odd count is a syntax error; then every name is looked up (an unknown
/// name wins over other errors), immutable and repeated names are refused; then values
/// are validated in order, the first bad one named as Redis names it (the name it was
/// looked up by, in lower case).
fn config_set(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if !argv.len().is_multiple_of(2) {
        return Err(error::syntax());
    }
    let mut unknown: Option<String> = None;
    let mut refused: Option<(String, &str)> = None;
    let mut found: Vec<(&'static config::Param, &'static str, &[u8])> = Vec::new();
    for pair in argv[2..].chunks(2) {
        let typed = String::from_utf8_lossy(&pair[0]).into_owned();
        let Some(param) = config::find(&typed) else {
            if unknown.is_none() && refused.is_none() {
                unknown = Some(typed);
            }
            continue;
        };
        if unknown.is_some() || refused.is_some() {
            continue;
        }
        // Redis registers an alias as a parameter of its own, under its own name.
        let looked_up = if param.name.eq_ignore_ascii_case(&typed) {
            param.name
        } else {
            param.alias.unwrap_or(param.name)
        };
        if !param.mutable {
            refused = Some((typed, "can't set immutable config"));
        } else if param.protected {
            refused = Some((typed, "can't set protected config"));
        } else if found.iter().any(|(_, n, _)| *n == looked_up) {
            refused = Some((typed, "duplicate parameter"));
        }
        found.push((param, looked_up, &pair[1]));
    }
    if let Some(name) = unknown {
        return Err(CmdError(format!(
            "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
            name
        )));
    }
    if let Some((name, reason)) = refused {
        return Err(CmdError(format!(
            "ERR CONFIG SET failed (possibly related to argument '{}') - {}",
            name, reason
        )));
    }
    let mut staged = ctx.engine.config.clone();
    for (param, looked_up, value) in found {
        let value = String::from_utf8_lossy(value).into_owned();
        staged.set(param, &value).map_err(|reason| {
            CmdError(format!(
                "ERR CONFIG SET failed (possibly related to argument '{}') - {}",
                looked_up, reason
            ))
        })?;
    }
    ctx.engine.config = staged;
    Ok(Reply::ok())
}

/// CONFIG RESETSTAT
fn config_resetstat(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    ctx.engine.stats = Default::default();
    Ok(Reply::ok())
}

/// CONFIG HELP
fn config_help(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(super::help_reply(
        &argv[0],
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    ))
}

// ---------------------------------------------------------------------------------------
// INFO
// ---------------------------------------------------------------------------------------

const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];
const ALL_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "cluster",
    "keyspace",
];

/// INFO [section [section ...]]
fn info(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut wanted: Vec<&str> = Vec::new();
    if argv.len() == 1 {
        wanted.extend(DEFAULT_SECTIONS);
    }
    for arg in &argv[1..] {
        let a = String::from_utf8_lossy(arg).to_ascii_lowercase();
        match a.as_str() {
            "all" | "everything" => wanted.extend(ALL_SECTIONS),
            "default" => wanted.extend(DEFAULT_SECTIONS),
            s => {
                if let Some(known) = ALL_SECTIONS.iter().find(|k| **k == s) {
                    wanted.push(known);
                }
            }
        }
    }
    let mut text = String::new();
    for section in ALL_SECTIONS {
        if !wanted.contains(section) {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        text.push_str(&info_section(ctx, section));
    }
    Ok(Reply::Verbatim("txt", text.into_bytes()))
}

fn info_section(ctx: &Ctx, section: &str) -> String {
    let e = &*ctx.engine;
    let now = e.clock.now_ms();
    let uptime = ((now - e.start_ms).max(0)) / 1000;
    let mut lines: Vec<String> = Vec::new();
    let mut kv = |k: &str, v: String| lines.push(format!("{}:{}", k, v));
    let title = match section {
        "server" => {
            kv("redis_version", REDIS_VERSION.into());
            kv("redis_git_sha1", "00000000".into());
            kv("redis_git_dirty", "0".into());
            kv("redis_build_id", "0".into());
            kv("redis_mode", "standalone".into());
            kv("os", "Redis emulator (redis-playground)".into());
            kv("arch_bits", "64".into());
            kv("monotonic_clock", "Emulator clock".into());
            kv("multiplexing_api", "emulated".into());
            kv("atomicvar_api", "c11-builtin".into());
            kv("gcc_version", "0.0.0".into());
            kv("process_id", "1".into());
            kv("process_supervised", "no".into());
            kv("run_id", e.run_id.clone());
            kv("tcp_port", e.config.get("port").into());
            kv("server_time_usec", e.clock.now_us().to_string());
            kv("uptime_in_seconds", uptime.to_string());
            kv("uptime_in_days", (uptime / 86400).to_string());
            kv("hz", e.config.get("hz").into());
            kv("configured_hz", e.config.get("hz").into());
            kv("lru_clock", ((now / 1000) & ((1 << 24) - 1)).to_string());
            kv("executable", "/usr/bin/redis-server".into());
            kv("config_file", "".into());
            kv("io_threads_active", "0".into());
            "Server"
        }
        "clients" => {
            kv("connected_clients", e.clients.len().to_string());
            kv("cluster_connections", "0".into());
            kv("maxclients", e.config.get("maxclients").into());
            kv("client_recent_max_input_buffer", "0".into());
            kv("client_recent_max_output_buffer", "0".into());
            kv("blocked_clients", ctx.engine.blocked_count().to_string());
            kv("tracking_clients", "0".into());
            kv("clients_in_timeout_table", "0".into());
            "Clients"
        }
        "memory" => {
            let used = e.used_memory();
            let max = e.config.maxmemory();
            kv("used_memory", used.to_string());
            kv("used_memory_human", human_bytes(used as i64));
            kv("used_memory_rss", (used + 4_000_000).to_string());
            kv(
                "used_memory_rss_human",
                human_bytes(used as i64 + 4_000_000),
            );
            kv("used_memory_peak", used.to_string());
            kv("used_memory_peak_human", human_bytes(used as i64));
            kv(
                "used_memory_dataset",
                e.dbs.iter().map(|d| d.memory()).sum::<usize>().to_string(),
            );
            kv("maxmemory", max.to_string());
            kv("maxmemory_human", human_bytes(max));
            kv("maxmemory_policy", e.config.get("maxmemory-policy").into());
            kv("mem_fragmentation_ratio", "1.00".into());
            kv("mem_allocator", "emulated".into());
            kv("lazyfree_pending_objects", "0".into());
            "Memory"
        }
        "persistence" => {
            kv("loading", "0".into());
            kv("async_loading", "0".into());
            kv("rdb_changes_since_last_save", e.dirty_count().to_string());
            kv("rdb_bgsave_in_progress", "0".into());
            kv("rdb_last_save_time", (e.start_ms / 1000).to_string());
            kv("rdb_last_bgsave_status", "ok".into());
            kv("aof_enabled", "0".into());
            kv("aof_rewrite_in_progress", "0".into());
            "Persistence"
        }
        "stats" => {
            let s = &e.stats;
            kv(
                "total_connections_received",
                s.connections_received.to_string(),
            );
            kv("total_commands_processed", s.commands_processed.to_string());
            kv("instantaneous_ops_per_sec", "0".into());
            kv("rejected_connections", "0".into());
            kv("expired_keys", s.expired_keys.to_string());
            kv("evicted_keys", s.evicted_keys.to_string());
            kv("keyspace_hits", s.keyspace_hits.to_string());
            kv("keyspace_misses", s.keyspace_misses.to_string());
            kv(
                "pubsub_channels",
                ctx.engine.pubsub().channel_count().to_string(),
            );
            kv(
                "pubsub_patterns",
                ctx.engine.pubsub().pattern_count().to_string(),
            );
            kv(
                "pubsubshard_channels",
                ctx.engine.pubsub().shard_channel_count().to_string(),
            );
            kv("total_error_replies", s.error_replies.to_string());
            kv("unexpected_error_replies", "0".into());
            kv("total_reads_processed", s.commands_processed.to_string());
            kv("total_writes_processed", s.commands_processed.to_string());
            "Stats"
        }
        "replication" => {
            kv("role", "master".into());
            kv("connected_slaves", "0".into());
            kv("master_failover_state", "no-failover".into());
            kv("master_replid", e.run_id.clone());
            kv("master_repl_offset", "0".into());
            kv("repl_backlog_active", "0".into());
            "Replication"
        }
        "cpu" => {
            kv("used_cpu_sys", "0.000000".into());
            kv("used_cpu_user", "0.000000".into());
            "CPU"
        }
        "modules" => "Modules",
        "commandstats" => {
            for (name, (calls, failed)) in &e.stats.calls {
                kv(
                    &format!("cmdstat_{}", name),
                    format!(
                        "calls={},usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls={}",
                        calls, failed
                    ),
                );
            }
            "Commandstats"
        }
        "errorstats" => {
            for (code, count) in &e.stats.errors {
                kv(&format!("errorstat_{}", code), format!("count={}", count));
            }
            "Errorstats"
        }
        "cluster" => {
            kv("cluster_enabled", "0".into());
            "Cluster"
        }
        "keyspace" => {
            for (i, db) in e.dbs.iter().enumerate() {
                if !db.is_empty() {
                    kv(
                        &format!("db{}", i),
                        format!("keys={},expires={},avg_ttl=0", db.len(), db.expires_count()),
                    );
                }
            }
            "Keyspace"
        }
        _ => return String::new(),
    };
    let mut out = format!("# {}\r\n", title);
    for l in lines {
        out.push_str(&l);
        out.push_str("\r\n");
    }
    out
}

/// Redis's `bytesToHuman`: `1.00M`, `870.00K`, `0B`.
fn human_bytes(n: i64) -> String {
    let n = n as f64;
    const K: f64 = 1024.0;
    if n < K {
        format!("{}B", n as i64)
    } else if n < K * K {
        format!("{:.2}K", n / K)
    } else if n < K * K * K {
        format!("{:.2}M", n / (K * K))
    } else if n < K * K * K * K {
        format!("{:.2}G", n / (K * K * K))
    } else {
        format!("{:.2}T", n / (K * K * K * K))
    }
}

// ---------------------------------------------------------------------------------------
// COMMAND
// ---------------------------------------------------------------------------------------

/// COMMAND (no subcommand): info about every command.
fn command(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    debug_assert_eq!(argv.len(), 1);
    Ok(Reply::Array(
        table::all()
            .iter()
            .map(|c| command_info_reply(c, c.name))
            .collect(),
    ))
}

fn command_info_reply(c: &CommandSpec, full_name: &str) -> Reply {
    let statuses = |v: Vec<&str>| Reply::Set(v.into_iter().map(Reply::status).collect());
    let acl: Vec<String> = c.acl.iter().map(|a| format!("@{}", a)).collect();
    Reply::Array(vec![
        Reply::bulk_str(full_name),
        Reply::Integer(c.arity as i64),
        statuses(c.flag_names()),
        Reply::Integer(c.first_key as i64),
        Reply::Integer(c.last_key as i64),
        Reply::Integer(c.step as i64),
        statuses(acl.iter().map(|s| s.as_str()).collect()),
        // Tips, key specifications and subcommands are sets (`~` in RESP3).
        // Key specifications are not modelled: an empty set.
        Reply::Set(vec![]),
        Reply::Set(vec![]),
        Reply::Set(
            c.subcommands
                .iter()
                .map(|s| command_info_reply(s, &format!("{}|{}", c.name, s.name)))
                .collect(),
        ),
    ])
}

/// COMMAND COUNT
fn command_count(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Integer(table::all().len() as i64))
}

/// Finds `name` or `container|sub`.
fn find_full(name: &[u8]) -> Option<(&'static CommandSpec, String)> {
    match name.iter().position(|&b| b == b'|') {
        None => table::lookup(name).map(|c| (c, c.name.to_string())),
        Some(i) => {
            let parent = table::lookup(&name[..i])?;
            let sub = parent.find_subcommand(&name[i + 1..])?;
            Some((sub, format!("{}|{}", parent.name, sub.name)))
        }
    }
}

/// COMMAND INFO [command-name ...]
fn command_info(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() == 2 {
        return Ok(Reply::Array(
            table::all()
                .iter()
                .map(|c| command_info_reply(c, c.name))
                .collect(),
        ));
    }
    Ok(Reply::Array(
        argv[2..]
            .iter()
            .map(|n| match find_full(n) {
                Some((c, full)) => command_info_reply(c, &full),
                // addReplyNull: `$-1` in RESP2.
                None => Reply::Nil,
            })
            .collect(),
    ))
}

fn command_docs_reply(c: &CommandSpec, full_name: &str) -> Reply {
    let mut fields = vec![
        (Reply::bulk_str("summary"), Reply::bulk_str(c.summary)),
        (Reply::bulk_str("since"), Reply::bulk_str(c.since)),
        (Reply::bulk_str("group"), Reply::bulk_str(c.group)),
        (Reply::bulk_str("complexity"), Reply::bulk_str(c.complexity)),
    ];
    if !c.subcommands.is_empty() {
        let subs = c
            .subcommands
            .iter()
            .map(|s| {
                let full = format!("{}|{}", full_name, s.name);
                (Reply::bulk_str(&full), command_docs_reply(s, &full))
            })
            .collect();
        fields.push((Reply::bulk_str("subcommands"), Reply::Map(subs)));
    }
    Reply::Map(fields)
}

/// COMMAND DOCS [command-name ...]: summary, since, group, complexity, subcommands.
fn command_docs(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut out = Vec::new();
    if argv.len() == 2 {
        for c in table::all() {
            out.push((Reply::bulk_str(c.name), command_docs_reply(c, c.name)));
        }
    } else {
        for n in &argv[2..] {
            if let Some((c, full)) = find_full(n) {
                out.push((Reply::bulk_str(&full), command_docs_reply(c, &full)));
            }
        }
    }
    Ok(Reply::Map(out))
}

/// COMMAND LIST [FILTERBY MODULE name|ACLCAT category|PATTERN pattern]
fn command_list(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut names: Vec<String> = Vec::new();
    for c in table::all() {
        names.push(c.name.to_string());
        for s in c.subcommands {
            names.push(format!("{}|{}", c.name, s.name));
        }
    }
    match argv.len() {
        2 => {}
        5 if is(&argv[2], "filterby") => {
            let value = &argv[4];
            if is(&argv[3], "pattern") {
                names.retain(|n| glob_match(value, n.as_bytes(), true));
            } else if is(&argv[3], "aclcat") {
                let cat = String::from_utf8_lossy(value).to_ascii_lowercase();
                names.retain(|n| {
                    find_full(n.as_bytes()).is_some_and(|(c, _)| c.acl.contains(&cat.as_str()))
                });
            } else if is(&argv[3], "module") {
                names.clear();
            } else {
                return Err(error::syntax());
            }
        }
        _ => return Err(error::syntax()),
    }
    Ok(Reply::bulks(names))
}

/// COMMAND GETKEYS command [arg ...]
fn command_getkeys(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let args = &argv[2..];
    let Some(mut spec) = table::lookup(&args[0]) else {
        return Err(CmdError::new("ERR Invalid command specified"));
    };
    if !spec.subcommands.is_empty() && args.len() > 1 {
        if let Some(sub) = spec.find_subcommand(&args[1]) {
            spec = sub;
        }
    }
    if !spec.arity_ok(args.len()) {
        return Err(CmdError::new(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let keys = spec
        .keys_of(args)
        .ok_or_else(|| CmdError::new("ERR Invalid arguments specified for command"))?;
    if keys.is_empty() {
        return Err(CmdError::new("ERR The command has no key arguments"));
    }
    Ok(Reply::Array(
        keys.into_iter()
            .map(|i| Reply::Bulk(args[i].clone()))
            .collect(),
    ))
}

/// COMMAND HELP
fn command_help(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(super::help_reply(
        &argv[0],
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    ))
}

// ---------------------------------------------------------------------------------------
// MONITOR
// ---------------------------------------------------------------------------------------

/// MONITOR: from now on the client receives a line for every command any client runs.
/// Not inside MULTI or a script (DENY_BLOCKING); a second MONITOR gets no reply.
fn monitor(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    if !ctx.may_block() {
        return Err(CmdError::new(
            "ERR MONITOR isn't allowed for DENY BLOCKING client",
        ));
    }
    let client = ctx.client;
    if ctx.engine.monitors.contains(&client) {
        return Ok(Reply::NoReply);
    }
    ctx.engine.monitors.push(client);
    Ok(Reply::ok())
}

/// replicationFeedMonitors: after a command ran (admin and skip-monitor commands
/// excepted), every monitor gets `+<secs>.<usecs> [<db> <addr>] "arg" "arg"...` with
/// the time of the engine's clock and the database the client is in after it.
pub(crate) fn feed_monitors(
    engine: &mut crate::engine::Engine,
    client: crate::engine::ClientId,
    argv: &[Vec<u8>],
) {
    let Some(c) = engine.client(client) else {
        return;
    };
    let us = engine.clock.now_us();
    // A script's commands show `lua` as their address (replicationFeedMonitors).
    let addr = if engine.in_script {
        "lua"
    } else {
        c.info.addr.as_str()
    };
    let mut line = format!(
        "{}.{:06} [{} {}] ",
        us.div_euclid(1_000_000),
        us.rem_euclid(1_000_000),
        c.db,
        addr
    );
    for (i, arg) in argv.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        line.push_str(&crate::cli::quote_bytes(arg));
    }
    for m in engine.monitors.clone() {
        engine.push_output(m, Reply::Status(line.clone()));
    }
}
