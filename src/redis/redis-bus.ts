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
  private readonly patterns = new HandlerRegistry();
  /** The SUBSCRIBE in flight per channel: every handler that comes meanwhile waits for it, not just the first. */
  private readonly subscribing = new Map<string, Promise<unknown>>();
  private readonly resubscribedListeners = new Set<() => void>();
  private wasDisconnected = false;

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
  ) {
    super();
    const onError = (err: unknown) => this.logger.error(`Message handler failed: ${String(err)}`);
    subscriber.on('message', (channel: string, message: string) => this.channels.dispatch(channel, message, channel, onError));
    subscriber.on('pmessage', (pattern: string, channel: string, message: string) => this.patterns.dispatch(pattern, message, channel, onError));
    subscriber.on('close', () => (this.wasDisconnected = true));
    if (subscriber instanceof Cluster && publisher instanceof Cluster) this.resyncOnClusterChange(publisher, subscriber);
    subscriber.on('ready', () => {
      if (!this.wasDisconnected) return;
      this.wasDisconnected = false;
      // ioredis re-sends SUBSCRIBE/PSUBSCRIBE on 'ready'; give it that round trip before listeners re-read state.
      this.notifyResubscribed();
    });
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
  }

  private notifyResubscribed(): void {
    void this.subscriber.ping().then(
      () => this.resubscribedListeners.forEach((l) => l()),
      () => undefined,
    );
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.publish(channel, message);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => void> {
    if (this.channels.add(channel, handler)) {
      const pending = this.subscriber.subscribe(channel);
      this.subscribing.set(channel, pending);
      // Only while in flight: an open stream keeps no settled promise.
      const settle = () => void (this.subscribing.get(channel) === pending && this.subscribing.delete(channel));
      pending.then(settle, settle);
    }
    try {
      await this.subscribing.get(channel);
    } catch (err) {
      if (this.channels.remove(channel, handler)) this.subscribing.delete(channel);
      throw err;
    }
    return () => {
      if (this.channels.remove(channel, handler)) {
        this.subscribing.delete(channel);
        this.subscriber.unsubscribe(channel).catch((err) => this.logger.warn(`UNSUBSCRIBE ${channel} failed: ${String(err)}`));
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
