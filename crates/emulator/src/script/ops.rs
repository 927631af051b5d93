//! Lua 5.1's operators where piccolo behaves differently, as callbacks that the rewritten
//! script calls (see `lower.rs`).
//!
//! piccolo implements Lua 5.4's VM: `'a' .. nil` gives `"anil"` instead of raising, `1 < '2'`
//! compares instead of raising, numbers are concatenated with more digits than `%.14g`,
//! strings have no metatable (`s:upper()` fails), arithmetic and comparison metamethods are
//! not called, and its errors name no variable. Lua 5.1's texts name the operand the way
//! its debug info does (`local 'x'`, `global 'x'`, `upvalue 'x'`, `field 'k'`, `method 'm'`):
//! the rewriter knows these names from the syntax tree and passes them as constant strings.
//!
//! Two sets of helpers:
//! - always used: `cat` (concatenation), `lt`/`le`/`gt`/`ge` (ordering) and `mcall` (method
//!   calls), because piccolo's own operators would silently give another result;
//! - used only by the checked version of a script (run after piccolo raised a VM error, to
//!   find the exact Lua 5.1 error and to run what piccolo cannot): `ix`/`ixs` (indexing),
//!   `cl` (calls), `ar` (arithmetic), `unm`, `len`.
//!
//! Every error is raised at the calling line (`user_script:LINE: attempt to ...`).

use gc_arena::Collect;
use piccolo::{
    meta_ops::{self, MetaResult},
    raw_ops, BoxSequence, Callback, CallbackReturn, Context, Error, Execution, Function, IntoValue, Sequence, SequencePoll,
    Stack, Table, Value,
};

use super::api::number_text;
use super::sandbox::positioned;
use super::SharedBridge;

/// The global (raw, in the real globals table) holding the helpers, read once by the
/// prologue the rewriter puts on the first line of a script.
pub(crate) const HELPERS: &str = "__playground_ops";

/// Lua 5.1's name of a value's type (`luaT_typenames`): integers are numbers.
pub(crate) fn type_name(v: Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        Value::UserData(_) => "userdata",
    }
}

/// `luaG_typeerror`: `attempt to OP local 'x' (a nil value)`, or without a name for a
/// temporary value.
fn type_error<'gc>(ctx: Context<'gc>, exec: &Execution, bridge: &SharedBridge, op: &str, name: Option<&[u8]>, v: Value) -> Error<'gc> {
    let msg = match name {
        Some(n) if !n.is_empty() => format!("attempt to {op} {} (a {} value)", String::from_utf8_lossy(n), type_name(v)),
        _ => format!("attempt to {op} a {} value", type_name(v)),
    };
    raise(ctx, exec, bridge, &msg)
}

fn raise<'gc>(ctx: Context<'gc>, exec: &Execution, bridge: &SharedBridge, msg: &str) -> Error<'gc> {
    Error::from_value(positioned(exec, bridge, msg).into_value(ctx))
}

/// `luaG_ordererror`: Lua 5.1 compares the third letters of the type names, so two types
/// whose names share it (`string` and `thread`) read as "two string values".
fn order_error<'gc>(ctx: Context<'gc>, exec: &Execution, bridge: &SharedBridge, a: Value, b: Value) -> Error<'gc> {
    let (t1, t2) = (type_name(a), type_name(b));
    let msg = if t1.as_bytes()[2] == t2.as_bytes()[2] {
        format!("attempt to compare two {t1} values")
    } else {
        format!("attempt to compare {t1} with {t2}")
    };
    raise(ctx, exec, bridge, &msg)
}

/// The name argument of a helper: a constant string, or nil for a value without a name.
fn name_arg<'a>(v: Value<'a>) -> Option<&'a [u8]> {
    match v {
        Value::String(s) => Some(s.as_bytes()),
        _ => None,
    }
}

/// A string or a number as concatenation sees it (numbers as `%.14g`).
fn concat_piece(v: Value, out: &mut Vec<u8>) -> bool {
    match v {
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        Value::Integer(n) => out.extend_from_slice(number_text(n as f64).as_bytes()),
        Value::Number(n) => out.extend_from_slice(number_text(n).as_bytes()),
        _ => return false,
    }
    true
}

