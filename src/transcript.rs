//! Exercise transcripts: every built-in exercise, replayed with "Show me" on every step,
//! written as a golden case file of the emulator's tests
//! (`crates/emulator/tests/golden/cases/exercise-<id>.txt`) and recorded from a real
//! redis-server like every other case (`python3 scripts/record-goldens.py exercise-<id>`).
//!
//! Two checks follow from it:
//! - the golden test replays the exercise's command sequence (consoles and programs as
//!   separate clients, virtual time as `@sleep`s on a stopped clock) and compares every
//!   reply with Redis's;
//! - `exercise_final_states_match_recordings` below runs the exercise again as the page
//!   does (programs in virtual time, consoles) and compares its final keyspace, read by
//!   the case's closing commands, with what redis-server answered to them.
//!
//! What is written: the commands as they ran, from the engine's command log. A script is
//! written as the commands it ran (Redis's "effects"), so a random choice inside it
//! (SRANDMEMBER) is replayed as what it chose; MULTI...EXEC as the commands EXEC ran.
//! Commands whose reply is random or about the server (SRANDMEMBER, INFO, CLIENT...) are
//! left out with a comment: they change nothing.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use redis_emulator::cmdlog::CommandRecord;
use redis_emulator::{ClientId, ClientInfo, Protocol};
use redis_exercises::{Action, Exercise};

use crate::app::AppState;
use crate::exercise;

/// Where the exercise case files live, from the root package.
pub const CASES_DIR: &str = "crates/emulator/tests/golden/cases";
pub const RECORDED_DIR: &str = "crates/emulator/tests/golden/recorded";

/// The case's name for an exercise.
pub fn case_name(ex: &Exercise) -> String {
    format!("exercise-{}", ex.id)
}

/// The client that reads the final state (a client of its own: the others may be blocked
/// or subscribed when the exercise ends).
const FINAL_CLIENT: &str = "FINAL";
/// The comment line before the final-state commands.
pub const FINAL_MARK: &str = "# The final state, read by a client of its own.";

/// Commands left out of a transcript: their replies are random or describe the server,
/// and they change no data.
const LEFT_OUT: &[&str] = &[
    "SRANDMEMBER",
    "RANDOMKEY",
    "HRANDFIELD",
    "ZRANDMEMBER",
    "INFO",
    "TIME",
    "CLIENT",
    "MEMORY",
    "OBJECT",
    "DEBUG",
    "MONITOR",
    "SLOWLOG",
    "LATENCY",
    "COMMAND",
    "CONFIG",
    "LASTSAVE",
    "HELLO",
    "ROLE",
    "LOLWUT",
    "MULTI",
    "DISCARD",
];

/// Commands whose reply lists things in hash order, which differs from one redis-server
/// process to the next: the case marks them `@sort` (compared in sorted order).
const UNORDERED: &[&str] = &[
    "KEYS", "SCAN", "SMEMBERS", "SINTER", "SUNION", "SDIFF", "SSCAN", "HGETALL", "HKEYS", "HVALS",
    "HSCAN",
];

const SCRIPT_COMMANDS: &[&str] = &[
    "EVAL",
    "EVALSHA",
    "EVAL_RO",
    "EVALSHA_RO",
    "FCALL",
    "FCALL_RO",
];

/// What a transcript is made of, in order.
pub enum Logged {
    Command(CommandRecord),
    /// A program's connection closed by the learner (Kill, Ctrl+C), at this time (ms).
    Close(ClientId, i64),
}

/// Replays an exercise as the native replay test does, with the command log on.
pub fn run(ex: &Exercise) -> Result<(AppState, Vec<Logged>), String> {
    let mut state = AppState::for_tests();
    state.pg.engine.set_command_log(true);
    let mut logged = Vec::new();
    for (index, step) in ex.steps.iter().enumerate() {
        for action in step.show_me() {
            // The client a Kill or Ctrl+C is about to close.
            let closing = match &action {
                Action::Kill(name) | Action::Stop(name) => state
                    .progs
                    .find(name)
                    .and_then(|i| state.progs.id(i))
                    .and_then(|id| state.progs.programs.client(id)),
                _ => None,
            };
            let closed_at = state.pg.engine.now_ms();
            exercise::perform(&mut state, ex, &action)
                .map_err(|e| format!("{}: step {}: {e}", ex.id, index + 1))?;
            let records = state.pg.engine.take_commands();
            // The kill comes before what the others did after it.
            if let Some(client) = closing {
                logged.push(Logged::Close(client, closed_at));
            }
            logged.extend(records.into_iter().map(Logged::Command));
        }
    }
    Ok((state, logged))
}

