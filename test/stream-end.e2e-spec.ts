import request from 'supertest';
import { startApp, TestApp, uniqueId } from './support/app';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

/** Contract v1.2: "A finished run tells the client to stop", HEAD, and tickets used up only by a valid request. */
describe('Ending streams and using tickets (contract v1.2)', () => {
  const h = authHeaders();
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({ DEMO_STEP_DELAY_MS: '1' });
  });
  afterAll(() => app?.close());

  async function finishedRun(): Promise<{ sessionId: string; doneId: number }> {
    const sessionId = uniqueId('end');
    const s = new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}`, h);
    const { requestId } = await s.hitlRequest();
    await request(app.url).post(`/aura/hitl/reject/${requestId}`).set(h).send({}).expect(200);
    await s.untilEnd();
    return { sessionId, doneId: s.events.at(-1)!.id };
  }

  it('answers 204 at once for a finished run with a Last-Event-ID at or after its done', async () => {
    const { sessionId, doneId } = await finishedRun();
    for (const id of [doneId]) {
      const res = await request(app.url).get(`/aura/test/stream?sessionId=${sessionId}`).set(h).set('Last-Event-ID', String(id));
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
    }
    // An earlier id replays up to done and closes, as before.
    const replay = new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}`, { ...h, 'Last-Event-ID': String(doneId - 1) });
    await replay.untilEnd();
    expect(replay.status).toBe(200);
    expect(replay.events.map((e) => e.id)).toEqual([doneId]);
    // Past the end of the log is a client error, not a reason to wait.
    await request(app.url).get(`/aura/test/stream?sessionId=${sessionId}`).set(h).set('Last-Event-ID', String(doneId + 1)).expect(400);
  });

  it('HEAD on the stream route starts no run', async () => {
    const sessionId = uniqueId('head');
    const res = await request(app.url).head(`/aura/test/stream?sessionId=${sessionId}`).set(h);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    await request(app.url).get(`/aura/hitl/signals/${sessionId}`).set(h).expect(404);
    await request(app.url).head(`/aura/test/stream?sessionId=${sessionId}`).expect(401);
  });

  it('a ticket survives a request that fails validation (and a HEAD), and is used by the first valid one', async () => {
    const sessionId = uniqueId('ticket');
    const { ticket } = (await request(app.url).post('/aura/stream-tickets').set(h).send({ sessionId }).expect(201)).body as { ticket: string };
    await request(app.url).get(`/aura/test/stream?ticket=${ticket}&prompt=${'x'.repeat(5000)}`).expect(400);
    await request(app.url).get(`/aura/test/stream?ticket=${ticket}`).set('Last-Event-ID', 'seven').expect(400);
    await request(app.url).get(`/aura/test/stream?ticket=${ticket}`).set('Last-Event-ID', '3').expect(404);
    await request(app.url).head(`/aura/test/stream?ticket=${ticket}`).expect(200);
    const s = new SseClient(`${app.url}/aura/test/stream?ticket=${ticket}`);
    await s.waitForType('thought');
    expect(s.status).toBe(200);
    s.close();
    await request(app.url).get(`/aura/test/stream?ticket=${ticket}`).expect(401);
  });
});
