import Redis from 'ioredis';
import { NAMES } from '../src/redis/redis-names';
import { emptyWorkerQueue, startApp, TestApp, testRedisUrl, uniqueId } from './support/app';
import { SseClient } from './support/sse';
import { authHeaders, workerToken } from './support/tokens';

/** JSON.stringify writes a lone surrogate as the escape "\ud800": exactly what a hostile client sends. */
const LONE = '\ud800';
const LONE_LOW = '\udfff';

const postJson = (url: string, body: unknown, headers: Record<string, string>) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
const asWorker = { Authorization: `Bearer ${workerToken()}` };

async function expect400(res: Response, field: string): Promise<void> {
  const body = (await res.json()) as { message: string };
  expect(res.status).toBe(400);
  expect(body.message).toContain(`"${field}"`);
  expect(body.message).toContain('not valid Unicode');
}

describe('A lone UTF-16 surrogate never reaches Redis: 400 at every entry point, nothing stored, the run unharmed', () => {
  let a: TestApp;
  let w: TestApp;
  let redis: Redis;
  const h = authHeaders();

  beforeAll(async () => {
    [a, w] = await Promise.all([startApp(), startApp({ AGENT: 'worker' })]);
    redis = new Redis(testRedisUrl());
  });
  afterAll(async () => {
    await Promise.all([a.close(), w.close()]);
    redis.disconnect();
  });

  it('POST /aura/runs: a prompt or metadata with one is 400 and no run is created', async () => {
    const sid = uniqueId('u');
    await expect400(await postJson(`${a.url}/aura/runs`, { sessionId: sid, prompt: `hello ${LONE}` }, h), 'prompt');
    await expect400(await postJson(`${a.url}/aura/runs`, { sessionId: sid, prompt: 'ok', metadata: { note: LONE_LOW } }, h), 'metadata.note');
    expect(await redis.exists(NAMES.run(sid))).toBe(0);
    // A key is checked too, not only values.
    await expect400(await postJson(`${a.url}/aura/runs`, { sessionId: sid, prompt: 'ok', metadata: { [LONE]: 1 } }, h), 'metadata.\ufffd');
    expect((await postJson(`${a.url}/aura/runs`, { sessionId: sid, prompt: 'fine \u{1F600}' }, h)).status).toBe(201);
  });

  it('the stream: the bytes of a lone surrogate in the query (CESU-8) decode to U+FFFD, never to a surrogate', async () => {
    const sid = uniqueId('u');
    const stream = new SseClient(`${a.url}/aura/test/stream?sessionId=${sid}&prompt=%ED%A0%80`, h);
    await stream.hitlRequest(10000);
    expect(stream.events[0].payload.data).toEqual({ content: `Analyzing the request: ${'\ufffd'.repeat(3)}` });
    stream.close();
  });

  it('decisions: a reject reason with one is 400, the request stays pending and is then approved; the run completes', async () => {
    const sid = uniqueId('u');
    const stream = new SseClient(`${a.url}/aura/test/stream?sessionId=${sid}`, h);
    const { requestId } = await stream.hitlRequest(10000);
    await expect400(await postJson(`${a.url}/aura/hitl/reject/${requestId}`, { reason: `no ${LONE}` }, h), 'reason');
    expect(await redis.hget(NAMES.request(sid, requestId), 'status')).toBe('pending');
    expect((await postJson(`${a.url}/aura/hitl/approve/${requestId}`, {}, h)).status).toBe(200);
    await stream.waitForType('done', 10000);
    expect(stream.events.at(-1)?.payload.data).toEqual({ status: 'completed' });
  });

  it('worker steps and approvals: 400 naming the field, nothing written; the same lease then writes a clean approval that is decided', async () => {
    const sid = uniqueId('u');
    await emptyWorkerQueue();
    expect((await postJson(`${w.url}/aura/runs`, { sessionId: sid, prompt: 'p' }, h)).status).toBe(201);
    const claim = await postJson(`${w.url}/aura/worker/claim`, { waitSeconds: 5 }, asWorker);
    const { leaseId, sessionId } = (await claim.json()) as { leaseId: string; sessionId: string };
    expect(sessionId).toBe(sid);
    const step = (body: Record<string, unknown>) => postJson(`${w.url}/aura/worker/runs/${sid}/steps`, { leaseId, ...body }, asWorker);
    await expect400(await step({ events: [{ type: 'thought', data: { content: LONE } }] }), 'events[0].data.content');
    await expect400(await step({ events: [], state: { memo: [LONE_LOW] } }), 'state.memo[0]');
    const approval = { toolName: 'send_email', message: 'Send?', params: { to: `a${LONE_LOW}@example.com` } };
    await expect400(await step({ events: [], approval }), 'approval.params.to');
    expect(Number(await redis.hget(NAMES.run(sid), 'seq'))).toBe(0);
    expect(await redis.xlen(NAMES.events(sid))).toBe(0);

    const ok = await step({ events: [{ type: 'thought', data: { content: 'clean' } }], approval: { ...approval, params: { to: 'a@example.com' } } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ seq: 2 });
    const stream = new SseClient(`${w.url}/aura/test/stream?sessionId=${sid}`, h);
    const { requestId } = await stream.hitlRequest(10000);
    const approved = await postJson(`${w.url}/aura/hitl/approve/${requestId}`, {}, h);
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ status: 'approved', params: { to: 'a@example.com' } });
    stream.close();
    // Ended, so the queued run is not claimed by the next test file's workers on this database.
    expect((await postJson(`${w.url}/aura/runs/${sid}/cancel`, {}, h)).status).toBe(200);
  });
});
