import { Logger } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';
import { redisCall } from './redis-errors';
import { NAMES } from './redis-names';

/** Reconnect with a capped backoff so a Redis failover is ridden out, never given up on. */
const retryStrategy = (times: number): number => Math.min(50 * 2 ** Math.min(times, 5), 1000);

/**
 * The process's two Redis connections: commands (scripts, reads, publishes) and the one subscriber
 * that multiplexes every channel. Commands fail fast while Redis is unreachable (no offline queue),
 * so callers answer 503 at once instead of hanging; the subscriber queues its (re)subscriptions.
 */
export class RedisConnections {
  private readonly logger = new Logger('Redis');
  readonly command: Redis;
  readonly subscriber: Redis;
  private reconnectListeners: (() => void)[] = [];

  constructor(url: string, instanceId: string) {
    const base: RedisOptions = { retryStrategy, connectionName: NAMES.connection(instanceId, 'command'), lazyConnect: true };
    this.command = new Redis(url, { ...base, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.subscriber = new Redis(url, { ...base, connectionName: NAMES.connection(instanceId, 'subscriber') });
    for (const [name, client] of [['command', this.command], ['subscriber', this.subscriber]] as const) {
      client.on('error', (err: Error) => this.logger.warn(`${name} connection: ${err.message}`));
      client.on('reconnecting', () => this.reconnectListeners.forEach((l) => l()));
    }
  }

  onReconnecting(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  /** Connects both; resolves even when Redis is down (readiness reports it, ioredis keeps retrying). */
  async connect(timeoutMs: number): Promise<boolean> {
    const attempt = Promise.all([this.command.connect(), this.subscriber.connect()]).then(
      () => true,
      () => false,
    );
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    return Promise.race([attempt, timeout]);
  }

  /** Round trip on the command connection; throws StoreUnavailableError when Redis cannot be reached. */
  async ping(): Promise<void> {
    await redisCall(() => this.command.ping());
  }

  get ready(): boolean {
    return this.command.status === 'ready' && this.subscriber.status === 'ready';
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.command.quit(), this.subscriber.quit()]);
    this.command.disconnect();
    this.subscriber.disconnect();
  }
}
