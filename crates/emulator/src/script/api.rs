//! The `redis` table (script_lua.c's `luaRegisterRedisAPI`), Redis's error handler, and
//! the host side of `redis.call`: natives yield a [`Request`] to the run loop
//! (`mod.rs`), which runs the command with [`run_command`] and resumes the script with the
//! reply converted.

use lua51::{NativeReturn, TableRef, Value, Vm};

use super::convert::{self, error_table};
use super::{Mode, SharedBridge};
use crate::engine::{ClientId, Engine};
use crate::reply::{Protocol, Reply};
use crate::table::{self, flag};

/// REDIS_VERSION_NUM of 7.0.15: 0x00070f.
const VERSION_NUM: i64 = (7 << 16) | 15;

type R = Result<NativeReturn, Value>;

/// What a script asks the host for.
pub(crate) struct Request {
    pub argv: Vec<Vec<u8>>,
    /// `redis.call` (an error reply is raised) or `redis.pcall` (returned).
    pub raise: bool,
}

/// The host's state shared with natives (see `sandbox::BRIDGE_KEY`).
pub(crate) fn bridge(vm: &Vm) -> Option<SharedBridge> {
    let v = vm.raw_get(vm.registry(), &Value::str(super::sandbox::BRIDGE_KEY));
    vm.userdata(&v)?.downcast_ref::<SharedBridge>().cloned()
}

fn values(v: Vec<Value>) -> R {
    Ok(NativeReturn::Values(v))
}

/// Redis's `luaPushErrorBuff`: `-CODE msg` keeps its code, a bare message gets `ERR`.
pub fn error_text(raw: &[u8]) -> String {
    let raw = String::from_utf8_lossy(raw);
    let (code, msg) = match raw.strip_prefix('-') {
        Some(rest) => match rest.split_once(' ') {
            Some((code, msg)) => (code.to_string(), msg.to_string()),
            None => ("ERR".to_string(), rest.to_string()),
        },
        None => ("ERR".to_string(), raw.to_string()),
    };
    format!("{code} {}", msg.trim_matches(|c| c == '\r' || c == '\n'))
}

/// An error raised as Redis's API functions raise theirs (luaPushError + luaError).
fn raise_table(vm: &mut Vm, msg: &str) -> Value {
    error_table(vm, &format!("ERR {msg}"))
}

