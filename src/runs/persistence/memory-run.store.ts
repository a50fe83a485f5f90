import { logKind, serializeEvent } from '../../contract/events';
import { decodeLiveEvents, encodeLiveEvents } from '../../contract/live-event.codec';
import { AuraEvent, LoggedEvent, RunRecord, isTerminal } from '../../contract/run.types';
import type { MemoryHitlStore } from '../../hitl/persistence/memory-hitl.store';
import type { Bus } from '../../redis/bus';
import { NAMES } from '../../redis/redis-names';
import { AppendResult, CancelInput, CancelResult, CreateRunResult, EVENT_LOG_MAX, RunFollower, RunLimits, RunPage, RunQuery, RunStore, RunSummary, StepWrite, StoreHeartbeat } from './run-store.port';

/** The key of a user's set: tenant ids have no NUL, so no two users' keys meet. */
const userKey = (tenantId: string, userId: string) => `${tenantId}\u0000${userId}`;

/**
 * The in-process run store (no REDIS_URL: one instance). Leases work as in Redis, so the contract
 * suite holds for both, though a lone instance only ever finds its own. Each
 * method runs to completion without awaiting, as atomic as the Lua scripts it mirrors, and shares
 * the in-process HITL store for the requests a pause creates and a cancel decides.
 */
export class MemoryRunStore extends RunStore {
  private readonly runs = new Map<string, RunRecord>();
  private readonly logs = new Map<string, LoggedEvent[]>();
  /** Lease deadline (ms) by instance. */
  private readonly leases = new Map<string, number>();
  /** Unfinished runs by tenant, and by tenant and user (userKey): the limits' counts, as the Redis sorted sets. */
  private readonly active = new Map<string, Set<string>>();

  constructor(
    private readonly bus: Bus,
    private readonly hitl: MemoryHitlStore,
    private readonly ttlSeconds: number,
  ) {
    super();
  }

  async createRun(run: RunRecord, limits: RunLimits): Promise<CreateRunResult> {
    this.forgetOld();
    const existing = this.runs.get(run.sessionId);
    if (existing) return { created: false, run: structuredClone(existing) };
    const user = this.activeSet(userKey(run.tenantId, run.userId));
    const tenant = this.activeSet(run.tenantId);
    for (const [set, limit, scope] of [[user, limits.activeRunsPerUser, 'user'], [tenant, limits.activeRunsPerTenant, 'tenant']] as const) {
      if (set.size >= limit) {
        this.prune(set);
        if (set.size >= limit) return { created: false, limited: scope };
      }
    }
    this.runs.set(run.sessionId, { ...structuredClone(run), updatedAt: run.createdAt });
    user.add(run.sessionId);
    tenant.add(run.sessionId);
    return { created: true, run };
  }

  async getRun(sessionId: string): Promise<RunRecord | null> {
    const run = this.runs.get(sessionId);
    return run ? structuredClone(run) : null;
  }

  async holder(sessionId: string): Promise<Pick<RunRecord, 'status' | 'owner'> | null> {
    const run = this.runs.get(sessionId);
    return run ? { status: run.status, owner: run.owner } : null;
  }

  async listRuns(q: RunQuery): Promise<RunPage> {
    this.forgetOld();
    const after = q.after;
    const sorted = [...this.runs.values()]
      .filter((r) => r.tenantId === q.tenantId && (!q.status || r.status === q.status) && (!q.userId || r.userId === q.userId))
      .map((r) => ({ r, score: Date.parse(r.createdAt) }))
      .sort((a, b) => b.score - a.score || (a.r.sessionId < b.r.sessionId ? 1 : -1))
      .filter(({ r, score }) => !after || score < after.createdMs || (score === after.createdMs && r.sessionId < after.sessionId));
    const page = sorted.slice(0, q.limit);
    const items = page.map(({ r }): RunSummary => {
      const { sessionId, tenantId, userId, status, seq, requestId, createdAt, updatedAt, agent } = r;
      return { sessionId, tenantId, userId, status, seq, requestId, createdAt, updatedAt, ...(agent ? { agent } : {}) };
    });
    const last = page[page.length - 1];
    return sorted.length > q.limit && last ? { items, next: { createdMs: last.score, sessionId: last.r.sessionId } } : { items };
  }

