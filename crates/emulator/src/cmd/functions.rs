//! Functions: FCALL, FCALL_RO and FUNCTION (Redis 7.0's functions.c). Libraries live in
//! `crate::script::functions`; this file parses the commands and builds their replies.

use crate::engine::Ctx;
use crate::error::{self, CmdError, CmdResult};
use crate::rdb;
use crate::reply::Reply;
use crate::script::functions::{flag as fflag, Registry, ENGINE};
use crate::table::{flag::*, CommandSpec};

const SCRIPTING: CommandSpec = CommandSpec {
    group: "scripting",
    acl: &["slow", "scripting"],
    since: "7.0.0",
    ..CommandSpec::BASE
};

const FUNCTION_WRITE: CommandSpec = CommandSpec {
    acl: &["write", "slow", "scripting"],
    ..SCRIPTING
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "fcall",
        arity: -3,
        flags: NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLEKEYS,
        summary: "Invoke a function",
        complexity: "Depends on the function that is executed.",
        syntax: "function numkeys [key [key ...]] [arg [arg ...]]",
        handler: Some(fcall),
        key_finder: Some(fcall_keys),
        ..SCRIPTING
    },
    CommandSpec {
        name: "fcall_ro",
        arity: -3,
        flags: READONLY | NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLEKEYS,
        summary: "Invoke a read-only function",
        complexity: "Depends on the function that is executed.",
        syntax: "function numkeys [key [key ...]] [arg [arg ...]]",
        handler: Some(fcall_ro),
        key_finder: Some(fcall_keys),
        ..SCRIPTING
    },
    CommandSpec {
        name: "function",
        arity: -2,
        acl: &["slow"],
        summary: "A container for function commands",
        complexity: "Depends on subcommand.",
        subcommands: FUNCTION_SUBCOMMANDS,
        ..SCRIPTING
    },
];

const FUNCTION_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "load",
        arity: -3,
        flags: WRITE | DENYOOM | NOSCRIPT,
        summary: "Create a function with the given arguments (name, code, description)",
        complexity: "O(1) (considering compilation time is redundant)",
        syntax: "[REPLACE] function-code",
        handler: Some(function_load),
        ..FUNCTION_WRITE
    },
    CommandSpec {
        name: "restore",
        arity: -3,
        flags: WRITE | DENYOOM | NOSCRIPT,
        summary: "Restore all the functions on the given payload",
        complexity: "O(N) where N is the number of functions on the payload",
        syntax: "serialized-value [FLUSH|APPEND|REPLACE]",
        handler: Some(function_restore),
        ..FUNCTION_WRITE
    },
    CommandSpec {
        name: "flush",
        arity: -2,
        flags: WRITE | NOSCRIPT,
        summary: "Deleting all functions",
        complexity: "O(N) where N is the number of functions deleted",
        syntax: "[ASYNC|SYNC]",
        handler: Some(function_flush),
        ..FUNCTION_WRITE
    },
    CommandSpec {
        name: "delete",
        arity: 3,
        flags: WRITE | NOSCRIPT,
        summary: "Delete a function by name",
        complexity: "O(1)",
        syntax: "library-name",
        handler: Some(function_delete),
        ..FUNCTION_WRITE
    },
    CommandSpec {
        name: "stats",
        arity: 2,
        flags: NOSCRIPT | ALLOW_BUSY,
        summary:
            "Return information about the function currently running (name, description, duration)",
        complexity: "O(1)",
        handler: Some(function_stats),
        ..SCRIPTING
    },
    CommandSpec {
        name: "list",
        arity: -2,
        flags: NOSCRIPT,
        summary: "List information about all the functions",
        complexity: "O(N) where N is the number of functions",
        syntax: "[LIBRARYNAME library-name-pattern] [WITHCODE]",
        handler: Some(function_list),
        ..SCRIPTING
    },
    CommandSpec {
        name: "kill",
        arity: 2,
        flags: NOSCRIPT | ALLOW_BUSY,
        summary: "Kill the function currently in execution.",
        complexity: "O(1)",
        handler: Some(function_kill),
        ..SCRIPTING
    },
    CommandSpec {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        summary: "Show helpful text about the different subcommands",
        complexity: "O(1)",
        handler: Some(function_help),
        ..SCRIPTING
    },
    CommandSpec {
        name: "dump",
        arity: 2,
        flags: NOSCRIPT,
        summary: "Dump all functions into a serialized binary payload",
        complexity: "O(N) where N is the number of functions",
        handler: Some(function_dump),
        ..SCRIPTING
    },
];

