import { randomUUID } from 'node:crypto';
import { isoNow } from '../common/time';
import { doneEvent, hitlRequestEvent } from '../contract/events';
import { DECISION_KINDS, HitlRequest } from '../contract/hitl.types';
import { paramsDigest } from '../hitl/params-digest';
import { groupMemberIds } from '../hitl/request-group';
import type { RunRecord } from '../contract/run.types';
import type { WritableStep } from './agent/agent.port';
import type { StepWrite } from './persistence/run-store.port';

/** A step as the engine builds it; the store write adds who writes and from where. */
export type Step = Omit<StepWrite, 'sessionId' | 'owner' | 'expectCursor' | 'expectSeq' | 'broadcasts'>;

/**
 * What an agent's step writes: its events and state, then `done` for a finish, or the hitl request
 * (created in the same write, expiring by the store's clock `nowMs`) for an approval. The one
 * builder for the RunDriver and for steps that external workers send.
 */
export function planStep(run: RunRecord, step: WritableStep, nowMs: number, timeoutSeconds: number): Step {
  const base = { nextCursor: run.cursor + 1, state: step.state, approvedRequestId: null };
  if (step.kind === 'continue') return { ...base, events: step.events, status: 'running' };
  if (step.kind === 'finish') return { ...base, events: [...step.events, doneEvent(step.status)], status: step.status };
  const groupId = `req-${randomUUID()}`;
  const asks = [step, ...(step.more ?? [])];
  const ids = groupMemberIds(groupId, asks.length);
  const requests: HitlRequest[] = asks.map((ask, i) => ({
    requestId: ids[i],
    sessionId: run.sessionId,
    tenantId: run.tenantId,
    userId: run.userId,
    toolName: ask.toolName,
    params: ask.params,
    message: ask.message,
    status: 'pending',
    createdAt: isoNow(nowMs),
    expiresAt: isoNow(nowMs + timeoutSeconds * 1000),
    allowedDecisions: [...(ask.allowedDecisions ?? DECISION_KINDS)],
    ...(ask.paramsSchema ? { paramsSchema: ask.paramsSchema } : {}),
    paramsDigest: paramsDigest(ask.params),
    groupId,
    groupSize: asks.length,
  }));
  const [request, ...group] = requests;
  const events = [...step.events, ...requests.map(hitlRequestEvent)];
  return { ...base, events, status: 'paused', request, ...(group.length ? { group } : {}) };
}
