import type { AuraEvent } from '../run.types';

export interface AgentRun {
  sessionId: string;
  tenantId: string;
  userId: string;
  prompt: string;
}

/** What the agent does at one position of its run. */
export type AgentStep =
  | { kind: 'event'; event: AuraEvent }
  /** Pause for a human: the run resumes at the next position on approval and ends otherwise. */
  | { kind: 'approval'; toolName: string; params: Record<string, unknown>; message: string }
  | { kind: 'finish' };

/**
 * The agent behind a run. The engine calls `step` with the run's durable position and writes the
 * result atomically before asking for the next one, so a run taken over by another instance
 * resumes exactly where it stood: `step` must give the same answer for the same position (a real
 * agent keeps what it needs per position, e.g. in its own store keyed by session).
 */
export abstract class Agent {
  abstract step(run: AgentRun, cursor: number): Promise<AgentStep>;
}
