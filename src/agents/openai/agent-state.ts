import type { ConversationMessage, JSONValue } from './conversation';
import { AgentFailure } from '../../runs/agent/agent.port';

/** A tool call the model made that has not run yet. */
export interface PendingCall {
  /** The tool_execution event id: unique within the run even when the endpoint reuses call ids. */
  id: string;
  /** The model's tool call id, which the tool result must answer. */
  callId: string;
  toolName: string;
  params: Record<string, unknown>;
  /** Why the call cannot run (unknown tool, arguments not a JSON object): it fails and the model is told. */
  invalid?: string;
}

/**
 * Everything the agent knows about a run, stored by the engine after each step. A step reads it to
 * know where the run stands, so a resumed run neither asks the model again for a written turn nor
 * runs again a tool whose result is already in `messages`.
 */
export interface OpenAiAgentState {
  version: 1;
  /** The current model turn, from 1: its plan_step is in progress. */
  turn: number;
  /** Set by the step that wrote the final answer: asked again, the agent only repeats the finish. */
  finished?: boolean;
  /** The conversation: user prompt, assistant turns, tool results (see conversation.ts). */
  messages: ConversationMessage[];
  /** The current turn's tool calls not run yet, in the model's order. */
  pending: PendingCall[];
  /** The callId of pending[0] when it waits on a human. */
  awaiting?: string;
  /** The model's text of the current turn, which explains to the human why a tool is wanted. */
  turnText: string;
}

export function initialState(prompt: string): OpenAiAgentState {
  const content = prompt.trim() === '' ? '(The user gave no prompt.)' : prompt;
  return { version: 1, turn: 1, messages: [{ role: 'user', content }], pending: [], turnText: '' };
}

/**
 * Checks the shape of a stored state and copies it, so the step may change its copy freely while
 * the engine keeps the one it stored. A state this agent cannot read ends the run: guessing would
 * risk repeating a tool with side effects.
 */
export function readState(stored: unknown): OpenAiAgentState {
  const s = stored as Partial<OpenAiAgentState> | null;
  const ok =
    typeof s === 'object' &&
    s !== null &&
    s.version === 1 &&
    Number.isInteger(s.turn) &&
    Array.isArray(s.messages) &&
    Array.isArray(s.pending) &&
    typeof s.turnText === 'string';
  if (!ok) throw new AgentFailure('agent_state_invalid', 'The stored agent state is not one this agent wrote');
  return structuredClone(s as OpenAiAgentState);
}

/** Tool results must survive JSON: undefined becomes null, Dates become strings, and so on. */
export function toJsonValue(value: unknown): JSONValue {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) as JSONValue;
}
