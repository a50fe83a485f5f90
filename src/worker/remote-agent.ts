import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreUnavailableError } from '../common/store-errors';
import { InstanceId } from '../redis/instance-id';
import { Agent, AgentContext, AgentStep } from '../runs/agent/agent.port';
import { WorkerStore } from './persistence/worker-store.port';

/**
 * The agent of AGENT=worker: where the RunDriver would ask for the next step, the run joins the
 * ready queue (atomically, as long as this instance still holds it) and the driver lets it go. A
 * worker claims it and writes its steps through the worker API; on an approval the run comes back to
 * an instance, which holds it paused and, once approved, asks here again.
 */
@Injectable()
export class RemoteAgent extends Agent {
  private readonly logger = new Logger(RemoteAgent.name);

  constructor(
    private readonly store: WorkerStore,
    private readonly instance: InstanceId,
  ) {
    super();
  }

  async step(ctx: AgentContext): Promise<AgentStep> {
    for (let attempt = 0; !ctx.signal.aborted; attempt++) {
      try {
        // false: the run is no longer ours (cancelled, taken over) — nothing left to hand over.
        await this.store.makeReady(ctx.run.sessionId, this.instance.value);
        break;
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        if (attempt === 0) this.logger.warn(`Run ${ctx.run.sessionId}: queueing for workers failed (${err.message}), retrying`);
        await sleep(Math.min(100 * 2 ** attempt, 2000), undefined, { signal: ctx.signal }).catch(() => undefined);
      }
    }
    return { kind: 'handed_off' };
  }
}
