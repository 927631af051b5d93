//! Lua 5.1's string library (lstrlib.c) as Redis 7.0's embedded Lua has it, replacing
//! piccolo's partial one: len, sub, lower, upper, reverse, rep, byte, char, find, match,
//! gmatch (and its old name gfind), gsub and format.
//!
//! - Arguments are read as 5.1's `luaL_check*` read them: numbers are accepted where
//!   strings are expected (as `%.14g` text), numeric strings where numbers are, and
//!   numbers are truncated towards zero where integers are.
//! - Errors have 5.1's texts and its position (the calling line, `user_script:N:`). A
//!   function called directly by `pcall` has no Lua caller: 5.1 then names it `?` and gives
//!   no position.
//! - Patterns are matched by `lpattern.rs`. Each matcher step costs script fuel; a match
//!   that would spend more than the script has left stops the script (the run loop sees
//!   `Bridge::exhausted`), so a runaway pattern cannot freeze the page.
//! - `gsub` with a function replacement is a `Sequence` that calls the function once per
//!   match.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use piccolo::meta_ops::{self, MetaResult};
use piccolo::{BoxSequence, Callback, CallbackReturn, Context, Error, Execution, Function, Sequence, SequencePoll, Stack, Table, Value};

use super::lpattern::{self, CaptureValue, Gmatch, Gsub, Match, PatternError};
use super::sandbox::{positioned, record_error_in_c};
use super::SharedBridge;

/// Matcher steps per unit of script fuel (a step is much cheaper than a VM instruction).
const STEPS_PER_FUEL: u64 = 4;
/// Output bytes per unit of script fuel, for functions whose work is their output's size.
const BYTES_PER_FUEL: usize = 64;
/// A string made bigger than this is refused (`not enough memory`): a browser tab must
/// survive a script.
const MAX_STRING: usize = 64 * 1024 * 1024;

/// Why a library function failed, before it becomes a Lua error.
enum Fail {
    /// `luaL_argerror`: `bad argument #N to 'name' (extra)`.
    Arg(usize, String),
    /// `luaL_error`: a message with the caller's position.
    Msg(String),
    /// The script's fuel ran out during a match.
    Exhausted,
}

impl From<PatternError> for Fail {
    fn from(e: PatternError) -> Fail {
        match e {
            PatternError::Lua(msg) => Fail::Msg(msg.to_string()),
            PatternError::OutOfSteps => Fail::Exhausted,
        }
    }
}

type LibResult<T> = Result<T, Fail>;

/// A library function's identity, for its error texts and its fuel.
#[derive(Clone)]
struct Lib {
    name: &'static str,
    bridge: SharedBridge,
}

impl Lib {
    /// The Lua error for `fail`. `direct`: the function was called by `pcall` itself.
    fn error<'gc>(&self, ctx: Context<'gc>, exec: &mut Execution<'gc, '_>, fail: Fail, direct: bool) -> Error<'gc> {
        let msg = match fail {
            Fail::Arg(n, extra) => {
                let name = if direct { "?" } else { self.name };
                format!("bad argument #{n} to '{name}' ({extra})")
            }
            Fail::Msg(msg) => msg,
            Fail::Exhausted => {
                self.bridge.borrow_mut().exhausted = true;
                exec.fuel().interrupt();
                "script out of fuel".to_string()
            }
        };
        let text = if direct {
            record_error_in_c(exec, &self.bridge);
            msg
        } else {
            positioned(exec, &self.bridge, &msg)
        };
        Error::from_value(ctx.intern(text.as_bytes()).into())
    }

    /// How many matcher steps the script can still pay for.
    fn steps_left(&self, exec: &mut Execution) -> u64 {
        let left = self.bridge.borrow().fuel_left;
        let used_in_slice = (super::SLICE_FUEL as i64 - exec.fuel().remaining() as i64).max(0) as u64;
        left.saturating_sub(used_in_slice).saturating_mul(STEPS_PER_FUEL)
    }

    /// Charges the steps spent since `before` (what `steps_left` said) to the script,
    /// rounded up: a gsub of many tiny matches still pays for each.
    fn charge(&self, exec: &mut Execution, before: u64, after: u64) {
        let fuel = before.saturating_sub(after).div_ceil(STEPS_PER_FUEL).min(i32::MAX as u64) as i32;
        exec.fuel().consume(fuel);
    }
}

/// Lua 5.1's conversion of a string to a number (`luaO_str2d`): C's strtod over the whole
/// string, spaces around allowed.
pub(crate) fn str_to_number(bytes: &[u8]) -> Option<f64> {
    let start = bytes.iter().position(|&c| !crate::args::c_space(c))?;
    let end = bytes.iter().rposition(|&c| !crate::args::c_space(c))? + 1;
    crate::args::strtod(&bytes[start..end]).map(|(v, _)| v)
}

