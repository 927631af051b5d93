//! Sorted sets. Redis 7.0 keeps a small sorted set as a `listpack` and converts it for
//! good to a `skiplist` (plus a dict) once it has more than `zset-max-listpack-entries`
//! members or a member longer than `zset-max-listpack-value` bytes. Both keep members
//! ordered by (score, member bytes), so one ordered structure serves both here and only
//! the reported encoding differs (and ZSCAN, which walks the dict of a skiplist).
//!
//! The order is an order-statistic treap in an arena (subtree sizes in every node), so
//! like Redis's skiplist with spans: insert, remove, rank and "the k-th member" are
//! O(log n); a range of M members by rank, score or lex is O(log n + M). A hash map
//! member -> score gives O(1) ZSCORE. Priorities come from a seeded counter: the
//! structure (and every reply) is deterministic.

use std::collections::HashMap;
use std::rc::Rc;

use super::ELEMENT_OVERHEAD;
use crate::scan::{FixedState, Key, ScanOrder};

const NIL: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct Node {
    score: f64,
    member: Key,
    prio: u64,
    left: u32,
    right: u32,
    size: u32,
}

/// (score, member) strictly before (score, member) in Redis's order.
#[inline]
fn less(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> bool {
    a_score < b_score || (a_score == b_score && a_member < b_member)
}

#[derive(Clone, Debug)]
struct Treap {
    nodes: Vec<Node>,
    free: Vec<u32>,
    root: u32,
    seed: u64,
    /// What a freed node holds instead of its member (one shared allocation).
    empty: Key,
}

impl Treap {
    fn new() -> Self {
        Treap {
            nodes: Vec::new(),
            free: Vec::new(),
            root: NIL,
            seed: 0x2545_f491_4f6c_dd1d,
            empty: Rc::from(&b""[..]),
        }
    }
    fn size(&self, t: u32) -> usize {
        if t == NIL {
            0
        } else {
            self.nodes[t as usize].size as usize
        }
    }
    fn update(&mut self, t: u32) {
        let (l, r) = (self.nodes[t as usize].left, self.nodes[t as usize].right);
        self.nodes[t as usize].size = (1 + self.size(l) + self.size(r)) as u32;
    }
    fn next_prio(&mut self) -> u64 {
        self.seed = self.seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Splits `t` into (nodes where `pred` holds, the rest); `pred` holds on a prefix.
    fn split(&mut self, t: u32, pred: &dyn Fn(f64, &[u8]) -> bool) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        let n = &self.nodes[t as usize];
        if pred(n.score, &n.member) {
            let (a, b) = self.split(n.right, pred);
            self.nodes[t as usize].right = a;
            self.update(t);
            (t, b)
        } else {
            let (a, b) = self.split(n.left, pred);
            self.nodes[t as usize].left = b;
            self.update(t);
            (a, t)
        }
    }
    /// Splits `t` into its first `k` nodes and the rest.
    fn split_at(&mut self, t: u32, k: usize) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        let left = self.nodes[t as usize].left;
        let ls = self.size(left);
        if k <= ls {
            let (a, b) = self.split_at(left, k);
            self.nodes[t as usize].left = b;
            self.update(t);
            (a, t)
        } else {
            let right = self.nodes[t as usize].right;
            let (a, b) = self.split_at(right, k - ls - 1);
            self.nodes[t as usize].right = a;
            self.update(t);
            (t, b)
        }
    }
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.nodes[a as usize].prio > self.nodes[b as usize].prio {
            let r = self.nodes[a as usize].right;
            let m = self.merge(r, b);
            self.nodes[a as usize].right = m;
            self.update(a);
            a
        } else {
            let l = self.nodes[b as usize].left;
            let m = self.merge(a, l);
            self.nodes[b as usize].left = m;
            self.update(b);
            b
        }
    }
    fn alloc(&mut self, score: f64, member: Key) -> u32 {
        let prio = self.next_prio();
        let node = Node {
            score,
            member,
            prio,
            left: NIL,
            right: NIL,
            size: 1,
        };
        match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        }
    }
    fn insert(&mut self, score: f64, member: Key) {
        let (l, r) = {
            let m = member.clone();
            self.split(self.root, &move |s, k| less(s, k, score, &m))
        };
        let n = self.alloc(score, member);
        let l = self.merge(l, n);
        self.root = self.merge(l, r);
    }
    /// Detaches the subtree `t` and returns its members in order, freeing its nodes.
    fn drain(&mut self, t: u32, out: &mut Vec<(Key, f64)>) {
        let mut stack = Vec::new();
        let mut cur = t;
        loop {
            while cur != NIL {
                stack.push(cur);
                cur = self.nodes[cur as usize].left;
            }
            let Some(n) = stack.pop() else { break };
            let node = &mut self.nodes[n as usize];
            let member = std::mem::replace(&mut node.member, self.empty.clone());
            out.push((member, node.score));
            cur = node.right;
            self.free.push(n);
        }
    }
    fn remove(&mut self, score: f64, member: &[u8]) {
        let (l, r) = self.split(self.root, &|s, k| less(s, k, score, member));
        let (m, r) = self.split(r, &|s, k| !less(score, member, s, k));
        let mut gone = Vec::new();
        self.drain(m, &mut gone);
        self.root = self.merge(l, r);
        self.compact_if_sparse();
    }
    /// Rebuilds the arena when more than half of it is free nodes, so a set that shrank
    /// gives its memory back. Amortised O(log n) per removal.
    fn compact_if_sparse(&mut self) {
        if self.free.len() < 64 || self.free.len() * 2 <= self.nodes.len() {
            return;
        }
        let mut items = Vec::with_capacity(self.nodes.len() - self.free.len());
        self.drain(self.root, &mut items);
        self.nodes = Vec::with_capacity(items.len());
        self.free = Vec::new();
        self.root = NIL;
        for (member, score) in items {
            let n = self.alloc(score, member);
            self.root = self.merge(self.root, n);
        }
    }
    /// Removes ranks `start..end` and returns them in order.
    fn remove_ranks(&mut self, start: usize, end: usize) -> Vec<(Key, f64)> {
        let (l, r) = self.split_at(self.root, start);
        let (m, r) = self.split_at(r, end.saturating_sub(start));
        let mut out = Vec::with_capacity(end.saturating_sub(start));
        self.drain(m, &mut out);
        self.root = self.merge(l, r);
        self.compact_if_sparse();
        out
    }
    /// How many members satisfy `pred` (which holds on a prefix of the order).
    fn count_prefix(&self, pred: &dyn Fn(f64, &[u8]) -> bool) -> usize {
        let mut t = self.root;
        let mut count = 0;
        while t != NIL {
            let n = &self.nodes[t as usize];
            if pred(n.score, &n.member) {
                count += self.size(n.left) + 1;
                t = n.right;
            } else {
                t = n.left;
            }
        }
        count
    }
    /// A stack positioned so that popping yields rank `k` first, going forward
    /// (or backward when `rev`, rank `k` counted from the start still).
    fn stack_at(&self, k: usize, rev: bool) -> Vec<u32> {
        let mut stack = Vec::new();
        let mut t = self.root;
        let mut k = k;
        while t != NIL {
            let n = &self.nodes[t as usize];
            let ls = self.size(n.left);
            if k < ls {
                if !rev {
                    stack.push(t);
                }
                t = n.left;
            } else if k == ls {
                stack.push(t);
                break;
            } else {
                if rev {
                    stack.push(t);
                }
                k -= ls + 1;
                t = n.right;
            }
        }
        stack
    }
}

