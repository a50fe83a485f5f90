import { NAMES } from '../src/redis/redis-names';
import Redis from 'ioredis';
import request from 'supertest';
import { startApp, TestApp, testRedisUrl, uniqueId } from './support/app';
import { waitFor } from './support/process';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

/** The v1 flow across two instances on one Redis: stream on A, decide on B. */
describe('HITL across two instances (real Redis)', () => {
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  const streams: SseClient[] = [];
  const headers = authHeaders('alice', 'acme');

  const open = (app: TestApp, sessionId: string, extra: Record<string, string> = {}) => {
    const s = new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}`, { ...headers, ...extra });
    streams.push(s);
    return s;
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

  it('pauses at hitl on A, resumes when B approves, and ends with done {completed} and a closed response', async () => {
    const sessionId = uniqueId('flow');
    const s = open(a, sessionId);
    const { requestId } = await s.hitlRequest();
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(s.headers['cache-control']).toContain('no-cache');
    expect(s.headers['connection']).toBe('keep-alive');
    expect(s.headers['x-accel-buffering']).toBe('no');

    // Nothing moves while it waits for a human.
    await new Promise((r) => setTimeout(r, 100));
    expect(s.events.at(-1)?.type).toBe('hitl');

    const res = await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(headers).expect(200);
    expect(res.body).toMatchObject({ requestId, sessionId, tenantId: 'acme', userId: 'alice', status: 'approved', decidedBy: 'alice' });
    expect(new Date(res.body.decidedAt).toISOString()).toBe(res.body.decidedAt);

    await s.untilEnd();
    const types = s.events.map((e) => e.type);
    expect(types).toEqual([
      'thought', 'plan_step', 'tool_execution', 'tool_execution', 'plan_step', 'plan_step',
      'hitl', 'hitl', 'tool_execution', 'tool_execution', 'plan_step', 'content', 'done',
    ]);
    // ids count from 1 without a gap; every data carries type and data.
    expect(s.events.map((e) => e.id)).toEqual(types.map((_, i) => i + 1));
    s.events.forEach((e) => expect(e.payload.type).toBe(e.type));
    expect(s.events[7].payload.data).toEqual({ requestId, sessionId, requiresApproval: false, status: 'approved' });
    expect(s.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'completed' } });
  });

  it('writes the exact frames: a connected comment first, then id/event/data frames, done last', async () => {
    const sessionId = uniqueId('frames');
    const s = open(a, sessionId, { 'X-Request-ID': 'frames-test' });
    const { requestId } = await s.hitlRequest();
    await request(a.url).post(`/aura/hitl/reject/${requestId}`).set(headers).send({ reason: 'no' }).expect(200);
    await s.untilEnd();

    expect(s.raw.startsWith('\n: connected\n\n')).toBe(true);
    const events = s.frames.filter((f) => f.event);
    const hitlRequest = events[6];
    expect(s.raw).toContain(`event: hitl\nid: 7\ndata: ${hitlRequest.data}\n\n`);
    const request7 = JSON.parse(hitlRequest.data as string);
    expect(request7).toEqual({
      type: 'hitl',
      data: {
        requestId,
        sessionId,
        requiresApproval: true,
        toolName: 'send_email',
        params: expect.any(Object),
        message: expect.any(String),
        expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        // v1.3: what a UI needs to offer each decision and bind it to what it shows.
        allowedDecisions: ['approve', 'edit', 'reject', 'respond'],
        paramsSchema: expect.objectContaining({ type: 'object', required: ['to', 'subject', 'body'] }),
        paramsDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        groupId: requestId,
        groupSize: 1,
      },
    });
    expect(
      s.raw.endsWith(
        `event: hitl\nid: 8\ndata: {"type":"hitl","data":{"requestId":"${requestId}","sessionId":"${sessionId}","requiresApproval":false,"status":"rejected","reason":"no"}}\n\n` +
          'event: done\nid: 9\ndata: {"type":"done","data":{"status":"rejected"}}\n\n',
      ),
    ).toBe(true);
    expect(s.ended).toBe(true);
  });

  it('rejects with a reason: the run ends with the decision and done {rejected}', async () => {
    const sessionId = uniqueId('reject');
    const s = open(a, sessionId);
    const { requestId } = await s.hitlRequest();
    const res = await request(b.url).post(`/aura/hitl/reject/${requestId}`).set(headers).send({ reason: 'Wrong recipient' }).expect(200);
    expect(res.body).toMatchObject({ status: 'rejected', reason: 'Wrong recipient', decidedBy: 'alice' });
    await s.untilEnd();
    expect(s.events.slice(-2).map((e) => e.payload)).toEqual([
      { type: 'hitl', data: { requestId, sessionId, requiresApproval: false, status: 'rejected', reason: 'Wrong recipient' } },
      { type: 'done', data: { status: 'rejected' } },
    ]);
    const got = await request(a.url).get(`/aura/hitl/requests/${requestId}`).set(headers).expect(200);
    expect(got.body.status).toBe('rejected');
  });

  it('answers 409 with the current object to a second decision, on either instance', async () => {
    const s = open(a, uniqueId('conflict'));
    const { requestId } = await s.hitlRequest();
    await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(headers).expect(200);
    const again = await request(a.url).post(`/aura/hitl/reject/${requestId}`).set(headers).send({ reason: 'late' }).expect(409);
    expect(again.body).toMatchObject({ requestId, status: 'approved', decidedBy: 'alice' });
    expect(again.body.reason).toBeUndefined();
    await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(headers).expect(409);
  });

  it('lets exactly one of 30 concurrent approve/reject calls win, for each of several requests', async () => {
    const runs = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const s = open(a, uniqueId('race'));
        return { s, ...(await s.hitlRequest()) };
      }),
    );
    for (const { s, requestId } of runs) {
      const calls = Array.from({ length: 30 }, (_, i) => {
        const target = i % 2 ? a : b;
        const verb = i % 3 ? 'approve' : 'reject';
        return request(target.url).post(`/aura/hitl/${verb}/${requestId}`).set(headers).send({});
      });
      const results = await Promise.all(calls);
      const winners = results.filter((r) => r.status === 200);
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => r.status === 409)).toHaveLength(29);
      const final = winners[0].body.status;
      results.filter((r) => r.status === 409).forEach((r) => expect(r.body.status).toBe(final));
      await s.untilEnd();
      expect(s.events.filter((e) => e.type === 'hitl' && e.payload.data.requiresApproval === false)).toHaveLength(1);
      expect(s.events.at(-1)?.payload.data.status).toBe(final === 'approved' ? 'completed' : 'rejected');
    }
  });

  it('decides the pending request on a bare {"type":"approval"} published straight to Redis', async () => {
    const sessionId = uniqueId('bare');
    const s = open(a, sessionId);
    const { requestId } = await s.hitlRequest();
    await redis.publish(`hitl:channel:${sessionId}`, JSON.stringify({ type: 'approval' }));
    await s.untilEnd();
    expect(s.events.at(-1)?.payload.data.status).toBe('completed');
    const req = await request(b.url).get(`/aura/hitl/requests/${requestId}`).set(headers).expect(200);
    expect(req.body).toMatchObject({ status: 'approved', decidedBy: 'external' });
  });

  it('decides on a bare {"type":"rejection"} too', async () => {
    const sessionId = uniqueId('bare-rej');
    const s = open(a, sessionId);
    await s.hitlRequest();
    await redis.publish(`hitl:channel:${sessionId}`, JSON.stringify({ type: 'rejection' }));
    await s.untilEnd();
    expect(s.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'rejected' } });
  });

  it('ignores junk on the channel: no decision, no crash, and the run still resumes afterwards', async () => {
    const sessionId = uniqueId('junk');
    const s = open(a, sessionId);
    const { requestId } = await s.hitlRequest();
    for (const junk of ['not json', '{"type":"maybe"}', '[]', 'null', '{"type":"approval","requestId":"../x"}', '{"type":"approval","sessionId":"other"}']) {
      await redis.publish(`hitl:channel:${sessionId}`, junk);
    }
    await redis.publish('hitl:channel:bad id!', JSON.stringify({ type: 'approval' }));
    await new Promise((r) => setTimeout(r, 300));
    const req = await request(b.url).get(`/aura/hitl/requests/${requestId}`).set(headers).expect(200);
    expect(req.body.status).toBe('pending');
    expect(s.events.at(-1)?.type).toBe('hitl');
    await request(a.url).get('/health/live').expect(200);
    await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(headers).expect(200);
    await s.untilEnd();
    expect(s.events.at(-1)?.payload.data.status).toBe('completed');
  });

  it('records the signals of a session, visible from any instance', async () => {
    const sessionId = uniqueId('signals');
    const s = open(a, sessionId);
    const { requestId } = await s.hitlRequest();
    await request(b.url).post(`/aura/hitl/reject/${requestId}`).set(headers).send({ reason: 'r' }).expect(200);
    await s.untilEnd();
    const res = await request(b.url).get(`/aura/hitl/signals/${sessionId}`).set(headers).expect(200);
    expect(res.body.sessionId).toBe(sessionId);
    expect(res.body.signals).toEqual([{ type: 'rejection', requestId, sessionId, decidedBy: 'alice', reason: 'r', timestamp: expect.any(String) }]);
  });

  it('publishes each decision as a signal on hitl:channel:{sessionId} and every event on dwp:events:all', async () => {
    const sessionId = uniqueId('pub');
    const sub = new Redis(testRedisUrl());
    const seen: { channel: string; message: string }[] = [];
    sub.on('message', (channel: string, message: string) => seen.push({ channel, message }));
    await sub.subscribe(`hitl:channel:${sessionId}`, 'dwp:events:all');
    try {
      const s = open(a, sessionId);
      const { requestId } = await s.hitlRequest();
      await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(headers).expect(200);
      await s.untilEnd();
      await waitFor(() => seen.filter((m) => m.channel === 'dwp:events:all' && m.message.includes(sessionId)).length >= s.events.length, 3000, 'the broadcasts');
      const signals = seen.filter((m) => m.channel === `hitl:channel:${sessionId}`).map((m) => JSON.parse(m.message));
      // The decided request rides along, so no instance has to read it back.
      expect(signals).toEqual([
        { type: 'approval', requestId, sessionId, decidedBy: 'alice', timestamp: expect.any(String), request: expect.objectContaining({ requestId, sessionId, status: 'approved', decidedBy: 'alice' }) },
      ]);
      const broadcast = seen.filter((m) => m.channel === 'dwp:events:all').map((m) => JSON.parse(m.message)).filter((m) => m.sessionId === sessionId);
      expect(broadcast.map((m) => m.type)).toEqual(s.events.map((e) => e.type));
      expect(broadcast[0]).toEqual({ tenantId: 'acme', sessionId, userId: 'alice', type: 'thought', data: s.events[0].payload.data, timestamp: expect.any(String) });
    } finally {
      sub.disconnect();
    }
  });

  it('stores the request in Redis with a TTL', async () => {
    const s = open(a, uniqueId('ttl'));
    const { requestId, sessionId } = await s.hitlRequest();
    const ttl = await redis.ttl(NAMES.request(sessionId, requestId));
    expect(ttl).toBeGreaterThan(0);
    expect(await redis.hget(NAMES.request(sessionId, requestId), 'status')).toBe('pending');
  });
});

describe('HITL expiry', () => {
  let app: TestApp;
  beforeAll(async () => (app = await startApp({ HITL_TIMEOUT_SECONDS: '1' })));
  afterAll(() => app.close());

  it('expires a request nobody decides within HITL_TIMEOUT_SECONDS and ends the run with done {expired}', async () => {
    const headers = authHeaders();
    const sessionId = uniqueId('expiry');
    const s = new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}`, headers);
    const { requestId } = await s.hitlRequest();
    const expiresAt = Date.parse((s.events.find((e) => e.type === 'hitl')?.payload.data.expiresAt as string) ?? '');
    await s.untilEnd(5000);
    // Not before its deadline, and soon after it (the sweep runs every 250 ms).
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(Date.now() - expiresAt).toBeLessThan(3000);
    expect(s.events.slice(-2).map((e) => e.payload)).toEqual([
      { type: 'hitl', data: { requestId, sessionId, requiresApproval: false, status: 'expired' } },
      { type: 'done', data: { status: 'expired' } },
    ]);
    const req = await request(app.url).get(`/aura/hitl/requests/${requestId}`).set(headers).expect(200);
    expect(req.body.status).toBe('expired');
    await request(app.url).post(`/aura/hitl/approve/${requestId}`).set(headers).expect(409);
    const signals = await request(app.url).get(`/aura/hitl/signals/${sessionId}`).set(headers).expect(200);
    expect(signals.body.signals.map((x: { type: string }) => x.type)).toEqual(['timeout']);
  });
});

