import type { Decision, HitlRequest } from '../contract/hitl.types';
import type { RunRecord } from '../contract/run.types';
import { paramsDigest } from '../hitl/params-digest';
import { MemoryWebhookOutbox } from '../webhooks/memory-webhook-outbox';
import type { AuditRecord } from './persistence/audit-store.port';
import { MemoryAuditStore } from './persistence/memory-audit.store';

const ACTION: Record<string, AuditRecord['action']> = {
  pending: 'requested', approved: 'approved', rejected: 'rejected', responded: 'responded', expired: 'expired', cancelled: 'cancelled',
};

/**
 * The in-process twin of the scripts' outbox (webhooks/outbox.lua.ts): the memory stores call it in
 * the same synchronous step as a request's insert or decision and a run's end, so webhook events
 * and audit records are written exactly as with Redis.
 */
export class ChangeRecorder {
  readonly outbox = new MemoryWebhookOutbox();
  readonly audit = new MemoryAuditStore();
  private seq = 0;

  requestChanged(req: HitlRequest, d?: Decision): void {
    const now = Date.now();
    this.outbox.record(req.status === 'pending' ? 'hitl.requested' : 'hitl.decided', {
      tenantId: req.tenantId, sessionId: req.sessionId, userId: req.userId, request: req, status: req.status,
    });
    const action = req.status === 'approved' && req.editedParams ? 'edited' : ACTION[req.status];
    const rec: AuditRecord = {
      id: `aud_${now}_${req.requestId}_${action}_${this.seq++}`, at: new Date(now).toISOString(), tenantId: req.tenantId, sessionId: req.sessionId,
      requestId: req.requestId, toolName: req.toolName, action, actor: this.actor(req, d), paramsDigest: req.paramsDigest, runUserId: req.userId,
    };
    if (action === 'approved') rec.executedParamsDigest = req.paramsDigest;
    if (action === 'edited' && req.editedParams) rec.executedParamsDigest = paramsDigest(req.editedParams);
    if (req.reason) rec.reason = req.reason;
    if (req.response) rec.message = req.response;
    this.audit.append(rec);
  }

  runFinished(run: Pick<RunRecord, 'sessionId' | 'tenantId' | 'userId' | 'status'>): void {
    this.outbox.record('run.finished', { tenantId: run.tenantId, sessionId: run.sessionId, userId: run.userId, status: run.status });
  }

  private actor(req: HitlRequest, d?: Decision): AuditRecord['actor'] {
    if (req.status === 'pending') return { type: 'user', id: req.userId };
    if (d?.viaChannel) return { type: 'system', id: 'redis' };
    if (req.decidedBy && req.decidedBy !== 'external') return { type: 'user', id: req.decidedBy };
    return { type: 'system', id: req.status === 'expired' ? 'expiry' : 'redis' };
  }
}
