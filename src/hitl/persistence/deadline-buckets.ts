import type { RedisClient } from '../../redis/redis-clients';
import { redisCall } from '../../redis/redis-errors';
import { ALL_BUCKETS, NAMES, parseRequestMember } from '../../redis/redis-names';
import { defineScript, ScriptFn } from '../../redis/redis-script';
import { DUE } from './hitl.lua';

/** However far off a bucket's earliest deadline, it is looked at again within this long (a request another instance just created). */
const MAX_QUIET_MS = 1000;

export interface DueRequest {
  bucket: number;
  member: string;
  requestId?: string;
  sessionId?: string;
}

/**
 * When to look at each deadlines bucket. A look is one ZRANGE of the bucket's earliest deadline;
 * only when that has come (by this instance's clock) does the sweep ask Redis, by its own clock,
 * which requests are due. A bucket is looked at again at its earliest deadline, and at least once
 * a second (a request created since by another instance may be due sooner).
 */
export class DeadlineBuckets {
  private readonly due: ScriptFn;
  private readonly nextLookMs = new Map<number, number>();

  constructor(private readonly redis: RedisClient) {
    this.due = defineScript(redis, 'auraDue', 1, DUE);
  }

  async read(perBucket: number): Promise<DueRequest[]> {
    const now = Date.now();
    const buckets = ALL_BUCKETS.filter((b) => (this.nextLookMs.get(b) ?? 0) <= now);
    const found = await Promise.all(buckets.map((b) => this.look(b, now, perBucket)));
    return found.flat();
  }

  private async look(bucket: number, now: number, perBucket: number): Promise<DueRequest[]> {
    const earliest = await redisCall(() => this.redis.zrange(NAMES.deadlines(bucket), '0', '0', 'WITHSCORES'));
    const earliestMs = earliest.length ? Number(earliest[1]) : Infinity;
    if (earliestMs > now) {
      this.nextLookMs.set(bucket, now + Math.min(earliestMs - now, MAX_QUIET_MS));
      return [];
    }
    const [redisNow, next, ...members] = (await this.due([NAMES.deadlines(bucket)], [JSON.stringify({ limit: perBucket })])) as string[];
    const untilNext = next === '' ? Infinity : Number(next) - Number(redisNow);
    // A full page may have more due behind it: look again at the next sweep.
    this.nextLookMs.set(bucket, members.length >= perBucket ? 0 : now + Math.min(untilNext, MAX_QUIET_MS));
    return members.map((member) => ({ bucket, member, ...parseRequestMember(member) }));
  }
}
