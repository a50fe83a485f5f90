/**
 * The atomic HITL steps in Redis, on the session's slot only. `LEDGER_LUA_LIB` is shared with the
 * runs and worker scripts (a pause creates a request, a cancel decides one, in the same step as the
 * run's events). Every key a script touches comes in KEYS; its other arguments are one JSON object.
 * What other slots must learn (the tenant's inbox and audit trail, the deadlines, webhooks, limits)
 * is appended to the session's outbox (KEYS named `changes`) and returned, for the caller to apply
 * (persistence/ledger-changes.ts).
 */
export const LEDGER_LUA_LIB = `
-- Writes a table of fields with one HSET (one per field would be a command each).
local function hset_all(key, fields)
  local flat = {}
  for k, v in pairs(fields) do
    flat[#flat + 1] = k
    flat[#flat + 1] = tostring(v)
  end
  if #flat > 0 then redis.call('HSET', key, unpack(flat)) end
end

-- Redis's clock, read once per script (every change of one call happens at one instant).
local NOW_MS = nil
local function redis_now_ms()
  if not NOW_MS then
    local t = redis.call('TIME')
    NOW_MS = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return NOW_MS
end

-- The records this call appended to the session's outbox, for the caller to apply (records a
-- crashed writer left stay for the repair sweep; the outbox empties as records are applied).
local CHANGES = {}
local function record_change(ckey, change)
  local json = cjson.encode(change)
  redis.call('RPUSH', ckey, json)
  CHANGES[#CHANGES + 1] = json
end

local function outbox_due()
  return CHANGES
end

-- A request was inserted or decided: its fields as stored, and what the script knows beside them.
local function record_request_change(ckey, qkey, ctx)
  local c = {k = 'request', at = redis_now_ms(), f = redis.call('HGETALL', qkey)}
  if ctx then
    if ctx.viaChannel then c.via = true end
    if ctx.editedParamsDigest then c.ed = ctx.editedParamsDigest end
  end
  record_change(ckey, c)
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

local function insert_request(ckey, qkey, req, ttl)
  hset_all(qkey, req)
  redis.call('EXPIRE', qkey, ttl)
  record_request_change(ckey, qkey)
end

-- A signal's JSON, with an edit's params spliced in as they were sent (see request_object).
local function signal_json(sig, edited)
  local enc = cjson.encode(sig)
  if edited and edited ~= '' then enc = string.sub(enc, 1, -2) .. ',"params":' .. edited .. '}' end
  return enc
end

-- Decides the pending request at qkey, appends its signal to skey and publishes it on the session's
-- hitl channel (d.channel). 0 = unknown, 2 = no longer pending, 1 = decided. d: status, decidedAt,
-- decidedBy, reason, signalType, ttl, editedParams (JSON), response, and the audit's context.
local function decide(qkey, skey, ckey, d)
  local cur = redis.call('HGET', qkey, 'status')
  if not cur then return 0 end
  if cur ~= 'pending' then return 2 end
  redis.call('HSET', qkey, 'status', d.status, 'decidedAt', d.decidedAt)
  if d.decidedBy and d.decidedBy ~= '' then redis.call('HSET', qkey, 'decidedBy', d.decidedBy) end
  if d.reason and d.reason ~= '' then redis.call('HSET', qkey, 'reason', d.reason) end
  if d.editedParams and d.editedParams ~= '' then redis.call('HSET', qkey, 'editedParams', d.editedParams) end
  if d.response and d.response ~= '' then redis.call('HSET', qkey, 'response', d.response) end
  local f = redis.call('HMGET', qkey, 'requestId', 'sessionId')
  local sig = {type = d.signalType, requestId = f[1], sessionId = f[2], timestamp = d.decidedAt}
  if d.decidedBy and d.decidedBy ~= '' then sig.decidedBy = d.decidedBy end
  if d.reason and d.reason ~= '' then sig.reason = d.reason end
  if d.response and d.response ~= '' then sig.message = d.response end
  redis.call('RPUSH', skey, signal_json(sig, d.editedParams))
  redis.call('LTRIM', skey, -1000, -1)
  redis.call('EXPIRE', skey, d.ttl)
  sig.request = request_object(redis.call('HGETALL', qkey))
  redis.call('PUBLISH', d.channel, signal_json(sig, d.editedParams))
  record_request_change(ckey, qkey, d)
  return 1
end
`;

/**
 * KEYS: request, signals, changes. ARGV: one JSON argument (DecideArgs in redis-hitl.store.ts). A
 * request of another tenant or session is unknown. Returns {code, fields, changes}.
 */
export const DECIDE = `${LEDGER_LUA_LIB}
local A = cjson.decode(ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'tenantId', 'sessionId')
if not f[1] or (A.tenantId and f[1] ~= A.tenantId) or (A.sessionId and f[2] ~= A.sessionId) then return {0} end
local code = decide(KEYS[1], KEYS[2], KEYS[3], A)
return {code, redis.call('HGETALL', KEYS[1]), outbox_due()}
`;

/**
 * KEYS: a deadlines bucket. ARGV: {limit}. Returns {now, next, due…}: Redis's clock (ms), the earliest
 * deadline after the due ones ('' when none), and the members due by that clock ('<requestId> <sessionId>').
 */
export const DUE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local A = cjson.decode(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, A.limit)
local next = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
local out = {now, next[2] or ''}
for _, m in ipairs(due) do out[#out + 1] = m end
return out
`;
