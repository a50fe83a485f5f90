import { MAX_PARAMS_BYTES } from '../src/contract/hitl.types';
import { INBOX_PAGE_MAX_BYTES } from '../src/hitl/hitl.service';
import { emptyWorkerQueue, startApp, TestApp, uniqueId } from './support/app';
import { authHeaders, workerToken } from './support/tokens';

const post = (url: string, body: unknown, headers: Record<string, string>) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
const asWorker = { Authorization: `Bearer ${workerToken()}` };

describe('The inbox: bounded params, pages within a byte budget, sealed cursors', () => {
  let app: TestApp;
  const tenant = uniqueId('heavy');
  const h = authHeaders('alice', tenant);
  const sessions: string[] = [];
  beforeAll(async () => (app = await startApp({ AGENT: 'worker', MAX_ACTIVE_RUNS_PER_USER: '500' })));
  afterAll(async () => {
    await Promise.all(sessions.map((sid) => post(`${app.url}/aura/runs/${sid}/cancel`, {}, h)));
    await app.close();
  });

  /** A run whose worker asks for approval with params of about `bytes` bytes; answers the step's status. */
  async function pausedWith(bytes: number): Promise<number> {
    const sid = uniqueId('hv');
    sessions.push(sid);
    await emptyWorkerQueue();
    expect((await post(`${app.url}/aura/runs`, { sessionId: sid, prompt: 'p' }, h)).status).toBe(201);
    const claim = (await (await post(`${app.url}/aura/worker/claim`, { waitSeconds: 5 }, asWorker)).json()) as { leaseId: string; sessionId: string };
    const approval = { toolName: 'send_email', message: 'Send?', params: { body: 'x'.repeat(bytes - 11) } };
    return (await post(`${app.url}/aura/worker/runs/${claim.sessionId}/steps`, { leaseId: claim.leaseId, events: [], approval }, asWorker)).status;
  }

  it('refuses approval params over 16 KB (400) and takes 16 KB', async () => {
    expect(await pausedWith(MAX_PARAMS_BYTES + 1)).toBe(400);
    expect(await pausedWith(MAX_PARAMS_BYTES)).toBe(200);
  });

  it('a page of heavy requests stops at the byte budget with a cursor; paging on reaches every request once', async () => {
    const heavy = Math.ceil(INBOX_PAGE_MAX_BYTES / MAX_PARAMS_BYTES) + 5;
    for (let i = 0; i < heavy; i++) expect(await pausedWith(MAX_PARAMS_BYTES)).toBe(200);
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await fetch(`${app.url}/aura/hitl/requests?status=pending&limit=200${cursor ? `&cursor=${cursor}` : ''}`, { headers: h });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(Buffer.byteLength(text)).toBeLessThan(INBOX_PAGE_MAX_BYTES + 64 * 1024);
      const page = JSON.parse(text) as { items: { requestId: string }[]; nextCursor?: string };
      page.items.forEach((r) => seen.add(r.requestId));
      if (pages === 0) expect(page.items.length).toBeLessThan(heavy + 1);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBeGreaterThan(1);
    expect(seen.size).toBe(heavy + 1);
  }, 60000);

  it('cursors are sealed: nothing of a request id inside, a hand-made or altered one is 400, and one of another tenant is 400', async () => {
    const first = (await (await fetch(`${app.url}/aura/hitl/requests?status=pending&limit=1`, { headers: h })).json()) as { items: { requestId: string; createdAt: string }[]; nextCursor: string };
    const { requestId, createdAt } = first.items[0];
    expect(Buffer.from(first.nextCursor, 'base64url').toString('latin1')).not.toContain(requestId);
    const handMade = Buffer.from(`${Date.parse(createdAt)}:${requestId}`).toString('base64url');
    for (const bad of [handMade, `${first.nextCursor.slice(0, -2)}AA`]) {
      const res = await fetch(`${app.url}/aura/hitl/requests?status=pending&cursor=${bad}`, { headers: h });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toBe('cursor is not a cursor this service issued');
    }
    expect((await fetch(`${app.url}/aura/hitl/requests?status=pending&cursor=${first.nextCursor}`, { headers: authHeaders('eve', uniqueId('t')) })).status).toBe(400);
    expect((await fetch(`${app.url}/aura/hitl/requests?status=pending&cursor=${first.nextCursor}`, { headers: h })).status).toBe(200);
  });
});
