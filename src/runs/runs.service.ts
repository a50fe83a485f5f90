import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { logDecision } from '../audit/decision-log';
import { AccessPolicy } from '../auth/access-policy.service';
import type { AuthUser } from '../auth/auth-user';
import { isoNow } from '../common/time';
import { TooManyRequestsException } from '../common/too-many-requests.exception';
import { AppConfig } from '../config/app-config';
import { broadcastEnvelope, doneEvent, hitlDecisionEvent } from '../contract/events';
import type { HitlRequest } from '../contract/hitl.types';
import { AuraEvent, RunRecord, isTerminal } from '../contract/run.types';
import { HitlService } from '../hitl/hitl.service';
import { HitlStore } from '../hitl/persistence/hitl-store.port';
import { MetricsService } from '../metrics/metrics.service';
import { InstanceId } from '../redis/instance-id';
import { LeaseKeeper } from './lease-keeper.service';
import { CancelInput, RunStore } from './persistence/run-store.port';
import { decisionsOf } from './decision-resume';
import { RunDriver } from './run-driver.service';

export type CancelOutcome = 'cancelled' | 'not_found' | 'ended';

/**
 * The Retry-After of a refused run (429). When a slot frees cannot be known: a running run ends in
 * seconds, a paused one when a human decides (or at HITL_TIMEOUT_SECONDS), and the caller may cancel
 * one at once. 10 s lets a client that waits for a run to end get in soon after, while one that
 * keeps asking costs the create script (which prunes a full set, one read per member) at most once
 * every 10 s.
 */
export const RUN_LIMIT_RETRY_AFTER_SECONDS = 10;

/** Starting, finding and cancelling runs: the rules a caller meets, whichever instance drives the run. */
@Injectable()
export class RunsService {
  private readonly decisionLog = new Logger('Decisions');

  constructor(
    private readonly runs: RunStore,
    private readonly requests: HitlStore,
    private readonly hitl: HitlService,
    private readonly driver: RunDriver,
    private readonly leases: LeaseKeeper,
    private readonly config: AppConfig,
    private readonly instance: InstanceId,
    private readonly metrics: MetricsService,
    private readonly access: AccessPolicy,
  ) {}

  /** Starts the session's run, or answers the run it already has (one the caller may not access, another tenant's say, is 404). */
  async open(sessionId: string, user: AuthUser, prompt: string, metadata: Record<string, unknown> = {}): Promise<{ run: RunRecord; created: boolean }> {
    const fresh: RunRecord = {
      sessionId,
      tenantId: user.tenantId,
      userId: user.sub,
      prompt,
      metadata,
      status: 'running',
      cursor: 0,
      seq: 0,
      requestId: null,
      approvedRequestId: null,
      state: undefined,
      owner: this.instance.value,
      createdAt: isoNow(),
      agent: this.config.agent.kind,
    };
    const result = await this.runs.createRun(fresh, this.config.limits);
    if (result.limited) {
      this.metrics.runsRefused.inc({ limit: result.limited });
      const message =
        result.limited === 'user'
          ? `You already have ${this.config.limits.activeRunsPerUser} unfinished runs, the most allowed: wait for one to end, or cancel one`
          : `Tenant ${user.tenantId} already has ${this.config.limits.activeRunsPerTenant} unfinished runs, the most allowed: wait for one to end`;
      throw new TooManyRequestsException(message, RUN_LIMIT_RETRY_AFTER_SECONDS);
    }
    const { created, run } = result;
    if (!this.access.canAccessRun(user, run)) throw new NotFoundException(`Session ${sessionId} not found`);
    if (created) {
      this.metrics.runsStarted.inc();
      this.driver.start(run);
    } else if (!isTerminal(run.status) && !this.driver.isDriving(sessionId)) {
      // A reconnect is a chance to adopt a run whose instance is gone, or to restart one of ours
      // that lost its driver (its creation's reply was lost, say).
      void this.leases.takeOver(sessionId);
    }
    return { run, created };
  }

  /** The session's run, null when it has none; 404 when it is one the caller may not see (another tenant's, or another user's under RUN_ACCESS=owner). */
  async findFor(user: AuthUser, sessionId: string): Promise<RunRecord | null> {
    const run = await this.runs.getRun(sessionId);
    if (run && !this.access.canAccessRun(user, run)) throw new NotFoundException(`Session ${sessionId} not found`);
    return run;
  }

  /** Cancels a run: its pending request becomes cancelled and the log ends with done {cancelled}. */
  async cancel(sessionId: string, user: AuthUser): Promise<CancelOutcome> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const run = await this.runs.getRun(sessionId);
      if (!run || !this.access.canAccessRun(user, run)) return 'not_found';
      if (isTerminal(run.status)) return 'ended';
      let requestStatus: 'pending' | 'approved' | 'responded' | null = null;
      const others: NonNullable<CancelInput['others']> = [];
      const events: AuraEvent[] = [];
      const pending: HitlRequest[] = [];
      if (run.requestId) {
        const first = await this.requests.getRequest(run.requestId);
        const members = first ? await decisionsOf(this.requests, first) : [];
        // Rejected or expired but not yet written by the run (or gone, which the run ends as expired):
        // the run has ended in all but the log.
        if (!first || members.length !== first.groupSize) return 'ended';
        for (const req of members) {
          if (req.status !== 'pending' && req.status !== 'approved' && req.status !== 'responded') return 'ended';
          if (req.status === 'pending') pending.push(req);
          if (req === members[0]) requestStatus = req.status;
          else others.push({ requestId: req.requestId, status: req.status });
          // An approval (or a response) that came first is logged as it was, then the cancel.
          events.push(hitlDecisionEvent(req.status === 'pending' ? { requestId: req.requestId, sessionId, status: 'cancelled' } : req));
        }
      }
      events.push(doneEvent('cancelled'));
      const now = isoNow();
      const result = await this.runs.cancel({
        sessionId,
        tenantId: user.tenantId,
        decidedBy: user.sub,
        now,
        expectStatus: run.status,
        expectRequestId: run.requestId,
        expectRequestStatus: requestStatus,
        others,
        events,
        broadcasts: events.map((e) => (this.config.runs.eventsBroadcast ? broadcastEnvelope(run, e, now) : '')),
      });
      if (result.outcome === 'retry') continue;
      if (result.outcome === 'cancelled' && requestStatus === 'pending') this.hitl.countCancelled();
      if (result.outcome === 'cancelled') others.filter((o) => o.status === 'pending').forEach(() => this.hitl.countCancelled());
      if (result.outcome === 'cancelled') pending.forEach((req) => logDecision(this.decisionLog, { ...req, status: 'cancelled', decidedBy: user.sub }));
      return result.outcome;
    }
    throw new Error(`Run ${sessionId} kept changing while being cancelled`);
  }
}