fn is_concatenable(v: Value) -> bool {
    matches!(v, Value::String(_) | Value::Integer(_) | Value::Number(_))
}

/// A metamethod of `v` when it is a function (Lua 5.1's `call_binTM` calls functions only).
fn metamethod<'gc>(ctx: Context<'gc>, v: Value<'gc>, event: &'static str) -> Option<Function<'gc>> {
    let meta = match v {
        Value::Table(t) => t.metatable(),
        Value::UserData(u) => u.metatable(),
        _ => None,
    }?;
    match meta.get(ctx, event) {
        Value::Function(f) => Some(f),
        _ => None,
    }
}

/// `call_binTM`: the first operand's metamethod, else the second's.
fn binary_metamethod<'gc>(ctx: Context<'gc>, a: Value<'gc>, b: Value<'gc>, event: &'static str) -> Option<Function<'gc>> {
    metamethod(ctx, a, event).or_else(|| metamethod(ctx, b, event))
}

/// Lua 5.1's `luaV_concat` over the operands of one `a .. b .. c` chain, from the right.
/// Returns the result, or the metamethod call to make before going on.
#[derive(Collect)]
#[collect(no_drop)]
struct Concat<'gc> {
    values: Vec<Value<'gc>>,
    /// The operands' names, by position (`\n`-separated in the constant).
    #[collect(require_static)]
    names: Vec<Vec<u8>>,
    #[collect(require_static)]
    bridge: SharedBridge,
}

enum ConcatStep<'gc> {
    Done(Value<'gc>),
    Call(Function<'gc>, Value<'gc>, Value<'gc>),
}

impl<'gc> Concat<'gc> {
    fn run(&mut self, ctx: Context<'gc>, exec: &Execution) -> Result<ConcatStep<'gc>, Error<'gc>> {
        while self.values.len() > 1 {
            let total = self.values.len();
            let (a, b) = (self.values[total - 2], self.values[total - 1]);
            if !is_concatenable(a) || !is_concatenable(b) {
                if let Some(f) = binary_metamethod(ctx, a, b, "__concat") {
                    self.values.truncate(total - 2);
                    return Ok(ConcatStep::Call(f, a, b));
                }
                // `luaG_concaterror`: the first operand unless it is a string or number.
                let (bad, at) = if is_concatenable(a) { (b, total - 1) } else { (a, total - 2) };
                let name = self.names.get(at).map(|n| n.as_slice());
                return Err(type_error(ctx, exec, &self.bridge, "concatenate", name, bad));
            }
            // As many strings and numbers as there are from the top, in one go.
            let mut n = 2;
            while n < total && is_concatenable(self.values[total - n - 1]) {
                n += 1;
            }
            let mut bytes = Vec::new();
            for v in &self.values[total - n..] {
                concat_piece(*v, &mut bytes);
            }
            self.values.truncate(total - n);
            self.values.push(ctx.intern(&bytes).into());
        }
        Ok(ConcatStep::Done(self.values.first().copied().unwrap_or(Value::Nil)))
    }

    fn step(mut self, ctx: Context<'gc>, exec: &Execution, mut stack: Stack<'gc, '_>) -> Result<CallbackReturn<'gc>, Error<'gc>> {
        match self.run(ctx, exec)? {
            ConcatStep::Done(v) => {
                stack.replace(ctx, v);
                Ok(CallbackReturn::Return)
            }
            ConcatStep::Call(f, a, b) => {
                stack.replace(ctx, (a, b));
                Ok(CallbackReturn::Call { function: f, then: Some(BoxSequence::new(&ctx, self)) })
            }
        }
    }
}

impl<'gc> Sequence<'gc> for Concat<'gc> {
    fn poll(&mut self, ctx: Context<'gc>, exec: Execution<'gc, '_>, mut stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
        // The metamethod's first result takes the place of its two operands.
        self.values.push(stack.get(0));
        match self.run(ctx, &exec)? {
            ConcatStep::Done(v) => {
                stack.replace(ctx, v);
                Ok(SequencePoll::Return)
            }
            ConcatStep::Call(f, a, b) => {
                stack.replace(ctx, (a, b));
                Ok(SequencePoll::Call { function: f, is_tail: false })
            }
        }
    }
}

