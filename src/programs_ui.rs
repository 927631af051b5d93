//! Programs and virtual time in the page: the model behind the program tabs of the
//! console pane and the time bar.
//!
//! The tutorials run producers, workers and supervisors "in different terminals"; here
//! each is a program tab (a Lua script of the `redis-programs` crate, its own client of
//! the engine). The whole page runs on one [`VirtualClock`] shared with the engine: at
//! speed x1 and not paused it follows real time, so the console behaves as with a real
//! clock, and the learner can pause, slow down, speed up or step it.
//!
//! [`Desk`] owns the clock, the programs and the tabs (a tab keeps the learner's draft:
//! editing a running program changes nothing until Run/Restart). Time moves only through
//! [`Desk::forward_to`]: from wakeup to wakeup (a producer sleeping 5 s wakes twelve times
//! in a fast-forwarded minute, not once), each program getting bounded slices of fuel,
//! and under a time budget (`keep_going`) so a tick never freezes the page: a runaway
//! `while true do end` only costs its slices. When the budget runs out the clock still
//! reaches its target (time keeps following real time); programs that missed a wakeup
//! run late, at the next tick.

use redis_emulator::{Clock, Engine};
use redis_programs::{LogLine, ProgramId, ProgramState, Programs, VirtualClock};

use crate::requests::Requests;

/// A ready-made program offered by the "+ program" menu.
pub struct Template {
    /// The file name the tab shows (and the program's client name).
    pub name: &'static str,
    /// What the menu says.
    pub title: &'static str,
    pub source: &'static str,
}

/// The menu, blank program first.
pub const TEMPLATES: &[Template] = &[
    Template {
        name: "program.lua",
        title: "Blank program",
        source: BLANK,
    },
    Template {
        name: "producer.lua",
        title: "Stream producer (XADD every 5 s)",
        source: PRODUCER,
    },
    Template {
        name: "worker.lua",
        title: "Consumer-group worker (XREADGROUP, XACK)",
        source: WORKER,
    },
    Template {
        name: "supervisor.lua",
        title: "Supervisor (XAUTOCLAIM stuck entries)",
        source: SUPERVISOR,
    },
    Template {
        name: "listener.lua",
        title: "Pub/sub listener (SUBSCRIBE, receive)",
        source: LISTENER,
    },
    Template {
        name: "orders-api.lua",
        title: "Orders API on a stream (HTTP on port 3000)",
        source: ORDERS_API,
    },
];

const BLANK: &str = r#"-- A program is a Lua script that talks to the Redis in this page as its own
-- client. redis.call(...) runs a command, sleep(s) waits in virtual time,
-- print(...) writes to the log below. Ctrl+Enter runs it, Ctrl+C stops it.
local n = redis.call('INCR', 'runs')
print('run number', n)
"#;

const PRODUCER: &str = r#"-- producer.lua: adds an order to the stream 'orders' every 5 seconds.
-- Open the key 'orders' on the right to watch the stream grow.
local n = 0
while true do
  n = n + 1
  -- '*' lets Redis pick the ID: the (virtual) time in ms, then a sequence number.
  local id = redis.call('XADD', 'orders', '*', 'order', n,
                        'amount', math.random(5, 50))
  print('added order', n, id)
  sleep(5)
end
"#;

const WORKER: &str = r#"-- worker.lua: a worker of the consumer group 'workers' on the stream 'orders'.
-- Each order takes 8 seconds of work, then XACK takes it off the pending list.
-- Kill it while it works: its order stays pending, owned by 'worker-1'.
pcall(redis.call, 'XGROUP', 'CREATE', 'orders', 'workers', '0', 'MKSTREAM')
while true do
  -- BLOCK 0 waits (the program shows as blocked) until an order arrives.
  local reply = redis.call('XREADGROUP', 'GROUP', 'workers', 'worker-1',
                           'COUNT', 1, 'BLOCK', 0, 'STREAMS', 'orders', '>')
  local entry = reply[1][2][1]
  local id, fields = entry[1], entry[2]
  print('working on', id, table.concat(fields, ' '))
  sleep(8)
  redis.call('XACK', 'orders', 'workers', id)
  print('done', id)
end
"#;

const SUPERVISOR: &str = r#"-- supervisor.lua: every 10 seconds, claims the orders a worker took but has not
-- acknowledged for 10 seconds (it crashed, or was killed), and finishes them.
pcall(redis.call, 'XGROUP', 'CREATE', 'orders', 'workers', '0', 'MKSTREAM')
while true do
  -- XAUTOCLAIM key group consumer min-idle-ms start: {next start, entries, deleted}
  local reply = redis.call('XAUTOCLAIM', 'orders', 'workers', 'supervisor',
                           10000, '0-0', 'COUNT', 10)
  for _, entry in ipairs(reply[2]) do
    print('claimed', entry[1], table.concat(entry[2], ' '))
    redis.call('XACK', 'orders', 'workers', entry[1])
  end
  sleep(10)
end
"#;

const ORDERS_API: &str = r#"-- orders-api.lua: the HTTP half of the streams example's `npm start`.
-- POST /orders adds an order to the stream; the other endpoints read it back.
-- Run it, then in the HTTP tab:
--   curl -X POST localhost:3000/orders -H 'Content-Type: application/json' -d '{"orderId": 1001, "product": "Laptop", "quantity": 2, "userId": 42}'
--   curl "localhost:3000/orders/history?count=5"
--   curl localhost:3000/orders/pending
--   curl localhost:3000/stream/info
-- Handlers run once this main code has ended: the consumer group's workers
-- (XREADGROUP, XACK) run as programs of their own.
local STREAM_KEY = 'orders:stream'
local GROUP = 'order-processors'
local MAXLEN = 10000

