import Redis from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { uniqueId } from './support/app';
import { RedisProcess, ServiceProcess, waitFor } from './support/process';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

/** Redis goes away and comes back (its own redis-server, restarted on the same port with its AOF). */
describe('Redis restart while runs are paused', () => {
  const h = authHeaders();
  let dir: string;
  let redis: RedisProcess;
  let a: ServiceProcess;
  let b: ServiceProcess;
  const streams: SseClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aura-redis-'));
    redis = await RedisProcess.start(dir);
    const env = { REDIS_URL: redis.url, RUN_LEASE_MS: '3000', SSE_HEARTBEAT_SECONDS: '1' };
    [a, b] = await Promise.all([ServiceProcess.start(env), ServiceProcess.start(env)]);
  });

  afterAll(async () => {
    streams.forEach((s) => s.close());
    await Promise.all([a?.kill(), b?.kill()]);
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays up through the outage (503s, heartbeats) and applies decisions made after Redis returns within 2 s', async () => {
    const open = (sessionId: string) => {
      const s = new SseClient(`${a.url}/aura/test/stream?sessionId=${sessionId}`, h);
      streams.push(s);
      return s;
    };
    const [s1, s2] = [open(uniqueId('outage')), open(uniqueId('outage'))];
    const [r1, r2] = await Promise.all([s1.hitlRequest(), s2.hitlRequest()]);

    await redis.stop();

    await waitFor(async () => (await fetch(`${a.url}/health/ready`)).status === 503, 5000, 'readiness 503');
    const refused = await request(b.url).post(`/aura/hitl/approve/${r1.requestId}`).set(h);
    expect(refused.status).toBe(503);
    expect(refused.body.message).toMatch(/Redis is unavailable/);
    await request(a.url).get('/health/live').expect(200);
    const pingsBefore = s1.raw.split(': ping').length;
    await waitFor(() => s1.raw.split(': ping').length > pingsBefore, 3500, 'a heartbeat during the outage');
    expect(s1.ended).toBe(false);

    await redis.restart();
    await waitFor(async () => (await fetch(`${b.url}/health/ready`)).ok && (await fetch(`${a.url}/health/ready`)).ok, 5000, 'both ready again');
    const back = Date.now();
    await request(b.url).post(`/aura/hitl/approve/${r1.requestId}`).set(h).expect(200);
    // Another system's bare approval, published as soon as Redis is back.
    const pub = new Redis(redis.url);
    await pub.publish(`hitl:channel:${r2.sessionId}`, JSON.stringify({ type: 'approval' }));
    pub.disconnect();
    const decided = (s: SseClient, seq: number) => s.waitFor((es) => es.some((e) => e.id === seq + 1), 2000, 'the decision event');
    await Promise.all([decided(s1, r1.seq), decided(s2, r2.seq)]);
    expect(Date.now() - back).toBeLessThan(2000);
    await Promise.all([s1.untilEnd(), s2.untilEnd()]);
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(Number(/^aura_redis_reconnects_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    for (const s of [s1, s2]) {
      expect(s.events.map((e) => e.id)).toEqual(s.events.map((_, i) => i + 1));
      expect(s.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'completed' } });
    }
  });

  it('applies a decision published while the paused run’s subscriber connection was down, within 2 s of it coming back', async () => {
    const s = new SseClient(`${a.url}/aura/test/stream?sessionId=${uniqueId('sub-kill')}`, h);
    streams.push(s);
    const { requestId, seq } = await s.hitlRequest();
    const admin = new Redis(redis.url);
    try {
      // Freeze A so it cannot reconnect, cut the subscribers, and decide on B meanwhile: the signal is
      // published while A is not listening, and only re-reading after the resubscribe can apply it.
      a.child.kill('SIGSTOP');
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);
    } finally {
      admin.disconnect();
      a.child.kill('SIGCONT');
    }
    const resumed = Date.now();
    await s.waitFor((es) => es.some((e) => e.id === seq + 1), 2000, 'the decision event within 2 s');
    expect(Date.now() - resumed).toBeLessThan(2000);
    await s.untilEnd();
    expect(s.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'completed' } });
  });
});
