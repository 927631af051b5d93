//! Producers and consumers on a stream, as the streams guide (seed 001) and the delay
//! queue demo (seed 002) run them in different terminals.

mod common;

use common::World;
use redis_programs::ProgramState;

const PRODUCER: &str = r#"
-- Adds an order every 5 seconds.
local n = 0
while true do
  n = n + 1
  local id = redis.call('XADD', 'orders', '*', 'order', n)
  print('added', id)
  sleep(5)
end
"#;

const CONSUMER: &str = r#"
-- One worker of the group 'processors': waits for orders, processes, acknowledges.
local ok, err = pcall(redis.call, 'XGROUP', 'CREATE', 'orders', 'processors', '$', 'MKSTREAM')
if not ok then print('group exists:', err) end
while true do
  local reply = redis.call('XREADGROUP', 'GROUP', 'processors', 'worker-1',
                           'BLOCK', 0, 'STREAMS', 'orders', '>')
  for _, entry in ipairs(reply[1][2]) do
    local id, fields = entry[1], entry[2]
    print('processing', id, fields[1] .. '=' .. fields[2])
    redis.call('XACK', 'orders', 'processors', id)
  end
end
"#;

/// A worker that takes one order at a time and needs 3 s per order before acking.
const SLOW_WORKER: &str = r#"
pcall(redis.call, 'XGROUP', 'CREATE', 'orders', 'processors', '0', 'MKSTREAM')
while true do
  local reply = redis.call('XREADGROUP', 'GROUP', 'processors', 'worker-2',
                           'COUNT', 1, 'BLOCK', 0, 'STREAMS', 'orders', '>')
  local id = reply[1][2][1][1]
  print('working on', id)
  sleep(3)
  redis.call('XACK', 'orders', 'processors', id)
  print('done', id)
end
"#;

/// The supervisor of the guide: claims entries idle for 10 s and finishes them.
const SUPERVISOR: &str = r#"
while true do
  local pending = redis.call('XPENDING', 'orders', 'processors', '-', '+', 10)
  for _, p in ipairs(pending) do
    local id, owner, idle = p[1], p[2], p[3]
    if idle >= 10000 then
      local claimed = redis.call('XCLAIM', 'orders', 'processors', 'rescuer', 10000, id)
      print('claimed', claimed[1][1], 'from', owner, 'idle', idle)
      redis.call('XACK', 'orders', 'processors', id)
    end
  end
  sleep(5)
end
"#;

#[test]
fn a_producer_and_a_blocked_consumer_for_a_minute() {
    let mut w = World::new();
    let consumer = w.start("consumer.lua", CONSUMER);
    let producer = w.start("producer.lua", PRODUCER);
    w.settle();
    assert_eq!(
        w.state(producer),
        ProgramState::Sleeping {
            until_ms: common::START_MS + 5000
        }
    );
    w.forward(60_000);
    assert_eq!(w.elapsed_ms(), 60_000);
    // Thirteen orders: at 0, 5, ..., 60 s, each processed as soon as it was added.
    let added: Vec<String> = (0..13)
        .map(|i| format!("added\t{}-0", common::START_MS + i * 5000))
        .collect();
    assert_eq!(w.output(producer), added);
    let processed: Vec<String> = (0..13)
        .map(|i| {
            format!(
                "processing\t{}-0\torder={}",
                common::START_MS + i * 5000,
                i + 1
            )
        })
        .collect();
    assert_eq!(w.output(consumer), processed);
    let transcript = w.transcript(consumer);
    assert_eq!(transcript[0], "+0.000 note started consumer.lua");
    assert_eq!(
        transcript[2],
        "+5.000 out processing\t1700000005000-0\torder=2"
    );
    assert_eq!(
        w.state(consumer),
        ProgramState::Blocked {
            command: "XREADGROUP GROUP processors worker-1 BLOCK 0 STREAMS orders >".into()
        }
    );
    assert_eq!(
        w.show("XPENDING orders processors"),
        "1) (integer) 0\n2) (nil)\n3) (nil)\n4) (nil)"
    );
    let groups = w.show("XINFO GROUPS orders");
    assert_eq!(
        groups,
        "1)  1) \"name\"\n    2) \"processors\"\n    3) \"consumers\"\n    4) (integer) 1\n    \
         5) \"pending\"\n    6) (integer) 0\n    7) \"last-delivered-id\"\n    8) \"1700000060000-0\"\n    \
         9) \"entries-read\"\n   10) (integer) 13\n   11) \"lag\"\n   12) (integer) 0"
    );
    assert_eq!(w.show("XLEN orders"), "(integer) 13");
    // The programs are clients, named after themselves.
    let clients = w.show("CLIENT LIST");
    assert!(clients.contains("name=consumer.lua"), "{clients}");
    assert!(clients.contains("name=producer.lua"), "{clients}");
    assert!(clients.contains("cmd=xreadgroup"), "{clients}");
}

