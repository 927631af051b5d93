-- JSON as the documents' JavaScript writes it: `JSON.stringify`, `JSON.parse`, and
-- `object(key, value, ...)`, a table that keeps its keys in the order they were set.
--
-- Why: a JavaScript object lists its keys in insertion order, so `res.json({ itemId: 1,
-- itemName: 'Suitcase 250' })` answers `{"itemId":1,"itemName":"Suitcase 250"}`. A Lua
-- table has no order (`next` follows Lua 5.1's hash layout, which EVAL's fidelity
-- needs), so a program that must answer the document's exact text builds the object
-- with `object('itemId', 1, 'itemName', 'Suitcase 250')`. Keys added later go to the end,
-- as in JavaScript. Everything else is encoded by cjson, as before.
local cjson_encode, decode, null = cjson.encode, cjson.decode, cjson.null
local type, pairs, rawget, rawset, select, error, tostring, setmetatable, getmetatable =
  type, pairs, rawget, rawset, select, error, tostring, setmetatable, getmetatable
local concat, gsub, floor = table.concat, string.gsub, math.floor

-- The metatable of every ordered object; `keys[t]` is its key list.
local keys = setmetatable({}, {__mode = 'k'})
local ordered = {}
ordered.__newindex = function(t, k, v)
  if v ~= nil then
    local list = keys[t]
    -- A key set again after being removed goes to the end, as in JavaScript.
    for i = #list, 1, -1 do
      if list[i] == k then table.remove(list, i) end
    end
    list[#list + 1] = k
  end
  rawset(t, k, v)
end

object = function(...)
  local n = select('#', ...)
  if n % 2 == 1 then
    error('object: expected key, value pairs (got ' .. n .. ' arguments)', 2)
  end
  local t = {}
  keys[t] = {}
  setmetatable(t, ordered)
  for i = 1, n, 2 do
    local k, v = select(i, ...)
    if type(k) ~= 'string' and type(k) ~= 'number' then
      error('object: key ' .. ((i + 1) / 2) .. ' must be a string or a number (got ' .. type(k) .. ')', 2)
    end
    t[k] = v
  end
  return t
end

local function is_ordered(v)
  return type(v) == 'table' and getmetatable(v) == ordered
end

-- Whether `t` holds an ordered object anywhere inside (then cjson can't encode it alone).
local function holds_ordered(t, seen)
  if seen[t] then return false end
  seen[t] = true
  for _, v in pairs(t) do
    if type(v) == 'table' and (is_ordered(v) or holds_ordered(v, seen)) then return true end
  end
  return false
end

local encode_value

-- cjson's rule: a table whose keys are all positive integers is an array (1..max, holes
-- are null), unless it is excessively sparse; an empty table is `{}`.
local function array_length(t)
  local max, count = 0, 0
  for k in pairs(t) do
    if type(k) ~= 'number' or k < 1 or floor(k) ~= k then return nil end
    if k > max then max = k end
    count = count + 1
  end
  if max > 10 and max > count * 2 then
    cjson_encode(t) -- raises cjson's "excessively sparse array" error
  end
  if max == 0 then return nil end
  return max
end

local function encode_key(k)
  if type(k) == 'string' then return cjson_encode(k) end
  if type(k) == 'number' then return cjson_encode(cjson_encode(k)) end
  error('Cannot serialise table: table key must be a number or string', 0)
end

local function encode_table(t, depth)
  if depth > 1000 then
    error('Cannot serialise, excessive nesting (1001)', 0)
  end
  local parts = {}
  if is_ordered(t) then
    local listed = {}
    for _, k in pairs(keys[t]) do
      local v = rawget(t, k)
      if v ~= nil and not listed[k] then
        listed[k] = true
        parts[#parts + 1] = encode_key(k) .. ':' .. encode_value(v, depth + 1)
      end
    end
    for k, v in pairs(t) do
      if not listed[k] then parts[#parts + 1] = encode_key(k) .. ':' .. encode_value(v, depth + 1) end
    end
    return '{' .. concat(parts, ',') .. '}'
  end
  local n = array_length(t)
  if n then
    for i = 1, n do
      local v = rawget(t, i)
      parts[i] = v == nil and 'null' or encode_value(v, depth + 1)
    end
    return '[' .. concat(parts, ',') .. ']'
  end
  for k, v in pairs(t) do
    parts[#parts + 1] = encode_key(k) .. ':' .. encode_value(v, depth + 1)
  end
  return '{' .. concat(parts, ',') .. '}'
end

encode_value = function(v, depth)
  if type(v) == 'table' and (is_ordered(v) or holds_ordered(v, {})) then
    return encode_table(v, depth)
  end
  return cjson_encode(v)
end

-- `JSON.parse(text)`: objects come back as ordered objects, so what a program reads and
-- writes back keeps the sender's key order, as in JavaScript. cjson checks the text first
-- (its errors, its limits), so the reader below only ever sees valid JSON.
local byte, sub, find, char, tonumber = string.byte, string.sub, string.find, string.char, tonumber

local ESCAPES = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t'}

local function utf8(code)
  if code < 0x80 then return char(code) end
  if code < 0x800 then return char(0xC0 + floor(code / 0x40), 0x80 + code % 0x40) end
  if code < 0x10000 then
    return char(0xE0 + floor(code / 0x1000), 0x80 + floor(code / 0x40) % 0x40, 0x80 + code % 0x40)
  end
  return char(0xF0 + floor(code / 0x40000), 0x80 + floor(code / 0x1000) % 0x40,
              0x80 + floor(code / 0x40) % 0x40, 0x80 + code % 0x40)
end

local read_value

local function skip(text, i)
  local _, e = find(text, '^[ \t\r\n]*', i)
  return e + 1
end

local function read_string(text, i)
  -- i is just after the opening quote.
  local parts = {}
  while true do
    local s, e = find(text, '["\\]', i)
    parts[#parts + 1] = sub(text, i, s - 1)
    if sub(text, s, s) == '"' then return concat(parts), e + 1 end
    local esc = sub(text, s + 1, s + 1)
    if esc == 'u' then
      local code = tonumber(sub(text, s + 2, s + 5), 16)
      i = s + 6
      if code >= 0xD800 and code < 0xDC00 and sub(text, i, i + 1) == '\\u' then
        local low = tonumber(sub(text, i + 2, i + 5), 16)
        if low and low >= 0xDC00 and low < 0xE000 then
          code = 0x10000 + (code - 0xD800) * 0x400 + (low - 0xDC00)
          i = i + 6
        end
      end
      parts[#parts + 1] = utf8(code)
    else
      parts[#parts + 1] = ESCAPES[esc] or esc
      i = s + 2
    end
  end
end

-- The items of an object or an array (after its opening bracket) up to `close`:
-- `read_item(i)` reads one and returns where it ended. Returns the index after `close`.
local function read_items(text, i, close, read_item)
  i = skip(text, i)
  if sub(text, i, i) == close then return i + 1 end
  while true do
    i = skip(text, read_item(i))
    local d = sub(text, i, i)
    i = i + 1
    if d == close then return i end
  end
end

read_value = function(text, i)
  i = skip(text, i)
  local c = sub(text, i, i)
  if c == '{' then
    local t = object()
    return t, read_items(text, i + 1, '}', function(j)
      local k, v
      k, j = read_string(text, skip(text, j) + 1)
      v, j = read_value(text, skip(text, j) + 1) -- after the colon
      t[k] = v
      return j
    end)
  elseif c == '[' then
    local t = {}
    return t, read_items(text, i + 1, ']', function(j)
      local v
      v, j = read_value(text, j)
      t[#t + 1] = v
      return j
    end)
  elseif c == '"' then
    return read_string(text, i + 1)
  elseif sub(text, i, i + 3) == 'true' then
    return true, i + 4
  elseif sub(text, i, i + 4) == 'false' then
    return false, i + 5
  elseif sub(text, i, i + 3) == 'null' then
    return null, i + 4
  end
  local s, e = find(text, '^-?[%d.eE+-]+', i)
  return tonumber(sub(text, s, e)), e + 1
end

local function parse(text)
  local checked = decode(text)
  if type(checked) ~= 'table' then return checked end
  return (read_value(text, 1))
end

-- `JSON.stringify(value)`: `/` is not escaped (cjson writes `\/`); nil is `null`.
local function stringify(v)
  if v == nil then return 'null' end
  return (gsub(encode_value(v, 0), '\\/', '/'))
end

JSON = {stringify = stringify, parse = parse}

return stringify, parse
