//! Number formatting exactly as Redis (glibc's printf) does it.
//!
//! Rust's formatter rounds correctly, like glibc, so `%.Ng` can be rebuilt from
//! Rust's `{:e}` and `{:.N}` output without losing a digit.

/// C's `printf("%.{precision}g", d)`.
pub fn fmt_g(d: f64, precision: usize) -> String {
    if d.is_nan() {
        return if d.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let p = precision.max(1);
    // The exponent X that %e would print with p significant digits (after rounding).
    let sci = format!("{:.*e}", p - 1, d);
    let (mantissa, exp) = sci.split_once('e').expect("{:e} always has an exponent");
    let x: i32 = exp.parse().expect("{:e} exponent is an integer");
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

/// A double in a RESP2 bulk reply (Redis 7.0 `addReplyDouble`): `%.17g`, `inf`/`-inf`.
pub fn fmt_double_reply(d: f64) -> String {
    fmt_g(d, 17)
}

/// A double in a RESP3 `,` reply: the same digits as RESP2.
pub fn fmt_double_resp3(d: f64) -> String {
    fmt_g(d, 17)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_g_matches_glibc() {
        assert_eq!(fmt_g(0.1, 17), "0.10000000000000001");
        assert_eq!(fmt_g(1e-5, 17), "1.0000000000000001e-05");
        assert_eq!(fmt_g(1.0, 17), "1");
        assert_eq!(fmt_g(100.0, 17), "100");
        assert_eq!(fmt_g(1e17, 17), "1e+17");
        assert_eq!(fmt_g(123456789.0, 14), "123456789");
        assert_eq!(fmt_g(0.5, 14), "0.5");
        assert_eq!(fmt_g(-2.5, 17), "-2.5");
        assert_eq!(fmt_g(1e100, 14), "1e+100");
        assert_eq!(fmt_g(0.0001, 14), "0.0001");
        assert_eq!(fmt_g(0.00001, 14), "1e-05");
        assert_eq!(fmt_g(f64::INFINITY, 17), "inf");
    }
}
