import type Redis from 'ioredis';
import { Decision, DecideResult, HitlRequest, HitlSignal, SIGNAL_FOR_STATUS } from '../hitl/hitl.types';
import { LoggedEvent, RunRecord, RunStatus } from '../runs/run.types';
import { AppendInput, AppendResult, AuraStore, CancelInput, CancelResult, RequestPage } from './aura-store';
import { EVENT_LOG_MAX, KEY } from './keys';
import { APPEND, CANCEL, CLAIM, CREATE_RUN, DECIDE, EXPIRE_DUE } from './lua-scripts';
import {
  decodeCursor,
  encodeCursor,
  pairsToObject,
  requestFromFields,
  requestToFields,
  runFromFields,
  runToFields,
} from './record-codec';

type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

/** The Redis store: state in hashes, streams and sorted sets; every change one Lua script. */
export class RedisAuraStore extends AuraStore {
  private readonly scripts: Record<'createRun' | 'append' | 'decide' | 'expireDue' | 'cancel' | 'claim', ScriptFn>;

  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {
    super();
    const define = (name: string, lua: string): ScriptFn => {
      redis.defineCommand(name, { numberOfKeys: 0, lua });
      return (...args) => (redis as unknown as Record<string, ScriptFn>)[name](...args);
    };
    this.scripts = {
      createRun: define('auraCreateRun', CREATE_RUN),
      append: define('auraAppend', APPEND),
      decide: define('auraDecide', DECIDE),
      expireDue: define('auraExpireDue', EXPIRE_DUE),
      cancel: define('auraCancel', CANCEL),
      claim: define('auraClaim', CLAIM),
    };
  }

  async createRun(run: RunRecord): Promise<{ created: boolean; run: RunRecord }> {
    const res = (await this.scripts.createRun(run.sessionId, JSON.stringify(runToFields(run)), this.ttlSeconds)) as [number, string[]?];
    return res[0] === 0 ? { created: true, run } : { created: false, run: runFromFields(pairsToObject(res[1] ?? [])) };
  }

  async getRun(sessionId: string): Promise<RunRecord | null> {
    const fields = await this.redis.hgetall(KEY.run(sessionId));
    return fields.status ? runFromFields(fields) : null;
  }

  async append(input: AppendInput): Promise<AppendResult> {
    const req = input.request;
    const res = (await this.scripts.append(
      input.sessionId,
      input.owner,
      String(input.expectCursor),
      String(input.nextCursor),
      input.status,
      JSON.stringify(input.events.map((e) => JSON.stringify({ type: e.type, data: e.data }))),
      JSON.stringify(input.broadcasts),
      EVENT_LOG_MAX,
      this.ttlSeconds,
      req ? JSON.stringify(requestToFields(req)) : '',
      req ? String(Date.parse(req.expiresAt)) : '0',
      this.ttlSeconds,
      String(input.expectSeq),
    )) as [string, string | number | undefined];
    const [tag, value] = res;
    if (tag === 'ok') return { ok: true, seq: Number(value) };
    if (tag === 'ended') return { ok: false, reason: 'ended', status: value as RunStatus };
    return { ok: false, reason: tag as 'gone' | 'not_owner' | 'stale' };
  }

  async cancel(input: CancelInput): Promise<CancelResult> {
    const json = (e: { type: string; data: unknown } | null) => (e ? JSON.stringify({ type: e.type, data: e.data }) : '');
    const [tag, value] = (await this.scripts.cancel(
      input.sessionId,
      input.tenantId,
      input.expectStatus,
      input.expectRequestId ?? '',
      input.decidedBy,
      input.now,
      json(input.decisionEvent),
      json(input.doneEvent),
      input.broadcasts.decision ?? '',
      input.broadcasts.done,
      EVENT_LOG_MAX,
      this.ttlSeconds,
      input.expectRequestStatus ?? '',
    )) as [string, string | number | undefined];
    if (tag === 'cancelled') return { outcome: 'cancelled', seq: Number(value) };
    if (tag === 'ended') return { outcome: 'ended', status: value as RunStatus };
    return { outcome: tag as 'not_found' | 'retry' };
  }

  async readEvents(sessionId: string, afterSeq: number, limit: number): Promise<LoggedEvent[]> {
    const entries = await this.redis.xrange(KEY.events(sessionId), `${afterSeq + 1}-0`, '+', 'COUNT', limit);
    return entries.map(([id, fields]) => ({ seq: parseInt(id, 10), json: fields[1] }));
  }

