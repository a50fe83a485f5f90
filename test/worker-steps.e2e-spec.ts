import Redis from 'ioredis';
import { NAMES } from '../src/redis/redis-names';
import { emptyWorkerQueue, startApp, TestApp, testRedisUrl, uniqueId } from './support/app';
import { authHeaders, workerToken } from './support/tokens';

const post = (url: string, body: unknown, token = workerToken()) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
const thought = (content: string) => ({ type: 'thought', data: { content } });

describe('Worker steps carry expectedSeq; leases belong to the token that claimed them (contract v1.3)', () => {
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  beforeAll(async () => {
    [a, b] = await Promise.all([startApp({ AGENT: 'worker' }), startApp({ AGENT: 'worker' })]);
    redis = new Redis(testRedisUrl());
  });
  const started: string[] = [];
  afterAll(async () => {
    // Ended, so no lapsed lease puts them back in the ready queue for the next test file on this database.
    await Promise.all(started.map((sid) => fetch(`${a.url}/aura/runs/${sid}/cancel`, { method: 'POST', headers: authHeaders() })));
    await Promise.all([a.close(), b.close()]);
    redis.disconnect();
  });

  async function claimNew(): Promise<{ sid: string; leaseId: string; seq: number }> {
    const sid = uniqueId('ws');
    started.push(sid);
    await emptyWorkerQueue();
    expect((await fetch(`${a.url}/aura/runs`, { method: 'POST', headers: { ...authHeaders(), 'Content-Type': 'application/json' }, body: JSON.stringify({ sessionId: sid, prompt: 'p' }) })).status).toBe(201);
    const res = await post(`${a.url}/aura/worker/claim`, { waitSeconds: 5 });
    const body = (await res.json()) as { sessionId: string; leaseId: string; seq: number };
    expect(body.sessionId).toBe(sid);
    return { sid, leaseId: body.leaseId, seq: body.seq };
  }
  const logged = (sid: string) => redis.xlen(NAMES.events(sid));

  it('the claim answers the run’s seq; the same step posted again (on another instance) is 200 with the same seq and writes nothing', async () => {
    const { sid, leaseId, seq } = await claimNew();
    expect(seq).toBe(0);
    const body = { leaseId, expectedSeq: 0, events: [thought('one'), thought('two')], state: { line: 1 } };
    const first = await post(`${a.url}/aura/worker/runs/${sid}/steps`, body);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ seq: 2 });
    const retry = await post(`${b.url}/aura/worker/runs/${sid}/steps`, body);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ seq: 2 });
    expect(await logged(sid)).toBe(2);
    expect(await redis.hget(NAMES.run(sid), 'seq')).toBe('2');
  });

  it('two copies of one step at once: both 200 with one seq, written once', async () => {
    const { sid, leaseId } = await claimNew();
    const body = { leaseId, expectedSeq: 0, events: [thought('once')] };
    const answers = await Promise.all([a, b].map((app) => post(`${app.url}/aura/worker/runs/${sid}/steps`, body)));
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(await Promise.all(answers.map((r) => r.json()))).toEqual([{ seq: 1 }, { seq: 1 }]);
    expect(await logged(sid)).toBe(1);
  });

  it('a step from another position, or a different step from a written one’s position, is 409 and writes nothing', async () => {
    const { sid, leaseId } = await claimNew();
    expect((await post(`${a.url}/aura/worker/runs/${sid}/steps`, { leaseId, expectedSeq: 0, events: [thought('a')] })).status).toBe(200);
    const ahead = await post(`${a.url}/aura/worker/runs/${sid}/steps`, { leaseId, expectedSeq: 5, events: [thought('b')] });
    expect(ahead.status).toBe(409);
    expect(((await ahead.json()) as { message: string }).message).toMatch(/at seq 1, not at expectedSeq 5/);
    const other = await post(`${a.url}/aura/worker/runs/${sid}/steps`, { leaseId, expectedSeq: 0, events: [thought('not the same')] });
    expect(other.status).toBe(409);
    expect(await logged(sid)).toBe(1);
    expect((await post(`${a.url}/aura/worker/runs/${sid}/steps`, { leaseId, expectedSeq: 0, events: [] })).status).toBe(409);
    expect((await post(`${a.url}/aura/worker/runs/${sid}/steps`, { leaseId, expectedSeq: -1, events: [] })).status).toBe(400);
  });

  it('a retried approval step after the run paused (the lease has ended) is 200 with its seq; the request is stored once', async () => {
    const { sid, leaseId } = await claimNew();
    const body = { leaseId, expectedSeq: 0, events: [thought('asking')], approval: { toolName: 'send_email', params: { to: 'x@example.com' }, message: 'Send?' } };
    const first = await post(`${a.url}/aura/worker/runs/${sid}/steps`, body);
    expect(await first.json()).toEqual({ seq: 2 });
    const retry = await post(`${b.url}/aura/worker/runs/${sid}/steps`, body);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ seq: 2 });
    expect(await logged(sid)).toBe(2);
    const inbox = await fetch(`${a.url}/aura/hitl/requests?status=pending&limit=200`, { headers: authHeaders() });
    const mine = ((await inbox.json()) as { items: { sessionId: string }[] }).items.filter((r) => r.sessionId === sid);
    expect(mine).toHaveLength(1);
  });

  it('a lease used with another worker’s token is 409, for steps and renewals; the claimer’s token still works', async () => {
    const { sid, leaseId } = await claimNew();
    const intruder = workerToken('worker-2');
    const step = await post(`${a.url}/aura/worker/runs/${sid}/steps`, { leaseId, expectedSeq: 0, events: [thought('x')] }, intruder);
    expect(step.status).toBe(409);
    expect(((await step.json()) as { message: string }).message).toMatch(/another worker token/);
    expect((await post(`${a.url}/aura/worker/runs/${sid}/lease`, { leaseId }, intruder)).status).toBe(409);
    expect(await logged(sid)).toBe(0);
    expect((await post(`${a.url}/aura/worker/runs/${sid}/lease`, { leaseId })).status).toBe(200);
    expect((await post(`${a.url}/aura/worker/runs/${sid}/steps`, { leaseId, expectedSeq: 0, events: [thought('x')] })).status).toBe(200);
  });
});
