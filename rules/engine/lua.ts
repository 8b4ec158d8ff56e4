/**
 * The windowed state in Redis: one Lua function per operation, so each check-and-update
 * is atomic however many collector workers share the state. The algorithms are those
 * of memory-state.ts (see state.ts for the semantics); keep the two in step (the parity
 * test runs both). The functions below are bodies for BATCH (at the end), which runs a
 * batch's operations in one call and gives them F, the field-name memo (and the
 * aggregate its helpers and parameter sets). Every key of one operation shares a hash
 * tag, and on Redis Cluster a call carries only operations of one slot, so the scripts
 * run there too (the HyperLogLog bucket keys are derived inside the script from the
 * group's key: they share its tag).
 */

/**
 * Aggregate window. KEYS: the group's hash H, its only key: besides the window tables it
 * holds every counted evidence id (`e:<id>` = its bucket), each distinct value's buckets
 * (`v:<value>`) and each running total (`t:<key>` = "<last bucket> <total>"), so an
 * operation reads and writes one key and refreshes one expiry (the per-bucket
 * HyperLogLogs of `approximate` counts, `<group>:h:<bucket>`, are keys of their own:
 * PFADD needs one). Arguments (a function of BATCH: aggregate(H, ev, b, val, rkey, pi)):
 * member, bucket, value, running key, and the number of the call's parameter set
 * ('p': k, threshold, fn (count|sum|distinct|hll), ttl ms, max evidence).
 *
 * What falls out of every window a record can still reach (older than the newest bucket
 * minus three windows) is dropped lazily: it is ignored when read (an evidence id below
 * that floor counts as absent, as do a value's old buckets and a running total last
 * touched there, exactly as if deleted when the window moved), counted in `z`, and
 * deleted in one sweep once there are as many such fields as live ones: the sweep's work
 * is bounded by the operations that made the fields, so it costs O(1) per operation, and
 * the hash stays within a constant factor of the live state.
 */
