//! Redis's `long double` arithmetic, in software.
//!
//! INCRBYFLOAT and HINCRBYFLOAT parse with `strtold`, add in C `long double` and print
//! with `%.17Lf` (trailing zeros removed). On x86-64, where Redis runs, `long double` is
//! the x87 80-bit format: a 64-bit mantissa. `5.6 + 200` then prints
//! `205.60000000000000001`, which no `f64` computation reproduces. This module does the
//! same three steps exactly, with round-half-even at each, using a small unsigned big
//! integer: values are `mantissa * 2^exponent` with a 64-bit mantissa.

use std::cmp::Ordering;

/// Smallest exponent of a normal x87 value's unit in the last place (2^-16382 * 2^-63).
const MIN_EXP: i64 = -16382 - 63;
/// Values at or above 2^16384 overflow to infinity.
const MAX_BITS_EXP: i64 = 16384;

/// An x87 extended-precision value: `(-1)^neg * mant * 2^exp`, or infinity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ld {
    Finite { neg: bool, mant: u64, exp: i64 },
    Inf { neg: bool },
}

// ---------------------------------------------------------------------------------------
// A minimal unsigned big integer (little-endian 64-bit limbs)
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
struct Big(Vec<u64>);

impl Big {
    fn zero() -> Big {
        Big(Vec::new())
    }
    fn from_u64(v: u64) -> Big {
        let mut b = Big(vec![v]);
        b.trim();
        b
    }
    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }
    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
    fn bits(&self) -> i64 {
        match self.0.last() {
            None => 0,
            Some(top) => (self.0.len() as i64 - 1) * 64 + (64 - top.leading_zeros() as i64),
        }
    }
    fn bit(&self, i: i64) -> bool {
        if i < 0 {
            return false;
        }
        let (limb, off) = ((i / 64) as usize, i % 64);
        self.0.get(limb).is_some_and(|l| (l >> off) & 1 == 1)
    }
    /// True if any bit below position `i` is set.
    fn any_below(&self, i: i64) -> bool {
        if i <= 0 {
            return false;
        }
        let full = (i / 64) as usize;
        if self.0.iter().take(full).any(|&l| l != 0) {
            return true;
        }
        let rem = i % 64;
        rem > 0
            && self
                .0
                .get(full)
                .is_some_and(|l| l & ((1u64 << rem) - 1) != 0)
    }
    fn mul_small_add(&mut self, m: u64, a: u64) {
        let mut carry = a as u128;
        for limb in self.0.iter_mut() {
            let v = (*limb as u128) * (m as u128) + carry;
            *limb = v as u64;
            carry = v >> 64;
        }
        if carry > 0 {
            self.0.push(carry as u64);
        }
        self.trim();
    }
    fn shl(&self, n: i64) -> Big {
        if self.is_zero() || n == 0 {
            return self.clone();
        }
        let (limbs, bits) = ((n / 64) as usize, (n % 64) as u32);
        let mut out = vec![0u64; limbs];
        let mut carry = 0u64;
        for &l in &self.0 {
            if bits == 0 {
                out.push(l);
            } else {
                out.push((l << bits) | carry);
                carry = l >> (64 - bits);
            }
        }
        if carry > 0 {
            out.push(carry);
        }
        let mut b = Big(out);
        b.trim();
        b
    }
    fn shr(&self, n: i64) -> Big {
        let (limbs, bits) = ((n / 64) as usize, (n % 64) as u32);
        if limbs >= self.0.len() {
            return Big::zero();
        }
        let src = &self.0[limbs..];
        let mut out = Vec::with_capacity(src.len());
        for i in 0..src.len() {
            let lo = src[i] >> bits;
            let hi = if bits == 0 {
                0
            } else {
                src.get(i + 1).map(|h| h << (64 - bits)).unwrap_or(0)
            };
            out.push(lo | hi);
        }
        let mut b = Big(out);
        b.trim();
        b
    }
    fn cmp(&self, other: &Big) -> Ordering {
        if self.0.len() != other.0.len() {
            return self.0.len().cmp(&other.0.len());
        }
        for i in (0..self.0.len()).rev() {
            match self.0[i].cmp(&other.0[i]) {
                Ordering::Equal => continue,
                o => return o,
            }
        }
        Ordering::Equal
    }
    fn add(&self, other: &Big) -> Big {
        let n = self.0.len().max(other.0.len());
        let mut out = Vec::with_capacity(n + 1);
        let mut carry = 0u128;
        for i in 0..n {
            let v = *self.0.get(i).unwrap_or(&0) as u128
                + *other.0.get(i).unwrap_or(&0) as u128
                + carry;
            out.push(v as u64);
            carry = v >> 64;
        }
        if carry > 0 {
            out.push(carry as u64);
        }
        let mut b = Big(out);
        b.trim();
        b
    }
    /// `self - other`, requires `self >= other`.
    fn sub(&self, other: &Big) -> Big {
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i128;
        for i in 0..self.0.len() {
            let mut v = self.0[i] as i128 - *other.0.get(i).unwrap_or(&0) as i128 - borrow;
            borrow = 0;
            if v < 0 {
                v += 1i128 << 64;
                borrow = 1;
            }
            out.push(v as u64);
        }
        let mut b = Big(out);
        b.trim();
        b
    }
    /// Divides by a small number, returning the remainder.
    fn divmod_small(&mut self, d: u64) -> u64 {
        let mut rem = 0u128;
        for limb in self.0.iter_mut().rev() {
            let cur = (rem << 64) | *limb as u128;
            *limb = (cur / d as u128) as u64;
            rem = cur % d as u128;
        }
        self.trim();
        rem as u64
    }
    fn pow10(n: u32) -> Big {
        let mut b = Big::from_u64(1);
        let mut left = n;
        while left > 0 {
            let step = left.min(19);
            b.mul_small_add(10u64.pow(step), 0);
            left -= step;
        }
        b
    }
    fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".to_string();
        }
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            chunks.push(n.divmod_small(10_000_000_000_000_000_000));
        }
        let mut s = chunks.pop().map(|c| c.to_string()).unwrap_or_default();
        for c in chunks.iter().rev() {
            s.push_str(&format!("{:019}", c));
        }
        s
    }
}

