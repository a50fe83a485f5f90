import type { HitlRequest } from '../contract/hitl.types';
import { OutboxEvent, OutboxStats, Retry, WebhookOutbox, WebhookType } from './webhook-outbox.port';

const MAX_EVENTS = 100_000;

/**
 * The in-process outbox (no Redis: one instance). The memory stores append to it in the same
 * synchronous step as their change, as the scripts do; one consumer, so nothing is ever stale.
 */
export class MemoryWebhookOutbox extends WebhookOutbox {
  private opened = false;
  private seq = 0;
  private readonly events: OutboxEvent[] = [];
  private readonly taken = new Set<string>();
  private retries: { retry: Retry; atMs: number; leasedUntil: number }[] = [];
  private readonly warned = new Set<string>();
  /** The pending requests, set by the in-process HITL store (for hitl.expiring). */
  pendingSource: () => HitlRequest[] = () => [];

  record(type: WebhookType, data: Record<string, unknown>): void {
    if (!this.opened) return;
    const id = `${Date.now()}-${this.seq++}`;
    this.events.push({ id: `msg_${id.replace('-', '_')}`, ref: id, type, atMs: Date.now(), data: JSON.stringify(data) });
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }

  async open(): Promise<void> {
    this.opened = true;
  }

  async take(_consumer: string, _staleMs: number, count: number): Promise<OutboxEvent[]> {
    const out = this.events.filter((e) => !this.taken.has(e.ref)).slice(0, count);
    out.forEach((e) => this.taken.add(e.ref));
    return out.map((e) => ({ ...e }));
  }

  async finish(event: OutboxEvent, retries: { retry: Retry; atMs: number }[]): Promise<void> {
    const i = this.events.findIndex((e) => e.ref === event.ref);
    if (i >= 0) this.events.splice(i, 1);
    this.taken.delete(event.ref);
    this.retries.push(...retries.map((r) => ({ ...r, leasedUntil: 0 })));
  }

  async takeRetries(leaseMs: number, count: number): Promise<Retry[]> {
    const now = Date.now();
    const due = this.retries.filter((r) => r.atMs <= now && r.leasedUntil <= now).slice(0, count);
    due.forEach((r) => (r.leasedUntil = now + leaseMs));
    return due.map((r) => r.retry);
  }

  async settleRetry(retry: Retry, next?: { retry: Retry; atMs: number }): Promise<void> {
    this.retries = this.retries.filter((r) => r.retry !== retry);
    if (next) this.retries.push({ ...next, leasedUntil: 0 });
  }

  async announceExpiring(leadMs: number, limit: number): Promise<number> {
    const now = Date.now();
    let n = 0;
    for (const req of this.pendingSource()) {
      if (n >= limit) break;
      const deadline = Date.parse(req.expiresAt);
      if (req.status !== 'pending' || this.warned.has(req.requestId) || deadline < now || deadline > now + leadMs) continue;
      this.warned.add(req.requestId);
      this.record('hitl.expiring', { tenantId: req.tenantId, sessionId: req.sessionId, userId: req.userId, request: req, status: 'pending' });
      n++;
    }
    return n;
  }

  async stats(): Promise<OutboxStats> {
    const now = Date.now();
    const ages = [...this.events.map((e) => now - e.atMs), ...this.retries.map((r) => now - r.retry.event.atMs)];
    return { backlog: this.events.length + this.retries.length, oldestAgeMs: ages.length ? Math.max(...ages) : 0 };
  }
}