/// RDB_OPCODE_FUNCTION2: a library in a payload.
const OPCODE_FUNCTION: u8 = 245;
/// RDB_OPCODE_FUNCTION_PRE_GA: the format of Redis 7.0's release candidates.
const OPCODE_FUNCTION_PRE_GA: u8 = 246;

/// FCALL's keys: `numkeys` at 2, the keys after it (none is fine).
fn fcall_keys(argv: &[Vec<u8>]) -> Option<Vec<usize>> {
    let n = crate::args::parse_i64(argv.get(2)?)?;
    if n < 0 || 3 + n as u64 > argv.len() as u64 {
        return None;
    }
    Some((3..3 + n as usize).collect())
}

/// `addReplySubcommandSyntaxError`.
fn subcommand_syntax(argv: &[Vec<u8>]) -> CmdError {
    CmdError(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        error::truncate_lossy(&argv[1], 128),
        String::from_utf8_lossy(&argv[0]).to_ascii_uppercase()
    ))
}

/// FCALL function numkeys [key ...] [arg ...]
fn fcall(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    fcall_generic(ctx, argv, false)
}

/// FCALL_RO function numkeys [key ...] [arg ...]
fn fcall_ro(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    fcall_generic(ctx, argv, true)
}

/// `fcallCommandGeneric` and `scriptPrepareForRun`'s checks, in their order.
fn fcall_generic(ctx: &mut Ctx, argv: &[Vec<u8>], read_only_command: bool) -> CmdResult {
    let name = String::from_utf8_lossy(&argv[1]).into_owned();
    let flags = ctx
        .engine
        .scripting
        .as_ref()
        .and_then(|s| s.function_flags(&name))
        .ok_or_else(|| CmdError::new("ERR Function not found"))?;
    let n = crate::args::parse_i64(&argv[2])
        .ok_or_else(|| CmdError::new("ERR Bad number of keys provided"))?;
    if n > (argv.len() - 3) as i64 {
        return Err(CmdError::new(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if n < 0 {
        return Err(CmdError::new("ERR Number of keys can't be negative"));
    }
    let no_writes = flags & fflag::NO_WRITES != 0;
    if !no_writes {
        if read_only_command {
            return Err(CmdError::new(
                "ERR Can not execute a script with write flag using *_ro command.",
            ));
        }
        let max = ctx.engine.config.maxmemory();
        if flags & fflag::ALLOW_OOM == 0 && max > 0 && ctx.engine.used_memory() > max as usize {
            return Err(CmdError::new(error::OOM));
        }
    }
    let (keys, args) = argv[3..].split_at(n as usize);
    let client = ctx.client;
    let reply = ctx.engine.run_function(client, &name, keys, args);
    // Still running: FUNCTION STATS shows the command that runs it.
    if let Some(busy) = ctx.engine.busy.as_mut().filter(|b| b.client == client) {
        busy.command = argv.to_vec();
    }
    Ok(reply)
}

/// FUNCTION LOAD [REPLACE] code
fn function_load(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut replace = false;
    let mut pos = 2;
    while pos < argv.len() - 1 {
        let arg = &argv[pos];
        pos += 1;
        if arg.eq_ignore_ascii_case(b"replace") {
            replace = true;
            continue;
        }
        return Err(CmdError(format!(
            "ERR Unknown option given: {}",
            error::truncate_lossy(arg, usize::MAX)
        )));
    }
    let fuel = ctx.engine.script_fuel;
    let name = ctx
        .engine
        .scripting()
        .load_library(&argv[pos], replace, fuel)
        .map_err(|e| CmdError(format!("ERR {e}")))?;
    ctx.dirty(1);
    Ok(Reply::Bulk(name.into_bytes()))
}

/// The server's libraries (none before the scripting engine exists).
fn registry<'a>(ctx: &'a Ctx) -> Option<&'a Registry> {
    ctx.engine.scripting.as_ref().map(|s| &s.functions.registry)
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
fn function_list(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut with_code = false;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 2;
    while i < argv.len() {
        let arg = &argv[i];
        if !with_code && arg.eq_ignore_ascii_case(b"withcode") {
            with_code = true;
        } else if pattern.is_none() && arg.eq_ignore_ascii_case(b"libraryname") {
            if i >= argv.len() - 1 {
                return Err(CmdError::new("ERR library name argument was not given"));
            }
            i += 1;
            pattern = Some(&argv[i]);
        } else {
            return Err(CmdError(format!(
                "ERR Unknown argument {}",
                error::truncate_lossy(arg, usize::MAX)
            )));
        }
        i += 1;
    }
    let mut out = Vec::new();
    for lib in registry(ctx).iter().flat_map(|r| r.libraries.values()) {
        if let Some(p) = pattern {
            if !crate::glob::glob_match(p, lib.name.as_bytes(), true) {
                continue;
            }
        }
        let functions = lib
            .functions
            .values()
            .map(|f| {
                let flags = fflag::NAMES
                    .iter()
                    .filter(|(bit, _)| f.flags & bit != 0)
                    .map(|(_, n)| Reply::status(n))
                    .collect();
                Reply::Map(vec![
                    (Reply::bulk_str("name"), Reply::bulk_str(&f.name)),
                    (
                        Reply::bulk_str("description"),
                        f.description.clone().map_or(Reply::Nil, Reply::Bulk),
                    ),
                    (Reply::bulk_str("flags"), Reply::Set(flags)),
                ])
            })
            .collect();
        let mut entry = vec![
            (Reply::bulk_str("library_name"), Reply::bulk_str(&lib.name)),
            (Reply::bulk_str("engine"), Reply::bulk_str(ENGINE)),
            (Reply::bulk_str("functions"), Reply::Array(functions)),
        ];
        if with_code {
            entry.push((
                Reply::bulk_str("library_code"),
                Reply::Bulk(lib.code.clone()),
            ));
        }
        out.push(Reply::Map(entry));
    }
    Ok(Reply::Array(out))
}

/// FUNCTION DELETE library-name
fn function_delete(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let name = String::from_utf8_lossy(&argv[2]).into_owned();
    let removed = ctx
        .engine
        .scripting
        .as_mut()
        .and_then(|s| s.functions.registry.libraries.remove(&name));
    if removed.is_none() {
        return Err(CmdError::new("ERR Library not found"));
    }
    ctx.dirty(1);
    Ok(Reply::ok())
}

/// FUNCTION FLUSH [ASYNC|SYNC]
fn function_flush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() > 3 {
        return Err(subcommand_syntax(argv));
    }
    if argv.len() == 3
        && !argv[2].eq_ignore_ascii_case(b"sync")
        && !argv[2].eq_ignore_ascii_case(b"async")
    {
        return Err(CmdError::new(
            "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
        ));
    }
    if let Some(s) = ctx.engine.scripting.as_mut() {
        s.functions.registry = Registry::default();
    }
    ctx.dirty(1);
    Ok(Reply::ok())
}

/// FUNCTION STATS: the running function (its name, the command that runs it, how long it
/// has run), refused while an EVAL script runs, and the engine's counts.
fn function_stats(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    let running = match &ctx.engine.busy {
        Some(b) if b.is_eval => return Err(CmdError::new(crate::script::BUSY_EVAL)),
        Some(b) => Reply::Map(vec![
            (Reply::bulk_str("name"), Reply::bulk(b.name.as_bytes())),
            (
                Reply::bulk_str("command"),
                Reply::Array(b.command.iter().map(|a| Reply::bulk(a.clone())).collect()),
            ),
            (
                Reply::bulk_str("duration_ms"),
                Reply::Integer(ctx.engine.now_ms().saturating_sub(b.started_ms)),
            ),
        ]),
        None => Reply::Nil,
    };
    let (libraries, functions) =
        registry(ctx).map_or((0, 0), |r| (r.libraries.len(), r.function_count()));
    Ok(Reply::Map(vec![
        (Reply::bulk_str("running_script"), running),
        (
            Reply::bulk_str("engines"),
            Reply::Map(vec![(
                Reply::bulk_str(ENGINE),
                Reply::Map(vec![
                    (
                        Reply::bulk_str("libraries_count"),
                        Reply::Integer(libraries as i64),
                    ),
                    (
                        Reply::bulk_str("functions_count"),
                        Reply::Integer(functions as i64),
                    ),
                ]),
            )]),
        ),
    ]))
}

/// FUNCTION DUMP: each library's code as RDB_OPCODE_FUNCTION2 and an RDB string, then
/// the RDB version and the CRC64.
fn function_dump(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    let mut payload = Vec::new();
    for lib in registry(ctx).iter().flat_map(|r| r.libraries.values()) {
        payload.push(OPCODE_FUNCTION);
        rdb::write_string(&mut payload, &lib.code);
    }
    rdb::append_footer(&mut payload);
    Ok(Reply::Bulk(payload))
}

/// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]
fn function_restore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() > 4 {
        return Err(subcommand_syntax(argv));
    }
    #[derive(PartialEq)]
    enum Policy {
        Flush,
        Append,
        Replace,
    }
    let policy =
        match argv.get(3) {
            None => Policy::Append,
            Some(p) if p.eq_ignore_ascii_case(b"append") => Policy::Append,
            Some(p) if p.eq_ignore_ascii_case(b"replace") => Policy::Replace,
            Some(p) if p.eq_ignore_ascii_case(b"flush") => Policy::Flush,
            Some(_) => return Err(CmdError::new(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            )),
        };
    let payload = &argv[2];
    if rdb::verify_footer(payload).is_none() {
        return Err(CmdError::new(
            "ERR DUMP payload version or checksum are wrong",
        ));
    }
    let fuel = ctx.engine.script_fuel;
    let scripting = ctx.engine.scripting();
    let mut restored = Registry::default();
    let mut pos = 0;
    // Libraries until the last 10 bytes (the footer), read from the whole payload as Redis
    // reads it.
    while payload.len() - pos > 10 {
        let kind = payload[pos];
        pos += 1;
        let code = match kind {
            OPCODE_FUNCTION => rdb::read_string(payload, &mut pos)
                .ok_or_else(|| CmdError::new("ERR Failed loading library payload"))?,
            OPCODE_FUNCTION_PRE_GA => {
                pre_ga_library(payload, &mut pos).map_err(|e| CmdError(format!("ERR {e}")))?
            }
            _ => return Err(CmdError::new("ERR given type is not a function")),
        };
        scripting
            .create_library(&mut restored, &code, false, fuel)
            .map_err(|e| CmdError(format!("ERR {e}")))?;
    }
    let registry = &mut scripting.functions.registry;
    if policy == Policy::Flush {
        *registry = restored;
    } else {
        registry
            .join(restored, policy == Policy::Replace)
            .map_err(|e| CmdError(format!("ERR {e}")))?;
    }
    ctx.dirty(1);
    Ok(Reply::ok())
}

/// A library in the format of Redis 7.0's release candidates (name, engine, optional
/// description, code), as the code with a shebang that 7.0 loads.
fn pre_ga_library(payload: &[u8], pos: &mut usize) -> Result<Vec<u8>, &'static str> {
    let name = rdb::read_string(payload, pos).ok_or("Failed loading library name")?;
    let engine = rdb::read_string(payload, pos).ok_or("Failed loading engine name")?;
    let has_description =
        rdb::read_plain_len(payload, pos).ok_or("Failed loading library description indicator")?;
    if has_description != 0 {
        rdb::read_string(payload, pos).ok_or("Failed loading library description")?;
    }
    let code = rdb::read_string(payload, pos).ok_or("Failed loading library blob")?;
    let mut out = b"#!".to_vec();
    out.extend_from_slice(&engine);
    out.extend_from_slice(b" name=");
    out.extend_from_slice(&name);
    out.push(b'\n');
    out.extend_from_slice(&code);
    Ok(out)
}

/// FUNCTION KILL: stops the running function (at its next chunk of work) unless it wrote.
fn function_kill(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    ctx.engine.kill_script(false).map(|()| Reply::ok())
}

/// FUNCTION HELP
fn function_help(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(super::help_reply(
        &argv[0],
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    ))
}
