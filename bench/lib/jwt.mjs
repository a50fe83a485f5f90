// HS256 JWT signing and verification with node:crypto only (no dependency).
import { createHmac, timingSafeEqual } from 'node:crypto';

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/** Signs {sub, tenant_id, iat, exp} (integer seconds) with HS256. */
export function signJwt(secret, { sub, tenantId, ttlSeconds = 7200, extra = {} }) {
  const now = Math.floor(Date.now() / 1000);
  const payload = b64url(JSON.stringify({ sub, tenant_id: tenantId, iat: now, exp: now + ttlSeconds, ...extra }));
  const sig = createHmac('sha256', secret).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${sig}`;
}

/**
 * Verifies an HS256 JWT the way the contract asks: alg HS256 only, good signature, string sub and
 * tenant_id, integer iat/exp, not expired, not issued in the future (5 s skew).
 * Returns the claims or null.
 */
export function verifyJwt(secret, token) {
  if (typeof token !== 'string') return null;
  const i1 = token.indexOf('.');
  const i2 = token.indexOf('.', i1 + 1);
  if (i1 < 1 || i2 < 0 || token.indexOf('.', i2 + 1) !== -1) return null;
  let header;
  let claims;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, i1), 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(token.slice(i1 + 1, i2), 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!header || header.alg !== 'HS256' || !claims || typeof claims !== 'object') return null;
  const expected = createHmac('sha256', secret).update(token.slice(0, i2)).digest();
  const given = Buffer.from(token.slice(i2 + 1), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.sub !== 'string' || typeof claims.tenant_id !== 'string') return null;
  if (!Number.isInteger(claims.exp) || !Number.isInteger(claims.iat)) return null;
  if (claims.exp <= now || claims.iat > now + 5) return null;
  return claims;
}
