import request from 'supertest';
import { startApp, TestApp, uniqueId } from './support/app';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

/** Contract v1.2 "Limits": unfinished runs per user and per tenant, counted across instances; bounded JSON bodies. */
describe('Limits on unfinished runs, two instances on one Redis', () => {
  let a: TestApp;
  let b: TestApp;
  const streams: SseClient[] = [];
  const env = { MAX_ACTIVE_RUNS_PER_USER: '2', MAX_ACTIVE_RUNS_PER_TENANT: '3' };

  beforeAll(async () => {
    a = await startApp(env);
    b = await startApp(env);
  });
  afterAll(async () => {
    streams.forEach((s) => s.close());
    await Promise.all([a.close(), b.close()]);
  });

  /** Opens a stream and waits until its run is paused for approval (so it stays unfinished). */
  const paused = async (app: TestApp, h: Record<string, string>, sessionId = uniqueId('lim')) => {
    const s = new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}`, h);
    streams.push(s);
    const { requestId } = await s.hitlRequest();
    return { s, sessionId, requestId };
  };

  const refused = async (app: TestApp, h: Record<string, string>, scope: RegExp) => {
    const sessionId = uniqueId('refused');
    const res = await request(app.url).get(`/aura/test/stream?sessionId=${sessionId}`).set(h).expect(429);
    expect(res.headers['retry-after']).toBe('10');
    expect(res.body).toEqual({ statusCode: 429, message: expect.stringMatching(scope), error: 'Too Many Requests' });
    // Nothing was started: the session has no run.
    await request(app.url).get(`/aura/hitl/signals/${sessionId}`).set(h).expect(404);
  };

  it('refuses a user\'s run beyond the per-user limit on the other instance (429 + Retry-After), lets the user attach to a run it has, and not another user', async () => {
    const tenant = uniqueId('tenant');
    const alice = authHeaders('alice', tenant);
    const first = await paused(a, alice);
    await paused(a, alice);
    await refused(b, alice, /You already have 2 unfinished runs/);

    // Attaching to an existing run while at the limit: replayed from the start on B, then live.
    const attached = new SseClient(`${b.url}/aura/test/stream?sessionId=${first.sessionId}`, alice);
    streams.push(attached);
    expect((await attached.hitlRequest()).requestId).toBe(first.requestId);
    expect(attached.status).toBe(200);

    await paused(b, authHeaders('bob', tenant));
  });

  it('refuses any user\'s run beyond the per-tenant limit, and accepts again as soon as a run is cancelled', async () => {
    const tenant = uniqueId('tenant');
    const alice = authHeaders('alice', tenant);
    const carol = authHeaders('carol', tenant);
    const first = await paused(a, alice);
    await paused(a, alice);
    await paused(a, authHeaders('bob', tenant));
    await refused(b, carol, new RegExp(`Tenant ${tenant} already has 3 unfinished runs`));
    // Another tenant is counted apart.
    await paused(b, authHeaders('carol', uniqueId('tenant')));

    await request(b.url).post(`/aura/runs/${first.sessionId}/cancel`).set(alice).expect(200);
    await paused(b, carol);
    await first.s.untilEnd();
    expect(first.s.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'cancelled' } });
    await refused(b, authHeaders('dave', tenant), /already has 3 unfinished runs/);
  });

  it('accepts the user\'s run again once one completes (approved on the other instance)', async () => {
    const alice = authHeaders('alice', uniqueId('tenant'));
    const first = await paused(a, alice);
    await paused(a, alice);
    await refused(b, alice, /You already have 2/);
    await request(b.url).post(`/aura/hitl/approve/${first.requestId}`).set(alice).expect(200);
    await first.s.untilEnd();
    expect(first.s.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'completed' } });
    await paused(b, alice);
    await refused(a, alice, /You already have 2/);
  });
});

describe('Limits without REDIS_URL (in-process store)', () => {
  it('refuses beyond the per-user limit with 429 + Retry-After and accepts again once the run is cancelled', async () => {
    const app = await startApp({ REDIS_URL: '', MAX_ACTIVE_RUNS_PER_USER: '1' });
    const h = authHeaders('alice', uniqueId('tenant'));
    const streams: SseClient[] = [];
    try {
      const sessionId = uniqueId('mem');
      streams.push(new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}`, h));
      await streams[0].hitlRequest();
      const res = await request(app.url).get(`/aura/test/stream?sessionId=${uniqueId('mem')}`).set(h).expect(429);
      expect(res.headers['retry-after']).toBe('10');
      expect(res.body.error).toBe('Too Many Requests');
      await request(app.url).post(`/aura/runs/${sessionId}/cancel`).set(h).expect(200);
      streams.push(new SseClient(`${app.url}/aura/test/stream?sessionId=${uniqueId('mem')}`, h));
      await streams[1].hitlRequest();
    } finally {
      streams.forEach((s) => s.close());
      await app.close();
    }
  });
});

describe('JSON bodies: at most 32 levels deep and 64 KB', () => {
  let app: TestApp;
  const h = authHeaders();
  beforeAll(async () => (app = await startApp()));
  afterAll(() => app.close());

  const routes = ['/aura/stream-tickets', '/aura/hitl/reject/req-x'];
  const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  const post = (route: string, body: string) => request(app.url).post(route).set(h).set('Content-Type', 'application/json').send(body);

  it.each(routes)('answers 400 with a clear message to a 33-deep and a 1 500-deep body on %s', async (route) => {
    for (const body of [nested(33), nested(1500), '['.repeat(1500) + ']'.repeat(1500)]) {
      const res = await post(route, body).expect(400);
      expect(res.body).toEqual({ statusCode: 400, message: 'JSON body nested deeper than 32 levels', error: 'Bad Request' });
    }
  });

  it.each(routes)('lets a 32-deep body through to validation on %s (refused there for its unknown field, not for depth)', async (route) => {
    const res = await post(route, nested(32)).expect(400);
    expect(res.body.message).toBe('property a should not exist');
  });

  it.each(routes)('answers 413 to a body over 64 KB on %s, however shallow or deep', async (route) => {
    await post(route, JSON.stringify({ reason: 'x'.repeat(66 * 1024) })).expect(413);
    await post(route, '['.repeat(40_000) + ']'.repeat(40_000)).expect(413);
  });

  it('still accepts a small, shallow body', async () => {
    const res = await post('/aura/stream-tickets', JSON.stringify({ sessionId: uniqueId('ok') })).expect(201);
    expect(res.body.ticket).toEqual(expect.any(String));
  });
});
