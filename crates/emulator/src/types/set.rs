//! Sets. Redis 7.0 keeps a set of integers as an `intset` (sorted, so SMEMBERS returns
//! them in numeric order) while it has at most `set-max-intset-entries` members, and
//! converts it for good to a `hashtable` when a non-integer member arrives or it grows
//! past that. The hashtable order is Redis's random dict order, replaced here by the
//! deterministic SCAN order of `scan::ScanOrder`.

use std::collections::HashSet;
use std::rc::Rc;

use super::ELEMENT_OVERHEAD;
use crate::args::parse_i64;
use crate::scan::{FixedState, Key, ScanOrder};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Repr {
    /// Sorted, distinct.
    Intset(Vec<i64>),
    Table { members: HashSet<Key, FixedState>, order: ScanOrder },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetValue {
    repr: Repr,
    /// Sum of member lengths (as strings), kept up to date so `memory` is O(1).
    bytes: usize,
}

impl Default for SetValue {
    fn default() -> Self {
        SetValue { repr: Repr::Intset(Vec::new()), bytes: 0 }
    }
}

impl SetValue {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Intset(v) => v.len(),
            Repr::Table { members, .. } => members.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Intset(_) => "intset",
            Repr::Table { .. } => "hashtable",
        }
    }
    /// Estimated bytes, O(1).
    pub fn memory(&self) -> usize {
        match &self.repr {
            Repr::Intset(v) => 48 + v.len() * 8,
            Repr::Table { .. } => 48 + self.bytes + self.len() * ELEMENT_OVERHEAD * 2,
        }
    }
    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.repr {
            Repr::Intset(v) => parse_i64(member).is_some_and(|n| v.binary_search(&n).is_ok()),
            Repr::Table { members, .. } => members.contains(member),
        }
    }
    /// Adds `member`; returns true if it is new. `max_intset` is
    /// `set-max-intset-entries`.
    pub fn insert(&mut self, member: &[u8], max_intset: usize) -> bool {
        if let Repr::Intset(v) = &mut self.repr {
            if let Some(n) = parse_i64(member) {
                match v.binary_search(&n) {
                    Ok(_) => return false,
                    Err(i) => {
                        v.insert(i, n);
                        self.bytes += member.len();
                        if v.len() > max_intset {
                            self.convert_to_table();
                        }
                        return true;
                    }
                }
            }
            self.convert_to_table();
        }
        let Repr::Table { members, order } = &mut self.repr else { return false };
        if members.contains(member) {
            return false;
        }
        let k: Key = Rc::from(member);
        order.insert(k.clone());
        members.insert(k);
        self.bytes += member.len();
        true
    }
    /// Removes `member`; returns true if it was there.
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
            Repr::Table { members, order } => match members.take(member) {
                Some(k) => {
                    order.remove(&k);
                    self.bytes -= k.len();
                    true
                }
                None => false,
            },
        }
    }
    /// Members in SMEMBERS order: numeric for an intset, SCAN order for a hashtable.
    pub fn iter(&self) -> Box<dyn Iterator<Item = Vec<u8>> + '_> {
        match &self.repr {
            Repr::Intset(v) => Box::new(v.iter().map(|n| n.to_string().into_bytes())),
            Repr::Table { order, .. } => Box::new(order.iter().map(|k| k.to_vec())),
        }
    }
    fn convert_to_table(&mut self) {
        if let Repr::Intset(v) = &mut self.repr {
            let mut members = HashSet::with_capacity_and_hasher(v.len(), FixedState::default());
            let mut order = ScanOrder::default();
            for n in v.drain(..) {
                let k: Key = Rc::from(n.to_string().as_bytes());
                order.insert(k.clone());
                members.insert(k);
            }
            self.repr = Repr::Table { members, order };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intset_sorts_and_converts() {
        let mut s = SetValue::new();
        for m in ["3", "1", "2", "1"] {
            s.insert(m.as_bytes(), 512);
        }
        assert_eq!(s.len(), 3);
        assert_eq!(s.encoding(), "intset");
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]);
        s.insert(b"a", 512);
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"2") && s.contains(b"a"));
        assert!(s.remove(b"2"));
        assert_eq!(s.len(), 3);
    }
}
