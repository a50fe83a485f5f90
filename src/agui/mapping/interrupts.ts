import type { Interrupt } from '@ag-ui/core';
import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';

/** What a `hitl` request event of the run's log carries (the v1.3 fields only when the build writes them). */
export interface PendingRequest {
  requestId: string;
  toolName: string;
  params: Record<string, unknown>;
  message: string;
  expiresAt: string;
  allowedDecisions?: string[];
  paramsDigest?: string;
  groupId?: string;
  groupSize?: number;
}

/**
 * The decisions this build can take through AG-UI: approve and reject. Edit and respond (contract
 * v1.3, "Decisions humans make") are offered once the request itself says it allows them.
 */
export const DEFAULT_ALLOWED_DECISIONS = ['approve', 'reject'];

/** sha256 of the params in canonical JSON (RFC 8785), the contract's paramsDigest, for requests that do not carry one yet. */
export function paramsDigest(params: Record<string, unknown>): string {
  return `sha256:${createHash('sha256').update(canonicalize(params) ?? '{}').digest('hex')}`;
}

/** The answer a resume entry's payload gives: `approved`, plus `editedArgs` / `message` only where the request allows edit / respond. */
export function responseSchema(allowed: string[]): Record<string, unknown> {
  const properties: Record<string, unknown> = { approved: { type: 'boolean', description: 'true approves the call, false rejects it' } };
  if (allowed.includes('edit')) properties.editedArgs = { type: 'object', description: 'with approved: true, run the tool with these arguments instead' };
  if (allowed.includes('respond')) properties.message = { type: 'string', minLength: 1, maxLength: 4000, description: 'with approved: false, answer the agent instead of running the tool' };
  return { type: 'object', properties, required: ['approved'], additionalProperties: false };
}

/** One AG-UI interrupt per pending request: its id is the requestId, so a resume names the request it decides. */
export function toInterrupt(r: PendingRequest): Interrupt {
  const allowedDecisions = r.allowedDecisions ?? DEFAULT_ALLOWED_DECISIONS;
  return {
    id: r.requestId,
    reason: 'tool_call',
    toolCallId: r.requestId,
    message: r.message,
    expiresAt: r.expiresAt,
    responseSchema: responseSchema(allowedDecisions),
    metadata: {
      aura: {
        requestId: r.requestId,
        toolName: r.toolName,
        params: r.params,
        paramsDigest: r.paramsDigest ?? paramsDigest(r.params),
        allowedDecisions,
      },
    },
  };
}

/** Reads a `hitl` request event's data; null when it is not one (a decision event, or a malformed one). */
export function pendingRequestOf(data: Record<string, unknown>): PendingRequest | null {
  if (data.requiresApproval !== true || typeof data.requestId !== 'string') return null;
  const params = data.params && typeof data.params === 'object' && !Array.isArray(data.params) ? (data.params as Record<string, unknown>) : {};
  return {
    requestId: data.requestId,
    toolName: typeof data.toolName === 'string' ? data.toolName : 'unknown',
    params,
    message: typeof data.message === 'string' ? data.message : '',
    expiresAt: typeof data.expiresAt === 'string' ? data.expiresAt : '',
    allowedDecisions: Array.isArray(data.allowedDecisions) ? data.allowedDecisions.filter((d): d is string => typeof d === 'string') : undefined,
    paramsDigest: typeof data.paramsDigest === 'string' ? data.paramsDigest : undefined,
    groupId: typeof data.groupId === 'string' ? data.groupId : undefined,
    groupSize: typeof data.groupSize === 'number' ? data.groupSize : undefined,
  };
}
