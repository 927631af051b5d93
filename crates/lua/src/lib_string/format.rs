//! `string.format`'s conversions (lstrlib.c's `str_format` hands each one to the C
//! library's `sprintf`), with no VM types: how a `%...` spec is read and how glibc prints
//! numbers and strings with flags, width and precision. The format loop itself, which
//! reads the arguments with 5.1's rules, is in `lib_string`.

/// 2^63, where C's conversions of doubles to 64-bit integers change behaviour.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// C's `(long)` of a double on x86-64 (`lua_Integer` is a C long): out of range and NaN
/// give LONG_MIN.
pub fn c_long(d: f64) -> i64 {
    if (-TWO_63..TWO_63).contains(&d) {
        d as i64
    } else {
        i64::MIN
    }
}

/// C's `(unsigned long)` of a double as gcc compiles it on x86-64.
pub fn c_ulong(d: f64) -> u64 {
    if d.is_nan() || d < TWO_63 {
        c_long(d) as u64
    } else {
        (c_long(d - TWO_63) as u64) ^ (1 << 63)
    }
}

/// A conversion's flags, width and precision (5.1's `scanformat`).
#[derive(Default, Debug)]
pub struct Spec {
    minus: bool,
    plus: bool,
    space: bool,
    hash: bool,
    zero: bool,
    width: usize,
    pub precision: Option<usize>,
}

/// Reads the spec after a `%` at `fmt[i..]`; returns it and the index of the conversion
/// character, or 5.1's error text.
pub fn scan_format(fmt: &[u8], mut i: usize) -> Result<(Spec, usize), &'static str> {
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
        return Err("invalid format (repeated flags)");
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
        return Err("invalid format (width or precision too long)");
    }
    Ok((spec, i))
}

/// Pads `sign prefix body` to the spec's width as printf does: spaces on the left, spaces
/// on the right with `-`, zeros after the prefix with `zero`.
pub fn pad(spec: &Spec, sign: &str, prefix: &str, body: &[u8], zero: bool) -> Vec<u8> {
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

/// The sign a signed conversion prints: `-` for a negative value, else `+` with the `+`
/// flag, a space with the ` ` flag, or nothing.
fn sign_text(spec: &Spec, negative: bool) -> &'static str {
    if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

/// `%d` / `%i` (5.1 widens them to `%ld`).
pub fn format_signed(spec: &Spec, v: i64) -> Vec<u8> {
    let sign = sign_text(spec, v < 0);
    let digits = with_precision(v.unsigned_abs().to_string(), v == 0, spec.precision);
    pad(
        spec,
        sign,
        "",
        digits.as_bytes(),
        spec.zero && spec.precision.is_none(),
    )
}

/// `%o`, `%u`, `%x`, `%X` (as `%lo`...).
pub fn format_unsigned(spec: &Spec, conv: u8, v: u64) -> Vec<u8> {
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
    pad(
        spec,
        "",
        prefix,
        digits.as_bytes(),
        spec.zero && spec.precision.is_none(),
    )
}

/// `%c`: one byte, padded with spaces.
pub fn format_char(spec: &Spec, c: u8) -> Vec<u8> {
    pad(spec, "", "", &[c], false)
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
    let digits = if digits.contains('.') {
        digits.trim_end_matches('0').trim_end_matches('.')
    } else {
        digits
    };
    format!("{digits}{exp}")
}

/// `%e`, `%E`, `%f`, `%g`, `%G` as glibc prints them.
pub fn format_float(spec: &Spec, conv: u8, d: f64) -> Vec<u8> {
    let upper = conv.is_ascii_uppercase();
    let sign = sign_text(spec, d.is_sign_negative());
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
            let x: i64 = probe
                .split_once('e')
                .and_then(|(_, e)| e.parse().ok())
                .unwrap_or(0);
            // glibc's quirk with `#`: a number that had P integer digits before rounding
            // and P + 1 after (999999.5) loses its fraction digits ("1.e+06").
            let unrounded: i64 = format!("{a:e}")
                .split_once('e')
                .and_then(|(_, e)| e.parse().ok())
                .unwrap_or(0);
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

/// `%s` of a string shorter than 100 bytes or with a precision (5.1 copies a longer one
/// as it is, without sprintf): sprintf stops at a NUL, then precision and width apply.
pub fn format_string(spec: &Spec, s: &[u8]) -> Vec<u8> {
    let s = c_text(s);
    let s = match spec.precision {
        Some(p) if p < s.len() => &s[..p],
        _ => s,
    };
    pad(spec, "", "", s, false)
}

/// 5.1's `addquoted` (`%q`).
pub fn add_quoted(out: &mut Vec<u8>, s: &[u8]) {
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
pub fn c_text(item: &[u8]) -> &[u8] {
    match item.iter().position(|&c| c == 0) {
        Some(n) => &item[..n],
        None => item,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Spec {
        scan_format(text.as_bytes(), 0)
            .map(|(s, _)| s)
            .unwrap_or_default()
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
        assert_eq!(c_long(f64::NAN), i64::MIN);
        assert_eq!(c_long(-3.7), -3);
    }

    #[test]
    fn format_spec_limits() {
        assert_eq!(
            scan_format(b"------d", 0).err(),
            Some("invalid format (repeated flags)")
        );
        assert_eq!(
            scan_format(b"100d", 0).err(),
            Some("invalid format (width or precision too long)")
        );
        assert!(scan_format(b"5.123f", 0).is_err());
        assert!(scan_format(b"-----d", 0).is_ok());
        assert_eq!(scan_format(b"-5.2s", 0).map(|(_, at)| at), Ok(4));
    }

    #[test]
    fn strings_chars_and_quoting() {
        assert_eq!(format_string(&spec("5.1"), b"abc"), b"    a");
        assert_eq!(format_string(&spec("-4"), b"a\0b"), b"a   ");
        assert_eq!(format_char(&spec("-3"), b'x'), b"x  ");
        let mut out = Vec::new();
        add_quoted(&mut out, b"a\"b\\c\nd\re\0f");
        assert_eq!(out, b"\"a\\\"b\\\\c\\\nd\\re\\000f\"");
        assert_eq!(c_text(b"ab\0c"), b"ab");
    }
}
