import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ModelAnswer, ModelRequest, ModelToolCall } from './model-call';

/**
 * Puts one streamed turn together: text pieces as they come (each handed on at once), tool calls
 * from their fragments (the id and name come first, the arguments in pieces, all under the call's
 * index), and whether the endpoint said the turn was finished.
 */
export class TurnReader {
  private text = '';
  private readonly calls = new Map<number, { id: string; name: string; args: string }>();
  private finished = false;

  constructor(
    private readonly attempt: number,
    private readonly onText: ModelRequest['onText'],
  ) {}

  read(chunk: ChatCompletionChunk): void {
    // The usage chunk that ends a stream has no choices.
    const choice = chunk.choices?.[0];
    if (!choice) return;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content !== '') {
      this.text += delta.content;
      this.onText(this.attempt, delta.content);
    }
    for (const fragment of delta.tool_calls ?? []) {
      const index = this.indexOf(fragment);
      const call = this.calls.get(index) ?? { id: '', name: '', args: '' };
      if (fragment.id) call.id = fragment.id;
      if (fragment.function?.name && !call.name) call.name = fragment.function.name;
      if (fragment.function?.arguments) call.args += fragment.function.arguments;
      this.calls.set(index, call);
    }
    if (choice.finish_reason) this.finished = true;
  }

  /**
   * The call a fragment belongs to. Some endpoints (Gemini's OpenAI-compatible one) send no index:
   * there a fragment with a new id starts the next call, and one without continues the last.
   */
  private indexOf(fragment: { index?: number; id?: string }): number {
    if (typeof fragment.index === 'number') return fragment.index;
    const last = this.calls.size - 1;
    const current = this.calls.get(last);
    return last < 0 || (fragment.id && current?.id && fragment.id !== current.id) ? last + 1 : last;
  }

  answer(): ModelAnswer {
    // A stream cut short (no finish_reason) may have lost text or arguments: the turn is asked again.
    if (!this.finished) throw new Error('The model stream ended without finishing');
    const toolCalls = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => readToolCall(c.id || `call_${index}`, c.name, c.args));
    return { attempt: this.attempt, text: this.text, toolCalls };
  }
}

/** A tool call's arguments (JSON text); arguments that are not JSON are kept, marked invalid. */
function readToolCall(callId: string, toolName: string, inputText: string): ModelToolCall {
  try {
    return { callId, toolName, input: inputText.trim() === '' ? {} : JSON.parse(inputText) };
  } catch {
    return { callId, toolName, input: {}, invalid: 'The arguments are not valid JSON' };
  }
}