  async append(s: StepWrite): Promise<AppendResult> {
    const run = this.runs.get(s.sessionId);
    if (!run) return { ok: false, reason: 'gone' };
    if (isTerminal(run.status)) return { ok: false, reason: 'ended', status: run.status };
    if (run.owner !== s.owner) return { ok: false, reason: 'not_owner' };
    if (run.cursor !== s.expectCursor || run.seq !== s.expectSeq) return { ok: false, reason: 'stale' };
    if (s.expectDecided && this.hitl.statusOf(s.expectDecided.requestId) !== s.expectDecided.status) return { ok: false, reason: 'stale' };
    if (s.request) [s.request, ...(s.group ?? [])].forEach((r) => this.hitl.insertPending(r));
    const seq = this.appendEvents(run, s.events, s.broadcasts);
    Object.assign(run, { cursor: s.nextCursor, seq, status: s.status, requestId: s.request?.requestId ?? null, approvedRequestId: s.approvedRequestId });
    // As in Redis: the time moves with the steps, not with each batch of streamed text.
    if (s.nextCursor !== s.expectCursor) run.updatedAt = new Date().toISOString();
    if (s.state !== undefined) run.state = structuredClone(s.state);
    if (s.receipt !== undefined) run.receipt = s.receipt;
    this.releaseIfTerminal(run);
    const resumes = s.expectDecided?.status === 'approved' || s.expectDecided?.status === 'responded';
    const approved = resumes && s.expectDecided ? await this.hitl.getRequest(s.expectDecided.requestId) : null;
    return approved ? { ok: true, seq, approved } : { ok: true, seq };
  }

  async cancel(c: CancelInput): Promise<CancelResult> {
    const run = this.runs.get(c.sessionId);
    if (!run || run.tenantId !== c.tenantId) return { outcome: 'not_found' };
    if (isTerminal(run.status)) return { outcome: 'ended', status: run.status };
    if (run.status !== c.expectStatus || run.requestId !== c.expectRequestId) return { outcome: 'retry' };
    if (c.expectRequestId) {
      const status = this.hitl.statusOf(c.expectRequestId);
      if (status !== c.expectRequestStatus) return { outcome: 'retry' };
      if ((c.others ?? []).some((o) => this.hitl.statusOf(o.requestId) !== o.status)) return { outcome: 'retry' };
      for (const id of [c.expectRequestId, ...(c.others ?? []).map((o) => o.requestId)]) {
        if (this.hitl.statusOf(id) === 'pending') this.hitl.decideNow(id, { status: 'cancelled', decidedAt: c.now, decidedBy: c.decidedBy });
      }
    }
    const seq = this.appendEvents(run, c.events, c.broadcasts);
    Object.assign(run, { seq, status: 'cancelled', requestId: null, approvedRequestId: null, updatedAt: new Date().toISOString() });
    this.releaseIfTerminal(run);
    return { outcome: 'cancelled', seq };
  }

  async readEvents(sessionId: string, afterSeq: number, limit: number): Promise<LoggedEvent[]> {
    const log = this.logs.get(sessionId) ?? [];
    return log.filter((e) => e.seq > afterSeq).slice(0, limit);
  }

  async follow(sessionId: string, follower: RunFollower): Promise<() => void> {
    return this.bus.subscribe(NAMES.eventsChannel(sessionId), (message) => {
      for (const event of decodeLiveEvents(message)) follower.onEvent(event);
    });
  }

  async heartbeat(instanceId: string, leaseMs: number): Promise<StoreHeartbeat> {
    const now = Date.now();
    this.leases.set(instanceId, now + leaseMs);
    // The process is the store: its data is never lost behind its back.
    return { nowMs: now, epoch: 'in-process', serverId: 'in-process' };
  }

