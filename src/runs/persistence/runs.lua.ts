import { HITL_LUA_LIB } from '../../hitl/persistence/hitl.lua';

/**
 * The atomic steps of runs in Redis. Each is one script, so an append, a cancel or a takeover is
 * all-or-nothing and two instances never interleave inside one. Fixed keys come as KEYS; the last
 * argument is the key prefixes (SCRIPT_PREFIXES) for the keys derived from stored data.
 */
export const RUNS_LUA_LIB = `${HITL_LUA_LIB}
local TERMINAL = {completed=true, rejected=true, expired=true, cancelled=true, failed=true}

-- P.quiet (REDIS_WAIT_REPLICAS > 0): the live messages are returned, [channel, message, …], and the
-- caller publishes them once the replicas hold the write, so no stream shows an event a failover loses.
local LIVE = {}
local function publish(channel, message)
  if P.quiet then
    LIVE[#LIVE + 1] = channel
    LIVE[#LIVE + 1] = message
  else
    redis.call('PUBLISH', channel, message)
  end
end

-- Appends [type, json] events after seq and publishes each live as '<seq> <type> <json>' (and the
-- broadcast); ttl '' leaves the log's TTL as it is. One message per event: instances before
-- 9bd534e read a message as one event, so a write's events go out as one message only once no
-- such instance is left (readers since then take several, a line each).
local function append_events(sid, ekey, seq, events, broadcasts, maxlen, ttl)
  for i, e in ipairs(events) do
    seq = seq + 1
    redis.call('XADD', ekey, 'MAXLEN', '~', maxlen, seq .. '-0', 't', e[1], 'e', e[2])
    publish(P.eventsChannel .. sid, seq .. ' ' .. e[1] .. ' ' .. e[2])
    local b = broadcasts[i]
    if b and b ~= '' then publish(P.broadcast, b) end
  end
  if ttl ~= '' then redis.call('EXPIRE', ekey, ttl) end
  return seq
end

-- A run that ends leaves its owner's set and frees its slots in the limits at once.
local function release_if_terminal(sid, owner, status, tenant, user)
  if not TERMINAL[status] then return end
  record_run_finished(sid, status, tenant, user)
  redis.call('SREM', P.instanceRuns .. owner .. ':runs', sid)
  if tenant then
    redis.call('ZREM', P.active .. tenant, sid)
    if user then redis.call('ZREM', P.active .. tenant .. ':' .. user, sid) end
  end
end
`;

/**
 * KEYS: run, tenant's active runs, user's active runs, tenant's runs index. ARGV: sid, fieldsJson,
 * ttl, userLimit, tenantLimit, createdMs, prefixes. The index gets the run in the same step, and
 * loses the runs started more than ttl before this one (their keys are gone, or soon will be). Returns {0} when created, {1, fields} of the run that exists (whatever the
 * limits), or {2, 'user'|'tenant'} when a limit is reached (nothing written). A full set is first
 * pruned of runs that are gone (key expired or lost) or ended, so none holds a slot for good; that
 * costs one HGET per member, only on the way to a refusal.
 */
export const CREATE_RUN = `${RUNS_LUA_LIB}
if redis.call('EXISTS', KEYS[1]) == 1 then return {1, redis.call('HGETALL', KEYS[1])} end
local function full(key, limit) return redis.call('ZCARD', key) >= limit end
local function prune(key)
  for _, sid in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    local status = redis.call('HGET', P.run .. sid, 'status')
    if not status or TERMINAL[status] then redis.call('ZREM', key, sid) end
  end
end
for _, c in ipairs({{KEYS[3], tonumber(ARGV[4]), 'user'}, {KEYS[2], tonumber(ARGV[5]), 'tenant'}}) do
  if full(c[1], c[2]) then
    prune(c[1])
    if full(c[1], c[2]) then return {2, c[3]} end
  end
end
local fields = cjson.decode(ARGV[2])
hset_all(KEYS[1], fields)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('SADD', P.instanceRuns .. fields.owner .. ':runs', ARGV[1])
local now = redis_now_ms()
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZADD', KEYS[3], now, ARGV[1])
redis.call('HSET', KEYS[1], 'updatedMs', now)
local created = tonumber(ARGV[6])
redis.call('ZADD', KEYS[4], created, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. (created - tonumber(ARGV[3]) * 1000))
-- Twice the TTL: a run's own key lives ttl after its last step, which may come well after its start.
redis.call('EXPIRE', KEYS[4], tonumber(ARGV[3]) * 2)
return {0}
`;

