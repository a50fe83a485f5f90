import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { MemoryTicketStore } from '../auth/persistence/memory-ticket.store';
import { RedisTicketStore } from '../auth/persistence/redis-ticket.store';
import { TicketStore } from '../auth/persistence/ticket-store.port';
import type { HitlRequest } from '../contract/hitl.types';
import type { RunRecord } from '../contract/run.types';
import { HitlStore } from '../hitl/persistence/hitl-store.port';
import { MemoryHitlStore } from '../hitl/persistence/memory-hitl.store';
import { RedisHitlStore } from '../hitl/persistence/redis-hitl.store';
import { MemoryBus } from '../redis/memory-bus';
import { RedisBus } from '../redis/redis-bus';
import { MemoryRunStore } from '../runs/persistence/memory-run.store';
import { RedisRunStore } from '../runs/persistence/redis-run.store';
import { RunStore, StepWrite } from '../runs/persistence/run-store.port';

interface Stores {
  runs: RunStore;
  hitl: HitlStore;
  tickets: TicketStore;
  close(): Promise<void>;
}

const TTL = 3600;

function memoryStores(): Stores {
  const bus = new MemoryBus();
  const hitl = new MemoryHitlStore(bus, TTL);
  return { runs: new MemoryRunStore(bus, hitl, TTL), hitl, tickets: new MemoryTicketStore(), close: async () => undefined };
}

function redisStores(): Stores {
  const url = process.env.AURA_TEST_REDIS_URL;
  if (!url) throw new Error('AURA_TEST_REDIS_URL is not set: run the tests through jest (test/support/global-setup.ts)');
  const command = new Redis(url);
  const subscriber = new Redis(url);
  return {
    runs: new RedisRunStore(command, new RedisBus(command, subscriber), TTL),
    hitl: new RedisHitlStore(command, TTL),
    tickets: new RedisTicketStore(command),
    close: async () => void (await Promise.all([command.quit(), subscriber.quit()])),
  };
}

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
  await s.runs.createRun(run);
  const req = request(run, expiresInMs);
  expect(await s.runs.append(step(run, { status: 'paused', request: req, events: [{ type: 'hitl', data: {} }] }))).toEqual({ ok: true, seq: 1 });
  return { run: (await s.runs.getRun(run.sessionId))!, req };
}

describe.each([
  ['memory', memoryStores],
  ['redis', redisStores],
])('persistence ports, %s adapter', (_name, make) => {
  let s: Stores;
  beforeEach(() => (s = make()));
  afterEach(() => s.close());

  it('creates a run once, and stores a step with its state atomically', async () => {
    const run = newRun();
    expect((await s.runs.createRun(run)).created).toBe(true);
    expect((await s.runs.createRun({ ...run, userId: 'other' })).run.userId).toBe('u1');
    expect(await s.runs.append(step(run, { state: { turn: 1, messages: ['a'] } }))).toEqual({ ok: true, seq: 1 });
    const stored = await s.runs.getRun(run.sessionId);
    expect(stored).toMatchObject({ cursor: 1, seq: 1, state: { turn: 1, messages: ['a'] } });
    expect(await s.runs.readEvents(run.sessionId, 0, 10)).toEqual([{ seq: 1, type: 'thought', json: '{"type":"thought","data":{"content":"x"}}' }]);
  });

  it('refuses an append that is stale, not the owner\'s, or after the end, and writes nothing', async () => {
    const run = newRun();
    await s.runs.createRun(run);
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

  it('refuses a resume whose decision is not stored so', async () => {
    const { run, req } = await paused(s);
    const resume = step(run, { expectDecided: { requestId: req.requestId, status: 'approved' }, approvedRequestId: req.requestId });
    expect(await s.runs.append(resume)).toEqual({ ok: false, reason: 'stale' });
    await s.hitl.decide(req.requestId, { status: 'approved', decidedAt: new Date().toISOString() });
    expect(await s.runs.append(resume)).toEqual({ ok: true, seq: 2 });
    expect((await s.runs.getRun(run.sessionId))!.approvedRequestId).toBe(req.requestId);
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
      await s.runs.createRun(run);
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
      await s.runs.createRun(run);
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

  it('uses a ticket once', async () => {
    const ticket = id('t');
    await s.tickets.create(ticket, 'payload', 60);
    expect(await s.tickets.consume(ticket)).toBe('payload');
    expect(await s.tickets.consume(ticket)).toBeNull();
  });

  it('lets another instance claim a run only once its owner\'s lease has lapsed', async () => {
    const owner = id('inst');
    const run = newRun(owner);
    await s.runs.createRun(run);
    await s.runs.heartbeat(owner, 300);
    expect(await s.runs.claim(run.sessionId, 'inst-b')).toBe(false);
    expect(await s.runs.claim(run.sessionId, owner)).toBe(true);
    await new Promise((r) => setTimeout(r, 350));
    expect(await s.runs.orphans(1000)).toContainEqual({ sessionId: run.sessionId, instanceId: owner });
    expect(await s.runs.claim(run.sessionId, 'inst-b', owner)).toBe(true);
    expect((await s.runs.getRun(run.sessionId))!.owner).toBe('inst-b');
    expect(await s.runs.append(step(run))).toEqual({ ok: false, reason: 'not_owner' });
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
    await s.runs.createRun(run);
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
