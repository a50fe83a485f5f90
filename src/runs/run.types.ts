/** The wire types of a run: SSE events, the run record, its terminal statuses (CONTRACT.md "SSE frames"). */

export type EventType = 'thought' | 'plan_step' | 'tool_execution' | 'hitl' | 'content' | 'error' | 'done';
export const EVENT_TYPES: readonly EventType[] = ['thought', 'plan_step', 'tool_execution', 'hitl', 'content', 'error', 'done'];

export type RunStatus = 'running' | 'paused' | 'completed' | 'rejected' | 'expired' | 'cancelled' | 'failed';
export type DoneStatus = 'completed' | 'rejected' | 'expired' | 'cancelled' | 'failed';
export const TERMINAL_STATUSES: readonly RunStatus[] = ['completed', 'rejected', 'expired', 'cancelled', 'failed'];

export interface AuraEvent {
  type: EventType;
  data: Record<string, unknown>;
}

/** An event as it is stored in the run's log: its seq (the SSE id) and its JSON `{"type","data"}`. */
export interface LoggedEvent {
  seq: number;
  json: string;
}

export interface RunRecord {
  sessionId: string;
  tenantId: string;
  userId: string;
  prompt: string;
  status: RunStatus;
  /** The agent's position: the index of the next step to run. */
  cursor: number;
  /** The seq of the last event in the log. */
  seq: number;
  /** The request the run waits on while paused. */
  requestId: string | null;
  /** The instance that drives the run. */
  owner: string;
  createdAt: string;
}

export const isTerminal = (status: RunStatus): boolean => TERMINAL_STATUSES.includes(status);

export const serializeEvent = (event: AuraEvent): string => JSON.stringify({ type: event.type, data: event.data });
