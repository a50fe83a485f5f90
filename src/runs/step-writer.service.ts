import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreUnavailableError } from '../common/store-errors';
import { ThrottledLog } from '../common/throttled-log';
import { isoNow } from '../common/time';
import { AppConfig } from '../config/app-config';
import { broadcastEnvelope, doneEvent, RUN_LOST_MESSAGE, runErrorEvent } from '../contract/events';
import type { HitlRequest } from '../contract/hitl.types';
import { RunRecord, isTerminal } from '../contract/run.types';
import { MetricsService } from '../metrics/metrics.service';
import { InstanceId } from '../redis/instance-id';
import { RunStore, StepWrite } from './persistence/run-store.port';
import type { Step } from './step-plan';
import { isBehind } from './store-loss';

/** A step as written: the run as it now stands and, for a resume on an approval, the request as stored. */
export interface Written {
  run: RunRecord;
  approved?: HitlRequest;
}

/** Writes a run's steps as this instance, from the position it read, riding out store outages. */
@Injectable()
export class StepWriter implements BeforeApplicationShutdown {
  private readonly logger = new Logger(StepWriter.name);
  private stopping = false;
  /** Every run's writes fail alike in an outage: one line per cause every few seconds, not one per run and attempt. */
  private readonly failures = new ThrottledLog((line) => this.logger.warn(line));

  constructor(
    private readonly runs: RunStore,
    private readonly config: AppConfig,
    private readonly instance: InstanceId,
    private readonly metrics: MetricsService,
  ) {}

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  /**
   * Ends a run the store rolled back (its record is behind what this instance wrote): run_error
   * {run_lost} and done {failed} from the stored position, so no instance drives it again. Streams
   * that saw more end on their own (StreamService), with ids after what they were sent.
   */
  async endLost(stored: RunRecord): Promise<void> {
    if (stored.owner !== this.instance.value || isTerminal(stored.status)) return;
    this.logger.error(`Run ${stored.sessionId} was rolled back by the store (at step ${stored.cursor}, seq ${stored.seq}): it ends as lost`);
    const events = [runErrorEvent('run_lost', RUN_LOST_MESSAGE), doneEvent('failed')];
    await this.write(stored, { events, nextCursor: stored.cursor + 1, status: 'failed', approvedRequestId: null });
  }

  /**
   * Writes one step. Retries while the store is unreachable; when the write was refused because the
   * state moved (our own earlier write whose reply was lost, a cancel, a takeover), re-reads the
   * run and goes on from what is stored, or stops if it is no longer ours to drive.
   */
  async write(run: RunRecord, step: Step): Promise<Written | null> {
    const now = isoNow();
    const write: StepWrite = {
      sessionId: run.sessionId,
      owner: this.instance.value,
      expectCursor: run.cursor,
      expectSeq: run.seq,
      broadcasts: this.config.runs.eventsBroadcast ? step.events.map((e) => broadcastEnvelope(run, e, now)) : [],
      ...step,
    };
    for (let attempt = 0; !this.stopping; attempt++) {
      let result;
      try {
        result = await this.runs.append(write);
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        this.failures.log(err.message, `Run ${run.sessionId}: write failed (${err.message}), retrying`);
        await sleep(Math.min(100 * 2 ** attempt, 2000));
        continue;
      }
      if (result.ok) {
        this.metrics.eventsPublished.inc(step.events.length);
        const state = step.state === undefined ? run.state : step.state;
        const written = { ...run, cursor: step.nextCursor, seq: result.seq, status: step.status, requestId: step.request?.requestId ?? null, approvedRequestId: step.approvedRequestId, state };
        return { run: written, approved: result.approved };
      }
      if (result.reason !== 'stale') return null;
      const stored = await this.runs.getRun(run.sessionId);
      if (!stored || stored.owner !== this.instance.value || isTerminal(stored.status)) return null;
      // Behind what we wrote: the store came back from an older snapshot. Going on from there would repeat steps.
      if (isBehind(stored, run)) {
        await this.endLost(stored);
        return null;
      }
      return { run: stored };
    }
    return null;
  }

}
