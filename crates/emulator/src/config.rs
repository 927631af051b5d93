//! Server parameters for CONFIG GET / CONFIG SET: Redis's real names and aliases, their
//! types and validation messages. Values that the engine reads (maxmemory, encoding
//! thresholds...) take effect at once.

use std::collections::BTreeMap;

use crate::db::AccessMode;

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// An integer within `min..=max`.
    Int { min: i64, max: i64 },
    /// A byte count that accepts units (`1mb`, `100kb`, `2gb`), within `min..=max`.
    Memory { min: i64, max: i64 },
    /// `yes` or `no`.
    Bool,
    /// One of a fixed list.
    Enum(&'static [&'static str]),
    /// Free text (validated by `special` where needed).
    Text,
    /// Keyspace-notification class letters.
    NotifyFlags,
    /// `save`: pairs of seconds (>= 1) and changes (>= 0), or "".
    Save,
}

#[derive(Debug)]
pub struct Param {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub kind: Kind,
    pub default: &'static str,
    pub mutable: bool,
    /// Refused by CONFIG SET unless `enable-protected-configs` allows it (it does not by
    /// default, and the emulator does not model that option).
    pub protected: bool,
}

const fn p(name: &'static str, kind: Kind, default: &'static str) -> Param {
    Param {
        name,
        alias: None,
        kind,
        default,
        mutable: true,
        protected: false,
    }
}
const fn protected(name: &'static str, kind: Kind, default: &'static str) -> Param {
    Param {
        name,
        alias: None,
        kind,
        default,
        mutable: true,
        protected: true,
    }
}
const fn fixed(name: &'static str, kind: Kind, default: &'static str) -> Param {
    Param {
        name,
        alias: None,
        kind,
        default,
        mutable: false,
        protected: false,
    }
}
const fn aliased(
    name: &'static str,
    alias: &'static str,
    kind: Kind,
    default: &'static str,
) -> Param {
    Param {
        name,
        alias: Some(alias),
        kind,
        default,
        mutable: true,
        protected: false,
    }
}

const INT_MAX: i64 = i32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;

pub const POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];

