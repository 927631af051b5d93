-- kue: the job queue of the "Queuing System in JS" course, for programs.
--
-- It writes Kue 0.11's own Redis layout, in Kue's order of commands, as recorded from a
-- real Kue against redis-server (crates/programs/tests/kue/): the `q:ids` counter,
-- `q:job:ID` hashes, the `q:jobs`, `q:jobs:STATE` and `q:jobs:TYPE:STATE` sorted sets
-- whose members are Kue's "FIFO" ids (`01|7`), the `q:TYPE:jobs` list of wake-up
-- tokens a worker waits on with BLPOP, the `q:job:types` set, `q:job:ID:log` lists,
-- `q:stats:work-time`, and the events Kue publishes on `q:events`.
--
-- As in Node, a queue opens its own connections: one subscribed to `q:events` (which
-- brings `job.on('complete')` and the rest to the process that created the job), and
-- per job type one blocked in `BLPOP q:TYPE:jobs 0` for its workers. Commands a
-- callback runs go through the program's own client, in order, one callback at a
-- time. Differences from Kue (said in the README): no search index, no delayed-job
-- lock (`promotion:lock`), no active-job TTL watchdog, no HTTP UI (the page has a Jobs
-- view); `data` is JSON of a Lua table, so its key order is Lua's.
local open_connection = ...
local type, tostring, tonumber, pairs, ipairs, error, pcall, select, setmetatable, getmetatable =
  type, tostring, tonumber, pairs, ipairs, error, pcall, select, setmetatable, getmetatable
local floor, min, unpack = math.floor, math.min, unpack
local concat, insert, remove = table.concat, table.insert, table.remove
local find, sub, format, gsub = string.find, string.sub, string.format, string.gsub
local encode, decode, null = cjson.encode, JSON.parse, cjson.null
local call = redis.call
local now = now
local set_timeout, set_interval, clear_interval = setTimeout, setInterval, clearInterval

-- `obj.method(...)` and `obj:method(...)` both work, as `app.get` does.
local function strip(obj, first, ...)
  if first == obj then return ... end
  return first, ...
end

local json = JSON.stringify

-- JSON.stringify of an event's arguments; nil is null, as undefined is in an array.
local function json_args(n, ...)
  local parts = {}
  for i = 1, n do parts[i] = json((select(i, ...))) end
  return '[' .. concat(parts, ',') .. ']'
end

-- Error(message): what `new Error(message)` is in the documents' JavaScript.
local error_meta = {__tostring = function(e) return 'Error: ' .. tostring(e.message) end}
-- `pcall` is the environment's wrapper (a Lua function: one more level than Lua's own).
local function where(level)
  local ok, m = pcall(error, '', level + 2)
  if type(m) == 'string' and m ~= '' then return (gsub(m, ':%s*$', '')) end
  return nil
end
Error = function(message)
  local e = {name = 'Error', message = message == nil and '' or tostring(message)}
  local at = where(3)
  e.stack = 'Error: ' .. e.message .. (at and ('\n    at ' .. at) or '')
  return setmetatable(e, error_meta)
end

-- An error's message and stack, for a string, an Error, a Lua error message.
local function describe_error(err)
  if type(err) == 'table' then
    local message = err.message ~= nil and tostring(err.message) or tostring(err)
    local stack = type(err.stack) == 'string' and err.stack or message
    return message, stack, (find(stack, '\n', 1, true) and sub(stack, 1, find(stack, '\n', 1, true) - 1) or stack)
  end
  local s = tostring(err)
  return s, s, ''
end

