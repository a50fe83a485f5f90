import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { startApp, TestApp } from './support/app';
import { launchChromium } from './support/browser';
import { token } from './support/tokens';

/**
 * The HITL console in a real browser: Debian's Chromium driven by playwright-core, against the
 * real service in demo mode (the page gets its token from /console/config.json).
 */
const ARTIFACTS = join(__dirname, 'artifacts');
const TEST_MS = 20000;
const WAIT_MS = 10000;

jest.setTimeout(TEST_MS);

describe('HITL console in Chromium', () => {
  let app: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    [app, browser] = await Promise.all([
      startApp({ AURA_DEMO: 'true', JWT_SECRET: '', DEMO_STEP_DELAY_MS: '50' }),
      launchChromium(),
    ]);
  }, 30000);

  afterAll(async () => {
    // The browser first: then no connection of the page is left for the server to wait for.
    await browser?.close();
    await app?.close();
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    pageErrors = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterEach(async () => {
    await context?.close();
    expect(pageErrors).toEqual([]);
  });

  const byTestId = (id: string) => page.locator(`[data-testid="${id}"]`);
  const state = (s: string) => page.locator(`[data-testid="run-state"][data-state="${s}"]`);
  const card = () => page.locator('[data-testid="approval-card"]');

  /** The ids shown in the timeline, in page order. */
  async function timelineIds(): Promise<number[]> {
    const items = await page.locator('[data-testid="timeline"] > li').all();
    return Promise.all(items.map(async (li) => Number(await li.getAttribute('data-id'))));
  }

  async function openConsole(path = '/console'): Promise<void> {
    await page.goto(`${app.url}${path}`);
    await page.locator('body[data-ready="true"]').waitFor();
    expect(await byTestId('token').inputValue()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(await byTestId('tenant').inputValue()).toBe('demo');
  }

  /** Starts a run and waits until it pauses at the approval card; returns the request id. */
  async function startAndPause(prompt: string): Promise<string> {
    await byTestId('prompt').fill(prompt);
    await byTestId('start').click();
    await card().waitFor();
    await state('paused').waitFor();
    const requestId = await card().getAttribute('data-request-id');
    expect(requestId).toBeTruthy();
    return requestId as string;
  }

  /** A full-page screenshot from the top (the side panels are sticky to the scroll position). */
  async function screenshot(name: string): Promise<void> {
    const notice = byTestId('notice');
    if (await notice.isVisible()) await notice.locator('.notice-close').click();
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
  }

  const inboxItem = (requestId: string) => page.locator(`[data-testid="inbox-item"][data-request-id="${requestId}"]`);

  it('starts a run, pauses at the approval card, approves, and shows the answer and the completed state', async () => {
    await openConsole();
    const requestId = await startAndPause('Summarize the open incidents and notify the owner');

    // The approval card: tool name, params as JSON, message, a live countdown.
    expect(await card().locator('[data-testid="approval-tool"]').textContent()).toBe('send_email');
    const params = JSON.parse((await card().locator('[data-testid="approval-params"]').textContent()) as string);
    expect(params).toMatchObject({ to: 'owner@example.com' });
    expect(await card().locator('[data-testid="approval-message"]').textContent()).toContain('owner@example.com');
    expect(await card().locator('[data-testid="countdown"]').textContent()).toMatch(/^\d+:\d\d left$/);
    expect((await timelineIds()).at(-1)).toBe(7);
    expect(await page.locator('[data-testid="plan-step"]').count()).toBe(2);

    // The tenant's inbox shows the request while the run waits for it, and the recent runs the run, paused.
    await inboxItem(requestId).waitFor();
    const sessionId = (await byTestId('session-id').textContent()) as string;
    const runItem = (status: string) => page.locator(`[data-testid="run-item"][data-session-id="${sessionId}"][data-status="${status}"]`);
    await runItem('paused').waitFor();
    expect(await runItem('paused').textContent()).toContain('1 waiting for a decision');
    expect(await inboxItem(requestId).locator('code.tool').textContent()).toBe('send_email');
    await screenshot('console-paused.png');

    await card().locator('[data-testid="approve"]').click();
    await state('completed').waitFor();
    expect(await page.locator('[data-testid="answer"]').textContent()).toContain('Task complete');
    expect(await page.locator('[data-testid="decision"]').getAttribute('data-status')).toBe('approved');
    expect(await page.locator('[data-testid="done-status"]').textContent()).toBe('completed');
    expect(await card().getAttribute('data-status')).toBe('approved');
    expect(await byTestId('connection').getAttribute('data-conn')).toBe('closed');

    const ids = await timelineIds();
    expect(ids).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    const types = await Promise.all((await page.locator('[data-testid="timeline"] > li').all()).map((li) => li.getAttribute('data-type')));
    expect(types.at(-2)).toBe('content');
    expect(types.at(-1)).toBe('done');

    // Decided: the inbox no longer lists it; the recent runs show it completed, newest first.
    await inboxItem(requestId).waitFor({ state: 'detached' });
    await runItem('completed').waitFor();
    expect(await page.locator('[data-testid="run-item"]').first().getAttribute('data-session-id')).toBe(sessionId);
    expect(await runItem('completed').locator('[data-testid="run-status"]').textContent()).toBe('completed');
    await screenshot('console-finished.png');

    // Open replays it from the list (a new ticket for that session): the same thirteen events, then done.
    await byTestId('prompt').fill('');
    const ticketFor = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/aura/stream-tickets') && r.postData() === JSON.stringify({ sessionId }));
    const replayed = page.waitForResponse((r) => r.url().includes('/aura/test/stream?ticket='));
    await runItem('completed').locator('[data-testid="run-open"]').click();
    await ticketFor;
    expect((await replayed).status()).toBe(200);
    await state('completed').waitFor();
    expect(await byTestId('session-id').textContent()).toBe(sessionId);
    expect(await timelineIds()).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
  });

  it('rejects with a reason: the decision shows the reason and the run ends rejected', async () => {
    await openConsole();
    const requestId = await startAndPause('Notify the owner');
    await card().locator('[data-testid="reject-reason"]').fill('Wrong recipient');
    await card().locator('[data-testid="reject"]').click();

    await state('rejected').waitFor();
    const decision = page.locator('[data-testid="decision"]');
    expect(await decision.getAttribute('data-status')).toBe('rejected');
    expect(await decision.getAttribute('data-request-id')).toBe(requestId);
    expect(await decision.locator('[data-testid="decision-reason"]').textContent()).toBe('Wrong recipient');
    expect(await page.locator('[data-testid="done-status"]').textContent()).toBe('rejected');
    expect(await page.locator('[data-testid="answer"]').count()).toBe(0);
    expect(await timelineIds()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await card().locator('[data-testid="approve"]').isDisabled()).toBe(true);
    await inboxItem(requestId).waitFor({ state: 'detached' });
  });

  it('at 420 px wide: nothing overlaps the run panel, the reason field is usable, and a rejected run leaves no step in progress', async () => {
    const failed: string[] = [];
    page.on('response', (res) => res.status() >= 400 && failed.push(`${res.status()} ${res.url()}`));
    await page.setViewportSize({ width: 420, height: 800 });
    await openConsole();
    await startAndPause('Narrow screen');
    expect(await page.locator('[data-testid="plan-step"][data-status="in_progress"]').count()).toBe(1);

    // The approval card is below the run panel: scroll to it, as a user on a phone does.
    const reason = card().locator('[data-testid="reject-reason"]');
    await reason.scrollIntoViewIfNeeded();
    const box = (sel: string) => page.locator(sel).evaluate((e) => { const r = e.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width }; });
    const controls = await box('.controls');
    const timeline = await box('.timeline-panel');
    const overlap = Math.min(controls.bottom, timeline.bottom) - Math.max(controls.top, timeline.top);
    expect(overlap).toBeLessThanOrEqual(0);
    // Nothing is laid over the reason field, and it is wide enough to read its placeholder and a reason.
    const field = await box('[data-testid="reject-reason"]');
    expect(field.width).toBeGreaterThanOrEqual(250);
    expect(field.right).toBeLessThanOrEqual(420);
    expect(await reason.evaluate((e) => { const r = e.getBoundingClientRect(); return e.ownerDocument.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === e; })).toBe(true);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(420);
    await screenshot('console-420px-paused.png');

    await reason.fill('Wrong recipient, wrong day');
    expect(await reason.inputValue()).toBe('Wrong recipient, wrong day');
    await card().locator('[data-testid="reject"]').click();
    await state('rejected').waitFor();
    // No final plan_step comes for the abandoned step: the page marks it itself.
    const steps = page.locator('[data-testid="plan-step"]');
    expect(await steps.count()).toBe(2);
    expect(await steps.evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-step-id'), r.getAttribute('data-status'), r.querySelector('.badge')?.textContent]))).toEqual([
      ['step-1', 'completed', 'completed'],
      ['step-2', 'cancelled', 'cancelled'],
    ]);
    await screenshot('console-420px-rejected.png');
    // No 404 for the icon (or anything else) along the way.
    expect(failed).toEqual([]);
    expect(await page.evaluate('document.querySelector("link[rel=icon]").href')).toMatch(/\/console\/favicon\.svg$/);
  });

  it('at 420 px wide: the approval card comes into view by itself, and the "Approved" toast covers none of the tool’s result', async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    await openConsole();
    expect(await page.evaluate('window.scrollY')).toBe(0);
    await startAndPause('Narrow screen, approve');
    // Nobody scrolls here: the page brings the card to the reader (it starts screens below the form).
    const inView = async (sel: string) =>
      page.locator(sel).evaluate((e) => {
        const r = e.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= e.ownerDocument.defaultView!.innerHeight;
      });
    const approve = card().locator('[data-testid="approve"]');
    for (const until = Date.now() + 3000; !(await inView('[data-testid="approval-card"] [data-testid="approve"]')) && Date.now() < until; ) await page.waitForTimeout(50);
    expect(await inView('[data-testid="approval-card"] [data-testid="approve"]')).toBe(true);
    expect(await page.evaluate('window.scrollY')).toBeGreaterThan(300);

    await approve.click();
    const result = page.locator('[data-testid="timeline"] > li[data-type="tool_execution"]').filter({ hasText: 'msg-1' }).last();
    await result.waitFor();
    // Where a reader following the run sees it: at the bottom of the screen.
    await result.evaluate((e) => e.scrollIntoView({ block: 'end' }));
    const notice = byTestId('notice');
    expect(await notice.isVisible()).toBe(true);
    expect(await notice.textContent()).toContain('Approved');
    const [toast, tool] = await Promise.all([notice.boundingBox(), result.boundingBox()]);
    const overlap = Math.min(toast!.y + toast!.height, tool!.y + tool!.height) - Math.max(toast!.y, tool!.y);
    expect(overlap).toBeLessThanOrEqual(0);
    expect(toast!.x).toBeGreaterThanOrEqual(0);
    expect(toast!.x + toast!.width).toBeLessThanOrEqual(420);
    await screenshot('console-420px-approved.png');
    await state('completed').waitFor();
  });

  it('GET / sends a browser to the console, and /favicon.ico is the console’s icon', async () => {
    const root = await fetch(`${app.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('console');
    const icon = await fetch(`${app.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    const res = await page.goto(`${app.url}/`);
    expect(res?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/console');
    await page.locator('body[data-ready="true"]').waitFor();
  });

  it('reconnects mid-run with a new ticket: every id stays exactly once and the run goes on to completion', async () => {
    await openConsole();
    await startAndPause('Reconnect test');
    const before = await timelineIds();
    expect(before).toEqual([1, 2, 3, 4, 5, 6, 7]);

    await byTestId('reconnect').click();
    await page.locator('[data-testid="reconnects"][data-count="1"]').waitFor();
    await page.locator('[data-testid="connection"][data-conn="open"]').waitFor();
    // The server replayed the run from event 1; the page showed none of it twice.
    await new Promise((r) => setTimeout(r, 300));
    expect(await timelineIds()).toEqual(before);
    expect(await card().count()).toBe(1);
    expect(await state('paused').count()).toBe(1);

    await card().locator('[data-testid="approve"]').click();
    await state('completed').waitFor();
    expect(await timelineIds()).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
  });

  it('reconnects by itself when the connection drops before done, without duplicates', async () => {
    await openConsole();
    await startAndPause('Dropped connection');
    // Cut every connection the server holds: the EventSource errors and the page gets a new ticket.
    app.app.getHttpServer().closeAllConnections();
    await page.locator('[data-testid="reconnects"][data-count="1"]').waitFor();
    await page.locator('[data-testid="connection"][data-conn="open"]').waitFor();
    await new Promise((r) => setTimeout(r, 300));
    expect(await timelineIds()).toEqual([1, 2, 3, 4, 5, 6, 7]);

    await card().locator('[data-testid="approve"]').click();
    await state('completed').waitFor();
    expect(await timelineIds()).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
  });

  it('approves from the inbox and cancels a run from the Cancel button', async () => {
    await openConsole();
    const first = await startAndPause('Inbox approval');
    await inboxItem(first).locator('[data-testid="inbox-approve"]').click();
    await state('completed').waitFor();
    expect(await card().getAttribute('data-status')).toBe('approved');

    const second = await startAndPause('To be cancelled');
    expect(second).not.toBe(first);
    expect(await timelineIds()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await byTestId('cancel').click();
    await state('cancelled').waitFor();
    expect(await page.locator('[data-testid="decision"]').getAttribute('data-status')).toBe('cancelled');
    expect(await page.locator('[data-testid="done-status"]').textContent()).toBe('cancelled');
    expect(await byTestId('cancel').isDisabled()).toBe(true);
    await inboxItem(second).waitFor({ state: 'detached' });
  });

  it('outside demo mode: no token is handed out; a pasted token sets the tenant and drives the page', async () => {
    const plain = await startApp({ DEMO_STEP_DELAY_MS: '20' });
    try {
      await page.goto(`${plain.url}/console`);
      await page.locator('body[data-ready="true"]').waitFor();
      expect(await byTestId('token').inputValue()).toBe('');
      expect(await byTestId('demo-flag').isHidden()).toBe(true);
      await byTestId('start').click();
      await page.locator('[data-testid="notice"][data-kind="error"]').waitFor();
      expect(await byTestId('notice').textContent()).toContain('Paste a token first');
      expect(await state('idle').count()).toBe(1);

      await byTestId('token').fill(token('carol', 'globex'));
      await byTestId('token').blur();
      expect(await byTestId('tenant').inputValue()).toBe('globex');
      await page.locator('[data-testid="inbox-updated"]', { hasText: 'Updated' }).waitFor();
      const requestId = await startAndPause('Pasted token');
      await inboxItem(requestId).waitFor();
      expect(await inboxItem(requestId).textContent()).toContain('by carol');

      // A wrong tenant is refused by the service and said so on the page.
      await byTestId('tenant').fill('initech');
      await byTestId('tenant').blur();
      await page.locator('[data-testid="inbox-updated"]', { hasText: 'Tenant ID mismatch' }).waitFor();
      await byTestId('tenant').fill('globex');
      await byTestId('cancel').click();
      await state('cancelled').waitFor();
    } finally {
      await context.close();
      await plain.close();
    }
  });

  it('works at /console/ and behind an API prefix, calling only URLs relative to the page', async () => {
    const prefixed = await startApp({ AURA_DEMO: 'true', JWT_SECRET: '', DEMO_STEP_DELAY_MS: '20', API_PREFIX: 'api' });
    try {
      const requested: string[] = [];
      page.on('request', (req) => requested.push(req.url()));
      await page.goto(`${prefixed.url}/api/console/`);
      await page.locator('body[data-ready="true"]').waitFor();
      expect(new URL(page.url()).pathname).toBe('/api/console');
      expect(await page.evaluate('getComputedStyle(document.querySelector(".topbar")).backgroundColor')).toBe('rgb(17, 24, 39)');
      await byTestId('start').click();
      await card().waitFor();
      await card().locator('[data-testid="approve"]').click();
      await state('completed').waitFor();
      expect(requested.length).toBeGreaterThan(4);
      expect(requested.filter((u) => !u.startsWith(`${prefixed.url}/api/`))).toEqual([]);
      expect(requested.some((u) => u.startsWith(`${prefixed.url}/api/aura/test/stream?ticket=`))).toBe(true);
    } finally {
      await context.close();
      await prefixed.close();
    }
  });
});