/// The parameters this emulator knows, with Redis 7.0's defaults.
pub const PARAMS: &[Param] = &[
    p(
        "maxmemory",
        Kind::Memory {
            min: 0,
            max: LONG_MAX,
        },
        "0",
    ),
    p("maxmemory-policy", Kind::Enum(POLICIES), "noeviction"),
    p(
        "maxmemory-samples",
        Kind::Int {
            min: 1,
            max: INT_MAX,
        },
        "5",
    ),
    p("notify-keyspace-events", Kind::NotifyFlags, ""),
    aliased(
        "hash-max-listpack-entries",
        "hash-max-ziplist-entries",
        Kind::Int {
            min: 0,
            max: LONG_MAX,
        },
        "512",
    ),
    aliased(
        "hash-max-listpack-value",
        "hash-max-ziplist-value",
        Kind::Int {
            min: 0,
            max: LONG_MAX,
        },
        "64",
    ),
    aliased(
        "zset-max-listpack-entries",
        "zset-max-ziplist-entries",
        Kind::Int {
            min: 0,
            max: LONG_MAX,
        },
        "128",
    ),
    aliased(
        "zset-max-listpack-value",
        "zset-max-ziplist-value",
        Kind::Int {
            min: 0,
            max: LONG_MAX,
        },
        "64",
    ),
    p(
        "set-max-intset-entries",
        Kind::Int {
            min: 0,
            max: LONG_MAX,
        },
        "512",
    ),
    aliased(
        "list-max-listpack-size",
        "list-max-ziplist-size",
        Kind::Int {
            min: i32::MIN as i64,
            max: INT_MAX,
        },
        "-2",
    ),
    p(
        "list-compress-depth",
        Kind::Int {
            min: 0,
            max: INT_MAX,
        },
        "0",
    ),
    p(
        "stream-node-max-bytes",
        Kind::Memory {
            min: 0,
            max: LONG_MAX,
        },
        "4096",
    ),
    p(
        "stream-node-max-entries",
        Kind::Int {
            min: 0,
            max: LONG_MAX,
        },
        "100",
    ),
    aliased(
        "busy-reply-threshold",
        "lua-time-limit",
        Kind::Int {
            min: 0,
            max: LONG_MAX,
        },
        "5000",
    ),
    p(
        "proto-max-bulk-len",
        Kind::Memory {
            min: 1024 * 1024,
            max: LONG_MAX,
        },
        "536870912",
    ),
    p(
        "client-query-buffer-limit",
        Kind::Memory {
            min: 1024 * 1024,
            max: LONG_MAX,
        },
        "1073741824",
    ),
    p(
        "timeout",
        Kind::Int {
            min: 0,
            max: INT_MAX,
        },
        "0",
    ),
    // Stored clamped to 1..=500, as Redis's apply step does (CONFIG GET hz shows that).
    p(
        "hz",
        Kind::Int {
            min: 0,
            max: INT_MAX,
        },
        "10",
    ),
    p(
        "maxclients",
        Kind::Int {
            min: 1,
            max: u32::MAX as i64,
        },
        "10000",
    ),
    p(
        "slowlog-log-slower-than",
        Kind::Int {
            min: -1,
            max: LONG_MAX,
        },
        "10000",
    ),
    p(
        "slowlog-max-len",
        Kind::Int {
            min: 0,
            max: LONG_MAX,
        },
        "128",
    ),
    p("lazyfree-lazy-user-del", Kind::Bool, "no"),
    p("lazyfree-lazy-user-flush", Kind::Bool, "no"),
    p("appendonly", Kind::Bool, "no"),
    p("save", Kind::Save, ""),
    protected("dir", Kind::Text, "/"),
    // Protected configs (enable-protected-configs is "no" by default): CONFIG SET refuses them.
    protected("dbfilename", Kind::Text, "dump.rdb"),
    p(
        "loglevel",
        Kind::Enum(&["debug", "verbose", "notice", "warning"]),
        "notice",
    ),
    fixed(
        "databases",
        Kind::Int {
            min: 1,
            max: INT_MAX,
        },
        "16",
    ),
    fixed("port", Kind::Int { min: 0, max: 65535 }, "6379"),
    fixed("bind", Kind::Text, "* -::*"),
    fixed("daemonize", Kind::Bool, "no"),
    fixed("io-threads", Kind::Int { min: 1, max: 128 }, "1"),
    p("activedefrag", Kind::Bool, "no"),
    p(
        "lfu-log-factor",
        Kind::Int {
            min: 0,
            max: INT_MAX,
        },
        "10",
    ),
    p(
        "lfu-decay-time",
        Kind::Int {
            min: 0,
            max: INT_MAX,
        },
        "1",
    ),
    p("active-expire-effort", Kind::Int { min: 1, max: 10 }, "1"),
];

pub fn find(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| {
        p.name.eq_ignore_ascii_case(name) || p.alias.is_some_and(|a| a.eq_ignore_ascii_case(name))
    })
}

/// Parses a memory value like Redis's `memtoull`: digits with an optional unit (b, k, kb,
/// m, mb, g, gb; case-insensitive; k=1000, kb=1024). No digits at all reads as 0 (`""`,
/// `kb`); a sign, a space or anything else is refused. Too large a number wraps like C's
/// unsigned arithmetic, then reads as a signed `long long`, as Redis does.
pub fn parse_memory(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mul: u64 = match s[digits..].to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits >= 128 {
        return None;
    }
    // strtoull: saturates at its maximum on overflow (ERANGE is not checked).
    let val = b[..digits].iter().try_fold(0u64, |v, d| {
        v.checked_mul(10)?.checked_add((d - b'0') as u64)
    });
    Some(val.unwrap_or(u64::MAX).wrapping_mul(mul) as i64)
}

