//! `Engine::inspect`, the page's invisible goal checks: its replies are a plain client's,
//! and nothing a learner can observe (MONITOR, the command log, INFO, CLIENT LIST,
//! CLIENT ID, OBJECT IDLETIME/FREQ, keyspace notifications, the dataset) shows it ran.
//!
//! Most tests build twins: two engines with the same seed and clock run the same
//! session; one also runs goal checks, then both are observed the same way and must
//! answer the same.

use redis_emulator::{cli, ClientInfo, Engine, ManualClock, Protocol, Reply};

const T0: i64 = 1_700_000_000_000;

fn argv(line: &str) -> Vec<Vec<u8>> {
    cli::split_args(line.as_bytes()).expect("balanced test line")
}

fn run(e: &mut Engine, c: u64, line: &str) -> Reply {
    e.execute(c, &argv(line))
}

fn inspect(e: &mut Engine, db: usize, line: &str) -> Reply {
    e.inspect(db, &argv(line))
}

/// A session with one of each type, a stream with a group and pending entries, a key
/// whose TTL has passed (not yet deleted) and a key in database 1. Returns the engine,
/// its clock and the learner's client.
fn session() -> (Engine, ManualClock, u64) {
    let clock = ManualClock::new(T0);
    let mut e = Engine::new(Box::new(clock.clone()), 7);
    let c = e.connect(ClientInfo::default());
    for line in [
        "SET greeting hello",
        "SET gone soon PX 100",
        "HSET user:1 name ada lang rust",
        "SADD tags a b c d e",
        "ZADD board 10 ann 20 bob 30 cy",
        "RPUSH queue x y z",
        "XADD orders 1-1 item book",
        "XADD orders 2-1 item pen",
        "XGROUP CREATE orders g 0",
        "XREADGROUP GROUP g alice COUNT 1 STREAMS orders >",
        "SELECT 1",
        "SET other 1",
        "SELECT 0",
    ] {
        let r = run(&mut e, c, line);
        assert!(!r.is_error(), "{line}: {r:?}");
    }
    clock.advance_ms(1000);
    (e, clock, c)
}

/// Goal checks of every kind: hits, misses, the expired key, errors, refusals.
const CHECKS: &[&str] = &[
    "GET greeting",
    "GET missing",
    "GET gone",
    "EXISTS gone greeting",
    "TYPE gone",
    "TTL greeting",
    "HGET user:1 name",
    "HGETALL user:1",
    "SISMEMBER tags c",
    "SCARD tags",
    "SRANDMEMBER tags 2",
    "HRANDFIELD user:1",
    "ZSCORE board bob",
    "ZRANGE board 0 -1 WITHSCORES",
    "LRANGE queue 0 -1",
    "XLEN orders",
    "XRANGE orders - +",
    "XREAD COUNT 5 STREAMS orders 0",
    "XPENDING orders g",
    "XINFO GROUPS orders",
    "XINFO STREAM orders",
    "KEYS *",
    "SCAN 0",
    "DBSIZE",
    "RANDOMKEY",
    "TOUCH greeting",
    "OBJECT ENCODING greeting",
    "HGET queue x",
    "NOSUCH command",
    "GET",
    "XINFO NOSUCH orders",
    "SET greeting changed",
    "DEL greeting",
    "XREADGROUP GROUP g bob STREAMS orders >",
    "XREAD BLOCK 0 STREAMS orders $",
    "BLPOP queue 0",
    "MULTI",
    "EXEC",
    "SUBSCRIBE news",
    "MONITOR",
    "CLIENT LIST",
    "CLIENT ID",
    "CONFIG GET maxmemory",
    "EVAL_RO \"return 1\" 0",
    "FCALL_RO f 0",
    "SELECT 1",
];

fn run_checks(e: &mut Engine) {
    for line in CHECKS {
        inspect(e, 0, line);
    }
    inspect(e, 1, "GET other");
}

fn info(e: &mut Engine, c: u64) -> String {
    match run(e, c, "INFO everything") {
        Reply::Bulk(b) | Reply::Verbatim(_, b) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("INFO answered {other:?}"),
    }
}

/// One `name:value` line of INFO.
fn info_field(e: &mut Engine, c: u64, name: &str) -> String {
    let text = info(e, c);
    let prefix = format!("{name}:");
    let line = text.lines().find(|l| l.starts_with(&prefix));
    line.map(|l| l[prefix.len()..].to_string())
        .unwrap_or_default()
}

