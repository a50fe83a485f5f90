import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { IncomingMessage } from 'node:http';
import type { AppConfig } from './config/app-config';
import { HITL_REQUEST_EXAMPLES } from './hitl/dto/hitl-request.dto';
import { BEARER_SCHEME, TENANT_SCHEME, WORKER_SCHEME } from './common/swagger';

/**
 * Swagger UI at /docs and the OpenAPI document at /docs-json, with both security schemes for "Try it
 * out". It sits beside app.factory, not in common: it gathers what the features document (the HITL
 * examples), and common is below the features.
 */
export function setupSwagger(app: INestApplication, config: AppConfig): void {
  const builder = new DocumentBuilder()
    .setTitle('Aura')
    .setDescription('Live agent runs over SSE, paused for human approval (HITL) across instances via Redis.')
    .setVersion('1.2')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'HS256 JWT with sub, tenant_id, exp, iat; optional roles (an array of at most 50 strings of at most 128 characters, else 401), checked against HITL_APPROVER_ROLE',
      },
      BEARER_SCHEME,
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Worker token (AGENT=worker): HS256 JWT with scope "aura:worker", sub, exp, iat and no tenant_id; `npm run token -- --worker`' },
      WORKER_SCHEME,
    )
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Tenant-ID', description: 'Must equal the token’s tenant_id' }, TENANT_SCHEME)
    .addServer('/', 'This instance');
  if (config.http.apiPrefix) builder.addServer(`/${config.http.apiPrefix}`, 'Through the gateway prefix');
  const document = withRequestExamples(SwaggerModule.createDocument(app, builder.build()));
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
    patchDocumentOnRequest: <TRequest, TResponse>(req: TRequest, _res: TResponse, doc: OpenAPIObject) => throughGateway(req as unknown as IncomingMessage, doc),
  });
}

/** A path prefix such as /api (segments of URL-safe characters only; nothing else is echoed). */
const PREFIX = /^(\/[A-Za-z0-9._~-]+){1,4}$/;

/**
 * The routes outside /aura that the gateway passes on as they are, at its root (docker/nginx/default.conf:
 * `location /health/`). Any other route outside /aura (`/metrics`) it does not route at all.
 */
const GATEWAY_ROOT_PATHS = ['/health/'];

/**
 * Behind the gateway (docker/nginx/default.conf sets X-Forwarded-Prefix: /api) the /aura routes (and
 * the console) are reached at /api/aura/… (/api/console): the document served there names only that server, so Swagger's "Try it
 * out" calls the gateway's paths instead of /aura/…, which the gateway does not route. The probes
 * keep the gateway's root as their own server (it routes /health/ unprefixed), and a route the
 * gateway does not route is left out: the document offers no call that would answer 404.
 */
export function throughGateway(req: IncomingMessage, doc: OpenAPIObject): OpenAPIObject {
  const given = req.headers['x-forwarded-prefix'];
  const prefix = typeof given === 'string' ? given.replace(/\/+$/, '') : '';
  if (!PREFIX.test(prefix)) return doc;
  const paths: OpenAPIObject['paths'] = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    // The console is under the prefix too (location /api/console).
    if (path.startsWith('/aura/') || path === '/console' || path.startsWith('/console/')) paths[path] = item;
    else if (GATEWAY_ROOT_PATHS.some((root) => path.startsWith(root))) paths[path] = { ...item, servers: [{ url: '/', description: 'The gateway’s root (not under its prefix)' }] };
  }
  return { ...doc, servers: [{ url: prefix, description: 'Through the gateway' }], paths };
}

/** Whole-object examples on the routes that answer a HITL request, matching what each one returns. */
function withRequestExamples(doc: OpenAPIObject): OpenAPIObject {
  const examples: [string, 'get' | 'post', string, object][] = [
    ['/aura/hitl/requests/{requestId}', 'get', '200', HITL_REQUEST_EXAMPLES.pending],
    ['/aura/hitl/approve/{requestId}', 'post', '200', HITL_REQUEST_EXAMPLES.approved],
    ['/aura/hitl/approve/{requestId}', 'post', '409', HITL_REQUEST_EXAMPLES.rejected],
    ['/aura/hitl/reject/{requestId}', 'post', '200', HITL_REQUEST_EXAMPLES.rejected],
    ['/aura/hitl/reject/{requestId}', 'post', '409', HITL_REQUEST_EXAMPLES.approved],
    ['/aura/hitl/respond/{requestId}', 'post', '200', HITL_REQUEST_EXAMPLES.responded],
    ['/aura/hitl/respond/{requestId}', 'post', '409', HITL_REQUEST_EXAMPLES.edited],
  ];
  for (const [path, method, status, example] of examples) {
    const response = doc.paths[path]?.[method]?.responses?.[status] as { content?: Record<string, { example?: unknown }> } | undefined;
    const json = response?.content?.['application/json'];
    if (json) json.example = example;
  }
  return doc;
}
