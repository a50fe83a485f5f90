/** The raw response of one stream, below Nest's SSE serializer. */
export interface SseSink {
  write(chunk: string): unknown;
  cork(): void;
  uncork(): void;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
}

/**
 * Sends each stream's burst of frames as one socket write. Nest writes a stream's frames one at a
 * time, each after the previous one's callback, and Node uncorks the socket between them, so a run
 * step's five events cost five write syscalls; on a virtualised host that syscall is the largest
 * cost of a frame. A stream is corked when its first frame of a turn of the event loop is sent and
 * uncorked, with every other stream held in that turn, once the turn's I/O callbacks are done
 * (setImmediate): the frames leave in one write, in the same turn they were sent in.
 */
export class BurstWrites {
  private held: SseSink[] = [];
  private readonly holding = new WeakSet<SseSink>();

  /** Call before handing a frame to Nest. */
  hold(sink: SseSink): void {
    if (this.holding.has(sink) || sink.writableEnded) return;
    sink.cork();
    this.holding.add(sink);
    if (this.held.push(sink) === 1) setImmediate(() => this.release());
  }

  private release(): void {
    const held = this.held;
    this.held = [];
    for (const sink of held) {
      this.holding.delete(sink);
      // A response that ended meanwhile has been flushed (and uncorked) by Node.
      if (!sink.writableEnded) sink.uncork();
    }
  }
}
