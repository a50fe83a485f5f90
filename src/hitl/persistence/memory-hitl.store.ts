import { Decision, DecideResult, DecisionSignal, HitlRequest, HitlSignal, HitlStatus, SIGNAL_FOR_STATUS } from '../../contract/hitl.types';
import { isoNow } from '../../common/time';
import type { ChangeRecorder } from '../../audit/change-recorder';
import type { Bus } from '../../redis/bus';
import { NAMES } from '../../redis/redis-names';
import { DecisionScope, HitlStore, RequestPage } from './hitl-store.port';
import { decodeCursor, encodeCursor } from './request-fields.codec';

/**
 * The in-process HITL store (no REDIS_URL: one instance). Each method runs to completion without
 * awaiting, which makes it as atomic as the Lua scripts it mirrors; the contract suite runs both.
 */
export class MemoryHitlStore extends HitlStore {
  private readonly requests = new Map<string, HitlRequest>();
  private readonly signalLog = new Map<string, HitlSignal[]>();

  constructor(
    private readonly bus: Bus,
    private readonly ttlSeconds: number,
    readonly recorder?: ChangeRecorder,
  ) {
    super();
    if (recorder) recorder.outbox.pendingSource = () => [...this.requests.values()].filter((r) => r.status === 'pending');
  }

  async getRequest(requestId: string): Promise<HitlRequest | null> {
    const req = this.requests.get(requestId);
    return req ? structuredClone(req) : null;
  }

  async decide(requestId: string, decision: Decision, scope: DecisionScope = {}): Promise<DecideResult> {
    const req = this.requests.get(requestId);
    const outside = (scope.tenantId && req?.tenantId !== scope.tenantId) || (scope.sessionId && req?.sessionId !== scope.sessionId);
    if (!req || outside) return { outcome: 'not_found' };
    return this.decideNow(requestId, decision);
  }

  async expireDue(limit: number): Promise<HitlRequest[]> {
    const now = Date.now();
    const expired: HitlRequest[] = [];
    for (const req of this.requests.values()) {
      if (expired.length >= limit) break;
      if (req.status === 'pending' && Date.parse(req.expiresAt) <= now) {
        const result = this.decideNow(req.requestId, { status: 'expired', decidedAt: isoNow(now) });
        if (result.outcome === 'decided') expired.push(result.request);
      }
    }
    return expired;
  }

  async signals(sessionId: string): Promise<HitlSignal[]> {
    return structuredClone(this.signalLog.get(sessionId) ?? []);
  }

  async listRequests(q: { tenantId: string; status: HitlStatus; limit: number; cursor?: string; userId?: string; sessionId?: string }): Promise<RequestPage> {
    this.forgetOld();
    const after = q.cursor ? decodeCursor(q.cursor) : null;
    const sorted = [...this.requests.values()]
      .filter((r) => r.tenantId === q.tenantId && r.status === q.status && (!q.userId || r.userId === q.userId) && (!q.sessionId || r.sessionId === q.sessionId))
      .map((r) => ({ r, score: Date.parse(r.createdAt) }))
      .sort((a, b) => b.score - a.score || (a.r.requestId < b.r.requestId ? 1 : -1))
      .filter(({ r, score }) => !after || score < after.score || (score === after.score && r.requestId < after.requestId));
    const page = sorted.slice(0, q.limit);
    const last = page[page.length - 1];
    const items = page.map(({ r }) => structuredClone(r));
    return sorted.length > q.limit && last ? { items, nextCursor: encodeCursor(last.score, last.r.requestId) } : { items };
  }

  /** For the in-process run store: a pause writes its request in the same synchronous step. */
  insertPending(req: HitlRequest): void {
    this.requests.set(req.requestId, structuredClone(req));
    this.recorder?.requestChanged(structuredClone(req));
  }

  statusOf(requestId: string): HitlStatus | undefined {
    return this.requests.get(requestId)?.status;
  }

  /** For the in-process run store: a cancel decides in the same synchronous step. */
  decideNow(requestId: string, d: Decision): DecideResult {
    const req = this.requests.get(requestId);
    if (!req) return { outcome: 'not_found' };
    if (req.status !== 'pending') return { outcome: 'conflict', request: structuredClone(req) };
    Object.assign(req, { status: d.status, decidedAt: d.decidedAt });
    if (d.decidedBy) req.decidedBy = d.decidedBy;
    if (d.reason) req.reason = d.reason;
    if (d.editedParams) req.editedParams = structuredClone(d.editedParams);
    if (d.response) req.response = d.response;
    const signal: HitlSignal = { type: SIGNAL_FOR_STATUS[d.status], requestId, sessionId: req.sessionId, timestamp: d.decidedAt };
    if (d.decidedBy) signal.decidedBy = d.decidedBy;
    if (d.reason) signal.reason = d.reason;
    if (d.editedParams) signal.params = structuredClone(d.editedParams);
    if (d.response) signal.message = d.response;
    const list = this.signalLog.get(req.sessionId) ?? [];
    list.push(signal);
    this.signalLog.set(req.sessionId, list.slice(-1000));
    const published: DecisionSignal = { ...signal, request: structuredClone(req) };
    void this.bus.publish(NAMES.hitlChannel(req.sessionId), JSON.stringify(published));
    this.recorder?.requestChanged(structuredClone(req), d);
    return { outcome: 'decided', request: structuredClone(req) };
  }

  /** Decided requests leave once their TTL has passed, as their Redis keys would. */
  private forgetOld(): void {
    const cutoff = Date.now() - this.ttlSeconds * 1000;
    for (const [rid, req] of this.requests) if (req.status !== 'pending' && Date.parse(req.createdAt) < cutoff) this.requests.delete(rid);
  }

  forgetSession(sessionId: string): void {
    this.signalLog.delete(sessionId);
  }
}