  async storedSeqs(sessionIds: string[]): Promise<Map<string, number>> {
    const seqs = new Map<string, number>();
    for (const sid of sessionIds) {
      const run = this.runs.get(sid);
      if (run) seqs.set(sid, run.seq);
    }
    return seqs;
  }

  async claim(sessionId: string, instanceId: string): Promise<boolean> {
    const run = this.runs.get(sessionId);
    if (!run || isTerminal(run.status)) return false;
    if (run.owner === instanceId) return true;
    if ((this.leases.get(run.owner) ?? 0) > Date.now()) return false;
    run.owner = instanceId;
    return true;
  }

  async orphans(limit: number): Promise<{ sessionId: string; instanceId: string }[]> {
    const now = Date.now();
    const out: { sessionId: string; instanceId: string }[] = [];
    for (const run of this.runs.values()) {
      if (out.length >= limit) break;
      const lease = this.leases.get(run.owner);
      if (!isTerminal(run.status) && lease !== undefined && lease <= now) out.push({ sessionId: run.sessionId, instanceId: run.owner });
    }
    return out;
  }

  async releaseLease(instanceId: string): Promise<void> {
    this.leases.set(instanceId, 0);
  }

  /** The stored record itself, for the in-process worker store beside this one (it changes it without awaiting, as atomically as a script). */
  record(sessionId: string): RunRecord | undefined {
    return this.runs.get(sessionId);
  }

  leaseOf(id: string): number | undefined {
    return this.leases.get(id);
  }

  /** Sets (a deadline in ms) or drops (null) a lease: instances' and workers' leases live together, as in Redis. */
  setLease(id: string, deadlineMs: number | null): void {
    if (deadlineMs === null) this.leases.delete(id);
    else this.leases.set(id, deadlineMs);
  }

  private appendEvents(run: RunRecord, events: AuraEvent[], broadcasts: string[]): number {
    const log = this.logs.get(run.sessionId) ?? [];
    this.logs.set(run.sessionId, log);
    let seq = run.seq;
    events.forEach((event, i) => {
      seq += 1;
      const logged: LoggedEvent = { seq, type: logKind(event), json: serializeEvent(event) };
      log.push(logged);
      // One live message per event, as the Redis script publishes them.
      void this.bus.publish(NAMES.eventsChannel(run.sessionId), encodeLiveEvents([logged]));
      if (broadcasts[i]) void this.bus.publish(NAMES.broadcastChannel, broadcasts[i]);
    });
    if (log.length > EVENT_LOG_MAX) log.splice(0, log.length - EVENT_LOG_MAX);
    return seq;
  }

  private activeSet(key: string): Set<string> {
    let set = this.active.get(key);
    if (!set) this.active.set(key, (set = new Set()));
    return set;
  }

  /** A run that ends frees its slots at once (as the append and cancel scripts do). */
  private releaseIfTerminal(run: RunRecord): void {
    if (!isTerminal(run.status)) return;
    this.hitl.recorder?.runFinished(run);
    for (const key of [run.tenantId, userKey(run.tenantId, run.userId)]) {
      const set = this.active.get(key);
      set?.delete(run.sessionId);
      if (set?.size === 0) this.active.delete(key);
    }
  }

  /** Drops the slots of runs that are gone or ended (none should be: kept for parity with the Redis script). */
  private prune(set: Set<string>): void {
    for (const sid of set) {
      const run = this.runs.get(sid);
      if (!run || isTerminal(run.status)) set.delete(sid);
    }
  }

  /** Finished runs leave once their TTL has passed, as their Redis keys would. */
  private forgetOld(): void {
    const cutoff = Date.now() - this.ttlSeconds * 1000;
    for (const [sid, run] of this.runs) {
      if (isTerminal(run.status) && Date.parse(run.createdAt) < cutoff) {
        this.runs.delete(sid);
        this.logs.delete(sid);
        this.hitl.forgetSession(sid);
      }
    }
  }
}
