import { Logger } from '@nestjs/common';
import { StoreUnavailableError } from '../common/store-errors';
import { describeTarget, RedisSettings, RedisTarget } from '../config/redis-config';
import { createClient, nodeFor, RedisClient, ReplicaSync } from './redis-clients';
import { execPipeline, redisCall } from './redis-errors';
import { NAMES } from './redis-names';
import { ThrottledLog } from '../common/throttled-log';

/** The oldest Redis the scripts and commands (GETDEL, XADD MINID, sharded pub/sub) work on. */
export const MIN_REDIS_MAJOR = 7;

/** null when the version is supported (or cannot be told), else the one line that says why not. */
export function versionProblem(version: string): string | null {
  const major = /^(\d+)\./.exec(version)?.[1];
  return major === undefined || Number(major) >= MIN_REDIS_MAJOR ? null : `Redis ${version} is too old: Aura needs Redis ${MIN_REDIS_MAJOR}.0 or newer`;
}

/**
 * The process's Redis clients, in the configured mode: commands (scripts, reads, publishes), the
 * one subscriber that multiplexes every classic channel, and the sharded channels' subscriber. Commands fail fast while Redis is
 * unreachable (no offline queue), so callers answer 503 at once instead of hanging; the
 * subscriber queues its (re)subscriptions.
 */
export class RedisConnections {
  private readonly logger = new Logger('Redis');
  private readonly errors = new ThrottledLog((line) => this.logger.warn(line));
  readonly command: RedisClient;
  readonly subscriber: RedisClient;
  /**
   * The sharded channels' subscriber. In Cluster mode the subscriber itself (ioredis keeps one
   * connection per master for them); on one node a connection of its own, its one shard: ioredis
   * leaves subscriber mode when a connection's last sharded channel goes (SUNSUBSCRIBE answers 0),
   * which would silently drop the classic subscriptions sharing it.
   */
  readonly shardSubscriber: RedisClient;
  private reconnectListeners: (() => void)[] = [];
  /** Set when the server turned out unsupported after a late connect: readiness stays down with it. */
  refusal: string | null = null;

  constructor(
    readonly target: RedisTarget,
    instanceId: string,
    private readonly wait: Pick<RedisSettings, 'waitReplicas' | 'waitTimeoutMs'> = { waitReplicas: 0, waitTimeoutMs: 1000 },
  ) {
    this.command = createClient(target, { connectionName: NAMES.connection(instanceId, 'command'), offlineQueue: false });
    this.subscriber = createClient(target, { connectionName: NAMES.connection(instanceId, 'subscriber'), offlineQueue: true, subscriber: true });
    this.shardSubscriber =
      target.mode === 'cluster' ? this.subscriber : createClient(target, { connectionName: NAMES.connection(instanceId, 'shard-subscriber'), offlineQueue: true });
    for (const [name, client] of [['command', this.command], ['subscriber', this.subscriber], ['shard subscriber', this.shardSubscriber]] as const) {
      if (name === 'shard subscriber' && client === this.subscriber) continue;
      // Both connections fail alike in an outage: one cause, one line.
      client.on('error', (err: Error) => this.errors.log(err.message, `${name} connection: ${err.message}`));
      client.on('reconnecting', () => this.reconnectListeners.forEach((l) => l()));
    }
  }

  /** What the start-up log says: the mode and the nodes, never a password. */
  get description(): string {
    return describeTarget(this.target);
  }

  onReconnecting(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  /** Connects both; resolves even when Redis is down (readiness reports it, ioredis keeps retrying). */
  async connect(timeoutMs: number): Promise<boolean> {
    const attempt = Promise.all(this.clients.map((c) => c.connect())).then(
      () => true,
      () => false,
    );
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    return Promise.race([attempt, timeout]);
  }

  /** The server's version (`INFO server`), e.g. "7.0.15". */
  async serverVersion(): Promise<string> {
    const info = await redisCall(() => this.command.info('server'));
    return /redis_version:([^\r\n]+)/.exec(info)?.[1]?.trim() ?? 'unknown';
  }

  /** Round trip on the command connection; throws StoreUnavailableError when Redis cannot be reached. */
  async ping(): Promise<void> {
    await redisCall(() => this.command.ping());
  }

  get ready(): boolean {
    return this.clients.every((c) => c.status === 'ready');
  }

  /** Every connection of the process, each once. */
  private get clients(): RedisClient[] {
    return this.shardSubscriber === this.subscriber ? [this.command, this.subscriber] : [this.command, this.subscriber, this.shardSubscriber];
  }

  /**
   * After a decision or a step write: waits until REDIS_WAIT_REPLICAS replicas hold it, so a
   * failover cannot lose it once answered; false when fewer acknowledged within the timeout (the
   * write stands either way). WAIT counts this connection's writes, so it goes on the connection
   * that wrote: in Cluster mode, the one to the master of the key's slot.
   */
  async waitForReplicas(key: string): Promise<boolean> {
    const want = this.wait.waitReplicas;
    if (want === 0) return true;
    const node = nodeFor(this.command, key);
    if (!node) throw new StoreUnavailableError(`no master known for the slot of ${key}`);
    const acked = Number(await redisCall(() => node.call('WAIT', want, this.wait.waitTimeoutMs)));
    if (acked >= want) return true;
    this.errors.log('wait', `WAIT: ${acked} of ${want} replicas acknowledged within ${this.wait.waitTimeoutMs} ms`);
    return false;
  }

  replicaSync(): ReplicaSync {
    return { wait: (key) => this.waitForReplicas(key), publish: (key, live) => this.publishLive(key, live) };
  }

  /**
   * Publishes [channel, message, …] in order on one connection (in Cluster mode, the key's master),
   * never throwing: the session's live channel is sharded (SPUBLISH), the broadcast is not.
   */
  async publishLive(key: string, live: string[]): Promise<void> {
    if (live.length === 0) return;
    const node = nodeFor(this.command, key) ?? this.command;
    const pipeline = node.pipeline();
    for (let i = 0; i + 1 < live.length; i += 2) {
      if (live[i] === NAMES.broadcastChannel) pipeline.publish(live[i], live[i + 1]);
      else pipeline.spublish(live[i], live[i + 1]);
    }
    await execPipeline(pipeline).catch((err: Error) => this.errors.log(`publish:${err.message}`, `Live events not published (streams re-read the log): ${err.message}`));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.clients.map((c) => c.quit()));
    this.clients.forEach((c) => c.disconnect());
  }
}
