//! Hashes. Redis 7.0 keeps a small hash as a `listpack` (field/value pairs in insertion
//! order) and converts it for good to a `hashtable` once it has more than
//! `hash-max-listpack-entries` fields or a field or value longer than
//! `hash-max-listpack-value` bytes. The listpack order is what HGETALL returns, so it is
//! kept exactly; the hashtable order is Redis's random dict order, replaced here by the
//! deterministic SCAN order of `scan::ScanOrder`.

use std::collections::HashMap;
use std::rc::Rc;

use super::ELEMENT_OVERHEAD;
use crate::scan::{FixedState, Key, ScanOrder};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Repr {
    Listpack(Vec<(Vec<u8>, Vec<u8>)>),
    Table { map: HashMap<Key, Vec<u8>, FixedState>, order: ScanOrder },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashValue {
    repr: Repr,
    /// Sum of field and value lengths, kept up to date so `memory` is O(1).
    bytes: usize,
}

impl Default for HashValue {
    fn default() -> Self {
        HashValue { repr: Repr::Listpack(Vec::new()), bytes: 0 }
    }
}

impl HashValue {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack(v) => v.len(),
            Repr::Table { map, .. } => map.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Listpack(_) => "listpack",
            Repr::Table { .. } => "hashtable",
        }
    }
    /// Estimated bytes, O(1).
    pub fn memory(&self) -> usize {
        48 + self.bytes + self.len() * ELEMENT_OVERHEAD * 2
    }
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.repr {
            Repr::Listpack(v) => v.iter().find(|(f, _)| f.as_slice() == field).map(|(_, v)| v.as_slice()),
            Repr::Table { map, .. } => map.get(field).map(|v| v.as_slice()),
        }
    }
    /// Sets `field`; returns true if it is new. Converts to a hashtable past the limits
    /// (`max_entries`, `max_value`: the two `hash-max-listpack-*` settings).
    pub fn insert(&mut self, field: &[u8], value: Vec<u8>, max_entries: usize, max_value: usize) -> bool {
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
            Repr::Table { map, order } => match map.get_mut(field) {
                Some(old) => {
                    self.bytes = self.bytes - old.len() + value.len();
                    *old = value;
                    false
                }
                None => {
                    self.bytes += field.len() + value.len();
                    let k: Key = Rc::from(field);
                    order.insert(k.clone());
                    map.insert(k, value);
                    true
                }
            },
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
            Repr::Table { map, order } => match map.remove_entry(field) {
                Some((k, val)) => {
                    self.bytes -= k.len() + val.len();
                    order.remove(&k);
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
            Repr::Table { map, order } => {
                Box::new(order.iter().filter_map(move |k| map.get(k).map(|v| (&k[..], v.as_slice()))))
            }
        }
    }
    fn convert_to_table(&mut self) {
        if let Repr::Listpack(v) = &mut self.repr {
            let mut map = HashMap::with_capacity_and_hasher(v.len(), FixedState::default());
            let mut order = ScanOrder::default();
            for (f, val) in v.drain(..) {
                let k: Key = Rc::from(f.as_slice());
                order.insert(k.clone());
                map.insert(k, val);
            }
            self.repr = Repr::Table { map, order };
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
}
