import { EventSource } from 'eventsource';
import request from 'supertest';
import { testRedisUrl, uniqueId } from './support/app';
import { NginxGateway } from './support/nginx';
import { ServiceProcess, waitFor } from './support/process';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

/**
 * The gateway for real: Debian's nginx with docker/nginx/default.conf (only the listen port and the
 * two upstream addresses swapped in) in front of two instances of the built service on one Redis.
 */
describe('Through the nginx gateway (docker/nginx/default.conf) to two instances', () => {
  const env = { REDIS_URL: '', DEMO_STEP_DELAY_MS: '150', SSE_HEARTBEAT_SECONDS: '1', RUN_LEASE_MS: '1000', SHUTDOWN_GRACE_MS: '2000', LOG_LEVEL: 'warn' };
  let a: ServiceProcess;
  let b: ServiceProcess;
  let gw: NginxGateway;
  const h = authHeaders();

  beforeAll(async () => {
    env.REDIS_URL = testRedisUrl();
    [a, b] = await Promise.all([ServiceProcess.start(env), ServiceProcess.start(env)]);
    gw = await NginxGateway.start([a.port, b.port]);
  }, 30000);

  afterAll(async () => {
    await gw?.stop();
    await Promise.all([a?.kill('SIGTERM'), b?.kill('SIGTERM')]);
  });

  it('serves an OpenAPI document whose every call is routed by the gateway (no 404 from "Try it out")', async () => {
    const doc = (await (await fetch(`${gw.url}/docs-json`)).json()) as {
      servers: { url: string }[];
      paths: Record<string, { servers?: { url: string }[] } & Record<string, unknown>>;
    };
    const calls: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      const server = (item.servers ?? doc.servers)[0].url.replace(/\/$/, '');
      // Path parameters filled with a valid id: a 404 of the route itself (an unknown id) says so in its body.
      const url = `${gw.url}${server}${path.replace(/\{[^}]+\}/g, 'probe-id')}`;
      for (const method of ['get', 'post', 'head'].filter((m) => m in item)) {
        const res = await fetch(url, { method: method.toUpperCase(), headers: h, ...(method === 'post' ? { body: '{}', headers: { ...h, 'Content-Type': 'application/json' } } : {}) });
        // A stream is not read to its end: its status says enough.
        const streaming = (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
        const body = method === 'head' || streaming ? '' : await res.text();
        if (streaming) await res.body?.cancel().catch(() => undefined);
        // nginx's own 404 is an HTML page; the service's 404s are JSON naming what was not found.
        if (res.status === 404 && !body.startsWith('{')) calls.push(`${method.toUpperCase()} ${server}${path}`);
      }
    }
    expect(calls).toEqual([]);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health/live', '/aura/runs', '/aura/test/stream']));
  });

  it('runs the whole HITL flow: events one by one as they happen (no buffering), heartbeats while paused, done', async () => {
    const arrivals = new Map<number, number>();
    const s = new SseClient(`${gw.url}/api/aura/test/stream?sessionId=${uniqueId('gw')}`, h);
    const seen = new Set<number>();
    const started = Date.now();
    const record = setInterval(() => s.events.forEach((e) => !seen.has(e.id) && (seen.add(e.id), arrivals.set(e.id, Date.now() - started))), 10);
    try {
      const { requestId } = await s.hitlRequest();
      expect(s.status).toBe(200);
      expect(s.headers['content-type']).toMatch(/^text\/event-stream/);
      // Paced 150 ms apart by the agent: a buffering proxy would deliver them all at once.
      expect(arrivals.get(6)! - arrivals.get(1)!).toBeGreaterThanOrEqual(300);
      const pingsBefore = s.raw.split(': ping').length;
      await waitFor(() => s.raw.split(': ping').length > pingsBefore, 3000, 'a heartbeat through nginx');

      const res = await request(gw.url).post(`/api/aura/hitl/approve/${requestId}`).set(h).expect(200);
      expect(res.body.status).toBe('approved');
      await s.untilEnd();
      expect(s.events.map((e) => e.id)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
      expect(s.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'completed' } });
    } finally {
      clearInterval(record);
      s.close();
    }
  });

  it('routes only what it maps: 404 elsewhere, the service’s own answers (401) inside, probes', async () => {
    await request(gw.url).get('/elsewhere').expect(404);
    await request(gw.url).get('/aura/hitl/requests').expect(404);
    await request(gw.url).get('/api/aura/hitl/requests/x').expect(401);
    await request(gw.url).get('/api/aura/hitl/requests?status=pending&limit=5').set(h).expect(200);
    await request(gw.url).get('/health/live').expect(200);
  });

  it('serves the console at /api/console (and sends /console there), with its files and config', async () => {
    const redirect = await request(gw.url).get('/console').expect(302);
    expect(redirect.headers.location).toBe('/api/console');
    const page = await request(gw.url).get('/api/console').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('src="console/console.js"');
    // The page's relative URLs resolve to these through the gateway.
    await request(gw.url).get('/api/console/console.js').expect(200).expect('Content-Type', /javascript/);
    await request(gw.url).get('/api/console/console.css').expect(200).expect('Content-Type', /text\/css/);
    await request(gw.url).get('/api/console/config.json').expect(200);
  });

  it('serves Swagger at /docs with the gateway’s /api as the server Try it out calls', async () => {
    await request(gw.url).get('/docs').redirects(1).expect(200);
    const doc = (await request(gw.url).get('/docs-json').set('X-Forwarded-Prefix', '/elsewhere').expect(200)).body;
    // nginx sets the prefix itself, whatever the client sent.
    expect(doc.servers[0].url).toBe('/api');
    const init = await request(gw.url).get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain('"url": "/api"');
  });

  it('an eventsource client rides out a killed and a restarted instance: no gap, no duplicate, no 502 for anyone', async () => {
    const sessionId = uniqueId('roll');
    const ids: number[] = [];
    const errors: { code?: number; message?: string }[] = [];
    let opens = 0;
    const done = new Promise<void>((resolve) => {
      const es = new EventSource(`${gw.url}/api/aura/test/stream?sessionId=${sessionId}`, {
        fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...h } }),
      });
      es.onopen = () => opens++;
      es.onerror = (err) => errors.push({ code: err.code, message: err.message });
      // Not 'error': EventSource fires that for its own connection failures (onerror above).
      for (const type of ['thought', 'plan_step', 'tool_execution', 'hitl', 'content', 'done']) {
        es.addEventListener(type, (ev) => {
          ids.push(Number(ev.lastEventId));
          if (type === 'done') {
            es.close();
            resolve();
          }
        });
      }
      afterAllClose.push(() => es.close());
    });

    // Meanwhile new requests arrive all the time, as they would from other users.
    const statuses = new Map<number, number>();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const res = await fetch(`${gw.url}/api/aura/hitl/requests?status=pending&limit=1`, { headers: h }).catch(() => null);
        const code = res ? res.status : 0;
        statuses.set(code, (statuses.get(code) ?? 0) + 1);
        await res?.arrayBuffer();
        await new Promise((r) => setTimeout(r, 25));
      }
    })();

    try {
      await waitFor(() => ids.includes(7), 10000, 'the hitl request (event 7)');
      // A rolling restart: A is killed outright and comes back on its port, then B is stopped
      // (SIGTERM: it sends retry: and drains) and comes back. The stream was on one of them.
      await a.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 500));
      a = await ServiceProcess.start(env, a.port);
      await b.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
      b = await ServiceProcess.start(env, b.port);
      await waitFor(() => opens >= 2, 10000, 'the client to reconnect').catch((err: Error) => {
        throw new Error(`${err.message}; EventSource errors ${JSON.stringify(errors)}; other requests' statuses ${JSON.stringify([...statuses])}`);
      });

      const requests = await request(gw.url).get('/api/aura/hitl/requests?status=pending&limit=200').set(h).expect(200);
      const pending = requests.body.items.find((r: { sessionId: string }) => r.sessionId === sessionId);
      expect(pending).toBeDefined();
      await request(gw.url).post(`/api/aura/hitl/approve/${pending.requestId}`).set(h).expect(200);
      await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`no done; ids ${ids.join(',')}`)), 15000))]);
    } finally {
      polling = false;
      await poller;
    }
    expect(ids).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    // The stream's drops are network errors, never an HTTP answer: nothing made it give up.
    expect(errors.filter((e) => e.code !== undefined)).toEqual([]);
    expect(statuses.get(502)).toBeUndefined();
    expect([...statuses.keys()]).toEqual([200]);
    expect(statuses.get(200)).toBeGreaterThan(20);
    expect(gw.errorLog()).not.toContain('no live upstreams');
  }, 60000);

  const afterAllClose: (() => void)[] = [];
  afterAll(() => afterAllClose.forEach((f) => f()));
});