/// Turns a metamethod's result into a boolean (optionally negated, for `le` through `lt`).
#[derive(Collect)]
#[collect(require_static)]
struct Truthy {
    negate: bool,
}

impl<'gc> Sequence<'gc> for Truthy {
    fn poll(&mut self, ctx: Context<'gc>, _exec: Execution<'gc, '_>, mut stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
        let truth = stack.get(0).to_bool() != self.negate;
        stack.replace(ctx, truth);
        Ok(SequencePoll::Return)
    }
}

fn number(v: Value) -> Option<f64> {
    match v {
        Value::Integer(n) => Some(n as f64),
        Value::Number(n) => Some(n),
        _ => None,
    }
}

/// `a < b` (`strict`) or `a <= b` on numbers and strings, None for other operands.
fn compare_raw(a: Value, b: Value, strict: bool) -> Option<bool> {
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => Some(if strict { x < y } else { x <= y }),
        (Value::String(x), Value::String(y)) => {
            let (x, y) = (x.as_bytes(), y.as_bytes());
            Some(if strict { x < y } else { x <= y })
        }
        _ => {
            let (x, y) = (number(a)?, number(b)?);
            Some(if strict { x < y } else { x <= y })
        }
    }
}

/// Lua 5.1's `get_compTM`: both operands of the same type with the same metamethod.
fn order_metamethod<'gc>(ctx: Context<'gc>, a: Value<'gc>, b: Value<'gc>, event: &'static str) -> Option<Function<'gc>> {
    if type_name(a) != type_name(b) {
        return None;
    }
    let fa = metamethod(ctx, a, event)?;
    let fb = metamethod(ctx, b, event)?;
    (fa == fb).then_some(fa)
}

/// `luaV_lessthan` (`strict`) and `lessequal`.
fn order<'gc>(
    ctx: Context<'gc>,
    exec: &Execution,
    bridge: &SharedBridge,
    mut stack: Stack<'gc, '_>,
    a: Value<'gc>,
    b: Value<'gc>,
    strict: bool,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    if type_name(a) == type_name(b) {
        if let Some(r) = compare_raw(a, b, strict) {
            stack.replace(ctx, r);
            return Ok(CallbackReturn::Return);
        }
        let event = if strict { "__lt" } else { "__le" };
        if let Some(f) = order_metamethod(ctx, a, b, event) {
            stack.replace(ctx, (a, b));
            return Ok(CallbackReturn::Call { function: f, then: Some(BoxSequence::new(&ctx, Truthy { negate: false })) });
        }
        if !strict {
            // No `__le`: `not (b < a)`.
            if let Some(f) = order_metamethod(ctx, b, a, "__lt") {
                stack.replace(ctx, (b, a));
                return Ok(CallbackReturn::Call { function: f, then: Some(BoxSequence::new(&ctx, Truthy { negate: true })) });
            }
        }
    }
    Err(order_error(ctx, exec, bridge, a, b))
}

/// The names of the arithmetic metamethods, by operator.
fn arith_event(op: &[u8]) -> Option<&'static str> {
    Some(match op {
        b"+" => "__add",
        b"-" => "__sub",
        b"*" => "__mul",
        b"/" => "__div",
        b"%" => "__mod",
        b"^" => "__pow",
        _ => return None,
    })
}

fn arith_raw<'gc>(op: &[u8], a: Value<'gc>, b: Value<'gc>) -> Option<Value<'gc>> {
    match op {
        b"+" => raw_ops::add(a, b),
        b"-" => raw_ops::subtract(a, b),
        b"*" => raw_ops::multiply(a, b),
        b"/" => raw_ops::float_divide(a, b),
        b"%" => raw_ops::modulo(a, b),
        b"^" => raw_ops::exponentiate(a, b),
        _ => None,
    }
}

