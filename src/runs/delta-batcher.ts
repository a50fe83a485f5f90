import { contentDelta } from '../contract/events';
import type { AuraEvent } from '../contract/run.types';

/**
 * Collects the text an agent streams during one step and writes it at most once every `flushMs`
 * (never one write per token); consecutive chunks of one message become one delta event. What is
 * left when the step ends goes out with the step's own write.
 */
export class DeltaBatcher {
  private chunks: { messageId: string; text: string }[] = [];
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly flushMs: number,
    private readonly write: (events: AuraEvent[]) => Promise<void>,
  ) {}

  push(messageId: string, chunk: string): void {
    if (!chunk) return;
    const last = this.chunks.at(-1);
    if (last && last.messageId === messageId) last.text += chunk;
    else this.chunks.push({ messageId, text: chunk });
    // The first chunk after a flush starts the clock: writes are at least flushMs apart, and no chunk waits longer.
    this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** Stops the clock and answers what is still buffered, once the flush in progress (if any) is written. */
  async finish(): Promise<AuraEvent[]> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    return this.take();
  }

  private flush(): void {
    this.timer = undefined;
    const events = this.take();
    if (events.length > 0) this.writing = this.writing.then(() => this.write(events)).catch(() => undefined);
  }

  private take(): AuraEvent[] {
    const events = this.chunks.map((c) => contentDelta(c.messageId, c.text));
    this.chunks = [];
    return events;
  }
}
