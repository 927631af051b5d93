//! Lua 5.1's math library (lmathlib.c) as Redis 7.0 has it: open it with [`open`].
//!
//! - Every function is C's (`floor`, `fmod`, `pow`, `frexp`...) on doubles, so results,
//!   signed zeros and NaN signs print as Redis prints them (`-nan` for `0/0`).
//! - Arguments are checked in the order gcc evaluates a C call's arguments on x86-64:
//!   from the last, so `math.fmod(1)` complains about argument #2.
//! - `math.random`/`math.randomseed` are Redis's (`redis_math_random`): a 48-bit linear
//!   congruential generator (rand.c's `redisLrand48`). Each VM has one generator, started
//!   where a fresh redis-server's is and never reseeded between scripts (Redis 7.0 does
//!   not reseed it; its state runs on from script to script).
//! - The table holds exactly 5.1's names (with `mod`, the old name of `fmod`), created as
//!   `luaL_register` creates it, so `pairs(math)` visits them in Redis's order.

use std::cell::Cell;
use std::rc::Rc;

use crate::lib_base::{c_int, check_int, check_number};
use crate::value::Value;
use crate::vm::{NativeReturn, Vm};

type R = Result<NativeReturn, Value>;

fn ret1(n: f64) -> R {
    Ok(NativeReturn::Values(vec![Value::Number(n)]))
}

/// 5.1's RADIANS_PER_DEGREE.
const RADIANS_PER_DEGREE: f64 = std::f64::consts::PI / 180.0;

/// Creates the `math` table (in `math_funcs`' order, then `pi`, `huge` and `mod`).
pub fn open(vm: &mut Vm) {
    open_with_generator(vm, Rc::new(Rand48::new()));
}

