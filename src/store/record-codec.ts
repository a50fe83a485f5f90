import { isValidId } from '../common/ids';
import type { HitlRequest, HitlStatus } from '../hitl/hitl.types';
import type { RunRecord, RunStatus } from '../runs/run.types';

/** Redis hashes hold strings: these turn records into flat string maps and back. */

export function runToFields(run: RunRecord): Record<string, string> {
  return {
    sessionId: run.sessionId,
    tenantId: run.tenantId,
    userId: run.userId,
    prompt: run.prompt,
    status: run.status,
    cursor: String(run.cursor),
    seq: String(run.seq),
    requestId: run.requestId ?? '',
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
    status: f.status as RunStatus,
    cursor: Number(f.cursor),
    seq: Number(f.seq),
    requestId: f.requestId || null,
    owner: f.owner,
    createdAt: f.createdAt,
  };
}

export function requestToFields(req: HitlRequest): Record<string, string> {
  const fields: Record<string, string> = {
    requestId: req.requestId,
    sessionId: req.sessionId,
    tenantId: req.tenantId,
    userId: req.userId,
    toolName: req.toolName,
    params: JSON.stringify(req.params),
    message: req.message,
    status: req.status,
    createdAt: req.createdAt,
    expiresAt: req.expiresAt,
    createdMs: String(Date.parse(req.createdAt)),
  };
  if (req.decidedAt) fields.decidedAt = req.decidedAt;
  if (req.decidedBy) fields.decidedBy = req.decidedBy;
  if (req.reason) fields.reason = req.reason;
  return fields;
}

/** Builds the contract's request object, keys in the contract's order. */
export function requestFromFields(f: Record<string, string>): HitlRequest {
  const req: HitlRequest = {
    requestId: f.requestId,
    sessionId: f.sessionId,
    tenantId: f.tenantId,
    userId: f.userId,
    toolName: f.toolName,
    params: JSON.parse(f.params || '{}') as Record<string, unknown>,
    message: f.message,
    status: f.status as HitlStatus,
    createdAt: f.createdAt,
    expiresAt: f.expiresAt,
  };
  if (f.decidedAt) req.decidedAt = f.decidedAt;
  if (f.decidedBy) req.decidedBy = f.decidedBy;
  if (f.reason) req.reason = f.reason;
  return req;
}

/** ioredis answers HGETALL inside a script as a flat [k, v, k, v…] array. */
export function pairsToObject(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) out[pairs[i]] = pairs[i + 1];
  return out;
}

/** The inbox cursor: the last item's score and id, opaque to clients. */
export function encodeCursor(score: number, requestId: string): string {
  return Buffer.from(`${score}:${requestId}`).toString('base64url');
}

export function decodeCursor(cursor: string): { score: number; requestId: string } | null {
  const text = Buffer.from(cursor, 'base64url').toString();
  const m = /^(\d{1,16}):(.+)$/.exec(text);
  return m && isValidId(m[2]) ? { score: Number(m[1]), requestId: m[2] } : null;
}
