import Redis from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, TestApp, testRedisUrl, uniqueId } from './support/app';
import { RedisProcess, ServiceProcess, waitFor } from './support/process';
import { expectRunLost } from './support/run-lost';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

const LEASE_MS = 1000;
const h = authHeaders();


describe('A run whose stored state disappears (contract v1.2 "Faults")', () => {
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    const env = { RUN_LEASE_MS: String(LEASE_MS), DEMO_STEP_DELAY_MS: '5' };
    [a, b] = await Promise.all([startApp(env), startApp({ ...env, DEMO_STEP_DELAY_MS: '400' })]);
    redis = new Redis(testRedisUrl());
  });

  afterAll(async () => {
    redis.disconnect();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('after FLUSHDB, paused and streaming runs on two instances end with run_error {run_lost} + done {failed} within 2 × RUN_LEASE_MS', async () => {
    const paused = new SseClient(`${a.url}/aura/test/stream?sessionId=${uniqueId('lost-paused')}`, h);
    const pausedElsewhere = new SseClient(`${b.url}/aura/test/stream?sessionId=${uniqueId('lost-paused-b')}`, h);
    await Promise.all([paused.hitlRequest(), pausedElsewhere.hitlRequest(8000)]);
    // B steps every 400 ms: this run is mid-way when the data goes.
    const streaming = new SseClient(`${b.url}/aura/test/stream?sessionId=${uniqueId('lost-streaming')}`, h);
    await streaming.waitFor((es) => es.length >= 2, 5000, 'two events');

    await redis.flushdb();
    const flushed = Date.now();
    await Promise.all([paused, pausedElsewhere, streaming].map((s) => s.untilEnd(2 * LEASE_MS + 1000)));
    expect(Date.now() - flushed).toBeLessThanOrEqual(2 * LEASE_MS + 500);
    for (const s of [paused, pausedElsewhere, streaming]) expectRunLost(s.events, s.events.at(-3)!.id);
    // Nothing waits for the lost runs any more: no instance writes them again.
    await new Promise((r) => setTimeout(r, 2 * LEASE_MS));
    expect(await redis.keys('aura:{*}:run')).toEqual([]);
  });
});

describe('Redis restarted without persistence', () => {
  let dir: string;
  let redis: RedisProcess;
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aura-lost-'));
    redis = await RedisProcess.start(dir, false);
    const env = { REDIS_URL: redis.url, RUN_LEASE_MS: String(LEASE_MS), SSE_HEARTBEAT_SECONDS: '1' };
    [a, b] = await Promise.all([ServiceProcess.start(env), ServiceProcess.start({ ...env, DEMO_STEP_DELAY_MS: '400' })]);
  });

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('open streams end with run_lost within 2 × RUN_LEASE_MS of Redis coming back', async () => {
    const paused = new SseClient(`${a.url}/aura/test/stream?sessionId=${uniqueId('restart-paused')}`, h);
    await paused.hitlRequest();
    const streaming = new SseClient(`${b.url}/aura/test/stream?sessionId=${uniqueId('restart-streaming')}`, h);
    await streaming.waitFor((es) => es.length >= 1, 5000, 'an event');

    await redis.stop();
    await new Promise((r) => setTimeout(r, 300));
    await redis.restart();
    const back = Date.now();
    await Promise.all([paused.untilEnd(4 * LEASE_MS), streaming.untilEnd(4 * LEASE_MS)]);
    expect(Date.now() - back).toBeLessThanOrEqual(2 * LEASE_MS + 500);
    for (const s of [paused, streaming]) expectRunLost(s.events, s.events.at(-3)!.id);
    await waitFor(async () => (await fetch(`${a.url}/health/ready`)).ok, 3000, 'A ready');
  });
});
