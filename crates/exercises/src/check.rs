//! Goal checks: what a step asks the learner to reach, and how the page tells.
//!
//! A check is one line of a `check` block (grammar in `docs/exercises.md`). Checks are
//! evaluated against a [`World`]: the page and the native runner each give one, so the
//! same exercise file is checked the same way in the browser and in tests. Checks about
//! the keyspace run read-only commands invisibly (`Engine::inspect`); checks about what
//! happened ("ran", "output") only look at what happened since the step began.

use redis_emulator::{cli, glob, Reply};
use redis_programs::ProgramState;

/// One goal check.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// A read-only command's reply compared with a value.
    Reply {
        argv: Vec<Vec<u8>>,
        selectors: Vec<Selector>,
        op: Op,
        value: String,
    },
    /// The learner ran a command whose line matches this glob (case-insensitive).
    Ran { pattern: String },
    /// A console tab (or any, `None`) printed this text.
    Output { tab: Option<usize>, text: String },
    /// A program is in a state.
    Program { name: String, state: StateWanted },
    /// A program's log has a line containing the text (`absent`: no line has it, and
    /// the program has run).
    Log {
        name: String,
        text: String,
        absent: bool,
    },
    /// An HTTP response received in the step (its status line and body) contains the
    /// text.
    Response { text: String },
    /// An HTTP response received in the step has a status that compares so
    /// (`response status == 201`).
    ResponseStatus { op: Op, value: String },
}

