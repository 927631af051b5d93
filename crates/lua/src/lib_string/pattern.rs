//! Lua 5.1 patterns (lstrlib.c's matcher) over bytes, with no VM types, so the string
//! library's natives (find, match, gmatch, gsub in `lib_string`) share it and it can be
//! tested on its own.
//!
//! The matcher follows 5.1.5 step by step, quirks included:
//! - A pattern ends at its first NUL byte (5.1 walks it as a C string; `%z` matches a NUL).
//! - The subject is followed by a virtual NUL: `%f` at the end of the subject sees `\0`.
//! - `^` anchors only at the start of a pattern given to find/match/gsub; gmatch takes it
//!   literally (the callers strip it).
//! - A back-reference to a position capture never matches.
//!
//! Two bounds 5.1 does not have keep a runaway pattern from freezing the page: every step
//! costs one unit of the caller's budget (`PatternError::OutOfSteps` when it is spent), and
//! the recursion is bounded (`pattern too complex`, where Redis would overflow its C stack).

/// LUA_MAXCAPTURES.
pub const MAX_CAPTURES: usize = 32;
/// How deep the matcher may recurse (one level per quantified item or capture). Redis's
/// C matcher has no bound and crashes near a hundred thousand levels; the emulator stops
/// well before its own stack (a browser's is small) could.
const MAX_DEPTH: usize = 1000;
/// The characters that make `string.find` use the matcher rather than a plain search.
const SPECIALS: &[u8] = b"^$*+?.([%-";
const ESC: u8 = b'%';

/// Why a match stopped without an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternError {
    /// A Lua error, with 5.1's text.
    Lua(&'static str),
    /// The step budget ran out.
    OutOfSteps,
}

type Res<T> = Result<T, PatternError>;

fn fail<T>(msg: &'static str) -> Res<T> {
    Err(PatternError::Lua(msg))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CapLen {
    Unfinished,
    Position,
    Len(usize),
}

#[derive(Clone, Copy, Debug)]
struct Capture {
    init: usize,
    len: CapLen,
}

/// One value a capture gives a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaptureValue<'a> {
    Text(&'a [u8]),
    /// A position capture `()`: a 1-based index into the subject.
    Position(usize),
}

/// A successful match: where it is and its captures as the matcher left them.
#[derive(Clone, Debug)]
pub struct Match {
    pub start: usize,
    pub end: usize,
    level: usize,
    captures: [Capture; MAX_CAPTURES],
}

impl Match {
    /// Capture `i` (0-based), 5.1's `push_onecapture`: with no captures, capture 0 is the
    /// whole match.
    pub fn capture<'s>(&self, src: &'s [u8], i: usize) -> Res<CaptureValue<'s>> {
        if i >= self.level {
            return if i == 0 {
                Ok(CaptureValue::Text(&src[self.start..self.end]))
            } else {
                fail("invalid capture index")
            };
        }
        let c = self.captures[i];
        match c.len {
            CapLen::Unfinished => fail("unfinished capture"),
            CapLen::Position => Ok(CaptureValue::Position(c.init + 1)),
            CapLen::Len(l) => Ok(CaptureValue::Text(&src[c.init..c.init + l])),
        }
    }

    /// Every capture, or the whole match when there is none (5.1's `push_captures`).
    pub fn captures<'s>(&self, src: &'s [u8]) -> Res<Vec<CaptureValue<'s>>> {
        (0..self.level.max(1))
            .map(|i| self.capture(src, i))
            .collect()
    }

    /// Only the captures (none when the pattern has none): what `find` adds to its positions.
    pub fn captures_only<'s>(&self, src: &'s [u8]) -> Res<Vec<CaptureValue<'s>>> {
        (0..self.level).map(|i| self.capture(src, i)).collect()
    }
}

/// The part of a pattern the matcher sees: up to its first NUL.
pub fn effective(pattern: &[u8]) -> &[u8] {
    match pattern.iter().position(|&c| c == 0) {
        Some(n) => &pattern[..n],
        None => pattern,
    }
}

/// Whether `string.find` must use the matcher (5.1's `strpbrk(p, SPECIALS)`).
pub fn has_specials(pattern: &[u8]) -> bool {
    effective(pattern).iter().any(|c| SPECIALS.contains(c))
}

