import { AfterWrite, NO_WAIT, RedisClient } from '../../redis/redis-clients';
import { Decision, DecideResult, HitlRequest, HitlSignal, HitlStatus, SIGNAL_FOR_STATUS } from '../../contract/hitl.types';
import { NotReplicatedError } from '../../common/store-errors';
import { isoNow } from '../../common/time';
import { redisCall } from '../../redis/redis-errors';
import { LedgerOutbox } from '../../redis/ledger-outbox.port';
import { NAMES, parseRequestMember } from '../../redis/redis-names';
import { defineScript, ScriptFn } from '../../redis/redis-script';
import { DeadlineBuckets } from './deadline-buckets';
import { DECIDE } from './hitl.lua';
import { DecisionScope, HitlStore, RequestPage } from './hitl-store.port';
import { paramsDigest } from '../params-digest';
import { decodeCursor, encodeCursor, pairsToObject, requestFromFields } from './request-fields.codec';

/** DECIDE's one argument (hitl.lua.ts), by name; a scope or field left out is "any" or "none". */
interface DecideArgs {
  /** hitl:channel:{sessionId}, where the decision's signal goes. */
  channel: string;
  tenantId?: string;
  sessionId?: string;
  status: string;
  decidedAt: string;
  decidedBy?: string;
  reason?: string;
  signalType: string;
  ttl: number;
  /** JSON of the edited params, for an approval with edits. */
  editedParams?: string;
  response?: string;
  /** The edited params' digest, for the audit record's executedParamsDigest. */
  editedParamsDigest?: string;
  /** A decision from hitl:channel (the audit's actor is system/redis). */
  viaChannel?: boolean;
}

/** Index reads per inbox call before it answers a short page with a cursor. */
const MAX_INBOX_ROUNDS = 20;
/** An index member's request id; a cursor holds that, and the members sort by it first. */
const requestIdOf = (member: string): string => parseRequestMember(member)?.requestId ?? member;
/** Sessions of requests remembered per process (a request never changes session). */
const SESSION_CACHE = 10_000;

/**
 * Requests in hashes and signals in lists on their session's slot, each change one script there;
 * the inbox, deadlines and audit trail learn of it through the session's outbox (LedgerOutbox).
 */
