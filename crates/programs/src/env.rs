//! The Lua state a program runs in, and the natives of its API.
//!
//! Unlike EVAL's sandbox, a program is an ordinary Lua 5.1 chunk: globals are free to
//! use, nothing is read-only. It gets the libraries scripts get (string, table, math,
//! cjson, cmsgpack, bit, struct; no os, io), a `redis` table with `call` and `pcall`,
//! and `sleep`, `now`, `print` and `log`.
//!
//! Natives never touch the engine: `redis.call` and `sleep` suspend the whole VM with a
//! [`Request`] (`NativeReturn::Yield`) that the program's run loop (`program.rs`)
//! answers, possibly much later in virtual time (a blocking command, a sleep). What
//! natives need from the host (the time, where printed lines go) is in a [`Shared`]
//! bound to them as an upvalue.
//!
//! The program's chunk runs under `xpcall` with a handler that turns any error into one
//! message: Lua errors are already positioned (`producer.lua:12: attempt to ...`); an
//! error reply raised by `redis.call` (an `{err=...}` table, as in EVAL) is positioned at
//! the line that called it (`producer.lua:12: WRONGTYPE Operation against ...`).

use std::cell::RefCell;
use std::rc::Rc;

use lua51::lib_math::Rand48;
use lua51::{NativeReturn, Value, Vm};
use redis_emulator::script::{api, convert};

use crate::http::{HttpRequest, Target};
use crate::journal::LogKind;

type R = Result<NativeReturn, Value>;

/// The most memory (estimated bytes) a program's Lua heap may use.
const MEMORY_LIMIT: usize = 32 * 1024 * 1024;
/// The longest sleep, in ms (about 31 years): keeps deadlines far from overflow.
const MAX_SLEEP_MS: f64 = 1e12;

/// What a program asks its host for, suspending its VM until answered.
pub(crate) enum Request {
    /// `redis.call` (`raise`: an error reply is raised) or `redis.pcall` (returned).
    Command { argv: Vec<Vec<u8>>, raise: bool },
    /// `sleep(seconds)`: resume with no values after this many virtual ms.
    Sleep { ms: i64 },
    /// `receive([seconds])`: the next pub/sub message, or nil after the timeout (ms;
    /// None waits forever).
    Receive { timeout_ms: Option<i64> },
    /// `app.listen(port)`: serve this port's requests (an error if it is taken).
    Listen { port: u16 },
    /// Opens an extra connection (events.rs): resume with its number.
    Connect,
    /// Sends a command on an extra connection; its reply comes as an event.
    Send { conn: u32, argv: Vec<Vec<u8>> },
    /// Closes an extra connection.
    Close { conn: u32 },
    /// `require('./name')`: the compiled chunk of the module's source.
    Require { name: String },
    /// `process.exit()`: the program ends now.
    Exit,
}

/// A timer set or cleared by the program (applied by the host after each run: the
/// virtual time does not move during one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TimerOp {
    Set { number: u32, ms: i64 },
    Cancel { number: u32 },
}

/// What natives share with the host.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// The virtual time, set by the host before each run (it does not move during one).
    pub now_ms: i64,
    /// Lines printed since the host last took them.
    pub output: Vec<(LogKind, String)>,
    /// Timers set or cleared since the host last took them.
    pub timer_ops: Vec<TimerOp>,
}

pub(crate) type SharedRef = Rc<RefCell<Shared>>;

/// A program's Lua state, with its compiled chunk started under the error handler.
pub(crate) struct Env {
    pub vm: Vm,
    pub shared: SharedRef,
    /// The pin of the HTTP dispatcher (`HTTP_PRELUDE`), called once per request.
    dispatcher: usize,
    /// The pin of the events dispatcher (`lua/events.lua`), called once per event.
    events: usize,
}

