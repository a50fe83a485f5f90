import type { RedisClient } from '../../redis/redis-clients';
import { isTerminal, RunStatus } from '../../contract/run.types';
import { pairsToObject, requestFromFields } from '../../hitl/persistence/request-fields.codec';
import type { Bus } from '../../redis/bus';
import { redisCall } from '../../redis/redis-errors';
import { LedgerOutbox } from '../../redis/ledger-outbox.port';
import { NAMES } from '../../redis/redis-names';
import { defineScript, ScriptFn } from '../../redis/redis-script';
import { runFromFields } from '../../runs/persistence/run-fields.codec';
import { HAND_BACK, LEASE, MAKE_READY, RENEW, TAKE_QUEUED } from './worker.lua';
import { ClaimedRun, QueueStats, WorkerStore } from './worker-store.port';

/** Entries a claim tries at most before it answers "none ready" (entries of runs no longer queued are dropped). */
const MAX_POPS = 100;
/** Entries read from the head of the queue at a time. */
const PEEK = 10;

/**
 * The ready queue in a list, worker leases in aura:{instances}, each run's hand-over one script on
 * its own slot; wake-ups over the process's shared subscriber. A run joins the queue through its
 * session's outbox, so a crash between its hash and the list is repaired by the outbox sweep.
 */
export class RedisWorkerStore extends WorkerStore {
  private readonly scripts: Record<'makeReady' | 'takeQueued' | 'lease' | 'renew' | 'handBack', ScriptFn>;

  constructor(
    private readonly redis: RedisClient,
    private readonly bus: Bus,
    private readonly outbox: LedgerOutbox,
  ) {
    super();
    this.scripts = {
      makeReady: defineScript(redis, 'auraWorkerMakeReady', 2, MAKE_READY),
      takeQueued: defineScript(redis, 'auraWorkerTakeQueued', 2, TAKE_QUEUED),
      lease: defineScript(redis, 'auraWorkerLease', 1, LEASE),
      renew: defineScript(redis, 'auraWorkerRenew', 1, RENEW),
      handBack: defineScript(redis, 'auraWorkerHandBack', 1, HAND_BACK),
    };
  }

  async makeReady(sessionId: string, owner: string): Promise<boolean> {
    const mark = await this.outbox.mark(sessionId);
    const res = await this.scripts.makeReady([NAMES.run(sessionId), NAMES.changes(sessionId)], [JSON.stringify({ owner, queueOwner: NAMES.workerQueueOwner, sessionId })]);
    await this.outbox.apply(sessionId, Array.isArray(res) ? (res as string[]) : [], mark);
    return Array.isArray(res);
  }

  /**
   * Takes the first run near the head of the queue that still waits in it, and only then removes
   * its entry: a crash in between leaves an entry whose run is no longer queued, which the next
   * claim drops (popping first would lose a queued run with the crash). The lease and the run set
   * are written before the run changes hands, so a crash leaves a lease that lapses and a member the
   * orphan sweep drops.
   */
  async claimReady(leaseId: string, leaseMs: number): Promise<ClaimedRun | null> {
    for (let round = 0; round < MAX_POPS / PEEK; round++) {
      const head = await redisCall(() => this.redis.lrange(NAMES.workerReady, 0, PEEK - 1));
      if (head.length === 0) return null;
      for (const sessionId of head) {
        const claimed = await this.take(sessionId, leaseId, leaseMs);
        await redisCall(() => this.redis.lrem(NAMES.workerReady, 1, sessionId));
        if (claimed) return claimed;
      }
    }
    return null;
  }

  private async take(sessionId: string, leaseId: string, leaseMs: number): Promise<ClaimedRun | null> {
    const deadline = Number(await this.scripts.lease([NAMES.instances], [JSON.stringify({ leaseId, leaseMs })]));
    await redisCall(() => this.redis.sadd(NAMES.instanceRuns(leaseId), sessionId));
    const taken = (await this.scripts.takeQueued([NAMES.run(sessionId), NAMES.events(sessionId)], [JSON.stringify({ leaseId, queueOwner: NAMES.workerQueueOwner })])) as [string[]] | [];
    if (taken.length === 0) {
      await redisCall(() => this.redis.srem(NAMES.instanceRuns(leaseId), sessionId));
      return null;
    }
    const run = runFromFields(pairsToObject(taken[0]));
    const decided = run.approvedRequestId ? await redisCall(() => this.redis.hgetall(NAMES.request(sessionId, run.approvedRequestId!))) : {};
    return { run, decision: decided.status ? requestFromFields(decided) : null, leaseId, leaseExpiresMs: deadline };
  }

  async renew(sessionId: string, leaseId: string, leaseMs: number): Promise<number | null> {
    const [status, owner] = await redisCall(() => this.redis.hmget(NAMES.run(sessionId), 'status', 'owner'));
    if (!status || isTerminal(status as RunStatus) || owner !== leaseId) return null;
    const deadline = Number(await this.scripts.renew([NAMES.instances], [JSON.stringify({ leaseId, leaseMs })]));
    return deadline > 0 ? deadline : null;
  }

  async release(sessionId: string, leaseId: string, toInstance: string): Promise<void> {
    await redisCall(() => this.redis.zrem(NAMES.instances, leaseId));
    await redisCall(() => this.redis.sadd(NAMES.instanceRuns(toInstance), sessionId));
    // Listed under toInstance first; if the run did not pass (it ended, or another holds it), that member is a stale one the sweeps drop.
    await this.scripts.handBack([NAMES.run(sessionId)], [JSON.stringify({ leaseId, toInstance })]);
    await redisCall(() => this.redis.srem(NAMES.instanceRuns(leaseId), sessionId));
  }

  /** The first of the oldest 50 entries whose run still waits in the queue, and how long it has (Redis's clock). */
  async queueStats(): Promise<QueueStats> {
    const [queued, head, time] = await redisCall(() => Promise.all([this.redis.llen(NAMES.workerReady), this.redis.lrange(NAMES.workerReady, 0, 49), this.redis.time()]));
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    const runs = await redisCall(() => Promise.all(head.map((sid) => this.redis.hmget(NAMES.run(sid), 'status', 'owner', 'queuedMs'))));
    const i = runs.findIndex(([status, owner]) => status && !isTerminal(status as RunStatus) && owner === NAMES.workerQueueOwner);
    return { queued, oldest: i < 0 ? null : { sessionId: head[i], waitedMs: now - Number(runs[i][2] ?? now) } };
  }

  listen(onReady: () => void, onResync: () => void): Promise<() => void> {
    return this.bus.subscribeWithResync(NAMES.workerWakeChannel, () => onReady(), onResync);
  }
}
