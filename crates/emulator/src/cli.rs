//! What `redis-cli` does on a terminal: split a typed line into arguments (its
//! `sdssplitargs` rules), render replies the way its TTY mode prints them, and offer
//! completion and argument hints from the command table. The page's console is built on
//! this; the golden tests compare it with a recording of the real redis-cli.

use crate::reply::Reply;
use crate::table::{self, CommandSpec};

/// Splits a line like redis-cli: whitespace separates arguments, `"..."` supports
/// `\n \r \t \b \a \\ \"` and `\xHH`, `'...'` supports `\'`. A closing quote must be
/// followed by whitespace or the end. Returns None for unbalanced quotes (redis-cli then
/// prints `Invalid argument(s)`).
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let is_space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let mut out = Vec::new();
    let mut p = 0;
    loop {
        while p < line.len() && is_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Some(out);
        }
        let mut current = Vec::new();
        let (mut in_dq, mut in_sq) = (false, false);
        loop {
            let c = line.get(p).copied();
            if in_dq {
                match c {
                    None => return None,
                    Some(b'\\')
                        if line.get(p + 1) == Some(&b'x')
                            && line.get(p + 2).is_some_and(|h| h.is_ascii_hexdigit())
                            && line.get(p + 3).is_some_and(|h| h.is_ascii_hexdigit()) =>
                    {
                        let hex = std::str::from_utf8(&line[p + 2..p + 4]).ok()?;
                        current.push(u8::from_str_radix(hex, 16).ok()?);
                        p += 3;
                    }
                    Some(b'\\') if p + 1 < line.len() => {
                        p += 1;
                        current.push(match line[p] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 0x08,
                            b'a' => 0x07,
                            other => other,
                        });
                    }
                    Some(b'"') => {
                        if line.get(p + 1).is_some_and(|n| !is_space(*n)) {
                            return None;
                        }
                        p += 1;
                        break;
                    }
                    Some(other) => current.push(other),
                }
            } else if in_sq {
                match c {
                    None => return None,
                    Some(b'\\') if line.get(p + 1) == Some(&b'\'') => {
                        p += 1;
                        current.push(b'\'');
                    }
                    Some(b'\'') => {
                        if line.get(p + 1).is_some_and(|n| !is_space(*n)) {
                            return None;
                        }
                        p += 1;
                        break;
                    }
                    Some(other) => current.push(other),
                }
            } else {
                match c {
                    None => break,
                    Some(c) if is_space(c) => break,
                    Some(b'"') => in_dq = true,
                    Some(b'\'') => in_sq = true,
                    Some(other) => current.push(other),
                }
            }
            p += 1;
        }
        out.push(current);
    }
}

/// What redis-cli prints for a repeat prefix it refuses (`0 PING`, `"" PING`).
pub const INVALID_REPEAT: &str = "Invalid redis-cli repeat command option value.";

/// redis-cli's repeat prefix: when a line has two or more arguments and the first one is
/// entirely a number for C's `strtol` (leading spaces and a sign allowed), the rest of the
/// line runs that many times: `3 INCR k`. Returns the count and the command to run
/// (`(1, argv)` when there is no prefix), or `INVALID_REPEAT` for a count that is zero,
/// negative, out of range, or empty (`"" a`: strtol reads nothing and stops at the end).
pub fn strip_repeat(argv: &[Vec<u8>]) -> Result<(u64, &[Vec<u8>]), &'static str> {
    let Some(first) = argv.first() else {
        return Ok((1, argv));
    };
    if argv.len() < 2 {
        return Ok((1, argv));
    }
    let is_space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let body: Vec<u8> = first.iter().copied().skip_while(|c| is_space(c)).collect();
    let (neg, digits) = match body.first() {
        Some(b'-') => (true, &body[1..]),
        Some(b'+') => (false, &body[1..]),
        _ => (false, &body[..]),
    };
    let whole = !digits.is_empty() && digits.iter().all(u8::is_ascii_digit);
    // With no digits strtol stops at the very start: only an empty argument ends there.
    if !(whole || first.is_empty()) {
        return Ok((1, argv));
    }
    let mut n: i64 = 0;
    for d in digits {
        match n
            .checked_mul(10)
            .and_then(|n| n.checked_add((d - b'0') as i64))
        {
            Some(v) => n = v,
            None => return Err(INVALID_REPEAT), // ERANGE
        }
    }
    if neg || n <= 0 {
        return Err(INVALID_REPEAT);
    }
    Ok((n as u64, &argv[1..]))
}

