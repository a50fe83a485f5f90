import { Logger } from '@nestjs/common';
import { approvalOf, drive, streamedText, testRun } from '../../../test/support/agent-driver';
import { ScriptedLlmServer, ScriptedTurn } from '../../../test/support/scripted-llm-server';
import { AgentFailure } from '../../runs/agent/agent.port';
import type { AuraEvent } from '../../contract/run.types';
import { SearchIncidentsTool } from '../tools/search-incidents.tool';
import { SendEmailTool } from '../tools/send-email.tool';
import { ToolRegistry } from '../tools/tool-registry';
import { OpenAiAgent } from './openai-agent';

// The agent logs each retry and failure (a warn line each): expected here, so kept off the test output.
beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']));

const MAIL = { to: 'owner@example.com', subject: '3 open incidents', body: 'INC-101, INC-107 and INC-112 are open.' };
const SEARCH_TEXT = 'Let me look up the open incidents first.';
const EMAIL_TEXT = 'Three incidents are open; I will email their owner.';
const ANSWER = 'Done: 3 open incidents found (INC-101, INC-107, INC-112) and their owner was emailed.';

const HAPPY: ScriptedTurn[] = [
  { text: SEARCH_TEXT, toolCalls: [{ name: 'search_incidents', arguments: { state: 'open', limit: 5 }, id: 'call_search' }] },
  { text: EMAIL_TEXT, toolCalls: [{ name: 'send_email', arguments: MAIL, id: 'call_email' }] },
  { text: ANSWER },
];

const BOUNDS = { maxToolCalls: 16, maxToolArgsBytes: 16384, maxAnswerBytes: 262144, maxStateBytes: 1048576 };

/** One line per event: what the wire contract fixes, without the payloads. */
const outline = (events: AuraEvent[]): string[] =>
  events.map(({ type, data }) => [type, data.id, data.toolName, data.status].filter((x) => x !== undefined).join(' '));

