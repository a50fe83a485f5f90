import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * `sha256:<hex>` of params in canonical JSON (RFC 8785, JCS): the same params give the same digest
 * in any language whatever the key order, so an approver's client can bind a decision to what it showed.
 */
export function paramsDigest(params: Record<string, unknown>): string {
  return `sha256:${createHash('sha256').update(canonicalize(params) ?? 'null').digest('hex')}`;
}

export const PARAMS_DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
