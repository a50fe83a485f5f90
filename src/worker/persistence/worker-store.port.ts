import type { HitlRequest } from '../../contract/hitl.types';
import type { RunRecord } from '../../contract/run.types';

/** The queue owner's lease (ms) never lapses: no instance adopts a run waiting for a worker. */
export const QUEUE_LEASE_MS = 9_000_000_000_000_000;

/** A run a worker just claimed: the run as stored, the approval it resumes after (if any), and its lease. */
export interface ClaimedRun {
  run: RunRecord;
  /** The request a human approved, when the run resumes after it (the worker runs the tool now). */
  decision: HitlRequest | null;
  /** Every request of the decision's group, in the order asked (filled in by the service, not the store). */
  decisions?: HitlRequest[];
  leaseId: string;
  /** The lease's deadline, by the store's clock (ms). */
  leaseExpiresMs: number;
}

/** The ready queue as a whole: how many runs wait in it, and the one that has waited longest (by the store's clock). */
export interface QueueStats {
  queued: number;
  oldest: { sessionId: string; waitedMs: number } | null;
}

/**
 * The ready queue and the leases of external workers (AGENT=worker). A worker's lease is a lease like
 * an instance's (same set, same store clock) on exactly one run, so when it lapses the instances'
 * orphan sweep adopts the run, and the remote agent puts it back in the queue. Every change is
 * atomic on the run (one Lua script on its slot in Redis) and checks who holds the run.
 */
export abstract class WorkerStore {
  /**
   * Moves a run this instance (`owner`) holds into the ready queue and wakes the waiting claims of
   * every instance. false when the run is not `owner`'s any more, ended or gone (nothing changes).
   */
  abstract makeReady(sessionId: string, owner: string): Promise<boolean>;
  /** Takes the oldest ready run and leases it to `leaseId` for `leaseMs` by the store's clock; null when none is ready. */
  abstract claimReady(leaseId: string, leaseMs: number): Promise<ClaimedRun | null>;
  /** Extends a live lease on a run it still holds (not ended); answers the new deadline (ms), or null when the lease is lost. */
  abstract renew(sessionId: string, leaseId: string, leaseMs: number): Promise<number | null>;
  /**
   * Ends the lease. A run it still holds that has not ended passes to instance `toInstance`
   * (a paused run then waits on that instance for its decision).
   */
  abstract release(sessionId: string, leaseId: string, toInstance: string): Promise<void>;
  /** The queue's length (entries of runs ended while queued count until a claim drops them) and its oldest run still waiting. */
  abstract queueStats(): Promise<QueueStats>;
  /**
   * Hears runs become ready on any instance (`onReady`), and that such news may have been missed
   * (`onResync`: the subscriber reconnected). Resolves once listening, with the function that stops it.
   */
  abstract listen(onReady: () => void, onResync: () => void): Promise<() => void>;
}