// ---------------------------------------------------------------------------------------
// Rounding a big value to 64 significant bits
// ---------------------------------------------------------------------------------------

/// Rounds `n * 2^exp` (plus a sticky "something nonzero below" flag) to the nearest
/// x87 value, ties to even, with gradual underflow and overflow to infinity.
fn round_big(neg: bool, n: &Big, exp: i64, sticky: bool) -> Ld {
    if n.is_zero() {
        return Ld::Finite {
            neg,
            mant: 0,
            exp: 0,
        };
    }
    let bits = n.bits();
    // Drop enough low bits to keep 64, but never go below the smallest exponent.
    let mut drop = bits - 64;
    if exp + drop < MIN_EXP {
        drop = MIN_EXP - exp;
    }
    if drop <= 0 {
        // Nothing to drop: the value fits in 64 bits and is exact.
        return normalize(neg, n.0.first().copied().unwrap_or(0) as u128, exp);
    }
    let kept = n.shr(drop);
    let mut mant = kept.0.first().copied().unwrap_or(0) as u128
        | ((kept.0.get(1).copied().unwrap_or(0) as u128) << 64);
    let half = n.bit(drop - 1);
    let rest = n.any_below(drop - 1) || sticky;
    if half && (rest || mant & 1 == 1) {
        mant += 1;
    }
    normalize(neg, mant, exp + drop)
}

/// Brings a mantissa that may have grown to 65 bits (after rounding up) back to 64.
fn normalize(neg: bool, mut mant: u128, mut exp: i64) -> Ld {
    if mant >> 64 != 0 {
        mant >>= 1; // the dropped bit is 0: rounding up carried into a new top bit
        exp += 1;
    }
    if mant == 0 {
        return Ld::Finite {
            neg,
            mant: 0,
            exp: 0,
        };
    }
    let top = 128 - mant.leading_zeros() as i64 + exp;
    if top > MAX_BITS_EXP {
        return Ld::Inf { neg };
    }
    Ld::Finite {
        neg,
        mant: mant as u64,
        exp,
    }
}

// ---------------------------------------------------------------------------------------
// strtold
// ---------------------------------------------------------------------------------------

