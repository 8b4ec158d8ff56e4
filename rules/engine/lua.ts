/**
 * The windowed state in Redis: one Lua script per operation, so each check-and-update
 * is atomic however many collector workers share the state. The algorithms are those
 * of memory-state.ts (see state.ts for the semantics); keep the two in step (the parity
 * test runs both). Every key of one script call shares a hash tag, so the scripts run
 * on Redis Cluster too (the HyperLogLog bucket keys are derived inside the script from
 * a base passed in; they share the same tag).
 */

/**
 * Aggregate window. KEYS: state hash H, evidence zset E, aux zset V (per distinct value
 * or running-total key: its last bucket). ARGV: member, bucket, k, threshold, fn
 * (count|sum|distinct|hll), value, running key, ttl ms, max evidence, hll key base.
 */
export const AGGREGATE = `
local H, E, V = KEYS[1], KEYS[2], KEYS[3]
local ev = ARGV[1]
local b = tonumber(ARGV[2])
local k = tonumber(ARGV[3])
local thr = tonumber(ARGV[4])
local fn = ARGV[5]
local val = ARGV[6]
local rkey = ARGV[7]
local ttl = tonumber(ARGV[8])
local maxev = tonumber(ARGV[9])
local hbase = ARGV[10]
local out = {}
local floor = math.floor
local lo = b - k + 1
local hi = b + k - 1
local p0 = floor(b / k)
local p1 = floor(hi / k)

local function emit(p, w, e)
  local evs = redis.call('ZRANGEBYSCORE', E, e - k + 1, e, 'WITHSCORES', 'LIMIT', 0, maxev)
  out[#out + 1] = tostring(p)
  out[#out + 1] = tostring(w)
  out[#out + 1] = tostring(e)
  -- The first evidence's bucket: when the counted activity began.
  out[#out + 1] = evs[2] or tostring(e)
  out[#out + 1] = tostring(#evs / 2)
  for i = 1, #evs, 2 do out[#out + 1] = evs[i] end
end

-- Everything this record can touch, in one read: the newest bucket, per-bucket counts
-- (and sums) of the 2k-1 buckets its windows span, the alerts of its two periods, and
-- for distinct counts the per-window-end counts and the value's buckets.
local fields = {'m', 'a:' .. p0, 'a:' .. p1}
local cAt = #fields
for j = lo, hi do fields[#fields + 1] = 'c:' .. j end
local sAt = #fields
if fn == 'sum' then for j = lo, hi do fields[#fields + 1] = 's:' .. j end end
local nAt = #fields
if fn == 'distinct' then
  for e = b, hi do fields[#fields + 1] = 'n:' .. e end
  fields[#fields + 1] = 'v:' .. val
end
local tAt = #fields
if rkey ~= '' then fields[#fields + 1] = 't:' .. rkey end
local got = redis.call('HMGET', H, unpack(fields))
local alerts = {[p0] = got[2], [p1] = got[3]}

-- A record seen before: count nothing, report again what it raised.
if redis.call('ZSCORE', E, ev) then
  for p = p0, p1 do
    local a = alerts[p]
    if a then
      local s1 = string.find(a, ' ', 1, true)
      local s2 = string.find(a, ' ', s1 + 1, true)
      if string.sub(a, s2 + 1) == ev then
        emit(p, tonumber(string.sub(a, 1, s1 - 1)), tonumber(string.sub(a, s1 + 1, s2 - 1)))
      end
    end
  end
  return {'dup', unpack(out)}
end

local m = tonumber(got[1] or '')
if m and b < m - 2 * k then return {'late'} end
local advanced = (not m) or b > m
if advanced then
  if m and b - 2 * k > m then
    -- Everything held is older than any window this record reaches.
    redis.call('DEL', H, E, V)
    for i = 2, #got do got[i] = false end
    alerts = {}
  elseif m then
    local cut = b - 3 * k
    local old = {}
    for j = m - 3 * k, cut - 1 do
      old[#old + 1] = 'c:' .. j
      old[#old + 1] = 's:' .. j
      old[#old + 1] = 'n:' .. j
    end
    for p = floor((m - 3 * k) / k), floor(cut / k) - 1 do old[#old + 1] = 'a:' .. p end
    local gone = redis.call('ZRANGEBYSCORE', V, '-inf', '(' .. cut)
    for i = 1, #gone do
      old[#old + 1] = gone[i]
      -- What was just dropped must not be used from the read above.
      if gone[i] == 't:' .. rkey and rkey ~= '' then got[tAt + 1] = false end
      if fn == 'distinct' and gone[i] == 'v:' .. val then got[nAt + k + 1] = false end
    end
    if #old > 0 then redis.call('HDEL', H, unpack(old)) end
    redis.call('ZREMRANGEBYSCORE', E, '-inf', '(' .. cut)
    if #gone > 0 then redis.call('ZREMRANGEBYSCORE', V, '-inf', '(' .. cut) end
  end
  redis.call('HSET', H, 'm', b)
  m = b
end

redis.call('ZADD', E, b, ev)
redis.call('HINCRBY', H, 'c:' .. b, 1)
local counts = {}
for j = lo, hi do counts[j] = tonumber(got[cAt + (j - lo) + 1] or '0') end
counts[b] = counts[b] + 1

local sums
if fn == 'sum' then
  sums = {}
  for j = lo, hi do sums[j] = tonumber(got[sAt + (j - lo) + 1] or '0') end
  local x = tonumber(val) or 0
  if rkey ~= '' then
    local f = 't:' .. rkey
    local last = tonumber(got[tAt + 1] or '0')
    if x > last then
      redis.call('HSET', H, f, val)
      x = x - last
    else
      x = 0
    end
    redis.call('ZADD', V, 'GT', b, f)
  end
  if x ~= 0 then
    redis.call('HINCRBYFLOAT', H, 's:' .. b, x)
    sums[b] = sums[b] + x
  end
end

local ns
if fn == 'distinct' then
  ns = {}
  for e = b, hi do ns[e] = tonumber(got[nAt + (e - b) + 1] or '0') end
  local f = 'v:' .. val
  local list = got[nAt + k + 1]
  local bs = {}
  local present = false
  if list then
    for t in string.gmatch(list, '[^,]+') do
      local j = tonumber(t)
      if j >= m - 3 * k then
        bs[#bs + 1] = j
        if j == b then present = true end
      end
    end
  end
  if not present then
    local changed = {}
    for e = b, hi do
      local covered = false
      for i = 1, #bs do
        if bs[i] >= e - k + 1 and bs[i] <= e then covered = true break end
      end
      if not covered then
        ns[e] = ns[e] + 1
        changed[#changed + 1] = 'n:' .. e
        changed[#changed + 1] = ns[e]
      end
    end
    bs[#bs + 1] = b
    changed[#changed + 1] = f
    changed[#changed + 1] = table.concat(bs, ',')
    redis.call('HSET', H, unpack(changed))
  end
  redis.call('ZADD', V, 'GT', b, f)
elseif fn == 'hll' then
  redis.call('PFADD', hbase .. b, val)
  redis.call('PEXPIRE', hbase .. b, ttl)
end

local function windowValue(e)
  if fn == 'distinct' then return ns[e] end
  if fn == 'hll' then
    local keys = {}
    for j = e - k + 1, e do keys[#keys + 1] = hbase .. j end
    return redis.call('PFCOUNT', unpack(keys))
  end
  local src = counts
  if fn == 'sum' then src = sums end
  local total = 0
  for j = e - k + 1, e do total = total + (src[j] or 0) end
  return total
end

for e = b, hi do
  if counts[e] > 0 then
    local p = floor(e / k)
    if not alerts[p] then
      local w = windowValue(e)
      if w >= thr then
        local a = tostring(w) .. ' ' .. e .. ' ' .. ev
        redis.call('HSET', H, 'a:' .. p, a)
        alerts[p] = a
        emit(p, w, e)
      end
    end
  end
end

-- Expiry moves with the newest bucket (a group idle for four windows is dropped).
if advanced then
  redis.call('PEXPIRE', H, ttl)
  redis.call('PEXPIRE', E, ttl)
  redis.call('PEXPIRE', V, ttl)
end
return {'ok', unpack(out)}
`;

