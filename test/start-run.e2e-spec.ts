import request from 'supertest';
import { startApp, TestApp, uniqueId } from './support/app';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

/** Contract v1.2 "Starting a run with a body". */
describe('POST /aura/runs', () => {
  const h = authHeaders();
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    [a, b] = await Promise.all([startApp(), startApp()]);
  });
  afterAll(() => Promise.all([a?.close(), b?.close()]));

  it('starts the run at once with the prompt and metadata from the body; a stream on another instance watches it', async () => {
    const sessionId = uniqueId('body');
    const res = await request(a.url).post('/aura/runs').set(h).send({ sessionId, prompt: 'check the incidents', metadata: { ticket: 'INC-1' } }).expect(201);
    expect(res.body).toEqual({ sessionId, status: 'running' });
    const s = new SseClient(`${b.url}/aura/test/stream?sessionId=${sessionId}`, h);
    const thought = await s.waitForType('thought');
    expect(thought).toMatchObject({ id: 1, payload: { data: { content: 'Analyzing the request: check the incidents' } } });
    s.close();
  });

  it('makes a session id when none is given', async () => {
    const res = await request(a.url).post('/aura/runs').set(h).send({ prompt: 'p' }).expect(201);
    expect(res.body.sessionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 409 with that run’s {sessionId, status} when the session already has a run, on any instance', async () => {
    const sessionId = uniqueId('dup');
    await request(a.url).post('/aura/runs').set(h).send({ sessionId, prompt: 'first' }).expect(201);
    const s = new SseClient(`${a.url}/aura/test/stream?sessionId=${sessionId}`, h);
    await s.hitlRequest();
    const again = await request(b.url).post('/aura/runs').set(h).send({ sessionId, prompt: 'second' }).expect(409);
    expect(again.body).toEqual({ sessionId, status: 'paused' });
    s.close();
    await request(b.url).post('/aura/runs').set(authHeaders('eve', 'other')).send({ sessionId, prompt: 'x' }).expect(404);
  });

  it.each([
    ['no prompt', {}, /prompt must be a string/],
    ['an empty prompt', { prompt: '' }, /prompt must not be empty/],
    ['a prompt over 32 000 characters', { prompt: 'x'.repeat(32001) }, /prompt must be at most 32000 characters/],
    ['metadata that is not an object', { prompt: 'p', metadata: [1] }, /metadata must be a JSON object/],
    ['metadata over 8 KB', { prompt: 'p', metadata: { blob: 'x'.repeat(8200) } }, /metadata must be at most 8192 bytes/],
    ['a bad session id', { prompt: 'p', sessionId: '../x' }, /sessionId must match/],
    ['an unknown field', { prompt: 'p', extra: 1 }, /property extra should not exist/],
  ])('answers 400 for %s', async (_what, body, message) => {
    const res = await request(a.url).post('/aura/runs').set(h).send(body).expect(400);
    expect(res.body.message).toMatch(message);
  });

  it('needs the token and the tenant header like every other route', async () => {
    await request(a.url).post('/aura/runs').send({ prompt: 'p' }).expect(401);
  });
});