/// `JSON.stringify`, `JSON.parse` and `object(...)` (keys kept in order, as in JavaScript).
const JSON_PRELUDE: &[u8] = include_bytes!("lua/json.lua");
/// The event loop's Lua side: timers, extra connections, the events dispatcher.
const EVENTS_PRELUDE: &[u8] = include_bytes!("lua/events.lua");
/// The `kue` job queue (Kue's Redis layout), given the events prelude's connections.
const KUE_PRELUDE: &[u8] = include_bytes!("lua/kue.lua");
/// `describe`, `it`, `expect`, `assert`: the documents' mocha and chai tests.
const MOCHA_PRELUDE: &[u8] = include_bytes!("lua/mocha.lua");
/// `require(name)` for the libraries a program has (Node's names).
/// A program tab is a module: its chunk runs once, its return value is what `require`
/// returns (Node's `module.exports`; `true` when it returns nothing), cached by name.
const REQUIRE_PRELUDE: &[u8] = b"local kue, error, tostring, type, load_module = ...\n\
local modules = {kue = kue, express = express, chai = {expect = expect, assert = assert}, assert = assert}\n\
local loaded = {}\n\
require = function(name)\n\
  local m = modules[name]\n\
  if m ~= nil then return m end\n\
  if type(name) ~= 'string' then error('require: the module name must be a string', 2) end\n\
  if loaded[name] ~= nil then return loaded[name] end\n\
  local chunk, problem = load_module(name)\n\
  if not chunk then error(problem, 2) end\n\
  local result = chunk()\n\
  if result == nil then result = true end\n\
  loaded[name] = result\n\
  return result\n\
end\n\
return true";

/// Redis 7.0's `pcall`: an `{err=...}` table caught gives its text, so
/// `pcall(redis.call, ...)` returns the error message as it does in EVAL. Then the
/// function that runs the program's main chunk under `xpcall` with the error handler.
const PRELUDE: &[u8] = b"local rawpcall, xpcall, type, handler = ...\n\
local function finish(ok, ...)\n\
  if ok then return ok, ... end\n\
  local e = ...\n\
  if type(e) == 'table' then\n\
    local m = e.err\n\
    if type(m) == 'string' or type(m) == 'number' then return false, m end\n\
  end\n\
  return false, e\n\
end\n\
pcall = function(...) return finish(rawpcall(...)) end\n\
return function(main) return xpcall(main, handler) end";