/// `lua_tonumber`.
fn to_number(v: Value) -> Option<f64> {
    match v {
        Value::Integer(n) => Some(n as f64),
        Value::Number(n) => Some(n),
        Value::String(s) => str_to_number(s.as_bytes()),
        _ => None,
    }
}

/// `lua_tolstring`: strings (borrowed from the Lua heap, not copied), and numbers as
/// `%.14g`.
fn to_lstring<'gc>(v: Value<'gc>) -> Option<Cow<'gc, [u8]>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s.as_bytes())),
        Value::Integer(n) => Some(Cow::Owned(n.to_string().into_bytes())),
        Value::Number(n) => Some(Cow::Owned(super::api::number_text(n).into_bytes())),
        _ => None,
    }
}

/// 2^63, where C's conversions of doubles to 64-bit integers change behaviour.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// C's `(long)` of a double on x86-64: out of range and NaN give LONG_MIN.
fn c_long(d: f64) -> i64 {
    if (-TWO_63..TWO_63).contains(&d) {
        d as i64
    } else {
        i64::MIN
    }
}

/// C's `(unsigned long)` of a double as gcc compiles it on x86-64.
fn c_ulong(d: f64) -> u64 {
    if d.is_nan() || d < TWO_63 {
        c_long(d) as u64
    } else {
        (c_long(d - TWO_63) as u64) ^ (1 << 63)
    }
}

/// The type name an argument error gives: `no value` past the last argument.
fn type_name(stack: &Stack, n: usize) -> &'static str {
    if n > stack.len() {
        "no value"
    } else {
        stack.get(n - 1).type_name()
    }
}

/// Argument `n` (1-based), nil when absent.
fn arg<'gc>(stack: &Stack<'gc, '_>, n: usize) -> Value<'gc> {
    stack.get(n - 1)
}

fn check_string<'gc>(stack: &Stack<'gc, '_>, n: usize) -> LibResult<Cow<'gc, [u8]>> {
    to_lstring(arg(stack, n)).ok_or_else(|| Fail::Arg(n, format!("string expected, got {}", type_name(stack, n))))
}

fn check_number(stack: &Stack, n: usize) -> LibResult<f64> {
    to_number(arg(stack, n)).ok_or_else(|| Fail::Arg(n, format!("number expected, got {}", type_name(stack, n))))
}

/// `luaL_checkinteger`: the number truncated (lua_Integer is a C long).
fn check_integer(stack: &Stack, n: usize) -> LibResult<i64> {
    check_number(stack, n).map(c_long)
}

/// `luaL_optinteger`: `default` when the argument is nil or absent.
fn opt_integer(stack: &Stack, n: usize, default: i64) -> LibResult<i64> {
    match arg(stack, n) {
        Value::Nil => Ok(default),
        _ => check_integer(stack, n),
    }
}

/// `luaL_checkint`: a C int, the low 32 bits of the integer.
fn check_int(stack: &Stack, n: usize) -> LibResult<i64> {
    check_integer(stack, n).map(|v| v as i32 as i64)
}

/// 5.1's `posrelat`: a negative position counts from the end; below the start is 0.
fn posrelat(pos: i64, len: usize) -> i64 {
    let pos = if pos < 0 { pos.saturating_add(len as i64 + 1) } else { pos };
    pos.max(0)
}

fn capture_value<'gc>(ctx: Context<'gc>, c: CaptureValue) -> Value<'gc> {
    match c {
        CaptureValue::Text(t) => ctx.intern(t).into(),
        CaptureValue::Position(p) => Value::Integer(p as i64),
    }
}

fn check_size(len: usize) -> LibResult<()> {
    if len > MAX_STRING {
        return Err(Fail::Msg("not enough memory".to_string()));
    }
    Ok(())
}

type LibFn = for<'gc, 'a, 'b> fn(&Lib, Context<'gc>, &mut Execution<'gc, 'a>, &mut Stack<'gc, 'b>) -> LibResult<CallbackReturn<'gc>>;

/// Replaces the functions of the `string` table with Lua 5.1's.
pub(crate) fn install<'gc>(ctx: Context<'gc>, string: Table<'gc>, bridge: &SharedBridge) {
    let functions: [(&'static str, LibFn); 14] = [
        ("len", str_len),
        ("sub", str_sub),
        ("lower", str_lower),
        ("upper", str_upper),
        ("reverse", str_reverse),
        ("rep", str_rep),
        ("byte", str_byte),
        ("char", str_char),
        ("find", str_find),
        ("match", str_match),
        ("gmatch", str_gmatch),
        ("gfind", str_gmatch),
        ("gsub", str_gsub),
        ("format", str_format),
    ];
    for (name, f) in functions {
        let lib = Lib { name, bridge: bridge.clone() };
        let callback = Callback::from_fn(&ctx, move |ctx, mut exec, mut stack| {
            let direct = std::mem::take(&mut lib.bridge.borrow_mut().called_by_pcall);
            match f(&lib, ctx, &mut exec, &mut stack) {
                Ok(ret) => Ok(ret),
                Err(fail) => Err(lib.error(ctx, &mut exec, fail, direct)),
            }
        });
        let _ = string.set(ctx, name, callback);
    }
}

