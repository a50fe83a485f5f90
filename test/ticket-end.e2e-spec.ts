import { EventSource } from 'eventsource';
import request from 'supertest';
import { startApp, TestApp, uniqueId } from './support/app';
import { waitFor } from './support/process';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

describe('A ticket stream that ends with done tells the client not to reconnect', () => {
  const h = authHeaders();
  let app: TestApp;
  beforeAll(async () => (app = await startApp()));
  afterAll(() => app.close());

  const ticketFor = async (sessionId: string): Promise<string> =>
    (await request(app.url).post('/aura/stream-tickets').set(h).send({ sessionId }).expect(201)).body.ticket;

  it('an EventSource (the eventsource package) gets the whole run, then 204 on its reconnect and stops, with no 401', async () => {
    const sessionId = uniqueId('es-end');
    const ticket = await ticketFor(sessionId);
    const types: string[] = [];
    const errors: (number | undefined)[] = [];
    const approvals: number[] = [];
    let opens = 0;
    const es = new EventSource(`${app.url}/aura/test/stream?ticket=${ticket}`);
    try {
      es.onopen = () => opens++;
      es.onerror = (err) => errors.push(err.code);
      for (const type of ['thought', 'plan_step', 'tool_execution', 'hitl', 'content', 'done']) {
        es.addEventListener(type, (ev) => {
          types.push(type);
          const data = JSON.parse(ev.data).data;
          // supertest sends on then(): the approval goes out while the stream stays open.
          if (type === 'hitl' && data.requiresApproval) void request(app.url).post(`/aura/hitl/approve/${data.requestId}`).set(h).then((r) => approvals.push(r.status));
        });
      }
      await waitFor(() => types.includes('done'), 10000, 'done').catch((e) => { throw new Error(`${e.message} ${JSON.stringify({ types, errors, opens })}`); });
      // The server closes after done; the client reconnects (after its 3 s default) and is told to stop.
      await waitFor(() => es.readyState === es.CLOSED, 10000, 'the EventSource to stop');
      expect(types.at(-1)).toBe('done');
      expect(types.filter((t) => t === 'done')).toHaveLength(1);
      expect(opens).toBe(1);
      expect(approvals).toEqual([200]);
      expect(errors).not.toContain(401);
      expect(errors.at(-1)).toBe(204);
    } finally {
      es.close();
    }
  }, 30000);

  it('a used ticket is 204 (GET and HEAD) once its run has ended, 401 while it has not; an unknown one stays 401', async () => {
    const sessionId = uniqueId('used');
    const ticket = await ticketFor(sessionId);
    const first = new SseClient(`${app.url}/aura/test/stream?ticket=${ticket}`);
    const { requestId } = await first.hitlRequest();
    // Paused: the run goes on, so a second use is refused as before.
    const again = await request(app.url).get(`/aura/test/stream?ticket=${ticket}`).expect(401);
    expect(again.body.message).toBe('Invalid or expired stream ticket');
    await request(app.url).head(`/aura/test/stream?ticket=${ticket}`).expect(401);
    await request(app.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);
    await first.untilEnd();

    const ended = await request(app.url).get(`/aura/test/stream?ticket=${ticket}`).set('Last-Event-ID', '3').expect(204);
    expect(ended.text).toBe('');
    await request(app.url).get(`/aura/test/stream?ticket=${ticket}`).expect(204);
    await request(app.url).head(`/aura/test/stream?ticket=${ticket}`).expect(204);
    // Bound to its session as before, and a ticket never issued is 401.
    await request(app.url).get(`/aura/test/stream?ticket=${ticket}&sessionId=${uniqueId('other')}`).expect(401);
    await request(app.url).get(`/aura/test/stream?ticket=${'a'.repeat(64)}`).expect(401);
  });
});
