import { NAMES } from '../src/redis/redis-names';
import Redis from 'ioredis';
import request from 'supertest';
import { startApp, TestApp, testRedisUrl, uniqueId } from './support/app';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

/** XRANGE calls Redis has served so far (INFO commandstats), over all clients. */
async function xranges(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  const m = /cmdstat_xrange:calls=(\d+)/.exec(info);
  return m ? Number(m[1]) : 0;
}

/** Contract v1.2 "Faults": a live message that does not fit the log never makes an instance spin. */
describe('Forged live events', () => {
  const h = authHeaders();
  let app: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    app = await startApp();
    redis = new Redis(testRedisUrl());
  });
  afterAll(async () => {
    redis.disconnect();
    await app?.close();
  });

  it('out-of-log seqs on aura:events:{sid} cost a stream at most 10 log reads a second, reach no client, and the run goes on', async () => {
    const sessionId = uniqueId('forged');
    const s = new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}`, h);
    const { requestId } = await s.hitlRequest();
    const before = await xranges(redis);
    const started = Date.now();
    let seq = 1000;
    while (Date.now() - started < 2000) {
      await redis.spublish(NAMES.eventsChannel(sessionId), `${seq++} thought {"type":"thought","data":{"content":"forged"}}`);
      if (seq % 20 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    const elapsed = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 200));
    const reads = (await xranges(redis)) - before;
    expect(seq - 1000).toBeGreaterThan(500);
    expect(reads).toBeLessThanOrEqual(Math.ceil(elapsed * 10) + 2);
    expect(s.events.some((e) => e.payload.data.content === 'forged')).toBe(false);
    await request(app.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);
    await s.untilEnd();
    expect(s.events.map((e) => e.id)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
  });
});
