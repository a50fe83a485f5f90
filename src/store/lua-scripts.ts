/**
 * The atomic steps of the Redis store. Each runs as one script, so a decision, an append or a
 * cancel is all-or-nothing and two instances can never interleave inside one.
 */

const COMMON = `
local TERMINAL = {completed=true, rejected=true, expired=true, cancelled=true, failed=true}

-- Decides a pending request and publishes its signal. 0 = unknown, 2 = no longer pending, 1 = decided.
local function decide(rid, status, decidedAt, decidedBy, reason, sigType, ttl)
  local key = 'aura:hitl:request:' .. rid
  local cur = redis.call('HGET', key, 'status')
  if not cur then return 0 end
  if cur ~= 'pending' then return 2 end
  redis.call('HSET', key, 'status', status, 'decidedAt', decidedAt)
  if decidedBy ~= '' then redis.call('HSET', key, 'decidedBy', decidedBy) end
  if reason ~= '' then redis.call('HSET', key, 'reason', reason) end
  redis.call('ZREM', 'aura:hitl:deadlines', rid)
  local f = redis.call('HMGET', key, 'tenantId', 'sessionId', 'createdMs')
  redis.call('ZREM', 'aura:hitl:index:' .. f[1] .. ':pending', rid)
  local idx = 'aura:hitl:index:' .. f[1] .. ':' .. status
  redis.call('ZADD', idx, f[3], rid)
  -- Decided requests leave the index once their TTL has passed, so it never outgrows what it points at.
  redis.call('ZREMRANGEBYSCORE', idx, '-inf', tonumber(f[3]) - tonumber(ttl) * 1000)
  local sig = {type = sigType, requestId = rid, sessionId = f[2], timestamp = decidedAt}
  if decidedBy ~= '' then sig.decidedBy = decidedBy end
  if reason ~= '' then sig.reason = reason end
  local json = cjson.encode(sig)
  local skey = 'aura:hitl:signals:' .. f[2]
  redis.call('RPUSH', skey, json)
  redis.call('LTRIM', skey, -1000, -1)
  redis.call('EXPIRE', skey, ttl)
  redis.call('PUBLISH', 'hitl:channel:' .. f[2], json)
  return 1
end

-- Appends events after seq, publishes each to the session's channel (and the broadcast), returns the last seq.
local function append_events(sid, seq, events, broadcasts, maxlen, ttl)
  local skey = 'aura:run:' .. sid .. ':events'
  for i, json in ipairs(events) do
    seq = seq + 1
    redis.call('XADD', skey, 'MAXLEN', '~', maxlen, seq .. '-0', 'e', json)
    redis.call('PUBLISH', 'aura:events:' .. sid, seq .. ' ' .. json)
    local b = broadcasts[i]
    if b and b ~= '' then redis.call('PUBLISH', 'dwp:events:all', b) end
  end
  redis.call('EXPIRE', skey, ttl)
  return seq
end

local function release_if_terminal(sid, owner, status)
  if TERMINAL[status] then redis.call('SREM', 'aura:instance:' .. owner .. ':runs', sid) end
end
`;

/** ARGV: run fields as a flat JSON object, ttl. Returns 1 and the existing run's fields, or 0 when created. */
export const CREATE_RUN = `
local rkey = 'aura:run:' .. ARGV[1]
if redis.call('EXISTS', rkey) == 1 then return {1, redis.call('HGETALL', rkey)} end
local fields = cjson.decode(ARGV[2])
for k, v in pairs(fields) do redis.call('HSET', rkey, k, tostring(v)) end
redis.call('EXPIRE', rkey, ARGV[3])
redis.call('SADD', 'aura:instance:' .. fields.owner .. ':runs', ARGV[1])
return {0}
`;

/**
 * ARGV: sid, owner, expectCursor, nextCursor, status, eventsJson, broadcastsJson, maxlen, ttl,
 *       requestFieldsJson ('' = none), requestDeadlineMs, requestTtl, expectSeq.
 * Position and seq must both be what the writer read: a script re-sent after a lost reply refuses.
 * Returns {'ok', seq} | {'gone'} | {'ended', status} | {'not_owner'} | {'stale'}.
 */
