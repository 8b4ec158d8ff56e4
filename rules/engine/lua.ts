/**
 * The windowed state in Redis: one Lua function per operation, so each check-and-update
 * is atomic however many collector workers share the state. The algorithms are those
 * of memory-state.ts (see state.ts for the semantics); keep the two in step (the parity
 * test runs both). The functions below are bodies for BATCH (at the end), which runs a
 * batch's operations in one call and gives them F, the field-name memo. Every key of
 * one operation shares a hash tag, and on Redis Cluster a call carries only operations
 * of one slot, so the scripts run there too (the HyperLogLog bucket keys are derived
 * inside the script from a base passed in; they share the same tag).
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

-- Per-bucket counts, per-bucket sums and per-window-end distinct counts are each one
-- field holding a MessagePack array (bucket, number, bucket, number, ...) rather than a
-- field per bucket: a small hash is a flat list Redis scans for every field it looks up,
-- so fewer, fatter fields make the one read below cheap.
local function unpackBuckets(blob, lowest)
  local t = {}
  if blob then
    local arr = cmsgpack.unpack(blob)
    for i = 1, #arr, 2 do
      if arr[i] >= lowest then t[arr[i]] = arr[i + 1] end
    end
  end
  return t
end
local function packBuckets(t, lowest)
  local arr = {}
  for j, x in pairs(t) do
    if j >= lowest and x ~= 0 then
      arr[#arr + 1] = j
      arr[#arr + 1] = x
    end
  end
  return cmsgpack.pack(arr)
end

-- Everything this record can touch, in one read: the newest bucket, the alerts of its
-- two periods, the bucket tables, and the value's buckets or the running total.
local fields = {'m', F('a:', p0), F('a:', p1), 'c', 's', 'n'}
local vAt = #fields + 1
if fn == 'distinct' then fields[vAt] = 'v:' .. val end
local tAt = #fields + 1
if rkey ~= '' then fields[tAt] = 't:' .. rkey end
local got = redis.call('HMGET', H, unpack(fields))
local alerts = {[p0] = got[2], [p1] = got[3]}

-- A record seen before: count nothing, report again what it raised. (ZADD NX both
-- checks and records the member: one call instead of two.)
if redis.call('ZADD', E, 'NX', F('', b), ev) == 0 then
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

-- V holds something only for exact distinct counts and sums (running totals).
local useV = fn == 'distinct' or fn == 'sum'
local m = tonumber(got[1] or '')
if m and b < m - 2 * k then
  redis.call('ZREM', E, ev)
  return {'late'}
end
-- Every field this record changes, written in one HSET at the end.
local set = {}
local advanced = (not m) or b > m
if advanced then
  if m and b - 2 * k > m then
    -- Everything held is older than any window this record reaches.
    redis.call('DEL', H, E, V)
    redis.call('ZADD', E, F('', b), ev)
    for i = 2, #fields do got[i] = false end
    alerts = {}
  elseif m then
    local cut = b - 3 * k
    local old = {}
    for p = floor((m - 3 * k) / k), floor(cut / k) - 1 do old[#old + 1] = F('a:', p) end
    local gone = {}
    if useV then gone = redis.call('ZRANGEBYSCORE', V, '-inf', '(' .. cut) end
    for i = 1, #gone do
      old[#old + 1] = gone[i]
      -- What was just dropped must not be used from the read above.
      if gone[i] == 't:' .. rkey and rkey ~= '' then got[tAt] = false end
      if fn == 'distinct' and gone[i] == 'v:' .. val then got[vAt] = false end
    end
    if #old > 0 then redis.call('HDEL', H, unpack(old)) end
    redis.call('ZREMRANGEBYSCORE', E, '-inf', '(' .. cut)
    if #gone > 0 then redis.call('ZREMRANGEBYSCORE', V, '-inf', '(' .. cut) end
  end
  set[#set + 1] = 'm'
  set[#set + 1] = F('', b)
  m = b
end
-- What is older than any window a record can still reach is dropped on rewrite.
local keep = m - 3 * k

local counts = unpackBuckets(got[4], keep)
local newBucket = counts[b] == nil
counts[b] = (counts[b] or 0) + 1
set[#set + 1] = 'c'
set[#set + 1] = packBuckets(counts, keep)

local sums
if fn == 'sum' then
  sums = unpackBuckets(got[5], keep)
  local x = tonumber(val) or 0
  if rkey ~= '' then
    local f = 't:' .. rkey
    local last = tonumber(got[tAt] or '0')
    if x > last then
      set[#set + 1] = f
      set[#set + 1] = val
      x = x - last
    else
      x = 0
    end
    redis.call('ZADD', V, 'GT', b, f)
  end
  if x ~= 0 or advanced then
    sums[b] = (sums[b] or 0) + x
    set[#set + 1] = 's'
    set[#set + 1] = packBuckets(sums, keep)
  end
end

local ns
if fn == 'distinct' then
  ns = unpackBuckets(got[6], keep)
  local f = 'v:' .. val
  local list = got[vAt]
  local bs = {}
  local present = false
  if list then
    for t in string.gmatch(list, '[^,]+') do
      local j = tonumber(t)
      if j >= keep then
        bs[#bs + 1] = j
        if j == b then present = true end
      end
    end
  end
  if not present then
    for e = b, hi do
      local covered = false
      for i = 1, #bs do
        if bs[i] >= e - k + 1 and bs[i] <= e then covered = true break end
      end
      if not covered then ns[e] = (ns[e] or 0) + 1 end
    end
    bs[#bs + 1] = b
    set[#set + 1] = f
    set[#set + 1] = table.concat(bs, ',')
  end
  if not present or advanced then
    set[#set + 1] = 'n'
    set[#set + 1] = packBuckets(ns, keep)
  end
  redis.call('ZADD', V, 'GT', b, f)
elseif fn == 'hll' then
  redis.call('PFADD', F(hbase, b), val)
  -- A bucket's HyperLogLog is created by the bucket's first record.
  if newBucket then redis.call('PEXPIRE', F(hbase, b), ttl) end
end

local function windowValue(e)
  if fn == 'distinct' then return ns[e] or 0 end
  local src = counts
  if fn == 'sum' then src = sums end
  local total = 0
  for j = e - k + 1, e do total = total + (src[j] or 0) end
  -- A window holds no more distinct values than records: merging twelve
  -- HyperLogLogs is the dearest step, and most windows are far below the threshold.
  if fn == 'hll' and total >= thr then
    local keys = {}
    for j = e - k + 1, e do keys[#keys + 1] = F(hbase, j) end
    return redis.call('PFCOUNT', unpack(keys))
  end
  return total
end

for e = b, hi do
  if counts[e] then
    local p = floor(e / k)
    if not alerts[p] then
      local w = windowValue(e)
      if w >= thr then
        local a = tostring(w) .. ' ' .. e .. ' ' .. ev
        set[#set + 1] = F('a:', p)
        set[#set + 1] = a
        alerts[p] = a
        emit(p, w, e)
      end
    end
  end
end
redis.call('HSET', H, unpack(set))

-- Expiry moves with the newest bucket (a group idle for four windows is dropped).
if advanced then
  redis.call('PEXPIRE', H, ttl)
  redis.call('PEXPIRE', E, ttl)
  if useV then redis.call('PEXPIRE', V, ttl) end
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

/**
 * Every operation of a batch in one script call (BATCH below), rather than one call per
 * operation: a call's fixed cost (argument parsing, the Lua call, the reply, the client's
 * encoding) was most of the price of a small operation. The operations run in the order
 * given, each with the same algorithm as alone, so the answers are those of one call
 * each (the parity test checks it); the batch as a whole is atomic, which is stronger.
 *
 * KEYS: every operation's keys, in order. ARGV: per operation a type letter (a, s, f, r),
 * for a sequence its number of keys, then the operation's own arguments as above.
 * Reply: per operation, the length of its answer, then the answer.
 */
