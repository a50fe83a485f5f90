import type { RunRecord, RunStatus } from '../../contract/run.types';
import type { RunSummary } from './run-store.port';

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
    ...(run.agent ? { agent: run.agent } : {}),
  };
}

/** The hash fields a run summary needs, in the order summaryFromValues reads them (HMGET). */
export const SUMMARY_FIELDS = ['sessionId', 'tenantId', 'userId', 'status', 'seq', 'requestId', 'createdAt', 'updatedMs', 'agent'] as const;

export function summaryFromValues(values: (string | null)[]): RunSummary | null {
  const f: Record<string, string> = {};
  SUMMARY_FIELDS.forEach((name, i) => {
    const v = values[i];
    if (v !== null && v !== undefined) f[name] = v;
  });
  if (!f.status || !f.sessionId) return null;
  return {
    sessionId: f.sessionId,
    tenantId: f.tenantId,
    userId: f.userId,
    status: f.status as RunStatus,
    seq: Number(f.seq),
    requestId: f.requestId || null,
    createdAt: f.createdAt,
    updatedAt: f.updatedMs ? new Date(Number(f.updatedMs)).toISOString() : f.createdAt,
    ...(f.agent ? { agent: f.agent } : {}),
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
    // Written by the scripts from Redis's clock (ms).
    updatedAt: f.updatedMs ? new Date(Number(f.updatedMs)).toISOString() : f.createdAt,
    ...(f.agent ? { agent: f.agent } : {}),
  };
}
