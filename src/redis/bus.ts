/**
 * Publish/subscribe between instances. With Redis, one subscriber connection per process carries
 * every channel; without it, an in-process bus serves a single instance.
 */
export type MessageHandler = (message: string, channel: string) => void;

export abstract class Bus {
  abstract publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is active; the returned function drops this handler. */
  abstract subscribe(channel: string, handler: MessageHandler): Promise<() => void>;
  abstract psubscribe(pattern: string, handler: MessageHandler): Promise<() => void>;
  /** Called after the connection came back and the subscriptions were restored; returns the function that stops it. */
  abstract onResubscribed(listener: () => void): () => void;

  /**
   * Subscribes, and calls `onResync` after every reconnect (messages sent meanwhile are gone, so
   * the listener re-reads what it follows); the returned function stops both.
   */
  async subscribeWithResync(channel: string, handler: MessageHandler, onResync: () => void): Promise<() => void> {
    const stopResync = this.onResubscribed(onResync);
    try {
      const unsubscribe = await this.subscribe(channel, handler);
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

/** Handlers by channel (or pattern), reference-counted so the transport subscribes once per name. */
export class HandlerRegistry {
  private readonly handlers = new Map<string, Set<MessageHandler>>();

  /** Returns true when this is the name's first handler. */
  add(name: string, handler: MessageHandler): boolean {
    let set = this.handlers.get(name);
    const first = !set;
    if (!set) this.handlers.set(name, (set = new Set()));
    set.add(handler);
    return first;
  }

  /** Returns true when the name has no handler left. */
  remove(name: string, handler: MessageHandler): boolean {
    const set = this.handlers.get(name);
    if (!set || !set.delete(handler)) return false;
    if (set.size === 0) this.handlers.delete(name);
    return set.size === 0;
  }

  dispatch(name: string, message: string, channel: string, onError: (err: unknown) => void): void {
    const set = this.handlers.get(name);
    if (!set) return;
    for (const handler of set) {
      try {
        handler(message, channel);
      } catch (err) {
        onError(err);
      }
    }
  }
}
