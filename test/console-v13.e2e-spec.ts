import { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { SendEmailTool } from '../src/agents/tools/send-email.tool';
import { startApp, TestApp } from './support/app';
import { launchChromium } from './support/browser';
import { ScriptedLlmServer } from './support/scripted-llm-server';

jest.setTimeout(30000);

/** The console and the decisions of contract v1.3 in Chromium: edit, reply, every card of a group, the digest with each decision. */
describe('HITL console (contract v1.3 decisions)', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const apps: TestApp[] = [];
  /** The bodies the page POSTed to the decision routes. */
  const decisions: { url: string; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  }, 30000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all(apps.map((a) => a.close()));
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 420, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(10000);
    pageErrors.length = 0;
    decisions.length = 0;
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('request', (r: Request) => {
      if (r.method() === 'POST' && /\/aura\/hitl\/(approve|reject|respond)\//.test(r.url())) decisions.push({ url: r.url(), body: JSON.parse(r.postData() ?? '{}') });
    });
  });
  afterEach(async () => {
    await context?.close();
    expect(pageErrors).toEqual([]);
  });

  const app = async (env: Record<string, string> = {}) => {
    const a = await startApp({ AURA_DEMO: 'true', JWT_SECRET: '', DEMO_STEP_DELAY_MS: '20', ...env });
    apps.push(a);
    return a;
  };
  const byTestId = (id: string) => page.locator(`[data-testid="${id}"]`);
  const card = () => page.locator('[data-testid="approval-card"]');
  const state = (s: string) => page.locator(`[data-testid="run-state"][data-state="${s}"]`);
  const start = async (a: TestApp, prompt: string) => {
    await page.goto(`${a.url}/console`);
    await page.locator('body[data-ready="true"]').waitFor();
    await byTestId('prompt').fill(prompt);
    await byTestId('start').click();
    await card().first().waitFor();
    await state('paused').waitFor();
  };
  const inView = (sel: string) =>
    page.locator(sel).first().evaluate((e) => {
      const r = e.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= e.ownerDocument.defaultView!.innerHeight && r.right <= e.ownerDocument.defaultView!.innerWidth;
    });
  const digestOf = async (a: TestApp, requestId: string) => {
    const token = await byTestId('token').inputValue();
    const res = await fetch(`${a.url}/aura/hitl/requests/${requestId}`, { headers: { Authorization: `Bearer ${token}`, 'X-Tenant-ID': 'demo' } });
    return ((await res.json()) as { paramsDigest: string }).paramsDigest;
  };

  it('at 420 px: the card comes into view, its edit form comes from paramsSchema, and the tool runs with the edit', async () => {
    const a = await app();
    await start(a, 'Edit the mail');
    for (const until = Date.now() + 3000; !(await inView('[data-testid="approval-card"]')) && Date.now() < until; ) await page.waitForTimeout(50);
    expect(await inView('[data-testid="approval-card"]')).toBe(true);
    const requestId = (await card().getAttribute('data-request-id')) as string;
    await card().locator('[data-testid="edit-details"] summary').click();
    // One field per property of the tool's schema, filled with the params the agent asked for.
    expect(await card().locator('[data-testid="edit-to"]').inputValue()).toBe('owner@example.com');
    expect(await card().locator('[data-testid="edit-subject"]').count()).toBe(1);
    await card().locator('[data-testid="edit-to"]').fill('cfo@example.com');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(420);
    await card().locator('[data-testid="approve-edited"]').click();
    await state('completed').waitFor();
    expect(await card().getAttribute('data-status')).toBe('approved');
    expect(await page.locator('[data-testid="decision-edited"]').textContent()).toContain('cfo@example.com');
    const started = page.locator('[data-testid="timeline"] > li[data-type="tool_execution"]').filter({ hasText: 'cfo@example.com' });
    expect(await started.count()).toBeGreaterThan(0);
    expect(decisions).toHaveLength(1);
    expect(decisions[0].url).toContain(`/aura/hitl/approve/${requestId}`);
    expect(decisions[0].body).toEqual({ paramsDigest: await digestOf(a, requestId), params: expect.objectContaining({ to: 'cfo@example.com', subject: expect.any(String) }) });
  });

  it('a reply instead of the tool: the agent gets it and completes; the digest goes with it', async () => {
    const a = await app();
    await start(a, 'Reply instead');
    const requestId = (await card().getAttribute('data-request-id')) as string;
    await card().locator('[data-testid="reply-input"]').fill('Phone the owner instead.');
    await card().locator('[data-testid="respond"]').click();
    await state('completed').waitFor();
    expect(await card().getAttribute('data-status')).toBe('responded');
    expect(await page.locator('[data-testid="decision-response"]').textContent()).toBe('Phone the owner instead.');
    expect(await page.locator('[data-testid="answer"]').textContent()).toContain('Phone the owner instead.');
    expect(decisions).toEqual([{ url: expect.stringContaining(`/aura/hitl/respond/${requestId}`), body: { paramsDigest: await digestOf(a, requestId), message: 'Phone the owner instead.' } }]);
  });

  it('every card of a group is shown and decided on its own; the run goes on after the last', async () => {
    const server = await ScriptedLlmServer.start([
      { toolCalls: [{ name: 'send_email', arguments: { to: 'a@x.y', subject: 'A', body: 'a' }, id: 'c1' }, { name: 'send_email', arguments: { to: 'b@x.y', subject: 'B', body: 'b' }, id: 'c2' }] },
      { text: 'Both done.' },
    ]);
    try {
      const a = await app({ AGENT: 'openai', LLM_BASE_URL: server.baseUrl, LLM_MODEL: 'm', LLM_TIMEOUT_MS: '2000' });
      await start(a, 'Two mails');
      await page.locator('[data-testid="approval-card"]').nth(1).waitFor();
      expect(await card().count()).toBe(2);
      expect(await page.locator('[data-testid="approval-group"]').allTextContents()).toEqual(['1 of 2 asked together', '2 of 2 asked together']);
      await card().nth(0).locator('[data-testid="approve"]').click();
      await page.locator('[data-testid="approval-card"][data-status="approved"]').waitFor();
      expect(await state('paused').count()).toBe(1);
      await card().nth(1).locator('[data-testid="reply-input"]').fill('Not B.');
      await card().nth(1).locator('[data-testid="respond"]').click();
      await state('completed').waitFor();
      expect(await card().nth(1).getAttribute('data-status')).toBe('responded');
      expect(a.app.get(SendEmailTool).outbox).toMatchObject([{ to: 'a@x.y' }]);
      expect(decisions.map((d) => typeof d.body.paramsDigest)).toEqual(['string', 'string']);
    } finally {
      await server.close();
    }
  });
});
