import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { AppModule } from './app.module';
import { BoundedExpressAdapter } from './common/bounded-express.adapter';
import { rejectUnsafeJson } from './common/json-guard.middleware';
import { setupSwagger } from './swagger-setup';
import { AppConfig } from './config/app-config';
import { AppLogger } from './logging/app-logger.service';
import { workerBodyParser } from './worker/worker-body-parser';

/** Builds the whole service (used by main.ts and by the e2e tests, so they test what ships). */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), new BoundedExpressAdapter(), { bufferLogs: true });
  app.useLogger(app.get(AppLogger));
  app.disable('x-powered-by');
  // nosniff, no-referrer and the other defaults on every response; the console adds its own CSP,
  // and Swagger UI (inline bootstrap) would not load under a global one.
  app.use(helmet({ contentSecurityPolicy: false, referrerPolicy: { policy: 'no-referrer' }, strictTransportSecurity: false }));
  app.set('etag', false);
  if (config.http.corsOrigins.length > 0) {
    // Before any route: a preflight is answered here, also for routes that would 404 an OPTIONS.
    // Bearer tokens, not cookies: no credentials. A browser client reads the two exposed headers
    // (when to retry a 429, and the id to quote in a support request). Another origin gets no
    // CORS header at all (its preflight falls through to the router's 404).
    const origins = new Set(config.http.corsOrigins);
    const allowed = {
      origin: true,
      methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Tenant-ID', 'Last-Event-ID', 'Idempotency-Key', 'X-Request-ID'],
      exposedHeaders: ['Retry-After', 'X-Request-ID'],
      maxAge: 600,
    };
    app.enableCors((req: Request, cb: (err: Error | null, options: object) => void) => {
      const origin = req.header('Origin');
      cb(null, origin !== undefined && origins.has(origin) ? allowed : { origin: false });
    });
  }
  // Worker steps may carry up to 64 KB of events plus state: their routes parse first, with a larger limit.
  app.use(workerBodyParser(config.http.apiPrefix));
  // Over 64 KB is 413 (the parser's limit); deeper than 32 levels or a lone surrogate is 400, checked
  // right after parsing, before anything walks the body recursively or hands a string to Redis.
  app.useBodyParser('json', { limit: '64kb' });
  app.use(rejectUnsafeJson());
  if (config.http.apiPrefix) {
    // The gateway's /api/aura/** is also answered here, next to /aura/**: the prefix is stripped before routing.
    const prefix = `/${config.http.apiPrefix}/`;
    app.use((req: Request, _res: Response, next: NextFunction) => {
      if (req.url.startsWith(prefix)) req.url = req.url.slice(prefix.length - 1);
      next();
    });
  }
  // Only the signals an orchestrator sends: SIGUSR2, SIGHUP and friends must not stop a pod.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  setupSwagger(app, config);
  return app;
}
