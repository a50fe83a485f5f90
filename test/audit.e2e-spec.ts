import request from 'supertest';
import { paramsDigest } from '../src/hitl/params-digest';
import Redis from 'ioredis';
import { startApp, TestApp, testRedisUrl, uniqueId } from './support/app';
import { waitFor } from './support/process';
import { authHeaders, token } from './support/tokens';

/** The audit trail (contract v1.3): written with each request and decision, listed per tenant. */
describe('GET /aura/audit', () => {
  let app: TestApp;
  const alice = authHeaders('alice', 'acme');
  const bob = authHeaders('bob', 'acme');

  beforeAll(async () => {
    app = await startApp({ HITL_TIMEOUT_SECONDS: '2' });
  });

  afterAll(() => app.close());

  const pausedRun = async (headers: Record<string, string>, sessionId: string) => {
    await request(app.url).post('/aura/runs').set(headers).send({ sessionId, prompt: 'Email the owner' }).expect(201);
    let requestId = '';
    await waitFor(async () => {
      const res = await request(app.url).get(`/aura/runs/${sessionId}`).set(headers);
      requestId = res.body.pendingRequestIds?.[0] ?? '';
      return requestId !== '';
    }, 10000, 'the pause');
    return requestId;
  };

  it("lists requested and approved records with actors, newest first, for the caller's tenant only", async () => {
    const sessionId = uniqueId('audit');
    const requestId = await pausedRun(alice, sessionId);
    const approvedReq = (await request(app.url).post(`/aura/hitl/approve/${requestId}`).set(bob).expect(200)).body;
    expect(approvedReq.paramsDigest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const res = await request(app.url).get('/aura/audit').query({ sessionId }).set(alice).expect(200);
    expect(res.body.nextCursor).toBeUndefined();
    expect(res.body.items).toEqual([
      expect.objectContaining({ sessionId, requestId, tenantId: 'acme', toolName: 'send_email', action: 'approved', actor: { type: 'user', id: 'bob' } }),
      expect.objectContaining({ sessionId, requestId, tenantId: 'acme', toolName: 'send_email', action: 'requested', actor: { type: 'user', id: 'alice' } }),
    ]);
    const [approved, requested] = res.body.items;
    expect(Date.parse(approved.at)).toBeGreaterThanOrEqual(Date.parse(requested.at));
    expect(approved.id).not.toBe(requested.id);
    expect(approved).not.toHaveProperty('runUserId');
    expect(requested.paramsDigest).toBe(approvedReq.paramsDigest);
    expect(requested).not.toHaveProperty('executedParamsDigest');
    expect(approved).toMatchObject({ paramsDigest: approvedReq.paramsDigest, executedParamsDigest: approvedReq.paramsDigest });

    // Another tenant sees none of it, with or without the session named.
    const other = authHeaders('mallory', 'globex');
    expect((await request(app.url).get('/aura/audit').query({ sessionId }).set(other).expect(200)).body).toEqual({ items: [] });
    const all = await request(app.url).get('/aura/audit').set(other).expect(200);
    expect(all.body.items.every((r: { tenantId: string }) => r.tenantId === 'globex')).toBe(true);
  });

  it('records an edit with the digest of the params the tool runs with', async () => {
    const sessionId = uniqueId('audit-edit');
    const requestId = await pausedRun(alice, sessionId);
    const req = (await request(app.url).get(`/aura/hitl/requests/${requestId}`).set(alice).expect(200)).body;
    const params = { ...req.params, subject: 'Edited subject' };
    await request(app.url).post(`/aura/hitl/approve/${requestId}`).set(alice).send({ params }).expect(200);
    const res = await request(app.url).get('/aura/audit').query({ sessionId }).set(alice).expect(200);
    expect(res.body.items[0]).toMatchObject({ action: 'edited', paramsDigest: req.paramsDigest, executedParamsDigest: paramsDigest(params), actor: { type: 'user', id: 'alice' } });
    expect(paramsDigest(params)).not.toBe(req.paramsDigest);
  });

  it('records a channel decision with actor system/redis, whatever the message claims', async () => {
    const sessionId = uniqueId('audit-chan');
    const requestId = await pausedRun(alice, sessionId);
    const redis = new Redis(testRedisUrl());
    try {
      await redis.publish(`hitl:channel:${sessionId}`, JSON.stringify({ type: 'approval', requestId, decidedBy: 'ceo' }));
    } finally {
      redis.disconnect();
    }
    await waitFor(async () => (await request(app.url).get('/aura/audit').query({ sessionId }).set(alice)).body.items.length === 2, 10000, 'the channel record');
    const res = await request(app.url).get('/aura/audit').query({ sessionId }).set(alice).expect(200);
    expect(res.body.items[0]).toMatchObject({ requestId, action: 'approved', actor: { type: 'system', id: 'redis' } });
  });

  it('records an expiry with actor system/expiry', async () => {
    const sessionId = uniqueId('audit-exp');
    const requestId = await pausedRun(alice, sessionId);
    await waitFor(async () => (await request(app.url).get('/aura/audit').query({ sessionId }).set(alice)).body.items.length === 2, 10000, 'the expiry record');
    const res = await request(app.url).get('/aura/audit').query({ sessionId }).set(alice).expect(200);
    expect(res.body.items[0]).toMatchObject({ requestId, action: 'expired', actor: { type: 'system', id: 'expiry' } });
  });

  it('pages with sealed cursors and narrows by time', async () => {
    const sessionId = uniqueId('audit-page');
    const requestId = await pausedRun(alice, sessionId);
    await request(app.url).post(`/aura/hitl/reject/${requestId}`).set(alice).send({ reason: 'not now' }).expect(200);
    const first = await request(app.url).get('/aura/audit').query({ sessionId, limit: 1 }).set(alice).expect(200);
    expect(first.body.items).toEqual([expect.objectContaining({ action: 'rejected', reason: 'not now', actor: { type: 'user', id: 'alice' } })]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await request(app.url).get('/aura/audit').query({ sessionId, limit: 1, cursor: first.body.nextCursor }).set(alice).expect(200);
    expect(second.body.items).toEqual([expect.objectContaining({ action: 'requested' })]);
    // A cursor is this tenant's and this query's: elsewhere it is 400.
    await request(app.url).get('/aura/audit').query({ limit: 1, cursor: first.body.nextCursor }).set(alice).expect(400);
    await request(app.url).get('/aura/audit').query({ sessionId, limit: 1, cursor: first.body.nextCursor }).set(authHeaders('mallory', 'globex')).expect(400);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await request(app.url).get('/aura/audit').query({ sessionId, from: future }).set(alice).expect(200)).body.items).toEqual([]);
  });

  it.each([
    [{ from: 'yesterday' }, /from must be an ISO 8601 date-time/],
    [{ to: '2026-13-45T00:00:00Z' }, /to must be an ISO 8601 date-time/],
    [{ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, /from must not be after to/],
    [{ cursor: 'bm90LWEtY3Vyc29yLWF0LWFsbC1yZWFsbHktbm90' }, /cursor is not a cursor/],
    [{ cursor: 'a b' }, /cursor is not a cursor/],
    [{ limit: '0' }, /limit must be an integer/],
    [{ sessionId: '../x' }, /sessionId is not a valid id/],
  ])('answers %j with 400', async (query, message) => {
    const res = await request(app.url).get('/aura/audit').query(query).set(alice).expect(400);
    expect(JSON.stringify(res.body)).toMatch(message);
  });

  it('needs AUDIT_ROLE when it is set', async () => {
    const guarded = await startApp({ AUDIT_ROLE: 'auditor' });
    try {
      await request(guarded.url).get('/aura/audit').set(alice).expect(403);
      await request(guarded.url).get('/aura/audit').set({ authorization: `Bearer ${token('carol', 'acme', { roles: ['auditor'] })}`, 'X-Tenant-ID': 'acme' }).expect(200);
      await request(guarded.url).get('/aura/audit').expect(401);
    } finally {
      await guarded.close();
    }
  });
});
