-- Reads budget counters in one round trip. KEYS: the counters.
-- Returns each one's total, 0 for a counter never charged.
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = tonumber(redis.call('HGET', key, 'spent')) or 0
end
return out
