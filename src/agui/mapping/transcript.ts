import type { Message } from '@ag-ui/core';

/**
 * The thread's conversation as AG-UI messages, built from the run's log, for MESSAGES_SNAPSHOT.
 * Ids are the ones the streamed events use, so a snapshot replaces what a client built from the
 * stream instead of adding beside it.
 */
export class Transcript {
  private readonly messages: Message[] = [];

  constructor(user: { id: string; content: string }) {
    this.messages.push({ id: user.id, role: 'user', content: user.content });
  }

  text(id: string, content: string): void {
    this.messages.push({ id, role: 'assistant', content });
  }

  reasoning(id: string, content: string): void {
    this.messages.push({ id, role: 'reasoning', content });
  }

  toolCall(toolCallId: string, name: string, args: string): void {
    this.messages.push({ id: `call-${toolCallId}`, role: 'assistant', toolCalls: [{ id: toolCallId, type: 'function', function: { name, arguments: args } }] });
  }

  toolResult(toolCallId: string, content: string, error?: string): void {
    this.messages.push({ id: resultMessageId(toolCallId), role: 'tool', toolCallId, content, ...(error !== undefined ? { error } : {}) });
  }

  snapshot(): Message[] {
    return structuredClone(this.messages);
  }
}

export const resultMessageId = (toolCallId: string): string => `result-${toolCallId}`;
