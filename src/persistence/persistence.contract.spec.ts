import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { MemoryTicketStore } from '../auth/persistence/memory-ticket.store';
import { RedisTicketStore } from '../auth/persistence/redis-ticket.store';
import { TicketStore } from '../auth/persistence/ticket-store.port';
import type { HitlRequest } from '../contract/hitl.types';
import type { LoggedEvent, RunRecord } from '../contract/run.types';
import { HitlStore } from '../hitl/persistence/hitl-store.port';
import { MemoryHitlStore } from '../hitl/persistence/memory-hitl.store';
import { RedisHitlStore } from '../hitl/persistence/redis-hitl.store';
import { MemoryBus } from '../redis/memory-bus';
import { NAMES } from '../redis/redis-names';
import { RedisBus } from '../redis/redis-bus';
import { RedisConnections } from '../redis/redis-connections';
import { MemoryRunStore } from '../runs/persistence/memory-run.store';
import { RedisRunStore } from '../runs/persistence/redis-run.store';
import { CancelInput, RunLimits, RunPosition, RunStore, StepWrite } from '../runs/persistence/run-store.port';
import { MemoryWorkerStore } from '../worker/persistence/memory-worker.store';
import { RedisWorkerStore } from '../worker/persistence/redis-worker.store';
import { WorkerStore } from '../worker/persistence/worker-store.port';
import { RedisLedgerOutbox } from './ledger-changes';

interface Stores {
  runs: RunStore;
  /** The Redis adapter's command connection, for tests that lose a key on purpose. */
  redis?: Redis;
  hitl: HitlStore;
  tickets: TicketStore;
  workers: WorkerStore;
  /** Resolves once the stores can be used (connections that connect lazily). */
  ready?: Promise<unknown>;
  close(): Promise<void>;
}

const TTL = 3600;

function memoryStores(): Stores {
  const bus = new MemoryBus();
  const hitl = new MemoryHitlStore(bus, TTL);
  const runs = new MemoryRunStore(bus, hitl, TTL);
  return { runs, hitl, tickets: new MemoryTicketStore(), workers: new MemoryWorkerStore(runs, hitl, bus), close: async () => undefined };
}

function redisStores(): Stores {
  const url = process.env.AURA_TEST_REDIS_URL;
  if (!url) throw new Error('AURA_TEST_REDIS_URL is not set: run the tests through jest (test/support/global-setup.ts)');
  const command = new Redis(url);
  const subscriber = new Redis(url);
  const shards = new Redis(url);
  const bus = new RedisBus(command, subscriber, shards);
  // The ready queue is one list per database: start each case with it empty.
  void command.del(NAMES.workerReady);
  const outbox = new RedisLedgerOutbox(command, TTL, 400);
  return {
    workers: new RedisWorkerStore(command, bus, outbox),
    runs: new RedisRunStore(command, bus, TTL, outbox),
    hitl: new RedisHitlStore(command, TTL, outbox),
    tickets: new RedisTicketStore(command),
    redis: command,
    close: async () => void (await Promise.all([command.quit(), subscriber.quit(), shards.quit()])),
  };
}

/**
 * The Redis adapters as REDIS_WAIT_REPLICAS runs them: the scripts return the live messages and
 * the store publishes them after the (here empty) wait, through the service's own connections.
 */
function redisStoresWithReplicaSync(): Stores {
  const url = process.env.AURA_TEST_REDIS_URL as string;
  const connections = new RedisConnections({ mode: 'url', url, tls: false, tlsCa: null }, id('contract'));
  const bus = new RedisBus(connections.command, connections.subscriber, connections.shardSubscriber);
  const command = connections.command as Redis;
  const outbox = new RedisLedgerOutbox(command, TTL, 400);
  return {
    ready: connections.connect(5000).then(() => command.del(NAMES.workerReady)),
    workers: new RedisWorkerStore(command, bus, outbox),
    runs: new RedisRunStore(command, bus, TTL, outbox, connections.replicaSync()),
    hitl: new RedisHitlStore(command, TTL, outbox, (key) => connections.waitForReplicas(key)),
    tickets: new RedisTicketStore(command),
    redis: command,
    close: () => connections.close(),
  };
}

/** High enough that only the limits tests meet them. */
const NO_LIMITS: RunLimits = { activeRunsPerUser: 1_000_000, activeRunsPerTenant: 10_000_000 };
const limits = (activeRunsPerUser: number, activeRunsPerTenant: number): RunLimits => ({ activeRunsPerUser, activeRunsPerTenant });

const id = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

const newRun = (owner = 'inst-a', tenantId = 't1'): RunRecord => ({
  sessionId: id('s'),
  tenantId,
  userId: 'u1',
  prompt: 'p',
  metadata: {},
  status: 'running',
  cursor: 0,
  seq: 0,
  requestId: null,
  approvedRequestId: null,
  state: undefined,
  owner,
  createdAt: new Date().toISOString(),
});

const request = (run: RunRecord, expiresInMs = 60_000, createdMs = Date.now()): HitlRequest => ({
  requestId: id('req'),
  sessionId: run.sessionId,
  tenantId: run.tenantId,
  userId: run.userId,
  toolName: 'send_email',
  params: { to: 'x@example.com' },
  message: 'ok?',
  status: 'pending',
  createdAt: new Date(createdMs).toISOString(),
  expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
  allowedDecisions: ['approve', 'edit', 'reject', 'respond'],
  paramsSchema: { type: 'object', properties: { to: { type: 'string' } }, required: [] },
  paramsDigest: 'sha256:0123',
  groupId: 'grp-1',
  groupSize: 1,
});

