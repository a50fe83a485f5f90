import request from 'supertest';
import { uniqueId } from './app';
import type { ServiceProcess } from './process';
import { SseClient } from './sse';
import { authHeaders } from './tokens';

/** The v1 flow on any Redis deployment: streams opened here are closed by closeStreams() (afterEach). */
export const h = authHeaders('alice', 'acme');
const streams: SseClient[] = [];

export function openStream(svc: ServiceProcess, sessionId = uniqueId('dep'), lastEventId?: number): SseClient {
  const s = new SseClient(`${svc.url}/aura/test/stream?sessionId=${sessionId}`, lastEventId === undefined ? h : { ...h, 'Last-Event-ID': String(lastEventId) });
  streams.push(s);
  return s;
}

export const closeStreams = (): void => streams.splice(0).forEach((s) => s.close());

/** The run ended completed, with every id from 1 and no gap. */
export function expectCompleted(s: SseClient): void {
  expect(s.events.map((e) => e.id)).toEqual(s.events.map((_, i) => i + 1));
  expect(s.events.at(-1)?.payload).toEqual({ type: 'done', data: { status: 'completed' } });
}

/** Stream on A, approve on B, the stream completes. Returns the session and request ids. */
export async function mainFlow(a: ServiceProcess, b: ServiceProcess): Promise<{ sessionId: string; requestId: string }> {
  const s = openStream(a);
  const { requestId, sessionId } = await s.hitlRequest();
  await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);
  await s.untilEnd();
  expectCompleted(s);
  return { sessionId, requestId };
}
