import type { LoggedEvent } from './run.types';

/**
 * The one framing of a live event on a run's events channel: `<seq> <type> <json>`. The Redis
 * scripts write the same three fields (see the runs Lua); this is the only reader.
 */
export const encodeLiveEvent = (e: LoggedEvent): string => `${e.seq} ${e.type} ${e.json}`;

export function decodeLiveEvent(message: string): LoggedEvent | null {
  const first = message.indexOf(' ');
  const second = first > 0 ? message.indexOf(' ', first + 1) : -1;
  if (second < 0) return null;
  const seq = Number(message.slice(0, first));
  const type = message.slice(first + 1, second);
  if (!Number.isSafeInteger(seq) || seq < 1 || !/^[a-z_]{1,32}$/.test(type)) return null;
  return { seq, type, json: message.slice(second + 1) };
}
