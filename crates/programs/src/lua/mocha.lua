-- describe / it / expect: the documents' mocha + chai tests, for programs.
--
-- `describe(title, fn)` and `it(title, fn)` register tests as mocha does; they run once
-- the program's main code has returned, with `before`, `after`, `beforeEach` and
-- `afterEach` hooks, and print mocha's "spec" report: a check mark per passing test,
-- a number per failing one, "N passing (Xms)" and the failures' messages. Then the
-- program ends, as `mocha --exit` does. A test passes unless it raises an error: an
-- `expect(...)` that does not hold raises an AssertionError with chai's wording.
-- Time is the virtual clock's, so a test that does not sleep takes 0ms.
local type, tostring, pairs, ipairs, error, pcall, setmetatable, select =
  type, tostring, pairs, ipairs, error, pcall, setmetatable, select
local concat, find, format, gsub, rep = table.concat, string.find, string.format, string.gsub, string.rep
local encode = cjson.encode
local now, print, set_immediate, exit = now, print, setImmediate, process.exit

-- What chai prints for a value: strings quoted, tables as JSON-ish text.
local function show(v)
  local t = type(v)
  if t == 'string' then return "'" .. v .. "'" end
  if t == 'table' then
    local ok, text = pcall(encode, v)
    if ok then return (gsub(text, '\\/', '/')) end
  end
  if v == nil then return 'undefined' end
  return tostring(v)
end

