//! Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (Redis 7.0's eval.c). The Lua
//! side lives in `crate::script`.

use crate::engine::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::reply::Reply;
use crate::script::Mode;
use crate::table::{flag::*, CommandSpec};

const SCRIPTING: CommandSpec = CommandSpec {
    group: "scripting",
    acl: &["slow", "scripting"],
    since: "2.6.0",
    complexity: "Depends on the script that is executed.",
    ..CommandSpec::BASE
};

const EVAL: CommandSpec = CommandSpec {
    arity: -3,
    flags: NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLEKEYS,
    summary: "Execute a Lua script server side",
    key_finder: Some(eval_keys),
    ..SCRIPTING
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "eval",
        syntax: "script numkeys [key [key ...]] [arg [arg ...]]",
        handler: Some(eval),
        ..EVAL
    },
    CommandSpec {
        name: "evalsha",
        syntax: "sha1 numkeys [key [key ...]] [arg [arg ...]]",
        handler: Some(evalsha),
        ..EVAL
    },
    CommandSpec {
        name: "eval_ro",
        flags: READONLY | NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLEKEYS,
        since: "7.0.0",
        summary: "Execute a read-only Lua script server side",
        syntax: "script numkeys [key [key ...]] [arg [arg ...]]",
        handler: Some(eval_ro),
        ..EVAL
    },
    CommandSpec {
        name: "evalsha_ro",
        flags: READONLY | NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLEKEYS,
        since: "7.0.0",
        summary: "Execute a read-only Lua script server side",
        syntax: "sha1 numkeys [key [key ...]] [arg [arg ...]]",
        handler: Some(evalsha_ro),
        ..EVAL
    },
    CommandSpec {
        name: "script",
        arity: -2,
        acl: &["slow"],
        summary: "A container for Lua scripts management commands",
        complexity: "Depends on subcommand.",
        subcommands: SCRIPT_SUBCOMMANDS,
        ..SCRIPTING
    },
];

const SCRIPT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "kill",
        arity: 2,
        flags: NOSCRIPT | ALLOW_BUSY,
        summary: "Kill the script currently in execution.",
        complexity: "O(1)",
        handler: Some(script_kill),
        ..SCRIPTING
    },
    CommandSpec {
        name: "load",
        arity: 3,
        flags: NOSCRIPT | STALE,
        summary: "Load the specified Lua script into the script cache.",
        complexity: "O(N) with N being the length in bytes of the script body.",
        syntax: "script",
        handler: Some(script_load),
        ..SCRIPTING
    },
    CommandSpec {
        name: "exists",
        arity: -3,
        flags: NOSCRIPT,
        summary: "Check existence of scripts in the script cache.",
        complexity: "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
        syntax: "sha1 [sha1 ...]",
        handler: Some(script_exists),
        ..SCRIPTING
    },
    CommandSpec {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        since: "5.0.0",
        summary: "Show helpful text about the different subcommands",
        complexity: "O(1)",
        handler: Some(script_help),
        ..SCRIPTING
    },
    CommandSpec {
        name: "flush",
        arity: -2,
        flags: NOSCRIPT,
        summary: "Remove all the scripts from the script cache.",
        complexity: "O(N) with N being the number of scripts in cache",
        syntax: "[ASYNC|SYNC]",
        handler: Some(script_flush),
        ..SCRIPTING
    },
];

/// EVAL's keys: `numkeys` at 2, the keys after it (none is fine).
fn eval_keys(argv: &[Vec<u8>]) -> Option<Vec<usize>> {
    let n = crate::args::parse_i64(argv.get(2)?)?;
    if n < 0 || 3 + n as u64 > argv.len() as u64 {
        return None;
    }
    Some((3..3 + n as usize).collect())
}

/// `numkeys` and the KEYS / ARGV it splits the arguments into (evalGenericCommand's checks).
/// A script's keys and its other arguments.
type KeysAndArgs<'a> = (&'a [Vec<u8>], &'a [Vec<u8>]);

fn keys_and_args(argv: &[Vec<u8>]) -> Result<KeysAndArgs<'_>, CmdError> {
    let n = crate::args::parse_i64(&argv[2]).ok_or_else(crate::error::not_integer)?;
    if n > (argv.len() - 3) as i64 {
        return Err(CmdError::new(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if n < 0 {
        return Err(CmdError::new("ERR Number of keys can't be negative"));
    }
    let n = n as usize;
    Ok((&argv[3..3 + n], &argv[3 + n..]))
}

/// EVAL script numkeys [key ...] [arg ...]
fn eval(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    eval_body(ctx, argv, Mode::ReadWrite)
}

/// EVAL_RO script numkeys [key ...] [arg ...]
fn eval_ro(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    eval_body(ctx, argv, Mode::ReadOnly)
}

/// EVALSHA sha1 numkeys [key ...] [arg ...]
fn evalsha(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    eval_sha(ctx, argv, Mode::ReadWrite)
}

/// EVALSHA_RO sha1 numkeys [key ...] [arg ...]
fn evalsha_ro(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    eval_sha(ctx, argv, Mode::ReadOnly)
}

fn eval_body(ctx: &mut Ctx, argv: &[Vec<u8>], mode: Mode) -> CmdResult {
    let (keys, args) = keys_and_args(argv)?;
    let sha = ctx.engine.scripting().load(&argv[1]).map_err(CmdError)?;
    let client = ctx.client;
    Ok(ctx.engine.run_script(client, &sha, keys, args, mode))
}

fn eval_sha(ctx: &mut Ctx, argv: &[Vec<u8>], mode: Mode) -> CmdResult {
    let (keys, args) = keys_and_args(argv)?;
    // Redis compares the first 40 characters, lower-cased.
    let sha = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
    if argv[1].len() != 40 || !ctx.engine.scripting().exists(&sha) {
        return Err(CmdError::new(NOSCRIPT_ERR));
    }
    let client = ctx.client;
    Ok(ctx.engine.run_script(client, &sha, keys, args, mode))
}

const NOSCRIPT_ERR: &str = "NOSCRIPT No matching script. Please use EVAL.";

/// SCRIPT LOAD script
fn script_load(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let sha = ctx.engine.scripting().load(&argv[2]).map_err(CmdError)?;
    Ok(Reply::Bulk(sha.into_bytes()))
}

/// SCRIPT EXISTS sha1 [sha1 ...]
fn script_exists(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let scripting = ctx.engine.scripting();
    let found = argv[2..]
        .iter()
        .map(|sha| {
            let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
            Reply::Integer(scripting.exists(&sha) as i64)
        })
        .collect();
    Ok(Reply::Array(found))
}

/// SCRIPT FLUSH [ASYNC|SYNC]
fn script_flush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let ok = match argv.len() {
        2 => true,
        3 => argv[2].eq_ignore_ascii_case(b"sync") || argv[2].eq_ignore_ascii_case(b"async"),
        _ => false,
    };
    if !ok {
        return Err(CmdError::new(
            "ERR SCRIPT FLUSH only support SYNC|ASYNC option",
        ));
    }
    if let Some(s) = ctx.engine.scripting.as_mut() {
        s.flush();
    }
    Ok(Reply::ok())
}

/// SCRIPT KILL: stops the running EVAL script (at its next chunk of work) unless it wrote.
fn script_kill(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    ctx.engine.kill_script(true).map(|()| Reply::ok())
}

/// SCRIPT HELP
fn script_help(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(super::help_reply(
        &argv[0],
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    ))
}
