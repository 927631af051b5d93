-- The event loop's Lua side: Node's timers as globals, the extra connections that
-- libraries (kue) open, and the dispatcher the host calls for each event once the
-- program's code has returned (events.rs). Every callback runs under the same error
-- handler as the main chunk; an error it raises ends the program, as an uncaught
-- exception ends a Node process.
local xpcall, handler, timer_set, timer_cancel, connect, send, close, exit = ...
local type, error, select, unpack, tonumber, tostring = type, error, select, unpack, tonumber, tostring

local timers = {}
local next_timer = 0

-- Node: a delay that is not a number >= 1 (and <= 2^31-1) is 1 ms.
local function delay_of(ms)
  local n = tonumber(ms)
  if not n or n ~= n or n < 1 or n > 2147483647 then return 1 end
  return n - n % 1
end

local function add_timer(name, fn, ms, interval, ...)
  if type(fn) ~= 'function' then
    error(name .. ': the callback must be a function (got ' .. type(fn) .. ')', 3)
  end
  next_timer = next_timer + 1
  local t = {fn = fn, args = {...}, nargs = select('#', ...)}
  if interval then t.interval = ms end
  timers[next_timer] = t
  timer_set(next_timer, ms)
  return next_timer
end

-- (Not tail calls: the error level 3 of add_timer must reach the caller's line.)
setTimeout = function(fn, ms, ...)
  local n = add_timer('setTimeout', fn, delay_of(ms), false, ...)
  return n
end
setInterval = function(fn, ms, ...)
  local n = add_timer('setInterval', fn, delay_of(ms), true, ...)
  return n
end
setImmediate = function(fn, ...)
  local n = add_timer('setImmediate', fn, 0, false, ...)
  return n
end
clearTimeout = function(n)
  if n ~= nil and timers[n] then
    timers[n] = nil
    timer_cancel(n)
  end
end
clearInterval = clearTimeout
clearImmediate = clearTimeout

process = {
  exit = function() exit() end,
}

-- An extra connection: `send(callback, command, ...)` queues a command, whose reply
-- calls `callback(err, reply)` later, in order; `on_message(fn)` gets the pub/sub
-- messages (`fn(channel, payload)`, `fn(channel, payload, pattern)` for a pattern).
local conns = {}
local function open_connection()
  local number = connect()
  local c = {callbacks = {}, first = 1, last = 0}
  conns[number] = c
  c.send = function(callback, ...)
    c.last = c.last + 1
    c.callbacks[c.last] = callback or false
    send(number, ...)
  end
  c.on_message = function(fn) c.listener = fn end
  c.close = function()
    conns[number] = nil
    close(number)
  end
  return c
end

local function dispatch(kind, a, b)
  if kind == 'timer' then
    local t = timers[a]
    if not t then return end
    if t.interval then timer_set(a, t.interval) else timers[a] = nil end
    return t.fn(unpack(t.args, 1, t.nargs))
  end
  local c = conns[a]
  if not c then return end
  if kind == 'reply' then
    local i = c.first
    if i > c.last then return end
    local callback = c.callbacks[i]
    c.callbacks[i] = nil
    c.first = i + 1
    if not callback then return end
    if type(b) == 'table' and b.err ~= nil then return callback(b.err, nil) end
    return callback(nil, b)
  elseif kind == 'message' and c.listener then
    if b[1] == 'pmessage' then return c.listener(b[3], b[4], b[2]) end
    return c.listener(b[2], b[3])
  end
end

local function run(kind, a, b)
  return xpcall(function() return dispatch(kind, a, b) end, handler)
end

return run, open_connection
