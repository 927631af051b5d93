//! A program's life as the page drives it: sleeping in virtual time, pause and resume,
//! runaway loops, restart and remove, the clock's pause, speed and steps, determinism.

mod common;

use common::{World, FUEL, START_MS};
use redis_programs::{drive, LogKind, ProgramState};

const TICKER: &str = r#"
local t0 = now()
for i = 1, 4 do
  sleep(0.25)
  print(i, now() - t0)
end
sleep(1.5)
print('end', now() - t0)
"#;

#[test]
fn sleep_is_exact_in_virtual_time() {
    let mut w = World::new();
    let id = w.start("ticker.lua", TICKER);
    w.settle();
    assert_eq!(
        w.state(id),
        ProgramState::Sleeping {
            until_ms: START_MS + 250
        }
    );
    assert_eq!(w.programs.next_wakeup_ms(&w.engine), Some(START_MS + 250));
    w.forward(249);
    assert!(w.output(id).is_empty());
    w.forward(1);
    assert_eq!(w.output(id), ["1\t250"]);
    w.forward(10_000);
    assert_eq!(
        w.output(id),
        ["1\t250", "2\t500", "3\t750", "4\t1000", "end\t2500"]
    );
    assert_eq!(w.state(id), ProgramState::Finished);
    assert_eq!(w.programs.next_wakeup_ms(&w.engine), None);
}

#[test]
fn a_runaway_loop_is_bounded_per_run_and_others_still_run() {
    let mut w = World::new();
    let spin = w.start("spin.lua", "local n = 0 while true do n = n + 1 end");
    let ticker = w.start("ticker.lua", TICKER);
    let report = w.programs.run(&mut w.engine, 10_000);
    assert_eq!(report.ran, 2);
    assert!(report.fuel <= 10_000 + 1_000, "{report:?}");
    assert_eq!(report.still_ready, 1);
    assert_eq!(w.state(spin), ProgramState::Ready);
    assert_eq!(w.programs.next_wakeup_ms(&w.engine), Some(START_MS));
    // Time still moves to the sleepers' wakeups while the loop spins.
    w.forward(3_000);
    assert_eq!(
        w.output(ticker),
        ["1\t250", "2\t500", "3\t750", "4\t1000", "end\t2500"]
    );
    assert_eq!(w.state(spin), ProgramState::Ready);
    // A runaway loop of commands is bounded too (a command counts 100).
    let incr = w.start("incr.lua", "while true do redis.call('INCR', 'n') end");
    w.programs.run(&mut w.engine, 10_000);
    let n: i64 = match w.cmd("GET n") {
        redis_emulator::Reply::Bulk(b) => String::from_utf8_lossy(&b).parse().unwrap_or(0),
        other => panic!("{other:?}"),
    };
    assert!(n > 0 && n <= 100, "{n}");
    assert!(w.programs.stop(&mut w.engine, spin));
    assert!(w.programs.kill(&mut w.engine, incr));
    assert_eq!(w.state(incr), ProgramState::Killed);
}

#[test]
fn pause_and_resume_a_program() {
    let mut w = World::new();
    let producer = w.start(
        "producer.lua",
        "local n = 0 while true do n = n + 1 redis.call('RPUSH', 'jobs', n) sleep(1) end",
    );
    let worker = w.start(
        "worker.lua",
        "while true do local job = redis.call('BLPOP', 'jobs', 0) print('job', job[2], now() % 100000) end",
    );
    w.forward(1_500);
    assert_eq!(w.output(worker), ["job\t1\t0", "job\t2\t1000"]);
    assert!(w.programs.pause(worker));
    assert!(!w.programs.pause(worker));
    assert_eq!(w.state(worker), ProgramState::Paused);
    w.forward(3_000);
    // While paused the worker takes at most the job it was already waiting for.
    assert_eq!(w.show("LRANGE jobs 0 -1"), "1) \"4\"\n2) \"5\"");
    assert_eq!(w.output(worker).len(), 2);
    assert!(w.programs.resume(worker));
    w.settle();
    assert_eq!(
        w.output(worker),
        [
            "job\t1\t0",
            "job\t2\t1000",
            "job\t3\t4500",
            "job\t4\t4500",
            "job\t5\t4500"
        ]
    );
    // Pausing a sleeper keeps its wakeup from running until resumed.
    assert!(w.programs.pause(producer));
    w.forward(5_000);
    assert_eq!(w.output(worker).len(), 5);
    assert!(w.programs.resume(producer));
    w.settle();
    assert_eq!(w.output(worker).len(), 6);
}

#[test]
fn restart_remove_and_list() {
    let mut w = World::new();
    let id = w.start(
        "counter.lua",
        "local n = 0 while true do n = n + 1 print(n) sleep(1) end",
    );
    w.forward(1_500);
    assert_eq!(w.output(id), ["1", "2"]);
    // A typo in the edited source: the running program is left alone.
    let err = w
        .programs
        .restart_with_source(&mut w.engine, id, "while true do");
    assert_eq!(
        err,
        Err("counter.lua:1: 'end' expected near '<eof>'".to_string())
    );
    assert!(matches!(w.state(id), ProgramState::Sleeping { .. }));
    let old_client = w.programs.client(id);
    assert_eq!(
        w.programs
            .restart_with_source(&mut w.engine, id, "print('v2') sleep(10)"),
        Ok(())
    );
    assert_ne!(w.programs.client(id), old_client);
    w.settle();
    assert_eq!(
        w.transcript(id)[3..],
        [
            "+1.500 note interrupted (Ctrl+C)",
            "+1.500 note restarted counter.lua",
            "+1.500 out v2",
        ]
    );
    assert_eq!(w.programs.source(id), Some("print('v2') sleep(10)"));
    w.programs
        .restart(&mut w.engine, id)
        .unwrap_or_else(|e| panic!("{e}"));
    w.settle();
    assert_eq!(w.output(id).last().map(String::as_str), Some("v2"));
    let other = w.start("other.lua", "sleep(100)");
    w.settle();
    let list = w.programs.list();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].name, "counter.lua");
    assert_eq!(list[1].id, other);
    assert!(matches!(list[1].state, ProgramState::Sleeping { .. }));
    assert!(w.programs.remove(&mut w.engine, id));
    assert!(!w.programs.remove(&mut w.engine, id));
    assert_eq!(w.programs.state(id), None);
    assert!(w.programs.log(id).is_empty());
    assert_eq!(w.programs.list().len(), 1);
    // Only the console and other.lua are connected.
    assert_eq!(w.engine.clients().count(), 2);
    assert!(w.programs.restart(&mut w.engine, id).is_err());
}

