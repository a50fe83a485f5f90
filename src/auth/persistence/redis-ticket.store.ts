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

  consume(ticket: string): Promise<string | null> {
    return redisCall(() => this.redis.getdel(NAMES.ticket(ticket)));
  }
}