local function fifo(id)
  local s = tostring(id)
  local len = tostring(#s)
  if #len < 2 then len = '0' .. len end
  return len .. '|' .. s
end

local function strip_fifo(zid)
  local bar = find(zid, '|', 1, true)
  return bar and tonumber(sub(zid, bar + 1)) or tonumber(zid)
end

local priorities = {low = 10, normal = 0, medium = -5, high = -10, critical = -15}

-- A small EventEmitter: on, once, emit.
local function emitter(obj)
  local listeners = {}
  obj.on = function(...)
    local event, fn = strip(obj, ...)
    if type(fn) ~= 'function' then error('on: the listener must be a function', 2) end
    local list = listeners[event] or {}
    list[#list + 1] = fn
    listeners[event] = list
    return obj
  end
  obj.once = function(...)
    local event, fn = strip(obj, ...)
    local wrapper
    wrapper = function(...)
      local list = listeners[event] or {}
      for i = #list, 1, -1 do if list[i] == wrapper then remove(list, i) end end
      return fn(...)
    end
    return obj.on(event, wrapper)
  end
  obj.emit = function(...)
    local event = strip(obj, ...)
    local list = listeners[event]
    if not list then return false end
    local copy = {}
    for i, fn in ipairs(list) do copy[i] = fn end
    local args = {select(2, strip(obj, ...))}
    local n = select('#', strip(obj, ...)) - 1
    for _, fn in ipairs(copy) do fn(unpack(args, 1, n)) end
    return #copy > 0
  end
  return obj
end

local kue = {}
local test_ids = 0

function kue.createQueue(options)
  options = type(options) == 'table' and options or {}
  local prefix = type(options.prefix) == 'string' and options.prefix or 'q'
  local queue = emitter({})
  local jobs_by_id = {}
  local events_conn, blocking = nil, {}
  local promoter = nil
  local test = {jobs = {}, active = false, process = false}
  local shut = false

  local function key(s) return prefix .. ':' .. s end

  local function publish(id, event, n, ...)
    if shut then return end
    call('PUBLISH', key('events'),
      '{"id":' .. json(id) .. ',"event":' .. json(event) .. ',"args":' .. json_args(n, ...) .. '}')
  end

  -- Events arrive for every job of the queue's prefix: the jobs this program saved get
  -- theirs (`job.on('complete', ...)`), and the queue re-emits them as 'job EVENT'.
  local function on_event(_, payload)
    local ok, msg = pcall(decode, payload)
    if not ok or type(msg) ~= 'table' or type(msg.args) ~= 'table' then return end
    local args, n = {}, 0
    for i, v in pairs(msg.args) do
      if type(i) == 'number' and i > n then n = i end
    end
    for i = 1, n do
      local v = msg.args[i]
      if v == null then v = nil end
      args[i] = v
    end
    local job = jobs_by_id[msg.id]
    if job then
      job.emit(unpack(args, 1, n))
      if msg.event == 'complete' or msg.event == 'failed' then jobs_by_id[msg.id] = nil end
    end
    local event = args[1]
    if type(event) == 'string' then
      queue.emit('job ' .. event, msg.id, unpack(args, 2, n))
    end
  end

  local function subscribe()
    if events_conn or shut then return end
    events_conn = open_connection()
    events_conn.on_message(on_event)
    events_conn.send(nil, 'SUBSCRIBE', key('events'))
  end

  -- A job as Kue keeps it: fields in the hash, methods on the object.
  local function new_job(job_type, data)
    local job = emitter({type = job_type, data = data == nil and {} or data})
    job._priority = 0
    job._max_attempts = 1
    job._attempts = 0
    job._progress = 0
    local function jkey() return key('job:' .. job.id) end
    local function set(field, value)
      call('HSET', jkey(), field, value)
    end
    job.priority = function(...)
      local level = strip(job, ...)
      if level == nil then return job._priority end
      local p = priorities[level] or tonumber(level)
      if p then job._priority = p end
      return job
    end
    job.attempts = function(...)
      local n = strip(job, ...)
      job._max_attempts = tonumber(n) or job._max_attempts
      return job
    end
    job.delay = function(...)
      local ms = strip(job, ...)
      if ms == nil then return job._delay end
      ms = tonumber(ms)
      if ms and ms > 0 then job._delay = ms end
      return job
    end
    job.ttl = function(...)
      local ms = tonumber((strip(job, ...)))
      if ms and ms > 0 then job._ttl = ms end
      return job
    end
    job.removeOnComplete = function(...)
      local v = strip(job, ...)
      if v == nil then return job._removeOnComplete end
      job._removeOnComplete = v and true or nil
      return job
    end
    job.events = function(...)
      local on = strip(job, ...)
      job._no_events = not on
      return job
    end
    job.state = function(...)
      local state, fn = strip(job, ...)
      if state == nil then return job._state end
      local old = job._state
      local zid = job.zid
      set('updated_at', now())
      call('MULTI')
      if old and old ~= '' and old ~= state then
        call('ZREM', key('jobs:' .. old), zid)
        call('ZREM', key('jobs:' .. job.type .. ':' .. old), zid)
      end
      call('HSET', jkey(), 'state', state)
      call('ZADD', key('jobs:' .. state), job._priority, zid)
      call('ZADD', key('jobs:' .. job.type .. ':' .. state), job._priority, zid)
      if state == 'delayed' then call('ZADD', key('jobs:' .. state), job.promote_at, zid) end
      if state == 'active' and job._ttl then call('ZADD', key('jobs:' .. state), now() + job._ttl, zid) end
      if state == 'active' and not job._ttl then
        local p = job._priority
        call('ZADD', key('jobs:' .. state), p < 0 and p or 0 - p, zid)
      end
      if state == 'inactive' then call('LPUSH', key(job.type .. ':jobs'), 1) end
      call('EXEC')
      job._state = state
      if state == 'inactive' then publish(job.id, 'enqueue', 2, 'enqueue', job.type) end
      if type(fn) == 'function' then fn(nil) end
      return job
    end
    job.log = function(...)
      local text = strip(job, ...)
      call('RPUSH', jkey() .. ':log', tostring(text))
      set('updated_at', now())
      return job
    end
    job.progress = function(...)
      local done, total, data = strip(job, ...)
      if done == nil then return job._progress end
      local n = (tonumber(done) or 0) * 100 / (tonumber(total) or 100)
      if n ~= n then n = 0 end
      n = min(100, n >= 0 and floor(n) or -floor(-n))
      job._progress = n
      set('progress', n)
      if data then set('progress_data', json(data)) end
      set('updated_at', now())
      publish(job.id, 'progress', 3, 'progress', n, data)
      return job
    end
    local function update(fn)
      local ok, text = pcall(json, job.data)
      if not ok then
        if type(fn) == 'function' then fn(text) end
        return job
      end
      if job._delay then
        set('delay', job._delay)
        if job.created_at then
          job.promote_at = (job.failed_at or job.created_at) + job._delay
          set('promote_at', job.promote_at)
        end
      end
      if job._ttl then set('ttl', job._ttl) end
      if job._removeOnComplete then set('removeOnComplete', 'true') end
      set('updated_at', now())
      set('priority', job._priority)
      call('ZADD', key('jobs'), job._priority, job.zid)
      set('data', text)
      return job.state(job._state, fn)
    end
    job.save = function(...)
      local fn = strip(job, ...)
      if test.active and not test.process then
        if not job.id then
          test_ids = test_ids + 1
          job.id = tostring(test_ids)
          local list = test.jobs
          list[#list + 1] = job
        end
        if type(fn) == 'function' then fn(nil) end
        return job
      end
      if test.active then test.jobs[#test.jobs + 1] = job end
      if job.id then return update(fn) end
      job.id = call('INCR', key('ids'))
      job.zid = fifo(job.id)
      if not job._no_events then
        subscribe()
        jobs_by_id[job.id] = job
      end
      job._state = job._state or (job._delay and 'delayed' or 'inactive')
      if job._max_attempts then set('max_attempts', job._max_attempts) end
      call('SADD', key('job:types'), job.type)
      set('type', job.type)
      job.created_at = now()
      set('created_at', job.created_at)
      job.promote_at = job.created_at + (job._delay or 0)
      set('promote_at', job.promote_at)
      return update(fn)
    end
    job.update = function(...) return update((strip(job, ...))) end
    job.remove = function(...)
      local fn = strip(job, ...)
      call('MULTI')
      call('ZREM', key('jobs:' .. tostring(job._state)), job.zid)
      call('ZREM', key('jobs:' .. job.type .. ':' .. tostring(job._state)), job.zid)
      call('ZREM', key('jobs'), job.zid)
      call('DEL', jkey() .. ':log')
      call('DEL', jkey())
      call('EXEC')
      publish(job.id, 'remove', 2, 'remove', job.type)
      if type(fn) == 'function' then fn(nil) end
      return job
    end
    -- What a finished attempt writes: the failure, then whether another attempt is due.
    job._fail = function(err)
      local message, stack, summary = describe_error(err)
      job._error = stack
      set('error', stack)
      job.log(summary)
      publish(job.id, 'error', 2, 'error', stack)
      job.failed_at = now()
      set('failed_at', job.failed_at)
      job.state('failed')
      local attempts = call('HINCRBY', jkey(), 'attempts', 1)
      job._attempts = attempts
      local remaining = job._max_attempts - attempts
      if remaining > 0 then
        if job._delay then
          update(nil)
          job.state('delayed')
        else
          job.state('inactive')
        end
        publish(job.id, 'failed attempt', 3, 'failed attempt', message, attempts)
      else
        publish(job.id, 'failed', 3, 'failed', message, nil)
      end
    end
    job.complete = function(...) set('progress', 100) return job.state('complete', (strip(job, ...))) end
    job.failed = function(...)
      job.failed_at = now()
      set('failed_at', job.failed_at)
      return job.state('failed', (strip(job, ...)))
    end
    job.inactive = function(...) return job.state('inactive', (strip(job, ...))) end
    job.active = function(...) return job.state('active', (strip(job, ...))) end
    job.delayed = function(...) return job.state('delayed', (strip(job, ...))) end
    return job
  end

  -- A job read back from its hash (a worker's, `kue.Job.get`).
  local function load_job(id)
    local flat = call('HGETALL', key('job:' .. id))
    if #flat == 0 then return nil end
    local h = {}
    for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
    local ok, data = pcall(decode, h.data or '{}')
    local job = new_job(h.type or '', ok and data or {})
    job.id = tonumber(id) or id
    job.zid = fifo(job.id)
    job._priority = tonumber(h.priority) or 0
    job._state = h.state
    job._attempts = tonumber(h.attempts) or 0
    job._max_attempts = tonumber(h.max_attempts) or 1
    job._progress = tonumber(h.progress) or 0
    job._delay = tonumber(h.delay)
    job._ttl = tonumber(h.ttl)
    job.created_at = tonumber(h.created_at)
    job.promote_at = tonumber(h.promote_at)
    job.failed_at = tonumber(h.failed_at)
    job._removeOnComplete = h.removeOnComplete == 'true' or nil
    return job
  end

  -- `kue.Job.get(id, [type,] fn(err, job))`: a job read back from Redis, with Kue's
  -- errors for a missing job or another type. Like Kue's, it uses the last queue made.
  kue.Job = kue.Job or {}
  kue.Job.get = function(id, job_type, fn)
    if type(job_type) == 'function' and fn == nil then job_type, fn = nil, job_type end
    if type(fn) ~= 'function' then error('kue.Job.get: the last argument must be a function', 2) end
    local job = load_job(tostring(id))
    if not job then
      return fn(Error('job "' .. tostring(id) .. '" doesnt exist'))
    end
    if job_type and job_type ~= '' and job.type ~= job_type then
      return fn(Error('job "' .. tostring(id) .. '" is not of type "' .. tostring(job_type) .. '"'))
    end
    return fn(nil, job)
  end

  queue.create = function(...)
    local job_type, data = strip(queue, ...)
    if type(job_type) ~= 'string' then error('queue.create: the job type must be a string', 2) end
    return new_job(job_type, data)
  end
  queue.createJob = queue.create

  -- Workers: each waits for a token with BLPOP on its type's connection (workers of a
  -- type share it, so their BLPOPs wait in line as on one Node connection), pops the
  -- job with the lowest score from `q:jobs:TYPE:inactive`, marks it active and calls
  -- the handler with `done`.
  local function worker(job_type, n, handler)
    local conn = blocking[job_type]
    if not conn then
      conn = open_connection()
      blocking[job_type] = conn
    end
    local id = 'kue:playground:' .. tostring(process and process.pid or 0) .. ':' .. job_type .. ':' .. n
    local current = nil
    local wait
    local function run(job)
      current = job
      local started = now()
      job.started_at = started
      call('HSET', key('job:' .. job.id), 'started_at', started)
      call('HSET', key('job:' .. job.id), 'workerId', id)
      job.workerId = id
      job.active()
      publish(job.id, 'start', 3, 'start', job.type, nil)
      local finished = false
      local function done(err, result)
        if finished or shut then return end
        finished = true
        current = nil
        if err ~= nil and err ~= false then
          job._fail(err)
        else
          local duration = now() - started
          job.duration = duration
          call('HSET', key('job:' .. job.id), 'duration', duration)
          if result ~= nil then
            local ok, text = pcall(json, result)
            call('HSET', key('job:' .. job.id), 'result', ok and text or '{"error":true,"message":"Invalid JSON Result"}')
          end
          job.complete()
          job._attempts = call('HINCRBY', key('job:' .. job.id), 'attempts', 1)
          if job._removeOnComplete then job.remove() end
          publish(job.id, 'complete', 3, 'complete', result, nil)
          call('INCRBY', key('stats:work-time'), duration)
        end
        wait()
      end
      handler(job, done)
    end
    wait = function()
      if shut then return end
      conn.send(function(err)
        if err or shut then return end
        call('MULTI')
        call('ZRANGE', key('jobs:' .. job_type .. ':inactive'), 0, 0)
        call('ZREMRANGEBYRANK', key('jobs:' .. job_type .. ':inactive'), 0, 0)
        local popped = call('EXEC')
        local zid = popped and popped[1] and popped[1][1]
        local job = zid and load_job(strip_fifo(zid))
        if not job then return set_timeout(wait, 0) end
        run(job)
      end, 'BLPOP', key(job_type .. ':jobs'), 0)
    end
    wait()
  end

  -- Delayed jobs whose time has come go back to the queue, once a second.
  local function promote()
    local ids = call('ZRANGEBYSCORE', key('jobs:delayed'), 0, now(), 'LIMIT', 0, 1000)
    for _, zid in ipairs(ids) do
      local job = load_job(strip_fifo(zid))
      if job then
        publish(job.id, 'promotion', 1, 'promotion')
        job.inactive()
      end
    end
  end

  queue.process = function(...)
    local job_type, n, handler = strip(queue, ...)
    if type(n) == 'function' then n, handler = 1, n end
    if type(job_type) ~= 'string' then error('queue.process: the job type must be a string', 2) end
    if type(handler) ~= 'function' then error('queue.process: the handler must be a function (job, done)', 2) end
    n = tonumber(n) or 1
    subscribe()
    if not promoter then promoter = set_interval(promote, 1000) end
    for i = 1, n do worker(job_type, i, handler) end
    return queue
  end

  queue.shutdown = function(...)
    local a, b = strip(queue, ...)
    local fn = type(a) == 'function' and a or b
    shut = true
    if promoter then clear_interval(promoter) promoter = nil end
    for t, conn in pairs(blocking) do conn.close() blocking[t] = nil end
    if events_conn then events_conn.close() events_conn = nil end
    if type(fn) == 'function' then fn(nil) end
    return queue
  end

  -- Counts as Kue's queue.inactiveCount(type, fn) and friends: fn(err, n).
  local function counter(state)
    return function(...)
      local a, b = strip(queue, ...)
      local fn = type(a) == 'function' and a or b
      local job_type = type(a) == 'string' and a or nil
      local k = job_type and key('jobs:' .. job_type .. ':' .. state) or key('jobs:' .. state)
      local n = call('ZCARD', k)
      if type(fn) == 'function' then fn(nil, n) end
      return n
    end
  end
  queue.inactiveCount = counter('inactive')
  queue.activeCount = counter('active')
  queue.completeCount = counter('complete')
  queue.failedCount = counter('failed')
  queue.delayedCount = counter('delayed')

  -- Test mode: saved jobs are only listed in `testMode.jobs` (ids '1', '2'... as
  -- lodash's uniqueId gives them), unless entered with `enter(true)`.
  local test_mode = {jobs = test.jobs}
  test_mode.enter = function(...)
    local process = strip(test_mode, ...)
    test.active = true
    test.process = process and true or false
  end
  test_mode.exit = function()
    test.active = false
    test.process = false
  end
  test_mode.clear = function()
    for i = #test.jobs, 1, -1 do test.jobs[i] = nil end
  end
  queue.testMode = test_mode

  queue.client = {prefix = prefix}
  subscribe()
  return queue
end

return kue
