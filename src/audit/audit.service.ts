import { BadRequestException, ForbiddenException, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AccessPolicy } from '../auth/access-policy.service';
import type { AuthUser } from '../auth/auth-user';
import { CursorSeal } from '../common/sealed-cursor';
import { AppConfig } from '../config/app-config';
import { AuditPosition, AuditRecord, AuditStore } from './persistence/audit-store.port';

/** Store reads per page before a short page is answered with a cursor (filters may skip many records). */
const MAX_ROUNDS = 20;
const BAD_CURSOR = 'cursor is not a cursor this service issued for this tenant and query';

export interface AuditPage {
  items: AuditRecord[];
  nextCursor?: string;
}

const isPosition = (v: unknown): v is AuditPosition => {
  const p = v as AuditPosition | null;
  return typeof p === 'object' && p !== null && Number.isSafeInteger(p.atMs) && Number.isSafeInteger(p.skip) && p.skip >= 0;
};

/**
 * The audit trail of GET /aura/audit: the caller's tenant's records only, newest first. With
 * AUDIT_ROLE set, only its holders read it; otherwise as the inbox (a user without the approver
 * role, when one is configured, sees the records of their own runs only).
 */
@Injectable()
export class AuditService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Audit');
  private readonly seal: CursorSeal;

  constructor(
    private readonly store: AuditStore,
    private readonly access: AccessPolicy,
    private readonly config: AppConfig,
  ) {
    this.seal = new CursorSeal(config.auth.jwtSecret);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.store.setRetentionDays(this.config.audit.retentionDays).catch((err) => this.logger.warn(`Audit retention not set yet: ${String(err)}`));
  }

  async list(user: AuthUser, q: { from?: string; to?: string; sessionId?: string; limit: number; cursor?: string }): Promise<AuditPage> {
    const role = this.config.audit.role;
    if (role !== null && !user.roles.includes(role)) throw new ForbiddenException(`Reading the audit trail needs the role ${role}`);
    const owner = role === null ? this.access.requestsOwnerFilter(user) : undefined;
    const fromMs = q.from ? Date.parse(q.from) : 0;
    const toMs = q.to ? Date.parse(q.to) : Number.POSITIVE_INFINITY;
    if (fromMs > toMs) throw new BadRequestException('from must not be after to');
    const scope = `audit:${user.tenantId}:${owner ?? ''}:${q.sessionId ?? ''}:${q.from ?? ''}:${q.to ?? ''}`;
    let after: AuditPosition | undefined;
    if (q.cursor !== undefined) {
      const opened = this.seal.open(q.cursor, scope);
      const parsed = opened === null ? null : (JSON.parse(opened) as unknown);
      if (!isPosition(parsed)) throw new BadRequestException(BAD_CURSOR);
      after = parsed;
    }
    const keep = (r: AuditRecord) => r.tenantId === user.tenantId && (!q.sessionId || r.sessionId === q.sessionId) && (owner === undefined || this.ownedBy(r, owner));
    const items: AuditRecord[] = [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const slice = await this.store.read(user.tenantId, { fromMs, toMs }, after, q.limit - items.length);
      items.push(...slice.records.filter(keep).map(({ runUserId: _, ...shown }) => shown));
      if (!slice.next) return { items };
      after = slice.next;
      if (items.length === q.limit) break;
    }
    return { items, nextCursor: this.seal.seal(JSON.stringify(after), scope) };
  }

  /** Stored records carry their run's user (not shown), for the inbox rule. */
  private ownedBy(r: AuditRecord, owner: string): boolean {
    return r.runUserId === owner;
  }
}