#[test]
fn replies_are_a_plain_clients() {
    let (mut e, _, c) = session();
    // Each check first invisibly, then as the learner's client: the first leaves
    // nothing behind (not even the random sequence), so the answers are the same.
    for line in CHECKS.iter().take_while(|l| !l.starts_with("SET ")) {
        let checked = inspect(&mut e, 0, line).to_resp(Protocol::Resp2);
        let plain = run(&mut e, c, line).to_resp(Protocol::Resp2);
        assert_eq!(
            String::from_utf8_lossy(&checked),
            String::from_utf8_lossy(&plain),
            "{line}"
        );
    }
    run(&mut e, c, "SELECT 1");
    assert_eq!(inspect(&mut e, 1, "GET other"), run(&mut e, c, "GET other"));
    assert_eq!(inspect(&mut e, 0, "GET other"), Reply::Nil);
}

#[test]
fn writes_and_non_read_only_commands_are_refused_and_change_nothing() {
    let (mut e, _, c) = session();
    let (mut twin, _, twin_c) = session();
    let refused = [
        ("SET greeting changed", "'set' is not a read-only command"),
        ("DEL greeting", "'del' is not a read-only command"),
        (
            "XREADGROUP GROUP g bob STREAMS orders >",
            "'xreadgroup' is not a read-only command",
        ),
        ("BLPOP queue 0", "'blpop' is not a read-only command"),
        ("MULTI", "'multi' is not a read-only command"),
        ("SUBSCRIBE news", "'subscribe' is not a read-only command"),
        ("MONITOR", "'monitor' is not a read-only command"),
        ("CLIENT LIST", "'client list' is not a read-only command"),
        (
            "CONFIG GET maxmemory",
            "'config get' is not a read-only command",
        ),
        ("EVAL_RO \"return 1\" 0", "'eval_ro' runs a script"),
        (
            "XREAD BLOCK 0 STREAMS orders $",
            "'xread' with BLOCK would block",
        ),
    ];
    for (line, why) in refused {
        assert_eq!(
            inspect(&mut e, 0, line),
            Reply::Error(format!("ERR inspect: {why}")),
            "{line}"
        );
    }
    for line in [
        "GET greeting",
        "XPENDING orders g - + 10",
        "LRANGE queue 0 -1",
        "SMEMBERS news",
    ] {
        assert_eq!(run(&mut e, c, line), run(&mut twin, twin_c, line), "{line}");
    }
    assert_eq!(e.dirty_count(), twin.dirty_count());
    assert_eq!(info(&mut e, c), info(&mut twin, twin_c));
}

#[test]
fn monitor_and_the_command_log_see_nothing() {
    let (mut e, _, _) = session();
    let monitor = e.connect(ClientInfo::default());
    assert_eq!(run(&mut e, monitor, "MONITOR"), Reply::ok());
    e.set_command_log(true);
    run_checks(&mut e);
    assert_eq!(e.drain_outbox(monitor), Vec::<Reply>::new());
    assert!(e.take_commands().is_empty());
    // The same commands from a client are seen: the observers are working.
    let c = e.connect(ClientInfo::default());
    run(&mut e, c, "GET greeting");
    assert_eq!(e.drain_outbox(monitor).len(), 1);
    assert_eq!(e.take_commands().len(), 1);
}

#[test]
fn info_is_as_if_no_check_ran() {
    // Commandstats, errorstats, keyspace hits and misses, processed commands,
    // connections, clients, expired keys, keyspace: the whole of INFO.
    let (mut e, _, c) = session();
    let (mut twin, _, twin_c) = session();
    run_checks(&mut e);
    assert_eq!(info(&mut e, c), info(&mut twin, twin_c));
    // A plain client's read counts.
    let hits = info_field(&mut e, c, "keyspace_hits");
    run(&mut e, c, "GET greeting");
    assert_ne!(info_field(&mut e, c, "keyspace_hits"), hits);
}

#[test]
fn client_list_and_the_next_client_id_do_not_change() {
    let (mut e, _, c) = session();
    let (mut twin, _, twin_c) = session();
    run_checks(&mut e);
    assert_eq!(
        run(&mut e, c, "CLIENT LIST"),
        run(&mut twin, twin_c, "CLIENT LIST")
    );
    let next = e.connect(ClientInfo::default());
    assert_eq!(next, twin.connect(ClientInfo::default()));
    assert_eq!(run(&mut e, next, "CLIENT ID"), Reply::Integer(c as i64 + 1));
}

