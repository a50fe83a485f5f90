import request from 'supertest';
import { startApp, TestApp } from './support/app';
import { authHeaders } from './support/tokens';

describe('CORS (CORS_ORIGINS)', () => {
  const allowed = 'https://app.example.com';
  let app: TestApp;
  beforeAll(async () => (app = await startApp({ CORS_ORIGINS: `${allowed}, http://localhost:5173` })));
  afterAll(() => app.close());

  const preflight = (origin: string, path = '/aura/hitl/requests') =>
    request(app.url).options(path).set({ Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization,x-tenant-id' });

  it('answers a preflight from an allowed origin with the methods and headers a client sends', async () => {
    const res = await preflight(allowed).expect(204);
    expect(res.headers['access-control-allow-origin']).toBe(allowed);
    expect(res.headers['access-control-allow-methods']).toBe('GET,HEAD,POST');
    expect(res.headers['access-control-allow-headers']!.toLowerCase().split(',')).toEqual(expect.arrayContaining(['authorization', 'x-tenant-id', 'last-event-id', 'content-type']));
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers['vary']).toMatch(/Origin/);
    // A preflight for a POST route too (approve), and for the second origin of the list.
    const post = await request(app.url).options('/aura/hitl/approve/req-1').set({ Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST' }).expect(204);
    expect(post.headers['access-control-allow-origin']).toBe('http://localhost:5173');
  });

  it('adds the CORS headers to an allowed origin’s request and exposes Retry-After and X-Request-ID', async () => {
    const res = await request(app.url).get('/aura/hitl/requests').set({ ...authHeaders(), Origin: allowed }).expect(200);
    expect(res.headers['access-control-allow-origin']).toBe(allowed);
    expect(res.headers['access-control-expose-headers']).toBe('Retry-After,X-Request-ID');
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('gives a refused origin no CORS header, on the preflight and on the request', async () => {
    for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.test', 'http://app.example.com']) {
      const pre = await preflight(origin).expect(404);
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
      expect(pre.headers['access-control-allow-headers']).toBeUndefined();
      const res = await request(app.url).get('/aura/hitl/requests').set({ ...authHeaders(), Origin: origin }).expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-expose-headers']).toBeUndefined();
    }
  });
});

describe('CORS off (CORS_ORIGINS empty, the default)', () => {
  let app: TestApp;
  beforeAll(async () => (app = await startApp()));
  afterAll(() => app.close());

  it('answers no preflight and sends no CORS header', async () => {
    const pre = await request(app.url).options('/aura/hitl/requests').set({ Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET' });
    expect(pre.status).toBe(404);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const res = await request(app.url).get('/aura/hitl/requests').set({ ...authHeaders(), Origin: 'https://app.example.com' }).expect(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
