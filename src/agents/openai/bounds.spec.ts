import { Logger } from '@nestjs/common';
import { approvalOf, drive, streamedText } from '../../../test/support/agent-driver';
import { ScriptedLlmServer, ScriptedTurn } from '../../../test/support/scripted-llm-server';
import type { AuraEvent } from '../../contract/run.types';
import { SearchIncidentsTool } from '../tools/search-incidents.tool';
import { SendEmailTool } from '../tools/send-email.tool';
import { ToolRegistry } from '../tools/tool-registry';
import { OpenAiAgent, OpenAiAgentOptions } from './openai-agent';

// The agent logs each retry and failure (a warn line each): expected here, so kept off the test output.
beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']));

const BOUNDS = { maxToolCalls: 16, maxToolArgsBytes: 16384, maxAnswerBytes: 262144, maxStateBytes: 1048576 };
const MAIL = { to: 'owner@example.com', subject: 'Open incidents', body: 'INC-101 is open.' };
const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const outline = (events: AuraEvent[]): string[] => events.map(({ type, data }) => [type, data.id, data.toolName, data.status, data.code].filter((x) => x !== undefined).join(' '));
const runError = (events: AuraEvent[]) => events.find((e) => e.type === 'run_error')?.data;
const waitUntil = async (check: () => boolean, ms = 3000) => {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met');
};

