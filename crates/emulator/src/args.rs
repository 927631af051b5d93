//! Parsing command arguments the way Redis does, so the same inputs are accepted and
//! rejected with the same errors.

use crate::error::{self, CmdError};

/// Redis's `string2ll`: an optional `-`, then digits with no leading zero (except `0`
/// itself), no spaces, no `+`, and within `i64`.
pub fn parse_i64(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    if b == b"0" {
        return Some(0);
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// `getLongLongFromObjectOrReply`: an integer argument or `ERR value is not an integer...`.
pub fn int_arg(b: &[u8]) -> Result<i64, CmdError> {
    parse_i64(b).ok_or_else(error::not_integer)
}

/// `getIntFromObjectOrReply` without a custom message: an integer that fits C's `int`.
pub fn int32_arg(b: &[u8]) -> Result<i64, CmdError> {
    let n = int_arg(b)?;
    if n < i32::MIN as i64 || n > i32::MAX as i64 {
        return Err(CmdError::new(error::INT_RANGE));
    }
    Ok(n)
}

/// C's `isspace` in the "C" locale.
pub fn c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Why glibc's strtod would set `errno = ERANGE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Erange {
    No,
    /// A finite literal too big for a double: the value is +-infinity.
    Overflow,
    /// A non-zero literal whose value is zero or subnormal and inexact.
    Underflow,
}

/// glibc's `strtod` on a whole string (no leading space, nothing after the number):
/// decimal with exponent, `inf`/`infinity`, `nan`/`nan(chars)`, C99 hex floats
/// (`0x1.8p3`). Returns the value (NaN included: callers decide) and what errno would
/// say, or None if the string is not one number.
pub fn strtod(s: &[u8]) -> Option<(f64, Erange)> {
    let (neg, body) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let sign = |v: f64| if neg { -v } else { v };
    if lower == b"inf" || lower == b"infinity" {
        return Some((sign(f64::INFINITY), Erange::No));
    }
    if let Some(rest) = lower.strip_prefix(b"nan") {
        let payload_ok = rest.is_empty()
            || (rest.first() == Some(&b'(')
                && rest.last() == Some(&b')')
                && rest[1..rest.len() - 1]
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'_'));
        return payload_ok.then_some((f64::NAN, Erange::No));
    }
    let (v, nonzero, exact) = if let Some(hex) = lower.strip_prefix(b"0x") {
        hex_float(hex)?
    } else {
        if body.is_empty()
            || !body
                .iter()
                .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'-' | b'+'))
        {
            return None;
        }
        let v: f64 = std::str::from_utf8(body).ok()?.parse().ok()?;
        let mantissa_end = body
            .iter()
            .position(|&c| c == b'e' || c == b'E')
            .unwrap_or(body.len());
        // A decimal literal whose value is subnormal is inexact in practice (an exact one
        // would need hundreds of digits).
        (
            v,
            body[..mantissa_end]
                .iter()
                .any(|c| (b'1'..=b'9').contains(c)),
            false,
        )
    };
    let erange = if v.is_infinite() {
        Erange::Overflow
    } else if nonzero && (v == 0.0 || (v.abs() < f64::MIN_POSITIVE && !exact)) {
        Erange::Underflow
    } else {
        Erange::No
    };
    Some((sign(v), erange))
}