/// 5.1's `lmemfind`: the first position of `needle` in `hay` (an empty needle is at 0).
pub fn find_plain(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    if needle.len() > hay.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// C's `<ctype.h>` classes in the "C" locale, as `%a`..`%x` use them.
fn class_matches(c: u8, class: u8) -> bool {
    let res = match class.to_ascii_lowercase() {
        b'a' => c.is_ascii_alphabetic(),
        b'c' => c < 32 || c == 127,
        b'd' => c.is_ascii_digit(),
        b'l' => c.is_ascii_lowercase(),
        b'p' => c.is_ascii_punctuation(),
        b's' => matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'),
        b'u' => c.is_ascii_uppercase(),
        b'w' => c.is_ascii_alphanumeric(),
        b'x' => c.is_ascii_hexdigit(),
        b'z' => c == 0,
        _ => return class == c,
    };
    if class.is_ascii_lowercase() {
        res
    } else {
        !res
    }
}

/// The matcher over one subject and one pattern (5.1's `MatchState`).
struct Matcher<'a> {
    src: &'a [u8],
    pat: &'a [u8],
    level: usize,
    captures: [Capture; MAX_CAPTURES],
    steps_left: u64,
}

impl<'a> Matcher<'a> {
    /// The pattern byte at `p`, NUL past its end (5.1 reads the C string's terminator).
    fn pc(&self, p: usize) -> u8 {
        self.pat.get(p).copied().unwrap_or(0)
    }

    /// The subject byte at `s`, NUL past its end (Lua strings are NUL-terminated).
    fn sc(&self, s: usize) -> u8 {
        self.src.get(s).copied().unwrap_or(0)
    }

    fn step(&mut self) -> Res<()> {
        if self.steps_left == 0 {
            return Err(PatternError::OutOfSteps);
        }
        self.steps_left -= 1;
        Ok(())
    }

    /// Where the single-character class at `p` ends (5.1's `classEnd`).
    fn class_end(&self, p: usize) -> Res<usize> {
        let c = self.pc(p);
        let mut p = p + 1;
        match c {
            ESC => {
                if self.pc(p) == 0 {
                    return fail("malformed pattern (ends with '%')");
                }
                Ok(p + 1)
            }
            b'[' => {
                if self.pc(p) == b'^' {
                    p += 1;
                }
                loop {
                    if self.pc(p) == 0 {
                        return fail("malformed pattern (missing ']')");
                    }
                    let c = self.pc(p);
                    p += 1;
                    if c == ESC && self.pc(p) != 0 {
                        p += 1;
                    }
                    if self.pc(p) == b']' {
                        return Ok(p + 1);
                    }
                }
            }
            _ => Ok(p),
        }
    }

    /// Whether `c` is in the set `[...]` from `p` (at `[`) to `ec` (at `]`).
    fn bracket_class(&self, c: u8, p: usize, ec: usize) -> bool {
        let mut p = p;
        let mut sig = true;
        if self.pc(p + 1) == b'^' {
            sig = false;
            p += 1;
        }
        loop {
            p += 1;
            if p >= ec {
                break;
            }
            if self.pc(p) == ESC {
                p += 1;
                if class_matches(c, self.pc(p)) {
                    return sig;
                }
            } else if self.pc(p + 1) == b'-' && p + 2 < ec {
                p += 2;
                if self.pc(p - 2) <= c && c <= self.pc(p) {
                    return sig;
                }
            } else if self.pc(p) == c {
                return sig;
            }
        }
        !sig
    }

    fn single_match(&self, c: u8, p: usize, ep: usize) -> bool {
        match self.pc(p) {
            b'.' => true,
            ESC => class_matches(c, self.pc(p + 1)),
            b'[' => self.bracket_class(c, p, ep - 1),
            other => other == c,
        }
    }

    fn single_match_at(&self, s: usize, p: usize, ep: usize) -> bool {
        s < self.src.len() && self.single_match(self.src[s], p, ep)
    }

    fn match_balance(&self, s: usize, p: usize) -> Res<Option<usize>> {
        let (open, close) = (self.pc(p), self.pc(p + 1));
        if open == 0 || close == 0 {
            return fail("unbalanced pattern");
        }
        if self.sc(s) != open {
            return Ok(None);
        }
        let mut depth = 1;
        let mut s = s + 1;
        while s < self.src.len() {
            let c = self.src[s];
            if c == close {
                depth -= 1;
                if depth == 0 {
                    return Ok(Some(s + 1));
                }
            } else if c == open {
                depth += 1;
            }
            s += 1;
        }
        Ok(None)
    }

