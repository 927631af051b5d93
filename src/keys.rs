//! How the page writes keys and their facts for people: keys quoted so the console reads
//! them back, TTLs and sizes. The key browser's model is `keyspace`, its state `browser`.

/// Whether an argument must be quoted for redis-cli to read it back as the same bytes.
fn needs_quotes(k: &[u8]) -> bool {
    k.is_empty()
        || k.iter()
            .any(|&c| !(0x21..=0x7e).contains(&c) || c == b'"' || c == b'\'' || c == b'\\')
}

/// A key as text: plain when it is printable ASCII without spaces or quotes, else in
/// redis-cli's quoted form (which `split_args` reads back to the same bytes).
pub fn display_key(k: &[u8]) -> String {
    if needs_quotes(k) {
        redis_emulator::cli::quote_bytes(k)
    } else {
        String::from_utf8_lossy(k).into_owned()
    }
}

/// A TTL for people: `42s`, `5m 03s`, `2h 10m`, `3d 4h`. Rounds up, as TTL does.
pub fn format_ttl(ms: i64) -> String {
    let s = ms.max(0).div_euclid(1000) + i64::from(ms.max(0) % 1000 != 0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// Bytes for people: `56 B`, `1.2 KB`, `3.4 MB`.
pub fn format_size(bytes: usize) -> String {
    match bytes {
        0..=999 => format!("{bytes} B"),
        1000..=999_999 => format!("{:.1} KB", bytes as f64 / 1000.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_000_000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::testing::argv;

    #[test]
    fn keys_odd_names_are_quoted_so_the_console_reads_them_back() {
        for key in [&b"with space"[..], b"quote\"d", b"", b"\xe4\x01", b"it's"] {
            let cmd = format!("GET {}", display_key(key));
            assert_eq!(argv(&cmd), vec![b"GET".to_vec(), key.to_vec()], "{cmd}");
        }
        assert_eq!(display_key(b"user:1"), "user:1");
    }

    #[test]
    fn keys_ttl_and_size_read_well() {
        assert_eq!(format_ttl(100_000), "1m 40s");
        assert_eq!(format_ttl(99_001), "1m 40s");
        assert_eq!(format_ttl(1), "1s");
        assert_eq!(format_ttl(-5), "0s");
        assert_eq!(format_ttl(59_000), "59s");
        assert_eq!(format_ttl(7_200_000), "2h 00m");
        assert_eq!(format_ttl(90_000_000), "1d 1h");
        assert_eq!(format_size(56), "56 B");
        assert_eq!(format_size(1234), "1.2 KB");
        assert_eq!(format_size(3_400_000), "3.4 MB");
    }
}
