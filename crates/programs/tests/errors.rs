//! What a learner sees when a program is wrong: compile errors, Lua runtime errors, and
//! Redis error replies, raised or caught.

mod common;

use common::World;
use redis_programs::{LogKind, ProgramState};

fn crash_message(w: &World, id: redis_programs::ProgramId) -> String {
    match w.state(id) {
        ProgramState::Crashed { message } => message,
        other => panic!("not crashed: {other:?}"),
    }
}

#[test]
fn a_compile_error_is_returned_with_lua_s_message() {
    let mut w = World::new();
    let r = w.programs.start(
        &mut w.engine,
        "consumer.lua",
        "local a = 1\nlocal b = 2\nx x\n",
    );
    assert_eq!(r, Err("consumer.lua:3: '=' expected near 'x'".to_string()));
    let r = w
        .programs
        .start(&mut w.engine, "p.lua", "while true do\n  print('x')\n");
    assert_eq!(
        r,
        Err("p.lua:3: 'end' expected (to close 'while' at line 1) near '<eof>'".to_string())
    );
    // Nothing was started: no program, no client.
    assert!(w.programs.list().is_empty());
    assert_eq!(w.engine.clients().count(), 1);
}

#[test]
fn a_runtime_error_crashes_the_program_with_its_position() {
    let mut w = World::new();
    let id = w.start(
        "producer.lua",
        "local n\nprint('starting')\nsleep(1)\nlocal total = n + 1\nprint('unreachable')\n",
    );
    w.forward(5_000);
    assert_eq!(
        crash_message(&w, id),
        "producer.lua:4: attempt to perform arithmetic on local 'n' (a nil value)"
    );
    assert_eq!(
        w.transcript(id),
        [
            "+0.000 note started producer.lua",
            "+0.000 out starting",
            "+1.000 err producer.lua:4: attempt to perform arithmetic on local 'n' (a nil value)",
            "+1.000 note crashed",
        ]
    );
    // Its client is gone.
    assert_eq!(w.programs.client(id), None);
    assert!(!w.show("CLIENT LIST").contains("producer.lua"));
}

#[test]
fn error_and_errors_in_functions() {
    let mut w = World::new();
    let a = w.start("a.lua", "local function check(x)\n  if x > 2 then error('too big: ' .. x) end\nend\nfor i = 1, 5 do check(i) end");
    let b = w.start("b.lua", "error({code = 42})");
    let c = w.start("c.lua", "local t = nil\nprint(t.field)");
    w.settle();
    assert_eq!(crash_message(&w, a), "a.lua:2: too big: 3");
    assert!(
        crash_message(&w, b).starts_with("table: 0x"),
        "{}",
        crash_message(&w, b)
    );
    assert_eq!(
        crash_message(&w, c),
        "c.lua:2: attempt to index local 't' (a nil value)"
    );
}

#[test]
fn redis_call_raises_the_redis_error_text() {
    let mut w = World::new();
    w.cmd("SET name alice");
    let id = w.start(
        "worker.lua",
        "print('before')\nlocal n = redis.call('INCR', 'name')\nprint(n)",
    );
    w.settle();
    assert_eq!(
        crash_message(&w, id),
        "worker.lua:2: ERR value is not an integer or out of range"
    );
    let unknown = w.start("u.lua", "redis.call('NOSUCH', 'x')");
    let wrongtype = w.start("t.lua", "redis.call('LPUSH', 'name', 'x')");
    let arity = w.start("r.lua", "\n\nredis.call('GET')");
    let noargs = w.start("n.lua", "redis.call()");
    let badarg = w.start("b.lua", "redis.call('SET', 'k', {})");
    w.settle();
    assert_eq!(
        crash_message(&w, unknown),
        "u.lua:1: ERR unknown command 'NOSUCH', with args beginning with: 'x' "
    );
    assert_eq!(
        crash_message(&w, wrongtype),
        "t.lua:1: WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        crash_message(&w, arity),
        "r.lua:3: ERR wrong number of arguments for 'get' command"
    );
    assert_eq!(
        crash_message(&w, noargs),
        "n.lua:1: ERR Please specify at least one argument for this redis lib call"
    );
    assert_eq!(
        crash_message(&w, badarg),
        "b.lua:1: ERR Lua redis lib command arguments must be strings or integers"
    );
}