local function deep_equal(a, b)
  if a == b then return true end
  if type(a) ~= 'table' or type(b) ~= 'table' then return false end
  for k, v in pairs(a) do
    if not deep_equal(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

local assertion_meta = {__tostring = function(e) return 'AssertionError: ' .. e.message end}
local function fail(message)
  error(setmetatable({name = 'AssertionError', message = message}, assertion_meta), 0)
end

-- The message of whatever a function raised (a string, an Error, an {err=...}).
local function message_of(e)
  if type(e) == 'table' then
    if e.message ~= nil then return tostring(e.message) end
    if e.err ~= nil then return tostring(e.err) end
  end
  return tostring(e)
end

-- expect(value): chai's BDD chain. Words that only read well (`to`, `be`, `have`...)
-- return the chain; `not` negates, `deep` compares tables by content; the others
-- assert.
local words = {to = true, be = true, been = true, is = true, that = true, which = true,
  ['and'] = true, has = true, have = true, with = true, at = true, of = true, same = true,
  does = true, still = true}

local function chain(value, flags)
  local self = {}
  local function check(ok, wanted, negated)
    if flags.negate then ok = not ok end
    if not ok then fail(flags.negate and negated or wanted) end
    return self
  end
  local asserts = {}
  asserts.equal = function(x)
    if flags.deep then
      return check(deep_equal(value, x), 'expected ' .. show(value) .. ' to deeply equal ' .. show(x),
        'expected ' .. show(value) .. ' to not deeply equal ' .. show(x))
    end
    return check(value == x, 'expected ' .. show(value) .. ' to equal ' .. show(x),
      'expected ' .. show(value) .. ' to not equal ' .. show(x))
  end
  asserts.equals = asserts.equal
  asserts.eq = asserts.equal
  asserts.eql = function(x)
    return check(deep_equal(value, x), 'expected ' .. show(value) .. ' to deeply equal ' .. show(x),
      'expected ' .. show(value) .. ' to not deeply equal ' .. show(x))
  end
  asserts.above = function(x)
    return check(type(value) == 'number' and value > x, 'expected ' .. show(value) .. ' to be above ' .. show(x),
      'expected ' .. show(value) .. ' to be at most ' .. show(x))
  end
  asserts.below = function(x)
    return check(type(value) == 'number' and value < x, 'expected ' .. show(value) .. ' to be below ' .. show(x),
      'expected ' .. show(value) .. ' to be at least ' .. show(x))
  end
  asserts.lengthOf = function(n)
    local len = (type(value) == 'table' or type(value) == 'string') and #value or nil
    return check(len == n, 'expected ' .. show(value) .. ' to have a length of ' .. show(n) .. ' but got ' .. show(len),
      'expected ' .. show(value) .. ' to not have a length of ' .. show(n))
  end
  asserts.length = asserts.lengthOf
  asserts.include = function(x)
    local ok = false
    if type(value) == 'string' then
      ok = type(x) == 'string' and find(value, x, 1, true) ~= nil
    elseif type(value) == 'table' then
      for _, v in pairs(value) do if (flags.deep and deep_equal(v, x)) or v == x then ok = true end end
    end
    return check(ok, 'expected ' .. show(value) .. ' to include ' .. show(x),
      'expected ' .. show(value) .. ' to not include ' .. show(x))
  end
  asserts.contain = asserts.include
  asserts.contains = asserts.include
  asserts.a = function(t)
    local actual = type(value)
    if actual == 'table' then actual = 'object' end
    if value == nil then actual = 'undefined' end
    return check(actual == t, 'expected ' .. show(value) .. ' to be a ' .. t,
      'expected ' .. show(value) .. ' not to be a ' .. t)
  end
  asserts.an = asserts.a
  asserts.throw = function(wanted)
    if type(value) ~= 'function' then fail('expected ' .. show(value) .. ' to be a function') end
    local ok, e = pcall(value)
    if wanted == nil then
      return check(not ok, 'expected [Function] to throw an error', 'expected [Function] to not throw an error but ' .. message_of(e) .. ' was thrown')
    end
    if ok then
      if flags.negate then return self end
      fail('expected [Function] to throw an error including ' .. show(wanted))
    end
    local m = message_of(e)
    return check(find(m, tostring(wanted), 1, true) ~= nil,
      'expected [Function] to throw error including ' .. show(wanted) .. ' but got ' .. show(m),
      'expected [Function] to throw error not including ' .. show(wanted))
  end
  asserts.throws = asserts.throw
  -- chai's property assertions (`expect(x).to.be.true`) are calls here, since a Lua
  -- statement must be a call: `expect(x).to.be.ok()`, `expect(x).to.be['true']()`.
  local properties = {
    ['true'] = function() return check(value == true, 'expected ' .. show(value) .. ' to be true', 'expected ' .. show(value) .. ' to be false') end,
    ['false'] = function() return check(value == false, 'expected ' .. show(value) .. ' to be false', 'expected ' .. show(value) .. ' to be true') end,
    ok = function() return check(value ~= nil and value ~= false, 'expected ' .. show(value) .. ' to be truthy', 'expected ' .. show(value) .. ' to be falsy') end,
    null = function() return check(value == nil, 'expected ' .. show(value) .. ' to be null', 'expected ' .. show(value) .. ' not to be null') end,
    undefined = function() return check(value == nil, 'expected ' .. show(value) .. ' to be undefined', 'expected ' .. show(value) .. ' not to be undefined') end,
    exist = function() return check(value ~= nil, 'expected ' .. show(value) .. ' to exist', 'expected ' .. show(value) .. ' to not exist') end,
    empty = function()
      local empty = value == '' or (type(value) == 'table' and next(value) == nil)
      return check(empty, 'expected ' .. show(value) .. ' to be empty', 'expected ' .. show(value) .. ' not to be empty')
    end,
  }
  properties['nil'] = properties.null
  return setmetatable(self, {__index = function(_, k)
    if words[k] then return self end
    -- `not` is a Lua keyword: `expect(x).to['not'].equal(y)`, or `.never`.
    if k == 'not' or k == 'never' then flags.negate = not flags.negate return self end
    if k == 'deep' then flags.deep = true return self end
    local a = asserts[k]
    if a then return function(...) local first = ... if first == self then return a(select(2, ...)) end return a(...) end end
    local p = properties[k]
    if p then return function() return p() end end
    return nil
  end})
end

expect = function(value) return chain(value, {}) end

-- Node's assert: assert(v), assert.equal, assert.strictEqual, assert.deepEqual,
-- assert.notEqual, assert.throws, assert.ok.
local node_assert = {}
node_assert.ok = function(v, message)
  if not v then fail(message or ('expected ' .. show(v) .. ' to be truthy')) end
end
node_assert.equal = function(a, b, message) if a ~= b then fail(message or (show(a) .. ' == ' .. show(b))) end end
node_assert.strictEqual = node_assert.equal
node_assert.notEqual = function(a, b, message) if a == b then fail(message or (show(a) .. ' != ' .. show(b))) end end
node_assert.deepEqual = function(a, b, message)
  if not deep_equal(a, b) then fail(message or ('expected ' .. show(a) .. ' to deeply equal ' .. show(b))) end
end
node_assert.deepStrictEqual = node_assert.deepEqual
node_assert.throws = function(fn, wanted)
  local ok, e = pcall(fn)
  if ok then fail('Missing expected exception.') end
  if type(wanted) == 'string' and not find(message_of(e), wanted, 1, true) then
    fail('expected the error to include ' .. show(wanted) .. ' but got ' .. show(message_of(e)))
  end
end
assert = setmetatable(node_assert, {__call = function(_, v, message, ...)
  if not v then error(message or 'assertion failed!', 2) end
  return v, message, ...
end})

-- The suites, as registered; the root holds the top-level tests.
local root = {title = '', tests = {}, suites = {}, before = {}, after = {}, before_each = {}, after_each = {}}
local current = root
local scheduled = false
local run_all

local function schedule()
  if scheduled then return end
  scheduled = true
  set_immediate(function() run_all() end)
end

describe = function(title, fn)
  local suite = {title = tostring(title), tests = {}, suites = {}, before = {}, after = {},
    before_each = {}, after_each = {}, parent = current}
  current.suites[#current.suites + 1] = suite
  current.tests[#current.tests + 1] = {suite = suite}
  local saved = current
  current = suite
  fn()
  current = saved
  schedule()
end
context = describe

it = function(title, fn)
  current.tests[#current.tests + 1] = {title = tostring(title), fn = fn}
  schedule()
end
specify = it

before = function(fn) current.before[#current.before + 1] = fn end
after = function(fn) current.after[#current.after + 1] = fn end
beforeEach = function(fn) current.before_each[#current.before_each + 1] = fn end
afterEach = function(fn) current.after_each[#current.after_each + 1] = fn end

local function run_hooks(list)
  for _, fn in ipairs(list) do
    local ok, e = pcall(fn)
    if not ok then return e end
  end
end

local function each_hooks(suite, field, outer_first)
  local chain_of = {}
  local s = suite
  while s do
    if outer_first then table.insert(chain_of, 1, s) else chain_of[#chain_of + 1] = s end
    s = s.parent
  end
  local list = {}
  for _, x in ipairs(chain_of) do
    for _, fn in ipairs(x[field]) do list[#list + 1] = fn end
  end
  return list
end

run_all = function()
  local started = now()
  local passing, failures = 0, {}
  print('')
  local function run_suite(suite, depth)
    local indent = rep('  ', depth)
    if suite.title ~= '' then print(indent .. suite.title) end
    local e = run_hooks(suite.before)
    if e then
      failures[#failures + 1] = {title = '"before all" hook', suite = suite, error = e}
      print(indent .. '  ' .. #failures .. ') "before all" hook')
      return
    end
    for _, t in ipairs(suite.tests) do
      if t.suite then
        run_suite(t.suite, depth + 1)
      else
        local err = run_hooks(each_hooks(suite, 'before_each', true))
        if not err then
          local ok, e2 = pcall(t.fn)
          if not ok then err = e2 end
        end
        local after_err = run_hooks(each_hooks(suite, 'after_each', false))
        err = err or after_err
        if err then
          failures[#failures + 1] = {title = t.title, suite = suite, error = err}
          print(indent .. '  ' .. #failures .. ') ' .. t.title)
        else
          passing = passing + 1
          print(indent .. '  \226\156\147 ' .. t.title)
        end
      end
    end
    local e3 = run_hooks(suite.after)
    if e3 then
      failures[#failures + 1] = {title = '"after all" hook', suite = suite, error = e3}
      print(indent .. '  ' .. #failures .. ') "after all" hook')
    end
  end
  run_suite(root, 0)
  print('')
  print('')
  print('  ' .. passing .. ' passing (' .. (now() - started) .. 'ms)')
  if #failures > 0 then
    print('  ' .. #failures .. ' failing')
    for i, f in ipairs(failures) do
      print('')
      local titles = {}
      local s = f.suite
      while s and s.title ~= '' do table.insert(titles, 1, s.title) s = s.parent end
      print('  ' .. i .. ') ' .. concat(titles, '\n       '))
      print('       ' .. f.title .. ':')
      local e = f.error
      local text
      if type(e) == 'table' and e.name == 'AssertionError' then
        text = 'AssertionError: ' .. tostring(e.message)
      elseif type(e) == 'table' and e.message ~= nil then
        text = 'Error: ' .. tostring(e.message)
      else
        text = 'Error: ' .. message_of(e)
      end
      print('     ' .. text)
    end
  end
  print('')
  exit()
end

return true
