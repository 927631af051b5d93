//! Engine behaviours that a recording of one redis-server session can't show: virtual
//! time, active expiry, databases, clients, memory limits, determinism.

use redis_emulator::{cli, ClientInfo, Engine, ManualClock, Protocol, Reply};

const T0: i64 = 1_700_000_000_000;

fn engine() -> (Engine, ManualClock, u64) {
    let clock = ManualClock::new(T0);
    let mut e = Engine::new(Box::new(clock.clone()), 42);
    let c = e.connect(ClientInfo::default());
    (e, clock, c)
}

fn run(e: &mut Engine, c: u64, line: &str) -> Reply {
    let argv = cli::split_args(line.as_bytes()).expect("balanced test line");
    e.execute(c, &argv)
}

fn text(e: &mut Engine, c: u64, line: &str) -> String {
    let argv = cli::split_args(line.as_bytes()).expect("balanced test line");
    let r = e.execute(c, &argv);
    cli::render_for(&argv, &r)
}

#[test]
fn expiry_follows_the_virtual_clock() {
    let (mut e, clock, c) = engine();
    assert_eq!(text(&mut e, c, "SET k v PX 1500"), "OK\n");
    assert_eq!(text(&mut e, c, "TTL k"), "(integer) 2\n");
    clock.advance_ms(1000);
    assert_eq!(text(&mut e, c, "PTTL k"), "(integer) 500\n");
    // At its expire time a key still lives (Redis's `now > when`); a ms later it is gone.
    clock.advance_ms(500);
    assert_eq!(text(&mut e, c, "PTTL k"), "(integer) 0\n");
    clock.advance_ms(1);
    assert_eq!(text(&mut e, c, "GET k"), "(nil)\n");
    assert_eq!(text(&mut e, c, "EXISTS k"), "(integer) 0\n");
}

#[test]
fn active_expiry_removes_due_keys_without_access() {
    let (mut e, clock, c) = engine();
    for i in 0..10 {
        run(&mut e, c, &format!("SET k{i} v EX {}", i + 1));
    }
    run(&mut e, c, "SET forever v");
    clock.advance_ms(5_001);
    assert_eq!(e.active_expire(100), 5);
    assert_eq!(e.db(0).map(|d| d.len()), Some(6));
    assert_eq!(text(&mut e, c, "DBSIZE"), "(integer) 6\n");
}

#[test]
fn databases_are_isolated_and_selected_per_client() {
    let (mut e, _clock, c) = engine();
    let other = e.connect(ClientInfo::default());
    run(&mut e, c, "SET k zero");
    assert_eq!(text(&mut e, c, "SELECT 3"), "OK\n");
    assert_eq!(text(&mut e, c, "GET k"), "(nil)\n");
    run(&mut e, c, "SET k three");
    assert_eq!(text(&mut e, other, "GET k"), "\"zero\"\n");
    assert_eq!(e.client(c).map(|cl| cl.db), Some(3));
    assert_eq!(cli::prompt("127.0.0.1:6379", 3), "127.0.0.1:6379[3]> ");
    assert_eq!(
        text(&mut e, c, "SELECT 16"),
        "(error) ERR DB index is out of range\n"
    );
}

#[test]
fn hello_switches_the_protocol_of_one_client_only() {
    let (mut e, _clock, c) = engine();
    let other = e.connect(ClientInfo::default());
    run(&mut e, c, "HELLO 3");
    assert_eq!(e.protocol(c), Protocol::Resp3);
    assert_eq!(e.protocol(other), Protocol::Resp2);
    let r = run(&mut e, c, "GET missing");
    assert_eq!(r.to_resp(e.protocol(c)), b"_\r\n");
    assert_eq!(r.to_resp(e.protocol(other)), b"$-1\r\n");
    run(&mut e, c, "RESET");
    assert_eq!(e.protocol(c), Protocol::Resp2);
}

