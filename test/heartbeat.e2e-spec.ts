import { createParser, EventSourceMessage } from 'eventsource-parser';
import { startApp, TestApp, uniqueId } from './support/app';
import { waitFor } from './support/process';
import { SseClient } from './support/sse';
import { authHeaders } from './support/tokens';

/**
 * The SSE heartbeat must be invisible to every client: a comment line, never an event.
 *
 * Python's httpx-sse (SSEDecoder.decode) dispatches an event on EVERY blank line once it has seen
 * an `id:` (it keeps the last id, as the spec says, and then treats "an id is set" as "there is an
 * event"), so our `: ping\n\n` after event 7 reaches a naive client as an empty `message` event and
 * its json.loads("") fails. The decoder below does the same, line by line, as a stand-in.
 */
function httpxSseLikeEvents(raw: string): { event: string; data: string; id: string }[] {
  const out: { event: string; data: string; id: string }[] = [];
  let event = '';
  let data: string[] = [];
  let id = '';
  let retry: number | undefined;
  for (const line of raw.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (!event && !data.length && !id && retry === undefined) continue;
      out.push({ event: event || 'message', data: data.join('\n'), id });
      event = '';
      data = [];
      retry = undefined;
      continue;
    }
    if (line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  }
  return out;
}

describe('SSE heartbeat bytes', () => {
  let app: TestApp;
  let raw: string;

  beforeAll(async () => {
    app = await startApp({ SSE_HEARTBEAT_SECONDS: '1' });
    const s = new SseClient(`${app.url}/aura/test/stream?sessionId=${uniqueId('hb')}`, authHeaders());
    try {
      await s.hitlRequest();
      // Two heartbeats while the run is paused (after event 7 has set the last event id).
      const after = s.raw.length;
      await waitFor(() => s.raw.slice(after).split(': ping').length > 2, 5000, 'two heartbeats');
      raw = s.raw;
    } finally {
      s.close();
    }
  });
  afterAll(() => app.close());

  it('is a comment that a spec-compliant parser (eventsource-parser) turns into no event', () => {
    const events: EventSourceMessage[] = [];
    const comments: string[] = [];
    const parser = createParser({ onEvent: (e) => events.push(e), onComment: (c) => comments.push(c) });
    parser.feed(raw);
    expect(comments.filter((c) => c.trim() === 'ping').length).toBeGreaterThanOrEqual(2);
    expect(events.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(events.every((e) => e.event && e.data !== '')).toBe(true);
  });

  // Expected to pass once src/stream/stream.service.ts sends the heartbeat as a bare comment line,
  // `: ping\n` with NO blank line after it (Nest's MessageEvent {comment: 'ping'} always adds one:
  // `: ping\n\n`). Skipped until that change lands on main; see the report of issue 11.
  it.skip('is a bare comment line (no blank line after it), so no client that dispatches on blank lines sees an event', () => {
    const pings = [...raw.matchAll(/(^|\n): ping\n(\n?)/g)];
    expect(pings.length).toBeGreaterThanOrEqual(2);
    expect(pings.every((m) => m[2] === '')).toBe(true);
    const events = httpxSseLikeEvents(raw);
    expect(events.filter((e) => e.data === '')).toEqual([]);
    expect(events.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    for (const e of events) expect(() => JSON.parse(e.data)).not.toThrow();
  });

  it('today reaches an httpx-sse-like client as empty events (what the skipped test above fixes)', () => {
    // Documents the current bytes; delete this test when the one above is enabled.
    expect(raw).toMatch(/\n: ping\n\n/);
    expect(httpxSseLikeEvents(raw).filter((e) => e.data === '' && e.id === '7').length).toBeGreaterThanOrEqual(2);
  });
});