    fn match_capture(&self, s: usize, digit: u8) -> Res<Option<usize>> {
        let l = self.check_capture(digit)?;
        let c = self.captures[l];
        let CapLen::Len(len) = c.len else {
            return Ok(None);
        };
        if self.src.len() - s >= len && self.src[c.init..c.init + len] == self.src[s..s + len] {
            Ok(Some(s + len))
        } else {
            Ok(None)
        }
    }

    fn check_capture(&self, digit: u8) -> Res<usize> {
        let l = digit as i64 - b'1' as i64;
        if l < 0 || l as usize >= self.level || self.captures[l as usize].len == CapLen::Unfinished
        {
            return fail("invalid capture index");
        }
        Ok(l as usize)
    }

    fn capture_to_close(&self) -> Res<usize> {
        (0..self.level)
            .rev()
            .find(|&l| self.captures[l].len == CapLen::Unfinished)
            .ok_or(PatternError::Lua("invalid pattern capture"))
    }

    /// 5.1's `match`: where a match of the pattern from `p` at subject position `s` ends.
    fn do_match(&mut self, mut s: usize, mut p: usize, depth: usize) -> Res<Option<usize>> {
        if depth > MAX_DEPTH {
            return fail("pattern too complex");
        }
        loop {
            self.step()?;
            match self.pc(p) {
                b'(' => {
                    return if self.pc(p + 1) == b')' {
                        self.start_capture(s, p + 2, CapLen::Position, depth)
                    } else {
                        self.start_capture(s, p + 1, CapLen::Unfinished, depth)
                    };
                }
                b')' => return self.end_capture(s, p + 1, depth),
                0 => return Ok(Some(s)),
                b'$' if self.pc(p + 1) == 0 => return Ok((s == self.src.len()).then_some(s)),
                ESC if self.pc(p + 1) == b'b' => match self.match_balance(s, p + 2)? {
                    Some(e) => {
                        s = e;
                        p += 4;
                        continue;
                    }
                    None => return Ok(None),
                },
                ESC if self.pc(p + 1) == b'f' => {
                    p += 2;
                    if self.pc(p) != b'[' {
                        return fail("missing '[' after '%f' in pattern");
                    }
                    let ep = self.class_end(p)?;
                    let previous = if s == 0 { 0 } else { self.src[s - 1] };
                    if self.bracket_class(previous, p, ep - 1)
                        || !self.bracket_class(self.sc(s), p, ep - 1)
                    {
                        return Ok(None);
                    }
                    p = ep;
                    continue;
                }
                ESC if self.pc(p + 1).is_ascii_digit() => {
                    match self.match_capture(s, self.pc(p + 1))? {
                        Some(e) => {
                            s = e;
                            p += 2;
                            continue;
                        }
                        None => return Ok(None),
                    }
                }
                _ => {
                    let ep = self.class_end(p)?;
                    let m = self.single_match_at(s, p, ep);
                    match self.pc(ep) {
                        b'?' => {
                            if m {
                                if let Some(res) = self.do_match(s + 1, ep + 1, depth + 1)? {
                                    return Ok(Some(res));
                                }
                            }
                            p = ep + 1;
                            continue;
                        }
                        b'*' => return self.max_expand(s, p, ep, depth),
                        b'+' => {
                            return if m {
                                self.max_expand(s + 1, p, ep, depth)
                            } else {
                                Ok(None)
                            }
                        }
                        b'-' => return self.min_expand(s, p, ep, depth),
                        _ => {
                            if !m {
                                return Ok(None);
                            }
                            s += 1;
                            p = ep;
                        }
                    }
                }
            }
        }
    }

    fn max_expand(&mut self, s: usize, p: usize, ep: usize, depth: usize) -> Res<Option<usize>> {
        let mut i = 0;
        while self.single_match_at(s + i, p, ep) {
            self.step()?;
            i += 1;
        }
        loop {
            if let Some(res) = self.do_match(s + i, ep + 1, depth + 1)? {
                return Ok(Some(res));
            }
            if i == 0 {
                return Ok(None);
            }
            i -= 1;
        }
    }

    fn min_expand(
        &mut self,
        mut s: usize,
        p: usize,
        ep: usize,
        depth: usize,
    ) -> Res<Option<usize>> {
        loop {
            if let Some(res) = self.do_match(s, ep + 1, depth + 1)? {
                return Ok(Some(res));
            }
            if self.single_match_at(s, p, ep) {
                s += 1;
            } else {
                return Ok(None);
            }
        }
    }

