import { Logger } from '@nestjs/common';
import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-clients';

/** After a cluster node is lost, slot refreshes within this window re-read what listeners wait on. */
const CLUSTER_RESYNC_WINDOW_MS = 15000;
import { Bus, HandlerRegistry, MessageHandler } from './bus';

/**
 * Pub/sub over one dedicated subscriber connection shared by every session of the process.
 * ioredis restores the subscriptions itself after a reconnect; listeners of onResubscribed then
 * re-read the state they wait on, because messages published during the outage are gone.
 */
export class RedisBus extends Bus {
  private readonly logger = new Logger('RedisBus');
  private readonly channels = new HandlerRegistry();
  private readonly shards = new HandlerRegistry();
  private readonly patterns = new HandlerRegistry();
  /** The SUBSCRIBE (or SSUBSCRIBE) in flight per channel: every handler that comes meanwhile waits for it, not just the first. */
  private readonly subscribing = new Map<string, Promise<unknown>>();
  private readonly resubscribedListeners = new Set<() => void>();

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    /** Where SSUBSCRIBE goes: the subscriber itself in Cluster mode, else a connection of its own (RedisConnections). */
    private readonly shardSubscriber: RedisClient = subscriber,
  ) {
    super();
    const onError = (err: unknown) => this.logger.error(`Message handler failed: ${String(err)}`);
    subscriber.on('message', (channel: string, message: string) => this.channels.dispatch(channel, message, channel, onError));
    shardSubscriber.on('smessage', (channel: string, message: string) => this.shards.dispatch(channel, message, channel, onError));
    subscriber.on('pmessage', (pattern: string, channel: string, message: string) => this.patterns.dispatch(pattern, message, channel, onError));
    if (subscriber instanceof Cluster && publisher instanceof Cluster) this.resyncOnClusterChange(publisher, subscriber);
    for (const s of new Set([subscriber, shardSubscriber])) {
      let wasDisconnected = false;
      s.on('close', () => (wasDisconnected = true));
      s.on('ready', () => {
        if (!wasDisconnected) return;
        wasDisconnected = false;
        // ioredis re-sends SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE on 'ready'; give it that round trip before listeners re-read state.
        this.notifyResubscribed(s);
      });
    }
  }

  /**
   * In a Cluster a node can fail without the subscriber object closing: its subscription moves to
   * another node, and a message the lost master published may never have crossed the cluster bus.
   * So after a node is lost, each slot refresh for a while (the promotion takes seconds) tells the
   * listeners to re-read.
   */
  private resyncOnClusterChange(publisher: Cluster, subscriber: Cluster): void {
    let lostAt = 0;
    let timer: NodeJS.Timeout | undefined;
    const lost = () => (lostAt = Date.now());
    const refreshed = () => {
      if (Date.now() - lostAt > CLUSTER_RESYNC_WINDOW_MS || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        this.notifyResubscribed();
      }, 300);
      timer.unref();
    };
    for (const c of [publisher, subscriber]) {
      c.on('-node', lost);
      c.on('refresh', refreshed);
    }
    // The sharded subscribers reconnect on their own (to the promoted master): re-read once they are back.
    subscriber.on('subscribersReady', () => {
      lost();
      refreshed();
    });
  }

  private notifyResubscribed(via: RedisClient = this.subscriber): void {
    void via.ping().then(
      () => this.resubscribedListeners.forEach((l) => l()),
      () => undefined,
    );
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.publish(channel, message);
  }

  subscribe(channel: string, handler: MessageHandler): Promise<() => void> {
    return this.join(this.channels, channel, handler, 'SUBSCRIBE');
  }

  subscribeShard(channel: string, handler: MessageHandler): Promise<() => void> {
    return this.join(this.shards, channel, handler, 'SSUBSCRIBE');
  }

  private async join(registry: HandlerRegistry, channel: string, handler: MessageHandler, verb: 'SUBSCRIBE' | 'SSUBSCRIBE'): Promise<() => void> {
    // A sharded and a classic channel never share a name (the sessions' live channels are the only sharded ones).
    if (registry.add(channel, handler)) {
      const pending = verb === 'SUBSCRIBE' ? this.subscriber.subscribe(channel) : this.shardSubscriber.ssubscribe(channel);
      this.subscribing.set(channel, pending);
      // Only while in flight: an open stream keeps no settled promise.
      const settle = () => void (this.subscribing.get(channel) === pending && this.subscribing.delete(channel));
      pending.then(settle, settle);
    }
    try {
      await this.subscribing.get(channel);
    } catch (err) {
      if (registry.remove(channel, handler)) this.subscribing.delete(channel);
      throw err;
    }
    return () => {
      if (registry.remove(channel, handler)) {
        this.subscribing.delete(channel);
        const leave = verb === 'SUBSCRIBE' ? this.subscriber.unsubscribe(channel) : this.shardSubscriber.sunsubscribe(channel);
        leave.catch((err) => this.logger.warn(`UN${verb} ${channel} failed: ${String(err)}`));
      }
    };
  }

  async psubscribe(pattern: string, handler: MessageHandler): Promise<() => void> {
    if (this.patterns.add(pattern, handler)) await this.subscriber.psubscribe(pattern);
    return () => {
      if (this.patterns.remove(pattern, handler)) void this.subscriber.punsubscribe(pattern).catch(() => undefined);
    };
  }

  onResubscribed(listener: () => void): () => void {
    this.resubscribedListeners.add(listener);
    return () => void this.resubscribedListeners.delete(listener);
  }
}
