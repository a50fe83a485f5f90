import { Injectable } from '@nestjs/common';

/**
 * Tells the parts that wait on stored runs that the store lost its data (flushed, or failed over
 * without persistence), as the lease heartbeat notices it: nothing it held can be waited on.
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
