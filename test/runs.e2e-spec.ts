import { NAMES } from '../src/redis/redis-names';
import request from 'supertest';
import { testRedisUrl, uniqueId } from './support/app';
import Redis from 'ioredis';
import { ServiceProcess, waitFor } from './support/process';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

/**
 * Runs that survive (docs/protocol.md, "Runs"): the built service as real child processes on one Redis,
 * killed and stopped for real.
 */
describe('Durable runs across real processes', () => {
  const h = authHeaders('alice', 'acme');
  const env = { REDIS_URL: testRedisUrl(), RUN_LEASE_MS: '1000', DEMO_STEP_DELAY_MS: '20', SSE_HEARTBEAT_SECONDS: '1' };
  const procs: ServiceProcess[] = [];
  const streams: SseClient[] = [];
  const start = async (extra: Record<string, string> = {}) => {
    const p = await ServiceProcess.start({ ...env, ...extra });
    procs.push(p);
    return p;
  };
  const watch = (p: ServiceProcess, sessionId: string, lastEventId?: number) => {
    const s = new SseClient(`${p.url}/aura/test/stream?sessionId=${sessionId}`, lastEventId === undefined ? h : { ...h, 'Last-Event-ID': String(lastEventId) });
    streams.push(s);
    return s;
  };
  const ids = (s: SseClient) => s.events.map((e) => e.id);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  afterEach(async () => {
    streams.splice(0).forEach((s) => s.close());
    await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
  });

  it('SIGKILL of the instance holding a paused run: approve on B, reconnect to B, get the rest exactly once', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const sessionId = uniqueId('kill');
    const first = watch(a, sessionId);
    const { requestId, seq } = await first.hitlRequest();
    expect(ids(first)).toEqual(range(1, seq));

    await a.kill('SIGKILL');
    await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);

    const second = watch(b, sessionId, seq);
    await second.untilEnd(15000);
    expect(ids(second)).toEqual(range(seq + 1, 13));
    expect(second.events[0].payload.data).toMatchObject({ requestId, requiresApproval: false, status: 'approved' });
    expect(second.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'completed' } });
  });

  it('a reconnect mid-run to the other instance continues with no gap and no duplicate', async () => {
    const [a, b] = await Promise.all([start({ DEMO_STEP_DELAY_MS: '150' }), start()]);
    const sessionId = uniqueId('mid');
    const first = watch(a, sessionId);
    await first.waitFor((es) => es.length >= 2, 10000, 'two events');
    first.close();
    const last = Math.max(...ids(first));
    // Events keep being written on A while nobody watches; B picks up after `last`.
    await new Promise((r) => setTimeout(r, 200));
    const second = watch(b, sessionId, last);
    const { requestId } = await second.hitlRequest();
    await request(a.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);
    await second.untilEnd();
    expect(ids(second)).toEqual(range(last + 1, 13));
    const all = [...first.events.map((e) => e.payload), ...second.events.map((e) => e.payload)];
    expect(all.map((p) => p.type)).toEqual(['thought', 'plan_step', 'tool_execution', 'tool_execution', 'plan_step', 'plan_step', 'hitl', 'hitl', 'tool_execution', 'tool_execution', 'plan_step', 'content', 'done']);
  });

  it('a reconnect without Last-Event-ID replays from the first event; a finished run replays to done and closes', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const sessionId = uniqueId('replay');
    const first = watch(a, sessionId);
    const { requestId } = await first.hitlRequest();
    await request(b.url).post(`/aura/hitl/reject/${requestId}`).set(h).send({ reason: 'no' }).expect(200);
    await first.untilEnd();
    const replay = watch(b, sessionId);
    await replay.untilEnd();
    // The same bytes, heartbeats aside (they come whenever their slice's turn is).
    const eventsOnly = (raw: string) => raw.slice(raw.indexOf('event:')).replace(/: ping\n(\n)?/g, '');
    expect(eventsOnly(replay.raw)).toBe(eventsOnly(first.raw));
  });

  it('attaching to a running session never starts a second run', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const sessionId = uniqueId('attach');
    const watchers = [watch(a, sessionId), watch(b, sessionId), watch(a, sessionId)];
    const requests = await Promise.all(watchers.map((s) => s.hitlRequest()));
    expect(new Set(requests.map((r) => r.requestId)).size).toBe(1);
    await request(b.url).post(`/aura/hitl/approve/${requests[0].requestId}`).set(h).expect(200);
    for (const s of watchers) {
      await s.untilEnd();
      expect(ids(s)).toEqual(range(1, 13));
    }
  });

  it('expires the request of a killed pod on time, and another instance ends the run with done {expired}', async () => {
    const [a, b] = await Promise.all([start({ HITL_TIMEOUT_SECONDS: '2' }), start()]);
    const sessionId = uniqueId('exp-kill');
    const first = watch(a, sessionId);
    const { requestId, seq } = await first.hitlRequest();
    const pausedAt = Date.now();
    await a.kill('SIGKILL');
    const second = watch(b, sessionId, seq);
    await second.untilEnd(10000);
    // HITL_TIMEOUT_SECONDS=2, swept every 250 ms, applied once B adopts the run (1 s lease + 1 s sweep).
    const endedAfter = Date.now() - pausedAt;
    expect(endedAfter).toBeGreaterThanOrEqual(1500);
    expect(endedAfter).toBeLessThan(5000);
    expect(second.events.map((e) => e.payload)).toEqual([
      { type: 'hitl', data: { requestId, sessionId, requiresApproval: false, status: 'expired' } },
      { type: 'done', data: { status: 'expired' } },
    ]);
    const signals = await request(b.url).get(`/aura/hitl/signals/${sessionId}`).set(h).expect(200);
    expect(signals.body.signals.map((s: { type: string }) => s.type)).toEqual(['timeout']);
  });

  it('cancels a paused run: the request becomes cancelled and the stream ends with the decision and done {cancelled}', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const sessionId = uniqueId('cancel');
    const s = watch(a, sessionId);
    const { requestId } = await s.hitlRequest();
    const res = await request(b.url).post(`/aura/runs/${sessionId}/cancel`).set(h).expect(200);
    expect(res.body).toEqual({ sessionId, status: 'cancelled' });
    await s.untilEnd();
    expect(s.events.slice(-2).map((e) => e.payload)).toEqual([
      { type: 'hitl', data: { requestId, sessionId, requiresApproval: false, status: 'cancelled' } },
      { type: 'done', data: { status: 'cancelled' } },
    ]);
    const req = await request(a.url).get(`/aura/hitl/requests/${requestId}`).set(h).expect(200);
    expect(req.body).toMatchObject({ status: 'cancelled', decidedBy: 'alice' });
    await request(a.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(409);
    await request(a.url).post(`/aura/runs/${sessionId}/cancel`).set(h).expect(409);
  });

  it('cancels a run nobody is watching, mid-run; a later reconnect replays to done {cancelled}', async () => {
    const [a, b] = await Promise.all([start({ DEMO_STEP_DELAY_MS: '200' }), start()]);
    const sessionId = uniqueId('cancel-unwatched');
    const s = watch(a, sessionId);
    await s.waitFor((es) => es.length >= 1, 10000, 'the first event');
    s.close();
    await request(b.url).post(`/aura/runs/${sessionId}/cancel`).set(h).expect(200);
    await new Promise((r) => setTimeout(r, 500));
    const replay = watch(b, sessionId);
    await replay.untilEnd();
    expect(replay.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'cancelled' } });
    expect(replay.events.filter((e) => e.type === 'done')).toHaveLength(1);
    expect(ids(replay)).toEqual(range(1, replay.events.length));
    // The run stopped: nothing was written after its done (the log holds exactly what was replayed).
    await new Promise((r) => setTimeout(r, 500));
    const redis = new Redis(testRedisUrl());
    try {
      expect(await redis.xlen(NAMES.events(sessionId))).toBe(replay.events.length);
      expect(await redis.hget(NAMES.run(sessionId), 'status')).toBe('cancelled');
    } finally {
      redis.disconnect();
    }
  });

  it('cancel answers 404 for an unknown or another tenant’s session', async () => {
    const a = await start();
    const sessionId = uniqueId('cancel-404');
    const s = watch(a, sessionId);
    await s.hitlRequest();
    await request(a.url).post(`/aura/runs/${sessionId}/cancel`).set(authHeaders('gina', 'globex')).expect(404);
    await request(a.url).post(`/aura/runs/${uniqueId('nope')}/cancel`).set(h).expect(404);
    await request(a.url).post('/aura/runs/bad%20id/cancel').set(h).expect(400);
  });

  it('SIGTERM: open streams get retry: and close without done; the run finishes on the other instance', async () => {
    const [a, b] = await Promise.all([start({ SSE_RETRY_MS: '1500' }), start()]);
    const sessionId = uniqueId('term');
    const s = watch(a, sessionId);
    const { requestId, seq } = await s.hitlRequest();
    const started = Date.now();
    await a.kill('SIGTERM');
    await s.untilEnd(5000);
    expect(Date.now() - started).toBeLessThan(5000);
    const frames = s.frames;
    expect(frames.at(-1)).toMatchObject({ id: String(seq), retry: '1500' });
    expect(s.events.some((e) => e.type === 'done')).toBe(false);

    const again = watch(b, sessionId, seq);
    await new Promise((r) => setTimeout(r, 100));
    await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);
    await again.untilEnd(10000);
    expect(ids(again)).toEqual(range(seq + 1, 13));
    expect(again.events.at(-1)?.payload.data.status).toBe('completed');
  });

  it('SIGKILL mid-run (not paused): another instance continues from the last written step, none twice, none skipped', async () => {
    const [a, b] = await Promise.all([start({ DEMO_STEP_DELAY_MS: '150' }), start({ DEMO_STEP_DELAY_MS: '150' })]);
    const sessionId = uniqueId('kill-mid');
    const first = watch(a, sessionId);
    await first.waitFor((es) => es.length >= 3, 10000, 'three events');
    await a.kill('SIGKILL');
    const last = Math.max(...ids(first));
    const second = watch(b, sessionId, last);
    const { requestId } = await second.hitlRequest(15000);
    await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);
    await second.untilEnd(15000);
    const all = [...first.events, ...second.events];
    expect(all.map((e) => e.id)).toEqual(range(1, 13));
    expect(all.map((e) => e.type)).toEqual(['thought', 'plan_step', 'tool_execution', 'tool_execution', 'plan_step', 'plan_step', 'hitl', 'hitl', 'tool_execution', 'tool_execution', 'plan_step', 'content', 'done']);
  });
});


