//! `Engine::inspect`: read-only commands that no client can see (the page's goal checks).
//! Each test compares with what a normal client gets or sees, never with typed text.

use redis_emulator::{cli, ClientInfo, Engine, ManualClock, Reply};

fn argv(line: &str) -> Vec<Vec<u8>> {
    cli::split_args(line.as_bytes()).expect("a valid line")
}

fn engine() -> (Engine, ManualClock) {
    let clock = ManualClock::new(1_700_000_000_000);
    (Engine::new(Box::new(clock.clone()), 7), clock)
}

fn run(e: &mut Engine, client: u64, line: &str) -> Reply {
    e.execute(client, &argv(line))
}

fn text(r: &Reply) -> String {
    cli::render(r)
}

/// A dataset with every type and a consumer group.
fn fill(e: &mut Engine, c: u64) {
    for line in [
        "SET s hello",
        "RPUSH l a b c",
        "HSET h f1 v1 f2 v2",
        "SADD set x y z",
        "ZADD z 1 a 2 b",
        "XADD st 1-0 k v",
        "XADD st 2-0 k w",
        "XGROUP CREATE st g 0",
        "XREADGROUP GROUP g alice COUNT 1 STREAMS st >",
    ] {
        assert!(!run(e, c, line).is_error(), "{line}");
    }
}

const READS: &[&str] = &[
    "GET s",
    "LRANGE l 0 -1",
    "HGETALL h",
    "SISMEMBER set y",
    "ZSCORE z b",
    "XLEN st",
    "XPENDING st g",
    "XINFO GROUPS st",
    "XRANGE st - +",
    "TYPE st",
    "EXISTS nothing",
    "GET missing",
    "LLEN s",
];

#[test]
fn replies_are_those_a_client_gets() {
    let (mut e, _clock) = engine();
    let c = e.connect(ClientInfo::default());
    fill(&mut e, c);
    for line in READS {
        let seen = e.inspect(0, &argv(line));
        let normal = run(&mut e, c, line);
        assert_eq!(text(&seen), text(&normal), "{line}");
    }
    // Its own database.
    run(&mut e, c, "SELECT 3");
    run(&mut e, c, "SET only3 yes");
    assert_eq!(
        e.inspect(3, &argv("GET only3")),
        run(&mut e, c, "GET only3")
    );
    assert_eq!(e.inspect(0, &argv("GET only3")), Reply::Nil);
    assert!(e.inspect(99, &argv("GET only3")).is_error());
}

#[test]
fn errors_are_redis_errors_and_writes_are_refused() {
    let (mut e, _clock) = engine();
    let c = e.connect(ClientInfo::default());
    fill(&mut e, c);
    for line in ["NOSUCHCOMMAND x", "GET", "XLEN a b"] {
        let seen = e.inspect(0, &argv(line));
        let normal = run(&mut e, c, line);
        assert_eq!(seen, normal, "{line}");
    }
    let dirty = e.dirty_count();
    for line in [
        "SET s changed",
        "DEL s",
        "XREADGROUP GROUP g bob STREAMS st >",
        "XREAD BLOCK 0 STREAMS st $",
        "BLPOP l 0",
        "EVAL \"return 1\" 0",
        "CLIENT SETNAME x",
        "CONFIG GET maxmemory",
        "SUBSCRIBE ch",
        "MULTI",
        "FLUSHALL",
    ] {
        let reply = e.inspect(0, &argv(line));
        let name = line.split(' ').next().unwrap_or_default();
        assert_eq!(
            reply,
            Reply::Error(format!("ERR inspect: {name} is not a read-only command")),
            "{line}"
        );
    }
    assert_eq!(e.dirty_count(), dirty, "nothing changed");
    assert_eq!(run(&mut e, c, "GET s"), Reply::bulk_str("hello"));
    assert_eq!(e.blocked_count(), 0);
}

/// Two engines do the same; one also inspects, many times. Clients of both see the same.
#[test]
fn nothing_of_it_shows_to_clients() {
    let twin = |inspect: bool| {
        let (mut e, clock) = engine();
        let c = e.connect(ClientInfo::default());
        e.execute(c, &argv("CONFIG SET maxmemory-policy allkeys-lfu"));
        fill(&mut e, c);
        let watcher = e.connect(ClientInfo::default());
        let monitor = e.connect(ClientInfo::default());
        run(&mut e, monitor, "MONITOR");
        e.set_command_log(true);
        clock.advance_ms(120_000);
        if inspect {
            for _ in 0..50 {
                for line in READS {
                    e.inspect(0, &argv(line));
                }
            }
        }
        let mut seen = Vec::new();
        for line in [
            "INFO commandstats",
            "INFO errorstats",
            "INFO stats",
            "CLIENT LIST",
            "OBJECT FREQ s",
            "OBJECT FREQ st",
            "SRANDMEMBER set",
        ] {
            seen.push(text(&run(&mut e, watcher, line)));
        }
        let monitor_frames: Vec<String> = e
            .take_outboxes()
            .into_iter()
            .filter(|(id, _)| *id == monitor)
            .flat_map(|(_, frames)| frames.iter().map(text).collect::<Vec<_>>())
            .collect();
        let logged: Vec<String> = e.take_commands().iter().map(|r| r.name()).collect();
        let next = e.connect(ClientInfo::default());
        (seen, monitor_frames, logged, next)
    };
    let (plain, plain_monitor, plain_log, plain_next) = twin(false);
    let (inspected, monitor, log, next) = twin(true);
    assert_eq!(inspected, plain);
    assert_eq!(monitor, plain_monitor, "no MONITOR line");
    assert_eq!(log, plain_log, "no command-log record");
    assert_eq!(next, plain_next, "the next client id");
}

#[test]
fn lru_idle_time_is_untouched() {
    let (mut e, clock) = engine();
    let c = e.connect(ClientInfo::default());
    fill(&mut e, c);
    clock.advance_ms(30_000);
    e.inspect(0, &argv("GET s"));
    e.inspect(0, &argv("XPENDING st g"));
    assert_eq!(run(&mut e, c, "OBJECT IDLETIME s"), Reply::Integer(30));
    assert_eq!(run(&mut e, c, "OBJECT IDLETIME st"), Reply::Integer(30));
}

#[test]
fn random_reads_leave_the_random_sequence_alone() {
    let (mut a, _ca) = engine();
    let (mut b, _cb) = engine();
    let ca = a.connect(ClientInfo::default());
    let cb = b.connect(ClientInfo::default());
    fill(&mut a, ca);
    fill(&mut b, cb);
    for _ in 0..20 {
        a.inspect(0, &argv("SRANDMEMBER set"));
    }
    for _ in 0..20 {
        assert_eq!(
            run(&mut a, ca, "SRANDMEMBER set"),
            run(&mut b, cb, "SRANDMEMBER set")
        );
    }
}

#[test]
fn an_expired_key_reads_as_absent() {
    let (mut e, clock) = engine();
    let c = e.connect(ClientInfo::default());
    run(&mut e, c, "SET t v PX 100");
    clock.advance_ms(200);
    assert_eq!(e.inspect(0, &argv("EXISTS t")), Reply::Integer(0));
    assert_eq!(
        run(&mut e, c, "DBSIZE"),
        Reply::Integer(0),
        "removed, as any read would"
    );
}
