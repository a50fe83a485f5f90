import type { ConversationMessage, JSONValue } from './conversation';
import { AgentFailure } from '../../runs/agent/agent.port';
import { wellFormedJson } from './well-formed';

/** A tool call the model made that has not run yet. */
export interface PendingCall {
  /** The tool_execution event id: unique within the run even when the endpoint reuses call ids. */
  id: string;
  /** The model's tool call id, which the tool result must answer. Not unique: an endpoint that sends none gets call_<index> in every turn. */
  callId: string;
  /**
   * What a tool with side effects does them once by: the run and `id`, stored with the step that
   * recorded the call, so a retry after a crash or on another instance passes the same key.
   * (Absent in states written before it existed: then derived the same way.)
   */
  idempotencyKey?: string;
  toolName: string;
  params: Record<string, unknown>;
  /** Why the call cannot run (unknown tool, arguments not a JSON object): it fails and the model is told. */
  invalid?: string;
}

/** What a human decided on one call (a rejection or an expiry ends the run: no step follows it). */
export interface HumanDecision {
  status: 'approved' | 'responded';
  editedParams?: Record<string, unknown>;
  response?: string;
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
  /** The id of pending[0] when it waits on a human (its callId in states written before); states written since v1.3 use `asked`. */
  awaiting?: string;
  /** The ids of the calls of this turn asked about in the current pause, in the order asked (one group of requests). */
  asked?: string[];
  /** The humans' decisions on this turn's calls, by call id, once the group was decided. */
  decided?: Record<string, HumanDecision>;
  /** Set by the step that ended the run failed: asked again, the agent only repeats that end. */
  failed?: { code: string; message: string };
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

/**
 * Tool results must survive JSON (undefined becomes null, Dates become strings, and so on) and be
 * valid Unicode, as everything stored must.
 */
export function toJsonValue(value: unknown): JSONValue {
  if (value === undefined) return null;
  return wellFormedJson(JSON.parse(JSON.stringify(value))) as JSONValue;
}

/** The key a call's side effects are done once by (see PendingCall.idempotencyKey). */
export const idempotencyKeyOf = (sessionId: string, callId: string) => `${sessionId}:${callId}`;

/** The state's size as stored (JSON, UTF-8 bytes). */
export const stateBytes = (s: OpenAiAgentState) => Buffer.byteLength(JSON.stringify(s), 'utf8');