#[test]
fn the_console_wakes_a_blocked_program() {
    let mut w = World::new();
    let consumer = w.start("consumer.lua", CONSUMER);
    w.forward(1_000);
    assert!(matches!(w.state(consumer), ProgramState::Blocked { .. }));
    w.cmd("XADD orders 7-1 order console");
    w.settle();
    assert_eq!(w.output(consumer), ["processing\t7-1\torder=console"]);
    assert_eq!(
        w.show("XPENDING orders processors"),
        "1) (integer) 0\n2) (nil)\n3) (nil)\n4) (nil)"
    );
}

#[test]
fn a_killed_worker_leaves_its_entry_pending_and_a_supervisor_claims_it() {
    let mut w = World::new();
    let worker = w.start("worker.lua", SLOW_WORKER);
    let producer = w.start("producer.lua", PRODUCER);
    w.forward(7_000);
    // Order 1 done at 3 s; order 2 taken at 5 s, being worked on.
    assert_eq!(
        w.output(worker),
        [
            "working on\t1700000000000-0",
            "done\t1700000000000-0",
            "working on\t1700000005000-0"
        ]
    );
    assert!(w.programs.kill(&mut w.engine, worker));
    assert_eq!(w.state(worker), ProgramState::Killed);
    assert_eq!(w.programs.client(worker), None);
    w.programs.stop(&mut w.engine, producer);
    // What it held stays pending, owned by a consumer whose client is gone.
    assert_eq!(
        w.show("XPENDING orders processors"),
        "1) (integer) 1\n2) \"1700000005000-0\"\n3) \"1700000005000-0\"\n4) 1) 1) \"worker-2\"\n      2) \"1\""
    );
    assert!(!w.show("CLIENT LIST").contains("name=worker.lua"));
    let supervisor = w.start("supervisor.lua", SUPERVISOR);
    w.forward(20_000);
    // Idle 2 s at 7 s, 7 s at 12 s, 12 s at 17 s: claimed then.
    assert_eq!(
        w.output(supervisor),
        ["claimed\t1700000005000-0\tfrom\tworker-2\tidle\t12000"]
    );
    let transcript = w.transcript(supervisor);
    assert_eq!(
        transcript[1],
        "+17.000 out claimed\t1700000005000-0\tfrom\tworker-2\tidle\t12000"
    );
    assert_eq!(
        w.show("XPENDING orders processors"),
        "1) (integer) 0\n2) (nil)\n3) (nil)\n4) (nil)"
    );
    let consumers = w.show("XINFO CONSUMERS orders processors");
    assert!(consumers.contains("\"rescuer\""), "{consumers}");
}

