//! Number formatting exactly as Redis (glibc's printf) does it.
//!
//! Rust's formatter rounds correctly, like glibc, so `%.Ng` can be rebuilt from
//! Rust's `{:e}` and `{:.N}` output without losing a digit (`lua51::number::fmt_g`).

/// C's `printf("%.{precision}g", d)`: one implementation for the whole product, in the
/// Lua crate (Lua 5.1 prints numbers with `%.14g`).
pub use lua51::number::fmt_g;

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
