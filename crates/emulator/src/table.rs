//! The command table: one declarative entry per command (and per subcommand), read by
//! dispatch, the arity check, `COMMAND`, `HELP`, and the console's completion and hints.
//!
//! Each command family (`cmd/*.rs`) declares its entries next to its handlers; `all()`
//! gathers them. Names are lower case as Redis reports them; arity follows Redis's sign
//! convention: `N` means exactly N arguments counting the command name, `-N` at least N.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use crate::engine::Ctx;
use crate::error::CmdResult;

/// A command implementation: the full argument vector (name included) in, a reply out.
pub type Handler = fn(&mut Ctx, &[Vec<u8>]) -> CmdResult;

/// Finds the key arguments of a `movablekeys` command.
pub type KeyFinder = fn(&[Vec<u8>]) -> Option<Vec<usize>>;

/// Keys announced by a count at `argv[AT]` and following it (`ZUNION 2 a b`, `LMPOP`,
/// `SINTERCARD`...): the count must be positive and the keys present.
pub fn numkeys_keys<const AT: usize>(argv: &[Vec<u8>]) -> Option<Vec<usize>> {
    let n = crate::args::parse_i64(argv.get(AT)?)?;
    if n <= 0 || AT as i64 + n >= argv.len() as i64 {
        return None;
    }
    Some((AT + 1..=AT + n as usize).collect())
}

/// A destination key at 1, then keys counted at `argv[2]` (`ZUNIONSTORE d 2 a b`).
pub fn destination_and_numkeys(argv: &[Vec<u8>]) -> Option<Vec<usize>> {
    let mut keys = vec![1];
    keys.extend(numkeys_keys::<2>(argv)?);
    Some(keys)
}

/// Command flags, as `COMMAND INFO` lists them.
pub mod flag {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const NO_MULTI: u32 = 1 << 14;
    pub const MOVABLEKEYS: u32 = 1 << 15;
    pub const ALLOW_BUSY: u32 = 1 << 16;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 17;

    /// Flag names in the order Redis prints them.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_MULTI, "no_multi"),
        (ALLOW_BUSY, "allow_busy"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        // COMMAND INFO adds movablekeys after the declared flags.
        (MOVABLEKEYS, "movablekeys"),
    ];
}

#[derive(Debug)]
pub struct CommandSpec {
    /// Lower-case name; for a subcommand, just the subcommand (`setname`).
    pub name: &'static str,
    pub arity: i32,
    pub flags: u32,
    /// Key positions: first, last (negative counts from the end), step. 0,0,0 = no keys.
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    /// ACL categories (without the `@`), as COMMAND INFO lists them.
    pub acl: &'static [&'static str],
    /// Documentation group: `string`, `generic`, `connection`, `server`...
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    pub complexity: &'static str,
    /// The argument syntax after the name, as HELP and the console's hints show it.
    pub syntax: &'static str,
    /// None for a container whose work is done by its subcommands.
    pub handler: Option<Handler>,
    /// For commands whose key positions depend on their arguments (`movablekeys`: a
    /// numkeys count, SORT's STORE): the key indexes of a full argument vector, or None
    /// if the arguments don't make sense (COMMAND GETKEYS then says so).
    pub key_finder: Option<KeyFinder>,
    pub subcommands: &'static [CommandSpec],
}

impl CommandSpec {
    /// A template for struct-update syntax in the family tables.
    pub const BASE: CommandSpec = CommandSpec {
        name: "",
        arity: 1,
        flags: 0,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl: &[],
        group: "generic",
        since: "1.0.0",
        summary: "",
        complexity: "O(1)",
        syntax: "",
        handler: None,
        key_finder: None,
        subcommands: &[],
    };

    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    /// Whether `argc` arguments (name included) satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    pub fn find_subcommand(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        self.subcommands
            .iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
    }

    pub fn flag_names(&self) -> Vec<&'static str> {
        flag::NAMES
            .iter()
            .filter(|(f, _)| self.flags & f != 0)
            .map(|(_, n)| *n)
            .collect()
    }

    /// The key arguments of a full argument vector: from the key finder for `movablekeys`
    /// commands, else from first/last/step. None if the arguments make no sense.
    pub fn keys_of(&self, argv: &[Vec<u8>]) -> Option<Vec<usize>> {
        match self.key_finder {
            Some(find) => find(argv),
            None => Some(self.key_indexes(argv.len())),
        }
    }

    /// The key arguments of `argc` arguments according to first/last/step.
    pub fn key_indexes(&self, argc: usize) -> Vec<usize> {
        if self.first_key <= 0 || argc == 0 {
            return Vec::new();
        }
        let first = self.first_key as i64;
        let last = if self.last_key < 0 {
            argc as i64 + self.last_key as i64
        } else {
            self.last_key as i64
        };
        let step = self.step.max(1) as i64;
        let mut out = Vec::new();
        let mut i = first;
        while i <= last && i < argc as i64 {
            out.push(i as usize);
            i += step;
        }
        out
    }
}

/// Every top-level command, in no particular order.
pub fn all() -> &'static [&'static CommandSpec] {
    static ALL: OnceLock<Vec<&'static CommandSpec>> = OnceLock::new();
    ALL.get_or_init(|| {
        let families: &[&'static [CommandSpec]] = &[
            crate::cmd::connection::COMMANDS,
            crate::cmd::server::COMMANDS,
            crate::cmd::keys::COMMANDS,
            crate::cmd::dump::COMMANDS,
            crate::cmd::strings::COMMANDS,
            crate::cmd::lists::COMMANDS,
            crate::cmd::hashes::COMMANDS,
            crate::cmd::sets::COMMANDS,
            crate::cmd::zsets::COMMANDS,
            crate::cmd::streams::COMMANDS,
            crate::cmd::transactions::COMMANDS,
            crate::cmd::pubsub::COMMANDS,
            crate::cmd::scripting::COMMANDS,
            crate::cmd::functions::COMMANDS,
        ];
        families.iter().flat_map(|f| f.iter()).collect()
    })
}

/// Finds a top-level command by name, case-insensitively. On every command's path, so
/// it hashes with FNV-1a (the names are fixed: nothing to flood) and looks up bytes.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    type Index = HashMap<&'static [u8], &'static CommandSpec, BuildHasherDefault<Fnv>>;
    static INDEX: OnceLock<Index> = OnceLock::new();
    let index = INDEX.get_or_init(|| all().iter().map(|c| (c.name.as_bytes(), *c)).collect());
    if name.len() > 32 {
        return None;
    }
    let mut lower = [0u8; 32];
    let lower = &mut lower[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    index.get(&*lower).copied()
}

/// FNV-1a, for the command-name index.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    /// The length prefix of a slice key, in one step rather than eight bytes.
    fn write_usize(&mut self, n: usize) {
        self.0 ^= n as u64;
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lower_case() {
        let mut seen = std::collections::HashSet::new();
        for c in all() {
            assert!(seen.insert(c.name), "duplicate {}", c.name);
            assert_eq!(c.name, c.name.to_ascii_lowercase());
            assert!(
                c.handler.is_some() || !c.subcommands.is_empty(),
                "{}: nothing runs it",
                c.name
            );
            assert!(!c.summary.is_empty(), "{} has no summary", c.name);
            for s in c.subcommands {
                assert!(s.handler.is_some(), "{}|{} has no handler", c.name, s.name);
                assert!(
                    !s.summary.is_empty(),
                    "{}|{} has no summary",
                    c.name,
                    s.name
                );
            }
        }
    }

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(lookup(b"GeT").map(|c| c.name), Some("get"));
        assert!(lookup(b"nosuchcommand").is_none());
    }
}
