import type { DecisionKind, HitlRequest } from '../../contract/hitl.types';
import type { AuraEvent } from '../../contract/run.types';

export interface AgentRun {
  sessionId: string;
  tenantId: string;
  userId: string;
  prompt: string;
  /** From POST /aura/runs (an object up to 8 KB); {} otherwise. */
  metadata: Record<string, unknown>;
}

export interface AgentContext {
  run: AgentRun;
  /** The state the last written step returned (undefined before the first step). JSON-serialisable. */
  state: unknown;
  /** Set on the first step after a human approved the request this agent asked for (with `editedParams` when they changed them: run with those). */
  approved?: HitlRequest;
  /** Set on the first step after a human responded to the request instead (`response`): the tool is not run, the agent goes on with the message. */
  responded?: HitlRequest;
  /** Every request of the group the run resumed on, as decided (approved or responded), in the order asked; `approved`/`responded` is the first. */
  decisions?: HitlRequest[];
  /** Streams text as it is produced; the engine batches chunks into `content` delta events. The step must still return the complete text as one `thought` or `content` event with the same `messageId`. */
  streamText(messageId: string, chunk: string): void;
  /** Aborted when the run is cancelled or the instance stops: stop work, the step will not be written. */
  signal: AbortSignal;
}

export type AgentStep =
  /** Events to write atomically with the new state; the engine then asks for the next step. */
  | { kind: 'continue'; events: AuraEvent[]; state: unknown }
  /** Writes `events` and the state, then a hitl request for the tool (and one for each of `more`, asked together: one group); the run pauses. On approval the next step gets `approved`, on a response `responded`; rejection, expiry and cancel end the run without another step. */
  | ({ kind: 'approval'; events: AuraEvent[]; state: unknown; more?: ApprovalAsk[] } & ApprovalAsk)
  /** Writes `events` and then done {status}. */
  | { kind: 'finish'; events: AuraEvent[]; state: unknown; status: 'completed' | 'failed' }
  /** The agent passed the run on to another process (AGENT=worker: the ready queue of external workers), which writes its next steps through the same store; this instance stops driving it and writes nothing. */
  | { kind: 'handed_off' };

/** One call a human is asked about. */
export interface ApprovalAsk {
  toolName: string;
  params: Record<string, unknown>;
  message: string;
  /** The tool's parameters (JSON Schema): what an edit is checked against. */
  paramsSchema?: Record<string, unknown>;
  /** What the human may answer; all four when omitted. */
  allowedDecisions?: DecisionKind[];
}

/** A step the engine writes (every kind but a hand-off). */
export type WritableStep = Exclude<AgentStep, { kind: 'handed_off' }>;

/** The agent behind a run. Each step is written atomically (events + state) before the next is asked for, so a run resumed on another instance continues from the stored state and never repeats a written step. */
export abstract class Agent {
  abstract step(ctx: AgentContext): Promise<AgentStep>;
}

/** An agent that cannot go on (its model failed after retries): the run ends with run_error {code, message} and done {failed}. */
export class AgentFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AgentFailure';
  }
}
