/**
 * The webhook outbox's own scripts, on the {webhooks} slot. Events of requests and runs come from
 * the sessions' outboxes (persistence/ledger-changes.ts), which add them once a change is stored.
 */

/** KEYS: a deadlines bucket. ARGV: {leadMs, limit}. The members due within leadMs by Redis's clock, with their deadlines. */
export const DUE_SOON = `
local A = cjson.decode(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], now, now + A.leadMs, 'WITHSCORES', 'LIMIT', 0, A.limit)
`;

/**
 * KEYS: warned, outbox. ARGV: {requestId, deadlineMs, data (JSON)}. A pending request not announced
 * yet gets hitl.expiring, once: the warned set keeps it (scored by deadline, dropped once past)
 * rather than a field that would leak into the request. Returns 1 when announced.
 */
export const ANNOUNCE_EXPIRING = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local A = cjson.decode(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
if redis.call('ZSCORE', KEYS[1], A.requestId) then return 0 end
redis.call('ZADD', KEYS[1], A.deadlineMs, A.requestId)
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', 100000, '*', 'type', 'hitl.expiring', 'at', now, 'data', A.data, 'id', 'msg_' .. now .. '_' .. A.requestId .. '_expiring')
end
return 1
`;

/**
 * KEYS: retries. ARGV: {leaseMs, limit}. Takes the retries that are due (by Redis's clock) and pushes
 * each one's time leaseMs ahead, so no other instance takes it meanwhile; an instance that dies
 * with one leaves it to the others when the lease has passed. Returns the members taken.
 */
export const CLAIM_RETRIES = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local A = cjson.decode(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, A.limit)
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], now + A.leaseMs, m) end
return due
`;
