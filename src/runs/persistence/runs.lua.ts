import { LEDGER_LUA_LIB } from '../../hitl/persistence/hitl.lua';

/**
 * The atomic steps of runs in Redis. Each is one script on the session's slot, so an append, a
 * cancel or a takeover is all-or-nothing and two instances never interleave inside one. Every key
 * comes in KEYS, the arguments as one JSON object (run-script-args.ts); what other slots must learn
 * goes to the session's outbox (see hitl.lua.ts).
 */
export const RUNS_LUA_LIB = `${LEDGER_LUA_LIB}
local TERMINAL = {completed=true, rejected=true, expired=true, cancelled=true, failed=true}

-- A.quiet (REDIS_WAIT_REPLICAS > 0): the live messages are returned, [channel, message, …], and the
-- caller publishes them once the replicas hold the write, so no stream shows an event a failover loses.
local LIVE = {}
local function publish(sharded, channel, message, quiet)
  if quiet then
    LIVE[#LIVE + 1] = channel
    LIVE[#LIVE + 1] = message
  elseif sharded then
    redis.call('SPUBLISH', channel, message)
  else
    redis.call('PUBLISH', channel, message)
  end
end

-- Appends [type, json] events after seq and publishes them live on the session's sharded channel
-- (KEYS named live) as one message of '<seq> <type> <json>' lines, each with its broadcast;
-- ttl '' leaves the log's TTL as it is. With verify, the first XADD may be refused (its seq is
-- taken: the log moved on without the writer); then nothing is written and nil is answered.
local function append_events(ekey, live, seq, A, ttl, verify)
  local lines = {}
  for i, e in ipairs(A.events) do
    seq = seq + 1
    local args = {'XADD', ekey, 'MAXLEN', '~', A.maxlen, seq .. '-0', 't', e[1], 'e', e[2]}
    if verify and i == 1 then
      local added = redis.pcall(unpack(args))
      if type(added) == 'table' and added.err then return nil end
    else
      redis.call(unpack(args))
    end
    lines[#lines + 1] = seq .. ' ' .. e[1] .. ' ' .. e[2]
  end
  if #lines > 0 then publish(true, live, table.concat(lines, '\\n'), A.quiet) end
  for _, b in ipairs(A.broadcasts) do
    if b ~= '' then publish(false, A.broadcastChannel, b, A.quiet) end
  end
  if ttl ~= '' then redis.call('EXPIRE', ekey, ttl) end
  return seq
end

-- The run's seq: its log's last entry. A batch of streamed text goes to the log without this
-- script (text-batch.ts), so the hash's seq is that of the last step and may be behind.
local function run_seq(ekey, stored)
  local n = tonumber(stored) or 0
  local top = redis.call('XREVRANGE', ekey, '+', '-', 'COUNT', 1)
  if top[1] then
    local s = tonumber(string.match(top[1][1], '^(%d+)'))
    if s and s > n then n = s end
  end
  return n
end

-- A run that ends tells the other slots: its owner's set and the tenant's limits let it go. Kept in
-- the outbox only when a webhook must hear of it (A.keepRunEnd): otherwise a crash before the
-- caller applies it leaves stale set members, which the limits' prune and the takeover drop anyway.
local function record_if_terminal(ckey, sid, owner, status, tenant, user, keep)
  if not TERMINAL[status] then return end
  local change = {k = 'finished', at = redis_now_ms(), sid = sid, owner = owner, status = status, tenantId = tenant, userId = user}
  if keep then
    record_change(ckey, change)
  else
    change.unkept = true
    CHANGES[#CHANGES + 1] = cjson.encode(change)
  end
end
`;

/**
 * KEYS: run. ARGV: {fields, ttl} (updatedMs among the fields: the run's start). Returns {0} when
 * created, or {1, fields} of the run that exists. The limits were reserved on the tenant's slot
 * first (RESERVE_RUN).
 */