/**
 * Sequence. KEYS: state hash H, then one zset per step (members "time|evidence",
 * ordered by text). ARGV: member, time ms, matched steps (1-based, comma-separated),
 * window ms, ordered (1/0), ttl ms, max candidates.
 */
export const SEQUENCE = `
local H = KEYS[1]
local N = #KEYS - 1
local mem = ARGV[1]
local ts = tonumber(ARGV[2])
local W = tonumber(ARGV[4])
local ordered = ARGV[5] == '1'
local ttl = tonumber(ARGV[6])
local maxc = tonumber(ARGV[7])
local steps = {}
for s in string.gmatch(ARGV[3], '%d+') do steps[#steps + 1] = tonumber(s) end
local function Z(i) return KEYS[i + 1] end
local function pad(t) return string.format('%015d', t) end
local function tsOf(x) return tonumber(string.sub(x, 1, 15)) end
local out = {}
local function emit(p, chain)
  out[#out + 1] = tostring(p)
  out[#out + 1] = tostring(#chain)
  for i = 1, #chain do out[#out + 1] = chain[i] end
end
local function split(s)
  local t = {}
  for x in string.gmatch(s, '[^\\n]+') do t[#t + 1] = x end
  return t
end

if redis.call('ZSCORE', Z(steps[1]), mem) then
  local x = redis.call('HGET', H, 'x:' .. mem)
  if x then
    for p in string.gmatch(x, '[^,]+') do
      local a = redis.call('HGET', H, 'a:' .. p)
      if a then
        local chain = split(a)
        table.remove(chain, 1)
        emit(tonumber(p), chain)
      end
    end
  end
  return {'dup', unpack(out)}
end

local m = tonumber(redis.call('HGET', H, 'm') or '')
if m and ts < m - 2 * W then return {'late'} end
if (not m) or ts > m then
  if m and ts - 2 * W > m then
    for i = 1, N do redis.call('DEL', Z(i)) end
    redis.call('DEL', H)
  elseif m then
    local cut = ts - 3 * W
    for i = 1, N do redis.call('ZREMRANGEBYLEX', Z(i), '-', '(' .. pad(math.max(cut, 0))) end
    for p = math.floor((m - 3 * W) / W), math.floor(cut / W) - 1 do
      local a = redis.call('HGET', H, 'a:' .. p)
      if a then
        local nl = string.find(a, '\\n', 1, true)
        redis.call('HDEL', H, 'a:' .. p, 'x:' .. string.sub(a, 1, nl - 1))
      end
    end
  end
  redis.call('HSET', H, 'm', ts)
end
for _, s in ipairs(steps) do redis.call('ZADD', Z(s), 0, mem) end

local hi = '(' .. pad(ts + W + 1)
local candidates = {}
if ordered then
  candidates = redis.call('ZRANGEBYLEX', Z(N), '[' .. mem, hi, 'LIMIT', 0, maxc)
else
  local seen = {}
  for i = 1, N do
    local got = redis.call('ZRANGEBYLEX', Z(i), '[' .. mem, hi, 'LIMIT', 0, maxc)
    for _, x in ipairs(got) do
      if not seen[x] then
        seen[x] = true
        candidates[#candidates + 1] = x
      end
    end
  end
  table.sort(candidates)
  while #candidates > maxc do table.remove(candidates) end
end

local raised = {}
for _, L in ipairs(candidates) do
  local tL = tsOf(L)
  local p = math.floor(tL / W)
  if redis.call('HEXISTS', H, 'a:' .. p) == 0 then
    local chain = nil
    if ordered then
      chain = {L}
      local cur = L
      for s = N - 1, 1, -1 do
        local r = redis.call('ZREVRANGEBYLEX', Z(s), '(' .. cur, '-', 'LIMIT', 0, 1)
        if #r == 0 then chain = nil break end
        cur = r[1]
        table.insert(chain, 1, cur)
      end
      if chain and tL - tsOf(cur) > W then chain = nil end
    else
      chain = {}
      local lo = '[' .. pad(math.max(0, tL - W))
      for s = 1, N do
        local r = redis.call('ZREVRANGEBYLEX', Z(s), '[' .. L, lo, 'LIMIT', 0, 1)
        if #r == 0 then chain = nil break end
        chain[#chain + 1] = r[1]
      end
    end
    if chain then
      redis.call('HSET', H, 'a:' .. p, mem .. '\\n' .. table.concat(chain, '\\n'))
      raised[#raised + 1] = tostring(p)
      emit(p, chain)
    end
  end
end
if #raised > 0 then redis.call('HSET', H, 'x:' .. mem, table.concat(raised, ',')) end
redis.call('PEXPIRE', H, ttl)
for i = 1, N do redis.call('PEXPIRE', Z(i), ttl) end
return {'ok', unpack(out)}
`;

