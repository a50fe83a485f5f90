import type { RedisClient } from '../redis/redis-clients';
import { execPipeline, redisCall } from '../redis/redis-errors';
import { requestWebhook } from '../audit/audit-record';
import { requestFromFields } from '../hitl/persistence/request-fields.codec';
import { ALL_BUCKETS, NAMES, parseRequestMember } from '../redis/redis-names';
import { defineScript, ScriptFn } from '../redis/redis-script';
import { ANNOUNCE_EXPIRING, CLAIM_RETRIES, DUE_SOON } from './outbox.lua';
import { OutboxEvent, OutboxStats, Retry, WebhookOutbox, WebhookType } from './webhook-outbox.port';

const GROUP = 'aura-webhooks';

type StreamEntry = [string, string[]];

/** The outbox as a Redis stream read by one consumer group (every instance a consumer); retries in a sorted set. */
export class RedisWebhookOutbox extends WebhookOutbox {
  private readonly claimRetries: ScriptFn;
  private readonly dueSoon: ScriptFn;
  private readonly announce: ScriptFn;

  constructor(private readonly redis: RedisClient) {
    super();
    this.claimRetries = defineScript(redis, 'auraWebhookClaimRetries', 1, CLAIM_RETRIES);
    this.dueSoon = defineScript(redis, 'auraWebhookDueSoon', 1, DUE_SOON);
    this.announce = defineScript(redis, 'auraWebhookAnnounce', 2, ANNOUNCE_EXPIRING);
  }

  async open(): Promise<void> {
    try {
      await redisCall(() => this.redis.xgroup('CREATE', NAMES.webhookOutbox, GROUP, '0', 'MKSTREAM'));
    } catch (err) {
      if (!/BUSYGROUP/.test(String((err as Error).message))) throw err;
    }
  }

  async take(consumer: string, staleMs: number, count: number): Promise<OutboxEvent[]> {
    try {
      return await this.takeFromGroup(consumer, staleMs, count);
    } catch (err) {
      // The stream is gone (the data set was flushed or lost): recreate it, events come again from then on.
      if (!/NOGROUP/.test(String((err as Error).message))) throw err;
      await this.open();
      return [];
    }
  }

  private async takeFromGroup(consumer: string, staleMs: number, count: number): Promise<OutboxEvent[]> {
    const claimed = (await redisCall(() => this.redis.xautoclaim(NAMES.webhookOutbox, GROUP, consumer, staleMs, '0-0', 'COUNT', count))) as [string, StreamEntry[]];
    const reply = (await redisCall(() => this.redis.xreadgroup('GROUP', GROUP, consumer, 'COUNT', count, 'STREAMS', NAMES.webhookOutbox, '>'))) as [string, StreamEntry[]][] | null;
    const entries = [...(claimed?.[1] ?? []), ...(reply?.[0]?.[1] ?? [])];
    return entries.filter((e) => e && e[1]).map(([id, fields]) => toEvent(id, fields));
  }

  async finish(event: OutboxEvent, retries: { retry: Retry; atMs: number }[]): Promise<void> {
    const multi = this.redis.multi();
    for (const { retry, atMs } of retries) multi.zadd(NAMES.webhookRetries, atMs, JSON.stringify(retry));
    multi.xack(NAMES.webhookOutbox, GROUP, event.ref);
    multi.xdel(NAMES.webhookOutbox, event.ref);
    await execPipeline(multi);
  }

  async takeRetries(leaseMs: number, count: number): Promise<Retry[]> {
    const members = (await this.claimRetries([NAMES.webhookRetries], [JSON.stringify({ leaseMs, limit: count })])) as string[];
    return members.map((m) => JSON.parse(m) as Retry);
  }

  async settleRetry(retry: Retry, next?: { retry: Retry; atMs: number }): Promise<void> {
    const multi = this.redis.multi();
    multi.zrem(NAMES.webhookRetries, JSON.stringify(retry));
    if (next) multi.zadd(NAMES.webhookRetries, next.atMs, JSON.stringify(next.retry));
    await execPipeline(multi);
  }

  /** Each deadlines bucket's requests due soon, read on their session's slot, announced on the outbox's (one script each). */
  async announceExpiring(leadMs: number, limit: number): Promise<number> {
    const perBucket = Math.max(1, Math.ceil(limit / ALL_BUCKETS.length));
    const due = (await Promise.all(ALL_BUCKETS.map((b) => this.dueSoon([NAMES.deadlines(b)], [JSON.stringify({ leadMs, limit: perBucket })])))) as string[][];
    let announced = 0;
    for (const raw of due) {
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const ref = parseRequestMember(raw[i]);
        if (!ref) continue;
        const fields = await redisCall(() => this.redis.hgetall(NAMES.request(ref.sessionId, ref.requestId)));
        if (fields.status !== 'pending') continue;
        const { data } = requestWebhook(requestFromFields(fields));
        announced += Number(await this.announce([NAMES.webhookWarned, NAMES.webhookOutbox], [JSON.stringify({ requestId: ref.requestId, deadlineMs: Number(raw[i + 1]), data: JSON.stringify(data) })]));
      }
    }
    return announced;
  }

  async stats(): Promise<OutboxStats> {
    const [len, first, retries, oldestRetry] = await execPipeline(
      this.redis
        .pipeline()
        .xlen(NAMES.webhookOutbox)
        .xrange(NAMES.webhookOutbox, '-', '+', 'COUNT', 1)
        .zcard(NAMES.webhookRetries)
        .zrange(NAMES.webhookRetries, '0', '0'),
    );
    const now = Date.now();
    const ages: number[] = [];
    const firstEntry = (first as StreamEntry[])[0];
    if (firstEntry) ages.push(now - toEvent(firstEntry[0], firstEntry[1]).atMs);
    const oldest = (oldestRetry as string[])[0];
    if (oldest) ages.push(now - (JSON.parse(oldest) as Retry).event.atMs);
    return { backlog: (len as number) + (retries as number), oldestAgeMs: ages.length ? Math.max(0, ...ages) : 0 };
  }
}

function toEvent(id: string, fields: string[]): OutboxEvent {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1];
  // The id the change gave it, the same if a repair after a crash adds it twice (receivers drop the repeat).
  return { id: f.id || `msg_${id.replace('-', '_')}`, ref: id, type: f.type as WebhookType, atMs: Number(f.at), data: f.data };
}
