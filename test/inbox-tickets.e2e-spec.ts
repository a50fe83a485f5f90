import { NAMES } from '../src/redis/redis-names';
import Redis from 'ioredis';
import request from 'supertest';
import { startApp, TestApp, testRedisUrl, uniqueId } from './support/app';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

/** The request ids in a tenant's inbox index (members are '<requestId> <sessionId>'). */
async function indexed(tenant: string, status: string, client: Redis): Promise<string[]> {
  return (await client.zrange(NAMES.index(tenant, status), '0', '-1')).map((m) => m.split(' ')[0]);
}

describe('Approvals inbox and stream tickets (docs/protocol.md, inbox and stream tickets)', () => {
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  const streams: SseClient[] = [];

  beforeAll(async () => {
    [a, b] = await Promise.all([startApp(), startApp()]);
    redis = new Redis(testRedisUrl());
  });
  afterAll(async () => {
    streams.forEach((s) => s.close());
    await Promise.all([a.close(), b.close()]);
    redis.disconnect();
  });

  const pause = async (h: Record<string, string>) => {
    const s = new SseClient(`${a.url}/aura/test/stream?sessionId=${uniqueId('inbox')}`, h);
    streams.push(s);
    return s.hitlRequest();
  };

  describe('GET /aura/hitl/requests', () => {
    it('lists the tenant’s pending requests newest first, in pages, and follows every decision', async () => {
      const tenant = uniqueId('t');
      const h = authHeaders('alice', tenant);
      const created: string[] = [];
      for (let i = 0; i < 3; i++) {
        created.push((await pause(h)).requestId);
        await new Promise((r) => setTimeout(r, 5));
      }
      await pause(authHeaders('gina', uniqueId('other')));

      const all = await request(b.url).get('/aura/hitl/requests?status=pending').set(h).expect(200);
      expect(all.body.items.map((r: { requestId: string }) => r.requestId)).toEqual([...created].reverse());
      expect(all.body.nextCursor).toBeUndefined();
      expect(all.body.items[0]).toMatchObject({ tenantId: tenant, status: 'pending', toolName: 'send_email' });

      const page1 = await request(b.url).get('/aura/hitl/requests?status=pending&limit=2').set(h).expect(200);
      expect(page1.body.items.map((r: { requestId: string }) => r.requestId)).toEqual([created[2], created[1]]);
      expect(typeof page1.body.nextCursor).toBe('string');
      const page2 = await request(b.url).get(`/aura/hitl/requests?status=pending&limit=2&cursor=${page1.body.nextCursor}`).set(h).expect(200);
      expect(page2.body.items.map((r: { requestId: string }) => r.requestId)).toEqual([created[0]]);
      expect(page2.body.nextCursor).toBeUndefined();

      await request(a.url).post(`/aura/hitl/approve/${created[1]}`).set(h).expect(200);
      await request(a.url).post(`/aura/hitl/reject/${created[0]}`).set(h).send({ reason: 'no' }).expect(200);
      const pending = await request(b.url).get('/aura/hitl/requests').set(h).expect(200);
      expect(pending.body.items.map((r: { requestId: string }) => r.requestId)).toEqual([created[2]]);
      const approved = await request(b.url).get('/aura/hitl/requests?status=approved').set(h).expect(200);
      expect(approved.body.items.map((r: { requestId: string; status: string }) => [r.requestId, r.status])).toEqual([[created[1], 'approved']]);
      const rejected = await request(b.url).get('/aura/hitl/requests?status=rejected').set(h).expect(200);
      expect(rejected.body.items[0]).toMatchObject({ requestId: created[0], reason: 'no' });

      // The index is a sorted set per tenant and status (members '<requestId> <sessionId>'), kept in step with the decisions.
      expect(await indexed(tenant, 'pending', redis)).toEqual([created[2]]);
      expect(await indexed(tenant, 'approved', redis)).toEqual([created[1]]);
    });

    it('moves cancelled and expired requests out of pending too', async () => {
      const tenant = uniqueId('t');
      const h = authHeaders('alice', tenant);
      const { requestId, sessionId } = await pause(h);
      await request(a.url).post(`/aura/runs/${sessionId}/cancel`).set(h).expect(200);
      expect((await request(a.url).get('/aura/hitl/requests').set(h).expect(200)).body.items).toEqual([]);
      const cancelled = await request(a.url).get('/aura/hitl/requests?status=cancelled').set(h).expect(200);
      expect(cancelled.body.items.map((r: { requestId: string }) => r.requestId)).toEqual([requestId]);
    });

    it.each([
      ['status=open', /status must be one of/],
      ['limit=0', /limit/],
      ['limit=201', /limit/],
      ['limit=ten', /limit/],
      ['cursor=%2F%2F', /cursor/],
      ['cursor=bm9wZQ', /cursor/],
      ['other=1', /should not exist/],
    ])('answers 400 to %s', async (query, message) => {
      const res = await request(a.url).get(`/aura/hitl/requests?${query}`).set(authHeaders()).expect(400);
      expect(res.body.message).toMatch(message);
    });
  });

  describe('POST /aura/stream-tickets', () => {
    const h = authHeaders('alice', 'acme');
    const ticketFor = async (sessionId?: string) =>
      (await request(a.url).post('/aura/stream-tickets').set(h).send(sessionId ? { sessionId } : {}).expect(201)).body as { ticket: string; sessionId: string; expiresAt: string };

    it('issues a 256-bit single-use ticket, valid 60 s, that opens the stream without headers', async () => {
      const sessionId = uniqueId('ticket');
      const t = await ticketFor(sessionId);
      expect(t.ticket).toMatch(/^[0-9a-f]{64}$/);
      expect(t.sessionId).toBe(sessionId);
      expect(Date.parse(t.expiresAt) - Date.now()).toBeGreaterThan(55000);
      expect(await redis.ttl(NAMES.ticket(t.ticket))).toBeGreaterThan(55);

      const s = new SseClient(`${b.url}/aura/test/stream?ticket=${t.ticket}`);
      streams.push(s);
      const { requestId } = await s.hitlRequest();
      expect(s.headers['x-session-id']).toBe(sessionId);
      // The run belongs to the ticket's tenant and user.
      const req = await request(a.url).get(`/aura/hitl/requests/${requestId}`).set(h).expect(200);
      expect(req.body).toMatchObject({ sessionId, tenantId: 'acme', userId: 'alice' });
      expect(await redis.exists(NAMES.ticket(t.ticket))).toBe(0);

      const reused = await request(a.url).get(`/aura/test/stream?ticket=${t.ticket}`).expect(401);
      expect(reused.body.message).toBe('Invalid or expired stream ticket');
    });

    it('makes a session when none is given', async () => {
      const t = await ticketFor();
      expect(t.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('a ticket for a session the caller may not see answers 404 and is not used up', async () => {
      const sessionId = uniqueId('theirs');
      await request(a.url).post('/aura/runs').set(authHeaders('mallory', 'other-tenant')).send({ sessionId, prompt: 'p' }).expect(201);
      const t = await ticketFor(sessionId);
      await request(a.url).get(`/aura/test/stream?ticket=${t.ticket}`).expect(404);
      expect(await redis.exists(NAMES.ticket(t.ticket))).toBe(1);
    });

    it('answers 401 to an unknown, malformed, expired or other-session ticket', async () => {
      await request(a.url).get(`/aura/test/stream?ticket=${'0'.repeat(64)}`).expect(401);
      await request(a.url).get('/aura/test/stream?ticket=abc').expect(401);
      const expired = await ticketFor();
      await redis.pexpire(NAMES.ticket(expired.ticket), 1);
      await new Promise((r) => setTimeout(r, 20));
      await request(a.url).get(`/aura/test/stream?ticket=${expired.ticket}`).expect(401);
      const bound = await ticketFor(uniqueId('bound'));
      await request(a.url).get(`/aura/test/stream?ticket=${bound.ticket}&sessionId=${uniqueId('elsewhere')}`).expect(401);
    });

    it('is only accepted on the stream route', async () => {
      const t = await ticketFor();
      await request(a.url).get(`/aura/hitl/requests?ticket=${t.ticket}`).expect(401);
    });

    it('needs the headers to be issued, and validates sessionId', async () => {
      await request(a.url).post('/aura/stream-tickets').expect(401);
      await request(a.url).post('/aura/stream-tickets').set(h).send({ sessionId: 'bad id' }).expect(400);
    });
  });
});

describe('Inbox after expiry, and tickets under concurrency', () => {
  it('moves an expired request out of pending into expired', async () => {
    const app = await startApp({ HITL_TIMEOUT_SECONDS: '1' });
    const redis = new Redis(testRedisUrl());
    try {
      const tenant = uniqueId('t');
      const h = authHeaders('alice', tenant);
      const s = new SseClient(`${app.url}/aura/test/stream?sessionId=${uniqueId('inbox-exp')}`, h);
      const { requestId } = await s.hitlRequest();
      expect((await request(app.url).get('/aura/hitl/requests').set(h).expect(200)).body.items).toHaveLength(1);
      await s.untilEnd(5000);
      expect((await request(app.url).get('/aura/hitl/requests').set(h).expect(200)).body.items).toEqual([]);
      const expired = await request(app.url).get('/aura/hitl/requests?status=expired').set(h).expect(200);
      expect(expired.body.items.map((r: { requestId: string }) => r.requestId)).toEqual([requestId]);
      expect(await indexed(tenant, 'pending', redis)).not.toContain(requestId);
    } finally {
      redis.disconnect();
      await app.close();
    }
  });

  it('consumes a ticket atomically: of 10 concurrent streams opened with it, exactly one gets through', async () => {
    const app = await startApp();
    try {
      const { ticket } = (await request(app.url).post('/aura/stream-tickets').set(authHeaders()).send({}).expect(201)).body;
      const clients = Array.from({ length: 10 }, () => new SseClient(`${app.url}/aura/test/stream?ticket=${ticket}`));
      await Promise.all(clients.map((c) => c.waitFor(() => c.status !== 0, 5000, 'a status')));
      expect(clients.map((c) => c.status).sort()).toEqual([200, 401, 401, 401, 401, 401, 401, 401, 401, 401]);
      clients.forEach((c) => c.close());
    } finally {
      await app.close();
    }
  });
});
