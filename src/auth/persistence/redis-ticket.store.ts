import type { RedisClient } from '../../redis/redis-clients';
import { redisCall } from '../../redis/redis-errors';
import { NAMES } from '../../redis/redis-names';
import { TicketStore } from './ticket-store.port';

export class RedisTicketStore extends TicketStore {
  constructor(private readonly redis: RedisClient) {
    super();
  }

  async create(ticket: string, payload: string, ttlSeconds: number): Promise<void> {
    await redisCall(() => this.redis.set(NAMES.ticket(ticket), payload, 'EX', ttlSeconds));
  }

  peek(ticket: string): Promise<string | null> {
    return redisCall(() => this.redis.get(NAMES.ticket(ticket)));
  }

  async consume(ticket: string, keepUsedSeconds: number): Promise<string | null> {
    const payload = await redisCall(() => this.redis.getdel(NAMES.ticket(ticket)));
    // Not in the same step: the used record only turns a later 401 into a 204, and losing it (a
    // crash right here) leaves the 401 of before.
    if (payload !== null) await redisCall(() => this.redis.set(NAMES.usedTicket(ticket), payload, 'EX', keepUsedSeconds));
    return payload;
  }

  peekUsed(ticket: string): Promise<string | null> {
    return redisCall(() => this.redis.get(NAMES.usedTicket(ticket)));
  }
}
