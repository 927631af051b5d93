//! A publisher and a subscriber, as the queuing tutorial (seed 003) runs them.

mod common;

use common::{World, START_MS};
use redis_programs::ProgramState;

const SUBSCRIBER: &str = r#"
local r = redis.call('SUBSCRIBE', 'holberton school channel')
print('Redis client connected to the server', r[1], r[3])
while true do
  local m = receive()
  print(m[1], m[3])
  if m[3] == 'KILL_SERVER' then
    redis.call('UNSUBSCRIBE', 'holberton school channel')
    break
  end
end
"#;

const PUBLISHER: &str = r#"
local messages = {'Holberton Student #1 starts course', 'Holberton Student #2 starts course',
                  'KILL_SERVER', 'Holberton Student #3 starts course'}
for i, message in ipairs(messages) do
  sleep(0.1 * i)
  print('About to send', message)
  redis.call('PUBLISH', 'holberton school channel', message)
end
"#;

#[test]
fn a_subscriber_receives_until_told_to_stop() {
    let mut w = World::new();
    let sub = w.start("subscriber.lua", SUBSCRIBER);
    let publisher = w.start("publisher.lua", PUBLISHER);
    w.settle();
    assert_eq!(w.state(sub), ProgramState::Listening { until_ms: None });
    let client = w.programs.client(sub).unwrap_or_default();
    assert!(w.engine.is_subscribed(client));
    w.forward(2_000);
    assert_eq!(
        w.output(sub),
        [
            "Redis client connected to the server\tsubscribe\t1",
            "message\tHolberton Student #1 starts course",
            "message\tHolberton Student #2 starts course",
            "message\tKILL_SERVER",
        ]
    );
    assert_eq!(w.state(sub), ProgramState::Finished);
    assert_eq!(w.state(publisher), ProgramState::Finished);
    assert_eq!(w.output(publisher).len(), 4);
}

#[test]
fn messages_wait_in_order_and_receive_times_out() {
    let mut w = World::new();
    let sub = w.start(
        "sub.lua",
        r#"
redis.call('PSUBSCRIBE', 'news.*')
sleep(5)                       -- messages published meanwhile wait
while true do
  local m = receive(2)
  if not m then print('quiet for 2 s at', (now() - START) / 1000) break end
  print(m[1], m[2], m[3], m[4])
end
print('poll:', receive(0))
"#
        .replace("START", &START_MS.to_string())
        .as_str(),
    );
    w.settle();
    w.cmd("PUBLISH news.sport goal");
    w.forward(1_000);
    w.cmd("PUBLISH news.tech rust");
    w.cmd("PUBLISH weather sun");
    w.forward(10_000);
    assert_eq!(
        w.output(sub),
        [
            "pmessage\tnews.*\tnews.sport\tgoal",
            "pmessage\tnews.*\tnews.tech\trust",
            "quiet for 2 s at\t7",
            "poll:\tnil",
        ]
    );
}
