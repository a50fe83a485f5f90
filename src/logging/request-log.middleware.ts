import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { isQuietPath, LoggedRequest, loggedHeaders, redactUrl, requestIdOf, requestProps } from './log-fields';

/**
 * One JSON line per request, written when its response ends (an SSE stream: when it closes), with
 * the request id (taken or generated, and echoed as X-Request-ID), tenant, user and session.
 * Everything is read at that moment: an open stream holds two listeners and no per-request logger
 * (pino-http serialized each request into child loggers that stayed on the heap while it was open).
 */
export function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const r = req as LoggedRequest;
    r.id = requestIdOf(req);
    res.setHeader('X-Request-ID', r.id);
    if (isQuietPath(req.url) || !logger.isLevelEnabled('info')) return next();
    const started = Date.now();
    // As the client sent it: req.url has lost a gateway prefix by now, and routers rewrite it.
    const url = req.originalUrl ?? req.url;
    const done = () => {
      res.removeListener('finish', done);
      res.removeListener('close', done);
      const failed = res.statusCode >= 500;
      logger.info(
        {
          req: { id: r.id, method: req.method, url: redactUrl(url), headers: loggedHeaders(req.headers) },
          ...requestProps(r),
          res: { statusCode: res.statusCode, headers: res.getHeaders() },
          responseTime: Date.now() - started,
        },
        failed ? 'request errored' : 'request completed',
      );
    };
    res.on('finish', done);
    res.on('close', done);
    next();
  };
}