-- The group reads the whole stream ('0'); MKSTREAM creates an empty stream.
pcall(redis.call, 'XGROUP', 'CREATE', STREAM_KEY, GROUP, '0', 'MKSTREAM')

-- {field, value, field, value} as {field = value}.
local function to_object(list)
  local t = {}
  for i = 1, #list, 2 do t[list[i]] = list[i + 1] end
  return t
end

-- A stream entry {id, {field, value, ...}} as {id = ..., data = {...}}.
local function message(entry)
  return {id = entry[1], data = to_object(entry[2])}
end

-- The order's fields in the order they are usually written, then any others.
local KNOWN = {'orderId', 'product', 'quantity', 'userId'}

app.post('/orders', function(req, res)
  local order = req.json
  if type(order) ~= 'table' then
    return res.status(400).json({success = false,
      error = 'Send the order as JSON (-H "Content-Type: application/json")'})
  end
  local fields, seen = {}, {}
  for _, k in ipairs(KNOWN) do
    if order[k] ~= nil then
      fields[#fields + 1] = k
      fields[#fields + 1] = tostring(order[k])
      seen[k] = true
    end
  end
  local others = {}
  for k in pairs(order) do
    if not seen[k] then others[#others + 1] = tostring(k) end
  end
  table.sort(others)
  for _, k in ipairs(others) do
    fields[#fields + 1] = k
    fields[#fields + 1] = type(order[k]) == 'table' and cjson.encode(order[k]) or tostring(order[k])
  end
  fields[#fields + 1] = 'timestamp'
  fields[#fields + 1] = tostring(now())
  -- MAXLEN ~ keeps the stream near MAXLEN entries (trimmed by whole nodes).
  local id = redis.call('XADD', STREAM_KEY, 'MAXLEN', '~', MAXLEN, '*', unpack(fields))
  print('order added', id)
  res.status(201).json({success = true, messageId = id})
end)

-- Replay: the newest `count` orders (default 100), or a range with start/end.
app.get('/orders/history', function(req, res)
  local count = tonumber(req.query.count) or 100
  local entries
  if req.query.start or req.query['end'] then
    entries = redis.call('XRANGE', STREAM_KEY, req.query.start or '-',
                         req.query['end'] or '+', 'COUNT', count)
  else
    entries = redis.call('XREVRANGE', STREAM_KEY, '+', '-', 'COUNT', count)
  end
  local messages = {}
  for i, e in ipairs(entries) do messages[i] = message(e) end
  res.json({count = #messages, messages = messages})
end)

-- Delivered to a consumer of the group and not acknowledged yet.
app.get('/orders/pending', function(req, res)
  local summary = redis.call('XPENDING', STREAM_KEY, GROUP)
  local details = redis.call('XPENDING', STREAM_KEY, GROUP, '-', '+', 100)
  local messages = {}
  for i, p in ipairs(details) do
    messages[i] = {id = p[1], consumer = p[2], idleTime = p[3], deliveryCount = p[4]}
  end
  res.json({count = summary[1], messages = messages})
end)

app.get('/stream/info', function(req, res)
  local info = to_object(redis.call('XINFO', 'STREAM', STREAM_KEY))
  local groups = {}
  for i, g in ipairs(redis.call('XINFO', 'GROUPS', STREAM_KEY)) do
    local group = to_object(g)
    groups[i] = {name = group.name, consumers = group.consumers,
                 pending = group.pending, lastDeliveredId = group['last-delivered-id']}
  end
  res.json({
    length = info.length,
    firstEntry = info['first-entry'] and message(info['first-entry']) or nil,
    lastEntry = info['last-entry'] and message(info['last-entry']) or nil,
    groups = groups,
  })
end)

app.listen(3000, function() print('Server running on port 3000') end)
"#;

const LISTENER: &str = r#"-- listener.lua: subscribes to the channel 'news' and prints what is published.
-- Try it: PUBLISH news hello, in a redis-cli tab.
redis.call('SUBSCRIBE', 'news')
while true do
  local m = receive()  -- waits for the next message: {'message', channel, payload}
  print(m[2] .. ':', m[3])
end
"#;

/// Fuel of one slice of one program (about one unit per Lua instruction).
pub const FUEL: u64 = 5_000;
/// Rounds of `Programs::run` at one stop of time, at most: programs that keep waking
/// each other (or a runaway loop) go on at the next stop or tick.
const ROUNDS_PER_STOP: usize = 64;
/// The most program tabs (each is a Lua VM and a client).
pub const MAX_PROGRAMS: usize = 8;
/// Log lines a program tab shows (the crate keeps more).
pub const SHOWN_LOG_LINES: usize = 200;
/// The speeds the time bar offers.
pub const SPEEDS: &[f64] = &[0.1, 1.0, 10.0, 100.0];
/// How far virtual time may drift from real time before the bar says so.
const DRIFT_MS: i64 = 1_500;

/// One program tab: the learner's draft and, once run, the program.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgramTab {
    /// The file name: `worker.lua`, `worker-2.lua` for a second one.
    pub name: String,
    /// What the editor holds (the program runs the source it was last run with).
    pub draft: String,
    /// The program, once run.
    pub id: Option<ProgramId>,
    /// The last compile error (Lua's message), cleared by a run that compiles.
    pub error: Option<String>,
}

/// The clock, the programs and their tabs.
pub struct Desk {
    pub clock: VirtualClock,
    pub programs: Programs,
    pub tabs: Vec<ProgramTab>,
    /// The program tab shown in the console pane, if one is (else a redis-cli tab, or
    /// the HTTP tab).
    pub shown: Option<usize>,
    /// The HTTP tab's curl lines and exchanges.
    pub http: Requests,
    /// The HTTP tab is shown (when no program tab is: see `http_visible`).
    pub http_shown: bool,
}

impl Desk {
    /// An empty desk; the engine must read `clock` (a clone).
    pub fn new(clock: VirtualClock) -> Desk {
        Desk {
            clock,
            programs: Programs::new(),
            tabs: Vec::new(),
            shown: None,
            http: Requests::new(),
            http_shown: false,
        }
    }

    /// Whether the console pane shows the HTTP tab.
    pub fn http_visible(&self) -> bool {
        self.http_shown && self.shown.is_none()
    }

    /// Shows the HTTP tab.
    pub fn show_http(&mut self) {
        self.shown = None;
        self.http_shown = true;
    }

    /// Sends a curl line from the HTTP tab (or an exercise) and runs the programs
    /// without moving time, so a handler that needs no time has answered on return.
    /// Returns the exchange's number.
    pub fn send_curl(
        &mut self,
        engine: &mut Engine,
        line: &str,
        keep_going: &dyn Fn() -> bool,
    ) -> u64 {
        let number = self.http.send(&mut self.programs, line);
        self.settle(engine, keep_going);
        number
    }

    /// Opens a tab with `template`'s source and shows it; None when `MAX_PROGRAMS` are
    /// open. The name is the template's, numbered if taken (`worker-2.lua`).
    pub fn open(&mut self, template: &Template) -> Option<usize> {
        if self.tabs.len() >= MAX_PROGRAMS {
            return None;
        }
        let name = self.unique_name(template.name);
        self.tabs.push(ProgramTab {
            name,
            draft: template.source.to_string(),
            id: None,
            error: None,
        });
        let index = self.tabs.len() - 1;
        self.shown = Some(index);
        Some(index)
    }

    /// The tab of the program called `name`, opening it with `source` if there is none
    /// (an exercise's program: a learner's edits in an open tab are kept). None when
    /// `MAX_PROGRAMS` are open.
    pub fn open_named(&mut self, name: &str, source: &str) -> Option<usize> {
        if let Some(index) = self.find(name) {
            self.shown = Some(index);
            return Some(index);
        }
        if self.tabs.len() >= MAX_PROGRAMS {
            return None;
        }
        self.tabs.push(ProgramTab {
            name: name.to_string(),
            draft: source.to_string(),
            id: None,
            error: None,
        });
        let index = self.tabs.len() - 1;
        self.shown = Some(index);
        Some(index)
    }

    /// The tab of the program called `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.tabs.iter().position(|t| t.name == name)
    }

    fn unique_name(&self, name: &str) -> String {
        let taken = |n: &str| self.tabs.iter().any(|t| t.name == n);
        if !taken(name) {
            return name.to_string();
        }
        let stem = name.strip_suffix(".lua").unwrap_or(name);
        (2..)
            .map(|i| format!("{stem}-{i}.lua"))
            .find(|n| !taken(n))
            .unwrap_or_else(|| name.to_string())
    }

    /// Runs tab `index`'s draft: starts it, or restarts the program with it. On a compile
    /// error the tab shows Lua's message and a running program goes on as it was.
    /// Returns whether it runs. The program gets its first slices at once (a producer's
    /// first XADD happens now, not at the next tick).
    pub fn run(&mut self, engine: &mut Engine, index: usize) -> bool {
        self.run_with_modules(engine, index, &[])
    }

    /// `run`, where `require` also finds `extra` modules (name, source) that have no tab
    /// open (an exercise's module the learner has not opened). An open tab wins: its
    /// text is what the learner wrote.
    pub fn run_with_modules(
        &mut self,
        engine: &mut Engine,
        index: usize,
        extra: &[(&str, &str)],
    ) -> bool {
        // Every tab is a module the program may `require('./name')`, as it reads now.
        self.programs.clear_modules();
        for (name, source) in extra {
            self.programs.set_module(name, source);
        }
        for tab in &self.tabs {
            self.programs.set_module(&tab.name, &tab.draft);
        }
        let Some(tab) = self.tabs.get_mut(index) else {
            return false;
        };
        let result = match tab.id {
            None => self
                .programs
                .start(engine, &tab.name, &tab.draft)
                .map(|id| tab.id = Some(id)),
            Some(id) => self.programs.restart_with_source(engine, id, &tab.draft),
        };
        tab.error = result.err();
        let ok = tab.error.is_none();
        if ok {
            self.settle(engine, &|| true);
        }
        ok
    }

    pub fn pause(&mut self, index: usize) -> bool {
        self.id(index).is_some_and(|id| self.programs.pause(id))
    }

    pub fn resume(&mut self, index: usize) -> bool {
        self.id(index).is_some_and(|id| self.programs.resume(id))
    }

    /// Ctrl+C: the program ends as interrupted, its client disconnects.
    pub fn stop(&mut self, engine: &mut Engine, index: usize) -> bool {
        self.id(index)
            .is_some_and(|id| self.programs.stop(engine, id))
    }

    pub fn kill(&mut self, engine: &mut Engine, index: usize) -> bool {
        self.id(index)
            .is_some_and(|id| self.programs.kill(engine, id))
    }

    /// Closes tab `index`, stopping its program and forgetting its log.
    pub fn close(&mut self, engine: &mut Engine, index: usize) {
        if index >= self.tabs.len() {
            return;
        }
        let tab = self.tabs.remove(index);
        if let Some(id) = tab.id {
            self.programs.remove(engine, id);
        }
        self.shown = match self.shown {
            Some(s) if s == index => None,
            Some(s) if s > index => Some(s - 1),
            other => other,
        };
    }

    /// The tabs' names and drafts in their saved form (kept across reloads, as the
    /// command history is): `name length:name draft length:draft`, per tab. Programs do
    /// not run again on their own after a reload: the learner runs them.
    pub fn saved(&self) -> String {
        let mut out = String::new();
        for t in &self.tabs {
            out.push_str(&format!(
                "{}:{}{}:{}",
                t.name.len(),
                t.name,
                t.draft.len(),
                t.draft
            ));
        }
        out
    }

    /// Opens the tabs of a saved form (`saved`); a corrupt one opens what it holds up to
    /// the damage. The first tab is not shown: the console stays in front.
    pub fn restore(&mut self, saved: &str) {
        let mut rest = saved;
        while self.tabs.len() < MAX_PROGRAMS {
            let Some((name, after)) = take_field(rest) else {
                break;
            };
            let Some((draft, after)) = take_field(after) else {
                break;
            };
            rest = after;
            if name.is_empty() || self.tabs.iter().any(|t| t.name == name) {
                continue;
            }
            self.tabs.push(ProgramTab {
                name: name.to_string(),
                draft: draft.to_string(),
                id: None,
                error: None,
            });
        }
    }

    pub fn id(&self, index: usize) -> Option<ProgramId> {
        self.tabs.get(index).and_then(|t| t.id)
    }

    /// Tab `index`'s program state; None before its first run.
    pub fn state(&self, index: usize) -> Option<ProgramState> {
        self.id(index).and_then(|id| self.programs.state(id))
    }

    /// The newest `SHOWN_LOG_LINES` lines of tab `index`'s log, oldest first.
    pub fn log(&self, index: usize) -> Vec<LogLine> {
        let Some(id) = self.id(index) else {
            return Vec::new();
        };
        let mut log = self.programs.log(id);
        let skip = log.len().saturating_sub(SHOWN_LOG_LINES);
        log.drain(..skip);
        log
    }

    /// Whether programs wrote to their logs since the last call.
    pub fn take_news(&mut self) -> bool {
        !self.programs.take_new_log_lines().is_empty()
    }

    /// Whether a program can run right now (a busy loop, one woken by another).
    pub fn work_ready(&self, engine: &Engine) -> bool {
        self.programs.next_wakeup_ms(engine) == Some(engine.now_ms())
    }

    /// The page's timer: moves virtual time by what the real time since the previous
    /// call is worth at the clock's speed (`real_now_us`: any origin), running the
    /// programs at every wakeup on the way.
    pub fn catch_up(
        &mut self,
        engine: &mut Engine,
        real_now_us: i64,
        keep_going: &dyn Fn() -> bool,
    ) {
        let elapsed = self.clock.take_elapsed_us(real_now_us);
        let target = self.clock.now_us().saturating_add(elapsed);
        self.forward_to(engine, target, keep_going);
    }

    /// A step of the time bar ("+1 min"): `ms` of virtual time at once, paused or not.
    pub fn step(&mut self, engine: &mut Engine, ms: i64, keep_going: &dyn Fn() -> bool) {
        let target = self
            .clock
            .now_us()
            .saturating_add(ms.max(0).saturating_mul(1000));
        self.forward_to(engine, target, keep_going);
    }

    /// "Next event": moves virtual time to the next wakeup (a sleeping program, a
    /// blocked client's or a receive's timeout) and runs what it wakes. False when
    /// nothing is scheduled.
    pub fn next_event(&mut self, engine: &mut Engine, keep_going: &dyn Fn() -> bool) -> bool {
        match self.programs.next_timed_wakeup_ms(engine) {
            Some(at) => {
                self.forward_to(engine, at.saturating_mul(1000), keep_going);
                true
            }
            None => false,
        }
    }

    /// Moves virtual time to `target_us`, stopping at every wakeup on the way and
    /// letting the programs run at each stop. Once `keep_going` says the page needs its
    /// thread back, the clock goes straight to the target.
    pub fn forward_to(
        &mut self,
        engine: &mut Engine,
        target_us: i64,
        keep_going: &dyn Fn() -> bool,
    ) {
        self.settle(engine, keep_going);
        while keep_going() {
            let now = self.clock.now_ms();
            let next = self
                .programs
                .next_timed_wakeup_ms(engine)
                .filter(|&t| t > now && t.saturating_mul(1000) <= target_us);
            let Some(next) = next else {
                break;
            };
            self.clock.advance_to(next);
            self.settle(engine, keep_going);
        }
        let now = self.clock.now_us();
        self.clock.advance_us(target_us.saturating_sub(now));
        self.settle(engine, keep_going);
    }

    /// Runs the programs without moving time, until none can run now, `ROUNDS_PER_STOP`
    /// rounds, or the budget ends (at least one round: timeouts are handled).
    /// A shell loop of curl requests sends its next one as each is answered, so it
    /// runs to its end here unless a request has to wait (for time or for another
    /// program).
    fn settle(&mut self, engine: &mut Engine, keep_going: &dyn Fn() -> bool) {
        loop {
            for _ in 0..ROUNDS_PER_STOP {
                let report = self.programs.run(engine, FUEL);
                if report.still_ready == 0 || !keep_going() {
                    break;
                }
            }
            self.http.poll(&mut self.programs);
            if !keep_going() || !self.http.send_next_queued(&mut self.programs) {
                break;
            }
        }
    }

    /// What the time bar shows.
    pub fn time_status(&self, real_now_ms: i64) -> TimeStatus {
        TimeStatus {
            now_ms: self.clock.now_ms(),
            paused: self.clock.is_paused(),
            speed: self.clock.speed(),
            ahead_ms: self.clock.now_ms().saturating_sub(real_now_ms),
        }
    }
}

/// One `length:text` field of `Desk::saved` and what follows it.
fn take_field(s: &str) -> Option<(&str, &str)> {
    let (len, rest) = s.split_once(':')?;
    let len: usize = len.parse().ok()?;
    if !rest.is_char_boundary(len.min(rest.len())) || len > rest.len() {
        return None;
    }
    Some(rest.split_at(len))
}

/// The time bar's reading of the clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeStatus {
    pub now_ms: i64,
    pub paused: bool,
    pub speed: f64,
    /// Virtual minus real time (steps and fast speeds put it ahead).
    pub ahead_ms: i64,
}

impl TimeStatus {
    /// What the bar says when virtual time is not real time; None when it is.
    pub fn note(&self) -> Option<String> {
        let follow = "stream IDs, TTLs and timeouts follow this clock";
        if self.paused {
            return Some(format!("Paused: time stands still; {follow}."));
        }
        if self.speed != 1.0 {
            return Some(format!("Running at {}: {follow}.", speed_label(self.speed)));
        }
        if self.ahead_ms.abs() > DRIFT_MS {
            let word = if self.ahead_ms > 0 {
                "ahead of"
            } else {
                "behind"
            };
            return Some(format!(
                "{} {word} real time: {follow}.",
                duration_label(self.ahead_ms.unsigned_abs())
            ));
        }
        None
    }
}

/// `x0.1`, `x1`, `x100`.
pub fn speed_label(speed: f64) -> String {
    format!("x{speed}")
}

/// A rounded duration: `850 ms`, `12 s`, `3 min 20 s`, `2 h 5 min`, `3 d 4 h`.
pub fn duration_label(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0 => format!("{ms} ms"),
        1..=59 => format!("{s} s"),
        60..=3599 => match s % 60 {
            0 => format!("{} min", s / 60),
            rest => format!("{} min {rest} s", s / 60),
        },
        3600..=86_399 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// The time of day of `ms` (since the epoch), UTC: `18:42:07`.
pub fn clock_label(ms: i64) -> String {
    let s = ms.div_euclid(1000).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

/// The state badge of a program tab (None: never run).
pub fn state_label(state: Option<&ProgramState>) -> String {
    const MAX_COMMAND: usize = 48;
    match state {
        None => "ready".into(),
        Some(ProgramState::Ready) => "running".into(),
        Some(ProgramState::Sleeping { until_ms }) => {
            format!("sleeping until {}", clock_label(*until_ms))
        }
        Some(ProgramState::Blocked { command }) => {
            let mut shown: String = command.chars().take(MAX_COMMAND).collect();
            if shown.len() < command.len() {
                shown.push('…');
            }
            format!("blocked in {shown}")
        }
        Some(ProgramState::Listening { until_ms: None }) => "listening".into(),
        Some(ProgramState::Listening {
            until_ms: Some(until),
        }) => format!("listening until {}", clock_label(*until)),
        Some(ProgramState::Paused) => "paused".into(),
        Some(ProgramState::Finished) => "finished".into(),
        Some(ProgramState::Interrupted) => "interrupted".into(),
        Some(ProgramState::Crashed { message }) => format!("crashed: {message}"),
        Some(ProgramState::Killed) => "killed".into(),
        Some(ProgramState::Serving { port }) => format!("listening on port {port}"),
        Some(ProgramState::Waiting) => "waiting for events".into(),
    }
}

/// The badge's CSS class: its colour says live, waiting, paused, done or failed.
pub fn state_class(state: Option<&ProgramState>) -> &'static str {
    match state {
        None => "idle",
        Some(ProgramState::Ready) => "busy",
        Some(ProgramState::Sleeping { .. })
        | Some(ProgramState::Blocked { .. })
        | Some(ProgramState::Listening { .. })
        | Some(ProgramState::Serving { .. })
        | Some(ProgramState::Waiting) => "live",
        Some(ProgramState::Paused) => "paused",
        Some(ProgramState::Finished) | Some(ProgramState::Interrupted) => "done",
        Some(ProgramState::Crashed { .. }) | Some(ProgramState::Killed) => "failed",
    }
}

/// The buttons a program tab offers in `state`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Actions {
    pub run: bool,
    pub restart: bool,
    pub pause: bool,
    pub resume: bool,
    pub stop: bool,
    pub kill: bool,
}

pub fn actions(state: Option<&ProgramState>) -> Actions {
    let live = state.is_some_and(ProgramState::is_live);
    let paused = state == Some(&ProgramState::Paused);
    Actions {
        run: !live,
        restart: live,
        pause: live && !paused,
        resume: paused,
        stop: live,
        kill: live,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::testing::argv;
    use crate::playground::Playground;
    use redis_emulator::Reply;

    const START_MS: i64 = 1_700_000_000_000;

    fn desk() -> (Desk, Playground) {
        let clock = VirtualClock::new(START_MS);
        let pg = Playground::new(Box::new(clock.clone()), 1);
        (Desk::new(clock), pg)
    }

    fn template(name: &str) -> &'static Template {
        TEMPLATES
            .iter()
            .find(|t| t.name == name)
            .unwrap_or(&TEMPLATES[0])
    }

    fn console(pg: &mut Playground, line: &str) -> Reply {
        let client = pg.client;
        pg.engine.execute(client, &argv(line))
    }

    fn output(desk: &Desk, index: usize) -> Vec<String> {
        desk.log(index)
            .into_iter()
            .filter(|l| l.kind == redis_programs::LogKind::Output)
            .map(|l| l.text)
            .collect()
    }

    /// Sends a curl line as the HTTP tab does; the exchange's response (status, body).
    fn curl(d: &mut Desk, pg: &mut Playground, line: &str) -> (u16, String) {
        let n = d.send_curl(&mut pg.engine, line, &|| true);
        let response = d.http.exchange(n).and_then(|e| e.response().cloned());
        match response {
            Some(r) => (r.status, r.body),
            None => panic!("{line}: {:?}", d.http.exchange(n)),
        }
    }

    #[test]
    fn the_orders_api_answers_the_document_s_curl_lines() {
        let (mut d, mut pg) = desk();
        let api = d.open(template("orders-api.lua")).unwrap_or_default();
        assert!(d.run(&mut pg.engine, api));
        assert_eq!(state_label(d.state(api).as_ref()), "listening on port 3000");
        assert_eq!(output(&d, api), ["Server running on port 3000"]);
        let post = "curl -X POST http://localhost:3000/orders \\\n  -H \"Content-Type: application/json\" \\\n  -d '{\n    \"orderId\": 1001,\n    \"product\": \"Laptop\",\n    \"quantity\": 2,\n    \"userId\": 42\n  }'";
        let (status, body) = curl(&mut d, &mut pg, post);
        assert_eq!(status, 201);
        let last = console(&mut pg, "XREVRANGE orders:stream + - COUNT 1");
        let Reply::Array(entries) = last else {
            panic!("{last:?}")
        };
        let Some(Reply::Array(entry)) = entries.first() else {
            panic!("{entries:?}")
        };
        let Reply::Bulk(id) = &entry[0] else {
            panic!("{entry:?}")
        };
        let id = String::from_utf8_lossy(id).to_string();
        assert!(body.contains(&format!("\"messageId\":\"{id}\"")), "{body}");
        assert!(body.contains("\"success\":true"), "{body}");
        let fields = redis_emulator::cli::render(&entry[1]);
        assert!(
            fields.starts_with(" 1) \"orderId\"\n 2) \"1001\"\n 3) \"product\"\n 4) \"Laptop\""),
            "{fields}"
        );
        for i in 2..=7 {
            let line = format!("curl -X POST localhost:3000/orders -H 'Content-Type: application/json' -d '{{\"orderId\": {i}, \"product\": \"Item-{i}\", \"quantity\": 1, \"userId\": 100}}'");
            assert_eq!(curl(&mut d, &mut pg, &line).0, 201);
        }
        let (status, body) = curl(
            &mut d,
            &mut pg,
            "curl \"http://localhost:3000/orders/history?count=5\"",
        );
        assert_eq!(status, 200);
        assert!(body.contains("\"count\":5"), "{body}");
        assert!(
            body.contains("Item-7") && !body.contains("Item-2"),
            "{body}"
        );
        let range = format!("curl \"http://localhost:3000/orders/history?start={id}&end={id}\"");
        let (_, body) = curl(&mut d, &mut pg, &range);
        assert!(
            body.contains("\"count\":1") && body.contains("Laptop"),
            "{body}"
        );
        // A worker of the group takes two orders and acknowledges one.
        console(
            &mut pg,
            "XREADGROUP GROUP order-processors worker-1 COUNT 2 STREAMS orders:stream >",
        );
        console(
            &mut pg,
            &format!("XACK orders:stream order-processors {id}"),
        );
        let (_, body) = curl(&mut d, &mut pg, "curl http://localhost:3000/orders/pending");
        assert!(
            body.contains("\"count\":1") && body.contains("\"consumer\":\"worker-1\""),
            "{body}"
        );
        let (_, body) = curl(&mut d, &mut pg, "curl http://localhost:3000/stream/info");
        assert!(
            body.contains("\"length\":7") && body.contains("\"name\":\"order-processors\""),
            "{body}"
        );
        assert!(body.contains("\"pending\":1"), "{body}");
        let (status, body) = curl(
            &mut d,
            &mut pg,
            "curl -X POST localhost:3000/orders -d 'orderId=1'",
        );
        assert_eq!(status, 400, "{body}");
        let (status, body) = curl(&mut d, &mut pg, "curl localhost:3000/orders/nothing");
        assert_eq!((status, body.as_str()), (404, "Cannot GET /orders/nothing"));
        // Ctrl+C frees the port: curl is refused.
        assert!(d.stop(&mut pg.engine, api));
        let n = d.send_curl(
            &mut pg.engine,
            "curl localhost:3000/orders/pending",
            &|| true,
        );
        assert_eq!(
            d.http
                .exchange(n)
                .and_then(crate::requests::Exchange::error)
                .as_deref(),
            Some("curl: (7) Failed to connect to localhost port 3000: Connection refused")
        );
    }

    #[test]
    fn every_template_compiles_and_runs_for_a_minute() {
        for t in TEMPLATES {
            let (mut d, mut pg) = desk();
            let i = d.open(t).unwrap_or_default();
            assert!(
                d.run(&mut pg.engine, i),
                "{}: {:?}",
                t.name,
                d.tabs[i].error
            );
            d.step(&mut pg.engine, 60_000, &|| true);
            let state = d.state(i);
            assert!(
                !matches!(state, Some(ProgramState::Crashed { .. })),
                "{}: {state:?}",
                t.name
            );
            assert_eq!(d.clock.now_ms(), START_MS + 60_000);
        }
    }

    #[test]
    fn producer_worker_and_supervisor_play_the_guide() {
        let (mut d, mut pg) = desk();
        let producer = d.open(template("producer.lua")).unwrap_or_default();
        let worker = d.open(template("worker.lua")).unwrap_or_default();
        assert!(d.run(&mut pg.engine, worker));
        assert!(d.run(&mut pg.engine, producer));
        assert!(matches!(
            d.state(worker),
            Some(ProgramState::Sleeping { .. })
        ));
        // A minute: an order every 5 s, the worker needing 8 s for each.
        d.step(&mut pg.engine, 60_000, &|| true);
        assert_eq!(console(&mut pg, "XLEN orders"), Reply::Integer(13));
        assert_eq!(output(&d, producer).len(), 13);
        let done = output(&d, worker)
            .iter()
            .filter(|l| l.starts_with("done"))
            .count();
        assert_eq!(done, 7, "{:?}", output(&d, worker));
        // Killed while working on its eighth order: that one stays pending.
        assert!(d.kill(&mut pg.engine, worker));
        assert_eq!(state_label(d.state(worker).as_ref()), "killed");
        let pending = console(&mut pg, "XPENDING orders workers");
        let Reply::Array(summary) = pending else {
            panic!("{pending:?}")
        };
        assert_eq!(summary[0], Reply::Integer(1));
        let supervisor = d.open(template("supervisor.lua")).unwrap_or_default();
        assert!(d.run(&mut pg.engine, supervisor));
        d.step(&mut pg.engine, 20_000, &|| true);
        let claimed = output(&d, supervisor);
        assert_eq!(claimed.len(), 1, "{claimed:?}");
        // The one it claimed is the order the worker was working on.
        let held = output(&d, worker)
            .last()
            .and_then(|l| l.split('\t').nth(1).map(str::to_string))
            .unwrap_or_default();
        assert!(
            claimed[0].starts_with(&format!("claimed\t{held}\t")),
            "{claimed:?} {held}"
        );
        let pending = console(&mut pg, "XPENDING orders workers");
        let Reply::Array(summary) = pending else {
            panic!("{pending:?}")
        };
        assert_eq!(summary[0], Reply::Integer(0));
    }

    #[test]
    fn a_compile_error_keeps_the_old_program_running() {
        let (mut d, mut pg) = desk();
        let i = d.open(template("producer.lua")).unwrap_or_default();
        assert!(d.run(&mut pg.engine, i));
        d.tabs[i].draft = "while true do x = = 1 end".into();
        assert!(!d.run(&mut pg.engine, i));
        let error = d.tabs[i].error.clone().unwrap_or_default();
        assert!(error.starts_with("producer.lua:1:"), "{error}");
        assert!(matches!(d.state(i), Some(ProgramState::Sleeping { .. })));
        // Fixed, it restarts with the new source.
        d.tabs[i].draft = "print('fixed')".into();
        assert!(d.run(&mut pg.engine, i));
        assert_eq!(d.tabs[i].error, None);
        assert_eq!(d.state(i), Some(ProgramState::Finished));
        assert_eq!(output(&d, i).last().map(String::as_str), Some("fixed"));
    }

    #[test]
    fn a_busy_loop_never_holds_time_or_the_thread() {
        let (mut d, mut pg) = desk();
        let busy = d
            .open(&Template {
                name: "busy.lua",
                title: "",
                source: "while true do end",
            })
            .unwrap_or_default();
        let producer = d.open(template("producer.lua")).unwrap_or_default();
        assert!(d.run(&mut pg.engine, busy));
        assert!(d.run(&mut pg.engine, producer));
        assert_eq!(state_label(d.state(busy).as_ref()), "running");
        assert!(d.work_ready(&pg.engine));
        d.step(&mut pg.engine, 20_000, &|| true);
        assert_eq!(output(&d, producer).len(), 5);
        // With no budget left the clock still reaches its target at once.
        d.step(&mut pg.engine, 60_000, &|| false);
        assert_eq!(d.clock.now_ms(), START_MS + 80_000);
        assert!(d.stop(&mut pg.engine, busy));
        assert_eq!(d.state(busy), Some(ProgramState::Interrupted));
    }

    #[test]
    fn catch_up_follows_real_time_at_the_clocks_speed() {
        let (mut d, mut pg) = desk();
        d.catch_up(&mut pg.engine, 5_000_000, &|| true); // anchors
        d.catch_up(&mut pg.engine, 5_100_000, &|| true);
        assert_eq!(d.clock.now_ms(), START_MS + 100);
        d.clock.set_speed(100.0);
        d.catch_up(&mut pg.engine, 5_200_000, &|| true);
        d.catch_up(&mut pg.engine, 5_300_000, &|| true);
        assert_eq!(d.clock.now_ms(), START_MS + 10_100);
        // TTLs follow virtual time.
        console(&mut pg, "SET k v EX 5");
        d.catch_up(&mut pg.engine, 5_360_000, &|| true);
        assert_eq!(console(&mut pg, "TTL k"), Reply::Integer(-2));
    }

    #[test]
    fn next_event_goes_to_the_next_wakeup() {
        let (mut d, mut pg) = desk();
        assert!(!d.next_event(&mut pg.engine, &|| true));
        let i = d.open(template("producer.lua")).unwrap_or_default();
        assert!(d.run(&mut pg.engine, i));
        assert!(d.next_event(&mut pg.engine, &|| true));
        assert_eq!(d.clock.now_ms(), START_MS + 5_000);
        assert_eq!(output(&d, i).len(), 2);
        // A console's blocked read is an event too.
        assert!(d.stop(&mut pg.engine, i));
        assert_eq!(console(&mut pg, "BLPOP q 2"), Reply::NoReply);
        assert!(d.next_event(&mut pg.engine, &|| true));
        assert_eq!(d.clock.now_ms(), START_MS + 7_001);
    }

    #[test]
    fn tabs_get_unique_names_and_closing_keeps_the_shown_tab() {
        let (mut d, mut pg) = desk();
        for _ in 0..3 {
            d.open(template("worker.lua"));
        }
        let names: Vec<&str> = d.tabs.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["worker.lua", "worker-2.lua", "worker-3.lua"]);
        assert!(d.run(&mut pg.engine, 1));
        let client = d.programs.client(d.id(1).unwrap_or(ProgramId(0)));
        assert!(client.is_some());
        d.shown = Some(2);
        d.close(&mut pg.engine, 1);
        assert_eq!(d.shown, Some(1));
        assert_eq!(d.tabs[1].name, "worker-3.lua");
        // Its client is gone.
        let list = console(&mut pg, "CLIENT LIST");
        assert!(!format!("{list:?}").contains("worker-2.lua"), "{list:?}");
        while d.open(&TEMPLATES[0]).is_some() {}
        assert_eq!(d.tabs.len(), MAX_PROGRAMS);
    }

    #[test]
    fn a_tab_shows_the_newest_lines_of_a_chatty_program() {
        let (mut d, mut pg) = desk();
        let i = d
            .open(&Template {
                name: "chatty.lua",
                title: "",
                source: "for i = 1, 500 do print('line', i) end",
            })
            .unwrap_or_default();
        assert!(d.run(&mut pg.engine, i));
        d.step(&mut pg.engine, 1_000, &|| true);
        assert_eq!(d.state(i), Some(ProgramState::Finished));
        let log = d.log(i);
        assert_eq!(log.len(), SHOWN_LOG_LINES);
        let texts: Vec<&str> = log.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts[SHOWN_LOG_LINES - 2], "line\t500");
        assert_eq!(texts[SHOWN_LOG_LINES - 1], "finished");
        assert!(d.take_news());
        assert!(!d.take_news());
    }

    #[test]
    fn tabs_are_saved_and_restored_not_running() {
        let (mut d, mut pg) = desk();
        let i = d.open(template("producer.lua")).unwrap_or_default();
        d.open(template("listener.lua"));
        d.tabs[i].draft = "print('é: 1:2')\n".into();
        assert!(d.run(&mut pg.engine, i));
        let saved = d.saved();
        let (mut fresh, _pg) = desk();
        fresh.restore(&saved);
        let tabs: Vec<(&str, &str)> = fresh
            .tabs
            .iter()
            .map(|t| (t.name.as_str(), t.draft.as_str()))
            .collect();
        assert_eq!(
            tabs,
            [
                ("producer.lua", "print('é: 1:2')\n"),
                ("listener.lua", template("listener.lua").source)
            ]
        );
        assert_eq!(fresh.state(0), None);
        assert_eq!(fresh.shown, None);
        // Damage keeps what came before it.
        let (mut cut, _pg) = desk();
        cut.restore(&saved[..saved.len() - 5]);
        assert_eq!(cut.tabs.len(), 1);
        let (mut junk, _pg) = desk();
        junk.restore("x:9999:\u{0}3:é");
        assert!(junk.tabs.is_empty());
    }

    #[test]
    fn labels_and_actions_follow_the_state() {
        assert_eq!(state_label(None), "ready");
        assert_eq!(clock_label(START_MS + 7_250), "22:13:27");
        assert_eq!(
            state_label(Some(&ProgramState::Sleeping {
                until_ms: START_MS + 5_000
            })),
            "sleeping until 22:13:25"
        );
        let long = ProgramState::Blocked {
            command: "XREADGROUP GROUP workers worker-1 COUNT 1 BLOCK 0 STREAMS orders >".into(),
        };
        let label = state_label(Some(&long));
        assert!(
            label.starts_with("blocked in XREADGROUP") && label.ends_with('…'),
            "{label}"
        );
        assert_eq!(
            state_label(Some(&ProgramState::Crashed {
                message: "p.lua:1: boom".into()
            })),
            "crashed: p.lua:1: boom"
        );
        let paused = actions(Some(&ProgramState::Paused));
        assert!(paused.resume && !paused.pause && paused.stop && !paused.run);
        let done = actions(Some(&ProgramState::Finished));
        assert!(done.run && !done.stop && !done.kill);
        assert_eq!(state_class(Some(&ProgramState::Killed)), "failed");
        assert_eq!(duration_label(200_000), "3 min 20 s");
        assert_eq!(duration_label(60_000), "1 min");
    }

    #[test]
    fn the_time_bar_says_when_time_is_not_real() {
        let (d, _pg) = desk();
        assert_eq!(d.time_status(START_MS + 300).note(), None);
        let ahead = d.time_status(START_MS - 60_000).note().unwrap_or_default();
        assert!(ahead.starts_with("1 min ahead of real time"), "{ahead}");
        d.clock.set_speed(100.0);
        let fast = d.time_status(START_MS).note().unwrap_or_default();
        assert!(fast.starts_with("Running at x100"), "{fast}");
        d.clock.pause();
        let paused = d.time_status(START_MS).note().unwrap_or_default();
        assert!(paused.starts_with("Paused"), "{paused}");
    }
}
