/**
 * Publish/subscribe between instances. With Redis, one subscriber connection per process carries
 * every classic channel, and one per shard the sessions' sharded channels; without Redis, an
 * in-process bus serves a single instance.
 */
export type MessageHandler = (message: string, channel: string) => void;

/** A classic channel by name, or a sharded one (SPUBLISH/SSUBSCRIBE, bound to its name's hash slot). */
export type Channel = string | { shard: string };

export abstract class Bus {
  abstract publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is active; the returned function drops this handler. */
  abstract subscribe(channel: string, handler: MessageHandler): Promise<() => void>;
  /** A sharded channel (a session's live events): in a Cluster, heard from the master of its slot only. */
  abstract subscribeShard(channel: string, handler: MessageHandler): Promise<() => void>;
  abstract psubscribe(pattern: string, handler: MessageHandler): Promise<() => void>;
  /** Called after the connection came back and the subscriptions were restored; returns the function that stops it. */
  abstract onResubscribed(listener: () => void): () => void;

  /**
   * Subscribes, and calls `onResync` after every reconnect (messages sent meanwhile are gone, so
   * the listener re-reads what it follows); the returned function stops both.
   */
  async subscribeWithResync(channel: Channel, handler: MessageHandler, onResync: () => void): Promise<() => void> {
    const stopResync = this.onResubscribed(onResync);
    try {
      const unsubscribe = typeof channel === 'string' ? await this.subscribe(channel, handler) : await this.subscribeShard(channel.shard, handler);
      return () => {
        stopResync();
        unsubscribe();
      };
    } catch (err) {
      stopResync();
      throw err;
    }
  }
}

/**
 * Handlers by channel (or pattern), reference-counted so the transport subscribes once per name.
 * A name with one handler (a stream's session channel, nearly always) holds it without a Set.
 */
export class HandlerRegistry {
  private readonly handlers = new Map<string, MessageHandler | Set<MessageHandler>>();

  /** Returns true when this is the name's first handler. */
  add(name: string, handler: MessageHandler): boolean {
    const held = this.handlers.get(name);
    if (!held) {
      this.handlers.set(name, handler);
      return true;
    }
    if (held === handler) return false;
    if (typeof held === 'function') this.handlers.set(name, new Set([held, handler]));
    else held.add(handler);
    return false;
  }

  /** Returns true when the name has no handler left. */
  remove(name: string, handler: MessageHandler): boolean {
    const held = this.handlers.get(name);
    if (held === handler) {
      this.handlers.delete(name);
      return true;
    }
    if (!held || typeof held === 'function' || !held.delete(handler)) return false;
    if (held.size === 1) this.handlers.set(name, held.values().next().value as MessageHandler);
    return false;
  }

  dispatch(name: string, message: string, channel: string, onError: (err: unknown) => void): void {
    const held = this.handlers.get(name);
    if (typeof held === 'function') call(held, message, channel, onError);
    else held?.forEach((handler) => call(handler, message, channel, onError));
  }
}

function call(handler: MessageHandler, message: string, channel: string, onError: (err: unknown) => void): void {
  try {
    handler(message, channel);
  } catch (err) {
    onError(err);
  }
}