const step = (run: RunRecord, over: Partial<StepWrite> = {}): StepWrite => ({
  sessionId: run.sessionId,
  owner: run.owner,
  expectCursor: run.cursor,
  expectSeq: run.seq,
  nextCursor: run.cursor + 1,
  status: 'running',
  events: [{ type: 'thought', data: { content: 'x' } }],
  broadcasts: [],
  approvedRequestId: null,
  ...over,
});

/** Creates a run and pauses it on a new request. */
async function paused(s: Stores, expiresInMs?: number): Promise<{ run: RunRecord; req: HitlRequest }> {
  const run = newRun();
  await s.runs.createRun(run, NO_LIMITS);
  const req = request(run, expiresInMs);
  expect(await s.runs.append(step(run, { status: 'paused', request: req, events: [{ type: 'hitl', data: {} }] }))).toEqual({ ok: true, seq: 1 });
  return { run: (await s.runs.getRun(run.sessionId))!, req };
}

describe.each([
  ['memory', memoryStores],
  ['redis', redisStores],
  ['redis (REDIS_WAIT_REPLICAS: live events published after the write)', redisStoresWithReplicaSync],
])('persistence ports, %s adapter', (_name, make) => {
  let s: Stores;
  beforeEach(async () => {
    s = make();
    await s.ready;
  });
  afterEach(() => s.close());

  it('creates a run once, and stores a step with its state atomically', async () => {
    const run = newRun();
    expect((await s.runs.createRun(run, NO_LIMITS)).created).toBe(true);
    expect((await s.runs.createRun({ ...run, userId: 'other' }, NO_LIMITS)).run?.userId).toBe('u1');
    expect(await s.runs.append(step(run, { state: { turn: 1, messages: ['a'] } }))).toEqual({ ok: true, seq: 1 });
    const stored = await s.runs.getRun(run.sessionId);
    expect(stored).toMatchObject({ cursor: 1, seq: 1, state: { turn: 1, messages: ['a'] } });
    expect(await s.runs.readEvents(run.sessionId, 0, 10)).toEqual([{ seq: 1, type: 'thought', json: '{"type":"thought","data":{"content":"x"}}' }]);
  });

  it('sends a step\'s events to followers in order, once, after they are stored; a cancel\'s too', async () => {
    const run = newRun();
    await s.runs.createRun(run, NO_LIMITS);
    const got: LoggedEvent[] = [];
    const stop = await s.runs.follow(run.sessionId, { onEvent: (e) => got.push(e), onResync: () => undefined });
    const events = [1, 2, 3].map((n) => ({ type: 'thought' as const, data: { content: `t${n}` } }));
    expect(await s.runs.append(step(run, { events }))).toEqual({ ok: true, seq: 3 });
    const cancel: CancelInput = {
      sessionId: run.sessionId,
      tenantId: run.tenantId,
      decidedBy: 'u1',
      now: new Date().toISOString(),
      expectStatus: 'running',
      expectRequestId: null,
      expectRequestStatus: null,
      events: [{ type: 'done', data: { status: 'cancelled' } }],
      broadcasts: [''],
    };
    expect(await s.runs.cancel(cancel)).toEqual({ outcome: 'cancelled', seq: 4 });
    const until = Date.now() + 2000;
    while (got.length < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    stop();
    expect(got.map((e) => [e.seq, e.type])).toEqual([[1, 'thought'], [2, 'thought'], [3, 'thought'], [4, 'done']]);
    expect(got.slice(0, 3).map((e) => JSON.parse(e.json).data.content)).toEqual(['t1', 't2', 't3']);
  });

  it('refuses an append that is stale, not the owner\'s, or after the end, and writes nothing', async () => {
    const run = newRun();
    await s.runs.createRun(run, NO_LIMITS);
    expect(await s.runs.append(step(run))).toEqual({ ok: true, seq: 1 });
    expect(await s.runs.append(step(run))).toEqual({ ok: false, reason: 'stale' });
    const now = (await s.runs.getRun(run.sessionId))!;
    expect(await s.runs.append(step(now, { owner: 'intruder' }))).toEqual({ ok: false, reason: 'not_owner' });
    expect(await s.runs.append(step(now, { status: 'completed', events: [{ type: 'done', data: { status: 'completed' } }] }))).toEqual({ ok: true, seq: 2 });
    const ended = (await s.runs.getRun(run.sessionId))!;
    expect(await s.runs.append(step(ended))).toEqual({ ok: false, reason: 'ended', status: 'completed' });
    expect(await s.runs.append(step({ ...ended, sessionId: id('gone') }))).toEqual({ ok: false, reason: 'gone' });
    expect((await s.runs.readEvents(run.sessionId, 0, 10)).map((e) => e.seq)).toEqual([1, 2]);
  });

  it('lets exactly one of many concurrent decisions win, and publishes it with the request', async () => {
    const { req } = await paused(s);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => s.hitl.decide(req.requestId, { status: i % 2 ? 'approved' : 'rejected', decidedAt: new Date().toISOString(), decidedBy: `u${i}` }, { tenantId: 't1' })),
    );
    expect(results.filter((r) => r.outcome === 'decided')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'conflict')).toHaveLength(9);
    expect(await s.hitl.decide(req.requestId, { status: 'approved', decidedAt: 'x' }, { tenantId: 'other' })).toEqual({ outcome: 'not_found' });
    expect(await s.hitl.signals(req.sessionId)).toHaveLength(1);
  });

  it('refuses a resume whose decision is not stored so, and answers one that is with the request as stored', async () => {
    const { run, req } = await paused(s);
    const resume = step(run, { expectDecided: { requestId: req.requestId, status: 'approved' }, approvedRequestId: req.requestId });
    expect(await s.runs.append(resume)).toEqual({ ok: false, reason: 'stale' });
    await s.hitl.decide(req.requestId, { status: 'approved', decidedAt: new Date().toISOString(), decidedBy: 'boss' });
    const stored = await s.hitl.getRequest(req.requestId);
    expect(stored).toMatchObject({ status: 'approved', decidedBy: 'boss', params: { to: 'x@example.com' } });
    expect(await s.runs.append(resume)).toEqual({ ok: true, seq: 2, approved: stored });
    expect((await s.runs.getRun(run.sessionId))!.approvedRequestId).toBe(req.requestId);
  });

  it('stores an edit and a response with their decision, signals them, and answers a resume on a response with the request', async () => {
    const { run, req } = await paused(s);
    const before = await s.hitl.getRequest(req.requestId);
    expect(before).toMatchObject({ allowedDecisions: req.allowedDecisions, paramsSchema: req.paramsSchema, paramsDigest: 'sha256:0123', groupId: 'grp-1', groupSize: 1 });
    const edited = { to: 'y@example.com', cc: [] };
    const result = await s.hitl.decide(req.requestId, { status: 'approved', decidedAt: new Date().toISOString(), decidedBy: 'boss', editedParams: edited });
    expect(result).toMatchObject({ outcome: 'decided', request: { status: 'approved', editedParams: edited, params: { to: 'x@example.com' } } });
    expect((await s.hitl.signals(req.sessionId)).at(-1)).toMatchObject({ type: 'approval', params: edited });

    const other = await paused(s);
    await s.hitl.decide(other.req.requestId, { status: 'responded', decidedAt: new Date().toISOString(), decidedBy: 'boss', response: 'Use the other list' });
    expect((await s.hitl.signals(other.req.sessionId)).at(-1)).toMatchObject({ type: 'response', message: 'Use the other list' });
    const resume = step(other.run, { expectDecided: { requestId: other.req.requestId, status: 'responded' }, approvedRequestId: other.req.requestId });
    const appended = await s.runs.append(resume);
    expect(appended).toMatchObject({ ok: true, approved: { status: 'responded', response: 'Use the other list' } });
    expect(run.sessionId).not.toBe(other.run.sessionId);
  });

  it('writes a group of requests in one pause, and a cancel cancels its pending ones but keeps a decided one', async () => {
    const run = newRun();
    await s.runs.createRun(run, NO_LIMITS);
    const first = { ...request(run), groupSize: 3 };
    first.groupId = first.requestId;
    const group = [2, 3].map((n) => ({ ...request(run), requestId: `${first.requestId}-${n}`, groupId: first.requestId, groupSize: 3 }));
    expect(await s.runs.append(step(run, { status: 'paused', request: first, group, events: [{ type: 'hitl', data: {} }] }))).toEqual({ ok: true, seq: 1 });
    expect((await s.runs.getRun(run.sessionId))!.requestId).toBe(first.requestId);
    for (const r of [first, ...group]) expect(await s.hitl.getRequest(r.requestId)).toMatchObject({ status: 'pending', groupId: first.requestId, groupSize: 3 });
    await s.hitl.decide(group[0].requestId, { status: 'approved', decidedAt: new Date().toISOString() });
    const input = {
      sessionId: run.sessionId, tenantId: 't1', decidedBy: 'u1', now: new Date().toISOString(), expectStatus: 'paused' as const,
      expectRequestId: first.requestId, expectRequestStatus: 'pending' as const,
      events: [{ type: 'done' as const, data: { status: 'cancelled' } }], broadcasts: [''],
    };
    const stale = [{ requestId: group[0].requestId, status: 'pending' as const }, { requestId: group[1].requestId, status: 'pending' as const }];
    expect(await s.runs.cancel({ ...input, others: stale })).toEqual({ outcome: 'retry' });
    const others = [{ requestId: group[0].requestId, status: 'approved' as const }, { requestId: group[1].requestId, status: 'pending' as const }];
    expect(await s.runs.cancel({ ...input, others })).toEqual({ outcome: 'cancelled', seq: 2 });
    const statuses = await Promise.all([first, ...group].map(async (r) => (await s.hitl.getRequest(r.requestId))!.status));
    expect(statuses).toEqual(['cancelled', 'approved', 'cancelled']);
  });

  it('answers a resume on a rejection without the request: no tool runs after it', async () => {
    const { run, req } = await paused(s);
    await s.hitl.decide(req.requestId, { status: 'rejected', decidedAt: new Date().toISOString() });
    const resume = step(run, { status: 'rejected', expectDecided: { requestId: req.requestId, status: 'rejected' } });
    expect(await s.runs.append(resume)).toEqual({ ok: true, seq: 2 });
  });

  it('cancels a run while its request is pending, and while approved but not yet resumed', async () => {
    for (const approvedFirst of [false, true]) {
      const { run, req } = await paused(s);
      if (approvedFirst) await s.hitl.decide(req.requestId, { status: 'approved', decidedAt: new Date().toISOString() });
      const input = {
        sessionId: run.sessionId,
        tenantId: 't1',
        decidedBy: 'u1',
        now: new Date().toISOString(),
        expectStatus: run.status,
        expectRequestId: req.requestId,
        expectRequestStatus: approvedFirst ? ('approved' as const) : ('pending' as const),
        events: [{ type: 'hitl' as const, data: {} }, { type: 'done' as const, data: { status: 'cancelled' } }],
        broadcasts: ['', ''],
      };
      expect(await s.runs.cancel({ ...input, tenantId: 'other' })).toEqual({ outcome: 'not_found' });
      expect(await s.runs.cancel({ ...input, expectRequestStatus: approvedFirst ? 'pending' : 'approved' })).toEqual({ outcome: 'retry' });
      expect(await s.runs.cancel(input)).toEqual({ outcome: 'cancelled', seq: 3 });
      expect(await s.runs.cancel(input)).toEqual({ outcome: 'ended', status: 'cancelled' });
      expect((await s.hitl.getRequest(req.requestId))!.status).toBe(approvedFirst ? 'approved' : 'cancelled');
    }
  });

  it('expires a request past its deadline exactly once', async () => {
    const { req } = await paused(s, -1000);
    const { req: later } = await paused(s, 60_000);
    const first = await s.hitl.expireDue(100);
    expect(first.map((r) => r.requestId)).toContain(req.requestId);
    expect(first.map((r) => r.requestId)).not.toContain(later.requestId);
    expect((await s.hitl.expireDue(100)).map((r) => r.requestId)).not.toContain(req.requestId);
    expect((await s.hitl.getRequest(req.requestId))!.status).toBe('expired');
  });

  it('pages a tenant\'s inbox newest first with opaque cursors', async () => {
    const tenantId = id('tenant');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const run = newRun('inst-a', tenantId);
      await s.runs.createRun(run, NO_LIMITS);
      const req = request(run, 60_000, 1_700_000_000_000 + i * 1000);
      await s.runs.append(step(run, { status: 'paused', request: req }));
      ids.unshift(req.requestId);
    }
    const first = await s.hitl.listRequests({ tenantId, status: 'pending', limit: 2 });
    expect(first.items.map((r) => r.requestId)).toEqual(ids.slice(0, 2));
    const second = await s.hitl.listRequests({ tenantId, status: 'pending', limit: 2, cursor: first.nextCursor });
    expect(second.items.map((r) => r.requestId)).toEqual(ids.slice(2, 4));
    const last = await s.hitl.listRequests({ tenantId, status: 'pending', limit: 2, cursor: second.nextCursor });
    expect(last).toEqual({ items: [expect.objectContaining({ requestId: ids[4] })] });
    expect((await s.hitl.listRequests({ tenantId, status: 'pending', limit: 10, userId: 'nobody' })).items).toEqual([]);
  });

  it('reaches a user\'s requests behind many of other users\' when the inbox is narrowed to them (short pages keep a cursor)', async () => {
    const tenantId = id('tenant');
    const pause = async (userId: string, at: number) => {
      const run = { ...newRun('inst-a', tenantId), userId };
      await s.runs.createRun(run, NO_LIMITS);
      const req = request(run, 60_000, at);
      await s.runs.append(step(run, { status: 'paused', request: req }));
      return req.requestId;
    };
    const mine = await pause('alice', 1_700_000_000_000);
    for (let i = 1; i <= 45; i++) await pause('bob', 1_700_000_000_000 + i * 1000);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let call = 0; call < 50; call++) {
      const page = await s.hitl.listRequests({ tenantId, status: 'pending', limit: 1, cursor, userId: 'alice' });
      seen.push(...page.items.map((r) => r.requestId));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([mine]);
    expect(cursor).toBeUndefined();
  });

  it('lists a tenant\'s runs newest first in pages, narrowed by status and user, never another tenant\'s', async () => {
    const tenantId = id('tenant');
    const t0 = Date.now() - 60_000;
    const made: RunRecord[] = [];
    for (let i = 0; i < 5; i++) {
      const run = { ...newRun('inst-a', tenantId), userId: i % 2 ? 'bob' : 'alice', createdAt: new Date(t0 + i * 1000).toISOString(), agent: 'demo' };
      await s.runs.createRun(run, NO_LIMITS);
      made.unshift(run);
    }
    // Two started in the same millisecond are still ordered, and each listed once.
    const twin = { ...newRun('inst-a', tenantId), userId: 'alice', createdAt: made[0].createdAt };
    await s.runs.createRun(twin, NO_LIMITS);
    await s.runs.createRun(newRun('inst-a', id('other-tenant')), NO_LIMITS);
    await s.runs.append(step(made[1], { status: 'completed', events: [{ type: 'done', data: { status: 'completed' } }] }));

    const sids: string[] = [];
    let after: RunPosition | undefined;
    for (let call = 0; call < 10; call++) {
      const page = await s.runs.listRuns({ tenantId, limit: 2, after });
      expect(page.items.length).toBeLessThanOrEqual(2);
      sids.push(...page.items.map((r) => r.sessionId));
      after = page.next;
      if (!after) break;
    }
    const newestFirst = [...made.slice(0, 1), twin, ...made.slice(1)].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.sessionId < b.sessionId ? 1 : -1));
    expect(sids).toEqual(newestFirst.map((r) => r.sessionId));

    const first = (await s.runs.listRuns({ tenantId, limit: 1 })).items[0];
    expect(first).toEqual({
      sessionId: newestFirst[0].sessionId, tenantId, userId: newestFirst[0].userId, status: 'running', seq: 0, requestId: null,
      createdAt: newestFirst[0].createdAt, updatedAt: expect.any(String), ...(newestFirst[0].agent ? { agent: 'demo' } : {}),
    });
    expect(first).not.toHaveProperty('prompt');
    expect((await s.runs.listRuns({ tenantId, limit: 10, status: 'completed' })).items.map((r) => r.sessionId)).toEqual([made[1].sessionId]);
    expect((await s.runs.listRuns({ tenantId, limit: 10, userId: 'bob' })).items.map((r) => r.sessionId)).toEqual(made.filter((r) => r.userId === 'bob').map((r) => r.sessionId));
    expect((await s.runs.listRuns({ tenantId, limit: 10, userId: 'bob', status: 'paused' })).items).toEqual([]);
    const completed = await s.runs.getRun(made[1].sessionId);
    expect(Date.parse(completed!.updatedAt!)).toBeGreaterThanOrEqual(Date.parse(completed!.createdAt));
  });

  it('reaches a user\'s runs behind many of other users\' (short pages keep a cursor)', async () => {
    const tenantId = id('tenant');
    const t0 = Date.now() - 600_000;
    const mine = { ...newRun('inst-a', tenantId), userId: 'alice', createdAt: new Date(t0).toISOString() };
    await s.runs.createRun(mine, NO_LIMITS);
    for (let i = 1; i <= 45; i++) await s.runs.createRun({ ...newRun('inst-a', tenantId), userId: 'bob', createdAt: new Date(t0 + i * 1000).toISOString() }, NO_LIMITS);
    const seen: string[] = [];
    let after: RunPosition | undefined;
    for (let call = 0; call < 50; call++) {
      const page = await s.runs.listRuns({ tenantId, limit: 1, userId: 'alice', after });
      seen.push(...page.items.map((r) => r.sessionId));
      after = page.next;
      if (!after) break;
    }
    expect(seen).toEqual([mine.sessionId]);
  });

  it('uses a ticket once, and keeps it as used for as long as asked', async () => {
    const ticket = id('t');
    await s.tickets.create(ticket, 'payload', 60);
    expect(await s.tickets.peekUsed(ticket)).toBeNull();
    expect(await s.tickets.consume(ticket, 1)).toBe('payload');
    expect(await s.tickets.consume(ticket, 1)).toBeNull();
    expect(await s.tickets.peek(ticket)).toBeNull();
    expect(await s.tickets.peekUsed(ticket)).toBe('payload');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await s.tickets.peekUsed(ticket)).toBeNull();
    expect(await s.tickets.peekUsed(id('never-issued'))).toBeNull();
  });

  it('refuses a new run beyond the per-user limit, still answers an existing run, and counts each user apart', async () => {
    const tenantId = id('tenant');
    const lim = limits(2, 100);
    const [a, b, c] = [newRun('inst-a', tenantId), newRun('inst-b', tenantId), newRun('inst-a', tenantId)];
    expect((await s.runs.createRun(a, lim)).created).toBe(true);
    expect((await s.runs.createRun(b, lim)).created).toBe(true);
    expect(await s.runs.createRun(c, lim)).toEqual({ created: false, limited: 'user' });
    expect(await s.runs.getRun(c.sessionId)).toBeNull();
    // Attaching is never refused, even at the limit.
    expect(await s.runs.createRun(a, lim)).toMatchObject({ created: false, run: { sessionId: a.sessionId, userId: 'u1' } });
    expect((await s.runs.createRun({ ...newRun('inst-a', tenantId), userId: 'u2' }, lim)).created).toBe(true);
    expect((await s.runs.createRun(c, lim)).created).toBe(false);
  });

  it('refuses a new run beyond the per-tenant limit whoever asks, counts each tenant apart, and a cancel frees the slot at once', async () => {
    const tenantId = id('tenant');
    const lim = limits(10, 2);
    const first = { ...newRun('inst-a', tenantId), userId: 'u1' };
    expect((await s.runs.createRun(first, lim)).created).toBe(true);
    expect((await s.runs.createRun({ ...newRun('inst-a', tenantId), userId: 'u2' }, lim)).created).toBe(true);
    const third = { ...newRun('inst-a', tenantId), userId: 'u3' };
    expect(await s.runs.createRun(third, lim)).toEqual({ created: false, limited: 'tenant' });
    expect((await s.runs.createRun(newRun('inst-a', id('other-tenant')), lim)).created).toBe(true);
    const cancel: CancelInput = {
      sessionId: first.sessionId,
      tenantId,
      decidedBy: 'u1',
      now: new Date().toISOString(),
      expectStatus: 'running',
      expectRequestId: null,
      expectRequestStatus: null,
      events: [{ type: 'done', data: { status: 'cancelled' } }],
      broadcasts: [''],
    };
    expect(await s.runs.cancel(cancel)).toEqual({ outcome: 'cancelled', seq: 1 });
    expect((await s.runs.createRun(third, lim)).created).toBe(true);
    expect(await s.runs.createRun(newRun('inst-a', tenantId), lim)).toEqual({ created: false, limited: 'tenant' });
  });

  it('frees a slot when a run ends in any way the append writes', async () => {
    const tenantId = id('tenant');
    const lim = limits(1, 100);
    let current = newRun('inst-a', tenantId);
    expect((await s.runs.createRun(current, lim)).created).toBe(true);
    for (const status of ['completed', 'rejected', 'expired', 'failed'] as const) {
      const next = newRun('inst-a', tenantId);
      expect(await s.runs.createRun(next, lim)).toEqual({ created: false, limited: 'user' });
      // A step that does not end the run keeps the slot.
      expect((await s.runs.append(step(current))).ok).toBe(true);
      current = (await s.runs.getRun(current.sessionId))!;
      expect(await s.runs.createRun(next, lim)).toEqual({ created: false, limited: 'user' });
      expect((await s.runs.append(step(current, { status, events: [{ type: 'done', data: { status } }] }))).ok).toBe(true);
      expect((await s.runs.createRun(next, lim)).created).toBe(true);
      current = next;
    }
  });

  it('admits exactly as many of many concurrent new runs as the limit', async () => {
    const tenantId = id('tenant');
    const results = await Promise.all(Array.from({ length: 10 }, () => s.runs.createRun(newRun('inst-a', tenantId), limits(3, 100))));
    expect(results.filter((r) => r.created)).toHaveLength(3);
    expect(results.filter((r) => r.limited === 'user')).toHaveLength(7);
  });

  it('lets another instance claim a run only once its owner\'s lease has lapsed', async () => {
    const owner = id('inst');
    const run = newRun(owner);
    await s.runs.createRun(run, NO_LIMITS);
    await s.runs.heartbeat(owner, 300);
    expect(await s.runs.claim(run.sessionId, 'inst-b')).toBe(false);
    expect(await s.runs.claim(run.sessionId, owner)).toBe(true);
    await new Promise((r) => setTimeout(r, 350));
    expect(await s.runs.orphans(1000)).toContainEqual({ sessionId: run.sessionId, instanceId: owner });
    expect(await s.runs.claim(run.sessionId, 'inst-b', owner)).toBe(true);
    expect((await s.runs.getRun(run.sessionId))!.owner).toBe('inst-b');
    expect(await s.runs.append(step(run))).toEqual({ ok: false, reason: 'not_owner' });
  });

  describe('worker store (AGENT=worker)', () => {
    const lease = () => `wl-${randomUUID()}`;
    const queued = async (): Promise<RunRecord> => {
      const run = newRun('inst-a');
      await s.runs.createRun(run, NO_LIMITS);
      expect(await s.workers.makeReady(run.sessionId, 'inst-a')).toBe(true);
      return run;
    };

    it('queues a run only for its owner, and leases it to exactly one claim, which then writes as its owner', async () => {
      const run = newRun('inst-a');
      await s.runs.createRun(run, NO_LIMITS);
      expect(await s.workers.makeReady(run.sessionId, 'inst-b')).toBe(false);
      expect(await s.workers.makeReady(run.sessionId, 'inst-a')).toBe(true);
      const [l1, l2] = [lease(), lease()];
      const [c1, c2] = await Promise.all([s.workers.claimReady(l1, 5000), s.workers.claimReady(l2, 5000)]);
      const claimed = c1 ?? c2;
      expect([c1, c2].filter(Boolean)).toHaveLength(1);
      expect(claimed).toMatchObject({ run: { sessionId: run.sessionId, tenantId: 't1', cursor: 0 }, decision: null });
      expect(claimed!.leaseExpiresMs).toBeGreaterThan(Date.now() + 4000);
      const holder = claimed!.leaseId;
      const stored = (await s.runs.getRun(run.sessionId))!;
      expect(stored.owner).toBe(holder);
      expect(await s.runs.append(step(stored, { owner: 'inst-a' }))).toEqual({ ok: false, reason: 'not_owner' });
      expect(await s.runs.append(step(stored, { owner: holder }))).toEqual({ ok: true, seq: 1 });
      // A leased run is not adopted by an instance while the lease is live, nor is a queued one.
      expect(await s.runs.claim(run.sessionId, 'inst-c')).toBe(false);
      const other = await queued();
      expect(await s.runs.claim(other.sessionId, 'inst-c')).toBe(false);
      expect((await s.runs.orphans(100)).map((o) => o.sessionId)).not.toContain(other.sessionId);
    });

    it('tells the queue\'s length and how long its oldest waiting run has waited; a run cancelled while queued is not the oldest', async () => {
      expect(await s.workers.queueStats()).toEqual({ queued: 0, oldest: null });
      const first = await queued();
      await new Promise((r) => setTimeout(r, 300));
      const second = await queued();
      const stats = await s.workers.queueStats();
      expect(stats.queued).toBe(2);
      expect(stats.oldest?.sessionId).toBe(first.sessionId);
      expect(stats.oldest!.waitedMs).toBeGreaterThanOrEqual(250);
      expect(stats.oldest!.waitedMs).toBeLessThan(5000);
      const cancel = { sessionId: first.sessionId, tenantId: 't1', decidedBy: 'u1', now: new Date().toISOString(), expectStatus: 'running' as const, expectRequestId: null, expectRequestStatus: null, events: [], broadcasts: [] };
      expect((await s.runs.cancel(cancel)).outcome).toBe('cancelled');
      expect((await s.workers.queueStats()).oldest?.sessionId).toBe(second.sessionId);
      expect((await s.workers.claimReady(lease(), 5000))?.run.sessionId).toBe(second.sessionId);
      expect(await s.workers.queueStats()).toEqual({ queued: 0, oldest: null });
    });

    it('renews a live lease only; a lapsed one is lost and its run is an orphan any instance adopts', async () => {
      const run = await queued();
      const held = (await s.workers.claimReady(lease(), 150))!;
      expect(await s.workers.renew(run.sessionId, lease(), 150)).toBeNull();
      expect(await s.workers.renew(run.sessionId, held.leaseId, 150)).toBeGreaterThan(Date.now());
      await new Promise((r) => setTimeout(r, 250));
      expect(await s.workers.renew(run.sessionId, held.leaseId, 150)).toBeNull();
      expect(await s.runs.orphans(100)).toContainEqual({ sessionId: run.sessionId, instanceId: held.leaseId });
      expect(await s.runs.claim(run.sessionId, 'inst-c', held.leaseId)).toBe(true);
      expect((await s.runs.getRun(run.sessionId))!.owner).toBe('inst-c');
    });

    it('a lease is lost when its run is cancelled; claims skip runs cancelled while queued', async () => {
      const run = await queued();
      const held = (await s.workers.claimReady(lease(), 5000))!;
      const input = { sessionId: run.sessionId, tenantId: 't1', decidedBy: 'u1', now: new Date().toISOString(), expectStatus: 'running' as const, expectRequestId: null, expectRequestStatus: null, events: [{ type: 'done' as const, data: { status: 'cancelled' } }], broadcasts: [''] };
      expect((await s.runs.cancel(input)).outcome).toBe('cancelled');
      expect(await s.workers.renew(run.sessionId, held.leaseId, 5000)).toBeNull();
      const waiting = await queued();
      expect((await s.runs.cancel({ ...input, sessionId: waiting.sessionId })).outcome).toBe('cancelled');
      expect(await s.workers.claimReady(lease(), 5000)).toBeNull();
    });

    it('release hands a held run to an instance, or just ends the lease of an ended one', async () => {
      const run = await queued();
      const held = (await s.workers.claimReady(lease(), 5000))!;
      await s.workers.release(run.sessionId, held.leaseId, 'inst-d');
      expect((await s.runs.getRun(run.sessionId))!.owner).toBe('inst-d');
      expect(await s.workers.renew(run.sessionId, held.leaseId, 5000)).toBeNull();
      expect(await s.runs.orphans(100)).not.toContainEqual({ sessionId: run.sessionId, instanceId: held.leaseId });
    });

    it('a run queued after its approval is claimed with the decided request', async () => {
      const { run, req } = await paused(s);
      expect((await s.hitl.decide(req.requestId, { status: 'approved', decidedAt: new Date().toISOString(), decidedBy: 'boss' })).outcome).toBe('decided');
      const resumed = step(run, { events: [{ type: 'hitl', data: {} }], approvedRequestId: req.requestId, expectDecided: { requestId: req.requestId, status: 'approved' } });
      expect(await s.runs.append(resumed)).toMatchObject({ ok: true, seq: 2, approved: { requestId: req.requestId, status: 'approved' } });
      expect(await s.workers.makeReady(run.sessionId, run.owner)).toBe(true);
      const claimed = (await s.workers.claimReady(lease(), 5000))!;
      expect(claimed.decision).toMatchObject({ requestId: req.requestId, status: 'approved', decidedBy: 'boss', params: { to: 'x@example.com' } });
      expect(claimed.run).toMatchObject({ cursor: 2, seq: 2, approvedRequestId: req.requestId });
    });

    it('tells its listener when a run becomes ready', async () => {
      let heard = 0;
      const stop = await s.workers.listen(() => heard++, () => undefined);
      await queued();
      await new Promise((r) => setTimeout(r, 100));
      stop();
      expect(heard).toBe(1);
    });
  });
});