/// redis-cli's `sdscatrepr`: a quoted string with C escapes; bytes outside printable
/// ASCII as `\xHH`.
pub fn quote_bytes(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() + 2);
    s.push('"');
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x07 => s.push_str("\\a"),
            0x08 => s.push_str("\\b"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{:02x}", c)),
        }
    }
    s.push('"');
    s
}

/// Commands whose replies redis-cli prints raw even on a terminal (redis-cli 7.0's list in
/// `issueCommandRepeat`), including some the emulator may not implement yet.
pub fn prints_raw(argv: &[Vec<u8>]) -> bool {
    let is = |i: usize, w: &str| {
        argv.get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(w.as_bytes()))
    };
    let argc = argv.len();
    is(0, "info")
        || is(0, "lolwut")
        || (is(0, "debug")
            && (is(1, "htstats") || is(1, "htstats-key") || is(1, "client-eviction")))
        || (is(0, "memory") && (is(1, "malloc-stats") || is(1, "doctor")))
        || (argc == 2 && is(0, "cluster") && (is(1, "nodes") || is(1, "info")))
        || (is(0, "client") && (is(1, "list") || is(1, "info")))
        || (argc == 3 && is(0, "latency") && is(1, "graph"))
        || (argc == 2 && is(0, "latency") && is(1, "doctor"))
        || (is(0, "proxy") && is(1, "info"))
}

/// What redis-cli prints (when not in raw mode) as soon as it has sent a command that puts
/// it in its pubsub mode; it then prints every frame that arrives until an error reply
/// or Ctrl+C (which closes the connection and connects again).
pub const READING_MESSAGES: &str = "Reading messages... (press Ctrl-C to quit)\n";

/// Whether redis-cli enters its pubsub mode after sending `argv`: SUBSCRIBE, PSUBSCRIBE
/// and SSUBSCRIBE (by name, whatever the arguments; UNSUBSCRIBE does not).
pub fn enters_pubsub_mode(argv: &[Vec<u8>]) -> bool {
    argv.first().is_some_and(|n| {
        [&b"subscribe"[..], b"psubscribe", b"ssubscribe"]
            .iter()
            .any(|w| n.eq_ignore_ascii_case(w))
    })
}

/// Renders a reply exactly as redis-cli's TTY mode prints it, newline included.
pub fn render(reply: &Reply) -> String {
    render_tty(reply, "")
}

/// Renders the reply to `argv` as redis-cli would, including its raw-output exceptions
/// (INFO, CLIENT LIST...).
pub fn render_for(argv: &[Vec<u8>], reply: &Reply) -> String {
    if prints_raw(argv) {
        render_raw(reply)
    } else {
        render(reply)
    }
}

/// redis-cli's `cliFormatReplyRaw` for the few commands it prints raw on a terminal.
fn render_raw(reply: &Reply) -> String {
    match reply {
        Reply::Bulk(b) | Reply::Verbatim(_, b) => String::from_utf8_lossy(b).into_owned(),
        Reply::Status(s) => s.clone(),
        Reply::Error(e) => format!("{}\n", e),
        other => render(other),
    }
}

fn render_tty(reply: &Reply, prefix: &str) -> String {
    match reply {
        Reply::Error(e) => format!("(error) {}\n", e),
        Reply::Status(s) => format!("{}\n", s),
        Reply::Integer(n) => format!("(integer) {}\n", n),
        Reply::Double(d) => format!("(double) {}\n", crate::fmt::fmt_double_resp3(*d)),
        Reply::Bulk(b) => format!("{}\n", quote_bytes(b)),
        Reply::Verbatim(_, b) => format!("{}\n", String::from_utf8_lossy(b)),
        Reply::BigNumber(n) => format!("(big number) {}\n", n),
        Reply::Nil | Reply::NilArray => "(nil)\n".to_string(),
        Reply::Bool(b) => if *b { "(true)\n" } else { "(false)\n" }.to_string(),
        Reply::NoReply => String::new(),
        Reply::Shared(r) => render_tty(r, prefix),
        Reply::Array(items) => {
            render_aggregate(items.iter().collect(), ')', "(empty array)", prefix, false)
        }
        Reply::Set(items) => {
            render_aggregate(items.iter().collect(), '~', "(empty set)", prefix, false)
        }
        Reply::Push(items) => {
            render_aggregate(items.iter().collect(), ')', "(empty push)", prefix, false)
        }
        Reply::Map(pairs) => {
            let flat: Vec<&Reply> = pairs.iter().flat_map(|(k, v)| [k, v]).collect();
            render_aggregate(flat, '#', "(empty hash)", prefix, true)
        }
    }
}