fn return_string<'gc>(ctx: Context<'gc>, exec: &mut Execution, stack: &mut Stack<'gc, '_>, bytes: &[u8]) -> LibResult<CallbackReturn<'gc>> {
    exec.fuel().consume((bytes.len() / BYTES_PER_FUEL).min(i32::MAX as usize) as i32);
    stack.replace(ctx, ctx.intern(bytes));
    Ok(CallbackReturn::Return)
}

fn str_len<'gc>(_lib: &Lib, ctx: Context<'gc>, _exec: &mut Execution<'gc, '_>, stack: &mut Stack<'gc, '_>) -> LibResult<CallbackReturn<'gc>> {
    let s = check_string(stack, 1)?;
    stack.replace(ctx, s.len() as i64);
    Ok(CallbackReturn::Return)
}

fn str_sub<'gc>(_lib: &Lib, ctx: Context<'gc>, exec: &mut Execution<'gc, '_>, stack: &mut Stack<'gc, '_>) -> LibResult<CallbackReturn<'gc>> {
    let s = check_string(stack, 1)?;
    let len = s.len();
    let start = posrelat(check_integer(stack, 2)?, len).max(1);
    let end = posrelat(opt_integer(stack, 3, -1)?, len).min(len as i64);
    let out: &[u8] = if start <= end { &s[(start - 1) as usize..end as usize] } else { b"" };
    return_string(ctx, exec, stack, out)
}

fn str_lower<'gc>(_lib: &Lib, ctx: Context<'gc>, exec: &mut Execution<'gc, '_>, stack: &mut Stack<'gc, '_>) -> LibResult<CallbackReturn<'gc>> {
    let s = check_string(stack, 1)?.to_ascii_lowercase();
    return_string(ctx, exec, stack, &s)
}

fn str_upper<'gc>(_lib: &Lib, ctx: Context<'gc>, exec: &mut Execution<'gc, '_>, stack: &mut Stack<'gc, '_>) -> LibResult<CallbackReturn<'gc>> {
    let s = check_string(stack, 1)?.to_ascii_uppercase();
    return_string(ctx, exec, stack, &s)
}

fn str_reverse<'gc>(_lib: &Lib, ctx: Context<'gc>, exec: &mut Execution<'gc, '_>, stack: &mut Stack<'gc, '_>) -> LibResult<CallbackReturn<'gc>> {
    let mut s = check_string(stack, 1)?.into_owned();
    s.reverse();
    return_string(ctx, exec, stack, &s)
}

fn str_rep<'gc>(_lib: &Lib, ctx: Context<'gc>, exec: &mut Execution<'gc, '_>, stack: &mut Stack<'gc, '_>) -> LibResult<CallbackReturn<'gc>> {
    let s = check_string(stack, 1)?;
    let n = check_int(stack, 2)?.max(0) as usize;
    check_size(s.len().saturating_mul(n))?;
    return_string(ctx, exec, stack, &s.repeat(n))
}

fn str_byte<'gc>(_lib: &Lib, _ctx: Context<'gc>, exec: &mut Execution<'gc, '_>, stack: &mut Stack<'gc, '_>) -> LibResult<CallbackReturn<'gc>> {
    let s = check_string(stack, 1)?;
    let len = s.len();
    let posi = posrelat(opt_integer(stack, 2, 1)?, len);
    let pose = posrelat(opt_integer(stack, 3, posi)?, len).min(len as i64);
    let posi = posi.max(1);
    let top = stack.len();
    stack.clear();
    if posi > pose {
        return Ok(CallbackReturn::Return);
    }
    // 5.1's luaL_checkstack: the arguments and the results within LUAI_MAXCSTACK.
    if (pose - posi + 1) as u64 + top as u64 > 8000 {
        return Err(Fail::Msg("stack overflow (string slice too long)".to_string()));
    }
    exec.fuel().consume(((pose - posi) as usize / BYTES_PER_FUEL) as i32);
    for k in posi..=pose {
        stack.push_back(Value::Integer(s[(k - 1) as usize] as i64));
    }
    Ok(CallbackReturn::Return)
}

fn str_char<'gc>(_lib: &Lib, ctx: Context<'gc>, exec: &mut Execution<'gc, '_>, stack: &mut Stack<'gc, '_>) -> LibResult<CallbackReturn<'gc>> {
    let mut out = Vec::with_capacity(stack.len());
    for n in 1..=stack.len() {
        let c = check_int(stack, n)?;
        if !(0..=255).contains(&c) {
            return Err(Fail::Arg(n, "invalid value".to_string()));
        }
        out.push(c as u8);
    }
    return_string(ctx, exec, stack, &out)
}

