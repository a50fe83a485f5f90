import calculateSlot from 'cluster-key-slot';

/**
 * Every Redis key and channel name of the service (README "Redis keys"), and nowhere else. Each id
 * in them was validated against ID_PATTERN first (no braces), so the `{…}` in a name is its hash
 * tag: in every mode a session's keys share the session's slot, a tenant's keys the tenant's, and
 * no script is given keys of two slots (Redis Cluster refuses that with CROSSSLOT).
 */
const session = (sessionId: string) => `aura:{${sessionId}}`;
const tenant = (tenantId: string) => `aura:tenant:{${tenantId}}`;

/** How many buckets a global index is spread over, so no one slot takes every request's traffic. */
export const BUCKETS = 8;
/** The bucket of an id: its own hash slot, folded onto BUCKETS (stable across processes). */
export const bucketOf = (id: string): number => calculateSlot(id) % BUCKETS;
export const ALL_BUCKETS: readonly number[] = Array.from({ length: BUCKETS }, (_, i) => i);

export const NAMES = {
  // The session's ledger: one slot.
  run: (sessionId: string) => `${session(sessionId)}:run`,
  events: (sessionId: string) => `${session(sessionId)}:events`,
  /** The sharded channel (SPUBLISH) a run's live events go out on, in the session's slot. */
  eventsChannel: (sessionId: string) => `${session(sessionId)}:live`,
  request: (sessionId: string, requestId: string) => `${session(sessionId)}:request:${requestId}`,
  signals: (sessionId: string) => `${session(sessionId)}:signals`,
  /** The first answer to a decision sent with an Idempotency-Key; `hash` is of tenant, user and key (a `sub` is any string). */
  idempotency: (sessionId: string, hash: string) => `${session(sessionId)}:idempotency:${hash}`,
  /**
   * The session's outbox: what its scripts changed that other slots must learn (the tenant's inbox,
   * limits and audit trail, the deadlines, the webhooks, the instances' run sets), as JSON records
   * in order, until an instance has applied them (persistence/ledger-changes.ts).
   */
  changes: (sessionId: string) => `${session(sessionId)}:changes`,

  /** The session a request belongs to (approve/{id} names the request only), written before the request. */
  requestSession: (requestId: string) => `aura:request:{${requestId}}`,

  // A tenant's records: one slot per tenant.
  /** Requests of a tenant by status (sorted sets: requestId by createdMs), the inbox. */
  index: (tenantId: string, status: string) => `${tenant(tenantId)}:inbox:${status}`,
  /** Unfinished runs of a tenant, and of one user in it (sorted sets: sessionId by start ms), for the limits. */
  activeRuns: (tenantId: string) => `${tenant(tenantId)}:active`,
  /** The user id is a token's `sub` (any string, not an id); the hash tag comes first, so it cannot move the slot. */
  activeUserRuns: (tenantId: string, userId: string) => `${tenant(tenantId)}:active:${userId}`,
  /** The tenant's runs, newest first (a sorted set: sessionId by createdAt ms), for GET /aura/runs; trimmed by RUN_TTL_SECONDS. */
  tenantRuns: (tenantId: string) => `${tenant(tenantId)}:runs`,
  /** A tenant's audit records (a sorted set: record JSON by ms), trimmed to AUDIT_RETENTION_DAYS. */
  audit: (tenantId: string) => `${tenant(tenantId)}:audit`,

  // Spread over BUCKETS slots.
  /** Pending requests by deadline ms, the bucket of the request id. */
  deadlines: (bucket: number) => `aura:deadlines:{${bucket}}`,
  /** Sessions whose outbox may hold records not applied yet (by ms): the repair sweep reads them. */
  changesDue: (bucket: number) => `aura:changes-due:{${bucket}}`,

  // Instance-wide: written per instance heartbeat, never per event or decision.
  instances: 'aura:{instances}',
  /** Set once per data set: its change tells every instance the store lost its data. */
  epoch: 'aura:{instances}:epoch',
  instanceRuns: (instanceId: string) => `aura:instance:{${instanceId}}:runs`,
  ticket: (ticket: string) => `aura:ticket:{${ticket}}`,
  /** A ticket once used (its payload), so a reconnect with it after the run has ended is answered 204. */
  usedTicket: (ticket: string) => `aura:ticket:{${ticket}}:used`,

  /** AGENT=worker: sessions ready for a worker to claim (a list, oldest first). */
  workerReady: 'aura:{worker}:ready',
  /** AGENT=worker: a message per run made ready, so waiting claims on every instance wake up. */
  workerWakeChannel: 'aura:worker:wake',
  /**
   * AGENT=worker: the owner of a run that waits in the ready queue. It is listed in aura:instances
   * with a lease that never lapses, so no instance adopts a queued run; a worker claims it.
   */
  workerQueueOwner: 'aura-worker-queue',

  /** Webhooks: the outbox stream (created by an instance with WEBHOOK_URLS); its keys share one slot. */
  webhookOutbox: 'aura:{webhooks}:outbox',
  /** Webhooks: deliveries to retry (a sorted set: JSON by next attempt ms). */
  webhookRetries: 'aura:{webhooks}:retries',
  /** Webhooks: requests already announced as hitl.expiring (by deadline ms). */
  webhookWarned: 'aura:{webhooks}:warned',

  hitlChannel: (sessionId: string) => `hitl:channel:${sessionId}`,
  hitlChannelPattern: 'hitl:channel:*',
  broadcastChannel: 'dwp:events:all',
  /** CLIENT SETNAME of this process's connections. */
  connection: (instanceId: string, role: 'command' | 'subscriber' | 'shard-subscriber') =>
    role === 'command' ? `aura:${instanceId}` : role === 'subscriber' ? `aura:${instanceId}:sub` : `aura:${instanceId}:ssub`,
} as const;

/** The session id of a hitl:channel:{sessionId} channel, or null for any other name. */
export const sessionOfHitlChannel = (channel: string): string | null =>
  channel.startsWith('hitl:channel:') ? channel.slice('hitl:channel:'.length) : null;

/** A member of an inbox index or deadlines bucket: the request and, after a space, its session (ids hold no space). */
export const requestMember = (requestId: string, sessionId: string): string => `${requestId} ${sessionId}`;
export function parseRequestMember(member: string): { requestId: string; sessionId: string } | null {
  const i = member.indexOf(' ');
  return i > 0 ? { requestId: member.slice(0, i), sessionId: member.slice(i + 1) } : null;
}
