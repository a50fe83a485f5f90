import { AfterWrite, NO_WAIT, RedisClient } from '../../redis/redis-clients';
import { Decision, DecideResult, HitlRequest, HitlSignal, HitlStatus, SIGNAL_FOR_STATUS } from '../../contract/hitl.types';
import { NotReplicatedError } from '../../common/store-errors';
import { isoNow } from '../../common/time';
import { execPipeline, redisCall } from '../../redis/redis-errors';
import { NAMES, SCRIPT_PREFIXES } from '../../redis/redis-names';
import { defineScript, ScriptFn } from '../../redis/redis-script';
import { DECIDE, EXPIRE_DUE } from './hitl.lua';
import { DecisionScope, HitlStore, RequestPage } from './hitl-store.port';
import { paramsDigest } from '../params-digest';
import { decodeCursor, encodeCursor, pairsToObject, requestFromFields } from './request-fields.codec';

/** Requests in hashes, deadlines and inboxes in sorted sets, signals in lists; every change one script. */
/** DECIDE's one argument (hitl.lua.ts), by name; a scope or field left out is "any" or "none". */
interface DecideArgs {
  requestId: string;
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

export class RedisHitlStore extends HitlStore {
  private readonly decideScript: ScriptFn;
  private readonly expireScript: ScriptFn;

  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
    private readonly afterWrite: AfterWrite = NO_WAIT,
  ) {
    super();
    this.decideScript = defineScript(redis, 'auraDecide', 1, DECIDE);
    this.expireScript = defineScript(redis, 'auraExpireDue', 1, EXPIRE_DUE);
  }

  async getRequest(requestId: string): Promise<HitlRequest | null> {
    const fields = await redisCall(() => this.redis.hgetall(NAMES.request(requestId)));
    return fields.status ? requestFromFields(fields) : null;
  }

  async decide(requestId: string, d: Decision, scope: DecisionScope = {}): Promise<DecideResult> {
    const args: DecideArgs = {
      requestId,
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
    const [code, pairs] = (await this.decideScript(
      [NAMES.request(requestId)],
      [JSON.stringify(args), SCRIPT_PREFIXES],
    )) as [number, string[]?];
    if (code === 0) return { outcome: 'not_found' };
    // A 200 promises the decision survives a failover: without its replicas it is a 503 (a retry reads it back as 409).
    if (code === 1 && !(await this.afterWrite(NAMES.request(requestId)))) throw new NotReplicatedError(`decision of ${requestId} not on its replicas in time`);
    const request = requestFromFields(pairsToObject(pairs ?? []));
    return { outcome: code === 1 ? 'decided' : 'conflict', request };
  }

  async expireDue(limit: number): Promise<HitlRequest[]> {
    const ids = (await this.expireScript([NAMES.deadlines], [limit, this.ttlSeconds, isoNow(), SCRIPT_PREFIXES])) as string[];
    const found = await Promise.all(ids.map((id) => this.getRequest(id)));
    return found.filter((r): r is HitlRequest => r !== null);
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
        if (items.length === q.limit) return { items, nextCursor: encodeCursor(lastTaken!.score, lastTaken!.id) };
        items.push(requests[i]!);
        lastTaken = batch[i];
      }
      if (batch.length < q.limit + 1) return { items };
      const end = batch[batch.length - 1];
      if (round === MAX_INBOX_ROUNDS - 1) return { items, nextCursor: encodeCursor(end.score, end.id) };
      after = { score: end.score, requestId: end.id };
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
    const pipeline = this.redis.pipeline();
    page.forEach(({ id }) => pipeline.hgetall(NAMES.request(id)));
    const replies = await execPipeline(pipeline);
    const gone: string[] = [];
    const out = replies.map((fields, i) => {
      const f = fields as Record<string, string> | null;
      if (!f || !f.status) gone.push(page[i].id);
      return f && f.status === status ? requestFromFields(f) : null;
    });
    if (gone.length) await redisCall(() => this.redis.zrem(key, ...gone));
    return out;
  }
}