impl Check {
    /// The program a check is about, if any.
    pub fn program(&self) -> Option<&str> {
        match self {
            Check::Program { name, .. } | Check::Log { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// A part of an array reply.
#[derive(Clone, Debug, PartialEq)]
pub enum Selector {
    /// 1-based; negative from the end.
    Index(i64),
    /// The value after this field name in a field-value array.
    Field(String),
    /// The number of elements (or a string's length).
    Len,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Glob,
    Contains,
    NotContains,
}

const OPS: &[(&str, Op)] = &[
    ("==", Op::Eq),
    ("!=", Op::Ne),
    ("<", Op::Lt),
    ("<=", Op::Le),
    (">", Op::Gt),
    (">=", Op::Ge),
    ("~", Op::Glob),
    ("contains", Op::Contains),
    ("!contains", Op::NotContains),
];

/// The program states a check can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateWanted {
    Running,
    Blocked,
    Sleeping,
    Listening,
    /// Its main chunk ended after `app.listen`: it answers HTTP requests.
    Serving,
    /// Its main chunk ended and it waits for events (timers, a job queue).
    Waiting,
    Paused,
    Finished,
    Stopped,
    Crashed,
    Killed,
    Ended,
}

const STATES: &[(&str, StateWanted)] = &[
    ("running", StateWanted::Running),
    ("blocked", StateWanted::Blocked),
    ("sleeping", StateWanted::Sleeping),
    ("listening", StateWanted::Listening),
    ("serving", StateWanted::Serving),
    ("waiting", StateWanted::Waiting),
    ("paused", StateWanted::Paused),
    ("finished", StateWanted::Finished),
    ("stopped", StateWanted::Stopped),
    ("crashed", StateWanted::Crashed),
    ("killed", StateWanted::Killed),
    ("ended", StateWanted::Ended),
];

impl StateWanted {
    pub fn matches(self, state: &ProgramState) -> bool {
        use ProgramState as S;
        match self {
            StateWanted::Running => matches!(
                state,
                S::Ready
                    | S::Sleeping { .. }
                    | S::Blocked { .. }
                    | S::Listening { .. }
                    | S::Serving { .. }
                    | S::Waiting
            ),
            StateWanted::Blocked => matches!(state, S::Blocked { .. }),
            StateWanted::Sleeping => matches!(state, S::Sleeping { .. }),
            StateWanted::Listening => matches!(state, S::Listening { .. }),
            StateWanted::Serving => matches!(state, S::Serving { .. }),
            StateWanted::Waiting => matches!(state, S::Waiting),
            StateWanted::Paused => matches!(state, S::Paused),
            StateWanted::Finished => matches!(state, S::Finished),
            StateWanted::Stopped => matches!(state, S::Interrupted),
            StateWanted::Crashed => matches!(state, S::Crashed { .. }),
            StateWanted::Killed => matches!(state, S::Killed),
            StateWanted::Ended => !state.is_live(),
        }
    }
}

/// Reads one check line. The error is a sentence for the exercise's author.
pub fn parse_check(line: &str) -> Result<Check, String> {
    let words = cli::split_args(line.as_bytes())
        .ok_or_else(|| "unbalanced quotes in this check".to_string())?;
    let words: Vec<String> = words
        .into_iter()
        .map(|w| String::from_utf8_lossy(&w).into_owned())
        .collect();
    let first = words.first().map(|w| w.to_ascii_lowercase());
    match first.as_deref() {
        None => Err("an empty check".into()),
        Some("ran") => {
            let pattern = rest_after_words(line, 1);
            if pattern.is_empty() {
                return Err("`ran` needs a pattern: ran XADD orders *".into());
            }
            Ok(Check::Ran { pattern })
        }
        Some("output") => {
            let (tab, skip) = match words.get(1).and_then(|w| w.parse::<usize>().ok()) {
                Some(n) if (1..=9).contains(&n) => (Some(n), 2),
                Some(_) => return Err("`output N contains`: N is a tab from 1 to 9".into()),
                None => (None, 1),
            };
            if words.get(skip).map(|w| w.as_str()) != Some("contains") || words.len() <= skip + 1 {
                return Err("write `output contains TEXT` or `output 2 contains TEXT`".into());
            }
            Ok(Check::Output {
                tab,
                text: value_text(line, skip + 1, &words),
            })
        }
        Some("program") => {
            if words.len() != 4 || words[2] != "is" {
                return Err("write `program NAME is STATE`".into());
            }
            let state = STATES
                .iter()
                .find(|(name, _)| *name == words[3])
                .map(|(_, s)| *s)
                .ok_or_else(|| {
                    format!(
                        "`{}` is not a program state: use {}",
                        words[3],
                        STATES
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
            Ok(Check::Program {
                name: words[1].clone(),
                state,
            })
        }
        Some("log") => {
            if words.len() < 4 || (words[2] != "contains" && words[2] != "!contains") {
                return Err("write `log NAME contains TEXT` or `log NAME !contains TEXT`".into());
            }
            Ok(Check::Log {
                name: words[1].clone(),
                text: value_text(line, 3, &words),
                absent: words[2] == "!contains",
            })
        }
        Some("response") => match words.get(1).map(String::as_str) {
            Some("contains") if words.len() > 2 => Ok(Check::Response {
                text: value_text(line, 2, &words),
            }),
            Some("status") if words.len() == 4 => {
                let op = OPS
                    .iter()
                    .find(|(name, _)| *name == words[2])
                    .map(|(_, op)| *op)
                    .ok_or_else(|| format!("`{}` is not a comparison", words[2]))?;
                Ok(Check::ResponseStatus {
                    op,
                    value: words[3].clone(),
                })
            }
            _ => Err("write `response contains TEXT` or `response status == 201`".into()),
        },
        Some(_) => parse_reply_check(line, &words),
    }
}

fn parse_reply_check(line: &str, words: &[String]) -> Result<Check, String> {
    if words.first().is_some_and(|w| looks_like_op(w)) {
        return Err("a comparison needs a command before it".into());
    }
    // The comparison is the first word that is an operator (after the command's name);
    // what follows it is the value.
    let Some(op_at) = words
        .iter()
        .enumerate()
        .skip(1)
        .position(|(_, w)| looks_like_op(w))
        .map(|p| p + 1)
    else {
        return Err(format!(
            "`{line}`: no comparison found: write COMMAND ARGS OP VALUE, e.g. `XLEN orders >= 3`"
        ));
    };
    let op = OPS
        .iter()
        .find(|(name, _)| *name == words[op_at])
        .map(|(_, op)| *op)
        .ok_or_else(|| {
            format!(
                "`{}` is not a comparison: use ==, !=, <, <=, >, >=, ~, contains or !contains",
                words[op_at]
            )
        })?;
    if op_at + 1 >= words.len() {
        return Err(format!("`{}` needs a value after it", words[op_at]));
    }
    let mut argv = Vec::new();
    let mut selectors = Vec::new();
    for word in &words[..op_at] {
        if let Some(sel) = word.strip_prefix('@').filter(|_| !argv.is_empty()) {
            selectors.push(parse_selector(sel)?);
        } else if !selectors.is_empty() {
            return Err(format!(
                "`{word}`: selectors (@1, @name, @len) come after all the command's arguments"
            ));
        } else {
            argv.push(word.as_bytes().to_vec());
        }
    }
    if argv.is_empty() {
        return Err("a comparison needs a command before it".into());
    }
    Ok(Check::Reply {
        argv,
        selectors,
        op,
        value: value_text(line, op_at + 1, words),
    })
}

/// Operators and what authors may mistype for one (`===`, `=`, `=>`).
fn looks_like_op(word: &str) -> bool {
    OPS.iter().any(|(name, _)| *name == word)
        || (!word.is_empty() && word.chars().all(|c| matches!(c, '=' | '<' | '>' | '!')))
}

fn parse_selector(sel: &str) -> Result<Selector, String> {
    if sel == "len" {
        return Ok(Selector::Len);
    }
    if let Ok(n) = sel.parse::<i64>() {
        if n == 0 {
            return Err("`@0`: elements count from 1 (`@1` is the first, `@-1` the last)".into());
        }
        return Ok(Selector::Index(n));
    }
    if sel.is_empty() {
        return Err("`@` needs a number, a field name or `len`".into());
    }
    Ok(Selector::Field(sel.to_string()))
}

/// The value: the words from `from` on. A single quoted word keeps its quotes' content
/// exactly; several words are the line's own text from the first of them (so spacing
/// inside survives).
fn value_text(line: &str, from: usize, words: &[String]) -> String {
    if words.len() == from + 1 {
        return words[from].clone();
    }
    rest_after_words(line, from)
}

/// The raw text of `line` after its first `n` whitespace-separated words.
fn rest_after_words(line: &str, n: usize) -> String {
    let mut rest = line.trim_start();
    for _ in 0..n {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    rest.trim_end().to_string()
}

/// What checks look at. The page and the native runner each implement it.
pub trait World {
    /// Runs a read-only command in database 0, invisibly.
    fn inspect(&mut self, argv: &[Vec<u8>]) -> Reply;
    /// The state of the program with this name, if it was started.
    fn program_state(&self, name: &str) -> Option<ProgramState>;
    /// The program's log lines.
    fn program_log(&self, name: &str) -> Vec<String>;
    /// The command lines typed in the step so far, with their tab (1-based).
    fn typed(&self) -> Vec<(usize, String)>;
    /// What console tabs printed in the step so far, with their tab.
    fn output(&self) -> Vec<(usize, String)>;
    /// The HTTP responses received in the step so far: the status code, and the status
    /// line and body (`HTTP/1.1 201 Created\n{"id":"1-0"}`).
    fn responses(&self) -> Vec<(u16, String)>;
}

/// Whether a check holds.
pub fn holds(check: &Check, world: &mut dyn World) -> bool {
    match check {
        Check::Reply {
            argv,
            selectors,
            op,
            value,
        } => {
            let reply = world.inspect(argv);
            match select(&reply, selectors) {
                Some(part) => compare(&reply_text(&part), *op, value),
                None => false,
            }
        }
        Check::Ran { pattern } => world.typed().iter().any(|(_, line)| {
            glob::glob_match(pattern.as_bytes(), normalize_spaces(line).as_bytes(), true)
        }),
        Check::Output { tab, text } => world
            .output()
            .iter()
            .any(|(t, out)| tab.is_none_or(|want| want == *t) && out.contains(text.as_str())),
        Check::Program { name, state } => {
            world.program_state(name).is_some_and(|s| state.matches(&s))
        }
        Check::Log { name, text, absent } => {
            let log = world.program_log(name);
            let found = log.iter().any(|l| l.contains(text.as_str()));
            if *absent {
                world.program_state(name).is_some() && !found
            } else {
                found
            }
        }
        Check::Response { text } => world
            .responses()
            .iter()
            .any(|(_, r)| r.contains(text.as_str())),
        Check::ResponseStatus { op, value } => world
            .responses()
            .iter()
            .any(|(status, _)| compare(&status.to_string(), *op, value)),
    }
}

fn normalize_spaces(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Applies selectors; `None` when the reply has no such part.
fn select(reply: &Reply, selectors: &[Selector]) -> Option<Reply> {
    let mut current = reply.clone();
    for selector in selectors {
        let items = items_of(&current);
        current = match selector {
            Selector::Len => match (&current, items) {
                (_, Some(items)) => Reply::Integer(items.len() as i64),
                (Reply::Bulk(b), None) => Reply::Integer(b.len() as i64),
                (Reply::Status(s), None) => Reply::Integer(s.len() as i64),
                _ => return None,
            },
            Selector::Index(n) => {
                let items = items?;
                let index = if *n > 0 {
                    usize::try_from(n - 1).ok()?
                } else {
                    items
                        .len()
                        .checked_sub(usize::try_from(n.unsigned_abs()).ok()?)?
                };
                items.get(index)?.clone()
            }
            Selector::Field(name) => {
                let items = items?;
                items
                    .chunks(2)
                    .find(|pair| reply_text(&pair[0]) == *name)
                    .and_then(|pair| pair.get(1).cloned())?
            }
        };
    }
    Some(current)
}

/// The elements of an aggregate reply (a map as field, value, field, value...).
fn items_of(reply: &Reply) -> Option<Vec<Reply>> {
    match reply {
        Reply::Array(items) | Reply::Set(items) | Reply::Push(items) => Some(items.clone()),
        Reply::Map(pairs) => Some(
            pairs
                .iter()
                .flat_map(|(k, v)| [k.clone(), v.clone()])
                .collect(),
        ),
        _ => None,
    }
}

/// A reply as a check compares it: an integer's digits, a string's text, an array as
/// redis-cli prints it.
pub fn reply_text(reply: &Reply) -> String {
    match reply {
        Reply::Status(s) => s.clone(),
        Reply::Error(e) => format!("(error) {e}"),
        Reply::Integer(n) => n.to_string(),
        Reply::Bulk(b) | Reply::Verbatim(_, b) => String::from_utf8_lossy(b).into_owned(),
        Reply::Nil | Reply::NilArray => "(nil)".into(),
        Reply::Bool(b) => (if *b { "1" } else { "0" }).into(),
        Reply::BigNumber(n) => n.clone(),
        other => cli::render(other),
    }
}

fn compare(actual: &str, op: Op, expected: &str) -> bool {
    let numbers = actual
        .trim()
        .parse::<f64>()
        .ok()
        .zip(expected.trim().parse::<f64>().ok());
    let ordering = match numbers {
        Some((a, b)) => a.partial_cmp(&b),
        None => Some(actual.cmp(expected)),
    };
    use std::cmp::Ordering::*;
    match op {
        Op::Eq => ordering == Some(Equal),
        Op::Ne => ordering != Some(Equal),
        Op::Lt => ordering == Some(Less),
        Op::Le => matches!(ordering, Some(Less | Equal)),
        Op::Gt => ordering == Some(Greater),
        Op::Ge => matches!(ordering, Some(Greater | Equal)),
        Op::Glob => glob::glob_match(expected.as_bytes(), actual.as_bytes(), false),
        Op::Contains => actual.contains(expected),
        Op::NotContains => !actual.contains(expected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_checks_read_command_selectors_op_and_value() {
        assert_eq!(
            parse_check("XINFO GROUPS s @1 @pending == 2").unwrap(),
            Check::Reply {
                argv: vec![b"XINFO".to_vec(), b"GROUPS".to_vec(), b"s".to_vec()],
                selectors: vec![Selector::Index(1), Selector::Field("pending".into())],
                op: Op::Eq,
                value: "2".into()
            }
        );
        assert_eq!(
            parse_check("HGET user:1 name == \"Ada Lovelace\"").unwrap(),
            Check::Reply {
                argv: vec![b"HGET".to_vec(), b"user:1".to_vec(), b"name".to_vec()],
                selectors: vec![],
                op: Op::Eq,
                value: "Ada Lovelace".into()
            }
        );
        match parse_check("GET msg contains hello   world").unwrap() {
            Check::Reply { value, op, .. } => {
                assert_eq!(op, Op::Contains);
                assert_eq!(value, "hello   world");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_checks_read_their_words() {
        assert_eq!(
            parse_check("ran XREAD BLOCK *").unwrap(),
            Check::Ran {
                pattern: "XREAD BLOCK *".into()
            }
        );
        assert_eq!(
            parse_check("output 2 contains \"a boolean value\"").unwrap(),
            Check::Output {
                tab: Some(2),
                text: "a boolean value".into()
            }
        );
        assert_eq!(
            parse_check("program worker.lua is blocked").unwrap(),
            Check::Program {
                name: "worker.lua".into(),
                state: StateWanted::Blocked
            }
        );
        assert_eq!(
            parse_check("log worker.lua contains Processing order").unwrap(),
            Check::Log {
                name: "worker.lua".into(),
                text: "Processing order".into(),
                absent: false
            }
        );
    }

    #[test]
    fn mistakes_get_sentences() {
        for (line, wanted) in [
            ("XLEN s", "no comparison found"),
            ("XLEN s => 3", "`=>` is not a comparison"),
            ("XLEN s ==", "needs a value"),
            ("== 3", "needs a command"),
            (
                "XINFO GROUPS @1 s == 2",
                "selectors (@1, @name, @len) come after",
            ),
            ("XRANGE s - + @0 == 2", "count from 1"),
            ("program w.lua is dancing", "not a program state"),
            ("output contains", "write `output contains TEXT`"),
            (
                "log w.lua has x",
                "write `log NAME contains TEXT` or `log NAME !contains TEXT`",
            ),
            ("GET \"k", "unbalanced quotes"),
            ("response has x", "write `response contains TEXT`"),
            (
                "response status 201",
                "write `response contains TEXT` or `response status == 201`",
            ),
            ("response status => 201", "`=>` is not a comparison"),
        ] {
            let error = parse_check(line).unwrap_err();
            assert!(error.contains(wanted), "{line}: {error}");
        }
    }

    #[test]
    fn response_checks_read_their_words() {
        assert_eq!(
            parse_check(r#"response contains "\"success\":true""#).unwrap(),
            Check::Response {
                text: "\"success\":true".into()
            }
        );
        assert_eq!(
            parse_check("response status == 201").unwrap(),
            Check::ResponseStatus {
                op: Op::Eq,
                value: "201".into()
            }
        );
    }

    #[test]
    fn comparisons_are_numeric_when_both_sides_are_numbers() {
        assert!(compare("10", Op::Gt, "9"));
        assert!(!compare("10", Op::Gt, "9x"));
        assert!(compare("1.5", Op::Eq, "1.50"));
        assert!(compare("stream", Op::Eq, "stream"));
        assert!(compare("1700000000000-0", Op::Glob, "17*-0"));
        assert!(compare("(error) ERR no", Op::Contains, "ERR"));
        assert!(compare("abc", Op::NotContains, "x"));
    }

    #[test]
    fn selectors_pick_parts_of_replies() {
        let groups = Reply::Array(vec![Reply::Array(vec![
            Reply::bulk_str("name"),
            Reply::bulk_str("g"),
            Reply::bulk_str("pending"),
            Reply::Integer(2),
        ])]);
        let pick = |sel: Vec<Selector>| select(&groups, &sel).map(|r| reply_text(&r));
        assert_eq!(
            pick(vec![Selector::Index(1), Selector::Field("pending".into())]),
            Some("2".into())
        );
        assert_eq!(
            pick(vec![Selector::Index(-1), Selector::Len]),
            Some("4".into())
        );
        assert_eq!(pick(vec![Selector::Index(2)]), None);
        assert_eq!(pick(vec![Selector::Field("x".into())]), None);
        assert_eq!(pick(vec![Selector::Len]), Some("1".into()));
        assert_eq!(
            select(&Reply::bulk_str("abc"), &[Selector::Len]).map(|r| reply_text(&r)),
            Some("3".into())
        );
    }
}
