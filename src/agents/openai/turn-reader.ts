import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { AgentFailure } from '../../runs/agent/agent.port';
import type { ModelAnswer, ModelToolCall } from './model-answer';
import { WellFormedStream, wellFormed, wellFormedJson } from './well-formed';

/** What one model answer may hold; counted as it streams, so an oversized answer is never buffered whole. */
export interface AnswerBounds {
  maxToolCalls: number;
  maxToolArgsBytes: number;
  maxAnswerBytes: number;
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** A stream cut short (no finish_reason): it may have lost text or arguments, so the turn is asked again. */
export class StreamUnfinished extends Error {
  constructor() {
    super('The model stream ended without finishing');
    this.name = 'StreamUnfinished';
  }
}

/**
 * Puts one streamed turn together: text pieces as they come (each handed on at once), tool calls
 * from their fragments (the id and name come first, the arguments in pieces, all under the call's
 * index), and whether the endpoint said the turn was finished. Past a bound it throws AgentFailure
 * with the bound's code at once; the caller then drops the stream.
 */
export class TurnReader {
  private text = '';
  private readonly textStream = new WellFormedStream();
  private readonly calls = new Map<number, { id: string; name: string; args: string; argsBytes: number }>();
  private answerBytes = 0;
  private finished = false;

  constructor(
    private readonly attempt: number,
    private readonly bounds: AnswerBounds,
    private readonly onText: (attempt: number, chunk: string) => void,
  ) {}

  read(chunk: ChatCompletionChunk): void {
    // The usage chunk that ends a stream has no choices.
    const choice = chunk.choices?.[0];
    if (!choice) return;
    const delta = choice.delta ?? {};
    // Reasoning some endpoints stream beside the text (reasoning_content, reasoning) is not kept, but
    // it is part of the answer's weight: an endless stream of it is cut like endless text.
    const reasoning = (delta as { reasoning_content?: unknown; reasoning?: unknown }).reasoning_content ?? (delta as { reasoning?: unknown }).reasoning;
    if (typeof reasoning === 'string') this.count(bytes(reasoning));
    if (typeof delta.content === 'string' && delta.content !== '') {
      this.count(bytes(delta.content));
      this.emit(this.textStream.push(delta.content));
    }
    for (const fragment of delta.tool_calls ?? []) {
      const index = this.indexOf(fragment);
      let call = this.calls.get(index);
      if (!call) {
        if (this.calls.size >= this.bounds.maxToolCalls) {
          throw new AgentFailure('too_many_tool_calls', `The model asked for more than ${this.bounds.maxToolCalls} tool calls in one turn`);
        }
        call = { id: '', name: '', args: '', argsBytes: 0 };
        this.calls.set(index, call);
      }
      if (fragment.id) call.id = fragment.id;
      if (fragment.function?.name && !call.name) call.name = fragment.function.name;
      const args = fragment.function?.arguments;
      if (args) {
        const n = bytes(args);
        call.argsBytes += n;
        if (call.argsBytes > this.bounds.maxToolArgsBytes) {
          throw new AgentFailure('tool_arguments_too_large', `The arguments of a ${wellFormed(call.name) || 'tool'} call exceed ${this.bounds.maxToolArgsBytes} bytes`);
        }
        this.count(n);
        call.args += args;
      }
    }
    if (choice.finish_reason) this.finished = true;
  }

  private count(n: number): void {
    this.answerBytes += n;
    if (this.answerBytes > this.bounds.maxAnswerBytes) {
      throw new AgentFailure('answer_too_large', `The model's answer exceeds ${this.bounds.maxAnswerBytes} bytes`);
    }
  }

  private emit(text: string): void {
    if (text === '') return;
    this.text += text;
    this.onText(this.attempt, text);
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
    if (!this.finished) throw new StreamUnfinished();
    this.emit(this.textStream.end());
    const toolCalls = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => readToolCall(wellFormed(c.id) || `call_${index}`, wellFormed(c.name), c.args));
    return { attempt: this.attempt, text: this.text, toolCalls };
  }
}

/**
 * A tool call's arguments (JSON text); arguments that are not JSON are kept, marked invalid. Every
 * string in them is made well-formed: an escaped lone surrogate (`"\ud800"`) parses into one.
 */
function readToolCall(callId: string, toolName: string, inputText: string): ModelToolCall {
  try {
    return { callId, toolName, input: inputText.trim() === '' ? {} : wellFormedJson(JSON.parse(wellFormed(inputText))) };
  } catch {
    return { callId, toolName, input: {}, invalid: 'The arguments are not valid JSON' };
  }
}
