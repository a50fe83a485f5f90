/**
 * KEYS: the webhook outbox. ARGV: {type, at (ms), data (JSON), id (the webhook-id)}. Adds the event once an
 * instance with WEBHOOK_URLS has created the outbox (without one, nobody would ever read it).
 */
export const OUTBOX_ADD = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local A = cjson.decode(ARGV[1])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', 100000, '*', 'type', A.type, 'at', A.at, 'data', A.data, 'id', A.id)
return 1
`;