/// The current values of every parameter, by canonical name.
#[derive(Clone, Debug)]
pub struct Config {
    values: BTreeMap<&'static str, String>,
    /// Values the engine reads on every command, parsed once: kept in step by `set`.
    maxmemory: i64,
    access: AccessMode,
    /// `notify-keyspace-events` as Redis's flags (kept apart from its text: `An` prints
    /// as `A` but keeps the `n` class).
    notify_flags: u32,
}

impl Default for Config {
    fn default() -> Self {
        let values = PARAMS
            .iter()
            .map(|p| (p.name, p.default.to_string()))
            .collect();
        let mut c = Config {
            values,
            maxmemory: 0,
            access: AccessMode::default(),
            notify_flags: 0,
        };
        c.refresh_cache();
        c
    }
}

impl Config {
    pub fn get(&self, name: &str) -> &str {
        self.values.get(name).map(|s| s.as_str()).unwrap_or("")
    }

    pub fn int(&self, name: &str) -> i64 {
        self.get(name).parse().unwrap_or(0)
    }

    pub fn maxmemory(&self) -> i64 {
        self.maxmemory
    }

    /// The keyspace notification classes enabled (`crate::notify::flag`).
    pub fn notify_flags(&self) -> u32 {
        self.notify_flags
    }

    /// How key accesses are recorded (LRU clock or LFU counter), from
    /// `maxmemory-policy`, `lfu-log-factor` and `lfu-decay-time`.
    pub fn access_mode(&self) -> AccessMode {
        self.access
    }

