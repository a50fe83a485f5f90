import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One tool call the scripted model makes; `arguments` as an object is sent JSON-encoded. */
export interface ScriptedToolCall {
  name: string;
  arguments: Record<string, unknown> | string;
  id?: string;
}

/** What the scripted model does for one request. Each request consumes the next turn. */
export type ScriptedTurn =
  | {
      text?: string;
      toolCalls?: ScriptedToolCall[];
      /** Pace the streamed pieces (one piece ≈ one token) for benchmarks; unpaced if absent. */
      tokensPerSecond?: number;
      /** Stream each tool call whole, in one fragment with no `index`, as Gemini's endpoint does. */
      toolCallsWithoutIndex?: boolean;
      /** Send no tool call ids at all (some local endpoints do not): the client numbers the calls itself. */
      noIds?: boolean;
      /** Pace the tool arguments' 8-character pieces. */
      argPiecesPerSecond?: number;
      /** Streamed first as `reasoning_content`, in token-sized pieces, as reasoning models' endpoints do. */
      reasoning?: string;
    }
  /** One SSE line that never ends: text in 64 KB pieces with no newline, up to `bytes` (or until the client leaves). */
  | { fault: 'endless_line'; bytes: number }
  /** Chunks with no content (keepalives) every `everyMs`, for ever: only the client can end it. */
  | { fault: 'keepalive'; everyMs: number }
  /** Answers with this HTTP status and an OpenAI-style error body. */
  | { fault: 'status'; status: number }
  /** Answers with this status and an error body that quotes the request's Authorization header, as some proxies do. */
  | { fault: 'echo'; status: number }
  /** Never answers (after `afterPieces` streamed text pieces if given): only the client can give up. */
  | { fault: 'stall'; afterPieces?: number }
  /** A streamed chunk that is not JSON, then [DONE]. */
  | { fault: 'malformed' }
  /** Some text, then the response ends cleanly with no finish_reason and no [DONE]. */
  | { fault: 'truncated' };

export interface RecordedRequest {
  body: ChatRequestBody;
  /** The request's Authorization header, if it had one. */
  authorization?: string;
  receivedAt: number;
  /** When the connection closed, by either side (set while the server runs). */
  closedAt?: number;
  /** Bytes of the response written to the socket so far. */
  bytesSent?: number;
}

/** The part of a Chat Completions request body the tests look at. */
export interface ChatRequestBody {
  model: string;
  stream?: boolean;
  messages: Array<{ role: string; content?: unknown; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>; tool_call_id?: string }>;
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
  [key: string]: unknown;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Splits text into token-sized pieces (a word and its trailing space), so streaming is visible. */
export function tokenPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/**
 * A real OpenAI-compatible Chat Completions endpoint that answers from a script, so the agent is
 * tested through the real OpenAI client and a real socket instead of mocks. It records every request.
 */
export class ScriptedLlmServer {
  readonly requests: RecordedRequest[] = [];
  private readonly script: ScriptedTurn[] = [];
  private next = 0;
  private completion = 0;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(script: ScriptedTurn[] = []): Promise<ScriptedLlmServer> {
    let self: ScriptedLlmServer | undefined;
    const server = createServer((req, res) => void self?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new ScriptedLlmServer(server, `http://127.0.0.1:${port}/v1`);
    self.enqueue(...script);
    return self;
  }

  enqueue(...turns: ScriptedTurn[]): void {
    this.script.push(...turns);
  }

  /** Turns not consumed yet. */
  get remaining(): number {
    return this.script.length - this.next;
  }

  async close(): Promise<void> {
    // Stalled responses never end on their own.
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return this.error(res, 404, 'not found');
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequestBody;
      const recorded: RecordedRequest = { body, authorization: req.headers.authorization, receivedAt: Date.now() };
      this.requests.push(recorded);
      res.once('close', () => {
        recorded.closedAt = Date.now();
        recorded.bytesSent = req.socket.bytesWritten;
      });
      const turn = this.script[this.next++];
      if (!turn) return this.error(res, 500, `script exhausted after ${this.script.length} turns`);
      if ('fault' in turn && turn.fault === 'status') return this.error(res, turn.status, `scripted ${turn.status}`);
      if ('fault' in turn && turn.fault === 'stall' && !turn.afterPieces) return; // leave the request hanging
      if ('fault' in turn && turn.fault === 'echo') return this.error(res, turn.status, `Invalid request with Authorization: ${req.headers.authorization ?? '(none)'}`);
      if (body.stream) await this.stream(res, turn, body.model);
      else this.complete(res, turn, body.model);
    } catch (err) {
      if (!res.headersSent) this.error(res, 400, String(err));
      else res.destroy();
    }
  }

