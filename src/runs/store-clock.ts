import { Injectable } from '@nestjs/common';

/**
 * The store's clock (Redis TIME), as last seen by this instance's lease heartbeat: deadlines a
 * run writes (a request's expiresAt) follow it, so a pod with a skewed clock neither expires nor
 * takes over early.
 */
@Injectable()
export class StoreClock {
  private offsetMs = 0;

  /** Records a reading of the store's clock, taken at about local time `localMs`. */
  observe(storeMs: number, localMs: number): void {
    if (Number.isFinite(storeMs) && storeMs > 0) this.offsetMs = storeMs - localMs;
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }
}
