import { createHmac } from 'node:crypto';

export const TEST_SECRET = 'test-secret-of-sufficient-length-0123456789';

const b64 = (v: object | string) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Signs any header and payload (so tests can also build the bad tokens: alg none, HS512, float exp…). */
export function rawToken(header: Record<string, unknown>, payload: Record<string, unknown>, secret = TEST_SECRET): string {
  const head = b64(header);
  const body = b64(payload);
  const alg = header.alg === 'HS512' ? 'sha512' : 'sha256';
  const sig = header.alg === 'none' ? '' : createHmac(alg, secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

export function token(sub = 'alice', tenant = 'acme', extra: Record<string, unknown> = {}, secret = TEST_SECRET): string {
  const now = Math.floor(Date.now() / 1000);
  return rawToken({ alg: 'HS256', typ: 'JWT' }, { sub, tenant_id: tenant, iat: now, exp: now + 3600, ...extra }, secret);
}

export function authHeaders(sub = 'alice', tenant = 'acme'): Record<string, string> {
  return { Authorization: `Bearer ${token(sub, tenant)}`, 'X-Tenant-ID': tenant };
}

/** A worker's token (AGENT=worker): scope aura:worker, no tenant. */
export function workerToken(sub = 'worker-1', extra: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return rawToken({ alg: 'HS256', typ: 'JWT' }, { sub, scope: 'aura:worker', iat: now, exp: now + 3600, ...extra });
}
