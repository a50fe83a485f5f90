import type { HitlRequest } from '../contract/hitl.types';
import type { AuditRecord } from './persistence/audit-store.port';

const ACTION: Record<string, AuditRecord['action']> = {
  pending: 'requested', approved: 'approved', rejected: 'rejected', responded: 'responded', expired: 'expired', cancelled: 'cancelled',
};

/** What the writer of a change knows beside the request: a decision from hitl:channel, an edit's digest. */
export interface ChangeContext {
  viaChannel?: boolean;
  editedParamsDigest?: string;
}

/**
 * The audit record of a request's change at `atMs`, the same for both stores. Its id follows from
 * the change, so applying a change twice (a repair after a crash) stores one record, not two.
 */
export function auditRecordOf(req: HitlRequest, atMs: number, ctx: ChangeContext, idSuffix = ''): AuditRecord {
  const action = req.status === 'approved' && req.editedParams ? 'edited' : ACTION[req.status];
  const rec: AuditRecord = {
    id: `aud_${atMs}_${req.requestId}_${action}${idSuffix}`, at: new Date(atMs).toISOString(), tenantId: req.tenantId, sessionId: req.sessionId,
    requestId: req.requestId, toolName: req.toolName, action, actor: actorOf(req, ctx), paramsDigest: req.paramsDigest, runUserId: req.userId,
  };
  if (action === 'approved') rec.executedParamsDigest = req.paramsDigest;
  if (action === 'edited' && ctx.editedParamsDigest) rec.executedParamsDigest = ctx.editedParamsDigest;
  if (req.reason) rec.reason = req.reason;
  if (req.response) rec.message = req.response;
  return rec;
}

/** A run's user asks; a named user decides; a decision nobody named came from the deadline (expiry) or the channel (redis). */
function actorOf(req: HitlRequest, ctx: ChangeContext): AuditRecord['actor'] {
  if (req.status === 'pending') return { type: 'user', id: req.userId };
  if (ctx.viaChannel) return { type: 'system', id: 'redis' };
  if (req.decidedBy && req.decidedBy !== 'external') return { type: 'user', id: req.decidedBy };
  return { type: 'system', id: req.status === 'expired' ? 'expiry' : 'redis' };
}

/** The webhook event of a request's change: hitl.requested or hitl.decided, and its body's data. */
export function requestWebhook(req: HitlRequest): { type: 'hitl.requested' | 'hitl.decided'; data: Record<string, unknown> } {
  return {
    type: req.status === 'pending' ? 'hitl.requested' : 'hitl.decided',
    data: { tenantId: req.tenantId, sessionId: req.sessionId, userId: req.userId, request: req, status: req.status },
  };
}