export const CREATE_RUN = `${RUNS_LUA_LIB}
local A = cjson.decode(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then return {1, redis.call('HGETALL', KEYS[1])} end
hset_all(KEYS[1], A.fields)
redis.call('EXPIRE', KEYS[1], A.ttl)
return {0}
`;

/**
 * KEYS: tenant's active runs, user's active runs, tenant's runs index (one tenant slot). ARGV:
 * {sid, userLimit, tenantLimit, createdMs, ttl}. Returns {0} when the run holds its place in both
 * (and in the index, which loses the runs started more than ttl before it), or {2, 'user'|'tenant'}
 * when a set is full (nothing kept): the caller prunes members whose run is gone or ended (their
 * runs sit on other slots) and asks once more.
 */
export const RESERVE_RUN = `
local A = cjson.decode(ARGV[1])
-- NX: a run that exists keeps its start (the list's order) and the age of its place. A place
-- just taken beyond the limit is given back.
local taken = {}
for _, c in ipairs({{KEYS[2], A.userLimit, 'user'}, {KEYS[1], A.tenantLimit, 'tenant'}}) do
  local added = redis.call('ZADD', c[1], 'NX', A.createdMs, A.sid)
  if added == 1 then taken[#taken + 1] = c[1] end
  if added == 1 and redis.call('ZCARD', c[1]) > c[2] then
    for _, k in ipairs(taken) do redis.call('ZREM', k, A.sid) end
    return {2, c[3]}
  end
end
redis.call('ZADD', KEYS[3], 'NX', A.createdMs, A.sid)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. (A.createdMs - A.ttl * 1000))
-- Twice the TTL: a run's own key lives ttl after its last step, which may come well after its start.
redis.call('EXPIRE', KEYS[3], A.ttl * 2)
return {0}
`;

/**
 * KEYS: run, events, changes, live channel, then the request keys A.keys names (decided: the
 * request whose decision this step consumes; requests: the new ones). ARGV: AppendArgs
 * (run-script-args.ts). Position and seq must both be what the writer read: a script re-sent
 * after a lost reply refuses. Returns {'ok', seq, approvedFields | false, live, changes} |
 * {'gone'} | {'ended', status} | {'not_owner'} | {'stale'}.
 */
export const APPEND = `${RUNS_LUA_LIB}
local A = cjson.decode(ARGV[1])
-- The writer's clock (its estimate of Redis's): a TIME per step would be one more command.
NOW_MS = A.nowMs
local r = redis.call('HMGET', KEYS[1], 'status', 'owner', 'cursor', 'seq', 'tenantId', 'userId', 'refreshedMs')
if not r[1] then return {'gone'} end
if TERMINAL[r[1]] then return {'ended', r[1]} end
if r[2] ~= A.owner then return {'not_owner'} end
-- The hash holds the seq of the last step: behind what the writer expects when batches of text came
-- since (text-batch.ts). Then the log itself checks the seq: its first XADD is refused if taken.
local stored, seq0 = tonumber(r[4]) or 0, tonumber(A.expectSeq)
if r[3] ~= A.expectCursor or stored > seq0 then return {'stale'} end
local verify = stored ~= seq0
if verify and #A.events == 0 and run_seq(KEYS[2], r[4]) ~= seq0 then return {'stale'} end
local decided = A.expectDecided
local dkey = A.keys.decided and KEYS[A.keys.decided]
if decided and redis.call('HGET', dkey, 'status') ~= decided.status then return {'stale'} end
local approved = nil
if decided and (decided.status == 'approved' or decided.status == 'responded') then approved = redis.call('HGETALL', dkey) end
-- A batch of streamed text leaves the position as it is. A step refreshes the TTLs when it ends or
-- pauses the run, or when the last refresh is more than a tenth of the TTL ago (so a run's keys live
-- at least 90 % of the TTL past its last step); a new log gets its TTL at its first entry.
local moves = A.nextCursor ~= A.expectCursor
local refresh = moves and (TERMINAL[A.status] or A.status == 'paused' or redis_now_ms() - (tonumber(r[7]) or 0) > A.ttl * 100)
-- The events first: a refused seq must leave nothing written.
local seq = append_events(KEYS[2], KEYS[4], seq0, A, (refresh or (moves and seq0 == 0)) and A.ttl or '', verify)
if not seq then return {'stale'} end
local requestId = ''
if A.request then
  local reqs = A.request
  if reqs.requestId then reqs = {reqs} end
  requestId = reqs[1].requestId
  for i, req in ipairs(reqs) do insert_request(KEYS[3], KEYS[A.keys.requests[i]], req, A.ttl) end
end
-- updatedMs (GET /aura/runs) moves with the steps.
local fields = {'cursor', A.nextCursor, 'seq', seq, 'status', A.status, 'requestId', requestId, 'approvedRequestId', A.approvedRequestId}
if moves then
  fields[#fields + 1] = 'updatedMs'
  fields[#fields + 1] = redis_now_ms()
end
if refresh then
  fields[#fields + 1] = 'refreshedMs'
  fields[#fields + 1] = redis_now_ms()
end
if A.state then
  fields[#fields + 1] = 'state'
  fields[#fields + 1] = A.state
end
if A.receipt then
  fields[#fields + 1] = 'receipt'
  fields[#fields + 1] = A.receipt
end
redis.call('HSET', KEYS[1], unpack(fields))
if refresh then redis.call('EXPIRE', KEYS[1], A.ttl) end
record_if_terminal(KEYS[3], A.sid, r[2], A.status, r[5], r[6], A.keepRunEnd)
return {'ok', seq, approved or false, LIVE, outbox_due()}
`;

