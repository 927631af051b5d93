//! Programs: Lua scripts that run as clients of the Redis emulator, in virtual time.
//!
//! The playground's tutorials run processes "in different terminals": a producer, a
//! consumer blocked on a consumer group, workers, a supervisor. In the page each is a
//! *program*: a Lua script the learner reads, edits, starts, pauses, stops (Ctrl+C) and
//! kills. Each runs in its own Lua 5.1 VM (the `lua51` crate) and is its own client of
//! the [`Engine`](redis_emulator::Engine), named after the program (CLIENT LIST shows
//! `name=consumer.lua`). Everything runs in virtual time: one [`VirtualClock`] shared
//! by the engine and the programs, which the host can pause, slow down, speed up and
//! step, and which tests move instantly.
//!
//! This crate does no I/O and reads no real clock: the host calls it from its timers.
//!
//! # Writing a program (the Lua API)
//!
//! A program is a plain Lua 5.1 script that runs from top to bottom; most loop forever
//! (`while true do ... end`) until they are stopped.
//!
//! ```lua
//! -- producer.lua: a reading every 5 seconds
//! local n = 0
//! while true do
//!   n = n + 1
//!   local id = redis.call('XADD', 'readings', '*', 'n', n, 'temp', math.random(15, 25))
//!   print('added', id)
//!   sleep(5)
//! end
//! ```
//!
//! ```lua
//! -- consumer.lua: waits for entries as a member of the group 'workers'
//! pcall(redis.call, 'XGROUP', 'CREATE', 'readings', 'workers', '$', 'MKSTREAM')
//! while true do
//!   local reply = redis.call('XREADGROUP', 'GROUP', 'workers', 'alice',
//!                            'BLOCK', 0, 'STREAMS', 'readings', '>')
//!   for _, entry in ipairs(reply[1][2]) do
//!     print('got', entry[1], table.concat(entry[2], ' '))
//!     redis.call('XACK', 'readings', 'workers', entry[1])
//!   end
//! end
//! ```
//!
//! - `redis.call(command, arg, ...)` runs a command and returns its reply converted as
//!   in EVAL: a bulk string is a string, an integer a number, an array a table, a nil
//!   reply `false`, a status `{ok='OK'}`. Numbers are sent as Lua writes them (`%.17g`).
//!   An error reply raises an error: the program crashes with the Redis error text
//!   (`producer.lua:12: WRONGTYPE Operation against a key holding the wrong kind of
//!   value`), unless caught with `pcall`.
//! - `redis.pcall(...)` is the same, but an error reply is returned as a table
//!   `{err='WRONGTYPE ...'}` instead of raised.
//! - A blocking command waits, as it does in a terminal: `BLPOP list 0`, `XREAD BLOCK 0`,
//!   `XREADGROUP ... BLOCK 0` suspend the program until another program or the console
//!   gives it something; with a timeout (`BLOCK 2000`) it returns `false` when the
//!   virtual time runs out.
//! - `sleep(seconds)` waits in virtual time; fractions are fine (`sleep(0.25)`).
//! - `now()` is the virtual time in milliseconds since the epoch.
//! - `receive([seconds])` waits for the next message of the channels the program
//!   subscribed to (`redis.call('SUBSCRIBE', 'news')`, `PSUBSCRIBE`), and returns it as
//!   a table: `{'message', channel, payload}` (`{'pmessage', pattern, channel,
//!   payload}`); with a timeout it returns nil when no message came in time
//!   (`receive(0)` only looks). Messages that arrive while the program does something
//!   else wait for it, in order.
//! - `print(...)` and `log(...)` write one line to the program's log: `tostring` of each
//!   argument, separated by tabs, as Lua's `print`.
//! - `math.random` is deterministic: each program has its own generator, seeded from its
//!   name, unless it calls `math.randomseed(n)`. The same programs give the same logs.
//! - The libraries are `string`, `table`, `math`, `cjson`, `cmsgpack`, `bit`, `struct`,
//!   and the base library (`pcall`, `error`, `tostring`, `pairs`, `coroutine`...). There
//!   is no `os` or `io`. Unlike EVAL, globals may be used freely.
//! - A Lua error crashes the program with its message (`producer.lua:12: attempt to
//!   perform arithmetic on local 'n' (a nil value)`).
//!
//! # Serving HTTP (the documents' Express apps)
//!
//! ```lua
//! -- shop.lua: called with `curl localhost:1245/list_products/1`
//! app.get('/list_products/:itemId', function(req, res)
//!   local reserved = tonumber(redis.call('GET', 'item.' .. req.params.itemId)) or 0
//!   res.json({itemId = tonumber(req.params.itemId), reserved = reserved})
//! end)
//! app.post('/orders', function(req, res)
//!   if not req.json then return res.status(400).json({error = 'JSON expected'}) end
//!   local id = redis.call('XADD', 'orders', '*', 'product', req.json.product)
//!   res.status(201).json({success = true, messageId = id})
//! end)
//! app.listen(1245, function() print('listening on 1245') end)
//! ```
//!
//! - `app.get(path, handler)`, `app.post`, `app.put`, `app.patch`, `app.delete`,
//!   `app.all` register routes, tried in that order; `express()` returns `app` (so
//!   `local app = express()` reads as in the documents), and `app:get(...)` works too.
//!   A `:name` segment is a parameter (`req.params.name`, decoded), `*` matches the
//!   rest (`req.params[0]`); literal segments compare case-insensitively and a trailing
//!   slash is optional, as Express's defaults.
//! - `app.listen(port [, callback])`: the program serves that port (1 to 65535). When its
//!   main chunk ends it does not finish: it is `Serving { port }`, live, until stopped
//!   or killed (which frees the port). A port another program serves crashes the
//!   program with Node's `Error: listen EADDRINUSE: address already in use :::3000`.
//! - A handler is `function(req, res)`. `req.method`, `req.path` (not decoded),
//!   `req.query` (the decoded query string: `?count=5` gives `req.query.count == '5'`;
//!   a repeated key gives a list), `req.params`, `req.headers` (lower-case names),
//!   `req.get(name)`, `req.body` (the raw body) and `req.json` (the body decoded with
//!   cjson when the Content-Type is application/json and it parses; else nil).
//! - `res.status(code)`, `res.set(name, value)` (chainable: `res.status(201).json(t)`),
//!   `res.json(value)` (Content-Type `application/json; charset=utf-8`, written by
//!   `JSON.stringify`), `res.send(text)` (`text/html; charset=utf-8`; a
//!   table is sent as JSON), `res.sendStatus(code)`, `res['end']([text])`. Sending twice
//!   raises `Cannot set headers after they are sent to the client`.
//! - JSON: `JSON.stringify(v)` writes what JavaScript's does for the same data (`/`
//!   unescaped, nil is `null`) and `JSON.parse(text)` reads it (objects keep their key
//!   order, and so does `req.json`: what a program reads and writes back keeps the
//!   sender's order). A Lua table has no key
//!   order, so an answer whose exact text matters builds its objects with
//!   `object('itemId', 1, 'itemName', 'Suitcase 250')`: a table that keeps its keys in
//!   the order they were set, later ones last, as a JavaScript object does
//!   (`{"itemId":1,"itemName":"Suitcase 250"}`). Plain tables are encoded as cjson does.
//! - Handlers run inside the program like the rest of its code: `redis.call` (a
//!   blocking one too), `sleep`, `receive`, `print`. **One request at a time**, in
//!   arrival order: the next waits until the handler before it has answered.
//!   **Handlers run once the main chunk has ended** (a Lua VM runs one call at a
//!   time): a program that serves HTTP registers its routes, calls `app.listen` and
//!   ends its main chunk. A loop that consumes a stream forever (`while true do ...
//!   XREADGROUP BLOCK 0`) never ends, so it belongs in a program of its own; callbacks
//!   (timers, a job queue) share the loop with the handlers (see below).
//! - A handler's Lua error answers `500 Internal Server Error` with the error message
//!   as a plain-text body and writes it to the log (`GET /boom: shop.lua:9: ...`); the
//!   program serves on, as Express's default error handler does. No route: `404` with
//!   the body `Cannot GET /x` (Express wraps it in a small HTML page). A handler that
//!   returns without sending gets an empty response and a note in the log (Express
//!   would leave the client waiting). Every response carries `X-Powered-By: Express`,
//!   `Content-Length`, a `Date` of the virtual clock, `Connection: keep-alive`.
//!
//! # Callbacks, timers and the event loop (Node's model)
//!
//! When a program's main chunk ends it finishes, unless something can still call it
//! back: then it is `Waiting` (or `Serving` with a port) and runs one callback at a
//! time, each to its end, in arrival order, as a Node process does.
//!
//! - `setTimeout(fn, ms, ...)`, `setInterval(fn, ms, ...)`, `setImmediate(fn, ...)`,
//!   `clearTimeout(id)`, `clearInterval(id)`: Node's timers in virtual time (a delay
//!   below 1 ms is 1 ms, as in Node).
//! - `process.exit()` ends the program now (its timers and connections go with it).
//! - A callback's uncaught error ends the program as crashed (Node's uncaught exception).
//! - HTTP requests, timers and the job queue's replies and messages share the one loop:
//!   a handler can create jobs, a job's `complete` callback can print while the program
//!   serves HTTP.
//! - `require('./8-job')` runs the program tab `8-job.lua` once in this program and
//!   returns what its chunk returns (Node's `module.exports`), cached;
//!   `require('kue')`, `require('chai')` and `require('assert')` give the libraries
//!   below. Another name: Node's `Cannot find module`.
//!
//! # Job queues (`kue`)
//!
//! ```lua
//! -- 7-job_processor.lua
//! local queue = kue.createQueue()
//! queue.process('push_notification_code_2', 2, function(job, done)
//!   job.progress(0, 100)
//!   if job.data.phoneNumber == '4153518780' then
//!     return done(Error('Phone number 4153518780 is blacklisted'))
//!   end
//!   job.progress(50, 100)
//!   print('Sending notification to ' .. job.data.phoneNumber)
//!   done()
//! end)
//! ```
//!
//! `kue` is Kue 0.11 with Kue's own Redis layout, command for command (checked against
//! real Kue on redis-server: tests/kue.rs): `q:ids`, `q:job:ID` hashes, `q:jobs`,
//! `q:jobs:STATE` and `q:jobs:TYPE:STATE` sorted sets of `01|7` ids, the `q:TYPE:jobs`
//! token list workers BLPOP, `q:job:types`, `q:job:ID:log`, events on `q:events`. A
//! queue opens Kue's extra connections (one subscribed to `q:events`, one per job type
//! for BLPOP), named after the program in CLIENT LIST, and keeps the program waiting.
//! - `kue.createQueue([{prefix = 'q'}])`; `queue.create(type, data)` (data a table,
//!   stored as JSON) returns a job: `job.priority('high' | 'low' | 'normal' | 'medium' |
//!   'critical' | n)`, `job.attempts(n)`, `job.delay(ms)`, `job.ttl(ms)`,
//!   `job.removeOnComplete(true)`, chainable; `job.save([fn(err)])` gives `job.id` (the
//!   callback runs at once); `job.on(event, fn)` for `'enqueue'`, `'start'`,
//!   `'progress'` (fn(percent, data)), `'complete'` (fn(result)), `'failed'`
//!   (fn(message)), `'failed attempt'` (fn(message, attempts)), delivered through
//!   `q:events` like Kue's; `queue.on('job complete', fn(id, result))` and the rest.
//! - `queue.process(type, [n,] fn(job, done))`: n workers; `job.data`, `job.id`,
//!   `job.type`; `job.progress(done, total [, data])`, `job.log(text)`; `done()`,
//!   `done(nil, result)`, `done(Error('message'))` or `done('message')` (the job fails,
//!   or goes back to the queue while attempts remain). Delayed jobs are promoted once a
//!   second. `queue.shutdown([fn])` closes the connections.
//! - `kue.Job.get(id, [type,] fn(err, job))` reads a job back (`job.data`,
//!   `job.state()`, `job.type`), with Kue's error for a missing one.
//! - `queue.inactiveCount([type,] fn(err, n))`, `activeCount`, `completeCount`,
//!   `failedCount`, `delayedCount`.
//! - `queue.testMode.enter([process])`, `.exit()`, `.clear()`, `.jobs`: jobs saved in
//!   test mode are only listed (ids `'1'`, `'2'`...), as Kue's test mode does.
//! - `Error(message)` makes what `new Error(message)` makes (`.message`, `.stack` with
//!   the Lua line), for `done` and for `error(...)`.
//!
//! # Tests (`describe`, `it`, `expect`)
//!
//! mocha and chai, as the documents' `npm test` uses them: `describe(title, fn)`,
//! `it(title, fn)`, `before`, `after`, `beforeEach`, `afterEach` register; the tests
//! run once the main chunk has returned and print mocha's spec report (`✓ title`,
//! `1) title`, `2 passing (0ms)`, failures with chai's message), then the program ends
//! (`mocha --exit`). `expect(v).to.equal(x)`, `.to.deep.equal(t)` / `.to.eql(t)`,
//! `.to.have.lengthOf(n)`, `.to.include(x)`, `.to.be.above(n)`, `.to.be.a('string')`,
//! `.to.throw('text')`, `.to['not']` (or `.never`), and chai's property assertions as
//! calls (a Lua statement must be a call): `.to.be.ok()`, `.to.be['true']()`,
//! `.to.exist()`, `.to.be.empty()`. `assert(v)`, `assert.equal`, `assert.deepEqual`,
//! `assert.throws` as Node's.
//!
//! # Driving programs (the host API)
//!
//! ```
//! use redis_emulator::Engine;
//! use redis_programs::{drive, ProgramState, Programs, VirtualClock};
//!
//! let clock = VirtualClock::new(1_700_000_000_000);
//! let mut engine = Engine::new(Box::new(clock.clone()), 1);
//! let mut programs = Programs::new();
//! let id = programs
//!     .start(&mut engine, "ticker.lua", "for i = 1, 3 do print('tick', i) sleep(1) end")
//!     .unwrap();
//! drive::fast_forward(&mut programs, &mut engine, &clock, 10_000, 100_000);
//! assert_eq!(programs.state(id), Some(ProgramState::Finished));
//! let lines: Vec<String> = programs.log(id).into_iter().map(|l| l.text).collect();
//! assert_eq!(lines, ["started ticker.lua", "tick\t1", "tick\t2", "tick\t3", "finished"]);
//! ```
//!
//! - [`Programs::start`] compiles and starts a program (a compile error is returned as
//!   Lua's message); [`Programs::run`] gives every program that can run one bounded
//!   slice of work (a `while true do end` never hangs the host); [`Programs::next_wakeup_ms`]
//!   says when to run next; `pause`, `resume`, `stop` (Ctrl+C), `kill`, `restart`,
//!   `remove`, `state`, `log`, `take_new_log_lines`, `list`.
//! - [`VirtualClock`]: `sync(real_now_us)` from the host's frame timer, `pause`,
//!   `resume`, `set_speed`, `advance` (a step).
//! - [`drive`]: `catch_up` for the page's timer (moves time to the real time at the
//!   clock's speed, stopping at each wakeup on the way), `fast_forward` for tests and
//!   "skip 1 minute", `settle`.
//! - HTTP: [`Programs::request`] sends an [`HttpRequest`] to the program listening on
//!   its port and returns a [`RequestId`]; the `drive` loops run the handler;
//!   [`Programs::response`] says where it is ([`HttpOutcome::Pending`], `Answered(
//!   HttpResponse { status, reason, headers, body })`, or `Failed(Refused | EmptyReply)`)
//!   and [`Programs::take_response`] takes a finished one. [`curl`] turns the
//!   documents' curl lines into requests and responses into what curl prints.
//!
//! Modules: `clock` (virtual time), `env` (a program's Lua state and API), `program`
//! (one program's life), `host` (all programs), `journal` (their logs), `drive` (time
//! loops), `http` (requests and responses), `curl` (curl lines).