describe('Redis adapter deadlines follow Redis TIME, not the instance clock', () => {
  let s: Stores;
  beforeEach(() => (s = redisStores()));
  afterEach(async () => {
    jest.restoreAllMocks();
    await s.close();
  });

  it('an instance whose clock runs an hour ahead neither takes over early nor expires early', async () => {
    const owner = id('inst');
    const run = newRun(owner);
    await s.runs.createRun(run, NO_LIMITS);
    await s.runs.heartbeat(owner, 5000);
    const { req } = await paused(s, 60_000);
    const realNow = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(realNow + 3_600_000);
    expect(await s.runs.claim(run.sessionId, 'skewed-inst', owner)).toBe(false);
    expect(await s.runs.orphans(1000)).not.toContainEqual({ sessionId: run.sessionId, instanceId: owner });
    expect((await s.hitl.expireDue(1000)).map((r) => r.requestId)).not.toContain(req.requestId);
    expect((await s.hitl.getRequest(req.requestId))!.status).toBe('pending');
  });
});

describe('Redis adapter limits: a run that is gone or ended without freeing its slot does not hold it', () => {
  let s: Stores;
  beforeEach(() => (s = redisStores()));
  afterEach(() => s.close());

  it('takes the run out of both sets in the very step that ends it (append or cancel), not only when pruning', async () => {
    const tenantId = id('tenant');
    const inSets = async (sid: string) => [
      await s.redis!.zscore(NAMES.activeRuns(tenantId), sid),
      await s.redis!.zscore(NAMES.activeUserRuns(tenantId, 'u1'), sid),
    ];
    const done = newRun('inst-a', tenantId);
    const cancelled = newRun('inst-a', tenantId);
    await s.runs.createRun(done, NO_LIMITS);
    await s.runs.createRun(cancelled, NO_LIMITS);
    expect((await inSets(done.sessionId)).every((score) => score !== null)).toBe(true);
    await s.runs.append(step(done, { status: 'completed', events: [{ type: 'done', data: { status: 'completed' } }] }));
    expect(await inSets(done.sessionId)).toEqual([null, null]);
    expect((await inSets(cancelled.sessionId)).every((score) => score !== null)).toBe(true);
    const cancel = { sessionId: cancelled.sessionId, tenantId, decidedBy: 'u1', now: new Date().toISOString(), expectStatus: 'running' as const, expectRequestId: null, expectRequestStatus: null, events: [], broadcasts: [] };
    expect((await s.runs.cancel(cancel)).outcome).toBe('cancelled');
    expect(await inSets(cancelled.sessionId)).toEqual([null, null]);
  });

  it('prunes, before refusing, the slots of runs whose key expired or was lost, or that ended elsewhere', async () => {
    const tenantId = id('tenant');
    // Both sets full together, so both are pruned.
    const lim = limits(2, 2);
    const [lost, ended, live] = [newRun('inst-a', tenantId), newRun('inst-a', tenantId), newRun('inst-a', tenantId)];
    await s.runs.createRun(lost, lim);
    await s.runs.createRun(ended, lim);
    expect(await s.runs.createRun(live, lim)).toEqual({ created: false, limited: 'user' });
    await s.redis!.del(NAMES.run(lost.sessionId));
    // A place whose run is missing may belong to a create still on its way: it is pruned once older than a few seconds.
    expect(await s.runs.createRun(live, lim)).toEqual({ created: false, limited: 'user' });
    await Promise.all([s.redis!.zadd(NAMES.activeRuns(tenantId), 1, lost.sessionId), s.redis!.zadd(NAMES.activeUserRuns(tenantId, 'u1'), 1, lost.sessionId)]);
    expect((await s.runs.createRun(live, lim)).created).toBe(true);
    // Ended without going through the scripts (as an older version might have left it).
    await s.redis!.hset(NAMES.run(ended.sessionId), 'status', 'completed');
    const next = newRun('inst-a', tenantId);
    expect((await s.runs.createRun(next, lim)).created).toBe(true);
    expect((await s.redis!.zrange(NAMES.activeUserRuns(tenantId, 'u1'), '0', '-1')).sort()).toEqual([live.sessionId, next.sessionId].sort());
    expect((await s.redis!.zrange(NAMES.activeRuns(tenantId), '0', '-1')).sort()).toEqual([live.sessionId, next.sessionId].sort());
    expect(await s.runs.createRun(newRun('inst-a', tenantId), lim)).toEqual({ created: false, limited: 'user' });
  });
});

