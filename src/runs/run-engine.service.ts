import { BeforeApplicationShutdown, Injectable, Logger, NotFoundException, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuthUser } from '../auth/auth-user';
import { isoNow } from '../common/time';
import { AppConfig } from '../config/app-config';
import { HitlSignalService } from '../hitl/hitl-signal.service';
import { HitlRequest, HitlSignal } from '../hitl/hitl.types';
import { MetricsService } from '../metrics/metrics.service';
import { Bus } from '../redis/bus';
import { InstanceId } from '../redis/instance-id';
import { AppendInput, AuraStore } from '../store/aura-store';
import { Agent, AgentRun } from './agent/agent';
import { broadcastEnvelope, doneEvent, errorEvent, hitlDecisionEvent, hitlRequestEvent } from './run-events';
import { AuraEvent, DoneStatus, RunRecord, RunStatus, isTerminal } from './run.types';

type Step = Pick<AppendInput, 'events' | 'nextCursor' | 'status' | 'request'>;

/** How often every instance sweeps for expired requests and for runs whose owner's lease lapsed. */
const EXPIRY_SWEEP_MS = 250;
const ORPHAN_SWEEP_MS = 1000;

/**
 * Drives runs: asks the agent for each step and writes it atomically (events + position) before
 * the next, pauses on approvals, resumes on decisions. A run belongs to the instance that holds
 * its lease; when that instance's lease lapses, another takes the run over from its last written
 * step. Watching a run (SSE) is separate: see StreamService.
 */
