import { BROADCAST_CHANNEL, Decision, DecideResult, HitlRequest, HitlSignal, SIGNAL_FOR_STATUS, hitlChannel } from '../hitl/hitl.types';
import type { Bus } from '../redis/bus';
import { LoggedEvent, RunRecord, isTerminal, serializeEvent } from '../runs/run.types';
import { AppendInput, AppendResult, AuraStore, CancelInput, CancelResult, RequestPage } from './aura-store';
import { EVENT_LOG_MAX, KEY } from './keys';
import { decodeCursor, encodeCursor } from './record-codec';

interface Expiring<T> {
  value: T;
  expiresAtMs: number;
}

/**
 * The in-process store for a single instance without Redis. Each method runs to completion
 * without awaiting, which makes it as atomic as the Lua scripts it mirrors. Nothing survives a restart.
 */
export class MemoryAuraStore extends AuraStore {
  private readonly runs = new Map<string, RunRecord>();
  private readonly logs = new Map<string, LoggedEvent[]>();
  private readonly requests = new Map<string, HitlRequest>();
  private readonly signalLog = new Map<string, HitlSignal[]>();
  private readonly tickets = new Map<string, Expiring<string>>();

  constructor(
    private readonly bus: Bus,
    private readonly ttlSeconds: number,
  ) {
    super();
  }

  async createRun(run: RunRecord): Promise<{ created: boolean; run: RunRecord }> {
    this.sweepTtl();
    const existing = this.runs.get(run.sessionId);
    if (existing) return { created: false, run: { ...existing } };
    this.runs.set(run.sessionId, { ...run });
    return { created: true, run };
  }

  async getRun(sessionId: string): Promise<RunRecord | null> {
    const run = this.runs.get(sessionId);
    return run ? { ...run } : null;
  }

  async append(input: AppendInput): Promise<AppendResult> {
    const run = this.runs.get(input.sessionId);
    if (!run) return { ok: false, reason: 'gone' };
    if (isTerminal(run.status)) return { ok: false, reason: 'ended', status: run.status };
    if (run.owner !== input.owner) return { ok: false, reason: 'not_owner' };
    if (run.cursor !== input.expectCursor || run.seq !== input.expectSeq) return { ok: false, reason: 'stale' };
    if (input.request) this.requests.set(input.request.requestId, { ...input.request });
    const seq = this.appendEvents(run, input.events.map(serializeEvent), input.broadcasts);
    Object.assign(run, { cursor: input.nextCursor, seq, status: input.status, requestId: input.request?.requestId ?? null });
    return { ok: true, seq };
  }

  async cancel(input: CancelInput): Promise<CancelResult> {
    const run = this.runs.get(input.sessionId);
    if (!run || run.tenantId !== input.tenantId) return { outcome: 'not_found' };
    if (isTerminal(run.status)) return { outcome: 'ended', status: run.status };
    if (run.status !== input.expectStatus || run.requestId !== input.expectRequestId) return { outcome: 'retry' };
    const events: string[] = [];
    const broadcasts: string[] = [];
    if (input.expectRequestId) {
      const req = this.requests.get(input.expectRequestId);
      if (req?.status !== input.expectRequestStatus) return { outcome: 'retry' };
      if (req.status === 'pending') this.decideNow(req.requestId, { status: 'cancelled', decidedAt: input.now, decidedBy: input.decidedBy });
      if (input.decisionEvent) {
        events.push(serializeEvent(input.decisionEvent));
        broadcasts.push(input.broadcasts.decision ?? '');
      }
    }
    events.push(serializeEvent(input.doneEvent));
    broadcasts.push(input.broadcasts.done);
    const seq = this.appendEvents(run, events, broadcasts);
    Object.assign(run, { seq, status: 'cancelled', requestId: null });
    return { outcome: 'cancelled', seq };
  }

  async readEvents(sessionId: string, afterSeq: number, limit: number): Promise<LoggedEvent[]> {
    const log = this.logs.get(sessionId) ?? [];
    return log.filter((e) => e.seq > afterSeq).slice(0, limit);
  }

  async getRequest(requestId: string): Promise<HitlRequest | null> {
    const req = this.requests.get(requestId);
    return req ? structuredClone(req) : null;
  }

  async decide(requestId: string, decision: Decision, scope: { tenantId?: string; sessionId?: string } = {}): Promise<DecideResult> {
    const req = this.requests.get(requestId);
    const outside = (scope.tenantId && req?.tenantId !== scope.tenantId) || (scope.sessionId && req?.sessionId !== scope.sessionId);
    if (!req || outside) return { outcome: 'not_found' };
    return this.decideNow(requestId, decision);
  }

