import { BeforeApplicationShutdown, ConflictException, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { isoNow } from '../common/time';
import { V12_DECISIONS } from '../contract/hitl.types';
import { AppConfig } from '../config/app-config';
import { broadcastEnvelope } from '../contract/events';
import { RunRecord, isTerminal } from '../contract/run.types';
import { MetricsService } from '../metrics/metrics.service';
import { InstanceId } from '../redis/instance-id';
import type { ApprovalAsk, WritableStep } from '../runs/agent/agent.port';
import { RunStore, StepWrite } from '../runs/persistence/run-store.port';
import { RunDriver } from '../runs/run-driver.service';
import { planStep } from '../runs/step-plan';
import { StoreClock } from '../runs/store-clock';
import { decisionsOf } from '../runs/decision-resume';
import { HitlStore } from '../hitl/persistence/hitl-store.port';
import { checkStep, StepDto } from './dto/worker.dto';
import { LeaseIds } from './lease-id';
import { ClaimedRun, WorkerStore } from './persistence/worker-store.port';
import { makeReceipt, repeatedStepSeq, stepDigest } from './step-receipt';

/** A wake-up that arrived while no claim waited but some were asking the store: the next of them asks again. */
const MAX_MISSED_WAKES = 1000;

const lost = (sessionId: string) =>
  new ConflictException(`The lease on run ${sessionId} is no longer yours (it lapsed, another worker has the run, or the run was cancelled or ended)`);
const notYours = () => new ConflictException('This lease was issued to another worker token (sub): a lease belongs to the token that claimed it');
const elsewhere = (sessionId: string, expected: number, seq: number) =>
  new ConflictException(`Run ${sessionId} is at seq ${seq}, not at expectedSeq ${expected}: this step was written from another position, or never`);

/**
 * The worker API (AGENT=worker): claims with long poll, steps, lease renewal.
 *
 * A waiting claim costs nothing while it waits: it sits in `idle` (a resolver and a timer) until a
 * wake-up comes over the process's one shared subscriber (one message per run made ready, on any
 * instance), and only then asks the store once. One message wakes one local claim, so a ready run
 * costs each instance one claim script, whatever the number of waiters.
 */
@Injectable()
export class WorkerService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkerService.name);
  private readonly idle: ((woken: boolean) => void)[] = [];
  private claiming = 0;
  private missedWakes = 0;
  private stopping = false;
  private stopListening?: () => void;
  private readonly leases: LeaseIds;

  constructor(
    private readonly store: WorkerStore,
    private readonly runs: RunStore,
    private readonly driver: RunDriver,
    private readonly clock: StoreClock,
    private readonly config: AppConfig,
    private readonly instance: InstanceId,
    private readonly metrics: MetricsService,
    private readonly requests: HitlStore,
  ) {
    this.leases = new LeaseIds(config.auth.jwtSecret);
  }

  onModuleInit(): void {
    // Not awaited: with Redis down at start-up the subscription waits in ioredis's queue.
    this.store
      .listen(
        () => this.wakeOne(),
        // Wake-ups sent while the subscriber reconnected are gone: every waiting claim looks once.
        () => this.idle.splice(0).forEach((wake) => wake(true)),
      )
      .then((stop) => (this.stopping ? stop() : (this.stopListening = stop)))
      .catch((err) => this.logger.error(`Listening for ready runs failed: ${String(err)}`));
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
    this.stopListening?.();
    this.idle.splice(0).forEach((wake) => wake(false));
  }

  /** The next ready run, leased to a fresh leaseId; waits up to `waitSeconds` for one; null when none came. */
  async claim(workerSub: string, waitSeconds: number, gone: AbortSignal): Promise<ClaimedRun | null> {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      if (this.stopping || gone.aborted) return null;
      const claimed = await this.claimOnce(workerSub);
      if (claimed?.decision) claimed.decisions = await decisionsOf(this.requests, claimed.decision);
      if (claimed) {
        if (!gone.aborted) return claimed;
        // The caller left while we claimed: give the run back rather than let its lease lapse.
        await this.handBack(claimed.run.sessionId, claimed.leaseId);
        return null;
      }
      if (this.missedWakes > 0) {
        this.missedWakes--;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.waitForWake(left, gone))) return null;
    }
  }

  /**
   * Writes one step of a worker's run atomically, as its lease holder, from the position it names
   * (`expectedSeq`; the stored one when omitted). The same step again from the same position is
   * answered as the first time and writes nothing, also after the step ended the lease.
   */
  async step(workerSub: string, sessionId: string, body: StepDto): Promise<{ seq: number }> {
    const events = checkStep(body);
    if (!this.leases.belongsTo(body.leaseId, workerSub)) throw notYours();
    const digest = stepDigest(body);
    const before = await this.runs.getRun(sessionId);
    const repeated = body.expectedSeq === undefined ? null : repeatedStepSeq(before?.receipt, body.leaseId, body.expectedSeq, digest);
    if (repeated !== null) return { seq: repeated };
    // A step is also a sign of life: it renews the lease, so the run cannot be adopted while it is written.
    if ((await this.store.renew(sessionId, body.leaseId, this.config.runs.leaseMs)) === null) throw lost(sessionId);
    const run = await this.runs.getRun(sessionId);
    if (!run || run.owner !== body.leaseId || isTerminal(run.status)) throw lost(sessionId);
    const from = body.expectedSeq ?? run.seq;
    if (from !== run.seq) {
      // The same step sent twice at once: the other copy may have written it between our two reads.
      const written = repeatedStepSeq(run.receipt, body.leaseId, from, digest);
      if (written !== null) return { seq: written };
      throw elsewhere(sessionId, from, run.seq);
    }
    const asks = (body.approvals ?? (body.approval ? [body.approval] : [])).map(
      (a): ApprovalAsk => ({
        toolName: a.toolName,
        params: a.params,
        message: a.message,
        ...(a.paramsSchema ? { paramsSchema: a.paramsSchema } : {}),
        allowedDecisions: a.allowedDecisions ?? [...V12_DECISIONS],
      }),
    );
    const step: WritableStep = asks.length
      ? { kind: 'approval', events, state: body.state, ...asks[0], ...(asks.length > 1 ? { more: asks.slice(1) } : {}) }
      : body.finish
        ? { kind: 'finish', events, state: body.state, status: body.finish }
        : { kind: 'continue', events, state: body.state };
    const planned = planStep(run, step, this.clock.now(), this.config.hitl.timeoutSeconds);
    const now = isoNow();
    const write: StepWrite = {
      sessionId,
      owner: body.leaseId,
      expectCursor: run.cursor,
      expectSeq: run.seq,
      broadcasts: this.config.runs.eventsBroadcast ? planned.events.map((e) => broadcastEnvelope(run, e, now)) : [],
      ...planned,
      receipt: makeReceipt(body.leaseId, from, digest, run.seq + planned.events.length),
    };
    const result = await this.runs.append(write);
    if (!result.ok) {
      // Refused: nothing was written by this call. The same step sent twice at once: the other copy wrote it.
      const again = body.expectedSeq === undefined ? null : repeatedStepSeq((await this.runs.getRun(sessionId))?.receipt, body.leaseId, from, digest);
      if (again !== null) return { seq: again };
      throw lost(sessionId);
    }
    this.metrics.eventsPublished.inc(planned.events.length);
    // A pause hands the run back to this instance, which holds it until the decision; a finish just ends the lease.
    if (step.kind !== 'continue') await this.handBack(sessionId, body.leaseId);
    return { seq: result.seq };
  }

  /** Extends the lease; 409 when it is lost or another worker's. */
  async renew(workerSub: string, sessionId: string, leaseId: string): Promise<{ leaseExpiresAt: string }> {
    if (!this.leases.belongsTo(leaseId, workerSub)) throw notYours();
    const deadline = await this.store.renew(sessionId, leaseId, this.config.runs.leaseMs);
    if (deadline === null) throw lost(sessionId);
    return { leaseExpiresAt: isoNow(deadline) };
  }

  /** Ends a lease; a run it still holds comes to this instance, whose driver holds it paused or queues it again. */
  private async handBack(sessionId: string, leaseId: string): Promise<void> {
    await this.store.release(sessionId, leaseId, this.instance.value);
    const run: RunRecord | null = await this.runs.getRun(sessionId);
    if (run && run.owner === this.instance.value && !isTerminal(run.status)) this.driver.start(run);
  }

  private async claimOnce(workerSub: string): Promise<ClaimedRun | null> {
    this.claiming++;
    try {
      return await this.store.claimReady(this.leases.mint(workerSub), this.config.runs.leaseMs);
    } finally {
      this.claiming--;
    }
  }

  private wakeOne(): void {
    const wake = this.idle.shift();
    if (wake) wake(true);
    else if (this.claiming > 0) this.missedWakes = Math.min(this.missedWakes + 1, MAX_MISSED_WAKES);
  }

  /** Resolves true when woken, false at the deadline, when the caller left, or on shutdown. No store command meanwhile. */
  private waitForWake(ms: number, gone: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (woken: boolean) => {
        clearTimeout(timer);
        gone.removeEventListener('abort', onAbort);
        const i = this.idle.indexOf(done);
        if (i >= 0) this.idle.splice(i, 1);
        resolve(woken);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), ms);
      gone.addEventListener('abort', onAbort);
      this.idle.push(done);
    });
  }
}