/// `strtold` on a whole string with Redis's checks (`string2ld`): shorter than
/// MAX_LONG_DOUBLE_CHARS (5120) bytes, no leading space, the
/// whole input consumed, no NaN, no overflow. Accepts decimal with exponent, `inf`,
/// `infinity`; hex floats are read through `f64` (exact for up to 53 bits).
pub fn parse(s: &[u8]) -> Option<Ld> {
    let text = std::str::from_utf8(s).ok()?;
    if text.is_empty() || text.len() >= 5 * 1024 || text.as_bytes()[0].is_ascii_whitespace() {
        return None;
    }
    let (neg, body) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(Ld::Inf { neg });
    }
    if lower.starts_with("0x") {
        let v = crate::args::parse_f64(s)?;
        return Some(from_f64(v));
    }
    let (mantissa, exp_part) = match lower.find('e') {
        Some(i) => (&lower[..i], Some(&lower[i + 1..])),
        None => (&lower[..], None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (int_part.is_empty() && frac_part.is_empty())
        || !int_part.bytes().all(|c| c.is_ascii_digit())
        || !frac_part.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let mut exp10: i64 = match exp_part {
        None => 0,
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            // Clamp absurd exponents: they over/underflow anyway.
            let v: i64 = digits.parse().unwrap_or(i64::MAX / 4).min(1_000_000);
            if e.starts_with('-') {
                -v
            } else {
                v
            }
        }
    };
    exp10 -= frac_part.len() as i64;
    let mut n = Big::zero();
    for c in int_part.bytes().chain(frac_part.bytes()) {
        n.mul_small_add(10, (c - b'0') as u64);
    }
    if n.is_zero() {
        return Some(Ld::Finite {
            neg,
            mant: 0,
            exp: 0,
        });
    }
    // Quick range checks keep the big numbers small for absurd exponents.
    let digits = n.to_decimal().len() as i64;
    if digits + exp10 > 4940 {
        return None; // ERANGE (overflow)
    }
    if digits + exp10 < -4960 {
        return None; // ERANGE (underflow to zero)
    }
    let value = if exp10 >= 0 {
        let scaled = mul_big(&n, &Big::pow10(exp10 as u32));
        round_big(neg, &scaled, 0, false)
    } else {
        divide(neg, &n, &Big::pow10((-exp10) as u32))
    };
    match value {
        Ld::Inf { .. } => None,
        v => Some(v),
    }
}

fn mul_big(a: &Big, b: &Big) -> Big {
    let mut out = vec![0u64; a.0.len() + b.0.len() + 1];
    for (i, &x) in a.0.iter().enumerate() {
        let mut carry = 0u128;
        for (j, &y) in b.0.iter().enumerate() {
            let v = out[i + j] as u128 + x as u128 * y as u128 + carry;
            out[i + j] = v as u64;
            carry = v >> 64;
        }
        let mut k = i + b.0.len();
        while carry > 0 {
            let v = out[k] as u128 + carry;
            out[k] = v as u64;
            carry = v >> 64;
            k += 1;
        }
    }
    let mut r = Big(out);
    r.trim();
    r
}

/// Rounds `num / den` to the nearest x87 value (binary long division, 66 bits + sticky).
fn divide(neg: bool, num: &Big, den: &Big) -> Ld {
    // Scale so that den <= a < 2 * den; then each step yields one quotient bit.
    let shift = num.bits() - den.bits();
    let (mut a, b) = if shift >= 0 {
        (num.clone(), den.shl(shift))
    } else {
        (num.shl(-shift), den.clone())
    };
    let mut s = shift;
    if a.cmp(&b) == Ordering::Less {
        a = a.shl(1);
        s -= 1;
    }
    let mut q = Big::zero();
    const QBITS: i64 = 68;
    for _ in 0..QBITS {
        q = q.shl(1);
        if a.cmp(&b) != Ordering::Less {
            a = a.sub(&b);
            q = q.add(&Big::from_u64(1));
        }
        a = a.shl(1);
    }
    // q holds QBITS bits of num/den, the first worth 2^s.
    round_big(neg, &q, s - QBITS + 1, !a.is_zero())
}

/// An f64 as an x87 value (exact).
pub fn from_f64(v: f64) -> Ld {
    if v.is_infinite() {
        return Ld::Inf { neg: v < 0.0 };
    }
    if v == 0.0 {
        return Ld::Finite {
            neg: v.is_sign_negative(),
            mant: 0,
            exp: 0,
        };
    }
    let bits = v.to_bits();
    let neg = bits >> 63 == 1;
    let e = ((bits >> 52) & 0x7ff) as i64;
    let f = bits & ((1u64 << 52) - 1);
    let (mant, exp) = if e == 0 {
        (f, -1074)
    } else {
        (f | (1u64 << 52), e - 1075)
    };
    Ld::Finite { neg, mant, exp }
}

// ---------------------------------------------------------------------------------------
// Addition
// ---------------------------------------------------------------------------------------