/// Lua 5.1's `luaV_tonumber`: numbers, and strings that read as one.
fn converts_to_number(v: Value) -> bool {
    match v {
        Value::Integer(_) | Value::Number(_) => true,
        Value::String(_) => super::convert::as_number(v).is_some(),
        _ => false,
    }
}

/// Makes a callback from a closure over the bridge.
fn callback<'gc, F>(ctx: Context<'gc>, bridge: &SharedBridge, f: F) -> Callback<'gc>
where
    F: for<'a> Fn(Context<'a>, Execution<'a, '_>, Stack<'a, '_>, &SharedBridge) -> Result<CallbackReturn<'a>, Error<'a>> + 'static,
{
    let bridge = bridge.clone();
    Callback::from_fn(&ctx, move |ctx, exec, stack| f(ctx, exec, stack, &bridge))
}

/// The string library's function `name`, for method calls and indexing on strings (Lua
/// 5.1 gives strings a metatable whose `__index` is the `string` table).
fn string_method<'gc>(ctx: Context<'gc>, key: Value<'gc>) -> Value<'gc> {
    match ctx.globals().get(ctx, STRING_LIB) {
        Value::Table(t) => t.get(ctx, key),
        _ => Value::Nil,
    }
}

/// Where the real `string` table is kept (the `string` global is a read-only proxy).
pub(crate) const STRING_LIB: &str = "__playground_string";

/// Calls the method `f` found on `obj` with `obj` and the arguments in the stack.
#[derive(Collect)]
#[collect(no_drop)]
struct CallMethod<'gc> {
    obj: Value<'gc>,
    #[collect(require_static)]
    method: Vec<u8>,
    #[collect(require_static)]
    bridge: SharedBridge,
    args: Vec<Value<'gc>>,
}

impl<'gc> Sequence<'gc> for CallMethod<'gc> {
    fn poll(&mut self, ctx: Context<'gc>, exec: Execution<'gc, '_>, mut stack: Stack<'gc, '_>) -> Result<SequencePoll<'gc>, Error<'gc>> {
        let f = stack.get(0);
        let function = callable(ctx, f).ok_or_else(|| method_error(ctx, &exec, &self.bridge, &self.method, f))?;
        stack.clear();
        stack.push_back(self.obj);
        stack.extend(self.args.drain(..));
        Ok(SequencePoll::Call { function, is_tail: true })
    }
}

fn method_error<'gc>(ctx: Context<'gc>, exec: &Execution, bridge: &SharedBridge, method: &[u8], f: Value) -> Error<'gc> {
    let name = format!("method '{}'", String::from_utf8_lossy(method));
    type_error(ctx, exec, bridge, "call", Some(name.as_bytes()), f)
}

/// The function to call for `v` (itself, or its `__call`), if it can be called.
fn callable<'gc>(ctx: Context<'gc>, v: Value<'gc>) -> Option<Function<'gc>> {
    meta_ops::call(ctx, v).ok()
}

/// `obj[key]` for the checked helpers: tables and userdata through piccolo (with
/// `__index`), strings through the string library.
enum Indexed<'gc> {
    Value(Value<'gc>),
    Call(Function<'gc>, [Value<'gc>; 2]),
    NotIndexable,
}

fn index<'gc>(ctx: Context<'gc>, obj: Value<'gc>, key: Value<'gc>) -> Indexed<'gc> {
    match obj {
        Value::String(_) => Indexed::Value(string_method(ctx, key)),
        Value::Table(_) | Value::UserData(_) => match meta_ops::index(ctx, obj, key) {
            Ok(MetaResult::Value(v)) => Indexed::Value(v),
            Ok(MetaResult::Call(call)) => Indexed::Call(call.function, call.args),
            Err(_) => Indexed::NotIndexable,
        },
        _ => Indexed::NotIndexable,
    }
}

