import type { Decision, HitlRequest } from '../contract/hitl.types';
import type { RunRecord } from '../contract/run.types';
import { paramsDigest } from '../hitl/params-digest';
import { MemoryWebhookOutbox } from '../webhooks/memory-webhook-outbox';
import { auditRecordOf, requestWebhook } from './audit-record';
import { MemoryAuditStore } from './persistence/memory-audit.store';

/**
 * The in-process twin of the Redis ledger's outbox (persistence/ledger-changes.ts): the memory
 * stores call it in the same synchronous step as a request's insert or decision and a run's end,
 * so webhook events and audit records are written exactly as with Redis.
 */
export class ChangeRecorder {
  readonly outbox = new MemoryWebhookOutbox();
  readonly audit = new MemoryAuditStore();
  private seq = 0;

  requestChanged(req: HitlRequest, d?: Decision): void {
    const hook = requestWebhook(req);
    this.outbox.record(hook.type, hook.data);
    const ctx = { viaChannel: d?.viaChannel, editedParamsDigest: req.editedParams ? paramsDigest(req.editedParams) : undefined };
    this.audit.append(auditRecordOf(req, Date.now(), ctx, `_${this.seq++}`));
  }

  runFinished(run: Pick<RunRecord, 'sessionId' | 'tenantId' | 'userId' | 'status'>): void {
    this.outbox.record('run.finished', { tenantId: run.tenantId, sessionId: run.sessionId, userId: run.userId, status: run.status });
  }
}
