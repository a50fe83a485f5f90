import type { RedisClient } from '../../redis/redis-clients';
import { ALL_BUCKETS, NAMES, parseRequestMember } from '../../redis/redis-names';
import { defineScript, ScriptFn } from '../../redis/redis-script';
import { DUE } from './hitl.lua';

/** However far off a bucket's next deadline, it is looked at again within this long (instances whose timeouts differ). */
const MAX_QUIET_MS = 30_000;

/**
 * When to look at each deadlines bucket. A bucket is read when its earliest deadline comes (by
 * Redis's clock, told on each read), or at the latest one HITL timeout after the read: a request
 * created by any instance after it cannot be due sooner. So an idle service asks Redis nothing per
 * sweep, and a due request is seen within one sweep of its deadline.
 */
export class DeadlineBuckets {
  private readonly due: ScriptFn;
  private readonly nextLookMs = new Map<number, number>();

  constructor(
    redis: RedisClient,
    private readonly timeoutMs: number,
  ) {
    this.due = defineScript(redis, 'auraDue', 1, DUE);
  }

  /** The requests due now in every bucket due for a look: [bucket, requestId, sessionId]. */
  async read(perBucket: number): Promise<{ bucket: number; member: string; requestId?: string; sessionId?: string }[]> {
    const now = Date.now();
    const buckets = ALL_BUCKETS.filter((b) => (this.nextLookMs.get(b) ?? 0) <= now);
    const replies = await Promise.all(buckets.map(async (b) => ({ b, reply: (await this.due([NAMES.deadlines(b)], [perBucket])) as string[] })));
    const out: { bucket: number; member: string; requestId?: string; sessionId?: string }[] = [];
    for (const { b, reply } of replies) {
      const [redisNow, next, ...members] = reply;
      const untilNext = next === '' ? Infinity : Number(next) - Number(redisNow);
      // A full page may have more due behind it: look again at the next sweep.
      this.nextLookMs.set(b, members.length >= perBucket ? 0 : now + Math.min(untilNext, this.timeoutMs, MAX_QUIET_MS));
      for (const member of members) out.push({ bucket: b, member, ...parseRequestMember(member) });
    }
    return out;
  }
}