#[test]
fn redis_pcall_returns_the_error_table_and_pcall_the_message() {
    let mut w = World::new();
    w.cmd("SET name alice");
    let id = w.start(
        "careful.lua",
        r#"
local r = redis.pcall('INCR', 'name')
print(type(r), r.err)
local ok, msg = pcall(redis.call, 'INCR', 'name')
print(ok, msg)
local ok, msg = pcall(function() local x = nil; return x.y end)
print(ok, msg)
print(redis.call('SET', 'k', 'v').ok, redis.call('GET', 'k'), redis.call('GET', 'nothing'), redis.call('INCR', 'n'))
print(cjson.encode(redis.call('HGETALL', 'nothing')), cjson.encode({a = 1}))
"#,
    );
    w.settle();
    assert_eq!(w.state(id), ProgramState::Finished);
    assert_eq!(
        w.output(id),
        [
            "table\tERR value is not an integer or out of range",
            "false\tERR value is not an integer or out of range",
            "false\tcareful.lua:6: attempt to index local 'x' (a nil value)",
            "OK\tv\tfalse\t1",
            "{}\t{\"a\":1}",
        ]
    );
}

#[test]
fn print_formats_like_lua_and_there_is_no_os_or_io() {
    let mut w = World::new();
    let id = w.start(
        "p.lua",
        r#"
print(1, 2.5, nil, true, 'x', 1e100, 2^53)
print()
log('via log', 10 / 4)
print(setmetatable({}, {__tostring = function() return 'custom' end}))
counter = 0             -- globals are allowed
counter = counter + 1
print(counter, type(os), type(io), type(string.format), type(table.concat), math.floor(2.7))
"#,
    );
    w.settle();
    assert_eq!(
        w.output(id),
        [
            "1\t2.5\tnil\ttrue\tx\t1e+100\t9.007199254741e+15",
            "",
            "via log\t2.5",
            "custom",
            "1\tnil\tnil\tfunction\tfunction\t2",
        ]
    );
    assert!(w.programs.log(id).iter().all(|l| l.kind != LogKind::Error));
}

#[test]
fn natives_called_from_callbacks_fail_cleanly() {
    let mut w = World::new();
    let a = w.start(
        "a.lua",
        "string.gsub('ab', '%w', function(k) redis.call('INCR', k) end)",
    );
    let b = w.start(
        "b.lua",
        "table.sort({3, 1, 2}, function(x, y) sleep(1) return x < y end)",
    );
    let c = w.start("c.lua", "sleep('soon')");
    w.settle();
    assert!(
        crash_message(&w, a)
            .contains("redis.call cannot be called from a function that a library function calls"),
        "{}",
        crash_message(&w, a)
    );
    assert!(
        crash_message(&w, b).contains("sleep cannot be called"),
        "{}",
        crash_message(&w, b)
    );
    assert_eq!(
        crash_message(&w, c),
        "c.lua:1: bad argument #1 to 'sleep' (number expected, got string)"
    );
}

#[test]
fn after_quit_commands_fail() {
    let mut w = World::new();
    let id = w.start(
        "quitter.lua",
        "print(redis.call('QUIT').ok)\nprint(redis.pcall('PING').err)\nsleep(1)\nredis.call('PING')",
    );
    w.settle();
    assert_eq!(
        w.output(id),
        ["OK", "ERR the connection is closed (the program sent QUIT)"]
    );
    assert_eq!(w.programs.client(id), None);
    assert_eq!(w.engine.clients().count(), 1);
    w.forward(1_000);
    assert_eq!(
        crash_message(&w, id),
        "quitter.lua:4: ERR the connection is closed (the program sent QUIT)"
    );
}

#[test]
fn memory_and_stack_limits_crash_the_program_not_the_host() {
    let mut w = World::new();
    let hog = w.start(
        "hog.lua",
        "local t = {}\nwhile true do t[#t + 1] = string.rep('x', 1000) .. #t end",
    );
    let deep = w.start(
        "deep.lua",
        "local function f(n) return 1 + f(n + 1) end\nf(1)",
    );
    for _ in 0..2_000 {
        w.programs.run(&mut w.engine, common::FUEL);
        if !w.state(hog).is_live() && !w.state(deep).is_live() {
            break;
        }
    }
    // Lua 5.1 raises memory errors without a position.
    assert_eq!(crash_message(&w, hog), "not enough memory");
    assert_eq!(crash_message(&w, deep), "deep.lua:1: stack overflow");
}

#[test]
fn programs_sleep_and_call_redis_inside_coroutines() {
    let mut w = World::new();
    let id = w.start(
        "co.lua",
        r#"
local worker = coroutine.wrap(function()
  for i = 1, 2 do
    sleep(1)
    coroutine.yield(redis.call('INCR', 'c'))
  end
end)
print(worker(), worker())
"#,
    );
    w.forward(5_000);
    assert_eq!(w.output(id), ["1\t2"]);
    assert_eq!(w.state(id), ProgramState::Finished);
}
