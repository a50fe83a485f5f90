import { BadRequestException, ConflictException, ForbiddenException, Injectable, Logger, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import { logDecision } from '../audit/decision-log';
import { AccessPolicy } from '../auth/access-policy.service';
import type { AuthUser } from '../auth/auth-user';
import { CursorSeal } from '../common/sealed-cursor';
import { isoNow } from '../common/time';
import { AppConfig } from '../config/app-config';
import type { DecideResult, Decision, DecisionStatus, HitlRequest, HitlSignal, HitlStatus } from '../contract/hitl.types';
import { MetricsService } from '../metrics/metrics.service';
import { NAMES } from '../redis/redis-names';
import { checkDecision, DecisionInput } from './decision-rules';
import { groupMemberIds } from './request-group';
import { DecisionScope, HitlStore, RequestPage } from './persistence/hitl-store.port';
import { IdempotencyStore, StoredAnswer } from './persistence/idempotency-store.port';
import { encodeCursor } from './persistence/request-fields.codec';
import { RunLookup } from './persistence/run-lookup.port';

/**
 * The most an inbox page weighs as JSON. With params up to 16 KB a full page of 200 could be 4 MB,
 * and a few clients paging at once would hold hundreds of MB: a heavy page ends early, with a cursor.
 */
export const INBOX_PAGE_MAX_BYTES = 1024 * 1024;

/** The v1.3 parts of a human's decision (contract "Decisions humans make"). */
export interface DecideOptions {
  /** An approval with params is an edit: the tool runs with these. */
  params?: Record<string, unknown>;
  /** A response's message. */
  message?: string;
  /** When sent, must equal the request's (409 with the request otherwise). */
  paramsDigest?: string;
  /** The same key from the same user for the same request answers the first answer again. */
  idempotencyKey?: string;
}

/** How long a first attempt may take to decide before a copy stops waiting for it. */
const MARKER_TTL_SECONDS = 10;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

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
    private readonly idempotency: IdempotencyStore,
    config: AppConfig,
  ) {
    this.cursors = new CursorSeal(config.auth.jwtSecret);
    this.answersTtlSeconds = config.runs.ttlSeconds;
  }

  private readonly answersTtlSeconds: number;

  private readonly cursors: CursorSeal;
  private readonly decisionLog = new Logger('Decisions');

  /** The request as stored, whoever asks (for the service's own listeners). */
  getStored(requestId: string): Promise<HitlRequest | null> {
    return this.store.getRequest(requestId);
  }

  async get(requestId: string, user: AuthUser): Promise<HitlRequest> {
    const req = await this.store.getRequest(requestId);
    // Another tenant's request (or, for a user without the approver role, another user's) is answered exactly like an unknown one.
    if (!req || !this.access.canSeeRequest(user, req)) throw notFound(requestId);
    return req;
  }

  /**
   * An approver's decision: exactly one wins, whichever instance it reaches; the others get 409 with
   * the current object. `responded` and the options are v1.3's (edit, respond, digest, idempotency).
   */
  async decideAsUser(
    requestId: string,
    user: AuthUser,
    status: Extract<DecisionStatus, 'approved' | 'rejected' | 'responded'>,
    reason?: string,
    options: DecideOptions = {},
  ): Promise<HitlRequest> {
    // Who may decide depends on the request (its tenant first, then its user), which never changes once created;
    // so do its params, schema and allowed decisions, which the rules check before the atomic decide.
    const req = await this.store.getRequest(requestId);
    const verdict = req ? this.access.decisionVerdict(user, req) : 'not_found';
    if (!req || verdict === 'not_found') throw notFound(requestId);
    if (verdict !== 'allowed') throw new ForbiddenException(verdict.forbidden);
    const input: DecisionInput = { status, reason: reason || undefined, params: options.params, message: options.message, paramsDigest: options.paramsDigest };
    if (!options.idempotencyKey) return this.decideChecked(req, user, input);
    return this.decideOnce(req, user, input, options.idempotencyKey);
  }

  private async decideChecked(req: HitlRequest, user: AuthUser, input: DecisionInput): Promise<HitlRequest> {
    checkDecision(req, input);
    const decision: Decision = { status: input.status, decidedAt: isoNow(), decidedBy: user.sub, reason: input.reason };
    if (input.status === 'approved' && input.params) decision.editedParams = input.params;
    if (input.status === 'responded') decision.response = input.message;
    const result = await this.decide(req.requestId, decision, { tenantId: user.tenantId });
    if (result.outcome === 'not_found') throw notFound(req.requestId);
    if (result.outcome === 'conflict') throw new ConflictException(result.request);
    return result.request;
  }

  /**
   * A decision under an Idempotency-Key: its first answer (200, or 409 when another decision had
   * won) is kept and given again to the same key; the same key with another decision or body is 422.
   * The first attempt marks the key before it decides, so a copy racing it waits for its answer
   * rather than deciding too and answering 409 for a decision its own key made.
   */
  private async decideOnce(req: HitlRequest, user: AuthUser, input: DecisionInput, idempotencyKey: string): Promise<HitlRequest> {
    const key = NAMES.idempotency(req.sessionId, sha256([user.tenantId, user.sub, req.requestId, idempotencyKey].join('\u0000')));
    const fingerprint = sha256(canonicalize(input) ?? '');
    const marker: StoredAnswer = { fingerprint, status: 0, body: null };
    const held = await this.idempotency.putIfAbsent(key, marker, MARKER_TTL_SECONDS);
    if (held !== marker) {
      const first = await this.settled(key, held);
      // The first attempt decided nothing (a 400, say) and let the key go: this one tries for itself.
      if (!first) return this.decideOnce(req, user, input, idempotencyKey);
      return replay(first, fingerprint, idempotencyKey);
    }
    let answer: StoredAnswer;
    try {
      answer = { fingerprint, status: 200, body: await this.decideChecked(req, user, input) };
    } catch (err) {
      if (!(err instanceof ConflictException)) {
        // Nothing was decided (400, 404, the store down): a retry under the same key may try again.
        await this.idempotency.delete(key).catch(() => undefined);
        throw err;
      }
      answer = { fingerprint, status: 409, body: err.getResponse() };
    }
    await this.idempotency.put(key, answer, this.answersTtlSeconds);
    return replay(answer, fingerprint, idempotencyKey);
  }

  /** The first attempt's answer, once it has one (a marker left by an attempt that died lapses after MARKER_TTL_SECONDS). */
  private async settled(key: string, held: StoredAnswer): Promise<StoredAnswer | null> {
    let current: StoredAnswer | null = held;
    for (let waited = 0; current?.status === 0 && waited < MARKER_TTL_SECONDS * 1000; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
      current = await this.idempotency.get(key);
    }
    return current;
  }

  async decide(requestId: string, decision: Decision, scope: DecisionScope): Promise<DecideResult> {
    const result = await this.store.decide(requestId, decision, scope);
    if (result.outcome === 'decided') logDecision(this.decisionLog, result.request);
    if (result.outcome === 'decided') this.metrics.decisions.inc({ outcome: decision.status });
    if (result.outcome === 'conflict') this.metrics.decisions.inc({ outcome: 'conflict' });
    return result;
  }

  async expireDue(limit: number): Promise<HitlRequest[]> {
    const expired = await this.store.expireDue(limit);
    expired.forEach((req) => logDecision(this.decisionLog, req));
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

  /** A run's pending requests, in the order asked: a run waits on at most one group, so they are its group's, read directly. */
  private async pendingOfRun(user: AuthUser, sessionId: string): Promise<HitlRequest[]> {
    const run = await this.runs.getRun(sessionId);
    if (!run?.requestId || run.tenantId !== user.tenantId) return [];
    const first = await this.store.getRequest(run.requestId);
    if (!first) return [];
    const members = await Promise.all(groupMemberIds(first.groupId, first.groupSize).map((id) => (id === first.requestId ? first : this.store.getRequest(id))));
    return members.filter((r): r is HitlRequest => r !== null && r.status === 'pending' && this.access.canSeeRequest(user, r));
  }

  /** One page of the inbox; cursors are sealed for the caller's tenant and opaque (400 for any other). */
  async list(user: AuthUser, status: HitlStatus, limit: number, cursor?: string, sessionId?: string): Promise<RequestPage> {
    const scope = `inbox:${user.tenantId}:${status}${sessionId ? `:${sessionId}` : ''}`;
    const after = cursor === undefined ? undefined : this.cursors.open(cursor, scope);
    if (after === null) throw new BadRequestException('cursor is not a cursor this service issued');
    if (sessionId && status === 'pending' && after === undefined) return { items: await this.pendingOfRun(user, sessionId) };
    const page = await this.store.listRequests({ tenantId: user.tenantId, status, limit, cursor: after, userId: this.access.requestsOwnerFilter(user), sessionId });
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

function replay(held: StoredAnswer, fingerprint: string, idempotencyKey: string): HitlRequest {
  if (held.fingerprint !== fingerprint) {
    throw new UnprocessableEntityException(`Idempotency-Key ${idempotencyKey} was already used for another decision or body on this request`);
  }
  if (held.status === 0) throw new ConflictException(`The first request with Idempotency-Key ${idempotencyKey} has not finished deciding; retry`);
  if (held.status === 200) return held.body as HitlRequest;
  throw new ConflictException(held.body as HitlRequest);
}

const notFound = (requestId: string) => new NotFoundException(`HITL request ${requestId} not found`);
