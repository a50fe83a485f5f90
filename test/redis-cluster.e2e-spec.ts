import request from 'supertest';
import { uniqueId } from './support/app';
import { closeStreams, expectCompleted, h, mainFlow, openStream } from './support/deployment-flow';
import { ServiceProcess, waitFor } from './support/process';
import { ClusterSet, clusterOk, startCluster } from './support/redis-cluster';
import { ServerSet, withClient } from './support/redis-servers';
import { NAMES } from '../src/redis/redis-names';

/** The v1 flow on a 6-node Redis Cluster (3 masters, 3 replicas), and a failover of the master that holds a session's slot. */
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

  /** Fresh session ids whose slots the same master serves. */
  const sessionsOnOneMaster = async (count: number): Promise<string[]> => {
    const first = uniqueId('dep');
    const port = (await cluster.masterOf(first)).port;
    const out = [first];
    while (out.length < count) {
      const next = uniqueId('dep');
      if ((await cluster.masterOf(next)).port === port) out.push(next);
    }
    return out;
  };

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

  it('every key of a session sits in its own slot (CLUSTER KEYSLOT of the session id), and sessions spread over the masters', async () => {
    const paused = openStream(a);
    const pending = await paused.hitlRequest();
    const { sessionId, requestId } = await mainFlow(a, b);
    const keysOf = async (id: string) => {
      const found: string[] = [];
      for (const n of cluster.nodes.filter((x) => x.alive)) found.push(...(await withClient(n.port, (c) => c.keys(`aura:{${id}}:*`))));
      return found;
    };
    for (const [sid, rid] of [[sessionId, requestId], [pending.sessionId, pending.requestId]]) {
      const keys = await keysOf(sid);
      // The run, its event log, its signals, its request: one slot, the session id's.
      expect(keys).toEqual(expect.arrayContaining([NAMES.run(sid), NAMES.events(sid), NAMES.request(sid, rid)]));
      const master = await cluster.masterOf(sid);
      const slots = await withClient(master.port, (c) => Promise.all([sid, ...keys].map((k) => c.cluster('KEYSLOT', k))));
      expect(new Set(slots).size).toBe(1);
    }
    expect((await keysOf(sessionId)).length).toBeGreaterThanOrEqual(4);
    // 30 sessions land on all three masters: no one node holds every run.
    const masters = new Set(await Promise.all(Array.from({ length: 30 }, (_, i) => cluster.masterOf(`spread-${i}`).then((m) => m.port))));
    expect(masters.size).toBe(3);
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
    // Both sessions on one master: the one the drill kills.
    const [sid1, sid2] = await sessionsOnOneMaster(2);
    const [s1, s2] = [openStream(a, sid1), openStream(a, sid2)];
    const [r1, r2] = await Promise.all([s1.hitlRequest(), s2.hitlRequest()]);
    const victim = await cluster.masterOf(r1.sessionId);
    await request(b.url).post(`/aura/hitl/approve/${r1.requestId}`).set(h).expect(200);
    await victim.kill('SIGKILL');

    await waitFor(async () => (await cluster.masterOf(r1.sessionId)) !== victim && (await clusterOk(cluster.nodes)), 20000, 'a replica to take over the slot');
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
