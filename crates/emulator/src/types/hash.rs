//! Hashes. Redis 7.0 keeps a small hash as a `listpack` (field/value pairs in insertion
//! order) and converts it for good to a `hashtable` once it has more than
//! `hash-max-listpack-entries` fields or a field or value longer than
//! `hash-max-listpack-value` bytes. The listpack order is what HGETALL returns, so it is
//! kept exactly (a deletion closes the gap, an update keeps the place). The hashtable is
//! a `dict::Dict` shaped like Redis's: its iteration and HSCAN order is its bucket order,
//! deterministic here where Redis seeds its hash at random per process.
//!
//! Complexity: a listpack is searched linearly, as in Redis (it is small by
//! definition). The hashtable is O(1) for lookup, insert, delete and uniform random
//! picks (like `dictGetFairRandomKey`), with Redis's reverse-binary HSCAN cursors.

use super::ELEMENT_OVERHEAD;
use crate::dict::Dict;
use crate::rng::Rng;

/// A field and its value, borrowed from a hash.
pub type Pair<'a> = (&'a [u8], &'a [u8]);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Repr {
    Listpack(Vec<(Vec<u8>, Vec<u8>)>),
    Table(Dict<Box<[u8]>>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashValue {
    repr: Repr,
    /// Sum of field and value lengths, kept up to date so `memory` is O(1).
    bytes: usize,
}

impl Default for HashValue {
    fn default() -> Self {
        HashValue {
            repr: Repr::Listpack(Vec::new()),
            bytes: 0,
        }
    }
}

impl HashValue {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack(v) => v.len(),
            Repr::Table(t) => t.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Listpack(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }
    pub fn is_listpack(&self) -> bool {
        matches!(self.repr, Repr::Listpack(_))
    }
    /// Estimated bytes, O(1).
    pub fn memory(&self) -> usize {
        48 + self.bytes + self.len() * ELEMENT_OVERHEAD * 2
    }
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.repr {
            Repr::Listpack(v) => v
                .iter()
                .find(|(f, _)| f.as_slice() == field)
                .map(|(_, v)| v.as_slice()),
            Repr::Table(t) => t.get(field).map(|v| &v[..]),
        }
    }
    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Redis's `hashTypeTryConversion`: before a write of these fields and values, a
    /// listpack holding any of them longer than `max_value` becomes a hashtable.
    pub fn convert_for<'a>(&mut self, items: impl IntoIterator<Item = &'a [u8]>, max_value: usize) {
        if self.is_listpack() && items.into_iter().any(|s| s.len() > max_value) {
            self.convert_to_table();
        }
    }

    /// Sets `field` (Redis's `hashTypeSet`); returns true if it is new. Converts to a
    /// hashtable past the limits (`max_entries`, `max_value`: the two
    /// `hash-max-listpack-*` settings).
    pub fn insert(
        &mut self,
        field: &[u8],
        value: Vec<u8>,
        max_entries: usize,
        max_value: usize,
    ) -> bool {
        if field.len() > max_value || value.len() > max_value {
            self.convert_to_table();
        }
        let new = match &mut self.repr {
            Repr::Listpack(v) => match v.iter_mut().find(|(f, _)| f.as_slice() == field) {
                Some((_, old)) => {
                    self.bytes = self.bytes - old.len() + value.len();
                    *old = value;
                    false
                }
                None => {
                    self.bytes += field.len() + value.len();
                    v.push((field.to_vec(), value));
                    true
                }
            },
            Repr::Table(t) => {
                let len = value.len();
                match t.insert(field, value.into_boxed_slice()) {
                    Some(old) => {
                        self.bytes = self.bytes - old.len() + len;
                        false
                    }
                    None => {
                        self.bytes += field.len() + len;
                        true
                    }
                }
            }
        };
        if self.len() > max_entries {
            self.convert_to_table();
        }
        new
    }

    /// Removes `field`; returns true if it was there. A listpack keeps the order of the
    /// others (Redis deletes in place).
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Listpack(v) => match v.iter().position(|(f, _)| f.as_slice() == field) {
                Some(i) => {
                    let (f, val) = v.remove(i);
                    self.bytes -= f.len() + val.len();
                    true
                }
                None => false,
            },
            Repr::Table(t) => match t.remove(field) {
                Some((k, val)) => {
                    self.bytes -= k.len() + val.len();
                    true
                }
                None => false,
            },
        }
    }

    /// Field/value pairs in HGETALL order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match &self.repr {
            Repr::Listpack(v) => Box::new(v.iter().map(|(f, v)| (f.as_slice(), v.as_slice()))),
            Repr::Table(t) => Box::new(t.iter().map(|(k, v)| (k, &v[..]))),
        }
    }

    /// The pair at position `i` (`i < len()`): listpack order for a listpack, slot order
    /// (arbitrary) for a hashtable. For uniform random picks.
    pub fn pair_at(&self, i: usize) -> Option<(&[u8], &[u8])> {
        match &self.repr {
            Repr::Listpack(v) => v.get(i).map(|(f, v)| (f.as_slice(), v.as_slice())),
            Repr::Table(t) => t.at(i).map(|(f, v)| (f, &v[..])),
        }
    }

    /// One pair picked uniformly at random, or None if the hash is empty.
    pub fn random_pair(&self, rng: &mut Rng) -> Option<(&[u8], &[u8])> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        self.pair_at(rng.below(n as u64) as usize)
    }

    /// One HSCAN step: a listpack returns everything with cursor 0 (Redis does not keep
    /// state for small encodings); a hashtable walks whole buckets of its dict
    /// until at least `count` pairs were collected.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<Pair<'_>>) {
        match &self.repr {
            Repr::Listpack(_) => (0, self.iter().collect()),
            Repr::Table(t) => {
                let (next, pairs) = t.scan(cursor, count);
                (next, pairs.into_iter().map(|(k, v)| (k, &v[..])).collect())
            }
        }
    }

    fn convert_to_table(&mut self) {
        if let Repr::Listpack(v) = &mut self.repr {
            let mut t = Dict::with_capacity(v.len());
            for (f, val) in v.drain(..) {
                t.insert(&f, val.into_boxed_slice());
            }
            self.repr = Repr::Table(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listpack_keeps_insertion_order_then_converts() {
        let mut h = HashValue::new();
        assert!(h.insert(b"b", b"1".to_vec(), 2, 64));
        assert!(h.insert(b"a", b"2".to_vec(), 2, 64));
        assert!(!h.insert(b"b", b"3".to_vec(), 2, 64));
        let fields: Vec<&[u8]> = h.iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec![&b"b"[..], &b"a"[..]]);
        assert_eq!(h.encoding(), "listpack");
        h.insert(b"c", b"4".to_vec(), 2, 64);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"b"), Some(&b"3"[..]));
        assert!(h.remove(b"a"));
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn table_slots_stay_consistent_after_swap_removes() {
        let mut h = HashValue::new();
        for i in 0..100 {
            h.insert(
                format!("f{i}").as_bytes(),
                format!("v{i}").into_bytes(),
                8,
                64,
            );
        }
        for i in (0..100).step_by(3) {
            assert!(h.remove(format!("f{i}").as_bytes()));
        }
        assert_eq!(h.len(), 66);
        for i in 0..100 {
            let want = if i % 3 == 0 {
                None
            } else {
                Some(format!("v{i}").into_bytes())
            };
            assert_eq!(h.get(format!("f{i}").as_bytes()).map(|v| v.to_vec()), want);
        }
        for i in 0..h.len() {
            let (f, v) = h.pair_at(i).unwrap();
            assert_eq!(h.get(f), Some(v));
        }
        assert_eq!(h.iter().count(), 66);
        let expect = 66 * 2 + h.iter().map(|(f, v)| f.len() + v.len()).sum::<usize>() - 66 * 2;
        assert_eq!(h.bytes, expect);
    }

    #[test]
    fn long_values_convert() {
        let mut h = HashValue::new();
        h.insert(b"a", b"x".to_vec(), 512, 3);
        h.convert_for([&b"abc"[..]], 3);
        assert_eq!(h.encoding(), "listpack");
        h.convert_for([&b"abcd"[..]], 3);
        assert_eq!(h.encoding(), "hashtable");
    }
}
