/**
 * What a request's change or a run's end reports, written by the script that makes the change (an
 * outbox): the webhook event, once an instance with WEBHOOK_URLS has created the outbox stream, and
 * the audit record. Spliced into HITL_LUA_LIB after request_object, so every script that inserts or
 * decides a request writes both in its own atomic step; a crash between the change and its event is
 * impossible. Keys come from the prefixes argument (P), as the scripts' other derived keys.
 */
export const OUTBOX_LUA_LIB = `
local OUTBOX_MAXLEN = 100000
local DAY_MS = 86400000
-- What the calling script knows that the request hash does not (an edit's digest, computed by the service).
local AUDIT_CTX = {}
local AUDIT_ACTIONS = {pending = 'requested', approved = 'approved', rejected = 'rejected', responded = 'responded', expired = 'expired', cancelled = 'cancelled'}

local function outbox_add(kind, data, now)
  if redis.call('EXISTS', P.outbox) == 0 then return end
  redis.call('XADD', P.outbox, 'MAXLEN', '~', OUTBOX_MAXLEN, '*', 'type', kind, 'at', now, 'data', cjson.encode(data))
end

-- The actor of a request's change: its run's user asks, a named user decides; a decision nobody
-- named came from the deadline (expiry) or from a message on the channel (redis).
local function audit_actor(o)
  if o.status == 'pending' then return {type = 'user', id = o.userId} end
  if AUDIT_CTX.viaChannel then return {type = 'system', id = 'redis'} end
  if o.decidedBy and o.decidedBy ~= '' and o.decidedBy ~= 'external' then return {type = 'user', id = o.decidedBy} end
  if o.status == 'expired' then return {type = 'system', id = 'expiry'} end
  return {type = 'system', id = 'redis'}
end

local function audit_add(o, now)
  local action = AUDIT_ACTIONS[o.status] or o.status
  if o.status == 'approved' and o.editedParams and o.editedParams ~= '' then action = 'edited' end
  local rec = {id = 'aud_' .. now .. '_' .. o.requestId .. '_' .. action, at = now, tenantId = o.tenantId, sessionId = o.sessionId,
    requestId = o.requestId, toolName = o.toolName, action = action, actor = audit_actor(o), paramsDigest = o.paramsDigest, runUserId = o.userId}
  if action == 'approved' then rec.executedParamsDigest = o.paramsDigest end
  if action == 'edited' then rec.executedParamsDigest = AUDIT_CTX.editedParamsDigest end
  if o.reason and o.reason ~= '' then rec.reason = o.reason end
  if o.response and o.response ~= '' then rec.message = o.response end
  local key = P.audit .. o.tenantId
  redis.call('ZADD', key, now, cjson.encode(rec))
  local days = tonumber(redis.call('GET', P.auditRetention) or '400') or 400
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (now - days * DAY_MS))
end

-- A request was inserted or decided: hitl.requested or hitl.decided, and its audit record.
local function record_request_change(key)
  local o = request_object(redis.call('HGETALL', key))
  local now = redis_now_ms()
  local kind = o.status == 'pending' and 'hitl.requested' or 'hitl.decided'
  outbox_add(kind, {tenantId = o.tenantId, sessionId = o.sessionId, userId = o.userId, request = o, status = o.status}, now)
  audit_add(o, now)
end

local function record_run_finished(sid, status, tenant, user)
  outbox_add('run.finished', {tenantId = tenant, sessionId = sid, userId = user, status = status}, redis_now_ms())
end
`;

/**
 * KEYS: deadlines, outbox, warned. ARGV: leadMs, limit, prefixes. Pending requests due within leadMs
 * (by Redis's clock) that were not announced yet get hitl.expiring, once each: the warned set keeps
 * them (scored by deadline, dropped once past) rather than a field that would leak into the request.
 */
export const EXPIRING_DUE = `
local P = cjson.decode(ARGV[#ARGV])
-- Cluster mode: the request keys get the slot tag of the keys passed, as in HITL_LUA_LIB.
local TAG = string.match(KEYS[1], '^{[^}]*}') or ''
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. now)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], now, now + tonumber(ARGV[1]), 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local n = 0
for i = 1, #due, 2 do
  local rid = due[i]
  local key = TAG .. P.request .. rid
  if redis.call('HGET', key, 'status') == 'pending' and not redis.call('ZSCORE', KEYS[3], rid) then
    redis.call('ZADD', KEYS[3], due[i + 1], rid)
    local fields = redis.call('HGETALL', key)
    local o = {}
    for j = 1, #fields, 2 do o[fields[j]] = fields[j + 1] end
    o.createdMs = nil
    o.params = cjson.decode(o.params or '{}')
    if redis.call('EXISTS', KEYS[2]) == 1 then
      redis.call('XADD', KEYS[2], 'MAXLEN', '~', 100000, '*', 'type', 'hitl.expiring', 'at', now,
        'data', cjson.encode({tenantId = o.tenantId, sessionId = o.sessionId, userId = o.userId, request = o, status = 'pending'}))
    end
    n = n + 1
  end
end
return n
`;

/**
 * KEYS: retries. ARGV: leaseMs, limit. Takes the retries that are due (by Redis's clock) and pushes
 * each one's time leaseMs ahead, so no other instance takes it meanwhile; an instance that dies
 * with one leaves it to the others when the lease has passed. Returns the members taken.
 */
export const CLAIM_RETRIES = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), m) end
return due
`;
