import type { AgentRun } from '../../runs/agent/agent.port';

/** A JSON Schema object describing a tool's parameters, sent to the model as is. */
export interface ToolParametersSchema {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
  additionalProperties?: boolean;
}

export interface ToolContext {
  run: AgentRun;
  /** Aura's id of the call, `tool-<turn>-<n>`: unique within the run (the model's own ids are not). */
  callId: string;
  /**
   * The run and the call: stored with the step that recorded the call, so the same on every retry,
   * after a crash and on another instance. A tool with side effects does them once per key (and
   * hands it on, e.g. as the Idempotency-Key of the API it calls).
   */
  idempotencyKey: string;
  signal: AbortSignal;
}

/**
 * A tool the model may call. Params come from the model, so `run` validates them and throws an
 * Error with a message the model can act on; the agent reports it as a failed tool_execution.
 */
export abstract class AgentTool {
  abstract readonly name: string;
  abstract readonly description: string;
  abstract readonly parameters: ToolParametersSchema;
  abstract run(params: Record<string, unknown>, ctx: ToolContext): Promise<unknown>;
}

/** The multi-provider token every tool is collected under (see agents.module.ts). */
export const AGENT_TOOLS = Symbol('AGENT_TOOLS');

/** Thrown for params the model got wrong: the message goes back to the model. */
export class ToolInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolInputError';
  }
}

export function optionalString(params: Record<string, unknown>, key: string): string | undefined {
  const value = params[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ToolInputError(`${key} must be a string`);
  return value;
}

export function requiredString(params: Record<string, unknown>, key: string): string {
  const value = optionalString(params, key);
  if (value === undefined || value.trim() === '') throw new ToolInputError(`${key} is required`);
  return value;
}
