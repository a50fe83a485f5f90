import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';

/**
 * Set as soon as shutdown begins (Nest calls onModuleDestroy before any other shutdown hook):
 * readiness answers 503 and no new stream is accepted while open ones are handed off.
 */
@Injectable()
export class DrainState implements OnModuleDestroy {
  private readonly logger = new Logger('Shutdown');
  draining = false;

  onModuleDestroy(): void {
    this.draining = true;
    this.logger.log('Draining: readiness is 503, new streams are refused, open streams get retry: and close');
  }
}
