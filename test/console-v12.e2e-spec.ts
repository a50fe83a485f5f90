import { Browser, BrowserContext, Page } from 'playwright-core';
import { startApp, TestApp } from './support/app';
import { launchChromium } from './support/browser';
import { ScriptedLlmServer } from './support/scripted-llm-server';

/** The console with contract v1.2: its CSP, refusals in words, run_error and streamed text. */
describe('HITL console (contract v1.2)', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const apps: TestApp[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  }, 30000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all(apps.map((a) => a.close()));
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10000);
    pageErrors.length = 0;
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });
  afterEach(async () => {
    await context?.close();
    expect(pageErrors).toEqual([]);
  });

  const demoApp = async (env: Record<string, string> = {}) => {
    const app = await startApp({ AURA_DEMO: 'true', JWT_SECRET: '', DEMO_STEP_DELAY_MS: '20', ...env });
    apps.push(app);
    return app;
  };
  const byTestId = (id: string) => page.locator(`[data-testid="${id}"]`);
  const open = async (app: TestApp) => {
    await page.goto(`${app.url}/console`);
    await page.locator('body[data-ready="true"]').waitFor();
  };
  const start = async (prompt: string) => {
    await byTestId('session').fill('');
    await byTestId('prompt').fill(prompt);
    await byTestId('start').click();
  };

  it('runs under a CSP with no inline script and refuses to be framed by another origin', async () => {
    const app = await demoApp();
    const res = await fetch(`${app.url}/console`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    // The page works under it (no CSP violation, no page error) …
    const violations: string[] = [];
    page.on('console', (m) => m.text().includes('Content Security Policy') && violations.push(m.text()));
    await open(app);
    await start('check incidents');
    await page.locator('[data-testid="approval-card"]').waitFor();
    expect(violations).toEqual([]);
    // … and a page of another origin (localhost vs 127.0.0.1) cannot frame it.
    const other = app.url.replace('127.0.0.1', 'localhost');
    await page.goto(`${other}/health/live`);
    await page.evaluate(`(() => { const f = document.createElement('iframe'); f.src = ${JSON.stringify(`${app.url}/console`)}; document.body.appendChild(f); })()`);
    await page.waitForTimeout(1000);
    const framed = page.frames().find((f) => f !== page.mainFrame());
    expect(framed).toBeDefined();
    expect(await framed!.locator('body[data-ready="true"]').count()).toBe(0);
  });

  it('says in words when a run is refused for the limit (429) and a decision for the four-eyes rule (403)', async () => {
    // In-process store: the demo user's runs of other tests (same Redis) do not count against this limit.
    const app = await demoApp({ REDIS_URL: '', MAX_ACTIVE_RUNS_PER_USER: '1', HITL_SELF_APPROVAL: 'false' });
    await open(app);
    await start('first');
    await page.locator('[data-testid="approval-card"]').waitFor();
    await page.locator('[data-testid="approval-card"] [data-testid="approve"]').click();
    await page.locator('[data-testid="notice"]', { hasText: 'not allowed' }).waitFor();
    expect(await byTestId('notice').textContent()).toMatch(/four-eyes/);
    await start('second');
    await page.locator('[data-testid="notice"]', { hasText: 'too many unfinished runs' }).waitFor();
  });

  it('shows streamed text as it arrives, then the complete answer; a failing model shows run_error in words', async () => {
    const answer = Array.from({ length: 40 }, (_, i) => `word${i} `).join('');
    const server = await ScriptedLlmServer.start([{ text: answer, tokensPerSecond: 20 }, ...Array.from({ length: 4 }, () => ({ fault: 'status' as const, status: 500 }))]);
    try {
      const app = await demoApp({ AGENT: 'openai', LLM_BASE_URL: server.baseUrl, LLM_MODEL: 'm', LLM_TIMEOUT_MS: '2000' });
      await open(app);
      await start('say many words');
      const streaming = byTestId('streaming-text');
      await streaming.waitFor();
      // Read from the test's side: the page's CSP (rightly) forbids evaluating strings in it.
      let partial = '';
      for (const until = Date.now() + 8000; partial.split(' ').length <= 3 && Date.now() < until; ) {
        partial = (await streaming.textContent().catch(() => '')) ?? '';
        await page.waitForTimeout(50);
      }
      expect(answer.startsWith(partial)).toBe(true);
      expect(partial.length).toBeLessThan(answer.length);
      await page.locator('[data-testid="run-state"][data-state="completed"]').waitFor();
      expect(await page.locator('[data-testid="answer"]').last().textContent()).toBe(answer);
      expect(await byTestId('streaming').count()).toBe(0);

      await start('fail please');
      await page.locator('[data-testid="run-state"][data-state="failed"]').waitFor();
      expect(await page.locator('.error-text').last().textContent()).toMatch(/The agent failed/);
    } finally {
      await server.close();
    }
  }, 30000);
});
