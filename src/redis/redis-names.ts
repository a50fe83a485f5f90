/**
 * Every Redis key and channel name of the service (README "Redis keys"), and nowhere else. Each id
 * in them was validated against ID_PATTERN first. The Lua scripts get these names as KEYS, or the
 * prefixes below as their last argument for the keys they derive from stored data.
 */
export const NAMES = {
  run: (sessionId: string) => `aura:run:${sessionId}`,
  events: (sessionId: string) => `aura:run:${sessionId}:events`,
  eventsChannel: (sessionId: string) => `aura:events:${sessionId}`,
  request: (requestId: string) => `aura:hitl:request:${requestId}`,
  signals: (sessionId: string) => `aura:hitl:signals:${sessionId}`,
  deadlines: 'aura:hitl:deadlines',
  index: (tenantId: string, status: string) => `aura:hitl:index:${tenantId}:${status}`,
  /** The first answer to a decision sent with an Idempotency-Key; `hash` is of tenant, user and key (a `sub` is any string). */
  idempotency: (sessionId: string, hash: string) => `aura:hitl:idempotency:${sessionId}:${hash}`,
  instances: 'aura:instances',
  /** Set once per data set: its change tells every instance the store lost its data. */
  epoch: 'aura:epoch',
  instanceRuns: (instanceId: string) => `aura:instance:${instanceId}:runs`,
  ticket: (ticket: string) => `aura:ticket:${ticket}`,
  /** A ticket once used (its payload), so a reconnect with it after the run has ended is answered 204. */
  usedTicket: (ticket: string) => `aura:ticket:used:${ticket}`,
  /** Unfinished runs of a tenant, and of one user in it (sorted sets: sessionId by start ms), for the limits. */
  activeRuns: (tenantId: string) => `aura:active:${tenantId}`,
  /** The user id is a token's `sub` (any string, not an id): the tenant id before it has no ':', so the names never meet. */
  activeUserRuns: (tenantId: string, userId: string) => `aura:active:${tenantId}:${userId}`,
  /** The tenant's runs, newest first (a sorted set: sessionId by createdAt ms), for GET /aura/runs; trimmed by RUN_TTL_SECONDS. */
  tenantRuns: (tenantId: string) => `aura:runs:${tenantId}`,
  /** AGENT=worker: sessions ready for a worker to claim (a list, oldest first). */
  workerReady: 'aura:worker:ready',
  /** AGENT=worker: a message per run made ready, so waiting claims on every instance wake up. */
  workerWakeChannel: 'aura:worker:wake',
  /**
   * AGENT=worker: the owner of a run that waits in the ready queue. It is listed in aura:instances
   * with a lease that never lapses, so no instance adopts a queued run; a worker claims it.
   */
  workerQueueOwner: 'aura-worker-queue',
  /** Webhooks: the outbox stream the scripts write events to (created by an instance with WEBHOOK_URLS). */
  webhookOutbox: 'aura:webhooks:outbox',
  /** Webhooks: deliveries to retry (a sorted set: JSON by next attempt ms). */
  webhookRetries: 'aura:webhooks:retries',
  /** Webhooks: requests already announced as hitl.expiring (by deadline ms). */
  webhookWarned: 'aura:webhooks:warned',
  /** A tenant's audit records (a sorted set: record JSON by ms), trimmed to AUDIT_RETENTION_DAYS. */
  audit: (tenantId: string) => `aura:audit:${tenantId}`,
  /** AUDIT_RETENTION_DAYS as the instances set it, for the scripts that trim the audit trail. */
  auditRetention: 'aura:audit-retention-days',
  hitlChannel: (sessionId: string) => `hitl:channel:${sessionId}`,
  hitlChannelPattern: 'hitl:channel:*',
  broadcastChannel: 'dwp:events:all',
  /** CLIENT SETNAME of this process's two connections. */
  connection: (instanceId: string, role: 'command' | 'subscriber') => (role === 'command' ? `aura:${instanceId}` : `aura:${instanceId}:sub`),
} as const;

/**
 * The prefixes a script appends an id to, for the keys it derives from what it reads. In Cluster
 * mode the scripts put the slot tag before each, except the channels' (named in hitl.lua.ts).
 */
const PREFIXES = {
  run: 'aura:run:',
  request: 'aura:hitl:request:',
  signals: 'aura:hitl:signals:',
  index: 'aura:hitl:index:',
  instanceRuns: 'aura:instance:',
  active: 'aura:active:',
  eventsChannel: 'aura:events:',
  hitlChannel: 'hitl:channel:',
  broadcast: 'dwp:events:all',
  deadlines: 'aura:hitl:deadlines',
  outbox: 'aura:webhooks:outbox',
  audit: 'aura:audit:',
  auditRetention: 'aura:audit-retention-days',
};
export const SCRIPT_PREFIXES = JSON.stringify(PREFIXES);
/** The same, telling the runs scripts to return their live messages rather than publish them (ReplicaSync). */
export const QUIET_SCRIPT_PREFIXES = JSON.stringify({ ...PREFIXES, quiet: true });

/** The session id of a hitl:channel:{sessionId} channel, or null for any other name. */
export const sessionOfHitlChannel = (channel: string): string | null =>
  channel.startsWith('hitl:channel:') ? channel.slice('hitl:channel:'.length) : null;
