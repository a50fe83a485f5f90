import request from 'supertest';
import { startApp, TestApp, testRedisUrl, uniqueId } from './support/app';
import { ServiceProcess, waitFor } from './support/process';
import { authHeaders } from './support/tokens';
import { WEBHOOK_TEST_SECRET, WebhookReceiver } from './support/webhook-receiver';

/** Signed webhooks (contract v1.3) to a real receiver that verifies each delivery with standardwebhooks. */
describe('webhooks', () => {
  let receiver: WebhookReceiver;
  const apps: TestApp[] = [];
  const procs: ServiceProcess[] = [];
  const headers = authHeaders('alice', 'acme');
  const hookEnv = () => ({ WEBHOOK_URLS: receiver.url, WEBHOOK_SECRET: WEBHOOK_TEST_SECRET, WEBHOOK_TIMEOUT_MS: '1000' });

  beforeEach(async () => {
    receiver = await WebhookReceiver.start();
  });

  afterEach(async () => {
    await Promise.all([...apps.splice(0).map((a) => a.close()), ...procs.splice(0).map((p) => p.kill())]);
    await receiver.close();
  });

  const startRun = async (url: string, sessionId: string) => {
    await request(url).post('/aura/runs').set(headers).send({ sessionId, prompt: 'Email the owner' }).expect(201);
    await waitFor(() => receiver.of(sessionId, 'hitl.requested').length > 0, 10000, 'hitl.requested');
    return receiver.of(sessionId, 'hitl.requested')[0].body.data.request!.requestId as string;
  };

  it("delivers a run's four event kinds, signed, hitl.expiring before expiresAt", async () => {
    const app = await startApp({ ...hookEnv(), HITL_TIMEOUT_SECONDS: '4', HITL_EXPIRY_WARNING_SECONDS: '3' });
    apps.push(app);
    const sessionId = uniqueId('hooks');
    const requestId = await startRun(app.url, sessionId);
    await waitFor(() => receiver.of(sessionId, 'hitl.expiring').length > 0, 5000, 'hitl.expiring');
    const expiring = receiver.of(sessionId, 'hitl.expiring')[0];
    expect(expiring.at).toBeLessThan(Date.parse(expiring.body.data.request!.expiresAt as string));
    expect(expiring.body.data).toMatchObject({ tenantId: 'acme', sessionId, userId: 'alice', status: 'pending', request: { requestId, status: 'pending' } });

    await request(app.url).post(`/aura/hitl/approve/${requestId}`).set(headers).expect(200);
    await waitFor(() => receiver.of(sessionId, 'run.finished').length > 0, 10000, 'run.finished');
    const kinds = receiver.of(sessionId).map((d) => d.body.type);
    expect(kinds).toEqual(['hitl.requested', 'hitl.expiring', 'hitl.decided', 'run.finished']);
    const [requested, , decided, finished] = receiver.of(sessionId);
    expect(requested.body.data).toMatchObject({ tenantId: 'acme', sessionId, userId: 'alice', request: { requestId, toolName: 'send_email', status: 'pending' } });
    expect(decided.body.data).toMatchObject({ status: 'approved', request: { requestId, status: 'approved', decidedBy: 'alice' } });
    expect(finished.body.data).toEqual({ tenantId: 'acme', sessionId, userId: 'alice', status: 'completed' });
    expect(new Set(receiver.of(sessionId).map((d) => d.id)).size).toBe(4);
    expect(receiver.rejected).toBe(0);
  });

  it('retries a receiver that answers 500 twice: the third attempt carries the same webhook-id', async () => {
    const app = await startApp({ ...hookEnv(), HITL_EXPIRY_WARNING_SECONDS: '0' });
    apps.push(app);
    const sessionId = uniqueId('retry');
    let failures = 0;
    receiver.answer = (d) => (d.body.data.sessionId === sessionId && d.body.type === 'hitl.requested' && failures++ < 2 ? 500 : 200);
    await request(app.url).post('/aura/runs').set(headers).send({ sessionId, prompt: 'Email the owner' }).expect(201);
    await waitFor(() => receiver.of(sessionId, 'hitl.requested').length === 3, 15000, 'the third attempt');
    const attempts = receiver.of(sessionId, 'hitl.requested');
    expect(new Set(attempts.map((d) => d.id)).size).toBe(1);
    // Backoff: about 1 s, then about 5 s (±20 %).
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(700);
    expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(3500);
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.of(sessionId, 'hitl.requested')).toHaveLength(3);
    const metrics = await request(app.url).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/aura_webhook_deliveries_total\{outcome="failed"\} [2-9]/);
  }, 30000);

  it('an instance SIGKILLed right after its 200 still has its hitl.decided delivered, by the other', async () => {
    const env = { ...hookEnv(), REDIS_URL: testRedisUrl(), HITL_EXPIRY_WARNING_SECONDS: '0', RUN_LEASE_MS: '1000' };
    const a = await ServiceProcess.start(env);
    procs.push(a);
    const sessionId = uniqueId('kill');
    const requestId = await startRun(a.url, sessionId);
    // A's own attempt at the decision never gets an answer: only another instance can deliver it.
    receiver.answer = (d) => (d.body.type === 'hitl.decided' && receiver.of(sessionId, 'hitl.decided').length === 1 ? 'hang' : 200);
    await request(a.url).post(`/aura/hitl/approve/${requestId}`).set(headers).expect(200);
    await a.kill('SIGKILL');
    const b = await startApp(env);
    apps.push(b);
    await waitFor(() => receiver.of(sessionId, 'hitl.decided').some((d) => d.answered === 200), 20000, 'hitl.decided answered 200, from B');
    await waitFor(() => receiver.of(sessionId, 'run.finished').length > 0, 20000, 'run.finished after the takeover');
    const decided = receiver.of(sessionId, 'hitl.decided');
    expect(new Set(decided.map((d) => d.id)).size).toBe(1);
    expect(decided[0].body.data).toMatchObject({ sessionId, status: 'approved', request: { requestId, decidedBy: 'alice' } });
  }, 40000);

  it('a receiver that hangs, redirects or answers a huge body delays no other delivery; a delivery failing every attempt is given up', async () => {
    const bad = await WebhookReceiver.start();
    const huge = 'x'.repeat(8 * 1024 * 1024);
    try {
      let n = 0;
      bad.answer = () => (n++ % 2 === 0 ? 'hang' : 302);
      bad.body = () => huge;
      const app = await startApp({ ...hookEnv(), WEBHOOK_URLS: `${bad.url},${receiver.url}`, WEBHOOK_MAX_ATTEMPTS: '2', HITL_EXPIRY_WARNING_SECONDS: '0' });
      apps.push(app);
      const sessionId = uniqueId('bad');
      const started = Date.now();
      const requestId = await startRun(app.url, sessionId);
      // The good receiver had it well before the bad one's timeout (1 s).
      expect(receiver.of(sessionId, 'hitl.requested')[0].at - started).toBeLessThan(1000);
      const t0 = Date.now();
      await request(app.url).post(`/aura/hitl/approve/${requestId}`).set(headers).expect(200);
      expect(Date.now() - t0).toBeLessThan(500);
      await waitFor(() => receiver.of(sessionId, 'run.finished').length > 0, 5000, 'run.finished at the good receiver');
      // Each event reaches the bad receiver twice (a hang, then a 302 that is not followed) and is given up.
      await waitFor(() => bad.of(sessionId, 'hitl.requested').length === 2, 10000, 'the second attempt at the bad receiver');
      await waitFor(async () => /aura_webhook_deliveries_total\{outcome="given_up"\} [1-9]/.test((await request(app.url).get('/metrics')).text), 5000, 'given_up');
      const metrics = (await request(app.url).get('/metrics')).text;
      expect(metrics).toMatch(/aura_webhook_deliveries_total\{outcome="timeout"\} [1-9]/);
      expect(receiver.of(sessionId, 'hitl.requested')).toHaveLength(1);
    } finally {
      await bad.close();
    }
  }, 30000);

  it('without Redis (one instance) delivers the same events and keeps the same audit trail', async () => {
    const app = await startApp({ ...hookEnv(), REDIS_URL: '', HITL_TIMEOUT_SECONDS: '4', HITL_EXPIRY_WARNING_SECONDS: '3' });
    apps.push(app);
    const sessionId = uniqueId('mem');
    const requestId = await startRun(app.url, sessionId);
    await waitFor(() => receiver.of(sessionId, 'hitl.expiring').length > 0, 5000, 'hitl.expiring');
    await request(app.url).post(`/aura/hitl/approve/${requestId}`).set(headers).expect(200);
    await waitFor(() => receiver.of(sessionId, 'run.finished').length > 0, 10000, 'run.finished');
    expect(receiver.of(sessionId).map((d) => d.body.type)).toEqual(['hitl.requested', 'hitl.expiring', 'hitl.decided', 'run.finished']);
    expect(receiver.of(sessionId, 'run.finished')[0].body.data).toEqual({ tenantId: 'acme', sessionId, userId: 'alice', status: 'completed' });
    const audit = await request(app.url).get('/aura/audit').query({ sessionId }).set(headers).expect(200);
    expect(audit.body.items).toEqual([
      expect.objectContaining({ requestId, action: 'approved', actor: { type: 'user', id: 'alice' }, paramsDigest: expect.stringMatching(/^sha256:/), executedParamsDigest: expect.stringMatching(/^sha256:/) }),
      expect.objectContaining({ requestId, action: 'requested', actor: { type: 'user', id: 'alice' } }),
    ]);
    expect((await request(app.url).get('/aura/audit').set(authHeaders('mallory', 'globex')).expect(200)).body).toEqual({ items: [] });
  });
});
