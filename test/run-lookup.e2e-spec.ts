import request from 'supertest';
import { startApp, TestApp, uniqueId } from './support/app';
import { waitFor } from './support/process';
import { SseClient } from './support/sse';
import { token } from './support/tokens';

const as = (sub: string, tenant: string, roles?: string[]) => ({
  Authorization: `Bearer ${token(sub, tenant, roles ? { roles } : {})}`,
  'X-Tenant-ID': tenant,
});

const VIEW_KEYS = ['agent', 'createdAt', 'lastSeq', 'pendingRequestIds', 'sessionId', 'status', 'tenantId', 'updatedAt', 'userId'];

/** Starts a run and waits until it is paused at its approval; answers its session and request. */
async function pausedRun(app: TestApp, headers: Record<string, string>): Promise<{ sessionId: string; requestId: string; seq: number; stream: SseClient }> {
  const sessionId = uniqueId('look');
  await request(app.url).post('/aura/runs').set(headers).send({ sessionId, prompt: 'check incidents' }).expect(201);
  const stream = new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}`, headers);
  const { requestId, seq } = await stream.hitlRequest();
  return { sessionId, requestId, seq, stream };
}

describe.each([
  ['Redis', {}],
  ['in-memory', { REDIS_URL: '' }],
])('Run lookup and list (%s)', (_store, storeEnv) => {
  let app: TestApp;
  beforeAll(async () => (app = await startApp(storeEnv)));
  afterAll(() => app.close());

  it('GET /aura/runs/{sessionId}: a paused run with its pending request, then the finished run', async () => {
    const acme = uniqueId('acme');
    const alice = as('alice', acme);
    const { sessionId, requestId, seq, stream } = await pausedRun(app, alice);
    const paused = await request(app.url).get(`/aura/runs/${sessionId}`).set(alice).expect(200);
    expect(Object.keys(paused.body).sort()).toEqual(VIEW_KEYS);
    expect(paused.body).toMatchObject({ sessionId, tenantId: acme, userId: 'alice', status: 'paused', pendingRequestIds: [requestId], lastSeq: seq, agent: 'demo' });
    expect(Date.parse(paused.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(paused.body.createdAt));

    await request(app.url).post(`/aura/hitl/approve/${requestId}`).set(alice).expect(200);
    await stream.untilEnd();
    const done = stream.events.at(-1)!;
    expect(done.type).toBe('done');
    const finished = await request(app.url).get(`/aura/runs/${sessionId}`).set(alice).expect(200);
    expect(finished.body).toMatchObject({ status: 'completed', pendingRequestIds: [], lastSeq: done.id, createdAt: paused.body.createdAt });
    expect(Date.parse(finished.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(paused.body.updatedAt));

    // Another user of the tenant sees it (RUN_ACCESS=tenant); another tenant gets 404, as for an unknown session.
    await request(app.url).get(`/aura/runs/${sessionId}`).set(as('bob', acme)).expect(200);
    const other = await request(app.url).get(`/aura/runs/${sessionId}`).set(as('alice', uniqueId('globex'))).expect(404);
    const unknown = await request(app.url).get(`/aura/runs/${uniqueId('nope')}`).set(alice).expect(404);
    expect(Object.keys(other.body).sort()).toEqual(Object.keys(unknown.body).sort());
    await request(app.url).get('/aura/runs/bad%20id').set(alice).expect(400);
    await request(app.url).get(`/aura/runs/${sessionId}`).expect(401);
  });

  it('GET /aura/runs: the tenant’s runs newest first, in pages with opaque cursors, by status and user; never another tenant’s', async () => {
    const acme = uniqueId('acme');
    const globex = uniqueId('globex');
    const started: string[] = [];
    for (const [i, sub] of ['alice', 'bob', 'alice', 'bob', 'alice'].entries()) {
      const sessionId = `${uniqueId('list')}-${i}`;
      await request(app.url).post('/aura/runs').set(as(sub, acme)).send({ sessionId, prompt: 'check incidents' }).expect(201);
      started.unshift(sessionId);
      await new Promise((r) => setTimeout(r, 5));
    }
    await request(app.url).post('/aura/runs').set(as('alice', globex)).send({ prompt: 'elsewhere' }).expect(201);
    await request(app.url).post(`/aura/runs/${started[0]}/cancel`).set(as('alice', acme)).expect(200);

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let call = 0; call < 5; call++) {
      const page = await request(app.url).get('/aura/runs').query({ limit: 2, ...(cursor ? { cursor } : {}) }).set(as('carol', acme)).expect(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      for (const item of page.body.items) expect(Object.keys(item).sort()).toEqual(VIEW_KEYS);
      seen.push(...page.body.items.map((r: { sessionId: string }) => r.sessionId));
      cursor = page.body.nextCursor;
      if (!cursor) break;
      // Opaque: the cursor does not show the session ids it points between.
      expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toMatch(/list-/);
    }
    expect(seen).toEqual(started);

    const cancelled = await request(app.url).get('/aura/runs?status=cancelled').set(as('carol', acme)).expect(200);
    expect(cancelled.body).toEqual({ items: [expect.objectContaining({ sessionId: started[0], status: 'cancelled', userId: 'alice' })] });
    const bobs = await request(app.url).get('/aura/runs?userId=bob').set(as('carol', acme)).expect(200);
    expect(bobs.body.items.map((r: { sessionId: string }) => r.sessionId)).toEqual([started[1], started[3]]);
    const theirs = await request(app.url).get('/aura/runs').set(as('alice', globex)).expect(200);
    expect(theirs.body.items).toHaveLength(1);
    expect(theirs.body.items[0].tenantId).toBe(globex);
  });

  it('answers 400 to a bad status, limit or cursor, and to a cursor of another tenant or query', async () => {
    const acme = uniqueId('acme');
    const h = as('alice', acme);
    for (let i = 0; i < 3; i++) await request(app.url).post('/aura/runs').set(h).send({ prompt: 'x' }).expect(201);
    const { body } = await request(app.url).get('/aura/runs?limit=1').set(h).expect(200);
    const cursor: string = body.nextCursor;
    expect(cursor).toEqual(expect.any(String));
    await request(app.url).get('/aura/runs').query({ limit: 1, cursor }).set(h).expect(200);

    const bad: [string, RegExp][] = [
      ['status=done', /status must be one of running, paused/],
      ['limit=0', /limit must be an integer from 1 to 200/],
      ['limit=201', /limit must be an integer from 1 to 200/],
      ['limit=ten', /limit must be an integer from 1 to 200/],
      ['cursor=not!a!cursor', /^cursor is not a cursor this service issued/],
      [`cursor=${cursor.slice(0, -3)}xyz`, /^cursor is not a cursor this service issued/],
      [`cursor=${Buffer.from(JSON.stringify({ t: acme, s: '', u: '', c: 0, id: 'x' })).toString('base64url')}`, /^cursor is not a cursor this service issued/],
      [`cursor=${cursor}&status=running`, /^cursor is not a cursor this service issued for this tenant, status and userId$/],
      ['userId=', /userId must not be empty/],
    ];
    for (const [query, message] of bad) {
      const res = await request(app.url).get(`/aura/runs?${query}`).set(h).expect(400);
      expect(res.body.message).toMatch(message);
    }
    const elsewhere = await request(app.url).get('/aura/runs').query({ cursor }).set(as('alice', uniqueId('globex'))).expect(400);
    expect(elsewhere.body.message).toMatch(/^cursor is not a cursor this service issued for this tenant, status and userId$/);
  });
});

describe('Run lookup and list with RUN_ACCESS=owner and HITL_APPROVER_ROLE', () => {
  let app: TestApp;
  beforeAll(async () => (app = await startApp({ RUN_ACCESS: 'owner', HITL_APPROVER_ROLE: 'approver' })));
  afterAll(() => app.close());

  it('shows a run to its own user and to approvers only; others get 404 and an empty list', async () => {
    const acme = uniqueId('acme');
    const alice = as('alice', acme);
    const bob = as('bob', acme);
    const approver = as('carol', acme, ['approver']);
    const { sessionId, requestId, stream } = await pausedRun(app, alice);
    const bobsRun = uniqueId('bobs');
    await request(app.url).post('/aura/runs').set(bob).send({ sessionId: bobsRun, prompt: 'mine' }).expect(201);

    await request(app.url).get(`/aura/runs/${sessionId}`).set(alice).expect(200);
    await request(app.url).get(`/aura/runs/${sessionId}`).set(bob).expect(404);
    const seen = await request(app.url).get(`/aura/runs/${sessionId}`).set(approver).expect(200);
    expect(seen.body.pendingRequestIds).toEqual([requestId]);

    const ids = async (headers: Record<string, string>, query = '') =>
      (await request(app.url).get(`/aura/runs${query}`).set(headers).expect(200)).body.items.map((r: { sessionId: string }) => r.sessionId);
    expect(await ids(bob)).toEqual([bobsRun]);
    expect(await ids(bob, '?userId=alice')).toEqual([]);
    expect(await ids(alice)).toEqual([sessionId]);
    expect(await ids(approver)).toEqual([bobsRun, sessionId]);
    expect(await ids(approver, '?userId=alice&status=paused')).toEqual([sessionId]);
    stream.close();
    await waitFor(() => stream.ended, 2000, 'the stream to close');
  });
});
