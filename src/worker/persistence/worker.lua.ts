import { RUNS_LUA_LIB } from '../../runs/persistence/runs.lua';

/**
 * The worker API's atomic steps in Redis (AGENT=worker), each on the run's slot. A worker's lease
 * lives in aura:{instances} beside the instances' own, and the run it holds in its run set, so the
 * orphan sweep and takeover treat a lapsed worker like a dead instance. The ready queue is told
 * through the session's outbox (a run joins it once its hash says it waits).
 */

/**
 * KEYS: run, changes. ARGV: {owner, queueOwner, sessionId}. Returns the outbox's records when the run (held by
 * owner, not ended) now waits for a worker, else 0.
 */
export const MAKE_READY = `${RUNS_LUA_LIB}
local A = cjson.decode(ARGV[1])
local r = redis.call('HMGET', KEYS[1], 'status', 'owner')
if not r[1] or TERMINAL[r[1]] or r[2] ~= A.owner then return 0 end
redis.call('HSET', KEYS[1], 'owner', A.queueOwner, 'queuedMs', redis_now_ms())
record_change(KEYS[2], {k = 'queued', sid = A.sessionId, from = A.owner})
return outbox_due()
`;

/**
 * KEYS: run, events. ARGV: {leaseId, queueOwner}. Takes a run that still waits in the queue for the
 * lease. Returns {} or {runFields}, its seq the log's (the worker's next expectedSeq).
 */
export const TAKE_QUEUED = `${RUNS_LUA_LIB}
local A = cjson.decode(ARGV[1])
local r = redis.call('HMGET', KEYS[1], 'status', 'owner', 'seq')
if not r[1] or TERMINAL[r[1]] or r[2] ~= A.queueOwner then return {} end
redis.call('HSET', KEYS[1], 'owner', A.leaseId, 'seq', run_seq(KEYS[2], r[3]))
return {redis.call('HGETALL', KEYS[1])}
`;

/** KEYS: instances. ARGV: {leaseId, leaseMs}. Leases by Redis's clock; returns the deadline (ms). */
export const LEASE = `
local A = cjson.decode(ARGV[1])
local t = redis.call('TIME')
local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + A.leaseMs
redis.call('ZADD', KEYS[1], deadline, A.leaseId)
return deadline
`;

/** KEYS: instances. ARGV: {leaseId, leaseMs}. Extends a lease that is still live; returns the new deadline, or 0. */
export const RENEW = `
local A = cjson.decode(ARGV[1])
local lease = redis.call('ZSCORE', KEYS[1], A.leaseId)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if not lease or tonumber(lease) <= now then return 0 end
local deadline = now + A.leaseMs
redis.call('ZADD', KEYS[1], deadline, A.leaseId)
return deadline
`;

/** KEYS: run. ARGV: {leaseId, toInstance}. A run the lease still holds that has not ended passes to toInstance; 1 if it did. */
export const HAND_BACK = `
local TERMINAL = {completed=true, rejected=true, expired=true, cancelled=true, failed=true}
local A = cjson.decode(ARGV[1])
local r = redis.call('HMGET', KEYS[1], 'status', 'owner')
if not r[1] or TERMINAL[r[1]] or r[2] ~= A.leaseId then return 0 end
redis.call('HSET', KEYS[1], 'owner', A.toInstance)
return 1
`;
