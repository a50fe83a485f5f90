import { AuditSlice, AuditStore } from './audit-store.port';

/**
 * Without Redis no script writes audit records yet: the in-process trail is empty (see the README,
 * "Audit trail"). It answers the same shape, so the route behaves alike in both modes.
 */
export class MemoryAuditStore extends AuditStore {
  async setRetentionDays(): Promise<void> {}

  async read(): Promise<AuditSlice> {
    return { records: [] };
  }
}