#[test]
fn object_idletime_does_not_move_under_lru() {
    let (mut e, clock, c) = session();
    run(&mut e, c, "CONFIG SET maxmemory-policy allkeys-lru");
    clock.advance_ms(10_000);
    for _ in 0..3 {
        inspect(&mut e, 0, "GET greeting");
        inspect(&mut e, 0, "HGET user:1 name");
        inspect(&mut e, 0, "XPENDING orders g");
    }
    for key in ["greeting", "user:1", "orders"] {
        let line = format!("OBJECT IDLETIME {key}");
        assert_eq!(run(&mut e, c, &line), Reply::Integer(11), "{key}");
    }
    // A plain client's read resets it.
    run(&mut e, c, "GET greeting");
    assert_eq!(
        run(&mut e, c, "OBJECT IDLETIME greeting"),
        Reply::Integer(0)
    );
}

#[test]
fn object_freq_does_not_move_under_lfu() {
    let (mut e, _, c) = session();
    let (mut twin, _, twin_c) = session();
    for (engine, client) in [(&mut e, c), (&mut twin, twin_c)] {
        run(engine, client, "CONFIG SET maxmemory-policy allkeys-lfu");
        run(engine, client, "SET counted 1");
    }
    for _ in 0..50 {
        inspect(&mut e, 0, "GET counted");
        inspect(&mut e, 0, "EXISTS counted");
    }
    let freq = run(&mut e, c, "OBJECT FREQ counted");
    assert_eq!(freq, run(&mut twin, twin_c, "OBJECT FREQ counted"));
    // Fifty plain reads raise the counter.
    for _ in 0..50 {
        run(&mut e, c, "GET counted");
    }
    assert_ne!(run(&mut e, c, "OBJECT FREQ counted"), freq);
}

#[test]
fn keyspace_notifications_and_the_event_log_see_nothing() {
    let (mut e, _, c) = session();
    run(&mut e, c, "CONFIG SET notify-keyspace-events KEAm");
    let listener = e.connect(ClientInfo::default());
    run(&mut e, listener, "PSUBSCRIBE *");
    e.drain_outbox(listener);
    e.set_event_log(true);
    run_checks(&mut e);
    assert_eq!(e.drain_outbox(listener), Vec::<Reply>::new());
    assert!(e.take_events().is_empty());
    // The expired key is still there for active expiry; a plain read expires it.
    assert!(e.db(0).is_some_and(|d| d.entry(b"gone").is_some()));
    run(&mut e, c, "GET gone");
    assert!(e.take_events().iter().any(|ev| ev.name == "expired"));
    assert!(!e.drain_outbox(listener).is_empty());
}

#[test]
fn expired_keys_read_as_missing_and_stay_for_active_expiry() {
    let (mut e, clock, c) = session();
    run(&mut e, c, "SELECT 2");
    run(&mut e, c, "SET a 1 PX 10");
    run(&mut e, c, "SET b 1 PX 10");
    clock.advance_ms(20);
    // Every key expired: RANDOMKEY answers nil instead of drawing them forever.
    assert_eq!(inspect(&mut e, 2, "RANDOMKEY"), Reply::Nil);
    assert_eq!(
        inspect(&mut e, 2, "SCAN 0"),
        Reply::Array(vec![Reply::bulk(b"0"), Reply::Array(vec![])])
    );
    assert_eq!(inspect(&mut e, 2, "EXISTS a b"), Reply::Integer(0));
    assert_eq!(e.db(2).map(|d| d.len()), Some(2));
    assert_eq!(e.active_expire(10), 3); // a, b and `gone` in database 0
}

#[test]
fn bad_input_gets_errors() {
    let (mut e, _, _) = session();
    assert!(e.inspect(0, &[]).is_error());
    assert_eq!(
        inspect(&mut e, 16, "GET greeting"),
        Reply::error("ERR DB index is out of range")
    );
}

#[test]
fn a_running_script_gets_busy() {
    let (mut e, clock, c) = session();
    e.set_script_fuel(u64::MAX);
    let script = "EVAL \"redis.call('set', 'greeting', 'half') for i = 1, 3000000 do end redis.call('set', 'greeting', 'done')\" 0";
    assert_eq!(run(&mut e, c, script), Reply::NoReply);
    assert!(e.script_running());
    let busy = inspect(&mut e, 0, "GET greeting");
    assert!(
        matches!(&busy, Reply::Error(text) if text.starts_with("BUSY ")),
        "{busy:?}"
    );
    let mut rounds = 0;
    while e.script_running() && rounds < 100_000 {
        clock.advance_ms(10);
        e.handle_timeouts();
        rounds += 1;
    }
    assert_eq!(inspect(&mut e, 0, "GET greeting"), Reply::bulk(b"done"));
}
