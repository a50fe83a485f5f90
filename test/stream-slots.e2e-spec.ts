import { connect, Socket } from 'node:net';
import { startApp, TestApp, testRedisUrl, uniqueId } from './support/app';
import { ServiceProcess, waitFor } from './support/process';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

/** Resolves with how long the server took to close a raw connection; `drip` sends a header line now and then. */
function timeToClose(port: number, drip: boolean): Promise<number> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      if (!drip) return;
      socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n');
      timer = setInterval(() => socket.write(`X-Slow-${Date.now()}: 1\r\n`), 1000);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve(Date.now() - started);
    });
  });
}

describe('Streams per user, slow clients and descriptors: one user cannot take an instance down', () => {
  let app: TestApp;
  beforeAll(async () => (app = await startApp({ MAX_STREAMS_PER_USER: '2' })));
  afterAll(() => app.close());

  const open = (sessionId: string, user = 'alice') => new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}`, authHeaders(user));

  it('MAX_STREAMS_PER_USER: the third open stream of a user is 429 with Retry-After; another user is served; a closed stream frees its slot', async () => {
    const sid = uniqueId('slots');
    const first = open(sid);
    const second = open(sid);
    await Promise.all([first.hitlRequest(10000), second.hitlRequest(10000)]);
    const third = await fetch(`${app.url}/aura/test/stream?sessionId=${sid}`, { headers: authHeaders() });
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('5');
    expect(((await third.json()) as { message: string }).message).toMatch(/At most 2 open streams per user/);
    const bob = open(sid, 'bob');
    await bob.hitlRequest(10000);
    first.close();
    await waitFor(async () => {
      const again = open(sid);
      await again.waitFor(() => again.status !== 0, 5000).catch(() => undefined);
      again.close();
      return again.status === 200;
    }, 5000, 'a freed slot');
    [second, bob].forEach((s) => s.close());
  });

  it('a connection that sends nothing, or drips its headers, is closed within about ten seconds', async () => {
    const port = Number(new URL(app.url).port);
    const [silent, slow] = await Promise.all([timeToClose(port, false), timeToClose(port, true)]);
    for (const ms of [silent, slow]) {
      expect(ms).toBeGreaterThanOrEqual(9000);
      expect(ms).toBeLessThan(15000);
    }
  }, 25000);
});

describe('An instance near its descriptor limit refuses new streams with 503 and stays live and ready', () => {
  let svc: ServiceProcess;
  // 256 descriptors: 128 are kept for the rest of the process, so it holds 128 streams.
  beforeAll(async () => (svc = await ServiceProcess.start({ REDIS_URL: testRedisUrl(), MAX_STREAMS_PER_USER: '1000' }, undefined, { openFiles: 256 })));
  afterAll(() => svc.kill());

  it('holds 128 streams, answers the 129th with 503, keeps answering its probes, and takes a stream again when one closes', async () => {
    const sid = uniqueId('fds');
    const url = `${svc.url}/aura/test/stream?sessionId=${sid}`;
    const streams: SseClient[] = [];
    for (let i = 0; i < 128; i++) streams.push(new SseClient(url, authHeaders()));
    await Promise.all(streams.map((s) => s.hitlRequest(20000)));
    const refused = await fetch(url, { headers: authHeaders() });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { message: string }).message).toMatch(/as many streams as it can/);
    expect((await fetch(`${svc.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${svc.url}/health/ready`)).status).toBe(200);
    streams.pop()?.close();
    await waitFor(async () => {
      const again = new SseClient(url, authHeaders());
      await again.waitFor(() => again.status !== 0, 5000).catch(() => undefined);
      const ok = again.status === 200;
      if (ok) streams.push(again);
      else again.close();
      return ok;
    }, 5000, 'a stream after one closed');
    streams.forEach((s) => s.close());
  }, 60000);
});