/// `a + b` rounded to the nearest x87 value. Infinity plus the opposite infinity is NaN
/// (None), as in C.
pub fn add(a: Ld, b: Ld) -> Option<Ld> {
    match (a, b) {
        (Ld::Inf { neg: x }, Ld::Inf { neg: y }) if x != y => None,
        (Ld::Inf { neg }, _) | (_, Ld::Inf { neg }) => Some(Ld::Inf { neg }),
        (
            Ld::Finite {
                neg: na,
                mant: ma,
                exp: ea,
            },
            Ld::Finite {
                neg: nb,
                mant: mb,
                exp: eb,
            },
        ) => {
            if ma == 0 {
                return Some(if mb == 0 {
                    Ld::Finite {
                        neg: na && nb,
                        mant: 0,
                        exp: 0,
                    }
                } else {
                    b
                });
            }
            if mb == 0 {
                return Some(a);
            }
            let e = ea.min(eb);
            let x = Big::from_u64(ma).shl(ea - e);
            let y = Big::from_u64(mb).shl(eb - e);
            Some(if na == nb {
                round_big(na, &x.add(&y), e, false)
            } else {
                match x.cmp(&y) {
                    Ordering::Equal => Ld::Finite {
                        neg: false,
                        mant: 0,
                        exp: 0,
                    },
                    Ordering::Greater => round_big(na, &x.sub(&y), e, false),
                    Ordering::Less => round_big(nb, &y.sub(&x), e, false),
                }
            })
        }
    }
}

// ---------------------------------------------------------------------------------------
// %.17Lf, human mode
// ---------------------------------------------------------------------------------------

/// Redis's `ld2string(..., LD_STR_HUMAN)`: `%.17Lf`, trailing zeros and a trailing dot
/// removed, `-0` printed as `0`, infinities as `inf`/`-inf`.
pub fn to_human_string(v: Ld) -> String {
    let (neg, mant, exp) = match v {
        Ld::Inf { neg } => return if neg { "-inf".into() } else { "inf".into() },
        Ld::Finite { neg, mant, exp } => (neg, mant, exp),
    };
    // round(|v| * 10^17), ties to even: the digits of %.17Lf without the point.
    let scaled = mul_big(&Big::from_u64(mant), &Big::pow10(17));
    let digits = if exp >= 0 {
        scaled.shl(exp)
    } else {
        let s = -exp;
        let mut q = scaled.shr(s);
        let half = scaled.bit(s - 1);
        let rest = scaled.any_below(s - 1);
        if half && (rest || q.bit(0)) {
            q = q.add(&Big::from_u64(1));
        }
        q
    };
    let mut text = digits.to_decimal();
    if text.len() < 18 {
        text = format!("{}{}", "0".repeat(18 - text.len()), text);
    }
    let (int_part, frac_part) = text.split_at(text.len() - 17);
    let frac = frac_part.trim_end_matches('0');
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push_str(int_part);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if out == "-0" {
        "0".into()
    } else {
        out
    }
}

/// INCRBYFLOAT's arithmetic: parse both, add, format. Errors are Redis's texts.
pub fn incr_by_float(current: Option<&[u8]>, incr: &[u8]) -> Result<String, &'static str> {
    let old = match current {
        None => Ld::Finite {
            neg: false,
            mant: 0,
            exp: 0,
        },
        Some(b) => parse(b).ok_or("ERR value is not a valid float")?,
    };
    let inc = parse(incr).ok_or("ERR value is not a valid float")?;
    match add(old, inc) {
        Some(v @ Ld::Finite { .. }) => Ok(to_human_string(v)),
        _ => Err("ERR increment would produce NaN or Infinity"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incr(a: &str, b: &str) -> String {
        incr_by_float(Some(a.as_bytes()), b.as_bytes()).unwrap()
    }

    #[test]
    fn long_double_sums_like_redis() {
        // The example from Redis's INCRBYFLOAT documentation.
        assert_eq!(incr("10.50", "0.1"), "10.6");
        assert_eq!(incr("5.0e3", "2.0e2"), "5200");
        assert_eq!(incr("5.6", "2.0e2"), "205.60000000000000001");
        assert_eq!(incr("3.0", "0"), "3");
        assert_eq!(incr("0", "-0"), "0");
        assert_eq!(incr("1", "-1"), "0");
        assert_eq!(incr("-5", "2.5"), "-2.5");
    }

    #[test]
    fn parse_rejects_what_strtold_rejects() {
        for bad in ["", " 1", "1 ", "abc", "1e", "--1", "nan", "1e99999"] {
            assert!(parse(bad.as_bytes()).is_none(), "{bad:?}");
        }
        assert!(matches!(parse(b"inf"), Some(Ld::Inf { neg: false })));
        assert_eq!(
            incr_by_float(None, b"inf"),
            Err("ERR increment would produce NaN or Infinity")
        );
    }
}
