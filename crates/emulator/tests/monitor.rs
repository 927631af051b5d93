//! What a MONITOR client sees while another client runs commands, scripts, functions and
//! a transaction, replayed against what redis-server 7.0 printed
//! (`scripts/record-monitor.py` -> tests/data/monitor.json): the order of lines (an EVAL
//! before the commands its script runs, EXEC after the commands it ran), the `lua`
//! address of a script's commands, the database, the quoting; refused commands are not
//! shown. The time and the client's address are masked on both sides.

use redis_emulator::{ClientInfo, Engine, ManualClock, Reply};
use serde_json::Value;

/// `+<time> [db addr] args` (or without the `+`) as `[db <client>] args`, `lua` kept.
fn masked(line: &str) -> Option<String> {
    let line = line.strip_prefix('+').unwrap_or(line);
    let (_, rest) = line.split_once(" [")?;
    let (inside, args) = rest.split_once("] ")?;
    let (db, addr) = inside.split_once(' ')?;
    let who = if addr == "lua" { "lua" } else { "<client>" };
    Some(format!("[{db} {who}] {args}"))
}

#[test]
fn monitor_lines_match_redis() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/monitor.json");
    let recording: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut e = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 1);
    let monitor = e.connect(ClientInfo::default());
    let client = e.connect(ClientInfo::default());
    let ok = e.execute(monitor, &[b"MONITOR".to_vec()]);
    assert_eq!(ok, Reply::ok());
    let mut sha = String::new();
    let mut mismatches = Vec::new();
    for step in recording["steps"].as_array().unwrap() {
        let argv: Vec<Vec<u8>> = step["argv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().as_bytes().to_vec())
            .collect();
        // The recording holds the SHA1 Redis computed; ours must be the same.
        let reply = e.execute(client, &argv);
        if argv.len() > 1 && argv[0] == b"SCRIPT" && argv[1] == b"LOAD" {
            if let Reply::Bulk(b) = &reply {
                sha = String::from_utf8_lossy(b).into_owned();
            }
        }
        let expected: Vec<String> = step["monitor"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect();
        let got: Vec<String> = e
            .drain_outbox(monitor)
            .into_iter()
            .filter_map(|r| match r {
                Reply::Status(line) => masked(&line),
                _ => None,
            })
            .collect();
        if got != expected {
            mismatches.push(format!(
                "{:?}\n  redis:    {expected:?}\n  emulator: {got:?}",
                step["argv"]
            ));
        }
    }
    assert!(!sha.is_empty(), "SCRIPT LOAD answered a SHA1");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