    fn start_capture(
        &mut self,
        s: usize,
        p: usize,
        what: CapLen,
        depth: usize,
    ) -> Res<Option<usize>> {
        let level = self.level;
        if level >= MAX_CAPTURES {
            return fail("too many captures");
        }
        self.captures[level] = Capture { init: s, len: what };
        self.level = level + 1;
        let res = self.do_match(s, p, depth + 1)?;
        if res.is_none() {
            self.level -= 1;
        }
        Ok(res)
    }

    fn end_capture(&mut self, s: usize, p: usize, depth: usize) -> Res<Option<usize>> {
        let l = self.capture_to_close()?;
        self.captures[l].len = CapLen::Len(s - self.captures[l].init);
        let res = self.do_match(s, p, depth + 1)?;
        if res.is_none() {
            self.captures[l].len = CapLen::Unfinished;
        }
        Ok(res)
    }
}

impl<'a> Matcher<'a> {
    fn new(src: &'a [u8], pat: &'a [u8], steps_left: u64) -> Matcher<'a> {
        Matcher {
            src,
            pat,
            level: 0,
            captures: [Capture {
                init: 0,
                len: CapLen::Unfinished,
            }; MAX_CAPTURES],
            steps_left,
        }
    }

    /// A match of the whole pattern at exactly `start` (captures start afresh, as 5.1
    /// resets `ms.level` before each try).
    fn try_at(&mut self, start: usize) -> Res<Option<Match>> {
        self.level = 0;
        Ok(self.do_match(start, 0, 0)?.map(|end| Match {
            start,
            end,
            level: self.level,
            captures: self.captures,
        }))
    }
}

/// Runs `f` with a matcher of `pattern` (as the matcher sees it: see `effective`) over
/// `src`, charging its steps to `steps_left`.
fn with_matcher<T>(
    src: &[u8],
    pattern: &[u8],
    steps_left: &mut u64,
    f: impl FnOnce(&mut Matcher) -> Res<T>,
) -> Res<T> {
    let mut m = Matcher::new(src, pattern, *steps_left);
    let res = f(&mut m);
    *steps_left = m.steps_left;
    res
}

/// Splits a leading `^` off a pattern (find, match, gsub): (anchored, the rest).
pub fn anchor(pattern: &[u8]) -> (bool, &[u8]) {
    match pattern.strip_prefix(b"^") {
        Some(rest) => (true, rest),
        None => (false, pattern),
    }
}

/// 5.1's `str_find_aux` matching loop: the first match at or after `init` (0-based, at
/// most `src.len()`), trying each start position unless anchored.
pub fn search(src: &[u8], pattern: &[u8], init: usize, steps_left: &mut u64) -> Res<Option<Match>> {
    let (anchored, pat) = anchor(effective(pattern));
    with_matcher(src, pat, steps_left, |matcher| {
        let mut s = init;
        loop {
            if let Some(m) = matcher.try_at(s)? {
                return Ok(Some(m));
            }
            if anchored || s >= src.len() {
                return Ok(None);
            }
            s += 1;
        }
    })
}

/// `string.gmatch`'s iterator state: where the next search starts.
#[derive(Clone, Debug, Default)]
pub struct Gmatch {
    pub next: usize,
}

impl Gmatch {
    /// The next match (5.1's `gmatch_aux`: `^` is literal, an empty match moves on by one).
    pub fn next_match(
        &mut self,
        src: &[u8],
        pattern: &[u8],
        steps_left: &mut u64,
    ) -> Res<Option<Match>> {
        let pat = effective(pattern);
        with_matcher(src, pat, steps_left, |matcher| {
            let mut s = self.next;
            while s <= src.len() {
                if let Some(m) = matcher.try_at(s)? {
                    self.next = if m.end == s { m.end + 1 } else { m.end };
                    return Ok(Some(m));
                }
                s += 1;
            }
            self.next = s;
            Ok(None)
        })
    }
}

/// `string.gsub`'s loop, one match at a time so a replacement function can run between
/// matches: the text between matches is copied into `out` as 5.1 copies it.
#[derive(Clone, Debug)]
pub struct Gsub {
    pos: usize,
    count: i64,
    max: i64,
    anchored: bool,
    /// The outcome of the last match attempt, not yet moved past.
    tried: Option<Option<usize>>,
    done: bool,
}