#[test]
fn a_replacement_consumer_autoclaims_in_order_then_goes_on() {
    // Seed 002's demo 2: consumer 1 is stopped with unacknowledged entries; consumer 2
    // claims them all, deletes consumer 1, and processes them in order before new ones.
    let mut w = World::new();
    let producer = w.start(
        "producer.lua",
        "local n = 0 while true do n = n + 1 redis.call('XADD', 'stream:producer', '*', 'n', n) sleep(1) end",
    );
    let first = w.start(
        "consumer-1.lua",
        r#"
pcall(redis.call, 'XGROUP', 'CREATE', 'stream:producer', 'g1', '0', 'MKSTREAM')
while true do
  local r = redis.call('XREADGROUP', 'GROUP', 'g1', 'c1', 'COUNT', 1, 'BLOCK', 0, 'STREAMS', 'stream:producer', '>')
  print('c1 got', r[1][2][1][2][2])   -- never acknowledged: the PEL grows
end
"#,
    );
    w.forward(3_500);
    assert_eq!(
        w.output(first),
        ["c1 got\t1", "c1 got\t2", "c1 got\t3", "c1 got\t4"]
    );
    assert!(w.programs.stop(&mut w.engine, first));
    assert_eq!(w.state(first), ProgramState::Interrupted);
    w.forward(1_000);
    let second = w.start(
        "consumer-2.lua",
        r#"
local function handle(entry) print('c2 handles', entry[2][2]) redis.call('XACK', 'stream:producer', 'g1', entry[1]) end
local claimed = redis.call('XAUTOCLAIM', 'stream:producer', 'g1', 'c2', 1000, '0')
for _, entry in ipairs(claimed[2]) do handle(entry) end
print('deleted c1 with pending', redis.call('XGROUP', 'DELCONSUMER', 'stream:producer', 'g1', 'c1'))
while true do
  local r = redis.call('XREADGROUP', 'GROUP', 'g1', 'c2', 'COUNT', 10, 'BLOCK', 0, 'STREAMS', 'stream:producer', '>')
  for _, entry in ipairs(r[1][2]) do handle(entry) end
end
"#,
    );
    w.forward(2_000);
    assert_eq!(
        w.output(second),
        [
            "c2 handles\t1",
            "c2 handles\t2",
            "c2 handles\t3",
            "c2 handles\t4",
            "deleted c1 with pending\t0",
            "c2 handles\t5",
            "c2 handles\t6",
            "c2 handles\t7",
        ]
    );
    assert_eq!(
        w.show("XPENDING stream:producer g1"),
        "1) (integer) 0\n2) (nil)\n3) (nil)\n4) (nil)"
    );
    assert!(matches!(w.state(producer), ProgramState::Sleeping { .. }));
}

#[test]
fn stop_releases_a_blocked_read() {
    let mut w = World::new();
    let reader = w.start("reader.lua", "print(redis.call('BLPOP', 'jobs', 0))");
    w.settle();
    assert_eq!(
        w.state(reader),
        ProgramState::Blocked {
            command: "BLPOP jobs 0".into()
        }
    );
    assert_eq!(w.engine.blocked_count(), 1);
    assert!(w.programs.stop(&mut w.engine, reader));
    assert_eq!(w.engine.blocked_count(), 0);
    assert_eq!(w.state(reader), ProgramState::Interrupted);
    // Nobody takes the job any more.
    w.cmd("RPUSH jobs j1");
    w.settle();
    assert_eq!(w.show("LRANGE jobs 0 -1"), "1) \"j1\"");
    assert!(w.output(reader).is_empty());
    assert_eq!(
        w.transcript(reader).last().map(String::as_str),
        Some("+0.000 note interrupted (Ctrl+C)")
    );
    // Stopping twice does nothing.
    assert!(!w.programs.stop(&mut w.engine, reader));
}

