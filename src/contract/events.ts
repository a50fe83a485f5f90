import type { HitlRequest } from './hitl.types';
import type { AuraEvent, DoneStatus, RunRecord } from './run.types';

/** Builders for the events the service itself writes (agents write the rest). */

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
    // v1.3: what a UI needs to offer every decision and bind it to what it shows.
    allowedDecisions: r.allowedDecisions,
    ...(r.paramsSchema ? { paramsSchema: r.paramsSchema } : {}),
    paramsDigest: r.paramsDigest,
    groupId: r.groupId,
    groupSize: r.groupSize,
  },
});

export const hitlDecisionEvent = (r: Pick<HitlRequest, 'requestId' | 'sessionId' | 'status' | 'reason' | 'editedParams' | 'response'>): AuraEvent => ({
  type: 'hitl',
  data: {
    requestId: r.requestId,
    sessionId: r.sessionId,
    requiresApproval: false,
    status: r.status,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.editedParams ? { editedParams: r.editedParams } : {}),
    ...(r.response !== undefined ? { response: r.response } : {}),
  },
});

export const doneEvent = (status: DoneStatus): AuraEvent => ({ type: 'done', data: { status } });

export const runErrorEvent = (code: string, message: string): AuraEvent => ({ type: 'run_error', data: { code, message } });

/** A chunk of streamed text: sent only to streams that asked for deltas. */
export const contentDelta = (messageId: string, content: string): AuraEvent => ({ type: 'content', data: { content, messageId, delta: true } });

/**
 * How an event is filed in the log and on the live channel: its type, or `delta` for a chunk of
 * streamed text, so a stream can skip deltas without parsing them (the SSE event name stays `content`).
 */
export const logKind = (event: AuraEvent): string => (event.type === 'content' && event.data.delta === true ? DELTA_KIND : event.type);
export const DELTA_KIND = 'delta';

/** The JSON of an event in the log and on the wire: always exactly `{"type","data"}`. */
export const serializeEvent = (event: AuraEvent): string => JSON.stringify({ type: event.type, data: event.data });

/** The `dwp:events:all` envelope of an event. */
export const broadcastEnvelope = (run: Pick<RunRecord, 'tenantId' | 'sessionId' | 'userId'>, e: AuraEvent, timestamp: string): string =>
  JSON.stringify({ tenantId: run.tenantId, sessionId: run.sessionId, userId: run.userId, type: e.type, data: e.data, timestamp });

/** What a stream is told when its run's stored state is gone or was rolled back. */
export const RUN_LOST_MESSAGE = 'The run’s stored state was lost; it cannot continue.';
