import { isoNow } from '../common/time';
import { doneEvent, hitlDecisionEvent } from '../contract/events';
import type { DecisionStatus, HitlRequest } from '../contract/hitl.types';
import type { DoneStatus, RunRecord } from '../contract/run.types';
import type { HitlStore } from '../hitl/persistence/hitl-store.port';
import { groupMemberIds, groupOutcome } from '../hitl/request-group';
import type { Step } from './step-plan';

/** A paused run's decision; `stored` is false for a request that is gone (the run ends as expired). `group`: all requests of a group of several, as stored. */
export interface Resume {
  request: HitlRequest;
  stored: boolean;
  group?: HitlRequest[];
}

/** What a run that waits on a request that is gone (TTL passed, store lost) is resumed with: an expiry. */
export function goneRequest(run: RunRecord, requestId: string): HitlRequest {
  const now = isoNow();
  return { requestId, sessionId: run.sessionId, tenantId: run.tenantId, userId: run.userId, toolName: '', params: {}, message: '', status: 'expired', createdAt: now, expiresAt: now, decidedAt: now, allowedDecisions: [], paramsDigest: '', groupId: requestId, groupSize: 1 };
}

/**
 * The decision events, one per request of the group in the order asked, and done unless the run
 * goes on (every request approved or responded). The store writes it only if the first request's
 * decision is stored exactly so (the others were read from the store, never taken from a signal).
 */
export function afterDecision(run: RunRecord, { request, stored, group }: Resume): Step {
  const members = group ?? [request];
  const expectDecided = stored ? { requestId: request.requestId, status: request.status as DecisionStatus } : undefined;
  const events = members.map(hitlDecisionEvent);
  const outcome = groupOutcome(members);
  // A response goes on like an approval: the agent gets the message instead of running the tool.
  if (outcome === 'running') return { events, nextCursor: run.cursor + 1, status: 'running', approvedRequestId: request.requestId, expectDecided };
  const status: DoneStatus = outcome === 'pending' ? 'expired' : outcome;
  return { events: [...events, doneEvent(status)], nextCursor: run.cursor + 1, status, approvedRequestId: null, expectDecided };
}

async function readAll(requests: HitlStore, first: HitlRequest): Promise<HitlRequest[] | null> {
  const ids = groupMemberIds(first.groupId, first.groupSize);
  const found = await Promise.all(ids.map((id) => (id === first.requestId ? first : requests.getRequest(id))));
  return found.every((r): r is HitlRequest => r !== null) ? found : null;
}

/**
 * Reads the decision a paused run waits on (`requestId`, its group's id): null while it waits (a
 * lone request pending; a group with some pending and none that ends it). A rejection, expiry or
 * cancel of any request of a group ends the run, so the group's other pending requests are
 * cancelled first (each atomically: one that a human decides meanwhile keeps that decision), and
 * the decision events tell each one's final status.
 */
export async function readDecision(requests: HitlStore, requestId: string, onCancelled: () => void = () => undefined): Promise<Resume | 'gone' | null> {
  const first = await requests.getRequest(requestId);
  if (!first) return 'gone';
  if (first.groupSize <= 1) return first.status === 'pending' ? null : { request: first, stored: true };
  let members = await readAll(requests, first);
  if (!members) return 'gone';
  const outcome = groupOutcome(members);
  if (outcome === 'pending') return null;
  const open = members.filter((m) => m.status === 'pending');
  if (outcome !== 'running' && open.length > 0) {
    const now = isoNow();
    const results = await Promise.all(open.map((m) => requests.decide(m.requestId, { status: 'cancelled', decidedAt: now }, { sessionId: m.sessionId })));
    results.filter((r) => r.outcome === 'decided').forEach(() => onCancelled());
    members = await readAll(requests, (await requests.getRequest(requestId)) ?? first);
    if (!members) return 'gone';
  }
  return { request: members[0], stored: true, group: members };
}

/** The requests an agent's step after a resume gets: the one it resumed on, or all of its group, in the order asked. */
export async function decisionsOf(requests: HitlStore, decided: HitlRequest): Promise<HitlRequest[]> {
  if (decided.groupSize <= 1) return [decided];
  return (await readAll(requests, decided)) ?? [decided];
}
