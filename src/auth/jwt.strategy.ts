import { Injectable } from '@nestjs/common';
import { createSecretKey } from 'node:crypto';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { isValidId } from '../contract/ids';
import { AppConfig } from '../config/app-config';
import type { AuthUser } from './auth-user';

/** Clock skew allowed for `iat` (an issuer whose clock runs slightly ahead). */
const CLOCK_TOLERANCE_SECONDS = 30;
/** Bounds of the `roles` claim: a token is a header on every request, not a directory. */
const MAX_ROLES = 50;
const MAX_ROLE_LENGTH = 128;

/** `roles` is optional (absent = none) but, when present, an array of at most 50 strings of at most 128 characters. */
const rolesProblem = (roles: unknown): string | null => {
  if (roles === undefined) return null;
  if (!Array.isArray(roles) || roles.length > MAX_ROLES) return `roles must be an array of at most ${MAX_ROLES} strings`;
  if (!roles.every((r) => typeof r === 'string' && r.length <= MAX_ROLE_LENGTH)) return `each role must be a string of at most ${MAX_ROLE_LENGTH} characters`;
  return null;
};

/** The scope that makes a token a worker's (AGENT=worker): it serves every tenant, on the worker routes only. */
export const WORKER_SCOPE = 'aura:worker';

/** True when the space-separated `scope` claim names the worker scope. */
export const isWorkerToken = (payload: Record<string, unknown>): boolean =>
  typeof payload.scope === 'string' && payload.scope.split(' ').includes(WORKER_SCOPE);

/** Reasons a verified signature still does not make a valid token; null when the claims are good. A worker token has no tenant_id. */
export function claimsProblem(payload: Record<string, unknown>, nowSeconds: number): string | null {
  const { sub, tenant_id, exp, iat, roles } = payload;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) return 'sub must be a non-empty string';
  if (!isWorkerToken(payload) && !isValidId(tenant_id)) return 'tenant_id must be an id string';
  if (!Number.isInteger(exp)) return 'exp must be integer Unix seconds';
  if (!Number.isInteger(iat)) return 'iat must be integer Unix seconds';
  if ((iat as number) > nowSeconds + CLOCK_TOLERANCE_SECONDS) return 'iat is in the future';
  return rolesProblem(roles);
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(config: AppConfig) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject, not the string: given a string, jsonwebtoken first tries (and fails) to parse it
      // as a PEM public key on every request, which cost a fifth of the CPU under load.
      // (passport-jwt types say string | Buffer; it hands the value to jsonwebtoken, which takes a KeyObject.)
      secretOrKey: createSecretKey(Buffer.from(config.auth.jwtSecret)) as unknown as Buffer,
      // HS256 only: `none`, HS512 and every asymmetric algorithm are refused by the verifier itself.
      algorithms: ['HS256'],
      // The contract: an expired token is 401, with no grace.
      ignoreExpiration: false,
    });
  }

  validate(payload: Record<string, unknown>): AuthUser | false {
    if (claimsProblem(payload, Math.floor(Date.now() / 1000))) return false;
    if (isWorkerToken(payload)) return { sub: payload.sub as string, tenantId: '', roles: [], worker: true };
    return { sub: payload.sub as string, tenantId: payload.tenant_id as string, roles: (payload.roles as string[] | undefined) ?? [] };
  }
}