/**
 * KEYS: run, events, changes, live channel, signals, then the requests A.keys names (expected: the
 * request the caller read; others: the rest of its group). ARGV: CancelArgs (run-script-args.ts).
 * The request must still have the status the caller read: pending (it becomes cancelled) or
 * approved but not yet resumed (the approval is logged before the cancel); so must the others,
 * the pending ones are cancelled too. Returns {'cancelled', seq, live, changes} | {'not_found'} |
 * {'ended', status} | {'retry'}.
 */
export const CANCEL = `${RUNS_LUA_LIB}
local A = cjson.decode(ARGV[1])
local r = redis.call('HMGET', KEYS[1], 'status', 'owner', 'seq', 'tenantId', 'requestId', 'userId')
if not r[1] or r[4] ~= A.tenantId then return {'not_found'} end
if TERMINAL[r[1]] then return {'ended', r[1]} end
local expected = A.expectRequest
if r[1] ~= A.expectStatus or (r[5] or '') ~= (expected and expected.requestId or '') then return {'retry'} end
if expected then
  local qkey = KEYS[A.keys.expected]
  local current = redis.call('HGET', qkey, 'status')
  if current ~= expected.status then return {'retry'} end
  local others = A.others or {}
  for i, o in ipairs(others) do
    if redis.call('HGET', KEYS[A.keys.others[i]], 'status') ~= o[2] then return {'retry'} end
  end
  local d = {status = 'cancelled', decidedAt = A.now, decidedBy = A.decidedBy, reason = '', signalType = 'cancellation', ttl = A.ttl, channel = A.hitlChannel}
  if current == 'pending' then decide(qkey, KEYS[5], KEYS[3], d) end
  for i, o in ipairs(others) do
    if o[2] == 'pending' then decide(KEYS[A.keys.others[i]], KEYS[5], KEYS[3], d) end
  end
end
local seq = append_events(KEYS[2], KEYS[4], run_seq(KEYS[2], r[3]), A, A.ttl)
redis.call('HSET', KEYS[1], 'seq', seq, 'status', 'cancelled', 'requestId', '', 'approvedRequestId', '', 'updatedMs', redis_now_ms())
redis.call('EXPIRE', KEYS[1], A.ttl)
record_if_terminal(KEYS[3], A.sid, r[2], 'cancelled', r[4], r[6], true)
return {'cancelled', seq, LIVE, outbox_due()}
`;
