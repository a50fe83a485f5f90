import type { DecisionStatus, HitlRequest } from '../../contract/hitl.types';
import type { AuraEvent, LoggedEvent, RunRecord, RunStatus } from '../../contract/run.types';

/** How many events a run's log keeps. */
export const EVENT_LOG_MAX = 10000;

/** One step of a run, written atomically: its events, the agent's state, the run's position and status. */
export interface StepWrite {
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
  /** The agent's new state; undefined leaves the stored state as it is. */
  state?: unknown;
  /** The approval this step writes the decision of (the agent's next step runs the tool), or null. */
  approvedRequestId: string | null;
  /** Pausing: the request the run now waits on, created in the same atomic step. */
  request?: HitlRequest;
  /** Pausing on several at once: the group's other requests, created in the same step (the run waits on `request`'s id, the group's). */
  group?: HitlRequest[];
  /** Resuming: the decision must be stored, exactly so, or nothing is written (a forged signal decides nothing). */
  expectDecided?: { requestId: string; status: DecisionStatus };
  /** A worker step: its receipt, stored on the run in the same write (undefined leaves the stored one). */
  receipt?: string;
}

export type AppendResult =
  /** `approved`: for a write that resumes on an approval or a response (expectDecided approved/responded), the request as stored. */
  | { ok: true; seq: number; approved?: HitlRequest }
  | { ok: false; reason: 'gone' | 'not_owner' | 'stale' }
  | { ok: false; reason: 'ended'; status: RunStatus };

export interface CancelInput {
  sessionId: string;
  tenantId: string;
  decidedBy: string;
  now: string;
  /** The state the caller read: the store refuses (`retry`) if the run moved on meanwhile. */
  expectStatus: RunStatus;
  expectRequestId: string | null;
  /** pending (it becomes cancelled) or approved/responded (decided, not yet resumed); null without a request. */
  expectRequestStatus: 'pending' | 'approved' | 'responded' | null;
  /** The other requests of its group, with the status each must still have; the pending ones are cancelled with it. */
  others?: { requestId: string; status: 'pending' | 'approved' | 'responded' }[];
  /** The decision event (when there is a request) and done {cancelled}, with their broadcasts ('' = none). */
  events: AuraEvent[];
  broadcasts: string[];
}

export interface StoreHeartbeat {
  nowMs: number;
  epoch: string;
  serverId: string;
}

/** How many unfinished runs a user, and a whole tenant, may have at once (counted across all instances). */
export interface RunLimits {
  readonly activeRunsPerUser: number;
  readonly activeRunsPerTenant: number;
}

/**
 * created: the run was started (it holds a slot until it ends). Not created: the session already has
 * a run (answered whatever the limits: attaching is never refused), or starting one would go beyond
 * a limit (`limited` names which; nothing was written).
 */
export type CreateRunResult =
  | { created: true; run: RunRecord; limited?: undefined }
  | { created: false; run: RunRecord; limited?: undefined }
  | { created: false; run?: undefined; limited: 'user' | 'tenant' };

export type CancelResult = { outcome: 'cancelled'; seq: number } | { outcome: 'not_found' } | { outcome: 'ended'; status: RunStatus } | { outcome: 'retry' };

/** A run's place in its tenant's list: newest first by start time, then by sessionId (descending). */
export interface RunPosition {
  createdMs: number;
  sessionId: string;
}

export interface RunQuery {
  tenantId: string;
  status?: RunStatus;
  userId?: string;
  limit: number;
  /** Only runs after this position (the last one of the previous page). */
  after?: RunPosition;
}

/** `next`: where the following page starts; absent on the last page. A page may be short and still have one (it stopped reading). */
export interface RunPage {
  items: RunSummary[];
  next?: RunPosition;
}

/** What a list shows of a run: not its prompt, metadata or agent state (up to a megabyte). */
export type RunSummary = Pick<RunRecord, 'sessionId' | 'tenantId' | 'userId' | 'status' | 'seq' | 'requestId' | 'createdAt' | 'updatedAt' | 'agent'>;

/** Hears a run's log grow: each event as it is written, and `resync` when events may have been missed (a reconnect). */
export interface RunFollower {
  onEvent(event: LoggedEvent): void;
  onResync(): void;
}

/**
 * Runs, their event logs and the leases of the instances that drive them. Every change is atomic
 * (one Lua script in Redis) and publishes its events in the same step.
 */
export abstract class RunStore {
  /**
   * Creates the run unless the session already has one (answered as it is), or unless its user or
   * tenant already has as many unfinished runs as `limits` allow. Checked and counted in the same
   * atomic step; a run frees its slot in the step that ends it (append, cancel). Slots of runs that
   * are gone or ended are pruned before refusing, so a lost run never holds one for good.
   */
  abstract createRun(run: RunRecord, limits: RunLimits): Promise<CreateRunResult>;
  abstract getRun(sessionId: string): Promise<RunRecord | null>;
  /** Just who holds the run and its status (one small read): for a step watching whether its run ended elsewhere. */
  abstract holder(sessionId: string): Promise<Pick<RunRecord, 'status' | 'owner'> | null>;
  /**
   * The tenant's runs, newest first, narrowed to a status and a user when given. The index is
   * written by createRun in the same atomic step and forgets runs started more than the run TTL
   * before the latest one, and any whose key has gone.
   */
  abstract listRuns(query: RunQuery): Promise<RunPage>;
  abstract append(step: StepWrite): Promise<AppendResult>;
  abstract cancel(input: CancelInput): Promise<CancelResult>;
  /** Events with seq > afterSeq, oldest first, at most `limit`. */
  abstract readEvents(sessionId: string, afterSeq: number, limit: number): Promise<LoggedEvent[]>;
  /** Follows the session's log live; resolves once following, with the function that stops it. */
  abstract follow(sessionId: string, follower: RunFollower): Promise<() => void>;

  /**
   * Keeps this instance's lease alive for `leaseMs` by the store's clock; answers that clock (ms),
   * the store's epoch, which changes only when the store lost all its data, and the server's
   * identity, which changes when it restarted (perhaps from an older snapshot) or failed over.
   */
  abstract heartbeat(instanceId: string, leaseMs: number): Promise<StoreHeartbeat>;
  /** The stored seq of each of these sessions that still has a run (one small read each, not the whole record). */
  abstract storedSeqs(sessionIds: string[]): Promise<Map<string, number>>;
  /** Takes a run over if its owner's lease has lapsed by the store's clock (or it is already ours). */
  abstract claim(sessionId: string, instanceId: string, fromInstance?: string): Promise<boolean>;
  /** Runs whose owners' leases have lapsed, with the owner they are listed under. */
  abstract orphans(limit: number): Promise<{ sessionId: string; instanceId: string }[]>;
  /** Gives up this instance's lease at once, so others take its runs over without waiting. */
  abstract releaseLease(instanceId: string): Promise<void>;
}
