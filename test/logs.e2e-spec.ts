import Redis from 'ioredis';
import { testRedisUrl, uniqueId } from './support/app';
import { ServiceProcess, waitFor } from './support/process';
import { authHeaders, token } from './support/tokens';

/** The log pipeline's view: the built service's stdout, one JSON object per line. */
describe('Structured logs', () => {
  let svc: ServiceProcess;
  beforeAll(async () => (svc = await ServiceProcess.start({ REDIS_URL: testRedisUrl(), LOG_LEVEL: 'info' })));
  afterAll(() => svc.kill());

  const lines = () =>
    svc.output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown> & { req?: { id?: string; url?: string; headers?: Record<string, string> }; res?: { statusCode?: number } });

  it('writes one JSON line per request with its request id (taken or generated, echoed), tenant and session; secrets redacted', async () => {
    const secretToken = token('alice', 'acme');
    const sessionId = uniqueId('log');
    const res = await fetch(`${svc.url}/aura/hitl/signals/${sessionId}`, {
      headers: {
        Authorization: `Bearer ${secretToken}`,
        'X-Tenant-ID': 'acme',
        'X-Request-ID': 'req-log-1',
        Cookie: 'sid=cookie-secret',
        'X-Auth-Token': 'auth-token-secret',
        'X-Forwarded-Access-Token': 'forwarded-secret',
      },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('req-log-1');
    const generated = await fetch(`${svc.url}/health/live`);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    await waitFor(() => lines().some((l) => l.req?.id === 'req-log-1'), 3000, 'the request log line');
    const line = lines().find((l) => l.req?.id === 'req-log-1')!;
    expect(line).toMatchObject({ level: 30, tenantId: 'acme', userId: 'alice', sessionId, res: { statusCode: 404 } });
    expect(line.req?.headers?.authorization).toBe('[Redacted]');
    expect(line.req?.headers?.cookie).toBe('[Redacted]');
    // Headers outside the allowlist are not logged at all, whatever they carry.
    expect(line.req?.headers).not.toHaveProperty('x-auth-token');
    expect(line.req?.headers).not.toHaveProperty('x-forwarded-access-token');
    expect(line.req?.headers?.['x-tenant-id']).toBe('acme');
    expect(svc.output).not.toContain('auth-token-secret');
    expect(svc.output).not.toContain('forwarded-secret');
    expect(svc.output).not.toContain(secretToken);
    expect(svc.output).not.toContain('cookie-secret');
  });

  it('never writes a stream ticket', async () => {
    const issued = await fetch(`${svc.url}/aura/stream-tickets`, { method: 'POST', headers: { ...authHeaders(), 'Content-Type': 'application/json' }, body: '{}' });
    const { ticket } = (await issued.json()) as { ticket: string };
    const ctrl = new AbortController();
    const stream = await fetch(`${svc.url}/aura/test/stream?ticket=${ticket}`, { signal: ctrl.signal });
    expect(stream.status).toBe(200);
    ctrl.abort();
    await fetch(`${svc.url}/aura/test/stream?ticket=${ticket}`).then((r) => expect(r.status).toBe(401));
    await waitFor(() => lines().filter((l) => l.req?.url?.includes('ticket=')).length >= 2, 3000, 'the stream log lines');
    expect(lines().filter((l) => l.req?.url?.includes('ticket=')).every((l) => l.req?.url?.includes('ticket=[Redacted]'))).toBe(true);
    expect(svc.output).not.toContain(ticket);
  });

  it('never writes a prompt, a percent-encoded ticket or an access_token, in any form', async () => {
    const prompt = `private-prompt-${uniqueId('p')}`;
    const ctrl = new AbortController();
    const opened = await fetch(`${svc.url}/aura/test/stream?sessionId=${uniqueId('logp')}&prompt=${prompt}`, { headers: authHeaders(), signal: ctrl.signal });
    expect(opened.status).toBe(200);
    ctrl.abort();
    const issued = await fetch(`${svc.url}/aura/stream-tickets`, { method: 'POST', headers: { ...authHeaders(), 'Content-Type': 'application/json' }, body: '{}' });
    const { ticket } = (await issued.json()) as { ticket: string };
    const viaEncoded = new AbortController();
    expect((await fetch(`${svc.url}/aura/test/stream?%74icket=${ticket}`, { signal: viaEncoded.signal })).status).toBe(200);
    viaEncoded.abort();
    const jwt = token('mallory', 'acme');
    await fetch(`${svc.url}/aura/hitl/requests?access_token=${jwt}&x-request=1`, { headers: { 'X-Request-ID': 'with-access-token' } });
    await waitFor(() => lines().some((l) => l.req?.id === 'with-access-token'), 3000, 'the access_token line');
    expect(lines().find((l) => l.req?.id === 'with-access-token')!.req?.url).toBe('/aura/hitl/requests?access_token=[Redacted]&x-request=1');
    for (const secret of [prompt, ticket, jwt, jwt.split('.')[1]]) expect(svc.output).not.toContain(secret);
  });

  it('quotes at most 200 characters of a junk message on a HITL channel', async () => {
    const redis = new Redis(testRedisUrl());
    try {
      const junk = 'J'.repeat(5 * 1024 * 1024);
      await redis.publish(`hitl:channel:${uniqueId('junk')}`, junk);
      await waitFor(() => svc.output.includes('(5242880 chars)'), 5000, 'the junk warning');
      const line = svc.output.split('\n').find((l) => l.includes('(5242880 chars)'))!;
      expect(line.length).toBeLessThan(1024);
    } finally {
      redis.disconnect();
    }
  });

  it('every response carries nosniff and no-referrer', async () => {
    for (const path of ['/health/live', '/aura/hitl/requests', '/docs-json']) {
      const res = await fetch(`${svc.url}${path}`);
      expect([path, res.headers.get('x-content-type-options'), res.headers.get('referrer-policy')]).toEqual([path, 'nosniff', 'no-referrer']);
    }
  });

  it('does not log probes and scrapes', async () => {
    await fetch(`${svc.url}/health/live`, { headers: { 'X-Request-ID': 'probe-1' } });
    await fetch(`${svc.url}/health/ready`, { headers: { 'X-Request-ID': 'probe-2' } });
    await fetch(`${svc.url}/metrics`, { headers: { 'X-Request-ID': 'scrape-1' } });
    await fetch(`${svc.url}/aura/hitl/requests/x`, { headers: { 'X-Request-ID': 'after-probes' } });
    await waitFor(() => lines().some((l) => l.req?.id === 'after-probes'), 3000, 'the line after the probes');
    expect(lines().filter((l) => ['probe-1', 'probe-2', 'scrape-1'].includes(l.req?.id ?? ''))).toEqual([]);
  });

  it('honours LOG_LEVEL: warn hides the info request lines', async () => {
    const quiet = await ServiceProcess.start({ REDIS_URL: testRedisUrl(), LOG_LEVEL: 'warn' });
    try {
      await fetch(`${quiet.url}/aura/hitl/requests/x`);
      await new Promise((r) => setTimeout(r, 300));
      expect(quiet.output.split('\n').filter((l) => l.includes('"level":30'))).toEqual([]);
    } finally {
      await quiet.kill();
    }
  });
});