/// Arrays, sets, pushes and maps: `1) ...` with the index width of the largest index,
/// nested items indented by that width plus two, maps as `1# key => value`.
fn render_aggregate(items: Vec<&Reply>, sep: char, empty: &str, prefix: &str, map: bool) -> String {
    if items.is_empty() {
        return format!("{}\n", empty);
    }
    let count = if map { items.len() / 2 } else { items.len() };
    let width = count.to_string().len();
    let child_prefix = format!("{}{}", prefix, " ".repeat(width + 2));
    let mut out = String::new();
    let mut i = 0;
    while i < items.len() {
        let human = if map { i / 2 } else { i } + 1;
        let lead = if i == 0 { "" } else { prefix };
        out.push_str(&format!("{}{:>width$}{} ", lead, human, sep, width = width));
        out.push_str(&render_tty(items[i], &child_prefix));
        if map {
            i += 1;
            out.pop(); // the key's newline
            out.push_str(" => ");
            if let Some(v) = items.get(i) {
                // redis-cli starts a value of several lines on a line of its own.
                if is_multiline(v) {
                    out.push('\n');
                    out.push_str(&child_prefix);
                }
                out.push_str(&render_tty(v, &child_prefix));
            }
        }
        i += 1;
    }
    out
}

/// redis-cli's `cliIsMultilineValueTTY`: whether a reply renders on more than one line.
fn is_multiline(reply: &Reply) -> bool {
    match reply {
        Reply::Array(items) | Reply::Set(items) | Reply::Push(items) => match items.len() {
            0 => false,
            1 => is_multiline(&items[0]),
            _ => true,
        },
        Reply::Map(pairs) => match pairs.len() {
            0 => false,
            1 => is_multiline(&pairs[0].1),
            _ => true,
        },
        _ => false,
    }
}

/// The prompt redis-cli shows: `127.0.0.1:6379>`, or `127.0.0.1:6379[2]>` after SELECT 2.
pub fn prompt(host_port: &str, db: usize) -> String {
    if db == 0 {
        format!("{}> ", host_port)
    } else {
        format!("{}[{}]> ", host_port, db)
    }
}

/// Command names starting with `prefix` (case-insensitively), in the case style the
/// user typed (lower if the prefix is all lower case, else upper), sorted.
pub fn complete(prefix: &str) -> Vec<String> {
    let lower = prefix.to_ascii_lowercase();
    let upper_style = prefix.chars().any(|c| c.is_ascii_uppercase());
    let mut out: Vec<String> = table::all()
        .iter()
        .filter(|c| c.name.starts_with(&lower))
        .map(|c| {
            if upper_style {
                c.name.to_ascii_uppercase()
            } else {
                c.name.to_string()
            }
        })
        .collect();
    out.sort();
    out
}

/// The spec a typed line refers to (descending into a known subcommand).
pub fn spec_for(args: &[Vec<u8>]) -> Option<(&'static CommandSpec, usize)> {
    let top = table::lookup(args.first()?)?;
    if !top.subcommands.is_empty() {
        if let Some(sub) = args.get(1).and_then(|a| top.find_subcommand(a)) {
            return Some((sub, 2));
        }
    }
    Some((top, 1))
}

