import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Query parameters never logged: credentials (tickets, tokens) and prompts (private, and long). */
const SECRET_PARAMS = new Set(['ticket', 'access_token', 'token', 'id_token', 'refresh_token', 'api_key', 'apikey', 'password', 'secret', 'prompt']);
const JWT_LIKE = /eyJ[\w-]+\.[\w-]+\.[\w-]*/g;

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

type Req = IncomingMessage & { id?: string; user?: { sub?: string; tenantId?: string }; query?: Record<string, unknown>; params?: Record<string, string> };

/** JSON lines (pretty only in development), one per request, with request id, tenant and session. */
export function loggerOptions(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.log.level,
      transport: config.log.pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
      redact: {
        paths: ['req.headers.authorization', 'req.headers["proxy-authorization"]', 'req.headers.cookie', 'req.headers["x-api-key"]', 'res.headers["set-cookie"]'],
        censor: '[Redacted]',
      },
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-ID', id);
        return id;
      },
      customProps: (req: IncomingMessage) => {
        const r = req as Req;
        const sessionId = r.params?.sessionId ?? (typeof r.query?.sessionId === 'string' ? r.query.sessionId : undefined);
        return { tenantId: r.user?.tenantId, userId: r.user?.sub, sessionId, requestId: r.params?.requestId };
      },
      serializers: {
        req: (req: { id: string; method: string; url: string; headers: Record<string, unknown> }) => ({
          id: req.id,
          method: req.method,
          url: redactUrl(req.url),
          headers: req.headers,
        }),
      },
      // Probes and scrapes every few seconds would drown the request log.
      autoLogging: { ignore: (req: IncomingMessage) => /^\/(health\/|metrics)/.test(req.url ?? '') },
    },
  };
}
