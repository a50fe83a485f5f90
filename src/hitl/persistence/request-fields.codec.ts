import type { HitlRequest, HitlStatus } from '../../contract/hitl.types';
import { isValidId } from '../../contract/ids';

/** A request as a flat string map (a Redis hash), and back in the contract's key order. */
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

export function requestFromFields(f: Record<string, string>): HitlRequest {
  const params = typeof f.params === 'string' ? (JSON.parse(f.params || '{}') as Record<string, unknown>) : ((f.params as unknown as Record<string, unknown>) ?? {});
  const req: HitlRequest = {
    requestId: f.requestId,
    sessionId: f.sessionId,
    tenantId: f.tenantId,
    userId: f.userId,
    toolName: f.toolName,
    params,
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
