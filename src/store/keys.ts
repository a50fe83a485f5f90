/**
 * Redis key names (documented in README "Redis keys"). Every id in them was validated against
 * ID_PATTERN first. The Lua scripts build the same names from these prefixes.
 */
export const KEY = {
  run: (sessionId: string) => `aura:run:${sessionId}`,
  events: (sessionId: string) => `aura:run:${sessionId}:events`,
  eventsChannel: (sessionId: string) => `aura:events:${sessionId}`,
  request: (requestId: string) => `aura:hitl:request:${requestId}`,
  signals: (sessionId: string) => `aura:hitl:signals:${sessionId}`,
  deadlines: 'aura:hitl:deadlines',
  index: (tenantId: string, status: string) => `aura:hitl:index:${tenantId}:${status}`,
  instances: 'aura:instances',
  instanceRuns: (instanceId: string) => `aura:instance:${instanceId}:runs`,
  ticket: (ticket: string) => `aura:ticket:${ticket}`,
} as const;

/** How many events a run's log keeps (XADD MAXLEN ~). */
export const EVENT_LOG_MAX = 10000;
