import request from 'supertest';
import { startApp, TestApp, uniqueId } from './support/app';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

/** Reads one sample's value from the Prometheus text format (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const lines = text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  const match = lines.find((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return match ? Number(match.slice(match.lastIndexOf(' ') + 1)) : 0;
}

describe('Prometheus metrics after a flow', () => {
  let app: TestApp;
  const h = authHeaders();
  beforeAll(async () => (app = await startApp({ HITL_TIMEOUT_SECONDS: '1' })));
  afterAll(() => app.close());

  it('moves the counters, gauges and histograms a flow touches', async () => {
    const before = (await request(app.url).get('/metrics').expect(200)).text;
    const s = new SseClient(`${app.url}/aura/test/stream?sessionId=${uniqueId('m')}`, h);
    const { requestId } = await s.hitlRequest();

    const paused = (await request(app.url).get('/metrics').expect(200)).text;
    expect(sample(paused, 'aura_open_streams')).toBeGreaterThanOrEqual(1);
    expect(sample(paused, 'aura_paused_runs')).toBeGreaterThanOrEqual(1);

    await request(app.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);
    await request(app.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(409);
    await s.untilEnd();
    const expiring = new SseClient(`${app.url}/aura/test/stream?sessionId=${uniqueId('m-exp')}`, h);
    await expiring.untilEnd(5000);
    const cancelledId = uniqueId('m-cancel');
    const cancelled = new SseClient(`${app.url}/aura/test/stream?sessionId=${cancelledId}`, h);
    await cancelled.hitlRequest();
    await request(app.url).post(`/aura/runs/${cancelledId}/cancel`).set(h).expect(200);
    await cancelled.untilEnd();

    const res = await request(app.url).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const after = res.text;
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('aura_hitl_decisions_total', { outcome: 'approved' })).toBe(1);
    expect(delta('aura_hitl_decisions_total', { outcome: 'conflict' })).toBe(1);
    expect(delta('aura_hitl_decisions_total', { outcome: 'expired' })).toBe(1);
    expect(delta('aura_hitl_decisions_total', { outcome: 'cancelled' })).toBe(1);
    expect(delta('aura_decision_to_resume_seconds_count')).toBe(2);
    // Cancel writes its two events in its own script; the engine counts what it writes.
    expect(delta('aura_events_published_total')).toBe(13 + 9 + 7);
    expect(delta('aura_runs_started_total')).toBe(3);
    expect(delta('aura_http_request_duration_seconds_count', { route: '/aura/hitl/approve/:requestId', status: '200' })).toBe(1);
    expect(delta('aura_http_request_duration_seconds_count', { route: '/aura/hitl/approve/:requestId', status: '409' })).toBe(1);
    expect(sample(after, 'aura_open_streams')).toBe(0);
    expect(sample(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(after).toContain('# TYPE aura_redis_reconnects_total counter');
  });
});
