//! The event loop: timers, callbacks after the main chunk, process.exit, the
//! mocha-style test runner.

mod common;

use common::World;
use redis_programs::ProgramState;

#[test]
fn timers_fire_in_virtual_time_after_the_main_chunk() {
    let mut w = World::new();
    let id = w.start(
        "timers.lua",
        "print('start')\n\
         setTimeout(function(a, b) print('later', a, b, now() - START) end, 2000, 'x', 'y')\n\
         local n = 0\n\
         local t\n\
         t = setInterval(function() n = n + 1 print('tick', n) if n == 3 then clearInterval(t) end end, 500)\n\
         local dead = setTimeout(function() print('never') end, 100)\n\
         clearTimeout(dead)\n\
         START = now()\n\
         print('main ends')",
    );
    w.settle();
    assert_eq!(w.state(id), ProgramState::Waiting);
    w.forward(10_000);
    assert_eq!(
        w.output(id),
        [
            "start",
            "main ends",
            "tick\t1",
            "tick\t2",
            "tick\t3",
            "later\tx\ty\t2000"
        ]
    );
    assert_eq!(w.state(id), ProgramState::Finished);
}

#[test]
fn an_error_in_a_callback_ends_the_program_as_node_does() {
    let mut w = World::new();
    let id = w.start(
        "boom.lua",
        "setTimeout(function()\n  local t = nil\n  print(t.x)\nend, 10)",
    );
    w.forward(100);
    assert_eq!(
        w.state(id),
        ProgramState::Crashed {
            message: "boom.lua:3: attempt to index local 't' (a nil value)".into()
        }
    );
}

#[test]
fn process_exit_ends_a_program_with_timers_left() {
    let mut w = World::new();
    let id = w.start(
        "exit.lua",
        "setInterval(function() print('tick') end, 100)\nsetTimeout(function() process.exit() end, 250)",
    );
    w.forward(1000);
    assert_eq!(w.output(id), ["tick", "tick"]);
    assert_eq!(w.state(id), ProgramState::Finished);
}

#[test]
fn bad_timer_arguments_are_errors_at_the_caller_s_line() {
    let mut w = World::new();
    let id = w.start("bad.lua", "local x = 1\nsetTimeout(42, 10)");
    w.settle();
    assert_eq!(
        w.state(id),
        ProgramState::Crashed {
            message: "bad.lua:2: setTimeout: the callback must be a function (got number)".into()
        }
    );
}

#[test]
fn mocha_style_tests_report_passes_and_failures_then_exit() {
    let mut w = World::new();
    let id = w.start(
        "math.test.lua",
        "describe('arithmetic', function()\n\
           local hooks = {}\n\
           beforeEach(function() hooks[#hooks + 1] = 'each' end)\n\
           it('adds', function() expect(1 + 1).to.equal(2) end)\n\
           it('compares tables', function() expect({a = {1, 2}}).to.deep.equal({a = {1, 2}}) end)\n\
           it('fails', function() expect(2 * 2).to.equal(5) end)\n\
           it('throws', function() expect(function() error('Jobs is not an array') end).to.throw('Jobs is not an array') end)\n\
           it('is true', function() expect(#hooks == 5).to.be['true']() expect(nil).to['not'].exist() end)\n\
         end)",
    );
    w.forward(100);
    assert_eq!(
        w.output(id),
        [
            "",
            "  arithmetic",
            "    \u{2713} adds",
            "    \u{2713} compares tables",
            "    1) fails",
            "    \u{2713} throws",
            "    \u{2713} is true",
            "",
            "",
            "  4 passing (0ms)",
            "  1 failing",
            "",
            "  1) arithmetic",
            "       fails:",
            "     AssertionError: expected 4 to equal 5",
            "",
        ]
    );
    assert_eq!(w.state(id), ProgramState::Finished);
}

#[test]
fn require_gives_the_libraries_and_refuses_others() {
    let mut w = World::new();
    let id = w.start(
        "req.lua",
        "local k = require('kue')\nprint(k == kue, type(require('chai').expect))\nrequire('fs')",
    );
    w.settle();
    assert_eq!(w.output(id), ["true\tfunction"]);
    assert_eq!(
        w.state(id),
        ProgramState::Crashed {
            message:
                "req.lua:3: Cannot find module 'fs' (a module is a program tab: require('./8-job') runs the tab 8-job.lua)"
                    .into()
        }
    );
}

#[test]
fn a_program_tab_is_a_module_run_once_per_program() {
    let mut w = World::new();
    w.programs.set_module(
        "8-job.lua",
        "print('loading')\nreturn function(jobs) if type(jobs) ~= 'table' then error('Jobs is not an array', 2) end return #jobs end",
    );
    let id = w.start(
        "main.lua",
        "local count = require('./8-job')\nlocal again = require('./8-job')\nprint(count({1, 2}), count == again)\ncount('x')",
    );
    w.settle();
    assert_eq!(w.output(id), ["loading", "2\ttrue"]);
    assert_eq!(
        w.state(id),
        ProgramState::Crashed {
            message: "main.lua:4: Jobs is not an array".into()
        }
    );
    w.programs.set_module("broken.lua", "x x");
    let id = w.start("b.lua", "local ok, e = pcall(require, 'broken')\nprint(e)");
    w.settle();
    assert_eq!(w.output(id), ["broken.lua:1: '=' expected near 'x'"]);
}

/// `Error(message)` is JavaScript's `new Error(message)`: its stack names the line of the
/// program that made it (not the library's), as Node's first stack frame does.
#[test]
fn an_error_s_stack_names_the_program_line_that_made_it() {
    let mut w = World::new();
    let id = w.start(
        "p.lua",
        "local function fail()\n  local e = Error('Phone number 4153518780 is blacklisted')\n  return e\nend\nprint(fail().stack)\nprint(tostring(Error('x')))\n",
    );
    w.settle();
    assert_eq!(
        w.output(id),
        [
            "Error: Phone number 4153518780 is blacklisted\n    at p.lua:2",
            "Error: x"
        ]
    );
}