/// 5.1's `str_find_aux`, for `find` (`find` true) and `match`.
fn find_aux<'gc>(lib: &Lib, ctx: Context<'gc>, exec: &mut Execution<'gc, '_>, stack: &mut Stack<'gc, '_>, find: bool) -> LibResult<CallbackReturn<'gc>> {
    let s = check_string(stack, 1)?;
    let p = check_string(stack, 2)?;
    let init = (posrelat(opt_integer(stack, 3, 1)?, s.len()) - 1).clamp(0, s.len() as i64) as usize;
    let plain = !matches!(arg(stack, 4), Value::Nil | Value::Boolean(false));
    stack.clear();
    if find && (plain || !lpattern::has_specials(&p)) {
        exec.fuel().consume(((s.len() - init) / BYTES_PER_FUEL) as i32);
        match lpattern::find_plain(&s[init..], &p) {
            Some(at) => {
                stack.push_back(Value::Integer((init + at + 1) as i64));
                stack.push_back(Value::Integer((init + at + p.len()) as i64));
            }
            None => stack.push_back(Value::Nil),
        }
        return Ok(CallbackReturn::Return);
    }
    let before = lib.steps_left(exec);
    let mut left = before;
    let found = lpattern::search(&s, &p, init, &mut left);
    lib.charge(exec, before, left);
    match found? {
        Some(m) if find => {
            stack.push_back(Value::Integer(m.start as i64 + 1));
            stack.push_back(Value::Integer(m.end as i64));
            for c in m.captures_only(&s)? {
                stack.push_back(capture_value(ctx, c));
            }
        }
        Some(m) => {
            for c in m.captures(&s)? {
                stack.push_back(capture_value(ctx, c));
            }
        }
        None => stack.push_back(Value::Nil),
    }
    Ok(CallbackReturn::Return)
}

fn str_find<'gc>(lib: &Lib, ctx: Context<'gc>, exec: &mut Execution<'gc, '_>, stack: &mut Stack<'gc, '_>) -> LibResult<CallbackReturn<'gc>> {
    find_aux(lib, ctx, exec, stack, true)
}

fn str_match<'gc>(lib: &Lib, ctx: Context<'gc>, exec: &mut Execution<'gc, '_>, stack: &mut Stack<'gc, '_>) -> LibResult<CallbackReturn<'gc>> {
    find_aux(lib, ctx, exec, stack, false)
}

/// What a gmatch iterator keeps between calls.
struct GmatchState {
    src: Vec<u8>,
    pattern: Vec<u8>,
    cursor: Gmatch,
}

fn str_gmatch<'gc>(lib: &Lib, ctx: Context<'gc>, _exec: &mut Execution<'gc, '_>, stack: &mut Stack<'gc, '_>) -> LibResult<CallbackReturn<'gc>> {
    let src = check_string(stack, 1)?;
    let pattern = check_string(stack, 2)?;
    let state = Rc::new(RefCell::new(GmatchState { src: src.into_owned(), pattern: pattern.into_owned(), cursor: Gmatch::default() }));
    // The iterator's errors are luaL_error's: no function name in them.
    let lib = lib.clone();
    let iterator = Callback::from_fn(&ctx, move |ctx, mut exec, mut stack| {
        let direct = std::mem::take(&mut lib.bridge.borrow_mut().called_by_pcall);
        let mut st = state.borrow_mut();
        let GmatchState { src, pattern, cursor } = &mut *st;
        let before = lib.steps_left(&mut exec);
        let mut left = before;
        let found = cursor.next_match(src, pattern, &mut left);
        lib.charge(&mut exec, before, left);
        let values = found.map_err(Fail::from).and_then(|m| match m {
            Some(m) => m.captures(src).map_err(Fail::from).map(|cs| cs.into_iter().map(|c| capture_value(ctx, c)).collect()),
            None => Ok(Vec::new()),
        });
        match values {
            Ok(values) => {
                stack.clear();
                for v in values {
                    stack.push_back(v);
                }
                Ok(CallbackReturn::Return)
            }
            Err(fail) => Err(lib.error(ctx, &mut exec, fail, direct)),
        }
    });
    stack.replace(ctx, iterator);
    Ok(CallbackReturn::Return)
}

/// 5.1's `add_s`: a replacement string with `%0`-`%9` and `%x` escapes.
fn add_replacement(out: &mut Vec<u8>, repl: &[u8], m: &Match, src: &[u8]) -> LibResult<()> {
    let mut i = 0;
    while i < repl.len() {
        let c = repl[i];
        if c != b'%' {
            out.push(c);
            i += 1;
            continue;
        }
        // A `%` at the very end escapes the string's terminating NUL.
        let next = repl.get(i + 1).copied().unwrap_or(0);
        i += 2;
        if !next.is_ascii_digit() {
            out.push(next);
        } else if next == b'0' {
            out.extend_from_slice(&src[m.start..m.end]);
        } else {
            match m.capture(src, (next - b'1') as usize)? {
                CaptureValue::Text(t) => out.extend_from_slice(t),
                CaptureValue::Position(p) => out.extend_from_slice(p.to_string().as_bytes()),
            }
        }
    }
    Ok(())
}

