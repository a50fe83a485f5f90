import { MAX_PARAMS_BYTES } from '../../contract/hitl.types';
import { AgentFailure } from '../../runs/agent/agent.port';
import type { ToolRegistry } from '../tools/tool-registry';
import { OpenAiAgentState, PendingCall, idempotencyKeyOf, toJsonValue } from './agent-state';
import type { ConversationMessage, TextPart, ToolCallPart } from './conversation';
import type { ModelAnswer } from './model-answer';
import { wellFormed } from './well-formed';

const MAX_PARAMS_IN_MESSAGE = 1000;

/**
 * The model's calls of one turn as the agent runs them: each under Aura's own id `tool-<turn>-<n>`
 * (unique within the run, which the model's ids are not) and its idempotency key. A call that cannot
 * run (not JSON, not an object, an unknown tool) is kept, marked invalid: it fails and the model is told.
 */
export function pendingCalls(sessionId: string, turn: number, answer: ModelAnswer, tools: ToolRegistry, needsApproval: (toolName: string) => boolean): PendingCall[] {
  return answer.toolCalls.map((call, index) => {
    const id = `tool-${turn}-${index + 1}`;
    const base = { id, callId: call.callId, toolName: call.toolName, idempotencyKey: idempotencyKeyOf(sessionId, id) };
    if (call.invalid) return { ...base, params: {}, invalid: `The call could not be used: ${call.invalid}` };
    // Never ask a human to approve a tool that does not exist (HITL_TOOLS may name one).
    if (!tools.get(call.toolName)) return { ...base, params: {}, invalid: `There is no tool named ${call.toolName}` };
    const input = call.input;
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ...base, params: {}, invalid: 'The arguments must be a JSON object' };
    const params = toJsonValue(input) as Record<string, unknown>;
    // Approval params weigh at most what a worker's may: they become the request.
    if (needsApproval(call.toolName) && Buffer.byteLength(JSON.stringify(params), 'utf8') > MAX_PARAMS_BYTES) {
      throw new AgentFailure('approval_params_too_large', `The arguments of a ${call.toolName} call that needs approval exceed ${MAX_PARAMS_BYTES} bytes`);
    }
    return { ...base, params };
  });
}

/** The model's turn as the conversation keeps it. */
export function assistantMessage(answer: ModelAnswer): ConversationMessage {
  const content: Array<TextPart | ToolCallPart> = [];
  if (answer.text) content.push({ type: 'text', text: answer.text });
  for (const c of answer.toolCalls) content.push({ type: 'tool-call', toolCallId: c.callId, toolName: c.toolName, input: toJsonValue(c.input) });
  return { role: 'assistant', content };
}

/** The tool calls of the current turn, from its assistant message (the latest one). */
export function callsOfTurn(s: OpenAiAgentState): ToolCallPart[] {
  const last = [...s.messages].reverse().find((m) => m.role === 'assistant');
  if (!last || typeof last.content === 'string') return [];
  return last.content.filter((p): p is ToolCallPart => p.type === 'tool-call');
}

/** Why the human is asked: the model's text of the turn, then the call. */
export function approvalMessage(s: OpenAiAgentState, call: PendingCall): string {
  let params = JSON.stringify(call.params);
  // The cut may split a surrogate pair: what is stored must stay valid Unicode.
  if (params.length > MAX_PARAMS_IN_MESSAGE) params = `${wellFormed(params.slice(0, MAX_PARAMS_IN_MESSAGE))}…`;
  const ask = `The agent wants to call ${call.toolName} with ${params}.`;
  return s.turnText.trim() ? `${s.turnText.trim()}\n\n${ask}` : ask;
}