/// The digits after `0x`: (value, any non-zero digit, exactly representable). Scales by
/// powers of two in steps that stay representable, so `0x1p-1074` is the least
/// subnormal rather than 0.
fn hex_float(hex: &[u8]) -> Option<(f64, bool, bool)> {
    let (mant, exp) = match hex.iter().position(|&c| c == b'p') {
        Some(p) => {
            let e = &hex[p + 1..];
            let digits = e
                .strip_prefix(b"-")
                .or_else(|| e.strip_prefix(b"+"))
                .unwrap_or(e);
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let mut n: i64 = 0;
            for &d in digits {
                n = (n * 10 + (d - b'0') as i64).min(100_000);
            }
            (&hex[..p], if e.first() == Some(&b'-') { -n } else { n })
        }
        None => (hex, 0),
    };
    let (int_part, frac_part) = match mant.iter().position(|&c| c == b'.') {
        Some(d) => (&mant[..d], &mant[d + 1..]),
        None => (mant, &b""[..]),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    // The mantissa as an integer (exact while it fits 53 bits), then the binary exponent.
    let mut m = 0f64;
    let mut nonzero = false;
    let mut significant_bits = 0u32;
    for &c in int_part.iter().chain(frac_part) {
        let d = (c as char).to_digit(16)?;
        nonzero |= d != 0;
        if m > 0.0 || d != 0 {
            significant_bits += 4;
        }
        m = m * 16.0 + d as f64;
    }
    let mut e = exp - 4 * frac_part.len() as i64;
    e = e.clamp(-5000, 5000);
    let mut v = m;
    while e < -1000 {
        v *= 2f64.powi(-1000);
        e += 1000;
    }
    while e > 1000 {
        v *= 2f64.powi(1000);
        e -= 1000;
    }
    v *= 2f64.powi(e as i32);
    // Exact when the mantissa fitted and scaling back recovers it.
    let exact = significant_bits <= 56 && v != 0.0 && v.is_finite() && {
        let mut back = v;
        let mut k = -(exp - 4 * frac_part.len() as i64).clamp(-5000, 5000);
        while k > 1000 {
            back *= 2f64.powi(1000);
            k -= 1000;
        }
        while k < -1000 {
            back *= 2f64.powi(-1000);
            k += 1000;
        }
        back * 2f64.powi(k as i32) == m
    };
    Some((v, nonzero, exact))
}

/// Redis's `string2d` (`getDoubleFromObject`): not empty, no leading space, no NUL, the
/// whole string one number, not NaN, and no ERANGE to infinity or to zero (a subnormal
/// result is accepted).
pub fn parse_f64(b: &[u8]) -> Option<f64> {
    if b.is_empty() || c_space(b[0]) || b.contains(&0) {
        return None;
    }
    let (v, erange) = strtod(b)?;
    if v.is_nan() || erange == Erange::Overflow || (erange == Erange::Underflow && v == 0.0) {
        return None;
    }
    Some(v)
}

/// A float argument or `ERR value is not a valid float`.
pub fn float_arg(b: &[u8]) -> Result<f64, CmdError> {
    parse_f64(b).ok_or_else(error::not_float)
}

/// Case-insensitive comparison of an argument with an ASCII keyword.
pub fn is(arg: &[u8], keyword: &str) -> bool {
    arg.eq_ignore_ascii_case(keyword.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_rules() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-12"), Some(-12));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b"9223372036854775808"[..],
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"",
            b"-",
            b"1a",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn strtod_rules() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"5."), Some(5.0));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b"0x10"), Some(16.0));
        assert_eq!(parse_f64(b"0x1.8p1"), Some(3.0));
        assert_eq!(parse_f64(b"1e-310"), Some(1e-310)); // subnormal: ERANGE but not zero
        for bad in [
            &b"nan"[..],
            b" 1",
            b"1 ",
            b"",
            b"abc",
            b"1e999",
            b"1..2",
            b"1e-400",
            b"1\0",
        ] {
            assert_eq!(parse_f64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(strtod(b"1e-400"), Some((0.0, Erange::Underflow)));
        assert_eq!(
            strtod(b"0x1p-1074").map(|(v, e)| (v.to_bits(), e)),
            Some((1, Erange::No))
        );
        assert_eq!(strtod(b"1e-320").map(|(_, e)| e), Some(Erange::Underflow));
        assert!(strtod(b"nan(x1)").is_some_and(|(v, _)| v.is_nan()));
    }
}
