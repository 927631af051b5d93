//! A script that runs past busy-reply-threshold, replayed against what redis-server 7.0
//! answered (`scripts/record-busy.py` -> tests/data/busy.json): other clients wait, then get
//! BUSY; SCRIPT KILL and FUNCTION KILL stop a script that did not write and refuse one that
//! did; unknown commands still get their error. The engine runs the script in chunks, the
//! host calling `handle_timeouts` between commands (as the page and the server do).

use redis_emulator::{ClientInfo, Engine, ManualClock, Protocol, Reply};
use serde_json::Value;

const T0: i64 = 1_700_000_000_000;

fn received(e: &mut Engine, client: u64, direct: Option<Reply>) -> String {
    let mut bytes = Vec::new();
    for r in direct.into_iter().chain(e.drain_outbox(client)) {
        if r != Reply::NoReply {
            r.encode(Protocol::Resp2, &mut bytes);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// FUNCTION STATS's `duration_ms` is wall time in Redis and virtual time here: compared as
/// "some integer".
fn mask_duration(resp: &str) -> String {
    match resp.find("duration_ms\r\n:") {
        Some(at) => {
            let start = at + "duration_ms\r\n:".len();
            let end = resp[start..].find("\r\n").map_or(resp.len(), |e| start + e);
            let digits = &resp[start..end];
            assert!(
                !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()),
                "duration_ms {digits:?}"
            );
            format!("{}<ms>{}", &resp[..start], &resp[end..])
        }
        None => resp.to_string(),
    }
}

/// Replays one part of the recording: each command, then the host's tick.
fn replay(e: &mut Engine, clock: &ManualClock, clients: &[(String, u64)], steps: &[Value]) {
    for (i, step) in steps.iter().enumerate() {
        let id = |name: &str| {
            clients
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, id)| *id)
                .unwrap_or(0)
        };
        let (direct, sender) = match step["step"].as_str() {
            Some("@wait") => {
                clock.advance_ms(300);
                e.handle_timeouts();
                continue;
            }
            Some(_) => {
                clock.advance_ms(300);
                e.handle_timeouts();
                (None, None)
            }
            None => {
                let argv: Vec<Vec<u8>> = step["argv"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| a.as_str().unwrap_or("").as_bytes().to_vec())
                    .collect();
                let who = id(step["client"].as_str().unwrap_or("A"));
                let reply = e.execute(who, &argv);
                // The host's next tick: the running script does its next chunk.
                e.handle_timeouts();
                (Some(reply), Some(who))
            }
        };
        for (name, client) in clients {
            let direct = if sender == Some(*client) {
                direct.clone()
            } else {
                None
            };
            let got = mask_duration(&received(e, *client, direct));
            let want = mask_duration(step["received"][name.as_str()].as_str().unwrap_or(""));
            assert_eq!(got, want, "step {i} {:?}, client {name}", step.get("argv"));
        }
    }
}

#[test]
fn busy_scripts_answer_as_redis_does() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/busy.json"))
            .unwrap_or_default();
    let recording: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let clock = ManualClock::new(T0);
    let mut e = Engine::new(Box::new(clock.clone()), 1);
    // A small budget stops the unkillable script at the end of the first part.
    e.set_script_fuel(50_000_000);
    let a = e.connect(ClientInfo::default());
    let b = e.connect(ClientInfo::default());
    let clients = vec![("A".to_string(), a), ("B".to_string(), b)];
    let eval = recording["eval"].as_array().cloned().unwrap_or_default();
    assert!(eval.len() > 10, "recording missing");
    replay(&mut e, &clock, &clients, &eval);
    // Redis's session ended there (SHUTDOWN NOSAVE): the emulator's budget ends the script.
    for _ in 0..200 {
        if !e.script_running() {
            break;
        }
        e.handle_timeouts();
    }
    assert!(!e.script_running(), "the budget stops an unkillable script");
    let last = e.drain_outbox(a);
    assert!(
        matches!(last.as_slice(), [Reply::Error(t)] if t.starts_with("ERR Script killed by the emulator")),
        "{last:?}"
    );
    e.drain_outbox(b);
    // The function part starts from a fresh server with the library loaded.
    let function = recording["function"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let clock = ManualClock::new(T0);
    let mut e = Engine::new(Box::new(clock.clone()), 1);
    let setup = e.connect(ClientInfo::default());
    let load = recording["eval"][1]["argv"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let load: Vec<Vec<u8>> = load
        .iter()
        .map(|a| a.as_str().unwrap_or("").as_bytes().to_vec())
        .collect();
    assert_eq!(e.execute(setup, &load), Reply::bulk_str("lib"));
    e.execute(
        setup,
        &[
            b"CONFIG".to_vec(),
            b"SET".to_vec(),
            b"busy-reply-threshold".to_vec(),
            b"200".to_vec(),
        ],
    );
    let a = e.connect(ClientInfo::default());
    let b = e.connect(ClientInfo::default());
    let clients = vec![("A".to_string(), a), ("B".to_string(), b)];
    replay(&mut e, &clock, &clients, &function);
}
