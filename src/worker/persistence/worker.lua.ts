import { RUNS_LUA_LIB } from '../../runs/persistence/runs.lua';

/**
 * The worker API's atomic steps in Redis (AGENT=worker). A worker's lease lives in aura:instances
 * beside the instances' own, and the run it holds in aura:instance:{leaseId}:runs, so the orphan
 * sweep and takeover treat a lapsed worker like a dead instance.
 */

/** A lease of the ready queue that never lapses (ms): no instance adopts a queued run. */
const QUEUE_LEASE = '9000000000000000';

/**
 * KEYS: run, ready, instances. ARGV: sid, owner, queueOwner, wakeChannel, prefixes.
 * Returns 1 when the run (held by owner, not ended) joined the queue, else 0.
 */
export const MAKE_READY = `${RUNS_LUA_LIB}
local r = redis.call('HMGET', KEYS[1], 'status', 'owner')
if not r[1] or TERMINAL[r[1]] or r[2] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[3], 'queuedMs', redis_now_ms())
redis.call('ZADD', KEYS[3], ${QUEUE_LEASE}, ARGV[3])
redis.call('SREM', P.instanceRuns .. ARGV[2] .. ':runs', ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[4], ARGV[1])
return 1
`;

/**
 * KEYS: ready, instances. ARGV: leaseId, leaseMs, queueOwner, prefixes. Pops sessions until one is
 * still queued (entries of runs cancelled, ended or gone meanwhile are dropped), leases it by Redis's
 * clock. Returns {} or {sid, deadlineMs, runFields, approvedRequestFields}.
 */
export const CLAIM_READY = `${RUNS_LUA_LIB}
for _ = 1, 100 do
  local sid = redis.call('LPOP', KEYS[1])
  if not sid then return {} end
  local rkey = P.run .. sid
  local r = redis.call('HMGET', rkey, 'status', 'owner', 'approvedRequestId')
  if r[1] and not TERMINAL[r[1]] and r[2] == ARGV[3] then
    local deadline = redis_now_ms() + tonumber(ARGV[2])
    redis.call('HSET', rkey, 'owner', ARGV[1])
    redis.call('ZADD', KEYS[2], deadline, ARGV[1])
    redis.call('SADD', P.instanceRuns .. ARGV[1] .. ':runs', sid)
    local req = {}
    if r[3] and r[3] ~= '' then req = redis.call('HGETALL', P.request .. r[3]) end
    return {sid, deadline, redis.call('HGETALL', rkey), req}
  end
end
return {}
`;

/**
 * KEYS: run, instances. ARGV: leaseId, leaseMs, prefixes. Extends the lease while it is live and
 * holds the run, which has not ended. Returns the new deadline (ms), or 0 when the lease is lost.
 */
export const RENEW = `${RUNS_LUA_LIB}
local r = redis.call('HMGET', KEYS[1], 'status', 'owner')
if not r[1] or TERMINAL[r[1]] or r[2] ~= ARGV[1] then return 0 end
local lease = redis.call('ZSCORE', KEYS[2], ARGV[1])
local now = redis_now_ms()
if not lease or tonumber(lease) <= now then return 0 end
local deadline = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[2], deadline, ARGV[1])
return deadline
`;

/**
 * KEYS: run, instances. ARGV: sid, leaseId, toInstance, prefixes. Ends the lease; a run it still
 * holds that has not ended passes to toInstance.
 */
export const RELEASE = `${RUNS_LUA_LIB}
local r = redis.call('HMGET', KEYS[1], 'status', 'owner')
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('SREM', P.instanceRuns .. ARGV[2] .. ':runs', ARGV[1])
if r[1] and not TERMINAL[r[1]] and r[2] == ARGV[2] then
  redis.call('HSET', KEYS[1], 'owner', ARGV[3])
  redis.call('SADD', P.instanceRuns .. ARGV[3] .. ':runs', ARGV[1])
end
return 1
`;

export const QUEUE_LEASE_MS = Number(QUEUE_LEASE);

/**
 * KEYS: ready. ARGV: queueOwner, prefixes. Returns {length} or {length, sid, waitedMs}: the first
 * of the oldest 50 entries whose run still waits in the queue (Redis clock).
 */
export const QUEUE_STATS = `${RUNS_LUA_LIB}
local n = redis.call('LLEN', KEYS[1])
local now = redis_now_ms()
for _, sid in ipairs(redis.call('LRANGE', KEYS[1], 0, 49)) do
  local r = redis.call('HMGET', P.run .. sid, 'status', 'owner', 'queuedMs')
  if r[1] and not TERMINAL[r[1]] and r[2] == ARGV[1] then return {n, sid, now - tonumber(r[3] or now)} end
end
return {n}
`;