  async expireDue(nowMs: number, limit: number): Promise<number> {
    let n = 0;
    for (const req of this.requests.values()) {
      if (n >= limit) break;
      if (req.status === 'pending' && Date.parse(req.expiresAt) <= nowMs) {
        this.decideNow(req.requestId, { status: 'expired', decidedAt: new Date(nowMs).toISOString() });
        n++;
      }
    }
    return n;
  }

  async signals(sessionId: string): Promise<HitlSignal[]> {
    return structuredClone(this.signalLog.get(sessionId) ?? []);
  }

  async listRequests(tenantId: string, status: string, limit: number, cursor?: string): Promise<RequestPage> {
    const after = cursor ? decodeCursor(cursor) : null;
    const sorted = [...this.requests.values()]
      .filter((r) => r.tenantId === tenantId && r.status === status)
      .map((r) => ({ r, score: Date.parse(r.createdAt) }))
      .sort((a, b) => b.score - a.score || (a.r.requestId < b.r.requestId ? 1 : -1))
      .filter(({ r, score }) => !after || score < after.score || (score === after.score && r.requestId < after.requestId));
    const page = sorted.slice(0, limit);
    const last = page[page.length - 1];
    const items = page.map(({ r }) => structuredClone(r));
    return sorted.length > limit && last ? { items, nextCursor: encodeCursor(last.score, last.r.requestId) } : { items };
  }

  async heartbeat(): Promise<void> {
    // One instance owns every run: there is no one to take over from.
  }

  async claim(sessionId: string, instanceId: string): Promise<boolean> {
    const run = this.runs.get(sessionId);
    return !!run && !isTerminal(run.status) && run.owner === instanceId;
  }

  async orphans(): Promise<{ sessionId: string; instanceId: string }[]> {
    return [];
  }

  async releaseLease(): Promise<void> {
    // Nothing to hand over without a shared store.
  }

  async createTicket(ticket: string, payload: string, ttlSeconds: number): Promise<void> {
    this.tickets.set(ticket, { value: payload, expiresAtMs: Date.now() + ttlSeconds * 1000 });
  }

  async consumeTicket(ticket: string): Promise<string | null> {
    const entry = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    return entry && entry.expiresAtMs > Date.now() ? entry.value : null;
  }

  async ping(): Promise<boolean> {
    return true;
  }

  private decideNow(requestId: string, d: Decision): DecideResult {
    const req = this.requests.get(requestId);
    if (!req) return { outcome: 'not_found' };
    if (req.status !== 'pending') return { outcome: 'conflict', request: structuredClone(req) };
    Object.assign(req, { status: d.status, decidedAt: d.decidedAt });
    if (d.decidedBy) req.decidedBy = d.decidedBy;
    if (d.reason) req.reason = d.reason;
    const signal: HitlSignal = { type: SIGNAL_FOR_STATUS[d.status], requestId, sessionId: req.sessionId, timestamp: d.decidedAt };
    if (d.decidedBy) signal.decidedBy = d.decidedBy;
    if (d.reason) signal.reason = d.reason;
    const list = this.signalLog.get(req.sessionId) ?? [];
    list.push(signal);
    this.signalLog.set(req.sessionId, list.slice(-1000));
    void this.bus.publish(hitlChannel(req.sessionId), JSON.stringify(signal));
    return { outcome: 'decided', request: structuredClone(req) };
  }

  private appendEvents(run: RunRecord, events: string[], broadcasts: string[]): number {
    const log = this.logs.get(run.sessionId) ?? [];
    this.logs.set(run.sessionId, log);
    let seq = run.seq;
    events.forEach((json, i) => {
      seq += 1;
      log.push({ seq, json });
      void this.bus.publish(KEY.eventsChannel(run.sessionId), `${seq} ${json}`);
      if (broadcasts[i]) void this.bus.publish(BROADCAST_CHANNEL, broadcasts[i]);
    });
    if (log.length > EVENT_LOG_MAX) log.splice(0, log.length - EVENT_LOG_MAX);
    return seq;
  }

  /** Forgets finished runs (and their requests) once their TTL has passed, as Redis would. */
  private sweepTtl(): void {
    const cutoff = Date.now() - this.ttlSeconds * 1000;
    for (const [sid, run] of this.runs) {
      if (isTerminal(run.status) && Date.parse(run.createdAt) < cutoff) {
        this.runs.delete(sid);
        this.logs.delete(sid);
        this.signalLog.delete(sid);
      }
    }
    for (const [rid, req] of this.requests) if (req.status !== 'pending' && Date.parse(req.createdAt) < cutoff) this.requests.delete(rid);
    for (const [t, entry] of this.tickets) if (entry.expiresAtMs < Date.now()) this.tickets.delete(t);
  }
}