impl Gsub {
    /// At most `max` replacements.
    pub fn new(pattern: &[u8], max: i64) -> Gsub {
        Gsub {
            pos: 0,
            count: 0,
            max,
            anchored: anchor(effective(pattern)).0,
            tried: None,
            done: false,
        }
    }

    /// How many matches were found.
    pub fn count(&self) -> i64 {
        self.count
    }

    /// The next match, whose replacement the caller appends to `out`; None when done (then
    /// call `finish`).
    pub fn next_match(
        &mut self,
        src: &[u8],
        pattern: &[u8],
        out: &mut Vec<u8>,
        steps_left: &mut u64,
    ) -> Res<Option<Match>> {
        let pat = anchor(effective(pattern)).1;
        with_matcher(src, pat, steps_left, |matcher| self.next_with(matcher, out))
    }

    fn next_with(&mut self, matcher: &mut Matcher, out: &mut Vec<u8>) -> Res<Option<Match>> {
        let src = matcher.src;
        loop {
            if let Some(tried) = self.tried.take() {
                match tried {
                    Some(e) if e > self.pos => self.pos = e,
                    _ if self.pos < src.len() => {
                        out.push(src[self.pos]);
                        self.pos += 1;
                    }
                    _ => self.done = true,
                }
                if self.anchored {
                    self.done = true;
                }
            }
            if self.done || self.count >= self.max {
                self.done = true;
                return Ok(None);
            }
            let m = matcher.try_at(self.pos)?;
            self.tried = Some(m.as_ref().map(|m| m.end));
            if let Some(m) = m {
                self.count += 1;
                return Ok(Some(m));
            }
        }
    }