describe('Process resources and switches', () => {
  it('holds three Redis connections per instance (commands, one subscriber, one for the sharded channels), however many runs are paused', async () => {
    const app = await startApp();
    const admin = new Redis(testRedisUrl());
    const streams: SseClient[] = [];
    try {
      const { InstanceId } = await import('../src/redis/instance-id');
      const id = app.app.get(InstanceId).value;
      const mine = async () =>
        ((await admin.call('CLIENT', 'LIST')) as string)
          .split('\n')
          .map((l) => / name=(\S*)/.exec(l)?.[1] ?? '')
          .filter((n) => n.startsWith(`aura:${id}`))
          .sort();
      // Commands, the classic channels' subscriber, and the sharded channels' (one node: one shard).
      const expected = [`aura:${id}`, `aura:${id}:ssub`, `aura:${id}:sub`];
      expect(await mine()).toEqual(expected);
      for (let i = 0; i < 20; i++) streams.push(new SseClient(`${app.url}/aura/test/stream?sessionId=${uniqueId('conn')}`, authHeaders()));
      await Promise.all(streams.map((s) => s.hitlRequest()));
      expect(await mine()).toEqual(expected);
    } finally {
      streams.forEach((s) => s.close());
      admin.disconnect();
      await app.close();
    }
  });

  it('publishes nothing on dwp:events:all with EVENTS_BROADCAST=false', async () => {
    const app = await startApp({ EVENTS_BROADCAST: 'false' });
    const sub = new Redis(testRedisUrl());
    const seen: string[] = [];
    sub.on('message', (_c: string, m: string) => seen.push(m));
    await sub.subscribe('dwp:events:all');
    try {
      const sessionId = uniqueId('nobroadcast');
      const h = authHeaders();
      const s = new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}`, h);
      const { requestId } = await s.hitlRequest();
      await request(app.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);
      await s.untilEnd();
      await new Promise((r) => setTimeout(r, 200));
      expect(s.events).toHaveLength(13);
      expect(seen.filter((m) => m.includes(sessionId))).toEqual([]);
    } finally {
      sub.disconnect();
      await app.close();
    }
  });
});
