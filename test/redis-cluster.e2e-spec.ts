import request from 'supertest';
import { closeStreams, expectCompleted, h, mainFlow, openStream } from './support/deployment-flow';
import { ServiceProcess, waitFor } from './support/process';
import { ClusterSet, clusterOk, startCluster } from './support/redis-cluster';
import { ServerSet, withClient } from './support/redis-servers';

/** The v1 flow on a 6-node Redis Cluster (3 masters, 3 replicas), and a failover of the master that holds Aura's keys. */
describe('Redis Cluster (REDIS_CLUSTER_NODES), with REDIS_WAIT_REPLICAS=1', () => {
  const set = new ServerSet();
  let cluster: ClusterSet;
  let a: ServiceProcess;
  let b: ServiceProcess;

  let env: Record<string, string>;

  beforeAll(async () => {
    cluster = await startCluster(set);
    env = { REDIS_CLUSTER_NODES: cluster.nodeList, REDIS_WAIT_REPLICAS: '1', RUN_LEASE_MS: '3000', LOG_LEVEL: 'info' };
    [a, b] = await Promise.all([ServiceProcess.start(env), ServiceProcess.start(env)]);
  }, 60000);

  afterEach(closeStreams);

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await set.stopAll();
  });

  it('streams on A, is approved on B and completes; the log names Cluster mode and the seed nodes', async () => {
    const { sessionId } = await mainFlow(a, b);
    expect(a.output).toContain(`Redis: Cluster mode, seed nodes ${cluster.nodeList}`);
    const run = await request(b.url).get(`/aura/runs/${sessionId}`).set(h).expect(200);
    expect(run.body).toMatchObject({ sessionId, status: 'completed', pendingRequestIds: [] });
    const list = await request(a.url).get('/aura/runs?limit=5').set(h).expect(200);
    expect(list.body.items.map((r: { sessionId: string }) => r.sessionId)).toContain(sessionId);
  });

  it('every key of a session sits in one slot (CLUSTER KEYSLOT), the slot of the master that holds them', async () => {
    const paused = openStream(a);
    const pending = await paused.hitlRequest();
    const { sessionId, requestId } = await mainFlow(a, b);
    const master = await cluster.masterOf('{aura}');
    const keys = await withClient(master.port, async (c) => {
      const found: string[] = [];
      for (const id of [sessionId, requestId, pending.sessionId, pending.requestId]) found.push(...(await c.keys(`*${id}*`)));
      return found;
    });
    // The run, its event log, its signals, the request: of both sessions.
    expect(keys).toEqual(expect.arrayContaining([expect.stringContaining(`run:${sessionId}`), expect.stringContaining(`run:${sessionId}:events`), expect.stringContaining(`signals:${sessionId}`), expect.stringContaining(`request:${requestId}`), expect.stringContaining(`request:${pending.requestId}`)]));
    const slots = await withClient(master.port, (c) => Promise.all(keys.map((k) => c.cluster('KEYSLOT', k))));
    expect(new Set(slots).size).toBe(1);
    await request(b.url).post(`/aura/hitl/approve/${pending.requestId}`).set(h).expect(200);
    await paused.untilEnd();
    expectCompleted(paused);
  });

  it('pod loss: the instance holding a paused run is SIGKILLed, B adopts it, the approval on B resumes it, a reconnect gets the rest once, a replay gets it all', async () => {
    const c = await ServiceProcess.start(env);
    try {
      const first = openStream(c);
      const { requestId, sessionId, seq } = await first.hitlRequest();
      await c.kill('SIGKILL');
      await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);
      const second = openStream(b, sessionId, seq);
      await second.untilEnd(20000);
      expect(second.events.map((e) => e.id)).toEqual(Array.from({ length: 13 - seq }, (_, i) => seq + 1 + i));
      expect(second.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'completed' } });
      const replay = openStream(a, sessionId);
      await replay.untilEnd();
      expectCompleted(replay);
      expect(replay.events).toHaveLength(13);
    } finally {
      await c.kill();
    }
  }, 40000);

  it('failover: the master of the session’s slot is SIGKILLed right after an approve answered 200; that run completes, and a run paused across the failover is approved afterwards and completes', async () => {
    const [s1, s2] = [openStream(a), openStream(a)];
    const [r1, r2] = await Promise.all([s1.hitlRequest(), s2.hitlRequest()]);
    const victim = await cluster.masterOf('{aura}');
    await request(b.url).post(`/aura/hitl/approve/${r1.requestId}`).set(h).expect(200);
    await victim.kill('SIGKILL');

    await waitFor(async () => (await cluster.masterOf('{aura}')) !== victim && (await clusterOk(cluster.nodes)), 20000, 'a replica to take over the slot');
    // The killed node comes back (its nodes.conf kept) as the new master's replica, so WAIT 1 is met again.
    await cluster.restart(victim);

    await s1.untilEnd(30000);
    expectCompleted(s1);

    await waitFor(async () => (await fetch(`${b.url}/health/ready`)).ok, 10000, 'B ready');
    await request(b.url).post(`/aura/hitl/approve/${r2.requestId}`).set(h).expect(200);
    await s2.untilEnd(30000);
    expectCompleted(s2);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
  }, 90000);
});