describe('OpenAiAgent: what a model may send (issue 21)', () => {
  let server: ScriptedLlmServer;
  let outbox: SendEmailTool;
  const agent = (over: Partial<OpenAiAgentOptions> = {}) => {
    outbox = new SendEmailTool();
    const options: OpenAiAgentOptions = { baseUrl: server.baseUrl, model: 'scripted-model', apiKey: 'sk-secret-key', timeoutMs: 2000, callTimeoutMs: 30_000, maxTokens: 4096, bounds: BOUNDS, hitlTools: ['send_email'], ...over };
    return new OpenAiAgent(options, new ToolRegistry([new SearchIncidentsTool(), outbox]));
  };
  const start = async (...turns: ScriptedTurn[]) => (server = await ScriptedLlmServer.start(turns));
  afterEach(() => server.close());

  it('replaces lone surrogates in text and tool arguments with U+FFFD, in the events, the deltas and the state', async () => {
    await start({ text: 'Half a pair: \ud800 and \udfff here', toolCalls: [{ name: 'send_email', arguments: { ...MAIL, subject: 'x\udfffy', ['k\ud800']: 1 } }] });
    const paused = await drive(agent());
    expect(paused.last).toMatchObject({ kind: 'approval', params: { subject: 'x\ufffdy', 'k\ufffd': 1 } });
    expect(paused.events.find((e) => e.type === 'thought')?.data.content).toBe('Half a pair: \ufffd and \ufffd here');
    expect([...streamedText(paused.chunks).values()].join('')).toBe('Half a pair: \ufffd and \ufffd here');
    for (const stored of [paused.events, paused.state, paused.last]) expect(JSON.stringify(stored)).not.toMatch(/\\ud[89a-f]/i);
    expect(JSON.stringify(paused.state)).not.toMatch(LONE);
  });

  it('keeps none of the reasoning an endpoint streams beside the text (lone surrogates in it included)', async () => {
    await start({ reasoning: 'Thinking \ud800 it over', text: 'Answer.' });
    const done = await drive(agent());
    expect(done.last).toMatchObject({ kind: 'finish', status: 'completed' });
    expect(done.events.find((e) => e.type === 'content')?.data.content).toBe('Answer.');
    expect(JSON.stringify([done.events, done.state, done.chunks])).not.toContain('Thinking');
  });

  it('keys idempotency by the run and Aura call id: two turns calling send_email with no ids send two mails', async () => {
    await start({ toolCalls: [{ name: 'send_email', arguments: MAIL }], noIds: true }, { toolCalls: [{ name: 'send_email', arguments: { ...MAIL, subject: 'Again' } }], noIds: true }, { text: 'Sent both.' });
    const a = agent();
    const first = await drive(a);
    const second = await drive(a, { state: first.state, approved: approvalOf(first.last) });
    expect(second.last).toMatchObject({ kind: 'approval', toolName: 'send_email' });
    // The model's ids repeat (call_0 both times): Aura's do not.
    expect(server.requests[1].body.messages.find((m) => m.role === 'assistant')?.tool_calls?.[0].id).toBe('call_0');
    const done = await drive(a, { state: second.state, approved: approvalOf(second.last) });
    expect(done.last).toMatchObject({ kind: 'finish', status: 'completed' });
    expect(outbox.outbox.map((m) => [m.subject, m.callId, m.idempotencyKey])).toEqual([
      ['Open incidents', 'tool-1-1', 'sess-1:tool-1-1'],
      ['Again', 'tool-2-1', 'sess-1:tool-2-1'],
    ]);
    // The key is in the stored state, written with the step that recorded the call.
    expect((second.state as { pending: Array<{ idempotencyKey: string }> }).pending[0].idempotencyKey).toBe('sess-1:tool-2-1');
  });

  it('sends max_tokens', async () => {
    await start({ text: 'ok' });
    await drive(agent({ maxTokens: 123 }));
    expect(server.requests[0].body.max_tokens).toBe(123);
  });

  it.each([
    ['too_many_tool_calls', { toolCalls: Array.from({ length: 2000 }, () => ({ name: 'search_incidents', arguments: {} })) }],
    ['tool_arguments_too_large', { toolCalls: [{ name: 'search_incidents', arguments: { state: 'x'.repeat(20_000) } }] }],
    ['answer_too_large', { text: `${'y'.repeat(4000)} `.repeat(100) }],
    ['answer_too_large', { reasoning: `${'r'.repeat(4000)} `.repeat(100), text: 'short' }],
  ] as Array<[string, ScriptedTurn]>)('ends the run with %s as soon as the stream passes the bound, and closes the connection', async (code, turn) => {
    await start(turn, { text: 'never asked' });
    const done = await drive(agent());
    expect(outline(done.events).filter((l) => !l.startsWith('content'))).toEqual(['plan_step turn-1 in_progress', 'plan_step turn-1 failed', `run_error ${code}`, 'done failed']);
    // Not retried, and the stream was dropped, not read to its end.
    expect(server.requests).toHaveLength(1);
    await waitUntil(() => server.requests[0].closedAt !== undefined);
    const streamed = done.chunks.reduce((n, c) => n + c.chunk.length, 0);
    expect(streamed).toBeLessThanOrEqual(BOUNDS.maxAnswerBytes);
  });

  it('refuses approval params over 16 KB even when the arguments bound allows more (approval_params_too_large)', async () => {
    await start({ toolCalls: [{ name: 'send_email', arguments: { ...MAIL, body: 'x'.repeat(20_000) } }] });
    const done = await drive(agent({ bounds: { ...BOUNDS, maxToolArgsBytes: 65536 } }));
    expect(outline(done.events)).toEqual(['plan_step turn-1 in_progress', 'plan_step turn-1 failed', 'run_error approval_params_too_large', 'done failed']);
  });

  it('drops a response whose one line never ends, long before it is read whole (answer_too_large)', async () => {
    await start({ fault: 'endless_line', bytes: 200 * 1024 * 1024 });
    const done = await drive(agent({ bounds: { ...BOUNDS, maxAnswerBytes: 4096 } }));
    expect(outline(done.events).slice(-3)).toEqual(['plan_step turn-1 failed', 'run_error answer_too_large', 'done failed']);
    expect(server.requests).toHaveLength(1);
    await waitUntil(() => server.requests[0].closedAt !== undefined);
    // The line bound is 6 × 4096 + 64 KB; what the socket had taken on by then is a few MB at most.
    expect(server.requests[0].bytesSent).toBeLessThan(16 * 1024 * 1024);
  });

  it('ends the run with state_too_large when the conversation outgrows the state bound', async () => {
    const call = { name: 'search_incidents', arguments: {} };
    await start({ text: 'a'.repeat(5500), toolCalls: [call] }, { text: 'b'.repeat(5500), toolCalls: [call] }, { text: 'never asked' });
    const done = await drive(agent({ bounds: { ...BOUNDS, maxStateBytes: 16384 } }));
    expect(outline(done.events).slice(-3)).toEqual(['plan_step turn-2 failed', 'run_error state_too_large', 'done failed']);
    expect(server.requests).toHaveLength(2);
  });

  it('closes the last plan_step failed when the turn limit stops the run', async () => {
    await start();
    const done = await drive(agent(), { state: { version: 1, turn: 17, messages: [{ role: 'user', content: 'hi' }], pending: [], turnText: '' } });
    expect(outline(done.events)).toEqual(['plan_step turn-17 failed', 'run_error agent_turn_limit', 'done failed']);
  });

  it('gives a call that only sends keepalives up at LLM_CALL_TIMEOUT_MS, then retries', async () => {
    await start(...Array.from({ length: 4 }, () => ({ fault: 'keepalive', everyMs: 50 }) as ScriptedTurn));
    const started = Date.now();
    const done = await drive(agent({ timeoutMs: 5000, callTimeoutMs: 300 }));
    expect(runError(done.events)).toEqual({ code: 'agent_failed', message: 'The model failed (call_timeout)' });
    expect(server.requests).toHaveLength(4);
    expect(Date.now() - started).toBeLessThan(4500);
  });

  it.each([
    ['keepalives only', { fault: 'keepalive', everyMs: 50 }],
    ['slow tool arguments', { toolCalls: [{ name: 'search_incidents', arguments: { state: 'open', limit: 5 } }], argPiecesPerSecond: 5 }],
  ] as Array<[string, ScriptedTurn]>)('an abort closes a call streaming %s at once', async (_what, turn) => {
    await start(turn);
    const controller = new AbortController();
    const pending = drive(agent(), { signal: controller.signal }).catch((e: unknown) => e);
    await waitUntil(() => server.requests.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    const abortedAt = Date.now();
    controller.abort(new Error('run cancelled'));
    expect(await pending).toMatchObject({ message: 'run cancelled' });
    await waitUntil(() => server.requests[0].closedAt !== undefined);
    expect(server.requests[0].closedAt! - abortedAt).toBeLessThan(300);
  });

  it('never copies an error body into the run: an endpoint that echoes the key leaves no trace of it', async () => {
    await start({ fault: 'echo', status: 401 });
    const done = await drive(agent());
    expect(server.requests[0].authorization).toBe('Bearer sk-secret-key');
    expect(runError(done.events)).toEqual({ code: 'agent_failed', message: 'The model failed (http_401)' });
    expect(JSON.stringify([done.events, done.state])).not.toContain('sk-secret');
  });
});
