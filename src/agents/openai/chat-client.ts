import OpenAI from 'openai';

/** The endpoint sent a line (one streamed chunk, or an error body) longer than the client accepts. */
export class ResponseTooLarge extends Error {
  constructor(readonly maxLineBytes: number) {
    super(`The model endpoint sent a line over ${maxLineBytes} bytes`);
    this.name = 'ResponseTooLarge';
  }
}

/**
 * The OpenAI client for any Chat Completions endpoint. Everything it would otherwise take from the
 * environment (OPENAI_ORG_ID, OPENAI_LOG, ...) is set here, so only the validated configuration
 * decides what the agent sends; retries are callModel's. With no key configured, no Authorization
 * header is sent (local endpoints such as Ollama or vLLM need none). With `maxLineBytes`, a
 * response line longer than that ends the response with ResponseTooLarge.
 */
export function createChatClient(options: { baseUrl: string; apiKey?: string; maxLineBytes?: number }): OpenAI {
  return new OpenAI({
    baseURL: options.baseUrl,
    apiKey: options.apiKey || 'none',
    adminAPIKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    maxRetries: 0,
    logLevel: 'off',
    defaultHeaders: options.apiKey ? undefined : { Authorization: null },
    ...(options.maxLineBytes ? { fetch: lineBoundedFetch(options.maxLineBytes) } : {}),
  });
}

/**
 * fetch whose response bodies may hold no line longer than maxLineBytes. The client gathers a line
 * whole before it parses it (and copies what it has gathered with every network chunk), so one
 * endless line would grow memory and block the event loop before any count of the answer's text
 * could stop it. Counted on the bytes as they arrive; past the bound the body errors, which drops
 * the connection.
 */
function lineBoundedFetch(maxLineBytes: number): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (!response.body) return response;
    let line = 0;
    const guard = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        let start = 0;
        for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
          if (line + newline - start > maxLineBytes) return controller.error(new ResponseTooLarge(maxLineBytes));
          line = 0;
          start = newline + 1;
        }
        line += chunk.byteLength - start;
        if (line > maxLineBytes) return controller.error(new ResponseTooLarge(maxLineBytes));
        controller.enqueue(chunk);
      },
    });
    return new Response(response.body.pipeThrough(guard), { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