describe('Decisions while the owning instance is dead', () => {
  const h = authHeaders('alice', 'acme');
  const env = { REDIS_URL: testRedisUrl(), RUN_LEASE_MS: '2000', DEMO_STEP_DELAY_MS: '10' };
  let a: ServiceProcess;
  let b: ServiceProcess;
  const streams: SseClient[] = [];
  beforeEach(async () => {
    [a, b] = await Promise.all([ServiceProcess.start(env), ServiceProcess.start(env)]);
  });
  afterEach(async () => {
    streams.splice(0).forEach((s) => s.close());
    await Promise.all([a.kill(), b.kill()]);
  });
  const pausedThenKilled = async () => {
    const sessionId = uniqueId('dead');
    const s = new SseClient(`${a.url}/aura/test/stream?sessionId=${sessionId}`, h);
    streams.push(s);
    const r = await s.hitlRequest();
    await a.kill('SIGKILL');
    return { ...r, sessionId };
  };

  it('a full-form approval published by another system is applied at once, and the run finishes after takeover', async () => {
    const { sessionId, requestId, seq } = await pausedThenKilled();
    const { default: Redis } = await import('ioredis');
    const pub = new Redis(testRedisUrl());
    await pub.publish(`hitl:channel:${sessionId}`, JSON.stringify({ type: 'approval', requestId, decidedBy: 'erp' }));
    // A request id published on another session's channel decides nothing.
    const other = new SseClient(`${b.url}/aura/test/stream?sessionId=${uniqueId('other')}`, h);
    streams.push(other);
    const otherReq = await other.hitlRequest();
    await pub.publish(`hitl:channel:${sessionId}`, JSON.stringify({ type: 'rejection', requestId: otherReq.requestId }));
    pub.disconnect();
    await waitFor(async () => (await request(b.url).get(`/aura/hitl/requests/${requestId}`).set(h)).body.status === 'approved', 3000, 'the approval');
    const req = await request(b.url).get(`/aura/hitl/requests/${requestId}`).set(h).expect(200);
    expect(req.body).toMatchObject({ status: 'approved', decidedBy: 'erp' });
    // Had the cross-session rejection landed, this approval would be a 409.
    await request(b.url).post(`/aura/hitl/approve/${otherReq.requestId}`).set(h).expect(200);
    const rest = new SseClient(`${b.url}/aura/test/stream?sessionId=${sessionId}`, { ...h, 'Last-Event-ID': String(seq) });
    streams.push(rest);
    await rest.untilEnd(10000);
    expect(rest.events.map((e) => e.id)).toEqual(Array.from({ length: 13 - seq }, (_, i) => seq + 1 + i));
    expect(rest.events.at(-1)?.payload.data.status).toBe('completed');
  });

  it('cancel after an approval nobody has applied yet logs the approval, then done {cancelled}', async () => {
    const { sessionId, requestId } = await pausedThenKilled();
    await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);
    await request(b.url).post(`/aura/runs/${sessionId}/cancel`).set(h).expect(200);
    const replay = new SseClient(`${b.url}/aura/test/stream?sessionId=${sessionId}`, h);
    streams.push(replay);
    await replay.untilEnd();
    expect(replay.events.slice(-2).map((e) => e.payload)).toEqual([
      { type: 'hitl', data: { requestId, sessionId, requiresApproval: false, status: 'approved' } },
      { type: 'done', data: { status: 'cancelled' } },
    ]);
    expect((await request(b.url).get(`/aura/hitl/requests/${requestId}`).set(h).expect(200)).body.status).toBe('approved');
  });

  it('cancel after a rejection nobody has applied yet is 409, and the run still ends rejected', async () => {
    const { sessionId, requestId } = await pausedThenKilled();
    await request(b.url).post(`/aura/hitl/reject/${requestId}`).set(h).send({ reason: 'no' }).expect(200);
    await request(b.url).post(`/aura/runs/${sessionId}/cancel`).set(h).expect(409);
    const replay = new SseClient(`${b.url}/aura/test/stream?sessionId=${sessionId}`, h);
    streams.push(replay);
    await replay.untilEnd(10000);
    expect(replay.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'rejected' } });
  });
});