#[test]
fn maxmemory_noeviction_refuses_writes_but_allows_reads_and_deletes() {
    let (mut e, _clock, c) = engine();
    run(&mut e, c, "SET small v");
    assert_eq!(text(&mut e, c, "CONFIG SET maxmemory 1"), "OK\n");
    assert_eq!(
        text(&mut e, c, "SET k v"),
        "(error) OOM command not allowed when used memory > 'maxmemory'.\n"
    );
    assert_eq!(text(&mut e, c, "GET small"), "\"v\"\n");
    assert_eq!(text(&mut e, c, "DEL small"), "(integer) 1\n");
}

#[test]
fn maxmemory_allkeys_lru_evicts_the_least_recently_used() {
    let (mut e, clock, c) = engine();
    let value = "x".repeat(10_000);
    for i in 0..20 {
        run(&mut e, c, &format!("SET k{i} {value}"));
        clock.advance_ms(10);
    }
    run(&mut e, c, "GET k0"); // k0 is now the most recently used
    let used = e.used_memory();
    run(
        &mut e,
        c,
        &format!("CONFIG SET maxmemory {}", used - 50_000),
    );
    run(&mut e, c, "CONFIG SET maxmemory-policy allkeys-lru");
    assert_eq!(text(&mut e, c, "SET new v"), "OK\n");
    assert_eq!(text(&mut e, c, "EXISTS k0"), "(integer) 1\n");
    assert_eq!(text(&mut e, c, "EXISTS k1"), "(integer) 0\n");
    assert!(e.used_memory() <= used);
}

#[test]
fn the_same_seed_replays_the_same_random_choices() {
    let picks = |seed: u64| {
        let clock = ManualClock::new(T0);
        let mut e = Engine::new(Box::new(clock), seed);
        let c = e.connect(ClientInfo::default());
        for i in 0..50 {
            run(&mut e, c, &format!("SET key:{i} v"));
        }
        (0..10)
            .map(|_| text(&mut e, c, "RANDOMKEY"))
            .collect::<Vec<_>>()
    };
    assert_eq!(picks(7), picks(7));
    assert_ne!(picks(7), picks(8));
}