  private error(res: ServerResponse, status: number, message: string): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message, type: 'scripted_error', code: status } }));
  }

  private complete(res: ServerResponse, turn: ScriptedTurn, model: string): void {
    if ('fault' in turn) {
      if (turn.fault === 'stall') return; // hang, as in the streaming case
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"choices": [ not json');
    }
    const calls = (turn.toolCalls ?? []).map((c, i) => this.toolCall(c, i));
    const message = { role: 'assistant', content: turn.text ?? null, ...(calls.length ? { tool_calls: calls } : {}) };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${++this.completion}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message, finish_reason: calls.length ? 'tool_calls' : 'stop' }],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      }),
    );
  }

  private async stream(res: ServerResponse, turn: ScriptedTurn, model: string): Promise<void> {
    const id = `chatcmpl-${++this.completion}`;
    const created = Math.floor(Date.now() / 1000);
    const send = (delta: Record<string, unknown>, finish: string | null = null) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    send({ role: 'assistant', content: '' });

    if ('fault' in turn) {
      if (turn.fault === 'stall') {
        for (let i = 0; i < (turn.afterPieces ?? 0); i++) send({ content: `piece${i} ` });
        return; // headers and some text sent, then silence
      }
      if (turn.fault === 'endless_line') {
        res.write('data: {"choices":[{"index":0,"delta":{"content":"');
        const piece = 'z'.repeat(64 * 1024);
        for (let sent = 0; sent < turn.bytes && !res.destroyed; sent += piece.length) {
          // Wait for the socket to drain, as a real endpoint's writes would, so the client's pace decides.
          if (!res.write(piece)) await new Promise((r) => res.once('drain', r).once('close', r));
        }
        return void res.end();
      }
      if (turn.fault === 'keepalive') {
        while (!res.destroyed) {
          send({});
          await sleep(turn.everyMs);
        }
        return;
      }
      if (turn.fault === 'truncated') {
        send({ content: 'cut ' });
        return void res.end();
      }
      res.write('data: {"id": "broken", "choices": [ {"delta": \n\n');
      res.write('data: [DONE]\n\n');
      return void res.end();
    }

    const gap = turn.tokensPerSecond ? 1000 / turn.tokensPerSecond : 0;
    for (const piece of tokenPieces(turn.reasoning ?? '')) {
      if (res.destroyed) return;
      send({ reasoning_content: piece });
    }
    for (const piece of tokenPieces(turn.text ?? '')) {
      if (res.destroyed) return;
      send({ content: piece });
      if (gap) await sleep(gap);
    }
    const calls = turn.toolCalls ?? [];
    const argGap = turn.argPiecesPerSecond ? 1000 / turn.argPiecesPerSecond : 0;
    for (const [index, call] of calls.entries()) {
      if (res.destroyed) return;
      const full = this.toolCall(call, index);
      const id = turn.noIds ? {} : { id: full.id };
      if (turn.toolCallsWithoutIndex) {
        send({ tool_calls: [{ ...id, type: full.type, function: full.function }] });
        continue;
      }
      send({ tool_calls: [{ index, ...id, type: 'function', function: { name: full.function.name, arguments: '' } }] });
      // Arguments arrive in pieces, as real endpoints send them: the client must reassemble them.
      for (const piece of full.function.arguments.match(/[\s\S]{1,8}/g) ?? []) {
        if (res.destroyed) return;
        send({ tool_calls: [{ index, function: { arguments: piece } }] });
        if (argGap) await sleep(argGap);
      }
    }
    send({}, calls.length ? 'tool_calls' : 'stop');
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 } })}\n\n`);
    res.write('data: [DONE]\n\n');
    res.end();
  }

  private toolCall(call: ScriptedToolCall, index: number) {
    const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
    return { id: call.id ?? `call_${this.completion}_${index}`, type: 'function', function: { name: call.name, arguments: args } };
  }
}