/// The HTTP server of a program, in Lua: the global `app` (and `express()`, which
/// returns it) with `get`, `post`, `put`, `patch`, `delete`, `all` and `listen`, and
/// the dispatcher the host calls for each request (`http.rs` has the values). Routes
/// are tried in the order registered, as Express does; a `:name` segment is a
/// parameter, `*` the rest of the path; literal segments compare case-insensitively
/// and a trailing slash is optional (Express's defaults). Every function also works
/// called with `:` (`app:get(...)`, `res:status(201):json(t)`). JSON is written with
/// `JSON.stringify` (`lua/json.lua`: `object(...)` keeps key order, `/` unescaped).
///
/// The dispatcher returns `status, body, headers, error, sent`: `body` false means
/// "the status's reason phrase" (`res.sendStatus`), `headers` is a flat list of names
/// and values, `error` the message of an error the handler raised (through the same
/// handler as the main chunk's errors).
const HTTP_PRELUDE: &[u8] = b"local rawpcall, xpcall, handler, listen = ...\n\
local type, tostring, tonumber, ipairs, error = type, tostring, tonumber, ipairs, error\n\
local lower, find, sub, gsub, char, gmatch, concat = string.lower, string.find, string.sub, string.gsub, string.char, string.gmatch, table.concat\n\
local encode, decode = JSON.stringify, JSON.parse\n\
local routes = {}\n\
local app = {}\n\
local function strip(obj, first, ...)\n\
  if first == obj then return ... end\n\
  return first, ...\n\
end\n\
local function segments(path)\n\
  local out = {}\n\
  for s in gmatch(path, '[^/]+') do out[#out + 1] = s end\n\
  return out\n\
end\n\
local function unescape(s)\n\
  return (gsub(s, '%%(%x%x)', function(h) return char(tonumber(h, 16)) end))\n\
end\n\
local function route(method, name)\n\
  return function(...)\n\
    local path, h = strip(app, ...)\n\
    if type(path) ~= 'string' then error('app.' .. name .. ': the path must be a string', 2) end\n\
    if type(h) ~= 'function' then error('app.' .. name .. ': the handler must be a function', 2) end\n\
    routes[#routes + 1] = {method = method, parts = segments(path), handler = h}\n\
    return app\n\
  end\n\
end\n\
app.get = route('GET', 'get')\n\
app.post = route('POST', 'post')\n\
app.put = route('PUT', 'put')\n\
app.patch = route('PATCH', 'patch')\n\
app.delete = route('DELETE', 'delete')\n\
app.all = route('*', 'all')\n\
app.listen = function(...)\n\
  local port, callback = strip(app, ...)\n\
  local n = tonumber(port)\n\
  if not n or n % 1 ~= 0 or n < 1 or n > 65535 then\n\
    error('app.listen: the port must be a number from 1 to 65535 (got ' .. tostring(port) .. ')', 2)\n\
  end\n\
  listen(n)\n\
  if type(callback) == 'function' then callback() end\n\
  return app\n\
end\n\
_G.app = app\n\
_G.express = function() return app end\n\
local function match(r, method, parts)\n\
  if r.method ~= '*' and r.method ~= method then return nil end\n\
  local params = {}\n\
  for i, p in ipairs(r.parts) do\n\
    if p == '*' then\n\
      local rest = {}\n\
      for j = i, #parts do rest[#rest + 1] = unescape(parts[j]) end\n\
      params[0] = concat(rest, '/')\n\
      return params\n\
    end\n\
    local s = parts[i]\n\
    if s == nil then return nil end\n\
    if sub(p, 1, 1) == ':' then\n\
      params[sub(p, 2)] = unescape(s)\n\
    elseif lower(p) ~= lower(s) then\n\
      return nil\n\
    end\n\
  end\n\
  if #parts ~= #r.parts then return nil end\n\
  return params\n\
end\n\
local function respond(found, req)\n\
  local st = {status = 200, headers = {}, sent = false}\n\
  local res = {}\n\
  local function index(name)\n\
    local l = lower(name)\n\
    for i = 1, #st.headers, 2 do\n\
      if lower(st.headers[i]) == l then return i end\n\
    end\n\
  end\n\
  local function set(name, value)\n\
    if st.sent then error('Cannot set headers after they are sent to the client', 3) end\n\
    if type(name) ~= 'string' then error('res.set: the header name must be a string', 3) end\n\
    local i = index(name)\n\
    if i then st.headers[i + 1] = tostring(value)\n\
    else st.headers[#st.headers + 1] = name; st.headers[#st.headers + 1] = tostring(value) end\n\
  end\n\
  local function send(body, ctype)\n\
    if st.sent then error('Cannot set headers after they are sent to the client', 3) end\n\
    if ctype and not index('Content-Type') then set('Content-Type', ctype) end\n\
    st.body = body\n\
    st.sent = true\n\
    return res\n\
  end\n\
  local function status(code)\n\
    local n = tonumber(code)\n\
    if not n or n < 100 or n > 999 or n % 1 ~= 0 then\n\
      error('Invalid status code: ' .. tostring(code), 3)\n\
    end\n\
    st.status = n\n\
  end\n\
  res.status = function(...) status((strip(res, ...))) return res end\n\
  res.set = function(...) local n, v = strip(res, ...) set(n, v) return res end\n\
  res.header = res.set\n\
  res.get = function(...)\n\
    local i = index(tostring((strip(res, ...))))\n\
    return i and st.headers[i + 1]\n\
  end\n\
  res.json = function(...) return send(encode((strip(res, ...))), 'application/json; charset=utf-8') end\n\
  res.send = function(...)\n\
    local body = strip(res, ...)\n\
    local t = type(body)\n\
    if t == 'table' or t == 'boolean' then return send(encode(body), 'application/json; charset=utf-8') end\n\
    if t == 'nil' then return send('', nil) end\n\
    return send(tostring(body), 'text/html; charset=utf-8')\n\
  end\n\
  res.sendStatus = function(...)\n\
    status((strip(res, ...)))\n\
    return send(false, 'text/plain; charset=utf-8')\n\
  end\n\
  res['end'] = function(...)\n\
    local body = strip(res, ...)\n\
    return send(body == nil and '' or tostring(body), nil)\n\
  end\n\
  local ok, err = xpcall(function() return found.handler(req, res) end, handler)\n\
  return st.status, st.body, st.headers, (not ok) and err or nil, st.sent\n\
end\n\
return function(method, path, query, headers, body)\n\
  local parts = segments(path)\n\
  for _, r in ipairs(routes) do\n\
    local params = match(r, method, parts)\n\
    if params then\n\
      local req = {method = method, path = path, query = query, params = params, headers = headers, body = body}\n\
      req.get = function(...) return headers[lower(tostring((strip(req, ...))))] end\n\
      req.header = req.get\n\
      local ctype = headers['content-type']\n\
      if type(ctype) == 'string' and find(lower(ctype), 'application/json', 1, true) then\n\
        local ok, v = rawpcall(decode, body)\n\
        if ok then req.json = v end\n\
      end\n\
      return respond(r, req)\n\
    end\n\
  end\n\
  return 404, 'Cannot ' .. method .. ' ' .. path, {'Content-Type', 'text/html; charset=utf-8'}, nil, true\n\
end";

