import request from 'supertest';
import { startApp, TestApp, uniqueId } from './support/app';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

describe('Bad input: a clear 4xx, never a 500', () => {
  let app: TestApp;
  const h = authHeaders();
  beforeAll(async () => (app = await startApp()));
  afterAll(() => app.close());

  const badIds = ['-leading-dash', '.dot', 'has space', 'a:b', 'x'.repeat(129), 'semi;colon', '%2A', 'üñî'];

  it.each(badIds)('answers 400 to the id %j on every id route', async (id) => {
    const enc = encodeURIComponent(id);
    const calls: [string, request.Test][] = [
      ['requestId', request(app.url).get(`/aura/hitl/requests/${enc}`)],
      ['requestId', request(app.url).post(`/aura/hitl/approve/${enc}`)],
      ['requestId', request(app.url).post(`/aura/hitl/reject/${enc}`)],
      ['sessionId', request(app.url).get(`/aura/hitl/signals/${enc}`)],
      ['sessionId', request(app.url).get(`/aura/test/stream?sessionId=${enc}`)],
    ];
    for (const [name, call] of calls) {
      const res = await call.set(h).expect(400);
      expect(res.body.message).toEqual(expect.stringContaining(name));
    }
  });

  it('accepts the longest valid id (128 characters) as an id', async () => {
    await request(app.url).get(`/aura/hitl/requests/a${'b'.repeat(127)}`).set(h).expect(404);
  });

  it('answers 400 to a malformed JSON body', async () => {
    const res = await request(app.url).post('/aura/hitl/reject/req-x').set(h).set('Content-Type', 'application/json').send('{"reason":').expect(400);
    expect(res.body.statusCode).toBe(400);
  });

  it('answers 400 to a reason that is not a string or is too long, and to unknown body fields', async () => {
    await request(app.url).post('/aura/hitl/reject/req-x').set(h).send({ reason: 42 }).expect(400);
    await request(app.url).post('/aura/hitl/reject/req-x').set(h).send({ reason: 'x'.repeat(1001) }).expect(400);
    await request(app.url).post('/aura/hitl/reject/req-x').set(h).send({ reason: 'ok', extra: 1 }).expect(400);
  });

  it('answers 413 to a body over the limit', async () => {
    await request(app.url).post('/aura/hitl/reject/req-x').set(h).send({ reason: 'x'.repeat(70000) }).expect(413);
  });

  it('answers 400 to a bad Last-Event-ID or a prompt that is too long', async () => {
    await request(app.url).get(`/aura/test/stream?sessionId=${uniqueId('leid')}`).set(h).set('Last-Event-ID', 'abc').expect(400);
    await request(app.url).get(`/aura/test/stream?prompt=${'p'.repeat(4001)}`).set(h).expect(400);
  });

  it('answers 404 to unknown routes and methods', async () => {
    await request(app.url).get('/nope').expect(404);
    await request(app.url).delete('/aura/hitl/approve/x').set(h).expect(404);
  });

  it('answers 404 to an unknown request or session', async () => {
    await request(app.url).post('/aura/hitl/approve/req-unknown').set(h).expect(404);
    await request(app.url).get(`/aura/hitl/signals/${uniqueId('none')}`).set(h).expect(404);
  });

  it('makes a sessionId when none is given and names it in X-Session-ID', async () => {
    const s = new SseClient(`${app.url}/aura/test/stream`, h);
    const { sessionId } = await s.hitlRequest();
    s.close();
    expect(s.headers['x-session-id']).toBe(sessionId);
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the same routes under API_PREFIX', async () => {
    const prefixed = await startApp({ API_PREFIX: 'api' });
    try {
      const s = new SseClient(`${prefixed.url}/api/aura/test/stream?sessionId=${uniqueId('prefix')}`, h);
      const { requestId } = await s.hitlRequest();
      await request(prefixed.url).post(`/api/aura/hitl/approve/${requestId}`).set(h).expect(200);
      await s.untilEnd();
      expect(s.events.at(-1)?.payload.data.status).toBe('completed');
      await request(prefixed.url).get(`/aura/hitl/requests/${requestId}`).set(h).expect(200);
    } finally {
      await prefixed.close();
    }
  });
});

describe('Draining (shutdown has begun)', () => {
  it('answers readiness 503 and refuses new streams with 503, while liveness stays 200', async () => {
    const app = await startApp();
    try {
      const { DrainState } = await import('../src/health/drain-state');
      app.app.get(DrainState).draining = true;
      const ready = await request(app.url).get('/health/ready').expect(503);
      expect(ready.body.error).toMatchObject({ shutdown: { status: 'down' } });
      await request(app.url).get('/health/live').expect(200);
      const res = await request(app.url).get('/aura/test/stream').set(authHeaders()).expect(503);
      expect(res.body.message).toMatch(/shutting down/);
    } finally {
      await app.close();
    }
  });
});

describe('lastEventId query parameter', () => {
  it('resumes after it when the Last-Event-ID header is absent (the header wins when both are sent)', async () => {
    const app = await startApp();
    const h = authHeaders();
    try {
      const sessionId = uniqueId('leid-q');
      const first = new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}`, h);
      const { requestId } = await first.hitlRequest();
      await request(app.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);
      await first.untilEnd();
      const byQuery = new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}&lastEventId=10`, h);
      await byQuery.untilEnd();
      expect(byQuery.events.map((e) => e.id)).toEqual([11, 12, 13]);
      const both = new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}&lastEventId=10`, { ...h, 'Last-Event-ID': '12' });
      await both.untilEnd();
      expect(both.events.map((e) => e.id)).toEqual([13]);
      await request(app.url).get(`/aura/test/stream?sessionId=${sessionId}&lastEventId=x`).set(h).expect(400);
    } finally {
      await app.close();
    }
  });
});