/// Members by rank, forward or backward, from a treap stack.
pub struct RankIter<'a> {
    tree: &'a Treap,
    stack: Vec<u32>,
    rev: bool,
    remaining: usize,
}

impl<'a> Iterator for RankIter<'a> {
    type Item = (&'a [u8], f64);
    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let t = self.stack.pop()?;
        self.remaining -= 1;
        let nodes = &self.tree.nodes;
        let n = &nodes[t as usize];
        let mut c = if self.rev { n.left } else { n.right };
        while c != NIL {
            self.stack.push(c);
            c = if self.rev {
                nodes[c as usize].right
            } else {
                nodes[c as usize].left
            };
        }
        Some((&n.member[..], n.score))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// One end of a score range: the value and whether it is exclusive (`(1.5`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreBound {
    pub value: f64,
    pub exclusive: bool,
}

/// One end of a lex range: `-`, `+`, or a member, inclusive (`[a`) or exclusive (`(a`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    Min,
    Max,
    Inclusive(Vec<u8>),
    Exclusive(Vec<u8>),
}

impl LexBound {
    /// Redis's sdscmplex of `member` against this bound's string.
    fn cmp_member(&self, member: &[u8]) -> std::cmp::Ordering {
        use std::cmp::Ordering::*;
        match self {
            LexBound::Min => Greater,
            LexBound::Max => Less,
            LexBound::Inclusive(b) | LexBound::Exclusive(b) => member.cmp(b),
        }
    }
    fn exclusive(&self) -> bool {
        !matches!(self, LexBound::Inclusive(_))
    }
}

