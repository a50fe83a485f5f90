import { OUTBOX_LUA_LIB } from '../../webhooks/outbox.lua';

/**
 * The atomic HITL steps in Redis. `HITL_LUA_LIB` is shared with the runs scripts (a pause creates
 * a request, a cancel decides one, in the same step as the run's events). Every script gets the
 * key prefixes (SCRIPT_PREFIXES) as its last argument; its fixed keys come as KEYS.
 */
export const HITL_LUA_LIB = `
local P = cjson.decode(ARGV[#ARGV])
-- Cluster mode: the client tags every key it passes ('{aura}…'); the keys derived here get the same
-- tag, so they sit in the slot of the keys given. Channels are not keys and keep their names.
local TAG = string.match(KEYS[1] or '', '^{[^}]*}') or ''
if TAG ~= '' then
  local CHANNELS = {eventsChannel = true, hitlChannel = true, broadcast = true}
  for k, v in pairs(P) do if type(v) == 'string' and not CHANNELS[k] then P[k] = TAG .. v end end
end

-- Writes a table of fields with one HSET (one per field would be a command each).
local function hset_all(key, fields)
  local flat = {}
  for k, v in pairs(fields) do
    flat[#flat + 1] = k
    flat[#flat + 1] = tostring(v)
  end
  if #flat > 0 then redis.call('HSET', key, unpack(flat)) end
end

local function redis_now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The request object as the contract gives it (params decoded), for the published signal. The
-- v1.3 JSON fields stay strings (the reader parses them): cjson would turn an empty array into {}.
local function request_object(fields)
  local o = {}
  for i = 1, #fields, 2 do o[fields[i]] = fields[i + 1] end
  o.createdMs = nil
  o.params = cjson.decode(o.params or '{}')
  return o
end
${OUTBOX_LUA_LIB}
-- Writes a new pending request, its deadline and its inbox entry.
local function insert_request(req, deadline_ms, ttl)
  local qkey = P.request .. req.requestId
  hset_all(qkey, req)
  redis.call('EXPIRE', qkey, ttl)
  redis.call('ZADD', P.deadlines, deadline_ms, req.requestId)
  redis.call('ZADD', P.index .. req.tenantId .. ':pending', req.createdMs, req.requestId)
  record_request_change(qkey)
end

-- A signal's JSON, with an edit's params spliced in as they were sent (see request_object).
local function signal_json(sig, edited)
  local enc = cjson.encode(sig)
  if edited and edited ~= '' then enc = string.sub(enc, 1, -2) .. ',"params":' .. edited .. '}' end
  return enc
end

-- Decides a pending request and publishes its signal. 0 = unknown, 2 = no longer pending, 1 = decided.
-- edited (params JSON) and response ('' or nil = none) are an edit's and a response's (v1.3).
local function decide(rid, status, decidedAt, decidedBy, reason, sigType, ttl, edited, response)
  local key = P.request .. rid
  local cur = redis.call('HGET', key, 'status')
  if not cur then return 0 end
  if cur ~= 'pending' then return 2 end
  redis.call('HSET', key, 'status', status, 'decidedAt', decidedAt)
  if decidedBy ~= '' then redis.call('HSET', key, 'decidedBy', decidedBy) end
  if reason ~= '' then redis.call('HSET', key, 'reason', reason) end
  if edited and edited ~= '' then redis.call('HSET', key, 'editedParams', edited) end
  if response and response ~= '' then redis.call('HSET', key, 'response', response) end
  redis.call('ZREM', P.deadlines, rid)
  local f = redis.call('HMGET', key, 'tenantId', 'sessionId', 'createdMs')
  redis.call('ZREM', P.index .. f[1] .. ':pending', rid)
  local idx = P.index .. f[1] .. ':' .. status
  redis.call('ZADD', idx, f[3], rid)
  -- Decided requests leave the index once their TTL has passed, so it never outgrows what it points at.
  redis.call('ZREMRANGEBYSCORE', idx, '-inf', tonumber(f[3]) - tonumber(ttl) * 1000)
  local sig = {type = sigType, requestId = rid, sessionId = f[2], timestamp = decidedAt}
  if decidedBy ~= '' then sig.decidedBy = decidedBy end
  if reason ~= '' then sig.reason = reason end
  if response and response ~= '' then sig.message = response end
  local skey = P.signals .. f[2]
  redis.call('RPUSH', skey, signal_json(sig, edited))
  redis.call('LTRIM', skey, -1000, -1)
  redis.call('EXPIRE', skey, ttl)
  sig.request = request_object(redis.call('HGETALL', key))
  redis.call('PUBLISH', P.hitlChannel .. f[2], signal_json(sig, edited))
  record_request_change(key)
  return 1
end
`;

/**
 * KEYS: request. ARGV: one JSON argument (DecideArgs in redis-hitl.store.ts), prefixes. A request
 * of another tenant or session is unknown. Returns {code, fields}.
 */
export const DECIDE = `${HITL_LUA_LIB}
local A = cjson.decode(ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'tenantId', 'sessionId')
if not f[1] or (A.tenantId and f[1] ~= A.tenantId) or (A.sessionId and f[2] ~= A.sessionId) then return {0} end
AUDIT_CTX.editedParamsDigest = A.editedParamsDigest
AUDIT_CTX.viaChannel = A.viaChannel
local code = decide(A.requestId, A.status, A.decidedAt, A.decidedBy or '', A.reason or '', A.signalType, A.ttl, A.editedParams or '', A.response or '')
return {code, redis.call('HGETALL', KEYS[1])}
`;

/**
 * KEYS: deadlines. ARGV: limit, ttl, decidedAt (ISO, for the record), prefixes. Which requests are
 * due is decided by Redis's clock, not an instance's; returns the ids it expired.
 */
export const EXPIRE_DUE = `${HITL_LUA_LIB}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', redis_now_ms(), 'LIMIT', 0, ARGV[1])
local expired = {}
for _, rid in ipairs(due) do
  local code = decide(rid, 'expired', ARGV[3], '', '', 'timeout', ARGV[2])
  if code == 1 then expired[#expired + 1] = rid else redis.call('ZREM', KEYS[1], rid) end
end
return expired
`;
