import request from 'supertest';
import { startApp, TestApp, uniqueId } from './support/app';
import { SseClient } from './support/sse';
import { authHeaders, rawToken, token } from './support/tokens';

describe('Auth: every edge of the contract', () => {
  let app: TestApp;
  beforeAll(async () => (app = await startApp()));
  afterAll(() => app.close());

  const now = () => Math.floor(Date.now() / 1000);
  const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'alice', tenant_id: 'acme', iat: now(), exp: now() + 600, ...extra });
  const without = (key: string) => {
    const c: Record<string, unknown> = claims();
    delete c[key];
    return c;
  };
  const get = (authorization: string | undefined, tenant: string | null = 'acme') => {
    const r = request(app.url).get('/aura/hitl/requests/req-1');
    if (authorization !== undefined) r.set('Authorization', authorization);
    if (tenant !== null) r.set('X-Tenant-ID', tenant);
    return r;
  };

  it('accepts a valid HS256 token with a matching tenant (404 for the unknown request, not an auth error)', async () => {
    const res = await get(`Bearer ${token()}`).expect(404);
    expect(res.body.message).toBe('HITL request req-1 not found');
  });

  it.each([
    ['no Authorization header', undefined, 'Invalid authorization header'],
    ['a Basic scheme', 'Basic YWxpY2U6cHc=', 'Invalid authorization header'],
    ['Bearer without a token', 'Bearer ', 'Invalid authorization header'],
    ['garbage', 'Bearer not.a.jwt', 'Invalid token'],
    ['alg none', `Bearer ${rawToken({ alg: 'none', typ: 'JWT' }, claims())}`, 'Invalid token'],
    ['HS512', `Bearer ${rawToken({ alg: 'HS512', typ: 'JWT' }, claims())}`, 'Invalid token'],
    ['a bad signature', `Bearer ${token('alice', 'acme', {}, 'another-secret-0123456789')}`, 'Invalid token'],
    ['an expired token', `Bearer ${rawToken({ alg: 'HS256' }, claims({ iat: now() - 7200, exp: now() - 3600 }))}`, 'Invalid token'],
    ['a not-yet-valid token (nbf)', `Bearer ${rawToken({ alg: 'HS256' }, claims({ nbf: now() + 3600 }))}`, 'Invalid token'],
    ['iat in the future', `Bearer ${rawToken({ alg: 'HS256' }, claims({ iat: now() + 3600 }))}`, 'Invalid token'],
    ['a float exp', `Bearer ${rawToken({ alg: 'HS256' }, claims({ exp: now() + 600.5 }))}`, 'Invalid token'],
    ['a string iat', `Bearer ${rawToken({ alg: 'HS256' }, claims({ iat: String(now()) }))}`, 'Invalid token'],
    ['a string exp', `Bearer ${rawToken({ alg: 'HS256' }, claims({ exp: String(now() + 600) }))}`, 'Invalid token'],
    ['a missing sub', `Bearer ${rawToken({ alg: 'HS256' }, without('sub'))}`, 'Invalid token'],
    ['a missing tenant_id', `Bearer ${rawToken({ alg: 'HS256' }, without('tenant_id'))}`, 'Invalid token'],
    ['a missing exp', `Bearer ${rawToken({ alg: 'HS256' }, without('exp'))}`, 'Invalid token'],
    ['a missing iat', `Bearer ${rawToken({ alg: 'HS256' }, without('iat'))}`, 'Invalid token'],
    ['a numeric sub', `Bearer ${rawToken({ alg: 'HS256' }, claims({ sub: 42 }))}`, 'Invalid token'],
    ['a tenant_id that is no id', `Bearer ${rawToken({ alg: 'HS256' }, claims({ tenant_id: 'a b' }))}`, 'Invalid token'],
  ])('answers 401 to %s', async (_, authorization, message) => {
    const res = await get(authorization).expect(401);
    expect(res.body).toEqual({ statusCode: 401, message, error: 'Unauthorized' });
  });

  it('decides 401 before 400/403: a bad token with no tenant header is 401', async () => {
    await get('Bearer nope', null).expect(401);
    await get(undefined, 'other').expect(401);
  });

  it('answers 400 when X-Tenant-ID is missing', async () => {
    const res = await get(`Bearer ${token()}`, null).expect(400);
    expect(res.body.message).toBe('Missing X-Tenant-ID header');
  });

  it('answers 403 "Tenant ID mismatch" when X-Tenant-ID differs from tenant_id', async () => {
    const res = await get(`Bearer ${token()}`, 'globex').expect(403);
    expect(res.body).toEqual({ statusCode: 403, message: 'Tenant ID mismatch', error: 'Forbidden' });
  });

  it('applies to every /aura route, the stream included', async () => {
    await request(app.url).get('/aura/test/stream').expect(401);
    await request(app.url).post('/aura/hitl/approve/x').expect(401);
    await request(app.url).post('/aura/hitl/reject/x').expect(401);
    await request(app.url).get('/aura/hitl/signals/x').expect(401);
    await request(app.url).get('/aura/hitl/requests').expect(401);
    await request(app.url).post('/aura/runs/x/cancel').expect(401);
    await request(app.url).post('/aura/stream-tickets').expect(401);
    await request(app.url).get('/aura/hitl/requests').set('Authorization', `Bearer ${token()}`).expect(400);
    await request(app.url).post('/aura/runs/x/cancel').set('Authorization', `Bearer ${token()}`).set('X-Tenant-ID', 'x').expect(403);
    await request(app.url).post('/aura/stream-tickets').set('Authorization', `Bearer ${token()}`).set('X-Tenant-ID', 'x').expect(403);
    await request(app.url).get('/aura/test/stream').set('Authorization', `Bearer ${token()}`).expect(400);
    await request(app.url).get('/aura/test/stream').set('Authorization', `Bearer ${token()}`).set('X-Tenant-ID', 'x').expect(403);
  });

  it('leaves probes, docs and metrics public', async () => {
    await request(app.url).get('/health/live').expect(200);
    await request(app.url).get('/health/ready').expect(200);
    await request(app.url).get('/docs-json').expect(200);
    await request(app.url).get('/metrics').expect(200);
  });

  describe('tenant isolation: another tenant’s ids are 404, exactly like unknown ones', () => {
    const acme = authHeaders('alice', 'acme');
    const globex = authHeaders('gina', 'globex');
    let sessionId: string;
    let requestId: string;
    let stream: SseClient;

    beforeAll(async () => {
      sessionId = uniqueId('iso');
      stream = new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}`, acme);
      ({ requestId } = await stream.hitlRequest());
    });
    afterAll(() => stream.close());

    it.each([
      ['GET request', (h: Record<string, string>) => request(app.url).get(`/aura/hitl/requests/${requestId}`).set(h)],
      ['approve', (h: Record<string, string>) => request(app.url).post(`/aura/hitl/approve/${requestId}`).set(h)],
      ['reject', (h: Record<string, string>) => request(app.url).post(`/aura/hitl/reject/${requestId}`).set(h).send({ reason: 'x' })],
      ['signals', (h: Record<string, string>) => request(app.url).get(`/aura/hitl/signals/${sessionId}`).set(h)],
      ['stream', (h: Record<string, string>) => request(app.url).get(`/aura/test/stream?sessionId=${sessionId}`).set(h)],
    ])('%s', async (_, call) => {
      const res = await call(globex).expect(404);
      expect(res.body.statusCode).toBe(404);
    });

    it('left the request untouched', async () => {
      const res = await request(app.url).get(`/aura/hitl/requests/${requestId}`).set(acme).expect(200);
      expect(res.body.status).toBe('pending');
      expect(stream.events.at(-1)?.type).toBe('hitl');
    });
  });
});
