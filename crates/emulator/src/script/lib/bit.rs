//! `bit`: LuaBitOp 1.0.2 (lua_bit.c), 32-bit operations on Lua 5.1's doubles.
//!
//! An argument becomes 32 bits as LuaBitOp does it: adding 2^52+2^51 to the double puts
//! the integer part (rounded to nearest, ties to even) in the low 32 bits of the mantissa,
//! which are taken as they are. Every result is a signed 32-bit number.

use piccolo::{Callback, CallbackReturn, Context, Stack, Table, Value};

use super::{arg_error, fail, lua_number, to_number, type_of};
use crate::script::SharedBridge;

/// The low 32 bits of `n + 2^52 + 2^51` (LuaBitOp's `barg`).
pub(crate) fn normalize(n: f64) -> u32 {
    (n + 6_755_399_441_055_744.0).to_bits() as u32
}

/// The result of an operation as Lua sees it.
fn result(b: u32) -> f64 {
    b as i32 as f64
}

pub(crate) fn band(args: &[u32]) -> u32 {
    args.iter().fold(u32::MAX, |a, b| a & b)
}
pub(crate) fn bor(args: &[u32]) -> u32 {
    args.iter().fold(0, |a, b| a | b)
}
pub(crate) fn bxor(args: &[u32]) -> u32 {
    args.iter().fold(0, |a, b| a ^ b)
}

/// `bit.tohex(x, n)`: `n` hex digits (upper case when negative, at most 8).
pub(crate) fn tohex(b: u32, n: i32) -> String {
    let (n, digits) = if n < 0 { (n.unsigned_abs(), b"0123456789ABCDEF") } else { (n as u32, b"0123456789abcdef") };
    let n = n.min(8) as usize;
    let mut out = vec![b'0'; n];
    let mut b = b;
    for slot in out.iter_mut().rev() {
        *slot = digits[(b & 15) as usize];
        b >>= 4;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The shift and rotate operations, by name.
pub(crate) fn shift(op: &str, b: u32, n: u32) -> u32 {
    let n = n & 31;
    match op {
        "lshift" => b << n,
        "rshift" => b >> n,
        "arshift" => ((b as i32) >> n) as u32,
        "rol" => b.rotate_left(n),
        "ror" => b.rotate_right(n),
        _ => b,
    }
}

pub(crate) fn bswap(b: u32) -> u32 {
    b.swap_bytes()
}

/// Argument `i` (0-based) as 32 bits; not a number (nor a string reading as one) fails.
fn barg(stack: &Stack, i: usize, func: &str) -> Result<u32, String> {
    let v = if i < stack.len() { stack.get(i) } else { Value::Nil };
    match to_number(v) {
        Some(n) => Ok(normalize(n)),
        None => Err(arg_error(i + 1, func, &format!("number expected, got {}", type_of(v, i, stack.len())))),
    }
}

/// What a `bit` function returns: a number, or `tohex`'s text.
enum Out {
    Number(u32),
    Text(String),
}

/// What one `bit` function computes from its arguments.
fn run(name: &str, stack: &Stack) -> Result<Out, String> {
    let out = match name {
        "tobit" => barg(stack, 0, name)?,
        "bnot" => !barg(stack, 0, name)?,
        "band" | "bor" | "bxor" => {
            // LuaBitOp reads the first argument, then the others from the last one down.
            let first = barg(stack, 0, name)?;
            let mut args = vec![first];
            for i in (1..stack.len()).rev() {
                args.push(barg(stack, i, name)?);
            }
            match name {
                "band" => band(&args),
                "bor" => bor(&args),
                _ => bxor(&args),
            }
        }
        "bswap" => bswap(barg(stack, 0, name)?),
        "tohex" => {
            let b = barg(stack, 0, name)?;
            let n = if stack.len() < 2 { 8 } else { barg(stack, 1, name)? as i32 };
            return Ok(Out::Text(tohex(b, n)));
        }
        op => {
            let b = barg(stack, 0, name)?;
            let n = barg(stack, 1, name)?;
            shift(op, b, n)
        }
    };
    Ok(Out::Number(out))
}

/// The `bit` table.
pub(crate) fn table<'gc>(ctx: Context<'gc>, bridge: &SharedBridge) -> Table<'gc> {
    let t = Table::new(&ctx);
    for name in ["tobit", "bnot", "band", "bor", "bxor", "lshift", "rshift", "arshift", "rol", "ror", "bswap", "tohex"] {
        let bridge = bridge.clone();
        let f = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
            let value: Value = match run(name, &stack).map_err(|msg| fail(ctx, &exec, &bridge, &msg))? {
                Out::Number(b) => lua_number(result(b)),
                Out::Text(hex) => ctx.intern(hex.as_bytes()).into(),
            };
            stack.replace(ctx, value);
            Ok(CallbackReturn::Return)
        });
        let _ = t.set(ctx, name, f);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_wraps_and_rounds_like_luabitop() {
        assert_eq!(normalize(1.0), 1);
        assert_eq!(normalize(-1.0) as i32, -1);
        assert_eq!(normalize(4294967296.0), 0);
        assert_eq!(normalize(4294967295.0) as i32, -1);
        assert_eq!(normalize(2147483648.0) as i32, i32::MIN);
        assert_eq!(normalize(1.5), 2);
        assert_eq!(normalize(2.5), 2);
        assert_eq!(normalize(-2.5) as i32, -2);
    }

    #[test]
    fn operations() {
        assert_eq!(band(&[0xff, 0x0f]), 0x0f);
        assert_eq!(bor(&[1, 2, 4]), 7);
        assert_eq!(bxor(&[3, 1]), 2);
        assert_eq!(shift("lshift", 1, 33), 2);
        assert_eq!(shift("arshift", 0x8000_0000, 4), 0xf800_0000);
        assert_eq!(shift("rshift", 0x8000_0000, 4), 0x0800_0000);
        assert_eq!(shift("rol", 0x8000_0001, 1), 3);
        assert_eq!(shift("ror", 3, 1), 0x8000_0001);
        assert_eq!(bswap(0x1234_5678), 0x7856_3412);
        assert_eq!(tohex(0x1234_abcd, 8), "1234abcd");
        assert_eq!(tohex(0x1234_abcd, -4), "ABCD");
        assert_eq!(tohex(255, 20), "000000ff");
        assert_eq!(tohex(255, 0), "");
    }
}
