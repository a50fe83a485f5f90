import type { RunRecord, RunStatus } from '../../contract/run.types';

/** A run as a flat string map (a Redis hash), and back. The agent's state and metadata are JSON text. */
export function runToFields(run: RunRecord): Record<string, string> {
  return {
    sessionId: run.sessionId,
    tenantId: run.tenantId,
    userId: run.userId,
    prompt: run.prompt,
    metadata: JSON.stringify(run.metadata),
    status: run.status,
    cursor: String(run.cursor),
    seq: String(run.seq),
    requestId: run.requestId ?? '',
    approvedRequestId: run.approvedRequestId ?? '',
    state: run.state === undefined ? '' : JSON.stringify(run.state),
    owner: run.owner,
    createdAt: run.createdAt,
  };
}

export function runFromFields(f: Record<string, string>): RunRecord {
  return {
    sessionId: f.sessionId,
    tenantId: f.tenantId,
    userId: f.userId,
    prompt: f.prompt ?? '',
    metadata: f.metadata ? (JSON.parse(f.metadata) as Record<string, unknown>) : {},
    status: f.status as RunStatus,
    cursor: Number(f.cursor),
    seq: Number(f.seq),
    requestId: f.requestId || null,
    approvedRequestId: f.approvedRequestId || null,
    state: f.state ? (JSON.parse(f.state) as unknown) : undefined,
    owner: f.owner,
    ...(f.receipt ? { receipt: f.receipt } : {}),
    createdAt: f.createdAt,
  };
}
