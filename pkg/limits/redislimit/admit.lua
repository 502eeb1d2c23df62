-- Admission: check every rule and, only if all of them pass, charge them
-- all. The arithmetic mirrors pkg/limits/bucket.go (Drain, Check, Charge)
-- operation for operation, so both backends decide alike.
--
-- KEYS: per rule, its bucket hash, then its lease sorted set.
-- ARGV[1] now in microseconds (0: this server's clock), ARGV[2] the window
-- in microseconds, ARGV[3] the lease in microseconds, ARGV[4] the ticket
-- id, ARGV[5..7] the token cost (total, input, output), then per rule its
-- five limits: requests, tokens, input tokens, output tokens, concurrent.
--
-- Returns {allowed, then per rule: denied mask, in flight, four levels}.
-- Levels are strings, because Redis truncates Lua numbers to integers.
local now = tonumber(ARGV[1])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local id = ARGV[4]
local cost = {1, tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])}
local n = #KEYS / 2
local lim, lvl, at, inflight, denied = {}, {}, {}, {}, {}
local allowed = 1

for k = 1, n do
  local base = 7 + (k - 1) * 5
  local h = redis.call('HMGET', KEYS[2 * k - 1], 'at', 'r', 't', 'i', 'o')
  local last = tonumber(h[1]) or now
  local elapsed = now - last
  -- A clock that steps back must not drain the same time twice.
  at[k] = math.max(last, now)
  lim[k], lvl[k], denied[k], inflight[k] = {}, {}, 0, 0
  for d = 1, 4 do
    local l = tonumber(ARGV[base + d])
    local v = 0
    if l > 0 then
      v = tonumber(h[d + 1]) or 0
      if elapsed > 0 then v = v - elapsed * l / window end
      if v < 0 then v = 0 end
      if v + cost[d] > l then denied[k] = denied[k] + 2 ^ (d - 1) end
    end
    lim[k][d], lvl[k][d] = l, v
  end
  local maxc = tonumber(ARGV[base + 5])
  lim[k][5] = maxc
  if maxc > 0 then
    -- Leases left by replicas that died holding them expire here.
    redis.call('ZREMRANGEBYSCORE', KEYS[2 * k], '-inf', now)
    inflight[k] = redis.call('ZCARD', KEYS[2 * k])
    if inflight[k] + 1 > maxc then denied[k] = denied[k] + 16 end
  end
  if denied[k] ~= 0 then allowed = 0 end
end

if allowed == 1 then
  for k = 1, n do
    local idle = 0
    for d = 1, 4 do
      local l = lim[k][d]
      if l > 0 then
        lvl[k][d] = lvl[k][d] + cost[d]
        idle = math.max(idle, lvl[k][d] * window / l)
      end
    end
    redis.call('HSET', KEYS[2 * k - 1], 'at', string.format('%.17g', at[k]),
      'r', string.format('%.17g', lvl[k][1]), 't', string.format('%.17g', lvl[k][2]),
      'i', string.format('%.17g', lvl[k][3]), 'o', string.format('%.17g', lvl[k][4]))
    redis.call('PEXPIRE', KEYS[2 * k - 1], math.ceil(idle / 1000) + 1000)
    if lim[k][5] > 0 then
      redis.call('ZADD', KEYS[2 * k], now + lease, id)
      redis.call('PEXPIRE', KEYS[2 * k], math.ceil(lease / 1000) + 1000)
      inflight[k] = inflight[k] + 1
    end
  end
end

local out = {allowed}
for k = 1, n do
  out[#out + 1] = denied[k]
  out[#out + 1] = inflight[k]
  for d = 1, 4 do out[#out + 1] = string.format('%.17g', lvl[k][d]) end
end
return out