pub mod clock;
pub mod curl;
pub mod drive;
mod env;
mod events;
pub mod host;
pub mod http;
pub mod journal;
mod program;

pub use clock::VirtualClock;
pub use host::{ProgramInfo, Programs, RunReport};
pub use http::{HttpError, HttpOutcome, HttpRequest, HttpResponse, RequestId};
pub use journal::{LogKind, LogLine};

/// A program's number, unique within a [`Programs`] (a restarted program keeps it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProgramId(pub u32);

/// Where a program is in its life.
#[derive(Clone, Debug, PartialEq)]
pub enum ProgramState {
    /// It has work to do: it runs at the next `run`.
    Ready,
    /// In `sleep` until this virtual time (ms).
    Sleeping { until_ms: i64 },
    /// Waiting for the reply of a blocking command (`XREADGROUP GROUP g c BLOCK 0 ...`).
    Blocked { command: String },
    /// In `receive`, waiting for a pub/sub message (until this virtual time, if given).
    Listening { until_ms: Option<i64> },
    /// Paused by the user (it keeps its client and what it waits for).
    Paused,
    /// It ran to its end.
    Finished,
    /// Stopped by the user (Ctrl+C).
    Interrupted,
    /// It raised an error: the message, as its log shows it.
    Crashed { message: String },
    /// Killed by the user, or its connection was closed (CLIENT KILL).
    Killed,
    /// Its main chunk ended after `app.listen(port)`: it waits for HTTP requests (and
    /// any other event).
    Serving { port: u16 },
    /// Its main chunk ended and something can still call it back (a timer, a job
    /// queue's connection): it waits for events.
    Waiting,
}

impl ProgramState {
    /// Whether the program still runs (or could, once resumed).
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            ProgramState::Ready
                | ProgramState::Sleeping { .. }
                | ProgramState::Blocked { .. }
                | ProgramState::Listening { .. }
                | ProgramState::Paused
                | ProgramState::Serving { .. }
                | ProgramState::Waiting
        )
    }
}