export const AGGREGATE = `
b = tonumber(b)
local pr = P[tonumber(pi)]
local k, thr, fn, ttl, maxev = pr[1], pr[2], pr[3], pr[4], pr[5]
local floor = math.floor
local hi = b + k - 1
local p0 = floor(b / k)
local p1 = floor(hi / k)

-- Everything this record can touch, in one read: the newest bucket, the alerts of its
-- two periods, the bucket tables, the stale count, the record's own evidence field, and
-- the value's buckets or the running total.
local evf = 'e:' .. ev
local fields = FIELDS
fields[1], fields[2], fields[3], fields[4], fields[5], fields[6] = 'm', F('a:', p0), F('a:', p1), 'c', 'z', evf
local nf, xAt, vAt, tAt = 6, 7, nil, nil
if fn == 'sum' then nf = 7 fields[7] = 's' elseif fn == 'distinct' then nf = 7 fields[7] = 'n' end
if fn == 'distinct' then
  nf = nf + 1
  vAt = nf
  fields[nf] = 'v:' .. val
end
if rkey ~= '' then
  nf = nf + 1
  tAt = nf
  fields[nf] = 't:' .. rkey
end
local got = redis.call('HMGET', H, unpack(fields, 1, nf))
local m = tonumber(got[1] or '')
local a0, a1 = got[2], got[3]
local out

-- A record seen before (its id is held and not yet out of reach): count nothing, report
-- again what it raised.
if got[6] and m and tonumber(got[6]) >= m - 3 * k then
  for p = p0, p1 do
    local a = a1
    if p == p0 then a = a0 end
    if a then
      local s1 = string.find(a, ' ', 1, true)
      local s2 = string.find(a, ' ', s1 + 1, true)
      if string.sub(a, s2 + 1) == ev then
        out = emit(out, H, k, maxev, p, tonumber(string.sub(a, 1, s1 - 1)), tonumber(string.sub(a, s1 + 1, s2 - 1)), m - 3 * k)
      end
    end
  end
  if not out then return DUP end
  table.insert(out, 1, 'dup')
  return out
end

if m and b < m - 2 * k then return {'late'} end
-- Every field this record changes, written in one HSET at the end.
local set, sn = SET, 0
local advanced = (not m) or b > m
if advanced then
  if m and b - 2 * k > m then
    -- Everything held is older than any window this record reaches.
    redis.call('DEL', H)
    for i = 2, nf do got[i] = false end
    a0, a1 = false, false
  end
  sn = sn + 1 set[sn] = 'm'
  sn = sn + 1 set[sn] = F('', b)
  m = b
end
-- What is older than any window a record can still reach is out of reach.
local keep = m - 3 * k

local counts, dropped = loadTable(got[4], keep)
local newBucket = tableAt(counts, b) == 0
tableAdd(counts, b, 1)
sn = sn + 1 set[sn] = 'c'
sn = sn + 1 set[sn] = cmsgpack.pack(counts)
sn = sn + 1 set[sn] = evf
sn = sn + 1 set[sn] = F('', b)
-- Evidence fields now out of reach (their buckets just left the count table): swept
-- once there are as many as live ones (the live count only drops when some leave).
local z0 = tonumber(got[5] or '0')
local sweep = false
if dropped > 0 then
  local stale = z0 + dropped
  if stale >= 64 then
    local live = 0
    for i = 2, #counts do live = live + counts[i] end
    if stale >= live then
      sweep = true
      stale = 0
    end
  end
  sn = sn + 1 set[sn] = 'z'
  sn = sn + 1 set[sn] = stale
end

local sums
if fn == 'sum' then
  sums = loadTable(got[xAt], keep)
  local x = tonumber(val) or 0
  if rkey ~= '' then
    local f = fields[tAt]
    local tv = got[tAt]
    local last, lastStr, lastB = 0, nil, nil
    if tv then
      local sp = string.find(tv, ' ', 1, true)
      local j = tonumber(string.sub(tv, 1, sp - 1))
      if j >= keep then
        lastB = j
        lastStr = string.sub(tv, sp + 1)
        last = tonumber(lastStr)
      end
    end
    local newB = b
    if lastB and lastB > b then newB = lastB end
    if x > last then
      lastStr = val
      x = x - last
    else
      x = 0
    end
    if lastStr ~= nil and (x ~= 0 or newB ~= lastB) then
      sn = sn + 1 set[sn] = f
      sn = sn + 1 set[sn] = newB .. ' ' .. lastStr
    end
  end
  if x ~= 0 or advanced then
    tableAdd(sums, b, x)
    sn = sn + 1 set[sn] = 's'
    sn = sn + 1 set[sn] = cmsgpack.pack(sums)
  end
end

local ns, hbase
if fn == 'distinct' then
  ns = loadTable(got[xAt], keep)
  local list = got[vAt]
  local bs = {}
  local present = false
  -- The value's nearest buckets before and after this one: the windows ending at
  -- from..to hold no other record of it.
  local before, after = b - k, hi + 1
  if list then
    local all = cmsgpack.unpack(list)
    for i = 1, #all do
      local j = all[i]
      if j >= keep then
        bs[#bs + 1] = j
        if j == b then present = true
        elseif j < b then if j > before then before = j end
        elseif j < after then after = j end
      end
    end
  end
  if not present then
    for e = before + k, after - 1 do tableAdd(ns, e, 1) end
    bs[#bs + 1] = b
    sn = sn + 1 set[sn] = fields[vAt]
    sn = sn + 1 set[sn] = cmsgpack.pack(bs)
  end
  if not present or advanced then
    sn = sn + 1 set[sn] = 'n'
    sn = sn + 1 set[sn] = cmsgpack.pack(ns)
  end
elseif fn == 'hll' then
  hbase = string.sub(H, 1, -2) .. 'h:'
  local hk = hbase .. b
  redis.call('PFADD', hk, val)
  -- A bucket's HyperLogLog is created by the bucket's first record.
  if newBucket then redis.call('PEXPIRE', hk, ttl) end
end

-- Every window ending at an occupied bucket this record reaches, unless its period has
-- alerted: its value, and the alert if it is at the threshold.
local crossed
for e = b, hi do
  if tableAt(counts, e) > 0 then
    local p = floor(e / k)
    if not ((p == p0 and a0) or (p ~= p0 and a1)) then
      local w
      if fn == 'distinct' then
        w = tableAt(ns, e)
      else
        local src = counts
        if fn == 'sum' then src = sums end
        w = tableSum(src, e - k + 1, e)
        -- A window holds no more distinct values than records: merging twelve
        -- HyperLogLogs is the dearest step, and most windows are far below the threshold.
        if fn == 'hll' and w >= thr then
          local keys = {}
          for j = e - k + 1, e do keys[#keys + 1] = hbase .. j end
          w = redis.call('PFCOUNT', unpack(keys))
        end
      end
      if w >= thr then
        local a = tostring(w) .. ' ' .. e .. ' ' .. ev
        sn = sn + 1 set[sn] = F('a:', p)
        sn = sn + 1 set[sn] = a
        if p == p0 then a0 = a else a1 = a end
        crossed = crossed or {}
        crossed[#crossed + 1] = {p, w, e}
      end
    end
  end
end
redis.call('HSET', H, unpack(set, 1, sn))
if crossed then
  for i = 1, #crossed do out = emit(out, H, k, maxev, crossed[i][1], crossed[i][2], crossed[i][3], keep) end
end

if sweep then
  -- Delete what is out of reach: evidence, values whose buckets all are, running
  -- totals last touched there, the alerts of periods no window reaches.
  local all = redis.call('HGETALL', H)
  local pk = floor(keep / k)
  local del = {}
  for i = 1, #all, 2 do
    local f = all[i]
    local c = string.byte(f, 1)
    if string.byte(f, 2) == 58 then
      local x = all[i + 1]
      local gone = false
      if c == 101 then gone = tonumber(x) < keep
      elseif c == 97 then gone = tonumber(string.sub(f, 3)) < pk
      elseif c == 116 then gone = tonumber(string.sub(x, 1, string.find(x, ' ', 1, true) - 1)) < keep
      elseif c == 118 then
        gone = true
        local bs = cmsgpack.unpack(x)
        for i = 1, #bs do
          if bs[i] >= keep then gone = false break end
        end
      end
      if gone then del[#del + 1] = f end
    end
  end
  for i = 1, #del, 1000 do redis.call('HDEL', H, unpack(del, i, math.min(i + 999, #del))) end
end

-- Expiry moves with the newest bucket (a group idle for four windows is dropped).
if advanced then redis.call('PEXPIRE', H, ttl) end
if not out then return OK end
table.insert(out, 1, 'ok')
return out
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
  table.insert(out, 1, 'dup')
  return out
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
table.insert(out, 1, 'ok')
return out
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
 * for a sequence its number of keys, then the operation's own arguments as above; a
 * 'p' entry (no key, no answer) defines the next aggregate parameter set, before the
 * first operation that names it. Reply: per operation, the length of its answer, then
 * the answer.
 */
export const OP_ARGS = { a: 5, s: 7, f: 5, r: 4, p: 5 } as const;
/** Keys per operation; a sequence sends its number of keys first. */
export const OP_KEYS = { a: 1, f: 1, r: 2, p: 0 } as const;

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
-- Per-bucket counts, per-bucket sums and per-window-end distinct counts are each one
-- field rather than a field per bucket (a small hash is a flat list Redis scans for
-- every field it looks up, so fewer, fatter fields make an operation's one read cheap),
-- each a dense MessagePack array {base, x(base), x(base + 1), ...} with zeros for empty
-- buckets (or empty): it decodes straight into a Lua array (a table keyed by sparse
-- bucket numbers cost more to build than all else an operation does). The base is the
-- lowest bucket held, never below the lowest any window can still reach, so a table
-- spans at most four windows of buckets. loadTable moves the base up to that floor and
-- returns the sum of what fell out.
local function loadTable(blob, lowest)
  if not blob then return {}, 0 end
  local t = cmsgpack.unpack(blob)
  local base = t[1]
  if base == nil or base >= lowest then return t, 0 end
  local d = lowest - base
  local gone = 0
  for i = 2, math.min(d + 1, #t) do gone = gone + t[i] end
  if d + 2 > #t then return {}, gone end
  local r = {lowest}
  for i = d + 2, #t do r[#r + 1] = t[i] end
  return r, gone
end
local function tableAt(t, j)
  local base = t[1]
  if base == nil or j < base then return 0 end
  return t[j - base + 2] or 0
end
local function tableAdd(t, j, x)
  local base = t[1]
  if base == nil then
    t[1] = j
    t[2] = x
    return
  end
  if j < base then
    local d = base - j
    for i = #t, 2, -1 do t[i + d] = t[i] end
    for i = 2, d + 1 do t[i] = 0 end
    t[1] = j
    base = j
  end
  local i = j - base + 2
  for z = #t + 1, i - 1 do t[z] = 0 end
  t[i] = (t[i] or 0) + x
end
-- The sum of a table over buckets lo..hi.
local function tableSum(t, lo, hi)
  local base = t[1]
  if base == nil then return 0 end
  if lo < base then lo = base end
  local total = 0
  for i = lo - base + 2, hi - base + 2 do total = total + (t[i] or 0) end
  return total
end
-- Aggregate parameter sets ('p': k, threshold, fn, ttl ms, max evidence), numbered in
-- the order given: an aggregate operation names its rule's by number, so the arguments
-- every operation of a rule shares are sent (and parsed) once per call.
local P = {}
local ops = {}
ops.p = function(KEYS, ARGV)
  P[#P + 1] = {tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])}
end
-- Byte order, as a sorted set compares members (Lua's < follows Redis's locale).
local function bytesBefore(a, b)
  local n = #a < #b and #a or #b
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
-- The n smallest ids of t in byte order (one pass, keeping n sorted): a bucket may hold
-- thousands of ids, and a reply listing them all would be unbounded.
local function smallest(t, n)
  local keep = {}
  for i = 1, #t do
    local id = t[i]
    if #keep < n or bytesBefore(id, keep[#keep]) then
      local at = #keep + 1
      if at > n then at = n end
      while at > 1 and bytesBefore(id, keep[at - 1]) do
        keep[at] = keep[at - 1]
        at = at - 1
      end
      keep[at] = id
    end
  end
  return keep
end
-- The window's counted evidence: its first maxev ids in (bucket, id) order, earliest
-- buckets first, each id with its bucket (the caller puts the ids of a bucket in byte
-- order, as a sorted set would). Only a crossing (once per period) or the replay of the
-- record that raised one scans the hash.
local function emit(out, H, k, maxev, p, w, e, live)
  out = out or {}
  local all = redis.call('HGETALL', H)
  local lo = e - k + 1
  if lo < live then lo = live end
  local byB = {}
  for i = 1, #all, 2 do
    local f = all[i]
    if string.byte(f, 1) == 101 and string.byte(f, 2) == 58 then
      local j = tonumber(all[i + 1])
      if j >= lo and j <= e then
        local t = byB[j]
        if not t then t = {} byB[j] = t end
        t[#t + 1] = string.sub(f, 3)
      end
    end
  end
  local first = nil
  local list = {}
  for j = lo, e do
    local room = maxev - #list / 2
    if room <= 0 then break end
    local t = byB[j]
    if t then
      if not first then first = j end
      if #t > room then t = smallest(t, room) end
      for i = 1, #t do
        list[#list + 1] = t[i]
        list[#list + 1] = j
      end
    end
  end
  out[#out + 1] = tostring(p)
  out[#out + 1] = tostring(w)
  out[#out + 1] = tostring(e)
  -- The first evidence's bucket: when the counted activity began.
  out[#out + 1] = tostring(first or e)
  out[#out + 1] = tostring(#list / 2)
  for i = 1, #list do out[#out + 1] = list[i] end
  return out
end

local OK, DUP, FIELDS, SET = {'ok'}, {'dup'}, {}, {}
-- Called with its key and arguments directly (no tables to build per operation); the
-- tables below are the batch's, reused by every aggregate: an operation allocates little
-- (garbage to collect was a visible share of a small operation's cost).
local function aggregate(H, ev, b, val, rkey, pi)
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
local NARGS = {a = ${OP_ARGS.a}, s = ${OP_ARGS.s}, f = ${OP_ARGS.f}, r = ${OP_ARGS.r}, p = ${OP_ARGS.p}}
local NKEYS = {a = ${OP_KEYS.a}, f = ${OP_KEYS.f}, r = ${OP_KEYS.r}, p = ${OP_KEYS.p}}
local out = {}
local ki, ai, n = 1, 1, #ARGV
while ai <= n do
  local t = ARGV[ai]
  ai = ai + 1
  local r
  if t == 'a' then
    r = aggregate(KEYS[ki], ARGV[ai], ARGV[ai + 1], ARGV[ai + 2], ARGV[ai + 3], ARGV[ai + 4])
    ki = ki + 1
    ai = ai + ${OP_ARGS.a}
  else
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
    r = ops[t](keys, args)
  end
  -- A parameter set answers nothing.
  if r ~= nil then
    if type(r) ~= 'table' then r = {r} end
    out[#out + 1] = #r
    for i = 1, #r do out[#out + 1] = r[i] end
  end
end
return out
`;
