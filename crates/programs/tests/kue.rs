//! The kue library against real Kue: the same jobs (tests/kue/creator.*, processor.*)
//! run by real Kue 0.11.6 on a real redis-server (recorded by scripts/record-kue.py
//! into tests/kue/recorded.txt) and by the playground's programs must leave the same
//! keys, hash fields, sorted sets, lists and `q:events` messages. Masked on both sides
//! with the same code: times, durations, the worker's host and pid, stack traces (a
//! Node stack against a Lua position) and the order of keys inside JSON texts (a Lua
//! table has no key order).

mod common;

use common::World;
use redis_emulator::{Protocol, Reply};
use redis_programs::ProgramState;

const RECORDED: &str = include_str!("kue/recorded.txt");
const CREATOR: &str = include_str!("kue/creator.lua");
const PROCESSOR: &str = include_str!("kue/processor.lua");

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

fn unesc(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

/// JSON with object keys sorted, so texts compare by content.
fn canonical_json(text: &str) -> String {
    fn sorted(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => {
                let mut pairs: Vec<(String, serde_json::Value)> = map.into_iter().collect();
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                let mut out = serde_json::Map::new();
                for (k, v) in pairs {
                    out.insert(k, sorted(v));
                }
                serde_json::Value::Object(out)
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sorted).collect())
            }
            other => other,
        }
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => serde_json::to_string(&sorted(v)).unwrap_or_else(|_| text.to_string()),
        Err(_) => text.to_string(),
    }
}

fn first_line(s: &str) -> &str {
    s.split('\n').next().unwrap_or("")
}

fn mask_field(field: &str, value: &str) -> String {
    match field {
        "created_at" | "updated_at" | "promote_at" | "started_at" | "failed_at" => "<time>".into(),
        "duration" => "<ms>".into(),
        "workerId" => {
            let parts: Vec<&str> = value.split(':').collect();
            match parts.as_slice() {
                ["kue", _host, _pid, rest @ ..] => format!("kue:<host>:<pid>:{}", rest.join(":")),
                _ => value.to_string(),
            }
        }
        "error" => first_line(value).to_string(),
        "data" | "result" | "progress_data" => canonical_json(value),
        _ => value.to_string(),
    }
}

fn mask_event(payload: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(payload) else {
        return payload.to_string();
    };
    if v["event"] == "error" {
        if let Some(text) = v["args"][1].as_str() {
            v["args"][1] = serde_json::Value::String(first_line(text).to_string());
        }
    }
    canonical_json(&v.to_string())
}

/// The dump format of scripts/record-kue.py, masked.
fn masked(dump: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut key = String::new();
    let mut kind = String::new();
    for line in dump.lines() {
        if let Some(rest) = line.strip_prefix("KEY ") {
            let (k, t) = rest.rsplit_once(' ').unwrap_or((rest, ""));
            key = k.to_string();
            kind = t.to_string();
            out.push(line.to_string());
        } else if let Some(payload) = line.strip_prefix("EVENT ") {
            out.push(format!("EVENT {}", mask_event(&unesc(payload))));
        } else if let Some(entry) = line.strip_prefix("  ") {
            let masked = match kind.as_str() {
                "hash" => {
                    let (f, v) = entry.split_once(' ').unwrap_or((entry, ""));
                    format!("{f} {}", mask_field(&unesc(f), &unesc(v)))
                }
                "zset" if key == "q:jobs:delayed" => {
                    let (_, m) = entry.split_once(' ').unwrap_or(("", entry));
                    format!("<time> {m}")
                }
                "string" if key == "q:stats:work-time" => "<ms>".to_string(),
                _ => entry.to_string(),
            };
            out.push(format!("  {masked}"));
        }
    }
    out
}

