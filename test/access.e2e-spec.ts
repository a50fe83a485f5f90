import request from 'supertest';
import { Env, startApp, TestApp, uniqueId } from './support/app';
import { SseClient } from './support/sse';
import { token } from './support/tokens';

/**
 * Contract v1.2 "Access within a tenant": HITL_APPROVER_ROLE, HITL_SELF_APPROVAL, RUN_ACCESS, the
 * `roles` claim. Two instances on one Redis: streams are held by A, decisions and reads go to B.
 */

const ROLE = 'hitl-approver';
const as = (sub: string, tenant: string, roles?: unknown) => ({
  Authorization: `Bearer ${token(sub, tenant, roles === undefined ? {} : { roles })}`,
  'X-Tenant-ID': tenant,
});

/** Two instances with `env`, and the streams opened on them, closed after the block. */
function pair(env: Env) {
  const ctx = { a: undefined as unknown as TestApp, b: undefined as unknown as TestApp, streams: [] as SseClient[] };
  beforeAll(async () => {
    [ctx.a, ctx.b] = await Promise.all([startApp(env), startApp(env)]);
  });
  afterEach(() => ctx.streams.splice(0).forEach((s) => s.close()));
  afterAll(async () => {
    await Promise.all([ctx.a.close(), ctx.b.close()]);
  });
  return ctx;
}

