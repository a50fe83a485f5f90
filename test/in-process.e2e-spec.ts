import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startApp, TestApp, uniqueId } from './support/app';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

describe('Without REDIS_URL: the in-process bus and store (one instance)', () => {
  let app: TestApp;
  const h = authHeaders();
  beforeAll(async () => (app = await startApp({ REDIS_URL: '' })));
  afterAll(() => app.close());

  it('runs the whole flow and answers ready', async () => {
    await request(app.url).get('/health/ready').expect(200);
    const sessionId = uniqueId('mem');
    const s = new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}`, h);
    const { requestId } = await s.hitlRequest();
    await request(app.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);
    await request(app.url).post(`/aura/hitl/reject/${requestId}`).set(h).expect(409);
    await s.untilEnd();
    expect(s.events.map((e) => e.id)).toEqual(s.events.map((_, i) => i + 1));
    expect(s.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'completed' } });
    const signals = await request(app.url).get(`/aura/hitl/signals/${sessionId}`).set(h).expect(200);
    expect(signals.body.signals).toHaveLength(1);
  });

  it('expires, and replays a finished run to its done', async () => {
    const short = await startApp({ REDIS_URL: '', HITL_TIMEOUT_SECONDS: '1' });
    try {
      const sessionId = uniqueId('mem-exp');
      const s = new SseClient(`${short.url}/aura/test/stream?sessionId=${sessionId}`, h);
      await s.untilEnd(5000);
      expect(s.events.at(-1)?.payload.data.status).toBe('expired');
      const again = new SseClient(`${short.url}/aura/test/stream?sessionId=${sessionId}`, h);
      await again.untilEnd();
      expect(again.events.map((e) => e.payload)).toEqual(s.events.map((e) => e.payload));
    } finally {
      await short.close();
    }
  });
});

describe('The built service (node dist/main.js)', () => {
  it('refuses to start without JWT_SECRET: exit code 1 and a one-line reason', () => {
    const main = join(__dirname, '..', 'dist', 'main.js');
    const env = { PATH: process.env.PATH ?? '', PORT: '0' };
    const res = spawnSync(process.execPath, [main], { env, cwd: tmpdir(), encoding: 'utf8', timeout: 20000 });
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^aura: JWT_SECRET is required/)]);
  });

  it('refuses a bad value the same way', () => {
    const main = join(__dirname, '..', 'dist', 'main.js');
    const res = spawnSync(process.execPath, [main], { env: { PATH: process.env.PATH ?? '', JWT_SECRET: 'x', HITL_TIMEOUT_SECONDS: 'soon' }, cwd: tmpdir(), encoding: 'utf8', timeout: 20000 });
    expect(res.status).toBe(1);
    expect(res.stderr.trim()).toMatch(/^aura: Invalid configuration: HITL_TIMEOUT_SECONDS="soon"/);
  });
});

describe('Demo mode never hands out tokens signed with a configured secret', () => {
  it('gives /console/config.json a token only when the secret was generated for the demo', async () => {
    // One app at a time: passport keeps one 'jwt' strategy per process, so two secrets cannot coexist here.
    const generated = await startApp({ REDIS_URL: '', AURA_DEMO: 'true', JWT_SECRET: '' });
    try {
      const demo = await request(generated.url).get('/console/config.json').expect(200);
      expect(demo.body).toEqual({ demoToken: expect.any(String), tenantId: 'demo' });
      await request(generated.url).get('/aura/hitl/requests').set({ Authorization: `Bearer ${demo.body.demoToken}`, 'X-Tenant-ID': 'demo' }).expect(200);
    } finally {
      await generated.close();
    }
    const configured = await startApp({ REDIS_URL: '', AURA_DEMO: 'true' });
    try {
      expect((await request(configured.url).get('/console/config.json').expect(200)).body).toEqual({});
    } finally {
      await configured.close();
    }
  });
});
