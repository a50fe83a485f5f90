import type { RedisClient } from '../../redis/redis-clients';
import { redisCall } from '../../redis/redis-errors';
import { NAMES } from '../../redis/redis-names';
import { AuditPosition, AuditRecord, AuditSlice, AuditStore } from './audit-store.port';

interface StoredRecord extends Omit<AuditRecord, 'at'> {
  at: number;
}

/** A sorted set per tenant, on the tenant's slot: each record's JSON scored by its millisecond (Redis's clock). */
export class RedisAuditStore extends AuditStore {
  constructor(private readonly redis: RedisClient) {
    super();
  }

  /** Records are trimmed where they are written, by each instance's own AUDIT_RETENTION_DAYS (persistence/ledger-changes.ts). */
  async setRetentionDays(): Promise<void> {}

  async read(tenantId: string, range: { fromMs: number; toMs: number }, after: AuditPosition | undefined, count: number): Promise<AuditSlice> {
    const max = after ? Math.min(after.atMs, range.toMs) : range.toMs;
    const skip = after && after.atMs <= range.toMs ? after.skip : 0;
    const raw = await redisCall(() => this.redis.zrevrangebyscore(NAMES.audit(tenantId), Number.isFinite(max) ? String(max) : '+inf', String(range.fromMs), 'LIMIT', skip, count));
    const records = raw.map((json) => {
      const r = JSON.parse(json) as StoredRecord;
      return { ...r, at: new Date(r.at).toISOString() } as AuditRecord;
    });
    if (raw.length < count) return { records };
    const lastMs = Date.parse(records[records.length - 1].at);
    // The next read starts at the last record's millisecond, past those of it already read.
    const sameMs = records.filter((r) => Date.parse(r.at) === lastMs).length;
    return { records, next: { atMs: lastMs, skip: lastMs === max ? skip + sameMs : sameMs } };
  }
}