/// The `redis` table; `functions`: the function engine's (with `register_function`).
pub(crate) fn redis_table(vm: &mut Vm, functions: bool) -> TableRef {
    let redis = vm.new_table();
    let natives: [(&'static str, lua51::heap::NativeFn); 12] = [
        ("call", redis_call),
        ("pcall", redis_pcall),
        ("error_reply", error_reply),
        ("status_reply", status_reply),
        ("sha1hex", sha1hex),
        ("log", log),
        ("setresp", setresp),
        ("set_repl", nothing),
        ("replicate_commands", yes),
        ("breakpoint", no),
        ("debug", nothing),
        ("acl_check_cmd", acl_check_cmd),
    ];
    for (name, f) in natives {
        let v = vm.new_native(name, f);
        vm.set_field(redis, name, v);
    }
    if functions {
        let v = vm.new_native("register_function", super::functions::register_function);
        vm.set_field(redis, "register_function", v);
    }
    for (name, v) in [
        ("LOG_DEBUG", 0),
        ("LOG_VERBOSE", 1),
        ("LOG_NOTICE", 2),
        ("LOG_WARNING", 3),
        ("REPL_NONE", 0),
        ("REPL_AOF", 1),
        ("REPL_SLAVE", 2),
        ("REPL_REPLICA", 2),
        ("REPL_ALL", 3),
        ("REDIS_VERSION_NUM", VERSION_NUM),
    ] {
        vm.set_field(redis, name, Value::Number(v as f64));
    }
    vm.set_field(
        redis,
        "REDIS_VERSION",
        Value::str(crate::engine::REDIS_VERSION),
    );
    redis
}

/// The arguments of `redis.call` as an argument vector (luaArgsToRedisArgv): strings as
/// they are, numbers with `%.17g`, anything else refused.
pub fn command_argv(args: &[Value]) -> Result<Vec<Vec<u8>>, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    let mut argv = Vec::with_capacity(args.len());
    for a in args {
        match a {
            Value::Str(s) => argv.push(s.as_bytes().to_vec()),
            Value::Number(n) => argv.push(crate::fmt::fmt_g(*n, 17).into_bytes()),
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(argv)
}

/// What a native needs to run a command itself when it cannot suspend the VM: while a
/// chunk of a script runs, the engine it runs for (the run loop does not touch it until
/// the VM returns), the client and mode.
pub(crate) struct HostAccess {
    pub engine: *mut Engine,
    pub client: ClientId,
    pub mode: Mode,
    /// A command run here wrote (SCRIPT KILL then refuses to stop the script).
    pub wrote: bool,
}

/// `redis.call` from Lua code that a native called (a gsub callback, a sort comparator, a
/// metamethod): the VM cannot be suspended there, so the command runs right away, as
/// in Redis.
fn call_in_place(vm: &mut Vm, argv: Vec<Vec<u8>>, raise: bool) -> R {
    let Some(bridge) = bridge(vm) else {
        return Err(Value::str(
            "attempt to yield across metamethod/C-call boundary",
        ));
    };
    let (host, resp) = {
        let b = bridge.borrow();
        (
            b.host.as_ref().map(|h| (h.engine, h.client, h.mode)),
            b.resp,
        )
    };
    let Some((engine, client, mode)) = host else {
        return Err(Value::str(
            "attempt to yield across metamethod/C-call boundary",
        ));
    };
    // SAFETY: `host` is set by the run loop only for the duration of one `Vm::run`, from
    // the `&mut Engine` the loop holds and does not use until `run` returns (then it
    // clears `host`); natives run inside that call, one at a time, so this is the only
    // live access to the engine.
    let engine = unsafe { &mut *engine };
    let mut wrote = false;
    let reply = run_command(engine, client, &argv, mode, resp, &mut wrote);
    if let Some(h) = bridge.borrow_mut().host.as_mut() {
        h.wrote |= wrote;
    }
    answer(vm, reply, raise, resp).map(NativeReturn::Values)
}

fn generic_call(vm: &mut Vm, args: Vec<Value>, raise: bool) -> R {
    match command_argv(&args) {
        Ok(argv) if !vm.can_yield() => call_in_place(vm, argv, raise),
        Ok(argv) => Ok(NativeReturn::Yield(Box::new(Request { argv, raise }))),
        Err(msg) => {
            let t = raise_table(vm, msg);
            if raise {
                Err(t)
            } else {
                values(vec![t])
            }
        }
    }
}

fn redis_call(vm: &mut Vm, args: Vec<Value>) -> R {
    generic_call(vm, args, true)
}

fn redis_pcall(vm: &mut Vm, args: Vec<Value>) -> R {
    generic_call(vm, args, false)
}

fn error_reply(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = match args.as_slice() {
        // Redis adds the `-` first: `'my err'` has the code `my`.
        [Value::Str(s)] if s.as_bytes().starts_with(b"-") => {
            error_table(vm, &error_text(s.as_bytes()))
        }
        [Value::Str(s)] => error_table(vm, &error_text(&[b"-", s.as_bytes()].concat())),
        _ => error_table(vm, "ERR wrong number or type of arguments"),
    };
    values(vec![t])
}

fn status_reply(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = match args.as_slice() {
        [s @ Value::Str(_)] => {
            let t = vm.new_table();
            vm.set_field(t, "ok", s.clone());
            Value::Table(t)
        }
        _ => error_table(vm, "ERR wrong number or type of arguments"),
    };
    values(vec![t])
}

fn sha1hex(vm: &mut Vm, args: Vec<Value>) -> R {
    let bytes = match (args.len(), args.first().and_then(convert::as_string_bytes)) {
        (1, Some(b)) => b,
        _ => return Err(raise_table(vm, "wrong number of arguments")),
    };
    let s = vm.new_string(super::sha1_hex(&bytes).as_bytes());
    values(vec![s])
}

fn log(vm: &mut Vm, args: Vec<Value>) -> R {
    if args.len() < 2 {
        return Err(raise_table(
            vm,
            "redis.log() requires two arguments or more.",
        ));
    }
    let level = match convert::as_number(&args[0]) {
        Some(n) => n as i64,
        None => {
            return Err(raise_table(
                vm,
                "First argument must be a number (log level).",
            ))
        }
    };
    if !(0..=3).contains(&level) {
        return Err(raise_table(vm, "Invalid debug level."));
    }
    let parts: Vec<String> = args[1..]
        .iter()
        .filter_map(convert::as_string_bytes)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    if let Some(b) = bridge(vm) {
        b.borrow_mut().log.push((level, parts.join(" ")));
    }
    values(Vec::new())
}

fn setresp(vm: &mut Vm, args: Vec<Value>) -> R {
    if args.len() != 1 {
        return Err(raise_table(vm, "redis.setresp() requires one argument."));
    }
    match convert::as_number(&args[0]).map(|n| n as i64) {
        Some(v @ (2 | 3)) => {
            if let Some(b) = bridge(vm) {
                b.borrow_mut().resp = v as u8;
            }
            values(Vec::new())
        }
        _ => Err(raise_table(vm, "RESP version must be 2 or 3.")),
    }
}

/// Replication is always "commands" in 7.0 (`set_repl` accepted, nothing to do); the
/// debugger's `redis.debug` is silent without a debugging session.
fn nothing(_vm: &mut Vm, _args: Vec<Value>) -> R {
    values(Vec::new())
}

fn yes(_vm: &mut Vm, _args: Vec<Value>) -> R {
    values(vec![Value::Bool(true)])
}

/// `redis.breakpoint()`: false, as for a client that did not start a debugging session.
fn no(_vm: &mut Vm, _args: Vec<Value>) -> R {
    values(vec![Value::Bool(false)])
}

/// The emulator's only user is `default`, allowed every command.
fn acl_check_cmd(vm: &mut Vm, args: Vec<Value>) -> R {
    let argv = match command_argv(&args) {
        Ok(argv) => argv,
        Err(msg) => return Err(raise_table(vm, msg)),
    };
    if table::lookup(&argv[0]).is_none() {
        return Err(raise_table(
            vm,
            "Invalid command passed to redis.acl_check_cmd()",
        ));
    }
    values(vec![Value::Bool(true)])
}

/// The error handler Redis 7.0 installs (eval.c's `__redis__err__handler`): the error as
/// a table `{err=, source=, line=}`, positioned where it was raised (the Lua code that
/// raised it, or that called the function that did).
pub(crate) fn error_handler(vm: &mut Vm, args: Vec<Value>) -> R {
    let err = args.into_iter().next().unwrap_or(Value::Nil);
    let t = match err {
        Value::Table(t) => t,
        other => {
            let text = convert::error_value_text(vm, &other);
            match error_table(vm, &format!("ERR {text}")) {
                Value::Table(t) => t,
                _ => return values(vec![other]),
            }
        }
    };
    let site = match vm.error_site() {
        Some(site) => Some(site),
        None => position(&vm.where_(1)).map(|(source, line)| (format!("@{source}"), line as i64)),
    };
    if let Some((source, line)) = site {
        let source = vm.new_string(source.as_bytes());
        let _ = vm.raw_set(t, Value::str("source"), source);
        let _ = vm.raw_set(t, Value::str("line"), Value::Number(line as f64));
    }
    values(vec![Value::Table(t)])
}

/// `(chunk, line)` of a `chunk:line: ` position prefix.
pub(crate) fn position(prefix: &str) -> Option<(String, u64)> {
    let rest = prefix.strip_suffix(": ")?;
    let (chunk, line) = rest.rsplit_once(':')?;
    Some((chunk.to_string(), line.parse().ok()?))
}

/// Runs one command of a script for `client` (scriptCall): Redis's checks with their
/// script texts, then the command with the script's protocol. `wrote` is set when the
/// command writes (SCRIPT KILL then refuses to stop the script).
pub(crate) fn run_command(
    engine: &mut Engine,
    client: ClientId,
    argv: &[Vec<u8>],
    mode: Mode,
    resp: u8,
    wrote: &mut bool,
) -> Reply {
    let unknown = || Reply::error("ERR Unknown Redis command called from script");
    let wrong_arity = || Reply::error("ERR Wrong number of args calling Redis command from script");
    let Some(spec) = table::lookup(&argv[0]) else {
        return unknown();
    };
    let spec = if !spec.subcommands.is_empty() && argv.len() >= 2 {
        match spec.find_subcommand(&argv[1]) {
            Some(sub) => sub,
            None => return unknown(),
        }
    } else {
        spec
    };
    if !spec.arity_ok(argv.len()) {
        return wrong_arity();
    }
    if spec.has(flag::NOSCRIPT) {
        return Reply::error("ERR This Redis command is not allowed from script");
    }
    if mode == Mode::ReadOnly && spec.has(flag::WRITE) {
        return Reply::error("ERR Write commands are not allowed from read-only scripts.");
    }
    if engine.read_only_replica && spec.has(flag::WRITE) {
        return Reply::error(crate::error::READONLY_REPLICA);
    }
    if spec.has(flag::WRITE) {
        *wrote = true;
    }
    let protocol = if resp == 3 {
        Protocol::Resp3
    } else {
        Protocol::Resp2
    };
    let saved = engine.clients.get(&client).map(|c| c.protocol);
    if let Some(c) = engine.clients.get_mut(&client) {
        c.protocol = protocol;
    }
    let reply = engine.execute_now(client, argv);
    if let (Some(c), Some(p)) = (engine.clients.get_mut(&client), saved) {
        c.protocol = p;
    }
    reply.for_protocol(protocol)
}

/// The answer to a request: the reply converted for the script, or raised as an error
/// table (`redis.call` of a command that failed).
pub(crate) fn answer(
    vm: &mut Vm,
    reply: Reply,
    raise: bool,
    resp: u8,
) -> Result<Vec<Value>, Value> {
    if let Reply::Error(text) = &reply {
        // The reply buffer starts with `-` in Redis, so the code is kept.
        let t = error_table(vm, &error_text(format!("-{text}").as_bytes()));
        return if raise { Err(t) } else { Ok(vec![t]) };
    }
    Ok(vec![convert::reply_to_lua(vm, reply, resp)])
}
