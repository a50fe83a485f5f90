import { Logger } from '@nestjs/common';
import { Bus, HandlerRegistry, MessageHandler } from './bus';

/** The in-process bus used when REDIS_URL is unset: one instance only. Delivery is async, like Redis. */
export class MemoryBus extends Bus {
  private readonly logger = new Logger('MemoryBus');
  private readonly channels = new HandlerRegistry();
  private readonly patterns = new HandlerRegistry();
  private readonly patternList: { pattern: string; prefix: string }[] = [];

  async publish(channel: string, message: string): Promise<void> {
    queueMicrotask(() => this.deliver(channel, message));
  }

  /** Synchronous delivery for the in-memory store, which must publish inside its atomic step. */
  deliver(channel: string, message: string): void {
    const onError = (err: unknown) => this.logger.error(`Handler failed on ${channel}: ${String(err)}`);
    this.channels.dispatch(channel, message, channel, onError);
    for (const { pattern, prefix } of this.patternList) {
      if (channel.startsWith(prefix)) this.patterns.dispatch(pattern, message, channel, onError);
    }
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => void> {
    this.channels.add(channel, handler);
    return () => void this.channels.remove(channel, handler);
  }

  /** One process has no shards: a sharded channel is a channel. */
  subscribeShard(channel: string, handler: MessageHandler): Promise<() => void> {
    return this.subscribe(channel, handler);
  }

  async psubscribe(pattern: string, handler: MessageHandler): Promise<() => void> {
    if (!pattern.endsWith('*') || pattern.slice(0, -1).includes('*')) {
      throw new Error(`MemoryBus supports only prefix patterns ("foo:*"), got ${pattern}`);
    }
    if (this.patterns.add(pattern, handler)) this.patternList.push({ pattern, prefix: pattern.slice(0, -1) });
    return () => {
      if (this.patterns.remove(pattern, handler)) {
        const i = this.patternList.findIndex((p) => p.pattern === pattern);
        if (i >= 0) this.patternList.splice(i, 1);
      }
    };
  }

  onResubscribed(): () => void {
    // Nothing to restore: an in-process bus never disconnects.
    return () => undefined;
  }
}