describe('Redis adapter: a batch of streamed text is a light write', () => {
  let s: Stores;
  beforeEach(() => (s = redisStores()));
  afterEach(() => s.close());

  it('leaves the TTLs to the steps: a batch never refreshes them; a step does when it ends or pauses the run, or when the last refresh is over a tenth of the TTL ago', async () => {
    const run = newRun();
    await s.runs.createRun(run, NO_LIMITS);
    expect(await s.runs.append(step(run))).toEqual({ ok: true, seq: 1 });
    const ttls = () => Promise.all([s.redis!.ttl(NAMES.run(run.sessionId)), s.redis!.ttl(NAMES.events(run.sessionId))]);
    // The first step gave the new log its TTL.
    for (const ttl of await ttls()) expect(ttl).toBeGreaterThan(3000);
    const shorten = () => Promise.all([s.redis!.expire(NAMES.run(run.sessionId), 100), s.redis!.expire(NAMES.events(run.sessionId), 100)]);
    await shorten();
    const delta = { type: 'content' as const, data: { content: 'x', messageId: 'm', delta: true } };
    expect(await s.runs.append(step({ ...run, cursor: 1, seq: 1 }, { nextCursor: 1, events: [delta] }))).toEqual({ ok: true, seq: 2 });
    for (const ttl of await ttls()) expect(ttl).toBeLessThanOrEqual(100);
    // A step soon after the last refresh leaves them.
    expect(await s.runs.append(step({ ...run, cursor: 1, seq: 2 }))).toEqual({ ok: true, seq: 3 });
    for (const ttl of await ttls()) expect(ttl).toBeLessThanOrEqual(100);
    // One long after it (more than a tenth of the TTL) refreshes both.
    await s.redis!.hset(NAMES.run(run.sessionId), 'refreshedMs', String(Date.now() - TTL * 100 - 1000));
    expect(await s.runs.append(step({ ...run, cursor: 2, seq: 3 }))).toEqual({ ok: true, seq: 4 });
    for (const ttl of await ttls()) expect(ttl).toBeGreaterThan(3000);
    // A step that ends the run refreshes them, however recent the last refresh.
    await shorten();
    expect(await s.runs.append(step({ ...run, cursor: 3, seq: 4 }, { status: 'completed', events: [{ type: 'done', data: { status: 'completed' } }] }))).toEqual({ ok: true, seq: 5 });
    for (const ttl of await ttls()) expect(ttl).toBeGreaterThan(3000);
  });
});

