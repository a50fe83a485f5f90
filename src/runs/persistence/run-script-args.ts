import { logKind, serializeEvent } from '../../contract/events';
import { requestToFields } from '../../hitl/persistence/request-fields.codec';
import { CancelInput, EVENT_LOG_MAX, StepWrite } from './run-store.port';

/**
 * The one JSON argument of the APPEND and CANCEL scripts (runs.lua.ts), by name instead of by
 * position. Positions and seqs are strings, compared as Redis stores them; a field left out means
 * "none" or "unchanged" (cjson reads JSON null as a value, so none is ever sent).
 */
export interface AppendArgs {
  sid: string;
  owner: string;
  expectCursor: string;
  expectSeq: string;
  nextCursor: string;
  status: string;
  /** [type, frame JSON] per event. */
  events: [string, string][];
  broadcasts: string[];
  maxlen: number;
  ttl: number;
  /** One request's fields, or a group's (the first one's id is the group's). */
  request?: Record<string, string> | Record<string, string>[];
  deadlineMs?: string;
  /** The agent's state as JSON, stored as it is. */
  state?: string;
  approvedRequestId: string;
  expectDecided?: { requestId: string; status: string };
  receipt?: string;
}

export interface CancelArgs {
  sid: string;
  tenantId: string;
  expectStatus: string;
  expectRequest?: { requestId: string; status: string };
  decidedBy: string;
  now: string;
  events: [string, string][];
  broadcasts: string[];
  maxlen: number;
  ttl: number;
  /** The other requests of the expected request's group, [requestId, status] as read: pending ones are cancelled too. */
  others?: [string, string][];
}

const eventPairs = (events: StepWrite['events']): [string, string][] => events.map((e) => [logKind(e), serializeEvent(e)]);

export function appendArgs(s: StepWrite, ttl: number): string {
  const req = s.request;
  const args: AppendArgs = {
    sid: s.sessionId,
    owner: s.owner,
    expectCursor: String(s.expectCursor),
    expectSeq: String(s.expectSeq),
    nextCursor: String(s.nextCursor),
    status: s.status,
    events: eventPairs(s.events),
    broadcasts: s.broadcasts,
    maxlen: EVENT_LOG_MAX,
    ttl,
    request: req ? (s.group?.length ? [req, ...s.group].map(requestToFields) : requestToFields(req)) : undefined,
    deadlineMs: req ? String(Date.parse(req.expiresAt)) : undefined,
    state: s.state === undefined ? undefined : JSON.stringify(s.state),
    approvedRequestId: s.approvedRequestId ?? '',
    expectDecided: s.expectDecided,
    receipt: s.receipt || undefined,
  };
  return JSON.stringify(args);
}

export function cancelArgs(c: CancelInput, ttl: number): string {
  const args: CancelArgs = {
    sid: c.sessionId,
    tenantId: c.tenantId,
    expectStatus: c.expectStatus,
    expectRequest: c.expectRequestId ? { requestId: c.expectRequestId, status: c.expectRequestStatus ?? '' } : undefined,
    decidedBy: c.decidedBy,
    now: c.now,
    events: eventPairs(c.events),
    broadcasts: c.broadcasts,
    maxlen: EVENT_LOG_MAX,
    ttl,
    others: c.others?.length ? c.others.map((o): [string, string] => [o.requestId, o.status]) : undefined,
  };
  return JSON.stringify(args);
}
