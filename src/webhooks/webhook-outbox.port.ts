export type WebhookType = 'hitl.requested' | 'hitl.expiring' | 'hitl.decided' | 'run.finished';

/** One event of the outbox: `id` is its webhook-id, the same on every attempt and for every receiver. */
export interface OutboxEvent {
  id: string;
  /** The store's handle of the event (a stream entry id). */
  ref: string;
  type: WebhookType;
  /** When the change was stored (ms, the store's clock). */
  atMs: number;
  /** The body's `data` as JSON: {tenantId, sessionId, userId, request?, status?}. */
  data: string;
}

/** A delivery to one receiver that failed and waits for its next attempt. */
export interface Retry {
  event: OutboxEvent;
  url: string;
  /** Attempts made so far. */
  attempts: number;
}

export interface OutboxStats {
  /** Events not yet taken plus deliveries waiting for a retry. */
  backlog: number;
  /** Age of the oldest of them (ms; 0 when none). */
  oldestAgeMs: number;
}

/**
 * The webhook outbox, shared by every instance: the scripts that store a request or a decision
 * write its event here in the same step. Each event is taken by one instance (an instance that dies
 * holding it leaves it to another after `staleMs`); a failed delivery becomes a retry, taken the
 * same way when it is due.
 */
export abstract class WebhookOutbox {
  /** Creates the outbox (from then on the scripts write to it). */
  abstract open(): Promise<void>;
  /** New events, and events another consumer took more than staleMs ago and never finished. */
  abstract take(consumer: string, staleMs: number, count: number): Promise<OutboxEvent[]>;
  /** The event is done: every receiver got it or has a retry scheduled (written with it, atomically). */
  abstract finish(event: OutboxEvent, retries: { retry: Retry; atMs: number }[]): Promise<void>;
  /** Retries that are due, each held for leaseMs against the other instances. */
  abstract takeRetries(leaseMs: number, count: number): Promise<Retry[]>;
  /** The retry was attempted: drop it, and schedule the next attempt when there is one. */
  abstract settleRetry(retry: Retry, next?: { retry: Retry; atMs: number }): Promise<void>;
  /** Announces (once each) the pending requests due within leadMs as hitl.expiring. */
  abstract announceExpiring(leadMs: number, limit: number): Promise<number>;
  abstract stats(): Promise<OutboxStats>;
}