/// Builds the state of a program named `name` (the chunk's name in error messages) and
/// starts its chunk; the error is Lua's compile message (`name:3: '=' expected near 'x'`).
pub(crate) fn build(name: &str, source: &str) -> Result<Env, String> {
    let mut vm = Vm::new();
    vm.set_memory_limit(MEMORY_LIMIT);
    let main = vm.load(source.as_bytes(), name)?;
    let shared: SharedRef = Rc::new(RefCell::new(Shared::default()));
    open_libraries(&mut vm, name);
    let bound = vm.new_userdata(Box::new(shared.clone()), None);
    let natives: [(&'static str, lua51::heap::NativeFn); 5] = [
        ("print", print),
        ("log", print),
        ("now", now),
        ("sleep", sleep),
        ("receive", receive),
    ];
    for (global, f) in natives {
        let v = vm.new_native_with(global, f, vec![bound.clone()]);
        vm.set_global(global, v);
    }
    let redis = vm.new_table();
    for (field, f) in [
        ("call", redis_call as lua51::heap::NativeFn),
        ("pcall", redis_pcall),
    ] {
        let v = vm.new_native(field, f);
        vm.set_field(redis, field, v);
    }
    vm.set_global("redis", Value::Table(redis));
    let handler = vm.new_native("error_handler", error_handler);
    let args = vec![
        vm.get_global("pcall"),
        vm.get_global("xpcall"),
        vm.get_global("type"),
        handler.clone(),
    ];
    let wrapper = first(run_prelude(&mut vm, PRELUDE, args)?);
    run_prelude(&mut vm, JSON_PRELUDE, Vec::new())?;
    let listen = vm.new_native("listen", listen);
    let args = vec![
        vm.get_global("pcall"),
        vm.get_global("xpcall"),
        handler.clone(),
        listen,
    ];
    let dispatcher = first(run_prelude(&mut vm, HTTP_PRELUDE, args)?);
    let dispatcher = vm.pin(dispatcher);
    let mut args = vec![vm.get_global("xpcall"), handler.clone()];
    let event_natives: [(&'static str, lua51::heap::NativeFn); 6] = [
        ("timer_set", timer_set),
        ("timer_cancel", timer_cancel),
        ("connect", connect),
        ("send", send),
        ("close", close),
        ("exit", exit),
    ];
    for (name, f) in event_natives {
        args.push(vm.new_native_with(name, f, vec![bound.clone()]));
    }
    let mut returned = run_prelude(&mut vm, EVENTS_PRELUDE, args)?.into_iter();
    let events = returned.next().unwrap_or(Value::Nil);
    let open_connection = returned.next().unwrap_or(Value::Nil);
    let events = vm.pin(events);
    let kue = first(run_prelude(&mut vm, KUE_PRELUDE, vec![open_connection])?);
    vm.set_global("kue", kue.clone());
    run_prelude(&mut vm, MOCHA_PRELUDE, Vec::new())?;
    let load = vm.new_native("require", load_module);
    let args = vec![
        kue,
        vm.get_global("error"),
        vm.get_global("tostring"),
        vm.get_global("type"),
        load,
    ];
    run_prelude(&mut vm, REQUIRE_PRELUDE, args)?;
    vm.start(wrapper, vec![main])
        .map_err(|e| convert::error_value_text(&vm, &e))?;
    Ok(Env {
        vm,
        shared,
        dispatcher,
        events,
    })
}

/// What the dispatcher made of a request (see `HTTP_PRELUDE`).
pub(crate) struct Handled {
    pub status: u16,
    /// None: the status's reason phrase (`res.sendStatus`).
    pub body: Option<String>,
    pub headers: Vec<(String, String)>,
    /// The error the handler raised, as the log shows it.
    pub error: Option<String>,
    /// Whether the handler sent a response (`res.send`, `res.json`...).
    pub sent: bool,
}

impl Env {
    /// Starts the dispatcher on a request (the main chunk has ended: the VM is free).
    pub fn start_request(&mut self, request: &HttpRequest) -> Result<(), String> {
        let target = Target::parse(&request.target);
        let vm = &mut self.vm;
        let query = vm.new_table();
        let mut keys: Vec<&str> = Vec::new();
        for (key, _) in &target.query {
            if !keys.contains(&key.as_str()) {
                keys.push(key);
            }
        }
        for key in keys {
            let values: Vec<Value> = target
                .query
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .collect::<Vec<_>>()
                .into_iter()
                .map(|v| vm.new_string(v.as_bytes()))
                .collect();
            // A key given once is a string, given again a list (as Express's parser).
            let value = if values.len() == 1 {
                values.into_iter().next().unwrap_or(Value::Nil)
            } else {
                Value::Table(vm.new_array(values))
            };
            vm.set_field(query, key, value);
        }
        let headers = vm.new_table();
        let mut merged: Vec<(String, String)> = Vec::new();
        for (name, value) in &request.headers {
            let name = name.to_ascii_lowercase();
            match merged.iter_mut().find(|(n, _)| *n == name) {
                Some((_, v)) => {
                    v.push_str(", ");
                    v.push_str(value);
                }
                None => merged.push((name, value.clone())),
            }
        }
        for (name, value) in merged {
            let v = vm.new_string(value.as_bytes());
            vm.set_field(headers, &name, v);
        }
        let args = vec![
            vm.new_string(request.method.as_bytes()),
            vm.new_string(target.path.as_bytes()),
            Value::Table(query),
            Value::Table(headers),
            vm.new_string(request.body.as_bytes()),
        ];
        let dispatcher = vm.pinned(self.dispatcher);
        vm.start(dispatcher, args)
            .map_err(|e| convert::error_value_text(vm, &e))
    }

    /// Starts the events dispatcher on an event (`kind`: timer, reply, message) once
    /// the VM is free.
    pub fn start_callback(&mut self, kind: &str, mut args: Vec<Value>) -> Result<(), String> {
        let vm = &mut self.vm;
        args.insert(0, vm.new_string(kind.as_bytes()));
        let events = vm.pinned(self.events);
        vm.start(events, args)
            .map_err(|e| convert::error_value_text(vm, &e))
    }

    /// Reads the dispatcher's results.
    pub fn handled(&self, values: &[Value]) -> Handled {
        let vm = &self.vm;
        let text = |v: &Value| convert::error_value_text(vm, v);
        let status = values
            .first()
            .and_then(Value::to_number)
            .map_or(500, |n| n as u16);
        let body = match values.get(1) {
            Some(Value::Bool(false)) | None => None,
            Some(Value::Nil) => Some(String::new()),
            Some(v) => Some(text(v)),
        };
        let mut headers = Vec::new();
        if let Some(Value::Table(t)) = values.get(2) {
            let flat = vm.array(*t);
            for pair in flat.chunks(2) {
                if let [name, value] = pair {
                    headers.push((text(name), text(value)));
                }
            }
        }
        let error = match values.get(3) {
            None | Some(Value::Nil) => None,
            Some(v) => Some(text(v)),
        };
        let sent = matches!(values.get(4), Some(Value::Bool(true)));
        Handled {
            status,
            body,
            headers,
            error,
            sent,
        }
    }
}

/// The libraries of EVAL's state, with a generator for `math.random` of the program's
/// own, seeded from its name: the same program draws the same numbers every run.
fn open_libraries(vm: &mut Vm, name: &str) {
    lua51::lib_table::open(vm);
    lua51::lib_string::open(vm);
    let random = Rand48::new();
    random.seed(name_seed(name));
    lua51::lib_math::open_with_generator(vm, Rc::new(random));
    lua51::redis_libs::open(vm);
}

/// A 32-bit FNV-1a hash of the name.
fn name_seed(name: &str) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as i32
}

/// The first value a prelude returned.
fn first(values: Vec<Value>) -> Value {
    values.into_iter().next().unwrap_or(Value::Nil)
}

/// Runs a prelude with its arguments and returns what it returns (functions).
fn run_prelude(vm: &mut Vm, source: &[u8], args: Vec<Value>) -> Result<Vec<Value>, String> {
    let failed = |what: &str| format!("the program's environment failed to build ({what})");
    let prelude = vm.load(source, "=[C]").map_err(|e| failed(&e))?;
    vm.start(prelude, args).map_err(|_| failed("start"))?;
    match vm.run(100_000) {
        Ok(lua51::Outcome::Finished(v)) if !v.is_empty() => Ok(v),
        _ => {
            vm.abort();
            Err(failed("run"))
        }
    }
}

/// The state bound to a native.
fn shared(vm: &Vm) -> Option<SharedRef> {
    let v = vm.native_upvalue(0);
    vm.userdata(&v)?.downcast_ref::<SharedRef>().cloned()
}

/// `print(...)` and `log(...)`: `tostring` of each argument, tab-separated, one line.
fn print(vm: &mut Vm, args: Vec<Value>) -> R {
    let mut parts = Vec::with_capacity(args.len());
    for a in &args {
        parts.push(vm.tostring(a)?.to_str_lossy());
    }
    if let Some(s) = shared(vm) {
        s.borrow_mut()
            .output
            .push((LogKind::Output, parts.join("\t")));
    }
    Ok(NativeReturn::Values(Vec::new()))
}

/// `now()`: virtual milliseconds since the epoch.
fn now(vm: &mut Vm, _args: Vec<Value>) -> R {
    let ms = shared(vm).map_or(0, |s| s.borrow().now_ms);
    Ok(NativeReturn::Values(vec![Value::Number(ms as f64)]))
}

/// `sleep(seconds)`: fractions allowed, negative is zero.
fn sleep(vm: &mut Vm, args: Vec<Value>) -> R {
    let Some(seconds) = args.first().and_then(Value::to_number) else {
        return Err(vm.type_arg_error(1, "sleep", "number", args.first()));
    };
    if !vm.can_yield() {
        return Err(vm.error(
            "sleep cannot be called from a function that a library function calls (a gsub or sort callback, a metamethod)",
        ));
    }
    Ok(NativeReturn::Yield(Box::new(Request::Sleep {
        ms: seconds_to_ms(seconds),
    })))
}

/// `receive([seconds])`: waits for the next message of the channels the program
/// subscribed to (`redis.call('SUBSCRIBE', ...)`); nil when the timeout passes first.
fn receive(vm: &mut Vm, args: Vec<Value>) -> R {
    let timeout_ms = match args.first() {
        None | Some(Value::Nil) => None,
        Some(v) => match v.to_number() {
            Some(seconds) => Some(seconds_to_ms(seconds)),
            None => return Err(vm.type_arg_error(1, "receive", "number", args.first())),
        },
    };
    if !vm.can_yield() {
        return Err(vm.error(
            "receive cannot be called from a function that a library function calls (a gsub or sort callback, a metamethod)",
        ));
    }
    Ok(NativeReturn::Yield(Box::new(Request::Receive {
        timeout_ms,
    })))
}

/// `app.listen(port)`'s native, called by `app.listen` (which checked the port and
/// positions errors at the learner's line), handing the port to the host.
fn listen(vm: &mut Vm, args: Vec<Value>) -> R {
    let port = match args.first().and_then(Value::to_number) {
        Some(n) if n.fract() == 0.0 && (1.0..=65535.0).contains(&n) => n as u16,
        _ => {
            return Err(Value::str(
                "app.listen: the port must be a number from 1 to 65535",
            ))
        }
    };
    if !vm.can_yield() {
        return Err(
            vm.error("app.listen cannot be called from a function that a library function calls")
        );
    }
    Ok(NativeReturn::Yield(Box::new(Request::Listen { port })))
}

/// `timer_set(number, ms)`: (re)arms a timer of `lua/events.lua`.
fn timer_set(vm: &mut Vm, args: Vec<Value>) -> R {
    let number = args.first().and_then(Value::to_number).unwrap_or(0.0);
    let ms = args.get(1).and_then(Value::to_number).unwrap_or(0.0);
    if let Some(s) = shared(vm) {
        s.borrow_mut().timer_ops.push(TimerOp::Set {
            number: number.clamp(0.0, f64::from(u32::MAX)) as u32,
            ms: ms.clamp(0.0, MAX_SLEEP_MS) as i64,
        });
    }
    Ok(NativeReturn::Values(Vec::new()))
}

/// `timer_cancel(number)`.
fn timer_cancel(vm: &mut Vm, args: Vec<Value>) -> R {
    let number = args.first().and_then(Value::to_number).unwrap_or(0.0);
    if let Some(s) = shared(vm) {
        s.borrow_mut().timer_ops.push(TimerOp::Cancel {
            number: number.clamp(0.0, f64::from(u32::MAX)) as u32,
        });
    }
    Ok(NativeReturn::Values(Vec::new()))
}

/// The number of an extra connection (its first argument).
fn conn_number(args: &[Value]) -> u32 {
    args.first()
        .and_then(Value::to_number)
        .map_or(0, |n| n.clamp(0.0, f64::from(u32::MAX)) as u32)
}

/// Refuses to suspend the VM from inside a library function's callback.
fn check_yield(vm: &mut Vm, what: &str) -> Result<(), Value> {
    if vm.can_yield() {
        Ok(())
    } else {
        Err(vm.error(&format!(
            "{what} cannot be called from a function that a library function calls (a gsub or sort callback, a metamethod)"
        )))
    }
}

/// `connect()`: opens an extra connection, returns its number.
fn connect(vm: &mut Vm, _args: Vec<Value>) -> R {
    check_yield(vm, "a library that opens a connection")?;
    Ok(NativeReturn::Yield(Box::new(Request::Connect)))
}

/// `send(conn, command, ...)`: EVAL's argument rules; the reply comes as an event.
fn send(vm: &mut Vm, args: Vec<Value>) -> R {
    let conn = conn_number(&args);
    let argv = match api::command_argv(args.get(1..).unwrap_or_default()) {
        Ok(argv) => argv,
        Err(msg) => return Err(vm.error(&format!("ERR {msg}"))),
    };
    check_yield(vm, "a library that sends a command")?;
    Ok(NativeReturn::Yield(Box::new(Request::Send { conn, argv })))
}

/// `close(conn)`.
fn close(vm: &mut Vm, args: Vec<Value>) -> R {
    check_yield(vm, "a library that closes a connection")?;
    Ok(NativeReturn::Yield(Box::new(Request::Close {
        conn: conn_number(&args),
    })))
}

/// `load_module(name)`: the host compiles the module's source; nil and Node's "Cannot
/// find module" (or the compile error) when it can't.
fn load_module(vm: &mut Vm, args: Vec<Value>) -> R {
    let name = match args.first() {
        Some(v @ Value::Str(_)) => vm.tostring(v)?.to_str_lossy(),
        _ => return Err(vm.error("require: the module name must be a string")),
    };
    check_yield(vm, "require")?;
    Ok(NativeReturn::Yield(Box::new(Request::Require { name })))
}

/// `process.exit()`.
fn exit(vm: &mut Vm, _args: Vec<Value>) -> R {
    check_yield(vm, "process.exit")?;
    Ok(NativeReturn::Yield(Box::new(Request::Exit)))
}

/// Seconds (fractions allowed) as whole ms, negative and NaN as 0.
fn seconds_to_ms(seconds: f64) -> i64 {
    let ms = (seconds * 1000.0).round();
    if ms.is_nan() {
        0
    } else {
        ms.clamp(0.0, MAX_SLEEP_MS) as i64
    }
}

fn redis_call(vm: &mut Vm, args: Vec<Value>) -> R {
    command(vm, args, true)
}

fn redis_pcall(vm: &mut Vm, args: Vec<Value>) -> R {
    command(vm, args, false)
}

/// `redis.call` and `redis.pcall`: EVAL's argument rules, then the command for the host.
fn command(vm: &mut Vm, args: Vec<Value>, raise: bool) -> R {
    let argv = match api::command_argv(&args) {
        Ok(argv) => argv,
        Err(msg) => {
            let t = convert::error_table(vm, &format!("ERR {msg}"));
            return if raise {
                Err(t)
            } else {
                Ok(NativeReturn::Values(vec![t]))
            };
        }
    };
    if !vm.can_yield() {
        return Err(vm.error(
            "redis.call cannot be called from a function that a library function calls (a gsub or sort callback, a metamethod)",
        ));
    }
    Ok(NativeReturn::Yield(Box::new(Request::Command {
        argv,
        raise,
    })))
}

/// The `xpcall` handler of the main chunk: any error value as one message.
fn error_handler(vm: &mut Vm, args: Vec<Value>) -> R {
    let err = args.into_iter().next().unwrap_or(Value::Nil);
    let text = match &err {
        Value::Table(t) => match vm.get_field(*t, "err") {
            e @ (Value::Str(_) | Value::Number(_)) => {
                format!("{}{}", position(vm), convert::error_value_text(vm, &e))
            }
            _ => convert::error_value_text(vm, &err),
        },
        _ => convert::error_value_text(vm, &err),
    };
    let v = vm.new_string(text.as_bytes());
    Ok(NativeReturn::Values(vec![v]))
}

/// `chunk:line: ` of where the error being handled was raised, or "" when unknown.
fn position(vm: &Vm) -> String {
    match vm.error_site() {
        Some((source, line)) if line >= 0 => {
            format!("{}:{line}: ", source.strip_prefix('@').unwrap_or(&source))
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_seed_different_generators() {
        assert_ne!(name_seed("producer.lua"), name_seed("consumer.lua"));
        assert_eq!(name_seed("a"), name_seed("a"));
    }

    #[test]
    fn a_compile_error_is_lua_s_message() {
        match build("consumer.lua", "local a = 1\nlocal b = 2\nx x") {
            Err(msg) => assert_eq!(msg, "consumer.lua:3: '=' expected near 'x'"),
            Ok(_) => panic!("compiled"),
        }
    }
}
