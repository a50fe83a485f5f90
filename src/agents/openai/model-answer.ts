/** One tool call of a model answer, as read from the stream. */
export interface ModelToolCall {
  callId: string;
  toolName: string;
  input: unknown;
  /** Set when the call's arguments could not be read (not JSON). */
  invalid?: string;
}

export interface ModelAnswer {
  /** The attempt (1-based) that produced this answer: its streamed text is the answer's. */
  attempt: number;
  text: string;
  toolCalls: ModelToolCall[];
}
