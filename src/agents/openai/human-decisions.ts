import type { HitlRequest } from '../../contract/hitl.types';
import type { AgentContext } from '../../runs/agent/agent.port';
import type { HumanDecision, OpenAiAgentState, PendingCall } from './agent-state';
import type { JSONValue, ToolResultPart } from './conversation';

/**
 * Files the decisions of the group the run resumed on under the calls they answer (the requests
 * were asked in the order of `asked`), once: the state then says what to do with each call, so a
 * step repeated after a crash does the same.
 */
export function recordDecisions(s: OpenAiAgentState, ctx: AgentContext): void {
  const first = ctx.approved ?? ctx.responded;
  const decisions = ctx.decisions ?? (first ? [first] : undefined);
  if (!s.asked || !decisions) return;
  const decided: Record<string, HumanDecision> = { ...s.decided };
  decisions.forEach((req, i) => {
    const call = s.pending.find((c) => c.id === s.asked?.[i]);
    if (call && call.toolName === req.toolName) decided[call.id] = fromRequest(req);
  });
  s.decided = decided;
  s.asked = undefined;
}

/** The decision on a call: from the state, or (a run paused before v1.3, one call at a time) the request the run resumed on. */
export function decisionOn(s: OpenAiAgentState, call: PendingCall, ctx: AgentContext): HumanDecision | undefined {
  const filed = s.decided?.[call.id];
  if (filed) return filed;
  const awaited = s.awaiting !== undefined && (s.awaiting === call.id || s.awaiting === call.callId);
  const req = ctx.approved ?? ctx.responded;
  return awaited && req && req.toolName === call.toolName ? fromRequest(req) : undefined;
}

const fromRequest = (req: HitlRequest): HumanDecision =>
  req.status === 'responded'
    ? { status: 'responded', response: req.response ?? '' }
    : { status: 'approved', ...(req.editedParams ? { editedParams: req.editedParams } : {}) };

/** The result the model gets for a call a human replied to instead of letting it run: the reply, so it can try again. */
export function responseResult(call: PendingCall, message: string): ToolResultPart {
  return { type: 'tool-result', toolCallId: call.callId, toolName: call.toolName, output: { type: 'error-text', value: `This call was not run. A human reviewed it and replied instead: ${message}` } };
}

/**
 * The result the model gets for a call: with edits, it says so, or the model would report its
 * own arguments as what ran. A failed tool goes back as an error it can work around, not as the run's end.
 */
export function callResult(call: PendingCall, outcome: { ok: true; value: JSONValue } | { ok: false; error: string }, edited?: Record<string, unknown>): ToolResultPart {
  const note = edited ? `A human approver changed the arguments before this call ran; it ran with ${JSON.stringify(edited)}` : '';
  const output: ToolResultPart['output'] = outcome.ok
    ? { type: 'json', value: note ? { humanEdited: true, note, result: outcome.value } : outcome.value }
    : { type: 'error-text', value: note ? `${note}. It failed: ${outcome.error}` : outcome.error };
  return { type: 'tool-result', toolCallId: call.callId, toolName: call.toolName, output };
}