#[derive(Clone, Debug)]
pub struct ZSetValue {
    tree: Treap,
    scores: HashMap<Key, f64, FixedState>,
    /// The dict's SCAN order, kept only once the set is a skiplist (ZSCAN of a listpack
    /// returns everything in rank order).
    scan: Option<ScanOrder>,
    /// Sum of member lengths, kept up to date so `memory` is O(1).
    bytes: usize,
}

impl PartialEq for ZSetValue {
    fn eq(&self, other: &Self) -> bool {
        self.encoding() == other.encoding()
            && self.len() == other.len()
            && self.iter().eq(other.iter())
    }
}

impl Default for ZSetValue {
    fn default() -> Self {
        ZSetValue {
            tree: Treap::new(),
            scores: HashMap::default(),
            scan: None,
            bytes: 0,
        }
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
    pub fn is_skiplist(&self) -> bool {
        self.scan.is_some()
    }
    pub fn encoding(&self) -> &'static str {
        if self.is_skiplist() {
            "skiplist"
        } else {
            "listpack"
        }
    }
    /// Converts to the skiplist encoding for good (Redis's zsetConvert).
    pub fn convert_to_skiplist(&mut self) {
        if self.scan.is_none() {
            let mut order = ScanOrder::default();
            for k in self.scores.keys() {
                order.insert(k.clone());
            }
            self.scan = Some(order);
        }
    }
    /// Estimated bytes, O(1).
    pub fn memory(&self) -> usize {
        48 + self.bytes
            + self.len() * (8 + ELEMENT_OVERHEAD * if self.is_skiplist() { 4 } else { 1 })
    }
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }
    /// Sets `member`'s score; returns true if the member is new. `max_entries` and
    /// `max_value` are the two `zset-max-listpack-*` settings: like Redis's zsetAdd, a
    /// listpack converts when a new member would exceed them (never on an update).
    pub fn insert(
        &mut self,
        member: &[u8],
        score: f64,
        max_entries: usize,
        max_value: usize,
    ) -> bool {
        let exists = self.scores.contains_key(member);
        if !exists
            && !self.is_skiplist()
            && (self.len() + 1 > max_entries || member.len() > max_value)
        {
            self.convert_to_skiplist();
        }
        // A listpack stores a score as text, and reads "-0" back as the integer 0.
        let score = if score == 0.0 && !self.is_skiplist() {
            0.0
        } else {
            score
        };
        if let Some((k, old)) = self.scores.get_key_value(member) {
            let (k, old) = (k.clone(), *old);
            if old != score {
                self.tree.remove(old, member);
                self.tree.insert(score, k.clone());
                self.scores.insert(k, score);
            }
            return false;
        }
        let k: Key = Rc::from(member);
        self.tree.insert(score, k.clone());
        if let Some(order) = &mut self.scan {
            order.insert(k.clone());
        }
        self.scores.insert(k, score);
        self.bytes += member.len();
        true
    }
    /// Removes `member`; returns true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.remove_entry(member) {
            Some((k, s)) => {
                self.tree.remove(s, member);
                if let Some(order) = &mut self.scan {
                    order.remove(&k);
                }
                self.bytes -= k.len();
                true
            }
            None => false,
        }
    }
    /// Removes the members of ranks `start..end` (0-based, clamped) and returns them in
    /// rank order. O(log n + M).
    pub fn remove_range(&mut self, start: usize, end: usize) -> Vec<(Key, f64)> {
        let end = end.min(self.len());
        if start >= end {
            return Vec::new();
        }
        let out = self.tree.remove_ranks(start, end);
        for (k, _) in &out {
            self.scores.remove(k);
            if let Some(order) = &mut self.scan {
                order.remove(k);
            }
            self.bytes -= k.len();
        }
        out
    }
    /// The 0-based rank of `member` (lowest score first). O(log n).
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        Some(self.tree.count_prefix(&|s, k| less(s, k, score, member)))
    }
    /// Members of ranks `start..end` (clamped), forward, or backward when `rev` (then
    /// ranks count from the highest score). O(log n + M).
    pub fn range(&self, start: usize, end: usize, rev: bool) -> RankIter<'_> {
        let len = self.len();
        let end = end.min(len);
        if start >= end {
            return RankIter {
                tree: &self.tree,
                stack: Vec::new(),
                rev,
                remaining: 0,
            };
        }
        let first = if rev { len - 1 - start } else { start };
        RankIter {
            tree: &self.tree,
            stack: self.tree.stack_at(first, rev),
            rev,
            remaining: end - start,
        }
    }
    /// (member, score) in rank order (lowest score first).
    pub fn iter(&self) -> RankIter<'_> {
        self.range(0, self.len(), false)
    }
    /// (member, score) from the highest score down.
    pub fn iter_rev(&self) -> RankIter<'_> {
        self.range(0, self.len(), true)
    }
    /// The ranks `start..end` of the members within `[min, max]`.
    pub fn score_ranks(&self, min: ScoreBound, max: ScoreBound) -> (usize, usize) {
        let start = self.tree.count_prefix(&|s, _| {
            if min.exclusive {
                s <= min.value
            } else {
                s < min.value
            }
        });
        let end = self.tree.count_prefix(&|s, _| {
            if max.exclusive {
                s < max.value
            } else {
                s <= max.value
            }
        });
        (start, end.max(start))
    }
    /// The ranks `start..end` of the members within the lex range (meaningful when all
    /// scores are equal, as Redis documents).
    ///
    /// A listpack is walked like Redis walks it (zzlFirstInLexRange / zzlLastInLexRange:
    /// from the head to the first member >= min, then on while <= max; or from the tail
    /// when `rev`), so even mixed scores give Redis's answer. A skiplist's answer for
    /// mixed scores depends on its random levels in Redis; here it is a binary search.
    pub fn lex_ranks(&self, min: &LexBound, max: &LexBound, rev: bool) -> (usize, usize) {
        use std::cmp::Ordering::*;
        // Redis first rejects ranges that are empty by construction (min > max).
        let empty = match (min, max) {
            (LexBound::Max, _) | (_, LexBound::Min) => true,
            (LexBound::Min, _) | (_, LexBound::Max) => false,
            _ => {
                let (a, b) = match (min, max) {
                    (
                        LexBound::Inclusive(a) | LexBound::Exclusive(a),
                        LexBound::Inclusive(b) | LexBound::Exclusive(b),
                    ) => (a, b),
                    _ => unreachable!("Min and Max handled above"),
                };
                match a.cmp(b) {
                    Greater => true,
                    Equal => min.exclusive() || max.exclusive(),
                    Less => false,
                }
            }
        };
        if empty || self.is_empty() {
            return (0, 0);
        }
        // `cmp_member` orders the member against the bound.
        let gte_min = |k: &[u8]| {
            let c = min.cmp_member(k);
            if min.exclusive() {
                c == Greater
            } else {
                c != Less
            }
        };
        let lte_max = |k: &[u8]| {
            let c = max.cmp_member(k);
            if max.exclusive() {
                c == Less
            } else {
                c != Greater
            }
        };
        if !self.is_skiplist() {
            let members: Vec<&[u8]> = self.iter().map(|(m, _)| m).collect();
            let len = members.len();
            if !gte_min(members[len - 1]) || !lte_max(members[0]) {
                return (0, 0);
            }
            if !rev {
                let Some(s) = members.iter().position(|m| gte_min(m)) else {
                    return (0, 0);
                };
                if !lte_max(members[s]) {
                    return (0, 0);
                }
                let e = members[s..]
                    .iter()
                    .position(|m| !lte_max(m))
                    .map_or(len, |p| s + p);
                return (s, e);
            }
            let Some(l) = members.iter().rposition(|m| lte_max(m)) else {
                return (0, 0);
            };
            if !gte_min(members[l]) {
                return (0, 0);
            }
            let a = members[..l]
                .iter()
                .rposition(|m| !gte_min(m))
                .map_or(0, |p| p + 1);
            return (a, l + 1);
        }
        // A skiplist: Redis descends to the first member >= min (last <= max when
        // reversed) and walks on from there; for equal scores the descent is a binary
        // search, which is what `count_prefix` does.
        let len = self.len();
        let (Some((first, _)), Some((last, _))) = (self.nth(0), self.nth(len - 1)) else {
            return (0, 0);
        };
        if !gte_min(last) || !lte_max(first) {
            return (0, 0);
        }
        if !rev {
            let s = self.tree.count_prefix(&|_, k| !gte_min(k));
            match self.nth(s) {
                Some((m, _)) if lte_max(m) => {}
                _ => return (0, 0),
            }
            let n = self
                .range(s, len, false)
                .take_while(|(m, _)| lte_max(m))
                .count();
            return (s, s + n);
        }
        let l = self.tree.count_prefix(&|_, k| lte_max(k));
        match l.checked_sub(1).and_then(|i| self.nth(i)) {
            Some((m, _)) if gte_min(m) => {}
            _ => return (0, 0),
        }
        let n = self
            .range(len - l, len, true)
            .take_while(|(m, _)| gte_min(m))
            .count();
        (l - n, l)
    }
    /// ZLEXCOUNT: a listpack walks forward like ZRANGEBYLEX; a skiplist subtracts the
    /// ranks of the first member in range and of the last one, as Redis does.
    pub fn lex_count(&self, min: &LexBound, max: &LexBound) -> usize {
        if !self.is_skiplist() {
            let (a, b) = self.lex_ranks(min, max, false);
            return b - a;
        }
        let (first, end) = self.lex_ranks(min, max, false);
        if first == end {
            return 0;
        }
        let (a, after_last) = self.lex_ranks(min, max, true);
        if a == after_last {
            return self.len() - first;
        }
        after_last.saturating_sub(first)
    }
    /// Members in the dict's SCAN order (skiplist encoding only).
    pub fn scan_order(&self) -> Option<&ScanOrder> {
        self.scan.as_ref()
    }
    /// The member at rank `k`.
    pub fn nth(&self, k: usize) -> Option<(&[u8], f64)> {
        self.range(k, k + 1, false).next()
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
        assert_eq!(z.encoding(), "listpack");
        z.insert(b"c", 0.5, 2, 64);
        let order: Vec<&[u8]> = z.iter().map(|(m, _)| m).collect();
        assert_eq!(order, vec![&b"c"[..], &b"a"[..], &b"b"[..]]);
        assert_eq!(z.encoding(), "skiplist");
        z.insert(b"a", 2.0, 2, 64);
        assert_eq!(z.iter().last().map(|(m, _)| m), Some(&b"a"[..]));
        assert_eq!(z.rank(b"a"), Some(2));
        assert!(z.remove(b"a"));
        assert_eq!(z.score(b"a"), None);
    }

    #[test]
    fn ranks_and_ranges_match_a_sorted_vector() {
        let mut z = ZSetValue::new();
        let mut model: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut x: u64 = 7;
        for i in 0..2000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let m = format!("m{}", x % 500).into_bytes();
            let s = (x >> 40) % 50;
            if i % 3 == 0 {
                z.remove(&m);
                model.retain(|(_, k)| *k != m);
            } else {
                z.insert(&m, s as f64, 128, 64);
                model.retain(|(_, k)| *k != m);
                model.push((s, m));
            }
        }
        model.sort();
        let ours: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        let theirs: Vec<(Vec<u8>, f64)> =
            model.iter().map(|(s, m)| (m.clone(), *s as f64)).collect();
        assert_eq!(ours, theirs);
        for (i, (_, m)) in model.iter().enumerate() {
            assert_eq!(z.rank(m), Some(i));
        }
        let rev: Vec<&[u8]> = z.range(3, 10, true).map(|(m, _)| m).collect();
        let want: Vec<&[u8]> = model
            .iter()
            .rev()
            .skip(3)
            .take(7)
            .map(|(_, m)| &m[..])
            .collect();
        assert_eq!(rev, want);
        for (_, m) in model.iter().skip(20) {
            z.remove(m);
        }
        model.truncate(20);
        assert!(
            z.tree.nodes.len() < 200,
            "the arena shrank: {}",
            z.tree.nodes.len()
        );
        let ours: Vec<Vec<u8>> = z.iter().map(|(m, _)| m.to_vec()).collect();
        let theirs: Vec<Vec<u8>> = model.iter().map(|(_, m)| m.clone()).collect();
        assert_eq!(ours, theirs);
        let removed = z.remove_range(5, 9);
        assert_eq!(removed.len(), 4);
        assert_eq!(z.len(), model.len() - 4);
    }
}