#[test]
fn scan_iterates_everything_with_match_and_type() {
    let (mut e, _clock, c) = engine();
    for i in 0..200 {
        run(&mut e, c, &format!("SET user:{i} v"));
        run(&mut e, c, &format!("SET other:{i} v"));
    }
    let mut cursor = "0".to_string();
    let mut found = std::collections::HashSet::new();
    loop {
        let Reply::Array(parts) = run(
            &mut e,
            c,
            &format!("SCAN {cursor} MATCH user:* COUNT 25 TYPE string"),
        ) else {
            panic!("SCAN replies an array");
        };
        let (Reply::Bulk(next), Reply::Array(keys)) = (&parts[0], &parts[1]) else {
            panic!("cursor, keys")
        };
        for k in keys {
            let Reply::Bulk(k) = k else {
                panic!("keys are bulks")
            };
            assert!(k.starts_with(b"user:"));
            found.insert(k.clone());
        }
        cursor = String::from_utf8(next.clone()).expect("cursor is ASCII");
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(found.len(), 200);
}

#[test]
fn quit_marks_the_client_closing_after_ok() {
    let (mut e, _clock, c) = engine();
    assert_eq!(text(&mut e, c, "QUIT"), "OK\n");
    assert!(e.client(c).is_some_and(|cl| cl.closing));
}

#[test]
fn info_has_the_fields_clients_rely_on() {
    let (mut e, _clock, c) = engine();
    run(&mut e, c, "SET a 1");
    let Reply::Verbatim(_, body) = run(&mut e, c, "INFO") else {
        panic!("INFO is verbatim text")
    };
    let body = String::from_utf8(body).expect("INFO is text");
    for field in [
        "redis_version:7.0.15",
        "loading:0",
        "connected_clients:1",
        "used_memory:",
        "db0:keys=1,expires=0",
    ] {
        assert!(body.contains(field), "INFO lacks {field}");
    }
    assert!(body.starts_with("# Server\r\n"));
}

#[test]
fn monitor_sees_every_command_after_it_runs() {
    let (mut e, clock, a) = engine();
    let m = e.connect(ClientInfo {
        addr: "127.0.0.1:6000".into(),
        ..ClientInfo::default()
    });
    assert_eq!(text(&mut e, m, "MONITOR"), "OK\n");
    // A second MONITOR gets no reply at all; a monitor may not touch keys.
    assert_eq!(e.execute(m, &[b"MONITOR".to_vec()]), Reply::NoReply);
    assert_eq!(
        text(&mut e, m, "GET x"),
        "(error) ERR Replica can't interact with the keyspace\n"
    );
    clock.advance_ms(1);
    run(&mut e, a, "SELECT 2");
    run(&mut e, a, "SET \"a b\" \"x\\ny\"");
    run(&mut e, a, "MULTI");
    run(&mut e, a, "INCR n");
    run(&mut e, a, "EXEC");
    run(&mut e, a, "CONFIG GET maxmemory");
    run(&mut e, a, "FOO");
    let lines: Vec<String> = e
        .drain_outbox(m)
        .into_iter()
        .map(|r| match r {
            Reply::Status(s) => s,
            other => panic!("{other:?}"),
        })
        .collect();
    let t = "1700000000.001000";
    assert_eq!(
        lines,
        vec![
            format!("{t} [2 127.0.0.1:50000] \"SELECT\" \"2\""),
            format!("{t} [2 127.0.0.1:50000] \"SET\" \"a b\" \"x\\ny\""),
            format!("{t} [2 127.0.0.1:50000] \"MULTI\""),
            format!("{t} [2 127.0.0.1:50000] \"INCR\" \"n\""),
            format!("{t} [2 127.0.0.1:50000] \"EXEC\""),
        ],
        "admin commands and unknown ones are not shown; queued ones show when EXEC runs them"
    );
    // The monitor's own PING: its reply first, then its line.
    assert_eq!(e.execute(m, &[b"PING".to_vec()]), Reply::status("PONG"));
    assert_eq!(e.drain_outbox(m).len(), 1);
    assert_eq!(text(&mut e, m, "RESET"), "RESET\n");
    run(&mut e, a, "PING");
    assert!(e.drain_outbox(m).is_empty(), "RESET ends monitoring");
}

#[test]
fn client_reply_off_and_skip_drop_replies() {
    let (mut e, _clock, c) = engine();
    assert_eq!(run(&mut e, c, "CLIENT REPLY SKIP"), Reply::NoReply);
    assert_eq!(
        run(&mut e, c, "SET r 1"),
        Reply::NoReply,
        "the next reply is skipped"
    );
    assert_eq!(run(&mut e, c, "GET r"), Reply::bulk_str("1"));
    assert_eq!(run(&mut e, c, "CLIENT REPLY OFF"), Reply::NoReply);
    assert_eq!(run(&mut e, c, "INCR r"), Reply::NoReply);
    assert_eq!(
        run(&mut e, c, "CLIENT REPLY SKIP"),
        Reply::NoReply,
        "SKIP does nothing while OFF"
    );
    assert_eq!(run(&mut e, c, "CLIENT REPLY ON"), Reply::ok());
    assert_eq!(run(&mut e, c, "GET r"), Reply::bulk_str("2"));
}

#[test]
fn client_kill_tells_front_ends_and_client_pause_holds_writes() {
    let (mut e, clock, a) = engine();
    let b = e.connect(ClientInfo::default());
    assert_eq!(
        run(&mut e, a, &format!("CLIENT KILL ID {b}")),
        Reply::Integer(1)
    );
    assert_eq!(e.take_killed(), vec![b]);
    assert!(e.client(b).is_none());
    let b = e.connect(ClientInfo::default());
    assert_eq!(run(&mut e, a, "CLIENT PAUSE 100 WRITE"), Reply::ok());
    assert_eq!(run(&mut e, b, "GET k"), Reply::Nil, "reads go on");
    assert_eq!(run(&mut e, b, "SET k v"), Reply::NoReply, "writes wait");
    assert!(e.is_blocked(b));
    assert_eq!(e.next_timeout(), Some(T0 + 100));
    clock.advance_ms(100);
    e.handle_timeouts();
    assert_eq!(e.drain_outbox(b), vec![Reply::ok()]);
    assert_eq!(run(&mut e, a, "GET k"), Reply::bulk_str("v"));
}