/// The case file for an exercise.
pub fn case_text(ex: &Exercise, state: &mut AppState, logged: &[Logged]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Generated from exercises/ ({}): every command the exercise's \"Show me\" sends,\n\
         # consoles and programs as clients, virtual time as @sleep. Do not edit: regenerate with\n\
         # WRITE_EXERCISE_CASES=1 cargo test -p redis-playground --lib transcript\n\
         # then record it: python3 scripts/record-goldens.py {}",
        ex.id,
        case_name(ex)
    );
    let start_ms = crate::app::TEST_CLOCK_START_MS;
    let _ = writeln!(out, "@clock {start_ms}");
    let mut names: BTreeMap<ClientId, String> = BTreeMap::new();
    let mut children: BTreeMap<u64, Vec<&CommandRecord>> = BTreeMap::new();
    for item in logged {
        if let Logged::Command(r) = item {
            if let Some(parent) = r.parent {
                children.entry(parent).or_default().push(r);
            }
        }
    }
    let mut now_ms = start_ms;
    for item in logged {
        let at_ms = match item {
            Logged::Command(r) => r.time_ms(),
            Logged::Close(_, at) => *at,
        };
        if matches!(item, Logged::Command(r) if r.parent.is_some()) {
            continue;
        }
        if at_ms > now_ms {
            let _ = writeln!(out, "@sleep {}", at_ms - now_ms);
            now_ms = at_ms;
        }
        let r = match item {
            Logged::Command(r) => r,
            Logged::Close(client, _) => {
                // Only a client the case knows (one that sent something) can close.
                if let Some(name) = names.get(client) {
                    let _ = writeln!(out, "@close {name}");
                }
                continue;
            }
        };
        let next = names.len();
        let name = names
            .entry(r.client)
            .or_insert_with(|| client_name(next))
            .clone();
        let upper = r.name().to_ascii_uppercase();
        let kids = children.get(&r.seq).map(Vec::as_slice).unwrap_or(&[]);
        if upper == "EXEC" {
            let _ = writeln!(out, "{}", line(&name, &[b"MULTI".to_vec()]));
            for kid in kids {
                write_command(&mut out, &name, kid);
            }
            write_command(&mut out, &name, r);
        } else if SCRIPT_COMMANDS.contains(&upper.as_str()) {
            let _ = writeln!(out, "# {name} ran {upper}; the commands it ran:");
            for kid in kids {
                write_command(&mut out, &name, kid);
            }
        } else {
            write_command(&mut out, &name, r);
        }
    }
    let _ = writeln!(out, "{FINAL_MARK}");
    for command in final_state_commands(state) {
        let _ = writeln!(out, "[{FINAL_CLIENT}] {command}");
    }
    out
}

fn write_command(out: &mut String, name: &str, r: &CommandRecord) {
    let upper = r.name().to_ascii_uppercase();
    if LEFT_OUT.contains(&upper.as_str()) {
        let _ = writeln!(out, "# left out ({name}): {upper}");
        return;
    }
    if UNORDERED.contains(&upper.as_str()) {
        let _ = writeln!(out, "@sort");
    }
    let _ = writeln!(out, "{}", line(name, &r.argv));
}

/// `A`, `B`... `Z`, then `C26`, `C27`...
fn client_name(index: usize) -> String {
    match u8::try_from(index).ok().filter(|&i| i < 26) {
        Some(i) => ((b'A' + i) as char).to_string(),
        None => format!("C{index}"),
    }
}

/// One case line: `[B] XADD s * a 1` (client A has no prefix).
fn line(name: &str, argv: &[Vec<u8>]) -> String {
    let words: Vec<String> = argv.iter().map(|a| word(a)).collect();
    if name == "A" {
        words.join(" ")
    } else {
        format!("[{name}] {}", words.join(" "))
    }
}