#[test]
fn a_block_timeout_runs_out_in_virtual_time() {
    let mut w = World::new();
    let reader = w.start(
        "reader.lua",
        r#"
local t0 = now()
local r = redis.call('XREAD', 'BLOCK', 2000, 'STREAMS', 'events', '$')
print('timed out:', tostring(r), now() - t0)
local r = redis.call('XREAD', 'BLOCK', 5000, 'STREAMS', 'events', '$')
print('got', r[1][2][1][1], now() - t0)
"#,
    );
    w.forward(1_999);
    assert!(matches!(w.state(reader), ProgramState::Blocked { .. }));
    assert!(w.output(reader).is_empty());
    // Redis times out strictly after the deadline: at 2001 ms.
    assert_eq!(
        w.programs.next_wakeup_ms(&w.engine),
        Some(common::START_MS + 2001)
    );
    w.forward(2);
    assert_eq!(w.output(reader), ["timed out:\tfalse\t2001"]);
    w.forward(1_000);
    w.cmd("XADD events 9-9 k v");
    w.settle();
    assert_eq!(
        w.output(reader),
        ["timed out:\tfalse\t2001", "got\t9-9\t3001"]
    );
    assert_eq!(w.state(reader), ProgramState::Finished);
}

#[test]
fn a_killed_client_ends_its_program() {
    let mut w = World::new();
    let reader = w.start("reader.lua", "redis.call('BLPOP', 'jobs', 0)");
    w.settle();
    let client = w.programs.client(reader).unwrap_or_default();
    assert_eq!(w.show(&format!("CLIENT KILL ID {client}")), "(integer) 1");
    w.settle();
    assert_eq!(w.state(reader), ProgramState::Killed);
    assert_eq!(
        w.transcript(reader).last().map(String::as_str),
        Some("+0.000 note killed: its connection was closed (CLIENT KILL)")
    );
}

#[test]
fn the_delay_queue_demo_runs_in_three_terminals() {
    // Seed 002's demo 1: corrupted messages go to a sorted set for 1 s, then a processor
    // fixes them and puts them back on the stream.
    let mut w = World::new();
    let consumer = w.start(
        "consumer.lua",
        r#"
pcall(redis.call, 'XGROUP', 'CREATE', 'stream:producer', 'consumers', '$', 'MKSTREAM')
while true do
  local r = redis.call('XREADGROUP', 'GROUP', 'consumers', 'consumer-1', 'COUNT', 10,
                       'BLOCK', 0, 'STREAMS', 'stream:producer', '>')
  for _, e in ipairs(r[1][2]) do
    local id, value = e[1], e[2][2]
    if value == 'corrupted_msg' then
      redis.call('ZADD', 'delay:queue', now() + 1000, id)
      print('delayed', id)
    else
      print('consumed', id, value)
    end
    redis.call('XACK', 'stream:producer', 'consumers', id)
  end
end
"#,
    );
    let producer = w.start(
        "producer.lua",
        r#"
local n = 0
while true do
  n = n + 1
  local value = (n % 3 == 0) and 'corrupted_msg' or ('msg-' .. n)
  redis.call('XADD', 'stream:producer', '*', 'value', value)
  sleep(5)
end
"#,
    );
    let processor = w.start(
        "delay_queue_processor.lua",
        r#"
while true do
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', 'delay:queue', '-inf', now())) do
    redis.call('XADD', 'stream:producer', '*', 'value', 'fixed:' .. id)
    redis.call('ZREM', 'delay:queue', id)
    print('fixed', id)
  end
  sleep(5)
end
"#,
    );
    w.forward(12_000);
    assert_eq!(
        w.show("ZRANGE delay:queue 0 -1 WITHSCORES"),
        "1) \"1700000010000-0\"\n2) \"1700000011000\""
    );
    w.forward(8_000);
    assert_eq!(
        w.transcript(consumer)[1..],
        [
            "+0.000 out consumed\t1700000000000-0\tmsg-1",
            "+5.000 out consumed\t1700000005000-0\tmsg-2",
            "+10.000 out delayed\t1700000010000-0",
            "+15.000 out consumed\t1700000015000-0\tmsg-4",
            "+15.000 out consumed\t1700000015000-1\tfixed:1700000010000-0",
            "+20.000 out consumed\t1700000020000-0\tmsg-5",
        ]
    );
    assert_eq!(
        w.transcript(processor)[1..],
        ["+15.000 out fixed\t1700000010000-0"]
    );
    assert_eq!(w.show("ZCARD delay:queue"), "(integer) 0");
    assert_eq!(w.show("XLEN stream:producer"), "(integer) 6");
    assert!(matches!(w.state(producer), ProgramState::Sleeping { .. }));
}