/// `open` with a generator the host shares: Redis's is one C global, shared by EVAL's Lua
/// state and the functions' and kept when SCRIPT FLUSH makes a new state.
pub fn open_with_generator(vm: &mut Vm, generator: Rc<Rand48>) {
    let natives: [(&'static str, crate::heap::NativeFn); 26] = [
        ("abs", |vm, a| unary(vm, a, f64::abs)),
        ("acos", |vm, a| unary(vm, a, f64::acos)),
        ("asin", |vm, a| unary(vm, a, f64::asin)),
        ("atan2", |vm, a| binary(vm, a, f64::atan2)),
        ("atan", |vm, a| unary(vm, a, f64::atan)),
        ("ceil", |vm, a| unary(vm, a, f64::ceil)),
        ("cosh", |vm, a| unary(vm, a, f64::cosh)),
        ("cos", |vm, a| unary(vm, a, f64::cos)),
        ("deg", |vm, a| unary(vm, a, |x| x / RADIANS_PER_DEGREE)),
        ("exp", |vm, a| unary(vm, a, f64::exp)),
        ("floor", |vm, a| unary(vm, a, f64::floor)),
        ("fmod", |vm, a| binary(vm, a, |x, y| x % y)),
        ("frexp", math_frexp),
        ("ldexp", math_ldexp),
        ("log10", |vm, a| unary(vm, a, f64::log10)),
        ("log", |vm, a| unary(vm, a, f64::ln)),
        ("max", |vm, a| extreme(vm, a, |d, best| d > best)),
        ("min", |vm, a| extreme(vm, a, |d, best| d < best)),
        ("modf", math_modf),
        ("pow", |vm, a| binary(vm, a, f64::powf)),
        ("rad", |vm, a| unary(vm, a, |x| x * RADIANS_PER_DEGREE)),
        ("sinh", |vm, a| unary(vm, a, f64::sinh)),
        ("sin", |vm, a| unary(vm, a, f64::sin)),
        ("sqrt", |vm, a| unary(vm, a, f64::sqrt)),
        ("tanh", |vm, a| unary(vm, a, f64::tanh)),
        ("tan", |vm, a| unary(vm, a, f64::tan)),
    ];
    // luaL_register sizes the table for its functions (28 with random and randomseed).
    let math = vm.new_table_sized(0, 28);
    let generator = vm.new_userdata(Box::new(generator), None);
    for (name, f) in natives {
        let v = vm.new_native(name, f);
        vm.set_field(math, name, v);
        // `random` and `randomseed` come between `rad` and `sinh` in `math_funcs`.
        if name == "rad" {
            let random = vm.new_native_with("random", math_random, vec![generator.clone()]);
            vm.set_field(math, "random", random);
            let randomseed =
                vm.new_native_with("randomseed", math_randomseed, vec![generator.clone()]);
            vm.set_field(math, "randomseed", randomseed);
        }
    }
    vm.set_field(math, "pi", Value::Number(std::f64::consts::PI));
    vm.set_field(math, "huge", Value::Number(f64::INFINITY));
    let fmod = vm.get_field(math, "fmod");
    vm.set_field(math, "mod", fmod);
    vm.set_global("math", Value::Table(math));
}

/// A function of one number.
fn unary(vm: &mut Vm, args: Vec<Value>, op: fn(f64) -> f64) -> R {
    ret1(op(check_number(vm, &args, 1)?))
}

/// A function of two numbers: the second is checked first (gcc's order).
fn binary(vm: &mut Vm, args: Vec<Value>, op: fn(f64, f64) -> f64) -> R {
    let y = check_number(vm, &args, 2)?;
    let x = check_number(vm, &args, 1)?;
    ret1(op(x, y))
}

/// `math.max`/`math.min`: the first argument, replaced by each later one that `better`
/// prefers (NaN compares false: it stays first, or is never taken).
fn extreme(vm: &mut Vm, args: Vec<Value>, better: fn(f64, f64) -> bool) -> R {
    let mut best = check_number(vm, &args, 1)?;
    for i in 2..=args.len() {
        let d = check_number(vm, &args, i)?;
        if better(d, best) {
            best = d;
        }
    }
    ret1(best)
}

fn math_modf(vm: &mut Vm, args: Vec<Value>) -> R {
    let x = check_number(vm, &args, 1)?;
    let (int, frac) = modf(x);
    Ok(NativeReturn::Values(vec![
        Value::Number(int),
        Value::Number(frac),
    ]))
}

fn math_frexp(vm: &mut Vm, args: Vec<Value>) -> R {
    let (m, e) = frexp(check_number(vm, &args, 1)?);
    Ok(NativeReturn::Values(vec![
        Value::Number(m),
        Value::Number(e as f64),
    ]))
}

fn math_ldexp(vm: &mut Vm, args: Vec<Value>) -> R {
    let e = check_int(vm, &args, 2)?;
    let m = check_number(vm, &args, 1)?;
    ret1(ldexp(m, e))
}

/// C's `modf`: the integral and fractional parts, both with the sign of `x` (`-0` for
/// the fraction of `-5`); infinities have a zero fraction, NaN gives NaN twice.
fn modf(x: f64) -> (f64, f64) {
    let int = x.trunc();
    let frac = if x.is_infinite() { 0.0 } else { x - int };
    let frac = if frac == 0.0 { 0f64.copysign(x) } else { frac };
    (int, frac)
}

/// C's `frexp`: `x = m * 2^e` with `0.5 <= |m| < 1` (0, infinities and NaN as they are,
/// e 0).
fn frexp(x: f64) -> (f64, i64) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let bits = x.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i64;
    if exp_bits == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(x * 2f64.powi(64));
        return (m, e - 64);
    }
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, exp_bits - 1022)
}

/// C's `ldexp`: `m * 2^e` rounded once, in steps that stay representable.
fn ldexp(m: f64, e: i64) -> f64 {
    let mut x = m;
    let mut e = e.clamp(-2200, 2200);
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
    }
    x * 2f64.powi(e as i32)
}

/// Redis's `redisLrand48` (rand.c): the 48-bit linear congruential generator of
/// `lrand48`, with its own state.
pub struct Rand48 {
    x: Cell<u64>,
}

impl Default for Rand48 {
    fn default() -> Self {
        Rand48::new()
    }
}

impl Rand48 {
    const A: u64 = 0x5_DEEC_E66D;
    const C: u64 = 0xB;
    const MASK: u64 = (1 << 48) - 1;
    /// `X0`, `X1`, `X2` of rand.c: the state of a server that was never seeded.
    const INITIAL: u64 = 0x1234_ABCD_330E;

    pub fn new() -> Rand48 {
        Rand48 {
            x: Cell::new(Self::INITIAL),
        }
    }

