import { Logger } from '@nestjs/common';
import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentFailure } from '../../runs/agent/agent.port';
import { ResponseTooLarge } from './chat-client';
import { toChatMessages } from './chat-messages';
import type { ConversationMessage } from './conversation';
import type { ModelAnswer } from './model-answer';
import { AnswerBounds, StreamUnfinished, TurnReader } from './turn-reader';

export const MAX_ATTEMPTS = 4;
const BACKOFF_BASE_MS = 200;
const logger = new Logger('OpenAiAgent');

export interface ModelRequest {
  client: OpenAI;
  model: string;
  system: string;
  messages: ConversationMessage[];
  tools: ChatCompletionFunctionTool[];
  /** The longest the endpoint may stay silent: before its first chunk and between chunks. */
  timeoutMs: number;
  /** The longest one attempt may take in all: an endpoint that keeps sending keepalives is still cut. */
  callTimeoutMs: number;
  maxTokens: number;
  bounds: AnswerBounds;
  /** For the log lines only. */
  sessionId: string;
  signal: AbortSignal;
  /** Called for each text piece of the given attempt (1-based) as it arrives. */
  onText(attempt: number, chunk: string): void;
}

/** An attempt given up by one of its clocks: `code` says which. */
class ModelTimeout extends Error {
  constructor(readonly code: 'silence_timeout' | 'call_timeout') {
    super(code);
    this.name = 'ModelTimeout';
  }
}

/** A 4xx other than 408/409/429: asking again would get the same answer. */
const isPermanent = (err: unknown): boolean =>
  err instanceof APIError && err.status !== undefined && err.status >= 400 && err.status < 500 && ![408, 409, 429].includes(err.status);

/**
 * A short code for a failed attempt. Never the endpoint's words: an error body may echo the request
 * (an endpoint that quotes the Authorization header puts the key in it), and this goes into the
 * run's log and the service's.
 */
export function failureCode(err: unknown): string {
  if (err instanceof ModelTimeout) return err.code;
  if (err instanceof APIConnectionError) return 'connection_failed';
  if (err instanceof APIError) return err.status !== undefined ? `http_${err.status}` : 'stream_error';
  if (err instanceof StreamUnfinished) return 'stream_incomplete';
  return 'stream_invalid';
}

/**
 * One model turn, retried with short exponential backoff: refused connections, 5xx, silence past
 * timeoutMs, a call past callTimeoutMs and broken streams are usually passing, and a run that fails
 * for one of them costs the user more than a second of waiting. After MAX_ATTEMPTS the agent gives
 * up with AgentFailure. An answer past a bound is AgentFailure at once (asking again would bill the
 * same answer again). An abort of `signal` ends it at once with the signal's reason.
 */
export async function callModel(req: ModelRequest): Promise<ModelAnswer> {
  let lastCode = '';
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    req.signal.throwIfAborted();
    try {
      return await streamOnce(req, attempt);
    } catch (err) {
      req.signal.throwIfAborted();
      if (err instanceof AgentFailure) throw err;
      lastCode = failureCode(err);
      if (isPermanent(err)) break;
      if (attempt < MAX_ATTEMPTS) {
        const delayMs = BACKOFF_BASE_MS * 2 ** (attempt - 1);
        logger.warn(`Run ${req.sessionId}: model call failed (${lastCode}); retry ${attempt} of ${MAX_ATTEMPTS - 1} in ${delayMs} ms`);
        // Cancelled while waiting: end with the signal's reason, as an abort during a call does.
        await sleep(delayMs, undefined, { signal: req.signal }).catch(() => req.signal.throwIfAborted());
      }
    }
  }
  throw new AgentFailure('agent_failed', `The model failed (${lastCode})`);
}

async function streamOnce(req: ModelRequest, attempt: number): Promise<ModelAnswer> {
  const controller = new AbortController();
  const forward = () => controller.abort(req.signal.reason);
  req.signal.addEventListener('abort', forward, { once: true });
  let timedOut: ModelTimeout | undefined;
  const giveUp = (code: ModelTimeout['code']) => () => {
    timedOut = new ModelTimeout(code);
    controller.abort(timedOut);
  };
  // The silence clock restarts with every part: refresh() moves the one timer along instead of a
  // clear and a new timer per token. The call clock does not.
  const silence = setTimeout(giveUp('silence_timeout'), req.timeoutMs);
  const deadline = setTimeout(giveUp('call_timeout'), req.callTimeoutMs);
  try {
    const stream = await req.client.chat.completions.create(
      {
        model: req.model,
        messages: toChatMessages(req.system, req.messages),
        ...(req.tools.length ? { tools: req.tools, tool_choice: 'auto' as const } : {}),
        max_tokens: req.maxTokens,
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal: controller.signal, maxRetries: 0 },
    );
    const turn = new TurnReader(attempt, req.bounds, req.onText);
    for await (const chunk of stream) {
      silence.refresh();
      turn.read(chunk);
    }
    if (controller.signal.aborted) throw controller.signal.reason ?? new Error('The model call was aborted');
    return turn.answer();
  } catch (err) {
    if (timedOut) throw timedOut;
    const tooLarge = err instanceof ResponseTooLarge ? err : err instanceof Error && err.cause instanceof ResponseTooLarge ? err.cause : undefined;
    if (tooLarge) throw new AgentFailure('answer_too_large', tooLarge.message);
    throw err;
  } finally {
    clearTimeout(silence);
    clearTimeout(deadline);
    req.signal.removeEventListener('abort', forward);
    // Past a bound the loop above was left mid-stream: close the connection rather than read on.
    controller.abort();
  }
}