/// The end of 5.1's `add_value`: what a table or function gave replaces the match (false
/// or nil keep it).
fn add_value_result(out: &mut Vec<u8>, value: Value, m: &Match, src: &[u8]) -> LibResult<()> {
    match value {
        Value::Nil | Value::Boolean(false) => out.extend_from_slice(&src[m.start..m.end]),
        v => match to_lstring(v) {
            Some(text) => out.extend_from_slice(&text),
            None => return Err(Fail::Msg(format!("invalid replacement value (a {})", v.type_name()))),
        },
    }
    Ok(())
}

fn str_gsub<'gc>(lib: &Lib, ctx: Context<'gc>, exec: &mut Execution<'gc, '_>, stack: &mut Stack<'gc, '_>) -> LibResult<CallbackReturn<'gc>> {
    let src = check_string(stack, 1)?;
    let pattern = check_string(stack, 2)?;
    let repl = arg(stack, 3);
    let max = opt_integer(stack, 4, src.len() as i64 + 1)? as i32 as i64;
    let gsub = Gsub::new(&pattern, max);
    match repl {
        Value::Function(_) | Value::Table(_) => {
            stack.clear();
            let job = GsubJob { lib: lib.clone(), src: src.into_owned(), pattern: pattern.into_owned(), gsub, out: Vec::new(), pending: None };
            Ok(CallbackReturn::Sequence(BoxSequence::new(&ctx, GsubCall { repl, job })))
        }
        Value::String(_) | Value::Integer(_) | Value::Number(_) => {
            let repl = to_lstring(repl).unwrap_or_default();
            let mut job = GsubJob { lib: lib.clone(), src: src.into_owned(), pattern: pattern.into_owned(), gsub, out: Vec::new(), pending: None };
            while let Some(m) = job.next(exec)? {
                add_replacement(&mut job.out, &repl, &m, &job.src)?;
                check_size(job.out.len())?;
            }
            job.finish(ctx, exec, stack)
        }
        _ => Err(Fail::Arg(3, "string/function/table expected".to_string())),
    }
}

/// A gsub in progress.
struct GsubJob {
    lib: Lib,
    src: Vec<u8>,
    pattern: Vec<u8>,
    gsub: Gsub,
    out: Vec<u8>,
    /// The match whose replacement function is running.
    pending: Option<Match>,
}

impl GsubJob {
    fn next(&mut self, exec: &mut Execution) -> LibResult<Option<Match>> {
        let before = self.lib.steps_left(exec);
        let mut left = before;
        let found = self.gsub.next_match(&self.src, &self.pattern, &mut self.out, &mut left);
        self.lib.charge(exec, before, left);
        Ok(found?)
    }

    fn finish<'gc>(&mut self, ctx: Context<'gc>, exec: &mut Execution, stack: &mut Stack<'gc, '_>) -> LibResult<CallbackReturn<'gc>> {
        self.gsub.finish(&self.src, &mut self.out);
        check_size(self.out.len())?;
        exec.fuel().consume((self.out.len() / BYTES_PER_FUEL).min(i32::MAX as usize) as i32);
        stack.clear();
        stack.push_back(ctx.intern(&self.out).into());
        stack.push_back(Value::Integer(self.gsub.count()));
        Ok(CallbackReturn::Return)
    }
}

/// `gsub` with a replacement function (called for each match with the captures) or table
/// (indexed with the first capture, metamethods included, as `lua_gettable` does).
#[derive(gc_arena::Collect)]
#[collect(no_drop)]
struct GsubCall<'gc> {
    repl: Value<'gc>,
    #[collect(require_static)]
    job: GsubJob,
}