describe('OpenAiAgent against a scripted OpenAI-compatible endpoint', () => {
  let server: ScriptedLlmServer;
  let outbox: SendEmailTool;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  const agent = (timeoutMs = 2000, apiKey: string | null = 'test-key') => {
    outbox = new SendEmailTool();
    const tools = new ToolRegistry([new SearchIncidentsTool(), outbox]);
    return new OpenAiAgent({ baseUrl: server.baseUrl, model: 'scripted-model', apiKey: apiKey ?? undefined, timeoutMs, callTimeoutMs: 30_000, maxTokens: 4096, bounds: BOUNDS, hitlTools: ['send_email'] }, tools);
  };

  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterAll(() => process.off('unhandledRejection', onUnhandled));
  afterEach(async () => {
    await server.close();
    // Give a stray rejection a turn of the event loop to show itself.
    await new Promise((r) => setImmediate(r));
    expect(unhandled).toEqual([]);
  });

  it('searches, asks to send an email, sends it once approved and answers, with the exact event sequence', async () => {
    server = await ScriptedLlmServer.start(HAPPY);
    const a = agent();
    const paused = await drive(a);
    expect(paused.last).toMatchObject({ kind: 'approval', toolName: 'send_email', params: MAIL });
    if (paused.last.kind !== 'approval') throw new Error('unreachable');
    expect(paused.last.message).toContain(EMAIL_TEXT);
    expect(paused.last.message).toContain('send_email');
    expect(outbox.outbox).toEqual([]);

    const done = await drive(a, { state: paused.state, approved: approvalOf(paused.last) });
    const events = [...paused.events, ...done.events];
    expect(outline(events)).toEqual([
      'plan_step turn-1 in_progress',
      'thought',
      'tool_execution tool-1-1 search_incidents started',
      'tool_execution tool-1-1 search_incidents completed',
      'plan_step turn-1 completed',
      'plan_step turn-2 in_progress',
      'thought',
      'hitl send_email',
      'tool_execution tool-2-1 send_email started',
      'tool_execution tool-2-1 send_email completed',
      'plan_step turn-2 completed',
      'plan_step turn-3 in_progress',
      'content',
      'plan_step turn-3 completed',
      'done completed',
    ]);
    expect(events[2].data.params).toEqual({ state: 'open', limit: 5 });
    expect(events[3].data.result).toMatchObject({ count: 3 });
    expect(events[8].data.params).toEqual(MAIL);
    expect(events[9].data.result).toEqual({ messageId: 'mail-1' });
    expect(outbox.outbox).toMatchObject([MAIL]);
    expect(events.filter((e) => e.type === 'thought' || e.type === 'content').map((e) => e.data.content)).toEqual([SEARCH_TEXT, EMAIL_TEXT, ANSWER]);
    expect(server.requests).toHaveLength(3);
  });

  it('streams each message in pieces under the messageId of its complete event', async () => {
    server = await ScriptedLlmServer.start(HAPPY);
    const a = agent();
    const paused = await drive(a);
    const done = await drive(a, { state: paused.state, approved: approvalOf(paused.last) });
    const chunks = [...paused.chunks, ...done.chunks];
    const messages = [...paused.events, ...done.events].filter((e) => e.type === 'thought' || e.type === 'content');
    const streamed = streamedText(chunks);
    expect([...streamed.keys()]).toEqual(messages.map((e) => e.data.messageId));
    for (const e of messages) expect(streamed.get(e.data.messageId as string)).toBe(e.data.content);
    expect(chunks.length).toBeGreaterThan(messages.length * 3);
  });

  it('sends the stored conversation as Chat Completions messages, with the tools and the key', async () => {
    server = await ScriptedLlmServer.start(HAPPY);
    const paused = await drive(agent());
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect(first.authorization).toBe('Bearer test-key');
    expect(first.body).toMatchObject({ model: 'scripted-model', stream: true, stream_options: { include_usage: true }, tool_choice: 'auto' });
    expect(first.body.tools?.map((t) => [t.type, t.function.name])).toEqual([
      ['function', 'search_incidents'],
      ['function', 'send_email'],
    ]);
    const search = paused.events.find((e) => e.type === 'tool_execution' && e.data.status === 'completed');
    expect(second.body.messages).toEqual([
      { role: 'system', content: expect.stringContaining('You are Aura') },
      { role: 'user', content: testRun().prompt },
      {
        role: 'assistant',
        content: SEARCH_TEXT,
        tool_calls: [{ id: 'call_search', type: 'function', function: { name: 'search_incidents', arguments: JSON.stringify({ state: 'open', limit: 5 }) } }],
      },
      { role: 'tool', tool_call_id: 'call_search', content: JSON.stringify(search?.data.result) },
    ]);
  });

  it('runs parallel tool calls from an endpoint that streams them with no index (Gemini)', async () => {
    server = await ScriptedLlmServer.start([
      {
        toolCallsWithoutIndex: true,
        toolCalls: [
          { name: 'search_incidents', arguments: { state: 'open', limit: 2 }, id: 'call_a' },
          { name: 'search_incidents', arguments: { state: 'closed', limit: 1 }, id: 'call_b' },
        ],
      },
      { text: ANSWER },
    ]);
    const done = await drive(agent());
    const started = done.events.filter((e) => e.type === 'tool_execution' && e.data.status === 'started');
    expect(started.map((e) => e.data.params)).toEqual([
      { state: 'open', limit: 2 },
      { state: 'closed', limit: 1 },
    ]);
    const tools = server.requests[1].body.messages.filter((m) => m.role === 'tool');
    expect(tools.map((m) => m.tool_call_id)).toEqual(['call_a', 'call_b']);
  });

  it('sends no Authorization header when no key is configured', async () => {
    server = await ScriptedLlmServer.start([{ text: ANSWER }]);
    const done = await drive(agent(2000, null));
    expect(done.last).toMatchObject({ kind: 'finish', status: 'completed' });
    expect(server.requests.map((r) => r.authorization)).toEqual([undefined]);
  });

  it('asks again when a stream ends without a finish_reason (text or arguments may be missing)', async () => {
    server = await ScriptedLlmServer.start([{ fault: 'truncated' }, { text: ANSWER }]);
    const done = await drive(agent());
    expect(done.last).toMatchObject({ kind: 'finish', status: 'completed' });
    expect(server.requests).toHaveLength(2);
    const content = done.events.find((e) => e.type === 'content');
    expect(content?.data.content).toBe(ANSWER);
    expect([...streamedText(done.chunks).values()]).toEqual(['cut ', ANSWER]);
  });

  it('resumes on a fresh instance from the stored state without asking the model again for a written turn', async () => {
    server = await ScriptedLlmServer.start(HAPPY);
    const paused = await drive(agent());
    expect(server.requests).toHaveLength(2);

    const resumed = await drive(agent(), { state: paused.state, approved: approvalOf(paused.last) });
    expect(resumed.last).toMatchObject({ kind: 'finish', status: 'completed' });
    expect(outline(resumed.events)[0]).toBe('tool_execution tool-2-1 send_email started');
    expect(server.requests).toHaveLength(3);
    expect(outbox.outbox).toHaveLength(1);

    const last = server.requests[2].body;
    const toolResults = last.messages.filter((m) => m.role === 'tool');
    expect(toolResults.map((m) => m.tool_call_id)).toEqual(['call_search', 'call_email']);
    expect(String(toolResults[0].content)).toContain('INC-101');
    expect(String(toolResults[1].content)).toContain('mail-1');
    expect(last.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'tool']);
    expect(last.messages[4].tool_calls?.[0]).toMatchObject({ id: 'call_email', function: { name: 'send_email' } });
    expect(last.tools?.map((t) => t.function.name).sort()).toEqual(['search_incidents', 'send_email']);
    expect(last.stream).toBe(true);
  });

  it('asks again, and does not run the tool, when stepped at an approval without the approval', async () => {
    server = await ScriptedLlmServer.start(HAPPY);
    const paused = await drive(agent());
    const again = await drive(agent(), { state: paused.state });
    expect(again.last).toMatchObject({ kind: 'approval', toolName: 'send_email', params: MAIL });
    expect(again.events.filter((e) => e.type === 'tool_execution')).toEqual([]);
    expect(outbox.outbox).toEqual([]);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a 500 and a malformed stream, streaming each attempt under its own messageId', async () => {
    server = await ScriptedLlmServer.start([{ fault: 'status', status: 500 }, { fault: 'malformed' }, { fault: 'stall', afterPieces: 2 }, { text: ANSWER }]);
    const done = await drive(agent(300), { state: { version: 1, turn: 1, messages: [{ role: 'user', content: 'hi' }], pending: [], turnText: '' } });
    expect(done.last).toMatchObject({ kind: 'finish', status: 'completed' });
    expect(server.requests).toHaveLength(4);
    const content = done.events.find((e) => e.type === 'content');
    const streamed = streamedText(done.chunks);
    expect(streamed.size).toBe(2); // the stalled attempt's pieces, then the answer
    expect(streamed.get(content?.data.messageId as string)).toBe(ANSWER);
  });

  it('ends the run failed (its turn closed failed, run_error agent_failed) after 4 attempts that all answer 500, without the body', async () => {
    server = await ScriptedLlmServer.start(Array.from({ length: 5 }, () => ({ fault: 'status' as const, status: 500 })));
    const done = await drive(agent());
    expect(outline(done.events)).toEqual(['plan_step turn-1 in_progress', 'plan_step turn-1 failed', 'run_error', 'done failed']);
    expect(done.events[2].data).toEqual({ code: 'agent_failed', message: 'The model failed (http_500)' });
    expect(JSON.stringify(done.events)).not.toContain('scripted 500');
    expect(server.requests).toHaveLength(4);
    // Asked again (its write lost), the step only repeats the end: the model is not asked again.
    const again = await drive(agent(), { state: done.state });
    expect(outline(again.events)).toEqual(['plan_step turn-1 failed', 'run_error', 'done failed']);
    expect(server.requests).toHaveLength(4);
  });

  it('does not retry a request the endpoint rejects as bad', async () => {
    server = await ScriptedLlmServer.start([{ fault: 'status', status: 400 }, { text: ANSWER }]);
    const done = await drive(agent());
    expect(done.events.find((e) => e.type === 'run_error')?.data).toEqual({ code: 'agent_failed', message: 'The model failed (http_400)' });
    expect(server.requests).toHaveLength(1);
  });

  it('gives up on an endpoint that stalls past timeoutMs on every attempt', async () => {
    server = await ScriptedLlmServer.start(Array.from({ length: 4 }, () => ({ fault: 'stall' as const })));
    const started = Date.now();
    const done = await drive(agent(250));
    expect(done.events.find((e) => e.type === 'run_error')?.data).toEqual({ code: 'agent_failed', message: 'The model failed (silence_timeout)' });
    expect(server.requests).toHaveLength(4);
    // 4 silences of 250 ms and backoffs of 200 + 400 + 800 ms.
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('stops a stalled call promptly when the run is aborted, without AgentFailure', async () => {
    server = await ScriptedLlmServer.start([{ fault: 'stall' }]);
    const controller = new AbortController();
    const pending = drive(agent(10_000), { signal: controller.signal }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    const abortedAt = Date.now();
    controller.abort(new Error('run cancelled'));
    const outcome = await pending;
    // Far below the 10 s timeout: the abort, not the timer, ended it (with room for a busy CI machine).
    expect(Date.now() - abortedAt).toBeLessThan(500);
    expect(outcome).not.toBeInstanceOf(AgentFailure);
    expect((outcome as Error).message).toBe('run cancelled');
  });

  it('stops promptly when aborted during a backoff', async () => {
    server = await ScriptedLlmServer.start([{ fault: 'status', status: 503 }, { text: ANSWER }]);
    const controller = new AbortController();
    const pending = drive(agent(), { signal: controller.signal, state: { version: 1, turn: 1, messages: [{ role: 'user', content: 'hi' }], pending: [], turnText: '' } }).catch((e: unknown) => e);
    // Aborted once the first call has failed (its 503 answered), i.e. during the backoff, however loaded the machine is.
    while (server.requests.length < 1) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 20));
    controller.abort(new Error('instance stopping'));
    expect(await pending).toMatchObject({ message: 'instance stopping' });
    expect(server.requests).toHaveLength(1);
  });

  it('reports a failing or unknown tool to the model and goes on, with the run metadata as context', async () => {
    server = await ScriptedLlmServer.start([
      { toolCalls: [{ name: 'search_incidents', arguments: { state: 'lost' } }, { name: 'launch_rocket', arguments: {} }] },
      { text: 'I could not search.' },
    ]);
    const done = await drive(agent(), { run: { ...testRun('search'), metadata: { team: 'ops' } } });
    expect(outline(done.events)).toEqual([
      'plan_step turn-1 in_progress',
      'tool_execution tool-1-1 search_incidents started',
      'tool_execution tool-1-1 search_incidents failed',
      'tool_execution tool-1-2 launch_rocket started',
      'tool_execution tool-1-2 launch_rocket failed',
      'plan_step turn-1 completed',
      'plan_step turn-2 in_progress',
      'content',
      'plan_step turn-2 completed',
      'done completed',
    ]);
    expect(done.events[2].data.error).toMatch(/state must be one of/);
    // A turn of tool calls only: "" as its text (Ollama refuses null).
    const assistant = server.requests[1].body.messages.find((m) => m.role === 'assistant');
    expect(assistant?.content).toBe('');
    expect(assistant?.tool_calls?.map((c) => c.function.name)).toEqual(['search_incidents', 'launch_rocket']);
    const results = server.requests[1].body.messages.filter((m) => m.role === 'tool').map((m) => String(m.content));
    expect(results[0]).toMatch(/state must be one of/);
    expect(results[1]).toMatch(/launch_rocket/);
    expect(String(server.requests[0].body.messages[0].content)).toContain('{"team":"ops"}');
  });
});