    /// Appends the rest of the subject.
    pub fn finish(&self, src: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(&src[self.pos.min(src.len())..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIG: u64 = 10_000_000;

    fn find(src: &str, pat: &str) -> Res<Option<(usize, usize)>> {
        let mut steps = BIG;
        Ok(search(src.as_bytes(), pat.as_bytes(), 0, &mut steps)?.map(|m| (m.start + 1, m.end)))
    }

    fn caps(src: &str, pat: &str) -> Vec<String> {
        let mut steps = BIG;
        let m = search(src.as_bytes(), pat.as_bytes(), 0, &mut steps)
            .unwrap()
            .unwrap();
        m.captures(src.as_bytes())
            .unwrap()
            .into_iter()
            .map(|c| match c {
                CaptureValue::Text(t) => String::from_utf8_lossy(t).into_owned(),
                CaptureValue::Position(p) => format!("@{p}"),
            })
            .collect()
    }

    fn gsub(src: &str, pat: &str, repl: &str) -> (String, i64) {
        let mut g = Gsub::new(pat.as_bytes(), i64::MAX);
        let mut out = Vec::new();
        let mut steps = BIG;
        while let Some(_m) = g
            .next_match(src.as_bytes(), pat.as_bytes(), &mut out, &mut steps)
            .unwrap()
        {
            out.extend_from_slice(repl.as_bytes());
        }
        g.finish(src.as_bytes(), &mut out);
        (String::from_utf8(out).unwrap(), g.count())
    }

    #[test]
    fn classes_sets_and_quantifiers() {
        assert_eq!(find("hello world", "o w").unwrap(), Some((5, 7)));
        assert_eq!(find("abc123", "%d+").unwrap(), Some((4, 6)));
        assert_eq!(find("abc123", "%D+").unwrap(), Some((1, 3)));
        assert_eq!(find("  x", "%S").unwrap(), Some((3, 3)));
        assert_eq!(find("x-y", "[%-]").unwrap(), Some((2, 2)));
        assert_eq!(find("abcz", "[^a-c]").unwrap(), Some((4, 4)));
        assert_eq!(find("aaa", "a-").unwrap(), Some((1, 0)));
        assert_eq!(find("aaab", "a-b").unwrap(), Some((1, 4)));
        assert_eq!(find("ab", "ax?b").unwrap(), Some((1, 2)));
        assert_eq!(find("xab", "^ab").unwrap(), None);
        assert_eq!(find("ab", "b$").unwrap(), Some((2, 2)));
        assert_eq!(find("a$b", "$b").unwrap(), Some((2, 3)));
        assert_eq!(find("a\0b", "%z").unwrap(), Some((2, 2)));
    }

    #[test]
    fn captures_balance_and_frontier() {
        assert_eq!(caps("key=val", "(%w+)=(%w+)"), ["key", "val"]);
        assert_eq!(caps("abc", "()b()"), ["@2", "@3"]);
        assert_eq!(caps("x(a(b)c)y", "%b()"), ["(a(b)c)"]);
        assert_eq!(caps("THE (quick) fox", "%f[%a]%a+"), ["THE"]);
        assert_eq!(caps("hello hello", "(h%a+) %1"), ["hello"]);
        assert_eq!(find("abc", "%f[%z]").unwrap(), Some((4, 3)));
    }

    #[test]
    fn errors_have_lua_texts() {
        assert_eq!(
            find("a", "%"),
            Err(PatternError::Lua("malformed pattern (ends with '%')"))
        );
        assert_eq!(
            find("a", "[a"),
            Err(PatternError::Lua("malformed pattern (missing ']')"))
        );
        assert_eq!(
            find("a", "%b"),
            Err(PatternError::Lua("unbalanced pattern"))
        );
        assert_eq!(
            find("a", "%fa"),
            Err(PatternError::Lua("missing '[' after '%f' in pattern"))
        );
        assert_eq!(
            find("a", "%1"),
            Err(PatternError::Lua("invalid capture index"))
        );
        assert_eq!(
            find("a", "a)"),
            Err(PatternError::Lua("invalid pattern capture"))
        );
        let many = "()".repeat(33);
        assert_eq!(
            find("a", &many),
            Err(PatternError::Lua("too many captures"))
        );
        let mut steps = BIG;
        let m = search(b"a", b"(a", 0, &mut steps).unwrap().unwrap();
        assert_eq!(
            m.captures(b"a"),
            Err(PatternError::Lua("unfinished capture"))
        );
    }

    #[test]
    fn gsub_and_gmatch_loops() {
        assert_eq!(
            gsub("hello world", "o", "0"),
            ("hell0 w0rld".to_string(), 2)
        );
        assert_eq!(gsub("abc", "", "-"), ("-a-b-c-".to_string(), 4));
        assert_eq!(gsub("aaa", "^a", "b"), ("baa".to_string(), 1));
        let mut g = Gmatch::default();
        let mut steps = BIG;
        let mut found = Vec::new();
        while let Some(m) = g.next_match(b"abc", b"a*", &mut steps).unwrap() {
            found.push((m.start, m.end));
        }
        assert_eq!(found, [(0, 1), (1, 1), (2, 2), (3, 3)]);
    }

    #[test]
    fn runaway_patterns_are_stopped() {
        let pat = format!("{}{}", "a?".repeat(30), "a".repeat(30));
        let src = "a".repeat(30);
        let mut steps = 1_000_000;
        assert_eq!(
            search(src.as_bytes(), pat.as_bytes(), 0, &mut steps).map(|m| m.is_some()),
            Err(PatternError::OutOfSteps)
        );
        let deep = "a?".repeat(5000);
        let src = "a".repeat(5000);
        let mut steps = BIG;
        assert_eq!(
            search(src.as_bytes(), deep.as_bytes(), 0, &mut steps).map(|m| m.is_some()),
            Err(PatternError::Lua("pattern too complex"))
        );
    }

    /// Random patterns over a small alphabet of pattern characters never panic and end
    /// within their budget.
    #[test]
    fn random_patterns_never_panic() {
        let alphabet: &[u8] = b"a b%()[]^$*+-?.zfd1 0\0";
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let plen = (next() % 12) as usize;
            let slen = (next() % 12) as usize;
            let pat: Vec<u8> = (0..plen)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let src: Vec<u8> = (0..slen)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let init = (next() % (slen as u64 + 1)) as usize;
            let mut steps = 100_000;
            if let Ok(Some(m)) = search(&src, &pat, init, &mut steps) {
                let _ = m.captures(&src);
                assert!(m.start <= m.end && m.end <= src.len());
            }
            let mut g = Gsub::new(&pat, 100);
            let mut out = Vec::new();
            let mut steps = 100_000;
            while let Ok(Some(m)) = g.next_match(&src, &pat, &mut out, &mut steps) {
                let _ = m.capture(&src, 1);
            }
            let mut gm = Gmatch::default();
            let mut steps = 100_000;
            let mut n = 0;
            while let Ok(Some(_)) = gm.next_match(&src, &pat, &mut steps) {
                n += 1;
                assert!(n <= src.len() + 1);
            }
        }
    }
}
