import { Injectable, Logger, BeforeApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { every } from '../common/every';
import { HitlService } from './hitl.service';

const SWEEP_MS = 250;
const BATCH = 200;

/**
 * Every instance sweeps for requests past their deadline (by the store's clock); the atomic
 * expire makes each one expire exactly once, and its signal ends the run wherever it waits.
 */
@Injectable()
export class ExpirySweep implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(ExpirySweep.name);
  private stop?: () => void;

  constructor(private readonly hitl: HitlService) {}

  onModuleInit(): void {
    this.stop = every(SWEEP_MS, () => this.hitl.expireDue(BATCH), this.logger);
  }

  beforeApplicationShutdown(): void {
    this.stop?.();
  }
}
