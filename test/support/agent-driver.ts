import type { HitlRequest } from '../../src/contract/hitl.types';
import { paramsDigest } from '../../src/hitl/params-digest';
import type { Agent, AgentRun, AgentStep } from '../../src/runs/agent/agent.port';
import type { AuraEvent } from '../../src/contract/run.types';

export interface StreamedChunk {
  messageId: string;
  chunk: string;
}

/** Where a drive stopped: paused on an approval, or finished. */
export interface DriveResult {
  /** The events written, in order, with the engine's own hitl and done events where it would put them. */
  events: AuraEvent[];
  chunks: StreamedChunk[];
  /** The stored state, as it came back from JSON. */
  state: unknown;
  last: AgentStep;
  steps: number;
}

export const testRun = (prompt = 'Find the open incidents and email their owner'): AgentRun => ({
  sessionId: 'sess-1',
  tenantId: 'tenant-1',
  userId: 'user-1',
  prompt,
  metadata: {},
});

/** The HITL request an engine would hand back after a human approved `step`. */
export function approvalOf(step: AgentStep, run: AgentRun = testRun()): HitlRequest {
  if (step.kind !== 'approval') throw new Error(`Expected an approval step, got ${step.kind}`);
  const now = new Date().toISOString();
  return { requestId: 'req-1', sessionId: run.sessionId, tenantId: run.tenantId, userId: run.userId, toolName: step.toolName, params: step.params, message: step.message, status: 'approved', createdAt: now, expiresAt: now, decidedAt: now, decidedBy: 'approver-1', allowedDecisions: ['approve', 'edit', 'reject', 'respond'], paramsDigest: paramsDigest(step.params), groupId: 'req-1', groupSize: 1 };
}

/**
 * Drives an agent the way the engine does: step, "write" the events and the state (through JSON,
 * as a store would), ask for the next step, until the run pauses for approval or finishes.
 */
export async function drive(
  agent: Agent,
  opts: { run?: AgentRun; state?: unknown; approved?: HitlRequest; signal?: AbortSignal; maxSteps?: number } = {},
): Promise<DriveResult> {
  const run = opts.run ?? testRun();
  const events: AuraEvent[] = [];
  const chunks: StreamedChunk[] = [];
  let state = opts.state;
  let approved = opts.approved;
  for (let steps = 1; steps <= (opts.maxSteps ?? 50); steps++) {
    const step = await agent.step({
      run,
      state,
      approved,
      signal: opts.signal ?? new AbortController().signal,
      streamText: (messageId, chunk) => chunks.push({ messageId, chunk }),
    });
    approved = undefined;
    if (step.kind === 'handed_off') throw new Error('This driver runs agents in-process; a hand-off is for workers');
    events.push(...step.events);
    state = JSON.parse(JSON.stringify(step.state)) as unknown;
    if (step.kind === 'approval') {
      events.push({ type: 'hitl', data: { toolName: step.toolName, params: step.params, message: step.message } });
      return { events, chunks, state, last: step, steps };
    }
    if (step.kind === 'finish') {
      events.push({ type: 'done', data: { status: step.status } });
      return { events, chunks, state, last: step, steps };
    }
  }
  throw new Error('The agent neither paused nor finished');
}

/** The streamed text of each message, by messageId. */
export function streamedText(chunks: StreamedChunk[]): Map<string, string> {
  const texts = new Map<string, string>();
  for (const { messageId, chunk } of chunks) texts.set(messageId, (texts.get(messageId) ?? '') + chunk);
  return texts;
}
