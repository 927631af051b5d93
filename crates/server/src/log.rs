//! Log lines in redis-server's format: `pid:M 23 Nov 2026 08:57:20.123 * message`.

use std::time::{SystemTime, UNIX_EPOCH};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `23 Nov 2026 08:57:20.123` (UTC) for a time in milliseconds since the epoch.
pub fn timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = redis_emulator::clock::civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{} {} {} {:02}:{:02}:{:02}.{:03}",
        d,
        MONTHS[(m - 1) as usize],
        y,
        sod / 3600,
        sod / 60 % 60,
        sod % 60,
        ms.rem_euclid(1000)
    )
}

/// Level marks as redis-server prints them: `.` debug, `-` verbose, `*` notice, `#` warning.
#[derive(Clone, Copy)]
pub enum Level {
    Notice,
    Warning,
}

pub fn log(level: Level, msg: &str) {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let mark = match level {
        Level::Notice => '*',
        Level::Warning => '#',
    };
    println!(
        "{}:M {} {} {}",
        std::process::id(),
        timestamp(ms),
        mark,
        msg
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_redis() {
        assert_eq!(timestamp(0), "1 Jan 1970 00:00:00.000");
        // 2026-11-23 08:57:20.123 UTC
        assert_eq!(timestamp(1_795_424_240_123), "23 Nov 2026 08:57:20.123");
        assert_eq!(timestamp(951_782_400_000), "29 Feb 2000 00:00:00.000");
    }
}