export const APPEND = `${COMMON}
local sid = ARGV[1]
local rkey = 'aura:run:' .. sid
local r = redis.call('HMGET', rkey, 'status', 'owner', 'cursor', 'seq')
if not r[1] then return {'gone'} end
if TERMINAL[r[1]] then return {'ended', r[1]} end
if r[2] ~= ARGV[2] then return {'not_owner'} end
if r[3] ~= ARGV[3] or r[4] ~= ARGV[13] then return {'stale'} end
local requestId = ''
if ARGV[10] ~= '' then
  local req = cjson.decode(ARGV[10])
  requestId = req.requestId
  local qkey = 'aura:hitl:request:' .. requestId
  for k, v in pairs(req) do redis.call('HSET', qkey, k, tostring(v)) end
  redis.call('EXPIRE', qkey, ARGV[12])
  redis.call('ZADD', 'aura:hitl:deadlines', ARGV[11], requestId)
  redis.call('ZADD', 'aura:hitl:index:' .. req.tenantId .. ':pending', req.createdMs, requestId)
end
local seq = append_events(sid, tonumber(r[4]), cjson.decode(ARGV[6]), cjson.decode(ARGV[7]), ARGV[8], ARGV[9])
redis.call('HSET', rkey, 'cursor', ARGV[4], 'seq', seq, 'status', ARGV[5], 'requestId', requestId)
redis.call('EXPIRE', rkey, ARGV[9])
release_if_terminal(sid, r[2], ARGV[5])
return {'ok', seq}
`;

/**
 * ARGV: requestId, tenantId ('' = any), status, decidedAt, decidedBy, reason, signalType, ttl,
 *       sessionId ('' = any). Returns {code, fields}; a request of another tenant or session is unknown.
 */
export const DECIDE = `${COMMON}
local key = 'aura:hitl:request:' .. ARGV[1]
local f = redis.call('HMGET', key, 'tenantId', 'sessionId')
if not f[1] or (ARGV[2] ~= '' and f[1] ~= ARGV[2]) or (ARGV[9] ~= '' and f[2] ~= ARGV[9]) then return {0} end
local code = decide(ARGV[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8])
return {code, redis.call('HGETALL', key)}
`;

/** ARGV: nowMs, nowIso, limit, ttl. Expires due pending requests; returns how many. */
export const EXPIRE_DUE = `${COMMON}
local due = redis.call('ZRANGEBYSCORE', 'aura:hitl:deadlines', '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
local n = 0
for _, rid in ipairs(due) do
  local code = decide(rid, 'expired', ARGV[2], '', '', 'timeout', ARGV[4])
  if code == 1 then n = n + 1 else redis.call('ZREM', 'aura:hitl:deadlines', rid) end
end
return n
`;

/**
 * ARGV: sid, tenantId, expectStatus, expectRequestId, decidedBy, now, decisionEventJson, doneEventJson,
 *       decisionBroadcast, doneBroadcast, maxlen, ttl, expectRequestStatus.
 * The request must still have the status the caller read: pending (it becomes cancelled) or
 * approved but not yet resumed (the approval is logged before the cancel).
 * Returns {'cancelled', seq} | {'not_found'} | {'ended', status} | {'retry'}.
 */
export const CANCEL = `${COMMON}
local sid = ARGV[1]
local rkey = 'aura:run:' .. sid
local r = redis.call('HMGET', rkey, 'status', 'owner', 'seq', 'tenantId', 'requestId')
if not r[1] or r[4] ~= ARGV[2] then return {'not_found'} end
if TERMINAL[r[1]] then return {'ended', r[1]} end
if r[1] ~= ARGV[3] or (r[5] or '') ~= ARGV[4] then return {'retry'} end
local events, broadcasts = {}, {}
if ARGV[4] ~= '' then
  local current = redis.call('HGET', 'aura:hitl:request:' .. ARGV[4], 'status')
  if current ~= ARGV[13] then return {'retry'} end
  if current == 'pending' then decide(ARGV[4], 'cancelled', ARGV[6], ARGV[5], '', 'cancellation', ARGV[12]) end
  events[1] = ARGV[7]
  broadcasts[1] = ARGV[9]
end
events[#events + 1] = ARGV[8]
broadcasts[#events] = ARGV[10]
local seq = append_events(sid, tonumber(r[3]), events, broadcasts, ARGV[11], ARGV[12])
redis.call('HSET', rkey, 'seq', seq, 'status', 'cancelled', 'requestId', '')
redis.call('EXPIRE', rkey, ARGV[12])
release_if_terminal(sid, r[2], 'cancelled')
return {'cancelled', seq}
`;

/**
 * ARGV: sid, me, nowMs, fromInstance ('' = unknown). Takes the run over when its owner's lease has
 * lapsed; returns 1 when it is ours. A run that is gone or finished leaves fromInstance's set.
 */
export const CLAIM = `${COMMON}
local rkey = 'aura:run:' .. ARGV[1]
local r = redis.call('HMGET', rkey, 'status', 'owner')
if not r[1] or TERMINAL[r[1]] then
  local from = r[2] or ARGV[4]
  if from and from ~= '' then redis.call('SREM', 'aura:instance:' .. from .. ':runs', ARGV[1]) end
  return 0
end
if r[2] == ARGV[2] then return 1 end
local lease = redis.call('ZSCORE', 'aura:instances', r[2])
if lease and tonumber(lease) > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', rkey, 'owner', ARGV[2])
redis.call('SREM', 'aura:instance:' .. r[2] .. ':runs', ARGV[1])
redis.call('SADD', 'aura:instance:' .. ARGV[2] .. ':runs', ARGV[1])
return 1
`;
