import { logKind, serializeEvent } from '../../contract/events';
import { requestToFields } from '../../hitl/persistence/request-fields.codec';
import { NAMES } from '../../redis/redis-names';
import { CancelInput, EVENT_LOG_MAX, StepWrite } from './run-store.port';

/**
 * The one JSON argument of the APPEND and CANCEL scripts (runs.lua.ts), by name instead of by
 * position, and the KEYS they are given (every key they touch, all in the session's slot).
 * Positions and seqs are strings, compared as Redis stores them; a field left out means "none" or
 * "unchanged" (cjson reads JSON null as a value, so none is ever sent).
 */
export interface ScriptCall {
  keys: string[];
  arg: string;
}

interface LiveArgs {
  /** [type, frame JSON] per event. */
  events: [string, string][];
  broadcasts: string[];
  broadcastChannel: string;
  maxlen: number;
  ttl: number;
  /** Return the live messages instead of publishing them (REDIS_WAIT_REPLICAS). */
  quiet?: boolean;
}

export interface AppendArgs extends LiveArgs {
  sid: string;
  owner: string;
  expectCursor: string;
  expectSeq: string;
  nextCursor: string;
  status: string;
  /** Indexes into KEYS: the decided request's, and the new requests' in order. */
  keys: { decided?: number; requests?: number[] };
  /** One request's fields, or a group's (the first one's id is the group's). */
  request?: Record<string, string> | Record<string, string>[];
  /** The agent's state as JSON, stored as it is. */
  state?: string;
  approvedRequestId: string;
  expectDecided?: { requestId: string; status: string };
  receipt?: string;
  /** The writer's clock (ms) for updatedMs and the TTL refresh. */
  nowMs: number;
  /** A run's end is kept in the outbox (a webhook must hear of it), not only applied. */
  keepRunEnd?: boolean;
}

export interface CancelArgs extends LiveArgs {
  sid: string;
  hitlChannel: string;
  /** Indexes into KEYS: the expected request's, and its group's others. */
  keys: { expected?: number; others?: number[] };
  tenantId: string;
  expectStatus: string;
  expectRequest?: { requestId: string; status: string };
  decidedBy: string;
  now: string;
  /** The other requests of the expected request's group, [requestId, status] as read: pending ones are cancelled too. */
  others?: [string, string][];
}

const eventPairs = (events: StepWrite['events']): [string, string][] => events.map((e) => [logKind(e), serializeEvent(e)]);

/** The keys every step write is given first: run, events, outbox, live channel. */
const stepKeys = (sid: string): string[] => [NAMES.run(sid), NAMES.events(sid), NAMES.changes(sid), NAMES.eventsChannel(sid)];

/** Adds keys to a KEYS list, answering their (1-based, as Lua counts) indexes. */
function addKeys(keys: string[], more: string[]): number[] {
  return more.map((k) => keys.push(k));
}

/** The one builder of a step write (the driver, the worker API and the takeover all write steps through the store). */
export function appendCall(s: StepWrite, ttl: number, quiet: boolean, keepRunEnd: boolean): ScriptCall {
  const keys = stepKeys(s.sessionId);
  const req = s.request;
  const requests = req ? (s.group?.length ? [req, ...s.group] : [req]) : [];
  const decided = s.expectDecided ? addKeys(keys, [NAMES.request(s.sessionId, s.expectDecided.requestId)])[0] : undefined;
  const requestKeys = requests.length ? addKeys(keys, requests.map((r) => NAMES.request(s.sessionId, r.requestId))) : undefined;
  const args: AppendArgs = {
    sid: s.sessionId,
    owner: s.owner,
    expectCursor: String(s.expectCursor),
    expectSeq: String(s.expectSeq),
    nextCursor: String(s.nextCursor),
    status: s.status,
    keys: { decided, requests: requestKeys },
    events: eventPairs(s.events),
    broadcasts: s.broadcasts,
    broadcastChannel: NAMES.broadcastChannel,
    maxlen: EVENT_LOG_MAX,
    ttl,
    quiet: quiet || undefined,
    request: req ? (s.group?.length ? requests.map(requestToFields) : requestToFields(req)) : undefined,
    state: s.state === undefined ? undefined : JSON.stringify(s.state),
    approvedRequestId: s.approvedRequestId ?? '',
    expectDecided: s.expectDecided,
    receipt: s.receipt || undefined,
    nowMs: Date.now(),
    keepRunEnd: keepRunEnd || undefined,
  };
  return { keys, arg: JSON.stringify(args) };
}

export function cancelCall(c: CancelInput, ttl: number, quiet: boolean): ScriptCall {
  const keys = [...stepKeys(c.sessionId), NAMES.signals(c.sessionId)];
  const expected = c.expectRequestId ? addKeys(keys, [NAMES.request(c.sessionId, c.expectRequestId)])[0] : undefined;
  const others = c.others?.length ? addKeys(keys, c.others.map((o) => NAMES.request(c.sessionId, o.requestId))) : undefined;
  const args: CancelArgs = {
    sid: c.sessionId,
    hitlChannel: NAMES.hitlChannel(c.sessionId),
    keys: { expected, others },
    tenantId: c.tenantId,
    expectStatus: c.expectStatus,
    expectRequest: c.expectRequestId ? { requestId: c.expectRequestId, status: c.expectRequestStatus ?? '' } : undefined,
    decidedBy: c.decidedBy,
    now: c.now,
    events: eventPairs(c.events),
    broadcasts: c.broadcasts,
    broadcastChannel: NAMES.broadcastChannel,
    maxlen: EVENT_LOG_MAX,
    ttl,
    quiet: quiet || undefined,
    others: c.others?.length ? c.others.map((o): [string, string] => [o.requestId, o.status]) : undefined,
  };
  return { keys, arg: JSON.stringify(args) };
}
