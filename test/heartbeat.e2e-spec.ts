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
 * event"), so a `: ping\n\n` (what Nest writes for a comment) after event 7 would reach a naive client as an empty `message` event and
 * its json.loads("") fails. The decoder below does the same, line by line, as a stand-in.
 */
function httpxSseLikeEvents(raw: string): { event: string; data: string; id: string }[] {
  const out: { event: string; data: string; id: string }[] = [];
  let event = '';
  let data: string[] = [];
  let id = '';
  let retry: number | undefined;
  // The text after the last line break is not a line yet (a client reads whole lines).
  for (const line of raw.split(/\r\n|\r|\n/).slice(0, -1)) {
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
      // Heartbeats for over 5 s while the run is paused (after event 7 has set the last event id):
      // long enough for Nest's probe of paused sockets (`: \n\n` every 5 s) to show, were it sent.
      const after = s.raw.length;
      await waitFor(() => s.raw.slice(after).split(': ping').length > 6, 9000, 'six heartbeats');
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

  it('is a bare comment line (no blank line after it), so no client that dispatches on blank lines sees an event', () => {
    const pings = [...raw.matchAll(/(?<=^|\n): ping\n(\n?)/g)];
    expect(pings.length).toBeGreaterThanOrEqual(2);
    expect(pings.every((m) => m[1] === '')).toBe(true);
    const events = httpxSseLikeEvents(raw);
    expect(events.filter((e) => e.data === '')).toEqual([]);
    expect(events.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    for (const e of events) expect(() => JSON.parse(e.data)).not.toThrow();
  });
});