    /// `redisSrand48`: the seed's 32 bits above 0x330E.
    pub fn seed(&self, seed: i32) {
        self.x.set(((seed as u32 as u64) << 16) | 0x330E);
    }

    /// `redisLrand48`: the next 31-bit value.
    pub fn next(&self) -> i32 {
        let x = (Self::A.wrapping_mul(self.x.get()).wrapping_add(Self::C)) & Self::MASK;
        self.x.set(x);
        (x >> 17) as i32
    }
}

/// `REDIS_LRAND48_MAX`.
const LRAND48_MAX: f64 = i32::MAX as f64;

/// The generator bound to the running `random`/`randomseed`.
fn generator(vm: &Vm) -> Option<&Rand48> {
    let v = vm.native_upvalue(0);
    vm.userdata(&v)
        .and_then(|d| d.downcast_ref::<Rc<Rand48>>())
        .map(|g| &**g)
}

/// `math.random([m [, n]])`: the generator moves on before the arguments are checked.
fn math_random(vm: &mut Vm, args: Vec<Value>) -> R {
    let next = generator(vm).map_or(0, |g| g.next());
    let r = (next as f64 % LRAND48_MAX) / LRAND48_MAX;
    match args.len() {
        0 => ret1(r),
        1 => {
            let u = check_int(vm, &args, 1)?;
            if u < 1 {
                return Err(vm.arg_error(1, "?", "interval is empty"));
            }
            ret1((r * u as f64).floor() + 1.0)
        }
        2 => {
            let l = check_int(vm, &args, 1)?;
            let u = check_int(vm, &args, 2)?;
            if l > u {
                return Err(vm.arg_error(2, "?", "interval is empty"));
            }
            // `u - l + 1` in C ints (it wraps for the widest intervals).
            let width = (u as i32).wrapping_sub(l as i32).wrapping_add(1);
            ret1((r * width as f64).floor() + l as f64)
        }
        _ => Err(vm.error("wrong number of arguments")),
    }
}

/// `math.randomseed(x)`: `redisSrand48(luaL_checkint(L, 1))`.
fn math_randomseed(vm: &mut Vm, args: Vec<Value>) -> R {
    let seed = c_int(check_number(vm, &args, 1)?);
    if let Some(g) = generator(vm) {
        g.seed(seed as i32);
    }
    Ok(NativeReturn::Values(Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rand48_matches_lrand48() {
        // What glibc's srand48(0) then lrand48() x3 give (read from glibc through ctypes).
        let r = Rand48::new();
        r.seed(0);
        assert_eq!(
            [r.next(), r.next(), r.next()],
            [366_850_414, 1_610_402_240, 206_956_554]
        );
    }

    #[test]
    fn rand48_seeds_with_the_low_32_bits() {
        let (a, b) = (Rand48::new(), Rand48::new());
        a.seed(-1);
        b.seed(i32::MAX);
        assert_ne!(a.next(), b.next());
        let (c, d) = (Rand48::new(), Rand48::new());
        c.seed(42);
        d.seed(42);
        assert_eq!((c.next(), c.next()), (d.next(), d.next()));
    }

    #[test]
    fn an_unseeded_generator_starts_as_a_fresh_server() {
        // redis-server 7.0 answers its first `math.random(100)`s with 40, 85, 36
        // (recorded: crates/lua/tests/scripts/stdlib_recorded.txt, math_random_in).
        let r = Rand48::new();
        let draw = |u: f64| ((r.next() as f64 % LRAND48_MAX) / LRAND48_MAX * u).floor() + 1.0;
        assert_eq!([draw(100.0), draw(100.0), draw(100.0)], [40.0, 85.0, 36.0]);
    }

    #[test]
    fn c_functions() {
        assert_eq!(frexp(8.0), (0.5, 4));
        assert_eq!(frexp(-3.0), (-0.75, 2));
        assert_eq!(frexp(5e-324), (0.5, -1073));
        assert_eq!(ldexp(0.5, 4), 8.0);
        assert_eq!(ldexp(1.0, -1074), 5e-324);
        assert!(ldexp(1.0, 1024).is_infinite());
        let (i, f) = modf(-5.0);
        assert_eq!(i, -5.0);
        assert!(f == 0.0 && f.is_sign_negative());
        assert_eq!(modf(3.5), (3.0, 0.5));
    }
}
