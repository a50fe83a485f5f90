import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Stream tickets are credentials: they never reach a log line. */
export const redactTicket = (url: string | undefined): string | undefined => url?.replace(/([?&]ticket=)[^&]*/g, '$1[Redacted]');

type Req = IncomingMessage & { id?: string; user?: { sub?: string; tenantId?: string }; query?: Record<string, unknown>; params?: Record<string, string> };

/** JSON lines (pretty only in development), one per request, with request id, tenant and session. */
export function loggerOptions(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.log.level,
      transport: config.log.pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[Redacted]' },
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
          url: redactTicket(req.url),
          headers: req.headers,
        }),
      },
      // Probes and scrapes every few seconds would drown the request log.
      autoLogging: { ignore: (req: IncomingMessage) => /^\/(health\/|metrics)/.test(req.url ?? '') },
    },
  };
}