/**
 * KEYS: run, events. ARGV: one JSON argument (AppendArgs in run-script-args.ts: `request` is one
 * request's fields, or a group's as an array, the first one's id the group's), prefixes.
 * Position and seq must both be what the writer read: a script re-sent after a lost reply refuses.
 * Returns {'ok', seq, approvedFields | false, live} | {'gone'} | {'ended', status} | {'not_owner'} | {'stale'}:
 * a write of an approval returns the request as stored, for the agent's next step; live = the
 * messages to publish when P.quiet.
 */
export const APPEND = `${RUNS_LUA_LIB}
local A = cjson.decode(ARGV[1])
local r = redis.call('HMGET', KEYS[1], 'status', 'owner', 'cursor', 'seq', 'tenantId', 'userId')
if not r[1] then return {'gone'} end
if TERMINAL[r[1]] then return {'ended', r[1]} end
if r[2] ~= A.owner then return {'not_owner'} end
if r[3] ~= A.expectCursor or r[4] ~= A.expectSeq then return {'stale'} end
local decided = A.expectDecided
if decided and redis.call('HGET', P.request .. decided.requestId, 'status') ~= decided.status then return {'stale'} end
local approved = nil
if decided and (decided.status == 'approved' or decided.status == 'responded') then approved = redis.call('HGETALL', P.request .. decided.requestId) end
local requestId = ''
if A.request then
  local reqs = A.request
  if reqs.requestId then reqs = {reqs} end
  requestId = reqs[1].requestId
  for _, req in ipairs(reqs) do insert_request(req, A.deadlineMs, A.ttl) end
end
-- A batch of streamed text leaves the position as it is: its step, before and after, refreshes the TTLs.
local moves = A.nextCursor ~= A.expectCursor
local seq = append_events(A.sid, KEYS[2], tonumber(r[4]), A.events, A.broadcasts, A.maxlen, moves and A.ttl or '')
-- updatedMs (GET /aura/runs) moves with the steps: a batch of text would cost a TIME per write for it.
if moves then
  redis.call('HSET', KEYS[1], 'cursor', A.nextCursor, 'seq', seq, 'status', A.status, 'requestId', requestId, 'approvedRequestId', A.approvedRequestId, 'updatedMs', redis_now_ms())
else
  redis.call('HSET', KEYS[1], 'cursor', A.nextCursor, 'seq', seq, 'status', A.status, 'requestId', requestId, 'approvedRequestId', A.approvedRequestId)
end
if A.state then redis.call('HSET', KEYS[1], 'state', A.state) end
if A.receipt then redis.call('HSET', KEYS[1], 'receipt', A.receipt) end
if moves then redis.call('EXPIRE', KEYS[1], A.ttl) end
release_if_terminal(A.sid, r[2], A.status, r[5], r[6])
return {'ok', seq, approved or false, LIVE}
`;

/**
 * KEYS: run, events. ARGV: one JSON argument (CancelArgs in run-script-args.ts), prefixes.
 * The request must still have the status the caller read: pending (it becomes cancelled) or
 * approved but not yet resumed (the approval is logged before the cancel); so must the other
 * requests of its group (`others`: [[requestId, status], …]), the pending ones are cancelled too.
 * Returns {'cancelled', seq, live} | {'not_found'} | {'ended', status} | {'retry'}.
 */
