import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { AccessPolicy } from '../auth/access-policy.service';
import type { AuthUser } from '../auth/auth-user';
import { CursorSeal } from '../common/sealed-cursor';
import { isoNow } from '../common/time';
import { AppConfig } from '../config/app-config';
import type { DecideResult, Decision, DecisionStatus, HitlRequest, HitlSignal, HitlStatus } from '../contract/hitl.types';
import { MetricsService } from '../metrics/metrics.service';
import { DecisionScope, HitlStore, RequestPage } from './persistence/hitl-store.port';
import { encodeCursor } from './persistence/request-fields.codec';
import { RunLookup } from './persistence/run-lookup.port';

/**
 * The most an inbox page weighs as JSON. With params up to 16 KB a full page of 200 could be 4 MB,
 * and a few clients paging at once would hold hundreds of MB: a heavy page ends early, with a cursor.
 */
export const INBOX_PAGE_MAX_BYTES = 1024 * 1024;

/**
 * Every decision goes through here, whoever makes it (an approver over HTTP, another system's
 * signal, the expiry sweep, a cancel), so each outcome is counted in this one place.
 */
@Injectable()
export class HitlService {
  constructor(
    private readonly store: HitlStore,
    private readonly runs: RunLookup,
    private readonly metrics: MetricsService,
    private readonly access: AccessPolicy,
    config: AppConfig,
  ) {
    this.cursors = new CursorSeal(config.auth.jwtSecret);
  }

  private readonly cursors: CursorSeal;

  async get(requestId: string, user: AuthUser): Promise<HitlRequest> {
    const req = await this.store.getRequest(requestId);
    // Another tenant's request (or, for a user without the approver role, another user's) is answered exactly like an unknown one.
    if (!req || !this.access.canSeeRequest(user, req)) throw notFound(requestId);
    return req;
  }

  /** An approver's decision: exactly one wins, whichever instance it reaches; the others get 409 with the current object. */
  async decideAsUser(requestId: string, user: AuthUser, status: Extract<DecisionStatus, 'approved' | 'rejected'>, reason?: string): Promise<HitlRequest> {
    if (!this.access.decidingIsOpenToTenant) {
      // Who may decide depends on the request (its tenant first, then its user), which never changes once created.
      const req = await this.store.getRequest(requestId);
      const verdict = req ? this.access.decisionVerdict(user, req) : 'not_found';
      if (verdict === 'not_found') throw notFound(requestId);
      if (verdict !== 'allowed') throw new ForbiddenException(verdict.forbidden);
    }
    const result = await this.decide(requestId, { status, decidedAt: isoNow(), decidedBy: user.sub, reason: reason || undefined }, { tenantId: user.tenantId });
    if (result.outcome === 'not_found') throw notFound(requestId);
    if (result.outcome === 'conflict') throw new ConflictException(result.request);
    return result.request;
  }

  async decide(requestId: string, decision: Decision, scope: DecisionScope): Promise<DecideResult> {
    const result = await this.store.decide(requestId, decision, scope);
    if (result.outcome === 'decided') this.metrics.decisions.inc({ outcome: decision.status });
    if (result.outcome === 'conflict') this.metrics.decisions.inc({ outcome: 'conflict' });
    return result;
  }

  async expireDue(limit: number): Promise<HitlRequest[]> {
    const expired = await this.store.expireDue(limit);
    if (expired.length > 0) this.metrics.decisions.inc({ outcome: 'expired' }, expired.length);
    return expired;
  }

  /** A cancel decides its pending request inside the run's own atomic step (runs store); it is counted here. */
  countCancelled(): void {
    this.metrics.decisions.inc({ outcome: 'cancelled' });
  }

  async signals(sessionId: string, user: AuthUser): Promise<{ sessionId: string; signals: HitlSignal[] }> {
    const run = await this.runs.getRun(sessionId);
    if (!run || !this.access.canAccessRun(user, run)) throw new NotFoundException(`Session ${sessionId} not found`);
    return { sessionId, signals: await this.store.signals(sessionId) };
  }

  /** One page of the inbox; cursors are sealed for the caller's tenant and opaque (400 for any other). */
  async list(user: AuthUser, status: HitlStatus, limit: number, cursor?: string): Promise<RequestPage> {
    const scope = `inbox:${user.tenantId}:${status}`;
    const after = cursor === undefined ? undefined : this.cursors.open(cursor, scope);
    if (after === null) throw new BadRequestException('cursor is not a cursor this service issued');
    const page = await this.store.listRequests({ tenantId: user.tenantId, status, limit, cursor: after, userId: this.access.requestsOwnerFilter(user) });
    const kept = withinBudget(page.items, INBOX_PAGE_MAX_BYTES);
    const last = kept.at(-1);
    const next = kept.length < page.items.length && last ? encodeCursor(Date.parse(last.createdAt), last.requestId) : page.nextCursor;
    return next ? { items: kept, nextCursor: this.cursors.seal(next, scope) } : { items: kept };
  }
}

/** The longest head of `items` that weighs at most `maxBytes` as JSON (at least one item). */
function withinBudget(items: HitlRequest[], maxBytes: number): HitlRequest[] {
  let bytes = 0;
  for (let i = 0; i < items.length; i++) {
    bytes += Buffer.byteLength(JSON.stringify(items[i]));
    if (bytes > maxBytes && i > 0) return items.slice(0, i);
  }
  return items;
}

const notFound = (requestId: string) => new NotFoundException(`HITL request ${requestId} not found`);
