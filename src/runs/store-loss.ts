import { Injectable } from '@nestjs/common';

/**
 * Tells the parts that hold runs that the store may have lost data, as the lease heartbeat notices
 * it: all of it (flushed, or failed over without persistence: the epoch changed), or some (the
 * server restarted, from a snapshot older than what this instance wrote, or failed over: its id
 * changed). Each listener re-reads what it holds: a run gone, or behind what this instance wrote
 * or sent, cannot continue without repeating steps.
 */
@Injectable()
export class StoreLoss {
  private readonly listeners: (() => void)[] = [];

  onLost(listener: () => void): void {
    this.listeners.push(listener);
  }

  report(): void {
    this.listeners.forEach((l) => l());
  }
}

/** Whether the stored run is behind what this instance holds of it (the store rolled back). */
export const isBehind = (stored: { seq: number; cursor: number }, held: { seq: number; cursor: number }): boolean =>
  stored.seq < held.seq || stored.cursor < held.cursor;