/// The grey hint redis-cli shows after the cursor: the syntax of the arguments not typed
/// yet. After a trailing space it starts at once (`GET ` -> `key`); right after a word it
/// starts with a space (`GET` -> ` key`).
pub fn hint(line: &str) -> Option<String> {
    if line.is_empty() || line.ends_with(char::is_whitespace) {
        return remaining_syntax(line);
    }
    let h = remaining_syntax(line).or_else(|| remaining_syntax(&format!("{line} ")))?;
    Some(format!(" {h}"))
}

/// The syntax words not typed yet; `line` ends with a space when the user is about to
/// type the next argument.
fn remaining_syntax(line: &str) -> Option<String> {
    let args = split_args(line.as_bytes())?;
    let (spec, consumed) = spec_for(&args)?;
    if !line.ends_with(' ') && args.len() <= consumed {
        return None;
    }
    let typed = args.len().saturating_sub(consumed);
    let words = split_syntax(spec.syntax);
    if spec.syntax.is_empty() && !spec.subcommands.is_empty() && typed == 0 {
        let subs: Vec<String> = spec
            .subcommands
            .iter()
            .map(|s| s.name.to_ascii_uppercase())
            .collect();
        return Some(subs.join("|"));
    }
    let rest: Vec<&str> = words.iter().skip(typed).map(|s| s.as_str()).collect();
    if rest.is_empty() {
        None
    } else {
        Some(rest.join(" "))
    }
}

