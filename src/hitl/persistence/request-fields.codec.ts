import { DecisionKind, HitlRequest, HitlStatus, V12_DECISIONS } from '../../contract/hitl.types';
import { isValidId } from '../../contract/ids';
import { paramsDigest } from '../params-digest';

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
  fields.allowedDecisions = JSON.stringify(req.allowedDecisions);
  if (req.paramsSchema) fields.paramsSchema = JSON.stringify(req.paramsSchema);
  fields.paramsDigest = req.paramsDigest;
  if (req.editedParams) fields.editedParams = JSON.stringify(req.editedParams);
  if (req.response !== undefined) fields.response = req.response;
  fields.groupId = req.groupId;
  fields.groupSize = String(req.groupSize);
  return fields;
}

/** A JSON field as stored (a string) or as a script's decoded object carries it. */
function json<T>(value: unknown): T | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/**
 * Also reads requests stored before v1.3 (no decisions, digest or group): they offer the v1.2
 * pair and are a group of one, so a paused run of an older instance resumes as it would have.
 */
export function requestFromFields(f: Record<string, string>): HitlRequest {
  const params = json<Record<string, unknown>>(f.params) ?? {};
  const schema = json<Record<string, unknown>>(f.paramsSchema);
  const edited = json<Record<string, unknown>>(f.editedParams);
  return {
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
    ...(f.decidedAt ? { decidedAt: f.decidedAt } : {}),
    ...(f.decidedBy ? { decidedBy: f.decidedBy } : {}),
    ...(f.reason ? { reason: f.reason } : {}),
    allowedDecisions: json<DecisionKind[]>(f.allowedDecisions) ?? [...V12_DECISIONS],
    ...(schema ? { paramsSchema: schema } : {}),
    paramsDigest: f.paramsDigest || paramsDigest(params),
    ...(edited ? { editedParams: edited } : {}),
    ...(typeof f.response === 'string' ? { response: f.response } : {}),
    groupId: f.groupId || f.requestId,
    groupSize: Number(f.groupSize) || 1,
  };
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