fn strings(reply: Reply) -> Vec<String> {
    match reply {
        Reply::Array(items) | Reply::Set(items) | Reply::Push(items) => items
            .into_iter()
            .map(|r| match r {
                Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
                Reply::Integer(n) => n.to_string(),
                other => format!("{other:?}"),
            })
            .collect(),
        Reply::Map(pairs) => pairs
            .into_iter()
            .flat_map(|(k, v)| strings(Reply::Array(vec![k, v])))
            .collect(),
        Reply::Bulk(b) => vec![String::from_utf8_lossy(&b).into_owned()],
        Reply::Status(s) => vec![s.to_string()],
        other => vec![format!("{other:?}")],
    }
}

fn argv(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

/// The engine's keyspace in the dump format of scripts/record-kue.py.
fn dump(w: &mut World, events: &[String]) -> String {
    let mut lines = Vec::new();
    let probe = w.engine.connect(Default::default());
    let run = |w: &mut World, words: &[&str]| {
        strings(
            w.engine
                .execute(probe, &argv(words))
                .for_protocol(Protocol::Resp2),
        )
    };
    let mut keys = run(w, &["KEYS", "*"]);
    keys.sort();
    for key in keys {
        let t = run(w, &["TYPE", &key]).join("");
        lines.push(format!("KEY {key} {t}"));
        match t.as_str() {
            "hash" => {
                let flat = run(w, &["HGETALL", &key]);
                let mut pairs: Vec<(String, String)> = flat
                    .chunks(2)
                    .map(|p| (p[0].clone(), p.get(1).cloned().unwrap_or_default()))
                    .collect();
                pairs.sort();
                for (f, v) in pairs {
                    lines.push(format!("  {} {}", esc(&f), esc(&v)));
                }
            }
            "zset" => {
                let flat = run(w, &["ZRANGE", &key, "0", "-1", "WITHSCORES"]);
                for p in flat.chunks(2) {
                    lines.push(format!(
                        "  {} {}",
                        p.get(1).cloned().unwrap_or_default(),
                        esc(&p[0])
                    ));
                }
            }
            "list" => {
                for v in run(w, &["LRANGE", &key, "0", "-1"]) {
                    lines.push(format!("  {}", esc(&v)));
                }
            }
            "set" => {
                let mut members = run(w, &["SMEMBERS", &key]);
                members.sort();
                for v in members {
                    lines.push(format!("  {}", esc(&v)));
                }
            }
            _ => {
                for v in run(w, &["GET", &key]) {
                    lines.push(format!("  {}", esc(&v)));
                }
            }
        }
    }
    for e in events {
        lines.push(format!("EVENT {}", esc(e)));
    }
    lines.join("\n") + "\n"
}

#[test]
fn the_kue_library_writes_what_real_kue_writes() {
    let mut w = World::new();
    w.cmd("SUBSCRIBE q:events");
    let creator = w.start("creator.lua", CREATOR);
    w.settle();
    assert_eq!(
        w.state(creator),
        ProgramState::Waiting,
        "{:?}",
        w.transcript(creator)
    );
    w.forward(500);
    let processor = w.start("processor.lua", PROCESSOR);
    w.forward(3000);
    assert_eq!(
        w.state(processor),
        ProgramState::Waiting,
        "{:?}",
        w.transcript(processor)
    );
    let events: Vec<String> = w
        .engine
        .drain_outbox(w.console)
        .into_iter()
        .filter_map(|frame| match frame {
            Reply::Push(items) if items.first() == Some(&Reply::Bulk(b"message".to_vec())) => {
                strings(Reply::Push(items)).get(2).cloned()
            }
            _ => None,
        })
        .collect();
    let ours = masked(&dump(&mut w, &events));
    let theirs = masked(RECORDED);
    let diff: Vec<String> = ours
        .iter()
        .zip(&theirs)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("ours:   {a}\nkue:    {b}"))
        .collect();
    assert!(
        diff.is_empty() && ours.len() == theirs.len(),
        "{} lines differ (ours {} lines, Kue's {}):\n{}\n--- ours:\n{}",
        diff.len(),
        ours.len(),
        theirs.len(),
        diff.join("\n"),
        ours.join("\n")
    );
}
