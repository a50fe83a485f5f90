import { Logger } from '@nestjs/common';
import { auditRecordOf, requestWebhook } from '../audit/audit-record';
import { ThrottledLog } from '../common/throttled-log';
import type { HitlRequest } from '../contract/hitl.types';
import { pairsToObject, requestFromFields } from '../hitl/persistence/request-fields.codec';
import type { RedisClient } from '../redis/redis-clients';
import { redisCall } from '../redis/redis-errors';
import { LedgerOutbox } from '../redis/ledger-outbox.port';
import { bucketOf, NAMES, requestMember } from '../redis/redis-names';
import { defineScript, ScriptFn } from '../redis/redis-script';
import { QUEUE_LEASE_MS } from '../worker/persistence/worker-store.port';
import { CLEAR_MARK, OUTBOX_ADD } from './ledger-changes.lua';

const DAY_MS = 86_400_000;

/** A record of the session's outbox, as the scripts write it (hitl.lua.ts, runs.lua.ts, worker.lua.ts). */
type Change =
  | { k: 'request'; at: number; f: string[]; via?: boolean; ed?: string }
  | { k: 'finished'; at: number; sid: string; owner: string; status: string; tenantId?: string; userId?: string }
  | { k: 'queued'; sid: string; from: string };

/**
 * Applies the session outbox's records to the other slots. Every command is idempotent (a set's
 * add or remove, a record whose id follows from the change); the exceptions are a webhook event
 * and a ready-queue entry, which a repair after a crash may write twice: receivers drop a repeated
 * webhook-id, and a worker claim skips an entry whose run is no longer queued.
 */
export class RedisLedgerOutbox extends LedgerOutbox {
  private readonly logger = new Logger('LedgerOutbox');
  private readonly failures = new ThrottledLog((line) => this.logger.warn(line));
  private readonly outboxAdd: ScriptFn;
  private readonly clearMark: ScriptFn;

  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
    private readonly auditRetentionDays: number,
  ) {
    super();
    this.outboxAdd = defineScript(redis, 'auraOutboxAdd', 1, OUTBOX_ADD);
    this.clearMark = defineScript(redis, 'auraClearMark', 1, CLEAR_MARK);
  }

  async mark(sessionId: string): Promise<number> {
    const at = Date.now();
    await redisCall(() => this.redis.zadd(NAMES.changesDue(bucketOf(sessionId)), at, sessionId));
    return at;
  }

  /** Never throws: the write it follows stands, and what is not applied now the repair sweep applies. */
  async apply(sessionId: string, records: string[], mark: number): Promise<void> {
    try {
      for (const json of records) {
        await this.applyOne(JSON.parse(json) as Change);
        await redisCall(() => this.redis.lrem(NAMES.changes(sessionId), 1, json));
      }
      // A full page (the scripts return at most 100) may have more behind it: the sweep goes on.
      if (records.length < 100) await this.clearMark([NAMES.changesDue(bucketOf(sessionId))], [sessionId, mark]);
    } catch (err) {
      this.failures.log(`apply:${String(err)}`, `Changes of session ${sessionId} not applied yet (the repair sweep retries): ${String(err)}`);
    }
  }

  private async applyOne(c: Change): Promise<void> {
    if (c.k === 'request') return this.requestChanged(requestFromFields(pairsToObject(c.f)), c);
    if (c.k === 'finished') return this.runFinished(c);
    await this.runQueued(c);
  }

  private async requestChanged(req: HitlRequest, c: Extract<Change, { k: 'request' }>): Promise<void> {
    const member = requestMember(req.requestId, req.sessionId);
    const createdMs = Date.parse(req.createdAt);
    const deadlines = NAMES.deadlines(bucketOf(req.requestId));
    const pending = NAMES.index(req.tenantId, 'pending');
    const r = this.redis;
    const audit = auditRecordOf(req, c.at, { viaChannel: c.via, editedParamsDigest: c.ed });
    const hook = requestWebhook(req);
    const writes: Promise<unknown>[] = [
      r.zadd(NAMES.audit(req.tenantId), c.at, JSON.stringify(audit)),
      r.zremrangebyscore(NAMES.audit(req.tenantId), '-inf', `(${c.at - this.auditRetentionDays * DAY_MS}`),
      this.outboxAdd([NAMES.webhookOutbox], [hook.type, c.at, JSON.stringify(hook.data), `msg_${c.at}_${req.requestId}_${req.status}`]),
    ];
    if (req.status === 'pending') {
      writes.push(r.zadd(deadlines, Date.parse(req.expiresAt), member), r.zadd(pending, createdMs, member));
    } else {
      const decided = NAMES.index(req.tenantId, req.status);
      // Decided requests leave the index once their TTL has passed, so it never outgrows what it points at.
      writes.push(r.zrem(deadlines, member), r.zrem(pending, member), r.zadd(decided, createdMs, member), r.zremrangebyscore(decided, '-inf', createdMs - this.ttlSeconds * 1000));
    }
    await redisCall(() => Promise.all(writes));
  }

  private async runFinished(c: Extract<Change, { k: 'finished' }>): Promise<void> {
    const r = this.redis;
    const writes: Promise<unknown>[] = [r.srem(NAMES.instanceRuns(c.owner), c.sid)];
    if (c.tenantId) {
      writes.push(r.zrem(NAMES.activeRuns(c.tenantId), c.sid));
      if (c.userId) writes.push(r.zrem(NAMES.activeUserRuns(c.tenantId, c.userId), c.sid));
      const data = { tenantId: c.tenantId, sessionId: c.sid, userId: c.userId, status: c.status };
      writes.push(this.outboxAdd([NAMES.webhookOutbox], ['run.finished', c.at, JSON.stringify(data), `msg_${c.at}_${c.sid}_finished`]));
    }
    await redisCall(() => Promise.all(writes));
  }

  private async runQueued(c: Extract<Change, { k: 'queued' }>): Promise<void> {
    const r = this.redis;
    await redisCall(() =>
      Promise.all([r.srem(NAMES.instanceRuns(c.from), c.sid), r.zadd(NAMES.instances, QUEUE_LEASE_MS, NAMES.workerQueueOwner), r.rpush(NAMES.workerReady, c.sid)]),
    );
    await redisCall(() => r.publish(NAMES.workerWakeChannel, c.sid));
  }

  /** The repair sweep: applies the outboxes of sessions marked more than graceMs ago; answers how many held records (their writer died). */
  async repair(bucket: number, graceMs: number, limit: number): Promise<number> {
    const due = await redisCall(() => this.redis.zrangebyscore(NAMES.changesDue(bucket), '-inf', Date.now() - graceMs, 'WITHSCORES', 'LIMIT', 0, limit));
    let repaired = 0;
    for (let i = 0; i + 1 < due.length; i += 2) {
      const sessionId = due[i];
      const records = await redisCall(() => this.redis.lrange(NAMES.changes(sessionId), 0, 99));
      if (records.length) repaired++;
      await this.apply(sessionId, records, Number(due[i + 1]));
    }
    return repaired;
  }
}
