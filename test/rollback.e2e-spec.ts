import Redis from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NAMES } from '../src/redis/redis-names';
import { uniqueId } from './support/app';
import { RedisProcess, ServiceProcess, waitFor } from './support/process';
import { expectRunLost } from './support/run-lost';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

const LEASE_MS = 1000;
const h = authHeaders();

describe('Redis restarted from an older snapshot (a rollback): runs behind what was sent end as lost, never repeat steps', () => {
  let dir: string;
  let redis: RedisProcess;
  let svc: ServiceProcess;
  let client: Redis;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aura-rollback-'));
    redis = await RedisProcess.start(dir, 'snapshot');
    svc = await ServiceProcess.start({ REDIS_URL: redis.url, RUN_LEASE_MS: String(LEASE_MS), DEMO_STEP_DELAY_MS: '300', SSE_HEARTBEAT_SECONDS: '1' });
    client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
  });
  afterAll(async () => {
    client?.disconnect();
    await svc?.kill();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SAVE, a new run, a run that moves on, a restart: the new and the moved-on runs end with run_lost; a run unchanged since the snapshot goes on', async () => {
    const open = (sid: string) => new SseClient(`${svc.url}/aura/test/stream?sessionId=${sid}`, h);
    const [unchangedId, movedId, newId] = [uniqueId('same'), uniqueId('moved'), uniqueId('new')];
    const unchanged = open(unchangedId);
    const moved = open(movedId);
    const [, movedReq] = await Promise.all([unchanged.hitlRequest(15000), moved.hitlRequest(15000)]);
    expect(await client.save()).toBe('OK');

    const fresh = open(newId);
    await fresh.hitlRequest(15000);
    const approved = await fetch(`${svc.url}/aura/hitl/approve/${movedReq.requestId}`, { method: 'POST', headers: h });
    expect(approved.status).toBe(200);
    // Moved on past the snapshot: its decision and a step after it were sent; the run is still stepping.
    await moved.waitFor((es) => es.length >= movedReq.seq + 2, 5000, 'two events after the decision');
    expect(moved.ended).toBe(false);

    await redis.stop();
    await redis.restart();
    await Promise.all([moved.untilEnd(6 * LEASE_MS), fresh.untilEnd(6 * LEASE_MS)]);
    for (const s of [moved, fresh]) expectRunLost(s.events, s.events.at(-3)!.id);

    // The moved-on run is ended in the store at its stored position by its driver's next write, so no instance drives it again.
    await waitFor(async () => (await client.hget(NAMES.run(movedId), 'status')) === 'failed', 5000, 'the rolled-back run ended in the store');
    expect(Number(await client.hget(NAMES.run(movedId), 'seq'))).toBe(movedReq.seq + 2);
    expect(await client.exists(NAMES.run(newId))).toBe(0);

    // Unchanged since the snapshot: still paused, and it goes on when approved.
    expect(unchanged.ended).toBe(false);
    const unchangedReq = unchanged.events.find((e) => e.type === 'hitl')!.payload.data.requestId as string;
    expect((await fetch(`${svc.url}/aura/hitl/approve/${unchangedReq}`, { method: 'POST', headers: h })).status).toBe(200);
    await unchanged.waitForType('done', 10000);
    expect(unchanged.events.at(-1)?.payload.data).toEqual({ status: 'completed' });
  }, 60000);
});