  async getRequest(requestId: string): Promise<HitlRequest | null> {
    const fields = await this.redis.hgetall(KEY.request(requestId));
    return fields.status ? requestFromFields(fields) : null;
  }

  async decide(requestId: string, d: Decision, scope: { tenantId?: string; sessionId?: string } = {}): Promise<DecideResult> {
    const [code, pairs] = (await this.scripts.decide(
      requestId,
      scope.tenantId ?? '',
      d.status,
      d.decidedAt,
      d.decidedBy ?? '',
      d.reason ?? '',
      SIGNAL_FOR_STATUS[d.status],
      this.ttlSeconds,
      scope.sessionId ?? '',
    )) as [number, string[]?];
    if (code === 0) return { outcome: 'not_found' };
    const request = requestFromFields(pairsToObject(pairs ?? []));
    return { outcome: code === 1 ? 'decided' : 'conflict', request };
  }

  async expireDue(nowMs: number, limit: number): Promise<number> {
    return Number(await this.scripts.expireDue(nowMs, new Date(nowMs).toISOString(), limit, this.ttlSeconds));
  }

  async signals(sessionId: string): Promise<HitlSignal[]> {
    const items = await this.redis.lrange(KEY.signals(sessionId), 0, -1);
    return items.map((s) => JSON.parse(s) as HitlSignal);
  }

  async listRequests(tenantId: string, status: string, limit: number, cursor?: string): Promise<RequestPage> {
    const key = KEY.index(tenantId, status);
    const after = cursor ? decodeCursor(cursor) : null;
    // Newest first; entries sharing the cursor's millisecond are skipped up to and including the cursor's id.
    const max = after ? String(after.score) : '+inf';
    const raw = await this.redis.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, limit + 64);
    const ids: { id: string; score: number }[] = [];
    for (let i = 0; i + 1 < raw.length && ids.length < limit + 1; i += 2) {
      const score = Number(raw[i + 1]);
      if (after && score === after.score && raw[i] >= after.requestId) continue;
      ids.push({ id: raw[i], score });
    }
    const page = ids.slice(0, limit);
    const pipeline = this.redis.pipeline();
    page.forEach(({ id }) => pipeline.hgetall(KEY.request(id)));
    const results = (await pipeline.exec()) ?? [];
    const items: HitlRequest[] = [];
    const gone: string[] = [];
    results.forEach(([, fields], i) => {
      const f = fields as Record<string, string>;
      // An index entry can outlive its request's TTL (or lag a decision): drop it rather than show stale state.
      if (f && f.status === status) items.push(requestFromFields(f));
      else if (!f || !f.status) gone.push(page[i].id);
    });
    if (gone.length) await this.redis.zrem(key, ...gone);
    const last = page[page.length - 1];
    return ids.length > limit && last ? { items, nextCursor: encodeCursor(last.score, last.id) } : { items };
  }

  async heartbeat(instanceId: string, untilMs: number): Promise<void> {
    await this.redis.zadd(KEY.instances, untilMs, instanceId);
  }

  async claim(sessionId: string, instanceId: string, nowMs: number, fromInstance = ''): Promise<boolean> {
    return Number(await this.scripts.claim(sessionId, instanceId, nowMs, fromInstance)) === 1;
  }

  async orphans(nowMs: number, limit: number): Promise<{ sessionId: string; instanceId: string }[]> {
    const dead = await this.redis.zrangebyscore(KEY.instances, '-inf', nowMs, 'LIMIT', 0, 20);
    const out: { sessionId: string; instanceId: string }[] = [];
    for (const instanceId of dead) {
      const runs = await this.redis.srandmember(KEY.instanceRuns(instanceId), limit - out.length);
      // A lapsed instance with no runs left is forgotten (claims empty its set, gone runs included).
      if (runs.length === 0) await this.redis.zrem(KEY.instances, instanceId);
      out.push(...runs.map((sessionId) => ({ sessionId, instanceId })));
      if (out.length >= limit) break;
    }
    return out;
  }

  async releaseLease(instanceId: string): Promise<void> {
    await this.redis.zadd(KEY.instances, 0, instanceId);
  }

  async createTicket(ticket: string, payload: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(KEY.ticket(ticket), payload, 'EX', ttlSeconds);
  }

  async consumeTicket(ticket: string): Promise<string | null> {
    return this.redis.getdel(KEY.ticket(ticket));
  }

  async ping(): Promise<boolean> {
    return (await this.redis.ping()) === 'PONG';
  }
}
