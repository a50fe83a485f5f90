import { NAMES } from '../src/redis/redis-names';
import Redis from 'ioredis';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApp, TestApp, testRedisUrl, uniqueId } from './support/app';
import { RedisProcess, waitFor } from './support/process';
import { SseClient, SseEvent } from './support/sse';
import { authHeaders, workerToken } from './support/tokens';

const LEASE_MS = 1500;
const WORKER_SCRIPT = join(__dirname, '..', 'examples', 'python-worker', 'worker.py');
/** The demo script as the Python worker plays it, with the service's hitl events and done. */
const FULL_RUN = ['thought', 'plan_step', 'tool_execution', 'tool_execution', 'plan_step', 'plan_step', 'hitl', 'hitl', 'tool_execution', 'tool_execution', 'plan_step', 'content', 'done'];

/** examples/python-worker/worker.py as a child process, with the machine's python3. */
class PythonWorker {
  output = '';
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  constructor(url: string, stepDelay: number) {
    this.child = spawn('python3', [WORKER_SCRIPT], {
      env: { PATH: process.env.PATH ?? '', AURA_URL: url, AURA_WORKER_TOKEN: workerToken(), AURA_STEP_DELAY: String(stepDelay), AURA_RENEW_SECONDS: '0.3', AURA_WAIT_SECONDS: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

const post = (url: string, body: unknown, headers: Record<string, string> = { Authorization: `Bearer ${workerToken()}` }) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

const types = (events: SseEvent[]) => events.map((e) => e.type);
const ids = (events: SseEvent[]) => events.map((e) => e.id);
const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('worker API (AGENT=worker), two instances on one Redis', () => {
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  const workers: PythonWorker[] = [];
  const env = { AGENT: 'worker', RUN_LEASE_MS: String(LEASE_MS) };

  beforeAll(async () => {
    [a, b] = await Promise.all([startApp(env), startApp(env)]);
    redis = new Redis(testRedisUrl());
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop('SIGKILL')));
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    redis.disconnect();
  });

  const open = (app: TestApp, sessionId: string) => new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}&prompt=check%20incidents`, authHeaders());
  const approve = (app: TestApp, requestId: string) => post(`${app.url}/aura/hitl/approve/${requestId}`, {}, authHeaders());
  const stored = async (sessionId: string) => ({ seq: Number(await redis.hget(NAMES.run(sessionId), 'seq')), logged: await redis.xlen(NAMES.events(sessionId)) });

  it("streams the worker's events; approved on another instance, a worker continues from the stored state to done {completed}", async () => {
    workers.push(new PythonWorker(a.url, 0.02), new PythonWorker(b.url, 0.02));
    const sid = uniqueId('w');
    const stream = open(a, sid);
    const { requestId } = await stream.hitlRequest(15000);
    expect(types(stream.events)).toEqual(FULL_RUN.slice(0, 7));
    expect(stream.events[0].payload.data).toEqual({ content: 'Analyzing the request: check incidents' });
    expect((await approve(b, requestId)).status).toBe(200);
    await stream.waitForType('done', 15000);
    await stream.untilEnd();
    expect(types(stream.events)).toEqual(FULL_RUN);
    expect(ids(stream.events)).toEqual(oneToN(FULL_RUN.length));
    expect(stream.events[7].payload.data).toMatchObject({ requestId, requiresApproval: false, status: 'approved' });
    expect(stream.events.at(-1)?.payload.data).toEqual({ status: 'completed' });
    // The continuation was claimed with the decision and the state the approval step stored (the next script line).
    const log = workers.map((w) => w.output).join('');
    expect(log).toMatch(new RegExp(`claimed ${sid} at step 7 after approved ${requestId}`));
  });

  it('the Python example asks for two approvals in one step when the run names two recipients, and handles the group’s decisions', async () => {
    workers.push(new PythonWorker(b.url, 0.02));
    const sid = uniqueId('wpair');
    const started = await post(`${a.url}/aura/runs`, { sessionId: sid, prompt: 'notify both', metadata: { recipients: ['a@example.com', 'b@example.com'] } }, authHeaders());
    expect(started.status).toBe(201);
    const stream = open(a, sid);
    await stream.waitFor((ev) => ev.filter((e) => e.type === 'hitl').length === 2, 15000, 'two approval requests');
    const [first, second] = stream.events.filter((e) => e.type === 'hitl').map((e) => e.payload.data);
    expect([first.groupId, first.groupSize, second.groupId, second.groupSize]).toEqual([first.requestId, 2, first.requestId, 2]);
    expect([first.params, second.params]).toMatchObject([{ to: 'a@example.com' }, { to: 'b@example.com' }]);
    expect(first.allowedDecisions).toEqual(['approve', 'edit', 'reject', 'respond']);
    const edited = { to: 'c@example.com', subject: 'S', body: 'B' };
    expect((await post(`${b.url}/aura/hitl/approve/${first.requestId}`, { params: edited, paramsDigest: first.paramsDigest }, authHeaders())).status).toBe(200);
    expect((await post(`${a.url}/aura/hitl/respond/${second.requestId}`, { message: 'Call B instead.' }, authHeaders())).status).toBe(200);
    await stream.waitForType('done', 15000);
    const after = stream.events.slice(stream.events.findIndex((e) => e.type === 'hitl' && e.payload.data.requiresApproval === false));
    expect(after.map((e) => [e.type, e.payload.data.status ?? '', (e.payload.data.params as { to?: string } | undefined)?.to ?? ''])).toEqual([
      ['hitl', 'approved', ''],
      ['hitl', 'responded', ''],
      ['tool_execution', 'started', 'c@example.com'],
      ['tool_execution', 'completed', ''],
      ['thought', '', ''],
      ['tool_execution', 'cancelled', ''],
      ['plan_step', 'completed', ''],
      ['content', '', ''],
      ['done', 'completed', ''],
    ]);
    expect(after[4].payload.data.content).toContain('Call B instead.');
    expect(workers[0].output).toMatch(new RegExp(`claimed ${sid} at step 7 after approved ${first.requestId} responded ${second.requestId}`));
  });

  it('a worker SIGKILLed mid-run: another claims the run once the lease lapses and continues from the last written step', async () => {
    const first = new PythonWorker(a.url, 0.25);
    workers.push(first);
    const sid = uniqueId('w');
    const stream = open(b, sid);
    await stream.waitFor((es) => es.length >= 3, 15000, 'three events');
    await first.stop('SIGKILL');
    const { seq: atKill } = await stored(sid);
    expect(atKill).toBeGreaterThanOrEqual(3);
    expect(atKill).toBeLessThan(7);
    const second = new PythonWorker(b.url, 0.02);
    workers.push(second);
    const { requestId } = await stream.hitlRequest(15000);
    expect((await approve(a, requestId)).status).toBe(200);
    await stream.waitForType('done', 15000);
    await stream.untilEnd();
    // No event repeated, none missing: the full script once, ids 1..13.
    expect(types(stream.events)).toEqual(FULL_RUN);
    expect(ids(stream.events)).toEqual(oneToN(FULL_RUN.length));
    expect(await stored(sid)).toEqual({ seq: FULL_RUN.length, logged: FULL_RUN.length });
    expect(second.output).toMatch(new RegExp(`claimed ${sid} at step ${atKill}\\b`));
    expect(first.output).not.toMatch(/finished/);
  });

  describe('steps, leases and tokens over HTTP', () => {
    /** Opens a run (the stream is closed at once; the run stays) and claims it as a worker. */
    async function claimNew(app: TestApp): Promise<{ sid: string; leaseId: string }> {
      const sid = uniqueId('h');
      const stream = open(app, sid);
      await waitFor(async () => (await redis.hget(NAMES.run(sid), 'owner')) === 'aura-worker-queue', 5000, 'the run to be queued');
      stream.close();
      const res = await post(`${app.url}/aura/worker/claim`, { waitSeconds: 5 });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { sessionId: string; leaseId: string; state: unknown; tenantId: string; userId: string; prompt: string };
      expect(body).toMatchObject({ sessionId: sid, tenantId: 'acme', userId: 'alice', prompt: 'check incidents', state: null });
      return { sid, leaseId: body.leaseId };
    }
    const step = (app: TestApp, sid: string, body: Record<string, unknown>) => post(`${app.url}/aura/worker/runs/${sid}/steps`, body);
    const thought = { type: 'thought', data: { content: 'x' } };

    it('a bad step is 400 and writes nothing; a good one is written with its state', async () => {
      const { sid, leaseId } = await claimNew(a);
      const bad: Record<string, unknown>[] = [
        { leaseId, events: [{ type: 'mystery', data: {} }] },
        { leaseId, events: [{ type: 'done', data: { status: 'completed' } }] },
        { leaseId, events: [thought, { type: 'content', data: ['not', 'an', 'object'] }] },
        { leaseId, events: [{ type: 'content', data: 'text' }] },
        { leaseId, events: [{ type: 'content', data: { content: 'y'.repeat(64 * 1024) } }] },
        { leaseId, events: [thought], approval: { toolName: 'send_email', params: {}, message: 'm' }, finish: 'completed' },
        { leaseId: 'not-a-lease', events: [thought] },
      ];
      for (const body of bad) expect([JSON.stringify(body).slice(0, 80), (await step(a, sid, body)).status]).toEqual([JSON.stringify(body).slice(0, 80), 400]);
      expect(await stored(sid)).toEqual({ seq: 0, logged: 0 });
      // Just under the limit is fine, through the other instance.
      const big = { type: 'content', data: { content: 'y'.repeat(60 * 1024) } };
      const ok = await step(b, sid, { leaseId, events: [thought, big], state: { line: 2 } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ seq: 2 });
      expect(await redis.hget(NAMES.run(sid), 'state')).toBe('{"line":2}');
      expect((await post(`${a.url}/aura/runs/${sid}/cancel`, {}, authHeaders())).status).toBe(200);
    });

    it('a stale or stolen lease is 409 and writes nothing, also after a cancel', async () => {
      const { sid, leaseId: first } = await claimNew(a);
      expect((await step(a, sid, { leaseId: first, events: [thought], state: 1 })).status).toBe(200);
      // A lease this run never had.
      expect((await step(a, sid, { leaseId: 'wl-00000000-0000-4000-8000-000000000000', events: [thought] })).status).toBe(409);
      // The first lease lapses (no renewal); the run is ready again and another worker claims it.
      const again = await post(`${b.url}/aura/worker/claim`, { waitSeconds: 10 });
      expect(again.status).toBe(200);
      const second = (await again.json()) as { sessionId: string; leaseId: string; state: unknown };
      expect(second).toMatchObject({ sessionId: sid, state: 1 });
      expect(second.leaseId).not.toBe(first);
      expect((await step(a, sid, { leaseId: first, events: [thought] })).status).toBe(409);
      expect((await post(`${b.url}/aura/worker/runs/${sid}/lease`, { leaseId: first })).status).toBe(409);
      expect(await stored(sid)).toEqual({ seq: 1, logged: 1 });
      const renewed = await post(`${b.url}/aura/worker/runs/${sid}/lease`, { leaseId: second.leaseId });
      expect(renewed.status).toBe(200);
      expect(Date.parse(((await renewed.json()) as { leaseExpiresAt: string }).leaseExpiresAt)).toBeGreaterThan(Date.now());
      expect(await (await step(a, sid, { leaseId: second.leaseId, events: [thought] })).json()).toEqual({ seq: 2 });
      // Cancelled by its user: the worker's next call is 409 and writes nothing.
      expect((await post(`${a.url}/aura/runs/${sid}/cancel`, {}, authHeaders())).status).toBe(200);
      const { seq } = await stored(sid);
      expect((await step(b, sid, { leaseId: second.leaseId, events: [thought] })).status).toBe(409);
      expect((await post(`${a.url}/aura/worker/runs/${sid}/lease`, { leaseId: second.leaseId })).status).toBe(409);
      expect((await stored(sid)).seq).toBe(seq);
    });

    it('a user token is 403 on the worker routes and a worker token 403 on the user routes', async () => {
      expect((await post(`${a.url}/aura/worker/claim`, {}, authHeaders())).status).toBe(403);
      expect((await post(`${a.url}/aura/worker/runs/s1/lease`, { leaseId: 'wl-00000000-0000-4000-8000-000000000000' }, authHeaders())).status).toBe(403);
      const worker = { Authorization: `Bearer ${workerToken()}` };
      expect((await fetch(`${a.url}/aura/hitl/requests`, { headers: worker })).status).toBe(403);
      expect((await fetch(`${a.url}/aura/hitl/requests`, { headers: { ...worker, 'X-Tenant-ID': 'acme' } })).status).toBe(403);
      expect((await post(`${a.url}/aura/runs/s1/cancel`, {}, worker)).status).toBe(403);
      expect((await post(`${a.url}/aura/worker/claim`, {}, {})).status).toBe(401);
    });

    it('a claim with nothing ready answers 204 after its wait', async () => {
      const started = Date.now();
      const res = await post(`${a.url}/aura/worker/claim`, { waitSeconds: 1 });
      expect(res.status).toBe(204);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect((await post(`${a.url}/aura/worker/claim`, { waitSeconds: 31 })).status).toBe(400);
    });
  });
});

describe('waiting claims cost no Redis commands (a private Redis, INFO commandstats)', () => {
  let dir: string;
  let redisProc: RedisProcess;
  let app: TestApp;
  let probe: Redis;
  let closed = false;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aura-worker-'));
    redisProc = await RedisProcess.start(dir);
    app = await startApp({ AGENT: 'worker', REDIS_URL: redisProc.url });
    probe = new Redis(redisProc.url);
  });
  afterAll(async () => {
    if (!closed) await app?.close();
    probe?.disconnect();
    await redisProc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Commands Redis ran during `ms` (INFO and CONFIG of this probe excluded), by command. */
  async function commandsDuring(ms: number): Promise<{ total: number; evalsha: number }> {
    await probe.config('RESETSTAT');
    await sleep(ms);
    const info = await probe.info('commandstats');
    let total = 0;
    let evalsha = 0;
    for (const m of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) {
      if (m[1] === 'info' || m[1].startsWith('config')) continue;
      total += Number(m[2]);
      if (m[1] === 'evalsha' || m[1] === 'eval') evalsha += Number(m[2]);
    }
    return { total, evalsha };
  }

  it('200 waiting claims add no commands per second, and one ready run costs one claim, not 200', async () => {
    const idle = await commandsDuring(3000);
    const claims = Array.from({ length: 200 }, () => post(`${app.url}/aura/worker/claim`, { waitSeconds: 20 }));
    await sleep(1500); // each claim's first look at the queue happens now, before the measurement
    const waiting = await commandsDuring(3000);
    // The instance's own sweeps and heartbeats (idle) plus a small constant — nothing per waiter.
    expect(waiting.total).toBeLessThan(idle.total + 10);
    expect(waiting.total).toBeLessThan(60);

    // A run made ready wakes one waiting claim, which gets it with one claim script.
    await probe.config('RESETSTAT');
    const sid = uniqueId('c');
    const stream = new SseClient(`${app.url}/aura/test/stream?sessionId=${sid}&prompt=go`, authHeaders());
    const settled: Response[] = [];
    claims.forEach((p) => void p.then((r) => settled.push(r)));
    await waitFor(() => settled.length === 1, 5000, 'one claim to get the run');
    const got = settled[0];
    expect(got.status).toBe(200);
    expect(((await got.json()) as { sessionId: string }).sessionId).toBe(sid);
    await sleep(500);
    expect(settled).toHaveLength(1);
    const stats = await probe.info('commandstats');
    const evalsha = Number(/^cmdstat_evalsha:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
    // createRun + hand-off + the one claim, plus a few sweeps in the meantime; 200 waiters trying would be 200+.
    expect(evalsha).toBeLessThan(20);
    stream.close();
    // Shutdown answers the rest at once.
    closed = true;
    await app.close();
    const rest = await Promise.all(claims);
    expect(rest.filter((r) => r.status === 204)).toHaveLength(199);
  });
});
