//! Log lines in redis-server's format: `pid:M 23 Nov 2026 08:57:20.123 * message`.

use std::time::{SystemTime, UNIX_EPOCH};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The Gregorian date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `23 Nov 2026 08:57:20.123` (UTC) for a time in milliseconds since the epoch.
pub fn timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
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
