/** The wire types of a run: SSE events, the run record, its terminal statuses. */

export type EventType = 'thought' | 'plan_step' | 'tool_execution' | 'hitl' | 'content' | 'run_error' | 'done';

export type RunStatus = 'running' | 'paused' | 'completed' | 'rejected' | 'expired' | 'cancelled' | 'failed';
export type DoneStatus = Exclude<RunStatus, 'running' | 'paused'>;
export const TERMINAL_STATUSES: readonly RunStatus[] = ['completed', 'rejected', 'expired', 'cancelled', 'failed'];

export interface AuraEvent {
  type: EventType;
  data: Record<string, unknown>;
}

/** An event as the run's log holds it: its seq (the SSE id), its kind (the type, or `delta`) and its JSON `{"type","data"}`. */
export interface LoggedEvent {
  seq: number;
  type: string;
  json: string;
}

export interface RunRecord {
  sessionId: string;
  tenantId: string;
  userId: string;
  prompt: string;
  /** From POST /aura/runs, passed to the agent; {} otherwise. */
  metadata: Record<string, unknown>;
  status: RunStatus;
  /** How many steps the run has written: a writer must name it, so no step is written twice. */
  cursor: number;
  /** The seq of the last event in the log. */
  seq: number;
  /** The request the run waits on while paused. */
  requestId: string | null;
  /** Set by the step that wrote an approval: the next step of the agent runs the approved tool. */
  approvedRequestId: string | null;
  /** The agent's state as the last step wrote it (JSON), undefined before the first. */
  state: unknown;
  /** The instance that drives the run (or the lease id of the worker that holds it). */
  owner: string;
  /** The last worker step's receipt (see worker/step-receipt.ts), so a retried step is answered, not written again. */
  receipt?: string;
  createdAt: string;
  /** When a step or a cancel last changed the run; createdAt until then. */
  updatedAt?: string;
  /** The AGENT the run was started under (absent on runs stored before it was recorded). */
  agent?: string;
}

export const RUN_STATUSES: readonly RunStatus[] = ['running', 'paused', 'completed', 'rejected', 'expired', 'cancelled', 'failed'];

export const isTerminal = (status: RunStatus): boolean => TERMINAL_STATUSES.includes(status);
