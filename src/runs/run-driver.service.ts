import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config/app-config';
import { doneEvent, runErrorEvent } from '../contract/events';
import type { HitlRequest } from '../contract/hitl.types';
import { AuraEvent, RunRecord, isTerminal } from '../contract/run.types';
import { HitlSignalService } from '../hitl/hitl-signal.service';
import { HitlStore } from '../hitl/persistence/hitl-store.port';
import { MetricsService } from '../metrics/metrics.service';
import { InstanceId } from '../redis/instance-id';
import { Agent, AgentFailure, AgentStep, WritableStep } from './agent/agent.port';
import { RunStore } from './persistence/run-store.port';
import { planStep, Step } from './step-plan';
import { StepWriter } from './step-writer.service';
import { DeltaBatcher } from './delta-batcher';
import { abortOnEnd } from './abort-on-end';
import { StoreClock } from './store-clock';
import { afterDecision, decisionsOf, goneRequest, readDecision, Resume } from './decision-resume';
import { isBehind } from './store-loss';


/**
 * Drives the runs this instance owns: asks the agent for each step and writes it atomically
 * (events + state + position) before the next, pauses on approvals, resumes on decisions.
 * Ownership and takeover are the LeaseKeeper's; watching a run is the StreamService's.
 */
@Injectable()
export class RunDriver implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(RunDriver.name);
  /** Sessions of the runs this instance drives, stepping or paused. */
  private readonly driving = new Set<string>();
  /** Paused runs by the request they wait on: one map entry each, no promise, frame or timer. */
  private readonly paused = new Map<string, RunRecord>();
  /** The agent steps in progress: aborted on shutdown. (AbortSignal.any on one long-lived signal piles up dependents in Node 20.) */
  private readonly inFlight = new Set<AbortController>();
  private stopping = false;

  constructor(
    private readonly runs: RunStore,
    private readonly writer: StepWriter,
    private readonly requests: HitlStore,
    private readonly agent: Agent,
    private readonly signals: HitlSignalService,
    private readonly clock: StoreClock,
    private readonly config: AppConfig,
    private readonly instance: InstanceId,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.signals.onSignal((signal, request) => {
      // A request of a group is waited on under the group's id; a group is always read whole from the store.
      const key = this.paused.has(signal.requestId) ? signal.requestId : request?.groupId;
      if (!key || !this.paused.has(key)) return;
      if (request && request.status !== 'pending' && request.groupSize <= 1) this.resume(key, { request, stored: true });
      else void this.check(key);
    });
    // Signals published while the subscriber was reconnecting are gone: re-read what we wait on.
    this.signals.onResync(() => this.recheckPaused());
    this.metrics.pausedRunsSource = () => this.paused.size;
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
    this.inFlight.forEach((step) => step.abort());
    this.paused.clear();
  }

  /** Re-reads every request a paused run waits on: decided ones resume, gone ones end (a lost store). */
  recheckPaused(): void {
    this.paused.forEach((_, requestId) => void this.check(requestId));
  }

  /**
   * After the store lost or rolled back data: a paused run whose record is behind what this
   * instance wrote ends as lost (resuming it would repeat steps); the others re-read their request.
   * A run stepping meets the same check at its next write (StepWriter).
   */
  async recheckHeld(): Promise<void> {
    for (const [requestId, held] of [...this.paused]) {
      const stored = await this.runs.getRun(held.sessionId);
      if (!stored || !isBehind(stored, held)) {
        void this.check(requestId);
        continue;
      }
      this.paused.delete(requestId);
      this.driving.delete(held.sessionId);
      await this.writer.endLost(stored);
    }
  }

  isDriving(sessionId: string): boolean {
    return this.driving.has(sessionId);
  }

  /** Drives the run from its last written step, unless this instance already does. */
  start(run: RunRecord): void {
    if (this.driving.has(run.sessionId) || this.stopping) return;
    this.driving.add(run.sessionId);
    void this.drive(run);
  }

  private async drive(run: RunRecord, decided?: Resume): Promise<void> {
    let waiting = false;
    try {
      waiting = await this.loop(run, decided);
    } catch (err) {
      if (this.stopping) return;
      this.logger.error(`Run ${run.sessionId} failed: ${err instanceof Error ? err.stack : String(err)}`);
      await this.fail(run.sessionId, err).catch((e) => this.logger.error(`Run ${run.sessionId} could not be marked failed: ${String(e)}`));
    } finally {
      if (!waiting) this.driving.delete(run.sessionId);
    }
  }

  /** Steps the run until it ends, or pauses (returns true: it waits in `paused`, `driving` keeps it). */
  private async loop(initial: RunRecord, decided?: Resume): Promise<boolean> {
    let run = initial;
    let decision = decided;
    /** The request the run resumed on, as the store returned it with the resume: the agent's steps need not read it back. */
    let approved: HitlRequest | undefined;
    while (!this.stopping && !isTerminal(run.status)) {
      let step: Step;
      let decidedAtMs = 0;
      if (run.status === 'paused' && run.requestId) {
        if (!decision) {
          this.paused.set(run.requestId, run);
          // Listening first, then reading: a decision stored before we listened is not lost.
          void this.check(run.requestId);
          return true;
        }
        step = afterDecision(run, decision);
        decidedAtMs = Date.parse(decision.request.decidedAt ?? '') || Date.now();
        decision = undefined;
      } else {
        const asked = await this.askAgent(run, approved);
        if (!asked || this.stopping) return false;
        // The hook for agents that live elsewhere: the agent already passed the run on (atomically, as its owner).
        if (asked.step.kind === 'handed_off') return false;
        run = asked.run;
        step = this.toWrite(run, asked.step, asked.deltas);
      }
      const next = await this.writer.write(run, step);
      if (!next) return false;
      if (decidedAtMs) this.metrics.decisionToResume.observe(Math.max(0, Date.now() - decidedAtMs) / 1000);
      run = next.run;
      approved = next.approved ?? approved;
    }
    return false;
  }

  /**
   * One step of the agent. Text it streams meanwhile is written in batches (the run's seq moves
   * on, its position does not); null when the run stopped being ours during the step.
   */
  private async askAgent(run: RunRecord, stored?: HitlRequest): Promise<{ step: AgentStep; run: RunRecord; deltas: AuraEvent[] } | null> {
    const decided = await this.approvedRequest(run, stored);
    const decisions = decided ? await decisionsOf(this.requests, decided) : undefined;
    const approved = decided?.status === 'approved' ? decided : undefined;
    const responded = decided?.status === 'responded' ? decided : undefined;
    const lost = new AbortController();
    this.inFlight.add(lost);
    let current = run;
    const stopWatching = abortOnEnd(this.runs, run.sessionId, this.instance.value, lost, undefined, () => current !== run);
    const batcher = new DeltaBatcher(this.config.runs.streamFlushMs, async (events) => {
      const next = await this.writer.write(current, { events, nextCursor: current.cursor, status: 'running', approvedRequestId: current.approvedRequestId });
      if (next) current = next.run;
      else lost.abort();
    });
    try {
      const step = await this.agent.step({
        run: { sessionId: run.sessionId, tenantId: run.tenantId, userId: run.userId, prompt: run.prompt, metadata: run.metadata },
        state: run.state,
        approved,
        responded,
        decisions,
        streamText: (messageId, chunk) => batcher.push(messageId, chunk),
        signal: lost.signal,
      });
      const deltas = await batcher.finish();
      return lost.signal.aborted ? null : { step, run: current, deltas };
    } catch (err) {
      await batcher.finish();
      if (lost.signal.aborted || this.stopping) return null;
      throw err;
    } finally {
      stopWatching();
      this.inFlight.delete(lost);
    }
  }

  /** The request the run is approved on, if any: as the store returned it when the run resumed, else read. */
  private async approvedRequest(run: RunRecord, stored?: HitlRequest): Promise<HitlRequest | undefined> {
    if (!run.approvedRequestId) return undefined;
    if (stored?.requestId === run.approvedRequestId) return stored;
    return (await this.requests.getRequest(run.approvedRequestId)) ?? undefined;
  }

  private toWrite(run: RunRecord, step: WritableStep, deltas: AuraEvent[]): Step {
    return planStep(run, { ...step, events: [...deltas, ...step.events] }, this.clock.now(), this.config.hitl.timeoutSeconds);
  }

  /** Ends a run whose agent failed: run_error, then done {failed}. */
  private async fail(sessionId: string, err: unknown): Promise<void> {
    const run = await this.runs.getRun(sessionId);
    if (!run || isTerminal(run.status) || run.owner !== this.instance.value) return;
    const error = err instanceof AgentFailure ? runErrorEvent(err.code, err.message) : runErrorEvent('agent_failed', 'The agent failed; the run was stopped.');
    await this.writer.write(run, { events: [error, doneEvent('failed')], nextCursor: run.cursor + 1, status: 'failed', approvedRequestId: null });
  }

  /** Resumes the run paused on the request (its group's id); a request that is gone counts as expired. */
  private resume(requestId: string, decided: Resume | 'gone'): void {
    const run = this.paused.get(requestId);
    if (!run || this.stopping) return;
    this.paused.delete(requestId);
    void this.drive(run, decided === 'gone' ? { request: goneRequest(run, requestId), stored: false } : decided);
  }

  /** Reads the request (or group) and resumes its run if it was decided; retries while the store is unreachable. */
  private async check(requestId: string, attempt = 0): Promise<void> {
    try {
      const decided = await readDecision(this.requests, requestId, () => this.metrics.decisions.inc({ outcome: 'cancelled' }));
      // Gone (its TTL passed, or the store lost it): the run must still end rather than wait forever.
      if (decided === 'gone') this.logger.error(`Request ${requestId} is gone; its run ends as expired`);
      if (decided) this.resume(requestId, decided);
    } catch (err) {
      if (this.stopping || !this.paused.has(requestId)) return;
      if (attempt === 0) this.logger.warn(`Reading request ${requestId} failed (${String(err)}); retrying`);
      await sleep(Math.min(100 * 2 ** attempt, 1000));
      await this.check(requestId, attempt + 1);
    }
  }
}
