import type { RedisClient } from '../../redis/redis-clients';
import { redisCall } from '../../redis/redis-errors';
import { IdempotencyStore, StoredAnswer } from './idempotency-store.port';

/** One string key per answer, with a TTL; SET NX GET keeps the first of two racing writers (Redis ≥ 7.0). */
export class RedisIdempotencyStore extends IdempotencyStore {
  constructor(private readonly redis: RedisClient) {
    super();
  }

  async get(key: string): Promise<StoredAnswer | null> {
    const raw = await redisCall(() => this.redis.get(key));
    return raw ? (JSON.parse(raw) as StoredAnswer) : null;
  }

  async putIfAbsent(key: string, answer: StoredAnswer, ttlSeconds: number): Promise<StoredAnswer> {
    const before = await redisCall(() => this.redis.set(key, JSON.stringify(answer), 'EX', ttlSeconds, 'NX', 'GET'));
    return before ? (JSON.parse(before) as StoredAnswer) : answer;
  }

  async put(key: string, answer: StoredAnswer, ttlSeconds: number): Promise<void> {
    await redisCall(() => this.redis.set(key, JSON.stringify(answer), 'EX', ttlSeconds));
  }

  async delete(key: string): Promise<void> {
    await redisCall(() => this.redis.del(key));
  }
}
