import request from 'supertest';
import { startApp, TestApp, uniqueId } from './support/app';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

describe('A stream for a session with no run and no prompt', () => {
  const h = authHeaders();
  let worker: TestApp;
  let demo: TestApp;
  beforeAll(async () => ([worker, demo] = await Promise.all([startApp({ AGENT: 'worker' }), startApp()])));
  afterAll(() => Promise.all([worker.close(), demo.close()]));

  it.each([
    ['a new session id', (sid: string) => `sessionId=${sid}`],
    ['no session id', () => ''],
    ['a blank prompt', (sid: string) => `sessionId=${sid}&prompt=%20%20`],
  ])('is 400 "prompt required" with an agent other than demo (%s), and starts nothing', async (_what, query) => {
    const sid = uniqueId('np');
    const res = await request(worker.url).get(`/aura/test/stream?${query(sid)}`).set(h).expect(400);
    expect(res.body.message).toBe('prompt required');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    await request(worker.url).get(`/aura/runs/${sid}`).set(h).expect(404);
    await request(worker.url).post(`/aura/runs/${sid}/cancel`).set(h).expect(404);
  });

  it('does not use up a stream ticket', async () => {
    const sid = uniqueId('np-ticket');
    const { body } = await request(worker.url).post('/aura/stream-tickets').send({ sessionId: sid }).set(h).expect(201);
    await request(worker.url).get(`/aura/test/stream?ticket=${body.ticket}`).expect(400);
    await request(worker.url).post('/aura/runs').set(h).send({ sessionId: sid, prompt: 'check incidents' }).expect(201);
    const s = new SseClient(`${worker.url}/aura/test/stream?ticket=${body.ticket}`);
    await s.waitFor(() => s.status !== 0);
    expect(s.status).toBe(200);
    s.close();
  });

  it('attaches without a prompt once the session has a run', async () => {
    const sid = uniqueId('np-attach');
    await request(worker.url).post('/aura/runs').set(h).send({ sessionId: sid, prompt: 'check incidents' }).expect(201);
    const s = new SseClient(`${worker.url}/aura/test/stream?sessionId=${sid}`, h);
    await s.waitFor(() => s.status !== 0);
    expect(s.status).toBe(200);
    expect(s.headers['x-session-id']).toBe(sid);
    s.close();
  });

  it('starts the demo with the source document’s default prompt (AGENT=demo)', async () => {
    const s = new SseClient(`${demo.url}/aura/test/stream?sessionId=${uniqueId('np-demo')}`, h);
    const first = await s.waitForType('thought');
    expect(s.status).toBe(200);
    expect(first.payload).toEqual({ type: 'thought', data: { content: 'Analyzing the request: summarize the open incidents and notify the owner' } });
    s.close();
  });
});
