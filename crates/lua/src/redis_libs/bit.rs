//! `bit`: LuaBitOp 1.0.2 (lua_bit.c), 32-bit operations on Lua 5.1's doubles.
//!
//! An argument becomes 32 bits as LuaBitOp does it: adding 2^52+2^51 to the double puts
//! the integer part (rounded to nearest, ties to even) in the low 32 bits of the mantissa,
//! which are taken as they are. Every result is a signed 32-bit number.
//!
//! Open with [`open`]: sets the global `bit`.

use super::{Failure, R};
use crate::value::Value;
use crate::vm::{NativeReturn, Vm};

/// The low 32 bits of `n + 2^52 + 2^51` (LuaBitOp's `barg`).
pub fn normalize(n: f64) -> u32 {
    (n + 6_755_399_441_055_744.0).to_bits() as u32
}

/// The result of an operation as Lua sees it.
fn result(b: u32) -> f64 {
    b as i32 as f64
}

pub fn band(args: &[u32]) -> u32 {
    args.iter().fold(u32::MAX, |a, b| a & b)
}
pub fn bor(args: &[u32]) -> u32 {
    args.iter().fold(0, |a, b| a | b)
}
pub fn bxor(args: &[u32]) -> u32 {
    args.iter().fold(0, |a, b| a ^ b)
}

/// `bit.tohex(x, n)`: `n` hex digits (upper case when negative, at most 8).
pub fn tohex(b: u32, n: i32) -> String {
    let (n, digits) = if n < 0 {
        (n.unsigned_abs(), b"0123456789ABCDEF")
    } else {
        (n as u32, b"0123456789abcdef")
    };
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
pub fn shift(op: &str, b: u32, n: u32) -> u32 {
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

pub fn bswap(b: u32) -> u32 {
    b.swap_bytes()
}

/// Argument `i` (0-based) as 32 bits; not a number (nor a string reading as one) fails.
fn barg(args: &[Value], i: usize) -> Result<u32, Failure> {
    match args.get(i).and_then(|v| v.to_number()) {
        Some(n) => Ok(normalize(n)),
        None => {
            let got = args.get(i).map_or("no value", |v| v.type_name());
            Err(Failure::Arg(i + 1, format!("number expected, got {got}")))
        }
    }
}

/// What a `bit` function returns: a number, or `tohex`'s text.
enum Out {
    Number(u32),
    Text(String),
}

/// What the `bit` function `name` computes from its arguments.
fn run(name: &str, args: &[Value]) -> Result<Out, Failure> {
    let out = match name {
        "tobit" => barg(args, 0)?,
        "bnot" => !barg(args, 0)?,
        "band" | "bor" | "bxor" => {
            // LuaBitOp reads the first argument, then the others from the last one down.
            let first = barg(args, 0)?;
            let mut all = vec![first];
            for i in (1..args.len()).rev() {
                all.push(barg(args, i)?);
            }
            match name {
                "band" => band(&all),
                "bor" => bor(&all),
                _ => bxor(&all),
            }
        }
        "bswap" => bswap(barg(args, 0)?),
        "tohex" => {
            let b = barg(args, 0)?;
            let n = if args.len() < 2 {
                8
            } else {
                barg(args, 1)? as i32
            };
            return Ok(Out::Text(tohex(b, n)));
        }
        op => {
            let b = barg(args, 0)?;
            let n = barg(args, 1)?;
            shift(op, b, n)
        }
    };
    Ok(Out::Number(out))
}

/// Runs the `bit` function `name` as a native.
fn call(vm: &mut Vm, args: &[Value], name: &str) -> R {
    let value = match run(name, args).map_err(|f| f.raise(vm))? {
        Out::Number(b) => Value::Number(result(b)),
        Out::Text(hex) => vm.new_string(hex.as_bytes()),
    };
    Ok(NativeReturn::Values(vec![value]))
}

fn tobit(vm: &mut Vm, args: Vec<Value>) -> R {
    call(vm, &args, "tobit")
}
fn bnot(vm: &mut Vm, args: Vec<Value>) -> R {
    call(vm, &args, "bnot")
}
fn lua_band(vm: &mut Vm, args: Vec<Value>) -> R {
    call(vm, &args, "band")
}
fn lua_bor(vm: &mut Vm, args: Vec<Value>) -> R {
    call(vm, &args, "bor")
}
fn lua_bxor(vm: &mut Vm, args: Vec<Value>) -> R {
    call(vm, &args, "bxor")
}
fn lshift(vm: &mut Vm, args: Vec<Value>) -> R {
    call(vm, &args, "lshift")
}
fn rshift(vm: &mut Vm, args: Vec<Value>) -> R {
    call(vm, &args, "rshift")
}
fn arshift(vm: &mut Vm, args: Vec<Value>) -> R {
    call(vm, &args, "arshift")
}
fn rol(vm: &mut Vm, args: Vec<Value>) -> R {
    call(vm, &args, "rol")
}
fn ror(vm: &mut Vm, args: Vec<Value>) -> R {
    call(vm, &args, "ror")
}
fn lua_bswap(vm: &mut Vm, args: Vec<Value>) -> R {
    call(vm, &args, "bswap")
}
fn lua_tohex(vm: &mut Vm, args: Vec<Value>) -> R {
    call(vm, &args, "tohex")
}

/// Sets the global `bit` (functions in lua_bit.c's order).
pub fn open(vm: &mut Vm) {
    let t = super::library(
        vm,
        &[
            ("tobit", tobit),
            ("bnot", bnot),
            ("band", lua_band),
            ("bor", lua_bor),
            ("bxor", lua_bxor),
            ("lshift", lshift),
            ("rshift", rshift),
            ("arshift", arshift),
            ("rol", rol),
            ("ror", ror),
            ("bswap", lua_bswap),
            ("tohex", lua_tohex),
        ],
        &[],
    );
    vm.set_global("bit", Value::Table(t));
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
