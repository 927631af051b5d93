//! The `redis` table (script_lua.c's `luaRegisterRedisAPI`) and Redis's versions of the base
//! functions whose behaviour scripts see: `error` (with Lua 5.1's position prefix) and
//! `pcall` (errors as strings or tables, as Lua 5.1 gives them).

use piccolo::{
    BoxSequence, Callback, CallbackReturn, Context, Error, Execution, IntoValue, Sequence, SequencePoll, Stack, Table, Value,
};

use super::convert;
use super::sandbox::{positioned, record_error_line};
use super::{Mode, SharedBridge};
use crate::engine::{ClientId, Engine};
use crate::reply::{Protocol, Reply};
use crate::table::{self, flag};

/// REDIS_VERSION_NUM of 7.0.15: 0x00070f.
const VERSION_NUM: i64 = (7 << 16) | 15;

fn raise<'gc>(ctx: Context<'gc>, text: String) -> Error<'gc> {
    Error::from_value(text.into_value(ctx))
}

/// An error raised as Redis's API functions raise theirs (luaPushError + luaError): a
/// table `{err = 'ERR msg'}`, whose position is where the script called the function.
fn raise_table<'gc>(ctx: Context<'gc>, exec: &Execution, bridge: &SharedBridge, msg: &str) -> Error<'gc> {
    record_error_line(exec, bridge);
    Error::from_value(error_table(ctx, &format!("ERR {msg}")).into())
}

/// Redis's `luaPushErrorBuff`: `-CODE msg` keeps its code, a bare message gets `ERR`.
pub(crate) fn error_text(raw: &[u8]) -> String {
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

/// A table `{err = text}`.
pub(crate) fn error_table<'gc>(ctx: Context<'gc>, text: &str) -> Table<'gc> {
    let t = Table::new(&ctx);
    let _ = t.set(ctx, "err", ctx.intern(text.as_bytes()));
    t
}

/// The line of the script calling a callback, remembered as the latest known position.
fn note_line(exec: &Execution, bridge: &SharedBridge) {
    if let Some(f) = exec.upper_lua_frame() {
        bridge.borrow_mut().last_line = Some(f.current_line.0 + 1);
    }
}

