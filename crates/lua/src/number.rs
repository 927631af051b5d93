//! Numbers as Lua 5.1 writes and reads them: `%.14g` (LUA_NUMBER_FMT) for number to string,
//! and `luaO_str2d` (C `strtod` as glibc implements it, then hexadecimal through `strtoul`)
//! for string to number. Both decide what scripts see when numbers meet strings, so they
//! follow the C library byte for byte rather than Rust's own formatting and parsing rules.

/// C's `printf("%.{precision}g", d)` as glibc prints it (`-nan` for a negative NaN).
pub fn fmt_g(d: f64, precision: usize) -> String {
    if d.is_nan() {
        return if d.is_sign_negative() {
            "-nan".into()
        } else {
            "nan".into()
        };
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let p = precision.max(1);
    // The exponent that %e prints with p significant digits (after rounding). Rust rounds
    // the decimal expansion correctly (half to even on exact ties), as glibc does.
    let sci = format!("{:.*e}", p - 1, d);
    let (mantissa, exp) = match sci.split_once('e') {
        Some(parts) => parts,
        None => (sci.as_str(), "0"),
    };
    let x: i32 = exp.parse().unwrap_or(0);
    if x < -4 || x >= p as i32 {
        let mantissa = strip_trailing_zeros(mantissa);
        let sign = if x < 0 { '-' } else { '+' };
        format!("{}e{}{:02}", mantissa, sign, x.abs())
    } else {
        let decimals = (p as i32 - 1 - x).max(0) as usize;
        strip_trailing_zeros(&format!("{:.*}", decimals, d)).to_string()
    }
}

fn strip_trailing_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Integers below 10^14 (but not -0) print as themselves under `%.14g`: the common case,
/// written without formatting twice.
fn prints_as_integer(n: f64) -> bool {
    n.fract() == 0.0 && n.abs() < 1e14 && !(n == 0.0 && n.is_sign_negative())
}

/// `lua_number2str`: a number as Lua 5.1 prints it (`%.14g`).
pub fn number_to_string(n: f64) -> String {
    if prints_as_integer(n) {
        return format!("{}", n as i64);
    }
    fmt_g(n, 14)
}

/// Appends `number_to_string(n)` to `out`.
pub fn write_number(out: &mut Vec<u8>, n: f64) {
    if prints_as_integer(n) {
        let mut buf = [0u8; 24];
        let mut v = (n as i64).unsigned_abs();
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        if n < 0.0 {
            out.push(b'-');
        }
        out.extend_from_slice(&buf[i..]);
    } else {
        out.extend_from_slice(fmt_g(n, 14).as_bytes());
    }
}

/// C's `isspace` in the "C" locale.
pub fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// `luaO_str2d`: the number a string denotes for Lua 5.1, or None. The string is read as a
/// C string (up to its first NUL byte), with optional surrounding white space.
pub fn str_to_number(s: &[u8]) -> Option<f64> {
    let s = match s.iter().position(|&b| b == 0) {
        Some(end) => &s[..end],
        None => s,
    };
    let (value, end) = strtod(s)?;
    let mut end = end;
    let mut value = value;
    if end < s.len() && (s[end] == b'x' || s[end] == b'X') {
        let (v, e) = strtoul_hex(s);
        value = v;
        end = e;
    }
    if s[end..].iter().all(|&b| is_c_space(b)) {
        Some(value)
    } else {
        None
    }
}

/// What C's `strtod` and `strtoul` skip first: leading white space, then one optional
/// sign. The index just past them, and whether the sign was `-`.
fn skip_space_and_sign(s: &[u8]) -> (usize, bool) {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    (i, negative)
}

/// glibc `strtod`: the value and the index just past what was read; None when nothing was.
pub fn strtod(s: &[u8]) -> Option<(f64, usize)> {
    let (i, negative) = skip_space_and_sign(s);
    let apply = |v: f64| if negative { -v } else { v };
    let rest = &s[i..];
    let lower_starts =
        |word: &[u8]| rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word);
    if lower_starts(b"infinity") {
        return Some((apply(f64::INFINITY), i + 8));
    }
    if lower_starts(b"inf") {
        return Some((apply(f64::INFINITY), i + 3));
    }
    if lower_starts(b"nan") {
        let mut end = i + 3;
        if end < s.len() && s[end] == b'(' {
            let mut j = end + 1;
            while j < s.len() && (s[j].is_ascii_alphanumeric() || s[j] == b'_') {
                j += 1;
            }
            if j < s.len() && s[j] == b')' {
                end = j + 1;
            }
        }
        // glibc's strtod("nan") is a positive quiet NaN; "-nan" flips the sign bit.
        let nan = f64::NAN;
        return Some((if negative { -nan } else { nan }, end));
    }
    if rest.len() >= 2 && rest[0] == b'0' && (rest[1] == b'x' || rest[1] == b'X') {
        if let Some((v, used)) = hex_float(&rest[2..]) {
            return Some((apply(v), i + 2 + used));
        }
        // "0x" without hex digits reads as "0".
        return Some((apply(0.0), i + 1));
    }
    let start = i;
    let mut j = i;
    let mut digits = 0;
    while j < s.len() && s[j].is_ascii_digit() {
        j += 1;
        digits += 1;
    }
    if j < s.len() && s[j] == b'.' {
        j += 1;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    let mantissa_end = j;
    if j < s.len() && (s[j] == b'e' || s[j] == b'E') {
        let mut k = j + 1;
        if k < s.len() && (s[k] == b'+' || s[k] == b'-') {
            k += 1;
        }
        if k < s.len() && s[k].is_ascii_digit() {
            while k < s.len() && s[k].is_ascii_digit() {
                k += 1;
            }
            j = k;
        }
    }
    let _ = mantissa_end;
    let text = std::str::from_utf8(&s[start..j]).ok()?;
    // Rust rejects "5." and ".5"? It accepts both; it rejects an exponent with no digits,
    // which the scan above never includes.
    let v: f64 = text.parse().ok()?;
    Some((apply(v), j))
}

/// The hexadecimal part of a C99 hex float after `0x`: digits, optional fraction, optional
/// binary exponent `p`. Returns the value and the bytes read, None without any digit.
fn hex_float(s: &[u8]) -> Option<(f64, usize)> {
    let mut i = 0;
    let mut mantissa: u64 = 0;
    let mut exp: i64 = 0;
    let mut digits = 0;
    let mut lost_nonzero = false;
    while i < s.len() && s[i].is_ascii_hexdigit() {
        let d = (s[i] as char).to_digit(16).unwrap_or(0) as u64;
        if mantissa >> 56 == 0 {
            mantissa = mantissa * 16 + d;
        } else {
            exp += 4;
            lost_nonzero |= d != 0;
        }
        i += 1;
        digits += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_hexdigit() {
            let d = (s[i] as char).to_digit(16).unwrap_or(0) as u64;
            if mantissa >> 56 == 0 {
                mantissa = mantissa * 16 + d;
                exp -= 4;
            } else {
                lost_nonzero |= d != 0;
            }
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < s.len() && (s[i] == b'p' || s[i] == b'P') {
        let mut k = i + 1;
        let mut neg = false;
        if k < s.len() && (s[k] == b'+' || s[k] == b'-') {
            neg = s[k] == b'-';
            k += 1;
        }
        if k < s.len() && s[k].is_ascii_digit() {
            let mut e: i64 = 0;
            while k < s.len() && s[k].is_ascii_digit() {
                e = (e * 10 + (s[k] - b'0') as i64).min(1 << 20);
                k += 1;
            }
            exp += if neg { -e } else { e };
            i = k;
        }
    }
    if lost_nonzero {
        mantissa |= 1; // a sticky bit so that rounding sees the dropped digits
    }
    Some((
        mantissa as f64 * 2f64.powi(exp.clamp(-2000, 2000) as i32),
        i,
    ))
}

/// `strtoul(s, &end, 16)` as the value Lua 5.1 keeps (converted to a double).
fn strtoul_hex(s: &[u8]) -> (f64, usize) {
    let (i, negative) = skip_space_and_sign(s);
    let digits_start = if s.len() >= i + 3
        && s[i] == b'0'
        && (s[i + 1] | 0x20) == b'x'
        && s[i + 2].is_ascii_hexdigit()
    {
        i + 2
    } else {
        i
    };
    let mut j = digits_start;
    let mut v: u64 = 0;
    let mut overflow = false;
    while j < s.len() && s[j].is_ascii_hexdigit() {
        let d = (s[j] as char).to_digit(16).unwrap_or(0) as u64;
        match v.checked_mul(16).and_then(|x| x.checked_add(d)) {
            Some(x) => v = x,
            None => overflow = true,
        }
        j += 1;
    }
    if j == digits_start {
        return (0.0, 0);
    }
    if overflow {
        v = u64::MAX;
    }
    let v = if negative { v.wrapping_neg() } else { v };
    (v as f64, j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_14g() {
        assert_eq!(number_to_string(1.0), "1");
        assert_eq!(number_to_string(-0.0), "-0");
        assert_eq!(number_to_string(0.1), "0.1");
        assert_eq!(number_to_string(1e14), "1e+14");
        assert_eq!(number_to_string(123456789012345.0), "1.2345678901234e+14");
        assert_eq!(number_to_string(1.0 / 3.0), "0.33333333333333");
        assert_eq!(number_to_string(1e-5), "1e-05");
        assert_eq!(number_to_string(f64::INFINITY), "inf");
        assert_eq!(number_to_string(-f64::INFINITY), "-inf");
        assert_eq!(number_to_string(1.23456), "1.23456");
        let mut out = Vec::new();
        write_number(&mut out, -42.0);
        assert_eq!(out, b"-42");
    }

    #[test]
    fn str2d() {
        assert_eq!(str_to_number(b" 10 "), Some(10.0));
        assert_eq!(str_to_number(b"0x10"), Some(16.0));
        assert_eq!(str_to_number(b"-0x10"), Some(-16.0));
        assert_eq!(str_to_number(b"1e2"), Some(100.0));
        assert_eq!(str_to_number(b".5"), Some(0.5));
        assert_eq!(str_to_number(b"5."), Some(5.0));
        assert_eq!(str_to_number(b"1e"), None);
        assert_eq!(str_to_number(b""), None);
        assert_eq!(str_to_number(b"  "), None);
        assert_eq!(str_to_number(b"0x"), None);
        assert_eq!(str_to_number(b"abc"), None);
        assert_eq!(str_to_number(b"1\0abc"), Some(1.0));
        assert_eq!(str_to_number(b"inf"), Some(f64::INFINITY));
        assert!(str_to_number(b"nan").is_some_and(|v| v.is_nan()));
        assert_eq!(str_to_number(b"0x1p4"), Some(16.0));
        assert_eq!(str_to_number(b"1 x"), None);
    }
}