export const OP_ARGS = { a: 10, s: 7, f: 5, r: 4 } as const;
export const OP_KEYS = { a: 3, f: 1, r: 2 } as const;

export const BATCH = `
-- Field names carry bucket and period numbers; formatting a number is the costliest
-- step of a small operation, and the operations of one batch share their buckets.
local memo = {}
local function F(p, j)
  local t = memo[p]
  if not t then t = {} memo[p] = t end
  local s = t[j]
  if not s then s = p .. j t[j] = s end
  return s
end
local ops = {}
ops.a = function(KEYS, ARGV)
${AGGREGATE}
end
ops.s = function(KEYS, ARGV)
${SEQUENCE}
end
ops.f = function(KEYS, ARGV)
${FIRST_SEEN}
end
ops.r = function(KEYS, ARGV)
${RAISE}
end
local NARGS = {a = ${OP_ARGS.a}, s = ${OP_ARGS.s}, f = ${OP_ARGS.f}, r = ${OP_ARGS.r}}
local NKEYS = {a = ${OP_KEYS.a}, f = ${OP_KEYS.f}, r = ${OP_KEYS.r}}
local out = {}
local ki, ai, n = 1, 1, #ARGV
while ai <= n do
  local t = ARGV[ai]
  ai = ai + 1
  local nk = NKEYS[t]
  if not nk then
    nk = tonumber(ARGV[ai])
    ai = ai + 1
  end
  local keys, args = {}, {}
  for i = 1, nk do keys[i] = KEYS[ki + i - 1] end
  ki = ki + nk
  for i = 1, NARGS[t] do args[i] = ARGV[ai + i - 1] end
  ai = ai + NARGS[t]
  local r = ops[t](keys, args)
  if type(r) ~= 'table' then r = {r} end
  out[#out + 1] = #r
  for i = 1, #r do out[#out + 1] = r[i] end
end
return out
`;
