/** One audit record as the store keeps it (contract v1.3), written by the script that made the change. */
export interface AuditRecord {
  id: string;
  at: string;
  tenantId: string;
  sessionId: string;
  requestId: string;
  toolName: string;
  action: 'requested' | 'approved' | 'edited' | 'rejected' | 'responded' | 'expired' | 'cancelled';
  actor: { type: 'user' | 'system'; id: string };
  paramsDigest?: string;
  executedParamsDigest?: string;
  reason?: string;
  message?: string;
  /** Stored, not listed: the user whose run it is, for the access rules. */
  runUserId?: string;
}

/** Where a page starts: after `skip` records of millisecond `atMs` (newest first). */
export interface AuditPosition {
  atMs: number;
  skip: number;
}

export interface AuditSlice {
  records: AuditRecord[];
  /** Where the next read starts; absent when the range is exhausted. */
  next?: AuditPosition;
}

/**
 * A tenant's audit trail, newest first, kept AUDIT_RETENTION_DAYS (the scripts that insert and
 * decide requests append to it and trim it; the retention they trim by is set here at start-up).
 */
export abstract class AuditStore {
  abstract setRetentionDays(days: number): Promise<void>;
  /** Up to `count` records of the tenant in [fromMs, toMs], from `after` on (or the newest). */
  abstract read(tenantId: string, range: { fromMs: number; toMs: number }, after: AuditPosition | undefined, count: number): Promise<AuditSlice>;
}