/// The `redis` table.
pub(crate) fn redis_table<'gc>(ctx: Context<'gc>, bridge: &SharedBridge) -> Table<'gc> {
    let redis = Table::new(&ctx);
    for (name, raise_errors) in [("call", true), ("pcall", false)] {
        let bridge = bridge.clone();
        let f = Callback::from_fn(&ctx, move |ctx, mut exec, mut stack| {
            note_line(&exec, &bridge);
            let argv = match command_argv(&stack) {
                Ok(argv) => argv,
                Err(msg) => {
                    let t = error_table(ctx, &format!("ERR {msg}"));
                    if raise_errors {
                        record_error_line(&exec, &bridge);
                        return Err(Error::from_value(t.into()));
                    }
                    stack.replace(ctx, t);
                    return Ok(CallbackReturn::Return);
                }
            };
            stack.clear();
            bridge.borrow_mut().request = Some(argv);
            // Back to the host, which runs the command and resumes the script.
            exec.fuel().interrupt();
            Ok(CallbackReturn::Sequence(BoxSequence::new(&ctx, AwaitReply { bridge: bridge.clone(), raise_errors })))
        });
        let _ = redis.set(ctx, name, f);
    }

    let _ = redis.set(
        ctx,
        "error_reply",
        Callback::from_fn(&ctx, |ctx, _exec, mut stack| {
            let t = match (stack.len(), stack.get(0)) {
                (1, Value::String(s)) => error_table(ctx, &error_text(s.as_bytes())),
                _ => error_table(ctx, "ERR wrong number or type of arguments"),
            };
            stack.replace(ctx, t);
            Ok(CallbackReturn::Return)
        }),
    );
    let _ = redis.set(
        ctx,
        "status_reply",
        Callback::from_fn(&ctx, |ctx, _exec, mut stack| {
            let t = match (stack.len(), stack.get(0)) {
                (1, Value::String(s)) => {
                    let t = Table::new(&ctx);
                    let _ = t.set(ctx, "ok", s);
                    t
                }
                _ => error_table(ctx, "ERR wrong number or type of arguments"),
            };
            stack.replace(ctx, t);
            Ok(CallbackReturn::Return)
        }),
    );
    {
        let bridge = bridge.clone();
        let _ = redis.set(
            ctx,
            "sha1hex",
            Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
                let bytes = match (stack.len(), convert::as_string_bytes(stack.get(0))) {
                    (1, Some(b)) => b,
                    _ => return Err(raise_table(ctx, &exec, &bridge, "wrong number of arguments")),
                };
                stack.replace(ctx, ctx.intern(super::sha1_hex(&bytes).as_bytes()));
                Ok(CallbackReturn::Return)
            }),
        );
    }
    {
        let bridge = bridge.clone();
        let _ = redis.set(
            ctx,
            "log",
            Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
                if stack.len() < 2 {
                    return Err(raise_table(ctx, &exec, &bridge, "redis.log() requires two arguments or more."));
                }
                let level = match convert::as_number(stack.get(0)) {
                    Some(n) => n as i64,
                    None => return Err(raise_table(ctx, &exec, &bridge, "First argument must be a number (log level).")),
                };
                if !(0..=3).contains(&level) {
                    return Err(raise_table(ctx, &exec, &bridge, "Invalid debug level."));
                }
                let mut parts = Vec::new();
                for i in 1..stack.len() {
                    if let Some(b) = convert::as_string_bytes(stack.get(i)) {
                        parts.push(String::from_utf8_lossy(&b).into_owned());
                    }
                }
                bridge.borrow_mut().log.push((level, parts.join(" ")));
                stack.clear();
                Ok(CallbackReturn::Return)
            }),
        );
    }
    {
        let bridge = bridge.clone();
        let _ = redis.set(
            ctx,
            "setresp",
            Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
                if stack.len() != 1 {
                    return Err(raise_table(ctx, &exec, &bridge, "redis.setresp() requires one argument."));
                }
                match convert::as_number(stack.get(0)).map(|n| n as i64) {
                    Some(v @ (2 | 3)) => bridge.borrow_mut().resp = v as u8,
                    _ => {
                        let t = error_table(ctx, "ERR RESP version must be 2 or 3.");
                        record_error_line(&exec, &bridge);
                        return Err(Error::from_value(t.into()));
                    }
                }
                stack.clear();
                Ok(CallbackReturn::Return)
            }),
        );
    }
    // Replication is always "commands" in 7.0: accepted, nothing to do.
    let _ = redis.set(
        ctx,
        "set_repl",
        Callback::from_fn(&ctx, |_ctx, _exec, mut stack| {
            stack.clear();
            Ok(CallbackReturn::Return)
        }),
    );
    let _ = redis.set(
        ctx,
        "replicate_commands",
        Callback::from_fn(&ctx, |ctx, _exec, mut stack| {
            stack.replace(ctx, true);
            Ok(CallbackReturn::Return)
        }),
    );
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
        let _ = redis.set(ctx, name, v);
    }
    let _ = redis.set(ctx, "REDIS_VERSION", crate::engine::REDIS_VERSION);
    redis
}

