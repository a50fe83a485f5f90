import type { RedisClient } from '../redis/redis-clients';
import { execPipeline, redisCall } from '../redis/redis-errors';
import { NAMES, SCRIPT_PREFIXES } from '../redis/redis-names';
import { defineScript, ScriptFn } from '../redis/redis-script';
import { CLAIM_RETRIES, EXPIRING_DUE } from './outbox.lua';
import { OutboxEvent, OutboxStats, Retry, WebhookOutbox, WebhookType } from './webhook-outbox.port';

const GROUP = 'aura-webhooks';

type StreamEntry = [string, string[]];

/** The outbox as a Redis stream read by one consumer group (every instance a consumer); retries in a sorted set. */
export class RedisWebhookOutbox extends WebhookOutbox {
  private readonly claimRetries: ScriptFn;
  private readonly expiring: ScriptFn;

  constructor(private readonly redis: RedisClient) {
    super();
    this.claimRetries = defineScript(redis, 'auraWebhookClaimRetries', 1, CLAIM_RETRIES);
    this.expiring = defineScript(redis, 'auraWebhookExpiring', 3, EXPIRING_DUE);
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
    const members = (await this.claimRetries([NAMES.webhookRetries], [leaseMs, count])) as string[];
    return members.map((m) => JSON.parse(m) as Retry);
  }

  async settleRetry(retry: Retry, next?: { retry: Retry; atMs: number }): Promise<void> {
    const multi = this.redis.multi();
    multi.zrem(NAMES.webhookRetries, JSON.stringify(retry));
    if (next) multi.zadd(NAMES.webhookRetries, next.atMs, JSON.stringify(next.retry));
    await execPipeline(multi);
  }

  async announceExpiring(leadMs: number, limit: number): Promise<number> {
    return (await this.expiring([NAMES.deadlines, NAMES.webhookOutbox, NAMES.webhookWarned], [leadMs, limit, SCRIPT_PREFIXES])) as number;
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
  return { id: `msg_${id.replace('-', '_')}`, ref: id, type: f.type as WebhookType, atMs: Number(f.at), data: f.data };
}
