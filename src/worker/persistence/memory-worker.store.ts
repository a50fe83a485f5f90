import { isTerminal } from '../../contract/run.types';
import type { HitlStore } from '../../hitl/persistence/hitl-store.port';
import type { Bus } from '../../redis/bus';
import { NAMES } from '../../redis/redis-names';
import type { MemoryRunStore } from '../../runs/persistence/memory-run.store';
import { ClaimedRun, QUEUE_LEASE_MS, QueueStats, WorkerStore } from './worker-store.port';

/**
 * The in-process worker store (no REDIS_URL: one instance), on the in-process run store's records
 * and leases. Each method changes them without awaiting, as atomically as the Lua scripts it mirrors.
 */
export class MemoryWorkerStore extends WorkerStore {
  private readonly ready: string[] = [];
  /** When each queued session joined the queue (ms). */
  private readonly queuedAt = new Map<string, number>();

  constructor(
    private readonly runs: MemoryRunStore,
    private readonly hitl: HitlStore,
    private readonly bus: Bus,
  ) {
    super();
  }

  async makeReady(sessionId: string, owner: string): Promise<boolean> {
    const run = this.runs.record(sessionId);
    if (!run || isTerminal(run.status) || run.owner !== owner) return false;
    run.owner = NAMES.workerQueueOwner;
    this.runs.setLease(NAMES.workerQueueOwner, QUEUE_LEASE_MS);
    this.ready.push(sessionId);
    this.queuedAt.set(sessionId, Date.now());
    void this.bus.publish(NAMES.workerWakeChannel, sessionId);
    return true;
  }

  async claimReady(leaseId: string, leaseMs: number): Promise<ClaimedRun | null> {
    for (let sid = this.ready.shift(); sid !== undefined; sid = this.ready.shift()) {
      if (!this.ready.includes(sid)) this.queuedAt.delete(sid);
      const run = this.runs.record(sid);
      if (!run || isTerminal(run.status) || run.owner !== NAMES.workerQueueOwner) continue;
      const deadline = Date.now() + leaseMs;
      run.owner = leaseId;
      this.runs.setLease(leaseId, deadline);
      const claimed = structuredClone(run);
      const decision = run.approvedRequestId ? await this.hitl.getRequest(run.approvedRequestId) : null;
      return { run: claimed, decision, leaseId, leaseExpiresMs: deadline };
    }
    return null;
  }

  async queueStats(): Promise<QueueStats> {
    for (const sid of this.ready.slice(0, 50)) {
      const run = this.runs.record(sid);
      if (run && !isTerminal(run.status) && run.owner === NAMES.workerQueueOwner) return { queued: this.ready.length, oldest: { sessionId: sid, waitedMs: Date.now() - (this.queuedAt.get(sid) ?? Date.now()) } };
    }
    return { queued: this.ready.length, oldest: null };
  }

  async renew(sessionId: string, leaseId: string, leaseMs: number): Promise<number | null> {
    const run = this.runs.record(sessionId);
    if (!run || isTerminal(run.status) || run.owner !== leaseId) return null;
    const now = Date.now();
    if ((this.runs.leaseOf(leaseId) ?? 0) <= now) return null;
    this.runs.setLease(leaseId, now + leaseMs);
    return now + leaseMs;
  }

  async release(sessionId: string, leaseId: string, toInstance: string): Promise<void> {
    const run = this.runs.record(sessionId);
    this.runs.setLease(leaseId, null);
    if (run && !isTerminal(run.status) && run.owner === leaseId) run.owner = toInstance;
  }

  async listen(onReady: () => void, onResync: () => void): Promise<() => void> {
    const stopResync = this.bus.onResubscribed(onResync);
    const unsubscribe = await this.bus.subscribe(NAMES.workerWakeChannel, () => onReady());
    return () => {
      stopResync();
      unsubscribe();
    };
  }
}
