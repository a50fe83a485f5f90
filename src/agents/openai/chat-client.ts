import OpenAI from 'openai';

/**
 * The OpenAI client for any Chat Completions endpoint. Everything it would otherwise take from the
 * environment (OPENAI_ORG_ID, OPENAI_LOG, ...) is set here, so only the validated configuration
 * decides what the agent sends; retries are callModel's. With no key configured, no Authorization
 * header is sent (local endpoints such as Ollama or vLLM need none).
 */
export function createChatClient(options: { baseUrl: string; apiKey?: string }): OpenAI {
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
  });
}