/** First seen. KEYS: the group's hash. ARGV: value, member, time ms, learn ms, ttl ms. */
export const FIRST_SEEN = `
local H = KEYS[1]
local value, mem, ts, learn, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local start = tonumber(redis.call('HGET', H, '^start') or '')
if (not start) or ts < start then
  redis.call('HSET', H, '^start', ts)
  start = ts
end
redis.call('PEXPIRE', H, ttl)
local cur = redis.call('HGET', H, 'v:' .. value)
if cur then
  if cur == mem .. '|1' then return 'again' end
  return 'known'
end
local alert = 0
if ts - start >= learn then alert = 1 end
redis.call('HSET', H, 'v:' .. value, mem .. '|' .. alert)
if alert == 1 then return 'new' end
return 'learned'
`;

/**
 * Raise or fold into an alert (suppression). KEYS: alert hash A, member set S.
 * ARGV: member, time ms, ttl ms, cap.
 */
export const RAISE = `
local A, S = KEYS[1], KEYS[2]
local mem, ts, ttl, cap = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('EXISTS', A) == 0 then
  redis.call('HSET', A, 'by', mem, 'at', ts, 'n', 1, 'first', ts, 'last', ts)
  redis.call('SADD', S, mem)
  redis.call('PEXPIRE', A, ttl)
  redis.call('PEXPIRE', S, ttl)
  return {'created', '0', tostring(ts), tostring(ts), tostring(ts)}
end
local n = tonumber(redis.call('HGET', A, 'n'))
if redis.call('SISMEMBER', S, mem) == 1 then
  local status = 'dup'
  if redis.call('HGET', A, 'by') == mem then status = 'created' end
  return {status, tostring(n - 1), redis.call('HGET', A, 'first'), redis.call('HGET', A, 'last'), redis.call('HGET', A, 'at')}
end
n = redis.call('HINCRBY', A, 'n', 1)
if redis.call('SCARD', S) < cap then redis.call('SADD', S, mem) end
local first = tonumber(redis.call('HGET', A, 'first'))
local last = tonumber(redis.call('HGET', A, 'last'))
if ts < first then first = ts redis.call('HSET', A, 'first', ts) end
if ts > last then last = ts redis.call('HSET', A, 'last', ts) end
redis.call('PEXPIRE', A, ttl)
redis.call('PEXPIRE', S, ttl)
return {'updated', tostring(n - 1), tostring(first), tostring(last), redis.call('HGET', A, 'at')}
`;
