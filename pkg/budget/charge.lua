-- Adds one charge to budget counters, atomically: Redis runs a script
-- with nothing else in between, so of all the charges that race past a
-- threshold exactly one sees itself reach it first and reports it.
--
-- KEYS: the counters, one Redis hash each ("spent", and "mark:<name>" for
-- every mark already fired).
-- ARGV, per key in order: amount, expire-at (Unix ms), number of marks,
-- then that many pairs of mark name and level.
-- Returns, per key: the new total, then the list of marks fired now.
local out, a = {}, 1
for _, key in ipairs(KEYS) do
  local total = redis.call('HINCRBY', key, 'spent', ARGV[a])
  redis.call('PEXPIREAT', key, ARGV[a + 1])
  local n = tonumber(ARGV[a + 2])
  a = a + 3
  local fired = {}
  for _ = 1, n do
    if total >= tonumber(ARGV[a + 1]) and redis.call('HSETNX', key, 'mark:' .. ARGV[a], 1) == 1 then
      fired[#fired + 1] = ARGV[a]
    end
    a = a + 2
  end
  out[#out + 1] = total
  out[#out + 1] = fired
end
return out