#[test]
fn new_log_lines_are_taken_once_in_order() {
    let mut w = World::new();
    let a = w.start("a.lua", "print('a1') sleep(1) print('a2')");
    let b = w.start("b.lua", "print('b1') sleep(0.5) print('b2')");
    w.forward(2_000);
    let lines: Vec<String> = w
        .programs
        .take_new_log_lines()
        .into_iter()
        .map(|(id, l)| format!("{} {} {}", id.0, l.at_ms - START_MS, l.text))
        .collect();
    assert_eq!(
        lines,
        [
            format!("{} 0 started a.lua", a.0),
            format!("{} 0 started b.lua", b.0),
            format!("{} 0 a1", a.0),
            format!("{} 0 b1", b.0),
            format!("{} 500 b2", b.0),
            format!("{} 500 finished", b.0),
            format!("{} 1000 a2", a.0),
            format!("{} 1000 finished", a.0),
        ]
    );
    assert!(w.programs.take_new_log_lines().is_empty());
}

#[test]
fn the_clock_pauses_steps_and_changes_speed_with_programs() {
    let mut w = World::new();
    let id = w.start(
        "producer.lua",
        "while true do print(redis.call('XADD', 's', '*', 'k', 'v')) sleep(5) end",
    );
    // The page's frames: 16 ms of real time each.
    let mut real_us = 0i64;
    let mut frame = |w: &mut World, frames: i64| {
        for _ in 0..frames {
            real_us += 16_000;
            drive::catch_up(&mut w.programs, &mut w.engine, &w.clock, real_us, FUEL);
        }
    };
    frame(&mut w, 1); // the first frame only anchors the clock to the real time
    assert_eq!(w.elapsed_ms(), 0);
    assert_eq!(w.output(id).len(), 1);
    frame(&mut w, 625); // 10 s at speed 1
    assert_eq!(w.elapsed_ms(), 10_000);
    assert_eq!(w.output(id).len(), 3);
    // Paused: frames do not move time, a step does.
    w.clock.pause();
    frame(&mut w, 1000);
    assert_eq!(w.elapsed_ms(), 10_000);
    w.clock.advance(5_000);
    w.settle();
    assert_eq!(w.output(id).len(), 4);
    // Resumed at x100 (the first frame re-anchors): 62 frames are 99.2 s of virtual
    // time, with every wakeup on the way.
    w.clock.resume();
    w.clock.set_speed(100.0);
    frame(&mut w, 63);
    assert_eq!(w.elapsed_ms(), 15_000 + 62 * 1_600);
    let ids: Vec<String> = w.output(id);
    assert_eq!(ids.len(), 23);
    for (i, line) in ids.iter().enumerate() {
        assert_eq!(*line, format!("{}-0", START_MS + i as i64 * 5_000));
    }
}

#[test]
fn same_programs_same_logs() {
    fn play() -> Vec<String> {
        let mut w = World::new();
        let a = w.start(
            "dice.lua",
            "for i = 1, 5 do print(math.random(6), math.random()) sleep(math.random(3)) end",
        );
        let b = w.start(
            "other.lua",
            "for i = 1, 3 do print(math.random(100)) redis.call('SADD', 's', math.random(1000)) sleep(0.7) end \
             print(table.concat(redis.call('SMEMBERS', 's'), ','))",
        );
        let c = w.start(
            "seeded.lua",
            "math.randomseed(42) print(math.random(1000), math.random(1000))",
        );
        w.forward(30_000);
        let mut out = w.transcript(a);
        out.extend(w.transcript(b));
        out.extend(w.transcript(c));
        out
    }
    let first = play();
    assert_eq!(first, play());
    assert_eq!(
        first.iter().filter(|l| l.contains(" out ")).count(),
        5 + 4 + 1
    );
    assert!(first.iter().all(|l| !l.contains(" err ")), "{first:?}");
    // Each program draws from its own generator, seeded from its name.
    let mut w = World::new();
    let source = "print(math.random(1000000), math.random(1000000))";
    let a = w.start("a.lua", source);
    let b = w.start("b.lua", source);
    let a2 = w.start("a.lua", source);
    w.settle();
    assert_ne!(w.output(a), w.output(b));
    assert_eq!(w.output(a), w.output(a2));
}

#[test]
fn resp3_programs_get_resp3_values() {
    let mut w = World::new();
    let id = w.start(
        "hello.lua",
        r#"
redis.call('HSET', 'h', 'a', '1')
print(#redis.call('HGETALL', 'h'))
redis.call('HELLO', '3')
local m = redis.call('HGETALL', 'h')
print(type(m.map), m.map.a)
"#,
    );
    w.settle();
    assert_eq!(w.output(id), ["2", "table\t1"]);
    assert!(w.programs.log(id).iter().all(|l| l.kind != LogKind::Error));
}
