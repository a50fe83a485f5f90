import type { Decision, DecideResult, HitlRequest, HitlSignal } from '../hitl/hitl.types';
import type { AuraEvent, LoggedEvent, RunRecord, RunStatus } from '../runs/run.types';

/** One step of a run, written atomically: its events, the run's new position and status. */
export interface AppendInput {
  sessionId: string;
  /** Only the run's owner may write, and only from the position it read: no step is written twice. */
  owner: string;
  expectCursor: number;
  expectSeq: number;
  nextCursor: number;
  status: RunStatus;
  events: AuraEvent[];
  /** `dwp:events:all` envelopes, one per event, or none when broadcasting is off. */
  broadcasts: string[];
  /** Pausing: the request the run now waits on, created in the same atomic step. */
  request?: HitlRequest;
}

export type AppendResult =
  | { ok: true; seq: number }
  | { ok: false; reason: 'gone' | 'not_owner' | 'stale' }
  | { ok: false; reason: 'ended'; status: RunStatus };

export interface CancelInput {
  sessionId: string;
  tenantId: string;
  decidedBy: string;
  now: string;
  /** The state the caller read: the script refuses (`retry`) if the run moved on meanwhile. */
  expectStatus: RunStatus;
  expectRequestId: string | null;
  /** pending (it becomes cancelled) or approved (decided, not yet resumed); null without a request. */
  expectRequestStatus: 'pending' | 'approved' | null;
  /** The request's decision as the log will show it: cancelled, or the approval that came first. */
  decisionEvent: AuraEvent | null;
  doneEvent: AuraEvent;
  broadcasts: { decision: string | null; done: string };
}

export type CancelResult =
  | { outcome: 'cancelled'; seq: number }
  | { outcome: 'not_found' }
  | { outcome: 'ended'; status: RunStatus }
  | { outcome: 'retry' };

export interface RequestPage {
  items: HitlRequest[];
  nextCursor?: string;
}

/**
 * The durable state of runs and approval requests. Every method that changes state is atomic
 * (a Lua script in Redis), so concurrent callers on any number of instances never interleave.
 * Changes publish their signals and events as part of the same atomic step.
 */
export abstract class AuraStore {
  /** Creates the run unless the session already has one; answers the run that exists either way. */
  abstract createRun(run: RunRecord): Promise<{ created: boolean; run: RunRecord }>;
  abstract getRun(sessionId: string): Promise<RunRecord | null>;
  abstract append(input: AppendInput): Promise<AppendResult>;
  abstract cancel(input: CancelInput): Promise<CancelResult>;
  /** Events with seq > afterSeq, oldest first, at most `limit`. */
  abstract readEvents(sessionId: string, afterSeq: number, limit: number): Promise<LoggedEvent[]>;

  abstract getRequest(requestId: string): Promise<HitlRequest | null>;
  /**
   * Decides a pending request and publishes its signal. `scope` restricts it to a tenant and/or a
   * session: a request outside the scope is not_found.
   */
  abstract decide(requestId: string, decision: Decision, scope?: { tenantId?: string; sessionId?: string }): Promise<DecideResult>;
  /** Expires every pending request whose deadline has passed; answers how many this call expired. */
  abstract expireDue(nowMs: number, limit: number): Promise<number>;
  abstract signals(sessionId: string): Promise<HitlSignal[]>;
  abstract listRequests(tenantId: string, status: string, limit: number, cursor?: string): Promise<RequestPage>;

  /** Keeps this instance's lease on its runs alive until `untilMs`. */
  abstract heartbeat(instanceId: string, untilMs: number): Promise<void>;
  /** Takes a run over if its owner's lease has lapsed (or it is already ours). */
  abstract claim(sessionId: string, instanceId: string, nowMs: number, fromInstance?: string): Promise<boolean>;
  /** Runs whose owners' leases have lapsed, with the owner they are listed under. */
  abstract orphans(nowMs: number, limit: number): Promise<{ sessionId: string; instanceId: string }[]>;
  /** Gives up this instance's lease at once, so others take its runs over without waiting. */
  abstract releaseLease(instanceId: string): Promise<void>;

  abstract createTicket(ticket: string, payload: string, ttlSeconds: number): Promise<void>;
  /** Returns the ticket's payload and deletes it in one step: a ticket is used once. */
  abstract consumeTicket(ticket: string): Promise<string | null>;

  abstract ping(): Promise<boolean>;
}