    fn refresh_cache(&mut self) {
        self.maxmemory = self.int("maxmemory");
        let policy = self.get("maxmemory-policy");
        self.access = AccessMode {
            lfu: policy.contains("lfu"),
            lfu_log_factor: self.int("lfu-log-factor"),
            lfu_decay_time: self.int("lfu-decay-time"),
            // MAXMEMORY_FLAG_NO_SHARED_INTEGERS: LRU and LFU policies, once maxmemory is set.
            unshared_integers: self.maxmemory != 0
                && (policy.contains("lru") || policy.contains("lfu")),
        };
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.values.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// Stores a value the way redis.conf does at startup, where immutable parameters may
    /// be set too: for a front end to report the settings it owns (`port`, `bind`).
    /// Mutable parameters go through `set`'s checks; immutable ones are taken as given.
    pub fn set_at_startup(&mut self, param: &'static Param, value: &str) -> Result<(), String> {
        if param.mutable && !param.protected {
            return self.set(param, value);
        }
        self.values.insert(param.name, value.to_string());
        self.refresh_cache();
        Ok(())
    }

    /// Validates and stores one value. On failure returns the reason Redis prints after
    /// `CONFIG SET failed (possibly related to argument '...') - `.
    pub fn set(&mut self, param: &'static Param, value: &str) -> Result<(), String> {
        if !param.mutable {
            return Err("can't set immutable config".into());
        }
        if param.protected {
            return Err("can't set protected config".into());
        }
        let canonical = match param.kind {
            Kind::Int { min, max } => {
                let n: i64 = value
                    .parse()
                    .ok()
                    .filter(|_| !value.starts_with('+'))
                    .ok_or_else(|| "argument couldn't be parsed into an integer".to_string())?;
                if n < min || n > max {
                    return Err(format!(
                        "argument must be between {} and {} inclusive",
                        min, max
                    ));
                }
                if param.name == "hz" {
                    n.clamp(1, 500).to_string()
                } else {
                    n.to_string()
                }
            }
            Kind::Memory { min, max } => {
                let n = parse_memory(value)
                    .ok_or_else(|| "argument must be a memory value".to_string())?;
                if n < min || n > max {
                    return Err(format!(
                        "argument must be between {} and {} inclusive",
                        min, max
                    ));
                }
                n.to_string()
            }
            Kind::Save => {
                // setConfigSaveOption: "" is no save points; otherwise pairs of integers.
                let words: Vec<&str> = if value.is_empty() {
                    Vec::new()
                } else {
                    value.split(' ').filter(|w| !w.is_empty()).collect()
                };
                let valid = words.len().is_multiple_of(2)
                    && words.iter().enumerate().all(|(j, w)| {
                        parse_c_long(w).is_some_and(|v| if j % 2 == 0 { v >= 1 } else { v >= 0 })
                    });
                if !valid {
                    return Err("Invalid save parameters".into());
                }
                words.join(" ")
            }
            Kind::Bool => match value.to_ascii_lowercase().as_str() {
                "yes" => "yes".to_string(),
                "no" => "no".to_string(),
                _ => return Err("argument must be 'yes' or 'no'".into()),
            },
            Kind::Enum(options) => match options.iter().find(|o| o.eq_ignore_ascii_case(value)) {
                Some(o) => o.to_string(),
                None => {
                    return Err(format!(
                        "argument(s) must be one of the following: {}",
                        options.join(", ")
                    ));
                }
            },
            Kind::Text => value.to_string(),
            Kind::NotifyFlags => {
                let text = crate::config::parse_notify_flags(value).ok_or_else(|| {
                    "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string()
                })?;
                self.notify_flags = crate::notify::parse_flags(value).unwrap_or(0);
                text
            }
        };
        self.values.insert(param.name, canonical);
        self.refresh_cache();
        Ok(())
    }
}

/// C's `strtoll(s, &end, 10)` that must consume the whole string: optional leading
/// spaces and sign, then digits (saturating on overflow, like strtoll).
fn parse_c_long(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v = digits.bytes().try_fold(0i64, |v, d| {
        v.checked_mul(10)?.checked_add((d - b'0') as i64)
    });
    Some(match (v, neg) {
        (Some(v), false) => v,
        (Some(v), true) => -v,
        (None, false) => i64::MAX,
        (None, true) => i64::MIN,
    })
}

/// Validates the `notify-keyspace-events` classes and returns them the way CONFIG GET
/// prints them (Redis's `keyspaceEventsFlagsToString`).
pub fn parse_notify_flags(s: &str) -> Option<String> {
    const ALL: &str = "g$lshzxetd"; // what `A` stands for (with m and n excluded)
    let mut set = std::collections::BTreeSet::new();
    for c in s.chars() {
        match c {
            'A' => set.extend(ALL.chars()),
            'g' | '$' | 'l' | 's' | 'h' | 'z' | 'x' | 'e' | 'K' | 'E' | 't' | 'm' | 'd' | 'n' => {
                set.insert(c);
            }
            _ => return None,
        }
    }
    // Redis's keyspaceEventsFlagsToString: `A` or the classes, then K, E, m. The `n`
    // class is outside `A` and only printed when `A` is not.
    let mut out = String::new();
    if ALL.chars().all(|c| set.contains(&c)) {
        out.push('A');
    } else {
        for c in ALL.chars().chain(['n']) {
            if set.contains(&c) {
                out.push(c);
            }
        }
    }
    for c in ['K', 'E', 'm'] {
        if set.contains(&c) {
            out.push(c);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("100"), Some(100));
        assert_eq!(parse_memory("1kb"), Some(1024));
        assert_eq!(parse_memory("1k"), Some(1000));
        assert_eq!(parse_memory("2MB"), Some(2 * 1024 * 1024));
        assert_eq!(parse_memory("abc"), None);
        assert_eq!(parse_memory("-1"), None);
        assert_eq!(parse_memory(""), Some(0));
        assert_eq!(parse_memory("05"), Some(5));
        assert_eq!(parse_memory(" 5"), None);
        assert_eq!(parse_memory("+5"), None);
    }

    #[test]
    fn aliases_find_the_same_param() {
        assert_eq!(
            find("zset-max-ziplist-entries").map(|p| p.name),
            Some("zset-max-listpack-entries")
        );
        assert_eq!(
            find("LUA-TIME-LIMIT").map(|p| p.name),
            Some("busy-reply-threshold")
        );
    }
}