describe('Redis adapter: the tenant\'s runs index', () => {
  let s: Stores;
  beforeEach(() => (s = redisStores()));
  afterEach(() => s.close());

  it('is written in the step that creates the run, trimmed by the run TTL, and forgets runs whose key is gone', async () => {
    const tenantId = id('tenant');
    const at = (ms: number) => ({ ...newRun('inst-a', tenantId), createdAt: new Date(ms).toISOString() });
    const old = at(Date.now() - (TTL + 10) * 1000);
    await s.runs.createRun(old, NO_LIMITS);
    expect(Number(await s.redis!.zscore(NAMES.tenantRuns(tenantId), old.sessionId))).toBe(Date.parse(old.createdAt));
    expect(await s.redis!.ttl(NAMES.tenantRuns(tenantId))).toBeGreaterThan(TTL);
    const [lost, kept] = [at(Date.now() - 1000), at(Date.now())];
    await s.runs.createRun(lost, NO_LIMITS);
    await s.runs.createRun(kept, NO_LIMITS);
    // Started more than RUN_TTL_SECONDS before the latest: out of the index, in that same step.
    expect(await s.redis!.zscore(NAMES.tenantRuns(tenantId), old.sessionId)).toBeNull();
    await s.redis!.del(NAMES.run(lost.sessionId));
    expect((await s.runs.listRuns({ tenantId, limit: 10 })).items.map((r) => r.sessionId)).toEqual([kept.sessionId]);
    expect(await s.redis!.zrange(NAMES.tenantRuns(tenantId), '0', '-1')).toEqual([kept.sessionId]);
    // An existing session's run is answered as it is: no second index entry, no new score.
    expect((await s.runs.createRun({ ...kept, createdAt: new Date().toISOString() }, NO_LIMITS)).created).toBe(false);
    expect(Number(await s.redis!.zscore(NAMES.tenantRuns(tenantId), kept.sessionId))).toBe(Date.parse(kept.createdAt));
  });
});