impl<'gc> GsubCall<'gc> {
    /// Calls `function` from gsub: a library function called by another one (not by Lua
    /// code) has no name and no position in its errors, as `pcall`'s callees.
    fn call(&mut self, function: Function<'gc>, m: Match) -> LibResult<SequencePoll<'gc>> {
        self.job.lib.bridge.borrow_mut().called_by_pcall = matches!(function, Function::Callback(_));
        self.job.pending = Some(m);
        Ok(SequencePoll::Call { function, is_tail: false })
    }

    fn advance(&mut self, ctx: Context<'gc>, exec: &mut Execution<'gc, '_>, stack: &mut Stack<'gc, '_>) -> LibResult<SequencePoll<'gc>> {
        self.job.lib.bridge.borrow_mut().called_by_pcall = false;
        if let Some(m) = self.job.pending.take() {
            // lua_call(L, n, 1): the first result, nil when there is none.
            let value = if stack.is_empty() { Value::Nil } else { stack.get(0) };
            add_value_result(&mut self.job.out, value, &m, &self.job.src)?;
            check_size(self.job.out.len())?;
        }
        stack.clear();
        loop {
            let Some(m) = self.job.next(exec)? else {
                self.job.finish(ctx, exec, stack)?;
                return Ok(SequencePoll::Return);
            };
            match self.repl {
                Value::Function(function) => {
                    for c in m.captures(&self.job.src)? {
                        stack.push_back(capture_value(ctx, c));
                    }
                    return self.call(function, m);
                }
                table => {
                    let key = capture_value(ctx, m.capture(&self.job.src, 0)?);
                    match meta_ops::index(ctx, table, key) {
                        Ok(MetaResult::Value(v)) => {
                            add_value_result(&mut self.job.out, v, &m, &self.job.src)?;
                            check_size(self.job.out.len())?;
                        }
                        Ok(MetaResult::Call(call)) => {
                            stack.extend(call.args);
                            return self.call(call.function, m);
                        }
                        Err(e) => return Err(Fail::Msg(super::convert::runtime_message(&e.into()))),
                    }
                }
            }
        }
    }
}

impl<'gc> Sequence<'gc> for GsubCall<'gc> {
    fn poll(&mut self, ctx: Context<'gc>, mut exec: Execution<'gc, '_>, mut stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
        match self.advance(ctx, &mut exec, &mut stack) {
            Ok(poll) => Ok(poll),
            Err(fail) => Err(self.job.lib.error(ctx, &mut exec, fail, false)),
        }
    }

    fn error(&mut self, _ctx: Context<'gc>, _exec: Execution<'gc, '_>, error: Error<'gc>, _stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
        self.job.lib.bridge.borrow_mut().called_by_pcall = false;
        Err(error)
    }
}

/// A conversion's flags, width and precision (5.1's `scanformat`).
#[derive(Default, Debug)]
struct Spec {
    minus: bool,
    plus: bool,
    space: bool,
    hash: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
}

/// Reads the spec after a `%` at `fmt[i..]`; returns it and the index of the conversion.
fn scan_format(fmt: &[u8], mut i: usize) -> LibResult<(Spec, usize)> {
    // 5.1 reads the format as a C string here: a NUL ends it.
    let at = |i: usize| fmt.get(i).copied().unwrap_or(0);
    let mut spec = Spec::default();
    let start = i;
    while b"-+ #0".contains(&at(i)) && at(i) != 0 {
        match at(i) {
            b'-' => spec.minus = true,
            b'+' => spec.plus = true,
            b' ' => spec.space = true,
            b'#' => spec.hash = true,
            _ => spec.zero = true,
        }
        i += 1;
    }
    if i - start >= 6 {
        return Err(Fail::Msg("invalid format (repeated flags)".to_string()));
    }
    let digits = |i: &mut usize| {
        let mut n = None;
        for _ in 0..2 {
            if at(*i).is_ascii_digit() {
                n = Some(n.unwrap_or(0) * 10 + (at(*i) - b'0') as usize);
                *i += 1;
            }
        }
        n
    };
    spec.width = digits(&mut i).unwrap_or(0);
    if at(i) == b'.' {
        i += 1;
        spec.precision = Some(digits(&mut i).unwrap_or(0));
    }
    if at(i).is_ascii_digit() {
        return Err(Fail::Msg("invalid format (width or precision too long)".to_string()));
    }
    Ok((spec, i))
}

/// Pads `sign prefix body` to the spec's width as printf does: spaces on the left, spaces
/// on the right with `-`, zeros after the prefix with `zero`.
fn pad(spec: &Spec, sign: &str, prefix: &str, body: &[u8], zero: bool) -> Vec<u8> {
    let len = sign.len() + prefix.len() + body.len();
    let fill = spec.width.saturating_sub(len);
    let mut out = Vec::with_capacity(len + fill);
    if spec.minus {
        out.extend_from_slice(sign.as_bytes());
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(body);
        out.resize(out.len() + fill, b' ');
    } else if zero {
        out.extend_from_slice(sign.as_bytes());
        out.extend_from_slice(prefix.as_bytes());
        out.resize(out.len() + fill, b'0');
        out.extend_from_slice(body);
    } else {
        out.resize(fill, b' ');
        out.extend_from_slice(sign.as_bytes());
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(body);
    }
    out
}

/// Digits with printf's precision: at least that many, none for 0 with precision 0.
fn with_precision(digits: String, zero_value: bool, precision: Option<usize>) -> String {
    match precision {
        Some(0) if zero_value => String::new(),
        Some(p) if digits.len() < p => format!("{}{digits}", "0".repeat(p - digits.len())),
        _ => digits,
    }
}

fn format_signed(spec: &Spec, v: i64) -> Vec<u8> {
    let sign = if v < 0 {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let digits = with_precision(v.unsigned_abs().to_string(), v == 0, spec.precision);
    pad(spec, sign, "", digits.as_bytes(), spec.zero && spec.precision.is_none())
}

fn format_unsigned(spec: &Spec, conv: u8, v: u64) -> Vec<u8> {
    let digits = match conv {
        b'o' => format!("{v:o}"),
        b'x' => format!("{v:x}"),
        b'X' => format!("{v:X}"),
        _ => v.to_string(),
    };
    let mut digits = with_precision(digits, v == 0, spec.precision);
    let mut prefix = "";
    if spec.hash {
        match conv {
            b'o' if !digits.starts_with('0') => digits.insert(0, '0'),
            b'x' if v != 0 => prefix = "0x",
            b'X' if v != 0 => prefix = "0X",
            _ => {}
        }
    }
    pad(spec, "", prefix, digits.as_bytes(), spec.zero && spec.precision.is_none())
}

/// `%e` of a non-negative finite number: `d.ddde+XX`.
fn sci(a: f64, precision: usize, hash: bool, upper: bool) -> String {
    let text = format!("{a:.precision$e}");
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let point = if precision == 0 && hash { "." } else { "" };
    let e = if upper { 'E' } else { 'e' };
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}{point}{e}{sign}{:02}", exp.abs())
}

/// `%f` of a non-negative finite number.
fn fixed(a: f64, precision: usize, hash: bool) -> String {
    let mut text = format!("{a:.precision$}");
    if precision == 0 && hash {
        text.push('.');
    }
    text
}

/// `%g`'s removal of trailing zeros (and of a bare point) from the digits before any
/// exponent.
fn strip_zeros(text: &str) -> String {
    let (digits, exp) = match text.find(['e', 'E']) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    let digits = if digits.contains('.') { digits.trim_end_matches('0').trim_end_matches('.') } else { digits };
    format!("{digits}{exp}")
}

fn format_float(spec: &Spec, conv: u8, d: f64) -> Vec<u8> {
    let upper = conv.is_ascii_uppercase();
    let sign = if d.is_sign_negative() {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    if !d.is_finite() {
        let body = match (d.is_nan(), upper) {
            (true, false) => "nan",
            (true, true) => "NAN",
            (false, false) => "inf",
            (false, true) => "INF",
        };
        return pad(spec, sign, "", body.as_bytes(), false);
    }
    let a = d.abs();
    let precision = spec.precision.unwrap_or(6);
    let body = match conv.to_ascii_lowercase() {
        b'f' => fixed(a, precision, spec.hash),
        b'e' => sci(a, precision, spec.hash, upper),
        _ => {
            let p = precision.max(1);
            let probe = format!("{a:.prec$e}", prec = p - 1);
            let x: i64 = probe.split_once('e').and_then(|(_, e)| e.parse().ok()).unwrap_or(0);
            // glibc's quirk with `#`: a number that had P integer digits before rounding
            // and P + 1 after (999999.5) loses its fraction digits ("1.e+06").
            let unrounded: i64 = format!("{a:e}").split_once('e').and_then(|(_, e)| e.parse().ok()).unwrap_or(0);
            let text = if spec.hash && x == p as i64 && unrounded == p as i64 - 1 {
                sci(a, 0, true, upper)
            } else if x < -4 || x >= p as i64 {
                sci(a, p - 1, spec.hash, upper)
            } else {
                fixed(a, (p as i64 - 1 - x) as usize, spec.hash)
            };
            if spec.hash {
                text
            } else {
                strip_zeros(&text)
            }
        }
    };
    pad(spec, sign, "", body.as_bytes(), spec.zero)
}

/// 5.1's `addquoted` (`%q`).
fn add_quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' | b'\\' | b'\n' => {
                out.push(b'\\');
                out.push(c);
            }
            b'\r' => out.extend_from_slice(b"\\r"),
            0 => out.extend_from_slice(b"\\000"),
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

/// What sprintf wrote into 5.1's buffer, as `strlen` sees it: up to the first NUL.
fn c_text(item: &[u8]) -> &[u8] {
    match item.iter().position(|&c| c == 0) {
        Some(n) => &item[..n],
        None => item,
    }
}

fn str_format<'gc>(_lib: &Lib, ctx: Context<'gc>, exec: &mut Execution<'gc, '_>, stack: &mut Stack<'gc, '_>) -> LibResult<CallbackReturn<'gc>> {
    let fmt = check_string(stack, 1)?;
    let top = stack.len();
    let mut argn = 1;
    let mut out = Vec::with_capacity(fmt.len());
    let mut i = 0;
    while i < fmt.len() {
        if fmt[i] != b'%' {
            out.push(fmt[i]);
            i += 1;
            continue;
        }
        i += 1;
        if fmt.get(i) == Some(&b'%') {
            out.push(b'%');
            i += 1;
            continue;
        }
        argn += 1;
        if argn > top {
            return Err(Fail::Arg(argn, "no value".to_string()));
        }
        let (spec, conv_at) = scan_format(&fmt, i)?;
        let conv = fmt.get(conv_at).copied().unwrap_or(0);
        i = conv_at + 1;
        let item = match conv {
            b'c' => {
                let c = c_long(check_number(stack, argn)?) as i32 as u8;
                pad(&spec, "", "", &[c], false)
            }
            b'd' | b'i' => format_signed(&spec, c_long(check_number(stack, argn)?)),
            b'o' | b'u' | b'x' | b'X' => format_unsigned(&spec, conv, c_ulong(check_number(stack, argn)?)),
            b'e' | b'E' | b'f' | b'g' | b'G' => format_float(&spec, conv, check_number(stack, argn)?),
            b'q' => {
                add_quoted(&mut out, &check_string(stack, argn)?);
                continue;
            }
            b's' => {
                let s = check_string(stack, argn)?;
                if spec.precision.is_none() && s.len() >= 100 {
                    // 5.1 keeps a long string as it is (no width).
                    out.extend_from_slice(&s);
                    check_size(out.len())?;
                    continue;
                }
                let s = c_text(&s);
                let s = match spec.precision {
                    Some(p) if p < s.len() => &s[..p],
                    _ => s,
                };
                pad(&spec, "", "", s, false)
            }
            other => {
                // 5.1 formats the message with `%c`: a NUL ends the option there.
                let shown = if other == 0 { String::new() } else { String::from_utf8_lossy(&[other]).into_owned() };
                return Err(Fail::Msg(format!("invalid option '%{shown}' to 'format'")));
            }
        };
        out.extend_from_slice(c_text(&item));
        check_size(out.len())?;
    }
    return_string(ctx, exec, stack, &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Spec {
        scan_format(text.as_bytes(), 0).map(|(s, _)| s).unwrap_or_default()
    }

    #[test]
    fn printf_numbers_as_glibc() {
        assert_eq!(format_float(&spec("g"), b'g', 0.1), b"0.1");
        assert_eq!(format_float(&spec("g"), b'g', 1e20), b"1e+20");
        assert_eq!(format_float(&spec("g"), b'g', 100000.0), b"100000");
        assert_eq!(format_float(&spec("g"), b'g', 1000000.0), b"1e+06");
        assert_eq!(format_float(&spec("#g"), b'g', 1.0), b"1.00000");
        assert_eq!(format_float(&spec("#g"), b'g', 999999.5), b"1.e+06");
        assert_eq!(format_float(&spec("#.3g"), b'g', 999.6), b"1.e+03");
        assert_eq!(format_float(&spec("#.3g"), b'g', 9996.0), b"1.00e+04");
        assert_eq!(format_float(&spec("#g"), b'g', 9.9999995), b"10.0000");
        assert_eq!(format_float(&spec(".3e"), b'e', 12345.678), b"1.235e+04");
        assert_eq!(format_float(&spec("010.2f"), b'f', -4.256), b"-000004.26");
        assert_eq!(format_float(&spec("5f"), b'f', f64::INFINITY), b"  inf");
        assert_eq!(format_signed(&spec("+05"), 42), b"+0042");
        assert_eq!(format_signed(&spec(".0"), 0), b"");
        assert_eq!(format_unsigned(&spec("#"), b'x', 255), b"0xff");
        assert_eq!(format_unsigned(&spec("#"), b'o', 8), b"010");
        assert_eq!(c_ulong(-1.0), u64::MAX);
        assert_eq!(c_ulong(f64::NAN), 1 << 63);
        assert_eq!(c_ulong(2f64.powi(64)), 0);
    }

    #[test]
    fn format_spec_limits() {
        assert!(matches!(scan_format(b"------d", 0), Err(Fail::Msg(m)) if m == "invalid format (repeated flags)"));
        assert!(matches!(scan_format(b"100d", 0), Err(Fail::Msg(m)) if m == "invalid format (width or precision too long)"));
        assert!(matches!(scan_format(b"5.123f", 0), Err(Fail::Msg(_))));
        assert!(scan_format(b"-----d", 0).is_ok());
    }

    #[test]
    fn quoting_and_numbers() {
        let mut out = Vec::new();
        add_quoted(&mut out, b"a\"b\\c\nd\re\0f");
        assert_eq!(out, b"\"a\\\"b\\\\c\\\nd\\re\\000f\"");
        assert_eq!(str_to_number(b" 0x10 "), Some(16.0));
        assert_eq!(str_to_number(b"1e2"), Some(100.0));
        assert_eq!(str_to_number(b"abc"), None);
        assert_eq!(str_to_number(b""), None);
        assert_eq!(posrelat(-2, 5), 4);
        assert_eq!(posrelat(-10, 5), 0);
    }
}
