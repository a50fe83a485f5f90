import OpenAI, { APIError } from 'openai';
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentFailure } from '../../runs/agent/agent.port';
import { toChatMessages } from './chat-messages';
import type { ConversationMessage } from './conversation';
import { TurnReader } from './turn-reader';

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
  client: OpenAI;
  model: string;
  system: string;
  messages: ConversationMessage[];
  tools: ChatCompletionFunctionTool[];
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
const isPermanent = (err: unknown): boolean =>
  err instanceof APIError && err.status !== undefined && err.status >= 400 && err.status < 500 && ![408, 409, 429].includes(err.status);

const describe = (err: unknown): string => {
  if (err instanceof APIError && err.status !== undefined) return `HTTP ${err.status}: ${err.message}`;
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
    const stream = await req.client.chat.completions.create(
      {
        model: req.model,
        messages: toChatMessages(req.system, req.messages),
        ...(req.tools.length ? { tools: req.tools, tool_choice: 'auto' as const } : {}),
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal: controller.signal, maxRetries: 0 },
    );
    const turn = new TurnReader(attempt, req.onText);
    for await (const chunk of stream) {
      timer.refresh();
      turn.read(chunk);
    }
    if (controller.signal.aborted) throw controller.signal.reason ?? new Error('The model call was aborted');
    return turn.answer();
  } catch (err) {
    if (timedOut) throw new ModelTimeout(req.timeoutMs);
    throw err;
  } finally {
    clearTimeout(timer);
    req.signal.removeEventListener('abort', forward);
  }
}
