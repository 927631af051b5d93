//! Sorted sets. Redis 7.0 keeps a small sorted set as a `listpack` and converts it for
//! good to a `skiplist` (plus a dict) once it has more than `zset-max-listpack-entries`
//! members or a member longer than `zset-max-listpack-value` bytes. Both keep members
//! ordered by (score, member bytes), so one ordered structure serves both here and only
//! the reported encoding differs.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use super::ELEMENT_OVERHEAD;
use crate::scan::{FixedState, Key};

/// A score with the total order Redis uses (scores are never NaN).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score(pub f64);

impl Eq for Score {}
impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.partial_cmp(&other.0).unwrap_or(Ordering::Equal)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZSetValue {
    /// (score, member) in rank order.
    sorted: BTreeSet<(Score, Key)>,
    scores: HashMap<Key, Score, FixedState>,
    skiplist: bool,
    /// Sum of member lengths, kept up to date so `memory` is O(1).
    bytes: usize,
}

impl Default for ZSetValue {
    fn default() -> Self {
        ZSetValue { sorted: BTreeSet::new(), scores: HashMap::default(), skiplist: false, bytes: 0 }
    }
}

impl ZSetValue {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        self.scores.len()
    }
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }
    pub fn encoding(&self) -> &'static str {
        if self.skiplist {
            "skiplist"
        } else {
            "listpack"
        }
    }
    /// Estimated bytes, O(1).
    pub fn memory(&self) -> usize {
        48 + self.bytes + self.len() * (8 + ELEMENT_OVERHEAD * if self.skiplist { 4 } else { 1 })
    }
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).map(|s| s.0)
    }
    /// Sets `member`'s score; returns true if the member is new. `max_entries` and
    /// `max_value` are the two `zset-max-listpack-*` settings.
    pub fn insert(&mut self, member: &[u8], score: f64, max_entries: usize, max_value: usize) -> bool {
        let new = match self.scores.get_key_value(member) {
            Some((k, old)) => {
                let k = k.clone();
                let old = *old;
                self.sorted.remove(&(old, k.clone()));
                self.sorted.insert((Score(score), k.clone()));
                self.scores.insert(k, Score(score));
                false
            }
            None => {
                let k: Key = Rc::from(member);
                self.sorted.insert((Score(score), k.clone()));
                self.scores.insert(k, Score(score));
                self.bytes += member.len();
                true
            }
        };
        if self.len() > max_entries || member.len() > max_value {
            self.skiplist = true;
        }
        new
    }
    /// Removes `member`; returns true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.remove_entry(member) {
            Some((k, s)) => {
                self.sorted.remove(&(s, k.clone()));
                self.bytes -= k.len();
                true
            }
            None => false,
        }
    }
    /// (member, score) in rank order (lowest score first).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&[u8], f64)> {
        self.sorted.iter().map(|(s, k)| (&k[..], s.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_score_then_member_and_converts() {
        let mut z = ZSetValue::new();
        z.insert(b"b", 1.0, 2, 64);
        z.insert(b"a", 1.0, 2, 64);
        z.insert(b"c", 0.5, 2, 64);
        let order: Vec<&[u8]> = z.iter().map(|(m, _)| m).collect();
        assert_eq!(order, vec![&b"c"[..], &b"a"[..], &b"b"[..]]);
        assert_eq!(z.encoding(), "skiplist");
        z.insert(b"a", 2.0, 2, 64);
        assert_eq!(z.iter().last().map(|(m, _)| m), Some(&b"a"[..]));
        assert!(z.remove(b"a"));
        assert_eq!(z.score(b"a"), None);
    }
}