function watch(ctx: ReturnType<typeof pair>, app: TestApp, sessionId: string, headers: Record<string, string>): SseClient {
  const s = new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}`, headers);
  ctx.streams.push(s);
  return s;
}

/** Starts a run on A as `headers`' user and waits for its approval request. */
async function paused(ctx: ReturnType<typeof pair>, headers: Record<string, string>, prefix = 'acc') {
  const sessionId = uniqueId(prefix);
  const stream = watch(ctx, ctx.a, sessionId, headers);
  const { requestId } = await stream.hitlRequest();
  return { sessionId, requestId, stream };
}

/** A refused decision changed nothing: the run still waits at its request, nothing was signalled. */
async function expectStillPaused(app: TestApp, stream: SseClient, requestId: string, sessionId: string, reader: Record<string, string>) {
  await new Promise((r) => setTimeout(r, 150));
  expect(stream.events.at(-1)?.type).toBe('hitl');
  expect(stream.ended).toBe(false);
  const req = await request(app.url).get(`/aura/hitl/requests/${requestId}`).set(reader).expect(200);
  expect(req.body.status).toBe('pending');
  expect(req.body.decidedBy).toBeUndefined();
  const signals = await request(app.url).get(`/aura/hitl/signals/${sessionId}`).set(reader).expect(200);
  expect(signals.body.signals).toEqual([]);
}

async function expectCompleted(stream: SseClient, requestId: string) {
  await stream.untilEnd();
  expect(stream.events.find((e) => e.type === 'hitl' && e.payload.data.requiresApproval === false)?.payload.data).toMatchObject({ requestId, status: 'approved' });
  expect(stream.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'completed' } });
}

const ids = (body: { items: { requestId: string }[] }) => body.items.map((r) => r.requestId).sort();

describe('Access within a tenant (contract v1.2)', () => {
  describe('defaults (no approver role, self-approval on, RUN_ACCESS=tenant): v1 unchanged', () => {
    const ctx = pair({});

    it('lets a second user of the tenant approve, watch and cancel a user’s runs, and read their signals', async () => {
      const tenant = uniqueId('t');
      const alice = as('alice', tenant);
      const bob = as('bob', tenant);

      const { sessionId, requestId, stream } = await paused(ctx, alice);
      // Bob watches Alice's run from the start on the other instance.
      const bobsView = watch(ctx, ctx.b, sessionId, { ...bob, 'Last-Event-ID': '0' });
      await bobsView.hitlRequest();
      expect(bobsView.status).toBe(200);
      const inbox = await request(ctx.b.url).get('/aura/hitl/requests').set(bob).expect(200);
      expect(ids(inbox.body)).toEqual([requestId]);

      const res = await request(ctx.b.url).post(`/aura/hitl/approve/${requestId}`).set(bob).expect(200);
      expect(res.body).toMatchObject({ requestId, userId: 'alice', status: 'approved', decidedBy: 'bob' });
      await expectCompleted(stream, requestId);
      await expectCompleted(bobsView, requestId);
      const signals = await request(ctx.b.url).get(`/aura/hitl/signals/${sessionId}`).set(bob).expect(200);
      expect(signals.body.signals).toEqual([expect.objectContaining({ type: 'approval', requestId, decidedBy: 'bob' })]);

      const second = await paused(ctx, alice);
      await request(ctx.b.url).post(`/aura/runs/${second.sessionId}/cancel`).set(bob).expect(200);
      await second.stream.untilEnd();
      expect(second.stream.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'cancelled' } });
    });

    it('lets the user who started a run approve its request (self-approval defaults to true)', async () => {
      const alice = as('alice', uniqueId('t'));
      const { requestId, stream } = await paused(ctx, alice);
      const res = await request(ctx.b.url).post(`/aura/hitl/approve/${requestId}`).set(alice).expect(200);
      expect(res.body).toMatchObject({ userId: 'alice', decidedBy: 'alice', status: 'approved' });
      await expectCompleted(stream, requestId);
    });

    it.each([
      ['a string', 'approver'],
      ['null', null],
      ['an object', { admin: true }],
      ['an array holding a number', ['approver', 1]],
      ['an array holding an array', [['approver']]],
      ['51 roles', Array.from({ length: 51 }, (_, i) => `r${i}`)],
      ['a role of 129 characters', ['r'.repeat(129)]],
    ])('answers 401 to a token whose roles claim is %s', async (_, roles) => {
      const tenant = uniqueId('t');
      const res = await request(ctx.b.url).get('/aura/hitl/requests').set(as('alice', tenant, roles)).expect(401);
      expect(res.body.message).toBe('Invalid token');
    });

    it('accepts a token without roles, with none, and with 50 roles of 128 characters', async () => {
      const tenant = uniqueId('t');
      for (const roles of [undefined, [], Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(128, 'r'))]) {
        await request(ctx.b.url).get('/aura/hitl/requests').set(as('alice', tenant, roles)).expect(200);
      }
    });
  });

  describe(`HITL_APPROVER_ROLE=${ROLE}, HITL_SELF_APPROVAL=false`, () => {
    const ctx = pair({ HITL_APPROVER_ROLE: ROLE, HITL_SELF_APPROVAL: 'false' });
    const roleMessage = `Approving or rejecting needs the role ${ROLE}`;
    const fourEyesMessage = 'The user who started the run may not decide its requests (four-eyes rule)';

    it('refuses approve and reject without the role (403 for the run’s own user, 404 for one who may not see the request; nothing changes); a holder then approves and the run completes', async () => {
      const tenant = uniqueId('t');
      const alice = as('alice', tenant);
      const carol = as('carol', tenant, ['viewer', `${ROLE}-not`]);
      const bob = as('bob', tenant, ['viewer', ROLE]);
      const { sessionId, requestId, stream } = await paused(ctx, alice);

      for (const path of ['approve', 'reject']) {
        const res = await request(ctx.b.url).post(`/aura/hitl/${path}/${requestId}`).set(alice).send({ reason: 'x' }).expect(403);
        expect(res.body).toEqual({ statusCode: 403, message: roleMessage, error: 'Forbidden' });
        // Carol sees neither the request nor the run's requests in her inbox: it does not exist for her.
        const hidden = await request(ctx.b.url).post(`/aura/hitl/${path}/${requestId}`).set(carol).send({ reason: 'x' }).expect(404);
        expect(hidden.body.message).toBe(`HITL request ${requestId} not found`);
      }
      await expectStillPaused(ctx.b, stream, requestId, sessionId, bob);

      const res = await request(ctx.b.url).post(`/aura/hitl/approve/${requestId}`).set(bob).expect(200);
      expect(res.body).toMatchObject({ status: 'approved', decidedBy: 'bob' });
      await expectCompleted(stream, requestId);
    });

    it('refuses the run’s own user even with the role (four-eyes), on approve and reject; another holder decides', async () => {
      const tenant = uniqueId('t');
      const alice = as('alice', tenant, [ROLE]);
      const bob = as('bob', tenant, [ROLE]);
      const { sessionId, requestId, stream } = await paused(ctx, alice);

      for (const path of ['approve', 'reject']) {
        const res = await request(ctx.b.url).post(`/aura/hitl/${path}/${requestId}`).set(alice).expect(403);
        expect(res.body).toEqual({ statusCode: 403, message: fourEyesMessage, error: 'Forbidden' });
      }
      await expectStillPaused(ctx.b, stream, requestId, sessionId, bob);

      await request(ctx.b.url).post(`/aura/hitl/approve/${requestId}`).set(bob).expect(200);
      await expectCompleted(stream, requestId);
    });

    it('still lets a user cancel their own run', async () => {
      const alice = as('alice', uniqueId('t'));
      const { sessionId, requestId, stream } = await paused(ctx, alice);
      await request(ctx.b.url).post(`/aura/runs/${sessionId}/cancel`).set(alice).expect(200);
      await stream.untilEnd();
      expect(stream.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'cancelled' } });
      const req = await request(ctx.b.url).get(`/aura/hitl/requests/${requestId}`).set(alice).expect(200);
      expect(req.body).toMatchObject({ status: 'cancelled', decidedBy: 'alice' });
    });

    it('answers 404, never 403, for another tenant’s or an unknown request, with or without the role', async () => {
      const tenant = uniqueId('t');
      const { requestId, stream, sessionId } = await paused(ctx, as('alice', tenant));
      const other = uniqueId('other');
      for (const who of [as('eve', other), as('eve', other, [ROLE]), as('alice', other, [ROLE])]) {
        for (const path of ['approve', 'reject']) {
          const res = await request(ctx.b.url).post(`/aura/hitl/${path}/${requestId}`).set(who).expect(404);
          expect(res.body.message).toBe(`HITL request ${requestId} not found`);
        }
        const unknown = await request(ctx.b.url).post('/aura/hitl/approve/req-unknown').set(who).expect(404);
        expect(unknown.body.message).toBe('HITL request req-unknown not found');
      }
      await expectStillPaused(ctx.b, stream, requestId, sessionId, as('bob', tenant, [ROLE]));
    });

    it('lists the whole tenant’s requests to holders of the role and only their own runs’ to everyone else; GET by id alike', async () => {
      const tenant = uniqueId('t');
      const alice = as('alice', tenant);
      const carol = as('carol', tenant, ['viewer']);
      const bob = as('bob', tenant, [ROLE]);
      const a1 = await paused(ctx, alice);
      const a2 = await paused(ctx, alice);
      const c1 = await paused(ctx, carol);
      await paused(ctx, as('alice', uniqueId('other'), [ROLE]));

      const inbox = async (who: Record<string, string>, query = '') => ids((await request(ctx.b.url).get(`/aura/hitl/requests${query}`).set(who).expect(200)).body);
      expect(await inbox(bob)).toEqual([a1.requestId, a2.requestId, c1.requestId].sort());
      expect(await inbox(alice)).toEqual([a1.requestId, a2.requestId].sort());
      expect(await inbox(carol)).toEqual([c1.requestId]);
      expect(await inbox(as('dave', tenant))).toEqual([]);

      // Pages narrowed to the caller's runs are full pages of theirs.
      const page = await request(ctx.b.url).get('/aura/hitl/requests?limit=1').set(alice).expect(200);
      expect(page.body.items.map((r: { userId: string }) => r.userId)).toEqual(['alice']);
      const next = await request(ctx.b.url).get(`/aura/hitl/requests?limit=1&cursor=${page.body.nextCursor}`).set(alice).expect(200);
      expect([...ids(page.body), ...ids(next.body)].sort()).toEqual([a1.requestId, a2.requestId].sort());
      expect(next.body.nextCursor).toBeUndefined();

      await request(ctx.b.url).get(`/aura/hitl/requests/${c1.requestId}`).set(bob).expect(200);
      await request(ctx.b.url).get(`/aura/hitl/requests/${a1.requestId}`).set(alice).expect(200);
      const hidden = await request(ctx.b.url).get(`/aura/hitl/requests/${c1.requestId}`).set(alice).expect(404);
      expect(hidden.body.message).toBe(`HITL request ${c1.requestId} not found`);

      // Once decided, the request moves to the approved inbox, with the same rule.
      await request(ctx.b.url).post(`/aura/hitl/approve/${c1.requestId}`).set(bob).expect(200);
      expect(await inbox(bob, '?status=approved')).toEqual([c1.requestId]);
      expect(await inbox(alice, '?status=approved')).toEqual([]);
      expect(await inbox(carol, '?status=approved')).toEqual([c1.requestId]);
    });
  });

  describe('HITL_SELF_APPROVAL=false without an approver role', () => {
    const ctx = pair({ HITL_SELF_APPROVAL: 'false' });

    it('refuses the run’s own user (403) and lets any other user of the tenant approve', async () => {
      const tenant = uniqueId('t');
      const alice = as('alice', tenant);
      const bob = as('bob', tenant);
      const { sessionId, requestId, stream } = await paused(ctx, alice);
      const res = await request(ctx.b.url).post(`/aura/hitl/approve/${requestId}`).set(alice).expect(403);
      expect(res.body.message).toBe('The user who started the run may not decide its requests (four-eyes rule)');
      await expectStillPaused(ctx.b, stream, requestId, sessionId, alice);
      await request(ctx.b.url).post(`/aura/hitl/approve/${requestId}`).set(bob).expect(200);
      await expectCompleted(stream, requestId);
    });
  });

  describe(`RUN_ACCESS=owner, HITL_APPROVER_ROLE=${ROLE}`, () => {
    const ctx = pair({ RUN_ACCESS: 'owner', HITL_APPROVER_ROLE: ROLE });

    it('hides a run from other users of the tenant (404 on stream, ticket stream, signals, cancel) and lets its owner and an approver through', async () => {
      const tenant = uniqueId('t');
      const alice = as('alice', tenant);
      const carol = as('carol', tenant, ['viewer']);
      const bob = as('bob', tenant, [ROLE]);
      const { sessionId, requestId, stream } = await paused(ctx, alice);
      const notFound = { statusCode: 404, message: `Session ${sessionId} not found`, error: 'Not Found' };

      // Carol is answered exactly as another tenant's user.
      for (const who of [carol, as('carol', uniqueId('other'), [ROLE])]) {
        expect((await request(ctx.b.url).get(`/aura/test/stream?sessionId=${sessionId}`).set(who).expect(404)).body).toEqual(notFound);
        expect((await request(ctx.b.url).get(`/aura/test/stream?sessionId=${sessionId}`).set({ ...who, 'Last-Event-ID': '3' }).expect(404)).body).toEqual(notFound);
        expect((await request(ctx.b.url).get(`/aura/hitl/signals/${sessionId}`).set(who).expect(404)).body).toEqual(notFound);
        expect((await request(ctx.b.url).post(`/aura/runs/${sessionId}/cancel`).set(who).expect(404)).body).toEqual(notFound);
        const { ticket } = (await request(ctx.b.url).post('/aura/stream-tickets').set(who).send({ sessionId }).expect(201)).body;
        expect((await request(ctx.b.url).get(`/aura/test/stream?ticket=${ticket}`).expect(404)).body).toEqual(notFound);
      }
      expect(stream.ended).toBe(false);
      expect(stream.events.at(-1)?.type).toBe('hitl');

      // The owner and an approver watch (headers, or a ticket that carries the approver's roles) and read the signals.
      const ownView = watch(ctx, ctx.b, sessionId, { ...alice, 'Last-Event-ID': '2' });
      const { ticket } = (await request(ctx.b.url).post('/aura/stream-tickets').set(bob).send({ sessionId }).expect(201)).body;
      const approverView = new SseClient(`${ctx.b.url}/aura/test/stream?ticket=${ticket}`);
      ctx.streams.push(approverView);
      await ownView.hitlRequest();
      await approverView.hitlRequest();
      expect([ownView.status, approverView.status]).toEqual([200, 200]);
      for (const who of [alice, bob]) {
        expect((await request(ctx.b.url).get(`/aura/hitl/signals/${sessionId}`).set(who).expect(200)).body).toEqual({ sessionId, signals: [] });
      }

      await request(ctx.b.url).post(`/aura/hitl/approve/${requestId}`).set(bob).expect(200);
      for (const s of [stream, ownView, approverView]) await expectCompleted(s, requestId);
      const signals = await request(ctx.b.url).get(`/aura/hitl/signals/${sessionId}`).set(alice).expect(200);
      expect(signals.body.signals).toEqual([expect.objectContaining({ type: 'approval', decidedBy: 'bob' })]);
    });

    it('lets the owner and an approver cancel, and nobody else', async () => {
      const tenant = uniqueId('t');
      const alice = as('alice', tenant);
      const bob = as('bob', tenant, [ROLE]);
      for (const canceller of [alice, bob]) {
        const { sessionId, stream } = await paused(ctx, alice);
        await request(ctx.b.url).post(`/aura/runs/${sessionId}/cancel`).set(as('carol', tenant)).expect(404);
        expect(stream.events.at(-1)?.type).toBe('hitl');
        await request(ctx.b.url).post(`/aura/runs/${sessionId}/cancel`).set(canceller).expect(200);
        await stream.untilEnd();
        expect(stream.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'cancelled' } });
      }
    });
  });
});