@Injectable()
export class RunEngine implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(RunEngine.name);
  /** Sessions of the runs this instance drives, stepping or paused. */
  private readonly driving = new Set<string>();
  /** Paused runs of this instance by the request they wait on: one map entry each, no promise, frame or timer. */
  private readonly paused = new Map<string, RunRecord>();
  private readonly timers: NodeJS.Timeout[] = [];
  private stopping = false;

  constructor(
    private readonly store: AuraStore,
    private readonly agent: Agent,
    private readonly signals: HitlSignalService,
    private readonly bus: Bus,
    private readonly config: AppConfig,
    private readonly instance: InstanceId,
    private readonly metrics: MetricsService,
  ) {}

  get instanceId(): string {
    return this.instance.value;
  }

  async onModuleInit(): Promise<void> {
    this.signals.onSignal((signal, request) =>
      this.onSignal(signal, request).catch((err) => {
        this.logger.warn(`Signal for ${signal.requestId} failed (${String(err)}); re-reading the request`);
        if (this.paused.has(signal.requestId)) void this.check(signal.requestId);
      }),
    );
    // Messages published while the subscriber was reconnecting are gone: re-read what we wait on.
    this.bus.onResubscribed(() => this.paused.forEach((_, requestId) => void this.check(requestId)));
    this.metrics.pausedRunsSource = () => this.paused.size;
    await this.heartbeat().catch((err) => this.logger.warn(`First heartbeat failed (${String(err)}); retrying`));
    this.every(Math.max(100, Math.floor(this.config.runLeaseMs / 3)), () => this.heartbeat());
    this.every(EXPIRY_SWEEP_MS, async () => {
      const expired = await this.store.expireDue(Date.now(), 200);
      if (expired > 0) this.metrics.decisions.inc({ outcome: 'expired' }, expired);
    });
    this.every(ORPHAN_SWEEP_MS, () => this.adoptOrphans());
  }

  /** Stops driving (the lease is released so another instance takes over at once). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.timers.forEach(clearInterval);
    this.paused.clear();
    await this.store.releaseLease(this.instanceId).catch(() => undefined);
  }

  /** Starts the session's run, or answers the run it already has (another tenant's is 404). */
  async open(sessionId: string, user: AuthUser, prompt: string): Promise<RunRecord> {
    const fresh: RunRecord = {
      sessionId,
      tenantId: user.tenantId,
      userId: user.sub,
      prompt,
      status: 'running',
      cursor: 0,
      seq: 0,
      requestId: null,
      owner: this.instanceId,
      createdAt: isoNow(),
    };
    const { created, run } = await this.store.createRun(fresh);
    if (run.tenantId !== user.tenantId) throw new NotFoundException(`Session ${sessionId} not found`);
    if (created) {
      this.metrics.runsStarted.inc();
      this.start(run);
    } else if (!isTerminal(run.status) && !this.driving.has(sessionId)) {
      // A reconnect is a chance to adopt a run whose instance is gone, or to restart one of ours
      // that lost its driver (its creation's reply was lost, say).
      void this.takeOver(sessionId);
    }
    return run;
  }

  async exists(sessionId: string): Promise<boolean> {
    return (await this.store.getRun(sessionId)) !== null;
  }

  /** Cancels a run: its pending request becomes cancelled and the log ends with done {cancelled}. */
  async cancel(sessionId: string, user: AuthUser): Promise<'cancelled' | 'not_found' | 'ended'> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const run = await this.store.getRun(sessionId);
      if (!run || run.tenantId !== user.tenantId) return 'not_found';
      if (isTerminal(run.status)) return 'ended';
      const now = isoNow();
      let decision: AuraEvent | null = null;
      let requestStatus: 'pending' | 'approved' | null = null;
      if (run.requestId) {
        const req = await this.store.getRequest(run.requestId);
        // Rejected or expired but not yet written by the run (or gone, which the run ends as expired):
        // the run has ended in all but the log.
        if (!req || (req.status !== 'pending' && req.status !== 'approved')) return 'ended';
        requestStatus = req.status;
        decision = req.status === 'approved' ? hitlDecisionEvent(req) : hitlDecisionEvent({ requestId: run.requestId, sessionId, status: 'cancelled' });
      }
      const done = doneEvent('cancelled');
      const result = await this.store.cancel({
        sessionId,
        tenantId: user.tenantId,
        decidedBy: user.sub,
        now,
        expectStatus: run.status,
        expectRequestId: run.requestId,
        expectRequestStatus: requestStatus,
        decisionEvent: decision,
        doneEvent: done,
        broadcasts: {
          decision: decision && this.config.eventsBroadcast ? broadcastEnvelope(run, decision, now) : null,
          done: this.config.eventsBroadcast ? broadcastEnvelope(run, done, now) : '',
        },
      });
      if (result.outcome === 'retry') continue;
      if (result.outcome === 'cancelled') {
        if (requestStatus === 'pending') this.metrics.decisions.inc({ outcome: 'cancelled' });
        return 'cancelled';
      }
      return result.outcome;
    }
    throw new Error(`Run ${sessionId} kept changing while being cancelled`);
  }

  private start(run: RunRecord): void {
    if (this.driving.has(run.sessionId) || this.stopping) return;
    this.driving.add(run.sessionId);
    void this.drive(run);
  }

  /** Steps the run until it ends, or pauses (it then waits in `paused` and `driving` keeps it). */
  private async drive(run: RunRecord, decided?: HitlRequest): Promise<void> {
    let waiting = false;
    try {
      waiting = await this.loop(run, decided);
    } catch (err) {
      this.logger.error(`Run ${run.sessionId} failed: ${err instanceof Error ? err.stack : String(err)}`);
      await this.fail(run.sessionId).catch((e) => this.logger.error(`Run ${run.sessionId} could not be marked failed: ${String(e)}`));
    } finally {
      if (!waiting) this.driving.delete(run.sessionId);
    }
  }

  /** Returns true when the run paused for a decision. */
  private async loop(initial: RunRecord, decided?: HitlRequest): Promise<boolean> {
    let run = initial;
    let decision = decided;
    const agentRun: AgentRun = { sessionId: run.sessionId, tenantId: run.tenantId, userId: run.userId, prompt: run.prompt };
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
        step = this.afterDecision(run, decision);
        decidedAtMs = Date.parse(decision.decidedAt ?? '') || Date.now();
        decision = undefined;
      } else {
        step = await this.nextStep(agentRun, run);
        if (this.stopping) return false;
      }
      const next = await this.write(run, step);
      if (!next) return false;
      if (decidedAtMs) this.metrics.decisionToResume.observe(Math.max(0, Date.now() - decidedAtMs) / 1000);
      run = next;
    }
    return false;
  }

  private async nextStep(agentRun: AgentRun, run: RunRecord): Promise<Step> {
    const step = await this.agent.step(agentRun, run.cursor);
    if (step.kind === 'event') return { events: [step.event], nextCursor: run.cursor + 1, status: 'running' };
    if (step.kind === 'finish') return { events: [doneEvent('completed')], nextCursor: run.cursor + 1, status: 'completed' };
    const now = Date.now();
    const request: HitlRequest = {
      requestId: `req-${randomUUID()}`,
      sessionId: run.sessionId,
      tenantId: run.tenantId,
      userId: run.userId,
      toolName: step.toolName,
      params: step.params,
      message: step.message,
      status: 'pending',
      createdAt: isoNow(now),
      expiresAt: isoNow(now + this.config.hitlTimeoutSeconds * 1000),
    };
    // The position stays on the approval step until the decision is written.
    return { events: [hitlRequestEvent(request)], nextCursor: run.cursor, status: 'paused', request };
  }

  private afterDecision(run: RunRecord, decided: HitlRequest): Step {
    const decision = hitlDecisionEvent(decided);
    if (decided.status === 'approved') return { events: [decision], nextCursor: run.cursor + 1, status: 'running' };
    const status = decided.status as DoneStatus;
    return { events: [decision, doneEvent(status)], nextCursor: run.cursor + 1, status };
  }

  /**
   * Writes one step. Retries while Redis is unreachable; when the write was refused because the
   * state moved (our own earlier write whose reply was lost, a cancel, a takeover), re-reads the
   * run and goes on from what is stored, or stops if it is no longer ours to drive.
   */
  private async write(run: RunRecord, step: Step): Promise<RunRecord | null> {
    const now = isoNow();
    const input: AppendInput = {
      sessionId: run.sessionId,
      owner: this.instanceId,
      expectCursor: run.cursor,
      expectSeq: run.seq,
      broadcasts: this.config.eventsBroadcast ? step.events.map((e) => broadcastEnvelope(run, e, now)) : [],
      ...step,
    };
    for (let attempt = 0; !this.stopping; attempt++) {
      let result;
      try {
        result = await this.store.append(input);
      } catch (err) {
        // A script error is a bug or bad state, not an outage: retrying would never end.
        if (err instanceof Error && err.name === 'ReplyError') throw err;
        this.logger.warn(`Run ${run.sessionId}: write failed (${String(err)}), retrying`);
        await sleep(Math.min(100 * 2 ** attempt, 2000));
        continue;
      }
      if (result.ok) {
        this.metrics.eventsPublished.inc(step.events.length);
        return { ...run, cursor: step.nextCursor, seq: result.seq, status: step.status, requestId: step.request?.requestId ?? null };
      }
      if (result.reason !== 'stale') return null;
      const stored = await this.store.getRun(run.sessionId);
      return stored && stored.owner === this.instanceId && !isTerminal(stored.status) ? stored : null;
    }
    return null;
  }

  /** Ends a run whose agent threw: an `error` event, then done {failed}. */
  private async fail(sessionId: string): Promise<void> {
    const run = await this.store.getRun(sessionId);
    if (!run || isTerminal(run.status) || run.owner !== this.instanceId) return;
    const events: AuraEvent[] = [errorEvent('agent_failed', 'The agent failed; the run was stopped.'), doneEvent('failed')];
    await this.write(run, { events, nextCursor: run.cursor, status: 'failed' as RunStatus });
  }

  /** Resumes the run paused on the request; a request that is gone counts as expired. */
  private resume(requestId: string, request: HitlRequest | 'gone'): void {
    const run = this.paused.get(requestId);
    if (!run || this.stopping) return;
    this.paused.delete(requestId);
    const now = isoNow();
    const decided: HitlRequest =
      request !== 'gone'
        ? request
        : { requestId, sessionId: run.sessionId, tenantId: run.tenantId, userId: run.userId, toolName: '', params: {}, message: '', status: 'expired', createdAt: now, expiresAt: now, decidedAt: now };
    void this.drive(run, decided);
  }

  /** Reads the request and resumes its run if it was decided; retries while Redis is unreachable. */
  private async check(requestId: string, attempt = 0): Promise<void> {
    try {
      const req = await this.store.getRequest(requestId);
      if (!req) {
        // Gone (its TTL passed, or Redis lost it): the run must still end rather than wait forever.
        this.logger.error(`Request ${requestId} is gone; its run ends as expired`);
        this.resume(requestId, 'gone');
        return;
      }
      if (req.status !== 'pending') this.resume(requestId, req);
    } catch (err) {
      if (this.stopping || !this.paused.has(requestId)) return;
      if (attempt === 0) this.logger.warn(`Reading request ${requestId} failed (${String(err)}); retrying`);
      await sleep(Math.min(100 * 2 ** attempt, 1000));
      await this.check(requestId, attempt + 1);
    }
  }

  private async onSignal(signal: HitlSignal, request?: HitlRequest): Promise<void> {
    if (!this.paused.has(signal.requestId)) {
      if (!this.driving.has(signal.sessionId)) await this.takeOver(signal.sessionId);
      return;
    }
    if (request && request.status !== 'pending') this.resume(signal.requestId, request);
    else await this.check(signal.requestId);
  }

  /** Adopts the run if its owner's lease lapsed; then drives it from its last written step. */
  private async takeOver(sessionId: string, fromInstance?: string): Promise<void> {
    if (this.stopping || this.driving.has(sessionId)) return;
    try {
      if (!(await this.store.claim(sessionId, this.instanceId, Date.now(), fromInstance))) return;
      const run = await this.store.getRun(sessionId);
      if (!run || isTerminal(run.status) || this.driving.has(sessionId)) return;
      this.metrics.runsTakenOver.inc();
      this.logger.log(`Took over run ${sessionId} at step ${run.cursor} (${run.status})`);
      this.start(run);
    } catch (err) {
      this.logger.warn(`Taking over ${sessionId} failed: ${String(err)}`);
    }
  }

  private async adoptOrphans(): Promise<void> {
    const orphans = await this.store.orphans(Date.now(), 100);
    for (const { sessionId, instanceId } of orphans) await this.takeOver(sessionId, instanceId);
  }

  private async heartbeat(): Promise<void> {
    await this.store.heartbeat(this.instanceId, Date.now() + this.config.runLeaseMs);
  }

  private every(ms: number, task: () => Promise<unknown>): void {
    let running = false;
    const timer = setInterval(() => {
      if (running || this.stopping) return;
      running = true;
      task()
        .catch((err) => this.logger.warn(`Background task failed: ${String(err)}`))
        .finally(() => (running = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