export class RedisHitlStore extends HitlStore {
  private readonly decideScript: ScriptFn;
  private readonly deadlines: DeadlineBuckets;
  private readonly sessions = new Map<string, string>();

  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
    private readonly outbox: LedgerOutbox,
    private readonly afterWrite: AfterWrite = NO_WAIT,
  ) {
    super();
    this.decideScript = defineScript(redis, 'auraDecide', 3, DECIDE);
    this.deadlines = new DeadlineBuckets(redis);
  }

  /** The session of a request (approve/{id} names the request only), from the key written before the request. */
  async sessionOf(requestId: string): Promise<string | null> {
    const known = this.sessions.get(requestId);
    if (known) return known;
    const sessionId = await redisCall(() => this.redis.get(NAMES.requestSession(requestId)));
    if (sessionId) this.remember(requestId, sessionId);
    return sessionId;
  }

  remember(requestId: string, sessionId: string): void {
    if (this.sessions.size >= SESSION_CACHE) this.sessions.delete(this.sessions.keys().next().value as string);
    this.sessions.set(requestId, sessionId);
  }

  async getRequest(requestId: string): Promise<HitlRequest | null> {
    const sessionId = await this.sessionOf(requestId);
    return sessionId ? this.readRequest(sessionId, requestId) : null;
  }

  private async readRequest(sessionId: string, requestId: string): Promise<HitlRequest | null> {
    const fields = await redisCall(() => this.redis.hgetall(NAMES.request(sessionId, requestId)));
    return fields.status ? requestFromFields(fields) : null;
  }

  async decide(requestId: string, d: Decision, scope: DecisionScope = {}): Promise<DecideResult> {
    const sessionId = await this.sessionOf(requestId);
    if (!sessionId || (scope.sessionId && scope.sessionId !== sessionId)) return { outcome: 'not_found' };
    return this.decideIn(sessionId, requestId, d, scope);
  }

  private async decideIn(sessionId: string, requestId: string, d: Decision, scope: DecisionScope): Promise<DecideResult> {
    const args: DecideArgs = {
      channel: NAMES.hitlChannel(sessionId),
      tenantId: scope.tenantId || undefined,
      sessionId: scope.sessionId || undefined,
      status: d.status,
      decidedAt: d.decidedAt,
      decidedBy: d.decidedBy || undefined,
      reason: d.reason || undefined,
      signalType: SIGNAL_FOR_STATUS[d.status],
      ttl: this.ttlSeconds,
      editedParams: d.editedParams ? JSON.stringify(d.editedParams) : undefined,
      response: d.response || undefined,
      editedParamsDigest: d.editedParams ? paramsDigest(d.editedParams) : undefined,
      viaChannel: d.viaChannel || undefined,
    };
    const key = NAMES.request(sessionId, requestId);
    // Both sent at once (the mark first): the mark must not come after the decision, but the decision need not wait for it.
    const [mark, reply] = await Promise.all([this.outbox.mark(sessionId), this.decideScript([key, NAMES.signals(sessionId), NAMES.changes(sessionId)], [JSON.stringify(args)])]);
    const [code, pairs, changes] = reply as [number, string[]?, string[]?];
    if (code === 0) return { outcome: 'not_found' };
    // A 200 promises the decision survives a failover: without its replicas it is a 503 (a retry reads it back as 409).
    const replicated = code !== 1 || (await this.afterWrite(key));
    // Also with nothing recorded (a conflict): the mark goes.
    await this.outbox.apply(sessionId, changes ?? [], mark);
    if (!replicated) throw new NotReplicatedError(`decision of ${requestId} not on its replicas in time`);
    const request = requestFromFields(pairsToObject(pairs ?? []));
    return { outcome: code === 1 ? 'decided' : 'conflict', request };
  }

  /** Each bucket's due requests (by Redis's clock); a member whose request is gone or decided leaves its bucket. */
  async expireDue(limit: number): Promise<HitlRequest[]> {
    const expired: HitlRequest[] = [];
    const decidedAt = isoNow();
    for (const { bucket, member, requestId, sessionId } of await this.deadlines.read(Math.max(1, Math.ceil(limit / 4)))) {
      const result = requestId && sessionId ? await this.decideIn(sessionId, requestId, { status: 'expired', decidedAt }, {}) : { outcome: 'not_found' as const };
      if (result.outcome === 'decided') expired.push(result.request);
      else await redisCall(() => this.redis.zrem(NAMES.deadlines(bucket), member));
    }
    return expired;
  }

  async signals(sessionId: string): Promise<HitlSignal[]> {
    const items = await redisCall(() => this.redis.lrange(NAMES.signals(sessionId), 0, -1));
    return items.map((s) => JSON.parse(s) as HitlSignal);
  }

  async listRequests(q: { tenantId: string; status: HitlStatus; limit: number; cursor?: string; userId?: string; sessionId?: string }): Promise<RequestPage> {
    const key = NAMES.index(q.tenantId, q.status);
    const matches = (r: HitlRequest | null): r is HitlRequest => r !== null && (!q.userId || r.userId === q.userId) && (!q.sessionId || r.sessionId === q.sessionId);
    let after = q.cursor ? decodeCursor(q.cursor) : null;
    const items: HitlRequest[] = [];
    let lastTaken: { id: string; score: number } | undefined;
    // Stale entries (and, when narrowed to a user, other users' entries) are skipped: read on until the page is full,
    // for a bounded number of rounds; then the page may be short, and its cursor goes on from where this call stopped
    // (without one, a user's older requests behind many of other users' would be unreachable).
    for (let round = 0; ; round++) {
      const batch = await this.indexPage(key, after, q.limit + 1);
      const requests = await this.readMany(key, batch, q.status);
      for (let i = 0; i < batch.length; i++) {
        if (!matches(requests[i])) continue;
        if (items.length === q.limit) return { items, nextCursor: encodeCursor(lastTaken!.score, requestIdOf(lastTaken!.id)) };
        items.push(requests[i]!);
        lastTaken = batch[i];
      }
      if (batch.length < q.limit + 1) return { items };
      const end = batch[batch.length - 1];
      if (round === MAX_INBOX_ROUNDS - 1) return { items, nextCursor: encodeCursor(end.score, requestIdOf(end.id)) };
      after = { score: end.score, requestId: requestIdOf(end.id) };
    }
  }

  /** Ids after the cursor, newest first; entries sharing the cursor's millisecond are skipped up to and including it. */
  private async indexPage(key: string, after: { score: number; requestId: string } | null, count: number): Promise<{ id: string; score: number }[]> {
    const raw = await redisCall(() => this.redis.zrevrangebyscore(key, after ? String(after.score) : '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, count + 64));
    const ids: { id: string; score: number }[] = [];
    for (let i = 0; i + 1 < raw.length && ids.length < count; i += 2) {
      const score = Number(raw[i + 1]);
      if (after && score === after.score && raw[i] >= after.requestId) continue;
      ids.push({ id: raw[i], score });
    }
    return ids;
  }

  /** The requests behind index entries; an entry whose request is gone (TTL) is dropped from the index. */
  private async readMany(key: string, page: { id: string }[], status: HitlStatus): Promise<(HitlRequest | null)[]> {
    // One read per request, on its session's slot (a pipeline may not span slots in a Cluster).
    const replies = await redisCall(() =>
      Promise.all(page.map(({ id }) => {
        const ref = parseRequestMember(id);
        return ref ? this.redis.hgetall(NAMES.request(ref.sessionId, ref.requestId)) : Promise.resolve({} as Record<string, string>);
      })),
    );
    const gone: string[] = [];
    const out = replies.map((f, i) => {
      // Gone (TTL), or decided while its index move is still to come: a stale entry either way.
      if (!f.status) gone.push(page[i].id);
      return f.status === status ? requestFromFields(f) : null;
    });
    if (gone.length) await redisCall(() => this.redis.zrem(key, ...gone));
    return out;
  }
}
