import request from 'supertest';
import { ServiceProcess, waitFor } from './support/process';
import { ClusterSet, startCluster } from './support/redis-cluster';
import { ServerSet } from './support/redis-servers';
import { authHeaders } from './support/tokens';
import { WEBHOOK_TEST_SECRET, WebhookReceiver } from './support/webhook-receiver';
import { uniqueId } from './support/app';

/** The outbox, the expiring sweep and the audit trail on a 6-node Redis Cluster: every key they touch carries the slot tag. */
describe('webhooks and the audit trail on Redis Cluster', () => {
  const set = new ServerSet();
  let cluster: ClusterSet;
  let receiver: WebhookReceiver;
  let svc: ServiceProcess;
  const headers = authHeaders('alice', 'acme');

  beforeAll(async () => {
    cluster = await startCluster(set);
    receiver = await WebhookReceiver.start();
    svc = await ServiceProcess.start({
      REDIS_CLUSTER_NODES: cluster.nodeList, WEBHOOK_URLS: receiver.url, WEBHOOK_SECRET: WEBHOOK_TEST_SECRET, HITL_TIMEOUT_SECONDS: '4', HITL_EXPIRY_WARNING_SECONDS: '3',
    });
  }, 60000);

  afterAll(async () => {
    await svc?.kill();
    await receiver?.close();
    await set.stopAll();
  });

  it("delivers a run's four event kinds, signed, and lists its audit records", async () => {
    const sessionId = uniqueId('cl-hooks');
    await request(svc.url).post('/aura/runs').set(headers).send({ sessionId, prompt: 'Email the owner' }).expect(201);
    await waitFor(() => receiver.of(sessionId, 'hitl.expiring').length > 0, 10000, `hitl.expiring\n${svc.output}`);
    const requestId = receiver.of(sessionId, 'hitl.requested')[0].body.data.request!.requestId as string;
    await request(svc.url).post(`/aura/hitl/approve/${requestId}`).set(headers).expect(200);
    await waitFor(() => receiver.of(sessionId, 'run.finished').length > 0, 10000, 'run.finished');
    expect(receiver.of(sessionId).map((d) => d.body.type)).toEqual(['hitl.requested', 'hitl.expiring', 'hitl.decided', 'run.finished']);
    expect(receiver.rejected).toBe(0);
    const audit = await request(svc.url).get('/aura/audit').query({ sessionId }).set(headers).expect(200);
    expect(audit.body.items.map((r: { action: string }) => r.action)).toEqual(['approved', 'requested']);
  });
});
