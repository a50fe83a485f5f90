import type { RedisClient } from '../../redis/redis-clients';
import { pairsToObject, requestFromFields } from '../../hitl/persistence/request-fields.codec';
import type { Bus } from '../../redis/bus';
import { NAMES, SCRIPT_PREFIXES } from '../../redis/redis-names';
import { defineScript, ScriptFn } from '../../redis/redis-script';
import { runFromFields } from '../../runs/persistence/run-fields.codec';
import { CLAIM_READY, MAKE_READY, QUEUE_STATS, RELEASE, RENEW } from './worker.lua';
import { ClaimedRun, QueueStats, WorkerStore } from './worker-store.port';

/** The ready queue in a list, worker leases in aura:instances, wake-ups over the process's shared subscriber. */
export class RedisWorkerStore extends WorkerStore {
  private readonly scripts: Record<'makeReady' | 'claimReady' | 'renew' | 'release' | 'queueStats', ScriptFn>;

  constructor(
    redis: RedisClient,
    private readonly bus: Bus,
  ) {
    super();
    this.scripts = {
      makeReady: defineScript(redis, 'auraWorkerMakeReady', 3, MAKE_READY),
      claimReady: defineScript(redis, 'auraWorkerClaim', 2, CLAIM_READY),
      renew: defineScript(redis, 'auraWorkerRenew', 2, RENEW),
      release: defineScript(redis, 'auraWorkerRelease', 2, RELEASE),
      queueStats: defineScript(redis, 'auraWorkerQueueStats', 1, QUEUE_STATS),
    };
  }

  async makeReady(sessionId: string, owner: string): Promise<boolean> {
    const res = await this.scripts.makeReady(
      [NAMES.run(sessionId), NAMES.workerReady, NAMES.instances],
      [sessionId, owner, NAMES.workerQueueOwner, NAMES.workerWakeChannel, SCRIPT_PREFIXES],
    );
    return Number(res) === 1;
  }

  async claimReady(leaseId: string, leaseMs: number): Promise<ClaimedRun | null> {
    const res = (await this.scripts.claimReady([NAMES.workerReady, NAMES.instances], [leaseId, leaseMs, NAMES.workerQueueOwner, SCRIPT_PREFIXES])) as
      | []
      | [string, number, string[], string[]];
    if (res.length === 0) return null;
    const [, deadline, runFields, requestFields] = res;
    return {
      run: runFromFields(pairsToObject(runFields)),
      decision: requestFields.length > 0 ? requestFromFields(pairsToObject(requestFields)) : null,
      leaseId,
      leaseExpiresMs: Number(deadline),
    };
  }

  async renew(sessionId: string, leaseId: string, leaseMs: number): Promise<number | null> {
    const deadline = Number(await this.scripts.renew([NAMES.run(sessionId), NAMES.instances], [leaseId, leaseMs, SCRIPT_PREFIXES]));
    return deadline > 0 ? deadline : null;
  }

  async release(sessionId: string, leaseId: string, toInstance: string): Promise<void> {
    await this.scripts.release([NAMES.run(sessionId), NAMES.instances], [sessionId, leaseId, toInstance, SCRIPT_PREFIXES]);
  }

  async queueStats(): Promise<QueueStats> {
    const [queued, sessionId, waitedMs] = (await this.scripts.queueStats([NAMES.workerReady], [NAMES.workerQueueOwner, SCRIPT_PREFIXES])) as [number, string?, number?];
    return { queued: Number(queued), oldest: sessionId ? { sessionId, waitedMs: Number(waitedMs) } : null };
  }

  listen(onReady: () => void, onResync: () => void): Promise<() => void> {
    return this.bus.subscribeWithResync(NAMES.workerWakeChannel, () => onReady(), onResync);
  }
}
