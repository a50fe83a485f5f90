import { isTerminal, RunRecord, RunStatus } from '../../contract/run.types';
import type { RedisClient } from '../../redis/redis-clients';
import { redisCall } from '../../redis/redis-errors';
import { NAMES } from '../../redis/redis-names';
import type { ScriptFn } from '../../redis/redis-script';

/** A place in the limits whose run never came is pruned only after this long (its creator may still be on the way). */
const RESERVATION_GRACE_MS = 10_000;

/**
 * Who holds which run, across slots: the leases on the instances' slot, each instance's run set
 * on its own, the run's owner on the session's. Each step is one command or script on one slot,
 * ordered so that a crash between two leaves a stale set member at worst, which the next look at
 * it removes (a run that is gone or ended, or held by someone else, leaves the set it was found in).
 */
export class RunLeases {
  constructor(
    private readonly redis: RedisClient,
    private readonly scripts: Record<'leaseLapsed' | 'takeover' | 'lapsed', ScriptFn>,
  ) {}

  /** Takes the run over when its owner's lease has lapsed by Redis's clock; true when it is ours. */
  async claim(sessionId: string, me: string, fromInstance: string): Promise<boolean> {
    const [status, owner] = await redisCall(() => this.redis.hmget(NAMES.run(sessionId), 'status', 'owner'));
    if (!status || !owner || isTerminal(status as RunStatus)) {
      const from = owner || fromInstance;
      if (from) await this.forget(from, sessionId);
      return false;
    }
    if (owner === me) return true;
    if (Number(await this.scripts.leaseLapsed([NAMES.instances], [JSON.stringify({ instanceId: owner })])) !== 1) {
      if (fromInstance && fromInstance !== owner) await this.forget(fromInstance, sessionId);
      return false;
    }
    // Listed under the new owner before it owns the run: a crash in between leaves a member the orphan sweep drops.
    await redisCall(() => this.redis.sadd(NAMES.instanceRuns(me), sessionId));
    if (Number(await this.scripts.takeover([NAMES.run(sessionId)], [JSON.stringify({ from: owner, to: me })])) === 1) {
      await this.forget(owner, sessionId);
      return true;
    }
    await this.forget(me, sessionId);
    return false;
  }

  /** Runs of instances whose leases lapsed by Redis's clock; a lapsed instance with no runs left is forgotten. */
  async orphans(limit: number): Promise<{ sessionId: string; instanceId: string }[]> {
    const dead = (await this.scripts.lapsed([NAMES.instances], [JSON.stringify({ limit: 20 })])) as string[];
    const out: { sessionId: string; instanceId: string }[] = [];
    for (const instanceId of dead) {
      const runs = await redisCall(() => this.redis.srandmember(NAMES.instanceRuns(instanceId), limit - out.length) as Promise<string[]>);
      if (runs.length === 0) await this.scripts.lapsed([NAMES.instances], [JSON.stringify({ forget: instanceId })]);
      for (const sessionId of runs) out.push({ sessionId, instanceId });
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Drops the members of a full limits set whose run is gone (expired, lost, or never created) or
   * ended; answers whether any left. One read per member, on the way to a refusal only.
   */
  async prune(key: string): Promise<boolean> {
    const raw = await redisCall(() => this.redis.zrange(key, '0', '-1', 'WITHSCORES'));
    const members: { sid: string; sinceMs: number }[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) members.push({ sid: raw[i], sinceMs: Number(raw[i + 1]) });
    const statuses = await redisCall(() => Promise.all(members.map((m) => this.redis.hget(NAMES.run(m.sid), 'status'))));
    const now = Date.now();
    const stale = members.filter((m, i) => (statuses[i] ? isTerminal(statuses[i] as RunStatus) : now - m.sinceMs > RESERVATION_GRACE_MS)).map((m) => m.sid);
    if (stale.length) await redisCall(() => this.redis.zrem(key, ...stale));
    return stale.length > 0;
  }

  /** A create that found the run already there: undo what the attempt wrote that the run does not hold. */
  async afterFoundExisting(attempt: RunRecord, existing: RunRecord): Promise<void> {
    const writes: Promise<unknown>[] = [];
    if (existing.owner !== attempt.owner) writes.push(this.redis.srem(NAMES.instanceRuns(attempt.owner), attempt.sessionId));
    if (isTerminal(existing.status) || existing.tenantId !== attempt.tenantId || existing.userId !== attempt.userId) {
      writes.push(this.redis.zrem(NAMES.activeRuns(attempt.tenantId), attempt.sessionId), this.redis.zrem(NAMES.activeUserRuns(attempt.tenantId, attempt.userId), attempt.sessionId));
    }
    await redisCall(() => Promise.all(writes));
  }

  private async forget(instanceId: string, sessionId: string): Promise<void> {
    await redisCall(() => this.redis.srem(NAMES.instanceRuns(instanceId), sessionId));
  }
}
