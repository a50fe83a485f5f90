import { ServiceProcess, waitFor } from './support/process';
import { authHeaders, workerToken } from './support/tokens';

/** AGENT=worker with no worker running: the queue shows in the metrics and the log says so. */
describe('The worker ready queue with no worker (AGENT=worker)', () => {
  let svc: ServiceProcess;
  // In-process store: its queue holds only this test's runs.
  beforeAll(async () => (svc = await ServiceProcess.start({ AGENT: 'worker', WORKER_QUEUE_WARN_SECONDS: '1', LOG_LEVEL: 'warn' })));
  afterAll(() => svc.kill());

  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : NaN;
  };
  const warnings = (sessionId: string) =>
    svc.output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; context?: string; msg?: string; sessionId?: string })
      .filter((l) => l.context === 'WorkerQueue' && l.sessionId === sessionId);

  it('publishes the queued runs and the oldest one’s wait, and warns once when it waits beyond WORKER_QUEUE_WARN_SECONDS', async () => {
    expect(await metric('aura_worker_queue_runs')).toBe(0);
    const started = await fetch(`${svc.url}/aura/runs`, { method: 'POST', headers: { ...authHeaders(), 'Content-Type': 'application/json' }, body: JSON.stringify({ prompt: 'check incidents' }) });
    expect(started.status).toBe(201);
    const { sessionId } = (await started.json()) as { sessionId: string };

    await waitFor(async () => (await metric('aura_worker_queue_runs')) === 1, 3000, 'the queue metric');
    expect(warnings(sessionId)).toEqual([]);
    await waitFor(() => warnings(sessionId).length > 0, 4000, 'the warning');
    const [line] = warnings(sessionId);
    expect(line.level).toBe(40);
    expect(line.msg).toMatch(new RegExp(`^Run ${sessionId} has waited \\d+ s for a worker \\(1 queued, WORKER_QUEUE_WARN_SECONDS=1\\)`));
    expect(await metric('aura_worker_queue_oldest_seconds')).toBeGreaterThan(1);
    // Once per run, however long it keeps waiting.
    await new Promise((r) => setTimeout(r, 1200));
    expect(warnings(sessionId)).toHaveLength(1);

    // A worker claims it: the queue is empty again.
    const claim = await fetch(`${svc.url}/aura/worker/claim`, { method: 'POST', headers: { Authorization: `Bearer ${workerToken()}`, 'Content-Type': 'application/json' }, body: '{}' });
    expect(claim.status).toBe(200);
    expect(((await claim.json()) as { sessionId: string }).sessionId).toBe(sessionId);
    await waitFor(async () => (await metric('aura_worker_queue_runs')) === 0 && (await metric('aura_worker_queue_oldest_seconds')) === 0, 3000, 'the queue metrics to drop');
  });
});
