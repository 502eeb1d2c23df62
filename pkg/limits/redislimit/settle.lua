-- Settle: add the correction (actual minus estimated tokens) to every rule
-- the admission charged, and free the ticket's concurrency slots. Mirrors
-- Drain and Correct in pkg/limits/bucket.go.
--
-- KEYS: per rule, its bucket hash, then its lease sorted set.
-- ARGV[1] now in microseconds (0: this server's clock), ARGV[2] the window
-- in microseconds, ARGV[3] the ticket id, ARGV[4] 1 to free slots,
-- ARGV[5..7] the correction (total, input, output tokens), then per rule
-- its five limits as in admit.lua.
local now = tonumber(ARGV[1])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local window = tonumber(ARGV[2])
local id = ARGV[3]
local release = ARGV[4] == '1'
local corr = {0, tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])}
local n = #KEYS / 2

for k = 1, n do
  local base = 7 + (k - 1) * 5
  local touch = false
  for d = 2, 4 do
    if tonumber(ARGV[base + d]) > 0 and corr[d] ~= 0 then touch = true end
  end
  if touch then
    local h = redis.call('HMGET', KEYS[2 * k - 1], 'at', 'r', 't', 'i', 'o')
    local last = tonumber(h[1]) or now
    local elapsed = now - last
    local lvl, idle = {}, 0
    for d = 1, 4 do
      local l = tonumber(ARGV[base + d])
      local v = 0
      if l > 0 then
        v = tonumber(h[d + 1]) or 0
        if elapsed > 0 then v = v - elapsed * l / window end
        if v < 0 then v = 0 end
        if corr[d] ~= 0 then
          v = v + corr[d]
          if v < 0 then v = 0 end
        end
        idle = math.max(idle, v * window / l)
      end
      lvl[d] = v
    end
    redis.call('HSET', KEYS[2 * k - 1], 'at', string.format('%.17g', math.max(last, now)),
      'r', string.format('%.17g', lvl[1]), 't', string.format('%.17g', lvl[2]),
      'i', string.format('%.17g', lvl[3]), 'o', string.format('%.17g', lvl[4]))
    redis.call('PEXPIRE', KEYS[2 * k - 1], math.ceil(idle / 1000) + 1000)
  end
  if release and tonumber(ARGV[base + 5]) > 0 then
    redis.call('ZREM', KEYS[2 * k], id)
  end
end
return 1
