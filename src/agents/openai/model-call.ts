import type { LanguageModelV3, LanguageModelV3FunctionTool } from '@ai-sdk/provider';
import { APICallError, ModelMessage } from 'ai';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentFailure } from '../../runs/agent/agent.port';
import { toProviderPrompt } from './provider-prompt';

export const MAX_ATTEMPTS = 4;
const BACKOFF_BASE_MS = 200;

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

export interface ModelRequest {
  model: LanguageModelV3;
  system: string;
  messages: ModelMessage[];
  tools: LanguageModelV3FunctionTool[];
  /** The longest the endpoint may stay silent: before its first chunk and between chunks. */
  timeoutMs: number;
  signal: AbortSignal;
  /** Called for each text piece of the given attempt (1-based) as it arrives. */
  onText(attempt: number, chunk: string): void;
}

/** The endpoint stayed silent longer than timeoutMs. */
class ModelTimeout extends Error {
  constructor(timeoutMs: number) {
    super(`The model endpoint sent nothing for ${timeoutMs} ms`);
    this.name = 'ModelTimeout';
  }
}

/** A 4xx other than 408/409/429: asking again would get the same answer. */
const isPermanent = (err: unknown): boolean => APICallError.isInstance(err) && !err.isRetryable;

const describe = (err: unknown): string => {
  if (APICallError.isInstance(err)) return err.statusCode ? `HTTP ${err.statusCode}: ${err.message}` : err.message;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
};

/**
 * One model turn, retried with short exponential backoff: refused connections, 5xx, silence past
 * timeoutMs and broken streams are usually passing, and a run that fails for one of them costs the
 * user more than a second of waiting. After MAX_ATTEMPTS the agent gives up with AgentFailure.
 * An abort of `signal` ends it at once with the signal's reason, never with AgentFailure.
 */
export async function callModel(req: ModelRequest): Promise<ModelAnswer> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    req.signal.throwIfAborted();
    try {
      return await streamOnce(req, attempt);
    } catch (err) {
      req.signal.throwIfAborted();
      lastError = err;
      if (isPermanent(err)) break;
      if (attempt < MAX_ATTEMPTS) {
        // Cancelled while waiting: end with the signal's reason, as an abort during a call does.
        await sleep(BACKOFF_BASE_MS * 2 ** (attempt - 1), undefined, { signal: req.signal }).catch(() => req.signal.throwIfAborted());
      }
    }
  }
  throw new AgentFailure('agent_failed', `The model failed: ${describe(lastError)}`);
}

async function streamOnce(req: ModelRequest, attempt: number): Promise<ModelAnswer> {
  const controller = new AbortController();
  const forward = () => controller.abort(req.signal.reason);
  req.signal.addEventListener('abort', forward, { once: true });
  let timedOut = false;
  // The timeout is on silence: every part restarts it. refresh() moves the one timer along instead
  // of a clear and a new timer per token.
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new ModelTimeout(req.timeoutMs));
  }, req.timeoutMs);
  try {
    // The provider's own stream: streamText would add half a dozen web-stream transforms per chunk
    // (most of the CPU while 200 runs stream), for tool execution and steps this agent does itself.
    const { stream } = await req.model.doStream({ prompt: toProviderPrompt(req.system, req.messages), tools: req.tools, toolChoice: { type: 'auto' }, abortSignal: controller.signal });
    let text = '';
    const toolCalls: ModelToolCall[] = [];
    let finished = false;
    for await (const part of stream) {
      timer.refresh();
      switch (part.type) {
        case 'text-delta':
          text += part.delta;
          req.onText(attempt, part.delta);
          break;
        case 'tool-call':
          toolCalls.push(readToolCall(part.toolCallId, part.toolName, part.input));
          break;
        case 'error':
          throw part.error;
        case 'finish':
          // The provider reports a stream it could not parse as finishReason 'error'.
          if (part.finishReason.unified === 'error') throw new Error('The model stream was malformed');
          finished = true;
          break;
      }
    }
    if (controller.signal.aborted) throw controller.signal.reason ?? new Error('The model call was aborted');
    if (!finished) throw new Error('The model stream ended without finishing');
    return { attempt, text, toolCalls };
  } catch (err) {
    if (timedOut) throw new ModelTimeout(req.timeoutMs);
    throw err;
  } finally {
    clearTimeout(timer);
    req.signal.removeEventListener('abort', forward);
  }
}

/** A tool call as the provider streams it (arguments as JSON text); arguments that are not JSON are kept, marked invalid. */
function readToolCall(callId: string, toolName: string, inputText: string): ModelToolCall {
  try {
    return { callId, toolName, input: inputText.trim() === '' ? {} : JSON.parse(inputText) };
  } catch {
    return { callId, toolName, input: {}, invalid: 'The arguments are not valid JSON' };
  }
}
