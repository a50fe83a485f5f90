import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user';
import { isoNow } from '../common/time';
import { MetricsService } from '../metrics/metrics.service';
import { AuraStore, RequestPage } from '../store/aura-store';
import { DecisionStatus, HitlRequest, HitlSignal, HitlStatus } from './hitl.types';

/** The approver's side: look up, decide and list requests, always within the caller's tenant. */
@Injectable()
export class HitlService {
  constructor(
    private readonly store: AuraStore,
    private readonly metrics: MetricsService,
  ) {}

  async get(requestId: string, user: AuthUser): Promise<HitlRequest> {
    const req = await this.store.getRequest(requestId);
    // Another tenant's request is answered exactly like an unknown one.
    if (!req || req.tenantId !== user.tenantId) throw notFound(requestId);
    return req;
  }

  /** Exactly one decision wins, whichever instance it reaches; the others get 409 with the current object. */
  async decide(requestId: string, user: AuthUser, status: Extract<DecisionStatus, 'approved' | 'rejected'>, reason?: string): Promise<HitlRequest> {
    const result = await this.store.decide(requestId, { status, decidedAt: isoNow(), decidedBy: user.sub, reason: reason || undefined }, { tenantId: user.tenantId });
    if (result.outcome === 'not_found') throw notFound(requestId);
    if (result.outcome === 'conflict') {
      this.metrics.decisions.inc({ outcome: 'conflict' });
      throw new ConflictException(result.request);
    }
    this.metrics.decisions.inc({ outcome: status });
    return result.request;
  }

  async signals(sessionId: string, user: AuthUser): Promise<{ sessionId: string; signals: HitlSignal[] }> {
    const run = await this.store.getRun(sessionId);
    if (!run || run.tenantId !== user.tenantId) throw new NotFoundException(`Session ${sessionId} not found`);
    return { sessionId, signals: await this.store.signals(sessionId) };
  }

  list(user: AuthUser, status: HitlStatus, limit: number, cursor?: string): Promise<RequestPage> {
    return this.store.listRequests(user.tenantId, status, limit, cursor);
  }
}

const notFound = (requestId: string) => new NotFoundException(`HITL request ${requestId} not found`);
