/**
 * The conversation as the agent stores it in a run's state. The JSON shape is the one earlier
 * releases stored (the AI SDK's ModelMessage, as this agent wrote it), so a run paused by an older
 * instance resumes on a newer one: keep it, and translate to the wire only in chat-messages.ts.
 */
export type JSONValue = null | string | number | boolean | JSONValue[] | { [key: string]: JSONValue };

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ToolCallPart {
  type: 'tool-call';
  toolCallId: string;
  toolName: string;
  input: JSONValue;
}

export interface ToolResultPart {
  type: 'tool-result';
  toolCallId: string;
  toolName: string;
  /** A tool's value, or the error the model is told about so it can work around a failed call. */
  output: { type: 'json'; value: JSONValue } | { type: 'error-text'; value: string };
}

export type ConversationMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | TextPart[] }
  | { role: 'assistant'; content: string | Array<TextPart | ToolCallPart> }
  | { role: 'tool'; content: ToolResultPart[] };
