/**
 * KEYS: the webhook outbox. ARGV: type, at (ms), data JSON, webhook-id. Adds the event once an
 * instance with WEBHOOK_URLS has created the outbox (without one, nobody would ever read it).
 */
export const OUTBOX_ADD = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', 100000, '*', 'type', ARGV[1], 'at', ARGV[2], 'data', ARGV[3], 'id', ARGV[4])
return 1
`;
