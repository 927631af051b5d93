//! Sets. Redis 7.0 keeps a set of integers as an `intset` (sorted, so SMEMBERS returns
//! them in numeric order) while it has at most `set-max-intset-entries` members, and
//! converts it for good to a `hashtable` when a non-integer member arrives or it grows
//! past that. (7.0 has no listpack sets: they came with 7.2.) The hashtable is a
//! `dict::Dict` shaped like Redis's: its iteration and SSCAN order is its bucket order,
//! deterministic here where Redis seeds its hash at random per process.
//!
//! Costs: an intset is a sorted `Vec<i64>`, like Redis's (O(log n) lookups, O(n)
//! inserts and removals, which Redis also pays in `memmove`). A hashtable is O(1) for
//! membership, insertion, removal and uniformly random picks (SPOP/SRANDMEMBER), with
//! Redis's reverse-binary SSCAN cursors over its buckets. `memory()` is O(1).

use super::ELEMENT_OVERHEAD;
use crate::args::parse_i64;
use crate::dict::Dict;
use crate::rng::Rng;

/// Redis caps `set-max-intset-entries` at 2^30 (intset internals).
const MAX_INTSET_LIMIT: usize = 1 << 30;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Repr {
    /// Sorted, distinct.
    Intset(Vec<i64>),
    Table(Dict<()>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetValue {
    repr: Repr,
    /// Sum of member lengths (as strings), kept up to date so `memory` is O(1).
    bytes: usize,
    /// Bytes per integer of Redis's intset (2, 4 or 8): the widest member it ever held,
    /// since an intset upgrades its encoding and never downgrades (DUMP shows it).
    intset_width: u8,
}

impl Default for SetValue {
    fn default() -> Self {
        SetValue {
            repr: Repr::Intset(Vec::new()),
            bytes: 0,
            intset_width: 2,
        }
    }
}

/// The intset encoding (bytes per integer) a value needs (`_intsetValueEncoding`).
pub fn intset_width_of(n: i64) -> u8 {
    if i16::try_from(n).is_ok() {
        2
    } else if i32::try_from(n).is_ok() {
        4
    } else {
        8
    }
}

fn int_bytes(n: i64) -> Vec<u8> {
    n.to_string().into_bytes()
}

impl SetValue {
    /// An empty set (an intset, like Redis's `createIntsetObject`: the first member
    /// decides whether it stays one).
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Intset(v) => v.len(),
            Repr::Table(t) => t.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// What OBJECT ENCODING prints.
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Intset(_) => "intset",
            Repr::Table(_) => "hashtable",
        }
    }
    pub fn is_intset(&self) -> bool {
        matches!(self.repr, Repr::Intset(_))
    }
    /// Estimated bytes, O(1).
    pub fn memory(&self) -> usize {
        match &self.repr {
            Repr::Intset(v) => 48 + v.len() * 8,
            Repr::Table(_) => 48 + self.bytes + self.len() * ELEMENT_OVERHEAD * 2,
        }
    }
    /// SISMEMBER: an intset holds only canonical integers (Redis's `string2ll`), so
    /// `01` or `+1` is never a member of one.
    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.repr {
            Repr::Intset(v) => parse_i64(member).is_some_and(|n| v.binary_search(&n).is_ok()),
            Repr::Table(t) => t.contains(member),
        }
    }
    /// Adds `member`; returns true if it is new (Redis's `setTypeAdd`). `max_intset` is
    /// `set-max-intset-entries`: an intset that grows past it becomes a hashtable.
    pub fn insert(&mut self, member: &[u8], max_intset: usize) -> bool {
        if let Repr::Intset(v) = &mut self.repr {
            match parse_i64(member) {
                Some(n) => {
                    let Err(i) = v.binary_search(&n) else {
                        return false;
                    };
                    v.insert(i, n);
                    self.bytes += member.len();
                    self.intset_width = self.intset_width.max(intset_width_of(n));
                    if v.len() > max_intset.min(MAX_INTSET_LIMIT) {
                        self.convert_to_table();
                    }
                    return true;
                }
                None => self.convert_to_table(),
            }
        }
        let Repr::Table(t) = &mut self.repr else {
            return false;
        };
        if t.insert(member, ()).is_some() {
            return false;
        }
        self.bytes += member.len();
        true
    }
    /// Removes `member`; returns true if it was there. A hashtable stays one even when
    /// only a few integers remain (Redis never converts back).
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Intset(v) => match parse_i64(member).map(|n| v.binary_search(&n)) {
                Some(Ok(i)) => {
                    v.remove(i);
                    self.bytes -= member.len();
                    true
                }
                _ => false,
            },
            Repr::Table(t) => match t.remove(member) {
                Some((k, ())) => {
                    self.bytes -= k.len();
                    true
                }
                None => false,
            },
        }
    }
    /// An intset's members and its width in bytes per integer (None for a hashtable).
    pub fn intset(&self) -> Option<(&[i64], u8)> {
        match &self.repr {
            Repr::Intset(v) => Some((v, self.intset_width)),
            Repr::Table(_) => None,
        }
    }

    /// An intset of sorted, distinct `values` stored `width` bytes each (RESTORE of
    /// Redis's intset, which keeps its encoding); None if they are not sorted and
    /// distinct or do not fit the width.
    pub fn from_intset(values: Vec<i64>, width: u8) -> Option<SetValue> {
        if values.windows(2).any(|w| w[0] >= w[1])
            || values.iter().any(|&n| intset_width_of(n) > width)
        {
            return None;
        }
        let bytes = values.iter().map(|&n| int_bytes(n).len()).sum();
        Some(SetValue {
            repr: Repr::Intset(values),
            bytes,
            intset_width: width,
        })
    }

    /// Converts an intset to a hashtable (RESTORE past `set-max-intset-entries`).
    pub fn convert_to_hashtable(&mut self) {
        self.convert_to_table();
    }

    /// Members in SMEMBERS order: numeric for an intset, SCAN order for a hashtable.
    pub fn iter(&self) -> Box<dyn Iterator<Item = Vec<u8>> + '_> {
        match &self.repr {
            Repr::Intset(v) => Box::new(v.iter().map(|&n| int_bytes(n))),
            Repr::Table(t) => Box::new(t.iter().map(|(k, _)| k.to_vec())),
        }
    }
    /// One member picked uniformly at random (Redis's `setTypeRandomElement`), or None
    /// if the set is empty.
    pub fn random_member(&self, rng: &mut Rng) -> Option<Vec<u8>> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        self.member_at(rng.below(n as u64) as usize)
    }
    /// The member at position `i`: numeric order for an intset, the dict's dense entry
    /// order for a hashtable (stable while the set is not written). For random picks and
    /// paged reads by observers.
    pub fn member_at(&self, i: usize) -> Option<Vec<u8>> {
        match &self.repr {
            Repr::Intset(v) => v.get(i).map(|&n| int_bytes(n)),
            Repr::Table(t) => t.at(i).map(|(k, _)| k.to_vec()),
        }
    }
    /// Removes and returns a member picked uniformly at random (SPOP).
    pub fn pop_random(&mut self, rng: &mut Rng) -> Option<Vec<u8>> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        let i = rng.below(n as u64) as usize;
        let out = match &mut self.repr {
            Repr::Intset(v) => int_bytes(v.remove(i)),
            Repr::Table(t) => {
                let k = t.at(i).map(|(k, _)| k.to_vec()).unwrap_or_default();
                t.remove(&k);
                k
            }
        };
        self.bytes -= out.len();
        Some(out)
    }
    /// One SSCAN step. An intset is returned whole with cursor 0, whatever the cursor
    /// (Redis does so for every compact encoding); a hashtable is walked from `cursor`
    /// (see `Dict::scan`). Returns the next cursor and the members.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>) {
        match &self.repr {
            Repr::Intset(v) => (0, v.iter().map(|&n| int_bytes(n)).collect()),
            Repr::Table(t) => {
                let (next, keys) = t.scan(cursor, count);
                (next, keys.into_iter().map(|(k, _)| k.to_vec()).collect())
            }
        }
    }
    fn convert_to_table(&mut self) {
        if let Repr::Intset(v) = &mut self.repr {
            let mut t = Dict::with_capacity(v.len());
            for &n in v.iter() {
                t.insert(&int_bytes(n), ());
            }
            self.repr = Repr::Table(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &SetValue) -> Vec<String> {
        s.iter().map(|m| String::from_utf8(m).unwrap()).collect()
    }

    #[test]
    fn intset_sorts_and_converts() {
        let mut s = SetValue::new();
        for m in ["3", "1", "2", "1"] {
            s.insert(m.as_bytes(), 512);
        }
        assert_eq!(s.len(), 3);
        assert_eq!(s.encoding(), "intset");
        assert_eq!(members(&s), vec!["1", "2", "3"]);
        s.insert(b"a", 512);
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"2") && s.contains(b"a"));
        assert!(s.remove(b"2"));
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn intset_converts_past_the_limit_and_never_back() {
        let mut s = SetValue::new();
        for i in 0..4 {
            s.insert(i.to_string().as_bytes(), 4);
        }
        assert!(s.is_intset());
        s.insert(b"4", 4);
        assert_eq!(s.encoding(), "hashtable");
        s.remove(b"4");
        s.remove(b"3");
        assert_eq!(s.encoding(), "hashtable");
        // A limit of 0: even one integer makes a hashtable.
        let mut z = SetValue::new();
        z.insert(b"1", 0);
        assert_eq!(z.encoding(), "hashtable");
    }

    #[test]
    fn only_canonical_integers_go_in_an_intset() {
        for m in ["01", "+1", " 1", "-0", "1.0", "9223372036854775808"] {
            let mut s = SetValue::new();
            s.insert(m.as_bytes(), 512);
            assert_eq!(s.encoding(), "hashtable", "{m}");
            assert!(s.contains(m.as_bytes()));
        }
        let mut s = SetValue::new();
        s.insert(b"-9223372036854775808", 512);
        assert!(s.is_intset());
        assert!(!s.contains(b"-09223372036854775808"));
    }

    #[test]
    fn memory_follows_changes() {
        let mut s = SetValue::new();
        let empty = s.memory();
        s.insert(b"12", 512);
        s.insert(b"-7", 512);
        assert_eq!(s.bytes, 4);
        assert!(s.memory() > empty);
        s.insert(b"abc", 512);
        let with_abc = s.memory();
        s.remove(b"abc");
        assert!(s.memory() < with_abc);
        s.remove(b"12");
        s.remove(b"-7");
        assert_eq!(s.bytes, 0);
        assert!(s.is_empty());
    }

    #[test]
    fn random_picks_cover_every_member_and_pops_empty_the_set() {
        let mut rng = Rng::new(3);
        for table in [false, true] {
            let mut s = SetValue::new();
            for i in 0..20 {
                s.insert(i.to_string().as_bytes(), if table { 0 } else { 512 });
            }
            let mut seen = std::collections::HashSet::new();
            for _ in 0..2000 {
                seen.insert(s.random_member(&mut rng).unwrap());
            }
            assert_eq!(seen.len(), 20);
            let mut popped = std::collections::HashSet::new();
            while let Some(m) = s.pop_random(&mut rng) {
                assert!(!s.contains(&m));
                assert!(popped.insert(m));
            }
            assert_eq!(popped.len(), 20);
            assert_eq!(s.bytes, 0);
            assert!(s.random_member(&mut rng).is_none());
        }
    }

    #[test]
    fn table_slots_stay_consistent_after_removals() {
        let mut s = SetValue::new();
        for i in 0..50 {
            s.insert(format!("m{i}").as_bytes(), 512);
        }
        for i in (0..50).step_by(3) {
            assert!(s.remove(format!("m{i}").as_bytes()));
        }
        let Repr::Table(t) = &s.repr else {
            panic!("a hashtable")
        };
        for i in 0..t.len() {
            let (k, _) = t.at(i).expect("dense entries");
            assert!(t.contains(k));
        }
        assert_eq!(s.iter().count(), s.len());
        for i in 0..50 {
            assert_eq!(s.contains(format!("m{i}").as_bytes()), i % 3 != 0);
        }
    }

    #[test]
    fn intset_scans_whole_and_table_scans_by_cursor() {
        let mut s = SetValue::new();
        for i in 0..10 {
            s.insert(i.to_string().as_bytes(), 512);
        }
        assert_eq!(s.scan(12345, 1).0, 0);
        assert_eq!(s.scan(12345, 1).1.len(), 10);
        let mut t = SetValue::new();
        for i in 0..100 {
            t.insert(format!("m{i}").as_bytes(), 512);
        }
        let (mut cursor, mut seen) = (0, std::collections::HashSet::new());
        loop {
            let (next, page) = t.scan(cursor, 5);
            seen.extend(page);
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 100);
    }
}
