import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
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
import { OUTBOX_ADD } from './ledger-changes.lua';

const DAY_MS = 86_400_000;
/** How long an instance without WEBHOOK_URLS trusts that no webhook outbox exists. */
const OUTBOX_RECHECK_MS = 5000;
/** How long an ended run stays in its owner's run set, so the ends of a second go out as one SREM. */
const FORGET_AFTER_MS = 1000;

/** A writer's mark: the session, and a nonce of its own. */
const markOf = (sessionId: string): string => `${sessionId} ${randomBytes(6).toString('base64url')}`;

/** A record of the session's outbox, as the scripts write it (hitl.lua.ts, runs.lua.ts, worker.lua.ts). */
type Change =
  | { k: 'request'; at: number; f: string[]; via?: boolean; ed?: string }
  | { k: 'finished'; at: number; sid: string; owner: string; status: string; tenantId?: string; userId?: string; unkept?: boolean }
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

  /** Without WEBHOOK_URLS here: whether the webhook outbox existed when last looked at, and when that was (ms). */
  private outbox = { exists: true, checkedMs: -Infinity, checking: false };
  private readonly toForget = new Map<string, Set<string>>();
  private forgetTimer?: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
    private readonly auditRetentionDays: number,
    /** This instance has WEBHOOK_URLS: the outbox exists (it created it at start). */
    private readonly webhooksHere = false,
  ) {
    super();
    this.outboxAdd = defineScript(redis, 'auraOutboxAdd', 1, OUTBOX_ADD);
  }

  /** The mark is the writer's own member ('<sessionId> <nonce>'), so each writer removes just its own. */
  async mark(sessionId: string): Promise<string> {
    const mark = markOf(sessionId);
    await redisCall(() => this.redis.zadd(NAMES.changesDue(bucketOf(sessionId)), Date.now(), mark));
    return mark;
  }

  /** With no WEBHOOK_URLS here, as last seen (looked at again in the background every few seconds). */
  webhooksMayListen(): boolean {
    if (this.webhooksHere) return true;
    const o = this.outbox;
    if (!o.checking && Date.now() - o.checkedMs >= OUTBOX_RECHECK_MS) {
      o.checking = true;
      void this.redis
        .exists(NAMES.webhookOutbox)
        .then((n) => (o.exists = n === 1), () => undefined)
        .finally(() => ((o.checking = false), (o.checkedMs = Date.now())));
    }
    return o.exists;
  }

  /**
   * Never throws: the write it follows stands, and what is not applied now the repair sweep
   * applies (the mark stays until every record is applied). Records a crashed writer left in the
   * same outbox keep their own mark.
   */
  async apply(sessionId: string, records: string[], mark: string | null): Promise<void> {
    try {
      const kept: string[] = [];
      for (const json of records) {
        const change = JSON.parse(json) as Change;
        await this.applyOne(change);
        if (!(change.k === 'finished' && change.unkept)) kept.push(json);
      }
      await redisCall(() => Promise.all(kept.map((json) => this.redis.lrem(NAMES.changes(sessionId), 1, json))));
      if (mark) await redisCall(() => this.redis.zrem(NAMES.changesDue(bucketOf(sessionId)), mark));
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
      this.webhook(hook.type, c.at, hook.data, `msg_${c.at}_${req.requestId}_${req.status}`),
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
    this.forgetLater(c.owner, c.sid);
    const writes: Promise<unknown>[] = [];
    if (c.tenantId) {
      writes.push(r.zrem(NAMES.activeRuns(c.tenantId), c.sid));
      if (c.userId) writes.push(r.zrem(NAMES.activeUserRuns(c.tenantId, c.userId), c.sid));
      const data = { tenantId: c.tenantId, sessionId: c.sid, userId: c.userId, status: c.status };
      writes.push(this.webhook('run.finished', c.at, data, `msg_${c.at}_${c.sid}_finished`));
    }
    await redisCall(() => Promise.all(writes));
  }

  /**
   * An ended run leaves its owner's run set within a second, with the others ended meanwhile (one
   * SREM for all): until then it is a stale member, which the orphan sweep would drop anyway.
   */
  private forgetLater(owner: string, sessionId: string): void {
    const held = this.toForget.get(owner) ?? new Set<string>();
    this.toForget.set(owner, held.add(sessionId));
    if (this.forgetTimer) return;
    this.forgetTimer = setTimeout(() => {
      this.forgetTimer = undefined;
      const all = [...this.toForget];
      this.toForget.clear();
      // Closed at shutdown: the members stay, as after a crash.
      if (this.redis.status === 'end') return;
      for (const [instance, sids] of all) {
        this.redis.srem(NAMES.instanceRuns(instance), ...sids).catch((err: unknown) => this.failures.log(`forget:${String(err)}`, `Ended runs not taken out of ${instance}'s set (the orphan sweep will): ${String(err)}`));
      }
    }, FORGET_AFTER_MS);
    this.forgetTimer.unref();
  }

  /**
   * Adds a webhook event once some instance with WEBHOOK_URLS has created the outbox. An instance
   * without them looks for the outbox at most every few seconds, not on every change.
   */
  private async webhook(type: string, at: number, data: Record<string, unknown>, id: string): Promise<unknown> {
    if (!this.webhooksMayListen()) return;
    const added = Number(await this.outboxAdd([NAMES.webhookOutbox], [JSON.stringify({ type, at, data: JSON.stringify(data), id })]));
    if (added === 0 && !this.webhooksHere) this.outbox = { exists: false, checkedMs: Date.now(), checking: false };
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
    const marks = await redisCall(() => this.redis.zrangebyscore(NAMES.changesDue(bucket), '-inf', Date.now() - graceMs, 'LIMIT', 0, limit));
    let repaired = 0;
    for (const mark of marks) {
      const sessionId = mark.slice(0, mark.indexOf(' '));
      const records = await redisCall(() => this.redis.lrange(NAMES.changes(sessionId), 0, 99));
      if (records.length) repaired++;
      // A full page may have more behind it: the mark stays for the next sweep.
      await this.apply(sessionId, records, records.length < 100 ? mark : null);
    }
    return repaired;
  }
}
