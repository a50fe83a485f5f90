import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Query parameters never logged: credentials (tickets, tokens) and prompts (private, and long). */
const SECRET_PARAMS = new Set(['ticket', 'access_token', 'token', 'id_token', 'refresh_token', 'api_key', 'apikey', 'password', 'secret', 'prompt']);
const JWT_LIKE = /eyJ[\w-]+\.[\w-]+\.[\w-]*/g;

/** Header values never logged (pino's redact paths, applied when a line is written). */
export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers["proxy-authorization"]', 'req.headers.cookie', 'req.headers["x-api-key"]', 'res.headers["set-cookie"]'];

/**
 * The URL as logged: parameters are read as the server reads them (percent-decoded names, `a[]`
 * forms), so `?%74icket=` is redacted like `?ticket=`; anything shaped like a JWT goes too.
 */
export function redactUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).replace(JWT_LIKE, '[Redacted]');
  if (q < 0) return path;
  const params: string[] = [];
  for (const [name, value] of new URLSearchParams(url.slice(q + 1))) {
    const secret = SECRET_PARAMS.has(name.replace(/\[.*$/, '').toLowerCase());
    params.push(`${encodeURIComponent(name)}=${secret ? '[Redacted]' : encodeURIComponent(value).replace(JWT_LIKE, '[Redacted]')}`);
  }
  return `${path}?${params.join('&')}`;
}

/**
 * The request headers a log line keeps. An allowlist: credentials travel in headers nobody can list
 * in advance (X-Auth-Token, X-Forwarded-Access-Token, a gateway's own), so any header not named here
 * is left out. Credential headers we know of are kept as '[Redacted]', to show they were sent.
 */
const LOGGED_HEADERS = new Set([
  'host', 'user-agent', 'accept', 'content-type', 'content-length', 'origin', 'last-event-id',
  'x-request-id', 'x-tenant-id', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip',
]);
const MARKED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);

export function loggedHeaders(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (MARKED_HEADERS.has(name)) out[name] = '[Redacted]';
    else if (LOGGED_HEADERS.has(name)) out[name] = typeof value === 'string' ? value.replace(JWT_LIKE, '[Redacted]') : value;
  }
  return out;
}

/** The caller's X-Request-ID when it is a sane id, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

export type LoggedRequest = IncomingMessage & {
  id?: string;
  originalUrl?: string;
  user?: { sub?: string; tenantId?: string };
  query?: Record<string, unknown>;
  params?: Record<string, string>;
};

/** Who and what a request line is about: read when the line is written, after the guards ran. */
export function requestProps(req: LoggedRequest): Record<string, string | undefined> {
  const sessionId = req.params?.sessionId ?? (typeof req.query?.sessionId === 'string' ? req.query.sessionId : undefined);
  return { tenantId: req.user?.tenantId, userId: req.user?.sub, sessionId, requestId: req.params?.requestId };
}

/** Probes and scrapes every few seconds would drown the request log. */
export const isQuietPath = (url: string | undefined): boolean => /^\/(health\/|metrics)/.test(url ?? '');
