import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { AccessPolicy } from '../auth/access-policy.service';
import type { AuthUser } from '../auth/auth-user';
import { CursorSeal } from '../common/sealed-cursor';
import { AppConfig } from '../config/app-config';
import type { RunStatus } from '../contract/run.types';
import { HitlStore } from '../hitl/persistence/hitl-store.port';
import type { RunPageDto, RunViewDto } from './dto/run-view.dto';
import { RunPosition, RunStore, RunSummary } from './persistence/run-store.port';
import { decisionsOf } from './decision-resume';

/** A cursor's content: the position after which the next page starts. */
interface RunsCursor {
  c: number;
  id: string;
}

const isRunsCursor = (v: unknown): v is RunsCursor => {
  const c = v as RunsCursor | null;
  return typeof c === 'object' && c !== null && Number.isSafeInteger(c.c) && typeof c.id === 'string';
};

const BAD_CURSOR = 'cursor is not a cursor this service issued for this tenant, status and userId';

/** Looking runs up without replaying them: one by id, and the tenant's list. The access rules are the stream's. */
@Injectable()
export class RunQueries {
  private readonly seal: CursorSeal;

  constructor(
    private readonly runs: RunStore,
    private readonly requests: HitlStore,
    private readonly access: AccessPolicy,
    private readonly config: AppConfig,
  ) {
    this.seal = new CursorSeal(config.auth.jwtSecret);
  }

  async get(user: AuthUser, sessionId: string): Promise<RunViewDto> {
    const run = await this.runs.getRun(sessionId);
    if (!run || !this.access.canAccessRun(user, run)) throw new NotFoundException(`Session ${sessionId} not found`);
    return this.view(run);
  }

  async list(user: AuthUser, q: { status?: RunStatus; userId?: string; limit: number; cursor?: string }): Promise<RunPageDto> {
    const owner = this.access.runsOwnerFilter(user);
    // Asking for another user's runs without the right to see them: there are none to see.
    if (owner !== undefined && q.userId !== undefined && q.userId !== owner) return { items: [] };
    const userId = owner ?? q.userId;
    // The cursor is sealed for this tenant and query: one of another opens to nothing.
    const scope = `runs:${user.tenantId}:${q.status ?? ''}:${userId ?? ''}`;
    let after: RunPosition | undefined;
    if (q.cursor !== undefined) {
      const opened = this.seal.open(q.cursor, scope);
      const c = opened === null ? null : (JSON.parse(opened) as unknown);
      if (!isRunsCursor(c)) throw new BadRequestException(BAD_CURSOR);
      after = { createdMs: c.c, sessionId: c.id };
    }
    const page = await this.runs.listRuns({ tenantId: user.tenantId, status: q.status, userId, limit: q.limit, after });
    const items = await Promise.all(page.items.map((run) => this.view(run)));
    if (!page.next) return { items };
    return { items, nextCursor: this.seal.seal(JSON.stringify({ c: page.next.createdMs, id: page.next.sessionId } satisfies RunsCursor), scope) };
  }

  private async view(run: RunSummary): Promise<RunViewDto> {
    // A paused run's requests may already be decided (a worker has yet to resume it): pending only while they are; every one of its group.
    let pendingRequestIds: string[] = [];
    if (run.status === 'paused' && run.requestId) {
      const request = await this.requests.getRequest(run.requestId);
      const group = request ? await decisionsOf(this.requests, request) : [];
      pendingRequestIds = group.filter((r) => r.status === 'pending').map((r) => r.requestId);
    }
    return {
      sessionId: run.sessionId,
      tenantId: run.tenantId,
      userId: run.userId,
      status: run.status,
      createdAt: run.createdAt,
      updatedAt: run.updatedAt ?? run.createdAt,
      pendingRequestIds,
      lastSeq: run.seq,
      agent: run.agent ?? this.config.agent.kind,
    };
  }
}
