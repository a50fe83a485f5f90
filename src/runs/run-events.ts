import type { HitlRequest } from '../hitl/hitl.types';
import type { AuraEvent, DoneStatus, RunRecord } from './run.types';

/** Builders for the events the engine itself writes (the agent writes the rest). */

export const hitlRequestEvent = (r: HitlRequest): AuraEvent => ({
  type: 'hitl',
  data: {
    requestId: r.requestId,
    sessionId: r.sessionId,
    requiresApproval: true,
    toolName: r.toolName,
    params: r.params,
    message: r.message,
    expiresAt: r.expiresAt,
  },
});

export const hitlDecisionEvent = (r: Pick<HitlRequest, 'requestId' | 'sessionId' | 'status' | 'reason'>): AuraEvent => ({
  type: 'hitl',
  data: {
    requestId: r.requestId,
    sessionId: r.sessionId,
    requiresApproval: false,
    status: r.status,
    ...(r.reason ? { reason: r.reason } : {}),
  },
});

export const doneEvent = (status: DoneStatus): AuraEvent => ({ type: 'done', data: { status } });

export const errorEvent = (code: string, message: string): AuraEvent => ({ type: 'error', data: { code, message } });

/** The `dwp:events:all` envelope of an event. */
export const broadcastEnvelope = (run: Pick<RunRecord, 'tenantId' | 'sessionId' | 'userId'>, e: AuraEvent, timestamp: string): string =>
  JSON.stringify({ tenantId: run.tenantId, sessionId: run.sessionId, userId: run.userId, type: e.type, data: e.data, timestamp });
