import { NAMES } from '../src/redis/redis-names';
import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import request from 'supertest';
import { startApp, TestApp, testRedisUrl, uniqueId } from './support/app';
import { waitFor } from './support/process';
import { SseClient } from './support/sse';
import { authHeaders, workerToken } from './support/tokens';

const digestOf = (params: unknown) => `sha256:${createHash('sha256').update(canonicalize(params)!).digest('hex')}`;
const EDITED = { to: 'cfo@acme.example', subject: 'Q3', body: 'Three incidents are open.' };

/** Contract v1.3 "Decisions humans make", with the demo agent and workers, on two instances of one Redis. */
describe('Decisions humans make (contract v1.3), two instances', () => {
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  const streams: SseClient[] = [];
  const h = authHeaders('alice', 'acme');

  const pausedRun = async (app: TestApp = a) => {
    const sessionId = uniqueId('dec');
    const s = new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}`, h);
    streams.push(s);
    const { requestId } = await s.hitlRequest();
    const req = (await request(b.url).get(`/aura/hitl/requests/${requestId}`).set(h).expect(200)).body;
    return { sessionId, requestId, s, req };
  };

  beforeAll(async () => {
    [a, b] = await Promise.all([startApp(), startApp()]);
    redis = new Redis(testRedisUrl());
  });
  afterEach(() => streams.splice(0).forEach((s) => s.close()));
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    redis.disconnect();
  });

  it('a request offers every decision, the tool’s schema, the digest of its params (RFC 8785) and a group of one', async () => {
    const { requestId, req } = await pausedRun();
    expect(req).toMatchObject({
      requestId,
      status: 'pending',
      allowedDecisions: ['approve', 'edit', 'reject', 'respond'],
      paramsSchema: { type: 'object', required: ['to', 'subject', 'body'], additionalProperties: false },
      groupId: requestId,
      groupSize: 1,
    });
    expect(req.paramsDigest).toBe(digestOf(req.params));
  });

  it('a stale paramsDigest is 409 with the pending request and decides nothing; the right one decides', async () => {
    const { requestId, req, s } = await pausedRun();
    const stale = digestOf({ to: 'someone-else@example.com' });
    for (const route of ['approve', 'reject', 'respond']) {
      const res = await request(b.url).post(`/aura/hitl/${route}/${requestId}`).set(h).send({ paramsDigest: stale, ...(route === 'respond' ? { message: 'hi' } : {}) });
      expect([route, res.status, res.body.status, res.body.requestId]).toEqual([route, 409, 'pending', requestId]);
    }
    expect((await request(a.url).post(`/aura/hitl/approve/${requestId}`).set(h).send({ paramsDigest: 'sha256:xyz' })).status).toBe(400);
    const ok = await request(a.url).post(`/aura/hitl/approve/${requestId}`).set(h).send({ paramsDigest: req.paramsDigest }).expect(200);
    expect(ok.body).toMatchObject({ status: 'approved', decidedBy: 'alice' });
    await s.untilEnd();
    expect(s.events.at(-1)?.payload.data).toEqual({ status: 'completed' });
  });

  it('Idempotency-Key: a retry is 200 with the same body on the other instance; another decision under it is 422; a bad key is 400', async () => {
    const { requestId, s } = await pausedRun();
    expect((await request(a.url).post(`/aura/hitl/approve/${requestId}`).set({ ...h, 'Idempotency-Key': 'no spaces allowed' })).status).toBe(400);
    const first = await request(a.url).post(`/aura/hitl/approve/${requestId}`).set({ ...h, 'Idempotency-Key': 'key-1' }).send({}).expect(200);
    const again = await request(b.url).post(`/aura/hitl/approve/${requestId}`).set({ ...h, 'Idempotency-Key': 'key-1' }).send({}).expect(200);
    expect(again.body).toEqual(first.body);
    const other = await request(b.url).post(`/aura/hitl/reject/${requestId}`).set({ ...h, 'Idempotency-Key': 'key-1' }).send({});
    expect(other.status).toBe(422);
    expect(other.body.message).toContain('key-1');
    const otherBody = await request(b.url).post(`/aura/hitl/approve/${requestId}`).set({ ...h, 'Idempotency-Key': 'key-1' }).send({ reason: 'changed my mind' });
    expect(otherBody.status).toBe(422);
    // Another user's same key is its own: this request is decided, so theirs is the v1 409.
    expect((await request(b.url).post(`/aura/hitl/approve/${requestId}`).set({ ...authHeaders('bob', 'acme'), 'Idempotency-Key': 'key-1' }).send({})).status).toBe(409);
    // Without a key, the v1 rule: 409 with the current object.
    expect((await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(h).send({})).status).toBe(409);
    await s.untilEnd();
    expect(s.events.filter((e) => e.type === 'hitl' && e.payload.data.requiresApproval === false)).toHaveLength(1);
  });

  it('concurrent decisions with keys on both instances: exactly one wins; a key’s copies racing each other get the same answer', async () => {
    const { requestId, s } = await pausedRun();
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        request(i % 2 ? a.url : b.url)
          .post(`/aura/hitl/${i % 3 === 0 ? 'reject' : 'approve'}/${requestId}`)
          .set({ ...h, 'Idempotency-Key': `race-${i}` })
          .send({}),
      ),
    );
    expect(attempts.filter((r) => r.status === 200)).toHaveLength(1);
    expect(attempts.filter((r) => r.status === 409)).toHaveLength(7);
    await s.untilEnd();

    const next = await pausedRun();
    const copies = await Promise.all([a, b, a, b].map((app) => request(app.url).post(`/aura/hitl/approve/${next.requestId}`).set({ ...h, 'Idempotency-Key': 'same' }).send({})));
    expect(copies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    copies.forEach((r) => expect(r.body).toEqual(copies[0].body));
    await next.s.untilEnd();
  });

  it('an edit on B: the tool runs with the edited params on A, the decision and the signal carry them, the tool name stays', async () => {
    const { requestId, sessionId, s } = await pausedRun();
    const res = await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(h).send({ params: EDITED }).expect(200);
    expect(res.body).toMatchObject({ status: 'approved', toolName: 'send_email', editedParams: EDITED, params: { to: 'owner@example.com' } });
    await s.untilEnd();
    const decision = s.events.find((e) => e.type === 'hitl' && e.payload.data.requiresApproval === false)!;
    expect(decision.payload.data).toEqual({ requestId, sessionId, requiresApproval: false, status: 'approved', editedParams: EDITED });
    const started = s.events.find((e) => e.type === 'tool_execution' && e.payload.data.id === 'tool-2' && e.payload.data.status === 'started')!;
    expect(started.payload.data).toMatchObject({ toolName: 'send_email', params: EDITED });
    const signals = (await request(a.url).get(`/aura/hitl/signals/${sessionId}`).set(h).expect(200)).body.signals;
    expect(signals).toEqual([expect.objectContaining({ type: 'approval', requestId, params: EDITED })]);
  });

  it('bad decisions are 400 with a message, store nothing and leave the run to a good one', async () => {
    const { requestId, sessionId, s } = await pausedRun();
    const bad: Array<[string, Record<string, unknown>, RegExp]> = [
      ['approve', { params: { ...EDITED, to: 5 } }, /params\.to must be string/],
      ['approve', { params: { to: 'x@y.z', subject: 's' } }, /params\.body is required/],
      ['approve', { params: { ...EDITED, bcc: 'x' } }, /params\.bcc is not allowed/],
      ['approve', { params: ['not', 'an', 'object'] }, /params must be a JSON object/],
      ['approve', { params: 'text' }, /params must be a JSON object/],
      ['approve', { params: { ...EDITED, body: 'x'.repeat(17 * 1024) } }, /at most 16384 bytes/],
      ['approve', { decision: 'maybe' }, /decision should not exist/],
      ['respond', { message: '' }, /message must be 1 to 4000 characters/],
      ['respond', { message: 'x'.repeat(4001) }, /message must be 1 to 4000 characters/],
      ['respond', {}, /message/],
      ['maybe', {}, /Cannot POST/],
    ];
    for (const [route, body, message] of bad) {
      const res = await request(b.url).post(`/aura/hitl/${route}/${requestId}`).set(h).send(body);
      expect([route, JSON.stringify(body).slice(0, 60), res.status]).toEqual([route, JSON.stringify(body).slice(0, 60), route === 'maybe' ? 404 : 400]);
      expect(JSON.stringify(res.body)).toMatch(message);
    }
    expect((await request(a.url).get(`/aura/hitl/requests/${requestId}`).set(h).expect(200)).body).toMatchObject({ status: 'pending' });
    expect(await redis.hget(NAMES.request(sessionId, requestId), 'editedParams')).toBeNull();
    await request(a.url).post(`/aura/hitl/approve/${requestId}`).set(h).send({}).expect(200);
    await s.untilEnd();
    expect(s.events.at(-1)?.payload.data).toEqual({ status: 'completed' });
  });

  it('a respond on B: nothing is sent, the demo agent tells the reply and completes; the request is responded', async () => {
    const { requestId, sessionId, s } = await pausedRun();
    const res = await request(b.url).post(`/aura/hitl/respond/${requestId}`).set(h).send({ message: 'Call them instead.' }).expect(200);
    expect(res.body).toMatchObject({ status: 'responded', response: 'Call them instead.', decidedBy: 'alice' });
    await s.untilEnd();
    const decision = s.events.find((e) => e.type === 'hitl' && e.payload.data.requiresApproval === false)!;
    expect(decision.payload.data).toEqual({ requestId, sessionId, requiresApproval: false, status: 'responded', response: 'Call them instead.' });
    expect(s.events.some((e) => e.type === 'tool_execution' && e.payload.data.id === 'tool-2' && e.payload.data.status === 'completed')).toBe(false);
    expect(s.events.some((e) => e.type === 'thought' && String(e.payload.data.content).includes('Call them instead.'))).toBe(true);
    expect(s.events.at(-1)?.payload.data).toEqual({ status: 'completed' });
    const inbox = (await request(a.url).get('/aura/hitl/requests?status=responded').set(h).expect(200)).body.items;
    expect(inbox.map((r: { requestId: string }) => r.requestId)).toContain(requestId);
    expect((await request(a.url).get(`/aura/hitl/signals/${sessionId}`).set(h)).body.signals).toEqual([expect.objectContaining({ type: 'response', message: 'Call them instead.' })]);
  });
});

describe('Decisions for workers (AGENT=worker, contract v1.3)', () => {
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  const h = authHeaders('alice', 'acme');
  const wh = { Authorization: `Bearer ${workerToken()}` };

  beforeAll(async () => {
    [a, b] = await Promise.all([startApp({ AGENT: 'worker' }), startApp({ AGENT: 'worker' })]);
    redis = new Redis(testRedisUrl());
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    redis.disconnect();
  });

  const claimNew = async (prompt: string) => {
    const sid = uniqueId('wdec');
    await request(a.url).post('/aura/runs').set(h).send({ sessionId: sid, prompt }).expect(201);
    await waitFor(async () => (await redis.hget(NAMES.run(sid), 'owner')) === 'aura-worker-queue', 5000, 'the run to be queued');
    const claim = await request(b.url).post('/aura/worker/claim').set(wh).send({ waitSeconds: 5 }).expect(200);
    expect(claim.body.sessionId).toBe(sid);
    return { sid, leaseId: claim.body.leaseId as string, seq: claim.body.seq as number };
  };
  const pendingOf = async (sid: string) => {
    let id = '';
    await waitFor(async () => Boolean((id = (await redis.hget(NAMES.run(sid), 'requestId')) ?? '')), 5000, 'the request');
    return (await request(a.url).get(`/aura/hitl/requests/${id}`).set(h).expect(200)).body;
  };

  it('a worker’s request naming no decisions offers approve and reject only: edit and respond are 400', async () => {
    const { sid, leaseId, seq } = await claimNew('plain');
    await request(b.url).post(`/aura/worker/runs/${sid}/steps`).set(wh).send({ leaseId, expectedSeq: seq, events: [], approval: { toolName: 'send_email', params: { to: 'a@b.c' }, message: 'ok?' } }).expect(200);
    const req = await pendingOf(sid);
    expect(req.allowedDecisions).toEqual(['approve', 'reject']);
    expect(req.paramsSchema).toBeUndefined();
    const edit = await request(a.url).post(`/aura/hitl/approve/${req.requestId}`).set(h).send({ params: { to: 'c@d.e' } });
    expect([edit.status, edit.body.message]).toEqual([400, expect.stringContaining('does not allow edit')]);
    expect((await request(a.url).post(`/aura/hitl/respond/${req.requestId}`).set(h).send({ message: 'no' })).status).toBe(400);
    await request(a.url).post(`/aura/runs/${sid}/cancel`).set(h).expect(200);
  });

  it('a worker names its decisions and schema: a bad schema is 400; an edit reaches the next claim in the decision, then a respond', async () => {
    const { sid, leaseId, seq } = await claimNew('edit then respond');
    const schema = { type: 'object', properties: { to: { type: 'string' } }, required: ['to'] };
    const ask = (over: Record<string, unknown>) => ({ toolName: 'send_email', params: { to: 'a@b.c' }, message: 'ok?', paramsSchema: schema, allowedDecisions: ['approve', 'edit', 'respond'], ...over });
    for (const approval of [ask({ paramsSchema: { type: 'no-such-type' } }), ask({ allowedDecisions: ['approve', 'shrug'] }), ask({ allowedDecisions: [] })]) {
      expect((await request(b.url).post(`/aura/worker/runs/${sid}/steps`).set(wh).send({ leaseId, expectedSeq: seq, events: [], approval })).status).toBe(400);
    }
    await request(b.url).post(`/aura/worker/runs/${sid}/steps`).set(wh).send({ leaseId, expectedSeq: seq, events: [], approval: ask({}) }).expect(200);
    const req = await pendingOf(sid);
    expect(req).toMatchObject({ allowedDecisions: ['approve', 'edit', 'respond'], paramsSchema: schema });
    expect((await request(a.url).post(`/aura/hitl/reject/${req.requestId}`).set(h).send({})).status).toBe(400);
    expect((await request(a.url).post(`/aura/hitl/approve/${req.requestId}`).set(h).send({ params: { to: 7 } })).body.message).toMatch(/params\.to must be string/);
    await request(a.url).post(`/aura/hitl/approve/${req.requestId}`).set(h).send({ params: { to: 'x@y.z' } }).expect(200);
    const resumed = await request(b.url).post('/aura/worker/claim').set(wh).send({ waitSeconds: 5 }).expect(200);
    expect(resumed.body.decision).toMatchObject({ requestId: req.requestId, status: 'approved', editedParams: { to: 'x@y.z' } });

    await request(b.url).post(`/aura/worker/runs/${sid}/steps`).set(wh).send({ leaseId: resumed.body.leaseId, expectedSeq: resumed.body.seq, events: [], approval: ask({}) }).expect(200);
    let second = req;
    await waitFor(async () => (second = await pendingOf(sid)).requestId !== req.requestId, 5000, 'the second request');
    await request(b.url).post(`/aura/hitl/respond/${second.requestId}`).set(h).send({ message: 'use the phone' }).expect(200);
    const third = await request(a.url).post('/aura/worker/claim').set(wh).send({ waitSeconds: 5 }).expect(200);
    expect(third.body.decision).toMatchObject({ requestId: second.requestId, status: 'responded', response: 'use the phone' });
    await request(a.url).post(`/aura/worker/runs/${sid}/steps`).set(wh).send({ leaseId: third.body.leaseId, expectedSeq: third.body.seq, events: [], finish: 'completed' }).expect(200);
  });
});
