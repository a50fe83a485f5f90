import { createProxyMiddleware } from 'http-proxy-middleware';
import http from 'node:http';
import request from 'supertest';
import { startApp, TestApp, uniqueId } from './support/app';
import { waitFor } from './support/process';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

/**
 * The gateway path for real: a reverse proxy (http-proxy-middleware) maps /api/aura/** to
 * /aura/** and balances between two instances, as the API gateway does in production.
 */
describe('Through a gateway that maps /api/aura/** to two instances', () => {
  let a: TestApp;
  let b: TestApp;
  let gateway: http.Server;
  let url: string;
  const hits: string[] = [];
  const h = authHeaders();

  beforeAll(async () => {
    [a, b] = await Promise.all([startApp({ DEMO_STEP_DELAY_MS: '150', SSE_HEARTBEAT_SECONDS: '1' }), startApp({ DEMO_STEP_DELAY_MS: '150', SSE_HEARTBEAT_SECONDS: '1' })]);
    let next = 0;
    const proxy = createProxyMiddleware<http.IncomingMessage, http.ServerResponse>({
      pathFilter: '/api/aura',
      pathRewrite: { '^/api/aura': '/aura' },
      router: () => {
        const target = [a, b][next++ % 2];
        hits.push(target.url);
        return target.url;
      },
    });
    gateway = http.createServer((req, res) =>
      proxy(req, res, () => {
        res.statusCode = 404;
        res.end();
      }),
    );
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(gateway.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    gateway.closeAllConnections();
    await new Promise((resolve) => gateway.close(resolve));
    await Promise.all([a.close(), b.close()]);
  });

  it('runs the whole HITL flow through it: events one by one as they happen, heartbeats while paused, the approval on the other instance', async () => {
    const arrivals = new Map<number, number>();
    const s = new SseClient(`${url}/api/aura/test/stream?sessionId=${uniqueId('gw')}`, h);
    const seen = new Set<number>();
    const started = Date.now();
    const record = setInterval(() => s.events.forEach((e) => !seen.has(e.id) && (seen.add(e.id), arrivals.set(e.id, Date.now() - started))), 10);
    try {
      const { requestId } = await s.hitlRequest();
      // Paced 150 ms apart by the agent: a buffering proxy would deliver them all at once.
      expect(arrivals.get(6)! - arrivals.get(1)!).toBeGreaterThanOrEqual(300);
      const pingsBefore = s.raw.split(': ping').length;
      await waitFor(() => s.raw.split(': ping').length > pingsBefore, 3000, 'a heartbeat through the proxy');

      const res = await request(url).post(`/api/aura/hitl/approve/${requestId}`).set(h).expect(200);
      expect(res.body.status).toBe('approved');
      await s.untilEnd();
      expect(s.events.map((e) => e.id)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
      expect(s.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'completed' } });
      expect(new Set(hits)).toEqual(new Set([a.url, b.url]));
    } finally {
      clearInterval(record);
    }
  });

  it('passes the service’s answers through unchanged (404 outside the mapping, auth errors inside)', async () => {
    await request(url).get('/elsewhere').expect(404);
    await request(url).get('/api/aura/hitl/requests/x').expect(401);
  });
});