#[test]
fn failed_orders_are_reclaimed_then_dead_lettered() {
    // Seed 004: a processor fails some orders at random; a reclaimer retries orders
    // idle for 30 s and moves those delivered 3 times to a dead-letter stream.
    let mut w = World::new();
    let producer = w.start(
        "producer.lua",
        "for i = 1, 20 do redis.call('XADD', 'orders', '*', 'order', i) sleep(1) end",
    );
    let processor = w.start(
        "processor.lua",
        r#"
pcall(redis.call, 'XGROUP', 'CREATE', 'orders', 'order-processors', '0', 'MKSTREAM')
while true do
  local r = redis.call('XREADGROUP', 'GROUP', 'order-processors', 'proc-1', 'COUNT', 5,
                       'BLOCK', 0, 'STREAMS', 'orders', '>')
  for _, e in ipairs(r[1][2]) do
    if math.random() < 0.4 then
      print('failed', e[1])
    else
      redis.call('XACK', 'orders', 'order-processors', e[1])
      print('processed', e[1])
    end
  end
end
"#,
    );
    let reclaimer = w.start(
        "reclaimer.lua",
        r#"
while true do
  sleep(10)
  for _, p in ipairs(redis.call('XPENDING', 'orders', 'order-processors', 'IDLE', 30000, '-', '+', 100)) do
    local id, deliveries = p[1], p[4]
    if deliveries >= 3 then
      local entry = redis.call('XRANGE', 'orders', id, id)[1]
      redis.call('XADD', 'orders:dead-letter', '*', 'id', id, 'order', entry[2][2])
      redis.call('XACK', 'orders', 'order-processors', id)
      print('dead-lettered', id)
    else
      redis.call('XCLAIM', 'orders', 'order-processors', 'reclaimer', 30000, id)
      if math.random() < 0.4 then
        print('retry failed', id, deliveries + 1)
      else
        redis.call('XACK', 'orders', 'order-processors', id)
        print('retried', id)
      end
    end
  end
end
"#,
    );
    w.forward(300_000);
    assert_eq!(w.state(producer), ProgramState::Finished);
    let processed = w
        .output(processor)
        .iter()
        .filter(|l| l.starts_with("processed"))
        .count();
    let failed = w
        .output(processor)
        .iter()
        .filter(|l| l.starts_with("failed"))
        .count();
    assert_eq!(processed + failed, 20);
    assert!(failed > 0, "{:?}", w.output(processor));
    let out = w.output(reclaimer);
    let retried = out.iter().filter(|l| l.starts_with("retried")).count();
    let dead = out
        .iter()
        .filter(|l| l.starts_with("dead-lettered"))
        .count();
    // The generators are seeded from the names: this run has both outcomes.
    assert!(retried > 0 && dead > 0, "{out:?}");
    // Every order is processed, retried successfully, or dead-lettered; none pending.
    assert_eq!(processed + retried + dead, 20, "{out:?}");
    assert_eq!(
        w.show("XPENDING orders order-processors"),
        "1) (integer) 0\n2) (nil)\n3) (nil)\n4) (nil)"
    );
    assert_eq!(
        w.show("XLEN orders:dead-letter"),
        format!("(integer) {dead}")
    );
    // A dead-lettered order failed three times: once in the processor, twice retried.
    for line in out.iter().filter(|l| l.starts_with("dead-lettered")) {
        let id = line.trim_start_matches("dead-lettered\t");
        assert!(out.contains(&format!("retry failed\t{id}\t3")), "{out:?}");
    }
}
