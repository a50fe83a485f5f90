import type { RedisClient } from '../../redis/redis-clients';
import { redisCall } from '../../redis/redis-errors';
import { NAMES } from '../../redis/redis-names';
import { SUMMARY_FIELDS, summaryFromValues } from './run-fields.codec';
import { logSeq } from './text-batch';

const SEQ = SUMMARY_FIELDS.indexOf('seq');
import type { RunPage, RunPosition, RunQuery, RunSummary } from './run-store.port';

/** Index reads per list call before it answers a short page with a cursor (a narrow filter over many runs). */
const MAX_ROUNDS = 10;

interface Entry {
  id: string;
  score: number;
}

/**
 * GET /aura/runs over the tenant's index (aura:runs:{tenantId}): pages of it newest first, each
 * entry's run read with one HMGET on its own slot. Entries whose run is gone (TTL, or the session id
 * now names another tenant's run) are dropped from the index as they are met.
 */
export async function listRedisRuns(redis: RedisClient, q: RunQuery): Promise<RunPage> {
  const key = NAMES.tenantRuns(q.tenantId);
  const matches = (r: RunSummary | null): r is RunSummary => r !== null && (!q.status || r.status === q.status) && (!q.userId || r.userId === q.userId);
  let after: RunPosition | null = q.after ?? null;
  const items: RunSummary[] = [];
  let lastTaken: Entry | undefined;
  for (let round = 0; ; round++) {
    const batch = await indexPage(redis, key, after, q.limit + 1);
    const runs = await readSummaries(redis, key, batch, q.tenantId);
    for (let i = 0; i < batch.length; i++) {
      const run = runs[i];
      if (!matches(run)) continue;
      if (items.length === q.limit) return { items, next: { createdMs: lastTaken!.score, sessionId: lastTaken!.id } };
      items.push(run);
      lastTaken = batch[i];
    }
    if (batch.length < q.limit + 1) return { items };
    const end = batch[batch.length - 1];
    if (round === MAX_ROUNDS - 1) return { items, next: { createdMs: end.score, sessionId: end.id } };
    after = { createdMs: end.score, sessionId: end.id };
  }
}

/** Entries after the position, newest first; those sharing its millisecond are skipped up to and including it. */
async function indexPage(redis: RedisClient, key: string, after: RunPosition | null, count: number): Promise<Entry[]> {
  const raw = await redisCall(() => redis.zrevrangebyscore(key, after ? String(after.createdMs) : '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, count + 64));
  const out: Entry[] = [];
  for (let i = 0; i + 1 < raw.length && out.length < count; i += 2) {
    const score = Number(raw[i + 1]);
    if (after && score === after.createdMs && raw[i] >= after.sessionId) continue;
    out.push({ id: raw[i], score });
  }
  return out;
}

async function readSummaries(redis: RedisClient, key: string, page: Entry[], tenantId: string): Promise<(RunSummary | null)[]> {
  if (page.length === 0) return [];
  const replies = await redisCall(() =>
    Promise.all(
      page.map(async ({ id }) => {
        const [values, top] = await Promise.all([redis.hmget(NAMES.run(id), ...SUMMARY_FIELDS), redis.xrevrange(NAMES.events(id), '+', '-', 'COUNT', 1)]);
        // The run's seq is its log's last entry (a batch of text leaves the hash's behind).
        values[SEQ] = String(logSeq(top, values[SEQ]));
        return values;
      }),
    ),
  );
  const gone: string[] = [];
  const out = replies.map((values, i) => {
    const run = summaryFromValues(values);
    if (!run || run.tenantId !== tenantId) {
      gone.push(page[i].id);
      return null;
    }
    return run;
  });
  if (gone.length) await redisCall(() => redis.zrem(key, ...gone));
  return out;
}
