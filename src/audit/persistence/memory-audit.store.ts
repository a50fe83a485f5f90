import { AuditPosition, AuditRecord, AuditSlice, AuditStore } from './audit-store.port';

const DAY_MS = 86_400_000;

/** The in-process audit trail (no Redis: one instance), newest last; trimmed by time as the script trims the sorted set. */
export class MemoryAuditStore extends AuditStore {
  private readonly records: AuditRecord[] = [];
  private retentionDays = 400;

  async setRetentionDays(days: number): Promise<void> {
    this.retentionDays = days;
  }

  append(record: AuditRecord): void {
    this.records.push(structuredClone(record));
    const cutoff = Date.parse(record.at) - this.retentionDays * DAY_MS;
    while (this.records.length && Date.parse(this.records[0].at) < cutoff) this.records.shift();
  }

  async read(tenantId: string, range: { fromMs: number; toMs: number }, after: AuditPosition | undefined, count: number): Promise<AuditSlice> {
    const max = after ? Math.min(after.atMs, range.toMs) : range.toMs;
    const skip = after && after.atMs <= range.toMs ? after.skip : 0;
    const matching = this.records.filter((r) => r.tenantId === tenantId && Date.parse(r.at) >= range.fromMs && Date.parse(r.at) <= max).reverse();
    const records = matching.slice(skip, skip + count).map((r) => structuredClone(r));
    if (records.length < count) return { records };
    const lastMs = Date.parse(records[records.length - 1].at);
    const sameMs = records.filter((r) => Date.parse(r.at) === lastMs).length;
    return { records, next: { atMs: lastMs, skip: lastMs === max ? skip + sameMs : sameMs } };
  }
}
