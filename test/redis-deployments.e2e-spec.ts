import request from 'supertest';
import { closeStreams, expectCompleted, h, mainFlow, openStream as open } from './support/deployment-flow';
import { freePort, ServiceProcess, waitFor } from './support/process';
import { ServerSet, withClient } from './support/redis-servers';
import { SENTINEL_MASTER, SentinelSet, startSentinelSet } from './support/redis-sentinel';
import { startTlsRedis, TLS_PASSWORD } from './support/redis-tls';

/** The v1 flow (stream on A, decide on B) on Redis deployments other than one plain node: TLS with an ACL user, and Sentinel. */
afterEach(closeStreams);

describe('Redis over TLS with an ACL user (rediss://user:password@, REDIS_TLS_CA_FILE)', () => {
  const set = new ServerSet();
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    const tls = await startTlsRedis(set);
    const env = { REDIS_URL: tls.url, REDIS_TLS_CA_FILE: tls.caFile, LOG_LEVEL: 'info' };
    [a, b] = await Promise.all([ServiceProcess.start(env), ServiceProcess.start(env)]);
  }, 30000);

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await set.stopAll();
  });

  it('streams on A, is approved on B and completes; the start-up log names the mode and user, never the password', async () => {
    await mainFlow(a, b);
    expect(a.output).toMatch(/Redis: TLS mode \(own CA\), 127\.0\.0\.1:\d+ as user \\?"aura\\?"/);
    expect(a.output).not.toContain(TLS_PASSWORD);
  });

  it('without the CA the server is not trusted: not ready, and the cause logged once per few seconds, not on every retry', async () => {
    const svc = await ServiceProcess.launch({ REDIS_URL: `rediss://aura:${TLS_PASSWORD}@127.0.0.1:${set.servers[0].port}`, LOG_LEVEL: 'info' });
    try {
      await waitFor(async () => (await fetch(`${svc.url}/health/ready`)).status === 503, 10000, 'readiness 503');
      await new Promise((r) => setTimeout(r, 6000));
      const lines = svc.output.split('\n').filter((l) => /self.signed|unable to verify|certificate/i.test(l));
      // Over ~7 s of retries every ≤1 s on two connections: one line per connection per 5 s, and the reason is named.
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThanOrEqual(6);
      expect(svc.output).not.toContain(TLS_PASSWORD);
    } finally {
      await svc.kill();
    }
  });
});

describe('Redis unreachable', () => {
  it('is logged a few lines every few seconds, not one per reconnect attempt and task', async () => {
    const svc = await ServiceProcess.launch({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, LOG_LEVEL: 'warn', RUN_LEASE_MS: '600' });
    try {
      await waitFor(async () => (await fetch(`${svc.url}/health/live`)).ok, 10000, 'the service to be live');
      await new Promise((r) => setTimeout(r, 6000));
      const lines = svc.output.split('\n').filter((l) => l.includes('"level":40') || l.includes('"level":50'));
      expect(lines.some((l) => l.includes('ECONNREFUSED'))).toBe(true);
      // About 7 s: reconnects every ≤1 s on two connections, heartbeats every 200 ms, sweeps every second.
      expect(lines.length).toBeLessThanOrEqual(14);
    } finally {
      await svc.kill();
    }
  });
});

describe('Redis behind Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_MASTER), with REDIS_WAIT_REPLICAS=1', () => {
  const set = new ServerSet();
  let sentinel: SentinelSet;
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    sentinel = await startSentinelSet(set, 1);
    const env = { REDIS_SENTINELS: sentinel.sentinelList, REDIS_SENTINEL_MASTER: SENTINEL_MASTER, REDIS_WAIT_REPLICAS: '1', RUN_LEASE_MS: '3000', LOG_LEVEL: 'info' };
    [a, b] = await Promise.all([ServiceProcess.start(env), ServiceProcess.start(env)]);
  }, 40000);

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await set.stopAll();
  });

  it('streams on A, is approved on B and completes; the log names Sentinel mode and the sentinels', async () => {
    await mainFlow(a, b);
    expect(a.output).toContain(`Redis: Sentinel mode, master \\"${SENTINEL_MASTER}\\" via ${sentinel.sentinelList}`);
  });

  it('failover: the master is SIGKILLed right after an approve answered 200; that run completes, and a run paused across the failover is approved afterwards and completes', async () => {
    const [s1, s2] = [open(a), open(a)];
    const [r1, r2] = await Promise.all([s1.hitlRequest(), s2.hitlRequest()]);
    await request(b.url).post(`/aura/hitl/approve/${r1.requestId}`).set(h).expect(200);
    const oldMaster = sentinel.master;
    await oldMaster.kill('SIGKILL');

    await waitFor(async () => (await sentinel.currentMasterPort()) === sentinel.replica.port, 15000, 'the sentinel to promote the replica');
    // The old master comes back as the new master's replica (as the sentinel would make it, only sooner), so WAIT 1 is met again.
    await set.start(['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0', '--replicaof', '127.0.0.1', String(sentinel.replica.port)], { port: oldMaster.port });
    await waitFor(() => withClient(sentinel.replica.port, async (c) => /connected_slaves:1/.test(await c.info('replication'))), 15000, 'the old master to rejoin as replica');

    await s1.untilEnd(20000);
    expectCompleted(s1);

    await waitFor(async () => (await fetch(`${b.url}/health/ready`)).ok, 10000, 'B ready');
    const res = await request(b.url).post(`/aura/hitl/approve/${r2.requestId}`).set(h);
    expect(res.status).toBe(200);
    await s2.untilEnd(20000);
    expectCompleted(s2);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
  }, 60000);
});
