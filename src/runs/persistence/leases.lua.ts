/**
 * The leases' scripts: the instances' heartbeat and lapsed leases on aura:{instances}, and the
 * compare-and-set that hands a run to a new owner on the run's slot (RunLeases orders them).
 */

/**
 * KEYS: instances, epoch (one slot). ARGV: {instanceId, leaseMs, newEpoch}. The lease runs on Redis's
 * clock. Returns {clock (ms), epoch}: the epoch marker is set once per data set, so an instance
 * that sees it change knows the store lost its data (flushed, or failed over without persistence).
 */
export const HEARTBEAT = `
local A = cjson.decode(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + A.leaseMs, A.instanceId)
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = A.newEpoch
  redis.call('SET', KEYS[2], epoch)
end
return {now, epoch}
`;

/** KEYS: instances. ARGV: {instanceId}. 1 when that instance's lease is missing or lapsed by Redis's clock. */
export const LEASE_LAPSED = `
local A = cjson.decode(ARGV[1])
local lease = redis.call('ZSCORE', KEYS[1], A.instanceId)
if not lease then return 1 end
local t = redis.call('TIME')
return tonumber(lease) <= tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) and 1 or 0
`;

/**
 * KEYS: run. ARGV: {from, to}. Hands an unfinished run over when it is still the
 * expected owner's (a compare-and-set: the lease check came first, on the instances' slot).
 */
export const TAKEOVER = `
local A = cjson.decode(ARGV[1])
local r = redis.call('HMGET', KEYS[1], 'status', 'owner')
local TERMINAL = {completed=true, rejected=true, expired=true, cancelled=true, failed=true}
if not r[1] or TERMINAL[r[1]] or r[2] ~= A.from then return 0 end
redis.call('HSET', KEYS[1], 'owner', A.to)
return 1
`;

/**
 * KEYS: instances. ARGV: {limit} or {forget}. The instances whose leases lapsed by Redis's clock
 * (oldest first); with `forget` (an instance id), forgets that one if its lease is still lapsed (1) or not (0).
 */
export const LAPSED = `
local A = cjson.decode(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if A.forget then
  local lease = redis.call('ZSCORE', KEYS[1], A.forget)
  if lease and tonumber(lease) <= now then return redis.call('ZREM', KEYS[1], A.forget) end
  return 0
end
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, A.limit)
`;
