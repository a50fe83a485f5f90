import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { every } from '../common/every';
import { LedgerOutbox } from '../redis/ledger-outbox.port';
import { ALL_BUCKETS } from '../redis/redis-names';
import { RedisLedgerOutbox } from './ledger-changes';

/** One bucket a second, in turn: a steady trickle of one command, each bucket every BUCKETS seconds. */
const SWEEP_MS = 1000;
/** A writer applies its records within milliseconds; a mark older than this was left by one that died. */
const GRACE_MS = 3000;
const PER_BUCKET = 50;

/**
 * Every instance applies what a crashed writer left in a session's outbox (the records of a step or
 * decision whose other-slot writes never happened): the inbox and deadlines, the limits, the audit
 * trail, webhooks and the ready queue catch up within a few seconds. Idle without Redis.
 */
@Injectable()
export class LedgerRepair implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(LedgerRepair.name);
  private stop?: () => void;

  constructor(@Optional() @Inject(LedgerOutbox) private readonly outbox: LedgerOutbox | null) {}

  onModuleInit(): void {
    const outbox = this.outbox;
    if (!(outbox instanceof RedisLedgerOutbox)) return;
    let turn = 0;
    this.stop = every(SWEEP_MS, async () => {
      const repaired = await outbox.repair(ALL_BUCKETS[turn++ % ALL_BUCKETS.length], GRACE_MS, PER_BUCKET);
      if (repaired > 0) this.logger.log(`Applied the outbox of ${repaired} session(s) a writer left`);
    }, this.logger);
  }

  beforeApplicationShutdown(): void {
    this.stop?.();
  }
}
