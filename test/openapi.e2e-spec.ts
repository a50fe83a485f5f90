import SwaggerParser from '@apidevtools/swagger-parser';
import request from 'supertest';
import { startApp, TestApp } from './support/app';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

describe('OpenAPI document (/docs-json)', () => {
  let app: TestApp;
  let doc: { paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>; components: { securitySchemes: Record<string, unknown> } };

  beforeAll(async () => {
    app = await startApp();
    doc = (await request(app.url).get('/docs-json').expect(200)).body;
  });
  afterAll(() => app.close());

  it('is a valid OpenAPI 3 document', async () => {
    const copy = JSON.parse(JSON.stringify(doc));
    await expect(SwaggerParser.validate(copy)).resolves.toBeDefined();
    expect((doc as unknown as { openapi: string }).openapi).toMatch(/^3\./);
  });

  it('documents every route the app serves', () => {
    const router = (app.app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } }).router;
    const served = router.stack
      .filter((l) => l.route)
      .flatMap((l) => Object.keys(l.route!.methods).map((m) => `${m.toUpperCase()} ${l.route!.path.replace(/:(\w+)/g, '{$1}')}`))
      // Swagger's own pages, and the catch-all that answers 404, are not API routes.
      .filter((r) => !/ \/docs/.test(r) && !r.includes('*'));
    expect(served.length).toBeGreaterThan(10);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(expect.arrayContaining(served.sort()));
    for (const route of ['GET /aura/test/stream', 'GET /aura/hitl/requests/{requestId}', 'POST /aura/hitl/approve/{requestId}', 'POST /aura/hitl/reject/{requestId}', 'GET /aura/hitl/signals/{sessionId}', 'GET /aura/hitl/requests', 'POST /aura/runs/{sessionId}/cancel', 'POST /aura/stream-tickets', 'GET /health/live', 'GET /health/ready', 'GET /metrics']) {
      expect(served).toContain(route);
    }
  });

  it('declares the bearer JWT and X-Tenant-ID schemes, required together on every /aura route', () => {
    expect(doc.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      tenant: { type: 'apiKey', in: 'header', name: 'X-Tenant-ID' },
    });
    expect((doc.components.securitySchemes.bearer as { description: string }).description).toMatch(/roles.*HITL_APPROVER_ROLE/);
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith('/aura/') || path.startsWith('/aura/worker/')) continue;
      for (const op of Object.values(ops)) expect(op.security).toEqual([{ bearer: [], tenant: [] }]);
    }
  });

  it('puts the worker routes under their own tag and their own scheme (a worker token, no tenant header)', () => {
    expect(doc.components.securitySchemes).toMatchObject({ worker: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: expect.stringMatching(/[Ww]orker token/) } });
    const worker = Object.entries(doc.paths).filter(([path]) => path.startsWith('/aura/worker/'));
    expect(worker.map(([path]) => path).sort()).toEqual(['/aura/worker/claim', '/aura/worker/runs/{sessionId}/lease', '/aura/worker/runs/{sessionId}/steps']);
    for (const [, ops] of worker) {
      for (const op of Object.values(ops) as { security?: unknown[]; tags?: string[] }[]) {
        expect(op.security).toEqual([{ worker: [] }]);
        expect(op.tags).toEqual(['worker']);
      }
    }
    expect(Object.keys(doc.paths['/aura/worker/claim'].post.responses)).toEqual(expect.arrayContaining(['200', '204', '401', '403']));
    expect(Object.keys(doc.paths['/aura/worker/runs/{sessionId}/steps'].post.responses)).toEqual(expect.arrayContaining(['200', '400', '403', '409']));
  });

  it('documents the v1.3 decisions: the respond route, the edit and digest bodies, the request object’s new fields', () => {
    const schemas = (doc.components as unknown as { schemas: Record<string, { properties: Record<string, unknown>; required?: string[] }> }).schemas;
    expect(Object.keys(doc.paths['/aura/hitl/respond/{requestId}'].post.responses).sort()).toEqual(['200', '400', '401', '403', '404', '409', '422', '503']);
    expect(Object.keys(schemas.ApproveDto.properties).sort()).toEqual(['params', 'paramsDigest', 'reason']);
    expect(schemas.RespondDto.required).toEqual(['message']);
    expect(schemas.HitlRequestDto.required).toEqual(expect.arrayContaining(['allowedDecisions', 'paramsDigest', 'groupId', 'groupSize']));
    expect(Object.keys(schemas.HitlRequestDto.properties)).toEqual(expect.arrayContaining(['paramsSchema', 'editedParams', 'response']));
    expect(schemas.StepDto.properties).toHaveProperty('approvals');
    expect(schemas.ClaimedRunDto.properties).toHaveProperty('decisions');
  });

  it('lists the status codes of the decision routes', () => {
    const approve = doc.paths['/aura/hitl/approve/{requestId}'].post.responses;
    expect(Object.keys(approve).sort()).toEqual(['200', '400', '401', '403', '404', '409', '422', '503']);
    // v1.3: every decision route takes an Idempotency-Key.
    for (const route of ['/aura/hitl/approve/{requestId}', '/aura/hitl/reject/{requestId}', '/aura/hitl/respond/{requestId}']) {
      const params = (doc.paths[route].post as unknown as { parameters: Array<{ name: string; in: string }> }).parameters;
      expect(params).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header' })]));
    }
    // v1.2: a decision can also be refused for the approver role or the four-eyes rule.
    for (const route of ['/aura/hitl/approve/{requestId}', '/aura/hitl/reject/{requestId}', '/aura/hitl/respond/{requestId}']) {
      const forbidden = (doc.paths[route].post.responses['403'] as { description: string }).description;
      expect(forbidden).toContain('Tenant ID mismatch');
      expect(forbidden).toContain('HITL_APPROVER_ROLE');
      expect(forbidden).toContain('HITL_SELF_APPROVAL');
    }
    const list = doc.paths['/aura/hitl/requests'].get.responses;
    expect(Object.keys(list)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
  });

  it('documents the stream\'s 429 (limits) with its Retry-After header', () => {
    const tooMany = doc.paths['/aura/test/stream'].get.responses['429'] as { description: string; headers: Record<string, { schema: { type: string } }> };
    expect(tooMany.description).toMatch(/MAX_ACTIVE_RUNS_PER_USER/);
    expect(tooMany.headers['Retry-After'].schema.type).toBe('integer');
  });

  it('documents each SSE event type’s data', () => {
    const content = (doc.paths['/aura/test/stream'].get.responses['200'] as { content: Record<string, { schema: { properties: Record<string, unknown> } }> }).content;
    expect(Object.keys(content['text/event-stream'].schema.properties).sort()).toEqual(['content', 'done', 'hitl', 'plan_step', 'run_error', 'thought', 'tool_execution']);
  });

  it('gives every parameter a primitive schema, so Swagger UI\'s "Try it out" can send it', () => {
    const bad: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops as Record<string, { parameters?: { name: string; in: string; schema?: { type?: string } }[] }>)) {
        for (const p of op.parameters ?? []) {
          if (!['string', 'integer', 'number', 'boolean'].includes(p.schema?.type as string)) bad.push(`${method.toUpperCase()} ${path} ${p.in} ${p.name}: ${JSON.stringify(p.schema)}`);
        }
      }
    }
    expect(bad).toEqual([]);
    const limit = (doc.paths['/aura/hitl/requests'].get as unknown as { parameters: { name: string; schema: object }[] }).parameters.find((p) => p.name === 'limit');
    expect(limit?.schema).toEqual({ type: 'integer', minimum: 1, maximum: 200, default: 50 });
    // The "Object" schema came from the untyped limit; no schema stands for a bare Object.
    expect(Object.keys((doc.components as unknown as { schemas: object }).schemas)).not.toContain('Object');
  });

  it('shows each decision route answering with a request in the matching status', () => {
    const example = (path: string, method: string, status: string) =>
      ((doc.paths[path] as Record<string, { responses: Record<string, { content: Record<string, { example: Record<string, unknown> }> }> }>)[method].responses[status].content['application/json'].example);
    const pending = example('/aura/hitl/requests/{requestId}', 'get', '200');
    expect(pending.status).toBe('pending');
    expect(pending).not.toHaveProperty('decidedAt');
    const approved = example('/aura/hitl/approve/{requestId}', 'post', '200');
    expect(approved).toMatchObject({ status: 'approved', decidedBy: expect.any(String), decidedAt: expect.any(String) });
    expect(approved).not.toHaveProperty('reason');
    expect(example('/aura/hitl/reject/{requestId}', 'post', '200')).toMatchObject({ status: 'rejected', reason: expect.any(String), decidedAt: expect.any(String) });
    expect(example('/aura/hitl/approve/{requestId}', 'post', '409').status).not.toBe('pending');
  });

  it('names the gateway as the server when asked through it (X-Forwarded-Prefix), and only a path prefix', async () => {
    expect((doc as unknown as { servers: { url: string }[] }).servers[0].url).toBe('/');
    const through = (await request(app.url).get('/docs-json').set('X-Forwarded-Prefix', '/api').expect(200)).body;
    // Only the gateway: through it, /aura/… (the "This instance" server) is not routed.
    expect(through.servers.map((s: { url: string }) => s.url)).toEqual(['/api']);
    const forged = (await request(app.url).get('/docs-json').set('X-Forwarded-Prefix', 'https://evil.example/x').expect(200)).body;
    expect(forged.servers.map((s: { url: string }) => s.url)).toEqual(['/']);
  });

  it('through the gateway, gives the probes the gateway’s root as their server and leaves out /metrics, which it does not route', async () => {
    const through = (await request(app.url).get('/docs-json').set('X-Forwarded-Prefix', '/api').expect(200)).body as { paths: Record<string, { servers?: { url: string }[] }> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready', '/metrics']));
    for (const path of ['/health/live', '/health/ready']) expect(through.paths[path].servers?.map((s) => s.url)).toEqual(['/']);
    expect(through.paths['/metrics']).toBeUndefined();
    const rest = Object.keys(through.paths).filter((p) => !p.startsWith('/health/'));
    expect(rest.length).toBeGreaterThan(5);
    for (const path of rest) {
      expect(path).toMatch(/^\/(aura\/|console)/);
      expect(through.paths[path].servers).toBeUndefined();
    }
    // The document served directly is unchanged by a request through the gateway.
    const direct = (await request(app.url).get('/docs-json').expect(200)).body as { paths: Record<string, { servers?: unknown }> };
    expect(direct.paths['/metrics']).toBeDefined();
    expect(direct.paths['/health/live'].servers).toBeUndefined();
  });

  it('serves the Swagger UI at /docs', async () => {
    const res = await request(app.url).get('/docs').redirects(1).expect(200);
    expect(res.text).toContain('swagger-ui');
  });
});