export const CANCEL = `${RUNS_LUA_LIB}
local A = cjson.decode(ARGV[1])
local r = redis.call('HMGET', KEYS[1], 'status', 'owner', 'seq', 'tenantId', 'requestId', 'userId')
if not r[1] or r[4] ~= A.tenantId then return {'not_found'} end
if TERMINAL[r[1]] then return {'ended', r[1]} end
local expected = A.expectRequest
if r[1] ~= A.expectStatus or (r[5] or '') ~= (expected and expected.requestId or '') then return {'retry'} end
if expected then
  local current = redis.call('HGET', P.request .. expected.requestId, 'status')
  if current ~= expected.status then return {'retry'} end
  local others = A.others or {}
  for _, o in ipairs(others) do
    if redis.call('HGET', P.request .. o[1], 'status') ~= o[2] then return {'retry'} end
  end
  if current == 'pending' then decide(expected.requestId, 'cancelled', A.now, A.decidedBy, '', 'cancellation', A.ttl) end
  for _, o in ipairs(others) do
    if o[2] == 'pending' then decide(o[1], 'cancelled', A.now, A.decidedBy, '', 'cancellation', A.ttl) end
  end
end
local seq = append_events(A.sid, KEYS[2], tonumber(r[3]), A.events, A.broadcasts, A.maxlen, A.ttl)
redis.call('HSET', KEYS[1], 'seq', seq, 'status', 'cancelled', 'requestId', '', 'approvedRequestId', '', 'updatedMs', redis_now_ms())
redis.call('EXPIRE', KEYS[1], A.ttl)
release_if_terminal(A.sid, r[2], 'cancelled', r[4], r[6])
return {'cancelled', seq, LIVE}
`;

/**
 * KEYS: instances, epoch. ARGV: instanceId, leaseMs, newEpoch, prefixes. The lease runs on Redis's
 * clock. Returns {clock (ms), epoch}: the epoch marker is set once per data set, so an instance
 * that sees it change knows the store lost its data (flushed, or failed over without persistence).
 */
export const HEARTBEAT = `${RUNS_LUA_LIB}
local now = redis_now_ms()
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[3]
  redis.call('SET', KEYS[2], epoch)
end
return {now, epoch}
`;

/**
 * KEYS: run, instances. ARGV: sid, me, fromInstance ('' = unknown), prefixes. Takes the run over
 * when its owner's lease has lapsed by Redis's clock; returns 1 when it is ours. A run that is gone
 * or finished leaves fromInstance's set.
 */
export const CLAIM = `${RUNS_LUA_LIB}
local r = redis.call('HMGET', KEYS[1], 'status', 'owner')
if not r[1] or TERMINAL[r[1]] then
  local from = r[2] or ARGV[3]
  if from and from ~= '' then redis.call('SREM', P.instanceRuns .. from .. ':runs', ARGV[1]) end
  return 0
end
if r[2] == ARGV[2] then return 1 end
local lease = redis.call('ZSCORE', KEYS[2], r[2])
if lease and tonumber(lease) > redis_now_ms() then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[2])
redis.call('SREM', P.instanceRuns .. r[2] .. ':runs', ARGV[1])
redis.call('SADD', P.instanceRuns .. ARGV[2] .. ':runs', ARGV[1])
return 1
`;

/**
 * KEYS: instances. ARGV: limit, prefixes. Returns [sessionId, instanceId, …] of runs whose owners'
 * leases lapsed by Redis's clock; a lapsed instance with no runs left is forgotten.
 */
export const ORPHANS = `${RUNS_LUA_LIB}
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', redis_now_ms(), 'LIMIT', 0, 20)
local out = {}
local limit = tonumber(ARGV[1])
for _, inst in ipairs(dead) do
  local runs = redis.call('SRANDMEMBER', P.instanceRuns .. inst .. ':runs', limit - #out / 2)
  if #runs == 0 then redis.call('ZREM', KEYS[1], inst) end
  for _, sid in ipairs(runs) do
    out[#out + 1] = sid
    out[#out + 1] = inst
  end
  if #out / 2 >= limit then break end
end
return out
`;
