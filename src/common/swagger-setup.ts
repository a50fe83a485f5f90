import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '../config/app-config';
import { BEARER_SCHEME, TENANT_SCHEME, WORKER_SCHEME } from './swagger';

/** Swagger UI at /docs and the OpenAPI document at /docs-json, with both security schemes for "Try it out". */
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
  const document = SwaggerModule.createDocument(app, builder.build());
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', swaggerOptions: { persistAuthorization: true } });
}