/// Installs the helpers table (raw, out of scripts' way) in the globals.
pub(crate) fn install<'gc>(ctx: Context<'gc>, globals: Table<'gc>, bridge: &SharedBridge) {
    let ops = Table::new(&ctx);
    let set = |name: &'static str, f: Callback<'gc>| {
        let _ = ops.set(ctx, name, f);
    };

    // cat(names, a, b, ...): the operands of one concatenation chain.
    set(
        "cat",
        callback(ctx, bridge, |ctx, exec, mut stack, bridge| {
            // The common case first: strings and numbers only.
            if (1..stack.len()).all(|i| is_concatenable(stack.get(i))) {
                let mut bytes = Vec::new();
                for i in 1..stack.len() {
                    concat_piece(stack.get(i), &mut bytes);
                }
                stack.replace(ctx, ctx.intern(&bytes));
                return Ok(CallbackReturn::Return);
            }
            let names = name_arg(stack.get(0)).map(|n| n.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect()).unwrap_or_default();
            let values: Vec<Value> = (1..stack.len()).map(|i| stack.get(i)).collect();
            Concat { values, names, bridge: bridge.clone() }.step(ctx, &exec, stack)
        }),
    );

    // lt(a, b), le(a, b), and `a > b` / `a >= b` as Lua 5.1 compiles them: `b < a`, `b <= a`.
    for (name, strict, swap) in [("lt", true, false), ("le", false, false), ("gt", true, true), ("ge", false, true)] {
        set(
            name,
            callback(ctx, bridge, move |ctx, exec, stack, bridge| {
                let (a, b) = (stack.get(0), stack.get(1));
                let (a, b) = if swap { (b, a) } else { (a, b) };
                order(ctx, &exec, bridge, stack, a, b, strict)
            }),
        );
    }

    // mcall(objname, method, obj, args...): `obj:method(args...)`.
    set(
        "mcall",
        callback(ctx, bridge, |ctx, exec, mut stack, bridge| {
            let obj_name = name_arg(stack.get(0)).map(<[u8]>::to_vec);
            let method = stack.get(1);
            let obj = stack.get(2);
            let method_bytes = name_arg(method).map(<[u8]>::to_vec).unwrap_or_default();
            stack.drain(..3);
            match index(ctx, obj, method) {
                Indexed::Value(f) => {
                    let function = callable(ctx, f).ok_or_else(|| method_error(ctx, &exec, bridge, &method_bytes, f))?;
                    stack.push_front(obj);
                    Ok(CallbackReturn::Call { function, then: None })
                }
                Indexed::Call(function, args) => {
                    let rest: Vec<Value> = stack.drain(..).collect();
                    stack.extend(args);
                    let then = CallMethod { obj, method: method_bytes, bridge: bridge.clone(), args: rest };
                    Ok(CallbackReturn::Call { function, then: Some(BoxSequence::new(&ctx, then)) })
                }
                Indexed::NotIndexable => Err(type_error(ctx, &exec, bridge, "index", obj_name.as_deref(), obj)),
            }
        }),
    );

    // ix(name, obj, key): `obj[key]`, checked.
    set(
        "ix",
        callback(ctx, bridge, |ctx, exec, mut stack, bridge| {
            let (obj, key) = (stack.get(1), stack.get(2));
            match index(ctx, obj, key) {
                Indexed::Value(v) => {
                    stack.replace(ctx, v);
                    Ok(CallbackReturn::Return)
                }
                Indexed::Call(function, args) => {
                    stack.replace(ctx, (args[0], args[1]));
                    Ok(CallbackReturn::Call { function, then: None })
                }
                Indexed::NotIndexable => Err(type_error(ctx, &exec, bridge, "index", name_arg(stack.get(0)), obj)),
            }
        }),
    );

    // ixs(name, obj): `obj` if `obj[k] = v` can be done on it (the assignment stays Lua's).
    set(
        "ixs",
        callback(ctx, bridge, |ctx, exec, mut stack, bridge| {
            let obj = stack.get(1);
            let ok = match obj {
                Value::Table(_) => true,
                Value::UserData(u) => u.metatable().is_some_and(|m| !m.get(ctx, "__newindex").is_nil()),
                _ => false,
            };
            if !ok {
                return Err(type_error(ctx, &exec, bridge, "index", name_arg(stack.get(0)), obj));
            }
            stack.replace(ctx, obj);
            Ok(CallbackReturn::Return)
        }),
    );

    // cl(name, f): `f` if it can be called (the call stays Lua's).
    set(
        "cl",
        callback(ctx, bridge, |ctx, exec, mut stack, bridge| {
            let f = stack.get(1);
            if callable(ctx, f).is_none() {
                return Err(type_error(ctx, &exec, bridge, "call", name_arg(stack.get(0)), f));
            }
            stack.replace(ctx, f);
            Ok(CallbackReturn::Return)
        }),
    );

    // ar(op, name_a, name_b, a, b): arithmetic, checked, with metamethods.
    set(
        "ar",
        callback(ctx, bridge, |ctx, exec, mut stack, bridge| {
            let op = name_arg(stack.get(0)).map(<[u8]>::to_vec).unwrap_or_default();
            let (a, b) = (stack.get(3), stack.get(4));
            if converts_to_number(a) && converts_to_number(b) {
                if let Some(v) = arith_raw(&op, a, b) {
                    stack.replace(ctx, v);
                    return Ok(CallbackReturn::Return);
                }
            }
            if let Some(f) = arith_event(&op).and_then(|e| binary_metamethod(ctx, a, b, e)) {
                stack.replace(ctx, (a, b));
                return Ok(CallbackReturn::Call { function: f, then: None });
            }
            // `luaG_aritherror`: the first operand unless it converts to a number.
            let (bad, name) = if converts_to_number(a) { (b, stack.get(2)) } else { (a, stack.get(1)) };
            Err(type_error(ctx, &exec, bridge, "perform arithmetic on", name_arg(name), bad))
        }),
    );

    // unm(name, a): `-a`, checked.
    set(
        "unm",
        callback(ctx, bridge, |ctx, exec, mut stack, bridge| {
            let a = stack.get(1);
            if converts_to_number(a) {
                if let Some(v) = raw_ops::negate(a) {
                    stack.replace(ctx, v);
                    return Ok(CallbackReturn::Return);
                }
            }
            if let Some(f) = metamethod(ctx, a, "__unm") {
                stack.replace(ctx, (a, a));
                return Ok(CallbackReturn::Call { function: f, then: None });
            }
            Err(type_error(ctx, &exec, bridge, "perform arithmetic on", name_arg(stack.get(0)), a))
        }),
    );

    // len(name, v): `#v`, checked (Lua 5.1 calls `__len` for userdata only).
    set(
        "len",
        callback(ctx, bridge, |ctx, exec, mut stack, bridge| {
            let v = stack.get(1);
            match v {
                Value::String(s) => {
                    stack.replace(ctx, s.len());
                    Ok(CallbackReturn::Return)
                }
                Value::Table(t) => {
                    stack.replace(ctx, t.length());
                    Ok(CallbackReturn::Return)
                }
                _ => match metamethod(ctx, v, "__len") {
                    Some(f) if matches!(v, Value::UserData(_)) => {
                        stack.replace(ctx, v);
                        Ok(CallbackReturn::Call { function: f, then: None })
                    }
                    _ => Err(type_error(ctx, &exec, bridge, "get length of", name_arg(stack.get(0)), v)),
                },
            }
        }),
    );

    let _ = globals.set(ctx, HELPERS, ops);
    if let Value::Table(string) = globals.get(ctx, "string") {
        let _ = globals.set(ctx, STRING_LIB, string);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_comparison_of_numbers_and_strings() {
        assert_eq!(compare_raw(Value::Integer(1), Value::Number(1.5), true), Some(true));
        assert_eq!(compare_raw(Value::Number(2.0), Value::Integer(2), false), Some(true));
        assert_eq!(compare_raw(Value::Integer(1), Value::Nil, true), None);
        assert_eq!(arith_event(b"%"), Some("__mod"));
        assert_eq!(arith_event(b"//"), None);
    }
}
