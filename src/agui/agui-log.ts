import type { LoggedEvent } from '../contract/run.types';
import type { AuraLogEvent } from './mapping/aura-to-agui';

/** A log entry as the mapper reads it; a line that is not `{type, data}` (never written by this service) reads as nothing. */
export function parseLogged(e: LoggedEvent): AuraLogEvent | null {
  try {
    const parsed = JSON.parse(e.json) as { type?: unknown; data?: unknown };
    if (typeof parsed.type !== 'string' || !parsed.data || typeof parsed.data !== 'object') return null;
    return { seq: e.seq, type: parsed.type, data: parsed.data as Record<string, unknown> };
  } catch {
    return null;
  }
}

const isRequest = (e: AuraLogEvent) => e.type === 'hitl' && e.data.requiresApproval === true;
const isDecision = (e: AuraLogEvent) => e.type === 'hitl' && e.data.requiresApproval !== true;

/**
 * Where a POST's AG-UI run starts in the log: the seq its window streams after.
 *
 * - `requestId` given (a resume): just after that request's pause (the last request of its group),
 *   so the window opens with the decision and goes on with the continuation.
 * - none (a first POST or an attach): after the last pause that has been decided; when the last
 *   pause is still open, just before it, so the window is that pause again (its interrupts).
 *
 * Returns null when `requestId` is not in the log.
 */
export function windowStart(events: AuraLogEvent[], requestId?: string): number | null {
  let last = -1;
  for (let i = events.length - 1; i >= 0; i--) {
    if (isRequest(events[i]) && (requestId === undefined || events[i].data.requestId === requestId)) {
      last = i;
      break;
    }
  }
  if (last < 0) return requestId === undefined ? 0 : null;
  // The pause is the run of request events written together (one group).
  let first = last;
  const groupId = events[last].data.groupId;
  while (groupId !== undefined && first > 0 && isRequest(events[first - 1]) && events[first - 1].data.groupId === groupId) first--;
  while (groupId !== undefined && last + 1 < events.length && isRequest(events[last + 1]) && events[last + 1].data.groupId === groupId) last++;
  if (requestId !== undefined) return events[last].seq;
  const ids = new Set(events.slice(first, last + 1).map((e) => e.data.requestId));
  const decided = new Set(events.slice(last + 1).filter(isDecision).map((e) => e.data.requestId));
  const open = [...ids].some((id) => !decided.has(id));
  return open ? events[first].seq - 1 : events[last].seq;
}
