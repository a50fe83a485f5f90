import type { LoggedEvent } from './run.types';

/**
 * The one framing of live events on a run's events channel: each event is `<seq> <type> <json>`.
 * A message holds one event or several, one per line (a JSON text never holds a raw newline): a
 * step's events go out as one message. The scripts write the same fields (see the runs Lua); this
 * is the only reader.
 */
export const encodeLiveEvents = (events: LoggedEvent[]): string => events.map((e) => `${e.seq} ${e.type} ${e.json}`).join('\n');

/** The events of one message, in order; a line that is not an event is left out. */
export function decodeLiveEvents(message: string): LoggedEvent[] {
  const events: LoggedEvent[] = [];
  let start = 0;
  while (start < message.length) {
    const end = message.indexOf('\n', start);
    const event = decodeLine(message, start, end < 0 ? message.length : end);
    if (event) events.push(event);
    if (end < 0) break;
    start = end + 1;
  }
  return events;
}

function decodeLine(message: string, start: number, end: number): LoggedEvent | null {
  const first = message.indexOf(' ', start);
  const second = first > start && first < end ? message.indexOf(' ', first + 1) : -1;
  if (second < 0 || second >= end) return null;
  const seq = Number(message.slice(start, first));
  const type = message.slice(first + 1, second);
  if (!Number.isSafeInteger(seq) || seq < 1 || !/^[a-z_]{1,32}$/.test(type)) return null;
  return { seq, type, json: message.slice(second + 1, end) };
}