/// An argument as redis-cli reads it back: plain when it can be, else quoted.
fn word(arg: &[u8]) -> String {
    let plain = !arg.is_empty()
        && arg
            .iter()
            .all(|&c| c.is_ascii_graphic() && !matches!(c, b'"' | b'\'' | b'\\'));
    if plain {
        String::from_utf8_lossy(arg).into_owned()
    } else {
        redis_emulator::cli::quote_bytes(arg)
    }
}

/// Commands that read the whole keyspace of database 0 in an order both servers agree
/// on: each key's type, TTL and contents (sets through SORT ALPHA, whose order Redis's
/// hash tables don't fix), each stream's groups, consumers and pending entries.
pub fn final_state_commands(state: &mut AppState) -> Vec<String> {
    let engine = &mut state.pg.engine;
    let reader = engine.connect(ClientInfo::default());
    let mut keys: Vec<Vec<u8>> = match engine.execute(reader, &[b"KEYS".to_vec(), b"*".to_vec()]) {
        redis_emulator::Reply::Array(items) => items
            .into_iter()
            .filter_map(|k| match k {
                redis_emulator::Reply::Bulk(b) => Some(b),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    keys.sort();
    let mut lines = vec!["DBSIZE".to_string()];
    for key in keys {
        let k = word(&key);
        let kind = match engine.execute(reader, &[b"TYPE".to_vec(), key.clone()]) {
            redis_emulator::Reply::Status(s) => s,
            _ => continue,
        };
        lines.push(format!("TYPE {k}"));
        lines.push(format!("PTTL {k}"));
        match kind.as_str() {
            "string" => lines.push(format!("GET {k}")),
            "list" => lines.push(format!("LRANGE {k} 0 -1")),
            "set" => lines.push(format!("SORT {k} ALPHA")),
            "zset" => lines.push(format!("ZRANGE {k} 0 -1 WITHSCORES")),
            // A hash with a value over 64 bytes is a hash table in Redis, listed in an
            // order that changes from one process to the next: read it field by field.
            "hash" if is_hashtable(engine, reader, &key) => {
                lines.push(format!("HLEN {k}"));
                for field in hash_fields(engine, reader, &key) {
                    lines.push(format!("HGET {k} {}", word(&field)));
                }
            }
            "hash" => lines.push(format!("HGETALL {k}")),
            "stream" => {
                lines.push(format!("XRANGE {k} - +"));
                lines.push(format!("XINFO GROUPS {k}"));
                for group in stream_groups(engine, reader, &key) {
                    let g = word(&group);
                    lines.push(format!("XINFO CONSUMERS {k} {g}"));
                    lines.push(format!("XPENDING {k} {g} - + 1000"));
                }
            }
            _ => {}
        }
    }
    engine.disconnect(reader);
    lines
}

fn is_hashtable(engine: &mut redis_emulator::Engine, reader: ClientId, key: &[u8]) -> bool {
    let reply = engine.execute(
        reader,
        &[b"OBJECT".to_vec(), b"ENCODING".to_vec(), key.to_vec()],
    );
    matches!(reply, redis_emulator::Reply::Bulk(e) if e == b"hashtable")
}

/// A hash's field names, sorted.
fn hash_fields(engine: &mut redis_emulator::Engine, reader: ClientId, key: &[u8]) -> Vec<Vec<u8>> {
    let reply = engine.execute(reader, &[b"HKEYS".to_vec(), key.to_vec()]);
    let redis_emulator::Reply::Array(items) = reply else {
        return Vec::new();
    };
    let mut fields: Vec<Vec<u8>> = items
        .into_iter()
        .filter_map(|f| match f {
            redis_emulator::Reply::Bulk(b) => Some(b),
            _ => None,
        })
        .collect();
    fields.sort();
    fields
}

fn stream_groups(
    engine: &mut redis_emulator::Engine,
    reader: ClientId,
    key: &[u8],
) -> Vec<Vec<u8>> {
    let reply = engine.execute(
        reader,
        &[b"XINFO".to_vec(), b"GROUPS".to_vec(), key.to_vec()],
    );
    let redis_emulator::Reply::Array(groups) = reply else {
        return Vec::new();
    };
    groups
        .into_iter()
        .filter_map(|g| {
            let fields = match g {
                redis_emulator::Reply::Array(f) => f,
                redis_emulator::Reply::Map(pairs) => {
                    pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()
                }
                _ => return None,
            };
            fields.chunks(2).find_map(|pair| match pair {
                [redis_emulator::Reply::Bulk(name), redis_emulator::Reply::Bulk(value)]
                    if name == b"name" =>
                {
                    Some(value.clone())
                }
                _ => None,
            })
        })
        .collect()
}

/// The RESP2 replies of the final-state commands on `state`'s engine, from a new client.
pub fn final_state_replies(state: &mut AppState, commands: &[String]) -> Vec<Vec<u8>> {
    let engine = &mut state.pg.engine;
    let reader = engine.connect(ClientInfo::default());
    let replies = commands
        .iter()
        .map(|c| {
            let argv = redis_emulator::cli::split_args(c.as_bytes()).unwrap_or_default();
            engine.execute(reader, &argv).to_resp(Protocol::Resp2)
        })
        .collect();
    engine.disconnect(reader);
    replies
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    /// Each built-in exercise has an up-to-date case file (or writes it, with
    /// WRITE_EXERCISE_CASES=1).
    #[test]
    fn exercise_cases_are_up_to_date() {
        let write = std::env::var_os("WRITE_EXERCISE_CASES").is_some();
        let (exercises, _) = redis_exercises::catalogue::built_in();
        let mut stale = Vec::new();
        for ex in &exercises {
            let (mut state, logged) = run(ex).unwrap();
            let text = case_text(ex, &mut state, &logged);
            let path = repo()
                .join(CASES_DIR)
                .join(format!("{}.txt", case_name(ex)));
            if write {
                std::fs::write(&path, &text).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(path.display().to_string());
            }
        }
        assert!(
            stale.is_empty(),
            "stale or missing exercise cases (regenerate with WRITE_EXERCISE_CASES=1 cargo test -p redis-playground --lib transcript, then record them): {stale:?}"
        );
    }

    /// The exercise run as the page does it ends with the keyspace redis-server had after
    /// the same commands.
    #[test]
    fn exercise_final_states_match_recordings() {
        let (exercises, _) = redis_exercises::catalogue::built_in();
        let mut failures = Vec::new();
        for ex in &exercises {
            let path = repo()
                .join(RECORDED_DIR)
                .join(format!("{}.json", case_name(ex)));
            let Ok(text) = std::fs::read_to_string(&path) else {
                failures.push(format!("{}: no recording at {}", ex.id, path.display()));
                continue;
            };
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            let steps = doc["steps"].as_array().cloned().unwrap_or_default();
            let finals: Vec<(String, Vec<u8>)> = steps
                .iter()
                .filter(|s| s["client"].as_str() == Some(FINAL_CLIENT))
                .map(|s| {
                    (
                        s["cmd"].as_str().unwrap_or_default().to_string(),
                        s["resp2"].as_str().unwrap_or_default().as_bytes().to_vec(),
                    )
                })
                .collect();
            let (mut state, _) = run(ex).unwrap();
            let commands: Vec<String> = finals.iter().map(|(c, _)| c.clone()).collect();
            assert!(
                !commands.is_empty(),
                "{}: the recording has no final state",
                ex.id
            );
            let replies = final_state_replies(&mut state, &commands);
            for ((command, expected), actual) in finals.iter().zip(replies) {
                if *expected != actual {
                    failures.push(format!(
                        "{}: {command}\n  redis-server: {:?}\n  the page:     {:?}",
                        ex.id,
                        String::from_utf8_lossy(expected),
                        String::from_utf8_lossy(&actual)
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn words_round_trip_through_redis_cli_splitting() {
        for arg in [
            &b"plain"[..],
            b"two words",
            b"",
            b"quo\"te",
            b"back\\slash",
            b"\xff\x00",
            "é".as_bytes(),
            b"it's",
        ] {
            let w = word(arg);
            let back = redis_emulator::cli::split_args(w.as_bytes()).unwrap();
            assert_eq!(back, vec![arg.to_vec()], "{w}");
        }
        assert_eq!(client_name(0), "A");
        assert_eq!(client_name(25), "Z");
        assert_eq!(client_name(26), "C26");
    }
}