/// Splits a syntax string into words, keeping bracketed groups whole
/// (`key [EX seconds|PX ms]` -> `key`, `[EX seconds|PX ms]`).
fn split_syntax(syntax: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in syntax.chars() {
        match c {
            '[' | '(' => {
                depth += 1;
                cur.push(c);
            }
            ']' | ')' => {
                depth -= 1;
                cur.push(c);
            }
            ' ' if depth == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The text `HELP <command>` prints in redis-cli (without its colours): a blank line,
/// usage, summary, since, group, and a blank line.
pub fn help_text(name: &str) -> Option<String> {
    let args = split_args(name.as_bytes())?;
    if let Some(group) = args.first().and_then(|a| a.strip_prefix(b"@")) {
        return group_help_text(group);
    }
    let (spec, _) = spec_for(&args)?;
    let full = if args.len() > 1 && spec.name != table::lookup(&args[0])?.name {
        format!(
            "{} {}",
            String::from_utf8_lossy(&args[0]).to_ascii_uppercase(),
            spec.name.to_ascii_uppercase()
        )
    } else {
        spec.name.to_ascii_uppercase()
    };
    let entry = |full: &str, spec: &CommandSpec| {
        format!(
            "\n  {} {}\n  summary: {}\n  since: {}\n  group: {}\n",
            full, spec.syntax, spec.summary, spec.since, spec.group
        )
    };
    let mut out = entry(&full, spec);
    // A container named alone: redis-cli lists its subcommands after it, by name.
    if args.len() == 1 {
        let mut subs: Vec<&CommandSpec> = spec.subcommands.iter().collect();
        subs.sort_by_key(|s| s.name);
        for sub in subs {
            out.push_str(&entry(
                &format!("{} {}", full, sub.name.to_ascii_uppercase()),
                sub,
            ));
        }
    }
    out.push('\n');
    Some(out)
}

/// `HELP @<group>`: every command and subcommand of the group sorted by full name, each
/// as usage, summary and since, then a blank line. None if the group has no command.
fn group_help_text(group: &[u8]) -> Option<String> {
    let mut entries: Vec<(String, &CommandSpec)> = Vec::new();
    for c in table::all() {
        let name = c.name.to_ascii_uppercase();
        if c.group.as_bytes().eq_ignore_ascii_case(group) {
            entries.push((name.clone(), c));
        }
        for sub in c
            .subcommands
            .iter()
            .filter(|s| s.group.as_bytes().eq_ignore_ascii_case(group))
        {
            entries.push((format!("{} {}", name, sub.name.to_ascii_uppercase()), sub));
        }
    }
    if entries.is_empty() {
        return None;
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    for (full, spec) in entries {
        out.push_str(&format!(
            "\n  {} {}\n  summary: {}\n  since: {}\n",
            full, spec.syntax, spec.summary, spec.since
        ));
    }
    out.push('\n');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(line: &str) -> Option<Vec<String>> {
        split_args(line.as_bytes()).map(|v| {
            v.into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect()
        })
    }

    #[test]
    fn splits_like_sdssplitargs() {
        assert_eq!(
            s("SET a b"),
            Some(vec!["SET".into(), "a".into(), "b".into()])
        );
        assert_eq!(
            s(r#"SET k "hello world""#),
            Some(vec!["SET".into(), "k".into(), "hello world".into()])
        );
        assert_eq!(s(r#"SET k "a\nb""#).unwrap()[2], "a\nb");
        assert_eq!(s(r#"SET k "\x41\x42""#).unwrap()[2], "AB");
        assert_eq!(s(r#"SET k 'it\'s'"#).unwrap()[2], "it's");
        assert_eq!(s(r#"SET k "unbalanced"#), None);
        assert_eq!(s(r#"SET k "a"b"#), None);
        assert_eq!(s(r#"SET k foo"bar baz""#).unwrap()[2], "foobar baz");
        assert_eq!(s("   "), Some(vec![]));
        assert_eq!(s(r#"SET k """#).unwrap()[2], "");
    }

    #[test]
    fn repeat_prefix_like_redis_cli() {
        let v = |line: &str| split_args(line.as_bytes()).unwrap();
        assert_eq!(strip_repeat(&v("3 INCR k")), Ok((3, &v("INCR k")[..])));
        assert_eq!(strip_repeat(&v("+2 PING")), Ok((2, &v("PING")[..])));
        assert_eq!(strip_repeat(&v("3")), Ok((1, &v("3")[..])));
        assert_eq!(strip_repeat(&v("3x PING")), Ok((1, &v("3x PING")[..])));
        assert_eq!(strip_repeat(&v("+ PING")), Ok((1, &v("+ PING")[..])));
        for bad in [
            "0 PING",
            "-1 PING",
            "\"\" PING",
            "99999999999999999999 PING",
        ] {
            assert_eq!(strip_repeat(&v(bad)), Err(INVALID_REPEAT), "{bad}");
        }
    }

    #[test]
    fn renders_like_redis_cli() {
        assert_eq!(render(&Reply::Integer(1)), "(integer) 1\n");
        assert_eq!(render(&Reply::Nil), "(nil)\n");
        assert_eq!(render(&Reply::Array(vec![])), "(empty array)\n");
        assert_eq!(render(&Reply::bulk_str("a\"b")), "\"a\\\"b\"\n");
        let nested = Reply::Array(vec![
            Reply::bulk_str("a"),
            Reply::Array(vec![Reply::Integer(1), Reply::Integer(2)]),
        ]);
        assert_eq!(
            render(&nested),
            "1) \"a\"\n2) 1) (integer) 1\n   2) (integer) 2\n"
        );
        let map = Reply::Map(vec![(Reply::bulk_str("k"), Reply::bulk_str("v"))]);
        assert_eq!(render(&map), "1# \"k\" => \"v\"\n");
        assert_eq!(quote_bytes(&[0xe4, 0x01]), "\"\\xe4\\x01\"");
    }

    #[test]
    fn pubsub_mode_commands() {
        let v = |line: &str| split_args(line.as_bytes()).unwrap();
        assert!(enters_pubsub_mode(&v("subscribe ch")));
        assert!(enters_pubsub_mode(&v("PSUBSCRIBE")));
        assert!(enters_pubsub_mode(&v("SSubscribe a b")));
        assert!(!enters_pubsub_mode(&v("UNSUBSCRIBE")));
        assert!(!enters_pubsub_mode(&[]));
        let message = Reply::Push(vec![
            Reply::bulk_str("message"),
            Reply::bulk_str("ch"),
            Reply::bulk_str("hi"),
        ]);
        assert_eq!(render(&message), "1) \"message\"\n2) \"ch\"\n3) \"hi\"\n");
    }

    #[test]
    fn hints_and_completion() {
        assert_eq!(hint("GET "), Some("key".into()));
        assert_eq!(hint("SET k "), Some("value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]".into()));
        assert_eq!(hint("GET"), Some(" key".into()));
        assert_eq!(hint("GE"), None);
        assert!(complete("ge").contains(&"get".to_string()));
        assert!(complete("GE").contains(&"GET".to_string()));
    }
}