/// The arguments of `redis.call` as an argument vector (luaArgsToRedisArgv): strings as
/// they are, numbers with `%.17g`, anything else refused.
fn command_argv(stack: &Stack) -> Result<Vec<Vec<u8>>, &'static str> {
    if stack.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    let mut argv = Vec::with_capacity(stack.len());
    for i in 0..stack.len() {
        match stack.get(i) {
            Value::String(s) => argv.push(s.as_bytes().to_vec()),
            Value::Integer(n) => argv.push(n.to_string().into_bytes()),
            Value::Number(n) => argv.push(crate::fmt::fmt_g(n, 17).into_bytes()),
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(argv)
}

/// Waits for the host's reply to a `redis.call`, then returns it converted (or raises it).
#[derive(gc_arena::Collect)]
#[collect(require_static)]
struct AwaitReply {
    bridge: SharedBridge,
    raise_errors: bool,
}

impl<'gc> Sequence<'gc> for AwaitReply {
    fn poll(&mut self, ctx: Context<'gc>, mut exec: Execution<'gc, '_>, mut stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
        let Some(reply) = self.bridge.borrow_mut().response.take() else {
            // The host has not run the command yet: give control back to it.
            exec.fuel().interrupt();
            return Ok(SequencePoll::Pending);
        };
        if let Reply::Error(text) = &reply {
            // The reply buffer starts with `-` in Redis, so the code is kept.
            let t = error_table(ctx, &error_text(format!("-{text}").as_bytes()));
            if self.raise_errors {
                record_error_line(&exec, &self.bridge);
                return Err(Error::from_value(t.into()));
            }
            stack.replace(ctx, t);
            return Ok(SequencePoll::Return);
        }
        let resp = self.bridge.borrow().resp;
        let value = convert::reply_to_lua(ctx, reply, resp);
        stack.replace(ctx, value);
        Ok(SequencePoll::Return)
    }
}

/// Runs one command of a script for `client` (scriptCall): Redis's checks with their
/// script texts, then the command with the script's protocol.
pub(crate) fn run_command(engine: &mut Engine, client: ClientId, argv: &[Vec<u8>], mode: Mode, resp: u8) -> Reply {
    let unknown = || Reply::error("ERR Unknown Redis command called from script");
    let wrong_arity = || Reply::error("ERR Wrong number of args calling Redis command from script");
    let Some(spec) = table::lookup(&argv[0]) else { return unknown() };
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
    let protocol = if resp == 3 { Protocol::Resp3 } else { Protocol::Resp2 };
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

/// Redis's `error` (Lua 5.1's luaB_error): a string or number message gets the position of
/// the caller at level 1; other values are raised as they are.
/// Redis's `pcall`: a caught error is returned as Lua 5.1 would give it (a string with its
/// position, or the raised value).
pub(crate) fn install_base<'gc>(ctx: Context<'gc>, globals: Table<'gc>, bridge: &SharedBridge) {
    {
        let bridge = bridge.clone();
        let error = Callback::from_fn(&ctx, move |ctx, exec, stack| {
            let value = stack.get(0);
            let level = match stack.get(1) {
                Value::Nil => 1,
                v => convert::as_number(v).map(|n| n as i64).unwrap_or(1),
            };
            note_line(&exec, &bridge);
            match value {
                Value::String(_) | Value::Integer(_) | Value::Number(_) if level > 0 => {
                    let text = convert::as_string_bytes(value).unwrap_or_default();
                    let text = String::from_utf8_lossy(&text).into_owned();
                    Err(raise(ctx, positioned(&exec, &bridge, &text)))
                }
                v => {
                    record_error_line(&exec, &bridge);
                    Err(Error::from_value(v))
                }
            }
        });
        let _ = globals.set(ctx, "error", error);
    }
    {
        let bridge = bridge.clone();
        let pcall = Callback::from_fn(&ctx, move |ctx, _exec, mut stack| {
            let function = match stack.get(0) {
                Value::Function(f) => f,
                other => {
                    // Lua 5.1: pcall(nil) returns false and the error.
                    let msg = format!("attempt to call a {} value", other.type_name());
                    stack.clear();
                    stack.push_back(Value::Boolean(false));
                    stack.push_back(ctx.intern(msg.as_bytes()).into());
                    return Ok(CallbackReturn::Return);
                }
            };
            stack.pop_front();
            Ok(CallbackReturn::Call { function, then: Some(BoxSequence::new(&ctx, PCall { bridge: bridge.clone() })) })
        });
        let _ = globals.set(ctx, "pcall", pcall);
    }
}

#[derive(gc_arena::Collect)]
#[collect(require_static)]
struct PCall {
    bridge: SharedBridge,
}

impl<'gc> Sequence<'gc> for PCall {
    fn poll(&mut self, _ctx: Context<'gc>, _exec: Execution<'gc, '_>, mut stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
        stack.push_front(Value::Boolean(true));
        Ok(SequencePoll::Return)
    }

    fn error(
        &mut self,
        ctx: Context<'gc>,
        _exec: Execution<'gc, '_>,
        error: Error<'gc>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        let value = match error {
            // Redis 7.0's pcall returns the message of an error table, as older Redis did.
            Error::Lua(e) => match e.0 {
                Value::Table(t) => match t.get(ctx, "err") {
                    v @ (Value::String(_) | Value::Integer(_) | Value::Number(_)) => v,
                    _ => e.0,
                },
                v => v,
            },
            Error::Runtime(e) => {
                let line = self.bridge.borrow().last_line.unwrap_or(1);
                let msg = format!("{}:{line}: {}", super::CHUNK, convert::runtime_message(&e));
                ctx.intern(msg.as_bytes()).into()
            }
        };
        stack.clear();
        stack.push_back(Value::Boolean(false));
        stack.push_back(value);
        Ok(SequencePoll::Return)
    }
}
