import request from 'supertest';
import { uniqueId } from './support/app';
import { SseClient } from './support/sse';
import { ServiceProcess, waitFor } from './support/process';
import { ClusterSet, startCluster } from './support/redis-cluster';
import { ServerProcess, ServerSet, withClient } from './support/redis-servers';
import { authHeaders } from './support/tokens';
import { bucketOf, NAMES } from '../src/redis/redis-names';

/**
 * Work that spans slots, with a crash between its two writes: a decision and a run's end are
 * stored on the session's slot, then the instance dies before the tenant's slot learns of them
 * (its master is paused for writes, so the second write hangs until the kill). Another instance's
 * repair sweep applies the session's outbox: the inbox, the audit trail and the limits catch up.
 */
describe('a crash between the session write and the tenant write (6-node Cluster)', () => {
  const set = new ServerSet();
  let cluster: ClusterSet;
  let survivor: ServiceProcess;
  const tenant = uniqueId('crash-t');
  const h = authHeaders('alice', tenant);
  let env: Record<string, string>;

  beforeAll(async () => {
    cluster = await startCluster(set);
    // One unfinished run per user: the run whose end never reached the tenant's slot must not hold it.
    env = { REDIS_CLUSTER_NODES: cluster.nodeList, RUN_LEASE_MS: '3000', LOG_LEVEL: 'info', MAX_ACTIVE_RUNS_PER_USER: '1' };
    survivor = await ServiceProcess.start(env);
  }, 60000);

  const streams: SseClient[] = [];
  afterEach(() => streams.splice(0).forEach((s) => s.close()));

  afterAll(async () => {
    await survivor?.kill();
    await set.stopAll();
  });

  /** A session id whose own slot and outbox mark are served by masters other than `avoid`. */
  async function sessionAway(avoid: ServerProcess): Promise<string> {
    for (;;) {
      const sid = uniqueId('crash');
      const [own, mark] = await Promise.all([cluster.masterOf(sid), cluster.masterOf(NAMES.changesDue(bucketOf(sid)))]);
      if (own.port !== avoid.port && mark.port !== avoid.port) return sid;
    }
  }

  it('an approval answered by no one (the approver died mid-way) still reaches the inbox and the audit trail, and the run it ended does not hold a place in the limits', async () => {
    const tenantMaster = await cluster.masterOf(NAMES.index(tenant, 'pending'));
    const sessionId = await sessionAway(tenantMaster);
    const doomed = await ServiceProcess.start(env);
    try {
      const s = new SseClient(`${doomed.url}/aura/test/stream?sessionId=${sessionId}`, h);
      streams.push(s);
      const { requestId } = await s.hitlRequest();
      await waitFor(async () => (await request(survivor.url).get('/aura/hitl/requests').set(h)).body.items?.length === 1, 5000, 'the request in the inbox');

      await withClient(tenantMaster.port, (c) => c.call('CLIENT', 'PAUSE', '30000', 'WRITE'));
      const approval = request(doomed.url).post(`/aura/hitl/approve/${requestId}`).set(h).timeout(60000).then(
        (r) => r.status,
        () => 'no answer',
      );
      // The decision is on the session's slot: the run resumes and ends there; the tenant's slot has heard of neither.
      await s.waitForType('done', 15000);
      await doomed.kill('SIGKILL');
      expect(await approval).toBe('no answer');
      expect(await withClient(tenantMaster.port, (c) => c.zscore(NAMES.activeRuns(tenant), sessionId))).not.toBeNull();
      await withClient(tenantMaster.port, (c) => c.call('CLIENT', 'UNPAUSE'));

      await waitFor(async () => (await request(survivor.url).get('/aura/hitl/requests?status=approved').set(h)).body.items?.length === 1, 20000, 'the repair to move the request to approved');
      expect((await request(survivor.url).get('/aura/hitl/requests').set(h).expect(200)).body.items).toEqual([]);
      const audit = await request(survivor.url).get('/aura/audit').query({ sessionId }).set(h).expect(200);
      expect(audit.body.items.map((r: { action: string }) => r.action)).toEqual(['approved', 'requested']);
      // The run's end was never applied to the limits (no webhook listens, so it was not kept in the
      // outbox): its place is pruned when the user's next run needs it.
      await request(survivor.url).post('/aura/runs').set(h).send({ prompt: 'next' }).expect(201);
      expect(await withClient(tenantMaster.port, (c) => c.zscore(NAMES.activeUserRuns(tenant, 'alice'), sessionId))).toBeNull();
      const own = await cluster.masterOf(sessionId);
      expect(await withClient(own.port, (c) => c.llen(NAMES.changes(sessionId)))).toBe(0);
      expect(survivor.output).toMatch(/Applied the outbox of \d+ session/);
    } finally {
      await withClient(tenantMaster.port, (c) => c.call('CLIENT', 'UNPAUSE')).catch(() => undefined);
      await doomed.kill();
    }
  }, 90000);
});
